/* The Supervisor, the Sinkhole, bkpr-top and bkpr-restart against a real broker (BK_TEST_*;
 * skipped without one). The test process plays the pool manager: it forks a Supervisor, a
 * Sinkhole and plain workers (status reports every 200 ms), so the Supervisor's "children
 * of my parent" are the test's children, and restart_pool's HUP comes to the test.
 * The tests run in order and share the processes. Every wait is bounded; none is timed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "beekeeper/client.h"
#include "beekeeper/log.h"
#include "beekeeper/worker.h"
#include "services/services.h"
#include "itest_env.h"

enum { SUPERVISOR, SINKHOLE, WORKER, EARLY_E, EARLY_F };
enum { K_SUP, K_SINK, K_W1, K_W2, K_W3, K_E2, NKIDS };

static char g_dir[64], g_svc[64], g_method[80], g_bin[PATH_MAX], g_host[256];
/* Services whose workers came and went before the Supervisor started (see setup). */
static char g_svc_e[64], g_svc_f[64], g_method_e[80], g_method_f[80];
static int g_unserviced_e, g_unserviced_f; /* notifications that listed them */
static pid_t g_kids[NKIDS];
static bk_client *g_c;
static bk_arena *g_a;
static volatile sig_atomic_t g_hups;

/* ------------------------------------------------------------------ the processes */

static int w_echo(bk_request *req, json_t *params, void *arg)
{
    (void)arg;
    return bk_request_reply(req, params);
}

/* Makes one process as bkpr would run it. */
static int worker_setup(bk_worker **w, void *arg)
{
    int kind = *(const int *)arg;
    static bk_module_hooks h;
    static const char *const classes[] = {"supervisor", "sinkhole", "svc-class", "early-class",
                                          "early-class"};
    bk_worker_opts o = {.client = bkt_client_opts(), .handle_signals = 1,
                        .status_interval_ms = 200, .worker_class = classes[kind],
                        .pool = "itpool"};
    bkt_module_hooks(&o, &h);
    if (bk_worker_new(w, &o))
        return 1;
    if (kind >= WORKER) {
        h.authorize = bkt_allow;
        const char *m = kind == WORKER ? g_method : kind == EARLY_E ? g_method_e : g_method_f;
        return bk_worker_accept(*w, m, w_echo, NULL);
    }
    const bk_module_def *m = kind == SUPERVISOR ? &bkp_supervisor_module : &bkp_sinkhole_module;
    return m->setup(*w, NULL, &h);
}

/* Forks one process and returns once it is connected. It lives through all the tests, which
 * share it: longer than BKT_WORKER_LIFE_S. */
static pid_t spawn(int kind)
{
    pid_t pid = bkt_spawn_worker(worker_setup, &kind, 300);
    assert_true(pid > 0);
    return pid;
}

static void on_unserviced(bk_client *c, bk_arena *a, const char *method, json_t *params,
                          void *arg)
{
    (void)c, (void)a, (void)method, (void)arg;
    size_t i;
    json_t *q;
    json_array_foreach(json_object_get(params, "queues"), i, q) {
        g_unserviced_e += json_is_string(q) && !strcmp(json_string_value(q), g_svc_e);
        g_unserviced_f += json_is_string(q) && !strcmp(json_string_value(q), g_svc_f);
    }
}

/* A worker that starts and exits gracefully while no Supervisor runs: its start and exit
 * reports wait in the Supervisor's queue. */
static void come_and_go(int kind)
{
    pid_t pid = spawn(kind);
    assert_int_equal(bkt_stop(pid, SIGTERM), 0);
}

static void on_hup(int sig)
{
    (void)sig;
    g_hups++;
}

