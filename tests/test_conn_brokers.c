/* The STOMP client connection and what brokers say, against the scripted peer of
 * conn_fixture.c playing each broker's part: ERROR frames (fatal on RabbitMQ, not on
 * ActiveMQ, a refused login on CONNECT) and each flavour's headers and temporary queues. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <time.h>

#include "beekeeper/error.h"
#include "stomp/conn.h"
#include "bkt.h"
#include "conn_fixture.h"

static void test_error_surfaced_and_closes_on_rabbitmq(void **state)
{
    fixture *fx = *state;
    bkp_header h[] = { { "message", "boom: bad thing", 0, 0 }, { "receipt-id", "r1", 0, 0 } };
    fx->p.server = "RabbitMQ/3.10.8";
    start_connected(fx);
    assert_int_equal(bkp_stomp_flavour(fx->c.s), BKP_FLAVOUR_RABBITMQ);
    fx->p.no_receipts = 1;
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/a", NULL, 0, "1", 1, on_receipt, &fx->c),
                     0);
    assert_true(wait_frames(fx, BKP_CMD_SEND, 1));
    peer_send(&fx->p, BKP_CMD_ERROR, h, 2, "details", 7, 0);
    assert_true(wait_count(fx, &fx->c.nerrors, 1));
    assert_string_equal(fx->c.error, "boom: bad thing");
    assert_int_equal(fx->c.nreceipts, 1);
    assert_int_equal(fx->c.receipts[0], BK_EBROKER);
    assert_true(saw_state(&fx->c, BKP_STOMP_DISCONNECTED));
    {
        int i;
        for (i = 0; i < fx->c.nstates; i++)
            if (fx->c.states[i] == BKP_STOMP_DISCONNECTED)
                assert_int_equal(fx->c.reasons[i], BK_EBROKER);
    }
    /* and it comes back */
    fx->p.no_receipts = 0;
    assert_true(bkt_run_until(fx->base, is_connected, &fx->c, 3000));
    assert_int_equal(fx->p.accepts, 2);
}

static void test_error_keeps_activemq_connection(void **state)
{
    fixture *fx = *state;
    bkp_header h[] = { { "message", "not fatal", 0, 0 } };
    fx->p.server = "ActiveMQ/5.17.2";
    start_connected(fx);
    assert_int_equal(bkp_stomp_flavour(fx->c.s), BKP_FLAVOUR_ACTIVEMQ);
    peer_send(&fx->p, BKP_CMD_ERROR, h, 1, NULL, 0, 0);
    assert_true(wait_count(fx, &fx->c.nerrors, 1));
    bkt_run_for(fx->base, 50);
    assert_int_equal(bkp_stomp_state_get(fx->c.s), BKP_STOMP_CONNECTED);
    assert_false(saw_state(&fx->c, BKP_STOMP_DISCONNECTED));
}

static void test_error_on_connect_is_auth_failure(void **state)
{
    fixture *fx = *state;
    fx->p.connect_error = "Access refused for user 'u'";
    fx->o.max_rounds = 2;
    start(fx);
    assert_true(wait_count(fx, &fx->c.nerrors, 1));
    assert_string_equal(fx->c.error, "Access refused for user 'u'");
    {
        int i, saw = 0;
        assert_true(wait_count(fx, &fx->p.accepts, 2));
        for (i = 0; i < fx->c.nstates; i++)
            if (fx->c.states[i] == BKP_STOMP_DISCONNECTED) {
                assert_int_equal(fx->c.reasons[i], BK_EAUTH);
                saw = 1;
            }
        assert_true(saw);
    }
}

