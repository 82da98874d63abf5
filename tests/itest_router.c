/* The Router between a frontend bus and the backend (BK_TEST_*: the harness's broker is the
 * backend, on bkpr-broker or RabbitMQ; the frontend is a bkpr-broker of the test's own on a
 * loopback port chosen at run time). A router and an application worker run as forked
 * processes; the test is a client of the frontend, as a browser or chat client would be:
 * calls and background jobs through the lanes, @public, sessions (bind, tokens), broadcast
 * and unicast notifications, and hostile input that the router drops while it goes on
 * serving the others. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "beekeeper/client.h"
#include "beekeeper/log.h"
#include "beekeeper/worker.h"
#include "rpc/bus.h"
#include "services/router.h"
#include "itest_env.h"

static char g_dir[64], g_front[32], g_front_addr[64], g_svc[64], g_log[96];
static const char *g_front_hosts[1] = { g_front_addr };
static pid_t g_broker, g_kids[3];
static bk_client *g_c;          /* on the frontend */

static void m(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s.%s", g_svc, name);
}

/* ------------------------------------------------------------------ the application worker */

static int w_echo(bk_request *req, json_t *params, void *arg)
{
    (void)arg;
    return bk_request_reply_new(req, json_pack("{s:O, s:s, s:s}", "params", params, "session",
                                               bk_request_session(req), "tokens",
                                               bk_request_tokens(req)));
}

static int w_private(bk_request *req, json_t *params, void *arg)
{
    (void)params;
    (void)arg;
    return bk_request_reply_new(req, json_string("private"));
}

/* A public method whose handler calls a private one: the nested call reaches it. */
static int w_nested(bk_request *req, json_t *params, void *arg)
{
    (void)params;
    (void)arg;
    char meth[128];
    json_t *res = NULL;
    bk_arena *a;
    bk_arena_new(&a);
    m(meth, sizeof meth, "private");
    int rc = bk_call(bk_request_client(req), meth, NULL, NULL, a, &res, NULL);
    rc = rc ? rc : bk_request_reply(req, res);
    bk_arena_free(a);
    return rc;
}

static int w_login(bk_request *req, json_t *params, void *arg)
{
    (void)arg;
    char addr[128], tok[128];
    const char *name = json_string_value(json_object_get(params, "name"));
    snprintf(addr, sizeof addr, "%s.user-%s", g_front, name ? name : "x");
    snprintf(tok, sizeof tok, "USER|%s", name ? name : "x");
    int rc = bk_request_bind(req, addr, tok);
    return rc ? rc : bk_request_reply_new(req, json_true());
}

/* Notifies the frontend: params {"to": name} is unicast to user-{name}, else broadcast. */
static int w_push(bk_request *req, json_t *params, void *arg)
{
    (void)arg;
    char addr[128], meth[128];
    const char *to = json_string_value(json_object_get(params, "to"));
    if (to)
        snprintf(addr, sizeof addr, "%s.user-%s", g_front, to);
    else
        snprintf(addr, sizeof addr, "%s", g_front);
    m(meth, sizeof meth, to ? "note" : "news");
    bk_call_opts o = { .address = addr };
    int rc = bk_notify(bk_request_client(req), meth, params, &o);
    return rc ? rc : bk_request_reply_new(req, json_true());
}

static int app_setup(bk_worker **w, void *arg)
{
    (void)arg;
    static bk_module_hooks h;
    char meth[128];
    bk_worker_opts o = {.client = bkt_client_opts(), .handle_signals = 1,
                        .status_interval_ms = -1};
    bkt_module_hooks(&o, &h);
    h.authorize = bkt_allow;
    int rc = bk_worker_new(w, &o);
    struct { const char *name; bk_handler_fn *fn; unsigned flags; } t[] = {
        {"echo", w_echo, BK_ACCEPT_PUBLIC}, {"private", w_private, 0},
        {"nested", w_nested, BK_ACCEPT_PUBLIC}, {"login", w_login, BK_ACCEPT_PUBLIC},
        {"push", w_push, BK_ACCEPT_PUBLIC},
    };
    for (size_t i = 0; !rc && i < sizeof t / sizeof t[0]; i++) {
        m(meth, sizeof meth, t[i].name);
        rc = bk_worker_accept_flags(*w, meth, t[i].flags, t[i].fn, NULL);
    }
    return rc;
}