static int setup(void **state)
{
    (void)state;
    if (!bkt.broker)
        return 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_hup;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, NULL);
    bk_client_opts o = bkt_client_opts();
    o.tokens = "BKPR_ADMIN";
    o.timeout_ms = 10000;
    assert_int_equal(bk_client_new(&g_c, &o), 0);
    assert_int_equal(bk_client_connect_wait(g_c, 10000), 0);
    assert_int_equal(bk_subscribe(g_c, BKP_SINKHOLE_UNSERVICED, on_unserviced, NULL), 0);
    assert_int_equal(bk_arena_new(&g_a), 0);
    come_and_go(EARLY_E);
    come_and_go(EARLY_F);
    g_kids[K_SUP] = spawn(SUPERVISOR);
    g_kids[K_E2] = spawn(EARLY_E); /* as a pool restarting: E has a worker again, F not */
    g_kids[K_SINK] = spawn(SINKHOLE);
    g_kids[K_W1] = spawn(WORKER);
    g_kids[K_W2] = spawn(WORKER);
    char nobody[40];
    snprintf(nobody, sizeof nobody, "nobody%s", bkt.sfx);
    bkt_config_dir(g_dir, sizeof g_dir, "services", nobody);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = NKIDS; i-- > 0;) {
        bkt_stop(g_kids[i], SIGTERM);
        g_kids[i] = 0;
    }
    bk_arena_free(g_a);
    bk_client_free(g_c);
    bkt_config_dir_remove(g_dir);
    return 0;
}

/* Runs a tool: its exit status, its output (stdout and stderr) in out. */
#define run(out, n, ...) bkt_sh(out, n, BKT_STDERR, __VA_ARGS__)

/* ------------------------------------------------------------------ queries */

static json_t *query(const char *what, const char *key, const char *value)
{
    char m[80];
    snprintf(m, sizeof m, "_bkpr.supervisor.%s", what);
    json_t *p = key ? json_pack("{s:s}", key, value) : json_object(), *res = NULL;
    bk_error e;
    int rc = bk_call(g_c, m, p, NULL, g_a, &res, &e);
    json_decref(p);
    if (rc)
        fail_msg("%s: %d %s", m, e.code, e.message);
    return res;
}

static json_t *find_pid(json_t *ws, pid_t pid)
{
    size_t i;
    json_t *w;
    json_array_foreach(ws, i, w)
        if (json_integer_value(json_object_get(w, "pid")) == pid)
            return w;
    return NULL;
}

static int usage_known(json_t *w)
{
    return w && json_is_number(json_object_get(w, "cpu")) &&
           json_integer_value(json_object_get(w, "rss")) > 0;
}

static void workers_are_listed_with_usage(void **state)
{
    (void)state;
    BKT_NEED_BROKER();
    json_t *ws = NULL;
    for (int i = 0; i < 100; i++) {
        bk_arena_reset(g_a);
        ws = query("get_workers_status", "class", "svc-class");
        if (json_array_size(ws) == 2 && usage_known(find_pid(ws, g_kids[K_W1])) &&
            usage_known(find_pid(ws, g_kids[K_W2])))
            break;
        bkt_sleep_ms(200);
    }
    assert_int_equal(json_array_size(ws), 2);
    for (int k = K_W1; k <= K_W2; k++) {
        json_t *w = find_pid(ws, g_kids[k]);
        assert_non_null(w);
        assert_string_equal(json_string_value(json_object_get(w, "class")), "svc-class");
        assert_string_equal(json_string_value(json_object_get(w, "pool")), "itpool");
        assert_string_equal(json_string_value(json_object_get(w, "host")), g_host);
        assert_string_equal(json_string_value(json_array_get(json_object_get(w, "queue"), 0)),
                            g_svc);
        assert_true(usage_known(w));
        assert_true(json_is_number(json_object_get(w, "load")));
        assert_true(json_is_number(json_object_get(w, "jps")));
    }
    /* filters: another pool, another host */
    assert_int_equal(json_array_size(query("get_workers_status", "pool", "none")), 0);
    assert_int_equal(json_array_size(query("get_workers_status", "host", "no-such-host")), 0);
    json_t *all = query("get_workers_status", NULL, NULL);
    assert_non_null(find_pid(all, g_kids[K_SUP]));
    assert_non_null(find_pid(all, g_kids[K_SINK]));
}

