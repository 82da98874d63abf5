/* Calls and notifications between bk_client and bk_worker on a real broker (itest_rpc.h):
 * sync and async calls, notifications exact and by pattern, background jobs, timeouts and
 * late answers, deferred and nested calls, 1 MiB of params, a request that expires in the
 * broker's queue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "itest_rpc.h"

static void sync_call_returns_result(void **st)
{
    (void)st;
    NEED_BROKER();
    bk_arena *a;
    bk_arena_new(&a);
    char m[128];
    svc(m, sizeof m, "a", "echo");
    json_t *p = json_pack("{s:s}", "string", "hi"), *res = NULL;
    bk_error err = { 0 };
    int rc = bk_call(g_c, m, p, NULL, a, &res, &err);
    if (rc)
        fail_msg("call: %d %d %s", rc, err.code, err.message);
    assert_true(json_equal(res, p));
    assert_non_null(strstr(bk_client_reply_queue(g_c), "/temp-queue/tmp."));
    json_decref(p);
    bk_arena_free(a);
}

typedef struct acount { int done, ok, bad, order_ok; } acount;

static void async_done(bk_client *c, bk_arena *a, json_t *result, const bk_error *err, void *arg)
{
    (void)c;
    (void)a;
    acount *n = arg;
    n->done++;
    if (err)
        n->bad++;
    else if (json_integer_value(json_object_get(result, "i")) >= 0)
        n->ok++;
}

static void async_calls_complete_exactly_once(void **st)
{
    (void)st;
    NEED_BROKER();
    char m[128];
    svc(m, sizeof m, "a", "echo");
    acount n = { 0 };
    for (int i = 0; i < 50; i++) {
        json_t *p = json_pack("{s:i}", "i", i);
        assert_int_equal(bk_call_async(g_c, m, p, NULL, async_done, &n), 0);
        json_decref(p);
    }
    assert_int_equal(n.done, 0);   /* never from inside the call */
    assert_int_equal(bk_client_wait_all(g_c, 20000), 0);
    assert_int_equal(n.done, 50);
    assert_int_equal(n.ok, 50);
    assert_int_equal(bk_client_pending(g_c), 0);
}

static void on_star(bk_client *c, bk_arena *a, const char *method, json_t *params, void *arg)
{
    (void)c; (void)a; (void)params;
    notes *n = arg;
    n->star++;
    if (strstr(method, ".jobdone") && json_integer_value(json_object_get(params, "k")) == 7)
        n->jobdone++;
}

static void notifications_exact_and_star_and_background_jobs(void **st)
{
    (void)st;
    NEED_BROKER();
    /* static: the subscriptions outlive this test (they last as long as g_c) */
    static notes n;
    char m[128];
    svc(m, sizeof m, "a", "n1");
    assert_int_equal(bk_subscribe(g_c, m, on_n1, &n), 0);
    svc(m, sizeof m, "a", "*");
    assert_int_equal(bk_subscribe(g_c, m, on_star, &n), 0);
    bk_client_run_for(g_c, 300);   /* let the subscriptions reach the broker */
    svc(m, sizeof m, "a", "n1");
    assert_int_equal(bk_notify(g_c, m, NULL, NULL), 0);
    svc(m, sizeof m, "a", "n2");
    assert_int_equal(bk_notify(g_c, m, NULL, NULL), 0);
    /* a background job: the worker answers nothing, but notifies a.jobdone */
    svc(m, sizeof m, "a", "job");
    json_t *p = json_pack("{s:i}", "k", 7);
    assert_int_equal(bk_call_background(g_c, m, p, NULL), 0);
    json_decref(p);
    for (int i = 0; i < 100 && (n.n1 < 1 || n.star < 3 || !n.jobdone); i++)
        bk_client_run_for(g_c, 50);
    assert_int_equal(n.n1, 1);
    assert_int_equal(n.star, 3);    /* n1, n2, jobdone */
    assert_int_equal(n.jobdone, 1);
}

static void timeout_then_late_response_is_dropped(void **st)
{
    (void)st;
    NEED_BROKER();
    bk_arena *a;
    bk_arena_new(&a);
    char m[128];
    bk_error err;
    json_t *res;
    svc(m, sizeof m, "a", "pid");
    json_t *p = json_pack("{s:i}", "ms", 800);
    assert_int_equal(bk_call(g_c, m, p, &(bk_call_opts){ .timeout_ms = 200 }, a, &res, &err),
                     BK_ETIMEDOUT);
    json_decref(p);
    assert_int_equal(err.code, BK_RPC_TIMEOUT);
    assert_int_equal(bk_client_pending(g_c), 0);
    /* the next call gets its own answer, not the late one */
    svc(m, sizeof m, "a", "echo");
    p = json_pack("{s:s}", "after", "timeout");
    assert_int_equal(bk_call(g_c, m, p, NULL, a, &res, &err), 0);
    assert_true(json_equal(res, p));
    json_decref(p);
    bk_arena_free(a);
}

static void deferred_and_nested_calls_carry_tokens(void **st)
{
    (void)st;
    NEED_BROKER();
    bk_arena *a;
    bk_arena_new(&a);
    char m[128];
    bk_error err;
    json_t *res;
    svc(m, sizeof m, "a", "defer");
    assert_int_equal(bk_call(g_c, m, NULL, NULL, a, &res, &err), 0);
    assert_string_equal(json_string_value(res), "later");
    svc(m, sizeof m, "a", "nested");
    int rc = bk_call(g_c, m, NULL, &(bk_call_opts){ .tokens = "T1|T2" }, a, &res, &err);
    if (rc)
        fail_msg("nested: %d %s", err.code, err.message);
    assert_string_equal(json_string_value(json_object_get(res, "inner")), "T1|T2");
    bk_arena_free(a);
}

