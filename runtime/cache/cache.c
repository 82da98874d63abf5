/* The shared cache's table, its merge rule and the public API (beekeeper/cache.h). The bus
 * side is wire.c, the file file.c.
 *
 * One rule orders the states of a key, for updates, dumps and the file alike: the higher
 * version, then the later time, then the higher compact JSON of the value (keys sorted; a
 * deleted key's is "null"). 0.02 stops at the time and lets the newcomer win a full tie,
 * which two members that set a key in the same microsecond would each take from the
 * other, ending apart; the last step makes every member of ours pick the same one.
 *
 * Timers: one tick drives the start-up (the dump request once the first bus is up, the wait
 * for an answer), max_age and the tombstones, so that a cache costs one event however big
 * its table; a second event reports this member's own changes from the loop. */
#include "beekeeper/cache.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "beekeeper/error.h"
#include "beekeeper/log.h"
#include "cache/cache_int.h"
#include "core/clock.h"
#include "core/random.h"

#define DEFAULT_DUMP_WAIT_MS 20000
#define DEFAULT_TOMBSTONE_MS 60000
#define DEFAULT_MAX_ENTRY ((size_t)1 << 20)
#define TICK_MS 250

double bkp_cache_wall(void)
{
    return (double)bkp_wall_ms() / 1000.0;
}

/* ---- the order of states */

static char *value_text(json_t *v)
{
    return v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : strdup("null");
}

/* > 0 when (version, time, value) beats e's state, 0 when it is the same, < 0 when it loses. */
static int state_cmp(const bkp_cache_entry *e, json_int_t version, double time, json_t *value)
{
    if (version != e->version)
        return version > e->version ? 1 : -1;
    if (time != e->time)
        return time > e->time ? 1 : -1;
    char *a = value_text(value), *b = value_text(e->value);
    int r = a && b ? strcmp(a, b) : 0; /* out of memory: keep ours, as a tie would */
    free(a);
    free(b);
    return r;
}

/* ---- entries */

static bkp_cache_entry *entry_get_or_add(bk_cache *c, const char *key)
{
    bkp_cache_entry *e = bkp_map_get(&c->map, key);
    if (e)
        return e;
    if (!(e = calloc(1, sizeof *e)) || !(e->key = strdup(key)) ||
        bkp_map_put(&c->map, e->key, e) != 0) {
        if (e)
            free(e->key);
        free(e);
        return NULL;
    }
    return e;
}

static void entry_free(bkp_cache_entry *e)
{
    json_decref(e->value);
    free(e->key);
    free(e);
}

/* Replaces e's state; value is a reference given to e, or NULL (or JSON null) to delete. */
static void entry_set(bk_cache *c, bkp_cache_entry *e, json_t *value, json_int_t version,
                      double time)
{
    if (json_is_null(value)) {
        json_decref(value);
        value = NULL;
    }
    if (e->value)
        c->live--;
    json_decref(e->value);
    e->value = value;
    e->version = version;
    e->time = time;
    if (value) {
        c->live++;
        e->dead_at_ms = 0;
    } else {
        e->dead_at_ms = bkp_now_ms() + (uint64_t)c->tombstone_ms;
    }
}

int bkp_cache_entry_check(json_t *e, size_t max_bytes)
{
    size_t n = json_array_size(e);
    if (n != 4 && n != 5)
        return BK_EPROTO;
    json_t *k = json_array_get(e, 0), *v = json_array_get(e, 2), *t = json_array_get(e, 3);
    if (!json_is_string(k) || !json_is_integer(v) || !json_is_number(t))
        return BK_EPROTO;
    /* Versions count changes; one beyond 2^62 is an attack, and ours must be able to add 1. */
    json_int_t ver = json_integer_value(v);
    if (ver < 1 || ver > ((json_int_t)1 << 62))
        return BK_EPROTO;
    if (n == 5 && !json_is_string(json_array_get(e, 4)) && !json_is_null(json_array_get(e, 4)))
        return BK_EPROTO;
    if (json_string_length(k) > max_bytes ||
        json_dumpb(json_array_get(e, 1), NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY) +
                json_string_length(k) > max_bytes)
        return BK_EPROTO;
    return 0;
}

