/* Errors between bk_client and bk_worker on a real broker (itest_rpc.h): every JSON-RPC
 * error code reaches the caller unchanged, details only in debug mode, answers that cannot
 * be encoded, malformed request bodies answered while the worker goes on serving. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rpc/client_int.h"
#include "stomp/conn.h"

#include "itest_rpc.h"

static void error_codes_reach_the_caller(void **st)
{
    (void)st;
    NEED_BROKER();
    bk_arena *a;
    bk_arena_new(&a);
    char m[128];
    bk_error err;
    json_t *res;
    svc(m, sizeof m, "a", "nosuch");
    assert_int_equal(bk_call(g_c, m, NULL, NULL, a, &res, &err), BK_ERPC);
    assert_int_equal(err.code, BK_RPC_METHOD_NOT_FOUND);
    svc(m, sizeof m, "a", "fail");
    assert_int_equal(bk_call(g_c, m, NULL, NULL, a, &res, &err), BK_ERPC);
    assert_int_equal(err.code, 1001);
    assert_string_equal(err.message, "No such room r1");
    assert_string_equal(json_string_value(json_object_get(err.data, "room")), "r1");
    svc(m, sizeof m, "a", "fail_defer");
    assert_int_equal(bk_call(g_c, m, NULL, NULL, a, &res, &err), BK_ERPC);
    assert_int_equal(err.code, 1002);
    assert_string_equal(err.message, "failed before deferring");
    svc(m, sizeof m, "a", "crash");
    assert_int_equal(bk_call(g_c, m, NULL, NULL, a, &res, &err), BK_ERPC);
    assert_int_equal(err.code, BK_RPC_SERVER_ERROR);
    assert_non_null(err.data);    /* the worker runs in debug mode */
    svc(m, sizeof m, "a", "params");
    json_t *p = json_pack("{s:i}", "string", 1);
    assert_int_equal(bk_call(g_c, m, p, NULL, a, &res, &err), BK_ERPC);
    json_decref(p);
    assert_int_equal(err.code, BK_RPC_INVALID_PARAMS);
    assert_string_equal(json_string_value(err.data), "string: expected string");
    svc(m, sizeof m, "a", "echo");
    assert_int_equal(bk_call(g_c, m, NULL, &(bk_call_opts){ .tokens = "X|DENY" }, a, &res, &err),
                     BK_ERPC);
    assert_int_equal(err.code, BK_RPC_NOT_AUTHORIZED);
    /* a worker without an authorize hook refuses everything */
    svc(m, sizeof m, "c", "echo");
    assert_int_equal(bk_call(g_c, m, NULL, NULL, a, &res, &err), BK_ERPC);
    assert_int_equal(err.code, BK_RPC_NOT_AUTHORIZED);
    /* bad names never leave the client */
    assert_int_equal(bk_call(g_c, "nodot", NULL, NULL, a, &res, &err), BK_EINVAL);
    assert_int_equal(bk_call(g_c, "a.b/c", NULL, NULL, a, &res, &err), BK_EINVAL);
    bk_arena_free(a);
}

typedef struct raw { int n; int codes[4]; char ids[4][32]; char msgs[4][32]; int data_str[4]; } raw;

static void on_raw(bkp_stomp *s, bkp_sub *sub, const bkp_frame *msg, void *arg)
{
    (void)s;
    (void)sub;
    raw *r = arg;
    json_t *j = json_loadb(msg->body, msg->body_len, 0, NULL);
    if (r->n < 4 && j) {
        json_t *e = json_object_get(j, "error");
        r->codes[r->n] = (int)json_integer_value(json_object_get(e, "code"));
        const char *mess = json_string_value(json_object_get(e, "message"));
        snprintf(r->msgs[r->n], sizeof r->msgs[0], "%s", mess ? mess : "");
        r->data_str[r->n] = json_is_string(json_object_get(e, "data"));   /* the reason */
        const char *id = json_string_value(json_object_get(j, "id"));
        snprintf(r->ids[r->n], sizeof r->ids[0], "%s", id ? id : "null");
        r->n++;
    }
    json_decref(j);
}

