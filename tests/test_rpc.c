/* Unit tests of the connection-free RPC pieces: arena, log, JSON-RPC codec, names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "beekeeper/arena.h"
#include "beekeeper/client.h"
#include "beekeeper/error.h"
#include "beekeeper/json.h"
#include "beekeeper/log.h"
#include "beekeeper/rpc.h"
#include "rpc/jsonrpc.h"
#include "rpc/names.h"

static void arena_hands_out_zeroed_aligned_memory(void **st)
{
    (void)st;
    bk_arena *a;
    assert_int_equal(bk_arena_new(&a), 0);
    for (int i = 1; i < 2000; i++) {
        unsigned char *p = bk_arena_alloc(a, (size_t)i % 97 + 1);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
        for (int k = 0; k < i % 97 + 1; k++)
            assert_int_equal(p[k], 0);
        memset(p, 0xab, (size_t)i % 97 + 1);
    }
    char *big = bk_arena_alloc(a, 1 << 20);
    assert_non_null(big);
    big[(1 << 20) - 1] = 1;
    assert_true(bk_arena_used(a) >= (1u << 20));
    assert_null(bk_arena_alloc(a, (size_t)1 << 40));
    bk_arena_free(a);
    bk_arena_free(NULL);
}

static void arena_strings_and_printf(void **st)
{
    (void)st;
    bk_arena *a;
    assert_int_equal(bk_arena_new(&a), 0);
    assert_string_equal(bk_arena_strdup(a, "hello"), "hello");
    assert_string_equal(bk_arena_strndup(a, "hello", 3), "hel");
    assert_null(bk_arena_strdup(a, NULL));
    assert_string_equal(bk_arena_printf(a, "%d-%s", 42, "x"), "42-x");
    bk_arena_reset(a);
    assert_int_equal(bk_arena_used(a), 0);
    assert_string_equal(bk_arena_strdup(a, "again"), "again");
    bk_arena_free(a);
}

static void arena_keeps_json_until_freed(void **st)
{
    (void)st;
    bk_arena *a;
    assert_int_equal(bk_arena_new(&a), 0);
    json_t *j = json_string("x");
    json_incref(j);                      /* ours */
    assert_ptr_equal(bk_arena_keep_json_new(a, j), j);   /* the arena's */
    assert_int_equal(j->refcount, 2);
    bk_arena_reset(a);
    assert_int_equal(j->refcount, 1);
    json_incref(j);
    bk_arena_keep_json_new(a, j);
    bk_arena_free(a);
    assert_int_equal(j->refcount, 1);
    json_decref(j);
}

/* The plain form borrows (takes a reference of its own); the _new one steals, even when it
 * cannot keep the value. */
static void arena_keep_json_borrows_and_keep_json_new_steals(void **st)
{
    (void)st;
    bk_arena *a;
    assert_int_equal(bk_arena_new(&a), 0);
    json_t *j = json_string("x");
    assert_ptr_equal(bk_arena_keep_json(a, j), j);
    assert_int_equal(j->refcount, 2);    /* ours and the arena's */
    bk_arena_free(a);
    assert_int_equal(j->refcount, 1);
    assert_null(bk_arena_keep_json(NULL, j));
    assert_int_equal(j->refcount, 1);    /* nothing taken */
    json_incref(j);
    assert_null(bk_arena_keep_json_new(NULL, j));
    assert_int_equal(j->refcount, 1);    /* stolen and dropped */
    assert_null(bk_arena_keep_json(NULL, NULL));
    assert_null(bk_arena_keep_json_new(NULL, NULL));
    json_decref(j);
}

static int g_nlog;
static char g_last[128];
static void sink(bk_log_level lv, const char *msg, void *arg)
{
    (void)arg;
    g_nlog++;
    snprintf(g_last, sizeof g_last, "%s:%s", bk_log_level_name(lv), msg);
    bk_log_error("recursion is dropped");
}

