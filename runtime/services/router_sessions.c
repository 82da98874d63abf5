/* The Router's session table, in memory (router_sessions.h). One map by id; the sessions
 * of an address are a list threaded through them, its head in a second map. Expiry walks
 * the table every few seconds (the router's timer): simpler than a heap, and what 0.02's
 * max_age did. */
#include "services/router_sessions.h"

#include <stdlib.h>
#include <string.h>

#include "beekeeper/error.h"
#include "core/map.h"

typedef struct sess {
    char *id, *address, *reply_queue, *tokens;
    uint64_t touched;
    struct sess *next_of_addr;  /* the next session bound to the same address */
} sess;

typedef struct addr {
    char *name;
    sess *first;
} addr;

struct bkp_sessions {
    bkp_map by_id, by_addr;
    uint64_t timeout_ms;
};

int bkp_sessions_new(bkp_sessions **out, uint64_t timeout_ms)
{
    bkp_sessions *t = calloc(1, sizeof *t);
    if (!t)
        return BK_ENOMEM;
    t->timeout_ms = timeout_ms;
    *out = t;
    return 0;
}

static void detach(bkp_sessions *t, sess *s)
{
    addr *a = s->address ? bkp_map_get(&t->by_addr, s->address) : NULL;
    if (!a)
        return;
    for (sess **pp = &a->first; *pp; pp = &(*pp)->next_of_addr)
        if (*pp == s) {
            *pp = s->next_of_addr;
            break;
        }
    if (!a->first) {
        bkp_map_del(&t->by_addr, a->name);
        free(a->name);
        free(a);
    }
}

static void sess_free(sess *s)
{
    free(s->id);
    free(s->address);
    free(s->reply_queue);
    free(s->tokens);
    free(s);
}

static void forget(bkp_sessions *t, sess *s)
{
    detach(t, s);
    bkp_map_del(&t->by_id, s->id);
    sess_free(s);
}

void bkp_sessions_free(bkp_sessions *t)
{
    if (!t)
        return;
    BKP_MAP_EACH(&t->by_id, sl) {
        sess_free(sl->value);
    }
    BKP_MAP_EACH(&t->by_addr, sl) {
        addr *a = sl->value;
        free(a->name);
        free(a);
    }
    bkp_map_clear(&t->by_id);
    bkp_map_clear(&t->by_addr);
    free(t);
}

static int dup_or_null(const char *v, char **out)
{
    *out = v ? strdup(v) : NULL;
    return v && !*out;
}

int bkp_sessions_bind(bkp_sessions *t, const char *id, const char *address,
                      const char *reply_queue, const char *tokens, uint64_t now_ms)
{
    sess *s = calloc(1, sizeof *s);
    addr *a = NULL;
    if (!s || dup_or_null(id, &s->id) || dup_or_null(address, &s->address) ||
        dup_or_null(reply_queue, &s->reply_queue) || dup_or_null(tokens, &s->tokens))
        goto nomem;
    if (address && !(a = bkp_map_get(&t->by_addr, address))) {
        if (!(a = calloc(1, sizeof *a)) || !(a->name = strdup(address)) ||
            bkp_map_put(&t->by_addr, a->name, a) != 0) {
            if (a)
                free(a->name);
            free(a);
            goto nomem;
        }
    }
    sess *old = bkp_map_get(&t->by_id, id);
    if (old) {
        /* detaching may free the address record a points to, when old was its one */
        if (a && old->address && strcmp(old->address, address) == 0) {
            for (sess **pp = &a->first; *pp; pp = &(*pp)->next_of_addr)
                if (*pp == old) {
                    *pp = old->next_of_addr;
                    break;
                }
        } else
            detach(t, old);
        bkp_map_del(&t->by_id, old->id);
        sess_free(old);
    }
    if (bkp_map_put(&t->by_id, s->id, s) != 0) {
        if (a && !a->first) {
            bkp_map_del(&t->by_addr, a->name);
            free(a->name);
            free(a);
        }
        goto nomem;
    }
    s->touched = now_ms;
    if (a) {
        s->next_of_addr = a->first;
        a->first = s;
    }
    return 0;
nomem:
    if (s)
        sess_free(s);
    return BK_ENOMEM;
}

void bkp_sessions_unbind(bkp_sessions *t, const char *id)
{
    sess *s = bkp_map_get(&t->by_id, id);
    if (s)
        forget(t, s);
}

void bkp_sessions_unbind_address(bkp_sessions *t, const char *address)
{
    addr *a;
    while ((a = bkp_map_get(&t->by_addr, address)) != NULL)
        forget(t, a->first);    /* the last one frees a */
}

int bkp_sessions_touch(bkp_sessions *t, const char *id, uint64_t now_ms, bkp_session *out)
{
    sess *s = bkp_map_get(&t->by_id, id);
    if (!s)
        return BK_ENOTFOUND;
    s->touched = now_ms;
    *out = (bkp_session){ s->id, s->address, s->reply_queue, s->tokens };
    return 0;
}

size_t bkp_sessions_each_queue(bkp_sessions *t, const char *address,
                               void (*fn)(const char *reply_queue, void *arg), void *arg)
{
    addr *a = bkp_map_get(&t->by_addr, address);
    size_t n = 0;
    for (sess *s = a ? a->first : NULL; s; s = s->next_of_addr, n++)
        fn(s->reply_queue, arg);
    return n;
}

size_t bkp_sessions_expire(bkp_sessions *t, uint64_t now_ms)
{
    /* the map must not change during a walk: the idle ones are listed, then forgotten */
    size_t n = 0, cap = 0;
    sess **old = NULL;
    BKP_MAP_EACH(&t->by_id, sl) {
        sess *s = sl->value;
        if (now_ms < s->touched + t->timeout_ms)
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            sess **nv = realloc(old, nc * sizeof *nv);
            if (!nv)
                break;      /* the rest at the next walk */
            old = nv;
            cap = nc;
        }
        old[n++] = s;
    }
    for (size_t i = 0; i < n; i++)
        forget(t, old[i]);
    free(old);
    return n;
}

size_t bkp_sessions_count(const bkp_sessions *t)
{
    return t->by_id.len;
}
