/* See benchlib.h. */
#include "benchlib.h"
#include "../../examples/flood/flood.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int bench_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int bench_write_all(int fd, const char *b, size_t n)
{
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

int bench_read_all(int fd, char *b, size_t n)
{
    while (n) {
        ssize_t r = read(fd, b, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

void bench_nodelay(int fd)
{
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int bench_listen_loopback(struct sockaddr_in *sin, int backlog)
{
    socklen_t len = sizeof *sin;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(sin, 0, sizeof *sin);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)sin, sizeof *sin) < 0 ||
        (backlog > 0 && listen(fd, backlog) < 0) ||
        getsockname(fd, (struct sockaddr *)sin, &len) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

const char *bench_broker_name(const char *name)
{
    if (!strcmp(name, "rabbitmq"))
        return "RabbitMQ";
    if (!strcmp(name, "activemq"))
        return "ActiveMQ";
    return name;
}

void bench_rate(char *buf, size_t n, double v)
{
    if (v >= 1e6)
        snprintf(buf, n, "%.2fM/s", v / 1e6);
    else if (v >= 1e3)
        snprintf(buf, n, "%.1fk/s", v / 1e3);
    else
        snprintf(buf, n, "%.0f/s", v);
}

int bench_target_parse(char *tok, bench_target *t)
{
    char *eq = strchr(tok, '=');
    if (!eq)
        return -1;
    *eq = '\0';
    char *f[5], *save = NULL, *p = eq + 1;
    for (int i = 0; i < 5; i++, p = NULL)
        if (!(f[i] = strtok_r(p, ":", &save)))
            return -1;
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", tok);
    snprintf(t->addr, sizeof t->addr, "%s:%s", f[0], f[1]);
    snprintf(t->vhost, sizeof t->vhost, "%s", f[2]);
    snprintf(t->user, sizeof t->user, "%s", f[3]);
    snprintf(t->pass, sizeof t->pass, "%s", f[4]);
    return 0;
}

int bench_flood_target(char *tok, flood_target *t)
{
    bench_target b;
    if (bench_target_parse(tok, &b) != 0)
        return -1;
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", b.name);
    snprintf(t->addr, sizeof t->addr, "%s", b.addr);
    snprintf(t->vhost, sizeof t->vhost, "%s", b.vhost);
    snprintf(t->user, sizeof t->user, "%s", b.user);
    snprintf(t->pass, sizeof t->pass, "%s", b.pass);
    snprintf(t->cluster, sizeof t->cluster, "bench%06d", rand() % 1000000);
    return 0;
}
