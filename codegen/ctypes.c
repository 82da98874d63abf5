/* IDL types in C (ctypes.h). */
#include "codegen/ctypes.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/ctext.h"
#include "codegen/names.h"

static void *alloc(cg_gen *g, size_t n)
{
    void *p = bk_arena_alloc(g->arena, n);
    if (!p) {
        fputs("bkpr-gen: out of memory\n", stderr);
        abort();
    }
    return p;
}

/* ---------------------------------------------------------------- the type table */

static size_t slot_of(const cg_gen *g, const json_t *t)
{
    uintptr_t h = (uintptr_t)t >> 4;
    h ^= h >> 17;
    return (size_t)(h * 0x9E3779B97F4A7C15u) & (g->types.cap - 1);
}

static void table_insert(cg_gen *g, cg_type *ty)
{
    size_t mask = g->types.cap - 1, h = slot_of(g, ty->j);
    while (g->types.slot[h])
        h = (h + 1) & mask;
    g->types.slot[h] = ty;
    g->types.n++;
}

static void table_grow(cg_gen *g)
{
    cg_type **old = g->types.slot;
    size_t oldcap = g->types.cap;
    g->types.cap = oldcap ? oldcap * 2 : 1024;
    g->types.slot = calloc(g->types.cap, sizeof *g->types.slot);
    if (!g->types.slot) {
        fputs("bkpr-gen: out of memory\n", stderr);
        abort();
    }
    g->types.n = 0;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i])
            table_insert(g, old[i]);
    free(old);
}

void cg_types_free(cg_gen *g)
{
    free(g->types.slot);
    g->types.slot = NULL;
    g->types.cap = g->types.n = 0;
}

static const struct {
    const char *name, *ctype;
    cg_kind kind;
} kinds[] = {
    {"bool", "bool", CG_K_BOOL},         {"int", "int64_t", CG_K_INT},
    {"double", "double", CG_K_DOUBLE},   {"string", "const char *", CG_K_STRING},
    {"bytes", "bk_bytes", CG_K_BYTES},   {"any", "json_t *", CG_K_ANY},
    {"enum", NULL, CG_K_ENUM},           {"struct", NULL, CG_K_STRUCT},
    {"list", NULL, CG_K_LIST},           {"map", NULL, CG_K_MAP},
};

/* What C makes of t: worked out once per type object (the model's types are asked about
 * again and again). The model lives as long as the run. */
cg_type *cg_type_get(cg_gen *g, json_t *t)
{
    if (g->types.cap) {
        size_t mask = g->types.cap - 1;
        for (size_t h = slot_of(g, t); g->types.slot[h]; h = (h + 1) & mask)
            if (g->types.slot[h]->j == t)
                return g->types.slot[h];
    }
    cg_type *ty = alloc(g, sizeof *ty);
    ty->j = t;
    const char *k = cg_sget(t, "kind");
    size_t ki = 0, nk = sizeof kinds / sizeof kinds[0];
    while (ki < nk && (!k || strcmp(kinds[ki].name, k) != 0))
        ki++;
    if (ki == nk)
        ki = CG_K_STRUCT; /* never: the model has no other kind (kinds[] is in enum order) */
    ty->kind = kinds[ki].kind;
    ty->kind_name = kinds[ki].name;
    ty->scalar = ty->kind <= CG_K_ANY;
    ty->composite = ty->kind == CG_K_LIST || ty->kind == CG_K_MAP;
    ty->nullable = ty->kind == CG_K_STRING || ty->kind == CG_K_ANY;
    ty->aggregate = ty->kind == CG_K_STRUCT || ty->composite;
    const char *codecs = NULL;
    if (ty->composite) {
        ty->of = cg_type_get(g, json_object_get(t, "of"));
        cg_items items = ty->of->scalar ? CG_ITEMS_SCALAR
                         : ty->of->in_runtime ? CG_ITEMS_RUNTIME : CG_ITEMS_DECLARED;
        ty->base = cg_composite_name(g->arena, g->prefix, ty->kind_name, ty->of->base, items,
                                     &ty->in_runtime, &codecs);
    } else if (ty->scalar) {
        ty->base = cg_cat(g, "bk_", ty->kind_name, NULL);
    } else {
        ty->c_name = cg_sget(t, "c_name");
        if (!ty->c_name)
            ty->c_name = "";
        ty->base = codecs = ty->c_name;
    }
    ty->ctype = kinds[ki].ctype ? kinds[ki].ctype : ty->base;
    size_t cl = strlen(ty->ctype);
    ty->ptr = cg_cat(g, ty->ctype, ty->ctype[cl - 1] == '*' ? "*" : " *", NULL);
    /* A struct's or an enum's codecs over tokens and a writer are X_read and X_write (their
     * jansson forms keep X_decode and X_encode); a composite's are static, X_decode and
     * X_encode. */
    ty->dec = ty->scalar      ? cg_cat(g, "bk_dec_", ty->kind_name, NULL)
              : ty->composite ? cg_cat(g, codecs, CG_SUFFIX(DECODE), NULL)
                              : cg_cat(g, codecs, CG_SUFFIX(READ), NULL);
    ty->enc = ty->scalar      ? NULL
              : ty->composite ? cg_cat(g, codecs, CG_SUFFIX(ENCODE), NULL)
                              : cg_cat(g, codecs, CG_SUFFIX(WRITE), NULL);
    if (2 * (g->types.n + 1) > g->types.cap)
        table_grow(g);
    table_insert(g, ty);
    return ty;
}

