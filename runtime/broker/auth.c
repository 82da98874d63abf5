/* The broker's configuration file: limits, users, and per user and vhost the destination
 * patterns it may read (subscribe) and write (send), and per user the limits of each of its
 * connections. Relaxed JSON (comments, trailing commas). Unknown keys are errors, so that a
 * misspelt permission never passes silently.
 *
 * A sealed frontend (doc/broker.md, "Sealing a frontend") is made of these alone: write
 * patterns that name the router's request lanes and nothing else, read patterns that name
 * the public topics, and connection limits. The patterns govern every destination a user
 * names, a reply queue or a reply-to included; only its own temp queues need no right. */
#include "broker/broker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "beekeeper/error.h"
#include "config/rjson.h"

typedef struct perms {
    char *vhost;
    json_t *read;   /* array of pattern strings */
    json_t *write;
} perms;

/* Glob over a destination: '*' matches any run of characters other than '.' and '/', '#'
 * matches any run at all. Recursive: patterns are the administrator's and few, destinations
 * are bounded by the frame limits. */
int brk_glob_match(const char *pat, const char *s)
{
    if (*pat == '\0')
        return *s == '\0';
    if (*pat == '#') {
        for (;; s++) {
            if (brk_glob_match(pat + 1, s))
                return 1;
            if (!*s)
                return 0;
        }
    }
    if (*pat == '*') {
        for (;; s++) {
            if (brk_glob_match(pat + 1, s))
                return 1;
            if (!*s || *s == '.' || *s == '/')
                return 0;
        }
    }
    return *pat == *s && brk_glob_match(pat + 1, s + 1);
}

static const brk_user anonymous = {.name = (char *)"anonymous"};

/* Keys the MAC of passwords that verified; new at each start. */
static unsigned char mac_key[crypto_generichash_KEYBYTES];

static int sodium_ready(void)
{
    static int done;
    if (!done) {
        if (sodium_init() < 0)
            return 0;
        randombytes_buf(mac_key, sizeof mac_key);
        done = 1;
    }
    return 1;
}

int brk_auth_hash_password(const char *pw, char *out, size_t outlen)
{
    if (outlen < crypto_pwhash_STRBYTES)
        return BK_EINVAL;
    if (!sodium_ready() ||
        crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return BK_ENOMEM;
    return 0;
}

/* Argon2 costs tens of milliseconds and 64 MiB by design, on the broker's one loop: a worker
 * pool that reconnects would stall everyone. So the last password that verified is kept as
 * a keyed MAC (never the password), and a login that matches it skips Argon2. */
static int password_ok(brk_user *u, const char *pass)
{
    if (!u->hashed)
        return strcmp(u->password, pass) == 0;
    unsigned char mac[sizeof u->ok_mac];
    if (!sodium_ready())
        return 0;
    crypto_generichash(mac, sizeof mac, (const unsigned char *)pass, strlen(pass), mac_key,
                       sizeof mac_key);
    if (u->has_ok && sodium_memcmp(mac, u->ok_mac, sizeof mac) == 0)
        return 1;
    if (crypto_pwhash_str_verify(u->password, pass, strlen(pass)) != 0)
        return 0;
    memcpy(u->ok_mac, mac, sizeof mac);
    u->has_ok = 1;
    return 1;
}

const brk_user *brk_auth_login(brk_broker *b, const char *login, const char *pass,
                               const char *vhost)
{
    if (!b->have_users)
        return &anonymous;
    if (!login || !pass)
        return NULL;
    brk_user *u = bkp_map_get(&b->users, login);
    if (!u || !password_ok(u, pass))
        return NULL;
    if (!bkp_map_get(&u->vhosts, vhost))
        return NULL;
    return u;
}

int brk_auth_may(const brk_user *u, const char *vhost, const char *dest, int write)
{
    if (u == &anonymous)
        return 1;
    const perms *p = bkp_map_get(&u->vhosts, vhost);
    if (!p)
        return 0;
    size_t i;
    json_t *pat;
    json_array_foreach(write ? p->write : p->read, i, pat)
        if (brk_glob_match(json_string_value(pat), dest))
            return 1;
    return 0;
}

static void user_free(brk_user *u)
{
    BKP_MAP_EACH(&u->vhosts, s) {
        perms *p = s->value;
        json_decref(p->read);
        json_decref(p->write);
        free(p->vhost);
        free(p);
    }
    bkp_map_clear(&u->vhosts);
    free(u->name);
    free(u->password);
    free(u);
}

void brk_broker_free_config(brk_broker *b)
{
    BKP_MAP_EACH(&b->users, s)
        user_free(s->value);
    bkp_map_clear(&b->users);
    for (size_t i = 0; i < b->nlisten; i++)
        free(b->listen[i]);
    free(b->listen);
    b->listen = NULL;
    b->nlisten = 0;
    for (size_t i = 0; i < b->nlisten_tls; i++)
        free(b->listen_tls[i]);
    free(b->listen_tls);
    b->listen_tls = NULL;
    b->nlisten_tls = 0;
    free(b->tls_cert);
    free(b->tls_key);
    free(b->tls_client_ca);
    b->tls_cert = b->tls_key = b->tls_client_ca = NULL;
}

/* The file being loaded and where its values are, for messages "PATH:LINE:COL: ...". */
typedef struct cfg {
    const char *path;
    bkp_rjson_where *w;
    char at[4200];
} cfg;

static const char *at_pos(cfg *c, bkp_rjson_pos p)
{
    if (p.line)
        snprintf(c->at, sizeof c->at, "%s:%zu:%zu", c->path, p.line, p.col);
    else
        snprintf(c->at, sizeof c->at, "%s", c->path);
    return c->at;
}

/* Where key is in object o, or where its value is (value set). */
static const char *at_key(cfg *c, const json_t *o, const char *key, int value)
{
    bkp_rjson_pos v = {0, 0};
    bkp_rjson_pos k = bkp_rjson_where_key(c->w, o, key, &v);
    return at_pos(c, value ? v : k);
}

static const char *at_elem(cfg *c, const json_t *a, size_t i)
{
    return at_pos(c, bkp_rjson_where_elem(c->w, a, i));
}

static int unknown_keys(json_t *obj, const char *const *known, cfg *c, const char *where,
                        char *err, size_t errlen)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        size_t i = 0;
        while (known[i] && strcmp(known[i], k) != 0)
            i++;
        if (!known[i]) {
            char list[256] = "";
            for (i = 0; known[i]; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                         known[i]);
            snprintf(err, errlen, "%s: unknown key '%s' in %s (expected one of: %s)",
                     at_key(c, obj, k, 0), k, where, list);
            return BK_ESYNTAX;
        }
    }
    return 0;
}

