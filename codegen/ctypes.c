/* IDL types in C (ctypes.h). */
#include "codegen/ctypes.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/ctext.h"

static void *alloc(bkp_gen *g, size_t n)
{
    void *p = bk_arena_alloc(g->arena, n);
    if (!p) {
        fputs("bkpr-gen: out of memory\n", stderr);
        abort();
    }
    return p;
}

/* ---------------------------------------------------------------- the type table */

static size_t slot_of(const bkp_gen *g, const json_t *t)
{
    uintptr_t h = (uintptr_t)t >> 4;
    h ^= h >> 17;
    return (size_t)(h * 0x9E3779B97F4A7C15u) & (g->types.cap - 1);
}

static void table_insert(bkp_gen *g, bkp_type *ty)
{
    size_t mask = g->types.cap - 1, h = slot_of(g, ty->j);
    while (g->types.slot[h])
        h = (h + 1) & mask;
    g->types.slot[h] = ty;
    g->types.n++;
}

static void table_grow(bkp_gen *g)
{
    bkp_type **old = g->types.slot;
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

void bkp_types_free(bkp_gen *g)
{
    free(g->types.slot);
    g->types.slot = NULL;
    g->types.cap = g->types.n = 0;
}

static const struct {
    const char *name, *ctype;
    bkp_kind kind;
} kinds[] = {
    {"bool", "bool", BKP_K_BOOL},         {"int", "int64_t", BKP_K_INT},
    {"double", "double", BKP_K_DOUBLE},   {"string", "const char *", BKP_K_STRING},
    {"bytes", "bk_bytes", BKP_K_BYTES},   {"any", "json_t *", BKP_K_ANY},
    {"enum", NULL, BKP_K_ENUM},           {"struct", NULL, BKP_K_STRUCT},
    {"list", NULL, BKP_K_LIST},           {"map", NULL, BKP_K_MAP},
};

/* What C makes of t: worked out once per type object (the model's types are asked about
 * again and again). The model lives as long as the run. */
bkp_type *bkp_type_get(bkp_gen *g, json_t *t)
{
    if (g->types.cap) {
        size_t mask = g->types.cap - 1;
        for (size_t h = slot_of(g, t); g->types.slot[h]; h = (h + 1) & mask)
            if (g->types.slot[h]->j == t)
                return g->types.slot[h];
    }
    bkp_type *ty = alloc(g, sizeof *ty);
    ty->j = t;
    const char *k = bkp_sget(t, "kind");
    size_t ki = 0, nk = sizeof kinds / sizeof kinds[0];
    while (ki < nk && (!k || strcmp(kinds[ki].name, k) != 0))
        ki++;
    if (ki == nk)
        ki = BKP_K_STRUCT; /* never: the model has no other kind (kinds[] is in enum order) */
    ty->kind = kinds[ki].kind;
    ty->kind_name = kinds[ki].name;
    ty->scalar = ty->kind <= BKP_K_ANY;
    ty->composite = ty->kind == BKP_K_LIST || ty->kind == BKP_K_MAP;
    ty->nullable = ty->kind == BKP_K_STRING || ty->kind == BKP_K_ANY;
    ty->aggregate = ty->kind == BKP_K_STRUCT || ty->composite;
    if (ty->composite) {
        ty->of = bkp_type_get(g, json_object_get(t, "of"));
        ty->in_runtime = ty->of->scalar;
        ty->base = bkp_cat(g, ty->of->base, "_", ty->kind_name, NULL);
    } else if (ty->scalar) {
        ty->base = bkp_cat(g, "bk_", ty->kind_name, NULL);
    } else {
        ty->c_name = bkp_sget(t, "c_name");
        if (!ty->c_name)
            ty->c_name = "";
        ty->base = ty->c_name;
    }
    ty->ctype = kinds[ki].ctype ? kinds[ki].ctype : ty->base;
    size_t cl = strlen(ty->ctype);
    ty->ptr = bkp_cat(g, ty->ctype, ty->ctype[cl - 1] == '*' ? "*" : " *", NULL);
    ty->dec = ty->scalar ? bkp_cat(g, "bk_dec_", ty->kind_name, NULL)
                         : bkp_cat(g, ty->base, "_decode", NULL);
    ty->enc = ty->scalar ? NULL : bkp_cat(g, ty->base, "_encode", NULL);
    if (2 * (g->types.n + 1) > g->types.cap)
        table_grow(g);
    table_insert(g, ty);
    return ty;
}

const bkp_field *bkp_fields(bkp_gen *g, json_t *a, size_t *n)
{
    size_t cnt = json_array_size(a);
    bkp_field *fs = alloc(g, (cnt ? cnt : 1) * sizeof *fs);
    for (size_t i = 0; i < cnt; i++) {
        json_t *f = json_array_get(a, i);
        fs[i] = (bkp_field){
            .j = f,
            .name = bkp_sget(f, "name"),
            .c_name = bkp_sget(f, "c_name"),
            .t = bkp_type_get(g, json_object_get(f, "type")),
            .optional = json_is_true(json_object_get(f, "optional")),
            .has_default = json_is_true(json_object_get(f, "has_default")),
        };
    }
    *n = cnt;
    return fs;
}

/* ---------------------------------------------------------------- need lists */

void bkp_need_add(bkp_gen *g, bkp_tlist *list, bkp_type *t)
{
    if (!t->composite)
        return;
    bkp_need_add(g, list, t->of);
    for (size_t i = 0; i < list->n; i++)
        if (list->v[i] == t || strcmp(list->v[i]->base, t->base) == 0)
            return;
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 16;
        bkp_type **nv = realloc(list->v, cap * sizeof *nv);
        if (!nv) {
            fputs("bkpr-gen: out of memory\n", stderr);
            abort();
        }
        list->v = nv;
        list->cap = cap;
    }
    list->v[list->n++] = t;
}

