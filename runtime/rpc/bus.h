/* The bus as the built-in services reach it: the interface of runtime/services/ (and of
 * the Router to come) to the transport, below bk_client and bk_worker.
 *
 * A built-in service is an ordinary worker module (module.h) that includes public headers
 * and this one, never the STOMP layer's or the client's own. It needs the bus raw where a
 * bk_worker cannot serve: the Sinkhole drains a queue on a connection of its own and
 * answers inside the message callback; LogTail reads the wildcard topic of the logs; the
 * Router will pull lanes (client-individual acks, a window), re-send each message with a
 * header set it builds itself on another bus, and ACK it once that send is queued; every
 * worker's log goes to a topic that bk_notify does not name. Destinations come from the
 * bkp_dest_* of rpc/names.h, which this header includes.
 *
 * Internal (bkp_): services are linked into the programs that run them (bkpr, the tests),
 * not loaded as .so files, so these names need not be exported. Everything runs on the
 * loop of the bk_client a bus comes from (the STOMP layer's rules: stomp/conn.h). */
#ifndef BKP_RPC_BUS_H
#define BKP_RPC_BUS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "beekeeper/client.h"
#include "rpc/names.h"

/* The types are the STOMP layer's, seen only through the functions below. */
typedef struct bkp_stomp bkp_bus;        /* one connection */
typedef struct bkp_sub bkp_bus_sub;      /* one subscription of a connection */
typedef struct bkp_frame bkp_bus_msg;    /* a MESSAGE, borrowed during its callback */

/* A MESSAGE for sub, borrowed until the callback returns: ACK or NACK it from there. */
typedef void bkp_bus_msg_fn(bkp_bus *b, bkp_bus_sub *sub, const bkp_bus_msg *m, void *arg);
/* The answer to a frame sent with a receipt: 0 (the broker's RECEIPT), BK_ECLOSED (the
 * connection went first), BK_EBROKER (an ERROR named it). */
typedef void bkp_bus_done_fn(bkp_bus *b, int status, void *arg);

typedef enum bkp_bus_ack_mode {
    BKP_BUS_ACK_AUTO = 0,       /* the broker forgets a message once it is sent */
    BKP_BUS_ACK_EACH,           /* client-individual: each message is ACKed or NACKed */
} bkp_bus_ack_mode;

/* A header to send (at most BKP_BUS_MAX_HEADERS a frame). Not destination,
 * content-length or receipt; nor expiration or expires with a ttl. */
typedef struct bkp_bus_header {
    const char *name, *value;
} bkp_bus_header;
#define BKP_BUS_MAX_HEADERS 16

/* ---- connections */

/* The connection of c (and of the worker that owns c): borrowed, lives as long as c. */
bkp_bus *bkp_bus_of(bk_client *c);
/* A connection of its own to c's brokers, with c's options, not yet started: subscribe,
 * then bkp_bus_start. Closing it (bkp_bus_free) is how a service gives back at once what
 * it was sent and did not acknowledge. 0, BK_ENOMEM. */
int bkp_bus_new(bkp_bus **out, bk_client *c);
/* Whether a connection is usable: up 1 once CONNECTED (subscriptions re-sent), 0 when it
 * is lost (a retry is scheduled). */
typedef void bkp_bus_state_fn(bkp_bus *b, int up, void *arg);
typedef struct bkp_bus_watch {
    bkp_bus_state_fn *fn;       /* may be NULL */
    void *arg;
} bkp_bus_watch;
/* A connection on c's loop to other brokers: o's hosts and vhost (the rest of o is not
 * read), logged in as c is (a Router enters the frontend as the backend's user), with
 * state changes to watch (borrowed: it must outlive the connection).
 * Not yet started. The Router's to each frontend bus. 0, BK_EINVAL (no hosts), BK_ENOMEM. */
int bkp_bus_new_to(bkp_bus **out, bk_client *c, const bk_client_opts *o, bkp_bus_watch *watch);
/* 1 when b is connected. */
int bkp_bus_is_up(const bkp_bus *b);
/* The CONNECTED frame's `server` header ("" before it): which broker, for its reply-queue
 * names (RabbitMQ/, ActiveMQ/). Borrowed until the next connection. */
