#include "rpc/worker_hooks.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "beekeeper/log.h"
#include "beekeeper/typed.h"
#include "core/clock.h"
#include "rpc/client_int.h"
#include "rpc/job.h"
#include "rpc/jsonrpc.h"

typedef struct handler {
    struct handler *next;
    char *pattern;
    int star, notify;
    int public_;                /* BK_ACCEPT_PUBLIC: callable through a router */
    size_t svc_len;             /* pattern's service part */
    bk_handler_fn *fn;          /* untyped: params as a jansson tree */
    bk_typed_handler_fn *tfn;   /* typed (generated): params as tokens */
    void *arg;
    int ran;                    /* has run once: last_us says how long it takes */
    uint64_t last_us;
} handler;

typedef struct service {
    struct service *next;
    bk_worker *w;
    char *name;
    int notify;                 /* a notification subscription, not a request queue */
    bkp_sub *sub;
} service;

struct bk_request {
    bk_worker *w;
    bk_arena *a;
    bkp_job *job;
    bkp_rpc_msg m;              /* its tokens in a, over the job's body */
    const char *method;
    json_t *params;             /* owned: an untyped handler's params */
    int oneway, deferred, answered, in_handler;
    json_t *result;             /* owned */
    char *written;              /* a whole result body from bk_request_result (malloc) */
    size_t written_len;
    int failed, code;
    const char *message;        /* in a */
    json_t *data;               /* owned */
    bk_jw jw;                   /* bk_request_result's */
};

typedef struct hook {
    struct hook *next;
    bkp_worker_hook h;
    void *arg;
} hook;

struct bk_worker {
    bk_client *c;
    int debug, handle_signals, prefetch;
    bk_authorize_fn *authorize;
    bk_start_fn *on_start;
    bk_stop_fn *on_stop;
    void *arg;
    handler *handlers;
    service *services;
    int accepting, stop, running, unsub_pending;
    unsigned deferred;
    bk_worker_stats stats;
    uint64_t busy_us;
    struct event *sigterm_ev, *sigint_ev;
    hook *hooks;                /* in the order added */
};

/* ------------------------------------------------------------------ answering */

static void request_free(bk_request *req)
{
    if (!req)
        return;
    bkp_job_free(req->job);
    json_decref(req->params);
    json_decref(req->result);
    free(req->written);
    bk_jw_free(&req->jw);
    json_decref(req->data);
    bk_arena_free(req->a);
    free(req);
}

/* Sends body (taken in any case) to job's reply-to. */
static void send_body(bk_worker *w, bkp_job *j, char *body, size_t len)
{
    bkp_header h[1];
    size_t n = 0;
    if (j->forward_reply)
        h[n++] = (bkp_header){ "x-forward-reply", j->forward_reply, 15,
                               (uint32_t)strlen(j->forward_reply) };
    int rc = bkp_client_send_take(w->c, j->reply_to, h, n, body, len);
    if (rc)
        bk_log_warn("worker: response to %s not sent: %s", j->reply_to, bk_strerror(rc));
}

/* Sends an error or a result (result, or the body bk_request_reply_written made: taken) for
 * job to its reply-to, if it has one. */
static void send_response(bk_worker *w, bkp_job *j, const bkp_rpc_id *id, int failed, int code,
                          const char *message, json_t *data, json_t *result, char **written,
                          size_t wlen)
{
    char *body = NULL;
    size_t len = 0;
    int rc;
    if (!j->reply_to || !*j->reply_to || !id->type)
        return;
    if (failed)
        rc = bkp_rpc_error_body(id, code, message, data, &body, &len);
    else if (written && *written) {
        body = *written;
        len = wlen;
        *written = NULL;
        rc = 0;
    } else
        rc = bkp_rpc_result_body(id, result, &body, &len);
    if (rc != 0) {
        /* e.g. a result string, an error message or error data that is not UTF-8: the caller
         * still gets an answer rather than waiting for its timeout */
        bk_log_warn("worker: %s could not be encoded as JSON", failed ? "error" : "result");
        rc = bkp_rpc_error_body(id, BK_RPC_INTERNAL_ERROR,
                                failed ? "error could not be encoded"
                                       : "result could not be encoded", NULL, &body, &len);
    }
    if (rc == 0)
        send_body(w, j, body, len);
}

static void ack_job(bk_worker *w, bkp_job *j, int nack)
{
    bkp_job_ack(bkp_client_stomp(w->c), j, nack);
}

