/* What the worker needs of the client's insides. Internal (bkp_). */
#ifndef BKP_RPC_CLIENT_INT_H
#define BKP_RPC_CLIENT_INT_H

#include "beekeeper/client.h"
#include "stomp/conn.h"

/* A job taken off a request queue, copied out of its MESSAGE so that it can run after the
 * connection's callback has returned (outside libevent, so handlers may make sync calls). */
typedef struct bkp_job {
    char *body;
    size_t len;
    char *reply_to, *forward_reply, *tokens, *session;
    bkp_ack_tag *tag;           /* NULL for topics (auto ack) */
    void *owner;                /* the worker's service or subscription record */
} bkp_job;

void bkp_job_free(bkp_job *j);
/* Copies msg into a new job (with an ack tag when want_tag). NULL when out of memory. */
bkp_job *bkp_job_new(bkp_stomp *s, const bkp_frame *msg, int want_tag, void *owner);

/* The worker's hooks, called by the client. */
typedef struct bkp_worker_hooks {
    void (*run_job)(void *w, bkp_job *j);       /* takes j */
    void (*connected)(void *w);
    void *w;
} bkp_worker_hooks;

void bkp_client_set_worker(bk_client *c, const bkp_worker_hooks *h);
bkp_stomp *bkp_client_stomp(bk_client *c);
/* Queues a job for delivery from the drain point (takes j). */
void bkp_client_queue_job(bk_client *c, bkp_job *j);
/* Drops every queued job for which keep(j, arg) is 0, after calling drop(j, arg) on it. */
void bkp_client_filter_jobs(bk_client *c, int (*keep)(bkp_job *, void *), void *arg);
/* While a handler runs: the request's tokens and session travel on nested calls. */
void bkp_client_set_context(bk_client *c, const char *tokens, const char *session,
                            const char **old_tokens, const char **old_session);
/* Sends a raw body to dest with optional extra headers (reply, logs). */
int bkp_client_send_raw(bk_client *c, const char *dest, const bkp_header *h, size_t n,
                        const char *body, size_t len);
/* 1 while a loop wrapper of the client runs the loop. */
int bkp_client_set_running(bk_client *c, int running);

#endif
