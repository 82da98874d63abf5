/* Benchmark: what a broker does under load, bkpr-broker beside every other broker in
 * BK_BENCH_TARGETS ("NAME=HOST:PORT:VHOST:USER:PASS ...") measured in the same run:
 *   1. queue throughput, one producer connection -> one consumer connection, 100-byte bodies;
 *   2. topic fan-out, one publisher -> 10 subscriber connections (deliveries per second);
 *   3. request/reply p50/p99 through the broker (reply-to a temp queue, one request in
 *      flight), beside a raw TCP relay floor: client -> relay -> echo -> relay -> client,
 *      with the relay and the echo forked processes;
 *   4. idle connections a private bkpr-broker (BK_BENCH_BROKER_BIN) holds, and its RSS per
 *      connection.
 * Prints markdown table rows (no header), as bench_stomp.c does:
 *   | figure | measured | compared against (measured in the same run) | aim |
 * "(bkpr-broker 3.0x)" after a comparison means bkpr-broker did 3 times better.
 *
 * The producer keeps its output buffer under MAX_PENDING bytes and at most a window of
 * messages ahead of the slowest consumer, so that neither side buffers without bound; the
 * topic window is smaller because bkpr-broker drops topic messages for a subscriber whose
 * output buffer is over its limit (4 MiB), and the figure is about speed, not about that.
 * Everything runs on one libevent loop in this process, so the client's own cost is part
 * of every figure, the same for every broker. Every figure is bounded in time and reports
 * "not run (why)" rather than wait for a broker that is missing or stuck.
 * One file over 1000 lines rather than four programs: the figures share the target parsing
 * and the report, and each broker must be measured in the same run for every figure. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "beekeeper/error.h"
#include "stomp/conn.h"
#include "benchlib.h"

#define BODY 100
#define MAXT 8
#define SETUP_MS 3000          /* connect and subscribe */
#define SEND_MS 5000           /* send phase of figures 1 and 2 */
#define DRAIN_MS 1000          /* then wait this long at most for the rest to arrive */
#define MAX_PENDING (4u << 20) /* producer output buffer */
#define BATCH 512              /* sends per loop turn */

#define Q_MSGS 200000
#define Q_WINDOW 20000
#define T_SUBS 10
#define T_MSGS 100000
#define T_WINDOW 5000

#define RR_ROUNDS 10000
#define RR_WARMUP 200
#define RR_MS 5000

#define IDLE_CONNS 10000
#define IDLE_INFLIGHT 200      /* handshakes under way at once */
#define IDLE_MS 15000

enum { FIG_QUEUE, FIG_TOPIC, FIG_RR, NFIG };

typedef struct target {
    char name[64];
    char addr[300];            /* host:port */
    char vhost[128], user[128], pass[128];
    int given;
} target;

typedef struct result {
    int ran;
    char why[160];             /* when not ran */
    double v;                  /* per second, or p50 in us */
    double p99_us;
    long got, expect;          /* figures 1, 2: deliveries received, expected */
    int time_limited;          /* the send phase ended on SEND_MS */
} result;

static uint64_t ms_ns(unsigned ms)
{
    return (uint64_t)ms * 1000000u;
}

static void percentiles(result *r, uint64_t *rtt, int n)
{
    qsort(rtt, (size_t)n, sizeof *rtt, bench_cmp_u64);
    r->v = (double)rtt[n / 2] / 1000.0;
    r->p99_us = (double)rtt[(size_t)((double)n * 0.99)] / 1000.0;
    r->got = n;
    r->ran = 1;
}

/* spec: HOST:PORT:VHOST:USER:PASS (modified in place) */
static int parse_target(target *t, char *spec)
{
    char *f[5], *p = spec;
    for (int i = 0; i < 5; i++) {
        f[i] = p;
        p = i < 4 ? strchr(p, ':') : NULL;
        if (i < 4 && !p)
            return -1;
        if (p)
            *p++ = '\0';
    }
    snprintf(t->addr, sizeof t->addr, "%s:%s", f[0], f[1]);
    snprintf(t->vhost, sizeof t->vhost, "%s", f[2]);
    snprintf(t->user, sizeof t->user, "%s", f[3]);
    snprintf(t->pass, sizeof t->pass, "%s", f[4]);
    t->given = 1;
    return 0;
}

