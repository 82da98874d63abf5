/* bkpr-broker internals: the objects a routed message meets and the functions between the
 * files of runtime/broker/. Single-threaded: everything runs on the broker's event loop.
 *
 *   server.c   listeners, signals, shutdown, the broker object
 *   session.c  one client connection: I/O, STOMP commands, heart-beats, limits
 *   route.c    vhosts, queues, the topic trie, messages, delivery and acknowledgement
 *   auth.c     the configuration file: users, permissions, limits
 *   stats.c    the broker's figures, served as the method _bkpr.broker.stats
 *   map.c      the string hash map they all use */
#ifndef BKP_BROKER_H
#define BKP_BROKER_H

#include <stddef.h>
#include <stdint.h>

#include "broker/map.h"
#include "stomp/frame.h"

struct event_base;
struct event;
struct bkp_io;
struct evconnlistener;

#define BKP_BROKER_SERVER "bkpr-broker/0.1"

typedef struct bkp_broker bkp_broker;
typedef struct bkp_session bkp_session;
typedef struct bkp_vhost bkp_vhost;
typedef struct bkp_queue bkp_queue;
typedef struct bkp_sub bkp_bsub;
typedef struct bkp_msg bkp_msg;
typedef struct bkp_delivery bkp_delivery;
typedef struct bkp_user bkp_user;

/* Limits; every one has a default (broker_limits_default) and may be set in the config. */
typedef struct bkp_broker_limits {
    bkp_limits frame;              /* frame size, header count, header bytes */
    size_t max_connections;        /* 50000 (also bounded by the fd limit, raised at start) */
    size_t max_queue_messages;     /* per queue: a SEND beyond it is refused; 100000 */
    size_t max_queued_bytes;       /* all queues of the broker together; 256 MiB */
    size_t max_conn_outbuf;        /* bytes waiting to be written to one client; 4 MiB */
    size_t max_subscriptions;      /* per connection; 1000 */
    size_t max_vhosts;             /* without a users config, vhosts made on demand; 100 */
    int connect_timeout_ms;        /* time allowed to send CONNECT; 10000 */
    int heartbeat_ms;              /* shortest heart-beat interval agreed, either way; 0 none */
} bkp_broker_limits;

void bkp_broker_limits_default(bkp_broker_limits *l);

/* A message: one allocation holding the destination, the headers to pass on and the body.
 * Shared by reference between a queue and the deliveries of a topic fan-out. */
struct bkp_msg {
    uint32_t refs;
    uint32_t nheaders;
    int redelivered;
    int64_t expires_ms;            /* wall clock ms; 0 = never */
    size_t size;                   /* bytes accounted to max_queued_bytes while queued */
    bkp_msg *next;                 /* queue link */
    const char *dest;
    const char *body;
    size_t body_len;
    bkp_header headers[];          /* then the strings */
};

bkp_msg *bkp_msg_new(const bkp_frame *send, const char *dest, const char *reply_to,
                     int64_t expires_ms);
void bkp_msg_unref(bkp_msg *m);

/* A subscription of a session. */
typedef enum { BKP_ACK_AUTO, BKP_ACK_CLIENT, BKP_ACK_INDIVIDUAL } bkp_ack_mode;
typedef enum { BKP_DEST_QUEUE, BKP_DEST_TOPIC } bkp_dest_kind;

struct bkp_delivery {
    bkp_delivery *prev, *next;     /* in the subscription's unacked list, oldest first */
    bkp_msg *msg;
    uint64_t seq;
};

struct bkp_sub {
    bkp_session *sess;
    char *id;                      /* the client's subscription id */
    char *dest;                    /* as the client wrote it */
    uint32_t serial;               /* names it in ack ids: "<serial>.<seq>" */
    bkp_dest_kind kind;
    bkp_ack_mode ack;
    uint32_t prefetch;             /* 0 = unlimited */
    uint32_t inflight;
    bkp_queue *queue;              /* for queues */
    bkp_bsub *qprev, *qnext;       /* ring of the queue's consumers */
    struct bkp_tnode *tnode;       /* for topics */
    bkp_bsub *tprev, *tnext;       /* list of the trie node's subscribers */
    bkp_delivery *unacked_head, *unacked_tail;
    bkp_bsub *snext;               /* the session's list */
    uint64_t last_pub;             /* topic fan-out: delivered for this publish already */
};

struct bkp_queue {
    char *name;                    /* key in the vhost map: "/queue/x" or "tq.TOKEN.x" */
    bkp_vhost *vhost;
    bkp_msg *head, *tail;
    size_t len;
    bkp_bsub *consumers;           /* ring; the next to try */
    size_t nconsumers;
    bkp_session *owner;            /* temp queues: the connection it belongs to */
    int has_ttl;                   /* some queued message may expire */
    bkp_queue *tq_next;            /* the owner's list of temp queues */
};

