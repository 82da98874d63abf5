/* See bkt.h. */
#include "bkt.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

uint64_t bkt_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void tick(evutil_socket_t fd, short w, void *a)
{
    (void)fd;
    (void)w;
    (void)a;
}

int bkt_run_until(struct event_base *b, bkt_cond *cond, void *arg, unsigned ms)
{
    uint64_t end = bkt_mono_ms() + ms;
    struct event *t = event_new(b, -1, EV_PERSIST, tick, NULL);
    struct timeval tv = {0, 5000};
    int ok;
    event_add(t, &tv);
    while (!(ok = cond ? cond(arg) : 0) && bkt_mono_ms() < end)
        event_base_loop(b, EVLOOP_ONCE);
    event_free(t);
    return ok;
}

void bkt_run_for(struct event_base *b, unsigned ms)
{
    bkt_run_until(b, NULL, NULL, ms);
}

typedef struct count_cond {
    const int *n;
    int want;
} count_cond;

static int count_reached(void *arg)
{
    count_cond *c = arg;
    return *c->n >= c->want;
}

int bkt_run_until_n(struct event_base *b, const int *n, int want, unsigned ms)
{
    count_cond c = {n, want};
    return bkt_run_until(b, count_reached, &c, ms);
}

void bkt_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int bkt_free_port(void)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    close(fd);
    return ntohs(sin.sin_port);
}
