/* Decoders and encoders in generated C (codecs.h). */
#include "codegen/codecs.h"

#include <string.h>

#include "codegen/ctext.h"
#include "codegen/names.h"

/* Statements decoding field f of JSON object j into prefix+c_name; -1 returned on error. */
static void field_decode(cg_gen *g, cg_sb *b, const cg_field *f, const char *prefix)
{
    cg_type *t = f->t;
    const char *name = f->c_name;
    size_t kl = strlen(f->name);
    const char *fn = cg_dec_fn(g, t);
    cg_sb_adds(b, "    at = bk_dec_push(d, ");
    cg_c_string(b, f->name, kl);
    cg_sb_adds(b, ");\n    v = json_object_get(j, ");
    cg_c_string(b, f->name, kl);
    cg_sb_adds(b, ");\n");
    if (f->optional) {
        cg_sb_adds(b, "    if (v && !json_is_null(v)) {\n");
        if (t->nullable) {
            cg_sb_cat(b, "        if (", fn, "(d, v, &", prefix, name,
                      ") != 0)\n            return -1;\n", NULL);
        } else if (t->kind == CG_K_STRUCT) {
            cg_sb_cat(b, "        ", t->ctype, " *x = bk_dec_alloc(d, 1, sizeof *x);\n\n",
                      "        if (!x || ", fn, "(d, v, x) != 0)\n            return -1;\n",
                      "        ", prefix, name, " = x;\n", NULL);
        } else {
            cg_sb_cat(b, "        ", prefix, CG_HAS_PREFIX, name, " = true;\n", "        if (", fn,
                      "(d, v, &", prefix, name, ") != 0)\n            return -1;\n", NULL);
        }
        cg_sb_adds(b, "    }\n");
    } else if (f->has_default) {
        cg_sb_cat(b, "    if (!v)\n        ", prefix, name, " = ", cg_default_expr(g, f),
                  ";\n", "    else if (", fn, "(d, v, &", prefix, name,
                  ") != 0)\n        return -1;\n", NULL);
    } else {
        cg_sb_cat(b, "    if (!v)\n        return bk_dec_missing(d);\n", "    if (", fn,
                  "(d, v, &", prefix, name, ") != 0)\n        return -1;\n", NULL);
    }
    cg_sb_adds(b, "    bk_dec_pop(d, at);\n");
}

void cg_object_decode_body(cg_gen *g, cg_sb *b, const cg_field *f, size_t n, bool empty_ok)
{
    const char *ok = empty_ok ? "true" : "false";
    if (n == 0) {
        cg_sb_cat(b, "    memset(out, 0, sizeof *out);\n",
                  "    return bk_dec_object(d, j, NULL, 0, ", ok, ");\n", NULL);
        return;
    }
    cg_sb_adds(b, "    static const char *const fields[] = {");
    for (size_t i = 0; i < n; i++) {
        if (i)
            cg_sb_add(b, ", ", 2);
        cg_c_string(b, f[i].name, strlen(f[i].name));
    }
    cg_sb_adds(b, "};\n    json_t *v;\n    size_t at;\n\n"
                  "    memset(out, 0, sizeof *out);\n"
                  "    if (bk_dec_object(d, j, fields, ");
    cg_sb_addu(b, n);
    cg_sb_cat(b, ", ", ok, ") != 0)\n        return -1;\n", NULL);
    for (size_t i = 0; i < n; i++)
        field_decode(g, b, &f[i], "out->");
    cg_sb_adds(b, "    return 0;\n");
}

void cg_object_encode_body(cg_gen *g, cg_sb *b, const cg_field *fs, size_t n, bool flat,
                           const char *from)
{
    if (n == 0) {
        cg_sb_cat(b, flat ? "" : "    (void)v;\n", "    return json_object();\n", NULL);
        return;
    }
    cg_sb_adds(b, "    json_t *o = json_object();\n\n    if (!o)\n        return NULL;\n");
    for (size_t i = 0; i < n; i++) {
        const cg_field *f = &fs[i];
        cg_type *t = f->t;
        const char *cond = NULL, *val, *ptr;
        bool opt = f->optional, dflt = f->has_default;
        const char *src = cg_cat(g, from, f->c_name, NULL);
        if (flat) {
            if (opt || (dflt && t->nullable))
                cond = src;
            if (t->nullable || (!opt && !t->aggregate)) {
                val = src;
                ptr = cg_cat(g, "&", src, NULL);
            } else {
                val = cg_cat(g, "*", src, NULL);
                ptr = src;
            }
        } else {
            if (opt && (t->nullable || t->kind == CG_K_STRUCT))
                cond = src;
            else if (opt)
                cond = cg_cat(g, from, CG_HAS_PREFIX, f->c_name, NULL);
            else if (dflt && t->nullable)
                cond = src;
            if (opt && t->kind == CG_K_STRUCT) {
                val = cg_cat(g, "*", src, NULL);
                ptr = src;
            } else {
                val = src;
                ptr = cg_cat(g, "&", src, NULL);
            }
        }
        cg_sb_cat(b, "    if (", cond ? cond : "", cond ? " && " : "", "bk_enc_set(o, ", NULL);
        cg_c_string(b, f->name, strlen(f->name));
        cg_sb_add(b, ", ", 2);
        cg_enc_expr(g, b, t, val, ptr);
        cg_sb_adds(b, ") != 0)\n        goto fail;\n");
    }
    cg_sb_adds(b, "    return o;\nfail:\n    json_decref(o);\n    return NULL;\n");
}