int bkp_cache_merge(bk_cache *c, const char *key, json_t *value, json_int_t version,
                    double time, int report)
{
    if (json_is_null(value))
        value = NULL;
    bkp_cache_entry *e = bkp_map_get(&c->map, key);
    if (e && state_cmp(e, version, time, value) <= 0)
        return BKP_CACHE_KEPT;
    if (!e && !(e = entry_get_or_add(c, key)))
        return BK_ENOMEM;
    int had = e->value != NULL;
    /* The value is a parsed message's or the file's, which nothing else holds or changes. */
    entry_set(c, e, json_incref(value), version, time);
    if (report && c->on_update && (had || e->value)) {
        json_t *keep = json_incref(e->value); /* the hook may change the key again */
        c->on_update(c, e->key, keep, 1, c->arg);
        json_decref(keep);
    }
    return BKP_CACHE_APPLIED;
}

json_t *bkp_cache_dump(bk_cache *c)
{
    json_t *d = json_array(), *o = json_object();
    if (!d || !o)
        goto fail;
    BKP_MAP_EACH(&c->map, s) {
        bkp_cache_entry *e = s->value;
        if (json_array_append_new(d, json_pack("[sOIf]", e->key, e->value ? e->value : json_null(),
                                               (json_int_t)e->version, e->time)) != 0)
            goto fail;
    }
    if (json_object_set_new(o, "uid", json_string(c->uid)) ||
        json_object_set_new(o, "time", json_real(bkp_cache_wall())) ||
        json_object_set_new(o, "dump", d))
        goto fail_o;
    return o;
fail:
    json_decref(d);
fail_o:
    json_decref(o);
    return NULL;
}

/* ---- this member's changes, reported from the loop */

static void notes_run(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    bk_cache *c = arg;
    bkp_cache_note *n = c->notes;
    size_t nn = c->nnotes;
    c->notes = NULL;
    c->nnotes = c->capnotes = 0;
    for (size_t i = 0; i < nn; i++) {
        if (c->on_update)
            c->on_update(c, n[i].key, n[i].value, 0, c->arg);
        free(n[i].key);
        json_decref(n[i].value);
    }
    free(n);
}

static int note_add(bk_cache *c, const char *key, json_t *value)
{
    if (!c->on_update)
        return 0;
    if (c->nnotes == c->capnotes) {
        size_t cap = c->capnotes ? c->capnotes * 2 : 8;
        bkp_cache_note *n = realloc(c->notes, cap * sizeof *n);
        if (!n)
            return BK_ENOMEM;
        c->notes = n;
        c->capnotes = cap;
    }
    char *k = strdup(key);
    if (!k)
        return BK_ENOMEM;
    c->notes[c->nnotes++] = (bkp_cache_note){ .key = k, .value = json_incref(value) };
    event_active(c->notify, 0, 0);
    return 0;
}

/* A local change to key: value a reference given here (NULL: delete); version_step 1 for a
 * set or delete, 0 for a touch. */
static int change(bk_cache *c, const char *key, json_t *value, int version_step)
{
    bkp_cache_entry *e = entry_get_or_add(c, key);
    if (!e) {
        json_decref(value);
        return BK_ENOMEM;
    }
    /* A touch keeps the version, so its time must be later than the state it refreshes for
     * the other members to take it, whatever the wall clock did. */
    double now = bkp_cache_wall();
    if (now <= e->time)
        now = e->time + 1e-6;
    entry_set(c, e, value, e->version + version_step, now);
    int rc = note_add(c, e->key, e->value);
    bkp_cache_wire_send_update(c, e);
    return rc;
}

static int key_ok(const char *key)
{
    json_t *k = key ? json_string(key) : NULL; /* NULL for text that is not UTF-8 */
    json_decref(k);
    return k != NULL;
}

int bk_cache_set_new(bk_cache *c, const char *key, json_t *value)
{
    if (!c || !value || !key_ok(key)) {
        json_decref(value);
        return BK_EINVAL;
    }
    if (strlen(key) + json_dumpb(value, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY) >
        c->max_entry_bytes) {
        json_decref(value);
        return BK_ELIMIT;
    }
    return change(c, key, value, 1);
}

int bk_cache_set(bk_cache *c, const char *key, json_t *value)
{
    if (!value)
        return BK_EINVAL;
    /* A copy: the caller may go on changing its own tree, and what members hold must not
     * change behind the versions. */
    json_t *v = json_deep_copy(value);
    return v ? bk_cache_set_new(c, key, v) : BK_ENOMEM;
}

int bk_cache_delete(bk_cache *c, const char *key)
{
    if (!c || !key_ok(key))
        return BK_EINVAL;
    return change(c, key, NULL, 1);
}

