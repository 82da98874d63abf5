#include "beekeeper/log.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "beekeeper/error.h"

static bk_log_sink *g_sink;
static void *g_sink_arg;
static bk_log_sink *g_tap;
static void *g_tap_arg;
static bk_log_level g_level = BK_LOG_INFO;
static int g_in_log;    /* a sink that logs would recurse: drop such messages */

static const char *const names[] = { "fatal", "error", "warn", "info", "debug", "trace" };

const char *bk_log_level_name(bk_log_level lv)
{
    return (unsigned)lv < sizeof names / sizeof names[0] ? names[lv] : "unknown";
}

int bk_log_level_parse(const char *name, bk_log_level *out)
{
    if (!name || !out)
        return BK_EINVAL;
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(name, names[i]) == 0) {
            *out = (bk_log_level)i;
            return 0;
        }
    if (strcasecmp(name, "warning") == 0) {
        *out = BK_LOG_WARN;
        return 0;
    }
    return BK_EINVAL;
}

static void file_sink(bk_log_level lv, const char *msg, void *arg)
{
    FILE *f = arg ? arg : stderr;
    struct timeval tv;
    struct tm tm;
    char ts[32];
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(f, "%s.%03dZ [%s] %s\n", ts, (int)(tv.tv_usec / 1000), bk_log_level_name(lv), msg);
    fflush(f);
}

void bk_log_set_sink(bk_log_sink *fn, void *arg)
{
    g_sink = fn;
    g_sink_arg = arg;
}

void bk_log_to_stderr(void)
{
    bk_log_set_sink(file_sink, NULL);
}

void bk_log_to_file(FILE *f)
{
    bk_log_set_sink(file_sink, f);
}

void bk_log_set_level(bk_log_level lv)
{
    if ((unsigned)lv <= BK_LOG_TRACE)
        g_level = lv;
}

bk_log_level bk_log_get_level(void)
{
    return g_level;
}

int bk_log_enabled(bk_log_level lv)
{
    return lv <= g_level && (g_sink || g_tap);
}

void bk_log_set_tap(bk_log_sink *fn, void *arg, bk_log_sink **prev_fn, void **prev_arg)
{
    if (prev_fn)
        *prev_fn = g_tap;
    if (prev_arg)
        *prev_arg = g_tap_arg;
    g_tap = fn;
    g_tap_arg = arg;
}

void bk_vlog(bk_log_level lv, const char *fmt, va_list ap)
{
    if (!fmt || !bk_log_enabled(lv) || g_in_log)
        return;
    char buf[4096];
    vsnprintf(buf, sizeof buf, fmt, ap);
    g_in_log = 1;
    if (g_sink)
        g_sink(lv, buf, g_sink_arg);
    if (g_tap)
        g_tap(lv, buf, g_tap_arg);
    g_in_log = 0;
}

void bk_log(bk_log_level lv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bk_vlog(lv, fmt, ap);
    va_end(ap);
}
