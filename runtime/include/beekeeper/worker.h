/* bk_worker: serves methods of one or more services from their request queues.
 *
 * A worker owns a bk_client (bk_worker_client) on the same connection: handlers may call
 * other services, synchronously or not, and the request's x-auth-tokens and x-session
 * travel on with calls made while the handler runs. Handlers never run re-entrantly: a job
 * that arrives while a handler waits in a synchronous call is held until it returns.
 *
 * Delivery: each service's queue `/queue/req.{cluster}.{service}` is subscribed with
 * client-individual acks and the broker's default prefetch (bk_worker_opts.prefetch). Held
 * jobs run in order; the responses and ACKs of the jobs that finish in one loop turn leave
 * in one write, after their handlers return (or, for a deferred request, when it is
 * answered), and before a handler that took long last time runs. A worker killed mid-job
 * leaves its jobs unacknowledged: the broker hands them to another worker. A worker stopped
 * gracefully NACKs the jobs it holds but has not started, at the latest when its current
 * handler returns.
 *
 * Authorization: every request and notification goes through the authorize hook before its
 * handler; only BK_AUTH_ALLOW lets it through. Without a hook everything is refused with
 * -403 (not authorized): a worker must say yes on purpose.
 *
 * Ownership (the API's rule, doc/api.md): arguments are borrowed, except by a function whose
 * name ends in _new after its verb (bk_request_reply_new, bk_request_fail_new): it steals the
 * reference to the json_t it is given, whether it succeeds or fails, as jansson's
 * json_object_set_new does, so that a value made in the argument list never leaks. Each has
 * a plain twin that borrows (takes a reference of its own). What a request hands out is
 * borrowed from it (see "the request being handled").
 *
 * Errors: error.h. Every function here given a NULL worker or request returns BK_EINVAL, or
 * does nothing, or returns NULL, "" or 0 (getters), as each says.
 *
 * Loop and threads: like bk_client, one event_base, one thread; handlers run from
 * bk_worker_run() (never from inside libevent). */
#ifndef BEEKEEPER_WORKER_H
#define BEEKEEPER_WORKER_H

#include <stdarg.h>

#include <jansson.h>

#include "beekeeper/arena.h"
#include "beekeeper/client.h"
#include "beekeeper/export.h"
#include "beekeeper/rpc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bk_worker bk_worker;
typedef struct bk_request bk_request;

/* What a handler returns. An int, as every function of the API returns, so that a handler
 * may pass on what a call made for it returned (`return bk_request_fail(...)`, `return rc`):
 *   0         answered: with the result recorded by bk_request_reply(_new), else null
 *   BK_DEFER  answered later, from the worker's loop, with bk_request_reply(_new) or
 *             bk_request_fail(_new); the request stays valid until then (one that recorded
 *             an answer before returning BK_DEFER is answered with it at once)
 *   < 0       failed: with the error recorded by bk_request_fail(_new), else -32000 (Server
 *             error; with bk_worker_opts.debug its data names the bk_err returned)
 * BK_DEFER is the one positive value the API gives a meaning: no error code (error.h: all
 * negative) can be taken for it. Any other positive value is taken as 0. */
#define BK_DEFER 1

/* A handler for a request, a background job or a notification (bk_request_is_oneway()).
 * params is borrowed from the request (valid as long as req). */
typedef int bk_handler_fn(bk_request *req, json_t *params, void *arg);

/* What an authorize hook answers. Only BK_AUTH_ALLOW lets the request through, and it is a
 * value nobody returns by mistake: not 1 or true, not 0, not an error code. So a hook that
 * slips (`return bk_request_has_token(...)`, `return bk_request_fail(...)`, a path without a
 * return) refuses rather than lets everyone in. Every other value is a refusal, like
 * BK_AUTH_DENY. */
typedef enum bk_auth_result {
    BK_AUTH_DENY = 0,
    BK_AUTH_ALLOW = 0x414c4c4f, /* "ALLO" */
} bk_auth_result;

/* Decides whether req may run. Look at bk_request_tokens(), bk_request_method(). May call
 * bk_request_fail(req, BK_RPC_NOT_AUTHENTICATED, NULL, ...) to choose the refusal's error
 * (the default is -403, Not authorized). */
typedef bk_auth_result bk_authorize_fn(bk_request *req, void *arg);