int bk_cache_touch(bk_cache *c, const char *key)
{
    if (!c || !key_ok(key))
        return BK_EINVAL;
    bkp_cache_entry *e = bkp_map_get(&c->map, key);
    if (!e || !e->value)
        return BK_ENOTFOUND;
    if (!c->max_age_ms)
        return BK_ESTATE;
    if ((bkp_cache_wall() - e->time) * 1000.0 < 0.3 * c->max_age_ms)
        return 0;
    return change(c, key, json_incref(e->value), 0);
}

int bk_cache_get(bk_cache *c, const char *key, json_t **value)
{
    if (value)
        *value = NULL;
    if (!c || !key || !value)
        return BK_EINVAL;
    bkp_cache_entry *e = bkp_map_get(&c->map, key);
    if (!e || !e->value)
        return BK_ENOTFOUND;
    *value = e->value;
    return 0;
}

size_t bk_cache_count(const bk_cache *c)
{
    return c ? c->live : 0;
}

int bk_cache_stats_get(const bk_cache *c, bk_cache_stats *st)
{
    if (!c || !st)
        return BK_EINVAL;
    *st = c->st;
    st->entries = c->live;
    st->tombstones = c->map.len - c->live;
    return 0;
}

int bk_cache_synced(const bk_cache *c)
{
    return c ? c->synced : 0;
}

int bk_cache_save(bk_cache *c)
{
    if (!c)
        return BK_EINVAL;
    if (!c->persist || !c->synced)
        return BK_ESTATE;
    return bkp_cache_file_save(c);
}

/* ---- start-up, max_age, tombstones */

void bkp_cache_synced_now(bk_cache *c, int got_dump)
{
    if (c->synced)
        return;
    c->synced = 1;
    bk_log_debug("cache %s: %s", c->id, got_dump ? "dump received" : "no dump: serving dumps");
    int rc = bkp_cache_wire_serve(c);
    if (rc)
        bk_log_warn("cache %s: cannot serve dumps: %s", c->id, bk_strerror(rc));
    if (c->on_synced)
        c->on_synced(c, got_dump, c->arg);
}

static void expire(bk_cache *c, uint64_t now)
{
    double oldest = bkp_cache_wall() - c->max_age_ms / 1000.0;
    size_t n = 0, cap = 0;
    char **old = NULL;
    BKP_MAP_EACH(&c->map, s) {
        bkp_cache_entry *e = s->value;
        if (!e->value && e->dead_at_ms <= now) {
            if (n == cap) {
                char **o = realloc(old, (cap = cap ? cap * 2 : 16) * sizeof *o);
                if (!o)
                    break; /* the next tick tries again */
                old = o;
            }
            old[n++] = e->key;
        }
    }
    for (size_t i = 0; i < n; i++)
        entry_free(bkp_map_del(&c->map, old[i]));
    free(old);
    if (!c->max_age_ms || now - c->last_gc_ms < (uint64_t)c->max_age_ms / 4)
        return;
    c->last_gc_ms = now;
    /* The deletes change values, never the map's shape, so the walk may make them. 0.02
     * publishes them too: a member that does not expire keys still converges. */
    BKP_MAP_EACH(&c->map, s) {
        bkp_cache_entry *e = s->value;
        if (e->value && e->time < oldest)
            change(c, e->key, NULL, 1);
    }
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    bk_cache *c = arg;
    uint64_t now = bkp_now_ms();
    if (!c->asked && bk_client_connected(c->buses[0].client) && bkp_cache_wire_ask(c) == 0) {
        c->asked = 1;
        /* A little jitter, as 0.02, so that members of a fresh cluster started together do
         * not all give up at once. */
        c->ask_deadline_ms = now + (uint64_t)c->dump_wait_ms + bkp_random32() % (c->dump_wait_ms / 20 + 1);
    }
    if (c->asked && !c->synced && now >= c->ask_deadline_ms)
        bkp_cache_synced_now(c, 0);
    expire(c, now);
}