static void log_filters_by_level_and_reaches_sink(void **st)
{
    (void)st;
    bk_log_set_sink(sink, NULL);
    bk_log_set_level(BK_LOG_WARN);
    g_nlog = 0;
    bk_log_info("not shown %d", 1);
    assert_int_equal(g_nlog, 0);
    bk_log_warn("shown %d", 2);
    assert_int_equal(g_nlog, 1);
    assert_string_equal(g_last, "warn:shown 2");
    bk_log_level lv;
    assert_int_equal(bk_log_level_parse("DEBUG", &lv), 0);
    assert_int_equal(lv, BK_LOG_DEBUG);
    assert_int_equal(bk_log_level_parse("loud", &lv), BK_EINVAL);
    bk_log_set_sink(NULL, NULL);
    bk_log_error("nowhere");
    assert_int_equal(g_nlog, 1);
    bk_log_set_level(BK_LOG_INFO);
}

/* A port nobody listens on: bound, then closed. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static char g_round[600];
static void round_sink(bk_log_level lv, const char *msg, void *arg)
{
    (void)arg;
    if (lv == BK_LOG_WARN && !g_round[0] && strstr(msg, "cannot connect to the bus"))
        snprintf(g_round, sizeof g_round, "%s", msg);
}

/* A client whose hosts all refuse logs one warning per round, naming each host and why,
 * and when it tries again. */
static void failed_connection_rounds_are_logged(void **st)
{
    (void)st;
    char h1[32], h2[32];
    snprintf(h1, sizeof h1, "127.0.0.1:%d", closed_port());
    snprintf(h2, sizeof h2, "127.0.0.1:%d", closed_port());
    const char *hosts[] = {h1, h2};
    bk_client *c;
    g_round[0] = '\0';
    bk_log_set_sink(round_sink, NULL);
    assert_int_equal(bk_client_new(&c, &(bk_client_opts){.hosts = hosts, .nhosts = 2}), 0);
    assert_int_not_equal(bk_client_connect_wait(c, 300), 0);
    /* connect_try does not wait out its timeout (60 s would give BK_ETIMEDOUT): it returns
     * the reason once both hosts failed again */
    assert_int_equal(bk_client_connect_try(c, 60000), BK_ECONNREFUSED);
    bk_client_free(c);
    bk_log_set_sink(NULL, NULL);
    /* the first host is drawn at random */
    if (strncmp(g_round, "cannot connect to the bus: 127.0.0.1:", 37) != 0 ||
        !strstr(g_round, h1) || !strstr(g_round, h2) || !strstr(g_round, "; next try in "))
        fail_msg("got \"%s\"", g_round);
}

/* Decodes s (n bytes) as the worker does: from a writable copy, tokens in an arena kept
 * until the test's end. */
static bk_arena *g_ra;

static int decn(const char *s, size_t n, bkp_rpc_msg *m, char *why)
{
    if (!g_ra)
        assert_int_equal(bk_arena_new(&g_ra), 0);
    char *copy = bk_arena_strndup(g_ra, s, n);
    assert_non_null(copy);
    return bkp_rpc_decode(m, g_ra, copy, n, why, 128);
}

static int dec(const char *s, bkp_rpc_msg *m, char *why)
{
    return decn(s, strlen(s), m, why);
}

static json_t *as_json(bkp_rpc_msg *m, uint32_t tok)
{
    json_t *j;
    char why[128];
    assert_int_equal(bkp_rpc_json(m, tok, &j, why, sizeof why), 0);
    return j;
}

