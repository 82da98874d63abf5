/* examples/chat/run/env and a frontend client: see env.h. */
#include "env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beekeeper/error.h"

static const struct {
    const char *key;
    size_t off, len;
} keys[] = {
#define K(k, f) {k, offsetof(chat_env, f), sizeof ((chat_env *)0)->f}
    K("FRONTEND_HOST", host), K("FRONTEND_VHOST", vhost), K("FRONTEND_VHOSTS", vhosts),
    K("FRONTEND_USER", user), K("FRONTEND_PASS", pass), K("BACKEND_CLUSTER", backend),
#undef K
};

static void set(chat_env *e, const char *key, const char *val)
{
    size_t n = strlen(val);
    if (n >= 2 && (val[0] == '"' || val[0] == '\'') && val[n - 1] == val[0]) {
        val++;
        n -= 2;
    }
    if (strcmp(key, "FRONTEND_PORT") == 0) {
        e->port = atoi(val);
        return;
    }
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(keys[i].key, key) == 0)
            snprintf((char *)e + keys[i].off, keys[i].len, "%.*s", (int)n, val);
}

int chat_env_load(chat_env *e, const char *path, const char *prog)
{
    memset(e, 0, sizeof *e);
    if (!path)
        path = getenv("CHAT_ENV") ? getenv("CHAT_ENV") : "examples/chat/run/env";
    FILE *f = fopen(path, "r");
    char line[1024];
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *eq = strchr(line, '=');
        if (line[0] == '#' || !eq)
            continue;
        *eq = '\0';
        set(e, line, eq + 1);
    }
    if (f)
        fclose(f);
    const char *v;
    if ((v = getenv("FRONTEND_PORT")))
        set(e, "FRONTEND_PORT", v);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if ((v = getenv(keys[i].key)))
            set(e, keys[i].key, v);
    if (!e->host[0] || e->port <= 0 || !e->vhost[0] || !e->backend[0]) {
        fprintf(stderr, "%s: %s: %s; start the chat with examples/chat/run.sh start\n", prog,
                path, f ? "FRONTEND_HOST, FRONTEND_PORT, FRONTEND_VHOST or BACKEND_CLUSTER "
                          "missing" : "cannot read it");
        return -1;
    }
    if (!e->vhosts[0])
        snprintf(e->vhosts, sizeof e->vhosts, "%s", e->vhost);
    return 0;
}

const char *chat_env_vhost(const chat_env *e, unsigned n, char *buf, size_t len)
{
    unsigned count = 0;
    for (const char *p = e->vhosts; *p; count++) {
        p += strspn(p, " ");
        p += strcspn(p, " ");
        p += strspn(p, " ");
    }
    n %= count ? count : 1;
    const char *p = e->vhosts + strspn(e->vhosts, " ");
    while (n--) {
        p += strcspn(p, " ");
        p += strspn(p, " ");
    }
    snprintf(buf, len, "%.*s", (int)strcspn(p, " "), p);
    return buf;
}

int chat_env_connect(const chat_env *e, const char *vhost, struct event_base *base,
                     int timeout_ms, const char *prog, bk_client **out)
{
    char hp[96];
    snprintf(hp, sizeof hp, "%s:%d", e->host, e->port);
    const char *hosts[] = {hp};
    bk_client_opts o = { .hosts = hosts, .nhosts = 1, .vhost = vhost ? vhost : e->vhost,
                         .user = e->user[0] ? e->user : NULL, .pass = e->pass,
                         .bus_id = "frontend", .cluster = "frontend", .base = base };
    int rc = bk_client_new(out, &o);
    if (rc == 0 && (rc = bk_client_connect_try(*out, timeout_ms)) != 0) {
        bk_client_free(*out);
        *out = NULL;
    }
    if (rc)
        fprintf(stderr, "%s: cannot connect to the frontend (%s, vhost %s): %s\n", prog, hp,
                o.vhost, bk_strerror(rc));
    return rc;
}
