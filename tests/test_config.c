/* Unit tests of the config loader (bus.config.json, pool.config.json) on real files in a
 * mkdtemp folder. HOME and BEEKEEPER_CONFIG_DIR point into that folder while they run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "beekeeper/client.h"
#include "beekeeper/config.h"
#include "beekeeper/error.h"

static char root[256];   /* realpath of the mkdtemp folder */

/* root/sub, made (with its parents); returned in one of a few rotating buffers. */
static const char *dir_of(const char *sub)
{
    static char bufs[4][PATH_MAX];
    static int k;
    char *d = bufs[k++ % 4];
    snprintf(d, PATH_MAX, "%s/%s", root, sub);
    for (char *p = d + strlen(root) + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(d, 0700);
            *p = '/';
        }
    }
    mkdir(d, 0700);
    return d;
}

static void put(const char *sub, const char *name, const char *text)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir_of(sub), name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int setup(void **st)
{
    (void)st;
    char tmpl[] = "/tmp/test_config.XXXXXX", real[PATH_MAX];
    if (!mkdtemp(tmpl) || !realpath(tmpl, real) || strlen(real) >= sizeof root)
        return -1;
    memcpy(root, real, strlen(real) + 1);
    setenv("HOME", dir_of("home"), 1);
    unsetenv("BEEKEEPER_CONFIG_DIR");
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    return nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int reset_env(void **st)
{
    (void)st;
    setenv("HOME", dir_of("home"), 1);
    unsetenv("BEEKEEPER_CONFIG_DIR");
    return 0;
}

#define assert_has(hay, needle)                                                               \
    do {                                                                                      \
        if (!strstr((hay), (needle)))                                                         \
            fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle));                     \
    } while (0)

/* ---- bus.config.json ---- */

static void bus_relaxed_json_with_defaults(void **st)
{
    (void)st;
    const char *d = dir_of("relaxed");
    put("relaxed", "bus.config.json",
        "# a comment with \"quotes\" and a [bracket\n"
        "[\n"
        "    // the one bus\n"
        "    {\n"
        "        \"bus-id\": \"backend\", /* block\n comment */\n"
        "        \"host\": \"broker.example\",\n"
        "    },\n"
        "]\n");
    char err[512] = "";
    bk_bus_config *b;
    assert_int_equal(bk_bus_config_load(&b, d, NULL, err, sizeof err), 0);
    bk_client_opts o = { .timeout_ms = 1234 };
    bk_bus_config_client_opts(b, &o);
    assert_int_equal(o.nhosts, 1);
    assert_string_equal(o.hosts[0], "broker.example:61613");
    assert_string_equal(o.vhost, "/");
    assert_null(o.user);
    assert_null(o.pass);
    assert_string_equal(o.bus_id, "backend");
    assert_string_equal(o.cluster, "backend");
    assert_int_equal(o.timeout_ms, 1234);   /* left alone */
    assert_string_equal(bk_bus_config_id(b), "backend");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/bus.config.json", d);
    assert_string_equal(bk_bus_config_path(b), path);
    bk_bus_config_free(b);
    bk_bus_config_free(NULL);
}

static void bus_no_host_means_localhost(void **st)
{
    (void)st;
    put("nohost", "bus.config.json", "[{\"bus-id\": \"b\", \"port\": 7000}]");
    bk_bus_config *b;
    assert_int_equal(bk_bus_config_load(&b, dir_of("nohost"), NULL, NULL, 0), 0);
    bk_client_opts o = { 0 };
    bk_bus_config_client_opts(b, &o);
    assert_int_equal(o.nhosts, 1);
    assert_string_equal(o.hosts[0], "127.0.0.1:7000");
    bk_bus_config_free(b);
}