static int router_setup(bk_worker **w, void *arg)
{
    (void)arg;
    static bk_module_hooks h;
    bk_worker_opts o = {.client = bkt_client_opts(), .handle_signals = 1,
                        .status_interval_ms = -1};
    bkt_module_hooks(&o, &h);
    json_t *opts = json_pack("{s:s, s:s, s:i}", "frontend_cluster", g_front, "config_dir", g_dir,
                             "max_body_bytes", 4096);
    int rc = bk_worker_new(w, &o) || bkp_router_module.setup(*w, opts, &h);
    json_decref(opts);
    return rc;
}

/* ------------------------------------------------------------------ the frontend broker */

/* What the test's client heard of the notifications svc.news (broadcast) and svc.note
 * (unicast to its address), subscribed once. */
typedef struct heard {
    int n;
    char last[256];
} heard;
static heard g_news, g_note;

static void on_note(bk_client *c, bk_arena *a, const char *method, json_t *params, void *arg)
{
    (void)c;
    (void)a;
    (void)method;
    heard *h = arg;
    h->n++;
    snprintf(h->last, sizeof h->last, "%s", json_string_value(json_object_get(params, "text")));
}


static pid_t start_front_broker(int port)
{
    char bin[512], listen[64];
    const char *b = getenv("B"), *env = getenv("BK_BROKER_BIN");
    if (env && *env)
        snprintf(bin, sizeof bin, "%s", env);
    else
        snprintf(bin, sizeof bin, "%s/bin/bkpr-broker", b && *b ? b : "build");
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(g_log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execl(bin, bin, "--listen", listen, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static int setup_all(void **st)
{
    (void)st;
    if (!bkt.broker)
        return 0;
    snprintf(g_front, sizeof g_front, "fe%s", bkt.sfx);
    snprintf(g_svc, sizeof g_svc, "rt%s.app", bkt.sfx);
    snprintf(g_log, sizeof g_log, "/tmp/bkit-front-%d.log", (int)getpid());
    int port = bkt_free_port();
    snprintf(g_front_addr, sizeof g_front_addr, "127.0.0.1:%d", port);
    g_broker = start_front_broker(port);
    bkt_config_dir(g_dir, sizeof g_dir, "router", NULL);
    /* the frontend bus, beside the backend's entry */
    char path[128];
    snprintf(path, sizeof path, "%s/bus.config.json", g_dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "[{\"bus-id\":\"%s\",\"host\":\"127.0.0.1\",\"port\":%d}]\n", g_front, port);
    fclose(f);
    g_kids[0] = bkt_spawn_worker(router_setup, NULL, BKT_WORKER_LIFE_S);
    /* two: a handler's nested call is served by the other one (a worker holds the jobs that
     * come while its handler waits) */
    g_kids[1] = bkt_spawn_worker(app_setup, NULL, BKT_WORKER_LIFE_S);
    g_kids[2] = bkt_spawn_worker(app_setup, NULL, BKT_WORKER_LIFE_S);
    bk_client_opts o = {.hosts = g_front_hosts, .nhosts = 1, .cluster = g_front,
                        .timeout_ms = 3000};
    for (int i = 0; i < 100 && !g_c; i++) {
        if (bk_client_new(&g_c, &o) != 0 || bk_client_connect_wait(g_c, 200) != 0) {
            bk_client_free(g_c);
            g_c = NULL;
            usleep(50000);
        }
    }
    char meth[128];
    m(meth, sizeof meth, "news");
    if (g_c && bk_subscribe(g_c, meth, on_note, &g_news) != 0)
        return -1;
    m(meth, sizeof meth, "note");
    if (g_c && bk_subscribe(g_c, meth, on_note, &g_note) != 0)
        return -1;
    return g_kids[0] > 0 && g_kids[1] > 0 && g_kids[2] > 0 && g_c ? 0 : -1;
}

static int teardown_all(void **st)
{
    (void)st;
    bk_client_free(g_c);
    for (int i = 0; i < 3; i++)
        if (g_kids[i] > 0)
            bkt_stop(g_kids[i], SIGTERM);
    if (g_broker > 0) {
        kill(g_broker, SIGTERM);
        waitpid(g_broker, NULL, 0);
    }
    bkt_config_dir_remove(g_dir);
    return 0;
}

/* ------------------------------------------------------------------ helpers */

/* Calls svc.name through the router; the first calls wait for the router's lanes. */
static int call(const char *name, json_t *params, const char *tokens, bk_arena *a,
                json_t **res, bk_error *err)
{
    char meth[128];
    m(meth, sizeof meth, name);
    bk_call_opts o = { .forward_to = bkt.cluster, .tokens = tokens, .timeout_ms = 2000 };
    return bk_call(g_c, meth, params, &o, a, res, err);
}

/* A call that must succeed (retried while the router's lanes come up); params are taken. */
static json_t *call_ok(const char *name, json_t *params, bk_arena *a)
{
    json_t *res = NULL;
    int rc = BK_ETIMEDOUT;
    for (int i = 0; i < 15 && rc == BK_ETIMEDOUT; i++)
        rc = call(name, params, NULL, a, &res, NULL);
    json_decref(params);
    assert_int_equal(rc, 0);
    return res;
}

static void wait_heard(heard *h, int n)
{
    for (int i = 0; i < 100 && h->n < n; i++)
        bk_client_run_for(g_c, 50);
}

/* ------------------------------------------------------------------ tests */

static void a_call_crosses_the_router_with_a_session(void **st)
{
    (void)st;
    BKT_NEED_BROKER();
    bk_arena *a;
    bk_arena_new(&a);
    json_t *r = call_ok("echo", json_pack("[i]", 42), a);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(r, "params"), 0)), 42);
    const char *sid = json_string_value(json_object_get(r, "session"));
    assert_non_null(sid);
    assert_true(strlen(sid) >= 16);
    assert_null(strchr(sid, '.'));
    bk_arena_free(a);
}

