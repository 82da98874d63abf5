/* The broker's figures, readable while it runs (doc/broker.md "Statistics").
 *
 * The broker serves one JSON-RPC method itself, `_bkpr.broker.stats`, so that bkpr-top and
 * an exporter read it with the ordinary client (bk_call) and nothing else: a SEND to
 * /queue/req.<cluster>._bkpr.broker, on any cluster, is answered on its reply-to instead of
 * being queued. It is a SEND like any other: the user needs write permission on that
 * destination, and sees the broker's totals and the queues of its own vhost only. */
#include "broker/broker.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/clock.h"

#define STATS_DEST_PREFIX "/queue/req."
#define STATS_DEST_SUFFIX "._bkpr.broker"
/* Enough for any dashboard; a broker with more queues says the list is cut. */
#define STATS_MAX_QUEUES 5000

int brk_stats_is_request(const char *dest)
{
    size_t n = strlen(dest), pl = sizeof STATS_DEST_PREFIX - 1, sl = sizeof STATS_DEST_SUFFIX - 1;
    return n > pl + sl && strncmp(dest, STATS_DEST_PREFIX, pl) == 0 &&
           strcmp(dest + n - sl, STATS_DEST_SUFFIX) == 0;
}

static json_t *queues_of(const brk_vhost *v, int *cut)
{
    json_t *list = json_array();
    size_t n = 0;
    BKP_MAP_EACH(&v->queues, qs) {
        const brk_queue *q = qs->value;
        if (q->owner)
            continue;              /* a connection's private reply queue */
        if (++n > STATS_MAX_QUEUES) {
            *cut = 1;
            break;
        }
        json_array_append_new(list, json_pack("{s:s,s:I,s:I,s:I,s:I}", "name", q->name,
                                              "depth", (json_int_t)q->len, "consumers",
                                              (json_int_t)q->nconsumers, "placed_behind",
                                              (json_int_t)q->placed_behind, "placed_unfair",
                                              (json_int_t)q->placed_unfair));
    }
    return list;
}

static json_t *stats_of(const brk_broker *b, const brk_vhost *v)
{
    const brk_broker_stats *st = &b->stats;
    int cut = 0;
    json_t *queues = queues_of(v, &cut);
    return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I},s:{s:I,s:I},s:s,s:o,s:b}",
                     "server", BRK_SERVER,
                     "uptime_ms", (json_int_t)(bkp_now_ms() - st->started_ms),
                     "connections", (json_int_t)b->nsessions,
                     "connections_total", (json_int_t)st->connections_total,
                     "messages_in", (json_int_t)st->msgs_in,
                     "messages_out", (json_int_t)st->msgs_out,
                     "queued_bytes", (json_int_t)b->queued_bytes,
                     "publishers_held_back", (json_int_t)st->held_back,
                     "dropped",
                     "slow_consumer", (json_int_t)b->dropped,
                     "queue_full", (json_int_t)st->drop_full,
                     "expired", (json_int_t)st->drop_expired,
                     "dispatch",
                     "placed_behind", (json_int_t)st->placed_behind,
                     "placed_unfair", (json_int_t)st->placed_unfair,
                     "vhost", v->name,
                     "queues", queues,
                     "queues_cut", cut);
}

char *brk_stats_answer(const brk_broker *b, const brk_vhost *v, const char *body,
                       size_t len, size_t *out_len)
{
    json_error_t je;
    json_t *req = json_loadb(body, len, 0, &je), *resp = NULL;
    json_t *id = json_is_object(req) ? json_object_get(req, "id") : NULL;
    const char *method = json_is_object(req) ? json_string_value(json_object_get(req, "method"))
                                             : NULL;
    char *out = NULL;
    if (!id || json_is_null(id)) {
        goto out;                  /* a notification or not JSON-RPC: nobody waits for it */
    } else if (!method || strcmp(method, "_bkpr.broker.stats") != 0) {
        resp = json_pack("{s:s,s:O,s:{s:i,s:s}}", "jsonrpc", "2.0", "id", id, "error",
                         "code", -32601, "message", "Method not found");
    } else {
        json_t *res = stats_of(b, v);
        resp = res ? json_pack("{s:s,s:O,s:o}", "jsonrpc", "2.0", "id", id, "result", res) : NULL;
    }
    if (resp && (out = json_dumps(resp, JSON_COMPACT)))
        *out_len = strlen(out);
out:
    json_decref(resp);
    json_decref(req);
    return out;
}