static int open_conn(bkp_stomp **out, struct event_base *base, const target *t,
                     bkp_state_fn *cb, void *arg)
{
    const char *hosts[1] = { t->addr };
    bkp_stomp_opts o = { .hosts = hosts, .nhosts = 1, .vhost = t->vhost, .login = t->user,
                         .passcode = t->pass, .hb_send_ms = -1, .hb_recv_ms = -1,
                         .max_rounds = 1, .connect_timeout_ms = SETUP_MS, .state_cb = cb,
                         .arg = arg };
    int rc = bkp_stomp_new(out, base, &o);
    if (rc < 0)
        *out = NULL;
    return rc;
}

/* ------------------------------------------------------------------ figures 1 and 2 */

typedef struct flow flow;

typedef struct peer {
    flow *f;
    int idx;                   /* consumer index; -1 for the producer */
} peer;

struct flow {
    struct event_base *base;
    struct event *pump, *tick;
    bkp_stomp *prod, *cons[T_SUBS];
    peer prod_peer, peers[T_SUBS];
    long recv[T_SUBS];
    int nsub, nsubscribed, prod_up, started, wblocked, stopped, done, failed;
    long total, sent, window, got;
    uint64_t t_first, t_last, setup_end, send_end, drain_end;
    char dest[128], body[BODY], err[160];
};

static void flow_fail(flow *f, const char *what, const char *detail)
{
    if (!f->failed) {
        f->failed = 1;
        snprintf(f->err, sizeof f->err, "%s%s%.100s", what, detail ? ": " : "",
                 detail ? detail : "");
    }
    event_base_loopbreak(f->base);
}

static long min_recv(const flow *f)
{
    long m = f->recv[0];
    for (int i = 1; i < f->nsub; i++)
        if (f->recv[i] < m)
            m = f->recv[i];
    return m;
}

static void flow_check_done(flow *f)
{
    if ((f->stopped || f->sent == f->total) && min_recv(f) >= f->sent) {
        f->done = 1;
        event_base_loopbreak(f->base);
    }
}

static void pump_cb(evutil_socket_t fd, short w, void *arg)
{
    flow *f = arg;
    static const struct timeval zero = { 0, 0 }, one_ms = { 0, 1000 };
    (void)fd;
    (void)w;
    if (f->done || f->failed || f->stopped)
        return;
    for (int n = 0; n < BATCH && f->sent < f->total; n++) {
        int rc;
        if (f->sent - min_recv(f) >= f->window) {
            f->wblocked = 1; /* on_flow_msg re-arms the pump */
            return;
        }
        if (bkp_stomp_pending_bytes(f->prod) >= MAX_PENDING) {
            evtimer_add(f->pump, &one_ms);
            return;
        }
        if (!f->t_first) {
            f->t_first = bench_now_ns();
            f->send_end = f->t_first + ms_ns(SEND_MS);
        }
        rc = bkp_stomp_send(f->prod, f->dest, NULL, 0, f->body, sizeof f->body, NULL, NULL);
        if (rc < 0) {
            flow_fail(f, "send", bk_strerror(rc));
            return;
        }
        f->sent++;
    }
    if (bench_now_ns() > f->send_end)
        f->stopped = 1;
    else if (f->sent < f->total)
        evtimer_add(f->pump, &zero);
    flow_check_done(f);
}

static void flow_maybe_start(flow *f)
{
    static const struct timeval zero = { 0, 0 };
    if (!f->started && f->prod_up && f->nsubscribed == f->nsub) {
        f->started = 1;
        evtimer_add(f->pump, &zero);
    }
}

static void on_flow_msg(bkp_stomp *s, bkp_sub *sub, const bkp_frame *m, void *arg)
{
    peer *p = arg;
    flow *f = p->f;
    static const struct timeval zero = { 0, 0 };
    (void)s;
    (void)sub;
    (void)m;
    f->recv[p->idx]++;
    f->got++;
    f->t_last = bench_now_ns();
    if (f->wblocked && f->sent - min_recv(f) < f->window * 3 / 4) {
        f->wblocked = 0;
        evtimer_add(f->pump, &zero);
    }
    flow_check_done(f);
}

static void on_flow_sub(bkp_stomp *s, int status, void *arg)
{
    peer *p = arg;
    (void)s;
    if (status < 0) {
        flow_fail(p->f, "subscribe", bk_strerror(status));
        return;
    }
    p->f->nsubscribed++;
    flow_maybe_start(p->f);
}

