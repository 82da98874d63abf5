/* Name maps in the program's arena (ast.h): open addressing, FNV-1a, doubled at half full.
 * A grown table's old slots stay in the arena until the program is freed: at most as much
 * again as the final table. */
#include "idl/ast.h"

#include <stdint.h>
#include <string.h>

static size_t hash(const char *s)
{
    uint64_t h = 14695981039346656037u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (size_t)h;
}

/* The slot of key, or of the empty one where it would go. */
static size_t slot(const bkp_idl_map *m, const char *key)
{
    size_t i = hash(key) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

void *bkp_idl_map_get(const bkp_idl_map *m, const char *key)
{
    if (m->n == 0)
        return NULL;
    size_t i = slot(m, key);
    return m->keys[i] ? m->vals[i] : NULL;
}

void *bkp_idl_map_add(bkp_idl_map *m, bkp_idl_arena *a, const char *key, void *val)
{
    if (2 * (m->n + 1) > m->cap) {
        bkp_idl_map g = { .cap = m->cap ? 2 * m->cap : 16 };
        g.keys = bkp_idl_alloc(a, g.cap * sizeof *g.keys);
        g.vals = bkp_idl_alloc(a, g.cap * sizeof *g.vals);
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i]) {
                size_t j = slot(&g, m->keys[i]);
                g.keys[j] = m->keys[i];
                g.vals[j] = m->vals[i];
            }
        g.n = m->n;
        *m = g;
    }
    size_t i = slot(m, key);
    if (m->keys[i])
        return m->vals[i];
    m->keys[i] = key;
    m->vals[i] = val;
    m->n++;
    return NULL;
}
