/* The worker's side of a router's sessions (doc/api.md, "Sessions"): binding the caller's
 * frontend connection to an address, with the tokens its later requests carry. The router
 * keeps the table; these only ask it, with the background jobs `_bkpr.router.bind` and
 * `_bkpr.router.unbind` that 0.02's workers send (params as in doc/protocol.md, "Router
 * details"). They are the wire contract of a router seen from a worker, not the router: it
 * is a built-in service (runtime/services/router*.c) that any router of the bus answers. */
#include "beekeeper/worker.h"

#include <string.h>

#include "beekeeper/error.h"
#include "rpc/jsonrpc.h"
#include "rpc/worker_hooks.h"

#define ROUTER_TOKEN "BKPR_ROUTER"

/* "{cluster}.{name}": [\w-]+ segments, at least two. */
static int address_ok(const char *a)
{
    const char *dot = a ? strchr(a, '.') : NULL;
    return dot && dot != a && bkp_method_valid(a, 0, NULL);
}

static int tokens_ok(const char *t)
{
    return !t || !strpbrk(t, "\r\n");
}

static int ask_router(bk_request *req, const char *method, json_t *params)
{
    bk_call_opts o = { .tokens = ROUTER_TOKEN };
    if (!params)
        return BK_ENOMEM;
    int rc = bk_call_background(bk_request_client(req), method, params, &o);
    json_decref(params);
    return rc;
}

int bk_request_bind(bk_request *req, const char *address, const char *tokens)
{
    const char *sid = bk_request_session(req), *rq = bkp_request_forward_reply(req);
    if (!req || (address && !address_ok(address)) || !tokens_ok(tokens))
        return BK_EINVAL;
    if (!*sid || (address && !*rq))
        return BK_ESTATE;
    json_t *p = json_pack("{s:s}", "session_id", sid);
    if (p && address && (json_object_set_new(p, "address", json_string(address)) ||
                         json_object_set_new(p, "reply_queue", json_string(rq)))) {
        json_decref(p);
        p = NULL;
    }
    if (p && tokens && *tokens && json_object_set_new(p, "auth_tokens", json_string(tokens))) {
        json_decref(p);
        p = NULL;
    }
    return ask_router(req, "_bkpr.router.bind", p);
}

int bk_request_unbind(bk_request *req)
{
    const char *sid = bk_request_session(req);
    if (!req)
        return BK_EINVAL;
    if (!*sid)
        return BK_ESTATE;
    return ask_router(req, "_bkpr.router.unbind", json_pack("{s:s}", "session_id", sid));
}

int bk_request_unbind_address(bk_request *req, const char *address)
{
    if (!req || !address_ok(address))
        return BK_EINVAL;
    return ask_router(req, "_bkpr.router.unbind", json_pack("{s:s}", "address", address));
}