static void on_flow_state(bkp_stomp *s, bkp_stomp_state st, int reason, const char *detail,
                          void *arg)
{
    peer *p = arg;
    (void)s;
    if (st == BKP_STOMP_CONNECTED && p->idx < 0) {
        p->f->prod_up = 1;
        flow_maybe_start(p->f);
    } else if (st == BKP_STOMP_DISCONNECTED || st == BKP_STOMP_CLOSED) {
        char why[140];
        snprintf(why, sizeof why, "%s (%.100s)", bk_strerror(reason), detail ? detail : "");
        flow_fail(p->f, p->idx < 0 ? "producer" : "consumer", why);
    }
}

static void flow_tick(evutil_socket_t fd, short w, void *arg)
{
    flow *f = arg;
    uint64_t t = bench_now_ns();
    (void)fd;
    (void)w;
    if (!f->started) {
        if (t > f->setup_end)
            flow_fail(f, f->prod_up ? "subscriptions not confirmed in time"
                                    : "no connection in time", NULL);
        return;
    }
    if (f->t_first && t > f->send_end && !f->stopped) {
        f->stopped = 1;
        f->drain_end = t + ms_ns(DRAIN_MS);
        flow_check_done(f);
    }
    if (f->stopped && !f->drain_end)
        f->drain_end = t + ms_ns(DRAIN_MS);
    if (f->drain_end && t > f->drain_end)
        event_base_loopbreak(f->base); /* report what arrived */
}

static void bench_flow(result *res, const target *t, int topic)
{
    static flow f; /* large-ish; one at a time */
    struct timeval tick = { 0, 100000 };
    int i;

    memset(&f, 0, sizeof f);
    f.nsub = topic ? T_SUBS : 1;
    f.total = topic ? T_MSGS : Q_MSGS;
    f.window = topic ? T_WINDOW : Q_WINDOW;
    memset(f.body, 'x', sizeof f.body);
    snprintf(f.dest, sizeof f.dest, topic ? "/topic/bench-t-%ld" : "/queue/bench-q-%ld",
             (long)getpid());
    f.base = event_base_new();
    if (!f.base) {
        snprintf(res->why, sizeof res->why, "setup failed");
        return;
    }
    f.pump = evtimer_new(f.base, pump_cb, &f);
    f.tick = event_new(f.base, -1, EV_PERSIST, flow_tick, &f);
    f.prod_peer = (peer){ &f, -1 };
    if (!f.pump || !f.tick || open_conn(&f.prod, f.base, t, on_flow_state, &f.prod_peer) < 0) {
        snprintf(res->why, sizeof res->why, "setup failed");
        goto out;
    }
    for (i = 0; i < f.nsub; i++) {
        bkp_sub_opts so = { .ack = BKP_ACK_AUTO, .done = on_flow_sub, .done_arg = &f.peers[i] };
        f.peers[i] = (peer){ &f, i };
        if (open_conn(&f.cons[i], f.base, t, on_flow_state, &f.peers[i]) < 0 ||
            bkp_stomp_subscribe(f.cons[i], f.dest, &so, on_flow_msg, &f.peers[i], NULL) < 0 ||
            bkp_stomp_start(f.cons[i]) < 0) {
            snprintf(res->why, sizeof res->why, "setup failed");
            goto out;
        }
    }
    if (bkp_stomp_start(f.prod) < 0) {
        snprintf(res->why, sizeof res->why, "setup failed");
        goto out;
    }
    f.setup_end = bench_now_ns() + ms_ns(SETUP_MS);
    event_add(f.tick, &tick);
    event_base_dispatch(f.base);

    if (f.got > 0 && f.t_last > f.t_first) {
        res->ran = 1;
        res->got = f.got;
        res->expect = f.sent * f.nsub;
        res->time_limited = f.sent < f.total;
        res->v = (double)f.got / ((double)(f.t_last - f.t_first) / 1e9);
    } else {
        snprintf(res->why, sizeof res->why, "failed: %.140s",
                 f.err[0] ? f.err : f.started ? "nothing arrived" : "no data");
    }
out:
    bkp_stomp_free(f.prod);
    for (i = 0; i < f.nsub; i++)
        bkp_stomp_free(f.cons[i]);
    if (f.pump)
        event_free(f.pump);
    if (f.tick)
        event_free(f.tick);
    event_base_free(f.base);
}

/* ------------------------------------------------------------------ figure 3 */

typedef struct rr {
    struct event_base *base;
    bkp_stomp *cli, *echo;
    char dest[128], body[BODY], err[160];
    uint64_t rtt[RR_ROUNDS];
    uint64_t t0, setup_end, end;
    int n, warm, cli_up, echo_sub, started, done, failed;
} rr;