static void decode_request_job_and_responses(void **st)
{
    (void)st;
    bkp_rpc_msg m;
    char why[128];
    assert_int_equal(dec("{\"jsonrpc\":\"2.0\",\"method\":\"myapp.str.uc\",\"params\":{\"s\":1},"
                         "\"id\":\"12345678-1\"}", &m, why), 0);
    assert_int_equal(m.kind, BKP_RPC_REQUEST);
    assert_string_equal(m.method, "myapp.str.uc");
    assert_string_equal(m.id_str, "12345678-1");
    json_t *j = as_json(&m, m.params);
    assert_true(json_is_object(j));
    json_decref(j);

    assert_int_equal(dec("{\"jsonrpc\":\"2.0\",\"method\":\"a.b\"}", &m, why), 0);
    assert_int_equal(m.kind, BKP_RPC_NOTIFY);
    assert_int_equal(m.params, BKP_RPC_NONE);
    j = as_json(&m, m.params);
    assert_true(json_is_null(j));

    assert_int_equal(dec("{\"jsonrpc\":\"2.0\",\"result\":[1,2],\"id\":\"x-1\"}", &m, why), 0);
    assert_int_equal(m.kind, BKP_RPC_RESULT);
    j = as_json(&m, m.result);
    assert_int_equal(json_array_size(j), 2);
    json_decref(j);

    assert_int_equal(dec("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":\"nope\","
                         "\"data\":{\"k\":1}},\"id\":\"x-2\"}", &m, why), 0);
    assert_int_equal(m.kind, BKP_RPC_ERROR);
    assert_int_equal(m.code, -32601);
    assert_string_equal(m.message, "nope");
    assert_int_not_equal(m.data, BKP_RPC_NONE);
}