int bk_cache_wait_synced(bk_cache *c, int timeout_ms)
{
    if (!c || timeout_ms < 0)
        return BK_EINVAL;
    uint64_t end = bkp_now_ms() + (uint64_t)timeout_ms;
    while (!c->synced) {
        uint64_t now = bkp_now_ms();
        if (now >= end)
            return BK_ETIMEDOUT;
        int rc = bk_client_run_for(c->buses[0].client, (int)(end - now < 50 ? end - now : 50));
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- making and freeing */

static void cache_free(bk_cache *c);

static int tick_ms(const bk_cache *c)
{
    int t = TICK_MS, parts[3] = { c->dump_wait_ms, c->max_age_ms, c->tombstone_ms };
    for (int i = 0; i < 3; i++)
        if (parts[i] && parts[i] / 4 < t)
            t = parts[i] / 4;
    return t < 5 ? 5 : t;
}

int bk_cache_new(bk_cache **out, const bk_cache_opts *o)
{
    if (out)
        *out = NULL;
    if (!out || !o || !o->id || !o->clients || !o->nclients || o->max_age_ms < 0 ||
        o->dump_wait_ms < 0 || o->tombstone_ms < 0)
        return BK_EINVAL;
    for (size_t i = 0; i < o->nclients; i++)
        if (!o->clients[i] || bk_client_base(o->clients[i]) != bk_client_base(o->clients[0]) ||
            strcmp(bk_client_cluster(o->clients[i]), bk_client_cluster(o->clients[0])) != 0)
            return BK_EINVAL;
    bk_cache *c = calloc(1, sizeof *c);
    if (!c)
        return BK_ENOMEM;
    const char *cluster = bk_client_cluster(o->clients[0]);
    char method[200];
    int rc = BK_ELIMIT;
    if (snprintf(method, sizeof method, "_sync.%s.set", o->id) >= (int)sizeof method)
        goto fail;
    if ((rc = bkp_dest_notify(c->topic, sizeof c->topic, cluster, method)) != 0)
        goto fail;
    rc = BK_ELIMIT;
    if (snprintf(c->dumpq, sizeof c->dumpq, "/queue/req.%s._sync.%s.dump", cluster, o->id) >=
        (int)sizeof c->dumpq)
        goto fail;
    char digits[9];
    bkp_random_digits8(digits);
    snprintf(c->uid, sizeof c->uid, "%ld-%s", (long)getpid(), digits);
    snprintf(c->replyq, sizeof c->replyq, "/temp-queue/reply-%s", c->uid);
    c->max_age_ms = o->max_age_ms;
    c->dump_wait_ms = o->dump_wait_ms ? o->dump_wait_ms : DEFAULT_DUMP_WAIT_MS;
    c->tombstone_ms = o->tombstone_ms ? o->tombstone_ms : DEFAULT_TOMBSTONE_MS;
    c->max_entry_bytes = o->max_entry_bytes ? o->max_entry_bytes : DEFAULT_MAX_ENTRY;
    c->on_update = o->on_update;
    c->on_synced = o->on_synced;
    c->arg = o->arg;
    c->base = bk_client_base(o->clients[0]);
    c->last_gc_ms = bkp_now_ms();
    rc = BK_ENOMEM;
    if (!(c->id = strdup(o->id)) || (o->persist && !(c->persist = strdup(o->persist))) ||
        !(c->buses = calloc(o->nclients, sizeof *c->buses)))
        goto fail;
    c->nbuses = o->nclients;
    for (size_t i = 0; i < o->nclients; i++)
        c->buses[i] = (bkp_cache_bus){ .cache = c, .client = o->clients[i],
                                       .bus = bkp_bus_of(o->clients[i]) };
    if (!(c->tick = event_new(c->base, -1, EV_PERSIST, tick, c)) ||
        !(c->notify = event_new(c->base, -1, 0, notes_run, c)))
        goto fail;
    int t = tick_ms(c);
    struct timeval tv = { .tv_sec = t / 1000, .tv_usec = (t % 1000) * 1000 };
    if (event_add(c->tick, &tv) != 0)
        goto fail;
    if (c->persist)
        bkp_cache_file_load(c);
    if ((rc = bkp_cache_wire_start(c)) != 0)
        goto fail;
    *out = c;
    return 0;
fail:
    cache_free(c);
    return rc;
}

/* Frees c without saving it (a cache that failed to start has nothing to save). */
static void cache_free(bk_cache *c)
{
    if (!c)
        return;
    bkp_cache_wire_stop(c);
    if (c->tick)
        event_free(c->tick);
    if (c->notify)
        event_free(c->notify);
    for (size_t i = 0; i < c->nnotes; i++) {
        free(c->notes[i].key);
        json_decref(c->notes[i].value);
    }
    free(c->notes);
    BKP_MAP_EACH(&c->map, s)
        entry_free(s->value);
    bkp_map_clear(&c->map);
    free(c->buses);
    free(c->id);
    free(c->persist);
    free(c);
}

void bk_cache_free(bk_cache *c)
{
    if (!c)
        return;
    if (c->persist && c->synced) {
        int rc = bkp_cache_file_save(c);
        if (rc)
            bk_log_warn("cache %s: cannot save %s: %s", c->id, c->persist, bk_strerror(rc));
    }
    cache_free(c);
}
