/* What every worker tells the built-in services, and bk_worker_new, which installs it.
 *
 * A bk_worker reports to the Supervisor: a background job `_bkpr.supervisor.worker_status`
 * carrying BKPR_SYSTEM once on_start has succeeded and every status_interval_ms after,
 * and `worker_exit` on a graceful exit. With log_to_bus it forwards every bk_log message to
 * LogTail as a notification `_bkpr.logtail.log` on /topic/log.{level}.{service}
 * (doc/services.md). These names, the token and the bodies belong to the services, so
 * they live in this layer: the worker (rpc/worker.c) knows none of them and offers hooks
 * instead (rpc/worker_hooks.h).
 *
 * Whoever makes a worker gets the reports its options ask for, under bkpr (the pool's
 * child, pool/child.c) or standalone alike, so the public constructor is here and this
 * file is compiled into libbeekeeper (the services' modules are not: module.mk). */
#include "beekeeper/worker.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "beekeeper/log.h"
#include "core/clock.h"
#include "rpc/bus.h"
#include "rpc/worker_hooks.h"
#include "services/services.h"

typedef struct report {
    bk_worker *w;
    char *wclass, *pool;
    char host[256];
    int status_ms;              /* > 0: status reports at this interval */
    int log_to_bus;
    struct event *status_ev;
    bk_worker_stats last;       /* at the previous report */
    uint64_t last_busy_us, last_status_ms;
    bk_log_sink *prev_tap;
    void *prev_tap_arg;
    int tap_set;
} report;

/* ------------------------------------------------------------------ status */

static bkp_report_counters_fn *g_counters;
static void *g_counters_arg;

void bkp_report_set_counters(bkp_report_counters_fn *fn, void *arg)
{
    g_counters = fn;
    g_counters_arg = arg;
}

static void add_queue(const char *service, void *arg)
{
    json_array_append_new(arg, json_string(service));
}

/* The rates since the previous report (none at the first). */
static json_t *status_params(report *r)
{
    bk_worker_stats st;
    bk_worker_stats_get(r->w, &st);
    uint64_t busy = bkp_worker_busy_us(r->w);
    uint64_t now = bkp_now_ms();
    double secs = r->last_status_ms && now > r->last_status_ms
                      ? (double)(now - r->last_status_ms) / 1000.0 : 0;
    json_t *q = json_array();
    bkp_worker_each_queue(r->w, add_queue, q);
    json_t *p = json_pack("{s:s,s:s,s:s,s:i,s:f,s:f,s:f,s:f,s:f,s:o}", "class", r->wclass,
                          "host", r->host, "pool", r->pool, "pid", (json_int_t)getpid(), "jps",
                          secs > 0 ? (double)(st.jobs - r->last.jobs) / secs : 0.0,
                          "nps",
                          secs > 0 ? (double)(st.notifications - r->last.notifications) / secs
                                   : 0.0,
                          "eps", secs > 0 ? (double)(st.errors - r->last.errors) / secs : 0.0,
                          "interval", r->status_ms / 1000.0,
                          "load", secs > 0 ? (double)(busy - r->last_busy_us) / 1e6 / secs : 0.0,
                          "queue", q);
    json_t *counters = g_counters ? g_counters(g_counters_arg) : NULL;
    if (p && json_is_object(counters))
        json_object_set(p, "counters", counters);
    json_decref(counters);
    r->last = st;
    r->last_busy_us = busy;
    r->last_status_ms = now;
    return p;
}

static void send_status(report *r, const char *method)
{
    bk_client *c = bk_worker_client(r->w);
    json_t *p = status_params(r);
    bk_call_opts o = { .tokens = BKP_TOKEN_SYSTEM };
    if (p && bk_client_connected(c))
        bk_call_background(c, method, p, &o);
    json_decref(p);
}

static void status_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    send_status(arg, BKP_SUPERVISOR_WORKER_STATUS);
}

/* ------------------------------------------------------------------ log */

static void last_queue(const char *service, void *arg)
{
    *(const char **)arg = service;
}

