/* The files of a service (service.h): one context per method, made once and shared by the
 * templates of every file.
 *
 * What a template gets is data, not C text it has to take apart: names (the C name of the
 * method, the names codegen/names.h derives from it under `names`, those of the service under
 * `svc`, and the method's own parameter and local names under `n`), the parameters (each
 * with its C name and declaration), and, for each prototype a user sees, the list of its
 * arguments as {name, decl} (the parameters' entries are the same objects). Only the bodies of encoders and decoders come as text, made in C from the
 * types (codecs.c).
 *
 * Parameter names: the IDL's parameters become C parameters of the stubs and handlers, beside
 * the generator's own (c, o, a, result, err, done, arg, req, ctx, in, w). When a parameter has
 * one of those names, the generator's is renamed for that method (a_, then a_2, ...), so that a
 * method may take `a`, `err` or `ctx`. The body of a stub names nothing but these: it packs
 * the parameters into a struct ({names.in}) and hands it to a static function, whose own
 * names the IDL's cannot hide (bk_call_end, free, memset...); a background job's and a
 * notification's stub declares the writer of the body (w) beside the struct. */
#include "codegen/service.h"

#include <stdbool.h>
#include <string.h>

#include "codegen/codecs.h"
#include "codegen/ctext.h"
#include "codegen/ctypes.h"
#include "codegen/names.h"
#include "codegen/typesfile.h"

static void set_str(json_t *c, const char *key, const char *s)
{
    json_object_set_new_nocheck(c, key, cg_jstr(s));
}

/* The generator's own names in a method's prototypes, renamed where a parameter has one. */
enum { N_C, N_O, N_A, N_RESULT, N_ERR, N_DONE, N_ARG, N_REQ, N_CTX, N_IN, N_W, N_COUNT };
static const char *const own_names[N_COUNT] = {"c",   "o",   "a",   "result", "err", "done",
                                               "arg", "req", "ctx", "in",     "w"};

static bool is_param(const cg_field *ps, size_t np, const char *s)
{
    for (size_t i = 0; i < np; i++)
        if (strcmp(ps[i].c_name, s) == 0)
            return true;
    return false;
}

/* Whether any was renamed. */
static bool own_names_of(cg_gen *g, const cg_field *ps, size_t np, const char **n)
{
    bool renamed = false;
    for (int k = 0; k < N_COUNT; k++) {
        const char *s = own_names[k];
        for (size_t i = 2; is_param(ps, np, s); i++) {
            if (i == 2) {
                s = cg_cat(g, own_names[k], "_", NULL);
                continue;
            }
            cg_sb b = {0};
            cg_sb_cat(&b, own_names[k], "_", NULL);
            cg_sb_addu(&b, i - 1);
            s = cg_sb_str(g, &b);
            cg_sb_free(&b);
        }
        renamed = renamed || s != own_names[k];
        n[k] = s;
    }
    return renamed;
}

/* What the contexts of a service's methods share: one object per argument declaration
 * (most methods' `bk_client *c`), and the generator's names when nothing renamed them. A
 * 1,000-method service makes tens of thousands of these otherwise. */
typedef struct shared {
    json_t *args; /* decl -> {name, decl} */
    json_t *own;  /* the n of a method whose parameters took none of own_names */
} shared;

/* A prototype's arguments, as the templates see them: [{name, decl}]. */
typedef struct args {
    json_t *list;
    cg_sb *b;
    shared *sh;
} args;

static void arg(args *a, const char *type, const char *name)
{
    cg_sb_clear(a->b);
    cg_decl(a->b, type, name);
    json_t *o = json_object_getn(a->sh->args, a->b->s, a->b->len);
    if (!o) {
        o = json_object();
        json_object_set_new_nocheck(o, "name", cg_jstr(name));
        json_object_set_new_nocheck(o, "decl", cg_jstr(a->b->s));
        json_object_setn_new_nocheck(a->sh->args, a->b->s, a->b->len, o);
    }
    cg_sb_clear(a->b);
    json_array_append(a->list, o);
}

/* The parameters' entries of params (below) are arguments as they are. */
static void params_args(args *a, json_t *params)
{
    size_t i;
    json_t *p;
    json_array_foreach(params, i, p) {
        json_array_append(a->list, p);
    }
}

static json_t *args_new(args *a, cg_sb *b, shared *sh)
{
    a->list = json_array();
    a->b = b;
    a->sh = sh;
    return a->list;
}

/* The parameters: [{name (the C name), wire (the name on the wire), decl (as a C parameter),
 * members ([{decl}]: as struct members), arg (the member passed on as the parameter: p.x,
 * &p.x, ...)}]. */