static void rr_fail(rr *r, const char *what, int rc, const char *detail)
{
    if (!r->failed) {
        r->failed = 1;
        snprintf(r->err, sizeof r->err, "%s: %s%s%.100s", what, bk_strerror(rc),
                 detail ? ": " : "", detail ? detail : "");
    }
    event_base_loopbreak(r->base);
}

static void rr_send(rr *r)
{
    static const bkp_header h[1] = { { .name = "reply-to", .value = "/temp-queue/r" } };
    int rc;
    r->t0 = bench_now_ns();
    rc = bkp_stomp_send(r->cli, r->dest, h, 1, r->body, sizeof r->body, NULL, NULL);
    if (rc < 0)
        rr_fail(r, "request", rc, NULL);
}

static void rr_maybe_start(rr *r)
{
    if (!r->started && r->cli_up && r->echo_sub) {
        r->started = 1;
        r->end = bench_now_ns() + ms_ns(RR_MS);
        rr_send(r);
    }
}

static void on_rr_reply(bkp_stomp *s, bkp_sub *sub, const bkp_frame *m, void *arg)
{
    rr *r = arg;
    uint64_t t = bench_now_ns();
    (void)s;
    (void)sub;
    if (m->body_len != BODY) {
        rr_fail(r, "reply", BK_EPROTO, "wrong body length");
        return;
    }
    if (r->warm < RR_WARMUP)
        r->warm++;
    else
        r->rtt[r->n++] = t - r->t0;
    if (r->n >= RR_ROUNDS || t > r->end) {
        r->done = 1;
        event_base_loopbreak(r->base);
        return;
    }
    rr_send(r);
}

static void on_rr_request(bkp_stomp *s, bkp_sub *sub, const bkp_frame *m, void *arg)
{
    rr *r = arg;
    const char *to = bkp_frame_get(m, "reply-to");
    int rc;
    (void)sub;
    if (!to) {
        rr_fail(r, "echo", BK_EPROTO, "request without reply-to");
        return;
    }
    rc = bkp_stomp_send(s, to, NULL, 0, m->body, m->body_len, NULL, NULL);
    if (rc < 0)
        rr_fail(r, "echo send", rc, to);
}

static void on_rr_sub(bkp_stomp *s, int status, void *arg)
{
    rr *r = arg;
    (void)s;
    if (status < 0) {
        rr_fail(r, "echo subscribe", status, NULL);
        return;
    }
    r->echo_sub = 1;
    rr_maybe_start(r);
}

static void on_rr_state(bkp_stomp *s, bkp_stomp_state st, int reason, const char *detail,
                        void *arg)
{
    rr *r = arg;
    if (st == BKP_STOMP_CONNECTED && s == r->cli) {
        r->cli_up = 1;
        rr_maybe_start(r);
    } else if (st == BKP_STOMP_DISCONNECTED || st == BKP_STOMP_CLOSED) {
        rr_fail(r, s == r->cli ? "client" : "echo", reason, detail);
    }
}

static void rr_guard(evutil_socket_t fd, short w, void *arg)
{
    rr *r = arg;
    (void)fd;
    (void)w;
    if (!r->started)
        snprintf(r->err, sizeof r->err, "%s", r->cli_up ? "echo not subscribed in time"
                                                         : "no connection in time");
    else if (!r->done && !r->err[0])
        snprintf(r->err, sizeof r->err, "reply %d did not come", r->warm + r->n + 1);
    event_base_loopbreak(r->base);
}

static void bench_rr(result *res, const target *t)
{
    static rr r;
    struct timeval tv = { (SETUP_MS + RR_MS) / 1000 + 2, 0 };
    struct event *guard = NULL;
    bkp_sub_opts so = { .ack = BKP_ACK_AUTO, .done = on_rr_sub, .done_arg = &r };

    memset(&r, 0, sizeof r);
    memset(r.body, 'x', sizeof r.body);
    snprintf(r.dest, sizeof r.dest, "/queue/echo-%ld", (long)getpid());
    r.base = event_base_new();
    if (!r.base || !(guard = evtimer_new(r.base, rr_guard, &r)) ||
        open_conn(&r.cli, r.base, t, on_rr_state, &r) < 0 ||
        open_conn(&r.echo, r.base, t, on_rr_state, &r) < 0 ||
        bkp_stomp_subscribe_temp(r.cli, "/temp-queue/r", on_rr_reply, &r, NULL) < 0 ||
        bkp_stomp_subscribe(r.echo, r.dest, &so, on_rr_request, &r, NULL) < 0 ||
        bkp_stomp_start(r.echo) < 0 || bkp_stomp_start(r.cli) < 0) {
        snprintf(res->why, sizeof res->why, "setup failed");
        goto out;
    }
    evtimer_add(guard, &tv);
    event_base_dispatch(r.base);
    if (r.n > 0)
        percentiles(res, r.rtt, r.n);
    else
        snprintf(res->why, sizeof res->why, "failed: %.140s", r.err[0] ? r.err : "no data");
out:
    bkp_stomp_free(r.cli);
    bkp_stomp_free(r.echo);
    if (guard)
        event_free(guard);
    if (r.base)
        event_base_free(r.base);
}

