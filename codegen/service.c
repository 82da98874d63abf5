/* The files of a service (service.h): one context per method, made once and shared by the
 * templates of every file. */
#include "codegen/service.h"

#include <stdbool.h>
#include <string.h>

#include "codegen/codecs.h"
#include "codegen/ctext.h"
#include "codegen/ctypes.h"

/* The names the stubs and handlers use themselves. */
static void check_reserved(cg_gen *g, json_t *svc, json_t *m, const cg_field *ps, size_t np)
{
    static const char *const reserved[] = {"c", "o", "a", "err", "result", "done", "arg", "req",
                                           "ctx", "fn", "opts", "params", "res", "ret", "rc",
                                           "pend"};
    for (size_t i = 0; i < np; i++)
        for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++)
            if (strcmp(ps[i].c_name, reserved[k]) == 0)
                cg_fail(g, "bkpr-gen: %s: %s.%s: parameter '%s' has a name the generated C "
                           "uses itself (c, o, a, err, result, done, arg, req, ctx, fn, opts, "
                           "params, res, ret, rc, pend): please rename it",
                        cg_sget(json_object_get(g->model, "file"), "path"),
                        cg_sget(svc, "name"), cg_sget(m, "name"), ps[i].name);
}

/* key: the text of b (then cleared). */
static void set_text(json_t *c, const char *key, cg_sb *b)
{
    json_object_set_new(c, key, cg_sb_json(b));
}

static void set_str(json_t *c, const char *key, const char *s)
{
    json_object_set_new(c, key, cg_jstr(s));
}

static void set_proto(json_t *c, const char *key, cg_sb *b, const char *ret, const char *name,
                      const char *const *args, size_t n)
{
    cg_proto(b, ret, name, args, n);
    set_text(c, key, b);
}

/* args[n..]: the flat parameters (their declarations pd[0..np)). Returns the new count. */
static size_t add_params(const char **args, size_t n, const char *const *pd, size_t np)
{
    for (size_t i = 0; i < np; i++)
        args[n++] = pd[i];
    return n;
}