static json_t *params_ctx(cg_gen *g, const cg_field *ps, size_t np, cg_sb *b)
{
    json_t *list = json_array();
    for (size_t i = 0; i < np; i++) {
        json_t *members = json_array(), *p = json_object();
        const char *decls[2];
        size_t nd = cg_field_members(g, &ps[i], decls);
        for (size_t k = 0; k < nd; k++) {
            json_t *m = json_object();
            json_object_set_new_nocheck(m, "decl", cg_jstr(decls[k]));
            json_array_append_new(members, m);
        }
        cg_field_as_param(b, &ps[i], "p.");
        json_object_set_new_nocheck(p, "name", cg_jstr(ps[i].c_name));
        json_object_set_new_nocheck(p, "wire", cg_jstr(ps[i].name));
        json_object_set_new_nocheck(p, "decl", cg_jstr(cg_param_decl(g, &ps[i])));
        json_object_set_new_nocheck(p, "members", members);
        json_object_set_new_nocheck(p, "arg", cg_sb_json(b));
        json_array_append_new(list, p);
    }
    return list;
}

/* The result's C types: ctype (int64_t), ptr (int64_t *), decl_type (`int64_t ` or `const
 * char *`: what a declaration of one begins with), cb_type (how a callback gets it: by value,
 * or `const T *` for a struct, list or map), reply_type (`const int64_t *`, `const char
 * *const *`), aggregate, decode (its decoder), encode (writing *result to w). */
static json_t *result_ctx(cg_gen *g, cg_type *r, cg_sb *b)
{
    size_t cl = strlen(r->ctype);
    bool star = r->ctype[cl - 1] == '*';
    const char *decl_type = star ? r->ctype : cg_cat(g, r->ctype, " ", NULL);
    json_t *o = json_object();
    set_str(o, "ctype", r->ctype);
    set_str(o, "ptr", r->ptr);
    set_str(o, "decl_type", decl_type);
    set_str(o, "cb_type", r->aggregate ? cg_cat(g, "const ", r->ctype, " *", NULL) : decl_type);
    set_str(o, "reply_type", star ? cg_cat(g, r->ctype, "const *", NULL)
                                  : cg_cat(g, "const ", r->ctype, " *", NULL));
    json_object_set_new(o, "aggregate", json_boolean(r->aggregate));
    set_str(o, "decode", cg_dec_fn(g, r));
    cg_enc_expr(g, b, r, "*result", "result");
    json_object_set_new(o, "encode", cg_sb_json(b));
    return o;
}

/* The method as the templates see it. kind: CG_OF_CALL (with CG_OF_RESULT), CG_OF_ONEWAY or
 * CG_OF_NOTIFICATION. */
