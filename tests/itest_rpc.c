/* Integration tests of bk_client and bk_worker against a real broker (BK_TEST_* from
 * tests/run-tests.sh; skipped without them). Workers are forked child processes; service
 * names carry a random suffix per run; every wait is bounded (alarm + call timeouts).
 * Over 1000 lines on purpose: every test shares the workers the group setup forks once (a
 * dozen processes, seconds to start on RabbitMQ), which one file per topic would repeat. */
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
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
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
static int g_npid;              /* W_PID workers started (service d) */
static bk_client *g_c;
/* the broker_restart test's own bkpr-broker and client (teardown ends them on failure) */
static pid_t g_priv_broker = -1;
static bk_client *g_priv_client;
static char g_priv_log[256];

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

static bk_auth_result allow_unless_deny(bk_request *req, void *arg)
{
    (void)arg;
    if (bk_request_has_token(req, "DENY"))
        return BK_AUTH_DENY;
    return BK_AUTH_ALLOW;
}

static int h_echo(bk_request *req, json_t *params, void *arg)
{
    (void)arg;
    return bk_request_reply(req, params);
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
    return bk_request_reply_new(req, json_integer(getpid()));
}

static int h_fail(bk_request *req, json_t *params, void *arg)
{
    (void)params;
    (void)arg;
    return bk_request_fail_new(req, 1001, json_pack("{s:s}", "room", "r1"), "No such room %s",
                               "r1");
}

/* Records an error, then asks to answer later: the recorded error goes now. */
static int h_fail_defer(bk_request *req, json_t *params, void *arg)
{
    (void)params;
    (void)arg;
    bk_request_fail(req, 1002, NULL, "failed before deferring");
    return BK_DEFER;
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
        return bk_request_fail_new(req, BK_RPC_INVALID_PARAMS,
                                   json_string("string: expected string"), "Invalid params");
    return 0;   /* null result */
}

static int h_tokens(bk_request *req, json_t *params, void *arg)
{
    (void)params;
    (void)arg;
    return bk_request_reply_new(req, json_string(bk_request_tokens(req)));
}

static void defer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    bk_request *req = arg;
    bk_request_reply_new(req, json_string("later"));
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
        return bk_request_fail(req, BK_RPC_INTERNAL_ERROR, NULL, "inner call: %d %s", err.code,
                               err.message);
    return bk_request_reply_new(req, json_pack("{s:O}", "inner", res));
}

static int h_job(bk_request *req, json_t *params, void *arg)
{
    (void)arg;
    char m[128];
    svc(m, sizeof m, "a", "jobdone");
    bk_notify(bk_request_client(req), m, params, NULL);
    return 0;
}

/* Fails with the code, message and data given in params: custom and protocol codes alike.
 * {"keep_going":true} records the error with bk_request_fail and returns 0: it is still sent. */
static int h_code(bk_request *req, json_t *params, void *arg)
{
    (void)arg;
    int code = (int)json_integer_value(json_object_get(params, "code"));
    const char *msg = json_string_value(json_object_get(params, "message"));
    json_t *data = json_object_get(params, "data");
    if (json_is_true(json_object_get(params, "keep_going"))) {
        bk_request_fail(req, code, NULL, "%s", msg ? msg : "");
        return 0;
    }
    return bk_request_fail(req, code, data, "%s", msg ? msg : "");
}

/* Answers what JSON cannot carry: a result, or an error message, that is not UTF-8. */
static int h_bad_result(bk_request *req, json_t *params, void *arg)
{
    (void)params;
    (void)arg;
    return bk_request_reply_new(req, json_string_nocheck("caf\xe9"));
}

static int h_bad_message(bk_request *req, json_t *params, void *arg)
{
    (void)params;
    (void)arg;
    return bk_request_fail(req, 1002, NULL, "caf%s", "\xe9");
}

