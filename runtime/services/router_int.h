/* What the Router's files share: its state (router.c owns it), the lanes' callbacks
 * (router_lanes.c) and the session methods (router_bind.c). */
#ifndef BKP_SERVICES_ROUTER_INT_H
#define BKP_SERVICES_ROUTER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "beekeeper/config.h"
#include "beekeeper/worker.h"
#include "rpc/bus.h"
#include "services/router_sessions.h"

#define BKP_ROUTER_LANES 2
#define BKP_ROUTER_WINDOW 64          /* unacknowledged messages per lane */
#define BKP_ROUTER_STOP_WAIT_MS 2000  /* for in-flight jobs, at a graceful stop */
#define BKP_ROUTER_TOKEN "BKPR_ROUTER"
#define BKP_ROUTER_BIND "_bkpr.router.bind"
#define BKP_ROUTER_UNBIND "_bkpr.router.unbind"

/* Why a message was dropped (the counters of the status report: router_lanes.c names). */
typedef enum bkp_router_drop {
    BKP_DROP_FORWARD_TO,        /* request: no x-forward-to, or not a public req. queue */
    BKP_DROP_REPLY_TO,          /* request: reply-to not a private temp queue of the broker */
    BKP_DROP_TOO_BIG,           /* request: body over max_body_bytes */
    BKP_DROP_BODY,              /* request: body not a JSON object */
    BKP_DROP_RESPONSE,          /* response: bad x-forward-reply */
    BKP_DROP_NOTIFICATION,      /* notification: bad x-forward-to */
    BKP_DROP_UNBOUND,           /* unicast to an address nobody is bound to */
    BKP_DROP_SEND,              /* the other side refused the copy (its buffer full) */
    BKP_DROP_COUNT
} bkp_router_drop;

typedef struct bkp_router bkp_router;
typedef struct bkp_frontend bkp_frontend;

/* The argument of one lane's callback. */
typedef struct bkp_lane {
    bkp_router *r;
    bkp_frontend *f;
    int lane;                   /* 1 or 2 */
} bkp_lane;

struct bkp_frontend {
    bkp_router *r;
    bk_bus_config *cfg;
    const char *bus_id;         /* in cfg */
    bkp_bus *bus;
    bkp_bus_watch watch;
    bkp_lane lane[BKP_ROUTER_LANES];
    bkp_bus_sub *req[BKP_ROUTER_LANES]; /* on bus: requests for the backend */
    bkp_bus_sub *res[BKP_ROUTER_LANES]; /* on the backend: responses for this frontend */
};

typedef struct bkp_router_stats {
    unsigned long long requests, responses, broadcasts, unicasts, returned;
    unsigned long long dropped[BKP_DROP_COUNT];
} bkp_router_stats;

struct bkp_router {
    bk_worker *w;
    bk_client *c;
    bkp_bus *back;
    char *frontend_cluster, *backend_cluster, *config_dir;
    bkp_frontend *front;
    size_t nfront;
    bkp_bus_sub *msg[BKP_ROUTER_LANES];
    bkp_sessions *sessions;
    size_t max_body;
    struct event *tick;
    uint64_t next_expiry;
    int stopping;
    unsigned unsub_waiting;
    bkp_router_stats st;
};

/* [A-Za-z0-9_-]+ */
int bkp_router_name_ok(const char *s);

bkp_bus_msg_fn bkp_router_on_request;      /* arg: the bkp_lane */
bkp_bus_msg_fn bkp_router_on_response;     /* arg: the bkp_lane */
bkp_bus_msg_fn bkp_router_on_notification; /* arg: the router */

/* The session id derived from reply-to for a broker whose CONNECTED server is server
 * (doc/protocol.md, "Router details"), into id[0..n); 0, or -1 when reply-to is not a
 * private temp queue of that broker. */
int bkp_router_session_of(const char *server, const char *reply_to, char *id, size_t n);

/* `_bkpr.router.bind` and `.unbind` (arg: the router). */
bk_handler_fn bkp_router_bind, bkp_router_unbind;

/* The reasons' names, for status reports and logs. */
const char *bkp_router_drop_name(bkp_router_drop d);

#endif