static void unsubscribe_all(bk_worker *w)
{
    for (service *s = w->services; s; s = s->next)
        if (s->sub) {
            bkp_stomp_unsubscribe(bkp_client_stomp(w->c), s->sub, NULL, NULL);
            s->sub = NULL;
        }
    w->unsub_pending = 0;
}

/* The end of a request: response and ACK in the same loop turn, then release. */
static void complete(bk_request *req)
{
    bk_worker *w = req->w;
    if (!req->oneway)
        send_response(w, req->job, &req->m.id, req->failed, req->code, req->message, req->data,
                      req->result, &req->written, req->written_len);
    ack_job(w, req->job, 0);
    if (req->failed)
        w->stats.errors++;
    if (req->deferred) {
        w->deferred--;
        if (w->deferred == 0 && w->unsub_pending)
            unsubscribe_all(w);
    }
    request_free(req);
}

/* ------------------------------------------------------------------ dispatch */

static handler *find_handler(bk_worker *w, const char *method, int notify)
{
    handler *star = NULL;
    size_t ml = strlen(method);
    for (handler *h = w->handlers; h; h = h->next) {
        if (h->notify != notify)
            continue;
        if (!h->star && strcmp(h->pattern, method) == 0)
            return h;
        if (h->star && !star && ml > h->svc_len && method[h->svc_len] == '.' &&
            strncmp(h->pattern, method, h->svc_len) == 0 &&
            !strchr(method + h->svc_len + 1, '.'))
            star = h;
    }
    return star;
}

/* Answers a body that could not be taken as a request (rc, a JSON-RPC code, and why) and ends
 * it. */
static void refuse(bk_request *req, int rc, const char *why, int notify)
{
    bkp_job *j = req->job;
    bk_log_warn("worker: %s body refused (%d): %s", notify ? "notification" : "request", rc, why);
    req->failed = 1;
    req->code = rc;
    req->message = bk_rpc_code_message(rc);
    req->data = json_string(why);
    req->oneway = notify;
    /* answered only when there is somewhere to answer; an id of null otherwise */
    if (!req->m.id.type && !notify && j->reply_to) {
        static const bkp_rpc_id null_id = { .type = BK_JSON_NULL };
        send_response(req->w, j, &null_id, 1, rc, req->message, req->data, NULL, NULL, 0);
        req->oneway = 1;
    }
    complete(req);
}

/* A handler that took this long is not run after another job's response without that
 * response being written first: a write and a loop turn cost some microseconds, a small
 * part of such a handler, while a quicker one's responses are worth batching. */
#define SLOW_HANDLER_US 100

