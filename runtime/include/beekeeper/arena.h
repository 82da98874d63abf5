/* bk_arena: a bump allocator that owns everything a call or a handler hands out.
 *
 * One lifetime rule for the whole API: what the runtime (or a generated stub) gives you
 * lives in an arena, the caller's for a synchronous call, the request's for a handler and
 * for an async callback, and is released with it by bk_arena_free(). Nothing is freed one
 * by one. An arena may also hold references to jansson values, dropped when the arena is
 * freed or reset: bk_arena_keep_json takes a reference of its own (the caller keeps theirs),
 * bk_arena_keep_json_new steals the caller's (jansson's rule, the API's: a function that
 * steals a reference ends in _new; every other one borrows).
 *
 * Not thread-safe: one arena belongs to one thread at a time. */
#ifndef BEEKEEPER_ARENA_H
#define BEEKEEPER_ARENA_H

#include <stdarg.h>
#include <stddef.h>

#include "beekeeper/export.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_t;
typedef struct bk_arena bk_arena;

/* Makes an empty arena (new; free with bk_arena_free). Returns 0, BK_EINVAL (out is NULL)
 * or BK_ENOMEM; on failure *out is NULL. */
BK_API int bk_arena_new(bk_arena **out);

/* Releases every block and drops every kept json reference. NULL does nothing. */
BK_API void bk_arena_free(bk_arena *a);

/* Like free + new, but keeps the first block for reuse. NULL does nothing. */
BK_API void bk_arena_reset(bk_arena *a);

/* n bytes, zeroed, aligned for any type; owned by the arena. NULL when out of memory
 * (or n absurdly large, or a is NULL). n == 0 gives a valid unique pointer. */
BK_API void *bk_arena_alloc(bk_arena *a, size_t n);

/* A copy of s (NULL gives NULL) / of its first n bytes plus a NUL. Owned by the arena;
 * NULL when out of memory (or a is NULL). */
BK_API char *bk_arena_strdup(bk_arena *a, const char *s);
BK_API char *bk_arena_strndup(bk_arena *a, const char *s, size_t n);

/* printf into the arena. NULL when out of memory, on a format error, or when a or fmt is
 * NULL. */
BK_API char *bk_arena_printf(bk_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
BK_API char *bk_arena_vprintf(bk_arena *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Keeps j alive as long as the arena: takes a reference of its own (json_incref), dropped
 * when the arena is freed or reset; the caller's reference stays theirs. Returns j, or NULL
 * (j NULL, a NULL, or out of memory: then the arena took nothing). */
BK_API struct json_t *bk_arena_keep_json(bk_arena *a, struct json_t *j);

/* The same, but steals the caller's reference to j, whatever happens (as jansson's
 * json_object_set_new does, so that bk_arena_keep_json_new(a, json_string(s)) never leaks):
 * on success the arena drops it when freed or reset; when a is NULL or memory runs out it
 * is dropped at once and NULL returned. NULL j: nothing happens, NULL returned. */
BK_API struct json_t *bk_arena_keep_json_new(bk_arena *a, struct json_t *j);

/* Bytes handed out so far (for limits and tests); 0 for NULL. */
BK_API size_t bk_arena_used(const bk_arena *a);

#ifdef __cplusplus
}
#endif
#endif
