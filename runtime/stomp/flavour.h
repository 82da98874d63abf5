/* Broker flavours: every difference between STOMP brokers that the client must know.
 *
 * The connection detects the flavour from CONNECTED's `server` header on every (re)connect
 * and asks these functions; nothing else in the code base tests a broker's name. Pure
 * functions, no state, any thread. */
#ifndef BKP_STOMP_FLAVOUR_H
#define BKP_STOMP_FLAVOUR_H

#include <stddef.h>
#include <stdint.h>

typedef enum bkp_flavour {
    BKP_FLAVOUR_GENERIC = 0,  /* any other STOMP 1.1/1.2 server; also "not connected yet" */
    BKP_FLAVOUR_RABBITMQ,     /* server: RabbitMQ/... */
    BKP_FLAVOUR_ACTIVEMQ,     /* server: ActiveMQ/... */
    BKP_FLAVOUR_BKPR,         /* server: bkpr-broker/... */
} bkp_flavour;

/* From a CONNECTED `server` header value (NULL allowed: generic). */
bkp_flavour bkp_flavour_detect(const char *server);

/* "generic", "rabbitmq", "activemq", "bkpr-broker". Static string. */
const char *bkp_flavour_name(bkp_flavour f);

/* The SUBSCRIBE header that limits unacknowledged messages in flight:
 * "prefetch-count" (RabbitMQ, bkpr-broker, generic) or "activemq.prefetchSize". Static. */
const char *bkp_flavour_prefetch_header(bkp_flavour f);

/* The prefetch a worker's request queue subscription asks for when none is configured
 * (doc/protocol.md "Delivery and load balancing"): 1 where the broker dispatches round robin
 * (RabbitMQ, ActiveMQ, generic), where a second job waits behind a busy worker while another
 * is idle; BKP_FLAVOUR_BKPR_PREFETCH on bkpr-broker, whose least-loaded dispatch gives an
 * idle worker the next job whatever its peers hold. */
#define BKP_FLAVOUR_BKPR_PREFETCH 8
unsigned bkp_flavour_worker_prefetch(bkp_flavour f);

/* 1 when the client must SUBSCRIBE its own /temp-queue/X reply queue; 0 when the broker
 * creates and subscribes it by itself as soon as a SEND names it in `reply-to` (RabbitMQ),
 * delivering with `subscription` = the destination (see bkp_flavour_temp_sub_id). */
int bkp_flavour_client_subscribes_temp(bkp_flavour f);

/* The `subscription` header value the broker puts on MESSAGEs for an auto-subscribed
 * temp queue `dest` (RabbitMQ: dest itself). Only meaningful when
 * bkp_flavour_client_subscribes_temp() is 0. Returns dest (borrowed). */
const char *bkp_flavour_temp_sub_id(bkp_flavour f, const char *dest);

/* Multi-level topic wildcard: "#" (RabbitMQ, bkpr-broker, generic) or ">" (ActiveMQ).
 * The single-level wildcard is "*" everywhere. Static. */
const char *bkp_flavour_wildcard_multi(bkp_flavour f);

/* The SUBSCRIBE destination for dest, which the code base spells with "#" as the
 * multi-level wildcard (a whole segment of a /topic/ name): dest itself when f spells it so
 * too, else a copy in buf with bkp_flavour_wildcard_multi(f) instead (same length).
 * NULL when that copy does not fit in size. */
const char *bkp_flavour_subscribe_dest(bkp_flavour f, const char *dest, char *buf, size_t size);

/* How a message's time to live is spelled on SEND: *name = "expiration" with a value in ms
 * relative to now (RabbitMQ, bkpr-broker, generic), or "expires" with an absolute epoch
 * time in ms (ActiveMQ; now_epoch_ms is the current wall-clock time). */
void bkp_flavour_expiration(bkp_flavour f, uint64_t ttl_ms, uint64_t now_epoch_ms,
                            const char **name, uint64_t *value);

/* 1 when NACK gives a message back to its queue for redelivery (RabbitMQ, bkpr-broker,
 * generic); 0 when it sends the message to the dead-letter queue instead (ActiveMQ), so a
 * NACK is not sent: the message stays unacknowledged until its subscription ends or the
 * connection closes, and then the broker redelivers it. */
int bkp_flavour_nack_requeues(bkp_flavour f);

/* 1 when the broker closes the connection after any ERROR frame (STOMP says a server
 * must; RabbitMQ and bkpr-broker do), so the client treats an ERROR as the end of the
 * connection; 0 when the connection stays usable (ActiveMQ). */
int bkp_flavour_error_closes(bkp_flavour f);

#endif