/* Decoders and encoders add the composites they need themselves, so the lists are walked
 * while they grow; each codec is printed in list order, which is the order made. */
void cg_composite_codecs(cg_gen *g, cg_sb *b)
{
    for (size_t i = 0; i < g->need_dec.n; i++) {
        cg_type *t = g->need_dec.v[i];
        const char *name = t->base, *efn = cg_dec_fn(g, t->of);
        if (b->len)
            cg_sb_addc(b, '\n');
        cg_sb_cat(b, "static int ", t->dec, "(bk_dec *d, json_t *j, ", name, " *out)\n{\n",
                  NULL);
        if (t->kind == CG_K_LIST)
            cg_sb_cat(b, "    size_t i, at;\n\n",
                      "    if (!json_is_array(j))\n        return bk_dec_expected(d, \"list\", j);\n",
                      "    out->count = json_array_size(j);\n",
                      "    out->items = bk_dec_alloc(d, out->count, sizeof *out->items);\n",
                      "    if (!out->items)\n        return -1;\n",
                      "    for (i = 0; i < out->count; i++) {\n",
                      "        at = bk_dec_index(d, i);\n",
                       "        if (", efn, "(d, json_array_get(j, i), &out->items[i]) != 0)\n"
                       "            return -1;\n",
                       "        bk_dec_pop(d, at);\n    }\n    return 0;\n}\n", NULL);
        else
            cg_sb_cat(b, "    const char *key;\n    json_t *v;\n    size_t i = 0, at;\n\n",
                      "    if (!json_is_object(j))\n        return bk_dec_expected(d, \"map\", j);\n",
                      "    out->count = json_object_size(j);\n",
                      "    out->keys = bk_dec_alloc(d, out->count, sizeof *out->keys);\n",
                      "    out->values = bk_dec_alloc(d, out->count, sizeof *out->values);\n",
                      "    if (!out->keys || !out->values)\n        return -1;\n",
                      "    json_object_foreach(j, key, v) {\n",
                       "        at = bk_dec_push(d, key);\n",
                       "        out->keys[i] = key;\n",
                       "        if (", efn, "(d, v, &out->values[i]) != 0)\n            return -1;\n",
                       "        bk_dec_pop(d, at);\n        i++;\n    }\n    return 0;\n}\n", NULL);
    }
    for (size_t i = 0; i < g->need_enc.n; i++) {
        cg_type *t = g->need_enc.v[i];
        if (b->len)
            cg_sb_addc(b, '\n');
        cg_sb_cat(b, "static json_t *", t->enc, "(const ", t->base, " *v)\n{\n", NULL);
        if (t->kind == CG_K_LIST) {
            cg_sb_adds(b, "    json_t *a = json_array();\n    size_t i;\n\n"
                          "    for (i = 0; a && i < v->count; i++) {\n"
                          "        if (json_array_append_new(a, ");
            cg_enc_expr(g, b, t->of, "v->items[i]", "&v->items[i]");
            cg_sb_adds(b, ") != 0) {\n"
                          "            json_decref(a);\n            return NULL;\n        }\n"
                          "    }\n    return a;\n}\n");
        } else {
            cg_sb_adds(b, "    json_t *o = json_object();\n    size_t i;\n\n"
                          "    for (i = 0; o && i < v->count; i++) {\n"
                          "        if (!v->keys[i] || bk_enc_set(o, v->keys[i], ");
            cg_enc_expr(g, b, t->of, "v->values[i]", "&v->values[i]");
            cg_sb_adds(b, ") != 0) {\n"
                          "            json_decref(o);\n            return NULL;\n        }\n"
                          "    }\n    return o;\n}\n");
        }
    }
    if (b->len > 0)
        b->s[--b->len] = '\0'; /* the template ends the line */
}

void cg_need_reset(cg_gen *g)
{
    g->need_dec.n = 0;
    g->need_enc.n = 0;
}