static json_t *method_ctx(cg_gen *g, json_t *svc, json_t *m, unsigned kind, shared *sh)
{
    const char *cn = cg_sget(m, "c_name"), *mname = cg_sget(m, "name");
    json_t *pj = json_object_get(m, "params");
    size_t np;
    const cg_field *ps = cg_fields(g, pj, &np);
    json_t *rj = json_object_get(m, "result");
    bool has_result = rj && !json_is_null(rj);
    cg_type *r = has_result ? cg_type_get(g, rj) : NULL;
    json_t *timeout = json_object_get(json_object_get(m, "annotations"), "timeout_ms");
    json_t *c = json_object(), *names = cg_names_json(g, cn, kind), *params;
    const char *n[N_COUNT];
    cg_sb b = {0};
    args a;

    bool renamed = own_names_of(g, ps, np, n);
    json_t *nj = renamed ? json_object() : json_incref(sh->own);
    for (int k = 0; renamed && k < N_COUNT; k++)
        set_str(nj, own_names[k], n[k]);
    json_object_set_new(c, "n", nj);
    json_object_set_new(c, "names", names);
    set_str(c, "c_name", cn);
    set_str(c, "name", mname);
    const char *wire = cg_cat(g, cg_sget(svc, "name"), ".", mname, NULL);
    set_str(c, "wire", wire);
    cg_c_string(&b, wire, strlen(wire));
    json_object_set_new(c, "wire_c", cg_sb_json(&b));
    json_object_set_new(c, "doc_c", cg_doc_c_json(json_object_get(m, "doc"), ""));
    json_object_set_new(c, "timeout", json_integer(json_is_integer(timeout)
                                                       ? json_integer_value(timeout) : 0));
    json_object_set_new(c, "public", json_boolean(json_is_true(
                                        json_object_get(json_object_get(m, "annotations"),
                                                        "public"))));
    json_object_set_new(c, "oneway", json_boolean(kind == CG_OF_ONEWAY));
    json_object_set_new(c, "has_result", json_boolean(has_result));
    json_object_set_new(c, "has_params", json_boolean(np > 0));
    set_str(c, "member", cn + strlen(cg_sget(svc, "c_prefix")) + 1);
    json_object_set_new(c, "params", params = params_ctx(g, ps, np, &b));

    /* The encoder of the params, from the struct {names.in} the stubs fill. */
    cg_object_encode_body(g, &b, ps, np, true, "in->");
    json_object_set_new(c, "encode_body", cg_sb_json(&b));
    if (has_result)
        json_object_set_new(c, "result", result_ctx(g, r, &b));

    if (kind == CG_OF_NOTIFICATION) {
        json_object_set_new(c, "notify_args", args_new(&a, &b, sh));
        arg(&a, "bk_client *", n[N_C]);
        arg(&a, "const bk_call_opts *", n[N_O]);
        params_args(&a, params);
        json_object_set_new(c, "fn_args", args_new(&a, &b, sh));
        arg(&a, "bk_client *", n[N_C]);
        arg(&a, "bk_arena *", n[N_A]);
        params_args(&a, params);
        arg(&a, "void *", n[N_ARG]);
        cg_sb_free(&b);
        return c;
    }

    /* Handler: int (*name)(bk_request *req, void *ctx, params..., T *result) */
    json_object_set_new(c, "handler_args", args_new(&a, &b, sh));
    arg(&a, "bk_request *", n[N_REQ]);
    arg(&a, "void *", n[N_CTX]);
    params_args(&a, params);
    if (has_result)
        arg(&a, r->ptr, n[N_RESULT]);

    /* Background: the oneway method itself, or {names.background}. */
    set_str(c, "background_name", kind == CG_OF_ONEWAY
                                      ? cn : cg_sget(names, CG_SUFFIX(BACKGROUND) + 1));
    json_object_set_new(c, "background_args", args_new(&a, &b, sh));
    arg(&a, "bk_client *", n[N_C]);
    arg(&a, "const bk_call_opts *", n[N_O]);
    params_args(&a, params);
    if (kind == CG_OF_ONEWAY) {
        cg_sb_free(&b);
        return c;
    }

    json_object_set_new(c, "sync_args", args_new(&a, &b, sh));
    arg(&a, "bk_client *", n[N_C]);
    arg(&a, "const bk_call_opts *", n[N_O]);
    arg(&a, "bk_arena *", n[N_A]);
    params_args(&a, params);
    if (has_result)
        arg(&a, r->ptr, n[N_RESULT]);
    arg(&a, "bk_error *", n[N_ERR]);

    json_object_set_new(c, "async_args", args_new(&a, &b, sh));
    arg(&a, "bk_client *", n[N_C]);
    arg(&a, "const bk_call_opts *", n[N_O]);
    params_args(&a, params);
    arg(&a, cg_cat(g, cg_sget(names, CG_SUFFIX(DONE) + 1), " *", NULL), n[N_DONE]);
    arg(&a, "void *", n[N_ARG]);

    json_object_set_new(c, "done_args", args_new(&a, &b, sh));
    arg(&a, "bk_client *", "c");
    arg(&a, "bk_arena *", "a");
    if (has_result)
        arg(&a, cg_sget(json_object_get(c, "result"), "cb_type"), "result");
    arg(&a, "const bk_error *", "err");
    arg(&a, "void *", "arg");
    cg_sb_free(&b);
    return c;
}

/* The need lists of the client (side 0) or the worker (side 1): the client encodes every
 * method's params and decodes results, and both encodes and decodes notifications; the
 * worker decodes params and encodes results. */
static void side_needs(cg_gen *g, json_t *svc, int side)
{
    cg_tlist *params = side == 0 ? &g->need_enc : &g->need_dec;
    cg_tlist *results = side == 0 ? &g->need_dec : &g->need_enc;
    json_t *m, *f;
    size_t i, k;
    cg_need_reset(g);
    json_array_foreach(json_object_get(svc, "methods"), i, m) {
        json_t *r = json_object_get(m, "result");
        json_array_foreach(json_object_get(m, "params"), k, f) {
            cg_need_add(g, params, cg_type_get(g, json_object_get(f, "type")));
        }
        if (r && !json_is_null(r) && !json_is_true(json_object_get(m, "oneway")))
            cg_need_add(g, results, cg_type_get(g, r));
    }
    if (side != 0)
        return;
    json_array_foreach(json_object_get(svc, "notifications"), i, m) {
        json_array_foreach(json_object_get(m, "params"), k, f) {
            cg_type *t = cg_type_get(g, json_object_get(f, "type"));
            cg_need_add(g, &g->need_enc, t);
            cg_need_add(g, &g->need_dec, t);
        }
    }
}

/* Sets "args_decode_body" on each context of list (the args decoders of the JSON methods
 * ms), or removes it (ms NULL). */
static void args_decoders(cg_gen *g, json_t *list, json_t *ms, cg_sb *b)
{
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c) {
        if (!ms) {
            json_object_del(c, "args_decode_body");
            continue;
        }
        size_t np;
        const cg_field *ps = cg_fields(g, json_object_get(json_array_get(ms, i), "params"),
                                       &np);
        cg_object_decode_body(g, b, ps, np, true);
        json_object_set_new(c, "args_decode_body", cg_sb_json(b));
    }
}

