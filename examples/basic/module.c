/* basic-worker as a module (build/lib/basic-worker.so), for bkpr and bkpr-run: the same
 * myapp.str.uc as worker.c, without a main. See beekeeper/module.h and doc/operations.md.
 *   bkpr --config-dir examples/basic/config --pool-id myapp start
 *   bkpr-run build/lib/basic-worker.so --config-dir examples/basic/config */
#include <ctype.h>

#include "beekeeper/module.h"

static int uc(bk_request *req, json_t *params, void *arg)
{
    (void)arg;
    json_t *s = json_object_get(params, "string");
    if (!json_is_string(s))
        return bk_request_fail_new(req, BK_RPC_INVALID_PARAMS,
                                   json_string("string: expected a string"), "Invalid params");
    size_t n = json_string_length(s);
    char *out = bk_arena_strndup(bk_request_arena(req), json_string_value(s), n);
    if (!out)
        return bk_request_fail(req, BK_RPC_INTERNAL_ERROR, NULL, "out of memory");
    for (size_t i = 0; i < n; i++)
        out[i] = (char)toupper((unsigned char)out[i]);
    return bk_request_reply_new(req, json_stringn(out, n));
}

static bk_auth_result allow_all(bk_request *req, void *arg)
{
    (void)req;
    (void)arg;
    return BK_AUTH_ALLOW;   /* a demo: anyone may upper-case */
}

static int setup(bk_worker *w, const json_t *options, bk_module_hooks *h)
{
    (void)options;
    h->authorize = allow_all;
    return bk_worker_accept(w, "myapp.str.uc", uc, NULL);
}

BK_MODULE_EXPORT const bk_module_def BK_MODULE = {
    .abi = BK_MODULE_ABI,
    .name = "basic-worker",
    .setup = setup,
};
