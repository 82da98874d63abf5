/* bus.config.json and pool.config.json (see beekeeper/config.h and doc/config.md).
 *
 * Every entry of a file is parsed and checked, then the one asked for is kept. Messages
 * about an entry carry FILE:LINE:COL, from the positions the relaxed-JSON loader noted
 * (config/rjson.h). */
#include "beekeeper/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beekeeper/client.h"
#include "beekeeper/error.h"
#include "config/rjson.h"
#include "net/hostport.h"

#define NPOS ((size_t)-1)
#define TOP ((size_t)-2)   /* fail_at: the file's top value, with its position */
#define DEFAULT_PORT 61613
#define NAME_MAX_LEN 200

#if defined(__GNUC__) || defined(__clang__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

struct bk_bus_config {
    char *path, *bus_id, *cluster, *user, *pass, *vhost;
    char *tls_ca, *tls_cert, *tls_key;  /* absolute once loaded */
    char **hosts;
    size_t nhosts;
    int is_default, tls, tls_verify;
};

struct bk_pool_config {
    char *path, *dir, *pool_id, *bus_id, *description, *log_file;
    bk_pool_worker *workers;
    size_t nworkers;
};

/* One config file being read. */
typedef struct cfile {
    const char *idkey;   /* "bus-id" or "pool-id": names entries in messages */
    char *path;          /* where it was found (new) */
    char *dir;           /* the folder, as given (new) */
    json_t *root;
    bkp_rjson_where *where; /* where root's values are in the file */
    char *err;
    size_t errlen;
} cfile;

static const char *const bus_keys[] = { "bus-id", "cluster", "host", "hosts", "port", "user",
                                        "pass", "vhost", "default", "tls", "tls_ca",
                                        "tls_cert", "tls_key", "tls_verify", NULL };
static const char *const pool_keys[] = { "pool-id", "bus-id", "workers", "description",
                                         "log_file", NULL };