/* The worker's start and stop hooks (bk_worker_opts, and a module's bk_module_hooks). */
typedef int bk_start_fn(bk_worker *w, void *arg);
typedef void bk_stop_fn(bk_worker *w, void *arg);

typedef struct bk_worker_opts {
    bk_client_opts client;      /* the bus connection (see client.h) */
    const char *worker_class;   /* for the status report; NULL: "worker" */
    const char *pool;           /* for the status report; NULL: "" */
    int debug;                  /* 1: -32000 errors carry details in data */
    int status_interval_ms;     /* 0: 10000; < 0: no status reports */
    bk_authorize_fn *authorize; /* NULL: refuse everything (-403) */
    bk_start_fn *on_start;      /* after the first CONNECTED; non-zero stops */
    bk_stop_fn *on_stop;        /* before the graceful exit */
    void *arg;                  /* for the three hooks */
    int handle_signals;         /* 1: SIGTERM/SIGINT stop bk_worker_run gracefully */
    int log_to_bus;             /* 1: forward bk_log messages to /topic/log.{level}.{service} */
    int prefetch;               /* jobs a service queue hands this worker before its ACKs;
                                   0: the broker's fair default, decided at every connect:
                                   8 on bkpr-broker (least-loaded dispatch: an idle worker
                                   still gets the next job first), 1 on RabbitMQ, ActiveMQ
                                   and others (round robin). More on a round-robin broker
                                   raises one worker's throughput, but jobs wait behind a
                                   busy worker while another is idle. */
} bk_worker_opts;

/* Makes a worker and starts connecting. Copies o. 0, BK_EINVAL (out or o NULL, or o->client
 * refused as bk_client_new refuses it), BK_ENOMEM. On 0 *out is new (free it with
 * bk_worker_free); on failure *out is NULL (when out is not NULL). */
BK_API int bk_worker_new(bk_worker **out, const bk_worker_opts *o);
/* Closes at once (held jobs go back to the broker). NULL does nothing. */
BK_API void bk_worker_free(bk_worker *w);

/* The worker's client (borrowed, lives as long as w): for calls from handlers. NULL for
 * NULL. */
BK_API bk_client *bk_worker_client(bk_worker *w);

/* n zeroed bytes, aligned for any type, that live as long as w and are freed with it (the
 * binding a generated _serve registers its handlers with). NULL when out of memory. */
BK_API void *bk_worker_hold(bk_worker *w, size_t n);

/* Serves method "svc.m" (or every method of svc: "svc.*"; an exact name wins) with fn.
 * Subscribes the service's queue when it is the service's first method. 0, BK_EINVAL
 * (w, method or fn NULL, bad name, already accepted), BK_ENOMEM, BK_ESTATE (stopped
 * accepting). */
BK_API int bk_worker_accept(bk_worker *w, const char *method, bk_handler_fn *fn, void *arg);

/* bk_worker_accept_flags' flags. BK_ACCEPT_PUBLIC: the method may be called from a
 * frontend, through a router (the IDL's @public). A request that came through a router (it
 * carries x-forward-reply, which only a router sets) for a method accepted without it is
 * answered -32601, as if the method did not exist; calls made on the backend, nested calls
 * of a handler serving a frontend request included (they carry x-session on, not
 * x-forward-reply), are not affected. */
#define BK_ACCEPT_PUBLIC 0x1u
/* bk_worker_accept with flags (0 is bk_worker_accept). Same returns, and BK_EINVAL for an
 * unknown flag. */
BK_API int bk_worker_accept_flags(bk_worker *w, const char *method, unsigned flags,
                                  bk_handler_fn *fn, void *arg);

/* Receives notifications "svc.m" or "svc.*" with fn (bk_request_is_oneway() is 1; replies
 * are ignored). Same returns. */
BK_API int bk_worker_accept_notification(bk_worker *w, const char *pattern, bk_handler_fn *fn,
                                         void *arg);

/* Stops taking jobs: NACKs the jobs held but not started (the broker gives them to another
 * worker), then UNSUBSCRIBEs every service queue (after the last deferred request is
 * answered, if any). 0, BK_EINVAL (w NULL) or BK_ESTATE (already stopped). */
BK_API int bk_worker_stop_accepting(bk_worker *w);

