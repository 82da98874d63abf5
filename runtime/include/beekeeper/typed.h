/* Support for the C that bkpr-gen generates from .bkidl files (doc/idl.md): the C types of the
 * IDL's scalars and of lists and maps of them, and the checking decoder that generated code
 * runs on params and results. Applications use the types; the bk_dec and bk_enc functions are
 * called by generated code and rarely by hand.
 *
 * Ownership: everything a decoder hands out lives in the arena it was given (strings and
 * `any` values point into the JSON being decoded, which the same arena, a request or a call
 * keeps alive). Nothing is freed one by one. */
#ifndef BEEKEEPER_TYPED_H
#define BEEKEEPER_TYPED_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "beekeeper/arena.h"
#include "beekeeper/export.h"

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

/* A checking decoder: walks a JSON value against the IDL and, on the first mismatch, says
 * where and why in `error` ("msg.ts: expected int, got string"), allocated in a. */
typedef struct bk_dec {
    bk_arena *a;
    const char *error; /* NULL until a check fails */
    const char *top;   /* what an empty path is called in messages ("params", "result") */
    size_t len;        /* of path */
    char path[256];    /* "msg.tags[2]"; cut (with "...") when deeper */
} bk_dec;

/* Starts a decoder. root: the path's first segment ("" for params, "result" for a result);
 * top: how an empty path is shown. Both static or outliving d. */
BK_API void bk_dec_init(bk_dec *d, bk_arena *a, const char *root, const char *top);

/* Enters field key / item i of the current value; returns the mark that bk_dec_pop takes
 * to leave it. */
BK_API size_t bk_dec_push(bk_dec *d, const char *key);
BK_API size_t bk_dec_index(bk_dec *d, size_t i);
BK_API void bk_dec_pop(bk_dec *d, size_t mark);

/* Records "path: message" (the first failure only) and returns -1. */
BK_API int bk_dec_fail(bk_dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "path: expected WHAT, got KIND", KIND the JSON value's kind. -1. */
BK_API int bk_dec_expected(bk_dec *d, const char *what, const json_t *got);
/* "path: missing". -1. */
BK_API int bk_dec_missing(bk_dec *d);
/* "out of memory". -1. */
BK_API int bk_dec_nomem(bk_dec *d);

/* The kind of a JSON value as messages say it: "object", "list", "string", "int", "double",
 * "bool", "null". Static. */
BK_API const char *bk_json_kind(const json_t *j);

/* Checks that j is an object holding only the keys of fields[0..n) (NULL or JSON null is
 * taken as an empty object when empty_ok). 0 or -1. */
BK_API int bk_dec_object(bk_dec *d, json_t *j, const char *const *fields, size_t n,
                         bool empty_ok);

/* n zeroed items of size bytes in the decoder's arena (n may be 0). NULL (and d->error set)
 * when out of memory. */
BK_API void *bk_dec_alloc(bk_dec *d, size_t n, size_t size);

/* Scalars. 0, or -1 with d->error set. A string holding a NUL byte is refused (C could not
 * see its end); an `any` is handed over as it is (JSON null included). */
BK_API int bk_dec_bool(bk_dec *d, json_t *j, bool *out);
BK_API int bk_dec_int(bk_dec *d, json_t *j, int64_t *out);
BK_API int bk_dec_double(bk_dec *d, json_t *j, double *out);
BK_API int bk_dec_string(bk_dec *d, json_t *j, const char **out);
BK_API int bk_dec_bytes(bk_dec *d, json_t *j, bk_bytes *out);
BK_API int bk_dec_any(bk_dec *d, json_t *j, json_t **out);

/* A JSON value parsed from text (an `any` field's default), kept by the decoder's arena.
 * NULL when out of memory. */
BK_API json_t *bk_dec_json(bk_dec *d, const char *text);

/* Encoders that jansson lacks: base64 (NULL when b.data is NULL and b.len is not 0, or out
 * of memory), an `any` (a new reference; NULL gives JSON null). New references. */
BK_API json_t *bk_enc_bytes(bk_bytes b);
BK_API json_t *bk_enc_any(json_t *v);
/* json_object_set_new that fails (-1) on a NULL value, so encoders chain without checks. */
BK_API int bk_enc_set(json_t *o, const char *key, json_t *v);

/* n zeroed bytes that live until the process exits (kept reachable, never freed): the
 * bindings of generated subscriptions and handler tables, which last as long as their client
 * or worker, which the runtime gives no hook to follow. NULL when out of memory. */
BK_API void *bk_typed_hold(size_t n);

#ifdef __cplusplus
}
#endif
#endif