static char *dupf(const char *fmt, ...) PRINTF_LIKE(1, 2);
static char *dupf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    return dupf("%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

/* ---- where things are in the file ---- */

/* Where entry `entry` (TOP: the top value) and then keys k[0..] are; as deep as found. */
static bkp_rjson_pos locate(const cfile *f, size_t entry, const char *const k[3])
{
    bkp_rjson_pos p = bkp_rjson_where_top(f->where), q, val;
    if (entry == TOP)
        return p;
    const json_t *v = json_array_get(f->root, entry);
    if (!(q = bkp_rjson_where_elem(f->where, f->root, entry)).line)
        return p;
    p = q;
    for (int j = 0; j < 3 && k[j]; j++) {
        if (!(q = bkp_rjson_where_key(f->where, v, k[j], &val)).line)
            return p;
        if (j == 2 || !k[j + 1])
            return q;
        p = val;
        v = json_object_get(v, k[j]);
    }
    return p;
}

/* Fills err with "FILE[:LINE:COL]: [entry N (ID-KEY "ID"): ]message" and returns rc. The
 * position is that of keys k1, k2, k3 (each may be NULL) of entry i; i is TOP for the top
 * value, NPOS for none (a message about the whole file). */
static int fail_at(cfile *f, int rc, size_t i, const char *k1, const char *k2, const char *k3,
                   const char *fmt, ...) PRINTF_LIKE(7, 8);
static int fail_at(cfile *f, int rc, size_t i, const char *k1, const char *k2, const char *k3,
                   const char *fmt, ...)
{
    char msg[512], loc[48] = "", who[300] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (i != NPOS) {
        const char *const k[3] = { k1, k2, k3 };
        bkp_rjson_pos p = locate(f, i, k);
        if (p.line)
            snprintf(loc, sizeof loc, ":%zu:%zu", p.line, p.col);
    }
    if (i != NPOS && i != TOP) {
        const char *id = json_string_value(json_object_get(json_array_get(f->root, i), f->idkey));
        if (id)
            snprintf(who, sizeof who, "entry %zu (%s \"%.200s\"): ", i + 1, f->idkey, id);
        else
            snprintf(who, sizeof who, "entry %zu: ", i + 1);
    }
    snprintf(f->err, f->errlen, "%s%s: %s%s", f->path, loc, who, msg);
    return rc;
}

/* The ids of all entries, "a, b, c", into buf. */
static const char *id_list(const cfile *f, char *buf, size_t n)
{
    size_t i, len = 0;
    json_t *e;
    buf[0] = '\0';
    json_array_foreach(f->root, i, e) {
        const char *id = json_string_value(json_object_get(e, f->idkey));
        int r = snprintf(buf + len, n - len, "%s%s", len ? ", " : "", id ? id : "?");
        if (r < 0 || (size_t)r >= n - len)
            break;
        len += (size_t)r;
    }
    return buf;
}

/* ---- finding and reading a file ---- */

static void cfile_clear(cfile *f)
{
    free(f->path);
    free(f->dir);
    bkp_rjson_where_free(f->where);
    json_decref(f->root);
}

static int cfile_load(cfile *f, const char *config_dir, const char *name, const char *what)
{
    const char *dirs[4];
    size_t nd = 0;
    char *home = NULL;
    int rc;
    const char *env = getenv("BEEKEEPER_CONFIG_DIR"), *h = getenv("HOME");
    if (config_dir && *config_dir)
        dirs[nd++] = config_dir;
    if (env && *env)
        dirs[nd++] = env;
    if (h && *h) {
        if (!(home = join(h, ".config/beekeeper"))) {
            snprintf(f->err, f->errlen, "out of memory");
            return BK_ENOMEM;
        }
        dirs[nd++] = home;
    }
    dirs[nd++] = "/etc/beekeeper";
    for (size_t i = 1; i < nd; i++) {   /* the same folder twice is tried once */
        for (size_t j = 0; j < i; j++) {
            if (strcmp(dirs[i], dirs[j]) == 0) {
                memmove(&dirs[i], &dirs[i + 1], (nd - i - 1) * sizeof *dirs);
                nd--;
                i--;
                break;
            }
        }
    }
    for (size_t i = 0; i < nd; i++) {
        if (!(f->path = join(dirs[i], name)) || !(f->dir = strdup(dirs[i]))) {
            snprintf(f->err, f->errlen, "out of memory");
            rc = BK_ENOMEM;
            goto out;
        }
        rc = bkp_rjson_loadf_where(f->path, &f->root, &f->where, f->err, f->errlen);
        if (rc != BK_ENOTFOUND)
            goto out;
        free(f->path);
        free(f->dir);
        f->path = f->dir = NULL;
    }
    size_t len = (size_t)snprintf(f->err, f->errlen, "%s not found in:", name);
    for (size_t i = 0; i < nd && len < f->errlen; i++)
        len += (size_t)snprintf(f->err + len, f->errlen - len, "%s %s", i ? "," : "", dirs[i]);
    rc = BK_ENOTFOUND;
out:
    free(home);
    if (rc == 0 && !json_is_array(f->root))
        rc = fail_at(f, BK_ESYNTAX, TOP, NULL, NULL, NULL,
                     "expected an array of %s entries: [ { \"%s\": ... }, ... ]", what, f->idkey);
    return rc;
}

/* ---- checking values ---- */

/* The string's value when v is a string without control characters (or NUL), else NULL. */
static const char *text_of(json_t *v)
{
    const char *s = json_string_value(v);
    if (!s || strlen(s) != json_string_length(v))
        return NULL;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < ' ' || *p == 0x7f)
            return NULL;
    return s;
}

/* A bus or pool id: [A-Za-z0-9_.-]+, as the bus protocol's names. */
static int name_ok(const char *s)
{
    if (!s || !*s || strlen(s) > NAME_MAX_LEN)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

/* true/false, or 1/0 as Perl Beekeeper's files write it. 1, 0, or -1 for anything else. */
static int flag_of(json_t *v)
{
    if (json_is_boolean(v))
        return json_is_true(v);
    if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1))
        return (int)json_integer_value(v);
    return -1;
}

static int check_keys(cfile *f, size_t i, json_t *e, const char *const *known)
{
    const char *k;
    json_t *v;
    json_object_foreach(e, k, v) {
        size_t j = 0;
        while (known[j] && strcmp(known[j], k) != 0)
            j++;
        if (!known[j]) {
            char list[256];
            size_t len = 0;
            for (j = 0; known[j] && len < sizeof list; j++)
                len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", j ? ", " : "",
                                        known[j]);
            return fail_at(f, BK_ESYNTAX, i, k, NULL, NULL,
                           "unknown key \"%.100s\" (expected one of: %s)", k, list);
        }
    }
    return 0;
}

