/* The rules the whole public API keeps (doc/api.md, "Conventions"), checked function by
 * function without a broker:
 *   - a function given NULL where it needs something returns BK_EINVAL, or does nothing, or
 *     (a getter) returns NULL, "" or 0: it never crashes. A table holds one case per public
 *     function of the headers below, and the test fails when a header declares a function
 *     the table lacks;
 *   - a constructor leaves *out NULL when it fails, for a bad argument and when memory runs
 *     out (every allocation of the library's own code, in turn, fails: malloc and friends
 *     are wrapped at link time, tests/api.module.mk);
 *   - a _new function steals its json_t, on failure too; its plain twin borrows.
 * json.h and typed.h are left out: the typed path's own tests hold them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "beekeeper/arena.h"
#include "beekeeper/cache.h"
#include "beekeeper/client.h"
#include "beekeeper/config.h"
#include "beekeeper/error.h"
#include "beekeeper/log.h"
#include "beekeeper/rpc.h"
#include "beekeeper/worker.h"

/* ------------------------------------------------------------------ allocation failures */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

static long g_fail_at = -1; /* the allocation (counted from 0) that fails; -1: none */
static long g_nalloc;

static int fail_now(void)
{
    return g_fail_at >= 0 && g_nalloc++ == g_fail_at;
}

void *__wrap_malloc(size_t n) { return fail_now() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size) { return fail_now() ? NULL : __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t n) { return fail_now() ? NULL : __real_realloc(p, n); }
char *__wrap_strdup(const char *s) { return fail_now() ? NULL : __real_strdup(s); }
char *__wrap_strndup(const char *s, size_t n) { return fail_now() ? NULL : __real_strndup(s, n); }

static void fail_allocation(long i)
{
    g_nalloc = 0;
    g_fail_at = i;
}

/* ------------------------------------------------------------------ fixtures */

static const char *const g_hosts[] = { "127.0.0.1:1" };     /* nothing listens; never run */
static bk_arena *g_a;
static bk_client *g_c;
static bk_worker *g_w;

static bk_client_opts client_opts(void)
{
    return (bk_client_opts){ .hosts = g_hosts, .nhosts = 1, .max_rounds = 1 };
}

static bk_worker_opts worker_opts(void)
{
    return (bk_worker_opts){ .client = client_opts(), .status_interval_ms = -1 };
}

static int setup(void **st)
{
    (void)st;
    bk_client_opts co = client_opts();
    bk_worker_opts wo = worker_opts();
    return bk_arena_new(&g_a) || bk_client_new(&g_c, &co) || bk_worker_new(&g_w, &wo);
}

static int teardown(void **st)
{
    (void)st;
    bk_worker_free(g_w);
    bk_client_free(g_c);
    bk_arena_free(g_a);
    return 0;
}

static int h_noop(bk_request *req, json_t *params, void *arg)
{
    (void)req;
    (void)params;
    (void)arg;
    return 0;
}

static void n_noop(bk_client *c, bk_arena *a, const char *method, json_t *params, void *arg)
{
    (void)c;
    (void)a;
    (void)method;
    (void)params;
    (void)arg;
}

static void d_noop(bk_client *c, bk_arena *a, json_t *result, const bk_error *err, void *arg)
{
    (void)c;
    (void)a;
    (void)result;
    (void)err;
    (void)arg;
}

static int g_nlog;
static void count_sink(bk_log_level lv, const char *msg, void *arg)
{
    (void)lv;
    (void)msg;
    (void)arg;
    g_nlog++;
}

