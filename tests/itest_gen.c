/* The generated chat service (tests/idl/chat.bkidl) end to end over a broker: a forked worker
 * serves it with typed handlers (myapp_chat_serve), and this process calls every stub kind:
 * sync, async, background (oneway), notify/subscribe; a declared error arrives as its
 * constant; bad params sent through the untyped bk_call are answered -32602 with the path in
 * data before any handler runs; a malformed result is caught at the caller (-32603). The same
 * worker serves tests/idl/names.bkidl, whose parameters have the names the generated C uses
 * itself. Runs on every broker of the integration suite (BK_TEST_*; skipped without one). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "myapp_chat.h"
#include "names_own.h"
#include "itest_env.h"


/* ------------------------------------------------------------------ the worker */

static int g_sends;          /* handler runs, counted in the worker */
static char g_last_log[256]; /* the last line of myapp.chat.log */

static int h_send(bk_request *req, void *ctx, const char *room, const myapp_message *msg,
                  const char **result)
{
    (void)ctx;
    g_sends++;
    if (strcmp(room, "missing") == 0)
        return bk_request_fail(req, MYAPP_NOT_FOUND, NULL, "no room %s", room);
    if (strcmp(room, "sends") == 0) {
        *result = bk_arena_printf(bk_request_arena(req), "%d", g_sends - 1);
        return 0;
    }
    if (strcmp(room, "last-log") == 0) {
        *result = g_last_log;
        return 0;
    }
    /* Echo what arrived, typed: the defaults and optionals as the handler sees them. */
    *result = bk_arena_printf(bk_request_arena(req), "%s:%s:%s:ts=%lld:level=%s:tags=%zu:"
                              "reply_to=%s:at=%lld", room, msg->from, msg->text,
                              (long long)msg->ts, myapp_level_to_string(msg->level),
                              msg->tags.count, msg->reply_to ? msg->reply_to : "(none)",
                              msg->at ? (long long)msg->at->ms : -1LL);
    return 0;
}

static int h_log(bk_request *req, void *ctx, const char *line)
{
    (void)req;
    (void)ctx;
    snprintf(g_last_log, sizeof g_last_log, "%s", line);
    return 0;
}

/* names.own: every parameter arrives under its own name. */
static char g_dropped[64];

static int h_take(bk_request *req, void *ctx, const char *a, const char *c, const char *o,
                  const char *err, const char *result, const char *res, int64_t rc,
                  const char *ctx_, const char *req_, const char *w, const char *arg,
                  const char *in, const char *done, const char *opts, const char *params,
                  const char *ret, const char *pend, const char *p, const char *d,
                  const char *b, const char *e, const char *s, const char *fn, const char *h,
                  const char *j, const char *v, const char *at, const char *fields,
                  const char *i, const char *key, const char *free_, const char *memset_,
                  const char *malloc_, const char *json_object_, const char *json_decref_,
                  const char *out, const char *c_, const int64_t *n, const names_pair *pair,
                  const bk_string_list *strcmp_, const char **taken)
{
    (void)ctx;
    const char *all[] = {a, c, o, err, result, res, ctx_, req_, w, arg, in, done, opts,
                         params, ret, pend, p, d, b, e, s, fn, h, j, v, at, fields, i, key,
                         free_, memset_, malloc_, json_object_, json_decref_, out, c_};
    bk_arena *ar = bk_request_arena(req);
    char *r = bk_arena_printf(ar, "rc=%lld", (long long)rc);
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        r = bk_arena_printf(ar, "%s,%s", r, all[k]);
    r = bk_arena_printf(ar, "%s,n=%lld,pair=%s/%lld,strcmp=%zu,dropped=%s", r,
                        n ? (long long)*n : -1LL, pair ? pair->a : "-",
                        pair && pair->has_b ? (long long)pair->b : -1LL, strcmp_->count,
                        g_dropped);
    *taken = r;
    return 0;
}

static int h_drop(bk_request *req, void *ctx, const char *c, const char *o, const char *in,
                  const char *in_)
{
    (void)req;
    (void)ctx;
    snprintf(g_dropped, sizeof g_dropped, "%s/%s/%s/%s", c, o, in, in_);
    return 0;
}

/* history is served untyped, so that it can answer what the IDL forbids. */
static int raw_history(bk_request *req, json_t *params, void *arg)
{
    (void)arg;
    const char *room = json_string_value(json_object_get(params, "room"));
    json_t *limit = json_object_get(params, "limit");
    if (room && strcmp(room, "bad") == 0)
        return bk_request_reply_new(req, json_pack("[{s:i}]", "from", 1));
    return bk_request_reply_new(req, json_pack("[{s:s, s:s, s:I, s:[s], s:{s:i}, s:n}]", "from",
                                               "w", "text", "t", "ts",
                                               (json_int_t)(limit ? json_integer_value(limit) : 50),
                                               "tags", "x", "counts", "k", 1, "extra"));
}

