#include "services/top_broker.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "beekeeper/error.h"

static long long num(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

static int deeper(const void *pa, const void *pb)
{
    json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    long long da = num(a, "depth"), db = num(b, "depth");
    if (da != db)
        return da < db ? 1 : -1;
    const char *na = json_string_value(json_object_get(a, "name"));
    const char *nb = json_string_value(json_object_get(b, "name"));
    return strcmp(na ? na : "", nb ? nb : "");
}

static void print(FILE *f, json_t *r, size_t max_rows, int reverse)
{
    json_t *d = json_object_get(r, "dropped");
    const char *srv = json_string_value(json_object_get(r, "server"));
    const char *vh = json_string_value(json_object_get(r, "vhost"));
    fprintf(f, "broker %s, up %lld s; vhost %s\n", srv ? srv : "?", num(r, "uptime_ms") / 1000,
            vh ? vh : "?");
    fprintf(f, "connections %lld (%lld since start); messages in %lld, out %lld; queued %lld bytes\n",
            num(r, "connections"), num(r, "connections_total"), num(r, "messages_in"),
            num(r, "messages_out"), num(r, "queued_bytes"));
    fprintf(f, "publishers held back %lld; dropped: slow consumer %lld, queue full %lld, expired %lld\n",
            num(r, "publishers_held_back"), num(d, "slow_consumer"), num(d, "queue_full"),
            num(d, "expired"));
    json_t *qs = json_object_get(r, "queues");
    size_t n = json_array_size(qs);
    json_t **v = n ? calloc(n, sizeof *v) : NULL;
    for (size_t i = 0; v && i < n; i++)
        v[i] = json_array_get(qs, i);
    if (v)
        qsort(v, n, sizeof *v, deeper);
    if (reverse)
        fputs("\033[7m", f);
    fprintf(f, "%-56s %9s %9s\n", "QUEUE", "DEPTH", "CONSUMERS");
    if (reverse)
        fputs("\033[0m", f);
    for (size_t i = 0; v && i < n && (!max_rows || i < max_rows); i++) {
        const char *name = json_string_value(json_object_get(v[i], "name"));
        fprintf(f, "%-56.56s %9lld %9lld\n", name ? name : "?", num(v[i], "depth"),
                num(v[i], "consumers"));
    }
    if (json_is_true(json_object_get(r, "queues_cut")))
        fprintf(f, "(more queues than the broker lists)\n");
    free(v);
}

int bkp_top_broker(bk_client *c, bk_arena *a, FILE *f, size_t max_rows, int reverse,
                   char *why, size_t wn)
{
    json_t *res = NULL;
    bk_error e;
    int rc = bk_call(c, "_bkpr.broker.stats", NULL, NULL, a, &res, &e);
    if (rc == BK_ETIMEDOUT)
        snprintf(why, wn, "the broker did not answer _bkpr.broker.stats (is it a bkpr-broker?)");
    else if (rc)
        snprintf(why, wn, "the broker's statistics call failed: error %d: %s", e.code, e.message);
    else
        print(f, res, max_rows > 3 ? max_rows - 3 : max_rows, reverse);
    return rc;
}
