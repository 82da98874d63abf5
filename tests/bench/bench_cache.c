/* Benchmark: the shared cache on each broker of BK_BENCH_TARGETS ("NAME=HOST:PORT:VHOST:USER:
 * PASS ..."). Four members, each on a client of its own, all on one event_base: member 0 sets a
 * key, and the time is taken when the other three have each been told of the new value
 * (on_update). Beside it, in the same run and with the same four clients, a bare notification
 * (bk_notify) from client 0 until the three others have it. One change at a time, so each
 * sample is one trip: member -> broker -> three members. Prints a markdown table row (no
 * header): | figure | measured | compared against | aim |. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "beekeeper/cache.h"
#include "beekeeper/client.h"
#include "benchlib.h"

#define N 2000
#define WARM 100
#define MEMBERS 4
#define MAXT 4

typedef struct target {
    bench_target b;
    char cluster[32];
    int ran;
    char why[128];
    double cache_p50, note_p50;     /* microseconds */
} target;

static int g_seen;

static void on_update(bk_cache *c, const char *key, json_t *value, int remote, void *arg)
{
    (void)c;
    (void)key;
    (void)value;
    (void)arg;
    if (remote)
        g_seen++;
}

static void on_note(bk_client *c, bk_arena *a, const char *method, json_t *params, void *arg)
{
    (void)c;
    (void)a;
    (void)method;
    (void)params;
    (void)arg;
    g_seen++;
}

static int parse_target(char *tok, target *t)
{
    memset(t, 0, sizeof *t);
    if (bench_target_parse(tok, &t->b) != 0)
        return -1;
    snprintf(t->cluster, sizeof t->cluster, "bcache%06d", rand() % 1000000);
    return 0;
}

/* Runs the loop until the three others have seen the change: 0, or -1 after 5 s. */
static int wait_seen(struct event_base *base)
{
    uint64_t end = bench_now_ns() + 5000000000ull;
    while (g_seen < MEMBERS - 1) {
        if (bench_now_ns() > end)
            return -1;
        event_base_loop(base, EVLOOP_ONCE);
    }
    return 0;
}

static double p50(uint64_t *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], bench_cmp_u64);
    return (double)v[n / 2] / 1000.0;
}

static void measure(target *t)
{
    struct event_base *base = event_base_new();
    bk_client *cl[MEMBERS] = { 0 };
    bk_cache *m[MEMBERS] = { 0 };
    uint64_t *s = calloc(N, sizeof *s);
    const char *hosts[1] = { t->b.addr };
    char method[64];
    snprintf(method, sizeof method, "bench.cache.note");
    int ok = base && s;
    for (int i = 0; ok && i < MEMBERS; i++) {
        bk_client_opts o = { .hosts = hosts, .nhosts = 1, .vhost = t->b.vhost, .user = t->b.user,
                             .pass = t->b.pass, .bus_id = t->cluster, .base = base };
        ok = bk_client_new(&cl[i], &o) == 0 && bk_client_connect_wait(cl[i], 10000) == 0;
        bk_cache_opts co = { .id = "bench", .clients = &cl[i], .nclients = 1,
                             .dump_wait_ms = i == 0 ? 200 : 5000, .on_update = on_update };
        ok = ok && bk_cache_new(&m[i], &co) == 0 && bk_cache_wait_synced(m[i], 10000) == 0;
        if (ok && i > 0)
            ok = bk_subscribe(cl[i], "bench.cache.*", on_note, NULL) == 0;
    }
    if (!ok) {
        snprintf(t->why, sizeof t->why, "the members could not connect");
        goto out;
    }
    bk_client_run_for(cl[0], 200); /* the subscriptions reach the broker */
    /* Alternate the two, so that whatever else the machine does weighs on both alike. */
    uint64_t *sn = calloc(N, sizeof *sn);
    if (!sn)
        goto out;
    int ns = 0;
    for (int k = 0; k < N + WARM; k++) {
        g_seen = 0;
        uint64_t t0 = bench_now_ns();
        json_t *v = json_integer(k);
        if (bk_cache_set_new(m[0], "key", v) != 0 || wait_seen(base) != 0)
            break;
        uint64_t t1 = bench_now_ns();
        g_seen = 0;
        json_t *p = json_pack("{s:i}", "n", k);
        int rc = bk_notify(cl[0], method, p, NULL);
        json_decref(p);
        if (rc != 0 || wait_seen(base) != 0)
            break;
        uint64_t t2 = bench_now_ns();
        if (k >= WARM) {
            s[ns] = t1 - t0;
            sn[ns++] = t2 - t1;
        }
    }
    if (ns == N) {
        t->cache_p50 = p50(s, N);
        t->note_p50 = p50(sn, N);
        t->ran = 1;
    } else {
        snprintf(t->why, sizeof t->why, "a change was not seen in 5 s");
    }
    free(sn);
out:
    for (int i = 0; i < MEMBERS; i++) {
        bk_cache_free(m[i]);
        bk_client_free(cl[i]);
    }
    if (base)
        event_base_free(base);
    free(s);
}

int main(void)
{
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    const char *env = getenv("BK_BENCH_TARGETS");
    char *targets = strdup(env ? env : ""), *save = NULL;
    target v[MAXT];
    int nt = 0;
    for (char *tok = strtok_r(targets, " ", &save); tok && nt < MAXT;
         tok = strtok_r(NULL, " ", &save))
        if (parse_target(tok, &v[nt]) == 0)
            measure(&v[nt++]);
    free(targets);
    const target *bk = NULL, *rq = NULL;
    for (int i = 0; i < nt; i++) {
        if (strcmp(v[i].b.name, "bkpr-broker") == 0)
            bk = &v[i];
        if (strcmp(v[i].b.name, "rabbitmq") == 0)
            rq = &v[i];
    }
    char m[160], c[256], r[128];
    if (bk && bk->ran)
        snprintf(m, sizeof m, "%.0f us, %.2fx the notification (bkpr-broker)", bk->cache_p50,
                 bk->cache_p50 / bk->note_p50);
    else
        snprintf(m, sizeof m, "not run (%s)", bk ? bk->why : "no bkpr-broker");
    if (rq && rq->ran)
        snprintf(r, sizeof r, "RabbitMQ: set %.0f us, notification %.0f us, %.2fx",
                 rq->cache_p50, rq->note_p50, rq->cache_p50 / rq->note_p50);
    else
        snprintf(r, sizeof r, "RabbitMQ not run");
    snprintf(c, sizeof c, "a bare notification seen by the same 3 clients: %.0f us; %s "
             "(%d of each, alternated)", bk && bk->ran ? bk->note_p50 : 0.0, r, N);
    printf("| shared cache: a set seen by 3 other members, p50 | %s | %s | <= 2x |\n", m, c);
    return 0;
}
