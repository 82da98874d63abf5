/* A job: a request, background job or notification the worker took off the bus, copied out
 * of its MESSAGE so that it can run after the connection's callback has returned (at the
 * client's drain point, outside libevent, so that its handler may make sync calls).
 * Internal (bkp_). */
#ifndef BKP_RPC_JOB_H
#define BKP_RPC_JOB_H

#include <stddef.h>

#include "beekeeper/arena.h"
#include "stomp/conn.h"

typedef struct bkp_job {
    bk_arena *a;                /* the request's arena to be, holding the body */
    char *body;                 /* NUL-terminated copy of the body (len bytes), in a: the one
                                   copy, which the JSON readers write into */
    size_t len;
    char *reply_to, *forward_reply, *tokens, *session; /* the headers, NULL when absent */
    bkp_ack_tag *tag;           /* NULL for topics (auto ack), and once acknowledged */
    void *owner;                /* the worker's service or subscription record */
} bkp_job;

/* Copies msg (delivered by s) into a new job, with an ack tag when want_tag. NULL when out
 * of memory. */
bkp_job *bkp_job_new(bkp_stomp *s, const bkp_frame *msg, int want_tag, void *owner);
/* Frees j (and its arena, unless taken); a tag still held is freed unacknowledged (the broker redelivers the message once
 * the connection ends). NULL does nothing. */
void bkp_job_free(bkp_job *j);
/* ACKs (nack = 0) or NACKs j's message on s, the connection that delivered it, once: a job
 * without a tag (a topic's, or already acknowledged) sends nothing. */
void bkp_job_ack(bkp_stomp *s, bkp_job *j, int nack);

#endif