int cg_gen_service(cg_gen *g, json_t *file, json_t *svc, cg_gen_file **files, size_t *nfiles)
{
    const char *prefix = cg_sget(svc, "c_prefix");
    json_t *ctx = json_object(), *m, *c;
    json_t *ms = json_object_get(svc, "methods"), *ns = json_object_get(svc, "notifications");
    json_t *svc_names = cg_names_json(g, prefix, CG_OF_SERVICE);
    bool skeleton = g->o && g->o->skeleton;
    shared sh = {.args = json_object(), .own = json_object()};
    cg_sb b = {0};
    size_t i;
    int rc = 0;

    for (int k = 0; k < N_COUNT; k++)
        set_str(sh.own, own_names[k], own_names[k]);

    json_object_set_new(ctx, "source", cg_jstr(cg_sget(file, "path")));
    json_object_set_new(ctx, "prefix", cg_jstr(prefix));
    json_object_set_new(ctx, "service", cg_jstr(cg_sget(svc, "name")));
    json_object_set_new(ctx, "guard", cg_jstr(cg_cat(g, cg_upper(g, prefix), "_H", NULL)));
    json_object_set_new(ctx, "header", cg_jstr(cg_cat(g, prefix, ".h", NULL)));
    json_object_set_new(ctx, "types_header", cg_jstr(cg_types_file(g, file, ".h")));
    json_object_set_new(ctx, "doc_c", cg_doc_c_json(json_object_get(svc, "doc"), ""));
    json_object_set_new(ctx, "svc", svc_names);
    json_object_set_new(ctx, "skeleton", json_boolean(skeleton));

    /* A method's context is the same in every file: made once. Only the args decoders
     * differ: the client decodes notifications, the worker params; each file sees only its
     * own. */
    json_t *handlers = json_array(), *notifs = json_array();
    bool any_result = false, any_call = false;
    json_array_foreach(ms, i, m) {
        json_t *r = json_object_get(m, "result");
        bool ow = json_is_true(json_object_get(m, "oneway"));
        unsigned kind = ow ? CG_OF_ONEWAY : CG_OF_CALL;
        if (!ow && r && !json_is_null(r))
            kind |= CG_OF_RESULT;
        c = method_ctx(g, svc, m, kind, &sh);
        any_call = any_call || !ow;
        any_result = any_result || (kind & CG_OF_RESULT);
        json_array_append_new(handlers, c);
    }
    json_array_foreach(ns, i, m) {
        json_array_append_new(notifs, method_ctx(g, svc, m, CG_OF_NOTIFICATION, &sh));
    }
    json_object_set_new(ctx, "handlers", handlers);
    json_object_set_new(ctx, "notifications", notifs);
    json_object_set_new(ctx, "has_methods", json_boolean(json_array_size(handlers) > 0));
    json_object_set_new(ctx, "has_sync", json_boolean(any_call));
    json_object_set_new(ctx, "has_results", json_boolean(any_result));
    json_object_set_new(ctx, "has_notifications", json_boolean(json_array_size(notifs) > 0));

    /* The header and the client; the worker; the skeleton when asked. The header and the
     * skeleton print no codecs. */
    int sides = skeleton ? 3 : 2;
    for (int side = 0; side < sides && rc == 0; side++) {
        if (side == 0) {
            args_decoders(g, notifs, ns, &b);
        } else if (side == 1) {
            args_decoders(g, notifs, NULL, &b);
            args_decoders(g, handlers, ms, &b);
        } else {
            args_decoders(g, handlers, NULL, &b);
        }
        if (side < 2) {
            side_needs(g, svc, side);
            cg_composite_codecs(g, &b);
        }
        json_object_set_new(ctx, "codecs", cg_sb_json(&b));
        if (g->failed) {
            rc = -1;
            break;
        }
        if (side == 0) {
            rc = cg_emit(g, "service.h.tmpl", ctx, cg_cat(g, prefix, ".h", NULL), false, files,
                         nfiles);
            if (rc == 0)
                rc = cg_emit(g, "client.c.tmpl", ctx, cg_cat(g, prefix, "_client.c", NULL),
                             false, files, nfiles);
        } else if (side == 1) {
            rc = cg_emit(g, "worker.c.tmpl", ctx, cg_cat(g, prefix, "_worker.c", NULL), false,
                         files, nfiles);
        } else {
            rc = cg_emit(g, "impl.c.tmpl", ctx, cg_cat(g, prefix, "_impl.c", NULL), true,
                         files, nfiles);
        }
    }
    cg_sb_free(&b);
    json_decref(ctx);
    json_decref(sh.args);
    json_decref(sh.own);
    return rc;
}
