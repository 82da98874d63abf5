/* Yours to edit: bkpr-gen --skeleton wrote this file once and never writes over it.
 * Generated from tests/idl/shop_orders.bkidl: the handlers of shop.orders; serve them with
 *     shop_orders_serve(worker, &shop_orders_impl, ctx);
 * See shop_orders.h for what each receives and returns. */
#include "shop_orders.h"

/* shop.orders.place */
static int shop_orders_place_impl(bk_request *req, void *ctx, const shop_order *order,
                                  bk_string_list *result)
{
    (void)ctx;
    (void)order;
    (void)result;
    return bk_request_fail(req, BK_RPC_SERVER_ERROR, NULL, "shop.orders.place: not implemented");
}

const shop_orders_handlers shop_orders_impl = {
    .place = shop_orders_place_impl,
};
