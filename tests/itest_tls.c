/* TLS between our client and a broker, with certificates tests/tls-certs.sh makes at run time.
 *
 * On bkpr-broker the test starts brokers of its own, one per server certificate (good,
 * expired, for a wrong host; one that requires client certificates), each with a plain and
 * a TLS listener: a call over TLS, and every refusal a clear error in the log, within the
 * connect timeout (one round of hosts: nothing hangs). On RabbitMQ it uses the TLS listener
 * tests/brokers/rabbitmq.sh adds (BK_TEST_TLS_PORT, BK_TEST_TLS_CA). No duration is asserted. */
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
#include <time.h>
#include <unistd.h>

#include "beekeeper/client.h"
#include "beekeeper/error.h"
#include "beekeeper/log.h"
#include "beekeeper/worker.h"
#include "itest_env.h"

static char g_dir[64];       /* the certificates */
static char g_log[8192];     /* what the library logged since log_reset() */

static void capture(bk_log_level lv, const char *msg, void *arg)
{
    (void)lv;
    (void)arg;
    size_t n = strlen(g_log);
    snprintf(g_log + n, sizeof g_log - n, "%s\n", msg);
}

static void log_reset(void)
{
    g_log[0] = '\0';
}

static const char *cert(const char *name)
{
    static char buf[8][128];
    static int i;
    char *p = buf[i++ % 8];
    snprintf(p, 128, "%s/%s", g_dir, name);
    return p;
}

/* ------------------------------------------------------------------ our brokers */

typedef struct tbroker {
    pid_t pid;
    char plain[40], tls[40];     /* "127.0.0.1:PORT" */
} tbroker;

/* bkpr-broker with a plain and a TLS listener on free ports, server certificate NAME.pem. */
static void tbroker_start(tbroker *br, const char *name, const char *client_ca)
{
    const char *b = getenv("B") ? getenv("B") : "build";
    char bin[256], logf[128], crt[128], key[128];
    snprintf(bin, sizeof bin, "%s/bin/bkpr-broker", b);
    snprintf(logf, sizeof logf, "%s/%s.log", g_dir, name);
    snprintf(crt, sizeof crt, "%s/%s.pem", g_dir, name);
    snprintf(key, sizeof key, "%s/%s.key", g_dir, name);
    unlink(logf);
    br->pid = fork();
    assert_true(br->pid >= 0);
    if (br->pid == 0) {
        int fd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0)
            dup2(fd, 2);
        alarm(120);
        if (client_ca)
            execl(bin, bin, "-v", "--listen", "127.0.0.1:0", "--listen-tls", "127.0.0.1:0",
                  "--tls-cert", crt, "--tls-key", key, "--tls-client-ca", client_ca,
                  (char *)NULL);
        else
            execl(bin, bin, "-v", "--listen", "127.0.0.1:0", "--listen-tls", "127.0.0.1:0",
                  "--tls-cert", crt, "--tls-key", key, (char *)NULL);
        _exit(127);
    }
    int p1 = 0, p2 = 0;
    for (int i = 0; i < 500 && p2 <= 0; i++) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        FILE *f = fopen(logf, "r");
        char line[512];
        if (f && fgets(line, sizeof line, f) &&
            sscanf(line, "bkpr-broker: listening on 127.0.0.1:%d, 127.0.0.1:%d (tls)", &p1,
                   &p2) != 2)
            p2 = 0;
        if (f)
            fclose(f);
    }
    assert_true(p2 > 0);
    snprintf(br->plain, sizeof br->plain, "127.0.0.1:%d", p1);
    snprintf(br->tls, sizeof br->tls, "127.0.0.1:%d", p2);
}

static void tbroker_stop(tbroker *br)
{
    if (br->pid > 0) {
        kill(br->pid, SIGTERM);
        waitpid(br->pid, NULL, 0);
    }
    br->pid = 0;
}

static tbroker g_good, g_expired, g_wronghost, g_mtls;

static int is_bkpr(void)
{
    return bkt.broker && strcmp(bkt.broker, "bkpr-broker") == 0;
}

