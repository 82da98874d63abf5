/* Support for the C that bkpr-gen generates from .bkidl files (doc/idl.md): the C types of the
 * IDL's scalars and of lists and maps of them, the checking decoder that generated code runs
 * on params and results, and the runtime's side of generated stubs and handlers. Applications
 * use the types; the rest is called by generated code and rarely by hand.
 *
 * The typed path builds no jansson tree: a body is tokenized once (beekeeper/json.h), the
 * decoder reads C values straight from the tokens, and generated encoders write JSON with a
 * bk_jw into the buffer that becomes the STOMP frame's body. jansson stays for IDL `any`.
 *
 * Ownership: everything a decoder hands out lives in the arena it was given (strings without
 * escapes point into the body's text, which the same arena, a request's or a call's, keeps
 * alive; `any` values are kept by it). Nothing is freed one by one. */
#ifndef BEEKEEPER_TYPED_H
#define BEEKEEPER_TYPED_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "beekeeper/arena.h"
#include "beekeeper/client.h"
#include "beekeeper/export.h"
#include "beekeeper/json.h"
#include "beekeeper/worker.h"

#ifdef __cplusplus
extern "C" {
#endif

/* IDL `bytes`: base64 on the wire. */
typedef struct bk_bytes {
    const unsigned char *data;
    size_t len;
} bk_bytes;

/* IDL list<T> and map<T> of the scalars. A map's keys are in the order of the JSON object. */
typedef struct bk_bool_list { bool *items; size_t count; } bk_bool_list;
typedef struct bk_int_list { int64_t *items; size_t count; } bk_int_list;
typedef struct bk_double_list { double *items; size_t count; } bk_double_list;
typedef struct bk_string_list { const char **items; size_t count; } bk_string_list;
typedef struct bk_bytes_list { bk_bytes *items; size_t count; } bk_bytes_list;
typedef struct bk_any_list { json_t **items; size_t count; } bk_any_list;
typedef struct bk_bool_map { const char **keys; bool *values; size_t count; } bk_bool_map;
typedef struct bk_int_map { const char **keys; int64_t *values; size_t count; } bk_int_map;
typedef struct bk_double_map { const char **keys; double *values; size_t count; } bk_double_map;
typedef struct bk_string_map { const char **keys; const char **values; size_t count; } bk_string_map;
typedef struct bk_bytes_map { const char **keys; bk_bytes *values; size_t count; } bk_bytes_map;
typedef struct bk_any_map { const char **keys; json_t **values; size_t count; } bk_any_map;

/* ---- the checking decoder ---- */

/* The token index that stands for "no value" (params absent from a request). */
#define BK_DEC_NONE UINT32_MAX
/* Where a path is kept segment by segment: each shows as at least one byte, so a path this
 * deep is already longer than the 255 bytes a message shows. */
#define BK_DEC_MAX_SEGMENTS 260

/* A checking decoder: walks a tokenized JSON value against the IDL and, on the first
 * mismatch, says where and why in `error` ("msg.ts: expected int, got string"), allocated in
 * a. The path is kept as segments and written out only for the message. */
typedef struct bk_dec {
    bk_arena *a;
    bk_json_doc *doc;  /* the tokens read (set by whoever starts the decoder) */
    const char *error; /* NULL until a check fails */
    const char *root;  /* the path's first segment: "" or "result" */
    const char *top;   /* what an empty path is called in messages ("params", "result") */
    /* Set by the receiver of what a newer peer may have written (a result, a notification):
     * unknown fields are skipped and an unknown enum member reads as the value one past the
     * enum's last member, so that the changes bkpr-gen --check-compat accepts reach older
     * clients intact (doc/idl.md, "Schemas over time"). A worker's decoder of params stays
     * strict: a misspelt optional param would otherwise be dropped in silence. */
    bool tolerant;
    size_t depth;      /* segments entered (may pass BK_DEC_MAX_SEGMENTS: not kept then) */
    struct bk_dec_seg {
        const char *key; /* a field or map key (borrowed); NULL for a list index */
        size_t index;
    } seg[BK_DEC_MAX_SEGMENTS];
} bk_dec;

/* Starts a strict decoder (tolerant false) with no document (set d->doc before reading).
 * root: the path's first segment ("" for params, "result" for a result); top: how an empty
 * path is shown. Both static or outliving d. */
BK_API void bk_dec_init(bk_dec *d, bk_arena *a, const char *root, const char *top);

/* Enters field or map key `key` (borrowed until the decoder is done) / item i of the current
 * value; returns the mark that bk_dec_pop takes to leave it. */
static inline size_t bk_dec_push(bk_dec *d, const char *key)
{
    size_t mark = d->depth++;
    if (mark < BK_DEC_MAX_SEGMENTS)
        d->seg[mark] = (struct bk_dec_seg){key, 0};
    return mark;
}
static inline size_t bk_dec_index(bk_dec *d, size_t i)
{
    size_t mark = d->depth++;
    if (mark < BK_DEC_MAX_SEGMENTS)
        d->seg[mark] = (struct bk_dec_seg){NULL, i};
    return mark;
}
static inline void bk_dec_pop(bk_dec *d, size_t mark)
{
    d->depth = mark;
}

/* Error returns. A value that does not match the IDL is BK_EPROTO, with d->error
 * "path: why" (the first failure only: later ones keep it); out of memory is BK_ENOMEM, with
 * d->error "out of memory". */

/* Records "path: message" and returns BK_EPROTO. */
BK_API int bk_dec_fail(bk_dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "path: expected WHAT, got KIND", KIND the kind of token j (bk_json_tok_kind; "null" for
 * BK_DEC_NONE). BK_EPROTO. */
BK_API int bk_dec_expected(bk_dec *d, const char *what, uint32_t j);
/* "path: missing". BK_EPROTO. */
BK_API int bk_dec_missing(bk_dec *d);
/* "out of memory". BK_ENOMEM. */
BK_API int bk_dec_nomem(bk_dec *d);

/* The kind of a jansson value as messages say it: "object", "list", "string", "int",
 * "double", "bool", "null" (NULL is "null"). Static. */
BK_API const char *bk_json_kind(const json_t *j);

/* Checks that token j is an object whose keys are all among fields[0..n) (others are skipped
 * when d->tolerant), each once, and sets vals[f] to the token of field f's value, 0 when
 * absent: a struct decoder then reads the fields in the IDL's order. With empty_ok, BK_DEC_NONE or JSON null is an object with no
 * members. 0, or BK_EPROTO ("expected object", "KEY: unknown field", "KEY: duplicate key"),
 * walking the members once. */
BK_API int bk_dec_object(bk_dec *d, uint32_t j, const bk_json_name *fields, size_t n,
                         bool empty_ok, uint32_t *vals);
/* Checks that token j is a list (*count its items; the first is token j + 1, the next after
 * item v is bk_dec_next(d, v)) / a map with no key twice (its first key is j + 1, a key k's
 * value k + 1, the next key bk_dec_next(d, k + 1)). 0, BK_EPROTO or BK_ENOMEM. */
BK_API int bk_dec_list(bk_dec *d, uint32_t j, size_t *count);
BK_API int bk_dec_map(bk_dec *d, uint32_t j, size_t *count);
static inline uint32_t bk_dec_next(const bk_dec *d, uint32_t v)
{
    return d->doc->tok[v].next;
}
/* The text of key token k of a map that bk_dec_map checked (in the body, decoded). */
BK_API const char *bk_dec_key(bk_dec *d, uint32_t k);

/* n zeroed items of size bytes in the decoder's arena (n may be 0). NULL (and d->error set)
 * when out of memory. */
BK_API void *bk_dec_alloc(bk_dec *d, size_t n, size_t size);

/* Scalars from token j: 0, BK_EPROTO or BK_ENOMEM. A string holding a NUL byte is refused (C
 * could not see its end); bytes are standard base64 with padding; an `any` becomes a jansson
 * value kept by the arena (JSON null included), refused where jansson would have refused it
 * (a key twice in an object, a NUL in a string). */
BK_API int bk_dec_bool(bk_dec *d, uint32_t j, bool *out);
BK_API int bk_dec_int(bk_dec *d, uint32_t j, int64_t *out);
BK_API int bk_dec_double(bk_dec *d, uint32_t j, double *out);
BK_API int bk_dec_string(bk_dec *d, uint32_t j, const char **out);
BK_API int bk_dec_bytes(bk_dec *d, uint32_t j, bk_bytes *out);
BK_API int bk_dec_any(bk_dec *d, uint32_t j, json_t **out);
/* An enum's wire name from token j: "expected WHAT, got KIND" unless it is a string. */
BK_API int bk_dec_enum(bk_dec *d, uint32_t j, const char *what, const char **out);

/* A JSON value parsed from text (an `any` field's default), kept by the decoder's arena.
 * NULL when out of memory. */
BK_API json_t *bk_dec_json(bk_dec *d, const char *text);

/* IDL bytes written as base64 (b.data NULL with a length fails w). */
static inline void bk_enc_bytes(bk_jw *w, bk_bytes b)
{
    bk_jw_base64(w, b.data, b.len);
}

/* For the jansson forms of generated codecs (X_decode, X_encode): j (borrowed; NULL is no
 * value) written out and tokenized into d's arena, d->doc set and *tok its top token
 * (BK_DEC_NONE for NULL). 0, BK_EPROTO (j cannot be written as JSON) or BK_ENOMEM. */
BK_API int bk_dec_jansson(bk_dec *d, const json_t *j, uint32_t *tok);
/* What w holds as a new jansson value; frees w's buffer. NULL when w failed (a NULL string,
 * invalid UTF-8, an enum value that is no member, a double that is not finite) or out of
 * memory. */
BK_API json_t *bk_enc_jansson(bk_jw *w);

/* ---- the runtime's side of generated stubs (client) ---- */

/* A body for method: bk_call_begin starts w (bk_jw_init) with the envelope up to the params,
 * which the caller writes next (one value); one of the bk_*_end calls below then finishes the
 * envelope and sends it, taking w's buffer in any case (w is empty afterwards). Their returns
 * are those of bk_call, bk_call_async, bk_call_background and bk_notify, and BK_EINVAL when
 * the params could not be written (err, when given, says so: code -32603). */
BK_API void bk_call_begin(bk_jw *w, const char *method);

/* Synchronous: on 0, *doc (in arena a) holds the response and *result is its result's
 * token; decode it with a bk_dec on a. */
BK_API int bk_call_end(bk_client *c, bk_jw *w, const char *method, const bk_call_opts *o,
                       bk_arena *a, bk_json_doc **doc, uint32_t *result, bk_error *err);

/* An asynchronous result: exactly one of err (not NULL) or the result, token result of doc;
 * a holds both and is freed when the callback returns. */
typedef void bk_typed_call_fn(bk_client *c, bk_arena *a, bk_json_doc *doc, uint32_t result,
                              const bk_error *err, void *arg);
BK_API int bk_call_async_end(bk_client *c, bk_jw *w, const char *method,
                             const bk_call_opts *o, bk_typed_call_fn *done, void *arg);
BK_API int bk_call_background_end(bk_client *c, bk_jw *w, const char *method,
                                  const bk_call_opts *o);
BK_API int bk_notify_end(bk_client *c, bk_jw *w, const char *method, const bk_call_opts *o);

/* A received notification, its params token params of doc (BK_DEC_NONE when absent); all in
 * a, freed after the call. */
typedef void bk_typed_notify_fn(bk_client *c, bk_arena *a, const char *method,
                                bk_json_doc *doc, uint32_t params, void *arg);
/* bk_subscribe for typed subscribers. Same returns. */
BK_API int bk_subscribe_typed(bk_client *c, const char *pattern, bk_typed_notify_fn *fn,
                              void *arg);

/* ---- the runtime's side of generated handlers (worker) ---- */

/* A handler given the request's tokens: params is its params' token of doc (BK_DEC_NONE
 * when absent); doc lives as long as req. Returns as a bk_handler_fn does. */
typedef int bk_typed_handler_fn(bk_request *req, bk_json_doc *doc, uint32_t params, void *arg);
/* bk_worker_accept_flags for a typed handler (flags: BK_ACCEPT_PUBLIC for an @public
 * method, else 0). Same returns. */
BK_API int bk_worker_accept_typed(bk_worker *w, const char *method, unsigned flags,
                                  bk_typed_handler_fn *fn, void *arg);

/* The writer of req's answer (borrowed, lives as long as req): emptied and started with the
 * envelope up to the result, which the caller writes next (one value); then
 * bk_request_reply_written answers with it as bk_request_reply would. When the writer
 * failed, the request is answered -32603 ("METHOD: the handler's result cannot be encoded")
 * instead and BK_ERPC returned. */
BK_API bk_jw *bk_request_result(bk_request *req);
BK_API int bk_request_reply_written(bk_request *req);

#ifdef __cplusplus
}
#endif
#endif
