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

#include <jansson.h>

#include "beekeeper/client.h"
#include "beekeeper/log.h"
#include "beekeeper/worker.h"
#include "services/logtail.h"
#include "itest_env.h"

static char g_dir[64];
static pid_t g_kids[2];

/* ------------------------------------------------------------------ the two workers */

static int w_log(bk_request *req, json_t *params, void *arg)
{
    (void)arg;
    bk_log_level lv = BK_LOG_INFO;
    bk_log_level_parse(json_string_value(json_object_get(params, "level")), &lv);
    bk_log(lv, "%s", json_string_value(json_object_get(params, "text")));
    return bk_request_reply_new(req, json_true());
}

static int worker_setup(bk_worker **w, void *arg)
{
    int logtail = *(const int *)arg;
    static bk_module_hooks h;
    bk_worker_opts o = {.client = bkt_client_opts(), .handle_signals = 1,
                        .status_interval_ms = -1};
    bkt_module_hooks(&o, &h);
    if (logtail) {
        json_t *opts = json_pack("{s:i}", "buffer_entries", 5);
        int rc = bk_worker_new(w, &o) || bkp_logtail_module.setup(*w, opts, &h);
        json_decref(opts);
        return rc;
    }
    char m[128];
    snprintf(m, sizeof m, "bklt%s.app.log", bkt.sfx);
    h.authorize = bkt_allow;
    o.log_to_bus = 1;
    o.pool = "ltpool";
    return bk_worker_new(w, &o) || bk_worker_accept(*w, m, w_log, NULL);
}

/* A worker of no queue, as the Sinkhole is: it only hears a notification, and logs. */
static int w_hear(bk_request *req, json_t *params, void *arg)
{
    (void)req;
    (void)arg;
    bk_log_info("heard %s", json_string_value(json_object_get(params, "text")));
    return 0;
}

static int quiet_setup(bk_worker **w, void *arg)
{
    (void)arg;
    static bk_module_hooks h;
    static char cls[64], m[128];
    snprintf(cls, sizeof cls, "quiet%s", bkt.sfx);
    snprintf(m, sizeof m, "bklt%s.app.say", bkt.sfx);
    bk_worker_opts o = {.client = bkt_client_opts(), .handle_signals = 1,
                        .status_interval_ms = -1, .log_to_bus = 1, .worker_class = cls};
    bkt_module_hooks(&o, &h);
    h.authorize = bkt_allow;
    return bk_worker_new(w, &o) || bk_worker_accept_notification(*w, m, w_hear, NULL);
}

static pid_t spawn(int logtail)
{
    pid_t pid = bkt_spawn_worker(worker_setup, &logtail, BKT_WORKER_LIFE_S);
    assert_true(pid > 0);
    return pid;
}

static int setup(void **state)
{
    (void)state;
    if (!bkt.broker)
        return 0;
    g_kids[0] = spawn(1);
    g_kids[1] = spawn(0);
    bkt_config_dir(g_dir, sizeof g_dir, "logtail", NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++) {
        bkt_stop(g_kids[i], SIGTERM);
        g_kids[i] = -1;
    }
    bkt_config_dir_remove(g_dir);
    return 0;
}

static void logs_are_kept_filtered_and_printed(void **state)
{
    (void)state;
    BKT_NEED_BROKER();
    bk_client *c = bkt_connect();
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
    for (int tries = 0; tries < 400; tries++) { /* 20 s: a loaded machine */
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
    assert_int_equal(bkt_sh(out, sizeof out, 0, "%s/bin/bkpr-log --config-dir %s -n 3", b,
                            g_dir), 0);
    assert_null(strstr(out, "third"));
    assert_non_null(strstr(out, "fourth"));
    assert_non_null(strstr(out, "[warn]"));
    assert_non_null(strstr(out, "sixth"));
    assert_null(strstr(out, "\033[")); /* not a terminal: no colours */
    assert_int_equal(bkt_sh(out, sizeof out, 0, "%s/bin/bkpr-log --config-dir %s --level error",
                            b, g_dir), 0);
    assert_non_null(strstr(out, "[error]"));
    assert_non_null(strstr(out, "third"));
    assert_null(strstr(out, "fifth"));
    assert_int_equal(bkt_sh(out, sizeof out, BKT_STDERR, "%s/bin/bkpr-log --config-dir %s -n x",
                            b, g_dir), 2);
    assert_non_null(strstr(out, "-n expects"));
    assert_int_equal(bkt_sh(out, sizeof out, BKT_STDERR,
                            "%s/bin/bkpr-log --config-dir %s --message '('", b, g_dir), 2);
    assert_int_equal(bkt_sh(out, sizeof out, 0, "%s/bin/bkpr-log --help", b), 0);
    assert_non_null(strstr(out, "usage: bkpr-log"));
    bk_arena_free(a);
    bk_client_free(c);
}

static int quiet_setup_kids(void **state)
{
    (void)state;
    if (!bkt.broker)
        return 0;
    g_kids[0] = spawn(1);
    g_kids[1] = bkt_spawn_worker(quiet_setup, NULL, BKT_WORKER_LIFE_S);
    assert_true(g_kids[1] > 0);
    bkt_config_dir(g_dir, sizeof g_dir, "logtail", NULL);
    return 0;
}

/* The bus log names a worker by the service it serves; one that serves no queue (the
 * Sinkhole) by its class, not "worker". */
static void a_worker_of_no_queue_logs_as_its_class(void **state)
{
    (void)state;
    BKT_NEED_BROKER();
    bk_client *c = bkt_connect();
    bk_arena *a;
    bk_arena_new(&a);
    char m[128], cls[64];
    snprintf(m, sizeof m, "bklt%s.app.say", bkt.sfx);
    snprintf(cls, sizeof cls, "quiet%s", bkt.sfx);
    json_t *res = NULL, *hit = NULL;
    bk_error e;
    bk_call_opts admin = {.tokens = "BKPR_ADMIN"};
    for (int tries = 0; tries < 400 && !hit; tries++) { /* 20 s */
        json_t *p = json_pack("{s:s}", "text", "hello");
        assert_int_equal(bk_notify(c, m, p, NULL), 0);
        json_decref(p);
        bk_client_run_for(c, 50);
        p = json_pack("{s:s,s:i}", "message", "^heard hello$", "count", 1);
        assert_int_equal(bk_call(c, "_bkpr.logtail.tail", p, &admin, a, &res, &e), 0);
        json_decref(p);
        hit = json_array_get(res, 0);
    }
    assert_non_null(hit);
    assert_string_equal(json_string_value(json_object_get(hit, "service")), cls);
    bk_arena_free(a);
    bk_client_free(c);
}

int main(void)
{
    bkt_env_load("itest_logtail", "bklt");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(logs_are_kept_filtered_and_printed, setup, teardown),
        cmocka_unit_test_setup_teardown(a_worker_of_no_queue_logs_as_its_class,
                                        quiet_setup_kids, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