static void a_private_method_is_not_found_from_the_frontend(void **st)
{
    (void)st;
    BKT_NEED_BROKER();
    bk_arena *a;
    bk_arena_new(&a);
    call_ok("echo", NULL, a);
    bk_error err = {0};
    assert_int_equal(call("private", NULL, NULL, a, NULL, &err), BK_ERPC);
    assert_int_equal(err.code, BK_RPC_METHOD_NOT_FOUND);
    /* a public handler's nested call reaches it */
    json_t *r = call_ok("nested", NULL, a);
    assert_string_equal(json_string_value(r), "private");
    bk_arena_free(a);
}

static void forged_tokens_are_replaced_by_the_sessions(void **st)
{
    (void)st;
    BKT_NEED_BROKER();
    bk_arena *a;
    bk_arena_new(&a);
    json_t *r = NULL;
    call_ok("echo", NULL, a);
    assert_int_equal(call("echo", NULL, "BKPR_ADMIN|BKPR_SYSTEM", a, &r, NULL), 0);
    assert_string_equal(json_string_value(json_object_get(r, "tokens")), "");
    call_ok("login", json_pack("{s:s}", "name", "ann"), a);
    const char *tok = "";
    for (int i = 0; i < 50 && strcmp(tok, "USER|ann") != 0; i++) {
        r = call_ok("echo", NULL, a);
        tok = json_string_value(json_object_get(r, "tokens"));
        if (strcmp(tok, "USER|ann") != 0)
            usleep(50000);
    }
    assert_string_equal(tok, "USER|ann");
    bk_arena_free(a);
}

static void notifications_reach_the_frontend_broadcast_and_unicast(void **st)
{
    (void)st;
    BKT_NEED_BROKER();
    bk_arena *a;
    bk_arena_new(&a);
    heard *news = &g_news, *note = &g_note;
    news->n = note->n = 0;
    call_ok("login", json_pack("{s:s}", "name", "bob"), a);
    bk_client_run_for(g_c, 300);   /* the bind is a background job: let the router take it */
    call_ok("push", json_pack("{s:s}", "text", "all"), a);
    wait_heard(news, 1);
    assert_int_equal(news->n, 1);
    assert_string_equal(news->last, "all");
    call_ok("push", json_pack("{s:s, s:s}", "to", "bob", "text", "you"), a);
    wait_heard(note, 1);
    assert_int_equal(note->n, 1);
    assert_string_equal(note->last, "you");
    /* nobody is bound to user-eve: dropped, not sent to anyone */
    call_ok("push", json_pack("{s:s, s:s}", "to", "eve", "text", "nobody"), a);
    bk_client_run_for(g_c, 300);
    assert_int_equal(note->n, 1);
    bk_arena_free(a);
}