void bkp_tlist_free(bkp_tlist *list)
{
    free(list->v);
    *list = (bkp_tlist){0};
}

const char *bkp_dec_fn(bkp_gen *g, bkp_type *t)
{
    if (!t->scalar)
        bkp_need_add(g, &g->need_dec, t);
    return t->dec;
}

void bkp_enc_expr(bkp_gen *g, bkp_sb *b, bkp_type *t, const char *val, const char *ptr)
{
    const char *fn;
    switch (t->kind) {
    case BKP_K_BOOL: fn = "json_boolean("; break;
    case BKP_K_INT: fn = "json_integer("; break;
    case BKP_K_DOUBLE: fn = "json_real("; break;
    case BKP_K_STRING: fn = "json_string("; break;
    case BKP_K_BYTES: fn = "bk_enc_bytes("; break;
    case BKP_K_ANY: fn = "bk_enc_any("; break;
    case BKP_K_ENUM:
        bkp_sb_cat(b, t->enc, "(", val, ")", NULL);
        return;
    default:
        bkp_need_add(g, &g->need_enc, t);
        bkp_sb_cat(b, t->enc, "(", ptr, ")", NULL);
        return;
    }
    bkp_sb_cat(b, fn, val, ")", NULL);
}

/* ---------------------------------------------------------------- declarations */

void bkp_decl(bkp_sb *b, const char *type, const char *name)
{
    size_t n = strlen(type);
    bkp_sb_add(b, type, n);
    if (type[n - 1] != '*')
        bkp_sb_addc(b, ' ');
    bkp_sb_adds(b, name);
}

void bkp_field_decl(bkp_sb *b, const bkp_field *f, const char *indent)
{
    bkp_sb_adds(b, indent);
    if (!f->optional || f->t->nullable) {
        bkp_decl(b, f->t->ctype, f->c_name);
    } else if (f->t->kind == BKP_K_STRUCT) {
        bkp_sb_cat(b, "const ", f->t->ctype, " *", f->c_name, NULL);
    } else {
        bkp_sb_cat(b, "bool has_", f->c_name, ";\n", indent, NULL);
        bkp_decl(b, f->t->ctype, f->c_name);
    }
    bkp_sb_addc(b, ';');
}

