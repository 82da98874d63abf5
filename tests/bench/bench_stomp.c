/* Benchmark: STOMP SEND -> MESSAGE round trip through each broker in BK_BENCH_TARGETS
 * ("NAME=HOST:PORT:VHOST:USER:PASS ..."), one message in flight, 100-byte body, beside a
 * raw loopback TCP round trip (a forked echo process) measured in the same run as the floor.
 * Prints markdown table rows (no header):
 *   | figure | measured | compared against (measured in the same run) | aim |
 * "measured" is bkpr-broker; the other brokers and the TCP floor are the comparison. A
 * target missing from the list is reported as "not run". "(bkpr-broker 3.0x)" after a
 * comparison means bkpr-broker did 3 times better (lower latency, more per second).
 * Bounded: at most ROUNDS round trips and LIMIT_MS per target. */
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "beekeeper/error.h"
#include "core/random.h"
#include "stomp/conn.h"
#include "benchlib.h"

#define ROUNDS 20000
#define WARMUP 200
#define LIMIT_MS 8000
#define BODY 100
#define MAXT 8

typedef struct result {
    char name[64];
    int ran;
    char why[160];      /* when not ran */
    double p50_us, p99_us, per_s;
    int n;
} result;

static void summarize(result *r, uint64_t *rtt, int n, uint64_t elapsed_ns)
{
    qsort(rtt, (size_t)n, sizeof *rtt, bench_cmp_u64);
    r->n = n;
    r->p50_us = (double)rtt[n / 2] / 1000.0;
    r->p99_us = (double)rtt[(size_t)((double)n * 0.99)] / 1000.0;
    r->per_s = (double)n / ((double)elapsed_ns / 1e9);
    r->ran = 1;
}

/* ------------------------------------------------------------------ one broker */

typedef struct run {
    struct event_base *base;
    bkp_stomp *s;
    char dest[128];
    char body[BODY];
    uint64_t *rtt;
    int n, warm;
    uint64_t t0, start_ns, end_ns, deadline_ns;
    int subscribed, failed, done;
    char err[128];
} run;

static void send_one(run *r)
{
    int rc;
    r->t0 = bench_now_ns();
    rc = bkp_stomp_send(r->s, r->dest, NULL, 0, r->body, sizeof r->body, NULL, NULL);
    if (rc < 0) {
        snprintf(r->err, sizeof r->err, "send: %s", bk_strerror(rc));
        r->failed = 1;
        event_base_loopbreak(r->base);
    }
}

static void on_msg(bkp_stomp *s, bkp_sub *sub, const bkp_frame *m, void *arg)
{
    run *r = arg;
    uint64_t t = bench_now_ns();
    (void)s;
    (void)sub;
    (void)m;
    if (r->warm < WARMUP) {
        r->warm++;
        if (r->warm == WARMUP)
            r->start_ns = bench_now_ns();
    } else {
        r->rtt[r->n++] = t - r->t0;
        r->end_ns = t;
    }
    if (r->n >= ROUNDS || t > r->deadline_ns) {
        r->done = 1;
        event_base_loopbreak(r->base);
        return;
    }
    send_one(r);
}

static void on_subscribed(bkp_stomp *s, int status, void *arg)
{
    run *r = arg;
    (void)s;
    if (status < 0) {
        snprintf(r->err, sizeof r->err, "subscribe: %s", bk_strerror(status));
        r->failed = 1;
        event_base_loopbreak(r->base);
        return;
    }
    r->subscribed = 1;
    r->deadline_ns = bench_now_ns() + (uint64_t)LIMIT_MS * 1000000u;
    send_one(r);
}

static void on_state(bkp_stomp *s, bkp_stomp_state st, int reason, const char *detail,
                     void *arg)
{
    run *r = arg;
    (void)s;
    if (st == BKP_STOMP_DISCONNECTED || st == BKP_STOMP_CLOSED) {
        snprintf(r->err, sizeof r->err, "%s: %s", bk_strerror(reason), detail);
        r->failed = 1;
        event_base_loopbreak(r->base);
    }
}

static void on_deadline(evutil_socket_t fd, short w, void *arg)
{
    run *r = arg;
    (void)fd;
    (void)w;
    if (!r->done) {
        snprintf(r->err, sizeof r->err, "%s", r->subscribed ? "too slow" : "no connection");
        r->failed = !r->n;
    }
    event_base_loopbreak(r->base);
}

