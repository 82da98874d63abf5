/* A string-keyed hash map with open addressing (linear probing, tombstone-free deletion by
 * backward shift). Keys are borrowed: each value owns its key, so the key's storage lives as
 * long as the entry. Used for vhosts, queues and topic-trie children. */
#ifndef BKP_BROKER_MAP_H
#define BKP_BROKER_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct bkp_map_slot {
    const char *key;   /* NULL: empty */
    uint32_t hash;
    void *value;
} bkp_map_slot;

typedef struct bkp_map {
    bkp_map_slot *slots;
    size_t cap;        /* a power of two, or 0 */
    size_t len;
} bkp_map;

uint32_t bkp_map_hash(const char *s, size_t n);
/* The value for key[0..n), or NULL. */
void *bkp_map_get(const bkp_map *m, const char *key, size_t n);
/* Adds key -> value (key must not be present; borrowed). Returns 0 or BK_ENOMEM. */
int bkp_map_put(bkp_map *m, const char *key, void *value);
/* Removes key; returns its value or NULL. */
void *bkp_map_del(bkp_map *m, const char *key);
/* Frees the table (not the values). */
void bkp_map_clear(bkp_map *m);

#define BKP_MAP_EACH(m, s) \
    for (bkp_map_slot *s = (m)->slots; s && s < (m)->slots + (m)->cap; s++) if (s->key)

#endif