/* Runs the worker: waits for the connection (retrying), calls on_start, then serves until
 * bk_worker_stop() (or SIGTERM/SIGINT with handle_signals). On the way out: stop accepting,
 * answer nothing more, on_stop, `_bkpr.supervisor.worker_exit`, flush. Returns 0, or
 * on_start's non-zero value, BK_EINVAL (w NULL), or BK_ESTATE when called from inside the
 * loop. */
BK_API int bk_worker_run(bk_worker *w);
/* Asks bk_worker_run to return after the current handler. Safe from handlers. NULL does
 * nothing. */
BK_API void bk_worker_stop(bk_worker *w);

/* Counters since start, copied to *st (all 0 for a NULL w; a NULL st: nothing). */
typedef struct bk_worker_stats {
    unsigned long long jobs, notifications, errors;
} bk_worker_stats;
BK_API void bk_worker_stats_get(const bk_worker *w, bk_worker_stats *st);

/* ---- the request being handled (all borrowed, valid until the handler returns, or for a
 * deferred request until it is answered; a NULL req gives NULL, "" or 0) ---- */

/* The request's arena: whatever a handler allocates for the answer belongs here. */
BK_API bk_arena *bk_request_arena(bk_request *req);
BK_API const char *bk_request_method(const bk_request *req);
/* x-auth-tokens as sent ("" when none), and x-session ("" when none). */
BK_API const char *bk_request_tokens(const bk_request *req);
BK_API const char *bk_request_session(const bk_request *req);
/* 1 for a background job or a notification: nobody reads the answer. */
BK_API int bk_request_is_oneway(const bk_request *req);
BK_API bk_worker *bk_request_worker(bk_request *req);
BK_API bk_client *bk_request_client(bk_request *req);
/* 1 when the token list holds tok exactly. */
BK_API int bk_request_has_token(const bk_request *req, const char *tok);

/* ---- sessions (doc/api.md, "Sessions"): a request that came through a router carries the
 * frontend session of its caller (bk_request_session). These ask the routers of the bus,
 * with a background job `_bkpr.router.bind` or `.unbind` and the token BKPR_ROUTER; they
 * return once it is handed to the connection, as bk_call_background does, with its returns.
 * The routers take it a little later: a notification sent just after may miss. ---- */

/* Binds req's caller's frontend connection to address "{frontend-cluster}.{name}" (NULL:
 * none; it may be shared by several connections), and sets the tokens ("a|b", copied; NULL
 * or "": none) the router puts in x-auth-tokens on that session's later requests. Notify an
 * address with bk_notify and bk_call_opts.address. BK_EINVAL (a bad address; tokens with
 * a newline), BK_ESTATE (req did not come through a router). */
BK_API int bk_request_bind(bk_request *req, const char *address, const char *tokens);
/* Ends the binding (and the tokens) of req's caller's connection. BK_ESTATE as above. */
BK_API int bk_request_unbind(bk_request *req);
/* Ends the binding of every connection bound to address, whoever made req. BK_EINVAL for a
 * bad address. */
BK_API int bk_request_unbind_address(bk_request *req, const char *address);

/* Answers req with result (NULL means null). In a handler: sent when it returns (a later
 * reply or fail replaces it; returning BK_DEFER then sends it too). For a deferred request:
 * sent now, and the request ends: req is freed and must not be used again (answer a deferred
 * request exactly once). 0, BK_EINVAL (req NULL), BK_ESTATE (req cannot be answered here).
 * bk_request_reply borrows result; bk_request_reply_new steals it, on failure too. */
BK_API int bk_request_reply(bk_request *req, json_t *result);
BK_API int bk_request_reply_new(bk_request *req, json_t *result);

/* Fails req with a JSON-RPC error: code, a printf message (fmt NULL: the code's standard
 * message, bk_rpc_code_message) and data (NULL: none). In a handler or the authorize hook:
 * sent when it returns; for a deferred request: sent now, and the request ends, as for
 * bk_request_reply. Returns BK_ERPC, so that a handler may `return bk_request_fail(...)`, or
 * BK_EINVAL when req is NULL. bk_request_fail borrows data; bk_request_fail_new steals it,
 * on failure too. */
BK_API int bk_request_fail(bk_request *req, int code, json_t *data, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
BK_API int bk_request_fail_new(bk_request *req, int code, json_t *data, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#ifdef __cplusplus
}
#endif
#endif
