/* Benchmark: the RPC layer (bk_client, bk_worker) on each broker of BK_BENCH_TARGETS
 * ("NAME=HOST:PORT:VHOST:USER:PASS ..."), with the flood example's echo worker, beside the raw
 * loopback TCP floor measured in the same run and Perl Beekeeper 0.02's own figures (from its
 * README; not measured here). Prints markdown table rows (no header):
 *   | figure | measured | compared against | aim |
 * "measured" is bkpr-broker; RabbitMQ and the floor are measured in the same run.
 * The "ceiling with prefetch 1" is 1 / (TCP round trip): a worker holds one job at a time,
 * so each job costs at least a broker->worker->broker round trip, whatever the code does. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../examples/flood/flood.h"
#include "benchlib.h"
#include "procmem.h"

#define N 20000
#define BODY 100
#define FAN_MS 3000
#define MAXT 4
#define SIZE_N 2000             /* calls per run of the 0 KB / 10 KB comparison */
#define SIZE_RUNS 3

typedef struct res {
    flood_target t;
    int ran;
    char why[128];
    flood_result r, r64;        /* r64: the worker with prefetch 64 */
    double p50_0k, p50_10k;     /* sync call p50 with 0 and 10 KB payloads (median of runs) */
    double fan_in, fan_in64;
    bench_mem idle;
} res;

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void measure(res *x)
{
    pid_t w = flood_spawn_worker(&x->t);
    if (w < 0) {
        snprintf(x->why, sizeof x->why, "the echo worker could not connect");
        return;
    }
    usleep(200000);
    bench_mem_of(w, &x->idle);
    if (flood_run(&x->t, N, BODY, &x->r) != 0) {
        snprintf(x->why, sizeof x->why, "the client could not connect");
        flood_kill(w);
        return;
    }
    /* Sync calls at 0 KB and 10 KB, alternated, each the median of SIZE_RUNS runs: the
     * machine is shared, so one run may be slowed by something else. */
    double p0[SIZE_RUNS], p10[SIZE_RUNS];
    flood_result fr;
    for (int i = 0; i < SIZE_RUNS; i++) {
        p0[i] = flood_run(&x->t, SIZE_N, 0, &fr) == 0 ? fr.sync_p50_us : 0;
        x->r.errors += fr.errors;
        p10[i] = flood_run(&x->t, SIZE_N, 10240, &fr) == 0 ? fr.sync_p50_us : 0;
        x->r.errors += fr.errors;
    }
    qsort(p0, SIZE_RUNS, sizeof p0[0], cmp_d);
    qsort(p10, SIZE_RUNS, sizeof p10[0], cmp_d);
    x->p50_0k = p0[SIZE_RUNS / 2];
    x->p50_10k = p10[SIZE_RUNS / 2];
    x->fan_in = flood_fan_in(&x->t, 4, FAN_MS);
    flood_kill(w);
    /* The same with a worker that takes 64 jobs ahead (bk_worker_opts.prefetch). */
    x->t.prefetch = 64;
    snprintf(x->t.cluster, sizeof x->t.cluster, "bench%06d", rand() % 1000000);
    if ((w = flood_spawn_worker(&x->t)) >= 0) {
        if (flood_run(&x->t, N, BODY, &x->r64) == 0)
            x->fan_in64 = flood_fan_in(&x->t, 4, FAN_MS);
        flood_kill(w);
    }
    x->t.prefetch = 0;
    x->ran = 1;
}

static const res *find(const res *v, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(v[i].t.name, name) == 0)
            return &v[i];
    return NULL;
}

