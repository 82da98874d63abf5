/* Yours to edit: bkpr-gen --skeleton wrote this file once and never writes over it.
 * Generated from tests/idl/names.bkidl: the handlers of names.own; serve them with
 *     names_own_serve(worker, &names_own_impl, ctx);
 * See names_own.h for what each receives and returns. */
#include "names_own.h"

/** Returns its parameters joined by ',' (optional ones as '-' when absent). */
/* names.own.take */
static int names_own_take_impl(bk_request *req_, void *ctx_, const char *a, const char *c,
                               const char *o, const char *err, const char *result, const char *res,
                               int64_t rc, const char *ctx, const char *req, const char *w,
                               const char *arg, const char *in, const char *done, const char *opts,
                               const char *params, const char *ret, const char *pend, const char *p,
                               const char *d, const char *b, const char *e, const char *s,
                               const char *fn, const char *h, const char *j, const char *v,
                               const char *at, const char *fields, const char *i, const char *key,
                               const char *free, const char *memset, const char *malloc,
                               const char *json_object, const char *json_decref, const char *out,
                               const char *c_, const int64_t *n, const names_pair *pair,
                               const bk_string_list *strcmp, const char **result_)
{
    (void)ctx_;
    (void)a;
    (void)c;
    (void)o;
    (void)err;
    (void)result;
    (void)res;
    (void)rc;
    (void)ctx;
    (void)req;
    (void)w;
    (void)arg;
    (void)in;
    (void)done;
    (void)opts;
    (void)params;
    (void)ret;
    (void)pend;
    (void)p;
    (void)d;
    (void)b;
    (void)e;
    (void)s;
    (void)fn;
    (void)h;
    (void)j;
    (void)v;
    (void)at;
    (void)fields;
    (void)i;
    (void)key;
    (void)free;
    (void)memset;
    (void)malloc;
    (void)json_object;
    (void)json_decref;
    (void)out;
    (void)c_;
    (void)n;
    (void)pair;
    (void)strcmp;
    (void)result_;
    return bk_request_fail(req_, BK_RPC_SERVER_ERROR, NULL, "names.own.take: not implemented");
}

/* names.own.none */
static int names_own_none_impl(bk_request *req, void *ctx, int64_t *result)
{
    (void)ctx;
    (void)result;
    return bk_request_fail(req, BK_RPC_SERVER_ERROR, NULL, "names.own.none: not implemented");
}

/* names.own.drop */
static int names_own_drop_impl(bk_request *req, void *ctx, const char *c, const char *o,
                               const char *in, const char *in_)
{
    (void)ctx;
    (void)c;
    (void)o;
    (void)in;
    (void)in_;
    return bk_request_fail(req, BK_RPC_SERVER_ERROR, NULL, "names.own.drop: not implemented");
}

const names_own_handlers names_own_impl = {
    .take = names_own_take_impl,
    .none = names_own_none_impl,
    .drop = names_own_drop_impl,
};