/* The method as the templates see it. what: "method", "oneway" or "notification". */
static json_t *method_ctx(cg_gen *g, json_t *svc, json_t *m, const char *what)
{
    const char *cn = cg_sget(m, "c_name"), *mname = cg_sget(m, "name");
    const char *sname = cg_sget(svc, "name");
    size_t np;
    const cg_field *ps = cg_fields(g, json_object_get(m, "params"), &np);
    json_t *rj = json_object_get(m, "result");
    bool has_result = rj && !json_is_null(rj);
    cg_type *r = has_result ? cg_type_get(g, rj) : NULL;
    bool notif = strcmp(what, "notification") == 0, oneway = strcmp(what, "oneway") == 0;
    json_t *timeout = json_object_get(json_object_get(m, "annotations"), "timeout_ms");
    json_t *c = json_object();
    if (np > 250) {
        cg_fail(g, "bkpr-gen: %s: too many parameters", cn);
        return c;
    }
    check_reserved(g, svc, m, ps, np);

    const char *args[260], *pd[250];
    size_t n;
    cg_sb b = {0};
    for (size_t i = 0; i < np; i++)
        pd[i] = cg_param_decl(g, &ps[i]);
    const char *ptr_result = NULL; /* T *result */
    if (has_result) {
        cg_decl(&b, r->ptr, "result");
        ptr_result = cg_sb_str(g, &b);
    }

    set_str(c, "c_name", cn);
    set_str(c, "name", mname);
    const char *wire = cg_cat(g, sname, ".", mname, NULL);
    set_str(c, "wire", wire);
    cg_c_string(&b, wire, strlen(wire));
    set_text(c, "wire_c", &b);
    json_object_set_new(c, "doc_c", cg_doc_c_json(json_object_get(m, "doc"), ""));
    json_object_set_new(c, "timeout", json_integer(json_is_integer(timeout)
                                                       ? json_integer_value(timeout) : 0));
    json_object_set_new(c, "has_result", json_boolean(has_result));
    json_object_set_new(c, "result_aggregate", json_boolean(has_result && r->aggregate));
    set_str(c, "result_type", has_result ? r->ctype : "");
    for (size_t i = 0; i < np; i++)
        cg_sb_cat(&b, ", ", ps[i].c_name, NULL);
    set_str(c, "params_args", np ? b.s + 2 : "");
    set_text(c, "call_args", &b);
    const char *member = cn + strlen(cg_sget(svc, "c_prefix")) + 1;
    set_str(c, "member", member);
    if (has_result) {
        cg_decl(&b, r->ptr, "out");
        set_text(c, "result_out", &b);
        cg_decl(&b, r->ctype, "ret");
        set_text(c, "result_local", &b);
        set_str(c, "result_cb", r->aggregate ? "err ? NULL : &ret" : "ret");
    }
    for (size_t i = 0; i < np; i++) {
        cg_sb_add(&b, ", ", 2);
        cg_field_as_param(&b, &ps[i], "p.");
    }
    set_text(c, "args_as_params", &b);
    json_object_set_new(c, "has_params", json_boolean(np > 0));

    /* Encoder of the flat params: static json_t *X_params(...) */
    set_proto(c, "encode_proto", &b, "static json_t *", cg_cat(g, cn, "_params", NULL), pd, np);
    cg_object_encode_body(g, &b, ps, np, true);
    set_text(c, "encode_body", &b);

    /* The args struct and its decoder (worker side, subscriptions). */
    for (size_t i = 0; i < np; i++) {
        cg_field_decl(&b, &ps[i], "    ");
        cg_sb_addc(&b, '\n');
    }
    if (np == 0)
        cg_sb_adds(&b, "    char unused; /* C wants a member */\n");
    set_text(c, "args_fields", &b);

    set_proto(c, "back_proto", &b, "static void", cg_cat(g, cn, "_back", NULL),
              (const char *[]){"bk_client *c", "bk_arena *a", "json_t *res",
                               "const bk_error *err", "void *arg"}, 5);
    set_proto(c, "deliver_proto", &b, "static void", cg_cat(g, cn, "_deliver", NULL),
              (const char *[]){"bk_client *c", "bk_arena *a", "const char *method",
                               "json_t *params", "void *arg"}, 5);
    set_proto(c, "decode_args_proto", &b, "static int", cg_cat(g, cn, "_decode_args", NULL),
              (const char *[]){"bk_dec *d", "json_t *j",
                               cg_cat(g, "struct ", cn, "_args *out", NULL)}, 3);
    set_proto(c, "serve_fn_proto", &b, "static int", cg_cat(g, cn, "_serve", NULL),
              (const char *[]){"bk_request *req", "json_t *params", "void *arg"}, 3);
    if (notif) {
        args[0] = "bk_client *c";
        args[1] = "const bk_call_opts *o";
        n = add_params(args, 2, pd, np);
        set_proto(c, "notify_proto", &b, "int", cg_cat(g, cn, "_notify", NULL), args, n);
        args[1] = "bk_arena *a";
        n = add_params(args, 2, pd, np);
        args[n++] = "void *arg";
        set_proto(c, "fn_typedef", &b, "typedef void", cg_cat(g, cn, "_fn", NULL), args, n);
        args[1] = cg_cat(g, cn, "_fn *fn", NULL);
        args[2] = "void *arg";
        set_proto(c, "subscribe_proto", &b, "int", cg_cat(g, cn, "_subscribe", NULL), args, 3);
        cg_sb_free(&b);
        return c;
    }

    /* Handler: int (*name)(bk_request *req, void *ctx, params..., T *result) */
    args[0] = "bk_request *req";
    args[1] = "void *ctx";
    n = add_params(args, 2, pd, np);
    if (has_result)
        args[n++] = ptr_result;
    set_proto(c, "handler_field", &b, "    int", cg_cat(g, "(*", mname, ")", NULL), args, n);
    set_proto(c, "impl_proto", &b, "static int", cg_cat(g, cn, "_impl", NULL), args, n);
    for (size_t k = 0; k < n; k++) {
        const char *a = args[k], *nm = a + strlen(a), *end = nm;
        while (nm > a && (nm[-1] == '_' || (nm[-1] >= 'a' && nm[-1] <= 'z') ||
                          (nm[-1] >= 'A' && nm[-1] <= 'Z') || (nm[-1] >= '0' && nm[-1] <= '9')))
            nm--;
        cg_sb_adds(&b, "    (void)");
        cg_sb_add(&b, nm, (size_t)(end - nm));
        cg_sb_adds(&b, ";\n");
    }
    set_text(c, "impl_voids", &b);

    /* Background stub: the oneway method itself, or X_background. */
    args[0] = "bk_client *c";
    args[1] = "const bk_call_opts *o";
    n = add_params(args, 2, pd, np);
    const char *bg = oneway ? cn : cg_cat(g, cn, "_background", NULL);
    set_str(c, "background_name", bg);
    set_proto(c, "background_proto", &b, "int", bg, args, n);
    if (oneway) {
        cg_sb_free(&b);
        return c;
    }

    /* Sync stub. */
    args[2] = "bk_arena *a";
    n = add_params(args, 3, pd, np);
    if (has_result)
        args[n++] = ptr_result;
    args[n++] = "bk_error *err";
    set_proto(c, "sync_proto", &b, "int", cn, args, n);

    /* Async: the callback type and the stub. */
    args[1] = "bk_arena *a";
    n = 2;
    if (has_result)
        args[n++] = r->aggregate ? cg_cat(g, "const ", r->ctype, " *result", NULL)
                                 : (cg_decl(&b, r->ctype, "result"), cg_sb_str(g, &b));
    args[n++] = "const bk_error *err";
    args[n++] = "void *arg";
    set_proto(c, "done_typedef", &b, "typedef void", cg_cat(g, cn, "_done", NULL), args, n);
    args[1] = "const bk_call_opts *o";
    n = add_params(args, 2, pd, np);
    args[n++] = cg_cat(g, cn, "_done *done", NULL);
    args[n++] = "void *arg";
    set_proto(c, "async_proto", &b, "int", cg_cat(g, cn, "_async", NULL), args, n);

    /* The result's decoder (client) and encoder (worker). */
    if (has_result) {
        set_str(c, "result_decode", cg_dec_fn(g, r));
        /* X_reply(req, result): the worker's encode-and-answer, for the handler's result
         * and for a deferred request's. */
        const char *reply = cg_cat(g, cn, "_reply", NULL);
        const char *rarg = r->ctype[strlen(r->ctype) - 1] == '*'
                               ? cg_cat(g, r->ctype, "const *result", NULL)
                               : cg_cat(g, "const ", r->ctype, " *result", NULL);
        set_str(c, "reply_name", reply);
        set_proto(c, "reply_proto", &b, "int", reply,
                  (const char *[]){"bk_request *req", rarg}, 2);
        cg_enc_expr(g, &b, r, "*result", "result");
        set_text(c, "reply_encode", &b);
    }
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

int cg_gen_service(cg_gen *g, json_t *file, json_t *svc, cg_gen_file **files,
                   size_t *nfiles)
{
    const char *prefix = cg_sget(svc, "c_prefix");
    json_t *ctx = json_object(), *m, *c;
    json_t *ms = json_object_get(svc, "methods"), *ns = json_object_get(svc, "notifications");
    cg_sb b = {0};
    size_t i;
    int rc = 0;

    json_object_set_new(ctx, "source", cg_jstr(cg_sget(file, "path")));
    json_object_set_new(ctx, "prefix", cg_jstr(prefix));
    json_object_set_new(ctx, "service", cg_jstr(cg_sget(svc, "name")));
    json_object_set_new(ctx, "guard", cg_jstr(cg_cat(g, cg_upper(g, prefix), "_H", NULL)));
    json_object_set_new(ctx, "header", cg_jstr(cg_cat(g, prefix, ".h", NULL)));
    json_object_set_new(ctx, "types_header",
                        cg_jstr(cg_cat(g, cg_sget(file, "c_prefix"), "_types.h", NULL)));
    json_object_set_new(ctx, "doc_c", cg_doc_c_json(json_object_get(svc, "doc"), ""));
    cg_proto(&b, "int", cg_cat(g, prefix, "_serve", NULL),
             (const char *[]){"bk_worker *w", cg_cat(g, "const ", prefix, "_handlers *h", NULL),
                               "void *ctx"}, 3);
    json_object_set_new(ctx, "serve_proto", cg_sb_json(&b));

    /* A method's context is the same in every file: made once. Only the args decoders
     * differ: the client decodes notifications, the worker params; each file sees only its
     * own. */
    json_t *methods = json_array(), *notifs = json_array(), *oneways = json_array();
    json_t *all = json_array();
    bool any_result = false;
    json_array_foreach(ms, i, m) {
        bool ow = json_is_true(json_object_get(m, "oneway"));
        c = method_ctx(g, svc, m, ow ? "oneway" : "method");
        json_object_set_new(c, "oneway", json_boolean(ow));
        if (!ow)
            any_result = any_result || json_is_true(json_object_get(c, "has_result"));
        json_array_append(all, c);
        json_array_append_new(ow ? oneways : methods, c);
    }
    json_array_foreach(ns, i, m) {
        json_array_append_new(notifs, method_ctx(g, svc, m, "notification"));
    }
    json_object_set_new(ctx, "methods", methods);
    json_object_set_new(ctx, "oneways", oneways);
    json_object_set_new(ctx, "handlers", all);
    json_object_set_new(ctx, "notifications", notifs);
    json_object_set_new(ctx, "has_methods", json_boolean(json_array_size(all) > 0));
    json_object_set_new(ctx, "has_sync", json_boolean(json_array_size(methods) > 0));
    json_object_set_new(ctx, "has_results", json_boolean(any_result));
    json_object_set_new(ctx, "has_notifications", json_boolean(json_array_size(notifs) > 0));

    /* The header and the client; the worker; the skeleton when asked. The header and the
     * skeleton print no codecs. */
    int sides = g->o && g->o->skeleton ? 3 : 2;
    for (int side = 0; side < sides && rc == 0; side++) {
        if (side == 0) {
            args_decoders(g, notifs, ns, &b);
        } else if (side == 1) {
            args_decoders(g, notifs, NULL, &b);
            args_decoders(g, all, ms, &b);
        } else {
            args_decoders(g, all, NULL, &b);
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
    return rc;
}
