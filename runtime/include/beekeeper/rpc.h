/* JSON-RPC errors as the bus protocol defines them (doc/protocol.md), and bk_error, the
 * error a call hands back to its caller.
 *
 * A call that fails returns a negative bk_err (error.h) and fills a bk_error:
 *   BK_ERPC       the service answered with a JSON-RPC error (code/message/data say which)
 *   BK_ETIMEDOUT  no response in time (code BK_RPC_TIMEOUT, made by the caller's side)
 *   BK_ECLOSED    not connected to the bus (code BK_RPC_INTERNAL_ERROR, message says so)
 *   others        a local failure (BK_EINVAL, BK_ENOMEM, ...; code BK_RPC_INTERNAL_ERROR) */
#ifndef BEEKEEPER_RPC_H
#define BEEKEEPER_RPC_H

#include <jansson.h>

#include "beekeeper/arena.h"
#include "beekeeper/error.h"
#include "beekeeper/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* JSON-RPC error codes of the protocol. Applications declare their own codes outside these
 * (and outside -32768..-32000). */
enum {
    BK_RPC_PARSE_ERROR = -32700,      /* the body is not JSON */
    BK_RPC_INVALID_REQUEST = -32600,  /* JSON, but not a JSON-RPC 2.0 request */
    BK_RPC_METHOD_NOT_FOUND = -32601, /* the worker serves no such method */
    BK_RPC_INVALID_PARAMS = -32602,   /* data says which field and why */
    BK_RPC_INTERNAL_ERROR = -32603,   /* a failure inside the runtime */
    BK_RPC_SERVER_ERROR = -32000,     /* the handler failed unexpectedly */
    BK_RPC_TIMEOUT = -31600,          /* no response in time (made by the caller's side) */
    BK_RPC_NOT_AVAILABLE = -31601,    /* no worker serves the method (Sinkhole) */
    BK_RPC_NOT_AUTHENTICATED = -401,
    BK_RPC_NOT_AUTHORIZED = -403,
};

/* The standard message for one of the codes above ("Method not found", ...); "Error" for
 * any other code. Static. */
BK_API const char *bk_rpc_code_message(int code);

/* An error as a call returns it. message and data belong to the arena the call was given
 * (the caller's for a synchronous call, the callback's for an async one): nothing to free.
 * data is NULL when the error carried none (or null). */
typedef struct bk_error {
    int code;
    const char *message;
    json_t *data;
} bk_error;

#ifdef __cplusplus
}
#endif
#endif
