/* bk_cache: a shared cache, a table of key -> JSON value mirrored in every member process
 * and kept in step through the bus (doc/protocol.md "Shared cache"; the wire of Perl
 * Beekeeper 0.02's SharedCache, so a 0.02 member and ours converge on the same table).
 *
 * Members. A cache is named by its id and lives on a cluster: every process that makes a
 * bk_cache with the same id on the same cluster is a member, and holds the whole table.
 * Reads are local and cost nothing; a change is applied locally at once and published to
 * every bus of the cluster, where each other member applies it on arrival (two bus hops:
 * members may read a value that is stale by that much). A change carries a version and a
 * time: a higher version wins, on equal versions the later time wins, and on equal times the
 * value whose compact JSON (keys sorted) sorts higher, so that all members pick the same.
 * A delete leaves a tombstone for 60 s so that a late, older update cannot bring the key
 * back. Every member holds everything: a cache is for small tables that change seldom
 * (sessions, settings), not for a data set.
 *
 * Start-up. A new member asks the cluster for a full dump (on its first client's bus) and
 * merges the answer. When nobody answers within dump_wait_ms (about 20 s, as 0.02), it takes
 * itself for the first member of the cluster and begins serving dumps too. bk_cache_synced,
 * bk_cache_wait_synced and the on_synced hook tell when either happened.
 *
 * Bad input. Updates and dumps from the bus that are not JSON, have the wrong shape, or
 * exceed max_entry_bytes are dropped and counted (bk_cache_stats), never applied.
 *
 * Loop and threads. A cache belongs to the event_base of its clients (all on one base) and to
 * the thread that runs it. Its callbacks run from that loop, never from inside the API call
 * that causes them: a bk_cache_set reports its own change to on_update (remote 0) when the
 * loop next runs.
 *
 * Ownership. Arguments are borrowed (the cache copies what it keeps) except in the _new
 * functions, which steal the value given (on success and on failure, jansson's rule:
 * doc/api.md). Values handed out (bk_cache_get, on_update) are borrowed: see each.
 *
 * Errors: error.h. A NULL cache gives BK_EINVAL, or nothing (bk_cache_free), or 0 (the
 * getters). */
#ifndef BEEKEEPER_CACHE_H
#define BEEKEEPER_CACHE_H

#include <stddef.h>

#include <jansson.h>

#include "beekeeper/client.h"
#include "beekeeper/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bk_cache bk_cache;

/* A change of the table: key, and its new value or NULL when the key was deleted (by a
 * member, or dropped by max_age). remote is 1 when the change came from another member
 * (an update or a dump), 0 when it was this member's (bk_cache_set, _delete, _touch, max_age).
 * key and value are borrowed for the call (json_incref value to keep it; never modify it). */
typedef void bk_cache_update_fn(bk_cache *c, const char *key, json_t *value, int remote,
                                void *arg);

/* The member is synced: got_dump is 1 when another member's dump arrived, 0 when nobody
 * answered within dump_wait_ms (this member then serves dumps). Called once. */
typedef void bk_cache_synced_fn(bk_cache *c, int got_dump, void *arg);

typedef struct bk_cache_opts {
    /* The cache's name on the wire: [A-Za-z0-9_-] segments joined by dots ("sessions"). */
    const char *id;
    /* One connected-or-connecting client per bus of the cluster (the first is the member's
     * own, e.g. bk_worker_client(w); the others reach the cluster's other buses, as 0.02's
     * cache connects to all of them). Borrowed: each must outlive the cache, all on one
     * event_base. The cache subscribes on each and publishes every change to each. The
     * cluster is the first client's (bk_client_cluster); the others' must be the same. */
    bk_client *const *clients;
    size_t nclients;
    /* Entries not set or touched for this long are deleted (by every member that has
     * max_age: each publishes the delete); 0: entries never expire. Milliseconds. */
    int max_age_ms;
    /* A file: the table is loaded from it when the cache is made (entries older than
     * max_age left out; not reported to on_update) and saved to it by bk_cache_free and bk_cache_save, created with
     * mode 0600 (it may hold tokens); usually in the pool's run folder. Copied. NULL: the
     * table lives only in memory. */
    const char *persist;
    /* How long a new member waits for a dump before it serves dumps itself; 0: 20000 (0.02's
     * wait). Tests shorten it. */
    int dump_wait_ms;
    /* How long a deleted key's tombstone is kept; 0: 60000 (the wire's 60 s). */
    int tombstone_ms;
    /* Largest update, or dump entry, taken from the bus: its JSON text in bytes (key and
     * value included); larger ones are dropped and counted. Also the largest a local set
     * may make (BK_ELIMIT). 0: 1 MiB. */
    size_t max_entry_bytes;
    bk_cache_update_fn *on_update;  /* NULL: not told */
    bk_cache_synced_fn *on_synced;  /* NULL: not told */
    void *arg;                      /* for both hooks */
} bk_cache_opts;

