#include "core/map.h"

#include <stdlib.h>
#include <string.h>

#include "beekeeper/error.h"

static uint32_t hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int key_eq(const bkp_map_slot *s, uint32_t h, const char *key, size_t n)
{
    return s->hash == h && strncmp(s->key, key, n) == 0 && s->key[n] == '\0';
}

/* The slot holding key[0..n) (hash h), or the empty one where it would go. */
static size_t find(const bkp_map *m, uint32_t h, const char *key, size_t n)
{
    size_t mask = m->cap - 1, i = h & mask;
    while (m->slots[i].key && !key_eq(&m->slots[i], h, key, n))
        i = (i + 1) & mask;
    return i;
}

void *bkp_map_getn(const bkp_map *m, const char *key, size_t n)
{
    if (!m->len)
        return NULL;
    const bkp_map_slot *s = &m->slots[find(m, hash(key, n), key, n)];
    return s->key ? s->value : NULL;
}

void *bkp_map_get(const bkp_map *m, const char *key)
{
    return bkp_map_getn(m, key, strlen(key));
}

static void insert(bkp_map_slot *slots, size_t cap, const bkp_map_slot *e)
{
    size_t i = e->hash & (cap - 1);
    while (slots[i].key)
        i = (i + 1) & (cap - 1);
    slots[i] = *e;
}

/* Room for one more entry. 0 or BK_ENOMEM. */
static int reserve(bkp_map *m)
{
    if ((m->len + 1) * 4 <= m->cap * 3)
        return 0;
    size_t cap = m->cap ? m->cap * 2 : 8;
    bkp_map_slot *slots = m->alloc ? m->alloc(m->arena, cap * sizeof *slots)
                                   : calloc(cap, sizeof *slots);
    if (!slots)
        return BK_ENOMEM;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            insert(slots, cap, &m->slots[i]);
    if (!m->alloc)
        free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

int bkp_map_put(bkp_map *m, const char *key, void *value)
{
    if (reserve(m) < 0)
        return BK_ENOMEM;
    bkp_map_slot e = {key, hash(key, strlen(key)), value};
    insert(m->slots, m->cap, &e);
    m->len++;
    return 0;
}

int bkp_map_add(bkp_map *m, const char *key, void *value, void **had)
{
    size_t n = strlen(key);
    uint32_t h = hash(key, n);
    if (m->len) {
        const bkp_map_slot *s = &m->slots[find(m, h, key, n)];
        if (s->key) {
            if (had)
                *had = s->value;
            return 1;
        }
    }
    if (reserve(m) < 0)
        return BK_ENOMEM;
    bkp_map_slot e = {key, h, value};
    insert(m->slots, m->cap, &e);
    m->len++;
    return 0;
}

void *bkp_map_del(bkp_map *m, const char *key)
{
    if (!m->len)
        return NULL;
    size_t n = strlen(key), mask = m->cap - 1;
    size_t i = find(m, hash(key, n), key, n);
    if (!m->slots[i].key)
        return NULL;
    void *v = m->slots[i].value;
    /* Backward-shift deletion keeps probe chains intact without tombstones. */
    size_t j = i;
    for (;;) {
        m->slots[i].key = NULL;
        for (;;) {
            j = (j + 1) & mask;
            if (!m->slots[j].key)
                goto done;
            size_t home = m->slots[j].hash & mask;
            /* Move j back to i unless its home lies cyclically in (i, j]. */
            if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
                continue;
            break;
        }
        m->slots[i] = m->slots[j];
        i = j;
    }
done:
    m->len--;
    if (m->len == 0)
        bkp_map_clear(m);
    return v;
}

void bkp_map_clear(bkp_map *m)
{
    if (!m->alloc)
        free(m->slots);
    m->slots = NULL;
    m->cap = m->len = 0;
}
