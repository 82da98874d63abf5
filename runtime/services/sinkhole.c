/* The Sinkhole: callers of a service that has no worker left fail at once instead of
 * waiting for their timeout. A worker module (services.h); doc/services.md.
 *
 * The Supervisor publishes `_bkpr.sinkhole.unserviced_queues` {queues: [services]} whenever
 * the set of services without workers changes (and every 10 s while it is not empty). Each
 * message is the whole list: the Sinkhole subscribes the request queue of every service
 * listed and unsubscribes every queue no longer listed (a worker is back).
 *
 * Each drained queue has a STOMP connection of its own (to the worker's brokers), and every
 * message is answered and acknowledged inside its callback. When a worker is back, the
 * connection is closed rather than the queue unsubscribed: a request the broker sent just
 * as we let go is then unacknowledged on a closed connection, and every broker gives it to
 * the next consumer at once. (After an UNSUBSCRIBE, RabbitMQ keeps such a message
 * unacknowledged for as long as the connection lives, and refuses a late ACK or NACK by
 * closing it: the caller would wait for its timeout.) These queues never appear in the
 * Sinkhole's status reports, so the Supervisor never mistakes it for a worker of the
 * services it drains. */
#include "services/services.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "beekeeper/client.h"
#include "beekeeper/log.h"
#include "rpc/bus.h"

typedef struct hole {
    struct hole *next;
    char *service;
    bkp_bus *conn;              /* a connection of its own: see above */
    int keep;                   /* listed in the message being applied */
} hole;

typedef struct sinkhole {
    bk_worker *w;
    hole *holes;
    unsigned long long answered, dropped;
} sinkhole;

static sinkhole g_sink;

/* A request (answered -31601, or -403 when it carries no token: a caller without
 * credentials learns nothing about which services exist), or a background job (dropped).
 * Either way acknowledged at once. */
static void on_request(bkp_bus *b, bkp_bus_sub *sub, const bkp_bus_msg *msg, void *arg)
{
    (void)sub;
    sinkhole *k = arg;
    const char *tokens = bkp_bus_msg_header(msg, "x-auth-tokens");
    int rc = bkp_bus_fail_request(b, msg, tokens && *tokens ? BK_RPC_NOT_AVAILABLE
                                                            : BK_RPC_NOT_AUTHORIZED);
    if (rc == 0)
        k->answered++;
    else if (rc == BK_EINVAL)
        k->dropped++;
    bkp_bus_ack(b, msg);
}

static void hole_close(hole *h)
{
    bkp_bus_free(h->conn); /* what it was sent and did not acknowledge goes back at once */
    free(h->service);
    free(h);
}

static int hole_open(sinkhole *k, const char *service)
{
    char pattern[300], dest[512];
    bk_client *c = bk_worker_client(k->w);
    if (snprintf(pattern, sizeof pattern, "%s.*", service) >= (int)sizeof pattern ||
        bkp_dest_request(dest, sizeof dest, bk_client_cluster(c), pattern) != 0)
        return BK_EINVAL;
    hole *h = calloc(1, sizeof *h);
    if (!h || !(h->service = strdup(service))) {
        free(h);
        return BK_ENOMEM;
    }
    int rc = bkp_bus_new(&h->conn, c);
    if (rc == 0)
        rc = bkp_bus_subscribe(h->conn, dest, BKP_BUS_ACK_EACH, 1, on_request, k, NULL);
    if (rc == 0)
        rc = bkp_bus_start(h->conn);
    if (rc) {
        hole_close(h);
        return rc;
    }
    h->keep = 1;
    h->next = k->holes;
    k->holes = h;
    bk_log_info("sinkhole: %s has no worker: answering its requests with -31601", service);
    return 0;
}

static int on_unserviced(bk_request *req, json_t *params, void *arg)
{
    (void)req;
    sinkhole *k = arg;
    json_t *qs = json_object_get(params, "queues"), *q;
    size_t i;
    if (!json_is_array(qs))
        return 0;
    for (hole *h = k->holes; h; h = h->next)
        h->keep = 0;
    json_array_foreach(qs, i, q) {
        const char *svc = json_string_value(q);
        hole *h = k->holes;
        while (h && (!svc || strcmp(h->service, svc) != 0))
            h = h->next;
        if (h)
            h->keep = 1;
        else if (svc && hole_open(k, svc) != 0)
            bk_log_warn("sinkhole: cannot drain the queue of '%s'", svc);
    }
    for (hole **pp = &k->holes; *pp;) {
        hole *h = *pp;
        if (h->keep) {
            pp = &h->next;
            continue;
        }
        *pp = h->next;
        bk_log_info("sinkhole: %s has a worker again: no longer answering for it", h->service);
        hole_close(h);
    }
    return 0;
}

/* Only the framework (the Supervisor, with BKPR_SYSTEM) tells the Sinkhole what to drain. */
static bk_auth_result authorize(bk_request *req, void *arg)
{
    (void)arg;
    return bk_request_has_token(req, BKP_TOKEN_SYSTEM) ? BK_AUTH_ALLOW : BK_AUTH_DENY;
}

static void on_stop(bk_worker *w, void *arg)
{
    (void)w;
    sinkhole *k = arg;
    while (k->holes) {
        hole *h = k->holes;
        k->holes = h->next;
        hole_close(h);
    }
    if (k->answered || k->dropped)
        bk_log_info("sinkhole: answered %llu requests, dropped %llu jobs", k->answered,
                    k->dropped);
}

static int setup(bk_worker *w, const json_t *options, bk_module_hooks *h)
{
    (void)options;
    sinkhole *k = &g_sink;
    memset(k, 0, sizeof *k);
    k->w = w;
    h->authorize = authorize;
    h->on_stop = on_stop;
    h->arg = k;
    int rc = bk_worker_accept_notification(w, BKP_SINKHOLE_UNSERVICED, on_unserviced, k);
    if (rc) {
        bk_log_error("sinkhole: cannot start: %s", bk_strerror(rc));
        return 1;
    }
    return 0;
}

const bk_module_def bkp_sinkhole_module = {
    .abi = BK_MODULE_ABI,
    .name = "sinkhole",
    .setup = setup,
};