int main(void)
{
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    const char *env = getenv("BK_BENCH_TARGETS");
    char *targets = strdup(env ? env : ""), *save = NULL;
    res v[MAXT];
    int nt = 0;
    memset(v, 0, sizeof v);
    for (char *tok = strtok_r(targets, " ", &save); tok && nt < MAXT;
         tok = strtok_r(NULL, " ", &save))
        if (bench_flood_target(tok, &v[nt].t) == 0)
            measure(&v[nt++]);
    free(targets);

    double tcp_rtt = flood_tcp_rtt_p50_us(20000), tcp_msgs = flood_tcp_msgs_s(200000, BODY);
    const res *bk = find(v, nt, "bkpr-broker"), *rq = find(v, nt, "rabbitmq");
    char m[160], c[256], a[64], b[64];

    /* sync p50 */
    if (bk && bk->ran)
        snprintf(m, sizeof m, "%.0f us (bkpr-broker)", bk->r.sync_p50_us);
    else
        snprintf(m, sizeof m, "not run (%s)", bk ? bk->why : "no bkpr-broker");
    snprintf(c, sizeof c, "RabbitMQ %s; TCP round trip floor %.0f us; Perl Beekeeper 1.5 ms",
             rq && rq->ran ? (snprintf(a, sizeof a, "%.0f us", rq->r.sync_p50_us), a) : "not run",
             tcp_rtt);
    printf("| sync call p50, one client, one worker, %d B | %s | %s | <= 60 us |\n", BODY, m, c);

    /* sync at 10 KB beside 0 KB: what a body's size costs (JSON, copies, the wire) */
    if (bk && bk->ran && bk->p50_0k > 0)
        snprintf(m, sizeof m, "%.0f us, %.2fx the 0 KB call (bkpr-broker)", bk->p50_10k,
                 bk->p50_10k / bk->p50_0k);
    else
        snprintf(m, sizeof m, "not run");
    if (rq && rq->ran && rq->p50_0k > 0)
        snprintf(a, sizeof a, "%.0f us, %.2fx", rq->p50_10k, rq->p50_10k / rq->p50_0k);
    snprintf(c, sizeof c, "0 KB: %.0f us; RabbitMQ %s (median of %d runs of %d calls each)",
             bk && bk->ran ? bk->p50_0k : 0.0, rq && rq->ran && rq->p50_0k > 0 ? a : "not run",
             SIZE_RUNS, SIZE_N);
    printf("| sync call p50 at 10 KB, beside 0 KB | %s | %s | <= 2.5x |\n", m, c);

    struct { const char *fig, *perl, *aim; size_t off; } rows[] = {
        {"async calls, one client, one worker", "10,000/s", ">= 100,000/s",
         offsetof(flood_result, async.per_s)},
        {"background jobs sent (handed to the kernel)", "10,000/s", ">= 300,000/s",
         offsetof(flood_result, jobs_sent.per_s)},
        {"background jobs sent and run by one worker", "10,000/s", ">= 300,000/s",
         offsetof(flood_result, jobs_run.per_s)},
        {"notifications sent (handed to the kernel)", "10,000-15,000/s", ">= 300,000/s",
         offsetof(flood_result, notes_sent.per_s)},
        {"notifications sent and received by the same client", "10,000-15,000/s", ">= 300,000/s",
         offsetof(flood_result, notes_seen.per_s)},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        double vb = bk && bk->ran ? *(const double *)((const char *)&bk->r + rows[i].off) : 0;
        double vr = rq && rq->ran ? *(const double *)((const char *)&rq->r + rows[i].off) : 0;
        bench_rate(a, sizeof a, vb);
        bench_rate(b, sizeof b, vr);
        snprintf(m, sizeof m, "%s", bk && bk->ran ? a : "not run");
        if (i == 0)     /* one job in the worker's hands at a time: a round trip each */
            snprintf(c, sizeof c, "RabbitMQ %s; ceiling with prefetch 1, one TCP round trip "
                     "per job: %.0fk/s; Perl Beekeeper %s", rq && rq->ran ? b : "not run",
                     1e3 / tcp_rtt, rows[i].perl);
        else
            snprintf(c, sizeof c, "RabbitMQ %s; TCP, one write() per message: %.0fk msgs/s; "
                     "Perl Beekeeper %s", rq && rq->ran ? b : "not run", tcp_msgs / 1e3,
                     rows[i].perl);
        printf("| %s, %d B | %s | %s | %s |\n", rows[i].fig, BODY, m, c, rows[i].aim);
    }
    bench_rate(a, sizeof a, bk && bk->ran ? bk->fan_in : 0);
    bench_rate(b, sizeof b, rq && rq->ran ? rq->fan_in : 0);
    printf("| one worker, trivial handler, fed by 4 clients | %s | RabbitMQ %s; ceiling with "
           "prefetch 1: %.0fk/s; Perl Beekeeper 1,300-3,300/s | >= 50,000/s |\n",
           bk && bk->ran ? a : "not run", rq && rq->ran ? b : "not run", 1e3 / tcp_rtt);
    bench_rate(a, sizeof a, bk && bk->ran ? bk->r64.async.per_s : 0);
    bench_rate(b, sizeof b, rq && rq->ran ? rq->r64.async.per_s : 0);
    printf("| async calls, one worker with prefetch 64, %d B | %s | RabbitMQ %s | >= 100,000/s |\n",
           BODY, bk && bk->ran ? a : "not run", rq && rq->ran ? b : "not run");
    bench_rate(a, sizeof a, bk && bk->ran ? bk->fan_in64 : 0);
    bench_rate(b, sizeof b, rq && rq->ran ? rq->fan_in64 : 0);
    printf("| one worker with prefetch 64, fed by 4 clients | %s | RabbitMQ %s | >= 50,000/s |\n",
           bk && bk->ran ? a : "not run", rq && rq->ran ? b : "not run");
    if (bk && bk->ran)
        snprintf(m, sizeof m, "%.1f MiB (PSS %.1f MiB, private %.1f MiB; %.1f MiB is library "
                 "code shared with other processes)", bk->idle.rss / 1024.0,
                 bk->idle.pss / 1024.0, bk->idle.private / 1024.0,
                 bk->idle.shared_clean / 1024.0);
    else
        snprintf(m, sizeof m, "not run");
    snprintf(a, sizeof a, "%.1f MiB", rq && rq->ran ? rq->idle.rss / 1024.0 : 0.0);
    printf("| idle worker RSS | %s | on RabbitMQ %s; Perl Beekeeper 10 MB | <= 2 MB |\n", m,
           rq && rq->ran ? a : "not run");
    int errors = 0;
    for (int i = 0; i < nt; i++)
        errors += v[i].r.errors + v[i].r64.errors;
    if (errors)
        printf("| RPC errors or lost messages during the bench | %d | | 0 |\n", errors);
    return 0;
}