static void bus_host_lists_and_ports(void **st)
{
    (void)st;
    put("hosts", "bus.config.json",
        "[\n"
        " { \"bus-id\": \"one\", \"cluster\": \"c1\", \"port\": 7000, \"user\": \"u\",\n"
        "   \"pass\": \"p\", \"vhost\": \"/v\",\n"
        "   \"hosts\": [\"a\", \"b:1234\", \"::1\", \"[::2]\", \"[::3]:99\", \"10.0.0.1\"] },\n"
        " { \"bus-id\": \"two\", \"host\": [\"x\", \"y\",] },\n"
        "]\n");
    char err[512] = "";
    bk_bus_config *b;
    bk_client_opts o = { 0 };
    assert_int_equal(bk_bus_config_load(&b, dir_of("hosts"), "one", err, sizeof err), 0);
    bk_bus_config_client_opts(b, &o);
    assert_int_equal(o.nhosts, 6);
    assert_string_equal(o.hosts[0], "a:7000");
    assert_string_equal(o.hosts[1], "b:1234");
    assert_string_equal(o.hosts[2], "[::1]:7000");
    assert_string_equal(o.hosts[3], "[::2]:7000");
    assert_string_equal(o.hosts[4], "[::3]:99");
    assert_string_equal(o.hosts[5], "10.0.0.1:7000");
    assert_string_equal(o.cluster, "c1");
    assert_string_equal(o.bus_id, "one");
    assert_string_equal(o.user, "u");
    assert_string_equal(o.pass, "p");
    assert_string_equal(o.vhost, "/v");
    bk_bus_config_free(b);

    assert_int_equal(bk_bus_config_load(&b, dir_of("hosts"), "two", err, sizeof err), 0);
    bk_bus_config_client_opts(b, &o);
    assert_int_equal(o.nhosts, 2);
    assert_string_equal(o.hosts[0], "x:61613");
    assert_string_equal(o.hosts[1], "y:61613");
    assert_string_equal(o.cluster, "two");
    bk_bus_config_free(b);
}

static void bus_selection(void **st)
{
    (void)st;
    char err[512] = "";
    bk_bus_config *b = (bk_bus_config *)&err;

    put("sel1", "bus.config.json",
        "[{\"bus-id\": \"a\"}, {\"bus-id\": \"b\", \"default\": true}, {\"bus-id\": \"c\"}]");
    assert_int_equal(bk_bus_config_load(&b, dir_of("sel1"), NULL, err, sizeof err), 0);
    assert_string_equal(bk_bus_config_id(b), "b");
    bk_bus_config_free(b);
    assert_int_equal(bk_bus_config_load(&b, dir_of("sel1"), "c", err, sizeof err), 0);
    assert_string_equal(bk_bus_config_id(b), "c");
    bk_bus_config_free(b);

    /* Perl Beekeeper's files write "default": 1 */
    put("sel2", "bus.config.json",
        "[{\"bus-id\": \"a\", \"default\": 0}, {\"bus-id\": \"b\", \"default\": 1}]");
    assert_int_equal(bk_bus_config_load(&b, dir_of("sel2"), NULL, err, sizeof err), 0);
    assert_string_equal(bk_bus_config_id(b), "b");
    bk_bus_config_free(b);

    put("sel3", "bus.config.json", "[{\"bus-id\": \"only\"}]");
    assert_int_equal(bk_bus_config_load(&b, dir_of("sel3"), NULL, err, sizeof err), 0);
    assert_string_equal(bk_bus_config_id(b), "only");
    bk_bus_config_free(b);

    put("sel4", "bus.config.json", "[{\"bus-id\": \"a\"}, {\"bus-id\": \"b\"}]");
    assert_int_equal(bk_bus_config_load(&b, dir_of("sel4"), NULL, err, sizeof err), BK_EINVAL);
    assert_null(b);
    assert_has(err, "/sel4/bus.config.json: 2 buses and none has \"default\": true");
    assert_has(err, "pick one by its bus-id (a, b)");

    assert_int_equal(bk_bus_config_load(&b, dir_of("sel4"), "zz", err, sizeof err),
                     BK_ENOTFOUND);
    assert_has(err, "/sel4/bus.config.json: no bus \"zz\" (defined: a, b)");

    put("sel5", "bus.config.json", "[]");
    assert_int_equal(bk_bus_config_load(&b, dir_of("sel5"), NULL, err, sizeof err),
                     BK_ENOTFOUND);
    assert_has(err, "/sel5/bus.config.json: no bus is defined");
}

