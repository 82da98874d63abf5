/* libFuzzer target: the JSON-RPC envelope decoder (over the tokenizer's tokens) on hostile
 * bodies, the jansson trees the untyped API makes of params, results and error data, and
 * re-encoding what it accepts, which must decode again to the same envelope. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "beekeeper/rpc.h"
#include "rpc/jsonrpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A response's id as written back: an absent one goes out as null. */
static int same_id(const bkp_rpc_id *x, const bkp_rpc_id *y)
{
    int xt = x->type ? x->type : BK_JSON_NULL;
    if (xt != y->type)
        return 0;
    if (x->type == BK_JSON_STRING)
        return x->len == y->len && memcmp(x->s, y->s, x->len) == 0;
    return x->type != BK_JSON_NUMBER || x->i == y->i;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bkp_rpc_msg m, m2;
    bk_arena *a;
    char why[128], *copy, *s = NULL;
    size_t len;
    json_t *v = NULL, *dv = NULL;
    int rc = -1;
    if (bk_arena_new(&a) != 0)
        return 0;
    if (!(copy = bk_arena_alloc(a, size + 1)))
        abort();
    memcpy(copy, data, size);
    int r = bkp_rpc_decode(&m, a, copy, size, why, sizeof why);
    if (r != 0 && r != BK_RPC_PARSE_ERROR && r != BK_RPC_INVALID_REQUEST)
        abort();
    if (r != 0 && !why[0])
        abort(); /* a refusal says why */
    if (r == 0) {
        switch (m.kind) {
        case BKP_RPC_REQUEST:
        case BKP_RPC_NOTIFY:
            if (bkp_rpc_json(&m, m.params, &v, why, sizeof why) == 0)
                rc = bkp_rpc_request_body(m.method, v, m.id_str, &s, &len);
            break;
        case BKP_RPC_RESULT:
            if (bkp_rpc_json(&m, m.result, &v, why, sizeof why) == 0)
                rc = bkp_rpc_result_body(&m.id, v, &s, &len);
            break;
        case BKP_RPC_ERROR:
            if (bkp_rpc_json(&m, m.data, &dv, why, sizeof why) == 0)
                rc = bkp_rpc_error_body(&m.id, m.code, m.message, json_is_null(dv) ? NULL : dv,
                                        &s, &len);
            break;
        }
        /* an integer id is only ever ours to echo, not to send: requests carry string ids */
        if (rc == 0 && m.id.type == BK_JSON_NUMBER && m.kind == BKP_RPC_REQUEST) {
            free(s);
            s = NULL;
        }
        if (rc == 0 && s) {
            char *again = bk_arena_strndup(a, s, len);
            if (!again || bkp_rpc_decode(&m2, a, again, len, why, sizeof why) != 0)
                abort(); /* what we encode we must accept */
            if (m2.kind != m.kind || (m.kind <= BKP_RPC_NOTIFY && strcmp(m.method, m2.method)) ||
                (m.kind == BKP_RPC_ERROR && (m.code != m2.code || strcmp(m.message, m2.message))))
                abort();
            if (m.kind != BKP_RPC_REQUEST && m.kind != BKP_RPC_NOTIFY && !same_id(&m.id, &m2.id))
                abort();
        }
        free(s);
    }
    json_decref(v);
    json_decref(dv);
    bk_arena_free(a);
    return 0;
}