/* A job's turn at the client's drain point (a task of the client: client_int.h). */
static void run_job(void *task)
{
    bkp_job *j = task;
    service *svc = j->owner;
    bk_worker *w = svc->w;
    int notify = svc->notify;
    bk_request *req = NULL;
    char why[200];
    if (!notify && !w->accepting) {
        ack_job(w, j, 1);
        bkp_job_free(j);
        return;
    }
    req = calloc(1, sizeof *req);
    if (!req) {
        bkp_job_free(j);        /* unacked: the broker redelivers it */
        return;
    }
    req->w = w;
    req->job = j;
    req->a = j->a;              /* the body's arena becomes the request's */
    j->a = NULL;
    bk_jw_init(&req->jw, NULL, 0);
    int rc = bkp_rpc_decode(&req->m, req->a, j->body, j->len, why, sizeof why);
    if (rc == 0 && (req->m.kind == BKP_RPC_RESULT || req->m.kind == BKP_RPC_ERROR)) {
        rc = BK_RPC_INVALID_REQUEST;
        snprintf(why, sizeof why, "a response where a request was expected");
    }
    if (rc == 0 && notify && req->m.kind != BKP_RPC_NOTIFY) {
        rc = BK_RPC_INVALID_REQUEST;
        snprintf(why, sizeof why, "a notification carries no id");
    }
    if (rc != 0) {
        refuse(req, rc, why, notify);
        return;
    }
    req->method = req->m.method;
    req->oneway = req->m.kind == BKP_RPC_NOTIFY;
    handler *h = find_handler(w, req->method, notify);
    if (notify && h && strcmp(h->pattern, svc->name) != 0) {
        /* Subscribed as "svc.*" and "svc.m", the broker delivers svc.m once per
         * subscription: it runs once, from the subscription of the handler that wins
         * (the exact name); this copy is dropped. */
        complete(req);
        return;
    }
    /* An untyped handler's params as jansson would have read them: a body it would have
     * refused (a key twice, a \u0000) is refused as before, before anything else. */
    if (h && h->fn && (rc = bkp_rpc_json(&req->m, req->m.params, &req->params, why,
                                         sizeof why)) != 0) {
        if (rc == BK_ENOMEM)
            snprintf(why, sizeof why, "out of memory");
        refuse(req, BK_RPC_PARSE_ERROR, why, notify);
        return;
    }
    /* The jobs a worker holds run one after another in one drain, and what they send leaves
     * in one write at its end. Before a handler that took long last time (or has not run
     * yet), what earlier jobs sent goes out, and the loop turns once: a finished job's
     * response does not wait for a slow one, and a stop asked meanwhile (SIGTERM) gives this
     * job and the ones behind it back at once, not after each has run. */
    if (h && (!h->ran || h->last_us >= SLOW_HANDLER_US)) {
        bkp_client_poll(w->c);
        if (w->stop && !notify) {
            ack_job(w, j, 1);
            request_free(req);
            return;
        }
    }
    if (notify)
        w->stats.notifications++;
    else
        w->stats.jobs++;
    /* Authorization first: a caller who may not call learns nothing, not even which
     * methods exist. */
    if (!w->authorize || w->authorize(req, w->arg) != BK_AUTH_ALLOW) {
        if (!req->failed)
            bk_request_fail(req, BK_RPC_NOT_AUTHORIZED, NULL, "Not authorized");
        complete(req);
        return;
    }
    req->failed = 0;    /* an authorize hook that recorded an error but allowed */
    /* x-forward-reply: it came from a frontend, which sees only the public methods */
    if (h && !notify && !h->public_ && j->forward_reply)
        h = NULL;
    if (!h) {
        bk_request_fail(req, BK_RPC_METHOD_NOT_FOUND, NULL, "Method not found: %s", req->method);
        complete(req);
        return;
    }
    const char *ot, *os;
    bkp_client_set_context(w->c, j->tokens ? j->tokens : "", j->session ? j->session : "",
                           &ot, &os);
    uint64_t t0 = bkp_now_us();
    req->in_handler = 1;
    rc = h->fn ? h->fn(req, req->params, h->arg)
               : h->tfn(req, &req->m.doc, req->m.params, h->arg);
    req->in_handler = 0;
    h->last_us = bkp_now_us() - t0;
    h->ran = 1;
    w->busy_us += h->last_us;
    bkp_client_set_context(w->c, ot, os, NULL, NULL);
    if (rc == BK_DEFER && !req->answered && !req->failed) { /* nothing recorded: later */
        req->deferred = 1;
        w->deferred++;
        return;
    }
    if (rc < 0 && !req->failed) {
        req->failed = 1;
        req->code = BK_RPC_SERVER_ERROR;
        req->message = "Server error";
        if (w->debug)
            req->data = json_pack("{s:s,s:i}", "error", bk_strerror(rc), "status", rc);
    }
    complete(req);
}

static void drop_job(void *task)
{
    bkp_job_free(task);     /* unacked: the broker redelivers it */
}

static const bkp_task_ops job_ops = { .run = run_job, .drop = drop_job };

/* ------------------------------------------------------------------ request API */

bk_arena *bk_request_arena(bk_request *req) { return req ? req->a : NULL; }
const char *bk_request_method(const bk_request *req)
{
    return req && req->method ? req->method : "";
}
const char *bk_request_tokens(const bk_request *req)
{
    return req && req->job->tokens ? req->job->tokens : "";
}
const char *bk_request_session(const bk_request *req)
{
    return req && req->job->session ? req->job->session : "";
}
const char *bkp_request_forward_reply(const bk_request *req)
{
    return req && req->job->forward_reply ? req->job->forward_reply : "";
}
int bk_request_is_oneway(const bk_request *req) { return req && req->oneway; }
bk_worker *bk_request_worker(bk_request *req) { return req ? req->w : NULL; }
bk_client *bk_request_client(bk_request *req) { return req ? req->w->c : NULL; }

int bk_request_has_token(const bk_request *req, const char *tok)
{
    const char *t = bk_request_tokens(req);     /* "" for a NULL req */
    size_t n = tok ? strlen(tok) : 0;
    if (!n)
        return 0;
    while (*t) {
        const char *e = strchr(t, '|');
        size_t l = e ? (size_t)(e - t) : strlen(t);
        if (l == n && memcmp(t, tok, n) == 0)
            return 1;
        if (!e)
            break;
        t = e + 1;
    }
    return 0;
}