static void bus_tls_keys_fill_the_client_options(void **st)
{
    (void)st;
    char err[512] = "";
    bk_bus_config *b;
    put("tls", "bus.config.json",
        "[\n"
        "  {\"bus-id\": \"plain\", \"tls\": false, \"default\": true},\n"
        "  {\"bus-id\": \"secure\", \"tls\": true, \"tls_ca\": \"ca.pem\",\n"
        "   \"tls_cert\": \"/etc/c.pem\", \"tls_key\": \"./k.pem\"},\n"
        "  {\"bus-id\": \"lax\", \"tls\": true, \"tls_verify\": false},\n"
        "]");
    bk_client_opts o = {0};
    assert_int_equal(bk_bus_config_load(&b, dir_of("tls"), NULL, err, sizeof err), 0);
    bk_bus_config_client_opts(b, &o);
    assert_int_equal(o.tls, 0);
    assert_null(o.tls_ca);
    bk_bus_config_free(b);
    assert_int_equal(bk_bus_config_load(&b, dir_of("tls"), "secure", err, sizeof err), 0);
    bk_bus_config_client_opts(b, &o);
    assert_int_equal(o.tls, 1);
    assert_int_equal(o.tls_no_verify, 0);
    assert_has(o.tls_ca, "/tls/ca.pem");
    assert_int_equal(o.tls_ca[0], '/');
    assert_string_equal(o.tls_cert, "/etc/c.pem");
    assert_has(o.tls_key, "/tls/k.pem");
    bk_bus_config_free(b);
    assert_int_equal(bk_bus_config_load(&b, dir_of("tls"), "lax", err, sizeof err), 0);
    bk_bus_config_client_opts(b, &o);
    assert_int_equal(o.tls, 1);
    assert_int_equal(o.tls_no_verify, 1);
    assert_null(o.tls_ca);
    bk_bus_config_free(b);
    put("tls2", "bus.config.json", "[{\"bus-id\": \"a\",\n \"tls_ca\": \"ca.pem\"}]");
    assert_int_equal(bk_bus_config_load(&b, dir_of("tls2"), NULL, err, sizeof err),
                     BK_ESYNTAX);
    assert_has(err, ":2:2: entry 1 (bus-id \"a\"): \"tls_ca\" needs \"tls\": true");
}

static void search_order(void **st)
{
    (void)st;
    char err[512] = "";
    bk_bus_config *b;
    put("home/.config/beekeeper", "bus.config.json", "[{\"bus-id\": \"from-home\"}]");
    put("envdir", "bus.config.json", "[{\"bus-id\": \"from-env\"}]");
    put("explicit", "bus.config.json", "[{\"bus-id\": \"from-explicit\"}]");
    dir_of("empty");

    /* nothing set: ~/.config/beekeeper */
    assert_int_equal(bk_bus_config_load(&b, NULL, NULL, err, sizeof err), 0);
    assert_string_equal(bk_bus_config_id(b), "from-home");
    bk_bus_config_free(b);

    /* $BEEKEEPER_CONFIG_DIR before it */
    setenv("BEEKEEPER_CONFIG_DIR", dir_of("envdir"), 1);
    assert_int_equal(bk_bus_config_load(&b, NULL, NULL, err, sizeof err), 0);
    assert_string_equal(bk_bus_config_id(b), "from-env");
    bk_bus_config_free(b);

    /* the explicit folder before both */
    assert_int_equal(bk_bus_config_load(&b, dir_of("explicit"), NULL, err, sizeof err), 0);
    assert_string_equal(bk_bus_config_id(b), "from-explicit");
    bk_bus_config_free(b);

    /* a folder without the file is passed over */
    assert_int_equal(bk_bus_config_load(&b, dir_of("empty"), NULL, err, sizeof err), 0);
    assert_string_equal(bk_bus_config_id(b), "from-env");
    bk_bus_config_free(b);
    setenv("BEEKEEPER_CONFIG_DIR", dir_of("empty"), 1);
    assert_int_equal(bk_bus_config_load(&b, NULL, NULL, err, sizeof err), 0);
    assert_string_equal(bk_bus_config_id(b), "from-home");
    bk_bus_config_free(b);

    /* an empty variable is no folder */
    setenv("BEEKEEPER_CONFIG_DIR", "", 1);
    assert_int_equal(bk_bus_config_load(&b, NULL, NULL, err, sizeof err), 0);
    assert_string_equal(bk_bus_config_id(b), "from-home");
    bk_bus_config_free(b);
}