typedef struct bkp_tnode {
    char *seg;
    struct bkp_tnode *parent;
    bkp_map children;              /* literal segments */
    struct bkp_tnode *star, *hash; /* '*' and '#' */
    bkp_bsub *subs;
    size_t nsubs;
} bkp_tnode;

struct bkp_vhost {
    char *name;
    bkp_broker *broker;
    bkp_map queues;
    bkp_tnode topics;
};

/* Routing (route.c) */
bkp_vhost *bkp_vhost_get(bkp_broker *b, const char *name, int create);
void bkp_vhost_free(bkp_vhost *v);
bkp_queue *bkp_queue_get(bkp_vhost *v, const char *name, int create);
/* Queues a message (taking a reference) and delivers what it can. 0 or BK_ELIMIT (full). */
int bkp_queue_push(bkp_queue *q, bkp_msg *m);
void bkp_queue_dispatch(bkp_queue *q);
/* Frees a queue that has no message and no consumer (and no owner). */
void bkp_queue_gc(bkp_queue *q);
void bkp_queue_drop_owned(bkp_queue *q);
/* Delivers a message to every matching topic subscription. */
void bkp_topic_publish(bkp_vhost *v, const char *topic, bkp_msg *m);
int bkp_topic_attach(bkp_vhost *v, bkp_bsub *s, const char *pattern);
void bkp_topic_detach(bkp_bsub *s);
void bkp_queue_attach(bkp_queue *q, bkp_bsub *s);
void bkp_queue_detach(bkp_bsub *s);   /* requeues what it held (redelivered) */
/* Acknowledges up to and including seq (cumulative) or exactly seq; NACK requeues. */
int bkp_sub_ack(bkp_bsub *s, uint64_t seq, int cumulative, int nack);
void bkp_expire_sweep(bkp_broker *b);

/* Sessions (session.c) */
void bkp_session_accept(bkp_broker *b, int fd);
void bkp_session_close_all(bkp_broker *b, const char *why);
/* Writes a MESSAGE for m on subscription s; returns its delivery sequence. */
uint64_t bkp_session_deliver(bkp_session *sess, bkp_bsub *s, bkp_msg *m);
/* Whether the session can take more output now (its buffer is under the limit). */
int bkp_session_writable(const bkp_session *sess);
/* Writes the session's output now instead of at the end of the loop turn (bkp_io_write_now). */
void bkp_session_write_now(bkp_session *sess);
void bkp_session_free_all(bkp_broker *b);

/* Users and permissions (auth.c) */
struct bkp_user {
    char *name;
    char *password;
    bkp_map vhosts;                /* vhost name -> struct perms */
};
/* Loads a config file; on error fills err ("FILE:LINE:COL: ..." or "FILE: ..."). */
int bkp_broker_load_config(bkp_broker *b, const char *path, char *err, size_t errlen);
void bkp_broker_free_config(bkp_broker *b);
/* NULL when login fails; the broker's anonymous user when no users are configured. */
const bkp_user *bkp_auth_login(bkp_broker *b, const char *login, const char *pass,
                               const char *vhost);
int bkp_auth_may(const bkp_user *u, const char *vhost, const char *dest, int write);
int bkp_glob_match(const char *pat, const char *s);

/* Statistics (stats.c) */
typedef struct bkp_broker_stats {
    int64_t started_ms;
    uint64_t connections_total;    /* accepted since the start */
    uint64_t msgs_in;              /* SENDs routed (to a queue or a topic) */
    uint64_t msgs_out;             /* MESSAGEs written */
    uint64_t held_back;            /* times a publisher was held back (not read from) */
    uint64_t drop_full;            /* SENDs refused: the queue or the broker was full */
    uint64_t drop_expired;         /* messages whose time to live passed in a queue */
} bkp_broker_stats;

/* Whether a SEND to dest is a request to the broker's own method (any cluster). */
int bkp_stats_is_request(const char *dest);
/* The JSON-RPC response to the request in body (malloc'd, *out_len bytes), for a user of
 * vhost v; NULL when nobody waits for one (no id) or out of memory. */
char *bkp_stats_answer(const bkp_broker *b, const bkp_vhost *v, const char *body,
                       size_t len, size_t *out_len);

struct bkp_broker {
    struct event_base *base;
    bkp_broker_limits lim;
    bkp_map vhosts;
    bkp_map users;                 /* name -> bkp_user; empty: any login accepted */
    int have_users;
    char **listen;
    size_t nlisten;
    struct evconnlistener **listeners;
    size_t nlisteners;
    bkp_session *sessions;         /* all connections */
    size_t nsessions;
    size_t queued_bytes;
    uint64_t dropped;              /* topic messages dropped for slow consumers */
    bkp_broker_stats stats;
    uint64_t pub_seq;
    int verbose;
    int stopping;
    struct event *sweep;
};

void bkp_broker_log(const bkp_broker *b, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int64_t bkp_now_ms(void);

#endif
