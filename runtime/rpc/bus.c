/* rpc/bus.h over the STOMP connection: the services see these few calls instead of
 * stomp/conn.h and the client's insides. */
#include "rpc/bus.h"

#include <stdlib.h>
#include <string.h>

#include "beekeeper/rpc.h"
#include "rpc/client_int.h"
#include "rpc/jsonrpc.h"
#include "stomp/conn.h"

bkp_bus *bkp_bus_of(bk_client *c)
{
    return bkp_client_stomp(c);
}

int bkp_bus_new(bkp_bus **out, bk_client *c)
{
    return bkp_stomp_new_like(out, bkp_client_stomp(c), NULL, NULL, NULL);
}

static void relay_state(bkp_stomp *s, bkp_stomp_state st, int reason, const char *detail,
                        void *arg)
{
    (void)reason;
    (void)detail;
    bkp_bus_watch *w = arg;
    if (w->fn && (st == BKP_STOMP_CONNECTED || st == BKP_STOMP_DISCONNECTED ||
                  st == BKP_STOMP_CLOSED))
        w->fn(s, st == BKP_STOMP_CONNECTED, w->arg);
}

int bkp_bus_new_to(bkp_bus **out, bk_client *c, const bk_client_opts *o, bkp_bus_watch *watch)
{
    const char *login, *pass;
    bkp_stomp_login(bkp_client_stomp(c), &login, &pass);
    bkp_stomp_opts so = {
        .hosts = o->hosts,
        .nhosts = o->nhosts,
        .vhost = o->vhost ? o->vhost : "/",
        .login = login,
        .passcode = pass,
        .state_cb = relay_state,
        .arg = watch,
    };
    return bkp_stomp_new(out, bk_client_base(c), &so);
}

int bkp_bus_is_up(const bkp_bus *b)
{
    return bkp_stomp_state_get(b) == BKP_STOMP_CONNECTED;
}

const char *bkp_bus_server(const bkp_bus *b)
{
    return bkp_stomp_server(b);
}

size_t bkp_bus_pending_bytes(const bkp_bus *b)
{
    return bkp_stomp_pending_bytes(b);
}

int bkp_bus_start(bkp_bus *b)
{
    return bkp_stomp_start(b);
}

void bkp_bus_free(bkp_bus *b)
{
    bkp_stomp_free(b);
}

int bkp_bus_subscribe(bkp_bus *b, const char *dest, bkp_bus_ack_mode ack, unsigned window,
                      bkp_bus_msg_fn *fn, void *arg, bkp_bus_sub **out)
{
    bkp_sub_opts so = { .ack = ack == BKP_BUS_ACK_EACH ? BKP_ACK_CLIENT_INDIVIDUAL : BKP_ACK_AUTO,
                        .prefetch = window };
    return bkp_stomp_subscribe(b, dest, &so, fn, arg, out);
}

int bkp_bus_subscribe_temp(bkp_bus *b, const char *dest, bkp_bus_msg_fn *fn, void *arg,
                           bkp_bus_sub **out)
{
    return bkp_stomp_subscribe_temp(b, dest, fn, arg, out);
}

int bkp_bus_unsubscribe(bkp_bus *b, bkp_bus_sub *sub, bkp_bus_done_fn *done, void *arg)
{
    return bkp_stomp_unsubscribe(b, sub, done, arg);
}

const char *bkp_bus_msg_header(const bkp_bus_msg *m, const char *name)
{
    return bkp_frame_get(m, name);
}

const char *bkp_bus_msg_body(const bkp_bus_msg *m, size_t *len)
{
    *len = m->body_len;
    return m->body;
}

int bkp_bus_ack(bkp_bus *b, const bkp_bus_msg *m)
{
    return bkp_stomp_ack(b, m);
}

int bkp_bus_nack(bkp_bus *b, const bkp_bus_msg *m)
{
    return bkp_stomp_nack(b, m);
}

int bkp_bus_send(bkp_bus *b, const char *dest, const bkp_bus_header *h, size_t n,
                 const char *body, size_t len, uint64_t ttl_ms)
{
    bkp_header hs[BKP_BUS_MAX_HEADERS];
    if (n > BKP_BUS_MAX_HEADERS)
        return BK_ELIMIT;
    for (size_t i = 0; i < n; i++)  /* lengths 0: the encoder measures them */
        hs[i] = (bkp_header){ .name = h[i].name, .value = h[i].value };
    return bkp_stomp_send_ttl(b, dest, n ? hs : NULL, n, body, len, ttl_ms, NULL, NULL);
}

int bkp_bus_notify(bkp_bus *b, const char *dest, const char *method, json_t *params)
{
    size_t len;
    char *body;
    int rc = bkp_rpc_request_body(method, params, NULL, &body, &len);
    if (rc)
        return rc;
    return bkp_stomp_send_take(b, dest, NULL, 0, body, len, 0);
}

int bkp_bus_fail_request(bkp_bus *b, const bkp_bus_msg *m, int code)
{
    const char *reply = bkp_frame_get(m, "reply-to");
    const char *fwd = bkp_frame_get(m, "x-forward-reply");
    bkp_rpc_msg rm;
    bk_arena *a;
    char why[128], *text;
    int rc = BK_ENOMEM;
    if (bk_arena_new(&a) != 0)
        return rc;
    if (!(text = bk_arena_alloc(a, m->body_len + 1)))
        goto out;
    memcpy(text, m->body, m->body_len);
    rc = BK_EINVAL;
    /* a body that is no request at all still has its id answered, when it has one */
    bkp_rpc_decode(&rm, a, text, m->body_len, why, sizeof why);
    if (reply && *reply && rm.id.type && rm.kind != BKP_RPC_RESULT && rm.kind != BKP_RPC_ERROR) {
        size_t len;
        char *body;
        bkp_header h[1] = { { .name = "x-forward-reply", .value = fwd } };
        rc = bkp_rpc_error_body(&rm.id, code, bk_rpc_code_message(code), NULL, &body, &len);
        if (rc == 0)
            rc = bkp_stomp_send_take(b, reply, fwd ? h : NULL, fwd ? 1 : 0, body, len, 0);
    }
out:
    bk_arena_free(a);
    return rc;
}
