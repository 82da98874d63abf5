/* The Router: carries requests from the frontend buses to the backend, their responses
 * back, and the backend's notifications out to the frontend (doc/protocol.md, "Router").
 * A worker module (pool.config.json key "router"), on the backend bus like any worker,
 * with a connection of its own to every bus of the frontend cluster.
 *
 * Options: "frontend_cluster" (default "frontend": every bus of that cluster in
 * bus.config.json, read from "config_dir" or where bkpr found its own),
 * "session_timeout" (seconds, default 1800), "max_body_bytes" (default 1 MiB).
 *
 * Lanes. Every lane (req. on each frontend, res. and msg. on the backend) is taken with
 * client-individual acks and a window of WINDOW messages; a message is ACKed once its copy
 * is queued on the other side, NACKed (back to the broker, for this or another router) when
 * the other side is down, so at most the windows are lost when a router dies. A timer keeps
 * the subscriptions in step with the connections: no frontend lanes while the backend is
 * down, no notification lanes while a frontend is down, no response lanes of a frontend
 * that is down.
 *
 * Hostile input. Whatever comes from a frontend is untrusted: a request is carried only
 * with a valid x-forward-to and reply-to and a body that fits, under a header set built
 * here (router_lanes.c). What is dropped is ACKed (consumed), counted by reason, and said at
 * debug level only, so that a flood of garbage floods neither the log nor the lanes. */
#include "services/router.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "beekeeper/config.h"
#include "beekeeper/log.h"
#include "core/clock.h"
#include "services/router_int.h"
#include "services/services.h"

#define DEFAULT_SESSION_TIMEOUT_S 1800
#define DEFAULT_MAX_BODY (1024 * 1024)
#define TICK_MS 250
#define EXPIRE_EVERY_MS 10000

static bkp_router g_router;

/* ------------------------------------------------------------------ keeping lanes in step */

static int lane_sub(bkp_bus *b, const char *pfx, const char *name, int lane, bkp_bus_msg_fn *fn,
                    void *arg, bkp_bus_sub **out)
{
    char dest[256];
    snprintf(dest, sizeof dest, "%s%s-%d", pfx, name, lane);
    int rc = bkp_bus_subscribe(b, dest, BKP_BUS_ACK_EACH, BKP_ROUTER_WINDOW, fn, arg, out);
    if (rc) {
        *out = NULL;
        bk_log_warn("router: cannot subscribe %s: %s", dest, bk_strerror(rc));
    }
    return rc;
}

static void lane_unsub(bkp_bus *b, bkp_bus_sub **sub, bkp_bus_done_fn *done, void *arg)
{
    if (*sub && bkp_bus_unsubscribe(b, *sub, done, arg) == 0 && done)
        ((bkp_router *)arg)->unsub_waiting++;
    *sub = NULL;
}

static void unsub_done(bkp_bus *b, int status, void *arg)
{
    (void)b;
    (void)status;
    bkp_router *r = arg;
    if (r->unsub_waiting)
        r->unsub_waiting--;
}

/* Subscribes what should be and ends what should not, from the connections' states. */
static void reconcile(bkp_router *r)
{
    if (r->stopping)
        return;
    int back_up = bkp_bus_is_up(r->back), all_front_up = r->nfront > 0;
    for (size_t i = 0; i < r->nfront; i++) {
        bkp_frontend *f = &r->front[i];
        int up = bkp_bus_is_up(f->bus);
        all_front_up = all_front_up && up;
        for (int l = 0; l < BKP_ROUTER_LANES; l++) {
            if (up && back_up && !f->req[l])
                lane_sub(f->bus, "/queue/req.", r->backend_cluster, l + 1,
                         bkp_router_on_request, &f->lane[l], &f->req[l]);
            else if (!(up && back_up) && f->req[l])
                lane_unsub(f->bus, &f->req[l], NULL, NULL);
            if (up && !f->res[l])
                lane_sub(r->back, "/queue/res.", f->bus_id, l + 1,
                         bkp_router_on_response, &f->lane[l], &f->res[l]);
            else if (!up && f->res[l])
                lane_unsub(r->back, &f->res[l], NULL, NULL);
        }
    }
    for (int l = 0; l < BKP_ROUTER_LANES; l++) {
        if (all_front_up && !r->msg[l])
            lane_sub(r->back, "/queue/msg.", r->frontend_cluster, l + 1,
                     bkp_router_on_notification, r, &r->msg[l]);
        else if (!all_front_up && r->msg[l])
            lane_unsub(r->back, &r->msg[l], NULL, NULL);
    }
}

