/* What the bench programs that measure round trips share: the clock, sorting the samples, the
 * blocking socket I/O of their loopback TCP floors, the brokers of BK_BENCH_TARGETS and the
 * names they print. */
#ifndef BK_BENCH_BENCHLIB_H
#define BK_BENCH_BENCHLIB_H

#include <stddef.h>
#include <stdint.h>

struct sockaddr_in;

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

/* qsort's comparison of uint64_t samples, smallest first. */
int bench_cmp_u64(const void *a, const void *b);

/* Writes, or reads, all n bytes on a blocking socket (EINTR retried): 0, or -1 when it fails
 * or the peer closed. */
int bench_write_all(int fd, const char *b, size_t n);
int bench_read_all(int fd, char *b, size_t n);

/* TCP_NODELAY on fd: a round trip must not wait for Nagle. */
void bench_nodelay(int fd);

/* A socket bound to a free loopback port, *sin its address, listening with backlog (0: not
 * listening); -1 when it fails. */
int bench_listen_loopback(struct sockaddr_in *sin, int backlog);

/* A rate for a table cell, "12.3k/s" style, in buf of n bytes. */
void bench_rate(char *buf, size_t n, double per_s);

/* One broker of BK_BENCH_TARGETS ("NAME=HOST:PORT:VHOST:USER:PASS ..."). */
typedef struct bench_target {
    char name[64], addr[300], vhost[128], user[128], pass[128];
} bench_target;

/* Parses one NAME=HOST:PORT:VHOST:USER:PASS token (changed in place) into *t: 0, or -1
 * when it is not of that shape. */
int bench_target_parse(char *tok, bench_target *t);
/* The same into a flood target (examples/flood/flood.h), with a cluster name of its own. */
struct flood_target;
int bench_flood_target(char *tok, struct flood_target *t);

/* How a table names a broker script: "rabbitmq" is RabbitMQ, "activemq" ActiveMQ; others as
 * they are. */
const char *bench_broker_name(const char *name);

#endif