static void async_errors_and_timeouts_reach_the_callback_once(void **st)
{
    (void)st;
    NEED_BROKER();
    char m[128];
    one f = { 0 }, t = { 0 }, e = { 0 };
    svc(m, sizeof m, "a", "fail");
    assert_int_equal(bk_call_async(g_c, m, NULL, NULL, one_done, &f), 0);
    svc(m, sizeof m, "a", "pid");
    json_t *p = json_pack("{s:i}", "ms", 600);
    assert_int_equal(bk_call_async(g_c, m, p, &(bk_call_opts){ .timeout_ms = 150 }, one_done, &t), 0);
    json_decref(p);
    /* wait_all gives up before the 150 ms timeout of a call pending */
    assert_int_equal(bk_client_wait_all(g_c, 20), BK_ETIMEDOUT);
    assert_int_equal(bk_client_pending(g_c), 1);
    assert_int_equal(t.calls, 0);
    assert_int_equal(bk_client_wait_all(g_c, 5000), 0);
    assert_int_equal(bk_client_pending(g_c), 0);
    assert_int_equal(f.calls, 1);
    assert_int_equal(f.code, 1001);
    assert_string_equal(f.msg, "No such room r1");
    assert_string_equal(f.room, "r1");
    assert_int_equal(t.calls, 1);
    assert_int_equal(t.code, BK_RPC_TIMEOUT);
    assert_string_equal(t.msg, "Request timeout");
    /* the worker answers a.pid late, then this (one worker, in order): by the time this
     * answer is here, the late one came and went */
    svc(m, sizeof m, "a", "echo");
    p = json_pack("{s:s}", "x", "y");
    assert_int_equal(bk_call_async(g_c, m, p, NULL, one_done, &e), 0);
    assert_int_equal(bk_client_wait_all(g_c, 5000), 0);
    assert_int_equal(e.calls, 1);
    assert_int_equal(e.code, 0);
    assert_true(json_equal(e.result, p));
    assert_int_equal(t.calls, 1);
    json_decref(p);
    json_decref(e.result);
}

static void expired_request_is_dropped_by_the_broker(void **st)
{
    (void)st;
    NEED_BROKER();
    /* g has one worker, prefetch 1: while it is busy for 500 ms the next jobs wait in the
     * broker's queue, where their `expiration` (= the 200 ms timeout) ends them */
    char m[128];
    one busy = { 0 };
    svc(m, sizeof m, "g", "busy");
    json_t *p = json_pack("{s:i}", "ms", 500);
    assert_int_equal(bk_call_async(g_c, m, p, &(bk_call_opts){ .timeout_ms = 10000 }, one_done,
                                   &busy), 0);
    json_decref(p);
    bk_arena *a;
    bk_arena_new(&a);
    json_t *res;
    bk_error err;
    int rc = call_in(g_c, "g", "hit", NULL, NULL, 200, a, &res, &err);
    assert_int_equal(rc, BK_ETIMEDOUT);
    assert_int_equal(err.code, BK_RPC_TIMEOUT);
    svc(m, sizeof m, "g", "hit");
    assert_int_equal(bk_call_background(g_c, m, NULL, &(bk_call_opts){ .timeout_ms = 200 }), 0);
    assert_int_equal(bk_client_wait_all(g_c, 10000), 0);
    assert_int_equal(busy.calls, 1);
    assert_int_equal(busy.code, 0);
    json_decref(busy.result);
    /* the first g.hit the worker ever ran is this one */
    rc = call_in(g_c, "g", "hit", NULL, NULL, 5000, a, &res, &err);
    if (rc)
        fail_msg("hit: %d %d %s", rc, err.code, err.message);
    assert_int_equal(json_integer_value(res), 1);
    bk_arena_free(a);
}

static void one_mib_params_round_trip(void **st)
{
    (void)st;
    NEED_BROKER();
    bk_arena *a;
    bk_arena_new(&a);
    char *big = malloc(1 << 20);
    memset(big, 'x', 1 << 20);
    big[(1 << 20) - 1] = 0;
    json_t *p = json_pack("{s:s}", "big", big), *res;
    free(big);
    char m[128];
    bk_error err;
    svc(m, sizeof m, "a", "echo");
    int rc = bk_call(g_c, m, p, NULL, a, &res, &err);
    if (rc)
        fail_msg("1 MiB: %d %d %s", rc, err.code, err.message);
    assert_true(json_equal(res, p));
    json_decref(p);
    bk_arena_free(a);
}

const wkind rpc_kinds[] = { W_MAIN, W_B, W_SLOW, W_END };

int main(void)
{
    bkt_env_load("itest_rpc_calls", "bkit");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sync_call_returns_result),
        cmocka_unit_test(async_calls_complete_exactly_once),
        cmocka_unit_test(notifications_exact_and_star_and_background_jobs),
        cmocka_unit_test(timeout_then_late_response_is_dropped),
        cmocka_unit_test(deferred_and_nested_calls_carry_tokens),
        cmocka_unit_test(async_errors_and_timeouts_reach_the_callback_once),
        cmocka_unit_test(expired_request_is_dropped_by_the_broker),
        /* last: right after it, RabbitMQ (under make check) answered the next small call
         * later than the 20 ms async_errors_and_timeouts_reach_the_callback_once allows */
        cmocka_unit_test(one_mib_params_round_trip),
    };
    return cmocka_run_group_tests(tests, rpc_group_setup, rpc_group_teardown);
}