static void services_are_counted(void **state)
{
    (void)state;
    BKT_NEED_BROKER();
    bk_arena_reset(g_a);
    json_t *ss = query("get_services_status", "pool", "itpool");
    json_t *s = json_object_get(ss, g_svc);
    assert_non_null(s);
    assert_int_equal(json_integer_value(json_object_get(s, "count")), 2);
    assert_true(json_number_value(json_object_get(s, "cpu")) >= 0);
    assert_true(json_integer_value(json_object_get(s, "rss")) > 0);
    assert_true(json_is_number(json_object_get(s, "jps")));
    assert_true(json_is_number(json_object_get(s, "nps")));
    assert_true(json_is_number(json_object_get(s, "load")));
    json_t *sup = json_object_get(ss, "_bkpr.supervisor");
    assert_int_equal(json_integer_value(json_object_get(sup, "count")), 1);
    /* bad params are refused with the field named */
    json_t *p = json_pack("{s:i}", "class", 3), *res;
    bk_error e;
    assert_int_equal(bk_call(g_c, "_bkpr.supervisor.get_services_status", p, NULL, g_a, &res, &e),
                     BK_ERPC);
    assert_int_equal(e.code, BK_RPC_INVALID_PARAMS);
    json_decref(p);
}

static void queries_need_an_admin_or_system_token(void **state)
{
    (void)state;
    BKT_NEED_BROKER();
    bk_arena_reset(g_a);
    json_t *res;
    bk_error e;
    bk_call_opts o = {.tokens = "user|BKPR_ROUTER"};
    assert_int_equal(bk_call(g_c, "_bkpr.supervisor.get_workers_status", NULL, &o, g_a, &res, &e),
                     BK_ERPC);
    assert_int_equal(e.code, BK_RPC_NOT_AUTHORIZED);
    o.tokens = "BKPR_SYSTEM";
    assert_int_equal(bk_call(g_c, "_bkpr.supervisor.get_workers_status", NULL, &o, g_a, &res, &e),
                     0);
}

static void a_killed_worker_expires(void **state)
{
    (void)state;
    BKT_NEED_BROKER();
    kill(g_kids[K_W1], SIGKILL);
    assert_int_equal(bkt_wait_exit(g_kids[K_W1], 10000), 128 + SIGKILL);
    json_t *ws = NULL;
    for (int i = 0; i < 100; i++) {
        bk_arena_reset(g_a);
        ws = query("get_workers_status", "class", "svc-class");
        if (!find_pid(ws, g_kids[K_W1]))
            break;
        bkt_sleep_ms(200);
    }
    assert_null(find_pid(ws, g_kids[K_W1]));
    assert_non_null(find_pid(ws, g_kids[K_W2]));
    g_kids[K_W1] = 0;
}

static void top_once_prints_a_table(void **state)
{
    (void)state;
    BKT_NEED_BROKER();
    char out[8192];
    assert_int_equal(run(out, sizeof out, "%s/bin/bkpr-top --config-dir %s --once", g_bin, g_dir),
                     0);
    assert_non_null(strstr(out, "SERVICE"));
    assert_non_null(strstr(out, "WORKERS"));
    assert_non_null(strstr(out, g_svc));
    assert_non_null(strstr(out, "_bkpr.supervisor"));
    assert_int_equal(run(out, sizeof out, "%s/bin/bkpr-top --config-dir %s --bus %s -l --once "
                                          "--class svc-class --sort cpu", g_bin, g_dir, bkt.cluster),
                     0);
    assert_non_null(strstr(out, "svc-class"));
    assert_non_null(strstr(out, "PID"));
    assert_null(strstr(out, "sinkhole"));
    /* a bus without a Supervisor */
    assert_int_equal(run(out, sizeof out, "%s/bin/bkpr-top --config-dir %s --bus nobody%s --once "
                                          "--timeout 500", g_bin, g_dir, bkt.sfx), 1);
    assert_non_null(strstr(out, "no Supervisor answered"));
    assert_int_equal(run(out, sizeof out, "%s/bin/bkpr-top --sort nope --once", g_bin), 2);
    /* the workers view has no count column to sort by */
    assert_int_equal(run(out, sizeof out, "%s/bin/bkpr-top -l --sort count --once", g_bin), 2);
    assert_non_null(strstr(out, "no such column"));
    assert_int_equal(run(out, sizeof out, "%s/bin/bkpr-top --help", g_bin), 0);
    assert_non_null(strstr(out, "usage: bkpr-top"));
}