static void missing_file_lists_the_folders_tried(void **st)
{
    (void)st;
    char err[2048] = "", want[2048];
    bk_bus_config *b;
    bk_pool_config *p;
    setenv("BEEKEEPER_CONFIG_DIR", dir_of("nothing/env"), 1);
    setenv("HOME", dir_of("nothing/home"), 1);
    assert_int_equal(bk_bus_config_load(&b, dir_of("nothing/explicit"), NULL, err, sizeof err),
                     BK_ENOTFOUND);
    assert_null(b);
    snprintf(want, sizeof want,
             "bus.config.json not found in: %s/nothing/explicit, %s/nothing/env, "
             "%s/nothing/home/.config/beekeeper, /etc/beekeeper",
             root, root, root);
    assert_string_equal(err, want);

    unsetenv("HOME");
    assert_int_equal(bk_pool_config_load(&p, NULL, "x", err, sizeof err), BK_ENOTFOUND);
    assert_null(p);
    snprintf(want, sizeof want, "pool.config.json not found in: %s/nothing/env, /etc/beekeeper",
             root);
    assert_string_equal(err, want);

    /* the same folder twice is tried once */
    assert_int_equal(bk_pool_config_load(&p, dir_of("nothing/env"), "x", err, sizeof err),
                     BK_ENOTFOUND);
    assert_string_equal(err, want);

    /* a small buffer truncates; none at all is fine */
    char tiny[8];
    assert_int_equal(bk_bus_config_load(&b, NULL, NULL, tiny, sizeof tiny), BK_ENOTFOUND);
    assert_string_equal(tiny, "bus.con");
    assert_int_equal(bk_bus_config_load(&b, NULL, NULL, NULL, 0), BK_ENOTFOUND);
    assert_int_equal(bk_bus_config_load(NULL, NULL, NULL, err, sizeof err), BK_EINVAL);
    assert_int_equal(bk_pool_config_load(NULL, NULL, NULL, NULL, 0), BK_EINVAL);
}

static void syntax_error_gives_file_line_column(void **st)
{
    (void)st;
    char err[512] = "", want[PATH_MAX + 64];
    bk_bus_config *b;
    put("syntax", "bus.config.json",
        "[\n"
        "  { \"bus-id\": \"a\", // fine\n"
        "    \"port\" 61613 },\n"
        "]\n");
    assert_int_equal(bk_bus_config_load(&b, dir_of("syntax"), NULL, err, sizeof err),
                     BK_ESYNTAX);
    snprintf(want, sizeof want, "%s/syntax/bus.config.json:3:", root);
    assert_int_equal(strncmp(err, want, strlen(want)), 0);
    assert_has(err, "':' expected");

    put("syntax2", "bus.config.json", "[ /* never closed\n");
    assert_int_equal(bk_bus_config_load(&b, dir_of("syntax2"), NULL, err, sizeof err),
                     BK_ESYNTAX);
    assert_has(err, "/syntax2/bus.config.json:1:3: unterminated /* comment");
}

/* An entry error: the file text, the id asked for, the code, and what the message holds
 * after "ROOT/errs/bus.config.json". */
typedef struct bad_case {
    const char *text, *id;
    int rc;
    const char *msg;
} bad_case;

static void run_bad_cases(const char *file, const bad_case *cases, size_t n)
{
    char err[1024], want[PATH_MAX + 512];
    for (size_t i = 0; i < n; i++) {
        bk_bus_config *b = NULL;
        bk_pool_config *p = NULL;
        int rc;
        put("errs", file, cases[i].text);
        if (strcmp(file, "bus.config.json") == 0)
            rc = bk_bus_config_load(&b, dir_of("errs"), cases[i].id, err, sizeof err);
        else
            rc = bk_pool_config_load(&p, dir_of("errs"), cases[i].id, err, sizeof err);
        snprintf(want, sizeof want, "%s/errs/%s%s", root, file, cases[i].msg);
        if (rc != cases[i].rc || strncmp(err, want, strlen(want)) != 0)
            fail_msg("case %zu: got %d \"%s\"\nwanted %d \"%s...\"", i, rc, err, cases[i].rc,
                     want);
        assert_null(b);
        assert_null(p);
    }
}