static int answer_now(bk_request *req)
{
    if (req->deferred)
        complete(req);
    else
        req->answered = 1;
    return 0;
}

int bk_request_reply_new(bk_request *req, json_t *result)
{
    if (!req || (req->answered && !req->in_handler)) {
        json_decref(result);
        return req ? BK_ESTATE : BK_EINVAL;
    }
    json_decref(req->result);
    req->result = result;
    free(req->written);
    req->written = NULL;
    req->failed = 0;
    return answer_now(req);
}

bk_jw *bk_request_result(bk_request *req)
{
    /* For a NULL req: a writer that has already failed, so that what is written is dropped
     * and bk_request_reply_written(NULL) says BK_EINVAL. */
    static _Thread_local bk_jw refused;
    if (!req) {
        bk_jw_init(&refused, NULL, 0);
        refused.err = BK_EINVAL;
        return &refused;
    }
    bk_jw_reset(&req->jw);
    bkp_rpc_begin_result(&req->jw);
    return &req->jw;
}

int bk_request_reply_written(bk_request *req)
{
    char *body;
    size_t len;
    if (!req)
        return BK_EINVAL;
    if (req->answered && !req->in_handler)
        return BK_ESTATE;
    if (bkp_rpc_end_result(&req->jw, &req->m.id, &body, &len) != 0)
        return bk_request_fail(req, BK_RPC_INTERNAL_ERROR, NULL,
                               "%s: the handler's result cannot be encoded",
                               bk_request_method(req));
    json_decref(req->result);
    req->result = NULL;
    free(req->written);
    req->written = body;
    req->written_len = len;
    req->failed = 0;
    return answer_now(req);
}

int bk_request_reply(bk_request *req, json_t *result)
{
    return bk_request_reply_new(req, json_incref(result));
}

/* Takes data (a reference of the caller's or one of our own). */
__attribute__((format(printf, 4, 0))) static int vfail(bk_request *req, int code, json_t *data,
                                                       const char *fmt, va_list ap)
{
    if (!req) {
        json_decref(data);
        return BK_EINVAL;
    }
    req->failed = 1;
    req->code = code;
    req->message = fmt ? bk_arena_vprintf(req->a, fmt, ap) : NULL;
    if (!req->message)
        req->message = bk_rpc_code_message(code);
    json_decref(req->data);
    req->data = data;
    if (req->deferred)
        complete(req);
    /* in a handler or the authorize hook: sent when it returns */
    return BK_ERPC;
}

int bk_request_fail_new(bk_request *req, int code, json_t *data, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vfail(req, code, data, fmt, ap);
    va_end(ap);
    return r;
}

int bk_request_fail(bk_request *req, int code, json_t *data, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vfail(req, code, json_incref(data), fmt, ap);
    va_end(ap);
    return r;
}

/* ------------------------------------------------------------------ subscriptions */

static void on_message(bkp_stomp *s, bkp_sub *sub, const bkp_frame *msg, void *arg)
{
    (void)sub;
    service *svc = arg;
    bk_worker *w = svc->w;
    if (!svc->notify && !w->accepting) {
        bkp_stomp_nack(s, msg);
        return;
    }
    bkp_job *j = bkp_job_new(s, msg, !svc->notify, svc);
    if (!j) {
        if (!svc->notify)
            bkp_stomp_nack(s, msg);
        return;
    }
    bkp_client_queue_task(w->c, &job_ops, j);
}