static int worker_setup(bk_worker **w, void *arg)
{
    (void)arg;
    bk_worker_opts o = {.client = bkt_client_opts(), .authorize = bkt_allow,
                        .on_start = bkt_on_start_ready, .handle_signals = 1,
                        .status_interval_ms = -1};
    myapp_chat_handlers h = {.send = h_send, .log = h_log};
    names_own_handlers nh = {.take = h_take, .drop = h_drop};
    return bk_worker_new(w, &o) || myapp_chat_serve(*w, &h, NULL) ||
           names_own_serve(*w, &nh, NULL) ||
           bk_worker_accept(*w, "myapp.chat.history", raw_history, NULL);
}

static pid_t g_worker = -1;

static void spawn_worker(void)
{
    g_worker = bkt_spawn_worker(worker_setup, NULL, BKT_WORKER_LIFE_S);
    assert_true(g_worker > 0);
}

static void stop_worker(void)
{
    bkt_stop(g_worker, SIGTERM);
    g_worker = -1;
}

/* ------------------------------------------------------------------ the caller */

typedef struct fixture {
    bk_client *c;
    bk_arena *a;
} fixture;

static int setup(void **state)
{
    if (!bkt.broker)
        return 0;
    spawn_worker();
    fixture *f = calloc(1, sizeof *f);
    bk_client_opts o = bkt_client_opts();
    if (!f || bk_client_new(&f->c, &o) || bk_client_connect_wait(f->c, 10000) ||
        bk_arena_new(&f->a))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f) {
        bk_client_wait_all(f->c, 5000);
        bk_client_free(f->c);
        bk_arena_free(f->a);
        free(f);
    }
    stop_worker();
    return 0;
}

static const char *const no_tags[] = {"t1"};

static myapp_message message(void)
{
    return (myapp_message){.from = "ann", .text = "hello", .ts = 7,
                           .tags = {(const char **)no_tags, 1}, .level = MYAPP_LEVEL_MEDIUM};
}

static int sends(fixture *f)
{
    myapp_message m = message();
    const char *r;
    bk_error e;
    assert_int_equal(myapp_chat_send(f->c, NULL, f->a, "sends", &m, &r, &e), 0);
    return atoi(r);
}

static void sync_call_round_trips(void **state)
{
    BKT_NEED_BROKER();
    fixture *f = *state;
    myapp_message m = message();
    common_stamp at = {.ms = 99};
    m.at = &at;
    const char *r = NULL;
    bk_error e;
    assert_int_equal(myapp_chat_send(f->c, NULL, f->a, "r1", &m, &r, &e), 0);
    assert_string_equal(r, "r1:ann:hello:ts=7:level=MEDIUM:tags=1:reply_to=(none):at=99");

    m.reply_to = "x";
    m.at = NULL;
    assert_int_equal(myapp_chat_send(f->c, &(bk_call_opts){.timeout_ms = 3000}, f->a, "r2", &m,
                                     &r, &e), 0);
    assert_string_equal(r, "r2:ann:hello:ts=7:level=MEDIUM:tags=1:reply_to=x:at=-1");

    myapp_message_list hist;
    assert_int_equal(myapp_chat_history(f->c, NULL, f->a, "r1", 3, &hist, &e), 0);
    assert_int_equal(hist.count, 1);
    assert_int_equal(hist.items[0].ts, 3);
    assert_string_equal(hist.items[0].tags.items[0], "x");
    assert_int_equal(hist.items[0].level, MYAPP_LEVEL_LOW); /* absent: the default */
}

static void declared_error_arrives_as_its_constant(void **state)
{
    BKT_NEED_BROKER();
    fixture *f = *state;
    myapp_message m = message();
    const char *r = "unchanged";
    bk_error e;
    assert_int_equal(myapp_chat_send(f->c, NULL, f->a, "missing", &m, &r, &e), BK_ERPC);
    assert_int_equal(e.code, MYAPP_NOT_FOUND);
    assert_string_equal(e.message, "no room missing");
    assert_string_equal(r, "unchanged");
}

typedef struct done_state {
    int calls;
    char result[256];
    int code;
} done_state;