static void bus_entry_errors_name_file_entry_and_key(void **st)
{
    (void)st;
    static const bad_case cases[] = {
        { "[\n  {\"bus-id\": \"a\"},\n  {\n    \"bus-id\": \"backend\",\n"
          "    # \"hots\": in a comment is not the key\n    \"hots\": \"x\",\n  },\n]\n",
          NULL, BK_ESYNTAX,
          ":6:5: entry 2 (bus-id \"backend\"): unknown key \"hots\" (expected one of: bus-id, "
          "cluster, host, hosts, port, user, pass, vhost, default, tls, tls_ca, tls_cert, tls_key, "
          "tls_verify)" },
        { "[{\"bus-id\": \"a\",\n  \"port\": \"61613\"}]", NULL, BK_ESYNTAX,
          ":2:3: entry 1 (bus-id \"a\"): \"port\": expected an integer from 1 to 65535" },
        { "[{\"bus-id\": \"a\", \"port\": 0}]", NULL, BK_ESYNTAX,
          ":1:18: entry 1 (bus-id \"a\"): \"port\": expected an integer" },
        { "[{\"bus-id\": \"a\", \"port\": 65536}]", NULL, BK_ESYNTAX,
          ":1:18: entry 1 (bus-id \"a\"): \"port\"" },
        { "[{\"bus-id\": \"a\"}, {\"host\": \"h\"}]", NULL, BK_ESYNTAX,
          ":1:19: entry 2: missing \"bus-id\"" },
        { "[{\"bus-id\": 7}]", NULL, BK_ESYNTAX,
          ":1:3: entry 1: \"bus-id\": expected a name of letters, digits, '_', '-' and '.'" },
        { "[{\"bus-id\": \"a b\"}]", NULL, BK_ESYNTAX,
          ":1:3: entry 1 (bus-id \"a b\"): \"bus-id\": expected a name" },
        { "[{\"bus-id\": \"a\", \"cluster\": \"x/y\"}]", NULL, BK_ESYNTAX,
          ":1:18: entry 1 (bus-id \"a\"): \"cluster\": expected a name" },
        { "[{\"bus-id\": \"a\", \"default\": \"yes\"}]", NULL, BK_ESYNTAX,
          ":1:18: entry 1 (bus-id \"a\"): \"default\": expected true or false" },
        { "[{\"bus-id\": \"a\", \"tls\": 2}]", NULL, BK_ESYNTAX,
          ":1:18: entry 1 (bus-id \"a\"): \"tls\": expected true or false" },
        { "[{\"bus-id\": \"a\", \"host\": 5}]", NULL, BK_ESYNTAX,
          ":1:18: entry 1 (bus-id \"a\"): \"host\": expected a host name or a list of 1 to 64" },
        { "[{\"bus-id\": \"a\", \"hosts\": []}]", NULL, BK_ESYNTAX,
          ":1:18: entry 1 (bus-id \"a\"): \"hosts\": expected a host name or a list" },
        { "[{\"bus-id\": \"a\", \"hosts\": [\"ok\", 3]}]", NULL, BK_ESYNTAX,
          ":1:18: entry 1 (bus-id \"a\"): \"hosts\": expected a list of host names" },
        { "[{\"bus-id\": \"a\", \"host\": \"h:99999\"}]", NULL, BK_ESYNTAX,
          ":1:18: entry 1 (bus-id \"a\"): \"host\": bad host \"h:99999\"" },
        { "[{\"bus-id\": \"a\",\n  \"host\": \"127.0.0.1:41069:1\"}]", NULL, BK_ESYNTAX,
          ":2:3: entry 1 (bus-id \"a\"): \"host\": bad host \"127.0.0.1:41069:1\"" },
        { "[{\"bus-id\": \"a\", \"hosts\": [\"::1\", \"a:b:c\"]}]", NULL, BK_ESYNTAX,
          ":1:18: entry 1 (bus-id \"a\"): \"hosts\": bad host \"a:b:c\"" },
        { "[{\"bus-id\": \"a\", \"host\": \"h\", \"hosts\": [\"i\"]}]", NULL, BK_ESYNTAX,
          ":1:31: entry 1 (bus-id \"a\"): both \"host\" and \"hosts\"" },
        { "[{\"bus-id\": \"a\", \"user\": [\"u\"]}]", NULL, BK_ESYNTAX,
          ":1:18: entry 1 (bus-id \"a\"): \"user\": expected a string" },
        { "[{\"bus-id\": \"a\", \"pass\": \"p\\nq\"}]", NULL, BK_ESYNTAX,
          ":1:18: entry 1 (bus-id \"a\"): \"pass\": expected a string without control" },
        { "[{\"bus-id\": \"a\", \"vhost\": \"\"}]", NULL, BK_ESYNTAX,
          ":1:18: entry 1 (bus-id \"a\"): \"vhost\": expected a non-empty string" },
        { "[{\"bus-id\": \"a\"},\n {\"bus-id\": \"b\"},\n {\"bus-id\": \"a\"}]", NULL, BK_ESYNTAX,
          ":3:3: entry 3 (bus-id \"a\"): bus-id \"a\" is already used by entry 1" },
        { "[{\"bus-id\": \"a\", \"default\": true},\n {\"bus-id\": \"b\", \"default\": true}]",
          "a", BK_ESYNTAX,
          ":2:18: entry 2 (bus-id \"b\"): \"default\": true, but entry 1 (bus-id \"a\") is the "
          "default already" },
        { "[{\"bus-id\": \"a\"}, \"b\"]", NULL, BK_ESYNTAX,
          ":1:19: entry 2: expected an object" },
        { "\n\n  {\"bus-id\": \"a\"}", NULL, BK_ESYNTAX,
          ":3:3: expected an array of bus entries" },
    };
    run_bad_cases("bus.config.json", cases, sizeof cases / sizeof cases[0]);
}