/* A string key: *out is a copy of it (NULL when absent). kind: 0 any text, 1 an id
 * (name_ok), 2 non-empty text. */
static int get_text(cfile *f, size_t i, json_t *e, const char *key, int kind, int required,
                    char **out)
{
    json_t *v = json_object_get(e, key);
    *out = NULL;
    if (!v) {
        if (required)
            return fail_at(f, BK_ESYNTAX, i, NULL, NULL, NULL, "missing \"%s\"", key);
        return 0;
    }
    const char *s = text_of(v);
    if (!s || (kind == 1 && !name_ok(s)) || (kind == 2 && !*s))
        return fail_at(f, BK_ESYNTAX, i, key, NULL, NULL, "\"%s\": expected %s", key,
                       kind == 1   ? "a name of letters, digits, '_', '-' and '.'"
                       : kind == 2 ? "a non-empty string without control characters"
                                   : "a string without control characters");
    if (!(*out = strdup(s)))
        return fail_at(f, BK_ENOMEM, i, NULL, NULL, NULL, "out of memory");
    return 0;
}

/* path made absolute against the folder abs_dir. */
static char *resolve(const char *abs_dir, const char *path)
{
    if (path[0] == '/')
        return strdup(path);
    while (path[0] == '.' && path[1] == '/')
        for (path += 2; *path == '/'; path++)
            ;
    return join(abs_dir, path);
}

/* ---- bus.config.json ---- */

void bk_bus_config_free(bk_bus_config *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->nhosts; i++)
        free(b->hosts[i]);
    free(b->hosts);
    free(b->path);
    free(b->bus_id);
    free(b->cluster);
    free(b->user);
    free(b->pass);
    free(b->vhost);
    free(b->tls_ca);
    free(b->tls_cert);
    free(b->tls_key);
    free(b);
}

/* "host:port" from a host entry: "name", "1.2.3.4", "::1", "[::1]" get ":port"; "name:N"
 * and "[::1]:N" are kept. */
static char *host_port(const char *h, long port)
{
    const char *c = strchr(h, ':');
    if (h[0] == '[')
        return h[strlen(h) - 1] == ']' ? dupf("%s:%ld", h, port) : strdup(h);
    if (!c)
        return dupf("%s:%ld", h, port);
    if (strchr(c + 1, ':'))
        return dupf("[%s]:%ld", h, port);
    return strdup(h);
}

/* A host with two colons or more and no brackets is a bare IPv6 address, or a mistake such
 * as "127.0.0.1:41069:1", which host_port would otherwise bracket into a host that does not
 * exist. A zone ("fe80::1%eth0") is left for the resolver. */
static int bare_ipv6_or_not_ipv6(const char *h)
{
    const char *c = strchr(h, ':');
    if (h[0] == '[' || !c || !strchr(c + 1, ':'))
        return 1;
    char buf[64];
    unsigned char addr[16];
    size_t n = strcspn(h, "%");
    if (n >= sizeof buf)
        return 0;
    memcpy(buf, h, n);
    buf[n] = '\0';
    return inet_pton(AF_INET6, buf, addr) == 1;
}