static void malformed_bodies_are_answered_and_worker_survives(void **st)
{
    (void)st;
    NEED_BROKER();
    bkp_stomp *s = bkp_client_stomp(g_c);
    raw r = { 0 };
    char tq[64], dest[160];
    snprintf(tq, sizeof tq, "/temp-queue/tmp.raw%s", bkt.sfx);
    assert_int_equal(bkp_stomp_subscribe_temp(s, tq, on_raw, &r, NULL), 0);
    snprintf(dest, sizeof dest, "/queue/req.%s.bkit%s.a", bkt.cluster, bkt.sfx);
    bkp_header h = { "reply-to", tq, 8, (uint32_t)strlen(tq) };
    static const char *bodies[] = { "{not json", "{\"jsonrpc\":\"2.0\",\"method\":5,\"id\":\"x-1\"}",
                                    "[1,2,3]" };
    for (int i = 0; i < 3; i++)
        assert_int_equal(bkp_stomp_send(s, dest, &h, 1, bodies[i], strlen(bodies[i]), NULL, NULL), 0);
    for (int i = 0; i < 100 && r.n < 3; i++)
        bk_client_run_for(g_c, 50);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.codes[0], BK_RPC_PARSE_ERROR);
    assert_string_equal(r.ids[0], "null");
    assert_int_equal(r.codes[1], BK_RPC_INVALID_REQUEST);
    assert_string_equal(r.ids[1], "x-1");
    assert_int_equal(r.codes[2], BK_RPC_INVALID_REQUEST);
    assert_string_equal(r.msgs[0], "Parse error");
    assert_string_equal(r.msgs[1], "Invalid request");
    assert_string_equal(r.msgs[2], "Invalid request");
    for (int i = 0; i < 3; i++)
        assert_true(r.data_str[i]);
    /* still serving */
    bk_arena *a;
    bk_arena_new(&a);
    char m[128];
    bk_error err;
    json_t *res;
    svc(m, sizeof m, "a", "echo");
    assert_int_equal(bk_call(g_c, m, NULL, NULL, a, &res, &err), 0);
    bk_arena_free(a);
}

