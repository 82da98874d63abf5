/* Flood: throughput and latency of the RPC layer against echo workers (shared by the
 * flood example and the bench program). Workers and extra clients are forked processes. */
#ifndef EXAMPLES_FLOOD_H
#define EXAMPLES_FLOOD_H

#include <stddef.h>
#include <sys/types.h>

#include "beekeeper/client.h"

typedef struct flood_target {
    char name[64];
    char addr[300];
    const char *hosts[1];
    char vhost[128], user[128], pass[128];
    char cluster[64];           /* random per run: no stale queues */
    int prefetch;               /* the echo worker's prefetch (0: the default, 1) */
} flood_target;

bk_client_opts flood_opts(flood_target *t);

/* Forks an echo worker (flood.echo, flood.job counting jobs, flood.count) on t; waits for it
 * to be ready. Returns its pid or -1. */
pid_t flood_spawn_worker(flood_target *t);
void flood_kill(pid_t pid);

typedef struct flood_result {
    double sync_p50_us, sync_calls_s, async_calls_s, jobs_s, notes_s;
    double jobs_sent_s;         /* background jobs handed to the kernel per second */
    double notes_sent_s;        /* notifications (no subscriber) handed to the kernel per second */
    int errors;
} flood_result;

/* Runs n of each kind with a payload of `bytes` bytes. 0, or -1 (could not connect). */
int flood_run(flood_target *t, int n, size_t bytes, flood_result *r);

/* Requests per second that 4 client processes get from one worker over ms milliseconds. */
double flood_fan_in(flood_target *t, int nclients, int ms);

/* Round-trip p50 in microseconds of a 100-byte ping-pong over loopback TCP (the floor). */
double flood_tcp_rtt_p50_us(int n);
/* One-way messages per second over loopback TCP, `bytes` each (the floor). */
double flood_tcp_msgs_s(int n, size_t bytes);

#endif
