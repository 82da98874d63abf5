/* Internals shared by conn.c (life, I/O, incoming frames) and conn_ops.c (outgoing
 * operations) of the STOMP connection. Not for any other file. */
#ifndef BKP_STOMP_CONN_INT_H
#define BKP_STOMP_CONN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "net/hostport.h"
#include "stomp/conn.h"

struct bkp_io;
struct event;

struct bkp_sub {
    struct bkp_sub *next;
    char *dest;
    char *id;
    bkp_ack_mode ack;
    unsigned prefetch;
    int worker_prefetch;
    bkp_header *hdrs;          /* copied names and values */
    size_t nhdrs;
    bkp_msg_fn *fn;
    void *arg;
    bkp_receipt_fn *done;      /* first SUBSCRIBE's completion, until requested */
    void *done_arg;
    int temp;                  /* made by bkp_stomp_subscribe_temp */
    int broker_made;           /* temp queue the broker subscribes itself (this connection) */
    int gone;                  /* unsubscribed; released by the last leave() */
};

enum rcpt_kind { RCPT_PLAIN, RCPT_DISCONNECT };

struct rcpt {
    struct rcpt *next;
    uint64_t id;
    enum rcpt_kind kind;
    bkp_receipt_fn *fn;
    void *arg;
};

enum defer_kind { DEFER_RECEIPT, DEFER_STATE };

struct defer {
    struct defer *next;
    enum defer_kind kind;
    bkp_receipt_fn *fn;        /* DEFER_RECEIPT */
    void *arg;
    int status;                /* status, or reason for DEFER_STATE */
    bkp_stomp_state state;
    char detail[128];
};

struct bkp_ack_tag {
    uint64_t gen;
    char *id;                  /* 1.2: the `ack` header; 1.1/1.0: message-id */
    char *sub;
};

struct bkp_stomp {
    struct event_base *base;
    bkp_stomp_opts o;          /* hosts/strings below are our copies */
    bkp_hostport *hosts;
    size_t nhosts;
    size_t cur;                /* host of the current or last attempt */
    char *vhost, *login, *passcode;

    bkp_stomp_state state;
    struct bkp_io *io;         /* the socket; NULL while there is none */
    bkp_parser *parser;
    size_t unparsed;           /* input bytes already counted in stats.bytes_in */
    uint64_t parser_hb;        /* parser heart-beat count at the last read */
    uint64_t conn_id;          /* bumped whenever the socket goes */
    int version;               /* 10, 11, 12 once CONNECTED */
    unsigned enc_flags;
    bkp_flavour flavour;
    char *server, *session;
    unsigned hb_send, hb_recv; /* negotiated, ms */
    uint64_t last_read_ms;
    int wrote;                 /* a frame went into the output since the last send tick */
    int tcp_up;                /* the current attempt's TCP connect succeeded */
    uint64_t generation;
    uint64_t connected_at_ms;
    unsigned fails;            /* failed attempts in the current round */
    unsigned rounds;           /* failed rounds since the last stable connection */
    int last_reason;
    char detail[192];
    /* For the DISCONNECTED callback: the attempt that failed ended a round of every host
     * (round_over), and the next attempt comes after retry_ms (-1: none, CLOSED follows). */
    int round_over;
    int64_t retry_ms;

    struct event *ev_retry, *ev_timeout, *ev_hb_send, *ev_hb_recv, *ev_defer;
    struct defer *defer_head, *defer_tail;
    int kill_reason;           /* an encoder failure left a partial frame: drop (deferred) */

    bkp_sub *subs;
    uint64_t next_sub;
    struct rcpt *rcpts, *rcpts_tail;
    uint64_t next_rcpt;

    int busy;
    int freed;
    int any_gone;
    bkp_stomp_stats stats;
};

/* A copy of s (malloc); NULL when out of memory. */
char *bkp_conn_strdup(const char *s);
void bkp_conn_sub_free(bkp_sub *sub);
/* Queues a completion (fn NULL: nothing) or a state report, run from the loop soon. */
int bkp_conn_defer_push(bkp_stomp *s, enum defer_kind kind, bkp_receipt_fn *fn, void *arg,
                        int status, bkp_stomp_state st, const char *detail);
/* 0 when `need` more bytes fit in the output buffer; BK_ELIMIT, or BK_ECLOSED (no socket). */
int bkp_conn_out_room(bkp_stomp *s, size_t need);
/* Accounts for a frame just encoded (r = bkp_enc_end's result); poisons the connection
 * when r < 0 (a partial frame may be in the buffer). Returns r. */
int bkp_conn_out_done(bkp_stomp *s, int r);
struct rcpt *bkp_conn_rcpt_add(bkp_stomp *s, enum rcpt_kind kind, bkp_receipt_fn *fn,
                               void *arg);
void bkp_conn_rcpt_unlink(bkp_stomp *s, struct rcpt *r);
/* Takes the pending receipt named by a receipt-id value ("r123"), or NULL. Caller frees. */
struct rcpt *bkp_conn_rcpt_take(bkp_stomp *s, const char *idstr);
void bkp_conn_enc_receipt(bkp_enc *e, const struct rcpt *r);
size_t bkp_conn_hdrs_size(const bkp_header *h, size_t n);
/* Sends SUBSCRIBE for sub on the current connection (or notes that the broker makes it). */
int bkp_conn_subscribe_now(bkp_stomp *s, bkp_sub *sub);
/* The live subscription with this id, or NULL. */
bkp_sub *bkp_conn_find_sub(bkp_stomp *s, const char *id);

#endif