/* ---- pool.config.json ---- */

static void pool_workers_counts_modules_options(void **st)
{
    (void)st;
    char err[512] = "", want[PATH_MAX];
    bk_pool_config *p;
    put("pool", "pool.config.json",
        "# two pools\n"
        "[\n"
        "  { \"pool-id\": \"other\", \"bus-id\": \"b\", \"workers\": {}, },\n"
        "  {\n"
        "    \"pool-id\"    : \"myapp\",\n"
        "    \"bus-id\"     : \"backend\",\n"
        "    \"description\": \"my workers\",\n"
        "    \"log_file\"   : \"logs/myapp.log\",\n"
        "    \"workers\": {\n"
        "      \"w1\": { \"workers_count\": 4, \"module\": \"./mods/w1.so\",\n"
        "               \"greeting\": \"hi\", \"limits\": { \"max\": 3 } },\n"
        "      \"w2\": { },   // one worker, no module\n"
        "      \"w3\": { \"worker_count\": 0, \"module\": \"/abs/w3.so\" },\n"
        "    },\n"
        "  },\n"
        "]\n");
    assert_int_equal(bk_pool_config_load(&p, dir_of("pool"), "myapp", err, sizeof err), 0);
    assert_string_equal(bk_pool_config_id(p), "myapp");
    assert_string_equal(bk_pool_config_bus_id(p), "backend");
    assert_string_equal(bk_pool_config_description(p), "my workers");
    snprintf(want, sizeof want, "%s/pool", root);
    assert_string_equal(bk_pool_config_dir(p), want);
    snprintf(want, sizeof want, "%s/pool/pool.config.json", root);
    assert_string_equal(bk_pool_config_path(p), want);
    snprintf(want, sizeof want, "%s/pool/logs/myapp.log", root);
    assert_string_equal(bk_pool_config_log_file(p), want);

    const bk_pool_worker *w;
    assert_int_equal(bk_pool_config_workers(p, &w), 3);
    assert_string_equal(w[0].name, "w1");
    assert_int_equal(w[0].count, 4);
    snprintf(want, sizeof want, "%s/pool/mods/w1.so", root);
    assert_string_equal(w[0].module, want);
    assert_true(json_is_object(w[0].options));
    assert_int_equal(json_object_size(w[0].options), 2);
    assert_string_equal(json_string_value(json_object_get(w[0].options, "greeting")), "hi");
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(w[0].options, "limits"), "max")), 3);

    assert_string_equal(w[1].name, "w2");
    assert_int_equal(w[1].count, 1);
    assert_null(w[1].module);
    assert_int_equal(json_object_size(w[1].options), 0);

    assert_string_equal(w[2].name, "w3");
    assert_int_equal(w[2].count, 0);
    assert_string_equal(w[2].module, "/abs/w3.so");
    assert_int_equal(json_object_size(w[2].options), 0);
    bk_pool_config_free(p);
    bk_pool_config_free(NULL);

    assert_int_equal(bk_pool_config_load(&p, dir_of("pool"), "other", err, sizeof err), 0);
    assert_int_equal(bk_pool_config_workers(p, &w), 0);
    assert_null(bk_pool_config_description(p));
    assert_null(bk_pool_config_log_file(p));
    bk_pool_config_free(p);

    assert_int_equal(bk_pool_config_load(&p, dir_of("pool"), NULL, err, sizeof err), BK_EINVAL);
    assert_has(err, "pool.config.json: 2 pools are defined; pick one by its pool-id "
                    "(other, myapp)");
    assert_int_equal(bk_pool_config_load(&p, dir_of("pool"), "nope", err, sizeof err),
                     BK_ENOTFOUND);
    assert_has(err, "pool.config.json: no pool \"nope\" (defined: other, myapp)");

    /* a relative folder still gives absolute paths */
    put("pool1", "pool.config.json",
        "[{\"pool-id\": \"p\", \"bus-id\": \"b\", \"workers\": {\"w\": {\"module\": \"w.so\"}}}]");
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(root), 0);
    assert_int_equal(bk_pool_config_load(&p, "pool1", NULL, err, sizeof err), 0);
    assert_int_equal(chdir(cwd), 0);
    assert_string_equal(bk_pool_config_path(p), "pool1/pool.config.json");
    bk_pool_config_workers(p, &w);
    snprintf(want, sizeof want, "%s/pool1/w.so", root);
    assert_string_equal(w[0].module, want);
    bk_pool_config_free(p);
}