static void every_protocol_error_reaches_the_caller(void **st)
{
    (void)st;
    NEED_BROKER();
    bk_arena *a;
    bk_arena_new(&a);
    json_t *res, *p;
    bk_error err;
    char m[128];
    int rc;
    /* -32601: a method of a served service that the worker does not accept */
    rc = call_in(g_c, "a", "nosuch", NULL, NULL, 0, a, &res, &err);
    svc(m, sizeof m, "a", "nosuch");
    char want[200];
    snprintf(want, sizeof want, "Method not found: %s", m);
    EXPECT_RPC_ERROR(rc, err, BK_RPC_METHOD_NOT_FOUND, want);
    assert_null(err.data);
    assert_null(res);
    /* -32602 through bk_request_fail, data saying which field */
    p = json_pack("{s:i}", "string", 1);
    rc = call_in(g_c, "a", "params", p, NULL, 0, a, &res, &err);
    json_decref(p);
    EXPECT_RPC_ERROR(rc, err, BK_RPC_INVALID_PARAMS, "Invalid params");
    assert_string_equal(json_string_value(err.data), "string: expected string");
    /* codes chosen by the handler, the protocol's own and the application's, pass unchanged
     * (with data, also from a worker in debug mode) */
    static const struct { int code; const char *msg; const char *data; } cases[] = {
        { 1001, "No such room", "{\"room\":\"r1\"}" },
        { -1, "minus one", NULL },
        { 42, "", "[1,2,3]" },
        { -5000, "custom", "\"text\"" },
        { BK_RPC_INVALID_PARAMS, "Invalid params", "\"a: expected integer\"" },
        { BK_RPC_INTERNAL_ERROR, "Internal error", NULL },
        { BK_RPC_SERVER_ERROR, "chosen by the handler", "{\"k\":1}" },
        { BK_RPC_NOT_AVAILABLE, "Method not available", NULL },
        { BK_RPC_NOT_AUTHENTICATED, "Not authenticated", NULL },
        { BK_RPC_NOT_AUTHORIZED, "Not authorized", "{\"need\":\"ADMIN\"}" },
        { BK_RPC_INVALID_REQUEST, "Invalid request", NULL },
        { BK_RPC_PARSE_ERROR, "Parse error", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *d = cases[i].data ? json_loads(cases[i].data, JSON_DECODE_ANY, NULL) : NULL;
        p = json_pack("{s:i,s:s,s:O?}", "code", cases[i].code, "message", cases[i].msg, "data", d);
        rc = call_in(g_c, "a", "code", p, NULL, 0, a, &res, &err);
        json_decref(p);
        EXPECT_RPC_ERROR(rc, err, cases[i].code, cases[i].msg);
        if (d)
            assert_true(json_equal(err.data, d));
        else
            assert_null(err.data);
        json_decref(d);
    }
    /* bk_request_fail and then return 0: the error is still what is sent */
    p = json_pack("{s:i,s:s,s:b}", "code", 1003, "message", "recorded", "keep_going", 1);
    rc = call_in(g_c, "a", "code", p, NULL, 0, a, &res, &err);
    json_decref(p);
    EXPECT_RPC_ERROR(rc, err, 1003, "recorded");
    /* -31600: nobody serves the service; made by the caller's side */
    rc = call_in(g_c, "nobody", "x", NULL, NULL, 300, a, &res, &err);
    assert_int_equal(rc, BK_ETIMEDOUT);
    assert_int_equal(err.code, BK_RPC_TIMEOUT);
    assert_string_equal(err.message, "Request timeout");
    assert_null(err.data);
    assert_int_equal(bk_client_pending(g_c), 0);
    /* local failures: -32603 with the reason */
    rc = bk_call(g_c, "nodot", NULL, NULL, a, &res, &err);
    assert_int_equal(rc, BK_EINVAL);
    assert_int_equal(err.code, BK_RPC_INTERNAL_ERROR);
    assert_non_null(err.message);
    assert_null(err.data);
    bk_arena_free(a);
}

static void server_error_details_only_in_debug_mode(void **st)
{
    (void)st;
    NEED_BROKER();
    bk_arena *a;
    bk_arena_new(&a);
    json_t *res;
    bk_error err;
    /* a handler returning a negative value without bk_request_fail */
    int rc = call_in(g_c, "f", "crash", NULL, NULL, 0, a, &res, &err);
    EXPECT_RPC_ERROR(rc, err, BK_RPC_SERVER_ERROR, "Server error");
    assert_null(err.data);
    rc = call_in(g_c, "a", "crash", NULL, NULL, 0, a, &res, &err);
    EXPECT_RPC_ERROR(rc, err, BK_RPC_SERVER_ERROR, "Server error");
    assert_non_null(err.data);
    assert_int_equal(json_integer_value(json_object_get(err.data, "status")), BK_EIO);
    assert_string_equal(json_string_value(json_object_get(err.data, "error")),
                        bk_strerror(BK_EIO));
    /* data the handler chose is sent whatever the mode */
    json_t *p = json_pack("{s:i,s:s,s:{s:s}}", "code", 1001, "message", "No such room",
                          "data", "room", "r9");
    rc = call_in(g_c, "f", "code", p, NULL, 0, a, &res, &err);
    json_decref(p);
    EXPECT_RPC_ERROR(rc, err, 1001, "No such room");
    assert_string_equal(json_string_value(json_object_get(err.data, "room")), "r9");
    bk_arena_free(a);
}

static void unencodable_answers_still_reach_the_caller(void **st)
{
    (void)st;
    NEED_BROKER();
    bk_arena *a;
    bk_arena_new(&a);
    json_t *res;
    bk_error err;
    /* a result, or an error message, that JSON cannot carry (not UTF-8): an error, not
     * silence until the caller's timeout */
    int rc = call_in(g_c, "a", "bad_result", NULL, NULL, 3000, a, &res, &err);
    EXPECT_RPC_ERROR(rc, err, BK_RPC_INTERNAL_ERROR, "result could not be encoded");
    rc = call_in(g_c, "a", "bad_message", NULL, NULL, 3000, a, &res, &err);
    EXPECT_RPC_ERROR(rc, err, BK_RPC_INTERNAL_ERROR, "error could not be encoded");
    assert_null(err.data);
    bk_arena_free(a);
}

const wkind rpc_kinds[] = { W_MAIN, W_NOAUTH, W_PLAIN, W_END };

int main(void)
{
    bkt_env_load("itest_rpc_errors", "bkit");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(error_codes_reach_the_caller),
        cmocka_unit_test(malformed_bodies_are_answered_and_worker_survives),
        cmocka_unit_test(every_protocol_error_reaches_the_caller),
        cmocka_unit_test(server_error_details_only_in_debug_mode),
        cmocka_unit_test(unencodable_answers_still_reach_the_caller),
    };
    return cmocka_run_group_tests(tests, rpc_group_setup, rpc_group_teardown);
}