static int bus_hosts(cfile *f, size_t i, json_t *e, bk_bus_config *b)
{
    json_t *host = json_object_get(e, "host"), *hosts = json_object_get(e, "hosts"), *one = NULL;
    const char *key = hosts ? "hosts" : "host";
    json_t *v = hosts ? hosts : host;
    long port = DEFAULT_PORT;
    json_t *pv = json_object_get(e, "port");
    if (host && hosts)
        return fail_at(f, BK_ESYNTAX, i, "hosts", NULL, NULL,
                       "both \"host\" and \"hosts\": give one (either takes a list)");
    if (pv) {
        if (!json_is_integer(pv) || json_integer_value(pv) < 1 || json_integer_value(pv) > 65535)
            return fail_at(f, BK_ESYNTAX, i, "port", NULL, NULL,
                           "\"port\": expected an integer from 1 to 65535");
        port = (long)json_integer_value(pv);
    }
    if (!v) {
        one = json_string("127.0.0.1");
        if (!one)
            return fail_at(f, BK_ENOMEM, i, NULL, NULL, NULL, "out of memory");
        v = one;
    }
    size_t n = json_is_array(v) ? json_array_size(v) : 1;
    int rc = 0;
    if ((!json_is_array(v) && !json_is_string(v)) || n == 0 || n > BKP_MAX_HOSTS) {
        rc = fail_at(f, BK_ESYNTAX, i, key, NULL, NULL,
                     "\"%s\": expected a host name or a list of 1 to %d of them", key,
                     BKP_MAX_HOSTS);
        goto out;
    }
    if (!(b->hosts = calloc(n, sizeof *b->hosts))) {
        rc = fail_at(f, BK_ENOMEM, i, NULL, NULL, NULL, "out of memory");
        goto out;
    }
    for (size_t j = 0; j < n; j++) {
        const char *h = text_of(json_is_array(v) ? json_array_get(v, j) : v);
        bkp_hostport hp;
        if (!h || !*h) {
            rc = fail_at(f, BK_ESYNTAX, i, key, NULL, NULL, "\"%s\": expected %s", key,
                         json_is_array(v) ? "a list of host names" : "a host name");
            goto out;
        }
        if (!bare_ipv6_or_not_ipv6(h)) {
            rc = fail_at(f, BK_ESYNTAX, i, key, NULL, NULL,
                         "\"%s\": bad host \"%.300s\" (expected a name or an IPv4 or IPv6 "
                         "address, optionally with :PORT; IPv6 with a port is [ADDR]:PORT)",
                         key, h);
            goto out;
        }
        if (!(b->hosts[j] = host_port(h, port))) {
            rc = fail_at(f, BK_ENOMEM, i, NULL, NULL, NULL, "out of memory");
            goto out;
        }
        b->nhosts++;
        int r = bkp_hostport_parse(&hp, b->hosts[j]);
        bkp_hostport_clear(&hp);
        if (r == BK_ENOMEM)
            rc = fail_at(f, BK_ENOMEM, i, NULL, NULL, NULL, "out of memory");
        else if (r)
            rc = fail_at(f, BK_ESYNTAX, i, key, NULL, NULL,
                         "\"%s\": bad host \"%.300s\" (expected a name or an IPv4 or IPv6 "
                         "address, optionally with :PORT)", key, h);
        if (rc)
            goto out;
    }
out:
    json_decref(one);
    return rc;
}

static int parse_bus(cfile *f, size_t i, json_t *e, bk_bus_config **out)
{
    int rc;
    bk_bus_config *b;
    *out = NULL;
    if (!json_is_object(e))
        return fail_at(f, BK_ESYNTAX, i, NULL, NULL, NULL,
                       "expected an object { \"bus-id\": ... }");
    if ((rc = check_keys(f, i, e, bus_keys)) != 0)
        return rc;
    if (!(b = calloc(1, sizeof *b)))
        return fail_at(f, BK_ENOMEM, i, NULL, NULL, NULL, "out of memory");
    if ((rc = get_text(f, i, e, "bus-id", 1, 1, &b->bus_id)) ||
        (rc = get_text(f, i, e, "cluster", 1, 0, &b->cluster)) ||
        (rc = get_text(f, i, e, "user", 0, 0, &b->user)) ||
        (rc = get_text(f, i, e, "pass", 0, 0, &b->pass)) ||
        (rc = get_text(f, i, e, "vhost", 2, 0, &b->vhost)) ||
        (rc = get_text(f, i, e, "tls_ca", 2, 0, &b->tls_ca)) ||
        (rc = get_text(f, i, e, "tls_cert", 2, 0, &b->tls_cert)) ||
        (rc = get_text(f, i, e, "tls_key", 2, 0, &b->tls_key)) || (rc = bus_hosts(f, i, e, b)))
        goto out;
    if (!b->vhost && !(b->vhost = strdup("/"))) {
        rc = fail_at(f, BK_ENOMEM, i, NULL, NULL, NULL, "out of memory");
        goto out;
    }
    static const char *const flags[] = { "default", "tls", "tls_verify" };
    int *const flag_out[] = { &b->is_default, &b->tls, &b->tls_verify };
    for (int j = 0; j < 3; j++) {
        json_t *v = json_object_get(e, flags[j]);
        int x = v ? flag_of(v) : j == 2;
        if (x < 0) {
            rc = fail_at(f, BK_ESYNTAX, i, flags[j], NULL, NULL,
                         "\"%s\": expected true or false", flags[j]);
            goto out;
        }
        *flag_out[j] = x;
    }
    /* A TLS key on a plain bus is a mistake that would otherwise go unseen. */
    static const char *const tls_keys[] = { "tls_ca", "tls_cert", "tls_key", "tls_verify" };
    for (int j = 0; j < 4 && !b->tls; j++)
        if (json_object_get(e, tls_keys[j])) {
            rc = fail_at(f, BK_ESYNTAX, i, tls_keys[j], NULL, NULL,
                         "\"%s\" needs \"tls\": true", tls_keys[j]);
            goto out;
        }
out:
    if (rc)
        bk_bus_config_free(b);
    else
        *out = b;
    return rc;
}