static void pool_entry_errors_name_file_entry_and_key(void **st)
{
    (void)st;
    static const bad_case cases[] = {
        { "[{\"pool-id\": \"p\", \"bus-id\": \"b\", \"workers\": {},\n  \"log-file\": \"x\"}]",
          "p", BK_ESYNTAX,
          ":2:3: entry 1 (pool-id \"p\"): unknown key \"log-file\" (expected one of: pool-id, "
          "bus-id, workers, description, log_file)" },
        { "[{\"bus-id\": \"b\", \"workers\": {}}]", "p", BK_ESYNTAX,
          ":1:2: entry 1: missing \"pool-id\"" },
        { "[{\"pool-id\": \"p\", \"workers\": {}}]", "p", BK_ESYNTAX,
          ":1:2: entry 1 (pool-id \"p\"): missing \"bus-id\"" },
        { "[{\"pool-id\": \"p\", \"bus-id\": \"b\"}]", "p", BK_ESYNTAX,
          ":1:2: entry 1 (pool-id \"p\"): missing \"workers\"" },
        { "[{\"pool-id\": \"p\", \"bus-id\": \"b\", \"workers\": [\"w\"]}]", "p", BK_ESYNTAX,
          ":1:34: entry 1 (pool-id \"p\"): \"workers\": expected an object" },
        { "[{\"pool-id\": \"p\", \"bus-id\": \"b\", \"workers\": {\n  \"w\": 2}}]", "p",
          BK_ESYNTAX, ":2:3: entry 1 (pool-id \"p\"): worker \"w\": expected an object" },
        { "[{\"pool-id\": \"p\", \"bus-id\": \"b\", \"workers\": {\n"
          "  \"w\": {\"x\": 1, /* \"workers_count\" */\n         \"workers_count\": -1}}}]",
          "p", BK_ESYNTAX,
          ":3:10: entry 1 (pool-id \"p\"): worker \"w\": \"workers_count\": expected an "
          "integer from 0 to 1024" },
        { "[{\"pool-id\": \"p\", \"bus-id\": \"b\", \"workers\": {\"w\": {\"workers_count\": "
          "\"2\"}}}]",
          "p", BK_ESYNTAX, ":1:52: entry 1 (pool-id \"p\"): worker \"w\": \"workers_count\"" },
        { "[{\"pool-id\": \"p\", \"bus-id\": \"b\", \"workers\": {\"w\": {\"workers_count\": "
          "1.5}}}]",
          "p", BK_ESYNTAX, ":1:52: entry 1 (pool-id \"p\"): worker \"w\": \"workers_count\"" },
        { "[{\"pool-id\": \"p\", \"bus-id\": \"b\", \"workers\": {\"w\": {\"worker_count\": "
          "1025}}}]",
          "p", BK_ESYNTAX, ":1:52: entry 1 (pool-id \"p\"): worker \"w\": \"worker_count\"" },
        { "[{\"pool-id\": \"p\", \"bus-id\": \"b\", \"workers\": {\"w\": {\"worker_count\": 1, "
          "\"workers_count\": 1}}}]",
          "p", BK_ESYNTAX,
          ":1:52: entry 1 (pool-id \"p\"): worker \"w\": both \"workers_count\" and " },
        { "[{\"pool-id\": \"p\", \"bus-id\": \"b\", \"workers\": {\"w\": {\"module\": 3}}}]",
          "p", BK_ESYNTAX,
          ":1:52: entry 1 (pool-id \"p\"): worker \"w\": \"module\": expected a path" },
        { "[{\"pool-id\": \"p\", \"bus-id\": \"b\", \"workers\": {\"\": {}}}]", "p",
          BK_ESYNTAX, ":1:46: entry 1 (pool-id \"p\"): worker \"\": a worker name is empty" },
        { "[{\"pool-id\": \"p\", \"bus-id\": \"b\", \"workers\": {}},\n"
          " {\"pool-id\": \"p\", \"bus-id\": \"c\", \"workers\": {}}]",
          "p", BK_ESYNTAX,
          ":2:3: entry 2 (pool-id \"p\"): pool-id \"p\" is already used by entry 1" },
        { "[{\"pool-id\": \"p\", \"bus-id\": \"b\", \"workers\": {}, \"description\": 1}]", "p",
          BK_ESYNTAX, ":1:49: entry 1 (pool-id \"p\"): \"description\": expected a string" },
        { "[]", NULL, BK_ENOTFOUND, ": no pool is defined" },
        { "{\"pool-id\": \"p\"}", NULL, BK_ESYNTAX,
          ":1:1: expected an array of pool entries" },
    };
    run_bad_cases("pool.config.json", cases, sizeof cases / sizeof cases[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(bus_relaxed_json_with_defaults, reset_env),
        cmocka_unit_test_setup(bus_no_host_means_localhost, reset_env),
        cmocka_unit_test_setup(bus_host_lists_and_ports, reset_env),
        cmocka_unit_test_setup(bus_selection, reset_env),
        cmocka_unit_test_setup(bus_tls_keys_fill_the_client_options, reset_env),
        cmocka_unit_test_setup(search_order, reset_env),
        cmocka_unit_test_setup(missing_file_lists_the_folders_tried, reset_env),
        cmocka_unit_test_setup(syntax_error_gives_file_line_column, reset_env),
        cmocka_unit_test_setup(bus_entry_errors_name_file_entry_and_key, reset_env),
        cmocka_unit_test_setup(pool_workers_counts_modules_options, reset_env),
        cmocka_unit_test_setup(pool_entry_errors_name_file_entry_and_key, reset_env),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
