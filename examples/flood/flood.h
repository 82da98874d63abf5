/* Flood: throughput and latency of the RPC layer against echo workers (shared by the
 * flood example and the bench program). Workers and extra clients are forked processes.
 *
 * The rows are those of Perl Beekeeper 0.02's flood, with a second figure where that one
 * times only the sending: a "sent" row stops the clock once the last message is handed to
 * the kernel (bk_client_flush), which is what Perl's flood times; its end-to-end twin stops
 * it once every message has arrived (notifications) or has been run (background jobs). */
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
    int prefetch;               /* the echo worker's prefetch (0: the broker's default) */
    int tls;                    /* 1: TLS, checked against tls_ca (bench_tls) */
    const char *tls_ca;
} flood_target;

bk_client_opts flood_opts(flood_target *t);

/* Forks n echo workers (flood.echo, flood.job, flood.count) on t and waits for each to be
 * ready. The workers of a process share one job counter, which flood.count answers, so
 * that a count reached means every job was run, whichever worker took it. Returns 0 with
 * pids[0..n-1] filled, or -1 with none left running. */
int flood_spawn_workers(flood_target *t, int n, pid_t *pids);
/* TERMs them all and reaps them (KILL after 3 s); sets each pid to 0 once it is gone. */
void flood_kill_all(pid_t *pids, int n);
/* One worker: its pid or -1; flood_kill stops it. */
pid_t flood_spawn_worker(flood_target *t);
void flood_kill(pid_t pid);

/* One row of the table: per_s counts the messages that made it (n - lost). */
typedef struct flood_figure {
    double per_s;
    double seconds;             /* from the first send to the row's end */
    int lost;                   /* refused, failed, or never received or run */
} flood_figure;

typedef struct flood_result {
    double sync_p50_us;
    flood_figure sync;          /* one call at a time, each waited for */
    flood_figure async;         /* up to 100 in flight, until the last answer */
    flood_figure jobs_sent;     /* background jobs handed to the kernel */
    flood_figure jobs_run;      /* ... and run: until flood.count reports them all */
    flood_figure notes_sent;    /* notifications nobody listens to, handed to the kernel */
    flood_figure notes_seen;    /* notifications to ourselves, until the last arrives */
    int errors;                 /* messages lost, each once (a refused job is in jobs_run) */
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