/* The TLS files, relative to the folder of the config file, made absolute: the client reads
 * them later, from whatever folder it runs in. */
static int tls_paths(cfile *f, size_t i, bk_bus_config *b)
{
    char **p[] = { &b->tls_ca, &b->tls_cert, &b->tls_key };
    char *abs_dir = NULL;
    int rc = 0;
    for (int j = 0; j < 3 && rc == 0; j++) {
        if (!*p[j] || (*p[j])[0] == '/')
            continue;
        if (!abs_dir && !(abs_dir = realpath(f->dir, NULL))) {
            rc = fail_at(f, BK_EIO, i, NULL, NULL, NULL, "%s: %s", f->dir, strerror(errno));
            break;
        }
        char *r = resolve(abs_dir, *p[j]);
        if (!r) {
            rc = fail_at(f, BK_ENOMEM, i, NULL, NULL, NULL, "out of memory");
            break;
        }
        free(*p[j]);
        *p[j] = r;
    }
    free(abs_dir);
    return rc;
}

/* Reads and checks every entry of bus.config.json into *all[0..*n) (the caller frees them
 * and the array, also on failure). */
static int load_all(cfile *f, const char *config_dir, bk_bus_config ***all, size_t *n)
{
    int rc = cfile_load(f, config_dir, "bus.config.json", "bus");
    if (rc)
        return rc;
    *n = json_array_size(f->root);
    if (*n && !(*all = calloc(*n, sizeof **all)))
        return fail_at(f, BK_ENOMEM, NPOS, NULL, NULL, NULL, "out of memory");
    bk_bus_config **v = *all;
    for (size_t i = 0; i < *n; i++) {
        if ((rc = parse_bus(f, i, json_array_get(f->root, i), &v[i])) != 0)
            return rc;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(v[j]->bus_id, v[i]->bus_id) == 0)
                return fail_at(f, BK_ESYNTAX, i, "bus-id", NULL, NULL,
                               "bus-id \"%s\" is already used by entry %zu", v[i]->bus_id, j + 1);
            if (v[j]->is_default && v[i]->is_default)
                return fail_at(f, BK_ESYNTAX, i, "default", NULL, NULL,
                               "\"default\": true, but entry %zu (bus-id \"%s\") is the "
                               "default already", j + 1, v[j]->bus_id);
        }
    }
    return 0;
}

int bk_bus_config_load(bk_bus_config **out, const char *config_dir, const char *bus_id,
                       char *err, size_t errlen)
{
    char dummy[1], ids[512];
    cfile f = { .idkey = "bus-id", .err = err && errlen ? err : dummy,
                .errlen = err && errlen ? errlen : sizeof dummy };
    bk_bus_config **all = NULL;
    size_t n = 0, pick = NPOS;
    if (!out) {
        snprintf(f.err, f.errlen, "bk_bus_config_load: out is NULL");
        return BK_EINVAL;
    }
    *out = NULL;
    int rc = load_all(&f, config_dir, &all, &n);
    if (rc)
        goto out;
    for (size_t i = 0; i < n && pick == NPOS; i++)
        if (bus_id ? strcmp(all[i]->bus_id, bus_id) == 0 : all[i]->is_default)
            pick = i;
    if (pick == NPOS && !bus_id && n == 1)
        pick = 0;
    if (pick == NPOS) {
        if (n == 0)
            rc = fail_at(&f, BK_ENOTFOUND, NPOS, NULL, NULL, NULL, "no bus is defined");
        else if (bus_id)
            rc = fail_at(&f, BK_ENOTFOUND, NPOS, NULL, NULL, NULL,
                         "no bus \"%.200s\" (defined: %s)", bus_id, id_list(&f, ids, sizeof ids));
        else
            rc = fail_at(&f, BK_EINVAL, NPOS, NULL, NULL, NULL,
                         "%zu buses and none has \"default\": true; pick one by its bus-id "
                         "(%s)", n, id_list(&f, ids, sizeof ids));
        goto out;
    }
    if ((rc = tls_paths(&f, pick, all[pick])) != 0)
        goto out;
    *out = all[pick];
    all[pick] = NULL;
    (*out)->path = f.path;
    f.path = NULL;
out:
    for (size_t i = 0; all && i < n; i++)
        bk_bus_config_free(all[i]);
    free(all);
    cfile_clear(&f);
    return rc;
}

