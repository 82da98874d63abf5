/* bkpr-broker internals: the objects a routed message meets and the functions between the
 * files of runtime/broker/. Single-threaded: everything runs on the broker's event loop.
 * The program's own names start with brk_; a bkp_ name is libbeekeeper's (frames, bkp_io,
 * the map), so that a file may include this header and the client's stomp/conn.h together.
 *
 *   server.c   listeners, signals, shutdown, the broker object
 *   session.c  one client connection: I/O, STOMP commands, heart-beats, limits
 *   route.c    vhosts, queues, the topic trie, messages, delivery and acknowledgement
 *   auth.c     the configuration file: users, permissions, limits
 *   stats.c    the broker's figures, served as the method _bkpr.broker.stats
 *   (core/map.h is the string hash map they all use) */
#ifndef BRK_BROKER_H
#define BRK_BROKER_H

#include <stddef.h>
#include <stdint.h>

#include "core/map.h"
#include "stomp/frame.h"

struct event_base;
struct event;
struct bkp_io;
struct evconnlistener;
struct bkp_tls_ctx;

#define BRK_SERVER "bkpr-broker/0.1"

typedef struct brk_broker brk_broker;
typedef struct brk_session brk_session;
typedef struct brk_vhost brk_vhost;
typedef struct brk_queue brk_queue;
typedef struct brk_sub brk_sub;
typedef struct brk_msg brk_msg;
typedef struct brk_delivery brk_delivery;
typedef struct brk_user brk_user;
typedef struct brk_quota brk_quota;

/* Limits; every one has a default (broker_limits_default) and may be set in the config. */
typedef struct brk_broker_limits {
    bkp_limits frame;              /* frame size, header count, header bytes */
    size_t max_connections;        /* 50000 (also bounded by the fd limit, raised at start) */
    size_t max_queue_messages;     /* per queue: a SEND beyond it is refused; 100000 */
    size_t max_queued_bytes;       /* all queues of the broker together; 256 MiB */
    size_t max_conn_outbuf;        /* bytes waiting to be written to one client; 4 MiB */
    size_t max_subscriptions;      /* per connection; 1000 */
    size_t max_vhosts;             /* without a users config, vhosts made on demand; 100 */
    int connect_timeout_ms;        /* time allowed to send CONNECT; 10000 */
    int heartbeat_ms;              /* shortest heart-beat interval agreed, either way; 0 none */
    int slow_consumer_ms;          /* how long a publisher is held back for a full subscriber
                                      or queue before the excess is dropped or refused; 3000 */
} brk_broker_limits;

void brk_broker_limits_default(brk_broker_limits *l);

/* The bytes one connection's messages hold in queues, against its user's max_queued_bytes.
 * Shared by the connection and each of its queued messages, so that it outlives either. */
struct brk_quota {
    uint32_t refs;
    size_t bytes;
};

void brk_quota_unref(brk_quota *q);

/* A message: one allocation holding the destination, the headers to pass on and the body.
 * Shared by reference between a queue and the deliveries of a topic fan-out. */
struct brk_msg {
    uint32_t refs;
    uint32_t nheaders;
    int redelivered;
    int64_t expires_ms;            /* wall clock ms; 0 = never */
    size_t size;                   /* bytes accounted to max_queued_bytes while queued */
    brk_quota *quota;              /* the sender's, when its user has a max_queued_bytes */
    brk_msg *next;                 /* queue link */
    const char *dest;
    const char *body;
    size_t body_len;
    bkp_header headers[];          /* then the strings */
};

brk_msg *brk_msg_new(const bkp_frame *send, const char *dest, const char *reply_to,
                     int64_t expires_ms);
void brk_msg_unref(brk_msg *m);

/* A subscription of a session. */
typedef enum { BRK_ACK_AUTO, BRK_ACK_CLIENT, BRK_ACK_INDIVIDUAL } brk_ack_mode;
typedef enum { BRK_DEST_QUEUE, BRK_DEST_TOPIC } brk_dest_kind;

struct brk_delivery {
    brk_delivery *prev, *next;     /* in the subscription's unacked list, oldest first */
    brk_msg *msg;
    uint64_t seq;
};

