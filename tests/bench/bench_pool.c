/* Benchmark: bkpr on bkpr-broker (the target named bkpr-broker in BK_BENCH_TARGETS).
 *   1. time from SIGKILL of a pool's only worker to a call answered again (p50, p99 over
 *      KILLS kills, one every 1.2 s so that no kill counts as a crash loop);
 *   2. pool start-up: `bkpr start` to 16 workers up (from the pool's log);
 *   3. RSS per idle worker of that pool.
 * Prints markdown table rows (no header), as the other bench programs do. Bounded: every
 * wait has a deadline, and a figure that cannot be measured says why. */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "procmem.h"

#include "beekeeper/client.h"
#include "beekeeper/config.h"

#define KILLS 50
#define BIG 16

static char g_dir[64], g_bin[512], g_module[600];

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The pids of bkpr's children named basic-worker. */
static int workers(pid_t bkpr, pid_t *out, int max)
{
    char path[96], comm[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)bkpr, (int)bkpr);
    FILE *f = fopen(path, "r");
    int n = 0, pid;
    while (f && n < max && fscanf(f, "%d", &pid) == 1) {
        snprintf(path, sizeof path, "/proc/%d/comm", pid);
        FILE *c = fopen(path, "r");
        if (c && fgets(comm, sizeof comm, c) && strncmp(comm, "basic-worker", 12) == 0)
            out[n++] = pid;
        if (c)
            fclose(c);
    }
    if (f)
        fclose(f);
    return n;
}

/* "is up" lines of basic workers in the pool's log. */
static int ups(const char *pool)
{
    char path[128], line[1024];
    snprintf(path, sizeof path, "%s/bkpr-%s.log", g_dir, pool);
    FILE *f = fopen(path, "r");
    int n = 0;
    while (f && fgets(line, sizeof line, f))
        n += strstr(line, "bkpr[") && strstr(line, "basic-worker#") && strstr(line, ") is up");
    if (f)
        fclose(f);
    return n;
}

