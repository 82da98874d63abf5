#include "flood.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "beekeeper/worker.h"
#include "flood_svc.h" /* generated from flood.bkidl */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bk_client_opts flood_opts(flood_target *t)
{
    t->hosts[0] = t->addr;
    return (bk_client_opts){ .hosts = t->hosts, .nhosts = 1, .vhost = t->vhost, .user = t->user,
                             .pass = t->pass, .bus_id = t->cluster, .timeout_ms = 30000,
                             .tls = t->tls, .tls_ca = t->tls_ca };
}

/* ------------------------------------------------------------------ the echo workers */

/* The jobs run by every worker this process forked: in a shared mapping made before the
 * first fork, so that flood.count answers for all of them. */
static _Atomic long *g_jobs;
static int g_ready = -1;

/* The handlers of flood.bkidl's service: params arrive checked and typed. */
static int w_echo(bk_request *req, void *ctx, const char *data, const char **result)
{
    (void)req;
    (void)ctx;
    *result = data; /* borrowed from the request, which outlives the answer's encoding */
    return 0;
}

static int w_job(bk_request *req, void *ctx, const char *data)
{
    (void)req;
    (void)ctx;
    (void)data;
    atomic_fetch_add_explicit(g_jobs, 1, memory_order_relaxed);
    return 0;
}

static int w_count(bk_request *req, void *ctx, int64_t *result)
{
    (void)req;
    (void)ctx;
    *result = atomic_load_explicit(g_jobs, memory_order_relaxed);
    return 0;
}

static bk_auth_result w_allow(bk_request *req, void *arg)
{
    (void)req;
    (void)arg;
    return BK_AUTH_ALLOW;
}

static int w_started(bk_worker *w, void *arg)
{
    (void)w;
    (void)arg;
    char b = 'r';
    if (write(g_ready, &b, 1) < 0)
        return 1;
    close(g_ready);
    return 0;
}

static _Noreturn void worker_main(flood_target *t)
{
    alarm(600);
    bk_worker_opts o = { .client = flood_opts(t), .authorize = w_allow,
                         .on_start = w_started, .handle_signals = 1,
                         .status_interval_ms = -1, .prefetch = t->prefetch };
    bk_worker *w;
    if (bk_worker_new(&w, &o) ||
        flood_svc_serve(w, &(flood_svc_handlers){ .echo = w_echo, .job = w_job,
                                                  .count = w_count }, NULL))
        _exit(1);
    int rc = bk_worker_run(w);
    bk_worker_free(w);
    _exit(rc ? 1 : 0);
}

static pid_t spawn_one(flood_target *t)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    fflush(NULL);
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) {
        close(p[0]);
#ifdef __linux__
        /* A flood stopped by a signal (a bench's timeout) takes its workers with it. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
        if (getppid() != parent)
            _exit(1);
        g_ready = p[1];
        worker_main(t);
    }
    close(p[1]);
    struct pollfd pf = { p[0], POLLIN, 0 };
    char b;
    int ok = pid > 0 && poll(&pf, 1, 15000) == 1 && read(p[0], &b, 1) == 1;
    close(p[0]);
    if (!ok && pid > 0) {
        flood_kill(pid);
        return -1;
    }
    return pid;
}

int flood_spawn_workers(flood_target *t, int n, pid_t *pids)
{
    if (!g_jobs) {
        void *m = mmap(NULL, sizeof *g_jobs, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                       -1, 0);
        if (m == MAP_FAILED)
            return -1;
        g_jobs = m;
    }
    for (int i = 0; i < n; i++) {
        if ((pids[i] = spawn_one(t)) < 0) {
            flood_kill_all(pids, i);
            return -1;
        }
    }
    return 0;
}

pid_t flood_spawn_worker(flood_target *t)
{
    pid_t pid;
    return flood_spawn_workers(t, 1, &pid) == 0 ? pid : -1;
}

void flood_kill_all(pid_t *pids, int n)
{
    for (int i = 0; i < n; i++)
        if (pids[i] > 0 && kill(pids[i], SIGTERM) != 0)
            pids[i] = 0;
    for (int tries = 0; tries < 60; tries++) {
        int left = 0;
        for (int i = 0; i < n; i++) {
            if (pids[i] > 0 && waitpid(pids[i], NULL, WNOHANG) != 0)
                pids[i] = 0;
            left += pids[i] > 0;
        }
        if (!left)
            return;
        usleep(50000);
    }
    for (int i = 0; i < n; i++) {
        if (pids[i] > 0) {
            kill(pids[i], SIGKILL);
            waitpid(pids[i], NULL, 0);
            pids[i] = 0;
        }
    }
}

void flood_kill(pid_t pid)
{
    flood_kill_all(&pid, 1);
}

/* ------------------------------------------------------------------ measurements */

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct actr { int done, bad, inflight; } actr;

static void a_done(bk_client *c, bk_arena *a, const char *res, const bk_error *err, void *arg)
{
    (void)c;
    (void)a;
    (void)res;
    actr *k = arg;
    k->done++;
    k->inflight--;
    if (err)
        k->bad++;
}

static void n_seen(bk_client *c, bk_arena *a, const char *data, void *arg)
{
    (void)c;
    (void)a;
    (void)data;
    (*(int *)arg)++;
}

/* A row's figures from the messages lost out of n and its elapsed time. */
static void figure(flood_figure *f, int n, int lost, double seconds)
{
    f->lost = lost;
    f->seconds = seconds;
    f->per_s = seconds > 0 ? (n - lost) / seconds : 0;
}

/* Hands n messages of one kind to the client, then to the kernel: the "sent" figure. */
typedef int send_fn(bk_client *c, const char *p);

static int send_job(bk_client *c, const char *p)
{
    return flood_svc_job(c, NULL, p);
}

static int send_unheard(bk_client *c, const char *p)
{
    return flood_svc_unheard_notify(c, NULL, p);
}

static void sent_row(bk_client *c, send_fn *send, int n, const char *p, flood_figure *f)
{
    int refused = 0;
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        if (send(c, p) != 0)   /* a full output buffer holds the send back: no retry here */
            refused++;
    }
    if (bk_client_flush(c, 30000) == 0)
        figure(f, n, refused, now_s() - t0);
    else
        f->lost = n;
}

