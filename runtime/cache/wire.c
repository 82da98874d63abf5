/* The shared cache on the bus (doc/protocol.md "Shared cache"), over rpc/bus.h: on every bus
 * of the cluster, the update topic and this member's dump reply queue from the start, the
 * dump request queue once synced.
 *
 * What comes from the bus is anyone's: a body that is too big, not JSON or of the wrong
 * shape is dropped and counted, and said at debug level only (a flood of garbage must not
 * flood the log). Dump answers go out in parts of at most PART_BYTES, each a whole answer
 * of the wire's shape (0.02 merges every answer it gets), so that a big table stays under
 * the brokers' frame limits. */
#include "cache/cache_int.h"

#include <stdlib.h>
#include <string.h>

#include "beekeeper/error.h"
#include "beekeeper/log.h"

#define PART_BYTES ((size_t)4 << 20)
/* An update's body beyond its key and value: brackets, version, time, uid. */
#define UPDATE_OVERHEAD 256

static void dropped(bk_cache *c, const char *what)
{
    c->st.dropped++;
    bk_log_debug("cache %s: dropped %s", c->id, what);
}

static void merge_entry(bk_cache *c, json_t *e)
{
    int rc = bkp_cache_merge(c, json_string_value(json_array_get(e, 0)), json_array_get(e, 1),
                             json_integer_value(json_array_get(e, 2)),
                             json_number_value(json_array_get(e, 3)), 1);
    if (rc == BKP_CACHE_APPLIED)
        c->st.applied++;
    else if (rc == BKP_CACHE_KEPT)
        c->st.stale++;
}

static void on_update(bkp_bus *b, bkp_bus_sub *sub, const bkp_bus_msg *m, void *arg)
{
    (void)b;
    (void)sub;
    bk_cache *c = arg;
    size_t len;
    const char *body = bkp_bus_msg_body(m, &len);
    if (len > c->max_entry_bytes + UPDATE_OVERHEAD) {
        dropped(c, "an update over max_entry_bytes");
        return;
    }
    json_t *e = json_loadb(body, len, 0, NULL);
    if (!e || bkp_cache_entry_check(e, c->max_entry_bytes) != 0 || json_array_size(e) != 5) {
        dropped(c, "an update that is not [key, value, version, time, uid]");
        json_decref(e);
        return;
    }
    const char *uid = json_string_value(json_array_get(e, 4));
    if (!uid || strcmp(uid, c->uid) != 0)  /* our own comes back from the topic */
        merge_entry(c, e);
    json_decref(e);
}

static void on_dump(bkp_bus *b, bkp_bus_sub *sub, const bkp_bus_msg *m, void *arg)
{
    (void)b;
    (void)sub;
    bk_cache *c = arg;
    size_t len;
    const char *body = bkp_bus_msg_body(m, &len);
    json_t *d = json_loadb(body, len, 0, NULL);
    const char *uid = json_string_value(json_object_get(d, "uid"));
    json_t *entries = json_object_get(d, "dump");
    if (!uid || !json_is_array(entries)) {
        dropped(c, "a dump that is not {uid, time, dump}");
        json_decref(d);
        return;
    }
    if (strcmp(uid, c->uid) != 0) {
        size_t i;
        json_t *e;
        json_array_foreach(entries, i, e) {
            if (bkp_cache_entry_check(e, c->max_entry_bytes) != 0)
                dropped(c, "a dump entry that is not [key, value, version, time]");
            else
                merge_entry(c, e);
        }
        bkp_cache_synced_now(c, 1);
    }
    json_decref(d);
}

/* ---- serving dumps */

typedef struct part {
    char *buf;
    size_t len, cap;
    size_t n;       /* entries in it */
} part;

static int put(part *p, const char *s, size_t n)
{
    if (p->len + n + 1 > p->cap) {
        size_t cap = p->cap ? p->cap : 4096;
        while (cap < p->len + n + 1)
            cap *= 2;
        char *nb = realloc(p->buf, cap);
        if (!nb)
            return BK_ENOMEM;
        p->buf = nb;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, s, n);
    p->len += n;
    p->buf[p->len] = '\0';
    return 0;
}

static int part_begin(bk_cache *c, part *p)
{
    char head[128];
    int n = snprintf(head, sizeof head, "{\"uid\":\"%s\",\"time\":%.6f,\"dump\":[", c->uid,
                     bkp_cache_wall());
    p->len = p->n = 0;
    return put(p, head, (size_t)n);
}