/* bkpr-top --broker: the figures bkpr-broker serves (_bkpr.broker.stats), with the queues
 * of the bus; another broker does not answer, and bkpr-top says so. */
static void top_broker_shows_the_broker_figures(void **state)
{
    (void)state;
    BKT_NEED_BROKER();
    char out[65536], queue[200];
    int bkpr = strcmp(bkt.broker, "bkpr-broker") == 0;
    int rc = run(out, sizeof out, "%s/bin/bkpr-top --config-dir %s --broker --once --timeout 1000",
                 g_bin, g_dir);
    if (!bkpr) {
        assert_int_equal(rc, 1);
        assert_non_null(strstr(out, "is it a bkpr-broker?"));
        return;
    }
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "broker bkpr-broker/"));
    assert_non_null(strstr(out, "connections "));
    assert_non_null(strstr(out, "dropped: slow consumer"));
    assert_non_null(strstr(out, "QUEUE"));
    snprintf(queue, sizeof queue, "/queue/req.%s.%s", bkt.cluster, g_svc);
    assert_non_null(strstr(out, queue));
}

/* The reports of workers gone before the Supervisor started: a service that has a worker
 * again by the end of its start-up grace is never called unserviced (the Sinkhole would
 * answer its callers for nothing); one that has none is, once the grace is over. Counted
 * from the Sinkhole's notifications, not from times. */
static void services_gone_before_the_supervisor_are_judged_after_its_grace(void **state)
{
    (void)state;
    BKT_NEED_BROKER();
    for (int i = 0; i < 3000 && !g_unserviced_f; i++)
        bk_client_run_for(g_c, 10);
    assert_true(g_unserviced_f > 0);
    assert_int_equal(g_unserviced_e, 0);
    bk_error e;
    json_t *res;
    bk_arena_reset(g_a);
    assert_int_equal(bk_call(g_c, g_method_f, NULL, NULL, g_a, &res, &e), BK_ERPC);
    assert_int_equal(e.code, BK_RPC_NOT_AVAILABLE);
    assert_int_equal(bk_call(g_c, g_method_e, NULL, NULL, g_a, &res, &e), 0);
}

static int call(const char *tokens, int timeout_ms, bk_error *e)
{
    bk_call_opts o = {.tokens = tokens, .timeout_ms = timeout_ms};
    json_t *p = json_pack("{s:s}", "x", "y"), *res;
    int rc = bk_call(g_c, g_method, p, &o, g_a, &res, e);
    json_decref(p);
    return rc;
}

static void the_sinkhole_answers_for_a_service_without_workers(void **state)
{
    (void)state;
    BKT_NEED_BROKER();
    kill(g_kids[K_W2], SIGTERM); /* graceful: worker_exit */
    assert_int_equal(bkt_wait_exit(g_kids[K_W2], 10000), 0);
    g_kids[K_W2] = 0;
    bk_error e;
    bk_arena_reset(g_a);
    /* The request waits in the queue until the Sinkhole drains it: the answer, not the
     * timeout, ends the call. */
    assert_int_equal(call("user", 30000, &e), BK_ERPC);
    assert_int_equal(e.code, BK_RPC_NOT_AVAILABLE);
    assert_int_equal(call("", 30000, &e), BK_ERPC);
    assert_int_equal(e.code, BK_RPC_NOT_AUTHORIZED);
    bk_call_opts o = {.tokens = "user"};
    assert_int_equal(bk_call_background(g_c, g_method, NULL, &o), 0); /* dropped */
    assert_int_equal(call("user", 30000, &e), BK_ERPC);
    assert_int_equal(e.code, BK_RPC_NOT_AVAILABLE);
    bk_arena_reset(g_a);
    json_t *ss = query("get_services_status", NULL, NULL);
    assert_null(json_object_get(ss, g_svc));
}