__attribute__((format(printf, 2, 3))) static char *vprintf_in(bk_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = bk_arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

__attribute__((format(printf, 2, 3))) static void vlog(bk_log_level lv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bk_vlog(lv, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ the NULL table */

/* arena.h */
static void c_bk_arena_new(void) { assert_int_equal(bk_arena_new(NULL), BK_EINVAL); }
static void c_bk_arena_free(void) { bk_arena_free(NULL); }
static void c_bk_arena_reset(void) { bk_arena_reset(NULL); }
static void c_bk_arena_alloc(void) { assert_null(bk_arena_alloc(NULL, 8)); }
static void c_bk_arena_strdup(void)
{
    assert_null(bk_arena_strdup(NULL, "x"));
    assert_null(bk_arena_strdup(g_a, NULL));
}
static void c_bk_arena_strndup(void)
{
    assert_null(bk_arena_strndup(NULL, "x", 1));
    assert_null(bk_arena_strndup(g_a, NULL, 1));
}
static void c_bk_arena_printf(void)
{
    assert_null(bk_arena_printf(NULL, "%d", 1));
    assert_null(bk_arena_printf(g_a, NULL));
}
static void c_bk_arena_vprintf(void)
{
    assert_null(vprintf_in(NULL, "%d", 1));
    assert_null(vprintf_in(g_a, NULL));
}
static void c_bk_arena_keep_json(void)
{
    assert_null(bk_arena_keep_json(NULL, NULL));
    assert_null(bk_arena_keep_json(g_a, NULL));
}
static void c_bk_arena_keep_json_new(void)
{
    assert_null(bk_arena_keep_json_new(NULL, NULL));
    assert_null(bk_arena_keep_json_new(g_a, NULL));
}
static void c_bk_arena_used(void) { assert_int_equal(bk_arena_used(NULL), 0); }

/* client.h */
static void c_bk_client_new(void)
{
    bk_client *c = (bk_client *)g_a;   /* anything not NULL */
    assert_int_equal(bk_client_new(NULL, NULL), BK_EINVAL);
    assert_int_equal(bk_client_new(&c, NULL), BK_EINVAL);
    assert_null(c);
}
static void c_bk_client_free(void) { bk_client_free(NULL); }
static void c_bk_client_connect_wait(void)
{
    assert_int_equal(bk_client_connect_wait(NULL, 0), BK_EINVAL);
}
static void c_bk_client_connect_try(void)
{
    assert_int_equal(bk_client_connect_try(NULL, 0), BK_EINVAL);
}
static void c_bk_client_connected(void) { assert_int_equal(bk_client_connected(NULL), 0); }
static void c_bk_client_base(void) { assert_null(bk_client_base(NULL)); }
static void c_bk_client_cluster(void) { assert_string_equal(bk_client_cluster(NULL), ""); }
static void c_bk_client_reply_queue(void)
{
    assert_string_equal(bk_client_reply_queue(NULL), "");
}
static void c_bk_client_set_tokens(void)
{
    assert_int_equal(bk_client_set_tokens(NULL, "a"), BK_EINVAL);
    assert_int_equal(bk_client_set_tokens(g_c, NULL), 0);     /* NULL: no tokens */
}
static void c_bk_call(void)
{
    json_t *res = json_true();
    bk_error err = { 0 };
    assert_int_equal(bk_call(NULL, "a.b", NULL, NULL, NULL, NULL, NULL), BK_EINVAL);
    assert_int_equal(bk_call(NULL, "a.b", NULL, NULL, g_a, &res, &err), BK_EINVAL);
    assert_null(res);
    assert_non_null(err.message);
    assert_int_equal(bk_call(g_c, NULL, NULL, NULL, g_a, &res, &err), BK_EINVAL);
    assert_non_null(err.message);
    assert_int_equal(bk_call(g_c, "a.b", NULL, NULL, NULL, &res, &err), BK_EINVAL);
}
static void c_bk_call_async(void)
{
    assert_int_equal(bk_call_async(NULL, "a.b", NULL, NULL, d_noop, NULL), BK_EINVAL);
    assert_int_equal(bk_call_async(g_c, NULL, NULL, NULL, d_noop, NULL), BK_EINVAL);
    assert_int_equal(bk_call_async(g_c, "a.b", NULL, NULL, NULL, NULL), BK_EINVAL);
}
static void c_bk_call_background(void)
{
    assert_int_equal(bk_call_background(NULL, "a.b", NULL, NULL), BK_EINVAL);
    assert_int_equal(bk_call_background(g_c, NULL, NULL, NULL), BK_EINVAL);
}
static void c_bk_notify(void)
{
    assert_int_equal(bk_notify(NULL, "a.b", NULL, NULL), BK_EINVAL);
    assert_int_equal(bk_notify(g_c, NULL, NULL, NULL), BK_EINVAL);
}
static void c_bk_subscribe(void)
{
    assert_int_equal(bk_subscribe(NULL, "a.b", n_noop, NULL), BK_EINVAL);
    assert_int_equal(bk_subscribe(g_c, NULL, n_noop, NULL), BK_EINVAL);
    assert_int_equal(bk_subscribe(g_c, "a.b", NULL, NULL), BK_EINVAL);
}
static void c_bk_client_wait_all(void) { assert_int_equal(bk_client_wait_all(NULL, 0), BK_EINVAL); }
static void c_bk_client_flush(void) { assert_int_equal(bk_client_flush(NULL, 0), BK_EINVAL); }
static void c_bk_client_run(void) { assert_int_equal(bk_client_run(NULL), BK_EINVAL); }
static void c_bk_client_run_for(void) { assert_int_equal(bk_client_run_for(NULL, 0), BK_EINVAL); }
static void c_bk_client_stop(void) { bk_client_stop(NULL); }
static void c_bk_client_pending(void) { assert_int_equal(bk_client_pending(NULL), 0); }
static void c_bk_client_hold(void) { assert_null(bk_client_hold(NULL, 8)); }

/* cache.h */
static void c_bk_cache_new(void)
{
    bk_cache *k = (bk_cache *)g_a;
    bk_client *none[] = { NULL };
    assert_int_equal(bk_cache_new(NULL, NULL), BK_EINVAL);
    assert_int_equal(bk_cache_new(&k, NULL), BK_EINVAL);
    assert_null(k);
    bk_cache_opts o = { .id = "c", .clients = none, .nclients = 1 };
    k = (bk_cache *)g_a;
    assert_int_equal(bk_cache_new(&k, &o), BK_EINVAL);
    assert_null(k);
    bk_client *one[] = { g_c };
    bk_cache_opts bad = { .id = "no spaces", .clients = one, .nclients = 1 };
    assert_int_equal(bk_cache_new(&k, &bad), BK_EINVAL);
    assert_null(k);
}
static void c_bk_cache_free(void) { bk_cache_free(NULL); }
static void c_bk_cache_get(void)
{
    json_t *v = json_true();
    assert_int_equal(bk_cache_get(NULL, "k", &v), BK_EINVAL);
    assert_null(v);
}
static void c_bk_cache_set(void)
{
    assert_int_equal(bk_cache_set(NULL, "k", json_null()), BK_EINVAL);
}
static void c_bk_cache_set_new(void)
{
    json_t *j = json_object();
    json_incref(j);
    assert_int_equal(bk_cache_set_new(NULL, "k", j), BK_EINVAL);
    assert_int_equal(j->refcount, 1);   /* stolen on failure too */
    json_decref(j);
}
static void c_bk_cache_delete(void) { assert_int_equal(bk_cache_delete(NULL, "k"), BK_EINVAL); }
static void c_bk_cache_touch(void) { assert_int_equal(bk_cache_touch(NULL, "k"), BK_EINVAL); }
static void c_bk_cache_save(void) { assert_int_equal(bk_cache_save(NULL), BK_EINVAL); }
static void c_bk_cache_synced(void) { assert_int_equal(bk_cache_synced(NULL), 0); }
static void c_bk_cache_wait_synced(void)
{
    assert_int_equal(bk_cache_wait_synced(NULL, 0), BK_EINVAL);
}
static void c_bk_cache_count(void) { assert_int_equal(bk_cache_count(NULL), 0); }
static void c_bk_cache_stats_get(void)
{
    bk_cache_stats st;
    assert_int_equal(bk_cache_stats_get(NULL, &st), BK_EINVAL);
}

/* config.h */
static void c_bk_bus_config_load(void)
{
    char err[128] = "";
    assert_int_equal(bk_bus_config_load(NULL, NULL, NULL, err, sizeof err), BK_EINVAL);
    assert_true(err[0] != 0);
    assert_int_equal(bk_bus_config_load(NULL, NULL, NULL, NULL, 0), BK_EINVAL);
}
static void c_bk_bus_config_load_cluster(void)
{
    bk_bus_config **v;
    size_t n;
    assert_int_equal(bk_bus_config_load_cluster(NULL, &n, NULL, "x", NULL, 0), BK_EINVAL);
    assert_int_equal(bk_bus_config_load_cluster(&v, NULL, NULL, "x", NULL, 0), BK_EINVAL);
    assert_int_equal(bk_bus_config_load_cluster(&v, &n, NULL, NULL, NULL, 0), BK_EINVAL);
}
static void c_bk_bus_config_free(void) { bk_bus_config_free(NULL); }
static void c_bk_bus_config_client_opts(void)
{
    bk_client_opts o = { 0 };
    bk_bus_config_client_opts(NULL, &o);
    assert_null(o.hosts);
    bk_bus_config_client_opts(NULL, NULL);
}
static void c_bk_bus_config_id(void) { assert_string_equal(bk_bus_config_id(NULL), ""); }
static void c_bk_bus_config_path(void) { assert_string_equal(bk_bus_config_path(NULL), ""); }
static void c_bk_pool_config_load(void)
{
    assert_int_equal(bk_pool_config_load(NULL, NULL, NULL, NULL, 0), BK_EINVAL);
}
static void c_bk_pool_config_free(void) { bk_pool_config_free(NULL); }
static void c_bk_pool_config_id(void) { assert_string_equal(bk_pool_config_id(NULL), ""); }
static void c_bk_pool_config_bus_id(void) { assert_string_equal(bk_pool_config_bus_id(NULL), ""); }
static void c_bk_pool_config_path(void) { assert_string_equal(bk_pool_config_path(NULL), ""); }
static void c_bk_pool_config_dir(void) { assert_string_equal(bk_pool_config_dir(NULL), ""); }
static void c_bk_pool_config_description(void) { assert_null(bk_pool_config_description(NULL)); }
static void c_bk_pool_config_log_file(void) { assert_null(bk_pool_config_log_file(NULL)); }
static void c_bk_pool_config_workers(void)
{
    const bk_pool_worker *w = (const bk_pool_worker *)g_a;
    assert_int_equal(bk_pool_config_workers(NULL, &w), 0);
    assert_null(w);
    assert_int_equal(bk_pool_config_workers(NULL, NULL), 0);
}

/* error.h, rpc.h */
static void c_bk_strerror(void) { assert_string_equal(bk_strerror(1), "unknown error"); }
static void c_bk_rpc_code_message(void) { assert_string_equal(bk_rpc_code_message(0), "Error"); }

/* log.h: the sink counts what reaches it */
static void c_bk_log_level_name(void) { assert_string_equal(bk_log_level_name(99), "unknown"); }
static void c_bk_log_level_parse(void)
{
    bk_log_level lv = BK_LOG_WARN;
    assert_int_equal(bk_log_level_parse(NULL, &lv), BK_EINVAL);
    assert_int_equal(bk_log_level_parse("info", NULL), BK_EINVAL);
    assert_int_equal(lv, BK_LOG_WARN);
}
static void c_bk_log_set_sink(void)
{
    bk_log_set_sink(NULL, NULL);
    bk_log_set_sink(count_sink, NULL);
}
static void c_bk_log_to_stderr(void)
{
    bk_log_to_stderr();
    bk_log_set_sink(count_sink, NULL);
}
static void c_bk_log_to_file(void)
{
    bk_log_to_file(NULL);  /* stderr */
    bk_log_set_sink(count_sink, NULL);
}
static void c_bk_log_set_level(void) { bk_log_set_level(BK_LOG_INFO); }
static void c_bk_log_get_level(void) { assert_int_equal(bk_log_get_level(), BK_LOG_INFO); }
static void c_bk_log_enabled(void) { assert_int_equal(bk_log_enabled(BK_LOG_TRACE), 0); }
static void c_bk_log_set_tap(void) { bk_log_set_tap(NULL, NULL, NULL, NULL); }
static void c_bk_log(void)
{
    int n = g_nlog;
    bk_log(BK_LOG_ERROR, NULL);
    assert_int_equal(g_nlog, n);
}
static void c_bk_vlog(void)
{
    int n = g_nlog;
    vlog(BK_LOG_ERROR, NULL);
    assert_int_equal(g_nlog, n);
}

/* worker.h */
static void c_bk_worker_new(void)
{
    bk_worker *w = (bk_worker *)g_a;
    assert_int_equal(bk_worker_new(NULL, NULL), BK_EINVAL);
    assert_int_equal(bk_worker_new(&w, NULL), BK_EINVAL);
    assert_null(w);
}
static void c_bk_worker_free(void) { bk_worker_free(NULL); }
static void c_bk_worker_client(void) { assert_null(bk_worker_client(NULL)); }
static void c_bk_worker_hold(void) { assert_null(bk_worker_hold(NULL, 8)); }
static void c_bk_worker_accept(void)
{
    assert_int_equal(bk_worker_accept(NULL, "a.b", h_noop, NULL), BK_EINVAL);
    assert_int_equal(bk_worker_accept(g_w, NULL, h_noop, NULL), BK_EINVAL);
    assert_int_equal(bk_worker_accept(g_w, "a.b", NULL, NULL), BK_EINVAL);
}
static void c_bk_worker_accept_flags(void)
{
    assert_int_equal(bk_worker_accept_flags(NULL, "a.b", BK_ACCEPT_PUBLIC, h_noop, NULL),
                     BK_EINVAL);
    assert_int_equal(bk_worker_accept_flags(g_w, "a.b", 0x100, h_noop, NULL), BK_EINVAL);
}
static void c_bk_request_bind(void)
{
    assert_int_equal(bk_request_bind(NULL, "frontend.u", NULL), BK_EINVAL);
}
static void c_bk_request_unbind(void) { assert_int_equal(bk_request_unbind(NULL), BK_EINVAL); }
static void c_bk_request_unbind_address(void)
{
    assert_int_equal(bk_request_unbind_address(NULL, "frontend.u"), BK_EINVAL);
}
static void c_bk_worker_accept_notification(void)
{
    assert_int_equal(bk_worker_accept_notification(NULL, "a.b", h_noop, NULL), BK_EINVAL);
    assert_int_equal(bk_worker_accept_notification(g_w, NULL, h_noop, NULL), BK_EINVAL);
    assert_int_equal(bk_worker_accept_notification(g_w, "a.b", NULL, NULL), BK_EINVAL);
}
static void c_bk_worker_stop_accepting(void)
{
    assert_int_equal(bk_worker_stop_accepting(NULL), BK_EINVAL);
}
static void c_bk_worker_run(void) { assert_int_equal(bk_worker_run(NULL), BK_EINVAL); }
static void c_bk_worker_stop(void) { bk_worker_stop(NULL); }
static void c_bk_worker_stats_get(void)
{
    bk_worker_stats st = { 1, 2, 3 };
    bk_worker_stats_get(NULL, &st);
    assert_int_equal(st.jobs + st.notifications + st.errors, 0);
    bk_worker_stats_get(g_w, NULL);
}
static void c_bk_request_arena(void) { assert_null(bk_request_arena(NULL)); }
static void c_bk_request_method(void) { assert_string_equal(bk_request_method(NULL), ""); }
static void c_bk_request_tokens(void) { assert_string_equal(bk_request_tokens(NULL), ""); }
static void c_bk_request_session(void) { assert_string_equal(bk_request_session(NULL), ""); }
static void c_bk_request_is_oneway(void) { assert_int_equal(bk_request_is_oneway(NULL), 0); }
static void c_bk_request_worker(void) { assert_null(bk_request_worker(NULL)); }
static void c_bk_request_client(void) { assert_null(bk_request_client(NULL)); }
static void c_bk_request_has_token(void)
{
    assert_int_equal(bk_request_has_token(NULL, "a"), 0);
    assert_int_equal(bk_request_has_token(NULL, NULL), 0);
}
/* The plain forms borrow (the reference stays ours), the _new ones steal even on failure. */
static void c_bk_request_reply(void)
{
    json_t *j = json_string("x");
    assert_int_equal(bk_request_reply(NULL, NULL), BK_EINVAL);
    assert_int_equal(bk_request_reply(NULL, j), BK_EINVAL);
    assert_int_equal(j->refcount, 1);
    json_decref(j);
}
static void c_bk_request_reply_new(void)
{
    json_t *j = json_incref(json_string("x"));
    assert_int_equal(bk_request_reply_new(NULL, NULL), BK_EINVAL);
    assert_int_equal(bk_request_reply_new(NULL, j), BK_EINVAL);
    assert_int_equal(j->refcount, 1);
    json_decref(j);
}
static void c_bk_request_fail(void)
{
    json_t *j = json_string("x");
    assert_int_equal(bk_request_fail(NULL, -1, NULL, NULL), BK_EINVAL);
    assert_int_equal(bk_request_fail(NULL, -1, j, "%s", "why"), BK_EINVAL);
    assert_int_equal(j->refcount, 1);
    json_decref(j);
}
static void c_bk_request_fail_new(void)
{
    json_t *j = json_incref(json_string("x"));
    assert_int_equal(bk_request_fail_new(NULL, -1, NULL, NULL), BK_EINVAL);
    assert_int_equal(bk_request_fail_new(NULL, -1, j, "%s", "why"), BK_EINVAL);
    assert_int_equal(j->refcount, 1);
    json_decref(j);
}

typedef struct api_case {
    const char *name;
    void (*run)(void);
} api_case;

#define CASE(fn) { #fn, c_##fn }
static const api_case g_cases[] = {
    CASE(bk_arena_new), CASE(bk_arena_free), CASE(bk_arena_reset), CASE(bk_arena_alloc),
    CASE(bk_arena_strdup), CASE(bk_arena_strndup), CASE(bk_arena_printf),
    CASE(bk_arena_vprintf), CASE(bk_arena_keep_json), CASE(bk_arena_keep_json_new),
    CASE(bk_arena_used),
    CASE(bk_client_new), CASE(bk_client_free), CASE(bk_client_connect_wait),
    CASE(bk_client_connect_try),
    CASE(bk_client_connected), CASE(bk_client_base), CASE(bk_client_cluster),
    CASE(bk_client_reply_queue), CASE(bk_client_set_tokens), CASE(bk_call),
    CASE(bk_call_async), CASE(bk_call_background), CASE(bk_notify), CASE(bk_subscribe),
    CASE(bk_client_wait_all), CASE(bk_client_flush), CASE(bk_client_run),
    CASE(bk_client_run_for), CASE(bk_client_stop), CASE(bk_client_pending),
    CASE(bk_client_hold),
    CASE(bk_cache_new), CASE(bk_cache_free), CASE(bk_cache_get), CASE(bk_cache_set),
    CASE(bk_cache_set_new), CASE(bk_cache_delete), CASE(bk_cache_touch), CASE(bk_cache_save),
    CASE(bk_cache_synced), CASE(bk_cache_wait_synced), CASE(bk_cache_count),
    CASE(bk_cache_stats_get),
    CASE(bk_bus_config_load), CASE(bk_bus_config_load_cluster),
    CASE(bk_bus_config_free), CASE(bk_bus_config_client_opts),
    CASE(bk_bus_config_id), CASE(bk_bus_config_path), CASE(bk_pool_config_load),
    CASE(bk_pool_config_free), CASE(bk_pool_config_id), CASE(bk_pool_config_bus_id),
    CASE(bk_pool_config_path), CASE(bk_pool_config_dir), CASE(bk_pool_config_description),
    CASE(bk_pool_config_log_file), CASE(bk_pool_config_workers),
    CASE(bk_strerror), CASE(bk_rpc_code_message),
    CASE(bk_log_level_name), CASE(bk_log_level_parse), CASE(bk_log_set_sink),
    CASE(bk_log_to_stderr), CASE(bk_log_to_file), CASE(bk_log_set_level),
    CASE(bk_log_get_level), CASE(bk_log_enabled), CASE(bk_log_set_tap), CASE(bk_log),
    CASE(bk_vlog),
    CASE(bk_worker_new), CASE(bk_worker_free), CASE(bk_worker_client), CASE(bk_worker_hold),
    CASE(bk_worker_accept), CASE(bk_worker_accept_flags), CASE(bk_request_bind),
    CASE(bk_request_unbind), CASE(bk_request_unbind_address),
    CASE(bk_worker_accept_notification), CASE(bk_worker_stop_accepting), CASE(bk_worker_run),
    CASE(bk_worker_stop), CASE(bk_worker_stats_get), CASE(bk_request_arena),
    CASE(bk_request_method), CASE(bk_request_tokens), CASE(bk_request_session),
    CASE(bk_request_is_oneway), CASE(bk_request_worker), CASE(bk_request_client),
    CASE(bk_request_has_token), CASE(bk_request_reply), CASE(bk_request_reply_new),
    CASE(bk_request_fail), CASE(bk_request_fail_new),
};
#define NCASES (sizeof g_cases / sizeof g_cases[0])

static void every_public_function_takes_null(void **st)
{
    (void)st;
    bk_log_set_sink(count_sink, NULL);
    for (size_t i = 0; i < NCASES; i++) {
        print_message("  %s\n", g_cases[i].name);
        g_cases[i].run();
    }
    bk_log_set_sink(NULL, NULL);
}

static int has_case(const char *name, size_t n)
{
    for (size_t i = 0; i < NCASES; i++)
        if (strlen(g_cases[i].name) == n && memcmp(g_cases[i].name, name, n) == 0)
            return 1;
    return 0;
}

/* Every `BK_API ... name(` of the headers is in the table. */
static void the_table_covers_every_function_of_the_headers(void **st)
{
    (void)st;
    static const char *const headers[] = { "arena.h", "cache.h", "client.h", "config.h",
                                           "error.h", "log.h", "module.h", "rpc.h",
                                           "worker.h" };
    size_t found = 0, missing = 0;
    for (size_t h = 0; h < sizeof headers / sizeof headers[0]; h++) {
        char path[512], line[512];
        snprintf(path, sizeof path, "%s/%s", BK_HEADERS_DIR, headers[h]);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "BK_API ", 7) != 0)
                continue;
            char *par = strchr(line, '(');
            assert_non_null(par);
            char *s = par;
            while (s > line && (s[-1] == '_' || (s[-1] >= 'a' && s[-1] <= 'z') ||
                                (s[-1] >= '0' && s[-1] <= '9')))
                s--;
            found++;
            if (!has_case(s, (size_t)(par - s))) {
                print_error("%s: %.*s has no case in test_api.c's table\n", headers[h],
                            (int)(par - s), s);
                missing++;
            }
        }
        fclose(f);
    }
    assert_int_equal(missing, 0);
    assert_int_equal(found, NCASES);
}