/* ------------------------------------------------------------------ figure 3's floor */

/* Copies bytes both ways between a and b until either side closes. */
static void relay(int a, int b)
{
    struct pollfd p[2] = { { .fd = a, .events = POLLIN }, { .fd = b, .events = POLLIN } };
    char buf[4096];
    for (;;) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        for (int i = 0; i < 2; i++) {
            ssize_t n;
            if (!p[i].revents)
                continue;
            n = read(p[i].fd, buf, sizeof buf);
            if (n <= 0 || bench_write_all(p[1 - i].fd, buf, (size_t)n) < 0)
                return;
        }
    }
}

static void reap(pid_t pid)
{
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
}

static void bench_relay(result *res)
{
    static uint64_t rtt[RR_ROUNDS];
    struct sockaddr_in sin;
    int lfd, fd = -1, i, n = 0;
    char buf[BODY];
    uint64_t end, t0;
    pid_t relay_pid = -1, echo_pid = -1;

    memset(buf, 'x', sizeof buf);
    if ((lfd = bench_listen_loopback(&sin, 2)) < 0) {
        snprintf(res->why, sizeof res->why, "socket setup failed");
        return;
    }
    relay_pid = fork();
    if (relay_pid == 0) {
        /* The client connects first and the echo only after, so accept order tells them
         * apart. */
        int a = accept(lfd, NULL, NULL), b = accept(lfd, NULL, NULL);
        alarm(RR_MS / 1000 + 10);
        if (a >= 0 && b >= 0) {
            bench_nodelay(a);
            bench_nodelay(b);
            relay(a, b);
        }
        _exit(0);
    }
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (relay_pid < 0 || fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
        snprintf(res->why, sizeof res->why, "connect failed");
        goto out;
    }
    bench_nodelay(fd);
    echo_pid = fork();
    if (echo_pid == 0) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        alarm(RR_MS / 1000 + 10);
        close(fd);
        close(lfd);
        if (c < 0 || connect(c, (struct sockaddr *)&sin, sizeof sin) < 0)
            _exit(1);
        bench_nodelay(c);
        while (bench_read_all(c, buf, sizeof buf) == 0 && bench_write_all(c, buf, sizeof buf) == 0)
            ;
        _exit(0);
    }
    if (echo_pid < 0) {
        snprintf(res->why, sizeof res->why, "fork failed");
        goto out;
    }
    end = bench_now_ns() + ms_ns(RR_MS);
    for (i = 0; i < RR_WARMUP + RR_ROUNDS && bench_now_ns() < end; i++) {
        t0 = bench_now_ns();
        if (bench_write_all(fd, buf, sizeof buf) < 0 || bench_read_all(fd, buf, sizeof buf) < 0)
            break;
        if (i >= RR_WARMUP)
            rtt[n++] = bench_now_ns() - t0;
    }
    if (n > 0)
        percentiles(res, rtt, n);
    else
        snprintf(res->why, sizeof res->why, "relay failed");
out:
    close(lfd);
    if (fd >= 0)
        close(fd);
    reap(echo_pid);
    reap(relay_pid);
}

/* ------------------------------------------------------------------ figure 4 */

typedef struct idle_result {
    int ran;
    char why[200];
    int held, wanted;
    long rss_before_kib, rss_after_kib;
    char note[200];
    int exit_status;           /* of the private broker after TERM; -1: needed KILL */
} idle_result;

static long rss_kib(pid_t pid)
{
    char path[64], line[256];
    long v = -1;
    FILE *f;
    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    if (!(f = fopen(path, "r")))
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &v) == 1)
            break;
    fclose(f);
    return v;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Starts bin on a free loopback port and waits until the port accepts. */
