/* What the client offers the parts of the library built on it (the worker, the bus
 * interface of rpc/bus.h). Internal (bkp_); the loop's thread only. */
#ifndef BKP_RPC_CLIENT_INT_H
#define BKP_RPC_CLIENT_INT_H

#include "beekeeper/client.h"
#include "stomp/conn.h"

/* Work queued behind the client's own callbacks: a task runs at the drain point, in arrival
 * order with call completions and notifications, outside libevent (so it may make sync
 * calls) and never re-entrantly. The worker's jobs are tasks. */
typedef struct bkp_task_ops {
    void (*run)(void *task);    /* takes task */
    void (*drop)(void *task);   /* frees a task that will not run (filtered, client freed) */
} bkp_task_ops;

/* Queues task for ops->run (takes task; dropped at once when out of memory). ops is
 * borrowed and must outlive the client (a static table). */
void bkp_client_queue_task(bk_client *c, const bkp_task_ops *ops, void *task);
/* Drops every queued task of ops for which keep(task, arg) is 0. */
void bkp_client_filter_tasks(bk_client *c, const bkp_task_ops *ops,
                             int (*keep)(void *task, void *arg), void *arg);

/* From a task, between two tasks of one drain: writes what is queued and runs one
 * non-blocking turn of the loop (reads, timers, signals), so that what earlier tasks sent
 * leaves before a long one runs and a stop asked meanwhile (a signal) is seen. What the turn
 * queues runs later in the same drain, in order. Inside a callback of the loop (a drain of
 * a loop the application runs) it only writes. */
void bkp_client_poll(bk_client *c);

/* The client's connection (borrowed, lives as long as c). */
bkp_stomp *bkp_client_stomp(bk_client *c);
/* While a handler runs: the request's tokens and session travel on nested calls. */
void bkp_client_set_context(bk_client *c, const char *tokens, const char *session,
                            const char **old_tokens, const char **old_session);
/* Sends a body (malloc'd, taken in any case: it joins the frame without a copy) to dest with
 * optional extra headers (responses). BK_ECLOSED when not connected, else as
 * bkp_stomp_send_take. */
int bkp_client_send_take(bk_client *c, const char *dest, const bkp_header *h, size_t n,
                         char *body, size_t len);

#endif
