/* The arena and the AST constructors. */
#include "idl/ast.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Chunks of CHUNK bytes; a request bigger than a quarter of that gets a chunk of its own so
 * that a large source file does not waste the rest of a chunk. */
#define CHUNK ((size_t)64 << 10)

struct chunk {
    struct chunk *next;
    size_t cap, used;
    max_align_t data[];
};

struct bkp_idl_arena {
    struct chunk *head;
};

bkp_idl_arena *bkp_idl_arena_new(void)
{
    return calloc(1, sizeof(bkp_idl_arena));
}

void bkp_idl_arena_free(bkp_idl_arena *a)
{
    if (!a)
        return;
    for (struct chunk *c = a->head, *n; c; c = n) {
        n = c->next;
        free(c);
    }
    free(a);
}

static struct chunk *chunk_new(size_t cap)
{
    struct chunk *c = malloc(sizeof *c + cap);
    if (!c) {
        fputs("bkpr-gen: out of memory\n", stderr);
        abort();
    }
    c->cap = cap;
    c->used = 0;
    c->next = NULL;
    return c;
}

void *bkp_idl_alloc(bkp_idl_arena *a, size_t n)
{
    size_t al = sizeof(max_align_t);
    n = (n + al - 1) / al * al;
    if (n == 0)
        n = al;
    struct chunk *c;
    if (n > CHUNK / 4) {
        c = chunk_new(n);
        if (a->head) { /* keep the current chunk in front: it still has room */
            c->next = a->head->next;
            a->head->next = c;
        } else {
            a->head = c;
        }
    } else {
        if (!a->head || a->head->cap - a->head->used < n) {
            c = chunk_new(CHUNK);
            c->next = a->head;
            a->head = c;
        }
        c = a->head;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

char *bkp_idl_strndup(bkp_idl_arena *a, const char *s, size_t n)
{
    char *p = bkp_idl_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *bkp_idl_strdup(bkp_idl_arena *a, const char *s)
{
    return bkp_idl_strndup(a, s, strlen(s));
}

char *bkp_idl_printf(bkp_idl_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *p = bkp_idl_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

bkp_idl_type *bkp_idl_type_new(bkp_idl_arena *a, bkp_idl_type_kind k, bkp_idl_pos pos)
{
    bkp_idl_type *t = bkp_idl_alloc(a, sizeof *t);
    t->kind = k;
    t->pos = pos;
    return t;
}

bkp_idl_value *bkp_idl_value_new(bkp_idl_arena *a, bkp_idl_value_kind k, bkp_idl_pos pos)
{
    bkp_idl_value *v = bkp_idl_alloc(a, sizeof *v);
    v->kind = k;
    v->pos = pos;
    return v;
}

bkp_idl_field *bkp_idl_field_new(bkp_idl_arena *a, bkp_idl_pos pos, const char *name)
{
    bkp_idl_field *f = bkp_idl_alloc(a, sizeof *f);
    f->pos = pos;
    f->name = name;
    return f;
}

bkp_idl_name *bkp_idl_name_new(bkp_idl_arena *a, bkp_idl_pos pos, const char *name)
{
    bkp_idl_name *n = bkp_idl_alloc(a, sizeof *n);
    n->pos = pos;
    n->name = name;
    return n;
}

bkp_idl_method *bkp_idl_method_new(bkp_idl_arena *a, bkp_idl_pos pos, const char *name)
{
    bkp_idl_method *m = bkp_idl_alloc(a, sizeof *m);
    m->pos = pos;
    m->name = name;
    return m;
}

bkp_idl_decl *bkp_idl_decl_new(bkp_idl_arena *a, bkp_idl_decl_kind k, bkp_idl_pos pos,
                               const char *name)
{
    bkp_idl_decl *d = bkp_idl_alloc(a, sizeof *d);
    d->kind = k;
    d->pos = pos;
    d->name = name;
    return d;
}

/* Appends node (itself a list) to list in constant time: the first node remembers the last,
 * so that a service of many thousands of members is not parsed in quadratic time. */
#define APPEND_FN(fn, T)                                                                        \
    T *fn(T *list, T *node)                                                                    \
    {                                                                                          \
        T *tail;                                                                               \
        if (!list)                                                                             \
            return node;                                                                       \
        if (!node)                                                                             \
            return list;                                                                       \
        for (tail = list->last ? list->last : list; tail->next; tail = tail->next)             \
            ;                                                                                  \
        tail->next = node;                                                                     \
        for (tail = node->last ? node->last : node; tail->next; tail = tail->next)             \
            ;                                                                                  \
        list->last = tail;                                                                     \
        return list;                                                                           \
    }
APPEND_FN(bkp_idl_fields_append, bkp_idl_field)
APPEND_FN(bkp_idl_names_append, bkp_idl_name)
APPEND_FN(bkp_idl_methods_append, bkp_idl_method)
APPEND_FN(bkp_idl_values_append, bkp_idl_value)

const char *bkp_idl_type_kind_name(const bkp_idl_type *t)
{
    switch (t->kind) {
    case BKP_IDL_BOOL: return "bool";
    case BKP_IDL_INT: return "int";
    case BKP_IDL_DOUBLE: return "double";
    case BKP_IDL_STRING: return "string";
    case BKP_IDL_BYTES: return "bytes";
    case BKP_IDL_ANY: return "any";
    case BKP_IDL_LIST: return "list";
    case BKP_IDL_MAP: return "map";
    case BKP_IDL_NAMED:
        if (t->decl && t->decl->kind == BKP_IDL_D_ENUM)
            return "enum";
        return "struct";
    }
    return "?";
}
