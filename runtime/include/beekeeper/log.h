/* Logging: bk_log_fatal .. bk_log_trace, to one process-wide sink.
 *
 * The library itself never prints: every message goes to the sink, by default nowhere
 * until a program calls bk_log_to_stderr(), bk_log_to_file() or bk_log_set_sink(). A worker
 * also forwards its messages to `/topic/log.{level}.{service}` while connected (see
 * worker.h). The level filter and the sink are process-wide; set them before starting
 * threads. Messages longer than 4 KiB are cut. */
#ifndef BEEKEEPER_LOG_H
#define BEEKEEPER_LOG_H

#include <stdarg.h>
#include <stdio.h>

#include "beekeeper/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum bk_log_level {
    BK_LOG_FATAL = 0,
    BK_LOG_ERROR,
    BK_LOG_WARN,
    BK_LOG_INFO,
    BK_LOG_DEBUG,
    BK_LOG_TRACE,
} bk_log_level;

/* "fatal", "error", "warn", "info", "debug", "trace" (static); "unknown" otherwise. */
BK_API const char *bk_log_level_name(bk_log_level lv);
/* From a name (case-insensitive) into *out. 0 or BK_EINVAL (name or out NULL, or not a
 * level's name; *out is left as it was). */
BK_API int bk_log_level_parse(const char *name, bk_log_level *out);

/* A sink gets every message at or above the threshold. msg is borrowed for the call.
 * It must not call bk_log_* itself (such messages are dropped, not recursed into). */
typedef void bk_log_sink(bk_log_level lv, const char *msg, void *arg);

/* Replaces the sink (NULL: discard everything). */
BK_API void bk_log_set_sink(bk_log_sink *fn, void *arg);
/* Built-in sinks: lines "2026-01-01T00:00:00.123Z [warn] message" to stderr or to f
 * (borrowed; must stay open while it is the sink; NULL: stderr). */
BK_API void bk_log_to_stderr(void);
BK_API void bk_log_to_file(FILE *f);

/* Messages below lv (more verbose) are dropped. Default BK_LOG_INFO. */
BK_API void bk_log_set_level(bk_log_level lv);
BK_API bk_log_level bk_log_get_level(void);
/* 1 when a message at lv would reach the sink. */
BK_API int bk_log_enabled(bk_log_level lv);

/* An extra observer that sees what the sink sees (the worker uses it for the bus topic);
 * NULL removes it. Only one; returns the previous one in prev_fn and prev_arg when not NULL. */
BK_API void bk_log_set_tap(bk_log_sink *fn, void *arg, bk_log_sink **prev_fn, void **prev_arg);

/* A message; a NULL fmt is dropped. */
BK_API void bk_log(bk_log_level lv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
BK_API void bk_vlog(bk_log_level lv, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#define bk_log_fatal(...) bk_log(BK_LOG_FATAL, __VA_ARGS__)
#define bk_log_error(...) bk_log(BK_LOG_ERROR, __VA_ARGS__)
#define bk_log_warn(...) bk_log(BK_LOG_WARN, __VA_ARGS__)
#define bk_log_info(...) bk_log(BK_LOG_INFO, __VA_ARGS__)
#define bk_log_debug(...) bk_log(BK_LOG_DEBUG, __VA_ARGS__)
#define bk_log_trace(...) bk_log(BK_LOG_TRACE, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif
