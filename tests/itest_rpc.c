/* Integration tests of bk_client and bk_worker against a real broker (BK_TEST_* from
 * tests/run-tests.sh; skipped without them). Workers are forked child processes; service
 * names carry a random suffix per run; every wait is bounded (alarm + call timeouts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "beekeeper/client.h"
#include "beekeeper/log.h"
#include "beekeeper/worker.h"
#include "rpc/client_int.h"
#include "stomp/conn.h"

static char g_addr[300];
static const char *g_hosts[1];
static const char *g_vhost, *g_user, *g_pass;
static char g_sfx[16];
static char g_pidfile[256];
#define MAXW 16
static pid_t g_workers[MAXW];
static int g_nworkers;
static bk_client *g_c;

static void svc(char *buf, size_t n, const char *s, const char *m)
{
    snprintf(buf, n, "bkit%s.%s.%s", g_sfx, s, m);
}

static bk_client_opts copts(void)
{
    return (bk_client_opts){ .hosts = g_hosts, .nhosts = 1, .vhost = g_vhost, .user = g_user,
                             .pass = g_pass, .bus_id = "bkit" };
}

/* ------------------------------------------------------------------ worker side */

static int allow_unless_deny(bk_request *req, void *arg)
{
    (void)arg;
    if (bk_request_has_token(req, "DENY"))
        return BK_AUTH_DENY;
    return BK_AUTH_ALLOW;
}

static int h_echo(bk_request *req, json_t *params, void *arg)
{
    (void)arg;
    return bk_request_reply(req, json_incref(params));
}

static int h_pid(bk_request *req, json_t *params, void *arg)
{
    (void)arg;
    json_int_t ms = json_integer_value(json_object_get(params, "ms"));
    const char *file = json_string_value(json_object_get(params, "file"));
    if (file) {
        FILE *f = fopen(file, "w");
        if (f) {
            fprintf(f, "%d\n", (int)getpid());
            fclose(f);
        }
    }
    if (ms > 0 && ms < 10000)
        usleep((useconds_t)ms * 1000);
    return bk_request_reply(req, json_integer(getpid()));
}

static int h_fail(bk_request *req, json_t *params, void *arg)
{
    (void)params;
    (void)arg;
    return bk_request_fail(req, 1001, json_pack("{s:s}", "room", "r1"), "No such room %s", "r1");
}

static int h_crash(bk_request *req, json_t *params, void *arg)
{
    (void)req;
    (void)params;
    (void)arg;
    return BK_EIO;
}

static int h_params(bk_request *req, json_t *params, void *arg)
{
    (void)arg;
    if (!json_is_string(json_object_get(params, "string")))
        return bk_request_fail(req, BK_RPC_INVALID_PARAMS,
                               json_string("string: expected string"), "Invalid params");
    return 0;   /* null result */
}

static int h_tokens(bk_request *req, json_t *params, void *arg)
{
    (void)params;
    (void)arg;
    return bk_request_reply(req, json_string(bk_request_tokens(req)));
}

static void defer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    bk_request *req = arg;
    bk_request_reply(req, json_string("later"));
}

static int h_defer(bk_request *req, json_t *params, void *arg)
{
    (void)params;
    (void)arg;
    struct timeval tv = { 0, 50000 };
    event_base_once(bk_client_base(bk_request_client(req)), -1, EV_TIMEOUT, defer_cb, req, &tv);
    return BK_DEFER;
}

static int h_nested(bk_request *req, json_t *params, void *arg)
{
    (void)params;
    (void)arg;
    char m[128];
    svc(m, sizeof m, "b", "tokens");
    json_t *res;
    bk_error err;
    int rc = bk_call(bk_request_client(req), m, NULL, &(bk_call_opts){ .timeout_ms = 5000 },
                     bk_request_arena(req), &res, &err);
    if (rc)
        return bk_fail(req, BK_RPC_INTERNAL_ERROR, "inner call: %d %s", err.code, err.message);
    return bk_request_reply(req, json_pack("{s:O}", "inner", res));
}

static int h_job(bk_request *req, json_t *params, void *arg)
{
    (void)arg;
    char m[128];
    svc(m, sizeof m, "a", "jobdone");
    bk_notify(bk_request_client(req), m, params, NULL);
    return 0;
}

