#include "beekeeper/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "beekeeper/error.h"

#define ARENA_BLOCK 4096u
#define ARENA_MAX_ALLOC ((size_t)1 << 30)

typedef struct block {
    struct block *next;
    size_t size, used;
    alignas(max_align_t) unsigned char data[];
} block;

typedef struct jref {
    struct jref *next;
    json_t *j;
} jref;

struct bk_arena {
    block *head;
    jref *refs;
    size_t total;
};

int bk_arena_new(bk_arena **out)
{
    if (!out)
        return BK_EINVAL;
    *out = calloc(1, sizeof **out);
    return *out ? 0 : BK_ENOMEM;
}

static void drop_refs(bk_arena *a)
{
    /* The refs list itself lives in arena blocks: only the json references go here. */
    for (jref *r = a->refs; r; r = r->next)
        json_decref(r->j);
    a->refs = NULL;
}

void bk_arena_free(bk_arena *a)
{
    if (!a)
        return;
    drop_refs(a);
    for (block *b = a->head, *n; b; b = n) {
        n = b->next;
        free(b);
    }
    free(a);
}

void bk_arena_reset(bk_arena *a)
{
    if (!a)
        return;
    drop_refs(a);
    block *keep = NULL;
    for (block *b = a->head, *n; b; b = n) {
        n = b->next;
        if (!n) {
            keep = b;   /* the oldest block: the first, usually the default size */
            break;
        }
        free(b);
    }
    a->head = keep;
    if (keep) {
        keep->next = NULL;
        keep->used = 0;
    }
    a->total = 0;
}

void *bk_arena_alloc(bk_arena *a, size_t n)
{
    const size_t al = alignof(max_align_t);
    if (!a || n > ARENA_MAX_ALLOC)
        return NULL;
    size_t need = (n + al - 1) & ~(al - 1);
    if (need == 0)
        need = al;
    block *b = a->head;
    if (!b || b->size - b->used < need) {
        size_t sz = need > ARENA_BLOCK / 4 ? need : ARENA_BLOCK;
        block *nb = malloc(sizeof *nb + sz);
        if (!nb)
            return NULL;
        nb->size = sz;
        nb->used = 0;
        if (b && need > ARENA_BLOCK / 4) {
            /* a big one-off: put it behind the current block so the current block's
             * free space stays in use */
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->head = nb;
        }
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += need;
    a->total += need;
    memset(p, 0, n);
    return p;
}

char *bk_arena_strndup(bk_arena *a, const char *s, size_t n)
{
    if (!s || n >= ARENA_MAX_ALLOC)
        return NULL;
    char *p = bk_arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

char *bk_arena_strdup(bk_arena *a, const char *s)
{
    return s ? bk_arena_strndup(a, s, strlen(s)) : NULL;
}

char *bk_arena_vprintf(bk_arena *a, const char *fmt, va_list ap)
{
    if (!a || !fmt)
        return NULL;
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *p = bk_arena_alloc(a, (size_t)n + 1);
    if (p)
        vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *bk_arena_printf(bk_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = bk_arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

struct json_t *bk_arena_keep_json(bk_arena *a, struct json_t *j)
{
    jref *r = a && j ? bk_arena_alloc(a, sizeof *r) : NULL;
    if (!r)
        return NULL;
    r->j = json_incref(j);
    r->next = a->refs;
    a->refs = r;
    return j;
}

struct json_t *bk_arena_keep_json_new(bk_arena *a, struct json_t *j)
{
    json_t *kept = bk_arena_keep_json(a, j);
    json_decref(j);     /* the arena holds its own now, or nothing */
    return kept;
}

size_t bk_arena_used(const bk_arena *a)
{
    return a ? a->total : 0;
}
