/* The worker processes and the client of the itest_rpc_* tests: see itest_rpc.h. */
#include "itest_rpc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "beekeeper/worker.h"

bk_client *g_c;
int g_npid;
#define MAXW 16
static pid_t g_workers[MAXW];
static int g_nworkers;

void svc(char *buf, size_t n, const char *s, const char *m)
{
    snprintf(buf, n, "bkit%s.%s.%s", bkt.sfx, s, m);
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

/* What a worker process serves, and on which bus (addr NULL: the test broker). */
typedef struct wspec {
    wkind kind;
    const char *addr;
} wspec;

static int worker_setup(bk_worker **wp, void *arg)
{
    const wspec *ws = arg;
    wkind kind = ws->kind;
    if (ws->addr)
        bkt.hosts[0] = ws->addr;
    bk_worker_opts o = { .client = bkt_client_opts(), .authorize = allow_unless_deny,
                         .on_start = bkt_on_start_ready, .handle_signals = 1,
                         .status_interval_ms = -1, .debug = 1 };
    if (kind == W_NOAUTH)
        o.authorize = NULL;
    if (kind == W_AUTH)
        o.authorize = auth_by_method;
    if (kind == W_PLAIN)
        o.debug = 0;
    if (kind == W_SLOW)
        o.prefetch = 1;     /* its jobs wait in the broker's queue, not in the worker */
    if (bk_worker_new(wp, &o) != 0)
        return 1;
    bk_worker *w = *wp;
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
    case W_END:
        break;
    }
    return 0;
}

pid_t spawn_on(wkind kind, const char *addr)
{
    wspec ws = { kind, addr };
    pid_t pid = bkt_spawn_worker(worker_setup, &ws, BKT_WORKER_LIFE_S);
    if (pid > 0 && g_nworkers < MAXW)
        g_workers[g_nworkers++] = pid;
    if (pid > 0 && kind == W_PID)
        g_npid++;
    return pid;
}

pid_t spawn(wkind kind)
{
    return spawn_on(kind, NULL);
}

void forget_worker(pid_t pid)
{
    for (int i = 0; i < g_nworkers; i++)
        if (g_workers[i] == pid)
            g_workers[i] = g_workers[--g_nworkers];
}

/* ------------------------------------------------------------------ the client */

int rpc_group_setup(void **st)
{
    (void)st;
    if (!bkt.broker)
        return 0;
    for (const wkind *k = rpc_kinds; *k != W_END; k++)
        if (spawn(*k) < 0)
            return -1;
    bk_client_opts o = bkt_client_opts();
    if (bk_client_new(&g_c, &o) != 0 || bk_client_connect_wait(g_c, 10000) != 0)
        return -1;
    return 0;
}

int rpc_group_teardown(void **st)
{
    (void)st;
    bk_client_free(g_c);
    for (int i = 0; i < g_nworkers; i++)
        if (g_workers[i] > 0)
            bkt_stop(g_workers[i], SIGTERM);
    return 0;
}

int call_in(bk_client *c, const char *s, const char *meth, json_t *params,
            const char *tokens, int timeout_ms, bk_arena *a, json_t **res, bk_error *err)
{
    char m[128];
    svc(m, sizeof m, s, meth);
    bk_call_opts o = { .timeout_ms = timeout_ms ? timeout_ms : 5000, .tokens = tokens };
    memset(err, 0, sizeof *err);
    return bk_call(c, m, params, &o, a, res, err);
}

void one_done(bk_client *c, bk_arena *a, json_t *result, const bk_error *err, void *arg)
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

void on_n1(bk_client *c, bk_arena *a, const char *method, json_t *params, void *arg)
{
    (void)c; (void)a; (void)params; (void)method;
    ((notes *)arg)->n1++;
}
