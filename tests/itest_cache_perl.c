/* A Perl Beekeeper 0.02 SharedCache member and ours converge on one table (BK_TEST_*; skipped
 * without a broker, without ../shared/peers, or without 0.02's Perl modules). The Perl
 * member is tests/itest_cache_peer.pl, on the Perl tree extracted at run time into a
 * temporary folder (its code is never part of ours), driven through a pipe while our loop
 * runs. Ours is a member in this process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "beekeeper/cache.h"
#include "beekeeper/client.h"
#include "beekeeper/error.h"
#include "itest_env.h"

static struct event_base *g_base;
static bk_client *g_c;
static char g_tmp[64] = "", g_tree[128], g_id[32];
static pid_t g_perl = -1;
static int g_to = -1, g_from = -1;
static char g_buf[65536];
static size_t g_len;
static const char *g_why;     /* why the test skips, when it does */

static int g_got_dump = -1;

static void on_synced(bk_cache *c, int got_dump, void *arg)
{
    (void)c;
    (void)arg;
    g_got_dump = got_dump;
}

static void run(int ms)
{
    bk_client_run_for(g_c, ms);
}

/* The peers' folder: BK_TEST_PEERS, else ../shared/peers beside the checkout, else beside
 * the main checkout of this git worktree. */
static int find_tarball(char *path, size_t n)
{
    const char *env = getenv("BK_TEST_PEERS");
    if (env && *env) {
        snprintf(path, n, "%s/beekeeper-0.02.tar.gz", env);
        return access(path, R_OK) == 0;
    }
    snprintf(path, n, "%s/../shared/peers/beekeeper-0.02.tar.gz", BK_TOP);
    if (access(path, R_OK) == 0)
        return 1;
    char common[512] = "";
    if (bkt_sh(common, sizeof common, 0,
               "git -C '%s' rev-parse --path-format=absolute --git-common-dir 2>/dev/null",
               BK_TOP) != 0)
        return 0;
    common[strcspn(common, "\n")] = '\0';
    snprintf(path, n, "%s/../../shared/peers/beekeeper-0.02.tar.gz", common);
    return access(path, R_OK) == 0;
}

/* One line from the Perl member (without its newline) into out, running our loop while it
 * comes; 0, or -1 after 15 s or at its end. */
static int perl_line(char *out, size_t n)
{
    for (int tries = 0; tries < 750; tries++) {
        char *nl = memchr(g_buf, '\n', g_len);
        if (nl) {
            size_t k = (size_t)(nl - g_buf);
            snprintf(out, n, "%.*s", (int)k, g_buf);
            memmove(g_buf, nl + 1, g_len - k - 1);
            g_len -= k + 1;
            return 0;
        }
        struct pollfd p = { .fd = g_from, .events = POLLIN };
        if (poll(&p, 1, 0) > 0) {
            ssize_t r = read(g_from, g_buf + g_len, sizeof g_buf - g_len - 1);
            if (r <= 0)
                return -1;
            g_len += (size_t)r;
            continue;
        }
        run(20);
    }
    return -1;
}

/* Sends one command and returns its answer's line in out. */
__attribute__((format(printf, 3, 4)))
static void perl_cmd(char *out, size_t n, const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(cmd, sizeof cmd - 1, fmt, ap);
    va_end(ap);
    cmd[k++] = '\n';
    assert_int_equal(write(g_to, cmd, (size_t)k), k);
    assert_int_equal(perl_line(out, n), 0);
}

/* Runs the loop until the Perl member's value of key is want (its [V] line), up to 10 s. */
static int perl_has(const char *key, const char *want)
{
    char out[4096];
    for (int tries = 0; tries < 100; tries++) {
        perl_cmd(out, sizeof out, "{\"op\":\"get\",\"key\":\"%s\"}", key);
        if (strcmp(out, want) == 0)
            return 1;
        run(100);
    }
    print_error("Perl has %s = %s, not %s\n", key, out, want);
    return 0;
}

static int ours_has(bk_cache *c, const char *key, const char *want)
{
    for (int tries = 0; tries < 200; tries++) {
        json_t *v = NULL;
        char *t = bk_cache_get(c, key, &v) == 0 ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)
                                                : strdup("-");
        int ok = strcmp(t, want) == 0;
        if (!ok && tries == 199)
            print_error("ours has %s = %s, not %s\n", key, t, want);
        free(t);
        if (ok)
            return 1;
        run(50);
    }
    return 0;
}

