/* JSON-RPC 2.0 bodies of the bus protocol: decode (never trusting the body) and encode.
 * Internal (bkp_). Pure functions over jansson; any thread. */
#ifndef BKP_RPC_JSONRPC_H
#define BKP_RPC_JSONRPC_H

#include <stddef.h>
#include <jansson.h>

#define BKP_RPC_MAX_BODY ((size_t)64 << 20)

typedef enum bkp_rpc_kind {
    BKP_RPC_REQUEST = 1,   /* method + id */
    BKP_RPC_NOTIFY,        /* method, no id: a background job or a notification */
    BKP_RPC_RESULT,        /* result + id */
    BKP_RPC_ERROR,         /* error + id (id may be null) */
} bkp_rpc_kind;

typedef struct bkp_rpc_msg {
    bkp_rpc_kind kind;
    json_t *root;          /* owned: json_decref via bkp_rpc_msg_clear */
    const char *method;    /* borrowed from root */
    json_t *params;        /* borrowed from root; never NULL for requests (json null) */
    json_t *id;            /* borrowed from root; NULL when absent */
    const char *id_str;    /* id's text when id is a string, else NULL */
    json_t *result;        /* borrowed */
    int code;              /* error */
    const char *message;   /* error, borrowed */
    json_t *data;          /* error, borrowed; NULL when absent or null */
} bkp_rpc_msg;

/* Decodes a body. Returns 0 with *m filled (clear it with bkp_rpc_msg_clear), or a JSON-RPC
 * error code: BK_RPC_PARSE_ERROR (not JSON, too big, not UTF-8) or BK_RPC_INVALID_REQUEST
 * (JSON, wrong shape). On error `why` gets a short reason ("line 1 column 3: ..." or
 * "method: expected a string"), m->id the request's id when one could be read (so the
 * error can be answered; the caller still calls bkp_rpc_msg_clear), everything else NULL. */
int bkp_rpc_decode(const char *body, size_t len, bkp_rpc_msg *m, char *why, size_t whylen);
void bkp_rpc_msg_clear(bkp_rpc_msg *m);

/* 1 when method is "{service}.{method}" with [A-Za-z0-9_-]+ segments (at least two);
 * *svc_len gets the length of the service part. With allow_star, the last segment may be
 * "*" (subscription patterns). */
int bkp_method_valid(const char *method, int allow_star, size_t *svc_len);
/* The same test, saying why not: NULL for a valid name, else a static sentence. */
const char *bkp_method_problem(const char *method, int allow_star, size_t *svc_len);

/* Encoders. Return a malloc'd compact JSON text (free()) and its length in *len, or NULL
 * when out of memory. Arguments are borrowed. id NULL: no id member (job/notification);
 * params NULL: null. */
char *bkp_rpc_encode_request(const char *method, json_t *params, const char *id, size_t *len);
/* Responses: id NULL: null. result NULL: null. */
char *bkp_rpc_encode_result(json_t *id, json_t *result, size_t *len);
char *bkp_rpc_encode_error(json_t *id, int code, const char *message, json_t *data,
                           size_t *len);

#endif
