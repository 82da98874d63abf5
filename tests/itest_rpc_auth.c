/* Authorization by bk_worker's hook on a real broker (itest_rpc.h): what the hook decides
 * and how it refuses, the caller's tokens, and one-way jobs and notifications, which pass
 * the hook too (the exact notification handler wins over the pattern). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "itest_rpc.h"

static void authorize_hook_decides_and_chooses_the_refusal(void **st)
{
    (void)st;
    NEED_BROKER();
    bk_arena *a;
    bk_arena_new(&a);
    json_t *res;
    bk_error err;
    int rc;
    /* a hook that allows */
    rc = call_in(g_c, "e", "open", NULL, NULL, 0, a, &res, &err);
    if (rc)
        fail_msg("open: %d %d %s", rc, err.code, err.message);
    assert_string_equal(json_string_value(res), "");
    /* BK_AUTH_DENY, and any value other than BK_AUTH_ALLOW, is -403 */
    rc = call_in(g_c, "e", "deny", NULL, "SECRET", 0, a, &res, &err);
    EXPECT_RPC_ERROR(rc, err, BK_RPC_NOT_AUTHORIZED, "Not authorized");
    assert_null(err.data);
    assert_null(res);
    rc = call_in(g_c, "e", "truthy", NULL, "SECRET", 0, a, &res, &err);
    EXPECT_RPC_ERROR(rc, err, BK_RPC_NOT_AUTHORIZED, "Not authorized");
    /* allowed only with the token SECRET in x-auth-tokens, matched exactly */
    rc = call_in(g_c, "e", "token", NULL, NULL, 0, a, &res, &err);
    EXPECT_RPC_ERROR(rc, err, BK_RPC_NOT_AUTHORIZED, "Not authorized");
    rc = call_in(g_c, "e", "token", NULL, "SECRETX|xSECRET|SECRE", 0, a, &res, &err);
    EXPECT_RPC_ERROR(rc, err, BK_RPC_NOT_AUTHORIZED, "Not authorized");
    rc = call_in(g_c, "e", "token", NULL, "A|SECRET", 0, a, &res, &err);
    if (rc)
        fail_msg("token: %d %d %s", rc, err.code, err.message);
    assert_string_equal(json_string_value(res), "A|SECRET");
    /* the client's default tokens count too, and can be taken away */
    bk_client_opts o = bkt_client_opts();
    o.tokens = "SECRET";
    bk_client *c2;
    assert_int_equal(bk_client_new(&c2, &o), 0);
    assert_int_equal(bk_client_connect_wait(c2, 5000), 0);
    rc = call_in(c2, "e", "token", NULL, NULL, 0, a, &res, &err);
    assert_int_equal(rc, 0);
    assert_string_equal(json_string_value(res), "SECRET");
    assert_int_equal(bk_client_set_tokens(c2, NULL), 0);
    rc = call_in(c2, "e", "token", NULL, NULL, 0, a, &res, &err);
    bk_client_free(c2);
    EXPECT_RPC_ERROR(rc, err, BK_RPC_NOT_AUTHORIZED, "Not authorized");
    /* the hook chooses the refusal with bk_request_fail */
    rc = call_in(g_c, "e", "authn", NULL, NULL, 0, a, &res, &err);
    EXPECT_RPC_ERROR(rc, err, BK_RPC_NOT_AUTHENTICATED, "Who are you?");
    assert_null(err.data);
    /* ... but an error recorded by a hook that then allows is forgotten */
    rc = call_in(g_c, "e", "failallow", NULL, NULL, 0, a, &res, &err);
    if (rc)
        fail_msg("failallow: %d %d %s", rc, err.code, err.message);
    assert_string_equal(json_string_value(res), "");
    /* no hook: everything is refused, whatever the tokens */
    rc = call_in(g_c, "c", "echo", NULL, NULL, 0, a, &res, &err);
    EXPECT_RPC_ERROR(rc, err, BK_RPC_NOT_AUTHORIZED, "Not authorized");
    assert_null(err.data);
    rc = call_in(g_c, "c", "echo", NULL, "SECRET|BKPR_SYSTEM|BKPR_ADMIN", 0, a, &res, &err);
    EXPECT_RPC_ERROR(rc, err, BK_RPC_NOT_AUTHORIZED, "Not authorized");
    bk_arena_free(a);
}

/* What the worker of service e reports on h.ran: one entry per job/notification it ran. */
typedef struct ran { int n; char what[32][40]; int secret[32]; } ran;

static ran g_ran;