int bk_bus_config_load_cluster(bk_bus_config ***out, size_t *nout, const char *config_dir,
                               const char *cluster, char *err, size_t errlen)
{
    char dummy[1];
    cfile f = { .idkey = "bus-id", .err = err && errlen ? err : dummy,
                .errlen = err && errlen ? errlen : sizeof dummy };
    bk_bus_config **all = NULL;
    size_t n = 0, k = 0;
    if (!out || !nout || !cluster) {
        snprintf(f.err, f.errlen, "bk_bus_config_load_cluster: a NULL argument");
        return BK_EINVAL;
    }
    *out = NULL;
    *nout = 0;
    int rc = load_all(&f, config_dir, &all, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *c = all[i]->cluster ? all[i]->cluster : all[i]->bus_id;
        if (strcmp(c, cluster) != 0)
            continue;
        if (all[i]->tls)
            rc = fail_at(&f, BK_EINVAL, i, "tls", NULL, NULL, "tls is not supported yet");
        else if (!(all[i]->path = strdup(f.path)))
            rc = fail_at(&f, BK_ENOMEM, NPOS, NULL, NULL, NULL, "out of memory");
        else {
            bk_bus_config *b = all[i];   /* k <= i: moved down, in file order */
            all[i] = NULL;
            all[k++] = b;
        }
    }
    if (rc == 0 && k == 0)
        rc = fail_at(&f, BK_ENOTFOUND, NPOS, NULL, NULL, NULL, "no bus of cluster \"%.200s\"",
                     cluster);
    if (rc == 0) {
        *out = all;
        *nout = k;
        for (size_t i = k; i < n; i++)
            bk_bus_config_free(all[i]);
        all = NULL;
    }
    for (size_t i = 0; all && i < n; i++)
        bk_bus_config_free(all[i]);
    free(all);
    cfile_clear(&f);
    return rc;
}

void bk_bus_config_client_opts(const bk_bus_config *b, bk_client_opts *o)
{
    if (!b || !o)
        return;
    o->hosts = (const char *const *)b->hosts;
    o->nhosts = b->nhosts;
    o->vhost = b->vhost;
    o->user = b->user;
    o->pass = b->pass;
    o->bus_id = b->bus_id;
    o->cluster = b->cluster ? b->cluster : b->bus_id;
    o->tls = b->tls;
    o->tls_ca = b->tls_ca;
    o->tls_cert = b->tls_cert;
    o->tls_key = b->tls_key;
    o->tls_no_verify = b->tls && !b->tls_verify;
}

const char *bk_bus_config_id(const bk_bus_config *b)
{
    return b ? b->bus_id : "";
}

const char *bk_bus_config_path(const bk_bus_config *b)
{
    return b ? b->path : "";
}

/* ---- pool.config.json ---- */

void bk_pool_config_free(bk_pool_config *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nworkers; i++) {
        free((char *)p->workers[i].name);
        free((char *)p->workers[i].module);
        json_decref(p->workers[i].options);
    }
    free(p->workers);
    free(p->path);
    free(p->dir);
    free(p->pool_id);
    free(p->bus_id);
    free(p->description);
    free(p->log_file);
    free(p);
}

