/* See nats_peer.h. */
#include "nats_peer.h"

#include <stdio.h>
#include <string.h>

#ifndef BK_HAVE_NATS

void nats_measure(int n_sync, int n_async, size_t bytes, nats_figures *f)
{
    (void)n_sync;
    (void)n_async;
    (void)bytes;
    memset(f, 0, sizeof *f);
    snprintf(f->why, sizeof f->why, "not built with libnats (libnats-dev, mk/deps.sh bench)");
}

#else

#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nats/nats.h>

#include "benchlib.h"

#define SUBJECT "bkbench.echo"
#define WINDOW 100

static natsConnection *connect_to(int port)
{
    char url[64];
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    snprintf(url, sizeof url, "nats://127.0.0.1:%d", port);
    if (natsOptions_Create(&o) != NATS_OK)
        return NULL;
    natsOptions_SetURL(o, url);
    natsOptions_SetSendAsap(o, true);
    if (natsConnection_Connect(&nc, o) != NATS_OK)
        nc = NULL;
    natsOptions_Destroy(o);
    return nc;
}

static void echo(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *arg)
{
    (void)sub;
    (void)arg;
    if (natsMsg_GetReply(m))
        natsConnection_Publish(nc, natsMsg_GetReply(m), natsMsg_GetData(m),
                               natsMsg_GetDataLength(m));
    natsMsg_Destroy(m);
}

/* The responder: a process of its own, as a worker is; says 'r' on ready_fd once serving. */
static _Noreturn void responder(int port, int ready_fd)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    alarm(300);
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    for (int i = 0; i < 100 && !(nc = connect_to(port)); i++)
        usleep(50000);
    if (!nc || natsConnection_QueueSubscribe(&sub, nc, SUBJECT, "workers", echo, NULL) != NATS_OK ||
        natsConnection_Flush(nc) != NATS_OK || write(ready_fd, "r", 1) != 1)
        _exit(1);
    for (;;)
        pause();
}

static pid_t start_server(int port)
{
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
            _exit(126);
        execlp("nats-server", "nats-server", "-a", "127.0.0.1", "-p", p, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void stop(pid_t pid)
{
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
}

/* Up to WINDOW requests in flight. The replies' thread wakes the sender only when it
 * waits and half the window is free, and at the end: a wake-up per reply would cost NATS a
 * context switch per request that our single-threaded client does not pay. */
typedef struct window {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int inflight, got, want, waiting;
} window;

static void on_reply(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *arg)
{
    (void)nc;
    (void)sub;
    window *w = arg;
    natsMsg_Destroy(m);
    pthread_mutex_lock(&w->mu);
    w->inflight--;
    w->got++;
    if ((w->waiting && w->inflight <= WINDOW / 2) || w->got == w->want)
        pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static int measure(natsConnection *nc, int n_sync, int n_async, const char *data, int len,
                   nats_figures *f)
{
    uint64_t *lat = calloc((size_t)n_sync, sizeof *lat);
    if (!lat)
        return -1;
    for (int i = 0; i < n_sync; i++) {
        natsMsg *reply = NULL;
        uint64_t t0 = bench_now_ns();
        if (natsConnection_Request(&reply, nc, SUBJECT, data, len, 2000) != NATS_OK) {
            free(lat);
            return -1;
        }
        lat[i] = bench_now_ns() - t0;
        natsMsg_Destroy(reply);
    }
    qsort(lat, (size_t)n_sync, sizeof *lat, bench_cmp_u64);
    f->sync_p50_us = (double)lat[n_sync / 2] / 1e3;
    free(lat);

    window w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER,
                .want = n_async};
    natsInbox *inbox = NULL;
    natsSubscription *sub = NULL;
    if (natsInbox_Create(&inbox) != NATS_OK ||
        natsConnection_Subscribe(&sub, nc, inbox, on_reply, &w) != NATS_OK) {
        natsInbox_Destroy(inbox);
        return -1;
    }
    uint64_t t0 = bench_now_ns();
    for (int i = 0; i < n_async; i++) {
        pthread_mutex_lock(&w.mu);
        while (w.inflight >= WINDOW) {
            w.waiting = 1;
            pthread_cond_wait(&w.cv, &w.mu);
            w.waiting = 0;
        }
        w.inflight++;
        pthread_mutex_unlock(&w.mu);
        natsConnection_PublishRequest(nc, SUBJECT, inbox, data, len);
    }
    pthread_mutex_lock(&w.mu);
    while (w.got < n_async) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 5;
        if (pthread_cond_timedwait(&w.cv, &w.mu, &ts) != 0)
            break;
    }
    int got = w.got;
    pthread_mutex_unlock(&w.mu);
    f->async_per_s = got / ((double)(bench_now_ns() - t0) / 1e9);
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    natsInbox_Destroy(inbox);
    return got == n_async ? 0 : -1;
}

void nats_measure(int n_sync, int n_async, size_t bytes, nats_figures *f)
{
    memset(f, 0, sizeof *f);
    struct sockaddr_in sin;
    int fd = bench_listen_loopback(&sin, 0), port = fd >= 0 ? ntohs(sin.sin_port) : 0;
    if (fd >= 0)
        close(fd);
    int ready[2];
    if (!port || pipe(ready) != 0) {
        snprintf(f->why, sizeof f->why, "no free port");
        return;
    }
    pid_t server = start_server(port), resp = -1;
    fflush(NULL);
    if (server > 0 && (resp = fork()) == 0) {
        close(ready[0]);
        responder(port, ready[1]);
    }
    close(ready[1]);
    char ch;
    if (server <= 0 || resp <= 0 || read(ready[0], &ch, 1) != 1) {
        snprintf(f->why, sizeof f->why, "nats-server did not start (is it installed?)");
        close(ready[0]);
        stop(resp);
        stop(server);
        return;
    }
    close(ready[0]);
    natsConnection *nc = connect_to(port);
    char *data = malloc(bytes ? bytes : 1);
    if (data)
        memset(data, 'x', bytes);
    if (!nc || !data || measure(nc, n_sync, n_async, data, (int)bytes, f) != 0)
        snprintf(f->why, sizeof f->why, "requests to nats-server failed");
    else
        f->ran = 1;
    free(data);
    natsConnection_Destroy(nc);
    stop(resp);
    stop(server);
    nats_Close();
}

#endif