/* spec: HOST:PORT:VHOST:USER:PASS */
static void bench_broker(result *res, char *spec)
{
    char *f[5], *p = spec;
    char addr[300];
    const char *hosts[1];
    bkp_stomp_opts o;
    bkp_sub_opts so;
    run r;
    struct event *guard;
    struct timeval tv = { LIMIT_MS / 1000 + 10, 0 };
    int i, rc;

    for (i = 0; i < 5; i++) {
        f[i] = p;
        p = i < 4 ? strchr(p, ':') : NULL;
        if (i < 4 && !p) {
            snprintf(res->why, sizeof res->why, "bad target spec");
            return;
        }
        if (p)
            *p++ = '\0';
    }
    snprintf(addr, sizeof addr, "%s:%s", f[0], f[1]);
    hosts[0] = addr;
    memset(&r, 0, sizeof r);
    r.base = event_base_new();
    r.rtt = calloc(ROUNDS, sizeof *r.rtt);
    memset(r.body, 'x', sizeof r.body);
    snprintf(r.dest, sizeof r.dest, "/queue/bkbench.rt.%08x", (unsigned)bkp_random32());
    o = (bkp_stomp_opts){ .hosts = hosts, .nhosts = 1, .vhost = f[2], .login = f[3],
                          .passcode = f[4], .hb_send_ms = -1, .hb_recv_ms = -1,
                          .max_rounds = 1, .state_cb = on_state, .arg = &r };
    so = (bkp_sub_opts){ .ack = BKP_ACK_AUTO, .done = on_subscribed, .done_arg = &r };
    if (!r.base || !r.rtt || (rc = bkp_stomp_new(&r.s, r.base, &o)) < 0) {
        snprintf(res->why, sizeof res->why, "setup failed");
        goto out;
    }
    if (bkp_stomp_subscribe(r.s, r.dest, &so, on_msg, &r, NULL) < 0 || bkp_stomp_start(r.s) < 0) {
        snprintf(res->why, sizeof res->why, "setup failed");
        goto out;
    }
    guard = evtimer_new(r.base, on_deadline, &r);
    evtimer_add(guard, &tv);
    event_base_dispatch(r.base);
    event_free(guard);
    if (r.n > 0 && r.start_ns)
        summarize(res, r.rtt, r.n, r.end_ns - r.start_ns + 1);
    else
        snprintf(res->why, sizeof res->why, "failed: %.120s", r.err[0] ? r.err : "no data");
out:
    bkp_stomp_free(r.s);
    if (r.base)
        event_base_free(r.base);
    free(r.rtt);
}

/* ------------------------------------------------------------------ TCP floor */

static void bench_tcp(result *res)
{
    struct sockaddr_in sin;
    int lfd, fd, i, n = 0;
    char buf[BODY + 60];
    uint64_t *rtt = calloc(ROUNDS, sizeof *rtt), start = 0, end, t0;
    pid_t pid;

    snprintf(res->name, sizeof res->name, "loopback TCP");
    memset(buf, 'x', sizeof buf);
    lfd = bench_listen_loopback(&sin, 1);
    if (!rtt || lfd < 0) {
        snprintf(res->why, sizeof res->why, "socket setup failed");
        if (lfd >= 0)
            close(lfd);
        free(rtt);
        return;
    }
    pid = fork();
    if (pid == 0) { /* echo process */
        int c = accept(lfd, NULL, NULL);
        alarm(LIMIT_MS / 1000 + 10);
        bench_nodelay(c);
        while (bench_read_all(c, buf, sizeof buf) == 0 && bench_write_all(c, buf, sizeof buf) == 0)
            ;
        _exit(0);
    }
    close(lfd);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (pid < 0 || fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
        snprintf(res->why, sizeof res->why, "connect failed");
        goto out;
    }
    bench_nodelay(fd);
    end = bench_now_ns() + (uint64_t)LIMIT_MS * 1000000u;
    for (i = 0; i < WARMUP + ROUNDS; i++) {
        if (i == WARMUP)
            start = bench_now_ns();
        t0 = bench_now_ns();
        if (bench_write_all(fd, buf, sizeof buf) < 0 || bench_read_all(fd, buf, sizeof buf) < 0)
            break;
        if (i >= WARMUP)
            rtt[n++] = bench_now_ns() - t0;
        if (bench_now_ns() > end)
            break;
    }
    if (n > 0)
        summarize(res, rtt, n, bench_now_ns() - start);
    else
        snprintf(res->why, sizeof res->why, "echo failed");
out:
    if (fd >= 0)
        close(fd);
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    free(rtt);
}

