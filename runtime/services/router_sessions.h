/* The Router's session table: session id -> (address, reply queue, tokens), with the index
 * address -> sessions that unicast notifications need. Behind this small interface so that
 * the table can be replicated between routers (the Shared cache of doc/protocol.md) without
 * the router's lanes knowing; for now it lives in the process that made it.
 *
 * Strings are copied. Single-threaded: the router's loop owns it. */
#ifndef BKP_SERVICES_ROUTER_SESSIONS_H
#define BKP_SERVICES_ROUTER_SESSIONS_H

#include <stddef.h>
#include <stdint.h>

typedef struct bkp_sessions bkp_sessions;

/* What a session holds; borrowed from the table until the next call that changes it. */
typedef struct bkp_session {
    const char *id;
    const char *address;        /* without the frontend cluster's prefix; NULL: unbound */
    const char *reply_queue;    /* "{reply-to}@{frontend-bus-id}"; NULL when unbound */
    const char *tokens;         /* for x-auth-tokens; NULL: none */
} bkp_session;

/* A table whose sessions expire after timeout_ms without traffic. 0 or BK_ENOMEM. */
int bkp_sessions_new(bkp_sessions **out, uint64_t timeout_ms);
/* NULL does nothing. */
void bkp_sessions_free(bkp_sessions *t);

/* Sets session id (replacing what it held). address and reply_queue both or neither. 0,
 * BK_ENOMEM (the session is then as it was). */
int bkp_sessions_bind(bkp_sessions *t, const char *id, const char *address,
                      const char *reply_queue, const char *tokens, uint64_t now_ms);
/* Forgets session id; nothing when it is not there. */
void bkp_sessions_unbind(bkp_sessions *t, const char *id);
/* Forgets every session bound to address. */
void bkp_sessions_unbind_address(bkp_sessions *t, const char *address);

/* Session id, its time of last traffic set to now_ms; 0 and *out filled, or BK_ENOTFOUND. */
int bkp_sessions_touch(bkp_sessions *t, const char *id, uint64_t now_ms, bkp_session *out);
/* Calls fn with the reply queue of every session bound to address; returns how many. fn
 * must not change the table. */
size_t bkp_sessions_each_queue(bkp_sessions *t, const char *address,
                               void (*fn)(const char *reply_queue, void *arg), void *arg);
/* Forgets the sessions idle since before now_ms - timeout; returns how many. */
size_t bkp_sessions_expire(bkp_sessions *t, uint64_t now_ms);
size_t bkp_sessions_count(const bkp_sessions *t);

#endif
