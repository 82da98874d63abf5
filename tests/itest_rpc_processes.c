/* Processes that come and go under bk_client and bk_worker on a real broker (itest_rpc.h):
 * the load spread over four workers, the job of a killed worker done by another, and a
 * broker killed and restarted: calls fail at once, then client and worker recover. */
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
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <unistd.h>

#include "itest_rpc.h"

/* the broker_restart test's own bkpr-broker and client (its teardown ends them on failure) */
static pid_t g_priv_broker = -1;
static bk_client *g_priv_client;
static char g_priv_log[256];
static char g_pidfile[256];

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

static void broker_restart_fails_calls_then_recovers(void **st)
{
    (void)st;
    NEED_BROKER();
    /* The test kills the broker and starts it again on the same port, so it runs its own
     * bkpr-broker. On RabbitMQ (the harness's instance, slow to restart, and other tests
     * share it) it is skipped: the client and worker code paths are the same. */
    if (strcmp(bkt.broker, "bkpr-broker") != 0) {
        fprintf(stderr, "skip on %s: the test restarts its own bkpr-broker\n", bkt.broker);
        skip();
    }
    char bin[512];
    if (broker_bin(bin, sizeof bin) != 0)
        fail_msg("bkpr-broker not found (tried %s): set B or BK_BROKER_BIN", bin);
    int port = bkt_free_port();
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
    bk_client_opts o = bkt_client_opts();
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
    bkt_stop(w, SIGTERM);
    forget_worker(w);
    /* TERM: the broker exits 0 (under SAN=1, LeakSanitizer makes a leak non-zero) */
    int status = bkt_stop(g_priv_broker, SIGTERM);
    g_priv_broker = -1;
    if (status != 0)
        fail_msg("bkpr-broker did not exit 0 on TERM (status %d); see %s", status, g_priv_log);
    unlink(g_priv_log);
}

/* Ends what broker_restart_fails_calls_then_recovers left when it failed. */
static int end_private_broker(void **st)
{
    (void)st;
    bk_client_free(g_priv_client);
    g_priv_client = NULL;
    bkt_stop(g_priv_broker, SIGKILL);
    g_priv_broker = -1;
    return 0;
}

/* The tests fork their own workers. */
const wkind rpc_kinds[] = { W_END };

int main(void)
{
    bkt_env_load("itest_rpc_processes", "bkit");
    snprintf(g_pidfile, sizeof g_pidfile, "/tmp/bkit-rpc-%d.pid", (int)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(load_spreads_over_four_workers),
        cmocka_unit_test(killed_worker_job_is_redelivered),
        cmocka_unit_test_teardown(broker_restart_fails_calls_then_recovers, end_private_broker),
    };
    int rc = cmocka_run_group_tests(tests, rpc_group_setup, rpc_group_teardown);
    unlink(g_pidfile);
    return rc;
}
