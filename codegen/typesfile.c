/* The types files of an IDL file (typesfile.h). */
#include "codegen/typesfile.h"

#include <stdio.h>
#include <string.h>

#include "codegen/codecs.h"
#include "codegen/ctext.h"
#include "codegen/ctypes.h"
#include "codegen/names.h"

const char *cg_types_file(cg_gen *g, json_t *file, const char *ext)
{
    const char *path = cg_sget(file, "path"), *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t n = strlen(base), sl = strlen(".bkidl");
    if (n > sl && strcmp(base + n - sl, ".bkidl") == 0)
        n -= sl;
    cg_sb b = {0};
    cg_sb_add(&b, base, n);
    cg_sb_cat(&b, "_types", ext, NULL);
    const char *r = cg_sb_str(g, &b);
    cg_sb_free(&b);
    return r;
}

/* An include guard for file name f: its letters and digits in upper case, '_' for others. */
static const char *guard_of(cg_gen *g, const char *f)
{
    char *u = (char *)cg_upper(g, f);
    for (char *p = u; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            *p = '_';
    return u;
}

/* Composites used by a file (its structs and services), inner first. */
static void file_composites(cg_gen *g, json_t *file, cg_tlist *list)
{
    json_t *s, *f, *m;
    size_t i, j, k;
    json_array_foreach(json_object_get(file, "structs"), i, s) {
        json_array_foreach(json_object_get(s, "fields"), j, f) {
            cg_need_add(g, list, cg_type_get(g, json_object_get(f, "type")));
        }
    }
    json_array_foreach(json_object_get(file, "services"), i, s) {
        const char *lists[2] = {"methods", "notifications"};
        for (int l = 0; l < 2; l++) {
            json_array_foreach(json_object_get(s, lists[l]), j, m) {
                json_array_foreach(json_object_get(m, "params"), k, f) {
                    cg_need_add(g, list, cg_type_get(g, json_object_get(f, "type")));
                }
                json_t *r = json_object_get(m, "result");
                if (r && !json_is_null(r))
                    cg_need_add(g, list, cg_type_get(g, r));
            }
        }
    }
}

/* Structs in an order where a struct held by value comes before its holder. */
static void struct_order(json_t *structs, json_t *s, json_t *done, json_t *out)
{
    const char *name = cg_sget(s, "c_name");
    if (json_object_get(done, name))
        return;
    json_object_set_new(done, name, json_true());
    size_t i, j;
    json_t *f, *o;
    json_array_foreach(json_object_get(s, "fields"), i, f) {
        json_t *t = json_object_get(f, "type");
        if (strcmp(cg_sget(t, "kind"), "struct") == 0 &&
            !json_is_true(json_object_get(f, "optional"))) {
            json_array_foreach(structs, j, o) {
                if (strcmp(cg_sget(o, "c_name"), cg_sget(t, "c_name")) == 0)
                    struct_order(structs, o, done, out);
            }
        }
    }
    json_array_append(out, s);
}

static json_t *errors_ctx(json_t *file, cg_sb *b)
{
    json_t *errors = json_array(), *v;
    size_t i;
    json_array_foreach(json_object_get(file, "errors"), i, v) {
        json_t *e = json_deep_copy(v);
        json_object_set_new(e, "doc_c", cg_doc_c_json(json_object_get(v, "doc"), ""));
        const char *msg = cg_sget(v, "message");
        cg_c_string(b, msg, strlen(msg));
        json_object_set_new(e, "message_c", cg_sb_json(b));
        json_int_t code = json_integer_value(json_object_get(v, "code"));
        char num[32];
        snprintf(num, sizeof num, code < 0 ? "(%" JSON_INTEGER_FORMAT ")"
                                           : "%" JSON_INTEGER_FORMAT, code);
        json_object_set_new(e, "code_c", cg_jstr(num));
        json_array_append_new(errors, e);
    }
    return errors;
}

static json_t *enums_ctx(cg_gen *g, json_t *file, cg_sb *b)
{
    json_t *enums = json_array(), *v, *w;
    size_t i, j;
    json_array_foreach(json_object_get(file, "enums"), i, v) {
        json_t *e = json_deep_copy(v);
        json_object_set_new(e, "names", cg_names_json(g, cg_sget(v, "c_name"), CG_OF_ENUM));
        json_object_set_new(e, "doc_c", cg_doc_c_json(json_object_get(v, "doc"), ""));
        json_array_foreach(json_object_get(e, "members"), j, w) {
            json_object_set_new(w, "doc_c", cg_doc_c_json(json_object_get(w, "doc"), "    "));
            const char *nm = cg_sget(w, "name");
            cg_c_string(b, nm, strlen(nm));
            json_object_set_new(w, "name_c", cg_sb_json(b));
        }
        json_array_foreach(json_object_get(v, "members"), j, w) {
            if (j)
                cg_sb_add(b, ", ", 2);
            cg_sb_adds(b, cg_sget(w, "name"));
        }
        json_object_set_new(e, "members_list", cg_sb_json(b));
        json_object_set_new(e, "members_count",
                            json_integer((json_int_t)json_array_size(json_object_get(v, "members"))));
        json_array_append_new(enums, e);
    }
    return enums;
}

/* Composite typedefs, under guards (another file's header may declare them too). */
static json_t *composites_ctx(cg_gen *g, json_t *file, cg_sb *b)
{
    cg_tlist comps = {0};
    file_composites(g, file, &comps);
    for (size_t i = 0; i < comps.n; i++) {
        cg_type *v = comps.v[i];
        if (v->in_runtime)
            continue;
        const char *name = v->base, *g_ = cg_upper(g, name);
        cg_sb_cat(b, "#ifndef ", g_, "_DEFINED\n#define ", g_, "_DEFINED\n", NULL);
        if (v->kind == CG_K_LIST) {
            cg_sb_cat(b, "typedef struct ", name, " {\n    ", NULL);
            cg_decl(b, v->of->ptr, "items");
            cg_sb_cat(b, ";\n    size_t count;\n} ", name, ";\n", NULL);
        } else {
            cg_sb_cat(b, "typedef struct ", name, " {\n    const char **keys;\n    ", NULL);
            cg_decl(b, v->of->ptr, "values");
            cg_sb_cat(b, ";\n    size_t count;\n} ", name, ";\n", NULL);
        }
        cg_sb_adds(b, "#endif\n");
    }
    cg_tlist_free(&comps);
    if (b->len > 0)
        b->s[--b->len] = '\0'; /* the template ends the line */
    return cg_sb_json(b);
}

/* Structs in dependency order, with declarations and codec bodies. */
static json_t *structs_ctx(cg_gen *g, json_t *file, cg_sb *b)
{
    json_t *src = json_object_get(file, "structs"), *ordered = json_array(), *done = json_object();
    json_t *v, *w;
    size_t i, j;
    json_array_foreach(src, i, v) {
        struct_order(src, v, done, ordered);
    }
    json_decref(done);
    cg_need_reset(g);
    json_t *structs = json_array();
    json_array_foreach(ordered, i, v) {
        json_t *s = json_pack("{s:s, s:s}", "c_name", cg_sget(v, "c_name"), "name",
                              cg_sget(v, "name"));
        json_object_set_new(s, "doc_c", cg_doc_c_json(json_object_get(v, "doc"), ""));
        json_object_set_new(s, "names", cg_names_json(g, cg_sget(v, "c_name"), CG_OF_STRUCT));
        size_t n;
        const cg_field *fs = cg_fields(g, json_object_get(v, "fields"), &n);
        json_t *fields = json_array();
        for (j = 0; j < n; j++) {
            w = json_object();
            json_object_set_new(w, "doc_c", cg_doc_c_json(json_object_get(fs[j].j, "doc"),
                                                          "    "));
            const char *decls[2];
            size_t nd = cg_field_members(g, &fs[j], decls);
            for (size_t k = 0; k < nd; k++)
                cg_sb_cat(b, k ? "\n    " : "    ", decls[k], ";", NULL);
            json_object_set_new(w, "decl", cg_sb_json(b));
            json_array_append_new(fields, w);
        }
        if (n == 0)
            json_array_append_new(fields, json_pack("{s:s, s:s}", "doc_c", "", "decl",
                                                    "    char unused; /* C wants a member */"));
        json_object_set_new(s, "fields", fields);
        cg_object_decode_body(g, b, fs, n, false);
        json_object_set_new(s, "read_body", cg_sb_json(b));
        cg_object_encode_body(g, b, fs, n, false, "v->");
        json_object_set_new(s, "write_body", cg_sb_json(b));
        json_array_append_new(structs, s);
    }
    json_decref(ordered);
    return structs;
}

int cg_gen_types(cg_gen *g, json_t *file, cg_gen_file **files, size_t *nfiles)
{
    const char *prefix = cg_sget(file, "c_prefix"), *header = cg_types_file(g, file, ".h");
    json_t *ctx = json_object(), *v;
    cg_sb b = {0};
    size_t i;

    g->prefix = prefix;
    json_object_set_new(ctx, "source", cg_jstr(cg_sget(file, "path")));
    json_object_set_new(ctx, "prefix", cg_jstr(prefix));
    json_object_set_new(ctx, "namespace", cg_jstr(cg_sget(file, "namespace")));
    json_object_set_new(ctx, "guard", cg_jstr(guard_of(g, header)));
    json_object_set_new(ctx, "header", cg_jstr(header));

    json_t *inc = json_array();
    json_array_foreach(json_object_get(file, "imports"), i, v) {
        json_array_append_new(inc, json_pack("{s:s}", "header", cg_types_file(g, v, ".h")));
    }
    json_object_set_new(ctx, "includes", inc);
    json_object_set_new(ctx, "errors", errors_ctx(file, &b));
    json_object_set_new(ctx, "enums", enums_ctx(g, file, &b));
    json_object_set_new(ctx, "composites", composites_ctx(g, file, &b));
    json_object_set_new(ctx, "structs", structs_ctx(g, file, &b));
    cg_composite_codecs(g, &b);
    json_object_set_new(ctx, "codecs", cg_sb_json(&b));
    cg_sb_free(&b);

    int rc = cg_emit(g, "types.h.tmpl", ctx, header, false, files, nfiles);
    if (rc == 0)
        rc = cg_emit(g, "types.c.tmpl", ctx, cg_types_file(g, file, ".c"), false, files, nfiles);
    json_decref(ctx);
    return rc;
}