const cg_field *cg_fields(cg_gen *g, json_t *a, size_t *n)
{
    size_t cnt = json_array_size(a);
    cg_field *fs = alloc(g, (cnt ? cnt : 1) * sizeof *fs);
    for (size_t i = 0; i < cnt; i++) {
        json_t *f = json_array_get(a, i);
        fs[i] = (cg_field){
            .j = f,
            .name = cg_sget(f, "name"),
            .c_name = cg_sget(f, "c_name"),
            .t = cg_type_get(g, json_object_get(f, "type")),
            .optional = json_is_true(json_object_get(f, "optional")),
            .has_default = json_is_true(json_object_get(f, "has_default")),
        };
    }
    *n = cnt;
    return fs;
}

/* ---------------------------------------------------------------- need lists */

void cg_need_add(cg_gen *g, cg_tlist *list, cg_type *t)
{
    if (!t->composite)
        return;
    cg_need_add(g, list, t->of);
    for (size_t i = 0; i < list->n; i++)
        if (list->v[i] == t || strcmp(list->v[i]->base, t->base) == 0)
            return;
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 16;
        cg_type **nv = realloc(list->v, cap * sizeof *nv);
        if (!nv) {
            fputs("bkpr-gen: out of memory\n", stderr);
            abort();
        }
        list->v = nv;
        list->cap = cap;
    }
    list->v[list->n++] = t;
}

void cg_tlist_free(cg_tlist *list)
{
    free(list->v);
    *list = (cg_tlist){0};
}

const char *cg_dec_fn(cg_gen *g, cg_type *t)
{
    if (!t->scalar)
        cg_need_add(g, &g->need_dec, t);
    return t->dec;
}

void cg_enc_expr(cg_gen *g, cg_sb *b, cg_type *t, const char *val, const char *ptr)
{
    const char *fn;
    switch (t->kind) {
    case CG_K_BOOL: fn = "bk_jw_bool(w, "; break;
    case CG_K_INT: fn = "bk_jw_int(w, "; break;
    case CG_K_DOUBLE: fn = "bk_jw_double(w, "; break;
    case CG_K_STRING: fn = "bk_jw_string(w, "; break;
    case CG_K_BYTES: fn = "bk_enc_bytes(w, "; break;
    case CG_K_ANY: fn = "bk_jw_jansson(w, "; break;
    case CG_K_ENUM:
        cg_sb_cat(b, t->enc, "(w, ", val, ")", NULL);
        return;
    default:
        cg_need_add(g, &g->need_enc, t);
        cg_sb_cat(b, t->enc, "(w, ", ptr, ")", NULL);
        return;
    }
    cg_sb_cat(b, fn, val, ")", NULL);
}

/* ---------------------------------------------------------------- declarations */

void cg_decl(cg_sb *b, const char *type, const char *name)
{
    size_t n = strlen(type);
    cg_sb_add(b, type, n);
    if (type[n - 1] != '*')
        cg_sb_addc(b, ' ');
    cg_sb_adds(b, name);
}