static void start_perl(void)
{
    int in[2], out[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    char port[16];
    snprintf(port, sizeof port, "%s", strrchr(bkt.addr, ':') + 1);
    char host[300];
    snprintf(host, sizeof host, "%.*s", (int)(strrchr(bkt.addr, ':') - bkt.addr), bkt.addr);
    g_perl = fork();
    assert_true(g_perl >= 0);
    if (g_perl == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        alarm(120);
        execlp("perl", "perl", BK_TOP "/tests/itest_cache_peer.pl", g_tree, g_tmp, host, port,
               bkt.vhost ? bkt.vhost : "/", bkt.user ? bkt.user : "", bkt.pass ? bkt.pass : "",
               bkt.cluster, g_id, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    g_to = in[1];
    g_from = out[0];
    char line[256];
    assert_int_equal(perl_line(line, sizeof line), 0);
    assert_string_equal(line, "ready");
}

static int setup(void **st)
{
    (void)st;
    if (!bkt.broker)
        return 0;
    char tarball[600], out[512];
    if (!find_tarball(tarball, sizeof tarball)) {
        g_why = "../shared/peers/beekeeper-0.02.tar.gz is absent";
        return 0;
    }
    if (bkt_sh(out, sizeof out, BKT_STDERR,
               "perl -e 'use AnyEvent; use AnyEvent::Handle; use JSON::XS; use Time::HiRes'") != 0) {
        g_why = "0.02's Perl modules (AnyEvent, JSON::XS) are missing";
        return 0;
    }
    snprintf(g_tmp, sizeof g_tmp, "/tmp/bk-cache-perl.XXXXXX");
    if (!mkdtemp(g_tmp))
        return -1;
    snprintf(g_tree, sizeof g_tree, "%s/beekeeper-0.02", g_tmp);
    if (bkt_sh(out, sizeof out, BKT_STDERR, "tar xzf '%s' -C '%s'", tarball, g_tmp) != 0)
        return -1;
    snprintf(g_id, sizeof g_id, "p%06d", rand() % 1000000);
    g_base = event_base_new();
    bk_client_opts o = bkt_client_opts();
    o.base = g_base;
    return bk_client_new(&g_c, &o) || bk_client_connect_wait(g_c, 10000);
}

static int teardown(void **st)
{
    (void)st;
    if (g_to >= 0)
        close(g_to);   /* the end of its stdin ends the Perl member */
    if (g_perl > 0 && bkt_wait_exit(g_perl, 10000) < 0)
        bkt_stop(g_perl, SIGKILL);
    if (g_from >= 0)
        close(g_from);
    bk_client_free(g_c);
    if (g_base)
        event_base_free(g_base);
    bkt_config_dir_remove(g_tmp);
    return 0;
}

static void perl_and_ours_converge(void **st)
{
    (void)st;
    BKT_NEED_BROKER();
    if (g_why) {
        fprintf(stderr, "itest_cache_perl: skipped: %s\n", g_why);
        skip();
    }
    bk_cache *ours = NULL, *late = NULL;
    bk_cache_opts o = { .id = g_id, .clients = &g_c, .nclients = 1, .dump_wait_ms = 300,
                        .on_synced = on_synced };
    assert_int_equal(bk_cache_new(&ours, &o), 0);
    assert_int_equal(bk_cache_wait_synced(ours, 10000), 0);
    assert_int_equal(bk_cache_set_new(ours, "c1", json_pack("{s:s}", "from", "c")), 0);
    run(100);

    /* 0.02 asks for a dump, and ours answers it. */
    start_perl();
    char out[256];
    for (int tries = 0; tries < 100; tries++) {
        perl_cmd(out, sizeof out, "{\"op\":\"synced\"}");
        if (strcmp(out, "1") == 0)
            break;
        run(100);
    }
    assert_string_equal(out, "1");
    assert_true(perl_has("c1", "[{\"from\":\"c\"}]"));

    /* Updates both ways, deletes too. */
    perl_cmd(out, sizeof out, "{\"op\":\"set\",\"key\":\"p1\",\"value\":[7,null,{\"bar\":\"baz\"}]}");
    assert_true(ours_has(ours, "p1", "[7,null,{\"bar\":\"baz\"}]"));
    assert_int_equal(bk_cache_set_new(ours, "c1", json_integer(2)), 0);
    assert_true(perl_has("c1", "[2]"));
    perl_cmd(out, sizeof out, "{\"op\":\"set\",\"key\":\"c1\",\"value\":3}");
    assert_true(ours_has(ours, "c1", "3"));
    perl_cmd(out, sizeof out, "{\"op\":\"del\",\"key\":\"p1\"}");
    assert_true(ours_has(ours, "p1", "-"));
    assert_int_equal(bk_cache_delete(ours, "c1"), 0);
    assert_true(perl_has("c1", "[null]"));
    assert_int_equal(bk_cache_set_new(ours, "c2", json_string("two")), 0);
    assert_true(perl_has("c2", "[\"two\"]"));

    /* With ours gone, a new member of ours gets its dump from 0.02 (on its second bus). */
    bk_cache_free(ours);
    o.dump_wait_ms = 10000;
    assert_int_equal(bk_cache_new(&late, &o), 0);
    assert_int_equal(bk_cache_wait_synced(late, 15000), 0);
    assert_int_equal(g_got_dump, 1);
    bk_cache_stats s;
    assert_int_equal(bk_cache_stats_get(late, &s), 0);
    assert_true(s.applied >= 1);
    assert_true(ours_has(late, "c2", "\"two\""));
    assert_true(ours_has(late, "c1", "-"));
    assert_int_equal(s.dropped, 0);
    bk_cache_free(late);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    bkt_env_load("itest_cache_perl", "bkcp");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(perl_and_ours_converge, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