static void on_front_state(bkp_bus *b, int up, void *arg)
{
    (void)b;
    bkp_frontend *f = arg;
    if (up)
        bk_log_info("router: connected to frontend %s", f->bus_id);
    else
        bk_log_warn("router: frontend %s is down", f->bus_id);
    /* a lost connection's subscriptions are gone with it for us too: forgotten, then
     * made again when it is back */
    if (!up)
        for (int l = 0; l < BKP_ROUTER_LANES; l++)
            if (f->req[l])
                lane_unsub(f->bus, &f->req[l], NULL, NULL);
    reconcile(f->r);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    bkp_router *r = arg;
    reconcile(r);
    uint64_t now = bkp_now_ms();
    if (now >= r->next_expiry) {
        size_t n = bkp_sessions_expire(r->sessions, now);
        if (n)
            bk_log_debug("router: %zu sessions expired", n);
        r->next_expiry = now + EXPIRE_EVERY_MS;
    }
}

/* ------------------------------------------------------------------ status */

/* What the status reports carry (bkpr-top shows it after the queues). */
static json_t *counters(void *arg)
{
    bkp_router *r = arg;
    const bkp_router_stats *s = &r->st;
    json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "requests", (json_int_t)s->requests,
                          "responses", (json_int_t)s->responses, "broadcasts",
                          (json_int_t)s->broadcasts, "unicasts", (json_int_t)s->unicasts,
                          "returned", (json_int_t)s->returned, "sessions",
                          (json_int_t)(r->sessions ? bkp_sessions_count(r->sessions) : 0));
    for (int d = 0; o && d < BKP_DROP_COUNT; d++) {
        char k[64];
        snprintf(k, sizeof k, "dropped_%s", bkp_router_drop_name((bkp_router_drop)d));
        json_object_set_new(o, k, json_integer((json_int_t)s->dropped[d]));
    }
    return o;
}

/* ------------------------------------------------------------------ set-up and stop */

/* Connects to the frontend bus of cfg (taken). */
static int add_frontend(bkp_router *r, bk_bus_config *cfg)
{
    bkp_frontend *f = &r->front[r->nfront++];
    f->cfg = cfg;
    const char *bus_id = bk_bus_config_id(cfg);
    bk_client_opts o = {0};
    bk_bus_config_client_opts(f->cfg, &o);
    f->r = r;
    f->bus_id = bk_bus_config_id(f->cfg);
    f->watch = (bkp_bus_watch){ on_front_state, f };
    for (int l = 0; l < BKP_ROUTER_LANES; l++)
        f->lane[l] = (bkp_lane){ .r = r, .f = f, .lane = l + 1 };
    int rc = bkp_bus_new_to(&f->bus, r->c, &o, &f->watch);
    if (rc == 0)
        rc = bkp_bus_start(f->bus);
    if (rc)
        bk_log_error("router: frontend bus %s: %s", bus_id, bk_strerror(rc));
    return rc;
}

static void release(bkp_router *r)
{
    bkp_report_set_counters(NULL, NULL);
    if (r->tick)
        event_free(r->tick);
    for (size_t i = 0; i < r->nfront; i++) {
        bkp_bus_free(r->front[i].bus);
        bk_bus_config_free(r->front[i].cfg);
    }
    free(r->front);
    bkp_sessions_free(r->sessions);
    free(r->frontend_cluster);
    free(r->backend_cluster);
    free(r->config_dir);
    memset(r, 0, sizeof *r);
}

/* Runs the loop until every UNSUBSCRIBE asked for has its receipt, or ms passed. */
static void wait_receipts(bkp_router *r, int ms)
{
    uint64_t end = bkp_now_ms() + (uint64_t)ms;
    while (r->unsub_waiting && bkp_now_ms() < end)
        bk_client_run_for(r->c, 50);
}

/* The graceful stop, in the documented order: nothing accepted is dropped. */
static void on_stop(bk_worker *w, void *arg)
{
    (void)w;
    bkp_router *r = arg;
    r->stopping = 1;
    for (size_t i = 0; i < r->nfront; i++)
        for (int l = 0; l < BKP_ROUTER_LANES; l++)
            lane_unsub(r->front[i].bus, &r->front[i].req[l], unsub_done, r);
    for (int l = 0; l < BKP_ROUTER_LANES; l++)
        lane_unsub(r->back, &r->msg[l], unsub_done, r);
    wait_receipts(r, 30000);
    /* the jobs carried so far get their answers through the res. lanes meanwhile */
    bk_client_run_for(r->c, BKP_ROUTER_STOP_WAIT_MS);
    for (size_t i = 0; i < r->nfront; i++)
        for (int l = 0; l < BKP_ROUTER_LANES; l++)
            lane_unsub(r->back, &r->front[i].res[l], unsub_done, r);
    wait_receipts(r, 30000);
    /* what was queued for the frontends leaves before their connections close */
    for (uint64_t end = bkp_now_ms() + 2000; bkp_now_ms() < end;) {
        size_t left = 0;
        for (size_t i = 0; i < r->nfront; i++)
            left += bkp_bus_is_up(r->front[i].bus) ? bkp_bus_pending_bytes(r->front[i].bus) : 0;
        if (!left)
            break;
        bk_client_run_for(r->c, 20);
    }
    release(r);
}