size_t cg_field_members(cg_gen *g, const cg_field *f, const char **decls)
{
    cg_sb b = {0};
    size_t n = 0;
    if (!f->optional || f->t->nullable) {
        cg_decl(&b, f->t->ctype, f->c_name);
    } else if (f->t->kind == CG_K_STRUCT) {
        cg_sb_cat(&b, "const ", f->t->ctype, " *", f->c_name, NULL);
    } else {
        cg_sb_cat(&b, "bool " CG_HAS_PREFIX, f->c_name, NULL);
        decls[n++] = cg_sb_str(g, &b);
        cg_decl(&b, f->t->ctype, f->c_name);
    }
    decls[n++] = cg_sb_str(g, &b);
    cg_sb_free(&b);
    return n;
}

const char *cg_param_decl(cg_gen *g, const cg_field *f)
{
    cg_sb b = {0};
    if (f->t->nullable || (!f->optional && !f->t->aggregate))
        cg_decl(&b, f->t->ctype, f->c_name);
    else
        cg_sb_cat(&b, "const ", f->t->ctype, " *", f->c_name, NULL);
    const char *r = cg_sb_str(g, &b);
    cg_sb_free(&b);
    return r;
}

void cg_field_as_param(cg_sb *b, const cg_field *f, const char *prefix)
{
    cg_type *t = f->t;
    if (t->nullable || (!f->optional && !t->aggregate) ||
        (f->optional && t->kind == CG_K_STRUCT))
        cg_sb_cat(b, prefix, f->c_name, NULL);
    else if (!f->optional)
        cg_sb_cat(b, "&", prefix, f->c_name, NULL);
    else
        cg_sb_cat(b, prefix, CG_HAS_PREFIX, f->c_name, " ? &", prefix, f->c_name, " : NULL",
                  NULL);
}

/* ---------------------------------------------------------------- defaults */

/* The enum declared as c_name in the file or one of its imports. */
static json_t *find_enum(cg_gen *g, const char *c_name)
{
    json_t *file = json_object_get(g->model, "file"), *imported, *f, *e;
    size_t i, j;
    json_array_foreach(json_object_get(file, "enums"), j, e) {
        if (strcmp(cg_sget(e, "c_name"), c_name) == 0)
            return e;
    }
    imported = json_object_get(g->model, "imported");
    json_array_foreach(imported, i, f) {
        json_array_foreach(json_object_get(f, "enums"), j, e) {
            if (strcmp(cg_sget(e, "c_name"), c_name) == 0)
                return e;
        }
    }
    return NULL;
}

/* The shortest %g that reads back as d. */
static const char *double_lit(cg_gen *g, double d)
{
    char buf[64];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    if (!strpbrk(buf, ".eEn"))
        strcat(buf, ".0");
    return cg_cat(g, buf, NULL);
}

const char *cg_default_expr(cg_gen *g, const cg_field *f)
{
    cg_type *t = f->t;
    json_t *v = json_object_get(f->j, "default");
    char buf[64];
    switch (t->kind) {
    case CG_K_BOOL:
        return json_is_true(v) ? "true" : "false";
    case CG_K_INT: {
        json_int_t i = json_integer_value(v);
        if (i == INT64_MIN)
            return "INT64_MIN";
        if (i > INT32_MAX || i < -INT32_MAX)
            snprintf(buf, sizeof buf, "INT64_C(%" JSON_INTEGER_FORMAT ")", i);
        else
            snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, i);
        return cg_cat(g, buf, NULL);
    }
    case CG_K_DOUBLE:
        return double_lit(g, json_number_value(v));
    case CG_K_STRING:
        return cg_c_string_str(g, json_string_value(v), json_string_length(v));
    case CG_K_ENUM: {
        json_t *e = find_enum(g, t->c_name), *m;
        size_t i;
        json_array_foreach(json_object_get(e, "members"), i, m) {
            if (strcmp(cg_sget(m, "name"), json_string_value(v)) == 0)
                return cg_sget(m, "c_name");
        }
        cg_fail(g, "bkpr-gen: internal error: no member %s in %s", json_string_value(v),
                t->c_name);
        return "0";
    }
    case CG_K_ANY: {
        if (json_is_null(v))
            return "json_null()";
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
        const char *r = cg_cat(g, "bk_dec_json(d, ", cg_c_string_str(g, text, strlen(text)),
                               ")", NULL);
        free(text);
        return r;
    }
    default:
        cg_fail(g, "bkpr-gen: internal error: a default for a %s", t->kind_name);
        return "0";
    }
}
