/* The arena and the AST constructors. */
#include "idl/ast.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *oom(void)
{
    fputs("bkpr-gen: out of memory\n", stderr);
    abort();
}

bkp_idl_arena *bkp_idl_arena_new(void)
{
    bk_arena *a;
    return bk_arena_new(&a) == 0 ? a : oom();
}

void bkp_idl_arena_free(bkp_idl_arena *a)
{
    bk_arena_free(a);
}

void *bkp_idl_alloc(bkp_idl_arena *a, size_t n)
{
    void *p = bk_arena_alloc(a, n);
    return p ? p : oom();
}

void *bkp_idl_map_alloc(void *arena, size_t n)
{
    return bkp_idl_alloc(arena, n);
}

void *bkp_idl_map_add(bkp_map *m, const char *key, void *val)
{
    void *had = NULL;
    bkp_map_add(m, key, val, &had);
    return had;
}

char *bkp_idl_strndup(bkp_idl_arena *a, const char *s, size_t n)
{
    char *p = bk_arena_strndup(a, s, n);
    return p ? p : oom();
}

char *bkp_idl_strdup(bkp_idl_arena *a, const char *s)
{
    return bkp_idl_strndup(a, s, strlen(s));
}

char *bkp_idl_printf(bkp_idl_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = bk_arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p ? p : oom();
}

char *bkp_idl_cat(bkp_idl_arena *a, ...)
{
    va_list ap;
    size_t n = 0;
    va_start(ap, a);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
        n += strlen(s);
    va_end(ap);
    char *r = bkp_idl_alloc(a, n + 1), *p = r;
    va_start(ap, a);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;) {
        size_t k = strlen(s);
        memcpy(p, s, k);
        p += k;
    }
    va_end(ap);
    *p = '\0';
    return r;
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
