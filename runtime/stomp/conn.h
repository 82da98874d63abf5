/* An asynchronous STOMP 1.2 client connection on a libevent loop, with failover.
 *
 * Internal to libbeekeeper (bkp_ names); the RPC client and worker are built on it. Knows
 * nothing of JSON or RPC. One bkp_stomp belongs to one event_base and is used from the
 * thread that runs that loop only; every callback runs from that loop.
 *
 * Life cycle
 *   bkp_stomp_new()       validates options, copies them; no I/O yet.
 *   bkp_stomp_start()     picks a random host (opts.ordered: hosts[0]) and connects.
 *   CONNECTING -> CONNECTED -> (lost) DISCONNECTED(reason) -> CONNECTING (next host) ...
 *   On a failure the next host is tried at once; once every host has failed in a row the
 *   connection waits (bounded exponential back-off with jitter: backoff_min_ms doubling up
 *   to backoff_max_ms, each delay drawn in [d/2, d]) and starts another round. A connection
 *   that stayed up for backoff_max_ms or longer resets the back-off.
 *   After every (re)connect all active subscriptions are subscribed again (same ids) before
 *   the state callback reports CONNECTED, so the application may send from that callback.
 *   bkp_stomp_disconnect() sends DISCONNECT with a receipt and closes: state CLOSED.
 *   opts.max_rounds > 0 makes the connection give up after that many failed rounds: state
 *   CLOSED with the last failure as reason.
 *
 * Sending while not CONNECTED
 *   SEND, ACK and NACK fail at once with BK_ECLOSED while the state is not CONNECTED: there
 *   is no queue of frames waiting for a connection. The caller (RPC layer) decides whether
 *   to retry after the next CONNECTED. Subscriptions are different: they are state, kept
 *   across reconnects, and may be made at any time after bkp_stomp_new().
 *
 * Writes
 *   Frames are appended to the output buffer (net/io.h) and leave at the end of the loop
 *   turn, so every frame made within one turn goes out in one writev() where the kernel
 *   allows (e.g. an RPC response and its ACK). Nothing forces a flush per frame.
 *   The output buffer is bounded (opts.max_outbuf): a frame that would exceed it fails
 *   with BK_ELIMIT and nothing of it is queued.
 *
 * Callbacks and re-entrancy
 *   Callbacks may call any function of this API, including bkp_stomp_free() and
 *   bkp_stomp_unsubscribe() of the subscription being delivered: objects are released
 *   only once the outermost callback has returned, and a freed connection delivers nothing
 *   more. A callback is never called from inside the API call that caused it (those run
 *   from the loop, at once but on a later turn).
 *
 * Versions
 *   CONNECT offers accept-version:1.1,1.2. With 1.2 and 1.1, header names and values are
 *   escaped (except on CONNECT/CONNECTED) and ACK/NACK take the 1.2 form (`id` = the
 *   MESSAGE's `ack` header) or the 1.1 form (`message-id` + `subscription`). A CONNECTED
 *   without `version` is a 1.0 server: raw header values, ACK with `message-id` only, no
 *   NACK (BK_ESTATE). */
#ifndef BKP_STOMP_CONN_H
#define BKP_STOMP_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "stomp/frame.h"
#include "stomp/flavour.h"

struct event_base;
struct bkp_tls_ctx;

typedef struct bkp_stomp bkp_stomp;
typedef struct bkp_sub bkp_sub;
typedef struct bkp_ack_tag bkp_ack_tag;

typedef enum bkp_stomp_state {
    BKP_STOMP_IDLE = 0,      /* made, not started */
    BKP_STOMP_CONNECTING,    /* TCP connect and CONNECT sent, waiting for CONNECTED */
    BKP_STOMP_CONNECTED,     /* usable; subscriptions re-sent */
    BKP_STOMP_DISCONNECTED,  /* lost or failed (reason says why); a retry is scheduled */
    BKP_STOMP_CLOSING,       /* DISCONNECT sent, waiting for its receipt */
    BKP_STOMP_CLOSED,        /* final: after bkp_stomp_disconnect(), or gave up (max_rounds) */
} bkp_stomp_state;

