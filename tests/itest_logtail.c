/* LogTail and bkpr-log against a real broker (BK_TEST_*; skipped without one): a worker logs
 * to the bus, LogTail keeps the entries, _bkpr.logtail.tail filters them, bkpr-log prints
 * them. LogTail and the logging worker are forked processes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "beekeeper/client.h"
#include "beekeeper/log.h"
#include "beekeeper/worker.h"
#include "services/logtail.h"
#include "itest_env.h"

static char g_dir[64];
static pid_t g_kids[2];

/* ------------------------------------------------------------------ the two workers */

static bk_auth_result allow(bk_request *req, void *arg)
{
    (void)req;
    (void)arg;
    return BK_AUTH_ALLOW;
}

static int w_log(bk_request *req, json_t *params, void *arg)
{
    (void)arg;
    bk_log_level lv = BK_LOG_INFO;
    bk_log_level_parse(json_string_value(json_object_get(params, "level")), &lv);
    bk_log(lv, "%s", json_string_value(json_object_get(params, "text")));
    return bk_request_reply_new(req, json_true());
}

/* The module host's way of running hooks that setup fills after the worker exists. */
static bk_auth_result hook_authorize(bk_request *req, void *arg)
{
    bk_module_hooks *h = arg;
    return h->authorize ? h->authorize(req, h->arg) : BK_AUTH_DENY;
}

static int ready_fd = -1;

static int hook_start(bk_worker *w, void *arg)
{
    bk_module_hooks *h = arg;
    char c = 'r';
    if (write(ready_fd, &c, 1) != 1)
        return 1;
    return h->on_start ? h->on_start(w, h->arg) : 0;
}

static void hook_stop(bk_worker *w, void *arg)
{
    bk_module_hooks *h = arg;
    if (h->on_stop)
        h->on_stop(w, h->arg);
}

static pid_t spawn(int logtail)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        ready_fd = p[1];
        alarm(120);
        static bk_module_hooks h;
        bk_worker_opts o = {.client = bkt_client_opts(), .handle_signals = 1, .status_interval_ms = -1,
                            .on_start = hook_start, .on_stop = hook_stop, .arg = &h};
        bk_worker *w;
        if (logtail) {
            o.authorize = hook_authorize;
            json_t *opts = json_pack("{s:i}", "buffer_entries", 5);
            if (bk_worker_new(&w, &o) || bkp_logtail_module.setup(w, opts, &h))
                _exit(99);
            json_decref(opts);
        } else {
            char m[128];
            snprintf(m, sizeof m, "bklt%s.app.log", bkt.sfx);
            o.authorize = allow;
            o.log_to_bus = 1;
            o.pool = "ltpool";
            if (bk_worker_new(&w, &o) || bk_worker_accept(w, m, w_log, NULL))
                _exit(99);
        }
        int rc = bk_worker_run(w);
        bk_worker_free(w);
        _exit(rc ? 1 : 0);
    }
    close(p[1]);
    char c;
    assert_int_equal(read(p[0], &c, 1), 1);
    close(p[0]);
    return pid;
}

static int setup(void **state)
{
    (void)state;
    if (!bkt.broker)
        return 0;
    g_kids[0] = spawn(1);
    g_kids[1] = spawn(0);
    strcpy(g_dir, "/tmp/bk-logtail.XXXXXX");
    assert_non_null(mkdtemp(g_dir));
    char path[128];
    snprintf(path, sizeof path, "%s/bus.config.json", g_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "[{\"bus-id\":\"%s\",\"host\":\"%s\",\"vhost\":\"%s\",\"user\":\"%s\","
               "\"pass\":\"%s\"}]\n", bkt.cluster, bkt.addr, bkt.vhost, bkt.user, bkt.pass);
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++)
        if (g_kids[i] > 0) {
            int st;
            kill(g_kids[i], SIGTERM);
            waitpid(g_kids[i], &st, 0);
            g_kids[i] = -1;
        }
    if (g_dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
        if (system(cmd) != 0)
            perror("rm");
    }
    return 0;
}

