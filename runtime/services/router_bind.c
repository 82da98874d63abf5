/* `_bkpr.router.bind` and `_bkpr.router.unbind` (doc/protocol.md, "Router details"): what a
 * worker asks of the routers for the frontend session of the request it handles (its
 * x-session and x-forward-reply; rpc/session.c sends them). The checks are 0.02's, so that
 * a 0.02 worker's binds are taken as its routers took them. */
#include <string.h>

#include "beekeeper/error.h"
#include "beekeeper/rpc.h"
#include "core/clock.h"
#include "services/router_int.h"

static int invalid(bk_request *req, const char *why)
{
    return bk_request_fail_new(req, BK_RPC_INVALID_PARAMS, json_string(why), "Invalid params");
}

/* A param that is absent (NULL) or a string (*out). */
static int str_param(json_t *params, const char *key, const char **out)
{
    json_t *v = json_object_get(params, key);
    *out = json_string_value(v);
    return !v || json_is_null(v) || *out;
}

/* [\w\\-]{min,}: 0.02's session ids (ActiveMQ's carry "\c"). */
static int session_ok(const char *s, size_t min)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!strchr("\\-_", s[n]) && !((s[n] >= 'a' && s[n] <= 'z') ||
                                       (s[n] >= 'A' && s[n] <= 'Z') ||
                                       (s[n] >= '0' && s[n] <= '9')))
            return 0;
    return n >= min;
}

/* "{frontend-cluster}.{name}": the name, else NULL. */
static const char *address_name(const bkp_router *r, const char *a)
{
    size_t n = strlen(r->frontend_cluster);
    if (strncmp(a, r->frontend_cluster, n) != 0 || a[n] != '.' || !bkp_router_name_ok(a + n + 1))
        return NULL;
    return a + n + 1;
}

/* "/(remote-temp|reply|temp)-queue/[\w.\\-]+@[\w-]+" */
static int reply_queue_ok(const char *q)
{
    static const char *const pfx[] = { "/temp-queue/", "/reply-queue/", "/remote-temp-queue/" };
    const char *at = strrchr(q, '@'), *t = NULL;
    for (size_t i = 0; i < 3 && !t; i++)
        if (strncmp(q, pfx[i], strlen(pfx[i])) == 0)
            t = q + strlen(pfx[i]);
    if (!t || !at || at == t || !bkp_router_name_ok(at + 1))
        return 0;
    for (; t < at; t++)
        if (!strchr(".\\-_", *t) && !((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') ||
                                      (*t >= '0' && *t <= '9')))
            return 0;
    return 1;
}

int bkp_router_bind(bk_request *req, json_t *params, void *arg)
{
    bkp_router *r = arg;
    const char *sid, *addr, *rq, *tok, *name = NULL;
    if (!str_param(params, "session_id", &sid) || !str_param(params, "address", &addr) ||
        !str_param(params, "reply_queue", &rq) || !str_param(params, "auth_tokens", &tok))
        return invalid(req, "session_id, address, reply_queue, auth_tokens: strings");
    if (!sid || !session_ok(sid, 16))
        return invalid(req, "session_id: 16 or more [A-Za-z0-9_\\-]");
    if (addr && !(name = address_name(r, addr)))
        return invalid(req, "address: {frontend cluster}.{name}");
    if (rq && !reply_queue_ok(rq))
        return invalid(req, "reply_queue: {reply queue}@{frontend bus}");
    if (!addr != !rq)
        return invalid(req, "address and reply_queue: both or neither");
    if (tok && strpbrk(tok, "\r\n"))
        return invalid(req, "auth_tokens: no newline");
    int rc = bkp_sessions_bind(r->sessions, sid, name, rq, tok, bkp_now_ms());
    return rc ? rc : bk_request_reply_new(req, json_true());
}

int bkp_router_unbind(bk_request *req, json_t *params, void *arg)
{
    bkp_router *r = arg;
    const char *sid, *addr, *name = NULL;
    if (!str_param(params, "session_id", &sid) || !str_param(params, "address", &addr))
        return invalid(req, "session_id, address: strings");
    if (sid && !session_ok(sid, 8))
        return invalid(req, "session_id: 8 or more [A-Za-z0-9_\\-]");
    if (addr && !(name = address_name(r, addr)))
        return invalid(req, "address: {frontend cluster}.{name}");
    if (!sid && !addr)
        return invalid(req, "session_id or address");
    if (sid)
        bkp_sessions_unbind(r->sessions, sid);
    if (name)
        bkp_sessions_unbind_address(r->sessions, name);
    return bk_request_reply_new(req, json_true());
}