int flood_run(flood_target *t, int n, size_t bytes, flood_result *r)
{
    memset(r, 0, sizeof *r);
    bk_client_opts o = flood_opts(t);
    bk_client *c;
    if (bk_client_new(&c, &o) != 0)
        return -1;
    if (bk_client_connect_wait(c, 10000) != 0) {
        bk_client_free(c);
        return -1;
    }
    char *p = malloc(bytes + 1);
    memset(p, 'x', bytes);
    p[bytes] = 0;
    bk_arena *a;
    bk_arena_new(&a);
    /* sync */
    double *lat = calloc((size_t)n, sizeof *lat);
    int bad = 0;
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        double s = now_s();
        const char *res;
        bk_error err;
        if (flood_svc_echo(c, NULL, a, p, &res, &err) != 0)
            bad++;
        lat[i] = (now_s() - s) * 1e6;
        bk_arena_reset(a);
    }
    figure(&r->sync, n, bad, now_s() - t0);
    qsort(lat, (size_t)n, sizeof *lat, cmp_d);
    r->sync_p50_us = lat[n / 2];
    free(lat);
    /* async, a window of 100 in flight */
    actr k = { 0 };
    t0 = now_s();
    for (int sent = 0; sent < n;) {
        while (k.inflight < 100 && sent < n) {
            if (flood_svc_echo_async(c, NULL, p, a_done, &k) != 0) {
                k.bad++;
                k.done++;
            } else {
                k.inflight++;
            }
            sent++;
        }
        bk_client_run_for(c, 0);
        if (k.inflight >= 100)
            bk_client_run_for(c, 1);
    }
    bk_client_wait_all(c, 30000);
    figure(&r->async, n, k.bad + (n - k.done), now_s() - t0);
    /* background jobs: sent, then run (the shared count reached; a count call also returns
     * only once the jobs queued before it have been handed out) */
    int64_t cnt = 0;
    bk_error err;
    long before = 0;
    if (flood_svc_count(c, NULL, a, &cnt, &err) == 0)
        before = (long)cnt;
    t0 = now_s();
    sent_row(c, send_job, n, p, &r->jobs_sent);
    long got = 0;
    for (double idle = now_s() + 5; got < n - r->jobs_sent.lost && now_s() < idle;) {
        if (flood_svc_count(c, NULL, a, &cnt, &err) != 0)
            break;
        if ((long)cnt - before > got)
            idle = now_s() + 5;    /* give up only after 5 s without progress */
        got = (long)cnt - before;
    }
    figure(&r->jobs_run, n, n - (int)got, now_s() - t0);
    /* notifications nobody listens to: how fast a client sends them (Perl's figure) */
    sent_row(c, send_unheard, n, p, &r->notes_sent);
    /* notifications to ourselves */
    int seen = 0;
    flood_svc_note_subscribe(c, n_seen, &seen);
    bk_client_run_for(c, 200);
    t0 = now_s();
    /* The client is its own slow topic subscriber: it reads its notifications only when a
     * send waits for room, and every 64 sends. No window of its own: the broker holds it
     * back as a publisher while it is behind as a subscriber (bkpr-broker's flow control,
     * RabbitMQ's credit flow), and a send waits while its output buffer is full. */
    for (int i = 0; i < n; i++) {
        flood_svc_note_notify(c, NULL, p);  /* a refused one is never seen: lost below */
        if (i % 64 == 0)
            bk_client_run_for(c, 0);
    }
    double end = now_s() + 10;
    while (seen < n && now_s() < end)
        bk_client_run_for(c, 5);
    figure(&r->notes_seen, n, n - seen, now_s() - t0);
    r->errors = r->sync.lost + r->async.lost + r->jobs_run.lost + r->notes_sent.lost +
                r->notes_seen.lost;
    free(p);
    bk_arena_free(a);
    bk_client_free(c);
    return 0;
}

