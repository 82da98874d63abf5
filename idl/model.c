/* AST to JSON model. Every key is always present (null when there is nothing), arrays keep
 * the source order, so that a template never has to guess. */
#include "idl/model.h"

#include <stdlib.h>
#include <string.h>

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *type_json(const bkp_idl_type *t)
{
    if (!t)
        return json_null();
    if (t->kind == BKP_IDL_LIST || t->kind == BKP_IDL_MAP)
        return json_pack("{s:s, s:o}", "kind", bkp_idl_type_kind_name(t), "of", type_json(t->of));
    if (t->kind != BKP_IDL_NAMED)
        return json_pack("{s:s}", "kind", bkp_idl_type_kind_name(t));
    const bkp_idl_decl *d = t->decl;
    return json_pack("{s:s, s:s, s:s, s:o}", "kind", bkp_idl_type_kind_name(t), "name", d->name,
                     "c_name", d->c_name, "namespace", str_or_null(d->file->ns));
}

static json_t *value_json(const bkp_idl_value *v)
{
    switch (v->kind) {
    case BKP_IDL_V_INT: return json_integer(v->i);
    case BKP_IDL_V_DOUBLE: return json_real(v->d);
    case BKP_IDL_V_STRING: return json_stringn(v->s, v->len);
    case BKP_IDL_V_BOOL: return json_boolean(v->b);
    case BKP_IDL_V_NULL: return json_null();
    case BKP_IDL_V_NAME: return json_string(v->s); /* an enum member: its wire form */
    }
    return json_null();
}

static json_t *fields_json(const bkp_idl_field *list)
{
    json_t *a = json_array();
    for (const bkp_idl_field *x = list; x; x = x->next) {
        /* An int default of a double field is a double on the wire. */
        json_t *dv = json_null();
        if (x->dflt) {
            dv = value_json(x->dflt);
            if (x->type->kind == BKP_IDL_DOUBLE && x->dflt->kind == BKP_IDL_V_INT) {
                json_decref(dv);
                dv = json_real(x->dflt->d);
            }
        }
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:o, s:b, s:b, s:o, s:o}", "name", x->name, "c_name",
                         x->c_name, "type", type_json(x->type), "optional", x->optional,
                         "has_default", x->dflt != NULL, "default", dv, "doc",
                         str_or_null(x->doc)));
    }
    return a;
}

static json_t *enum_json(const bkp_idl_decl *d)
{
    json_t *members = json_array();
    int i = 0;
    for (const bkp_idl_name *m = d->members; m; m = m->next, i++)
        json_array_append_new(members, json_pack("{s:s, s:s, s:i, s:o}", "name", m->name,
                                                 "c_name", m->c_name, "value", i, "doc",
                                                 str_or_null(m->doc)));
    return json_pack("{s:s, s:s, s:o, s:o}", "name", d->name, "c_name", d->c_name, "doc",
                     str_or_null(d->doc), "members", members);
}

static json_t *error_ref_json(const bkp_idl_decl *e)
{
    return json_pack("{s:s, s:s, s:I, s:o}", "name", e->name, "c_name", e->c_name, "code",
                     (json_int_t)e->code->i, "namespace", str_or_null(e->file->ns));
}

static json_t *method_json(const bkp_idl_method *m)
{
    json_t *throws = json_array();
    for (const bkp_idl_name *t = m->throws; t; t = t->next)
        json_array_append_new(throws, error_ref_json(t->decl));
    json_t *ann = json_pack("{s:o, s:b, s:b}", "timeout_ms",
                            m->timeout_ms ? json_integer(m->timeout_ms) : json_null(), "public",
                            m->is_public, "idempotent", m->idempotent);
    json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:o}", "name", m->name, "c_name", m->c_name,
                          "doc", str_or_null(m->doc), "params", fields_json(m->params),
                          "annotations", ann);
    if (!m->notification) {
        json_object_set_new(o, "result", type_json(m->result));
        json_object_set_new(o, "throws", throws);
        json_object_set_new(o, "oneway", json_boolean(m->oneway));
    } else {
        json_decref(throws);
    }
    return o;
}

static json_t *service_json(const bkp_idl_decl *s)
{
    json_t *methods = json_array(), *notes = json_array();
    for (const bkp_idl_method *m = s->methods; m; m = m->next)
        json_array_append_new(m->notification ? notes : methods, method_json(m));
    return json_pack("{s:s, s:s, s:o, s:o, s:o}", "name", s->name, "c_prefix", s->c_name, "doc",
                     str_or_null(s->doc), "methods", methods, "notifications", notes);
}

static json_t *file_json(const bkp_idl_file *f)
{
    json_t *imports = json_array(), *enums = json_array(), *structs = json_array(),
           *errors = json_array(), *services = json_array();
    for (const bkp_idl_decl *d = f->decls; d; d = d->next) {
        switch (d->kind) {
        case BKP_IDL_D_NAMESPACE:
            break;
        case BKP_IDL_D_IMPORT:
            json_array_append_new(imports, json_pack("{s:s, s:s, s:o}", "import", d->name, "path",
                                                     d->target->src.path, "namespace",
                                                     str_or_null(d->target->ns)));
            break;
        case BKP_IDL_D_ENUM:
            json_array_append_new(enums, enum_json(d));
            break;
        case BKP_IDL_D_STRUCT:
            json_array_append_new(structs,
                                  json_pack("{s:s, s:s, s:o, s:o}", "name", d->name, "c_name",
                                            d->c_name, "doc", str_or_null(d->doc), "fields",
                                            fields_json(d->fields)));
            break;
        case BKP_IDL_D_ERROR: {
            json_t *e = error_ref_json(d);
            json_object_set_new(e, "message", json_string(d->message));
            json_object_set_new(e, "doc", str_or_null(d->doc));
            json_object_del(e, "namespace");
            json_array_append_new(errors, e);
            break;
        }
        case BKP_IDL_D_SERVICE:
            json_array_append_new(services, service_json(d));
            break;
        }
    }
    return json_pack("{s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o}", "path", f->src.path,
                     "namespace", str_or_null(f->ns), "c_prefix", f->c_prefix ? f->c_prefix : "",
                     "imports", imports, "enums", enums, "structs", structs, "errors", errors,
                     "services", services);
}

/* Imported files, depth first, each once, in the order of the import declarations. */
static void add_imports(json_t *out, const bkp_idl_file *f, const bkp_idl_file **seen,
                        size_t *nseen)
{
    for (const bkp_idl_decl *d = f->decls; d; d = d->next) {
        if (d->kind != BKP_IDL_D_IMPORT || !d->target)
            continue;
        bool done = false;
        for (size_t i = 0; i < *nseen; i++)
            done = done || seen[i] == d->target;
        if (done)
            continue;
        seen[(*nseen)++] = d->target;
        json_array_append_new(out, file_json(d->target));
        add_imports(out, d->target, seen, nseen);
    }
}

json_t *bkp_idl_model(const bkp_idl_program *p, const bkp_idl_file *f)
{
    size_t n = 0;
    for (const bkp_idl_file *g = p->files; g; g = g->next)
        n++;
    const bkp_idl_file **seen = calloc(n + 1, sizeof *seen);
    if (!seen)
        return NULL;
    size_t nseen = 1;
    seen[0] = f;
    json_t *imported = json_array();
    add_imports(imported, f, seen, &nseen);
    free(seen);
    return json_pack("{s:i, s:o, s:o}", "bkpr_gen_model", BKP_IDL_MODEL_VERSION, "file",
                     file_json(f), "imported", imported);
}
