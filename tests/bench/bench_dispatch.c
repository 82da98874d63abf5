/* Benchmark: workers that hold several jobs (doc/broker.md "Dispatch"), on bkpr-broker of
 * BK_BENCH_TARGETS, beside NATS request/reply (nats_peer.h) and beside prefetch 1, all in the
 * same run. Prints markdown table rows (no header): | figure | measured | compared against |
 * aim |.
 *
 * The mixed row: 4 workers, 50 ms jobs (a timer, answered with BK_DEFER) and 0 ms jobs in
 * pairs every 16 ms, which the pool carries at prefetch 1 too (62 slow jobs/s where 4
 * workers holding one each take 80/s); the figure is the p99 wait of the 0 ms jobs, from
 * the send to the response. BK_BENCH_PREFETCHES="1,2,4,..." prints every row per prefetch
 * as well: how the default (stomp/flavour.h) was chosen. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "../../examples/flood/flood.h"
#include "beekeeper/worker.h"
#include "benchlib.h"
#include "nats_peer.h"

#define N 20000
#define BODY 100
#define FAN_MS 3000
#define MIXED_MS 4000
#define MIXED_GAP_MS 16
#define MIXED_WORKERS 4

/* ------------------------------------------------------------------ the mixed workers */

typedef struct later {
    struct event *ev;
    bk_request *req;
} later;

static void later_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    later *l = arg;
    bk_request_reply_new(l->req, json_true());
    event_free(l->ev);
    free(l);
}

static int w_slow(bk_request *req, json_t *params, void *arg)
{
    (void)params;
    (void)arg;
    later *l = calloc(1, sizeof *l);
    if (!l)
        return BK_ENOMEM;
    l->req = req;
    l->ev = evtimer_new(bk_client_base(bk_request_client(req)), later_cb, l);
    struct timeval tv = {0, 50 * 1000};
    evtimer_add(l->ev, &tv);
    return BK_DEFER;
}

static int w_fast(bk_request *req, json_t *params, void *arg)
{
    (void)params;
    (void)arg;
    return bk_request_reply_new(req, json_true());
}

static bk_auth_result allow(bk_request *req, void *arg)
{
    (void)req;
    (void)arg;
    return BK_AUTH_ALLOW;
}

static int g_ready_fd = -1;

static int started(bk_worker *w, void *arg)
{
    (void)w;
    (void)arg;
    return write(g_ready_fd, "r", 1) == 1 ? 0 : 1;
}

static pid_t spawn_mixed(flood_target *t)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        alarm(300);
        close(p[0]);
        g_ready_fd = p[1];
        bk_worker_opts o = {.client = flood_opts(t), .authorize = allow, .on_start = started,
                            .handle_signals = 1, .status_interval_ms = -1,
                            .prefetch = t->prefetch};
        bk_worker *w;
        if (bk_worker_new(&w, &o) || bk_worker_accept(w, "mixed.slow", w_slow, NULL) ||
            bk_worker_accept(w, "mixed.fast", w_fast, NULL))
            _exit(1);
        int rc = bk_worker_run(w);
        bk_worker_free(w);
        _exit(rc ? 1 : 0);
    }
    close(p[1]);
    char ch;
    int ok = pid > 0 && read(p[0], &ch, 1) == 1;
    close(p[0]);
    if (!ok && pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    return ok ? pid : -1;
}

/* ------------------------------------------------------------------ the mixed run */

typedef struct mixed {
    uint64_t *lat;              /* the 0 ms jobs' waits, ns */
    int nlat, cap, pending, errors;
} mixed;

typedef struct sent {
    mixed *m;
    uint64_t t0;
    int fast;
} sent;

static void mixed_done(bk_client *c, bk_arena *a, json_t *result, const bk_error *err, void *arg)
{
    (void)c;
    (void)a;
    (void)result;
    sent *s = arg;
    s->m->pending--;
    if (err)
        s->m->errors++;
    else if (s->fast && s->m->nlat < s->m->cap)
        s->m->lat[s->m->nlat++] = bench_now_ns() - s->t0;
    free(s);
}

static void mixed_send(bk_client *c, mixed *m, int fast)
{
    sent *s = malloc(sizeof *s);
    if (!s)
        return;
    *s = (sent){.m = m, .t0 = bench_now_ns(), .fast = fast};
    if (bk_call_async(c, fast ? "mixed.fast" : "mixed.slow", NULL, NULL, mixed_done, s) != 0) {
        m->errors++;
        free(s);
        return;
    }
    m->pending++;
}

/* A queue's figure from bkpr-broker's _bkpr.broker.stats; -1 when not found. */
static long long queue_figure(bk_client *c, const char *queue, const char *name)
{
    bk_arena *a = NULL;
    json_t *res = NULL, *e;
    long long v = -1;
    size_t i;
    if (bk_arena_new(&a) != 0)
        return -1;
    if (bk_call(c, "_bkpr.broker.stats", NULL, NULL, a, &res, NULL) == 0)
        json_array_foreach(json_object_get(res, "queues"), i, e)
            if (strcmp(json_string_value(json_object_get(e, "name")), queue) == 0)
                v = json_integer_value(json_object_get(e, name));
    bk_arena_free(a);
    return v;
}

/* The p99 wait of the 0 ms jobs in us (0 when it could not run); *behind: jobs the broker
 * placed behind another. */