static pid_t start_broker(const char *bin, struct sockaddr_in *sin, char *why, size_t whylen)
{
    char listen_arg[64];
    int fd = bench_listen_loopback(sin, 0); /* bound, not listening: only to find a free port */
    pid_t pid;
    uint64_t end;

    if (fd < 0) {
        snprintf(why, whylen, "no free port");
        return -1;
    }
    close(fd);
    snprintf(listen_arg, sizeof listen_arg, "127.0.0.1:%u", (unsigned)ntohs(sin->sin_port));
    pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        execl(bin, bin, "--listen", listen_arg, "-q", (char *)NULL);
        _exit(127);
    }
    if (pid < 0) {
        snprintf(why, whylen, "fork failed");
        return -1;
    }
    end = bench_now_ns() + ms_ns(SETUP_MS);
    while (bench_now_ns() < end) {
        int c = socket(AF_INET, SOCK_STREAM, 0), ok, st;
        ok = c >= 0 && connect(c, (struct sockaddr *)sin, sizeof *sin) == 0;
        if (c >= 0)
            close(c);
        if (ok)
            return pid;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            snprintf(why, whylen, "broker exited at start (status %d)",
                     WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
            return -1;
        }
        sleep_ms(20);
    }
    snprintf(why, whylen, "broker did not accept connections within %d s", SETUP_MS / 1000);
    reap(pid);
    return -1;
}

/* TERM, then KILL after 5 s. Returns the exit status, or -1 when it had to be killed. */
static int stop_broker(pid_t pid)
{
    uint64_t end = bench_now_ns() + ms_ns(5000);
    int st = 0;
    kill(pid, SIGTERM);
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (bench_now_ns() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            return -1;
        }
        sleep_ms(10);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

enum { IC_FREE, IC_CONNECTING, IC_WAITING, IC_HELD, IC_DEAD };

typedef struct iconn {
    int fd, state;
    unsigned got;               /* bytes of the reply seen */
    char head[16];              /* its first bytes */
} iconn;

static void bench_idle(idle_result *res)
{
    static const char connect_frame[] = "CONNECT\naccept-version:1.2\nhost:/\n\n";
    static iconn c[IDLE_CONNS];
    const char *bin = getenv("BK_BENCH_BROKER_BIN");
    struct sockaddr_in sin;
    struct rlimit rl;
    struct epoll_event evs[256];
    int ep = -1, next = 0, inflight = 0, refused = 0, i;
    uint64_t end;
    pid_t pid;

    memset(c, 0, sizeof c);
    for (i = 0; i < IDLE_CONNS; i++)
        c[i].fd = -1;
    res->wanted = IDLE_CONNS;
    if (!bin || !*bin || access(bin, X_OK) < 0) {
        snprintf(res->why, sizeof res->why, "BK_BENCH_BROKER_BIN not set or not executable");
        return;
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < IDLE_CONNS + 100) {
        res->wanted = rl.rlim_cur > 200 ? (int)rl.rlim_cur - 100 : 100;
        snprintf(res->note, sizeof res->note, "this process may open only %lu files (hard limit)",
                 (unsigned long)rl.rlim_cur);
    }
    if ((pid = start_broker(bin, &sin, res->why, sizeof res->why)) < 0)
        return;
    sleep_ms(100);
    res->rss_before_kib = rss_kib(pid);
    if ((ep = epoll_create1(0)) < 0) {
        snprintf(res->why, sizeof res->why, "epoll_create1 failed");
        goto out;
    }

    end = bench_now_ns() + ms_ns(IDLE_MS);
    while (bench_now_ns() < end) {
        int n;
        while (inflight < IDLE_INFLIGHT && next < res->wanted) {
            iconn *k = &c[next];
            struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = (uint32_t)next };
            next++;
            k->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            if (k->fd < 0) {
                snprintf(res->note, sizeof res->note, "socket: %s (at connection %d)",
                         strerror(errno), next);
                k->state = IC_DEAD;
                next = res->wanted; /* stop opening */
                break;
            }
            if (connect(k->fd, (struct sockaddr *)&sin, sizeof sin) < 0 && errno != EINPROGRESS) {
                k->state = IC_DEAD;
                continue;
            }
            k->state = IC_CONNECTING;
            if (epoll_ctl(ep, EPOLL_CTL_ADD, k->fd, &ev) < 0) {
                k->state = IC_DEAD;
                continue;
            }
            inflight++;
        }
        if (!inflight)
            break;
        n = epoll_wait(ep, evs, (int)(sizeof evs / sizeof evs[0]), 100);
        for (i = 0; i < n; i++) {
            iconn *k = &c[evs[i].data.u32];
            if (k->state == IC_CONNECTING) {
                int err = 0;
                socklen_t len = sizeof err;
                struct epoll_event ev = { .events = EPOLLIN, .data.u32 = evs[i].data.u32 };
                if (getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err ||
                    write(k->fd, connect_frame, sizeof connect_frame) !=
                        (ssize_t)sizeof connect_frame ||
                    epoll_ctl(ep, EPOLL_CTL_MOD, k->fd, &ev) < 0) {
                    k->state = IC_DEAD;
                    inflight--;
                    epoll_ctl(ep, EPOLL_CTL_DEL, k->fd, NULL);
                    continue;
                }
                k->state = IC_WAITING;
            } else if (k->state == IC_WAITING) {
                char buf[512];
                ssize_t r = read(k->fd, buf, sizeof buf);
                if (r <= 0) {
                    if (r < 0 && errno == EAGAIN)
                        continue;
                    k->state = IC_DEAD;
                } else {
                    for (ssize_t j = 0; j < r; j++, k->got++) {
                        if (k->got < sizeof k->head)
                            k->head[k->got] = buf[j];
                        if (buf[j] == '\0') {
                            k->state = strncmp(k->head, "CONNECTED", 9) == 0 ? IC_HELD
                                                                              : IC_DEAD;
                            refused += k->state == IC_DEAD;
                            break;
                        }
                    }
                    if (k->state == IC_WAITING)
                        continue;
                }
                inflight--;
                epoll_ctl(ep, EPOLL_CTL_DEL, k->fd, NULL);
            }
        }
    }
    sleep_ms(300); /* let the broker settle */
    res->rss_after_kib = rss_kib(pid);
    /* Held means: CONNECTED came, and the broker has neither sent more nor closed since. */
    for (i = 0; i < IDLE_CONNS; i++) {
        struct pollfd p = { .fd = c[i].fd, .events = POLLIN | POLLRDHUP };
        if (c[i].state == IC_HELD && poll(&p, 1, 0) == 0)
            res->held++;
    }
    res->ran = 1;
    if (res->held < IDLE_CONNS && !res->note[0]) {
        int waiting = 0;
        for (i = 0; i < IDLE_CONNS; i++)
            waiting += c[i].state == IC_CONNECTING || c[i].state == IC_WAITING;
        snprintf(res->note, sizeof res->note,
                 "%d answered ERROR, %d unanswered after %d s, %d failed or closed",
                 refused, waiting, IDLE_MS / 1000,
                 (int)(next - res->held - refused - waiting));
    }
out:
    for (i = 0; i < IDLE_CONNS; i++)
        if (c[i].fd >= 0)
            close(c[i].fd);
    if (ep >= 0)
        close(ep);
    /* a leak found by LeakSanitizer (SAN=1) shows as a non-zero status */
    res->exit_status = stop_broker(pid);
}