/* "idle", "connecting", ... Static string. */
const char *bkp_stomp_state_name(bkp_stomp_state st);

/* State changes. reason is 0 or the bk_err that caused it:
 *   BK_ECONNREFUSED  TCP connect failed (refused, unreachable, unknown host)
 *   BK_ETIMEDOUT     no CONNECTED in time, or the peer stayed silent past its heart-beat
 *   BK_EAUTH         the broker answered CONNECT with an ERROR (bad login, vhost)
 *   BK_EBROKER       an ERROR frame on a broker whose ERROR closes the connection
 *   BK_EPROTO/BK_ELIMIT  the peer sent a malformed or oversized frame
 *   BK_ECLOSED       the peer closed the connection
 *   BK_EIO           a socket error
 * detail is a short borrowed string valid during the call: "127.0.0.1:61613" for
 * CONNECTING/CONNECTED, a description of the failure for DISCONNECTED/CLOSED. */
typedef void bkp_state_fn(bkp_stomp *s, bkp_stomp_state st, int reason, const char *detail,
                          void *arg);

/* An ERROR frame arrived. message is its `message` header ("" if none); err is the whole
 * frame (body often holds details). Both borrowed for the call. Called before the state
 * callback reports the resulting DISCONNECTED, if any. */
typedef void bkp_error_fn(bkp_stomp *s, const char *message, const bkp_frame *err, void *arg);

/* Completion of a frame sent with a receipt. status: 0 = the broker sent the RECEIPT;
 * BK_ECLOSED = the connection was lost (or bkp_stomp_free() ran) before it; BK_EBROKER =
 * an ERROR frame named this receipt; BK_ETIMEDOUT = (DISCONNECT only) no receipt in time. */
typedef void bkp_receipt_fn(bkp_stomp *s, int status, void *arg);

/* A MESSAGE for subscription sub. msg and everything it points to are borrowed until the
 * callback returns (keep what you need: copy it, or bkp_stomp_ack_tag_new()). */
typedef void bkp_msg_fn(bkp_stomp *s, bkp_sub *sub, const bkp_frame *msg, void *arg);

typedef struct bkp_stomp_opts {
    /* Broker addresses "host:port" ("[v6addr]:port" too); at least one, at most 64.
     * Copied. Names resolve with a blocking getaddrinfo() at each attempt: use numeric
     * addresses or names in /etc/hosts where the loop must never block. */
    const char *const *hosts;
    size_t nhosts;
    const char *vhost;       /* CONNECT `host` header; NULL: the first host's name */
    const char *login;       /* NULL: no login/passcode headers */
    const char *passcode;
    /* Heart-beats we offer: we can send every hb_send_ms, we want one every hb_recv_ms.
     * 0 = default 10000; negative = 0 in the offer (none). The negotiated values are
     * honoured: EOLs are sent when nothing else was written for the send interval, and
     * a peer silent for 2 x its interval + hb_grace_ms is dead (BK_ETIMEDOUT, reconnect).
     * hb_grace_ms 0 = min(1000, interval). */
    int hb_send_ms;
    int hb_recv_ms;
    int hb_grace_ms;
    int backoff_min_ms;      /* 0 = 100 */
    int backoff_max_ms;      /* 0 = 5000 */
    int connect_timeout_ms;  /* TCP connect + CONNECTED; 0 = 5000 */
    int disconnect_timeout_ms; /* wait for the DISCONNECT receipt; 0 = 2000 */
    int max_rounds;          /* give up after this many rounds of failed hosts; 0 = never */
    int ordered;             /* 1: first attempt on hosts[0] instead of a random host */
    int use_stomp_cmd;       /* 1: send STOMP instead of CONNECT */
    bkp_limits limits;       /* for incoming frames; zero fields take frame.h's defaults */
    size_t max_outbuf;       /* bytes queued for sending; 0 = 64 MiB */
    size_t max_single_read;  /* bytes read per read event; 0 = 256 KiB (tests use 1) */
    /* TLS to every host, each checked against its own name (net/tls.h); a reference is
     * taken. NULL: plain TCP. */
    struct bkp_tls_ctx *tls;
    bkp_state_fn *state_cb;  /* may be NULL */
    bkp_error_fn *error_cb;  /* may be NULL */
    void *arg;               /* for state_cb and error_cb */
} bkp_stomp_opts;