static int g_ready_fd = -1;
static int on_start(bk_worker *w, void *arg)
{
    (void)w;
    (void)arg;
    if (g_ready_fd >= 0) {
        char b = 'r';
        if (write(g_ready_fd, &b, 1) < 0) { /* the parent times out */ }
        close(g_ready_fd);
        g_ready_fd = -1;
    }
    return 0;
}

typedef enum { W_MAIN, W_B, W_NOAUTH, W_PID } wkind;

static void worker_main(wkind kind)
{
    bk_worker *w;
    bk_worker_opts o = { .client = copts(), .authorize = allow_unless_deny, .on_start = on_start,
                         .handle_signals = 1, .status_interval_ms = -1, .debug = 1 };
    if (kind == W_NOAUTH)
        o.authorize = NULL;
    if (bk_worker_new(&w, &o) != 0)
        _exit(3);
    char m[128];
#define ACC(s, meth, fn) (svc(m, sizeof m, s, meth), bk_worker_accept(w, m, fn, NULL))
    switch (kind) {
    case W_MAIN:
        ACC("a", "echo", h_echo);
        ACC("a", "pid", h_pid);
        ACC("a", "fail", h_fail);
        ACC("a", "crash", h_crash);
        ACC("a", "params", h_params);
        ACC("a", "defer", h_defer);
        ACC("a", "nested", h_nested);
        ACC("a", "job", h_job);
        ACC("a", "tokens", h_tokens);
        break;
    case W_B:
        ACC("b", "*", h_tokens);
        break;
    case W_NOAUTH:
        ACC("c", "echo", h_echo);
        break;
    case W_PID:
        ACC("d", "pid", h_pid);
        break;
    }
    int rc = bk_worker_run(w);
    bk_worker_free(w);
    exit(rc ? 1 : 0);   /* exit: LeakSanitizer checks the worker too */
}

static pid_t spawn(wkind kind)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        g_ready_fd = p[1];
        alarm(120);
        worker_main(kind);
    }
    close(p[1]);
    struct pollfd pf = { p[0], POLLIN, 0 };
    char b;
    int ok = poll(&pf, 1, 15000) == 1 && read(p[0], &b, 1) == 1;
    close(p[0]);
    if (pid > 0)
        g_workers[g_nworkers++] = pid;
    return ok ? pid : -1;
}