static void log_tap(bk_log_level lv, const char *msg, void *arg)
{
    report *r = arg;
    if (r->prev_tap)
        r->prev_tap(lv, msg, r->prev_tap_arg);
    bk_client *c = bk_worker_client(r->w);
    if (!bk_client_connected(c))
        return;
    /* the service the worker accepted first; a worker of no queue (the Sinkhole) is shown
     * by its class */
    const char *svc = r->wclass && *r->wclass ? r->wclass : "worker";
    bkp_worker_each_queue(r->w, last_queue, &svc);
    char dest[512];
    if (bkp_dest_log(dest, sizeof dest, bk_log_level_name(lv), svc) != 0 &&
        bkp_dest_log(dest, sizeof dest, bk_log_level_name(lv), (svc = "worker")) != 0)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    json_t *p = json_pack("{s:s,s:s,s:s,s:s,s:i,s:f,s:s?}", "level", bk_log_level_name(lv),
                          "host", r->host, "pool", r->pool, "service", svc, "pid",
                          (json_int_t)getpid(), "time",
                          (double)ts.tv_sec + (double)ts.tv_nsec / 1e9, "message", msg);
    if (p)
        bkp_bus_notify(bkp_bus_of(c), dest, BKP_LOGTAIL_LOG, p);
    json_decref(p);
}

static void untap(report *r)
{
    if (r->tap_set) {
        bk_log_set_tap(r->prev_tap, r->prev_tap_arg, NULL, NULL);
        r->tap_set = 0;
    }
}

/* ------------------------------------------------------------------ the worker's hooks */

/* The log goes to the bus from the connection on, on_start's messages included. */
static void on_connected(bk_worker *w, void *arg)
{
    (void)w;
    report *r = arg;
    if (r->log_to_bus && !r->tap_set) {
        bk_log_set_tap(log_tap, r, &r->prev_tap, &r->prev_tap_arg);
        r->tap_set = 1;
    }
}

static void on_started(bk_worker *w, void *arg)
{
    report *r = arg;
    if (r->status_ms <= 0 || r->status_ev)
        return;
    r->status_ev = event_new(bk_client_base(bk_worker_client(w)), -1, EV_PERSIST, status_cb, r);
    struct timeval tv = { r->status_ms / 1000, (r->status_ms % 1000) * 1000 };
    if (r->status_ev)
        event_add(r->status_ev, &tv);
    r->last_status_ms = bkp_now_ms();
    send_status(r, BKP_SUPERVISOR_WORKER_STATUS);
}

static void on_stopped(bk_worker *w, void *arg)
{
    (void)w;
    report *r = arg;
    if (r->status_ev)
        event_del(r->status_ev);
    if (r->status_ms > 0)
        send_status(r, BKP_SUPERVISOR_WORKER_EXIT);
    untap(r);
}

static void release(void *arg)
{
    report *r = arg;
    untap(r);
    if (r->status_ev)
        event_free(r->status_ev);
    free(r->wclass);
    free(r->pool);
    free(r);
}

static const bkp_worker_hook report_hook = {
    .connected = on_connected, .started = on_started, .stopped = on_stopped,
    .release = release,
};

static int install(bk_worker *w, const bk_worker_opts *o, int status_ms)
{
    report *r = calloc(1, sizeof *r);
    if (!r)
        return BK_ENOMEM;
    r->w = w;
    r->status_ms = status_ms;
    r->log_to_bus = o->log_to_bus;
    r->wclass = strdup(o->worker_class ? o->worker_class : "worker");
    r->pool = strdup(o->pool ? o->pool : "");
    if (gethostname(r->host, sizeof r->host - 1) != 0)
        strcpy(r->host, "localhost");
    if (!r->wclass || !r->pool || bkp_worker_add_hook(w, &report_hook, r) != 0) {
        release(r);
        return BK_ENOMEM;
    }
    return 0;
}

int bk_worker_new(bk_worker **out, const bk_worker_opts *o)
{
    int rc = bkp_worker_new(out, o);    /* checks out and o; *out is NULL on failure */
    if (rc)
        return rc;
    int status_ms = o->status_interval_ms == 0 ? 10000 : o->status_interval_ms;
    if ((status_ms > 0 || o->log_to_bus) && (rc = install(*out, o, status_ms)) != 0) {
        bk_worker_free(*out);
        *out = NULL;
    }
    return rc;
}