/* Makes a connection object on base (borrowed; must outlive it). Sets SIGPIPE to be
 * ignored when it has its default action (a peer that resets the connection must not kill
 * the process; write errors are reported instead). Copies everything in o.
 * Returns 0, BK_ENOMEM, or BK_EINVAL (no hosts, a malformed "host:port", a login, passcode
 * or vhost holding CR, LF or NUL: CONNECT values are not escaped). Free with
 * bkp_stomp_free(). */
int bkp_stomp_new(bkp_stomp **out, struct event_base *base, const bkp_stomp_opts *o);

/* A new connection to the same broker(s) as like, with the same options except the
 * callbacks (state_cb, error_cb, arg: may be NULL). Not started. Same returns as
 * bkp_stomp_new. For a second connection whose end must not disturb the first: closing a
 * connection is how a client gives back what it was sent but never acknowledged. */
int bkp_stomp_new_like(bkp_stomp **out, const bkp_stomp *like, bkp_state_fn *state_cb,
                       bkp_error_fn *error_cb, void *arg);

/* Begins connecting (returns at once; progress through state_cb). 0, or BK_ESTATE when
 * already started. */
int bkp_stomp_start(bkp_stomp *s);

/* Closes the socket at once (no DISCONNECT), fails every pending receipt with BK_ECLOSED,
 * and releases everything, subscriptions included. Callbacks are not called again after it
 * returns (receipt callbacks run from inside it with BK_ECLOSED; the state callback does
 * not). NULL does nothing. Safe inside any callback of s (release is then deferred). */
void bkp_stomp_free(bkp_stomp *s);

/* Graceful close: DISCONNECT with a receipt; when it arrives (or after
 * disconnect_timeout_ms: status BK_ETIMEDOUT) the socket closes, the state becomes CLOSED and
 * done (may be NULL) is called. When not connected: stops reconnecting, state CLOSED, done
 * with 0. The object stays valid until bkp_stomp_free(). 0, or BK_ESTATE when already
 * closing or closed. */
int bkp_stomp_disconnect(bkp_stomp *s, bkp_receipt_fn *done, void *arg);

typedef enum bkp_ack_mode {
    BKP_ACK_AUTO = 0,
    BKP_ACK_CLIENT,             /* cumulative */
    BKP_ACK_CLIENT_INDIVIDUAL,
} bkp_ack_mode;

typedef struct bkp_sub_opts {
    bkp_ack_mode ack;
    unsigned prefetch;          /* 0 = no prefetch header; else the flavour's header */
    int worker_prefetch;        /* 1: prefetch is bkp_flavour_worker_prefetch() of the broker
                                   of each CONNECTED (failover may change it) */
    const bkp_header *headers;  /* extra SUBSCRIBE headers (copied); not id, destination, ack,
                                   receipt */
    size_t nheaders;
    /* Called once, for the first SUBSCRIBE of this subscription (the one sent now, or at
     * the next CONNECTED): 0 when its receipt arrived, BK_ECLOSED if the connection went
     * first, BK_EBROKER on an ERROR naming it. Re-subscriptions after a reconnect ask for
     * no receipt. May be NULL. */
    bkp_receipt_fn *done;
    void *done_arg;
} bkp_sub_opts;