/* Runs a command, returns its exit status and its output in out. */
__attribute__((format(printf, 3, 4))) static int run(char *out, size_t n, const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t got = fread(out, 1, n - 1, p);
    out[got] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void logs_are_kept_filtered_and_printed(void **state)
{
    (void)state;
    if (!bkt.broker)
        skip();
    bk_client_opts o = bkt_client_opts();
    bk_client *c;
    assert_int_equal(bk_client_new(&c, &o), 0);
    assert_int_equal(bk_client_connect_wait(c, 10000), 0);
    bk_arena *a;
    bk_arena_new(&a);
    char m[128];
    snprintf(m, sizeof m, "bklt%s.app.log", bkt.sfx);
    static const char *const lines[][2] = {
        {"info", "first"}, {"warn", "second"}, {"error", "third"}, {"info", "fourth"},
        {"debug", "not logged: below the level"}, {"warn", "fifth"}, {"info", "sixth"},
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        json_t *p = json_pack("{s:s,s:s}", "level", lines[i][0], "text", lines[i][1]), *res;
        bk_error e;
        assert_int_equal(bk_call(c, m, p, NULL, a, &res, &e), 0);
        json_decref(p);
    }
    /* The entries went over the bus; give LogTail a moment to have them all. */
    json_t *res = NULL;
    bk_error e;
    bk_call_opts admin = {.tokens = "BKPR_ADMIN"};
    for (int tries = 0; tries < 100; tries++) {
        json_t *p = json_pack("{s:i}", "count", 100);
        assert_int_equal(bk_call(c, "_bkpr.logtail.tail", p, &admin, a, &res, &e), 0);
        json_decref(p);
        if (json_array_size(res) == 5 &&
            !strcmp(json_string_value(json_object_get(json_array_get(res, 4), "message")), "sixth"))
            break;
        bk_client_run_for(c, 50);
    }
    /* The ring holds 5: the first is gone; oldest first. */
    assert_int_equal(json_array_size(res), 5);
    assert_string_equal(json_string_value(json_object_get(json_array_get(res, 0), "message")),
                        "second");
    assert_string_equal(json_string_value(json_object_get(json_array_get(res, 0), "pool")),
                        "ltpool");

    json_t *p = json_pack("{s:s}", "level", "warn");
    assert_int_equal(bk_call(c, "_bkpr.logtail.tail", p, &admin, a, &res, &e), 0);
    json_decref(p);
    assert_int_equal(json_array_size(res), 3); /* second, third, fifth */
    p = json_pack("{s:s,s:i}", "message", "^(fourth|sixth)$", "count", 1);
    assert_int_equal(bk_call(c, "_bkpr.logtail.tail", p, &admin, a, &res, &e), 0);
    json_decref(p);
    assert_int_equal(json_array_size(res), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(res, 0), "message")),
                        "sixth");
    /* Refusals: no admin token; a bad filter. */
    assert_int_equal(bk_call(c, "_bkpr.logtail.tail", NULL, NULL, a, &res, &e), BK_ERPC);
    assert_int_equal(e.code, -403);
    p = json_pack("{s:s}", "message", "(");
    assert_int_equal(bk_call(c, "_bkpr.logtail.tail", p, &admin, a, &res, &e), BK_ERPC);
    json_decref(p);
    assert_int_equal(e.code, -32602);
    assert_string_equal(json_string_value(e.data), "message: expected a regular expression");
    p = json_pack("{s:s}", "level", "loud");
    assert_int_equal(bk_call(c, "_bkpr.logtail.tail", p, &admin, a, &res, &e), BK_ERPC);
    json_decref(p);
    assert_int_equal(e.code, -32602);

    /* bkpr-log prints them, filters, and refuses a bad command line. */
    const char *b = getenv("B") ? getenv("B") : "build";
    char out[4096];
    assert_int_equal(run(out, sizeof out, "%s/bin/bkpr-log --config-dir %s -n 3", b, g_dir), 0);
    assert_null(strstr(out, "third"));
    assert_non_null(strstr(out, "fourth"));
    assert_non_null(strstr(out, "[warn]"));
    assert_non_null(strstr(out, "sixth"));
    assert_null(strstr(out, "\033[")); /* not a terminal: no colours */
    assert_int_equal(run(out, sizeof out, "%s/bin/bkpr-log --config-dir %s --level error", b,
                         g_dir), 0);
    assert_non_null(strstr(out, "[error]"));
    assert_non_null(strstr(out, "third"));
    assert_null(strstr(out, "fifth"));
    assert_int_equal(run(out, sizeof out, "%s/bin/bkpr-log --config-dir %s -n x 2>&1", b, g_dir),
                     2);
    assert_non_null(strstr(out, "-n expects"));
    assert_int_equal(run(out, sizeof out, "%s/bin/bkpr-log --config-dir %s --message '(' 2>&1",
                         b, g_dir), 2);
    assert_int_equal(run(out, sizeof out, "%s/bin/bkpr-log --help", b), 0);
    assert_non_null(strstr(out, "usage: bkpr-log"));
    bk_arena_free(a);
    bk_client_free(c);
}

int main(void)
{
    bkt_env_load("itest_logtail", "bklt");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(logs_are_kept_filtered_and_printed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
