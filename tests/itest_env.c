/* See itest_env.h. */
#include "itest_env.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

bkt_env bkt;

int bkt_env_load(const char *prog, const char *cluster_prefix)
{
    const char *host = getenv("BK_TEST_HOST"), *port = getenv("BK_TEST_PORT");
    bkt.broker = getenv("BK_TEST_BROKER");
    bkt.vhost = getenv("BK_TEST_VHOST");
    bkt.user = getenv("BK_TEST_USER");
    bkt.pass = getenv("BK_TEST_PASS");
    if (!host || !port || !bkt.broker) {
        bkt.broker = NULL;
        fprintf(stderr, "%s: no BK_TEST_* broker in the environment: skipping\n", prog);
    } else {
        snprintf(bkt.addr, sizeof bkt.addr, "%s:%s", host, port);
        bkt.hosts[0] = bkt.addr;
    }
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    snprintf(bkt.sfx, sizeof bkt.sfx, "%06d", rand() % 1000000);
    snprintf(bkt.cluster, sizeof bkt.cluster, "%s%s", cluster_prefix, bkt.sfx);
    return bkt.broker != NULL;
}

bk_client_opts bkt_client_opts(void)
{
    return (bk_client_opts){.hosts = bkt.hosts, .nhosts = 1, .vhost = bkt.vhost,
                            .user = bkt.user, .pass = bkt.pass, .bus_id = bkt.cluster};
}

bk_client *bkt_connect(void)
{
    bk_client_opts o = bkt_client_opts();
    bk_client *c;
    assert_int_equal(bk_client_new(&c, &o), 0);
    assert_int_equal(bk_client_connect_wait(c, 10000), 0);
    return c;
}

bk_auth_result bkt_allow(bk_request *req, void *arg)
{
    (void)req;
    (void)arg;
    return BK_AUTH_ALLOW;
}

/* ------------------------------------------------------------------ worker processes */

static int ready_fd = -1;   /* in a worker process: the pipe bkt_spawn_worker waits on */

void bkt_ready(void)
{
    if (ready_fd < 0)
        return;
    char c = 'r';
    if (write(ready_fd, &c, 1) != 1) { /* the parent times out */ }
    close(ready_fd);
    ready_fd = -1;
}

int bkt_on_start_ready(bk_worker *w, void *arg)
{
    (void)w;
    (void)arg;
    bkt_ready();
    return 0;
}

/* examples/flood/flood.c forks its echo workers the same way; an example stands alone, so it
 * keeps its own copy. */
pid_t bkt_spawn_worker(bkt_worker_setup *setup, void *arg, unsigned life_s)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        ready_fd = p[1];
        alarm(life_s);
        bk_worker *w = NULL;
        if (setup(&w, arg) != 0)
            _exit(99);
        int rc = bk_worker_run(w);
        bk_worker_free(w);
        exit(rc ? 1 : 0);
    }
    close(p[1]);
    struct pollfd pf = {p[0], POLLIN, 0};
    char c;
    int ok = pid > 0 && poll(&pf, 1, 15000) == 1 && read(p[0], &c, 1) == 1;
    close(p[0]);
    if (!ok && pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    return ok ? pid : -1;
}

static bk_auth_result hook_authorize(bk_request *req, void *arg)
{
    bk_module_hooks *h = arg;
    return h->authorize ? h->authorize(req, h->arg) : BK_AUTH_DENY;
}

static int hook_start(bk_worker *w, void *arg)
{
    bk_module_hooks *h = arg;
    int rc = h->on_start ? h->on_start(w, h->arg) : 0;
    if (rc == 0)
        bkt_ready();
    return rc;
}

static void hook_stop(bk_worker *w, void *arg)
{
    bk_module_hooks *h = arg;
    if (h->on_stop)
        h->on_stop(w, h->arg);
}

void bkt_module_hooks(bk_worker_opts *o, bk_module_hooks *h)
{
    o->authorize = hook_authorize;
    o->on_start = hook_start;
    o->on_stop = hook_stop;
    o->arg = h;
}

int bkt_wait_exit(pid_t pid, int ms)
{
    for (int i = 0; i <= ms / 20; i++) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        bkt_sleep_ms(20);
    }
    return -1;
}

int bkt_stop(pid_t pid, int sig)
{
    if (pid <= 0)
        return -1;
    kill(pid, sig);
    int st = bkt_wait_exit(pid, 10000);
    if (st < 0) {
        kill(pid, SIGKILL);
        st = bkt_wait_exit(pid, 10000);
    }
    return st;
}

/* ------------------------------------------------------------------ the tools */

static void print_bus(FILE *f, const char *bus_id, int is_default)
{
    fprintf(f, "{\"bus-id\":\"%s\",\"host\":\"%s\",\"vhost\":\"%s\",\"user\":\"%s\","
               "\"pass\":\"%s\"%s}", bus_id, bkt.addr, bkt.vhost, bkt.user, bkt.pass,
            is_default ? ",\"default\":true" : "");
}

void bkt_config_dir(char *dir, size_t n, const char *name, const char *other_bus)
{
    snprintf(dir, n, "/tmp/bk-%s.XXXXXX", name);
    assert_non_null(mkdtemp(dir));
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/bus.config.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputc('[', f);
    print_bus(f, bkt.cluster, 1);
    if (other_bus) {
        fputs(",\n ", f);
        print_bus(f, other_bus, 0);
    }
    fputs("]\n", f);
    assert_int_equal(fclose(f), 0);
}

void bkt_config_dir_remove(const char *dir)
{
    if (!dir[0])
        return;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        perror("rm");
}

int bkt_sh(char *out, size_t n, unsigned flags, const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    strncat(cmd, flags & BKT_STDERR ? " </dev/null 2>&1" : " </dev/null",
            sizeof cmd - strlen(cmd) - 1);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t got = fread(out, 1, n - 1, p);
    out[got] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
