/* Decoders and encoders in generated C (codecs.h). */
#include "codegen/codecs.h"

#include <string.h>

#include "codegen/ctext.h"
#include "codegen/names.h"

/* Statements decoding field f, whose value is token v[i] (0: absent), into prefix+c_name;
 * the error returned on failure. */
static void field_decode(cg_gen *g, cg_sb *b, const cg_field *f, size_t i, const char *prefix)
{
    cg_type *t = f->t;
    const char *name = f->c_name;
    const char *fn = cg_dec_fn(g, t);
    cg_sb v = {0};
    cg_sb_adds(&v, "v[");
    cg_sb_addu(&v, i);
    cg_sb_addc(&v, ']');
    const char *tok = cg_sb_str(g, &v);
    cg_sb_free(&v);
    cg_sb_adds(b, "    at = bk_dec_push(d, ");
    cg_c_string(b, f->name, strlen(f->name));
    cg_sb_adds(b, ");\n");
    if (f->optional) {
        cg_sb_cat(b, "    if (", tok, " && !bk_json_is_null(d->doc, ", tok, ")) {\n", NULL);
        if (t->nullable) {
            cg_sb_cat(b, "        if ((rc = ", fn, "(d, ", tok, ", &", prefix, name,
                      ")) != 0)\n            return rc;\n", NULL);
        } else if (t->kind == CG_K_STRUCT) {
            cg_sb_cat(b, "        ", t->ctype, " *x = bk_dec_alloc(d, 1, sizeof *x);\n\n",
                      "        if (!x)\n            return BK_ENOMEM;\n",
                      "        if ((rc = ", fn, "(d, ", tok, ", x)) != 0)\n",
                      "            return rc;\n",
                      "        ", prefix, name, " = x;\n", NULL);
        } else {
            cg_sb_cat(b, "        ", prefix, CG_HAS_PREFIX, name, " = true;\n",
                      "        if ((rc = ", fn, "(d, ", tok, ", &", prefix, name,
                      ")) != 0)\n            return rc;\n", NULL);
        }
        cg_sb_adds(b, "    }\n");
    } else if (f->has_default) {
        cg_sb_cat(b, "    if (!", tok, ")\n        ", prefix, name, " = ", cg_default_expr(g, f),
                  ";\n", "    else if ((rc = ", fn, "(d, ", tok, ", &", prefix, name,
                  ")) != 0)\n        return rc;\n", NULL);
    } else {
        cg_sb_cat(b, "    if (!", tok, ")\n        return bk_dec_missing(d);\n",
                  "    if ((rc = ", fn, "(d, ", tok, ", &", prefix, name,
                  ")) != 0)\n        return rc;\n", NULL);
    }
    cg_sb_adds(b, "    bk_dec_pop(d, at);\n");
}

void cg_object_decode_body(cg_gen *g, cg_sb *b, const cg_field *f, size_t n, bool empty_ok)
{
    const char *ok = empty_ok ? "true" : "false";
    if (n == 0) {
        cg_sb_cat(b, "    memset(out, 0, sizeof *out);\n",
                  "    return bk_dec_object(d, j, NULL, 0, ", ok, ", NULL);\n", NULL);
        return;
    }
    cg_sb_adds(b, "    static const bk_json_name fields[] = {");
    for (size_t i = 0; i < n; i++) {
        if (i)
            cg_sb_add(b, ", ", 2);
        cg_sb_adds(b, "BK_JSON_NAME(");
        cg_c_string(b, f[i].name, strlen(f[i].name));
        cg_sb_addc(b, ')');
    }
    cg_sb_adds(b, "};\n    uint32_t v[");
    cg_sb_addu(b, n);
    cg_sb_adds(b, "];\n    size_t at;\n    int rc;\n\n"
                  "    memset(out, 0, sizeof *out);\n"
                  "    if ((rc = bk_dec_object(d, j, fields, ");
    cg_sb_addu(b, n);
    cg_sb_cat(b, ", ", ok, ", v)) != 0)\n        return rc;\n", NULL);
    for (size_t i = 0; i < n; i++)
        field_decode(g, b, &f[i], i, "out->");
    cg_sb_adds(b, "    return 0;\n");
}