struct brk_sub {
    brk_session *sess;
    char *id;                      /* the client's subscription id */
    char *dest;                    /* as the client wrote it */
    uint32_t serial;               /* names it in ack ids: "<serial>.<seq>" */
    brk_dest_kind kind;
    brk_ack_mode ack;
    uint32_t prefetch;             /* 0 = unlimited */
    uint32_t inflight;
    int nacked;                    /* gave a message back: the queue's last choice from now on */
    brk_queue *queue;              /* for queues */
    brk_sub *qprev, *qnext;        /* ring of the queue's consumers */
    struct brk_tnode *tnode;       /* for topics */
    brk_sub *tprev, *tnext;        /* list of the trie node's subscribers */
    brk_delivery *unacked_head, *unacked_tail;
    brk_sub *snext;                /* the session's list */
    uint64_t last_pub;             /* topic fan-out: delivered for this publish already */
};

struct brk_queue {
    char *name;                    /* key in the vhost map: "/queue/x" or "tq.TOKEN.x" */
    brk_vhost *vhost;
    brk_msg *head, *tail;
    size_t len;
    brk_sub *consumers;            /* ring; the next to try */
    size_t nconsumers;
    brk_session *owner;            /* temp queues: the connection it belongs to */
    int has_ttl;                   /* some queued message may expire */
    brk_queue *tq_next;            /* the owner's list of temp queues */
    uint64_t placed_behind;        /* client-ack deliveries to a consumer already holding one */
    uint64_t placed_unfair;        /* ... while another consumer of the queue held none */
};

typedef struct brk_tnode {
    char *seg;
    struct brk_tnode *parent;
    bkp_map children;              /* literal segments */
    struct brk_tnode *star, *hash; /* '*' and '#' */
    brk_sub *subs;
    size_t nsubs;
} brk_tnode;

struct brk_vhost {
    char *name;
    brk_broker *broker;
    bkp_map queues;
    brk_tnode topics;
};

/* Routing (route.c) */
brk_vhost *brk_vhost_get(brk_broker *b, const char *name, int create);
void brk_vhost_free(brk_vhost *v);
brk_queue *brk_queue_get(brk_vhost *v, const char *name, int create);
/* Queues a message (taking a reference) and delivers what it can. 0 or BK_ELIMIT (full). */
int brk_queue_push(brk_queue *q, brk_msg *m);
void brk_queue_dispatch(brk_queue *q);
/* Frees a queue that has no message and no consumer (and no owner). */
void brk_queue_gc(brk_queue *q);
void brk_queue_drop_owned(brk_queue *q);
/* Delivers a message to every matching topic subscription. Returns how many of them were
 * full but not yet stuck (brk_session_stuck): they got it anyway, over their limit, and
 * the publisher is to be held back. */
int brk_topic_publish(brk_vhost *v, const char *topic, brk_msg *m);
int brk_topic_attach(brk_vhost *v, brk_sub *s, const char *pattern);
void brk_topic_detach(brk_sub *s);
void brk_queue_attach(brk_queue *q, brk_sub *s);
void brk_queue_detach(brk_sub *s);   /* requeues what it held (redelivered) */
/* Acknowledges up to and including seq (cumulative) or exactly seq; NACK requeues. */
int brk_sub_ack(brk_sub *s, uint64_t seq, int cumulative, int nack);
void brk_expire_sweep(brk_broker *b);

/* Sessions (session.c) */
/* tls not NULL: the connection speaks TLS with that context (a listener's). */
void brk_session_accept(brk_broker *b, int fd, struct bkp_tls_ctx *tls);
void brk_session_close_all(brk_broker *b, const char *why);
/* Writes a MESSAGE for m on subscription s; returns its delivery sequence. */
uint64_t brk_session_deliver(brk_session *sess, brk_sub *s, brk_msg *m);
/* Whether the session can take more output now (its buffer is under the limit). */
int brk_session_writable(const brk_session *sess);
/* Credit flow (doc/broker.md "Flow control"). Whether sess has been full for
 * slow_consumer_ms: messages for it are then dropped (brk_session_missed), not waited for. */