static void decode_rejects_garbage_with_reasons(void **st)
{
    (void)st;
    static const struct { const char *body; int code; const char *why; } cases[] = {
        { "", BK_RPC_PARSE_ERROR, "empty" },
        { "{\"jsonrpc\":", BK_RPC_PARSE_ERROR, "line 1" },
        { "\xff\xfe", BK_RPC_PARSE_ERROR, "" },
        { "[1,2]", BK_RPC_INVALID_REQUEST, "no batches" },
        { "42", BK_RPC_INVALID_REQUEST, "" },
        { "{\"method\":\"a.b\",\"id\":\"1\"}", BK_RPC_INVALID_REQUEST, "jsonrpc" },
        { "{\"jsonrpc\":\"1.0\",\"method\":\"a.b\"}", BK_RPC_INVALID_REQUEST, "jsonrpc" },
        { "{\"jsonrpc\":\"2.0\",\"method\":5,\"id\":\"1\"}", BK_RPC_INVALID_REQUEST, "method" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"nodot\",\"id\":\"1\"}", BK_RPC_INVALID_REQUEST, "method" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"a..b\",\"id\":\"1\"}", BK_RPC_INVALID_REQUEST, "method" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"a.b c\",\"id\":\"1\"}", BK_RPC_INVALID_REQUEST, "method" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"a.b\",\"id\":[1]}", BK_RPC_INVALID_REQUEST, "id" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"a.b\",\"result\":1,\"id\":\"1\"}", BK_RPC_INVALID_REQUEST, "both" },
        { "{\"jsonrpc\":\"2.0\",\"result\":1}", BK_RPC_INVALID_REQUEST, "without id" },
        { "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":\"x\"},\"id\":\"1\"}", BK_RPC_INVALID_REQUEST, "code" },
        { "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":99999999999},\"id\":\"1\"}", BK_RPC_INVALID_REQUEST, "range" },
        { "{\"jsonrpc\":\"2.0\",\"id\":\"1\"}", BK_RPC_INVALID_REQUEST, "no method" },
        { "{\"jsonrpc\":\"2.0\",\"jsonrpc\":\"2.0\",\"method\":\"a.b\"}", BK_RPC_PARSE_ERROR, "duplicate" },
        /* the envelope decoder's own edge cases */
        { "{\"jsonrpc\":\"2.0\",\n\"method\":\"a.b\",\n\"id\":\"1\",}", BK_RPC_PARSE_ERROR, "line 3 column 10" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"a.b\",\"id\":null}", BK_RPC_INVALID_REQUEST, "null on a request" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"a.b\",\"id\":1.5}", BK_RPC_INVALID_REQUEST, "id" },
        { "{\"jsonrpc\":\"2.0\",\"result\":1,\"error\":{\"code\":1},\"id\":\"1\"}", BK_RPC_INVALID_REQUEST, "both result and error" },
        { "{\"jsonrpc\":\"2.0\",\"result\":1,\"id\":null}", BK_RPC_INVALID_REQUEST, "without id" },
        { "{\"jsonrpc\":\"2.0\",\"error\":[1],\"id\":\"1\"}", BK_RPC_INVALID_REQUEST, "code" },
        { "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":1.0},\"id\":\"1\"}", BK_RPC_INVALID_REQUEST, "code" },
        { "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":1,\"code\":2},\"id\":\"1\"}", BK_RPC_PARSE_ERROR, "duplicate" },
        { "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":1,\"message\":\"a\\u0000\"},\"id\":\"1\"}", BK_RPC_PARSE_ERROR, "message" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"a.b\",\"id\":\"1\\u0000\"}", BK_RPC_PARSE_ERROR, "id" },
        { "{\"jsonrpc\":\"2.0\",\"\\u006detho\\u0064\":\"a.b\",\"method\":\"a.c\"}", BK_RPC_PARSE_ERROR, "duplicate object key 'method'" },
        { "{\"jsonrpc\":\"2.0\\u0000\",\"method\":\"a.b\"}", BK_RPC_INVALID_REQUEST, "jsonrpc" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"a.b\"} x", BK_RPC_PARSE_ERROR, "unexpected data" },
        { "\xef\xbb\xbf{\"jsonrpc\":\"2.0\",\"method\":\"a.b\"}", BK_RPC_PARSE_ERROR, "line 1 column 1" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"a.b\",\"params\":\"\xc0\xaf\"}", BK_RPC_PARSE_ERROR, "UTF-8" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bkp_rpc_msg m;
        char why[128];
        int r = dec(cases[i].body, &m, why);
        if (r != cases[i].code || !strstr(why, cases[i].why))
            fail_msg("case %zu (%s): got %d '%s'", i, cases[i].body, r, why);
    }
    /* an invalid request keeps its id so that it can be answered */
    bkp_rpc_msg m;
    char why[128];
    assert_int_equal(dec("{\"jsonrpc\":\"2.0\",\"method\":7,\"id\":\"abc-1\"}", &m, why),
                     BK_RPC_INVALID_REQUEST);
    assert_string_equal(m.id_str, "abc-1");
    assert_int_equal(dec("{\"id\":17,\"jsonrpc\":\"2.0\",\"method\":7}", &m, why),
                     BK_RPC_INVALID_REQUEST);
    assert_int_equal(m.id.type, BK_JSON_NUMBER);
    assert_int_equal(m.id.i, 17);
    /* a NUL inside a method name is refused */
    const char nul[] = "{\"jsonrpc\":\"2.0\",\"method\":\"a.b\\u0000x\",\"id\":\"1\"}";
    assert_int_equal(decn(nul, sizeof nul - 1, &m, why), BK_RPC_PARSE_ERROR);
    /* a raw NUL byte anywhere is not JSON */
    const char raw[] = "{\"jsonrpc\":\"2.0\",\"method\":\"a.b\"}\0";
    assert_int_equal(decn(raw, sizeof raw - 1, &m, why), BK_RPC_PARSE_ERROR);
}

/* Keys spelled with escapes are the keys they decode to; members the protocol does not name
 * are ignored; an integer id is kept as one; params are read no further than their tokens,
 * and what jansson refused in them (a key twice, a \u0000) is refused when they become a
 * jansson tree. */
