/* What a chat program needs to reach the frontend: examples/chat/run/env, which run.sh
 * start writes (shell syntax, KEY=VALUE lines), and a client on it. */
#ifndef EXAMPLES_CHAT_ENV_H
#define EXAMPLES_CHAT_ENV_H

#include "beekeeper/client.h"

typedef struct chat_env {
    char host[64];
    int port;
    char vhost[128];             /* FRONTEND_VHOST: the first frontend vhost */
    char vhosts[512];            /* FRONTEND_VHOSTS: all of them, space-separated */
    char user[64];
    char pass[64];
    char backend[64];            /* BACKEND_CLUSTER: what calls are forwarded to */
} chat_env;

/* Reads path (NULL: $CHAT_ENV, else examples/chat/run/env); a variable of the same name in
 * the environment wins over the file. 0, or -1 with a message on stderr naming prog. */
int chat_env_load(chat_env *e, const char *path, const char *prog);

/* The nth vhost of FRONTEND_VHOSTS (cycling), in buf. */
const char *chat_env_vhost(const chat_env *e, unsigned n, char *buf, size_t len);

/* A client on the frontend (vhost NULL: FRONTEND_VHOST) on loop base (NULL: its own),
 * connected within timeout_ms: 0, or a bk_err with a message on stderr naming prog. */
int chat_env_connect(const chat_env *e, const char *vhost, struct event_base *base,
                     int timeout_ms, const char *prog, bk_client **out);

#endif