int brk_session_stuck(const brk_session *sess);
/* A message for sess was dropped: counted, and its next MESSAGE says how many. */
void brk_session_missed(brk_session *sess);
/* Room was made (a subscriber drained, a full queue gave a message away): the publishers
 * held back read again, from the loop. */
void brk_session_wake_held(brk_broker *b);
/* Writes the session's output now instead of at the end of the loop turn (bkp_io_write_now). */
void brk_session_write_now(brk_session *sess);
void brk_session_free_all(brk_broker *b);

/* Users and permissions (auth.c) */
struct brk_user {
    char *name;
    char *password;                /* crypto_pwhash_str's "$argon2id$..." when hashed */
    int hashed;
    int has_ok;                    /* ok_mac holds a password that verified */
    unsigned char ok_mac[32];
    bkp_map vhosts;                /* vhost name -> struct perms */
    size_t max_queued_bytes;       /* per connection: its messages waiting in queues; 0 none */
    uint32_t max_sends_per_sec;    /* per connection: SEND frames; 0 none */
};
/* The users file's form of a password (libsodium's crypto_pwhash_str, Argon2id) into out
 * (at least 128 bytes). 0, BK_EINVAL (out too small) or BK_ENOMEM. */
int brk_auth_hash_password(const char *pw, char *out, size_t outlen);
/* Loads a config file; on error fills err ("FILE:LINE:COL: ..." or "FILE: ..."). */
int brk_broker_load_config(brk_broker *b, const char *path, char *err, size_t errlen);
void brk_broker_free_config(brk_broker *b);
/* NULL when login fails; the broker's anonymous user when no users are configured. */
const brk_user *brk_auth_login(brk_broker *b, const char *login, const char *pass,
                               const char *vhost);
int brk_auth_may(const brk_user *u, const char *vhost, const char *dest, int write);
int brk_glob_match(const char *pat, const char *s);

/* Statistics (stats.c) */
typedef struct brk_broker_stats {
    uint64_t started_ms;           /* bkp_now_ms at the start */
    uint64_t connections_total;    /* accepted since the start */
    uint64_t msgs_in;              /* SENDs routed (to a queue or a topic) */
    uint64_t msgs_out;             /* MESSAGEs written */
    uint64_t held_back;            /* times a publisher was held back (not read from) */
    uint64_t drop_full;            /* SENDs refused: the queue or the broker was full */
    uint64_t drop_expired;         /* messages whose time to live passed in a queue */
    uint64_t placed_behind;        /* all queues' brk_queue.placed_behind */
    uint64_t placed_unfair;        /* all queues' brk_queue.placed_unfair (stays 0) */
} brk_broker_stats;

/* Whether a SEND to dest is a request to the broker's own method (any cluster). */
int brk_stats_is_request(const char *dest);
/* The JSON-RPC response to the request in body (malloc'd, *out_len bytes), for a user of
 * vhost v; NULL when nobody waits for one (no id) or out of memory. */
char *brk_stats_answer(const brk_broker *b, const brk_vhost *v, const char *body,
                       size_t len, size_t *out_len);

struct brk_broker {
    struct event_base *base;
    brk_broker_limits lim;
    bkp_map vhosts;
    bkp_map users;                 /* name -> brk_user; empty: any login accepted */
    int have_users;
    char **listen;                 /* from the config file: "listen" */
    size_t nlisten;
    char **listen_tls;             /* "listen_tls", with tls_cert, tls_key, tls_client_ca */
    size_t nlisten_tls;
    char *tls_cert, *tls_key, *tls_client_ca;
    struct evconnlistener **listeners;
    size_t nlisteners;
    struct bkp_tls_ctx *tls;       /* of the TLS listeners; NULL: none */
    size_t first_tls;              /* listeners from here on speak TLS */
    brk_session *sessions;         /* all connections */
    size_t nsessions;
    size_t queued_bytes;
    uint64_t dropped;              /* topic messages dropped for slow consumers */
    brk_broker_stats stats;
    uint64_t pub_seq;
    int verbose;
    int stopping;
    struct event *sweep;
    struct event *resume;          /* lets held publishers read again (session.c) */
    brk_session *held;             /* publishers held back, not read from */
    int queue_refused;             /* a push found a queue full since the last wake */
};

void brk_broker_log(const brk_broker *b, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
