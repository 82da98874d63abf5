/* A worker's default prefetch (bkp_sub_opts.worker_prefetch), against the scripted peer of
 * conn_fixture.c playing each broker: chosen from the broker's flavour at CONNECTED, in the
 * flavour's header (doc/protocol.md "Delivery"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "stomp/conn.h"
#include "stomp/flavour.h"
#include "bkt.h"
#include "conn_fixture.h"

/* What the SUBSCRIBE of a worker's queue says to server, in header. */
static void worker_subscribe(fixture *fx, const char *server, const char *header,
                             const char *want)
{
    fx->p.server = server;
    start_connected(fx);
    bkp_sub_opts so = { .ack = BKP_ACK_CLIENT_INDIVIDUAL, .worker_prefetch = 1 };
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/req.c.svc", &so, on_msg, &fx->c,
                                         NULL), 0);
    assert_true(wait_frames(fx, BKP_CMD_SUBSCRIBE, 1));
    const rec *f = peer_find(&fx->p, BKP_CMD_SUBSCRIBE, 0);
    assert_string_equal(rget(f, header), want);
}

static void test_bkpr_broker_hands_a_worker_several_jobs(void **state)
{
    char want[16];
    snprintf(want, sizeof want, "%d", BKP_FLAVOUR_BKPR_PREFETCH);
    worker_subscribe(*state, "bkpr-broker/0.1", "prefetch-count", want);
}

static void test_rabbitmq_hands_a_worker_one_job(void **state)
{
    worker_subscribe(*state, "RabbitMQ/3.10.8", "prefetch-count", "1");
}

static void test_activemq_hands_a_worker_one_job(void **state)
{
    worker_subscribe(*state, "ActiveMQ/5.17.2", "activemq.prefetchSize", "1");
}

static void test_an_unknown_broker_hands_a_worker_one_job(void **state)
{
    worker_subscribe(*state, "SomeBroker/1.0", "prefetch-count", "1");
}

/* A prefetch set by the worker wins over the flavour's. */
static void test_a_set_prefetch_is_sent_as_set(void **state)
{
    fixture *fx = *state;
    fx->p.server = "bkpr-broker/0.1";
    start_connected(fx);
    bkp_sub_opts so = { .ack = BKP_ACK_CLIENT_INDIVIDUAL, .prefetch = 1 };
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/req.c.svc", &so, on_msg, &fx->c,
                                         NULL), 0);
    assert_true(wait_frames(fx, BKP_CMD_SUBSCRIBE, 1));
    assert_string_equal(rget(peer_find(&fx->p, BKP_CMD_SUBSCRIBE, 0), "prefetch-count"), "1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, conn_setup, conn_teardown)
        T(test_bkpr_broker_hands_a_worker_several_jobs),
        T(test_rabbitmq_hands_a_worker_one_job),
        T(test_activemq_hands_a_worker_one_job),
        T(test_an_unknown_broker_hands_a_worker_one_job),
        T(test_a_set_prefetch_is_sent_as_set),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
