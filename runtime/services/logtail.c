/* LogTail: keeps the last entries of /topic/log.# (what workers publish with log_to_bus) and
 * answers _bkpr.logtail.tail, which bkpr-log calls. A worker module, run by bkpr when the
 * pool configures it (doc/services.md).
 *
 * Options (pool.config.json): "buffer_entries" (default 20000). Entries are kept in a ring;
 * the oldest goes when it is full. The topic subscription is auto-ack and costs the worker
 * nothing per entry but a parse and a slot. */
#include "services/logtail.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "beekeeper/client.h"
#include "beekeeper/log.h"
#include "rpc/bus.h"
#include "services/services.h"

#define DEFAULT_ENTRIES 20000
#define MAX_ENTRIES 10000000

typedef struct logtail {
    json_t **ring;              /* entries' params, oldest at head */
    size_t cap, head, n;
    unsigned long long dropped; /* bodies that were not log entries */
} logtail;

static logtail g_tail;

static int level_rank(const char *name)
{
    bk_log_level lv;
    return name && bk_log_level_parse(name, &lv) == 0 ? (int)lv : -1;
}

static void keep(logtail *t, json_t *entry)
{
    size_t slot = (t->head + t->n) % t->cap;
    if (t->n == t->cap) {
        json_decref(t->ring[t->head]);
        slot = t->head;
        t->head = (t->head + 1) % t->cap;
    } else {
        t->n++;
    }
    t->ring[slot] = entry;
}

static void on_log(bkp_bus *b, bkp_bus_sub *sub, const bkp_bus_msg *m, void *arg)
{
    (void)b;
    (void)sub;
    logtail *t = arg;
    if (t->cap == 0)
        return; /* stopped: the ring is gone, the subscription ends with the connection */
    size_t len;
    const char *body = bkp_bus_msg_body(m, &len);
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *p = json_object_get(j, "params");
    if (!json_is_object(p) || !json_is_string(json_object_get(p, "message")) ||
        level_rank(json_string_value(json_object_get(p, "level"))) < 0) {
        t->dropped++;
        json_decref(j);
        return;
    }
    keep(t, json_incref(p));
    json_decref(j);
}

/* A filter of the request: a regular expression on a string field. */
typedef struct rfilter {
    const char *field;
    regex_t re;
    int on;
} rfilter;

static int matches(const rfilter *f, json_t *entry)
{
    if (!f->on)
        return 1;
    const char *v = json_string_value(json_object_get(entry, f->field));
    return v && regexec(&f->re, v, 0, NULL, 0) == 0;
}

static int tail(bk_request *req, json_t *params, void *arg)
{
    logtail *t = arg;
    if (!json_is_object(params) && !json_is_null(params))
        return bk_request_fail_new(req, BK_RPC_INVALID_PARAMS,
                                   json_string("params: expected an object"), "Invalid params");
    json_t *jc = json_object_get(params, "count"), *jl = json_object_get(params, "level"),
           *ja = json_object_get(params, "after");
    json_int_t count = jc ? json_integer_value(jc) : 10;
    if ((jc && !json_is_integer(jc)) || count < 0)
        return bk_request_fail_new(req, BK_RPC_INVALID_PARAMS,
                                   json_string("count: expected a non-negative integer"),
                                   "Invalid params");
    int max_rank = BK_LOG_TRACE;
    if (jl && (max_rank = level_rank(json_string_value(jl))) < 0)
        return bk_request_fail_new(req, BK_RPC_INVALID_PARAMS,
                                   json_string("level: expected fatal, error, warn, info, debug "
                                               "or trace"),
                                   "Invalid params");
    if (ja && !json_is_number(ja))
        return bk_request_fail_new(req, BK_RPC_INVALID_PARAMS,
                                   json_string("after: expected a number"), "Invalid params");
    double after = ja ? json_number_value(ja) : -1;
    rfilter f[4] = {{.field = "host"}, {.field = "pool"}, {.field = "service"}, {.field = "message"}};
    int rc = 0;
    for (int i = 0; i < 4; i++) {
        json_t *v = json_object_get(params, f[i].field);
        if (!v)
            continue;
        if (!json_is_string(v) || regcomp(&f[i].re, json_string_value(v), REG_EXTENDED | REG_NOSUB)) {
            rc = bk_request_fail_new(req, BK_RPC_INVALID_PARAMS,
                                     json_sprintf("%s: expected a regular expression", f[i].field),
                                     "Invalid params");
            goto out;
        }
        f[i].on = 1;
    }
    /* Newest first until count, then handed back oldest first. */
    json_t *res = json_array();
    for (size_t k = t->n; k-- > 0 && (json_int_t)json_array_size(res) < count;) {
        json_t *e = t->ring[(t->head + k) % t->cap];
        json_t *tm = json_object_get(e, "time");
        if (ja && (!json_is_number(tm) || json_number_value(tm) <= after))
            continue;
        if (level_rank(json_string_value(json_object_get(e, "level"))) > max_rank)
            continue;
        int ok = 1;
        for (int i = 0; i < 4 && ok; i++)
            ok = matches(&f[i], e);
        if (ok)
            json_array_insert(res, 0, e);
    }
    rc = bk_request_reply_new(req, res);
out:
    for (int i = 0; i < 4; i++)
        if (f[i].on)
            regfree(&f[i].re);
    return rc;
}

static bk_auth_result authorize(bk_request *req, void *arg)
{
    (void)arg;
    return bk_request_has_token(req, BKP_TOKEN_ADMIN) || bk_request_has_token(req, BKP_TOKEN_SYSTEM)
               ? BK_AUTH_ALLOW
               : BK_AUTH_DENY;
}

static void on_stop(bk_worker *w, void *arg)
{
    (void)w;
    logtail *t = arg;
    for (size_t k = 0; k < t->n; k++)
        json_decref(t->ring[(t->head + k) % t->cap]);
    free(t->ring);
    memset(t, 0, sizeof *t);
}

static int setup(bk_worker *w, const json_t *options, bk_module_hooks *h)
{
    logtail *t = &g_tail;
    json_t *be = json_object_get(options, "buffer_entries");
    json_int_t cap = be ? json_integer_value(be) : DEFAULT_ENTRIES;
    if ((be && !json_is_integer(be)) || cap < 1 || cap > MAX_ENTRIES) {
        bk_log_error("logtail: buffer_entries must be an integer from 1 to %d", MAX_ENTRIES);
        return 1;
    }
    t->ring = calloc((size_t)cap, sizeof *t->ring);
    if (!t->ring)
        return 1;
    t->cap = (size_t)cap;
    h->authorize = authorize;
    h->on_stop = on_stop;
    h->arg = t;
    bk_client *c = bk_worker_client(w);
    int rc = bkp_bus_subscribe(bkp_bus_of(c), "/topic/log.#", BKP_BUS_ACK_AUTO, 0, on_log, t,
                               NULL);
    if (rc == 0)
        rc = bk_worker_accept(w, BKP_LOGTAIL_TAIL, tail, t);
    if (rc) {
        bk_log_error("logtail: cannot start: %s", bk_strerror(rc));
        on_stop(w, t);
        return 1;
    }
    return 0;
}

const bk_module_def bkp_logtail_module = {
    .abi = BK_MODULE_ABI,
    .name = "logtail",
    .setup = setup,
};