static void a_background_job_crosses_the_router(void **st)
{
    (void)st;
    BKT_NEED_BROKER();
    bk_arena *a;
    bk_arena_new(&a);
    char meth[128];
    call_ok("echo", NULL, a);
    g_news.n = 0;
    m(meth, sizeof meth, "push");
    bk_call_opts o = { .forward_to = bkt.cluster };
    json_t *p = json_pack("{s:s}", "text", "bg");
    assert_int_equal(bk_call_background(g_c, meth, p, &o), 0);
    json_decref(p);
    wait_heard(&g_news, 1);
    assert_int_equal(g_news.n, 1);
    assert_string_equal(g_news.last, "bg");
    bk_arena_free(a);
}

/* Raw frames on the frontend's lane, as a hostile client would write them. */
static void hostile_input_is_dropped_and_the_router_serves_on(void **st)
{
    (void)st;
    BKT_NEED_BROKER();
    bk_arena *a;
    bk_arena_new(&a);
    call_ok("echo", NULL, a);
    bkp_bus *b = bkp_bus_of(g_c);
    const char *reply = bk_client_reply_queue(g_c);
    char lane[128], fwd[128], internal[128], big[8192];
    snprintf(lane, sizeof lane, "/queue/req.%s-1", bkt.cluster);
    snprintf(fwd, sizeof fwd, "/queue/req.%s.%s", bkt.cluster, g_svc);
    snprintf(internal, sizeof internal, "/queue/req.%s._bkpr.router", bkt.cluster);
    static const char req[] = "{\"jsonrpc\":\"2.0\",\"method\":\"x.y\",\"id\":\"1\"}";
    memset(big, ' ', sizeof big);
    big[0] = '{';
    big[sizeof big - 1] = '}';
    struct { bkp_bus_header h[4]; size_t n; const char *body; size_t len; } bad[] = {
        { { { "x-forward-to", internal }, { "reply-to", reply } }, 2, req, sizeof req - 1 },
        { { { "reply-to", reply } }, 1, req, sizeof req - 1 },
        { { { "x-forward-to", fwd }, { "reply-to", "/queue/elsewhere" } }, 2, req,
          sizeof req - 1 },
        { { { "x-forward-to", fwd } }, 1, req, sizeof req - 1 },
        { { { "x-forward-to", fwd }, { "reply-to", reply } }, 2, big, sizeof big },
        { { { "x-forward-to", fwd }, { "reply-to", reply } }, 2, "\x01garbage", 8 },
    };
    for (int k = 0; k < 50; k++)    /* a flood of each */
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
            assert_int_equal(bkp_bus_send(b, lane, bad[i].h, bad[i].n, bad[i].body, bad[i].len,
                                          0), 0);
    /* forged identity headers are not carried: the router builds its own */
    bkp_bus_header forged[] = { { "x-forward-to", fwd }, { "reply-to", reply },
                                { "x-session", "someone-elses-session" },
                                { "x-forward-reply", "/temp-queue/tmp.x@elsewhere" } };
    char body[160];
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"method\":\"%s.echo\",\"params\":[],"
             "\"id\":\"zz\"}", g_svc);
    assert_int_equal(bkp_bus_send(b, lane, forged, 4, body, strlen(body), 0), 0);
    json_t *r = call_ok("echo", json_pack("[s]", "after"), a);
    assert_string_equal(json_string_value(json_array_get(json_object_get(r, "params"), 0)),
                        "after");
    assert_string_not_equal(json_string_value(json_object_get(r, "session")),
                            "someone-elses-session");
    bk_arena_free(a);
}

int main(void)
{
    bk_log_set_level(BK_LOG_WARN);
    bkt_env_load("itest_router", "bkrt");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_call_crosses_the_router_with_a_session),
        cmocka_unit_test(a_private_method_is_not_found_from_the_frontend),
        cmocka_unit_test(forged_tokens_are_replaced_by_the_sessions),
        cmocka_unit_test(notifications_reach_the_frontend_broadcast_and_unicast),
        cmocka_unit_test(a_background_job_crosses_the_router),
        cmocka_unit_test(hostile_input_is_dropped_and_the_router_serves_on),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