static void calls_reach_a_worker_that_is_back(void **state)
{
    (void)state;
    BKT_NEED_BROKER();
    g_kids[K_W3] = spawn(WORKER);
    bk_error e;
    int ok = 0;
    for (int i = 0; i < 200 && ok < 3; i++) {
        bk_arena_reset(g_a);
        int rc = call("user", 10000, &e);
        if (rc == 0)
            ok++;
        else if (rc == BK_ERPC && e.code == BK_RPC_NOT_AVAILABLE)
            ok = 0, bkt_sleep_ms(50);
        else
            fail_msg("call: %d %s", e.code, e.message);
    }
    assert_int_equal(ok, 3);
}

static void restart_terms_the_matching_workers(void **state)
{
    (void)state;
    BKT_NEED_BROKER();
    char out[4096];
    /* no terminal, no --yes: nothing happens */
    assert_int_equal(run(out, sizeof out, "%s/bin/bkpr-restart --config-dir %s --class svc-class",
                         g_bin, g_dir), 1);
    assert_non_null(strstr(out, "--yes"));
    assert_int_equal(bkt_wait_exit(g_kids[K_W3], 0), -1);
    assert_int_equal(run(out, sizeof out, "%s/bin/bkpr-restart --config-dir %s --yes "
                                          "--class svc-class --delay 0.1", g_bin, g_dir), 0);
    assert_non_null(strstr(out, "restarting"));
    assert_int_equal(bkt_wait_exit(g_kids[K_W3], 15000), 0); /* TERM: a graceful exit */
    g_kids[K_W3] = 0;
    assert_int_equal(bkt_wait_exit(g_kids[K_SUP], 0), -1);   /* the others were left alone */
    assert_int_equal(bkt_wait_exit(g_kids[K_SINK], 0), -1);

    assert_int_equal(run(out, sizeof out, "%s/bin/bkpr-restart --config-dir %s --yes "
                                          "--pool other", g_bin, g_dir), 0);
    int before = g_hups;
    assert_int_equal(run(out, sizeof out, "%s/bin/bkpr-restart --config-dir %s --yes "
                                          "--pool itpool", g_bin, g_dir), 0);
    for (int i = 0; i < 500 && g_hups == before; i++)
        bkt_sleep_ms(20);
    assert_int_equal(g_hups, before + 1); /* the pool manager (us) got HUP, once */
    assert_int_equal(run(out, sizeof out, "%s/bin/bkpr-restart --delay x", g_bin), 2);
}

int main(void)
{
    bkt_env_load("itest_services", "bksv");
    /* the tools are beside the tests: $(B)/tests/.. /bin */
    ssize_t n = readlink("/proc/self/exe", g_bin, sizeof g_bin - 1);
    g_bin[n > 0 ? n : 0] = 0;
    char *d = dirname(dirname(g_bin));
    memmove(g_bin, d, strlen(d) + 1);
    if (gethostname(g_host, sizeof g_host - 1) != 0)
        strcpy(g_host, "localhost");
    snprintf(g_svc, sizeof g_svc, "bksv%s.app", bkt.sfx);
    snprintf(g_method, sizeof g_method, "%s.echo", g_svc);
    snprintf(g_svc_e, sizeof g_svc_e, "bksv%s.back", bkt.sfx);
    snprintf(g_method_e, sizeof g_method_e, "%s.echo", g_svc_e);
    snprintf(g_svc_f, sizeof g_svc_f, "bksv%s.gone", bkt.sfx);
    snprintf(g_method_f, sizeof g_method_f, "%s.echo", g_svc_f);
    bk_log_set_level(BK_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(workers_are_listed_with_usage),
        cmocka_unit_test(services_are_counted),
        cmocka_unit_test(queries_need_an_admin_or_system_token),
        cmocka_unit_test(a_killed_worker_expires),
        cmocka_unit_test(top_once_prints_a_table),
        cmocka_unit_test(top_broker_shows_the_broker_figures),
        cmocka_unit_test(services_gone_before_the_supervisor_are_judged_after_its_grace),
        cmocka_unit_test(the_sinkhole_answers_for_a_service_without_workers),
        cmocka_unit_test(calls_reach_a_worker_that_is_back),
        cmocka_unit_test(restart_terms_the_matching_workers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