static bk_auth_result authorize(bk_request *req, void *arg)
{
    (void)arg;
    return bk_request_has_token(req, BKP_ROUTER_TOKEN) ? BK_AUTH_ALLOW : BK_AUTH_DENY;
}

static const char *opt_str(const json_t *options, const char *key, const char *def, int *bad)
{
    json_t *v = json_object_get(options, key);
    if (v && !json_is_string(v))
        *bad = 1;
    return v ? json_string_value(v) : def;
}

static json_int_t opt_int(const json_t *options, const char *key, json_int_t def, int *bad)
{
    json_t *v = json_object_get(options, key);
    if (v && (!json_is_integer(v) || json_integer_value(v) < 1))
        *bad = 1;
    return v ? json_integer_value(v) : def;
}

static int setup(bk_worker *w, const json_t *options, bk_module_hooks *h)
{
    bkp_router *r = &g_router;
    int bad = 0;
    const char *fc = opt_str(options, "frontend_cluster", "frontend", &bad);
    const char *cd = opt_str(options, "config_dir", NULL, &bad);
    json_int_t tmo = opt_int(options, "session_timeout", DEFAULT_SESSION_TIMEOUT_S, &bad);
    json_int_t mb = opt_int(options, "max_body_bytes", DEFAULT_MAX_BODY, &bad);
    if (bad || !fc || !bkp_router_name_ok(fc)) {
        bk_log_error("router: bad options (frontend_cluster and config_dir: strings; "
                     "session_timeout and max_body_bytes: positive integers)");
        return 1;
    }
    char err[256];
    bk_bus_config **cfgs;
    size_t nf;
    if (bk_bus_config_load_cluster(&cfgs, &nf, cd, fc, err, sizeof err) != 0) {
        bk_log_error("router: frontend cluster %s: %s", fc, err);
        return 1;
    }
    memset(r, 0, sizeof *r);
    r->w = w;
    r->c = bk_worker_client(w);
    r->back = bkp_bus_of(r->c);
    r->max_body = (size_t)mb;
    if (!(r->frontend_cluster = strdup(fc)) ||
        !(r->backend_cluster = strdup(bk_client_cluster(r->c))) ||
        (cd && !(r->config_dir = strdup(cd))) ||
        !(r->front = calloc(nf, sizeof *r->front)) ||
        bkp_sessions_new(&r->sessions, (uint64_t)tmo * 1000) != 0)
        goto fail;
    size_t i = 0;
    while (i < nf && add_frontend(r, cfgs[i]) == 0)
        i++;
    int ok = i == nf;
    if (!ok)
        i++;    /* the one that failed is r's already */
    for (; i < nf; i++)
        bk_bus_config_free(cfgs[i]);
    free(cfgs);
    cfgs = NULL;
    if (!ok)
        goto fail;
    struct timeval tv = { 0, TICK_MS * 1000 };
    r->tick = event_new(bk_client_base(r->c), -1, EV_PERSIST, on_tick, r);
    if (!r->tick || event_add(r->tick, &tv) != 0)
        goto fail;
    int rc = bk_worker_accept(w, BKP_ROUTER_BIND, bkp_router_bind, r);
    if (rc == 0)
        rc = bk_worker_accept(w, BKP_ROUTER_UNBIND, bkp_router_unbind, r);
    if (rc) {
        bk_log_error("router: cannot start: %s", bk_strerror(rc));
        goto fail;
    }
    bkp_report_set_counters(counters, r);
    h->authorize = authorize;
    h->on_stop = on_stop;
    h->arg = r;
    return 0;
fail:
    for (size_t k = 0; cfgs && k < nf; k++)
        bk_bus_config_free(cfgs[k]);
    free(cfgs);
    release(r);
    return 1;
}

const bk_module_def bkp_router_module = {
    .abi = BK_MODULE_ABI,
    .name = "router",
    .setup = setup,
};