static int group_setup(void **st)
{
    (void)st;
    bkt_env_load("itest_tls", "tls");
    if (!bkt.broker)
        return 0;
    snprintf(g_dir, sizeof g_dir, "/tmp/bk-tls.XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    char out[512];
    if (bkt_sh(out, sizeof out, BKT_STDERR, "sh tests/tls-certs.sh %s", g_dir) != 0) {
        fprintf(stderr, "itest_tls: cannot make certificates: %s\n", out);
        return -1;
    }
    bk_log_set_sink(capture, NULL);
    bk_log_set_level(BK_LOG_DEBUG);
    if (is_bkpr()) {
        tbroker_start(&g_good, "server", NULL);
        tbroker_start(&g_expired, "expired", NULL);
        tbroker_start(&g_wronghost, "wronghost", NULL);
        tbroker_start(&g_mtls, "server", cert("ca.pem"));
    }
    return 0;
}

static int group_teardown(void **st)
{
    (void)st;
    tbroker_stop(&g_good);
    tbroker_stop(&g_expired);
    tbroker_stop(&g_wronghost);
    tbroker_stop(&g_mtls);
    if (g_dir[0]) {
        char out[64];
        bkt_sh(out, sizeof out, 0, "rm -rf %s", g_dir);
    }
    return 0;
}

/* ------------------------------------------------------------------ helpers */

static const char *g_host[1];

static bk_client_opts tls_opts(const char *addr, const char *ca)
{
    bk_client_opts o = bkt_client_opts();
    g_host[0] = addr;
    o.hosts = g_host;
    o.nhosts = 1;
    o.tls = 1;
    o.tls_ca = ca;
    o.connect_timeout_ms = 3000;
    o.max_rounds = 1;
    return o;
}

/* One round of connecting with o: the result of bk_client_connect_wait (bounded by the one
 * round of one host). */
static int connect_once(const bk_client_opts *o)
{
    bk_client *c = NULL;
    log_reset();
    int rc = bk_client_new(&c, o);
    if (rc == 0)
        rc = bk_client_connect_wait(c, 15000);
    bk_client_free(c);
    return rc;
}

static void assert_logged(const char *what)
{
    if (!strstr(g_log, what))
        fail_msg("expected \"%s\" in the log:\n%s", what, g_log);
}

static int h_echo(bk_request *req, json_t *params, void *arg)
{
    (void)arg;
    return bk_request_reply(req, params);
}

typedef struct wcfg {
    const char *addr, *ca;
} wcfg;

static void method(char *m, size_t n)
{
    snprintf(m, n, "tls%s.echo", bkt.sfx);
}

static int worker_setup(bk_worker **wp, void *arg)
{
    const wcfg *w = arg;
    char m[64];
    bk_worker_opts o = { .client = tls_opts(w->addr, w->ca), .authorize = bkt_allow,
                         .on_start = bkt_on_start_ready, .handle_signals = 1,
                         .status_interval_ms = -1 };
    o.client.max_rounds = 0;
    method(m, sizeof m);
    if (bk_worker_new(wp, &o) != 0 || bk_worker_accept(*wp, m, h_echo, NULL) != 0)
        return 1;
    return 0;
}

/* A worker and a client, both over TLS to addr: a call and its answer. */
static void call_over_tls(const char *addr, const char *ca)
{
    wcfg w = {addr, ca};
    pid_t pid = bkt_spawn_worker(worker_setup, &w, 60);
    assert_true(pid > 0);
    bk_client_opts o = tls_opts(addr, ca);
    o.max_rounds = 0;
    bk_client *c = NULL;
    assert_int_equal(bk_client_new(&c, &o), 0);
    assert_int_equal(bk_client_connect_wait(c, 10000), 0);
    bk_arena *a = NULL;
    assert_int_equal(bk_arena_new(&a), 0);
    json_t *res = NULL;
    bk_error err;
    char m[64], big[40000];
    method(m, sizeof m);
    /* bigger than a TLS record: the io writes and reads it as several */
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    json_t *p = json_pack("{s:s, s:i}", "text", big, "n", 7);
    assert_int_equal(bk_call(c, m, p, &(bk_call_opts){.timeout_ms = 10000}, a, &res, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(res, "n")), 7);
    assert_int_equal(strlen(json_string_value(json_object_get(res, "text"))), sizeof big - 1);
    json_decref(p);
    bk_arena_free(a);
    bk_client_free(c);
    assert_int_equal(bkt_stop(pid, SIGTERM), 0);
}

/* One round of connecting with TLS (or not) to addr fails, and the log says what. */
static void refused(const char *addr, const char *ca, int tls, const char *what)
{
    bk_client_opts o = tls_opts(addr, ca);
    o.tls = tls;
    assert_int_not_equal(connect_once(&o), 0);
    assert_logged(what);
}

#define NEED_BKPR()                                                                        \
    do {                                                                                   \
        (void)st;                                                                          \
        if (!is_bkpr())                                                                    \
            skip();                                                                        \
    } while (0)

/* ------------------------------------------------------------------ tests */

static void bkpr_broker_serves_calls_over_tls(void **st)
{
    NEED_BKPR();
    call_over_tls(g_good.tls, cert("ca.pem"));
}

static void a_wrong_ca_is_refused(void **st)
{
    NEED_BKPR();
    refused(g_good.tls, cert("other-ca.pem"), 1,
            "TLS handshake: certificate verify failed: unable to get local issuer");
}

static void an_expired_certificate_is_refused(void **st)
{
    NEED_BKPR();
    refused(g_expired.tls, cert("ca.pem"), 1, "certificate verify failed: certificate has expired");
}

static void a_wrong_host_name_is_refused(void **st)
{
    NEED_BKPR();
    refused(g_wronghost.tls, cert("ca.pem"), 1, "certificate verify failed: IP address mismatch");
    char name[64];
    snprintf(name, sizeof name, "localhost%s", strchr(g_wronghost.tls, ':'));
    refused(name, cert("ca.pem"), 1, "certificate verify failed: hostname mismatch");
    snprintf(name, sizeof name, "localhost%s", strchr(g_good.tls, ':'));
    bk_client_opts o = tls_opts(name, cert("ca.pem"));
    assert_int_equal(connect_once(&o), 0);
}

static void tls_verify_false_connects_anyway_and_says_so(void **st)
{
    NEED_BKPR();
    bk_client_opts o = tls_opts(g_wronghost.tls, NULL);
    o.tls_no_verify = 1;
    assert_int_equal(connect_once(&o), 0);
    assert_logged("TLS without checking the broker's certificate");
}

static void a_plaintext_client_on_the_tls_port_fails(void **st)
{
    NEED_BKPR();
    refused(g_good.tls, NULL, 0, "connection closed by the peer");
}

static void a_tls_client_on_a_plain_port_fails(void **st)
{
    NEED_BKPR();
    refused(g_good.plain, cert("ca.pem"), 1, "TLS handshake: no answer in time (not a TLS port?)");
}

static void a_missing_ca_file_is_named(void **st)
{
    NEED_BKPR();
    bk_client_opts o = tls_opts(g_good.tls, cert("no-such-ca.pem"));
    assert_int_equal(connect_once(&o), BK_EINVAL);
    assert_logged("TLS: cannot load the CA file ");
    assert_logged("no-such-ca.pem: No such file or directory");
}

static void client_certificates_when_the_broker_asks(void **st)
{
    NEED_BKPR();
    refused(g_mtls.tls, cert("ca.pem"), 1, "certificate required");
    bk_client_opts o = tls_opts(g_mtls.tls, cert("ca.pem"));
    o.tls_cert = cert("client.pem");
    o.tls_key = cert("client.key");
    assert_int_equal(connect_once(&o), 0);
}

static void rabbitmq_serves_calls_over_tls(void **st)
{
    (void)st;
    const char *port = getenv("BK_TEST_TLS_PORT"), *ca = getenv("BK_TEST_TLS_CA");
    if (!bkt.broker || strcmp(bkt.broker, "rabbitmq") != 0 || !port || !ca)
        skip();
    static char addr[40];
    snprintf(addr, sizeof addr, "127.0.0.1:%s", port);
    call_over_tls(addr, ca);
    refused(addr, cert("other-ca.pem"), 1, "certificate verify failed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bkpr_broker_serves_calls_over_tls),
        cmocka_unit_test(a_wrong_ca_is_refused),
        cmocka_unit_test(an_expired_certificate_is_refused),
        cmocka_unit_test(a_wrong_host_name_is_refused),
        cmocka_unit_test(tls_verify_false_connects_anyway_and_says_so),
        cmocka_unit_test(a_plaintext_client_on_the_tls_port_fails),
        cmocka_unit_test(a_tls_client_on_a_plain_port_fails),
        cmocka_unit_test(a_missing_ca_file_is_named),
        cmocka_unit_test(client_certificates_when_the_broker_asks),
        cmocka_unit_test(rabbitmq_serves_calls_over_tls),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