static void temp_queue(fixture *fx, const char *server, int expect_subscribe)
{
    bkp_sub *t;
    bkp_header h[] = { { "destination", "/queue/whatever", 0, 0 },
                       { "subscription", NULL, 0, 0 }, { "message-id", "1", 0, 0 } };
    fx->p.server = server;
    start_connected(fx);
    assert_int_equal(bkp_stomp_subscribe_temp(fx->c.s, "/temp-queue/tmp.abc", on_msg, &fx->c,
                                              &t), 0);
    bkt_run_for(fx->base, 30);
    assert_int_equal(peer_count(&fx->p, BKP_CMD_SUBSCRIBE), expect_subscribe);
    if (expect_subscribe) {
        const rec *f = peer_find(&fx->p, BKP_CMD_SUBSCRIBE, 0);
        assert_string_equal(rget(f, "destination"), "/temp-queue/tmp.abc");
        h[1].value = rget(f, "id");
    } else {
        h[1].value = "/temp-queue/tmp.abc"; /* RabbitMQ: subscription id = destination */
    }
    peer_send(&fx->p, BKP_CMD_MESSAGE, h, 3, "reply", 5, 0);
    assert_true(wait_count(fx, &fx->c.nmsgs, 1));
    assert_memory_equal(fx->c.msg_body, "reply", 5);
    assert_int_equal(bkp_stomp_unsubscribe(fx->c.s, t, NULL, NULL), 0);
    bkt_run_for(fx->base, 20);
    assert_int_equal(peer_count(&fx->p, BKP_CMD_UNSUBSCRIBE), expect_subscribe);
}

static void test_temp_queue_rabbitmq_broker_subscribes(void **state)
{
    temp_queue(*state, "RabbitMQ/3.10.8", 0);
}

static void test_temp_queue_bkpr_client_subscribes(void **state)
{
    temp_queue(*state, "bkpr-broker/0.1", 1);
}

static void test_activemq_flavour_headers(void **state)
{
    fixture *fx = *state;
    const rec *f;
    uint64_t now = (uint64_t)time(NULL) * 1000;
    fx->p.server = "ActiveMQ/5.17.2";
    start_connected(fx);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a",
                                         &(bkp_sub_opts){ .ack = BKP_ACK_CLIENT, .prefetch = 1 },
                                         on_msg, &fx->c, NULL), 0);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/topic/log.#", NULL, on_msg, &fx->c, NULL),
                     0);
    assert_int_equal(bkp_stomp_send_ttl(fx->c.s, "/queue/a", NULL, 0, "1", 1, 5000, NULL,
                                        NULL), 0);
    assert_true(wait_frames(fx, BKP_CMD_SEND, 1));
    f = peer_find(&fx->p, BKP_CMD_SUBSCRIBE, 0);
    assert_string_equal(rget(f, "activemq.prefetchSize"), "1");
    assert_null(rget(f, "prefetch-count"));
    f = peer_find(&fx->p, BKP_CMD_SUBSCRIBE, 1);
    assert_string_equal(rget(f, "destination"), "/topic/log.>");
    f = peer_find(&fx->p, BKP_CMD_SEND, 0);
    assert_null(rget(f, "expiration"));
    assert_non_null(rget(f, "expires"));
    assert_true(strtoull(rget(f, "expires"), NULL, 10) >= now + 4000);
    assert_string_equal(bkp_flavour_wildcard_multi(bkp_stomp_flavour(fx->c.s)), ">");
}

static void test_rabbitmq_expiration_relative(void **state)
{
    fixture *fx = *state;
    const rec *f;
    fx->p.server = "RabbitMQ/3.10.8";
    start_connected(fx);
    assert_int_equal(bkp_stomp_send_ttl(fx->c.s, "/queue/a", NULL, 0, "1", 1, 200, NULL, NULL),
                     0);
    assert_true(wait_frames(fx, BKP_CMD_SEND, 1));
    f = peer_find(&fx->p, BKP_CMD_SEND, 0);
    assert_string_equal(rget(f, "expiration"), "200");
    assert_string_equal(bkp_flavour_wildcard_multi(BKP_FLAVOUR_RABBITMQ), "#");
    assert_int_equal(bkp_flavour_detect("bkpr-broker/0.1"), BKP_FLAVOUR_BKPR);
    assert_int_equal(bkp_flavour_detect("Apache/1"), BKP_FLAVOUR_GENERIC);
    assert_int_equal(bkp_flavour_detect(NULL), BKP_FLAVOUR_GENERIC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, conn_setup, conn_teardown)
        T(test_error_surfaced_and_closes_on_rabbitmq),
        T(test_error_keeps_activemq_connection),
        T(test_error_on_connect_is_auth_failure),
        T(test_temp_queue_rabbitmq_broker_subscribes),
        T(test_temp_queue_bkpr_client_subscribes),
        T(test_activemq_flavour_headers),
        T(test_rabbitmq_expiration_relative),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