static void decode_reads_the_envelope_from_tokens(void **st)
{
    (void)st;
    bkp_rpc_msg m;
    char why[128];
    assert_int_equal(dec(" {\"x\":[1,{\"y\":2}],\"\\u0069d\":42,\"jsonrpc\":\"2\\u002e0\","
                         "\"params\":{\"a\":1,\"a\":2},\"me\\u0074hod\":\"a.b\"} ", &m, why), 0);
    assert_int_equal(m.kind, BKP_RPC_REQUEST);
    assert_string_equal(m.method, "a.b");
    assert_int_equal(m.id.type, BK_JSON_NUMBER);
    assert_int_equal(m.id.i, 42);
    assert_null(m.id_str);
    json_t *j;
    assert_int_equal(bkp_rpc_json(&m, m.params, &j, why, sizeof why), BK_RPC_PARSE_ERROR);
    assert_non_null(strstr(why, "duplicate"));
    assert_int_equal(dec("{\"jsonrpc\":\"2.0\",\"method\":\"a.b\",\"params\":[\"\\u0000\"]}", &m,
                         why), 0);
    assert_int_equal(bkp_rpc_json(&m, m.params, &j, why, sizeof why), BK_RPC_PARSE_ERROR);
    /* an error without a message takes its code's; data null is no data */
    assert_int_equal(dec("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"data\":null},"
                         "\"id\":\"k\"}", &m, why), 0);
    assert_string_equal(m.message, "Invalid params");
    assert_int_equal(m.data, BKP_RPC_NONE);
    /* an error response may have a null id */
    assert_int_equal(dec("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32700},\"id\":null}", &m, why),
                     0);
    assert_int_equal(m.id.type, BK_JSON_NULL);
    /* 64 MiB is the most a body may hold */
    assert_int_equal(bkp_rpc_decode(&m, g_ra, (char *)"{}", BKP_RPC_MAX_BODY + 1, why, 128),
                     BK_RPC_PARSE_ERROR);
    assert_non_null(strstr(why, "too large"));
}

static void encode_round_trips(void **st)
{
    (void)st;
    size_t len;
    char *s;
    json_t *p = json_pack("{s:s}", "string", "hi");
    assert_int_equal(bkp_rpc_request_body("myapp.str.uc", p, "00000001-7", &s, &len), 0);
    assert_int_equal(strlen(s), len);
    assert_string_equal(s, "{\"jsonrpc\":\"2.0\",\"method\":\"myapp.str.uc\",\"params\":"
                           "{\"string\":\"hi\"},\"id\":\"00000001-7\"}");
    bkp_rpc_msg m;
    char why[128];
    assert_int_equal(decn(s, len, &m, why), 0);
    assert_int_equal(m.kind, BKP_RPC_REQUEST);
    json_t *j = as_json(&m, m.params);
    assert_true(json_equal(j, p));
    json_decref(j);
    bkp_rpc_id id = m.id;
    free(s);

    assert_int_equal(bkp_rpc_request_body("a.b", NULL, NULL, &s, &len), 0);
    assert_non_null(strstr(s, "\"params\":null"));
    assert_null(strstr(s, "\"id\""));
    free(s);

    assert_int_equal(bkp_rpc_result_body(&id, p, &s, &len), 0);
    assert_int_equal(decn(s, len, &m, why), 0);
    assert_int_equal(m.kind, BKP_RPC_RESULT);
    assert_string_equal(m.id_str, "00000001-7");
    free(s);

    bkp_rpc_id num = { .type = BK_JSON_NUMBER, .i = -5 };
    assert_int_equal(bkp_rpc_result_body(&num, NULL, &s, &len), 0);
    assert_string_equal(s, "{\"jsonrpc\":\"2.0\",\"result\":null,\"id\":-5}");
    free(s);

    assert_int_equal(bkp_rpc_error_body(NULL, BK_RPC_PARSE_ERROR, NULL, NULL, &s, &len), 0);
    assert_string_equal(s, "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32700,\"message\":"
                           "\"Parse error\",\"data\":null},\"id\":null}");
    assert_int_equal(decn(s, len, &m, why), 0);
    assert_int_equal(m.kind, BKP_RPC_ERROR);
    assert_int_equal(m.code, -32700);
    free(s);
    /* what cannot be written is refused, and nothing is left to free */
    assert_int_equal(bkp_rpc_error_body(&id, 1, "\xff", NULL, &s, &len), BK_EINVAL);
    assert_null(s);
    json_decref(p);
}

