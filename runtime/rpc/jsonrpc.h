/* JSON-RPC 2.0 bodies of the bus protocol: decode (never trusting the body) and encode.
 * Internal (bkp_). Pure functions over beekeeper/json.h's tokens and writer; any thread. */
#ifndef BKP_RPC_JSONRPC_H
#define BKP_RPC_JSONRPC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "beekeeper/arena.h"
#include "beekeeper/json.h"

#define BKP_RPC_MAX_BODY ((size_t)64 << 20)
/* A token index for "no such member". */
#define BKP_RPC_NONE UINT32_MAX

typedef enum bkp_rpc_kind {
    BKP_RPC_REQUEST = 1,   /* method + id */
    BKP_RPC_NOTIFY,        /* method, no id: a background job or a notification */
    BKP_RPC_RESULT,        /* result + id */
    BKP_RPC_ERROR,         /* error + id (id may be null) */
} bkp_rpc_kind;

/* A message's id as it came: a string or an integer (echoed in the answer as it was), null
 * (error responses only), or absent. */
typedef struct bkp_rpc_id {
    int type;              /* 0 (absent), BK_JSON_NULL, BK_JSON_STRING or BK_JSON_NUMBER */
    const char *s;         /* a string's text (in the body), NUL-terminated */
    size_t len;
    int64_t i;             /* an integer's value */
} bkp_rpc_id;

/* A decoded body: its tokens, and the envelope read from them. Everything points into the
 * body's text and the arena the tokens are in. */
typedef struct bkp_rpc_msg {
    bkp_rpc_kind kind;
    bk_json_doc doc;       /* the whole body */
    const char *method;    /* requests */
    uint32_t params;       /* requests: params' token; BKP_RPC_NONE when absent */
    bkp_rpc_id id;
    const char *id_str;    /* id.s when the id is a string, else NULL */
    uint32_t result;       /* results: the result's token */
    int code;              /* errors */
    const char *message;   /* errors: the message, or the code's standard message */
    uint32_t data;         /* errors: data's token; BKP_RPC_NONE when absent or null */
} bkp_rpc_msg;

/* Decodes body[0..len), the caller's writable copy (strings are decoded in place: see
 * beekeeper/json.h), tokenized once into a; params and results are not looked at beyond
 * their tokens. Returns 0 with *m filled, or a JSON-RPC error code: BK_RPC_PARSE_ERROR (not
 * JSON, too big, not UTF-8, a key twice or a \u0000 in the envelope) or
 * BK_RPC_INVALID_REQUEST (JSON, wrong shape). On error `why` gets a short reason
 * ("line 1 column 3: ..." or "method: expected a string"), m->id the message's id when one
 * could be read (so that the error can be answered), everything else empty. */
int bkp_rpc_decode(bkp_rpc_msg *m, bk_arena *a, char *body, size_t len, char *why,
                   size_t whylen);

/* Token tok of m (params, a result, error data; BKP_RPC_NONE gives JSON null) as the untyped
 * API hands it out: a new jansson reference in *out. 0, BK_RPC_PARSE_ERROR (a key twice in an
 * object or a \u0000 in a string, which jansson refused; why says where) or BK_ENOMEM. */
int bkp_rpc_json(bkp_rpc_msg *m, uint32_t tok, json_t **out, char *why, size_t whylen);

/* 1 when method is "{service}.{method}" with [A-Za-z0-9_-]+ segments (at least two);
 * *svc_len gets the length of the service part. With allow_star, the last segment may be
 * "*" (subscription patterns). */
int bkp_method_valid(const char *method, int allow_star, size_t *svc_len);
/* The same test, saying why not: NULL for a valid name, else a static sentence. */
const char *bkp_method_problem(const char *method, int allow_star, size_t *svc_len);

/* Encoders, with bk_jw: a body is written once, into the buffer the STOMP frame then takes
 * (bk_jw_take). The begin calls write the envelope up to the params or result, which the
 * caller writes next (one value); the end calls close the envelope and hand the bytes over
 * (*body new, free(); *len its length): 0, or the writer's first error (BK_EINVAL for a value
 * that could not be written, BK_ENOMEM, BK_ELIMIT), and then nothing to free. id NULL: no id
 * member (a job or a notification). */
void bkp_rpc_begin_request(bk_jw *w, const char *method);
int bkp_rpc_end_request(bk_jw *w, const char *id, char **body, size_t *len);
void bkp_rpc_begin_result(bk_jw *w);
/* id NULL or absent: null. */
int bkp_rpc_end_result(bk_jw *w, const bkp_rpc_id *id, char **body, size_t *len);
/* A whole error response (message NULL: the code's standard message; data borrowed, NULL:
 * null). */
int bkp_rpc_error_body(const bkp_rpc_id *id, int code, const char *message, const json_t *data,
                       char **body, size_t *len);
/* Whole bodies for the untyped API: params or result borrowed, NULL: null. */
int bkp_rpc_request_body(const char *method, const json_t *params, const char *id, char **body,
                         size_t *len);
int bkp_rpc_result_body(const bkp_rpc_id *id, const json_t *result, char **body, size_t *len);

#endif
