/* The STOMP client connection's callbacks and its end, against the scripted peer of
 * conn_fixture.c: what the message and state callbacks may do (free the connection,
 * unsubscribe, send), and disconnecting, with and without a receipt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "beekeeper/error.h"
#include "stomp/conn.h"
#include "bkt.h"
#include "conn_fixture.h"

static void test_free_inside_message_callback(void **state)
{
    fixture *fx = *state;
    const rec *sub;
    fx->c.free_in_cb = 1;
    start_connected(fx);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a", NULL, on_msg, &fx->c, NULL), 0);
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/x", NULL, 0, "1", 1, on_receipt, &fx->c),
                     0);
    fx->p.no_receipts = 1;
    assert_true(wait_frames(fx, BKP_CMD_SEND, 1));
    sub = peer_find(&fx->p, BKP_CMD_SUBSCRIBE, 0);
    /* two messages in one read: the first callback frees the connection */
    peer_message(&fx->p, rget(sub, "id"), "1", "1", NULL, "one");
    peer_message(&fx->p, rget(sub, "id"), "2", "2", NULL, "two");
    assert_true(wait_count(fx, &fx->c.nmsgs, 1));
    bkt_run_for(fx->base, 30);
    assert_int_equal(fx->c.nmsgs, 1);
    assert_null(fx->c.s);
    assert_int_equal(fx->c.nreceipts, 1);
    assert_int_equal(fx->c.receipts[0], BK_ECLOSED);
}

static void test_unsubscribe_inside_message_callback(void **state)
{
    fixture *fx = *state;
    const rec *sub;
    fx->c.unsub_in_cb = 1;
    start_connected(fx);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a", NULL, on_msg, &fx->c, NULL), 0);
    assert_true(wait_frames(fx, BKP_CMD_SUBSCRIBE, 1));
    sub = peer_find(&fx->p, BKP_CMD_SUBSCRIBE, 0);
    peer_message(&fx->p, rget(sub, "id"), "1", "1", NULL, "one");
    peer_message(&fx->p, rget(sub, "id"), "2", "2", NULL, "two");
    assert_true(wait_frames(fx, BKP_CMD_UNSUBSCRIBE, 1));
    bkt_run_for(fx->base, 30);
    assert_int_equal(fx->c.nmsgs, 1);
    assert_int_equal(bkp_stomp_state_get(fx->c.s), BKP_STOMP_CONNECTED);
}

static void test_ack_refused_after_unsubscribe(void **state)
{
    fixture *fx = *state;
    const rec *sub;
    fx->c.unsub_then_ack = 1;
    start_connected(fx);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a",
                                         &(bkp_sub_opts){ .ack = BKP_ACK_CLIENT }, on_msg,
                                         &fx->c, NULL), 0);
    assert_true(wait_frames(fx, BKP_CMD_SUBSCRIBE, 1));
    sub = peer_find(&fx->p, BKP_CMD_SUBSCRIBE, 0);
    peer_message(&fx->p, rget(sub, "id"), "1", "1", NULL, "one");
    assert_true(wait_frames(fx, BKP_CMD_UNSUBSCRIBE, 1));
    assert_int_equal(fx->c.ack_rc, BK_ESTATE);
    bkt_run_for(fx->base, 20);
    assert_int_equal(peer_count(&fx->p, BKP_CMD_ACK), 0);
}

static void test_disconnect_while_not_connected(void **state)
{
    fixture *fx = *state;
    snprintf(fx->hostbuf[0], sizeof fx->hostbuf[0], "127.0.0.1:%d", bkt_free_port());
    fx->hosts[0] = fx->hostbuf[0];
    fx->o.backoff_min_ms = 5000;
    fx->o.backoff_max_ms = 5000;
    start(fx);
    assert_true(bkt_run_until(fx->base, saw_disconnect, &fx->c, 3000));
    assert_int_equal(bkp_stomp_disconnect(fx->c.s, on_receipt, &fx->c), 0);
    assert_int_equal(bkp_stomp_state_get(fx->c.s), BKP_STOMP_CLOSED);
    assert_int_equal(fx->c.nreceipts, 0); /* not from inside the call */
    assert_true(wait_count(fx, &fx->c.nreceipts, 1));
    assert_int_equal(fx->c.receipts[0], 0);
    assert_int_equal(last_state(&fx->c), BKP_STOMP_CLOSED);
}