static const struct {
    const char *key;
    size_t off;
    int is_int;
} limit_keys[] = {
#define L(k, f) {k, offsetof(brk_broker_limits, f), 0}
#define I(k, f) {k, offsetof(brk_broker_limits, f), 1}
    L("max_frame_bytes", frame.max_frame),
    L("max_headers", frame.max_headers),
    L("max_header_bytes", frame.max_header_bytes),
    L("max_connections", max_connections),
    L("max_queue_messages", max_queue_messages),
    L("max_queued_bytes", max_queued_bytes),
    L("max_conn_outbuf_bytes", max_conn_outbuf),
    L("max_subscriptions", max_subscriptions),
    L("max_vhosts", max_vhosts),
    I("connect_timeout_ms", connect_timeout_ms),
    I("heartbeat_ms", heartbeat_ms),
    I("slow_consumer_ms", slow_consumer_ms),
#undef L
#undef I
};

static int load_limits(brk_broker *b, json_t *root, cfg *c, char *err, size_t errlen)
{
    json_t *o = json_object_get(root, "limits");
    if (!json_is_object(o)) {
        snprintf(err, errlen, "%s: \"limits\" must be an object", at_key(c, root, "limits", 1));
        return BK_ESYNTAX;
    }
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        size_t i = 0, n = sizeof limit_keys / sizeof limit_keys[0];
        while (i < n && strcmp(limit_keys[i].key, k) != 0)
            i++;
        if (i == n) {
            snprintf(err, errlen, "%s: unknown key '%s' in \"limits\"", at_key(c, o, k, 0), k);
            return BK_ESYNTAX;
        }
        json_int_t x = json_integer_value(v);
        if (!json_is_integer(v) || x <= 0 || x > (json_int_t)1 << 40 ||
            (limit_keys[i].is_int && x > 86400000)) {
            snprintf(err, errlen, "%s: limits.%s must be a positive integer", at_key(c, o, k, 1),
                     k);
            return BK_ESYNTAX;
        }
        char *field = (char *)&b->lim + limit_keys[i].off;
        if (limit_keys[i].is_int)
            *(int *)field = (int)x;
        else
            *(size_t *)field = (size_t)x;
    }
    return 0;
}