static void names_follow_the_protocol(void **st)
{
    (void)st;
    char d[128], x[128];
    assert_int_equal(bkp_dest_request(d, sizeof d, "backend", "myapp.str.uc"), 0);
    assert_string_equal(d, "/queue/req.backend.myapp.str");
    assert_int_equal(bkp_dest_request(d, sizeof d, "backend", "myapp.str.*"), 0);
    assert_string_equal(d, "/queue/req.backend.myapp.str");
    assert_int_equal(bkp_dest_notify(d, sizeof d, "backend", "myapp.chat.posted"), 0);
    assert_string_equal(d, "/topic/msg.backend.myapp.chat.posted");
    assert_int_equal(bkp_dest_notify(d, sizeof d, "backend", "myapp.chat.*"), 0);
    assert_string_equal(d, "/topic/msg.backend.myapp.chat.*");
    assert_int_equal(bkp_dest_forward_request(d, sizeof d, x, sizeof x, "backend", "my.svc.m", 2), 0);
    assert_string_equal(d, "/queue/req.backend-2");
    assert_string_equal(x, "/queue/req.backend.my.svc");
    assert_int_equal(bkp_dest_forward_notify(d, sizeof d, x, sizeof x, "frontend", "a.b", "u1", 1), 0);
    assert_string_equal(d, "/queue/msg.frontend-1");
    assert_string_equal(x, "/topic/msg.frontend.a.b@u1");
    assert_int_equal(bkp_dest_log(d, sizeof d, "warn", "myapp.str"), 0);
    assert_string_equal(d, "/topic/log.warn.myapp.str");
    assert_int_equal(bkp_dest_request(d, sizeof d, "backend", "nodot"), BK_EINVAL);
    assert_int_equal(bkp_dest_request(d, sizeof d, "back end", "a.b"), BK_EINVAL);
    assert_int_equal(bkp_dest_request(d, sizeof d, "backend", "a.b/c"), BK_EINVAL);
    assert_int_equal(bkp_dest_request(d, 10, "backend", "a.b"), BK_ELIMIT);
    assert_int_equal(bkp_dest_forward_request(d, sizeof d, x, sizeof x, "b", "a.b", 3), BK_EINVAL);
    assert_int_equal(bkp_dest_temp(d, sizeof d), 0);
    assert_int_equal(strlen(d), strlen("/temp-queue/tmp.") + 16);
    assert_int_equal(strncmp(d, "/temp-queue/tmp.", 16), 0);
    for (const char *p = d + 16; *p; p++)
        assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", *p));
    char dig[9];
    bkp_random_digits8(dig);
    assert_int_equal(strlen(dig), 8);
    assert_int_equal(strspn(dig, "0123456789"), 8);
    size_t sl;
    assert_true(bkp_method_valid("myapp.str.uc", 0, &sl));
    assert_int_equal(sl, 9);
    assert_false(bkp_method_valid("myapp.*", 0, NULL));
    assert_true(bkp_method_valid("myapp.*", 1, NULL));
    assert_false(bkp_method_valid("*.x", 1, NULL));
    assert_false(bkp_method_valid("a.b*", 1, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arena_hands_out_zeroed_aligned_memory),
        cmocka_unit_test(arena_strings_and_printf),
        cmocka_unit_test(arena_keeps_json_until_freed),
        cmocka_unit_test(arena_keep_json_borrows_and_keep_json_new_steals),
        cmocka_unit_test(log_filters_by_level_and_reaches_sink),
        cmocka_unit_test(failed_connection_rounds_are_logged),
        cmocka_unit_test(decode_request_job_and_responses),
        cmocka_unit_test(decode_rejects_garbage_with_reasons),
        cmocka_unit_test(decode_reads_the_envelope_from_tokens),
        cmocka_unit_test(encode_round_trips),
        cmocka_unit_test(names_follow_the_protocol),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    bk_arena_free(g_ra);
    return rc;
}
