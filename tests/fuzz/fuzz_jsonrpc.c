/* libFuzzer target: the JSON-RPC decoder on hostile bodies, and re-encoding what it accepts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "beekeeper/rpc.h"
#include "rpc/jsonrpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bkp_rpc_msg m;
    char why[128];
    size_t len;
    char *s = NULL;
    int r = bkp_rpc_decode((const char *)data, size, &m, why, sizeof why);
    if (r == 0) {
        switch (m.kind) {
        case BKP_RPC_REQUEST:
        case BKP_RPC_NOTIFY:
            s = bkp_rpc_encode_request(m.method, m.params, m.id_str, &len);
            break;
        case BKP_RPC_RESULT:
            s = bkp_rpc_encode_result(m.id, m.result, &len);
            break;
        case BKP_RPC_ERROR:
            s = bkp_rpc_encode_error(m.id, m.code, m.message, m.data, &len);
            break;
        }
        if (s) {
            bkp_rpc_msg m2;
            if (bkp_rpc_decode(s, len, &m2, why, sizeof why) != 0)
                abort();   /* what we encode we must accept */
            bkp_rpc_msg_clear(&m2);
        }
        free(s);
    }
    bkp_rpc_msg_clear(&m);
    return 0;
}