/* Service e: the authorize hook decides by the method's last segment. */
static bk_auth_result auth_by_method(bk_request *req, void *arg)
{
    (void)arg;
    const char *m = strrchr(bk_request_method(req), '.');
    m = m ? m + 1 : "";
    if (strcmp(m, "open") == 0)
        return BK_AUTH_ALLOW;
    if (strcmp(m, "deny") == 0)
        return BK_AUTH_DENY;
    if (strcmp(m, "truthy") == 0)
        return 1;               /* true, but not BK_AUTH_ALLOW: refused */
    if (strcmp(m, "authn") == 0) {
        bk_request_fail(req, BK_RPC_NOT_AUTHENTICATED, NULL, "Who are you?");
        return BK_AUTH_DENY;
    }
    if (strcmp(m, "failallow") == 0) {
        bk_request_fail(req, BK_RPC_NOT_AUTHENTICATED, NULL, "recorded, then allowed");
        return BK_AUTH_ALLOW;
    }
    return bk_request_has_token(req, "SECRET") ? BK_AUTH_ALLOW : BK_AUTH_DENY;
}

/* Tells the tests that a one-way job or notification ran: h.ran {method, tokens, via}. */
static void relay(bk_request *req, const char *via)
{
    char m[128];
    svc(m, sizeof m, "h", "ran");
    json_t *p = json_pack("{s:s,s:s,s:s}", "method", bk_request_method(req), "tokens",
                          bk_request_tokens(req), "via", via);
    bk_notify(bk_request_client(req), m, p, NULL);
    json_decref(p);
}

static int h_auth(bk_request *req, json_t *params, void *arg)
{
    (void)params;
    (void)arg;
    if (bk_request_is_oneway(req)) {
        relay(req, "job");
        return 0;
    }
    return bk_request_reply_new(req, json_string(bk_request_tokens(req)));
}

static int h_auth_exact(bk_request *req, json_t *params, void *arg)
{
    (void)params;
    (void)arg;
    return bk_request_reply_new(req, json_string("exact"));
}

static char via_star[] = "star", via_exact[] = "exact";
static int h_note(bk_request *req, json_t *params, void *arg)
{
    (void)params;
    relay(req, arg);
    return 0;
}

/* Service g: how many times g.hit ran in this worker. */
static int g_hits;
static int h_hit(bk_request *req, json_t *params, void *arg)
{
    (void)params;
    (void)arg;
    return bk_request_reply_new(req, json_integer(++g_hits));
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

typedef enum { W_MAIN, W_B, W_NOAUTH, W_PID, W_AUTH, W_PLAIN, W_SLOW, W_R } wkind;

static void worker_main(wkind kind)
{
    bk_worker *w;
    bk_worker_opts o = { .client = copts(), .authorize = allow_unless_deny, .on_start = on_start,
                         .handle_signals = 1, .status_interval_ms = -1, .debug = 1 };
    if (kind == W_NOAUTH)
        o.authorize = NULL;
    if (kind == W_AUTH)
        o.authorize = auth_by_method;
    if (kind == W_PLAIN)
        o.debug = 0;
    if (bk_worker_new(&w, &o) != 0)
        _exit(3);
    char m[128];
#define ACC(s, meth, fn) (svc(m, sizeof m, s, meth), bk_worker_accept(w, m, fn, NULL))
    switch (kind) {
    case W_MAIN:
        ACC("a", "echo", h_echo);
        ACC("a", "pid", h_pid);
        ACC("a", "fail", h_fail);
        ACC("a", "fail_defer", h_fail_defer);
        ACC("a", "crash", h_crash);
        ACC("a", "params", h_params);
        ACC("a", "defer", h_defer);
        ACC("a", "nested", h_nested);
        ACC("a", "job", h_job);
        ACC("a", "tokens", h_tokens);
        ACC("a", "code", h_code);
        ACC("a", "bad_result", h_bad_result);
        ACC("a", "bad_message", h_bad_message);
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
    case W_AUTH:
        ACC("e", "*", h_auth);
        ACC("e", "exact", h_auth_exact);
        svc(m, sizeof m, "e", "*");
        bk_worker_accept_notification(w, m, h_note, via_star);
        svc(m, sizeof m, "e", "one");
        bk_worker_accept_notification(w, m, h_note, via_exact);
        break;
    case W_PLAIN:
        ACC("f", "crash", h_crash);
        ACC("f", "code", h_code);
        break;
    case W_SLOW:
        ACC("g", "busy", h_pid);
        ACC("g", "hit", h_hit);
        break;
    case W_R:
        ACC("r", "echo", h_echo);
        ACC("r", "pid", h_pid);
        break;
    }
    int rc = bk_worker_run(w);
    bk_worker_free(w);
    exit(rc ? 1 : 0);   /* exit: LeakSanitizer checks the worker too */
}

/* Forks a worker of kind on the bus at addr (NULL: the test broker) and waits until it is
 * connected and serving. */
static pid_t spawn_on(wkind kind, const char *addr)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        g_ready_fd = p[1];
        if (addr)
            g_hosts[0] = addr;
        alarm(120);
        worker_main(kind);
    }
    close(p[1]);
    struct pollfd pf = { p[0], POLLIN, 0 };
    char b;
    int ok = poll(&pf, 1, 15000) == 1 && read(p[0], &b, 1) == 1;
    close(p[0]);
    if (pid > 0 && g_nworkers < MAXW)
        g_workers[g_nworkers++] = pid;
    if (ok && kind == W_PID)
        g_npid++;
    return ok ? pid : -1;
}