static double mixed_p99_us(flood_target *t, long long *behind, int *errors)
{
    snprintf(t->cluster, sizeof t->cluster, "bench%06d", rand() % 1000000);
    pid_t w[MIXED_WORKERS];
    int nw = 0;
    double p99 = 0;
    while (nw < MIXED_WORKERS && (w[nw] = spawn_mixed(t)) > 0)
        nw++;
    bk_client_opts o = flood_opts(t);
    bk_client *c = NULL;
    mixed m = {.cap = MIXED_MS / MIXED_GAP_MS + 1};
    m.lat = calloc((size_t)m.cap, sizeof *m.lat);
    if (nw < MIXED_WORKERS || !m.lat || bk_client_new(&c, &o) != 0 ||
        bk_client_connect_wait(c, 10000) != 0)
        goto out;
    uint64_t end = bench_now_ns() + (uint64_t)MIXED_MS * 1000000u;
    while (bench_now_ns() < end) {
        mixed_send(c, &m, 0);
        mixed_send(c, &m, 1);
        bk_client_run_for(c, MIXED_GAP_MS);
    }
    for (int i = 0; i < 100 && m.pending; i++)
        bk_client_run_for(c, 100);
    if (m.nlat) {
        qsort(m.lat, (size_t)m.nlat, sizeof *m.lat, bench_cmp_u64);
        p99 = (double)m.lat[m.nlat * 99 / 100] / 1e3;
    }
    char q[128];
    snprintf(q, sizeof q, "/queue/req.%s.mixed", t->cluster);
    *behind = queue_figure(c, q, "placed_behind");
out:
    *errors += m.errors + m.pending;
    bk_client_free(c);
    free(m.lat);
    flood_kill_all(w, nw);
    return p99;
}

/* ------------------------------------------------------------------ the table */

typedef struct figures {
    int prefetch;
    flood_result r;
    double fan_in, mixed_p99;
    long long behind;
} figures;

static void measure(flood_target *t, int prefetch, figures *f)
{
    memset(f, 0, sizeof *f);
    f->prefetch = prefetch;
    t->prefetch = prefetch;
    snprintf(t->cluster, sizeof t->cluster, "bench%06d", rand() % 1000000);
    pid_t w = flood_spawn_worker(t);
    if (w < 0)
        return;
    usleep(200000);
    flood_run(t, N, BODY, &f->r);
    f->fan_in = flood_fan_in(t, 4, FAN_MS);
    flood_kill(w);
    f->mixed_p99 = mixed_p99_us(t, &f->behind, &f->r.errors);
}

int main(void)
{
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    const char *env = getenv("BK_BENCH_TARGETS");
    char *targets = strdup(env ? env : ""), *save = NULL;
    flood_target t;
    int have = 0;
    for (char *tok = strtok_r(targets, " ", &save); tok && !have;
         tok = strtok_r(NULL, " ", &save))
        have = bench_flood_target(tok, &t) == 0 && strcmp(t.name, "bkpr-broker") == 0;
    free(targets);
    if (!have) {
        printf("| dispatch rows | not run (no bkpr-broker) | | |\n");
        return 0;
    }
    const char *list = getenv("BK_BENCH_PREFETCHES");
    if (list && *list) {   /* the sweep behind the default: every figure per prefetch */
        char *l = strdup(list), *s2 = NULL;
        for (char *tok = strtok_r(l, ",", &s2); tok; tok = strtok_r(NULL, ",", &s2)) {
            figures f;
            measure(&t, atoi(tok), &f);
            printf("| prefetch %d | async %.0f/s, sync p50 %.0f us, fan-in %.0f/s, mixed "
                   "p99 %.0f us (%lld placed behind), errors %d | | |\n", f.prefetch,
                   f.r.async.per_s, f.r.sync_p50_us, f.fan_in, f.mixed_p99, f.behind,
                   f.r.errors);
            fflush(stdout);
        }
        free(l);
    }
    figures d, one;
    measure(&t, 0, &d);     /* the flavour's default */
    measure(&t, 1, &one);
    nats_figures nf;
    nats_measure(N / 4, N, BODY, &nf);

    char a[64], b[64], c[200];
    bench_rate(a, sizeof a, d.r.async.per_s);
    bench_rate(b, sizeof b, nf.async_per_s);
    snprintf(c, sizeof c, "NATS + libnats request/reply %s (%.2fx); prefetch 1: %.1fk/s",
             nf.ran ? b : nf.why, nf.ran && nf.async_per_s > 0 ? d.r.async.per_s / nf.async_per_s : 0,
             one.r.async.per_s / 1e3);
    printf("| async calls, 1 client, 1 worker, %d B, default prefetch | %s | %s | >= 1x NATS |\n",
           BODY, a, c);
    bench_rate(a, sizeof a, d.fan_in);
    bench_rate(b, sizeof b, one.fan_in);
    printf("| one worker fed by 4 clients, default prefetch | %s | prefetch 1: %s (%.2fx) | "
           ">= 3x |\n", a, b, one.fan_in > 0 ? d.fan_in / one.fan_in : 0);
    printf("| 4 workers, 50 ms / 0 ms jobs: p99 wait of the 0 ms jobs | %.0f us (%lld jobs "
           "placed behind another) | prefetch 1: %.0f us (%.2fx) | <= 1.2x |\n", d.mixed_p99,
           d.behind, one.mixed_p99, one.mixed_p99 > 0 ? d.mixed_p99 / one.mixed_p99 : 0);
    if (nf.ran)
        snprintf(c, sizeof c, "NATS %.0f us (%.2fx)", nf.sync_p50_us,
                 d.r.sync_p50_us / nf.sync_p50_us);
    else
        snprintf(c, sizeof c, "NATS not run: %s", nf.why);
    printf("| sync call p50, %d B | %.0f us | %s | <= 0.5x NATS |\n", BODY, d.r.sync_p50_us, c);
    if (d.r.errors + one.r.errors)
        printf("| RPC errors or lost messages in the dispatch rows | %d | | 0 |\n",
               d.r.errors + one.r.errors);
    return 0;
}
