/* The broker an integration test runs against. tests/run-tests.sh exports BK_TEST_BROKER,
 * BK_TEST_HOST, BK_TEST_PORT, BK_TEST_VHOST, BK_TEST_USER and BK_TEST_PASS for each broker. */
#ifndef BK_TESTS_ITEST_ENV_H
#define BK_TESTS_ITEST_ENV_H

#include "beekeeper/client.h"

typedef struct bkt_env {
    const char *broker;          /* its name; NULL when none is in the environment (skip) */
    const char *vhost, *user, *pass;
    char addr[300];              /* "HOST:PORT" */
    const char *hosts[1];        /* { addr }, for bk_client_opts */
    char sfx[16];                /* 6 random digits that name this run's queues and services */
    char cluster[32];            /* the run's own bus id: prefix and sfx */
} bkt_env;

extern bkt_env bkt;

/* Fills bkt from the environment; without a broker, says on stderr that prog skips. Seeds
 * rand() (time and pid) and names the cluster. 1 when a broker is there, else 0. */
int bkt_env_load(const char *prog, const char *cluster_prefix);

/* Client options for the broker, on bkt.cluster (strings borrowed from bkt). */
bk_client_opts bkt_client_opts(void);

#endif