/* Makes a member of cache o->id on the cluster of o->clients[0]: loads o->persist (when
 * set and the file exists: a file that cannot be read or parsed is left aside, logged at
 * warn, and the cache starts empty), subscribes on every client and asks for a dump. Copies
 * o. Returns 0, BK_EINVAL (out, o or o->clients NULL, nclients 0, a NULL client, a bad id,
 * clients on different clusters or bases, a negative time), BK_ENOMEM, BK_ELIMIT (the
 * destinations too long). On 0 *out is new: free it with bk_cache_free(); on failure *out
 * is NULL (when out is not NULL). Returns before the dump has arrived: bk_cache_synced. */
BK_API int bk_cache_new(bk_cache **out, const bk_cache_opts *o);

/* Saves the table to persist (when set, and only once synced: a member that never got the
 * cluster's table must not overwrite a better file), then leaves the cluster: its
 * subscriptions end, pending on_update calls are dropped. NULL does nothing. Not from
 * inside a callback of this cache. The clients stay the caller's. */
BK_API void bk_cache_free(bk_cache *c);

/* The value of key, when the table has one (a deleted key has none). On 0 *value is
 * borrowed: valid until the cache next changes that key (a call of this API, or the loop
 * running); json_incref to keep it, never modify it. BK_ENOTFOUND (no value), BK_EINVAL
 * (NULL c, key or value). *value is NULL on failure (when value is not NULL). */
BK_API int bk_cache_get(bk_cache *c, const char *key, json_t **value);

/* Sets key to value (copied; JSON null deletes, as bk_cache_delete), locally at once, with
 * the next version, and publishes the change to every bus that is connected (a bus that is
 * down misses it: the cache counts it in send_failed). 0, BK_EINVAL (NULL c, key or value;
 * key not UTF-8), BK_ELIMIT (the entry's JSON over max_entry_bytes), BK_ENOMEM. */
BK_API int bk_cache_set(bk_cache *c, const char *key, json_t *value);
/* As bk_cache_set, stealing value (on failure too). */
BK_API int bk_cache_set_new(bk_cache *c, const char *key, json_t *value);

/* Deletes key (a tombstone, published as a set to null). 0 (also when key had no value:
 * the delete is published all the same, so members that still have it drop it),
 * BK_EINVAL, BK_ENOMEM. */
BK_API int bk_cache_delete(bk_cache *c, const char *key);

/* Keeps key from max_age: republishes its value with a fresh time and the same version.
 * As 0.02, a touch within 0.3 x max_age of the entry's last change does nothing (so that
 * touching on every use does not flood the bus). 0 (touched or recent enough),
 * BK_ENOTFOUND (no value), BK_ESTATE (no max_age_ms), BK_EINVAL, BK_ENOMEM. */
BK_API int bk_cache_touch(bk_cache *c, const char *key);

/* Saves the table to persist now (write to a temporary file in the same folder, mode 0600,
 * then rename). 0, BK_ESTATE (no persist, or not synced yet), BK_EIO (errno tells more),
 * BK_ENOMEM, BK_EINVAL. */
BK_API int bk_cache_save(bk_cache *c);

/* 1 once the member has its cluster's table (a dump arrived, or nobody answered within
 * dump_wait_ms); 0 before, and for NULL. */
BK_API int bk_cache_synced(const bk_cache *c);

/* Runs the loop of the first client until the member is synced (0) or timeout_ms passed
 * (BK_ETIMEDOUT). BK_EINVAL; BK_ESTATE where the loop cannot be run (from one of its
 * callbacks while the application runs the event_base itself). */
BK_API int bk_cache_wait_synced(bk_cache *c, int timeout_ms);

/* Values with a key (tombstones not counted); 0 for NULL. */
BK_API size_t bk_cache_count(const bk_cache *c);

/* What a member has seen, since it was made. */
typedef struct bk_cache_stats {
    size_t entries;                 /* keys with a value (as bk_cache_count) */
    size_t tombstones;              /* deleted keys still remembered */
    unsigned long long applied;     /* updates from other members that changed the table */
    unsigned long long stale;       /* updates from other members that changed nothing (ours
                                       won, or the same came on another bus) */
    unsigned long long dropped;     /* bad updates, dumps and dump requests from the bus */
    unsigned long long dumps_served;
    unsigned long long send_failed; /* publishes a bus did not take (down, full) */
} bk_cache_stats;

/* Fills *st. BK_EINVAL for NULL c or st. */
BK_API int bk_cache_stats_get(const bk_cache *c, bk_cache_stats *st);

#ifdef __cplusplus
}
#endif
#endif
