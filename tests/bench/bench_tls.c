/* Benchmark: the RPC layer over TLS beside plain TCP, in the same run, on a bkpr-broker of its
 * own (BK_BENCH_BROKER_BIN) with a plain and a TLS listener and certificates that
 * tests/tls-certs.sh makes now. One echo worker and one client, as bench_rpc's rows: the sync
 * call p50 and the rates of async calls and of notifications to ourselves. Each figure is
 * the median of RUNS runs, plain and TLS alternated: the machine is shared. Prints markdown
 * table rows (no header): | figure | measured | compared against | aim |. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../examples/flood/flood.h"

#define N 10000
#define BODY 100
#define RUNS 3

typedef struct fig {
    double p50, async, notes;
} fig;

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v)
{
    qsort(v, RUNS, sizeof *v, cmp_d);
    return v[RUNS / 2];
}

/* bkpr-broker with both listeners; its ports from the "listening on" line. */
static pid_t start_broker(const char *dir, int *plain, int *tls)
{
    const char *bin = getenv("BK_BENCH_BROKER_BIN");
    char logf[300], crt[300], key[300];
    snprintf(logf, sizeof logf, "%s/broker.log", dir);
    snprintf(crt, sizeof crt, "%s/server.pem", dir);
    snprintf(key, sizeof key, "%s/server.key", dir);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(logf, "w", stderr))
            _exit(127);
        alarm(600);
        execl(bin, bin, "--listen", "127.0.0.1:0", "--listen-tls", "127.0.0.1:0", "--tls-cert",
              crt, "--tls-key", key, (char *)NULL);
        _exit(127);
    }
    *plain = *tls = 0;
    for (int i = 0; i < 500 && *tls <= 0 && pid > 0; i++) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        FILE *f = fopen(logf, "r");
        char line[512];
        if (f && fgets(line, sizeof line, f) &&
            sscanf(line, "bkpr-broker: listening on 127.0.0.1:%d, 127.0.0.1:%d (tls)", plain,
                   tls) != 2)
            *tls = 0;
        if (f)
            fclose(f);
    }
    return pid;
}

static int measure(flood_target *t, fig *out)
{
    flood_result r;
    snprintf(t->cluster, sizeof t->cluster, "bench%06d", rand() % 1000000);
    pid_t w = flood_spawn_worker(t);
    if (w < 0)
        return -1;
    int rc = flood_run(t, N, BODY, &r);
    flood_kill(w);
    if (rc != 0)
        return -1;
    out->p50 = r.sync_p50_us;
    out->async = r.async.per_s;
    out->notes = r.notes_seen.per_s;
    return 0;
}

int main(void)
{
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    char dir[] = "/tmp/bk-bench-tls.XXXXXX", cmd[400];
    if (!getenv("BK_BENCH_BROKER_BIN") || !mkdtemp(dir)) {
        printf("| RPC over TLS | not run: no bkpr-broker | | |\n");
        return 0;
    }
    snprintf(cmd, sizeof cmd, "sh tests/tls-certs.sh %s", dir);
    int plain, tls;
    pid_t br = system(cmd) == 0 ? start_broker(dir, &plain, &tls) : -1;
    int ok = br > 0 && tls > 0;
    double p50[2][RUNS], as[2][RUNS], no[2][RUNS];
    char ca[300];
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    for (int i = 0; ok && i < RUNS; i++)
        for (int k = 0; ok && k < 2; k++) {
            flood_target t;
            memset(&t, 0, sizeof t);
            snprintf(t.name, sizeof t.name, "bkpr-broker");
            snprintf(t.addr, sizeof t.addr, "127.0.0.1:%d", k ? tls : plain);
            snprintf(t.vhost, sizeof t.vhost, "/");
            snprintf(t.user, sizeof t.user, "bench");
            snprintf(t.pass, sizeof t.pass, "bench");
            t.tls = k;
            t.tls_ca = ca;
            fig f = {0, 0, 0};
            if (measure(&t, &f) != 0)
                ok = 0;
            p50[k][i] = f.p50;
            as[k][i] = f.async;
            no[k][i] = f.notes;
        }
    if (br > 0) {
        kill(br, SIGTERM);
        waitpid(br, NULL, 0);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_tls: cannot remove %s\n", dir);
    if (!ok) {
        printf("| RPC over TLS | FAILED: the broker, a worker or the client did not start | | |\n");
        return 1;
    }
    double tp = median(p50[1]), pp = median(p50[0]);
    double ta = median(as[1]), pa = median(as[0]), tn = median(no[1]), pn = median(no[0]);
    printf("| sync call p50 over TLS, %d B (bkpr-broker) | %.0f us | plain TCP %.0f us "
           "(%.2fx) | |\n", BODY, tp, pp, pp > 0 ? tp / pp : 0);
    printf("| async calls over TLS, %d B | %.1fk/s | plain TCP %.1fk/s (%.2fx) | |\n", BODY,
           ta / 1e3, pa / 1e3, pa > 0 ? ta / pa : 0);
    printf("| notifications to ourselves over TLS, %d B | %.1fk/s | plain TCP %.1fk/s "
           "(%.2fx) | |\n", BODY, tn / 1e3, pn / 1e3, pn > 0 ? tn / pn : 0);
    return 0;
}