static pid_t start_pool(const char *pool)
{
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);  /* --foreground logs to stderr too; the log file has it all */
        }
        execl(g_bin, g_bin, "--config-dir", g_dir, "--pool-id", pool, "--foreground", "start",
              (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void stop_pool(pid_t pid)
{
    int st;
    kill(pid, SIGTERM);
    for (int i = 0; i < 200 && waitpid(pid, &st, WNOHANG) == 0; i++)
        sleep_ms(50);
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
}

static int write_configs(const char *target)
{
    /* NAME=HOST:PORT:VHOST:USER:PASS */
    char host[256], port[16], vhost[128], user[128], pass[128];
    if (sscanf(target, "bkpr-broker=%255[^:]:%15[^:]:%127[^:]:%127[^:]:%127s", host, port, vhost,
               user, pass) != 5)
        return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/bus.config.json", g_dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "[{\"bus-id\":\"bench\",\"host\":\"%s\",\"port\":%s,\"vhost\":\"%s\",\"user\":\"%s\","
               "\"pass\":\"%s\",\"default\":true}]\n", host, port, vhost, user, pass);
    fclose(f);
    snprintf(path, sizeof path, "%s/pool.config.json", g_dir);
    if (!(f = fopen(path, "w")))
        return -1;
    fprintf(f, "[{\"pool-id\":\"one\",\"bus-id\":\"bench\",\"workers\":{\"basic-worker\":"
               "{\"module\":\"%s\",\"workers_count\":1}}},\n"
               " {\"pool-id\":\"big\",\"bus-id\":\"bench\",\"workers\":{\"basic-worker\":"
               "{\"module\":\"%s\",\"workers_count\":%d}}},\n"
               " {\"pool-id\":\"infra\",\"bus-id\":\"bench\",\"workers\":{}}]\n",
            g_module, g_module, BIG);
    fclose(f);
    return 0;
}

static void kills(void)
{
    char err[256];
    bk_bus_config *bc;
    if (bk_bus_config_load(&bc, g_dir, NULL, err, sizeof err) != 0) {
        printf("| worker SIGKILL to serving again | not run (%s) | | |\n", err);
        return;
    }
    pid_t pool = start_pool("one");
    bk_client_opts o = {.timeout_ms = 10000};
    bk_bus_config_client_opts(bc, &o);
    bk_client *c = NULL;
    bk_arena *a;
    bk_arena_new(&a);
    double lat[KILLS];
    int n = 0;
    const char *why = NULL;
    if (bk_client_new(&c, &o) != 0 || bk_client_connect_wait(c, 10000) != 0)
        why = "no connection";
    json_t *p = json_pack("{s:s}", "string", "x"), *res;
    bk_error e;
    for (int i = 0; !why && i < KILLS; i++) {
        pid_t w[2];
        double end = now_ms() + 10000;
        while (workers(pool, w, 2) != 1 && now_ms() < end)
            sleep_ms(5);
        if (workers(pool, w, 2) != 1 || bk_call(c, "myapp.str.uc", p, NULL, a, &res, &e) != 0) {
            why = "the worker did not come back";
            break;
        }
        sleep_ms(1200); /* past bkpr's first second: a kill, not a crash loop */
        double t0 = now_ms();
        kill(w[0], SIGKILL);
        if (bk_call(c, "myapp.str.uc", p, NULL, a, &res, &e) != 0) {
            why = "a call after the kill failed";
            break;
        }
        lat[n++] = now_ms() - t0;
        bk_arena_reset(a);
    }
    json_decref(p);
    bk_arena_free(a);
    bk_client_free(c);
    stop_pool(pool);
    bk_bus_config_free(bc);
    if (n == 0) {
        printf("| worker SIGKILL to serving again | not run (%s) | | |\n", why ? why : "?");
        return;
    }
    qsort(lat, (size_t)n, sizeof lat[0], cmp_d);
    printf("| worker SIGKILL to serving again (pool of 1, a call waiting), %d kills | p50 %.1f ms, "
           "p99 %.1f ms%s%s | bkpr respawns at once, the new worker connects and subscribes | "
           "back within 100 ms |\n", n, lat[n / 2], lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1],
           why ? "; stopped early: " : "", why ? why : "");
}

static void startup(void)
{
    double t0 = now_ms();
    pid_t pool = start_pool("big");
    while (ups("big") < BIG && now_ms() < t0 + 30000)
        sleep_ms(2);
    double took = now_ms() - t0;
    int up = ups("big");
    sleep_ms(500);
    pid_t w[BIG + 4];
    int n = workers(pool, w, BIG + 4);
    bench_mem total = {0}, one;
    for (int i = 0; i < n; i++) {
        bench_mem_of(w[i], &one);
        bench_mem_add(&total, &one);
    }
    stop_pool(pool);
    if (up < BIG) {
        printf("| pool start-up, %d workers | not run (%d came up in 30 s) | | |\n", BIG, up);
        return;
    }
    printf("| pool start-up, %d workers | %.0f ms from bkpr start to the last worker up | "
           "Perl Beekeeper: not published | - |\n", BIG, took);
    double k = n ? 1.0 / n / 1024.0 : 0.0;
    printf("| RSS per idle worker under bkpr | %.1f MiB (%d workers; PSS %.1f MiB, private "
           "%.1f MiB; %.1f MiB is library code shared with other processes) | Perl Beekeeper "
           "10 MB | <= 2 MB |\n", (double)total.rss * k, n, (double)total.pss * k,
           (double)total.private * k, (double)total.shared_clean * k);
}

/* The last worker of a service stops (its pool gets TERM); another pool's Sinkhole takes
 * over: the time from the TERM to the first -31601 a caller gets. */
static void sinkhole(void)
{
    enum { ROUNDS = 5 };
    char err[256];
    bk_bus_config *bc;
    if (bk_bus_config_load(&bc, g_dir, NULL, err, sizeof err) != 0)
        return;
    pid_t infra = start_pool("infra");
    bk_client_opts o = {.timeout_ms = 10000};
    bk_bus_config_client_opts(bc, &o);
    bk_client *c = NULL;
    bk_arena *a;
    bk_arena_new(&a);
    json_t *p = json_pack("{s:s}", "string", "x"), *res;
    bk_error e;
    double lat[ROUNDS];
    int n = 0;
    const char *why = NULL;
    if (bk_client_new(&c, &o) != 0 || bk_client_connect_wait(c, 10000) != 0)
        why = "no connection";
    sleep_ms(3500); /* the infra Supervisor past its start-up grace */
    for (int i = 0; !why && i < ROUNDS; i++) {
        pid_t svc = start_pool("one");
        bk_call_opts co = {.timeout_ms = 10000, .tokens = "bench"};
        int rc = -1;
        /* until the new worker answers (the Sinkhole may hold the queue for a moment) */
        for (double end = now_ms() + 10000; rc != 0 && now_ms() < end; bk_arena_reset(a))
            if ((rc = bk_call(c, "myapp.str.uc", p, &co, a, &res, &e)) != 0)
                sleep_ms(20);
        if (rc != 0) {
            why = "the service did not answer";
            stop_pool(svc);
            break;
        }
        sleep_ms(300);
        double t0 = now_ms(), t = -1;
        kill(svc, SIGTERM);
        co.timeout_ms = 100;
        while (now_ms() < t0 + 10000) {
            rc = bk_call(c, "myapp.str.uc", p, &co, a, &res, &e);
            bk_arena_reset(a);
            if (rc == BK_ERPC && e.code == -31601) {
                t = now_ms() - t0;
                break;
            }
        }
        stop_pool(svc);
        if (t < 0) {
            why = "no -31601 within 10 s";
            break;
        }
        lat[n++] = t;
        sleep_ms(500);
    }
    json_decref(p);
    bk_arena_free(a);
    bk_client_free(c);
    stop_pool(infra);
    bk_bus_config_free(bc);
    if (!n) {
        printf("| last worker stopped to the Sinkhole's -31601 | not run (%s) | | |\n", why ? why : "?");
        return;
    }
    if (why)
        printf("| (the Sinkhole rounds stopped early: %s) | | | |\n", why);
    qsort(lat, (size_t)n, sizeof lat[0], cmp_d);
    printf("| last worker stopped (TERM) to the Sinkhole's -31601, %d rounds | median %.0f ms, max "
           "%.0f ms | includes the worker's graceful stop and the caller's 100 ms timeouts | "
           "within 50 ms of the worker's death |\n", n, lat[n / 2], lat[n - 1]);
}

int main(void)
{
    const char *targets = getenv("BK_BENCH_TARGETS"), *broker_bin = getenv("BK_BENCH_BROKER_BIN");
    const char *t = targets ? strstr(targets, "bkpr-broker=") : NULL;
    if (!t || !broker_bin) {
        printf("| bkpr figures | not run (no bkpr-broker target) | | |\n");
        return 0;
    }
    char target[512];
    snprintf(target, sizeof target, "%s", t);
    char *sp = strchr(target, ' ');
    if (sp)
        *sp = '\0';
    /* bkpr and the module sit beside the broker: $B/bin/bkpr, $B/lib/basic-worker.so */
    char bdir[400];
    snprintf(bdir, sizeof bdir, "%s", broker_bin);
    char *slash = strrchr(bdir, '/');
    if (!slash)
        return 1;
    *slash = '\0';
    snprintf(g_bin, sizeof g_bin, "%s/bkpr", bdir);
    snprintf(g_module, sizeof g_module, "%s/../lib/basic-worker.so", bdir);
    strcpy(g_dir, "/tmp/bk-bench-pool.XXXXXX");
    if (!mkdtemp(g_dir) || write_configs(target) != 0) {
        printf("| bkpr figures | not run (cannot write the configs) | | |\n");
        return 0;
    }
    setenv("BKPR_RUN_DIR", g_dir, 1);
    kills();
    startup();
    sinkhole();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd) != 0)
        perror("rm");
    return 0;
}
