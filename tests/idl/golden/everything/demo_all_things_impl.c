/* Yours to edit: bkpr-gen --skeleton wrote this file once and never writes over it.
 * Generated from tests/idl/everything.bkidl: the handlers of demo.all.things; serve them with
 *     demo_all_things_serve(worker, &demo_all_things_impl, ctx);
 * See demo_all_things.h for what each receives and returns. */
#include "demo_all_things.h"

/* demo.all.things.get */
static int demo_all_things_get_impl(bk_request *req, void *ctx, const char *id,
                                    const demo_all_colour *tint, int64_t n, demo_all_nested *result)
{
    (void)ctx;
    (void)id;
    (void)tint;
    (void)n;
    (void)result;
    return bk_request_fail(req, BK_RPC_SERVER_ERROR, NULL, "demo.all.things.get: not implemented");
}

/* demo.all.things.put */
static int demo_all_things_put_impl(bk_request *req, void *ctx, const demo_all_nested *n)
{
    (void)ctx;
    (void)n;
    return bk_request_fail(req, BK_RPC_SERVER_ERROR, NULL, "demo.all.things.put: not implemented");
}

/* demo.all.things.poke */
static int demo_all_things_poke_impl(bk_request *req, void *ctx)
{
    (void)ctx;
    return bk_request_fail(req, BK_RPC_SERVER_ERROR, NULL, "demo.all.things.poke: not implemented");
}

const demo_all_things_handlers demo_all_things_impl = {
    .get = demo_all_things_get_impl,
    .put = demo_all_things_put_impl,
    .poke = demo_all_things_poke_impl,
};
