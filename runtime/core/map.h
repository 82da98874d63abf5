/* The runtime's one hash map, string-keyed: open addressing with linear probing, FNV-1a,
 * grown to twice the size at 3/4 full, deletion by backward shift (no tombstones). Used for
 * the broker's vhosts, users, queues and topic-trie children, the supervisor's sets of
 * service names, and bkpr-gen's name checks. Internal to libbeekeeper.
 *
 * Keys are borrowed: each key must live as long as its entry (the usual way: the value owns
 * its key). Values are never freed by the map. Keys are compared byte for byte.
 *
 * Memory. A zeroed map ({0}) keeps its table with malloc and free: bkp_map_clear frees it.
 * One made with BKP_MAP_IN(alloc, arena) takes its tables from an arena instead and never
 * frees them: bkpr-gen keeps everything in its program's arena, frees nothing on its own
 * and stops when out of memory, so its maps need no clean-up on any path. A table it
 * outgrows stays in the arena: at most as much again as the final one.
 * Single-threaded: a map belongs to whoever owns the struct it is in. */
#ifndef BKP_CORE_MAP_H
#define BKP_CORE_MAP_H

#include <stddef.h>
#include <stdint.h>

/* Zeroed memory for n bytes from arena, or NULL. */
typedef void *bkp_map_alloc_fn(void *arena, size_t n);

typedef struct bkp_map_slot {
    const char *key;   /* NULL: empty */
    uint32_t hash;
    void *value;
} bkp_map_slot;

typedef struct bkp_map {
    bkp_map_slot *slots;
    size_t cap;                /* a power of two, or 0 */
    size_t len;
    bkp_map_alloc_fn *alloc;   /* NULL: malloc and free */
    void *arena;
} bkp_map;

/* An empty map whose tables come from arena (see above). */
#define BKP_MAP_IN(fn, a) ((bkp_map){.alloc = (fn), .arena = (a)})

/* The value for key (NUL-terminated), or for key[0..n), or NULL. */
void *bkp_map_get(const bkp_map *m, const char *key);
void *bkp_map_getn(const bkp_map *m, const char *key, size_t n);
/* Adds key -> value; key must not be in the map. 0 or BK_ENOMEM (nothing added). */
int bkp_map_put(bkp_map *m, const char *key, void *value);
/* Adds key -> value unless key is in the map. Returns 0 when added; 1 when key was there
 * (nothing changed; *had, when had is not NULL, is the value there); BK_ENOMEM. */
int bkp_map_add(bkp_map *m, const char *key, void *value, void **had);
/* Removes key; returns its value, or NULL when it was not there. */
void *bkp_map_del(bkp_map *m, const char *key);
/* Empties the map and frees its table (not the keys or values); it stays usable. */
void bkp_map_clear(bkp_map *m);

/* Every entry: for each slot s in use, s->key and s->value. The map must not change
 * during the walk. */
#define BKP_MAP_EACH(m, s) \
    for (bkp_map_slot *s = (m)->slots; s && s < (m)->slots + (m)->cap; s++) if (s->key)

#endif