/* a is vhost object pv's "read" or "write" (what). */
static int patterns(json_t *a, json_t *pv, cfg *c, const char *user, const char *vh,
                    const char *what, char *err, size_t errlen)
{
    size_t i;
    json_t *p;
    const char *at = NULL;
    if (!json_is_array(a))
        goto bad;
    json_array_foreach(a, i, p)
        if (!json_is_string(p)) {
            at = at_elem(c, a, i);
            goto bad;
        }
    return 0;
bad:
    snprintf(err, errlen, "%s: users.%s.vhosts.%s.%s must be an array of pattern strings",
             at ? at : at_key(c, pv, what, 1), user, vh, what);
    return BK_ESYNTAX;
}

/* users.NAME.limits: what each connection of the user may hold and send. */
static int load_user_limits(brk_user *u, json_t *uo, cfg *c, char *err, size_t errlen)
{
    json_t *o = json_object_get(uo, "limits");
    static const char *const keys[] = {"max_queued_bytes", "max_sends_per_sec", NULL};
    char where[160];
    snprintf(where, sizeof where, "users.%.100s.limits", u->name);
    if (!json_is_object(o)) {
        snprintf(err, errlen, "%s: %s must be an object", at_key(c, uo, "limits", 1), where);
        return BK_ESYNTAX;
    }
    int rc = unknown_keys(o, keys, c, where, err, errlen);
    if (rc)
        return rc;
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        json_int_t x = json_integer_value(v);
        int rate = strcmp(k, "max_sends_per_sec") == 0;
        if (!json_is_integer(v) || x <= 0 || x > (rate ? 1000000 : (json_int_t)1 << 40)) {
            snprintf(err, errlen, "%s: %s.%s must be a positive integer%s", at_key(c, o, k, 1),
                     where, k, rate ? " up to 1000000" : "");
            return BK_ESYNTAX;
        }
        if (rate)
            u->max_sends_per_sec = (uint32_t)x;
        else
            u->max_queued_bytes = (size_t)x;
    }
    return 0;
}

static int load_user(brk_broker *b, const char *name, json_t *users, cfg *c, char *err,
                     size_t errlen)
{
    json_t *o = json_object_get(users, name);
    static const char *const ukeys[] = {"password", "vhosts", "limits", NULL};
    static const char *const vkeys[] = {"read", "write", NULL};
    char where[160];
    snprintf(where, sizeof where, "user '%.100s'", name);
    if (!json_is_object(o)) {
        snprintf(err, errlen, "%s: users.%s must be an object", at_key(c, users, name, 1), name);
        return BK_ESYNTAX;
    }
    int rc = unknown_keys(o, ukeys, c, where, err, errlen);
    if (rc)
        return rc;
    json_t *pw = json_object_get(o, "password"), *vhs = json_object_get(o, "vhosts");
    if (!json_is_string(pw) || !json_is_object(vhs)) {
        snprintf(err, errlen, "%s: user '%s' needs \"password\" (string) and \"vhosts\" (object)",
                 at_key(c, users, name, 1), name);
        return BK_ESYNTAX;
    }
    brk_user *u = calloc(1, sizeof *u);
    if (!u || !(u->name = strdup(name)) || !(u->password = strdup(json_string_value(pw))) ||
        bkp_map_put(&b->users, u->name, u) < 0) {
        if (u) {
            free(u->name);
            free(u->password);
        }
        free(u);
        return BK_ENOMEM;
    }
    u->hashed = strncmp(u->password, "$argon2", 7) == 0; /* Argon2id, or Argon2i of old */
    if (!u->hashed)
        brk_broker_log(b, 0, "%s: user '%s' has a plain password: store its hash instead "
                       "(bkpr-broker --hash-password)", c->path, name);
    if (json_object_get(o, "limits") && (rc = load_user_limits(u, o, c, err, errlen)))
        return rc;
    const char *vh;
    json_t *pv;
    json_object_foreach(vhs, vh, pv) {
        snprintf(where, sizeof where, "users.%.60s.vhosts.%.60s", name, vh);
        if (!json_is_object(pv)) {
            snprintf(err, errlen, "%s: %s must be an object", at_key(c, vhs, vh, 1), where);
            return BK_ESYNTAX;
        }
        if ((rc = unknown_keys(pv, vkeys, c, where, err, errlen)))
            return rc;
        json_t *rd = json_object_get(pv, "read"), *wr = json_object_get(pv, "write");
        if (!rd)
            rd = json_array();
        else
            json_incref(rd);
        if (!wr)
            wr = json_array();
        else
            json_incref(wr);
        perms *p = calloc(1, sizeof *p);
        if (!p || !(p->vhost = strdup(vh)) || bkp_map_put(&u->vhosts, p->vhost, p) < 0) {
            json_decref(rd);
            json_decref(wr);
            if (p)
                free(p->vhost);
            free(p);
            return BK_ENOMEM;
        }
        p->read = rd;
        p->write = wr;
        if ((rc = patterns(rd, pv, c, name, vh, "read", err, errlen)) ||
            (rc = patterns(wr, pv, c, name, vh, "write", err, errlen)))
            return rc;
    }
    return 0;
}