/* ------------------------------------------------------------------ report */

static void fmt(char *b, size_t n, const result *r, int fig)
{
    if (!r->ran) {
        size_t k = (size_t)snprintf(b, n, "%s not run", bench_broker_name(r->name));
        if (r->why[0] && k < n)
            snprintf(b + k, n - k, " (%.150s)", r->why);
        return;
    }
    if (fig == 2)
        snprintf(b, n, "%s %.1fk round trips/s", bench_broker_name(r->name), r->per_s / 1000.0);
    else
        snprintf(b, n, "%s %.0f us", bench_broker_name(r->name), fig == 0 ? r->p50_us : r->p99_us);
}

static double fig_val(const result *r, int fig)
{
    return fig == 0 ? r->p50_us : fig == 1 ? r->p99_us : r->per_s;
}

int main(void)
{
    result res[MAXT + 1], tcp;
    int nres = 0, i, fig, main_idx = -1;
    const char *env = getenv("BK_BENCH_TARGETS");
    char *targets = strdup(env ? env : ""), *save = NULL, *tok;
    static const char *const figs[] = {
        "STOMP SEND->MESSAGE round trip p50, 100 B, 1 in flight",
        "STOMP SEND->MESSAGE round trip p99, 100 B, 1 in flight",
        "STOMP SEND->MESSAGE round trips/s, 100 B, 1 in flight",
    };
    static const char *const aims[] = { "<= 1/2 RabbitMQ", "<= 1/2 RabbitMQ",
                                        ">= 2x RabbitMQ" };

    signal(SIGPIPE, SIG_IGN);
    memset(res, 0, sizeof res);
    memset(&tcp, 0, sizeof tcp);
    /* the brokers we always expect, so that a missing one shows as "not run" */
    snprintf(res[nres++].name, sizeof res[0].name, "bkpr-broker");
    snprintf(res[nres++].name, sizeof res[0].name, "rabbitmq");
    for (tok = strtok_r(targets, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
        char *eq = strchr(tok, '=');
        result *r = NULL;
        if (!eq)
            continue;
        *eq = '\0';
        for (i = 0; i < nres; i++)
            if (!strcmp(res[i].name, tok))
                r = &res[i];
        if (!r && nres < MAXT) {
            r = &res[nres++];
            snprintf(r->name, sizeof r->name, "%s", tok);
        }
        if (r && !r->ran)
            bench_broker(r, eq + 1);
    }
    free(targets);
    bench_tcp(&tcp);
    main_idx = 0; /* bkpr-broker */

    for (fig = 0; fig < 3; fig++) {
        char measured[160], cmp[600], one[200];
        size_t off = 0;
        fmt(measured, sizeof measured, &res[main_idx], fig);
        cmp[0] = '\0';
        for (i = 0; i < nres; i++) {
            if (i == main_idx)
                continue;
            fmt(one, sizeof one, &res[i], fig);
            off += (size_t)snprintf(cmp + off, sizeof cmp - off, "%s%s", off ? "; " : "", one);
            if (res[i].ran && res[main_idx].ran && off < sizeof cmp) {
                double a = fig_val(&res[main_idx], fig), b = fig_val(&res[i], fig);
                double x = fig == 2 ? a / b : b / a; /* > 1: bkpr-broker is better */
                off += (size_t)snprintf(cmp + off, sizeof cmp - off, " (bkpr-broker %.1fx)", x);
            }
        }
        if (off < sizeof cmp) {
            fmt(one, sizeof one, &tcp, fig);
            snprintf(cmp + off, sizeof cmp - off, "%sfloor: %s", off ? "; " : "", one);
        }
        printf("| %s | %s | %s | %s |\n", figs[fig], measured, cmp, aims[fig]);
    }
    return 0;
}
