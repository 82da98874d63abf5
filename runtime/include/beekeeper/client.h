/* bk_client: calls services and sends/receives notifications over one bus connection.
 *
 * Loop and threads. A client belongs to one libevent event_base (its own, or the one given
 * in the options) and to the thread that runs it. Callbacks (async results, notifications)
 * are never called from inside the API call that causes them: they run from
 * bk_client_run(), bk_client_run_for(), bk_client_wait_all(), or, when the application runs
 * the event_base itself, from that loop. A synchronous bk_call() runs the loop until its
 * response or timeout; while it waits, other callbacks are held back (delivered afterwards),
 * so nothing runs re-entrantly. bk_call() is refused with BK_ESTATE where the loop cannot be
 * run (from a callback of an event_base the application is running itself): use
 * bk_call_async() there.
 *
 * Connection. bk_client_new() starts connecting at once (failover between the bus's hosts,
 * reconnects with back-off). While the connection is down every call fails at once with
 * BK_ECLOSED; calls in flight when it drops fail with BK_ECLOSED too (their responses could
 * never arrive: the reply queue dies with the connection). Subscriptions survive reconnects.
 *
 * Signals. The first client made sets SIGPIPE to be ignored when it has its default action
 * (a broker that resets the connection must not kill the process); a handler of the
 * application's own is left alone.
 *
 * Ownership. Arguments are borrowed (params, strings: the call copies what it keeps); no
 * function here steals a reference (those that do end in _new: doc/api.md). What a call
 * hands back (result, error message and data) lives in an arena: the caller's for
 * bk_call(), the callback's for async results and notifications (freed after it returns;
 * json_incref what must live longer).
 *
 * Errors: error.h. A NULL client gives BK_EINVAL, or nothing (bk_client_free,
 * bk_client_stop), or NULL, "" or 0 (the getters). */
#ifndef BEEKEEPER_CLIENT_H
#define BEEKEEPER_CLIENT_H

#include <stddef.h>

#include <jansson.h>

#include "beekeeper/arena.h"
#include "beekeeper/export.h"
#include "beekeeper/rpc.h"

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;
typedef struct bk_client bk_client;

typedef struct bk_client_opts {
    /* Brokers of the bus, "host:port" each (numeric addresses keep the loop from blocking
     * on DNS). Copied. At least one. */
    const char *const *hosts;
    size_t nhosts;
    const char *vhost;          /* CONNECT host header; NULL: "/" */
    const char *user;           /* NULL: no login */
    const char *pass;
    const char *bus_id;         /* the bus's id; NULL: "backend" */
    const char *cluster;        /* namespace of queue names; NULL: bus_id */
    struct event_base *base;    /* borrowed, must outlive the client; NULL: own base */
    int timeout_ms;             /* default call timeout; 0: 60000 */
    const char *tokens;         /* default x-auth-tokens, "tok1|tok2"; NULL: none */
    int connect_timeout_ms;     /* per connection attempt; 0: 5000 */
    int max_rounds;             /* give up after N failed rounds of all hosts; 0: never */
    /* Flow (see doc/api.md "Flow"): a send that finds this many bytes waiting in the
     * output buffer runs the loop until there is room; 0: 64 MiB. */
    size_t max_outbuf;
    /* How long a oneway send (bk_call_background, bk_notify) waits for room before it
     * fails with BK_ETIMEDOUT; 0: timeout_ms. A call waits within its own timeout. */
    int send_timeout_ms;
    /* TLS (doc/api.md "TLS"): 1 speaks TLS to every host of the bus, and checks the
     * broker's certificate against tls_ca and the host's name or address as the host list
     * gives it. The file names are read by bk_client_new. */
    int tls;
    const char *tls_ca;         /* PEM file of trusted CAs; NULL: the system's trust store */
    const char *tls_cert;       /* our certificate (PEM), for brokers that ask; NULL: none */
    const char *tls_key;        /* its private key (PEM); NULL: in the tls_cert file */
    int tls_no_verify;          /* 1: the broker's certificate is not checked (logged) */
} bk_client_opts;

/* Makes a client and starts connecting (returns before the connection is up: see
 * bk_client_connect_wait). Copies o. Returns 0, BK_EINVAL (out or o NULL, no hosts, a NULL
 * or bad host, bad bus id or cluster name, tokens holding NUL/CR/LF, a TLS file that cannot
 * be loaded: the log says which and why), BK_ENOMEM. On 0 *out
 * is new: free it with bk_client_free(); on failure *out is NULL (when out is not NULL). */
BK_API int bk_client_new(bk_client **out, const bk_client_opts *o);

/* Closes the connection at once (bk_client_flush() first to be sure that what was sent has
 * left). Pending async calls are dropped without a callback (the
 * client is going away): what their arg points to is the caller's to release. NULL does
 * nothing. Not from inside a callback of this client. */
BK_API void bk_client_free(bk_client *c);

/* Runs the loop until the client is connected (0), or timeout_ms passed (BK_ETIMEDOUT), or
 * the connection gave up (its reason: BK_ECONNREFUSED, BK_EAUTH, ...). */
BK_API int bk_client_connect_wait(bk_client *c, int timeout_ms);
/* As bk_client_connect_wait, and it also returns as soon as every host has been tried once
 * in vain, with the last attempt's reason (BK_ECONNREFUSED, BK_EAUTH, BK_ETIMEDOUT for a
 * host that did not answer in connect_timeout_ms): for a tool, which should say at once that
 * the bus is down rather than after its whole timeout. The client keeps reconnecting in the
 * background, as always. */