static int add_handler(bk_worker *w, const char *pattern, bk_handler_fn *fn,
                       bk_typed_handler_fn *tfn, void *arg, int notify, int public_)
{
    size_t sl;
    char dest[512];
    int rc;
    if (!w || (!fn && !tfn) || !bkp_method_valid(pattern, 1, &sl))
        return BK_EINVAL;
    if (!w->accepting)
        return BK_ESTATE;
    for (handler *h = w->handlers; h; h = h->next)
        if (h->notify == notify && strcmp(h->pattern, pattern) == 0)
            return BK_EINVAL;
    handler *h = calloc(1, sizeof *h);
    if (!h || !(h->pattern = strdup(pattern))) {
        free(h);
        return BK_ENOMEM;
    }
    h->star = pattern[strlen(pattern) - 1] == '*';
    h->svc_len = sl;
    h->notify = notify;
    h->public_ = public_;
    h->fn = fn;
    h->tfn = tfn;
    h->arg = arg;
    /* one subscription per service queue (requests) or per pattern (notifications) */
    service *s = NULL;
    for (service *x = w->services; x; x = x->next)
        if (x->notify == notify &&
            (notify ? strcmp(x->name, pattern) == 0
                    : strlen(x->name) == sl && strncmp(x->name, pattern, sl) == 0))
            s = x;
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s || !(s->name = notify ? strdup(pattern) : strndup(pattern, sl))) {
            rc = BK_ENOMEM;
            goto fail;
        }
        s->w = w;
        s->notify = notify;
        bk_client *c = w->c;
        if (notify) {
            snprintf(dest, sizeof dest, "/topic/msg.%s.%s", bk_client_cluster(c), pattern);
            rc = bkp_stomp_subscribe(bkp_client_stomp(c), dest, NULL, on_message, s, &s->sub);
        } else {
            snprintf(dest, sizeof dest, "/queue/req.%s.%s", bk_client_cluster(c), s->name);
            bkp_sub_opts so = { .ack = BKP_ACK_CLIENT_INDIVIDUAL,
                                .prefetch = w->prefetch > 0 ? (unsigned)w->prefetch : 0,
                                .worker_prefetch = w->prefetch <= 0 };
            rc = bkp_stomp_subscribe(bkp_client_stomp(c), dest, &so, on_message, s, &s->sub);
        }
        if (rc)
            goto fail;
        s->next = w->services;
        w->services = s;
    }
    h->next = w->handlers;
    w->handlers = h;
    return 0;
fail:
    if (s)
        free(s->name);
    free(s);
    free(h->pattern);
    free(h);
    return rc;
}

int bk_worker_accept(bk_worker *w, const char *method, bk_handler_fn *fn, void *arg)
{
    return add_handler(w, method, fn, NULL, arg, 0, 0);
}

int bk_worker_accept_flags(bk_worker *w, const char *method, unsigned flags, bk_handler_fn *fn,
                           void *arg)
{
    return flags & ~BK_ACCEPT_PUBLIC ? BK_EINVAL
                                     : add_handler(w, method, fn, NULL, arg, 0, (int)flags);
}

int bk_worker_accept_typed(bk_worker *w, const char *method, unsigned flags,
                           bk_typed_handler_fn *fn, void *arg)
{
    return flags & ~BK_ACCEPT_PUBLIC ? BK_EINVAL
                                     : add_handler(w, method, NULL, fn, arg, 0, (int)flags);
}

int bk_worker_accept_notification(bk_worker *w, const char *pattern, bk_handler_fn *fn,
                                  void *arg)
{
    return add_handler(w, pattern, fn, NULL, arg, 1, 0);
}

static int nack_held(void *task, void *arg)
{
    bkp_job *j = task;
    bk_worker *w = arg;
    service *s = j->owner;
    if (s->notify)
        return 1;
    ack_job(w, j, 1);
    return 0;
}

int bk_worker_stop_accepting(bk_worker *w)
{
    if (!w)
        return BK_EINVAL;
    if (!w->accepting)
        return BK_ESTATE;
    w->accepting = 0;
    bkp_client_filter_tasks(w->c, &job_ops, nack_held, w);
    if (w->deferred)
        w->unsub_pending = 1;
    else
        unsubscribe_all(w);
    return 0;
}

/* ------------------------------------------------------------------ hooks */

int bkp_worker_add_hook(bk_worker *w, const bkp_worker_hook *h, void *arg)
{
    hook *k = calloc(1, sizeof *k), **pp = &w->hooks;
    if (!k)
        return BK_ENOMEM;
    k->h = *h;
    k->arg = arg;
    while (*pp)
        pp = &(*pp)->next;
    *pp = k;
    return 0;
}

enum { H_CONNECTED, H_STARTED, H_STOPPED };

static void run_hooks(bk_worker *w, int which)
{
    for (hook *k = w->hooks; k; k = k->next) {
        void (*fn)(bk_worker *, void *) = which == H_CONNECTED ? k->h.connected
                                          : which == H_STARTED ? k->h.started
                                                               : k->h.stopped;
        if (fn)
            fn(w, k->arg);
    }
}

uint64_t bkp_worker_busy_us(const bk_worker *w)
{
    return w->busy_us;
}

