/* See itest_env.h. */
#include "itest_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

bkt_env bkt;

int bkt_env_load(const char *prog, const char *cluster_prefix)
{
    const char *host = getenv("BK_TEST_HOST"), *port = getenv("BK_TEST_PORT");
    bkt.broker = getenv("BK_TEST_BROKER");
    bkt.vhost = getenv("BK_TEST_VHOST");
    bkt.user = getenv("BK_TEST_USER");
    bkt.pass = getenv("BK_TEST_PASS");
    if (!host || !port || !bkt.broker) {
        bkt.broker = NULL;
        fprintf(stderr, "%s: no BK_TEST_* broker in the environment: skipping\n", prog);
    } else {
        snprintf(bkt.addr, sizeof bkt.addr, "%s:%s", host, port);
        bkt.hosts[0] = bkt.addr;
    }
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    snprintf(bkt.sfx, sizeof bkt.sfx, "%06d", rand() % 1000000);
    snprintf(bkt.cluster, sizeof bkt.cluster, "%s%s", cluster_prefix, bkt.sfx);
    return bkt.broker != NULL;
}

bk_client_opts bkt_client_opts(void)
{
    return (bk_client_opts){.hosts = bkt.hosts, .nhosts = 1, .vhost = bkt.vhost,
                            .user = bkt.user, .pass = bkt.pass, .bus_id = bkt.cluster};
}