static int parse_worker(cfile *f, size_t i, const char *name, json_t *opts, bk_pool_worker *w,
                        const char *abs_dir)
{
    json_t *wc = json_object_get(opts, "workers_count");
    json_t *wc2 = json_object_get(opts, "worker_count");
    json_t *mod = json_object_get(opts, "module"), *v;
    const char *key = wc ? "workers_count" : "worker_count", *k;
    if (wc && wc2)
        return fail_at(f, BK_ESYNTAX, i, "workers", name, "worker_count",
                       "worker \"%s\": both \"workers_count\" and \"worker_count\"", name);
    wc = wc ? wc : wc2;
    if (wc && (!json_is_integer(wc) || json_integer_value(wc) < 0 ||
               json_integer_value(wc) > BK_POOL_WORKERS_MAX))
        return fail_at(f, BK_ESYNTAX, i, "workers", name, key,
                       "worker \"%s\": \"%s\": expected an integer from 0 to %d", name, key,
                       BK_POOL_WORKERS_MAX);
    w->count = wc ? (int)json_integer_value(wc) : 1;
    if (mod) {
        const char *m = text_of(mod);
        if (!m || !*m)
            return fail_at(f, BK_ESYNTAX, i, "workers", name, "module",
                           "worker \"%s\": \"module\": expected a path", name);
        if (!(w->module = resolve(abs_dir, m)))
            return fail_at(f, BK_ENOMEM, i, NULL, NULL, NULL, "out of memory");
    }
    if (!(w->options = json_object()))
        return fail_at(f, BK_ENOMEM, i, NULL, NULL, NULL, "out of memory");
    json_object_foreach(opts, k, v) {
        if (strcmp(k, "workers_count") && strcmp(k, "worker_count") && strcmp(k, "module") &&
            json_object_set(w->options, k, v) != 0)
            return fail_at(f, BK_ENOMEM, i, NULL, NULL, NULL, "out of memory");
    }
    return 0;
}

static int parse_pool(cfile *f, size_t i, json_t *e, const char *abs_dir, bk_pool_config **out)
{
    int rc;
    bk_pool_config *p;
    char *log_file = NULL;
    *out = NULL;
    if (!json_is_object(e))
        return fail_at(f, BK_ESYNTAX, i, NULL, NULL, NULL,
                       "expected an object { \"pool-id\": ... }");
    if ((rc = check_keys(f, i, e, pool_keys)) != 0)
        return rc;
    if (!(p = calloc(1, sizeof *p)))
        return fail_at(f, BK_ENOMEM, i, NULL, NULL, NULL, "out of memory");
    json_t *workers = json_object_get(e, "workers"), *opts;
    const char *name;
    if ((rc = get_text(f, i, e, "pool-id", 1, 1, &p->pool_id)) ||
        (rc = get_text(f, i, e, "bus-id", 1, 1, &p->bus_id)) ||
        (rc = get_text(f, i, e, "description", 0, 0, &p->description)) ||
        (rc = get_text(f, i, e, "log_file", 2, 0, &log_file)))
        goto out;
    if (log_file && !(p->log_file = resolve(abs_dir, log_file))) {
        rc = fail_at(f, BK_ENOMEM, i, NULL, NULL, NULL, "out of memory");
        goto out;
    }
    if (!workers) {
        rc = fail_at(f, BK_ESYNTAX, i, NULL, NULL, NULL, "missing \"workers\"");
        goto out;
    }
    if (!json_is_object(workers)) {
        rc = fail_at(f, BK_ESYNTAX, i, "workers", NULL, NULL,
                     "\"workers\": expected an object { \"worker name\": { options }, ... }");
        goto out;
    }
    if (json_object_size(workers) &&
        !(p->workers = calloc(json_object_size(workers), sizeof *p->workers))) {
        rc = fail_at(f, BK_ENOMEM, i, NULL, NULL, NULL, "out of memory");
        goto out;
    }
    json_object_foreach(workers, name, opts) {
        bk_pool_worker *w = &p->workers[p->nworkers];
        const char *bad = !*name                   ? "a worker name is empty"
                          : !json_is_object(opts) ? "expected an object of options"
                                                  : NULL;
        for (const char *c = name; !bad && *c; c++)
            if ((unsigned char)*c < ' ' || *c == 0x7f)
                bad = "a worker name holds a control character";
        if (bad) {
            rc = fail_at(f, BK_ESYNTAX, i, "workers", name, NULL, "worker \"%.100s\": %s", name,
                         bad);
            goto out;
        }
        if (!(w->name = strdup(name))) {
            rc = fail_at(f, BK_ENOMEM, i, NULL, NULL, NULL, "out of memory");
            goto out;
        }
        p->nworkers++;
        if ((rc = parse_worker(f, i, name, opts, w, abs_dir)) != 0)
            goto out;
    }
out:
    free(log_file);
    if (rc)
        bk_pool_config_free(p);
    else
        *out = p;
    return rc;
}