static void reap(pid_t pid, int sig)
{
    kill(pid, sig);
    for (int i = 0; i < 100; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        usleep(50000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* ------------------------------------------------------------------ setup */

static int group_setup(void **st)
{
    (void)st;
    const char *host = getenv("BK_TEST_HOST"), *port = getenv("BK_TEST_PORT");
    if (!host || !port)
        return 0;
    snprintf(g_addr, sizeof g_addr, "%s:%s", host, port);
    g_hosts[0] = g_addr;
    g_vhost = getenv("BK_TEST_VHOST");
    g_user = getenv("BK_TEST_USER");
    g_pass = getenv("BK_TEST_PASS");
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    snprintf(g_sfx, sizeof g_sfx, "%06d", rand() % 1000000);
    snprintf(g_pidfile, sizeof g_pidfile, "/tmp/bkit-rpc-%d.pid", (int)getpid());
    if (spawn(W_MAIN) < 0 || spawn(W_B) < 0 || spawn(W_NOAUTH) < 0)
        return -1;
    bk_client_opts o = copts();
    if (bk_client_new(&g_c, &o) != 0 || bk_client_connect_wait(g_c, 10000) != 0)
        return -1;
    return 0;
}

static int group_teardown(void **st)
{
    (void)st;
    bk_client_free(g_c);
    for (int i = 0; i < g_nworkers; i++)
        reap(g_workers[i], SIGTERM);
    unlink(g_pidfile);
    return 0;
}

#define NEED_BROKER() do { if (!g_hosts[0]) skip(); alarm(60); } while (0)

/* ------------------------------------------------------------------ tests */

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

typedef struct notes { int n1, star, jobdone; } notes;

static void on_n1(bk_client *c, bk_arena *a, const char *method, json_t *params, void *arg)
{
    (void)c; (void)a; (void)params; (void)method;
    ((notes *)arg)->n1++;
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
    notes n = { 0 };
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

typedef struct raw { int n; int codes[4]; char ids[4][32]; } raw;

static void on_raw(bkp_stomp *s, bkp_sub *sub, const bkp_frame *msg, void *arg)
{
    (void)s;
    (void)sub;
    raw *r = arg;
    json_t *j = json_loadb(msg->body, msg->body_len, 0, NULL);
    if (r->n < 4 && j) {
        r->codes[r->n] = (int)json_integer_value(json_object_get(json_object_get(j, "error"), "code"));
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
    snprintf(tq, sizeof tq, "/temp-queue/tmp.raw%s", g_sfx);
    assert_int_equal(bkp_stomp_subscribe_temp(s, tq, on_raw, &r, NULL), 0);
    snprintf(dest, sizeof dest, "/queue/req.bkit.bkit%s.a", g_sfx);
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

typedef struct pids { int n; int bad; pid_t seen[64]; } pids;

static void pid_done(bk_client *c, bk_arena *a, json_t *result, const bk_error *err, void *arg)
{
    (void)c;
    (void)a;
    pids *p = arg;
    if (err || p->n >= 64)
        p->bad++;
    else
        p->seen[p->n++] = (pid_t)json_integer_value(result);
}

static void load_spreads_over_four_workers(void **st)
{
    (void)st;
    NEED_BROKER();
    pid_t w[4];
    for (int i = 0; i < 4; i++)
        assert_true((w[i] = spawn(W_PID)) > 0);
    bk_client_run_for(g_c, 300);
    char m[128];
    svc(m, sizeof m, "d", "pid");
    pids got = { 0 };
    json_t *p = json_pack("{s:i}", "ms", 30);
    for (int i = 0; i < 40; i++)
        assert_int_equal(bk_call_async(g_c, m, p, NULL, pid_done, &got), 0);
    json_decref(p);
    assert_int_equal(bk_client_wait_all(g_c, 30000), 0);
    assert_int_equal(got.bad, 0);
    assert_int_equal(got.n, 40);
    for (int i = 0; i < 4; i++) {
        int k = 0;
        for (int j = 0; j < got.n; j++)
            k += got.seen[j] == w[i];
        if (k == 0)
            fail_msg("worker %d got no job", (int)w[i]);
    }
}

static void killed_worker_job_is_redelivered(void **st)
{
    (void)st;
    NEED_BROKER();
    /* d has four workers from the previous test (or spawn two here when run alone) */
    if (g_nworkers < 5) {
        assert_true(spawn(W_PID) > 0);
        assert_true(spawn(W_PID) > 0);
    }
    char m[128];
    svc(m, sizeof m, "d", "pid");
    unlink(g_pidfile);
    pids got = { 0 };
    json_t *p = json_pack("{s:i,s:s}", "ms", 1500, "file", g_pidfile);
    assert_int_equal(bk_call_async(g_c, m, p, &(bk_call_opts){ .timeout_ms = 15000 }, pid_done,
                                   &got), 0);
    json_decref(p);
    pid_t victim = 0;
    for (int i = 0; i < 200 && !victim; i++) {
        bk_client_run_for(g_c, 20);
        FILE *f = fopen(g_pidfile, "r");
        int v = 0;
        if (f && fscanf(f, "%d", &v) == 1)
            victim = v;
        if (f)
            fclose(f);
    }
    assert_true(victim > 0);
    kill(victim, SIGKILL);
    assert_int_equal(bk_client_wait_all(g_c, 15000), 0);
    assert_int_equal(got.bad, 0);
    assert_int_equal(got.n, 1);
    assert_true(got.seen[0] > 0);
    assert_true(got.seen[0] != victim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sync_call_returns_result),
        cmocka_unit_test(async_calls_complete_exactly_once),
        cmocka_unit_test(notifications_exact_and_star_and_background_jobs),
        cmocka_unit_test(error_codes_reach_the_caller),
        cmocka_unit_test(timeout_then_late_response_is_dropped),
        cmocka_unit_test(deferred_and_nested_calls_carry_tokens),
        cmocka_unit_test(one_mib_params_round_trip),
        cmocka_unit_test(malformed_bodies_are_answered_and_worker_survives),
        cmocka_unit_test(load_spreads_over_four_workers),
        cmocka_unit_test(killed_worker_job_is_redelivered),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