static void test_send_from_connected_callback_follows_resubscribe(void **state)
{
    fixture *fx = *state;
    int i, sub_at = -1, send_at = -1;
    fx->c.send_on_connect = 1;
    fx->c.send_rc = 1;
    assert_int_equal(bkp_stomp_new(&fx->c.s, fx->base, &fx->o), 0);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a", NULL, on_msg, &fx->c, NULL), 0);
    assert_int_equal(bkp_stomp_start(fx->c.s), 0);
    assert_true(wait_frames(fx, BKP_CMD_SEND, 1));
    assert_int_equal(fx->c.send_rc, 0);
    for (i = 0; i < fx->p.nf; i++) {
        if (fx->p.f[i].cmd == BKP_CMD_SUBSCRIBE && sub_at < 0)
            sub_at = i;
        if (fx->p.f[i].cmd == BKP_CMD_SEND && send_at < 0)
            send_at = i;
    }
    assert_true(sub_at >= 0 && sub_at < send_at);
}

static void test_free_inside_state_callback(void **state)
{
    fixture *fx = *state;
    fx->c.free_on_disconnect = 1;
    fx->p.no_receipts = 1;
    start_connected(fx);
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/x", NULL, 0, "1", 1, on_receipt, &fx->c),
                     0);
    assert_true(wait_frames(fx, BKP_CMD_SEND, 1));
    peer_drop(&fx->p);
    assert_true(wait_count(fx, &fx->c.nreceipts, 1));
    bkt_run_for(fx->base, 50);
    assert_null(fx->c.s);
    assert_int_equal(fx->c.receipts[0], BK_ECLOSED);
    assert_int_equal(fx->p.accepts, 1); /* freed: no reconnect */
}

static void test_graceful_disconnect(void **state)
{
    fixture *fx = *state;
    const rec *d;
    start_connected(fx);
    assert_int_equal(bkp_stomp_disconnect(fx->c.s, on_receipt, &fx->c), 0);
    assert_int_equal(bkp_stomp_disconnect(fx->c.s, on_receipt, &fx->c), BK_ESTATE);
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/a", NULL, 0, "1", 1, NULL, NULL),
                     BK_ECLOSED);
    assert_true(wait_count(fx, &fx->c.nreceipts, 1));
    assert_int_equal(fx->c.receipts[0], 0);
    d = peer_find(&fx->p, BKP_CMD_DISCONNECT, 0);
    assert_non_null(d);
    assert_non_null(rget(d, "receipt"));
    assert_int_equal(bkp_stomp_state_get(fx->c.s), BKP_STOMP_CLOSED);
    assert_int_equal(last_state(&fx->c), BKP_STOMP_CLOSED);
    bkt_run_for(fx->base, 50);
    assert_int_equal(fx->p.accepts, 1); /* no reconnect after a graceful close */
}

static void test_disconnect_without_receipt_times_out(void **state)
{
    fixture *fx = *state;
    fx->o.disconnect_timeout_ms = 30;
    start_connected(fx);
    fx->p.no_receipts = 1;
    assert_int_equal(bkp_stomp_disconnect(fx->c.s, on_receipt, &fx->c), 0);
    assert_true(wait_count(fx, &fx->c.nreceipts, 1));
    assert_int_equal(fx->c.receipts[0], BK_ETIMEDOUT);
    assert_int_equal(bkp_stomp_state_get(fx->c.s), BKP_STOMP_CLOSED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, conn_setup, conn_teardown)
        T(test_free_inside_message_callback),
        T(test_unsubscribe_inside_message_callback),
        T(test_ack_refused_after_unsubscribe),
        T(test_disconnect_while_not_connected),
        T(test_send_from_connected_callback_follows_resubscribe),
        T(test_free_inside_state_callback),
        T(test_graceful_disconnect),
        T(test_disconnect_without_receipt_times_out),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