void bkp_worker_each_queue(const bk_worker *w, void (*fn)(const char *service, void *arg),
                           void *arg)
{
    for (service *s = w->services; s; s = s->next)
        if (!s->notify)
            fn(s->name, arg);
}

static void sig_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    bk_worker_stop(arg);
}

/* ------------------------------------------------------------------ life cycle */

/* bk_worker_new is runtime/services/report.c's: this and the reports' hooks. */
int bkp_worker_new(bk_worker **out, const bk_worker_opts *o)
{
    if (out)
        *out = NULL;
    if (!out || !o)
        return BK_EINVAL;
    bk_worker *w = calloc(1, sizeof *w);
    if (!w)
        return BK_ENOMEM;
    w->debug = o->debug;
    w->handle_signals = o->handle_signals;
    w->prefetch = o->prefetch;
    w->authorize = o->authorize;
    w->on_start = o->on_start;
    w->on_stop = o->on_stop;
    w->arg = o->arg;
    w->accepting = 1;
    int rc = bk_client_new(&w->c, &o->client);
    if (rc) {
        bk_worker_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

void bk_worker_free(bk_worker *w)
{
    if (!w)
        return;
    for (hook *k = w->hooks; k; k = k->next)
        if (k->h.release)
            k->h.release(k->arg);
    for (hook *k = w->hooks, *n; k; k = n) {
        n = k->next;
        free(k);
    }
    if (w->sigterm_ev)
        event_free(w->sigterm_ev);
    if (w->sigint_ev)
        event_free(w->sigint_ev);
    bk_client_free(w->c);   /* drops held jobs unacked: the broker redelivers them */
    for (handler *h = w->handlers, *n; h; h = n) {
        n = h->next;
        free(h->pattern);
        free(h);
    }
    for (service *s = w->services, *n; s; s = n) {
        n = s->next;
        free(s->name);
        free(s);
    }
    free(w);
}

bk_client *bk_worker_client(bk_worker *w)
{
    return w ? w->c : NULL;
}

void *bk_worker_hold(bk_worker *w, size_t n)
{
    return w ? bk_client_hold(w->c, n) : NULL;
}

void bk_worker_stop(bk_worker *w)
{
    if (w) {
        w->stop = 1;
        bk_client_stop(w->c);
    }
}

void bk_worker_stats_get(const bk_worker *w, bk_worker_stats *st)
{
    if (st)
        *st = w ? w->stats : (bk_worker_stats){0};
}

static void closed_cb(bkp_stomp *s, int status, void *arg)
{
    (void)s;
    (void)status;
    *(int *)arg = 1;
}

int bk_worker_run(bk_worker *w)
{
    if (!w)
        return BK_EINVAL;
    if (w->running)
        return BK_ESTATE;
    int rc = 0;
    struct event_base *base = bk_client_base(w->c);
    w->running = 1;
    if (w->handle_signals && !w->sigterm_ev) {
        w->sigterm_ev = evsignal_new(base, SIGTERM, sig_cb, w);
        w->sigint_ev = evsignal_new(base, SIGINT, sig_cb, w);
        if (w->sigterm_ev)
            event_add(w->sigterm_ev, NULL);
        if (w->sigint_ev)
            event_add(w->sigint_ev, NULL);
    }
    while (!w->stop) {
        rc = bk_client_connect_wait(w->c, 1000);
        if (rc == 0 || (rc != BK_ETIMEDOUT && rc != BK_ECONNREFUSED && rc != BK_ECLOSED))
            break;
    }
    if (rc || w->stop)
        goto out;
    run_hooks(w, H_CONNECTED);
    if (w->on_start && (rc = w->on_start(w, w->arg)) != 0)
        goto out;
    run_hooks(w, H_STARTED);
    while (!w->stop) {
        rc = bk_client_run(w->c);
        if (rc)
            break;
    }
    /* graceful exit: stop taking jobs, let deferred ones finish (bounded), say goodbye */
    if (w->accepting)
        bk_worker_stop_accepting(w);
    for (int i = 0; i < 50 && w->deferred; i++)
        bk_client_run_for(w->c, 100);
    if (w->on_stop)
        w->on_stop(w, w->arg);
    run_hooks(w, H_STOPPED);
    int closed = 0;
    if (bk_client_connected(w->c) &&
        bkp_stomp_disconnect(bkp_client_stomp(w->c), closed_cb, &closed) == 0)
        for (int i = 0; i < 30 && !closed; i++)
            bk_client_run_for(w->c, 100);
out:
    w->running = 0;
    return rc;
}