static int part_send(bkp_bus *b, const char *reply, part *p)
{
    int rc = put(p, "]}", 2);
    return rc ? rc : bkp_bus_send(b, reply, NULL, 0, p->buf, p->len, 0);
}

static int serve_dump(bk_cache *c, bkp_bus *b, const char *reply)
{
    part p = { 0 };
    int rc = part_begin(c, &p);
    BKP_MAP_EACH(&c->map, s) {
        if (rc)
            break;
        bkp_cache_entry *e = s->value;
        json_t *row = json_pack("[sOIf]", e->key, e->value ? e->value : json_null(),
                                (json_int_t)e->version, e->time);
        char *text = row ? json_dumps(row, JSON_COMPACT) : NULL;
        json_decref(row);
        if (!text) {
            rc = BK_ENOMEM;
            break;
        }
        size_t n = strlen(text);
        if (p.n && p.len + n + 3 > PART_BYTES && !(rc = part_send(b, reply, &p)))
            rc = part_begin(c, &p);
        if (!rc && p.n)
            rc = put(&p, ",", 1);
        if (!rc && !(rc = put(&p, text, n)))
            p.n++;
        free(text);
    }
    if (!rc)
        rc = part_send(b, reply, &p);
    free(p.buf);
    return rc;
}

static void on_dump_request(bkp_bus *b, bkp_bus_sub *sub, const bkp_bus_msg *m, void *arg)
{
    (void)sub;
    bk_cache *c = arg;
    const char *reply = bkp_bus_msg_header(m, "reply-to");
    if (!reply || reply[0] != '/' || strlen(reply) > 512) {
        dropped(c, "a dump request without a reply-to");
    } else {
        int rc = serve_dump(c, b, reply);
        if (rc == 0)
            c->st.dumps_served++;
        else
            bk_log_debug("cache %s: cannot send a dump to %.100s: %s", c->id, reply,
                         bk_strerror(rc));
    }
    bkp_bus_ack(b, m);
}

int bkp_cache_wire_serve(bk_cache *c)
{
    for (size_t i = 0; i < c->nbuses; i++) {
        bkp_cache_bus *cb = &c->buses[i];
        int rc = bkp_bus_subscribe(cb->bus, c->dumpq, BKP_BUS_ACK_EACH, 1, on_dump_request, c,
                                   &cb->sub_dump);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- sending */

int bkp_cache_wire_ask(bk_cache *c)
{
    bkp_bus_header h = { "reply-to", c->replyq };
    return bkp_bus_send(c->buses[0].bus, c->dumpq, &h, 1, "", 0, 0);
}

int bkp_cache_wire_send_update(bk_cache *c, const bkp_cache_entry *e)
{
    json_t *u = json_pack("[sOIfs]", e->key, e->value ? e->value : json_null(),
                          (json_int_t)e->version, e->time, c->uid);
    char *text = u ? json_dumps(u, JSON_COMPACT) : NULL;
    json_decref(u);
    if (!text) {
        c->st.send_failed += c->nbuses;
        return BK_ENOMEM;
    }
    size_t len = strlen(text);
    int first = 0;
    for (size_t i = 0; i < c->nbuses; i++) {
        int rc = bk_client_connected(c->buses[i].client)
                     ? bkp_bus_send(c->buses[i].bus, c->topic, NULL, 0, text, len, 0)
                     : BK_ECLOSED;
        if (rc) {
            c->st.send_failed++;
            if (!first)
                first = rc;
        }
    }
    free(text);
    return first;
}

/* ---- subscriptions */

int bkp_cache_wire_start(bk_cache *c)
{
    for (size_t i = 0; i < c->nbuses; i++) {
        bkp_cache_bus *cb = &c->buses[i];
        int rc = bkp_bus_subscribe(cb->bus, c->topic, BKP_BUS_ACK_AUTO, 0, on_update, c,
                                   &cb->sub_set);
        if (!rc)
            rc = bkp_bus_subscribe_temp(cb->bus, c->replyq, on_dump, c, &cb->sub_reply);
        if (rc)
            return rc;
    }
    return 0;
}

void bkp_cache_wire_stop(bk_cache *c)
{
    for (size_t i = 0; i < c->nbuses; i++) {
        bkp_cache_bus *cb = &c->buses[i];
        bkp_bus_sub **subs[3] = { &cb->sub_set, &cb->sub_reply, &cb->sub_dump };
        for (int k = 0; k < 3; k++)
            if (*subs[k]) {
                bkp_bus_unsubscribe(cb->bus, *subs[k], NULL, NULL);
                *subs[k] = NULL;
            }
    }
}
