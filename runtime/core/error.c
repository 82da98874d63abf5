#include "beekeeper/error.h"

const char *bk_strerror(int err)
{
    switch ((bk_err)err) {
    case BK_OK: return "success";
    case BK_ENOMEM: return "out of memory";
    case BK_EINVAL: return "invalid argument";
    case BK_EPROTO: return "protocol error";
    case BK_ETIMEDOUT: return "timed out";
    case BK_ECLOSED: return "connection closed";
    case BK_ELIMIT: return "limit exceeded";
    case BK_EIO: return "input/output error";
    case BK_ECONNREFUSED: return "connection refused";
    case BK_EAUTH: return "authentication failed";
    case BK_EBROKER: return "broker error";
    case BK_ENOTFOUND: return "not found";
    case BK_ESYNTAX: return "syntax error";
    case BK_ESTATE: return "invalid state";
    case BK_ERPC: return "remote JSON-RPC error";
    }
    return "unknown error";
}