int bk_pool_config_load(bk_pool_config **out, const char *config_dir, const char *pool_id,
                        char *err, size_t errlen)
{
    char dummy[1], ids[512];
    cfile f = { .idkey = "pool-id", .err = err && errlen ? err : dummy,
                .errlen = err && errlen ? errlen : sizeof dummy };
    bk_pool_config **all = NULL;
    char *abs_dir = NULL;
    size_t n = 0, pick = NPOS;
    if (!out) {
        snprintf(f.err, f.errlen, "bk_pool_config_load: out is NULL");
        return BK_EINVAL;
    }
    *out = NULL;
    int rc = cfile_load(&f, config_dir, "pool.config.json", "pool");
    if (rc)
        goto out;
    if (!(abs_dir = realpath(f.dir, NULL))) {
        int e = errno;
        snprintf(f.err, f.errlen, "%s: %s", f.dir, strerror(e));
        rc = e == ENOMEM ? BK_ENOMEM : BK_EIO;
        goto out;
    }
    n = json_array_size(f.root);
    if (n && !(all = calloc(n, sizeof *all))) {
        rc = fail_at(&f, BK_ENOMEM, NPOS, NULL, NULL, NULL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if ((rc = parse_pool(&f, i, json_array_get(f.root, i), abs_dir, &all[i])) != 0)
            goto out;
        for (size_t j = 0; j < i; j++)
            if (strcmp(all[j]->pool_id, all[i]->pool_id) == 0) {
                rc = fail_at(&f, BK_ESYNTAX, i, "pool-id", NULL, NULL,
                             "pool-id \"%s\" is already used by entry %zu", all[i]->pool_id,
                             j + 1);
                goto out;
            }
    }
    for (size_t i = 0; i < n && pick == NPOS; i++)
        if (!pool_id || strcmp(all[i]->pool_id, pool_id) == 0)
            pick = i;
    if (n == 0) {
        rc = fail_at(&f, BK_ENOTFOUND, NPOS, NULL, NULL, NULL, "no pool is defined");
    } else if (pick == NPOS) {
        rc = fail_at(&f, BK_ENOTFOUND, NPOS, NULL, NULL, NULL, "no pool \"%.200s\" (defined: %s)",
                     pool_id, id_list(&f, ids, sizeof ids));
    } else if (!pool_id && n > 1) {
        rc = fail_at(&f, BK_EINVAL, NPOS, NULL, NULL, NULL,
                     "%zu pools are defined; pick one by its pool-id (%s)", n,
                     id_list(&f, ids, sizeof ids));
    }
    if (rc)
        goto out;
    *out = all[pick];
    all[pick] = NULL;
    (*out)->path = f.path;
    (*out)->dir = abs_dir;
    f.path = abs_dir = NULL;
out:
    for (size_t i = 0; all && i < n; i++)
        bk_pool_config_free(all[i]);
    free(all);
    free(abs_dir);
    cfile_clear(&f);
    return rc;
}

const char *bk_pool_config_id(const bk_pool_config *p)
{
    return p ? p->pool_id : "";
}

const char *bk_pool_config_bus_id(const bk_pool_config *p)
{
    return p ? p->bus_id : "";
}

const char *bk_pool_config_path(const bk_pool_config *p)
{
    return p ? p->path : "";
}

const char *bk_pool_config_dir(const bk_pool_config *p)
{
    return p ? p->dir : "";
}

const char *bk_pool_config_description(const bk_pool_config *p)
{
    return p ? p->description : NULL;
}

const char *bk_pool_config_log_file(const bk_pool_config *p)
{
    return p ? p->log_file : NULL;
}

size_t bk_pool_config_workers(const bk_pool_config *p, const bk_pool_worker **out)
{
    if (out)
        *out = p ? p->workers : NULL;
    return p ? p->nworkers : 0;
}