/* Subscribes dest (copied); o may be NULL (auto ack, no prefetch). MESSAGEs go to fn(arg).
 * When CONNECTED the SUBSCRIBE is sent now; otherwise at the next CONNECTED. The
 * subscription lives until bkp_stomp_unsubscribe() or bkp_stomp_free(), across reconnects.
 * *out (may be NULL) is borrowed: valid until unsubscribed or the connection is freed.
 * Returns 0, BK_EINVAL (empty dest, a reserved extra header), BK_ENOMEM, BK_ELIMIT
 * (output buffer full), BK_ESTATE (closing or closed). */
int bkp_stomp_subscribe(bkp_stomp *s, const char *dest, const bkp_sub_opts *o,
                        bkp_msg_fn *fn, void *arg, bkp_sub **out);

/* A private reply queue, dest = "/temp-queue/NAME", whatever the broker. Where the broker
 * subscribes temp queues by itself (RabbitMQ, once a SEND names dest in `reply-to`) nothing
 * is sent and MESSAGEs whose `subscription` is dest come to fn; elsewhere this SUBSCRIBEs
 * dest like bkp_stomp_subscribe(). Decided again at every CONNECTED (failover may change
 * broker). Auto ack. Same returns and lifetime as bkp_stomp_subscribe(). */
int bkp_stomp_subscribe_temp(bkp_stomp *s, const char *dest, bkp_msg_fn *fn, void *arg,
                             bkp_sub **out);

/* Ends sub: no more MESSAGEs are delivered to it from now on (also inside its own
 * callback), and sub is invalid once this returns. When CONNECTED, UNSUBSCRIBE is sent
 * with a receipt and done (may be NULL) gets 0 / BK_ECLOSED / BK_EBROKER; otherwise done
 * gets 0 (nothing to tell the broker). For a broker-made temp queue nothing is sent.
 * NACK the messages you hold first: RabbitMQ closes the connection on an ACK/NACK for a
 * cancelled subscription (and bkp_stomp_ack refuses one with BK_ESTATE).
 * Returns 0, BK_EINVAL (sub NULL or already unsubscribed), or BK_ELIMIT/BK_ENOMEM (sub
 * stays subscribed then). */
int bkp_stomp_unsubscribe(bkp_stomp *s, bkp_sub *sub, bkp_receipt_fn *done, void *arg);

/* The destination and the id of a subscription (borrowed, valid as long as sub). */
const char *bkp_sub_dest(const bkp_sub *sub);
const char *bkp_sub_id(const bkp_sub *sub);

/* SEND to dest with extra headers h[0..n) (NULL/0 for none; copied into the output buffer,
 * escaped per version; must not hold destination, content-length or receipt) and a body of
 * len bytes. content-length is always sent. done (may be NULL) asks for a receipt.
 * Returns 0, BK_ECLOSED (not CONNECTED), BK_EINVAL, BK_ELIMIT (output buffer full),
 * BK_ENOMEM. */
int bkp_stomp_send(bkp_stomp *s, const char *dest, const bkp_header *h, size_t n,
                   const void *body, size_t len, bkp_receipt_fn *done, void *arg);

/* SEND with a time to live in ms (0 = none), spelled as the broker's flavour wants
 * (`expiration` relative, or ActiveMQ's absolute `expires`). Otherwise like
 * bkp_stomp_send(); h must not hold expiration/expires then. */
int bkp_stomp_send_ttl(bkp_stomp *s, const char *dest, const bkp_header *h, size_t n,
                       const void *body, size_t len, uint64_t ttl_ms,
                       bkp_receipt_fn *done, void *arg);
/* bkp_stomp_send_ttl without a receipt, taking body (malloc'd; may be NULL when len is 0):
 * it goes to the output buffer without a copy and is freed (free()) once written, or at
 * once when the SEND is refused. Same returns. */
int bkp_stomp_send_take(bkp_stomp *s, const char *dest, const bkp_header *h, size_t n,
                        void *body, size_t len, uint64_t ttl_ms);