static void on_send_done(bk_client *c, bk_arena *a, const char *result, const bk_error *err,
                         void *arg)
{
    (void)c;
    (void)a;
    done_state *d = arg;
    d->calls++;
    d->code = err ? err->code : 0;
    snprintf(d->result, sizeof d->result, "%s", result ? result : "(null)");
}

static void on_history_done(bk_client *c, bk_arena *a, const myapp_message_list *result,
                            const bk_error *err, void *arg)
{
    (void)c;
    (void)a;
    done_state *d = arg;
    d->calls++;
    d->code = err ? err->code : 0;
    snprintf(d->result, sizeof d->result, "%s",
             err ? (err->data ? json_string_value(err->data) : "") : result->items[0].from);
}

static void async_calls_deliver_typed_results(void **state)
{
    BKT_NEED_BROKER();
    fixture *f = *state;
    myapp_message m = message();
    done_state ok = {0}, bad = {0}, hist = {0};
    assert_int_equal(myapp_chat_send_async(f->c, NULL, "a1", &m, on_send_done, &ok), 0);
    assert_int_equal(myapp_chat_send_async(f->c, NULL, "missing", &m, on_send_done, &bad), 0);
    assert_int_equal(myapp_chat_history_async(f->c, NULL, "bad", 1, on_history_done, &hist), 0);
    assert_int_equal(bk_client_wait_all(f->c, 10000), 0);
    assert_int_equal(ok.calls, 1);
    assert_int_equal(ok.code, 0);
    assert_string_equal(ok.result, "a1:ann:hello:ts=7:level=MEDIUM:tags=1:reply_to=(none):at=-1");
    assert_int_equal(bad.calls, 1);
    assert_int_equal(bad.code, MYAPP_NOT_FOUND);
    assert_string_equal(bad.result, "(null)");
    assert_int_equal(hist.calls, 1);
    assert_int_equal(hist.code, BK_RPC_INTERNAL_ERROR);
    assert_string_equal(hist.result, "result[0].from: expected string, got int");
}

static void oneway_and_background_reach_the_handler(void **state)
{
    BKT_NEED_BROKER();
    fixture *f = *state;
    myapp_message m = message();
    const char *r;
    bk_error e;
    int before = sends(f);
    assert_int_equal(myapp_chat_log(f->c, NULL, "a line"), 0);
    assert_int_equal(myapp_chat_send_background(f->c, NULL, "bg", &m), 0);
    /* One worker takes its queue in order: the jobs ran before this call. */
    assert_int_equal(myapp_chat_send(f->c, NULL, f->a, "last-log", &m, &r, &e), 0);
    assert_string_equal(r, "a line");
    assert_int_equal(sends(f), before + 3); /* the first sends(), bg and last-log */
}

typedef struct posted_state {
    int calls;
    char room[64], from[64];
    int64_t ts;
} posted_state;

static void on_posted(bk_client *c, bk_arena *a, const char *room, const myapp_message *msg,
                      void *arg)
{
    (void)c;
    (void)a;
    posted_state *p = arg;
    p->calls++;
    snprintf(p->room, sizeof p->room, "%s", room);
    snprintf(p->from, sizeof p->from, "%s", msg->from);
    p->ts = msg->ts;
}

static void notifications_arrive_typed(void **state)
{
    BKT_NEED_BROKER();
    fixture *f = *state;
    posted_state p = {0};
    assert_int_equal(myapp_chat_posted_subscribe(f->c, on_posted, &p), 0);
    bk_client_run_for(f->c, 300); /* the SUBSCRIBE reaches the broker */
    myapp_message m = message();
    /* A notification that breaks the IDL is dropped before the callback. */
    json_t *bad = json_pack("{s:s, s:{s:i}}", "room", "r", "msg", "from", 1);
    assert_int_equal(bk_notify(f->c, "myapp.chat.posted", bad, NULL), 0);
    json_decref(bad);
    assert_int_equal(myapp_chat_posted_notify(f->c, NULL, "lobby", &m), 0);
    for (int i = 0; i < 100 && p.calls == 0; i++)
        bk_client_run_for(f->c, 50);
    bk_client_run_for(f->c, 100);
    assert_int_equal(p.calls, 1);
    assert_string_equal(p.room, "lobby");
    assert_string_equal(p.from, "ann");
    assert_int_equal(p.ts, 7);
}

