/* NATS request/reply, measured in the same run as our RPC (bench_dispatch): Debian's
 * nats-server on a free loopback port, one responder process (a queue group, as workers
 * compete) and one requester, both with libnats and SendAsap, as latency-minded users run it.
 * Built without libnats (mk/deps.sh installs libnats-dev for make bench only), or run
 * without nats-server, it measures nothing and says why. */
#ifndef BK_BENCH_NATS_PEER_H
#define BK_BENCH_NATS_PEER_H

#include <stddef.h>

typedef struct nats_figures {
    int ran;
    char why[128];              /* when it did not */
    double sync_p50_us;         /* one request at a time */
    double async_per_s;         /* up to 100 requests in flight */
} nats_figures;

/* n_sync synchronous requests, then n_async with up to 100 in flight, of `bytes` bytes. */
void nats_measure(int n_sync, int n_async, size_t bytes, nats_figures *f);

#endif