const char *bkp_bus_server(const bkp_bus *b);
/* Bytes queued for sending on b. */
size_t bkp_bus_pending_bytes(const bkp_bus *b);

/* Begins connecting (and reconnecting, with failover, until freed). 0 or BK_ESTATE. */
int bkp_bus_start(bkp_bus *b);
/* Closes a connection of bkp_bus_new at once, subscriptions included. NULL does nothing. */
void bkp_bus_free(bkp_bus *b);

/* ---- subscriptions */

/* Subscribes dest (copied) with ack, and with a window of that many unacknowledged
 * messages (0: the broker's default). MESSAGEs go to fn(arg). The subscription is kept
 * across reconnects until bkp_bus_unsubscribe or the end of the connection; *out (may be
 * NULL) is borrowed as long. 0, BK_EINVAL, BK_ENOMEM, BK_ELIMIT, BK_ESTATE (closed). */
int bkp_bus_subscribe(bkp_bus *b, const char *dest, bkp_bus_ack_mode ack, unsigned window,
                      bkp_bus_msg_fn *fn, void *arg, bkp_bus_sub **out);
/* A private reply queue, dest "/temp-queue/NAME", whatever the broker (stomp/conn.h's rule:
 * RabbitMQ makes it, and delivers to it, once a SEND of this connection names it in
 * reply-to). Auto-ack, kept across reconnects. Same returns as bkp_bus_subscribe. */
int bkp_bus_subscribe_temp(bkp_bus *b, const char *dest, bkp_bus_msg_fn *fn, void *arg,
                           bkp_bus_sub **out);
/* Ends sub at once (no more MESSAGEs, also inside its callback); done (may be NULL) gets
 * the UNSUBSCRIBE's receipt, or 0 when there was nothing to tell the broker. NACK held
 * messages first: RabbitMQ closes a connection that acknowledges on a cancelled
 * subscription. 0, BK_EINVAL, BK_ELIMIT, BK_ENOMEM. */
int bkp_bus_unsubscribe(bkp_bus *b, bkp_bus_sub *sub, bkp_bus_done_fn *done, void *arg);

/* ---- messages */

/* The value of m's header name (the first one), or NULL; borrowed like m. */
const char *bkp_bus_msg_header(const bkp_bus_msg *m, const char *name);
/* m's body (len bytes, NUL-terminated beyond them); borrowed like m. */
const char *bkp_bus_msg_body(const bkp_bus_msg *m, size_t *len);
/* ACK or NACK m, from inside its callback, on the connection that delivered it. 0,
 * BK_ECLOSED, BK_ESTATE (its subscription has ended), BK_EINVAL, BK_ELIMIT, BK_ENOMEM. */
int bkp_bus_ack(bkp_bus *b, const bkp_bus_msg *m);
int bkp_bus_nack(bkp_bus *b, const bkp_bus_msg *m);

/* ---- sending */

/* SEND body (len bytes) to dest with headers h[0..n) and, when ttl_ms > 0, a time to live
 * in the broker's spelling. 0, BK_ECLOSED (not connected), BK_EINVAL (a reserved
 * header), BK_ELIMIT (too many headers, or the output buffer is full), BK_ENOMEM. */
int bkp_bus_send(bkp_bus *b, const char *dest, const bkp_bus_header *h, size_t n,
                 const char *body, size_t len, uint64_t ttl_ms);
/* A JSON-RPC notification (method, params borrowed; no id) to dest, any destination. Same
 * returns. */
int bkp_bus_notify(bkp_bus *b, const char *dest, const char *method, json_t *params);
/* Answers the JSON-RPC request m, as a worker would, with error code and its standard
 * message: to m's reply-to, with m's x-forward-reply. 0 when sent; BK_EINVAL when m asks
 * for no answer (no reply-to; no id, as a background job; a response); else as
 * bkp_bus_send. */
int bkp_bus_fail_request(bkp_bus *b, const bkp_bus_msg *m, int code);

#endif
