/* The fixture of the integration tests: the broker they run against and the worker processes
 * they fork. tests/run-tests.sh exports BK_TEST_BROKER, BK_TEST_HOST, BK_TEST_PORT,
 * BK_TEST_VHOST, BK_TEST_USER and BK_TEST_PASS for each broker; without them every test
 * skips. bk_itest (mk/rules.mk) links this file and bkt.c. */
#ifndef BK_TESTS_ITEST_ENV_H
#define BK_TESTS_ITEST_ENV_H

#include <sys/types.h>

#include "beekeeper/client.h"
#include "beekeeper/module.h"
#include "beekeeper/worker.h"
#include "bkt.h"

typedef struct bkt_env {
    const char *broker;          /* its name; NULL when none is in the environment (skip) */
    const char *vhost, *user, *pass;
    char addr[300];              /* "HOST:PORT" */
    const char *hosts[1];        /* { addr }, for bk_client_opts */
    char sfx[16];                /* 6 random digits that name this run's queues and services */
    char cluster[32];            /* the run's own bus id: prefix and sfx */
} bkt_env;

extern bkt_env bkt;

/* Fills bkt from the environment; without a broker, says on stderr that prog skips. Seeds
 * rand() (time and pid) and names the cluster. 1 when a broker is there, else 0. */
int bkt_env_load(const char *prog, const char *cluster_prefix);

/* Skips the calling test when there is no broker (cmocka's skip()). */
#define BKT_NEED_BROKER()                                                                  \
    do {                                                                                   \
        if (!bkt.broker)                                                                   \
            skip();                                                                        \
    } while (0)

/* Client options for the broker, on bkt.cluster (strings borrowed from bkt). */
bk_client_opts bkt_client_opts(void);

/* A new client with bkt_client_opts(), connected (up to 10 s, else the test fails); the
 * caller frees it with bk_client_free. */
bk_client *bkt_connect(void);

/* An authorize hook that allows every request. */
bk_auth_result bkt_allow(bk_request *req, void *arg);

/* ------------------------------------------------------------------ worker processes */

/* Runs in the forked child: makes *w (its on_start must call bkt_ready(), or be
 * bkt_on_start_ready). Non-zero: the child exits 99. */
typedef int bkt_worker_setup(bk_worker **w, void *arg);

/* How long a worker process may live: alarm(), the last resort against a hung test. */
#define BKT_WORKER_LIFE_S 120

/* Forks a worker process: setup(&w, arg), then bk_worker_run until a signal ends it; it exits
 * 0, or 1 when the run failed (exit(), not _exit(): LeakSanitizer checks the worker too), and
 * SIGALRM ends it after life_s. Returns its pid once it called bkt_ready(), or -1 when it did
 * not within 15 s (the process is killed and reaped then). */
pid_t bkt_spawn_worker(bkt_worker_setup *setup, void *arg, unsigned life_s);

/* In a worker process: tells bkt_spawn_worker that the worker serves. Later calls do nothing.
 * A failed write goes unsaid: the parent's wait times out. */
void bkt_ready(void);

/* An on_start hook that calls bkt_ready(). */
int bkt_on_start_ready(bk_worker *w, void *arg);

/* Runs hooks the way the module host (bkpr) does for a bk_module_def: sets o's authorize,
 * on_start, on_stop and arg to call those that the module's setup fills in *h after the
 * worker exists (no authorize: everything is refused), and bkt_ready() once h's on_start
 * succeeded. *h must outlive the worker. */
void bkt_module_hooks(bk_worker_opts *o, bk_module_hooks *h);

/* Waits up to ms for the child pid to end: its exit status (128 + the signal's number when a
 * signal ended it), or -1 when it still runs. */
int bkt_wait_exit(pid_t pid, int ms);

/* Sends sig to the child pid and reaps it, with SIGKILL when it has not ended after 10 s.
 * Its exit status as bkt_wait_exit gives it; pid <= 0: nothing to do, -1. */
int bkt_stop(pid_t pid, int sig);

/* ------------------------------------------------------------------ the tools */

/* Makes a folder for the tools' --config-dir (mkdtemp of /tmp/bk-NAME.XXXXXX, into dir of n
 * bytes) holding a bus.config.json: bkt's broker as the default bus bkt.cluster, and when
 * other_bus is not NULL as the bus other_bus too. Fails the test when it cannot. */
void bkt_config_dir(char *dir, size_t n, const char *name, const char *other_bus);

/* Removes what bkt_config_dir made; dir "": nothing. */
void bkt_config_dir_remove(const char *dir);

#define BKT_STDERR 1u   /* bkt_sh: stderr goes to out too */

/* Runs the shell command printed from fmt with stdin from /dev/null; its standard output (and
 * standard error with BKT_STDERR in flags) in out, cut to n - 1 bytes. The exit status, or -1
 * when a signal ended the command. */
__attribute__((format(printf, 4, 5)))
int bkt_sh(char *out, size_t n, unsigned flags, const char *fmt, ...);

#endif
