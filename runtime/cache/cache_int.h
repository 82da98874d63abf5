/* The shared cache's insides, shared by its three files: cache.c (the table, the merge rule
 * and the API), wire.c (the bus: updates, dump requests and answers), file.c (persist).
 * Internal (bkp_). */
#ifndef BKP_CACHE_INT_H
#define BKP_CACHE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "beekeeper/cache.h"
#include "core/map.h"
#include "rpc/bus.h"

/* A key of the table. value NULL: a tombstone, removed at dead_at_ms (monotonic). */
typedef struct bkp_cache_entry {
    char *key;                  /* owned; the map's key */
    json_t *value;              /* owned, never modified once stored; NULL: deleted */
    json_int_t version;
    double time;                /* wall seconds of the last change, as the wire has it */
    uint64_t dead_at_ms;
} bkp_cache_entry;

typedef struct bkp_cache_bus {
    bk_cache *cache;
    bk_client *client;          /* borrowed */
    bkp_bus *bus;               /* the client's connection, borrowed */
    bkp_bus_sub *sub_set, *sub_reply, *sub_dump; /* sub_dump once synced */
} bkp_cache_bus;

/* A change of this member waiting for the loop to report it to on_update. */
typedef struct bkp_cache_note {
    char *key;
    json_t *value;              /* a reference, or NULL for a delete */
} bkp_cache_note;

struct bk_cache {
    char *id, *persist;
    char uid[32];               /* "{pid}-{8 digits}" */
    char topic[256];            /* /topic/msg.{cluster}._sync.{id}.set */
    char dumpq[256];            /* /queue/req.{cluster}._sync.{id}.dump */
    char replyq[64];            /* /temp-queue/reply-{uid} */
    bkp_cache_bus *buses;
    size_t nbuses;
    bkp_map map;                /* key -> bkp_cache_entry */
    size_t live;                /* entries with a value */
    int max_age_ms, dump_wait_ms, tombstone_ms;
    size_t max_entry_bytes;
    bk_cache_update_fn *on_update;
    bk_cache_synced_fn *on_synced;
    void *arg;
    int synced, asked;
    uint64_t ask_deadline_ms, last_gc_ms;
    struct event_base *base;
    struct event *tick, *notify;
    bkp_cache_note *notes;
    size_t nnotes, capnotes;
    bk_cache_stats st;
};

/* What a merge did, for the caller's counters. */
enum { BKP_CACHE_KEPT = 0, BKP_CACHE_APPLIED = 1 };

/* Merges one [key, value, version, time(, uid)] entry that came from elsewhere (another
 * member, or the persist file when report is 0). Entry shape already checked. Returns
 * BKP_CACHE_APPLIED, BKP_CACHE_KEPT (ours won, or the same) or BK_ENOMEM. */
int bkp_cache_merge(bk_cache *c, const char *key, json_t *value, json_int_t version,
                    double time, int report);

/* Checks e is [key, value, version, time] or [key, value, version, time, uid]: key a
 * string, version an integer from 1, time a number. 0 or BK_EPROTO. */
int bkp_cache_entry_check(json_t *e, size_t max_bytes);

/* The dump answer object {"uid", "time", "dump": [...]} of the whole table (for the file),
 * new. NULL when out of memory. */
json_t *bkp_cache_dump(bk_cache *c);

/* The member has the cluster's table (got_dump) or gave up waiting: serve dumps. */
void bkp_cache_synced_now(bk_cache *c, int got_dump);

/* wire.c */
int bkp_cache_wire_start(bk_cache *c);
void bkp_cache_wire_stop(bk_cache *c);
int bkp_cache_wire_send_update(bk_cache *c, const bkp_cache_entry *e);
int bkp_cache_wire_ask(bk_cache *c);
int bkp_cache_wire_serve(bk_cache *c);

/* file.c */
void bkp_cache_file_load(bk_cache *c);
int bkp_cache_file_save(bk_cache *c);

/* Wall seconds with fractions, as the wire's times. */
double bkp_cache_wall(void);

#endif