BK_API int bk_client_connect_try(bk_client *c, int timeout_ms);

/* 1 when connected now (0 for NULL). */
BK_API int bk_client_connected(const bk_client *c);

/* The event_base the client runs on (borrowed; NULL for NULL). */
BK_API struct event_base *bk_client_base(const bk_client *c);

/* The cluster name and this connection's reply queue ("" before the first call). Borrowed;
 * "" for NULL. */
BK_API const char *bk_client_cluster(const bk_client *c);
BK_API const char *bk_client_reply_queue(const bk_client *c);

/* Replaces the default x-auth-tokens ("a|b"; NULL or "" for none). Copied. 0, BK_EINVAL, BK_ENOMEM. */
BK_API int bk_client_set_tokens(bk_client *c, const char *tokens);

/* Per-call options; NULL or zero fields take the client's defaults. */
typedef struct bk_call_opts {
    int timeout_ms;             /* 0: the client's default. Sent as `expiration`. */
    const char *tokens;         /* x-auth-tokens for this call; NULL: the client's (or, from
                                   inside a worker's handler, the request's) */
    const char *forward_to;     /* remote cluster: send through a router's lanes */
    const char *address;        /* notifications through a router: unicast to @address */
} bk_call_opts;

/* Synchronous call: runs the loop until the response or the timeout.
 * On 0, *result (may be NULL to ignore it) is the result, kept alive by arena a (a may be
 * NULL only when result is NULL). On failure returns BK_ERPC, BK_ETIMEDOUT, BK_ECLOSED,
 * BK_EINVAL (bad method name), BK_ESTATE (the loop cannot be run here), BK_ENOMEM, BK_ELIMIT,
 * and fills *err (may be NULL) with strings in arena a (static strings when a is NULL). */
BK_API int bk_call(bk_client *c, const char *method, json_t *params, const bk_call_opts *o,
                   bk_arena *a, json_t **result, bk_error *err);

/* The result of an async call: exactly one of result (0 returned, JSON value, possibly
 * null) or err (not NULL: remote error, -31600 timeout, or a local failure). a holds both
 * and is freed when the callback returns. */
typedef void bk_call_fn(bk_client *c, bk_arena *a, json_t *result, const bk_error *err,
                        void *arg);

/* Asynchronous call. On 0 done is called exactly once, later, from the loop. Waits for room
 * in the output buffer as bk_call_background does, within the call's timeout. On failure
 * (BK_ECLOSED, BK_ETIMEDOUT, BK_EINVAL, BK_ENOMEM, BK_ELIMIT) it is never called. */
BK_API int bk_call_async(bk_client *c, const char *method, json_t *params,
                         const bk_call_opts *o, bk_call_fn *done, void *arg);

/* Background job: sent to the service's queue without id; nobody answers. 0 once handed
 * to the connection. A send that finds the output buffer full runs the loop until there is
 * room (opts.max_outbuf, doc/api.md "Flow"), for at most opts.send_timeout_ms: BK_ETIMEDOUT.
 * BK_ECLOSED, BK_EINVAL, BK_ENOMEM; BK_ELIMIT only where the loop cannot be run and the
 * hard limit (4 x max_outbuf) is reached. */
BK_API int bk_call_background(bk_client *c, const char *method, json_t *params,
                              const bk_call_opts *o);

/* Notification to /topic/msg.{cluster}.{method} (or through a router with forward_to).
 * Same returns as bk_call_background. */
BK_API int bk_notify(bk_client *c, const char *method, json_t *params, const bk_call_opts *o);

/* A received notification. method and params live in a (freed after the call). */
typedef void bk_notify_fn(bk_client *c, bk_arena *a, const char *method, json_t *params,
                          void *arg);

/* Subscribes notifications "svc.method" or "svc.*" (every method of svc). Lasts until
 * bk_client_free. 0, BK_EINVAL, BK_ENOMEM, BK_ELIMIT. */
BK_API int bk_subscribe(bk_client *c, const char *pattern, bk_notify_fn *fn, void *arg);

/* Runs the loop until no call is pending and every callback has run (0), or timeout_ms
 * passed (BK_ETIMEDOUT; timeout_ms < 0: no limit, the per-call timeouts bound it). */
BK_API int bk_client_wait_all(bk_client *c, int timeout_ms);

/* Runs the loop until everything sent so far (calls, background jobs, notifications, ACKs)
 * has been handed to the kernel (0), or timeout_ms passed (BK_ETIMEDOUT), or the connection
 * is down (BK_ECLOSED). timeout_ms 0 writes what the kernel takes now without waiting.
 * bk_client_free() closes at once: a program that sends background jobs or notifications and
 * exits calls this first. Callbacks may run meanwhile. */
BK_API int bk_client_flush(bk_client *c, int timeout_ms);

/* Runs the loop (delivering callbacks) until bk_client_stop() (0) or, for _run_for, for
 * ms milliseconds. BK_EINVAL for NULL; BK_ESTATE from inside the loop. bk_client_stop(NULL)
 * does nothing. */
BK_API int bk_client_run(bk_client *c);
BK_API int bk_client_run_for(bk_client *c, int ms);
BK_API void bk_client_stop(bk_client *c);

/* Calls pending (sent, not answered); 0 for NULL. */
BK_API size_t bk_client_pending(const bk_client *c);

/* n zeroed bytes, aligned for any type, that live as long as c and are freed with it (the
 * binding a generated _subscribe registers its callback with). NULL when out of memory. */
BK_API void *bk_client_hold(bk_client *c, size_t n);

#ifdef __cplusplus
}
#endif
#endif
