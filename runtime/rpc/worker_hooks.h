/* What the worker offers the layers above it: hooks on its life cycle, and the numbers a
 * status report is made of. Internal (bkp_): the built-in services' side of every worker
 * (status reports to the Supervisor, the log to LogTail: runtime/services/report.c) is
 * installed through it, so that the worker names no built-in service. Hooks run on the
 * worker's thread, from bk_worker_run and bk_worker_free. */
#ifndef BKP_RPC_WORKER_HOOKS_H
#define BKP_RPC_WORKER_HOOKS_H

#include <stdint.h>

#include "beekeeper/worker.h"

/* Each may be NULL; each gets the arg given with the hook. */
typedef struct bkp_worker_hook {
    void (*connected)(bk_worker *w, void *arg); /* connected, before on_start */
    void (*started)(bk_worker *w, void *arg);   /* on_start succeeded, before the first job */
    void (*stopped)(bk_worker *w, void *arg);   /* graceful exit: after on_stop, before the
                                                   DISCONNECT (the last chance to send) */
    void (*release)(void *arg);                 /* bk_worker_free, before anything is freed */
} bkp_worker_hook;

/* Makes a worker from o, with no hooks (bk_worker_new adds the reports'). Same returns as
 * bk_worker_new, *out NULL on failure included. */
int bkp_worker_new(bk_worker **out, const bk_worker_opts *o);

/* Adds h (copied) with arg. Hooks run in the order they were added. 0 or BK_ENOMEM (then
 * nothing of h is kept and release is not called). */
int bkp_worker_add_hook(bk_worker *w, const bkp_worker_hook *h, void *arg);

/* Microseconds spent in handlers since w was made. */
uint64_t bkp_worker_busy_us(const bk_worker *w);

/* Calls fn(service, arg) for every service whose request queue w serves, the most recently
 * accepted first (service borrowed for the call). */
void bkp_worker_each_queue(const bk_worker *w, void (*fn)(const char *service, void *arg),
                           void *arg);

/* The request's x-forward-reply ("" when none: it did not come through a router). Borrowed
 * like the request. */
const char *bkp_request_forward_reply(const bk_request *req);

#endif