static pid_t spawn(wkind kind)
{
    return spawn_on(kind, NULL);
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
    if (spawn(W_MAIN) < 0 || spawn(W_B) < 0 || spawn(W_NOAUTH) < 0 || spawn(W_AUTH) < 0 ||
        spawn(W_PLAIN) < 0 || spawn(W_SLOW) < 0)
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
    bk_client_free(g_priv_client);
    for (int i = 0; i < g_nworkers; i++)
        if (g_workers[i] > 0)
            reap(g_workers[i], SIGTERM);
    if (g_priv_broker > 0)
        reap(g_priv_broker, SIGKILL);
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
    if (g_npid < 2) {
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

/* ---- authorization ---- */

/* Calls method of service s and returns bk_call's answer; *err and *res in arena a. */
static int call_in(bk_client *c, const char *s, const char *meth, json_t *params,
                   const char *tokens, int timeout_ms, bk_arena *a, json_t **res, bk_error *err)
{
    char m[128];
    svc(m, sizeof m, s, meth);
    bk_call_opts o = { .timeout_ms = timeout_ms ? timeout_ms : 5000, .tokens = tokens };
    memset(err, 0, sizeof *err);
    return bk_call(c, m, params, &o, a, res, err);
}

#define EXPECT_RPC_ERROR(rc, err, want_code, want_msg)                                       \
    do {                                                                                     \
        if ((rc) != BK_ERPC)                                                                 \
            fail_msg("rc %d (%s), code %d %s: expected a JSON-RPC error %d", (rc),           \
                     bk_strerror(rc), (err).code, (err).message ? (err).message : "",        \
                     (want_code));                                                           \
        assert_int_equal((err).code, (want_code));                                           \
        assert_string_equal((err).message, (want_msg));                                      \
    } while (0)

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
    bk_client_opts o = copts();
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

/* ---- errors ---- */

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

/* ---- async, wait_all, timeouts ---- */

typedef struct one {
    int calls, code;
    char msg[64], room[16];
    json_t *result;     /* own reference */
} one;

static void one_done(bk_client *c, bk_arena *a, json_t *result, const bk_error *err, void *arg)
{
    (void)c;
    (void)a;
    one *o = arg;
    o->calls++;
    if (err) {
        o->code = err->code;
        snprintf(o->msg, sizeof o->msg, "%s", err->message ? err->message : "");
        const char *r = json_string_value(json_object_get(err->data, "room"));
        snprintf(o->room, sizeof o->room, "%s", r ? r : "");
    } else {
        o->code = 0;
        json_decref(o->result);
        o->result = json_incref(result);
    }
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

/* ---- broker restart ---- */

static int broker_bin(char *buf, size_t n)
{
    const char *bin = getenv("BK_BROKER_BIN"), *b = getenv("B");
    if (bin && *bin)
        snprintf(buf, n, "%s", bin);
    else
        snprintf(buf, n, "%s/bin/bkpr-broker", b && *b ? b : "build");
    if (access(buf, X_OK) == 0)
        return 0;
    /* beside this test: $B/tests/itest_rpc -> $B/bin/bkpr-broker */
    char exe[400];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k <= 0)
        return -1;
    exe[k] = 0;
    for (int i = 0; i < 2; i++) {
        char *sl = strrchr(exe, '/');
        if (!sl)
            return -1;
        *sl = 0;
    }
    snprintf(buf, n, "%s/bin/bkpr-broker", exe);
    return access(buf, X_OK);
}

static int free_port(void)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

static int port_accepts(int port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    int ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

/* Starts bkpr-broker on 127.0.0.1:port (no config: any login) and waits until it accepts. */
static pid_t start_broker(const char *bin, int port)
{
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL);   /* never outlive the test */
#endif
        int fd = open(g_priv_log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execl(bin, bin, "--listen", listen, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100; i++) {
        if (port_accepts(port))
            return pid;
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return -1;
        usleep(50000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

static void forget_worker(pid_t pid)
{
    for (int i = 0; i < g_nworkers; i++)
        if (g_workers[i] == pid)
            g_workers[i] = g_workers[--g_nworkers];
}

static void broker_restart_fails_calls_then_recovers(void **st)
{
    (void)st;
    NEED_BROKER();
    /* The test kills the broker and starts it again on the same port, so it runs its own
     * bkpr-broker. On RabbitMQ (the harness's instance, slow to restart, and other tests
     * share it) it is skipped: the client and worker code paths are the same. */
    const char *kind = getenv("BK_TEST_BROKER");
    if (!kind || strcmp(kind, "bkpr-broker") != 0)
        skip();
    char bin[512];
    if (broker_bin(bin, sizeof bin) != 0)
        fail_msg("bkpr-broker not found (tried %s): set B or BK_BROKER_BIN", bin);
    int port = free_port();
    assert_true(port > 0);
    static char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    snprintf(g_priv_log, sizeof g_priv_log, "/tmp/bkit-broker-%d.log", (int)getpid());
    unlink(g_priv_log);
    g_priv_broker = start_broker(bin, port);
    assert_true(g_priv_broker > 0);
    pid_t w = spawn_on(W_R, addr);
    assert_true(w > 0);
    const char *hosts[1] = { addr };
    bk_client_opts o = copts();
    o.hosts = hosts;
    assert_int_equal(bk_client_new(&g_priv_client, &o), 0);
    bk_client *c = g_priv_client;
    assert_int_equal(bk_client_connect_wait(c, 5000), 0);
    static notes n;
    char m[128];
    svc(m, sizeof m, "r", "*");
    assert_int_equal(bk_subscribe(c, m, on_n1, &n), 0);

    bk_arena *a;
    bk_arena_new(&a);
    json_t *res;
    bk_error err;
    json_t *p = json_pack("{s:s}", "k", "before");
    int rc = call_in(c, "r", "echo", p, NULL, 5000, a, &res, &err);
    if (rc)
        fail_msg("before: %d %d %s", rc, err.code, err.message);
    assert_true(json_equal(res, p));
    json_decref(p);
    assert_int_equal(call_in(c, "r", "pid", NULL, NULL, 5000, a, &res, &err), 0);
    assert_int_equal(json_integer_value(res), w);

    /* a call in flight when the broker dies fails with the connection */
    one inflight = { 0 }, never = { 0 };
    svc(m, sizeof m, "r", "pid");
    p = json_pack("{s:i}", "ms", 1000);
    assert_int_equal(bk_call_async(c, m, p, &(bk_call_opts){ .timeout_ms = 15000 }, one_done,
                                   &inflight), 0);
    json_decref(p);
    kill(g_priv_broker, SIGKILL);
    waitpid(g_priv_broker, NULL, 0);
    g_priv_broker = -1;

    /* during the outage: BK_ECLOSED, well before the call's own timeout */
    rc = call_in(c, "r", "echo", NULL, NULL, 10000, a, &res, &err);
    assert_int_equal(rc, BK_ECLOSED);
    assert_int_equal(err.code, BK_RPC_INTERNAL_ERROR);
    assert_non_null(strstr(err.message, "bus"));
    assert_int_equal(bk_client_wait_all(c, 5000), 0);
    assert_int_equal(inflight.calls, 1);
    assert_int_equal(inflight.code, BK_RPC_INTERNAL_ERROR);
    assert_non_null(strstr(inflight.msg, "bus"));
    /* now surely down: refused at once, nothing pending */
    assert_false(bk_client_connected(c));
    rc = call_in(c, "r", "echo", NULL, NULL, 10000, a, &res, &err);
    assert_int_equal(rc, BK_ECLOSED);
    assert_string_equal(err.message, "not connected to the bus");
    svc(m, sizeof m, "r", "echo");
    assert_int_equal(bk_call_async(c, m, NULL, NULL, one_done, &never), BK_ECLOSED);
    assert_int_equal(bk_call_background(c, m, NULL, NULL), BK_ECLOSED);
    assert_int_equal(bk_notify(c, m, NULL, NULL), BK_ECLOSED);
    assert_int_equal(bk_client_pending(c), 0);

    /* back on the same port: both reconnect by themselves */
    g_priv_broker = start_broker(bin, port);
    assert_true(g_priv_broker > 0);
    assert_int_equal(bk_client_connect_wait(c, 10000), 0);
    /* the worker is back when it answers (its back-off may be longer than the client's) */
    rc = -1;
    for (int i = 0; i < 40 && rc != 0; i++) {
        rc = call_in(c, "r", "pid", NULL, NULL, 300, a, &res, &err);
        if (rc == BK_ECLOSED)
            bk_client_connect_wait(c, 1000);
    }
    if (rc)
        fail_msg("the worker never came back: %d %d %s", rc, err.code, err.message);
    assert_int_equal(json_integer_value(res), w);   /* the same process, subscribed again */
    p = json_pack("{s:s}", "k", "after");
    assert_int_equal(call_in(c, "r", "echo", p, NULL, 5000, a, &res, &err), 0);
    assert_true(json_equal(res, p));
    json_decref(p);
    /* the notification subscription came back too */
    svc(m, sizeof m, "r", "ping");
    assert_int_equal(bk_notify(c, m, NULL, NULL), 0);
    for (int i = 0; i < 100 && n.n1 < 1; i++)
        bk_client_run_for(c, 50);
    assert_int_equal(n.n1, 1);
    assert_int_equal(never.calls, 0);
    bk_arena_free(a);

    bk_client_free(c);
    g_priv_client = NULL;
    reap(w, SIGTERM);
    forget_worker(w);
    /* TERM: the broker exits 0 (under SAN=1, LeakSanitizer makes a leak non-zero) */
    kill(g_priv_broker, SIGTERM);
    int status = -1;
    for (int i = 0; i < 200 && waitpid(g_priv_broker, &status, WNOHANG) != g_priv_broker; i++)
        usleep(50000);
    pid_t b = g_priv_broker;
    g_priv_broker = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        kill(b, SIGKILL);
        waitpid(b, NULL, 0);
        fail_msg("bkpr-broker did not exit 0 on TERM (status %#x); see %s", status, g_priv_log);
    }
    unlink(g_priv_log);
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
        cmocka_unit_test(authorize_hook_decides_and_chooses_the_refusal),
        cmocka_unit_test(oneway_jobs_and_notifications_pass_the_hook_and_exact_wins),
        cmocka_unit_test(every_protocol_error_reaches_the_caller),
        cmocka_unit_test(server_error_details_only_in_debug_mode),
        cmocka_unit_test(unencodable_answers_still_reach_the_caller),
        cmocka_unit_test(async_errors_and_timeouts_reach_the_callback_once),
        cmocka_unit_test(expired_request_is_dropped_by_the_broker),
        cmocka_unit_test(broker_restart_fails_calls_then_recovers),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