static void on_ran(bk_client *c, bk_arena *a, const char *method, json_t *params, void *arg)
{
    (void)c;
    (void)a;
    (void)method;
    (void)arg;
    if (g_ran.n >= 32)
        return;
    const char *m = json_string_value(json_object_get(params, "method"));
    const char *via = json_string_value(json_object_get(params, "via"));
    const char *tok = json_string_value(json_object_get(params, "tokens"));
    m = m && strrchr(m, '.') ? strrchr(m, '.') + 1 : "?";
    snprintf(g_ran.what[g_ran.n], sizeof g_ran.what[0], "%s/%s", m, via ? via : "?");
    g_ran.secret[g_ran.n] = tok && strstr(tok, "SECRET") != NULL;
    g_ran.n++;
}

static int ran_count(const char *what)
{
    int k = 0;
    for (int i = 0; i < g_ran.n; i++)
        k += strcmp(g_ran.what[i], what) == 0;
    return k;
}

static void wait_ran(const char *what)
{
    for (int i = 0; i < 100 && !ran_count(what); i++)
        bk_client_run_for(g_c, 50);
    if (!ran_count(what))
        fail_msg("%s never ran (%d others did)", what, g_ran.n);
}

static void oneway_jobs_and_notifications_pass_the_hook_and_exact_wins(void **st)
{
    (void)st;
    NEED_BROKER();
    static int subscribed;
    char m[128];
    if (!subscribed) {
        svc(m, sizeof m, "h", "ran");
        assert_int_equal(bk_subscribe(g_c, m, on_ran, NULL), 0);
        bk_client_run_for(g_c, 300);   /* let the subscription reach the broker */
        subscribed = 1;
    }
    memset(&g_ran, 0, sizeof g_ran);
    bk_call_opts secret = { .tokens = "SECRET" };
    /* background jobs: refused without the token (nobody is told), run with it */
    svc(m, sizeof m, "e", "job1");
    assert_int_equal(bk_call_background(g_c, m, NULL, NULL), 0);
    svc(m, sizeof m, "e", "job2");
    assert_int_equal(bk_call_background(g_c, m, NULL, &secret), 0);
    /* notifications to the worker (its e.* subscription): the same */
    svc(m, sizeof m, "e", "note1");
    assert_int_equal(bk_notify(g_c, m, NULL, NULL), 0);
    svc(m, sizeof m, "e", "note2");
    assert_int_equal(bk_notify(g_c, m, NULL, &secret), 0);
    /* one queue, one topic subscription, each FIFO: once the second of each pair ran, the
     * first was decided */
    wait_ran("job2/job");
    wait_ran("note2/star");
    assert_int_equal(ran_count("job1/job"), 0);
    assert_int_equal(ran_count("note1/star"), 0);
    /* the worker subscribes e.* and e.one: e.one runs the exact handler once, e.two the
     * star one; requests: e.exact has its own handler beside e.* */
    svc(m, sizeof m, "e", "one");
    assert_int_equal(bk_notify(g_c, m, NULL, &secret), 0);
    svc(m, sizeof m, "e", "two");
    assert_int_equal(bk_notify(g_c, m, NULL, &secret), 0);
    svc(m, sizeof m, "e", "three");
    assert_int_equal(bk_notify(g_c, m, NULL, &secret), 0);
    wait_ran("three/star");
    wait_ran("one/exact");
    bk_client_run_for(g_c, 200);   /* room for a duplicate to show up */
    assert_int_equal(ran_count("one/exact"), 1);
    assert_int_equal(ran_count("one/star"), 0);
    assert_int_equal(ran_count("two/star"), 1);
    assert_int_equal(g_ran.n, 5);   /* job2, note2, one, two, three */
    for (int i = 0; i < g_ran.n; i++)
        assert_true(g_ran.secret[i]);
    bk_arena *a;
    bk_arena_new(&a);
    json_t *res;
    bk_error err;
    assert_int_equal(call_in(g_c, "e", "exact", NULL, "SECRET", 0, a, &res, &err), 0);
    assert_string_equal(json_string_value(res), "exact");
    assert_int_equal(call_in(g_c, "e", "other", NULL, "SECRET", 0, a, &res, &err), 0);
    assert_string_equal(json_string_value(res), "SECRET");
    bk_arena_free(a);
}

const wkind rpc_kinds[] = { W_AUTH, W_NOAUTH, W_END };

int main(void)
{
    bkt_env_load("itest_rpc_auth", "bkit");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(authorize_hook_decides_and_chooses_the_refusal),
        cmocka_unit_test(oneway_jobs_and_notifications_pass_the_hook_and_exact_wins),
    };
    return cmocka_run_group_tests(tests, rpc_group_setup, rpc_group_teardown);
}