/* ACK or NACK a MESSAGE, from inside its bkp_msg_fn, in the negotiated version's form.
 * Returns 0, BK_ECLOSED (not CONNECTED), BK_EINVAL (not a MESSAGE, or the headers the
 * version needs are missing), BK_ESTATE (its subscription was unsubscribed; or NACK on
 * STOMP 1.0), BK_ELIMIT, BK_ENOMEM. On a broker whose NACK dead-letters the message
 * (bkp_flavour_nack_requeues) NACK sends nothing and returns 0: the message goes back when
 * its subscription ends or the connection closes, so NACK only what you unsubscribe from. */
int bkp_stomp_ack(bkp_stomp *s, const bkp_frame *msg);
int bkp_stomp_nack(bkp_stomp *s, const bkp_frame *msg);

/* To ACK/NACK after the callback has returned: copy what the ACK needs into a tag (new;
 * freed by bkp_stomp_ack_tag() or bkp_ack_tag_free()). Returns 0, BK_EINVAL, BK_ENOMEM,
 * BK_ECLOSED (not connected). A tag does not refer to s: it may outlive it. */
int bkp_stomp_ack_tag_new(bkp_stomp *s, const bkp_frame *msg, bkp_ack_tag **out);
/* Sends ACK (nack = 0) or NACK for tag and frees the tag whatever happens. BK_ECLOSED when
 * the connection that delivered the message is gone (the broker has taken it back), else
 * as bkp_stomp_ack(). */
int bkp_stomp_ack_tag(bkp_stomp *s, bkp_ack_tag *tag, int nack);
void bkp_ack_tag_free(bkp_ack_tag *tag);

/* Inspection. Borrowed strings, valid until the next state change. */
bkp_stomp_state bkp_stomp_state_get(const bkp_stomp *s);
/* Valid in the state callback of a DISCONNECTED: whether the failed attempt was the last of
 * a round over every host (*round_over), and in how many ms the next attempt is due (0: at
 * once, with the next host; -1: none, the connection gives up). For logging. */
int64_t bkp_stomp_retry_in(const bkp_stomp *s, int *round_over);
bkp_flavour bkp_stomp_flavour(const bkp_stomp *s);       /* GENERIC before CONNECTED */
const char *bkp_stomp_server(const bkp_stomp *s);        /* CONNECTED `server`, or "" */
/* The login and passcode s connects with (NULL: none), borrowed as long as s. */
void bkp_stomp_login(const bkp_stomp *s, const char **login, const char **passcode);
const char *bkp_stomp_session(const bkp_stomp *s);       /* CONNECTED `session`, or "" */
const char *bkp_stomp_host(const bkp_stomp *s);          /* "host:port" in use or last tried */
int bkp_stomp_version(const bkp_stomp *s);               /* 10, 11, 12; 0 if not CONNECTED */
/* Negotiated heart-beat intervals in ms (0 = none) of the current connection. */
void bkp_stomp_heartbeats(const bkp_stomp *s, unsigned *send_ms, unsigned *recv_ms);
/* Bumped at every CONNECTED: tells apart messages from different connections. */
uint64_t bkp_stomp_generation(const bkp_stomp *s);
struct event_base *bkp_stomp_base(const bkp_stomp *s);
/* Bytes waiting in the output buffer (back-pressure). */
size_t bkp_stomp_pending_bytes(const bkp_stomp *s);
/* Writes queued frames now (bkp_io_flush): call before blocking in the loop. */
void bkp_stomp_flush(bkp_stomp *s);
/* Hands what is pending to the kernel now if the socket takes it, without running the loop
 * (bkp_io_write_now): for a sender queueing many frames between two turns. */
void bkp_stomp_write_now(bkp_stomp *s);

typedef struct bkp_stomp_stats {
    uint64_t frames_in, frames_out, bytes_in, heartbeats_in, heartbeats_out;
    uint64_t connects;      /* successful CONNECTEDs */
    uint64_t attempts;      /* connection attempts */
} bkp_stomp_stats;
void bkp_stomp_stats_get(const bkp_stomp *s, bkp_stomp_stats *st);

#endif