void cg_object_encode_body(cg_gen *g, cg_sb *b, const cg_field *fs, size_t n, bool flat,
                           const char *from)
{
    if (n == 0 && !flat)
        cg_sb_adds(b, "    (void)v;\n");
    cg_sb_adds(b, "    bk_jw_begin_object(w);\n");
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
        const char *in = cond ? "        " : "    ";
        if (cond)
            cg_sb_cat(b, "    if (", cond, ") {\n", NULL);
        cg_sb_cat(b, in, "bk_jw_keyn(w, ", NULL);
        cg_c_string(b, f->name, strlen(f->name));
        cg_sb_add(b, ", ", 2);
        cg_sb_addu(b, strlen(f->name));
        cg_sb_cat(b, ");\n", in, NULL);
        cg_enc_expr(g, b, t, val, ptr);
        cg_sb_adds(b, ";\n");
        if (cond)
            cg_sb_adds(b, "    }\n");
    }
    cg_sb_adds(b, "    bk_jw_end_object(w);\n");
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
        cg_sb_cat(b, "static int ", t->dec, "(bk_dec *d, uint32_t j, ", name, " *out)\n{\n",
                  NULL);
        if (t->kind == CG_K_LIST)
            cg_sb_cat(b, "    uint32_t v;\n    size_t i, at;\n    int rc;\n\n",
                      "    if ((rc = bk_dec_list(d, j, &out->count)) != 0)\n        return rc;\n",
                      "    out->items = bk_dec_alloc(d, out->count, sizeof *out->items);\n",
                      "    if (!out->items)\n        return BK_ENOMEM;\n",
                      "    for (i = 0, v = j + 1; i < out->count; i++, v = bk_dec_next(d, v)) {\n",
                      "        at = bk_dec_index(d, i);\n",
                      "        if ((rc = ", efn, "(d, v, &out->items[i])) != 0)\n"
                      "            return rc;\n",
                      "        bk_dec_pop(d, at);\n    }\n    return 0;\n}\n", NULL);
        else
            cg_sb_cat(b, "    uint32_t k;\n    size_t i, at;\n    int rc;\n\n",
                      "    if ((rc = bk_dec_map(d, j, &out->count)) != 0)\n        return rc;\n",
                      "    out->keys = bk_dec_alloc(d, out->count, sizeof *out->keys);\n",
                      "    out->values = bk_dec_alloc(d, out->count, sizeof *out->values);\n",
                      "    if (!out->keys || !out->values)\n        return BK_ENOMEM;\n",
                      "    for (i = 0, k = j + 1; i < out->count;"
                      " i++, k = bk_dec_next(d, k + 1)) {\n",
                      "        out->keys[i] = bk_dec_key(d, k);\n",
                      "        at = bk_dec_push(d, out->keys[i]);\n",
                      "        if ((rc = ", efn, "(d, k + 1, &out->values[i])) != 0)\n"
                      "            return rc;\n",
                      "        bk_dec_pop(d, at);\n    }\n    return 0;\n}\n", NULL);
    }
    for (size_t i = 0; i < g->need_enc.n; i++) {
        cg_type *t = g->need_enc.v[i];
        if (b->len)
            cg_sb_addc(b, '\n');
        cg_sb_cat(b, "static void ", t->enc, "(bk_jw *w, const ", t->base, " *v)\n{\n",
                  "    size_t i;\n\n", NULL);
        if (t->kind == CG_K_LIST) {
            cg_sb_adds(b, "    bk_jw_begin_array(w);\n"
                          "    for (i = 0; i < v->count; i++)\n        ");
            cg_enc_expr(g, b, t->of, "v->items[i]", "&v->items[i]");
            cg_sb_adds(b, ";\n    bk_jw_end_array(w);\n}\n");
        } else {
            cg_sb_adds(b, "    bk_jw_begin_object(w);\n    for (i = 0; i < v->count; i++) {\n"
                          "        bk_jw_key(w, v->keys[i]);\n        ");
            cg_enc_expr(g, b, t->of, "v->values[i]", "&v->values[i]");
            cg_sb_adds(b, ";\n    }\n    bk_jw_end_object(w);\n}\n");
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