const char *bkp_param_decl(bkp_gen *g, const bkp_field *f)
{
    bkp_sb b = {0};
    if (f->t->nullable || (!f->optional && !f->t->aggregate))
        bkp_decl(&b, f->t->ctype, f->c_name);
    else
        bkp_sb_cat(&b, "const ", f->t->ctype, " *", f->c_name, NULL);
    const char *r = bkp_sb_str(g, &b);
    bkp_sb_free(&b);
    return r;
}

void bkp_field_as_param(bkp_sb *b, const bkp_field *f, const char *prefix)
{
    bkp_type *t = f->t;
    if (t->nullable || (!f->optional && !t->aggregate) ||
        (f->optional && t->kind == BKP_K_STRUCT))
        bkp_sb_cat(b, prefix, f->c_name, NULL);
    else if (!f->optional)
        bkp_sb_cat(b, "&", prefix, f->c_name, NULL);
    else
        bkp_sb_cat(b, prefix, "has_", f->c_name, " ? &", prefix, f->c_name, " : NULL", NULL);
}

/* ---------------------------------------------------------------- defaults */

/* The enum declared as c_name in the file or one of its imports. */
static json_t *find_enum(bkp_gen *g, const char *c_name)
{
    json_t *file = json_object_get(g->model, "file"), *imported, *f, *e;
    size_t i, j;
    json_array_foreach(json_object_get(file, "enums"), j, e) {
        if (strcmp(bkp_sget(e, "c_name"), c_name) == 0)
            return e;
    }
    imported = json_object_get(g->model, "imported");
    json_array_foreach(imported, i, f) {
        json_array_foreach(json_object_get(f, "enums"), j, e) {
            if (strcmp(bkp_sget(e, "c_name"), c_name) == 0)
                return e;
        }
    }
    return NULL;
}

/* The shortest %g that reads back as d. */
static const char *double_lit(bkp_gen *g, double d)
{
    char buf[64];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    if (!strpbrk(buf, ".eEn"))
        strcat(buf, ".0");
    return bkp_cat(g, buf, NULL);
}

const char *bkp_default_expr(bkp_gen *g, const bkp_field *f)
{
    bkp_type *t = f->t;
    json_t *v = json_object_get(f->j, "default");
    char buf[64];
    switch (t->kind) {
    case BKP_K_BOOL:
        return json_is_true(v) ? "true" : "false";
    case BKP_K_INT: {
        json_int_t i = json_integer_value(v);
        if (i == INT64_MIN)
            return "INT64_MIN";
        if (i > INT32_MAX || i < -INT32_MAX)
            snprintf(buf, sizeof buf, "INT64_C(%" JSON_INTEGER_FORMAT ")", i);
        else
            snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, i);
        return bkp_cat(g, buf, NULL);
    }
    case BKP_K_DOUBLE:
        return double_lit(g, json_number_value(v));
    case BKP_K_STRING:
        return bkp_c_string_str(g, json_string_value(v), json_string_length(v));
    case BKP_K_ENUM: {
        json_t *e = find_enum(g, t->c_name), *m;
        size_t i;
        json_array_foreach(json_object_get(e, "members"), i, m) {
            if (strcmp(bkp_sget(m, "name"), json_string_value(v)) == 0)
                return bkp_sget(m, "c_name");
        }
        bkp_fail(g, "bkpr-gen: internal error: no member %s in %s", json_string_value(v),
                 t->c_name);
        return "0";
    }
    case BKP_K_ANY: {
        if (json_is_null(v))
            return "json_null()";
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
        const char *r = bkp_cat(g, "bk_dec_json(d, ", bkp_c_string_str(g, text, strlen(text)),
                                ")", NULL);
        free(text);
        return r;
    }
    default:
        bkp_fail(g, "bkpr-gen: internal error: a default for a %s", t->kind_name);
        return "0";
    }
}