/* ------------------------------------------------------------------ report */

static void fmt(char *b, size_t n, const char *name, const result *r, int fig)
{
    size_t k;
    if (!r->ran) {
        k = (size_t)snprintf(b, n, "%s not run", bench_broker_name(name));
        if (r->why[0] && k < n)
            snprintf(b + k, n - k, " (%.150s)", r->why);
        return;
    }
    if (fig == FIG_RR) {
        snprintf(b, n, "%s %.0f us (p99 %.0f us)", bench_broker_name(name), r->v, r->p99_us);
        return;
    }
    k = (size_t)snprintf(b, n, "%s %.1fk %s/s", bench_broker_name(name), r->v / 1000.0,
                         fig == FIG_TOPIC ? "deliveries" : "msg");
    if (k >= n)
        return;
    if (r->got < r->expect)
        snprintf(b + k, n - k, " (only %ld of %ld arrived)", r->got, r->expect);
    else if (r->time_limited)
        snprintf(b + k, n - k, " (%ld in %d s)", r->got, SEND_MS / 1000);
}

int main(void)
{
    static target tg[MAXT];
    static result res[MAXT][NFIG];
    result floor_res;
    idle_result idle;
    int nt = 0, i, fig;
    const char *env = getenv("BK_BENCH_TARGETS");
    char *targets = strdup(env ? env : ""), *save = NULL, *tok;
    static const char *const figs[NFIG] = {
        "queue throughput, 1 producer -> 1 consumer, 100 B",
        "topic fan-out, 1 -> 10 subscribers, 100 B",
        "request/reply p50 through the broker",
    };
    static const char *const aims[NFIG] = { ">= 3x RabbitMQ", ">= 3x RabbitMQ",
                                            "<= 2x the raw TCP relay floor" };

    signal(SIGPIPE, SIG_IGN);
    memset(&floor_res, 0, sizeof floor_res);
    memset(&idle, 0, sizeof idle);
    /* the brokers we always expect, so that a missing one shows as "not run" */
    snprintf(tg[nt++].name, sizeof tg[0].name, "bkpr-broker");
    snprintf(tg[nt++].name, sizeof tg[0].name, "rabbitmq");
    for (tok = strtok_r(targets, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
        char *eq = strchr(tok, '=');
        target *t = NULL;
        if (!eq)
            continue;
        *eq = '\0';
        for (i = 0; i < nt; i++)
            if (!strcmp(tg[i].name, tok))
                t = &tg[i];
        if (!t && nt < MAXT) {
            t = &tg[nt++];
            snprintf(t->name, sizeof t->name, "%s", tok);
        }
        if (t && !t->given && parse_target(t, eq + 1) < 0)
            for (fig = 0; fig < NFIG; fig++)
                snprintf(res[t - tg][fig].why, sizeof res[0][0].why, "bad target spec");
    }
    free(targets);
    for (i = 0; i < nt; i++) {
        if (!tg[i].given) {
            for (fig = 0; fig < NFIG; fig++)
                if (!res[i][fig].why[0])
                    snprintf(res[i][fig].why, sizeof res[0][0].why, "not in BK_BENCH_TARGETS");
            continue;
        }
        bench_flow(&res[i][FIG_QUEUE], &tg[i], 0);
        bench_flow(&res[i][FIG_TOPIC], &tg[i], 1);
        bench_rr(&res[i][FIG_RR], &tg[i]);
    }
    bench_relay(&floor_res);
    bench_idle(&idle);

    /* tg[0] is bkpr-broker: the measured column */
    for (fig = 0; fig < NFIG; fig++) {
        char measured[300], cmp[1200], one[300];
        size_t off = 0;
        const result *m = &res[0][fig];
        fmt(measured, sizeof measured, tg[0].name, m, fig);
        cmp[0] = '\0';
        if (fig == FIG_RR) {
            if (floor_res.ran)
                off += (size_t)snprintf(cmp, sizeof cmp, "floor: TCP relay %.0f us (p99 %.0f us)",
                                        floor_res.v, floor_res.p99_us);
            else
                off += (size_t)snprintf(cmp, sizeof cmp, "floor: TCP relay not run (%s)",
                                        floor_res.why);
            if (floor_res.ran && m->ran && off < sizeof cmp)
                off += (size_t)snprintf(cmp + off, sizeof cmp - off,
                                        " (bkpr-broker at %.1fx the floor)", m->v / floor_res.v);
        }
        for (i = 1; i < nt && off < sizeof cmp; i++) {
            fmt(one, sizeof one, tg[i].name, &res[i][fig], fig);
            off += (size_t)snprintf(cmp + off, sizeof cmp - off, "%s%s", off ? "; " : "", one);
            if (res[i][fig].ran && m->ran && off < sizeof cmp) {
                double a = m->v, b = res[i][fig].v;
                double x = fig == FIG_RR ? b / a : a / b; /* > 1: bkpr-broker is better */
                off += (size_t)snprintf(cmp + off, sizeof cmp - off, " (bkpr-broker %.1fx)", x);
            }
        }
        printf("| %s | %s | %s | %s |\n", figs[fig], measured, cmp, aims[fig]);
    }
    if (idle.ran) {
        long grow = idle.rss_after_kib - idle.rss_before_kib;
        printf("| idle connections held | bkpr-broker %d of %d held, %.1f KiB RSS each%s%s%s | "
               "private bkpr-broker: RSS %.1f MiB at 0 -> %.1f MiB at %d | "
               "10,000, RSS per idle connection <= 8 KiB |\n",
               idle.held, IDLE_CONNS, idle.held ? (double)grow / idle.held : 0.0,
               idle.note[0] ? " (" : "", idle.note, idle.note[0] ? ")" : "",
               (double)idle.rss_before_kib / 1024.0, (double)idle.rss_after_kib / 1024.0,
               idle.held);
    } else {
        printf("| idle connections held | bkpr-broker not run (%s) | | "
               "10,000, RSS per idle connection <= 8 KiB |\n", idle.why);
    }
    if (idle.exit_status == -1)
        printf("| idle connections held | private bkpr-broker did not stop within 5 s of TERM "
               "(killed) | | |\n");
    else if (idle.exit_status)
        printf("| idle connections held | private bkpr-broker exited with status %d after TERM "
               "| | |\n", idle.exit_status);
    fflush(stdout);
    return 0;
}