/* "listen" and "listen_tls": arrays of "HOST:PORT". */
static int load_addrs(json_t *root, const char *key, char ***out, size_t *n, cfg *c, char *err,
                      size_t errlen)
{
    json_t *listen = json_object_get(root, key), *a;
    size_t i;
    if (!listen)
        return 0;
    if (!json_is_array(listen) || json_array_size(listen) == 0 || json_array_size(listen) > 64) {
        snprintf(err, errlen, "%s: \"%s\" must be an array of 1 to 64 \"HOST:PORT\" strings",
                 at_key(c, root, key, 1), key);
        return BK_ESYNTAX;
    }
    if (!(*out = calloc(json_array_size(listen), sizeof **out)))
        return BK_ENOMEM;
    json_array_foreach(listen, i, a) {
        if (!json_is_string(a)) {
            snprintf(err, errlen, "%s: %s[%zu] must be a \"HOST:PORT\" string",
                     at_elem(c, listen, i), key, i);
            return BK_ESYNTAX;
        }
        if (!((*out)[(*n)++] = strdup(json_string_value(a))))
            return BK_ENOMEM;
    }
    return 0;
}

static int load_path(json_t *root, const char *key, char **out, cfg *c, char *err,
                     size_t errlen)
{
    json_t *v = json_object_get(root, key);
    if (!v)
        return 0;
    if (!json_is_string(v) || !*json_string_value(v)) {
        snprintf(err, errlen, "%s: \"%s\" must be a file name", at_key(c, root, key, 1), key);
        return BK_ESYNTAX;
    }
    return (*out = strdup(json_string_value(v))) ? 0 : BK_ENOMEM;
}

int brk_broker_load_config(brk_broker *b, const char *path, char *err, size_t errlen)
{
    static const char *const keys[] = {"listen", "listen_tls", "tls_cert", "tls_key",
                                       "tls_client_ca", "limits", "users", NULL};
    json_t *root = NULL;
    cfg *c = calloc(1, sizeof *c);
    if (!c)
        return BK_ENOMEM;
    c->path = path;
    int rc = bkp_rjson_loadf_where(path, &root, &c->w, err, errlen);
    if (rc)
        goto out;
    if (!json_is_object(root)) {
        snprintf(err, errlen, "%s: the configuration must be a JSON object",
                 at_pos(c, bkp_rjson_where_top(c->w)));
        rc = BK_ESYNTAX;
        goto out;
    }
    if ((rc = unknown_keys(root, keys, c, "the top level", err, errlen)))
        goto out;
    if (json_object_get(root, "limits") && (rc = load_limits(b, root, c, err, errlen)))
        goto out;
    if ((rc = load_addrs(root, "listen", &b->listen, &b->nlisten, c, err, errlen)) ||
        (rc = load_addrs(root, "listen_tls", &b->listen_tls, &b->nlisten_tls, c, err, errlen)) ||
        (rc = load_path(root, "tls_cert", &b->tls_cert, c, err, errlen)) ||
        (rc = load_path(root, "tls_key", &b->tls_key, c, err, errlen)) ||
        (rc = load_path(root, "tls_client_ca", &b->tls_client_ca, c, err, errlen)))
        goto out;
    json_t *users = json_object_get(root, "users");
    if (users) {
        if (!json_is_object(users)) {
            snprintf(err, errlen, "%s: \"users\" must be an object (name -> user)",
                     at_key(c, root, "users", 1));
            rc = BK_ESYNTAX;
            goto out;
        }
        const char *name;
        json_t *u;
        json_object_foreach(users, name, u)
            if ((rc = load_user(b, name, users, c, err, errlen)))
                goto out;
        b->have_users = json_object_size(users) > 0;
    }
out:
    bkp_rjson_where_free(c->w);
    free(c);
    json_decref(root);
    return rc;
}