static void bad_params_are_refused_before_the_handler(void **state)
{
    BKT_NEED_BROKER();
    fixture *f = *state;
    static const struct {
        const char *params, *data;
    } cases[] = {
        {"{\"room\":\"r\",\"msg\":{\"from\":\"a\",\"text\":\"t\",\"ts\":\"x\",\"tags\":[],"
         "\"counts\":{},\"extra\":null}}", "msg.ts: expected int, got string"},
        {"{\"room\":\"r\"}", "msg: missing"},
        {"{\"room\":\"r\",\"msg\":{\"from\":\"a\",\"text\":\"t\",\"tags\":[],\"counts\":{},"
         "\"extra\":null},\"x\":1}", "x: unknown field"},
        {"{\"room\":5,\"msg\":{}}", "room: expected string, got int"},
        {"[1]", "params: expected object, got list"},
    };
    int before = sends(f);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *p = json_loads(cases[i].params, 0, NULL), *res;
        bk_error e;
        assert_non_null(p);
        assert_int_equal(bk_call(f->c, "myapp.chat.send", p, NULL, f->a, &res, &e), BK_ERPC);
        json_decref(p);
        assert_int_equal(e.code, BK_RPC_INVALID_PARAMS);
        assert_non_null(e.data);
        assert_string_equal(json_string_value(e.data), cases[i].data);
    }
    assert_int_equal(sends(f), before + 1); /* only the first sends(): no bad call ran */
}

static void malformed_result_is_an_error_at_the_caller(void **state)
{
    BKT_NEED_BROKER();
    fixture *f = *state;
    myapp_message_list hist = {0};
    bk_error e;
    assert_int_equal(myapp_chat_history(f->c, NULL, f->a, "bad", 1, &hist, &e), BK_EPROTO);
    assert_int_equal(e.code, BK_RPC_INTERNAL_ERROR);
    assert_string_equal(json_string_value(e.data), "result[0].from: expected string, got int");
    assert_int_equal(hist.count, 0);
}

/* names.bkidl's parameters are called c, o, a, result, err, ctx, req, arg, free, memset...:
 * the stubs and handlers compile (with the house flags) and pass each one on. */
static void parameters_may_have_the_generated_names(void **state)
{
    BKT_NEED_BROKER();
    fixture *f = *state;
    const char *items[] = {"x", "y"};
    bk_string_list l = {items, 2};
    names_pair pair = {.a = "pa", .has_b = true, .b = 3};
    int64_t n = 7;
    const char *r = NULL;
    bk_error e;
    assert_int_equal(names_own_drop(f->c, NULL, "c", "o", "in", "in_"), 0);
    assert_int_equal(names_own_take(f->c, NULL, f->a, "a", "c", "o", "err", "result", "res", 42,
                                    "ctx", "req", "w", "arg", "in", "done", "opts", "params",
                                    "ret", "pend", "p", "d", "b", "e", "s", "fn", "h", "j", "v",
                                    "at", "fields", "i", "key", "free", "memset", "malloc",
                                    "json_object", "json_decref", "out", "c_", &n, &pair, &l, &r,
                                    &e),
                     0);
    assert_string_equal(r, "rc=42,a,c,o,err,result,res,ctx,req,w,arg,in,done,opts,params,ret,"
                           "pend,p,d,b,e,s,fn,h,j,v,at,fields,i,key,free,memset,malloc,"
                           "json_object,json_decref,out,c_,n=7,pair=pa/3,strcmp=2,"
                           "dropped=c/o/in/in_");
    /* without the optional ones; none has no handler: not served (-32601) */
    assert_int_equal(names_own_take(f->c, NULL, f->a, "a", "c", "o", "err", "result", "res", 0,
                                    "ctx", "req", "w", "arg", "in", "done", "opts", "params",
                                    "ret", "pend", "p", "d", "b", "e", "s", "fn", "h", "j", "v",
                                    "at", "fields", "i", "key", "free", "memset", "malloc",
                                    "json_object", "json_decref", "out", "c_", NULL, NULL, &l,
                                    &r, &e),
                     0);
    assert_non_null(strstr(r, ",n=-1,pair=-/-1,"));
    int64_t none;
    bk_call_opts quick = {.timeout_ms = 3000};
    assert_int_equal(names_own_none(f->c, &quick, f->a, &none, &e), BK_ERPC);
    assert_int_equal(e.code, BK_RPC_METHOD_NOT_FOUND);
}

int main(void)
{
    bkt_env_load("itest_gen", "bkgen");
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(sync_call_round_trips, setup, teardown),
        cmocka_unit_test_setup_teardown(declared_error_arrives_as_its_constant, setup, teardown),
        cmocka_unit_test_setup_teardown(async_calls_deliver_typed_results, setup, teardown),
        cmocka_unit_test_setup_teardown(oneway_and_background_reach_the_handler, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(notifications_arrive_typed, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_params_are_refused_before_the_handler, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(malformed_result_is_an_error_at_the_caller, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(parameters_may_have_the_generated_names, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