double flood_fan_in(flood_target *t, int nclients, int ms)
{
    int p[2];
    if (pipe(p) != 0)
        return 0;
    pid_t kids[16];
    int nk = 0;
    fflush(NULL);
    for (int i = 0; i < nclients && i < 16; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            close(p[0]);
            alarm(120);
            bk_client_opts o = flood_opts(t);
            bk_client *c;
            long calls = 0;
            if (bk_client_new(&c, &o) == 0 && bk_client_connect_wait(c, 10000) == 0) {
                bk_arena *a;
                bk_arena_new(&a);
                const char *res;
                bk_error err;
                double end = now_s() + ms / 1000.0;
                while (now_s() < end) {
                    if (flood_svc_echo(c, NULL, a, "0123456789", &res, &err) == 0)
                        calls++;
                    bk_arena_reset(a);
                }
                bk_arena_free(a);
            }
            bk_client_free(c);
            if (write(p[1], &calls, sizeof calls) < 0)
                _exit(1);
            _exit(0);
        }
        if (pid > 0)
            kids[nk++] = pid;
    }
    close(p[1]);
    long total = 0, v;
    for (int i = 0; i < nk; i++)
        if (read(p[0], &v, sizeof v) == (ssize_t)sizeof v)
            total += v;
    close(p[0]);
    for (int i = 0; i < nk; i++)
        waitpid(kids[i], NULL, 0);
    return total / (ms / 1000.0);
}

/* ------------------------------------------------------------------ raw TCP floor */

static int tcp_pair(int *a, int *b)
{
    int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof sa;
    if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof sa) || listen(l, 1) ||
        getsockname(l, (struct sockaddr *)&sa, &sl))
        return -1;
    *a = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(*a, (struct sockaddr *)&sa, sizeof sa) != 0)
        return -1;
    *b = accept(l, NULL, NULL);
    close(l);
    setsockopt(*a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(*b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return *b < 0 ? -1 : 0;
}

static int full(int fd, char *buf, size_t n, int wr)
{
    while (n) {
        ssize_t r = wr ? write(fd, buf, n) : read(fd, buf, n);
        if (r <= 0)
            return -1;
        buf += r;
        n -= (size_t)r;
    }
    return 0;
}

double flood_tcp_rtt_p50_us(int n)
{
    int a, b;
    if (tcp_pair(&a, &b) != 0)
        return 0;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(a);
        char buf[100];
        while (full(b, buf, sizeof buf, 0) == 0 && full(b, buf, sizeof buf, 1) == 0) {
        }
        _exit(0);
    }
    close(b);
    double *lat = calloc((size_t)n, sizeof *lat);
    char buf[100] = { 0 };
    for (int i = 0; i < n; i++) {
        double s = now_s();
        if (full(a, buf, sizeof buf, 1) || full(a, buf, sizeof buf, 0))
            break;
        lat[i] = (now_s() - s) * 1e6;
    }
    close(a);
    waitpid(pid, NULL, 0);
    qsort(lat, (size_t)n, sizeof *lat, cmp_d);
    double p50 = lat[n / 2];
    free(lat);
    return p50;
}

double flood_tcp_msgs_s(int n, size_t bytes)
{
    int a, b;
    if (tcp_pair(&a, &b) != 0)
        return 0;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(a);
        char *buf = malloc(bytes);
        for (int i = 0; i < n; i++)
            if (full(b, buf, bytes, 0))
                break;
        char ok = 1;
        full(b, &ok, 1, 1);
        _exit(0);
    }
    close(b);
    char *buf = calloc(1, bytes);
    double t0 = now_s();
    for (int i = 0; i < n; i++)
        if (full(a, buf, bytes, 1))
            break;
    char ok;
    full(a, &ok, 1, 0);
    double el = now_s() - t0;
    free(buf);
    close(a);
    waitpid(pid, NULL, 0);
    return n / el;
}