/* ------------------------------------------------------------------ constructors */

static void constructors_leave_out_null_on_bad_arguments(void **st)
{
    (void)st;
    static const char *const null_host[] = { NULL };
    bk_client_opts bad[] = {
        { .hosts = g_hosts, .nhosts = 0 },
        { .hosts = NULL, .nhosts = 1 },
        { .hosts = null_host, .nhosts = 1 },
        { .hosts = g_hosts, .nhosts = 1, .cluster = "no spaces" },
        { .hosts = g_hosts, .nhosts = 1, .tokens = "a\r\nb" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bk_client *c = (bk_client *)g_a;
        bk_worker *w = (bk_worker *)g_a;
        bk_worker_opts wo = { .client = bad[i] };
        assert_int_equal(bk_client_new(&c, &bad[i]), BK_EINVAL);
        assert_null(c);
        assert_int_equal(bk_worker_new(&w, &wo), BK_EINVAL);
        assert_null(w);
    }
    bk_bus_config *b = (bk_bus_config *)g_a;
    bk_pool_config *p = (bk_pool_config *)g_a;
    assert_int_equal(bk_bus_config_load(&b, "/nonexistent/beekeeper", NULL, NULL, 0),
                     BK_ENOTFOUND);
    assert_null(b);
    assert_int_equal(bk_pool_config_load(&p, "/nonexistent/beekeeper", NULL, NULL, 0),
                     BK_ENOTFOUND);
    assert_null(p);
}

/* Allocation i fails, for i = 0, 1, ... until the constructor no longer meets a failure:
 * each failure is BK_ENOMEM with *out NULL (and, under SAN=1, leaks nothing). */
#define EACH_ALLOCATION_FAILS(type, make, release)                                           \
    do {                                                                                     \
        for (long i = 0;; i++) {                                                             \
            type *o_ = (type *)g_a;                                                          \
            fail_allocation(i);                                                              \
            int rc_ = make;                                                                  \
            long made_ = g_nalloc;                                                           \
            fail_allocation(-1);                                                             \
            if (rc_ == 0) {                                                                  \
                release(o_);                                                                 \
                if (made_ <= i) {   /* no allocation was left to fail */                     \
                    assert_true(i > 0); /* and one did: the wrapping is in force */          \
                    break;                                                                   \
                }                                                                            \
                continue;       /* the failure was one it can do without */                  \
            }                                                                                \
            assert_int_equal(rc_, BK_ENOMEM);                                                \
            assert_null(o_);                                                                 \
        }                                                                                    \
    } while (0)

static void constructors_leave_out_null_when_memory_runs_out(void **st)
{
    (void)st;
    bk_client_opts co = client_opts();
    bk_worker_opts wo = worker_opts();
    bk_worker_opts wo_reports = { .client = client_opts(), .log_to_bus = 1 };
    EACH_ALLOCATION_FAILS(bk_arena, bk_arena_new(&o_), bk_arena_free);
    EACH_ALLOCATION_FAILS(bk_client, bk_client_new(&o_, &co), bk_client_free);
    EACH_ALLOCATION_FAILS(bk_worker, bk_worker_new(&o_, &wo), bk_worker_free);
    EACH_ALLOCATION_FAILS(bk_worker, bk_worker_new(&o_, &wo_reports), bk_worker_free);
    bk_client *kc = NULL;   /* g_c has given up connecting: a cache cannot subscribe on it */
    assert_int_equal(bk_client_new(&kc, &co), 0);
    bk_client *one[] = { kc };
    bk_cache_opts ko = { .id = "api", .clients = one, .nclients = 1 };
    EACH_ALLOCATION_FAILS(bk_cache, bk_cache_new(&o_, &ko), bk_cache_free);
    bk_client_free(kc);
}

/* BK_ERPC is one of the codes: bk_strerror names it, and every code has its own text. */
static void every_error_code_has_its_own_text(void **st)
{
    (void)st;
    static const int codes[] = { BK_OK, BK_ENOMEM, BK_EINVAL, BK_EPROTO, BK_ETIMEDOUT,
                                 BK_ECLOSED, BK_ELIMIT, BK_EIO, BK_ECONNREFUSED, BK_EAUTH,
                                 BK_EBROKER, BK_ENOTFOUND, BK_ESYNTAX, BK_ESTATE, BK_ERPC };
    size_t n = sizeof codes / sizeof codes[0];
    assert_string_equal(bk_strerror(BK_ERPC), "remote JSON-RPC error");
    assert_string_equal(bk_strerror(-13), "unknown error");    /* BK_EAGAIN's, unused */
    for (size_t i = 0; i < n; i++) {
        assert_string_not_equal(bk_strerror(codes[i]), "unknown error");
        for (size_t k = 0; k < i; k++)
            assert_string_not_equal(bk_strerror(codes[i]), bk_strerror(codes[k]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_public_function_takes_null),
        cmocka_unit_test(the_table_covers_every_function_of_the_headers),
        cmocka_unit_test(constructors_leave_out_null_on_bad_arguments),
        cmocka_unit_test(constructors_leave_out_null_when_memory_runs_out),
        cmocka_unit_test(every_error_code_has_its_own_text),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
