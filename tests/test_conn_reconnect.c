/* The STOMP client connection losing its peer and finding one, against the scripted peer
 * of conn_fixture.c: heart-beats that keep it or find it dead, failover between hosts, the
 * back-off and giving up, a connect timeout, subscriptions made again after a reconnect. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "beekeeper/error.h"
#include "stomp/conn.h"
#include "stomp/failover.h"
#include "bkt.h"
#include "conn_fixture.h"

static void test_heartbeats_sent_when_idle(void **state)
{
    fixture *fx = *state;
    unsigned snd, rcv;
    fx->o.hb_send_ms = 20;
    fx->p.hb = "0,30"; /* the peer wants one every 30 ms: the larger value wins */
    start_connected(fx);
    bkp_stomp_heartbeats(fx->c.s, &snd, &rcv);
    assert_int_equal(snd, 30);
    assert_int_equal(rcv, 0);
    {
        uint64_t end = bkt_mono_ms() + 3000;
        while (bkp_parser_heartbeats(fx->p.parser) < 3 && bkt_mono_ms() < end)
            bkt_run_for(fx->base, 10);
    }
    assert_true(bkp_parser_heartbeats(fx->p.parser) >= 3);
    assert_int_equal(bkp_stomp_state_get(fx->c.s), BKP_STOMP_CONNECTED);
}

static void test_silent_peer_is_dead(void **state)
{
    fixture *fx = *state;
    unsigned snd, rcv;
    int i;
    fx->o.hb_recv_ms = 20;
    fx->o.hb_grace_ms = 10;
    fx->p.hb = "20,0"; /* promises heart-beats, never sends any */
    start_connected(fx);
    bkp_stomp_heartbeats(fx->c.s, &snd, &rcv);
    assert_int_equal(rcv, 20);
    assert_true(bkt_run_until(fx->base, saw_disconnect, &fx->c, 3000));
    for (i = 0; i < fx->c.nstates; i++)
        if (fx->c.states[i] == BKP_STOMP_DISCONNECTED)
            assert_int_equal(fx->c.reasons[i], BK_ETIMEDOUT);
    /* and reconnects */
    assert_true(wait_count(fx, &fx->p.accepts, 2));
}

static void peer_beat(evutil_socket_t fd, short w, void *arg)
{
    peer *p = arg;
    (void)fd;
    (void)w;
    if (p->bev)
        bufferevent_write(p->bev, "\n", 1);
}

static void test_beating_peer_stays_alive(void **state)
{
    fixture *fx = *state;
    struct event *ev = event_new(fx->base, -1, EV_PERSIST, peer_beat, &fx->p);
    struct timeval tv = { 0, 20000 };
    bkp_stomp_stats st;
    /* dead after 2 x 100 + 200 ms of silence: generous against a loaded machine */
    fx->o.hb_recv_ms = 100;
    fx->o.hb_grace_ms = 200;
    fx->p.hb = "100,0";
    event_add(ev, &tv);
    start_connected(fx);
    bkt_run_for(fx->base, 900); /* several intervals */
    event_free(ev);
    assert_int_equal(bkp_stomp_state_get(fx->c.s), BKP_STOMP_CONNECTED);
    assert_false(saw_state(&fx->c, BKP_STOMP_DISCONNECTED));
    bkp_stomp_stats_get(fx->c.s, &st);
    assert_true(st.heartbeats_in >= 3);
}

static void test_failover_to_second_host(void **state)
{
    fixture *fx = *state;
    snprintf(fx->hostbuf[0], sizeof fx->hostbuf[0], "127.0.0.1:%d", bkt_free_port());
    fx->hosts[0] = fx->hostbuf[0];
    fx->hosts[1] = fx->p.addr;
    fx->o.nhosts = 2;
    start_connected(fx);
    assert_string_equal(bkp_stomp_host(fx->c.s), fx->p.addr);
    assert_true(fx->c.nstates >= 4);
    assert_int_equal(fx->c.states[0], BKP_STOMP_CONNECTING);
    assert_string_equal(fx->c.details[0], fx->hostbuf[0]);
    assert_int_equal(fx->c.states[1], BKP_STOMP_DISCONNECTED);
    assert_int_equal(fx->c.reasons[1], BK_ECONNREFUSED);
    assert_int_equal(fx->c.states[2], BKP_STOMP_CONNECTING);
    assert_string_equal(fx->c.details[2], fx->p.addr);
    assert_int_equal(fx->c.states[3], BKP_STOMP_CONNECTED);
}

static void test_immediate_connect_failure_reported_once(void **state)
{
    fixture *fx = *state;
    int i, n = 0;
    fx->hosts[0] = "255.255.255.255:9"; /* connect() fails at once (broadcast) */
    fx->hosts[1] = fx->p.addr;
    fx->o.nhosts = 2;
    start_connected(fx);
    for (i = 0; i < fx->c.nstates; i++)
        n += fx->c.states[i] == BKP_STOMP_DISCONNECTED;
    assert_int_equal(n, 1);
    assert_int_equal(fx->c.reasons[1], BK_ECONNREFUSED);
    assert_string_equal(bkp_stomp_host(fx->c.s), fx->p.addr);
}

static void test_random_first_host_reaches_live_one(void **state)
{
    fixture *fx = *state;
    snprintf(fx->hostbuf[0], sizeof fx->hostbuf[0], "127.0.0.1:%d", bkt_free_port());
    snprintf(fx->hostbuf[1], sizeof fx->hostbuf[1], "127.0.0.1:%d", bkt_free_port());
    fx->hosts[0] = fx->hostbuf[0];
    fx->hosts[1] = fx->p.addr;
    fx->hosts[2] = fx->hostbuf[1];
    fx->o.nhosts = 3;
    fx->o.ordered = 0;
    start_connected(fx);
    assert_string_equal(bkp_stomp_host(fx->c.s), fx->p.addr);
}

static void test_resubscribe_after_reconnect(void **state)
{
    fixture *fx = *state;
    bkp_sub *a, *b, *c;
    const rec *f;
    int i, n;
    bkp_sub_opts so = { .ack = BKP_ACK_CLIENT, .prefetch = 3, .done = on_receipt,
                        .done_arg = &fx->c };
    start_connected(fx);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a", &so, on_msg, &fx->c, &a), 0);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/topic/b.*", NULL, on_msg, &fx->c, &b), 0);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/c", NULL, on_msg, &fx->c, &c), 0);
    assert_int_equal(bkp_stomp_unsubscribe(fx->c.s, b, NULL, NULL), 0);
    assert_true(wait_frames(fx, BKP_CMD_UNSUBSCRIBE, 1));
    assert_true(wait_count(fx, &fx->c.nreceipts, 1));
    peer_drop(&fx->p);
    assert_true(wait_count(fx, &fx->p.accepts, 2));
    assert_true(wait_frames(fx, BKP_CMD_SUBSCRIBE, 5));
    bkt_run_for(fx->base, 20);
    assert_int_equal(peer_count(&fx->p, BKP_CMD_SUBSCRIBE), 5);
    /* the 4th and 5th SUBSCRIBE come after the second CONNECT, same ids, no receipt */
    for (i = 0, n = 0; i < fx->p.nf; i++) {
        f = &fx->p.f[i];
        if (f->cmd == BKP_CMD_CONNECT)
            n++;
        if (f->cmd == BKP_CMD_SUBSCRIBE && n == 2) {
            assert_null(rget(f, "receipt"));
            assert_true(strcmp(rget(f, "id"), bkp_sub_id(a)) == 0 ||
                        strcmp(rget(f, "id"), bkp_sub_id(c)) == 0);
            if (strcmp(rget(f, "id"), bkp_sub_id(a)) == 0) {
                assert_string_equal(rget(f, "ack"), "client");
                assert_string_equal(rget(f, "prefetch-count"), "3");
            }
        }
    }
    assert_int_equal(n, 2);
    assert_int_equal(fx->c.nreceipts, 1); /* the first SUBSCRIBE's only */
}

static void test_backoff_bounded(void **state)
{
    unsigned round;
    uint32_t r;
    (void)state;
    for (round = 1; round < 40; round++) {
        for (r = 0; r < 2000; r += 7) {
            uint32_t d = bkp_backoff_ms(100, 5000, round, r * 2654435761u);
            assert_in_range(d, 50, 5000);
            if (round == 1)
                assert_in_range(d, 50, 100);
        }
    }
    /* large rounds are capped, never overflow */
    assert_in_range(bkp_backoff_ms(100, 5000, 1000000, 0xffffffffu), 2500, 5000);
    assert_in_range(bkp_backoff_ms(0, 0, 3, 5), 0, 1);
}

static void test_gives_up_after_max_rounds(void **state)
{
    fixture *fx = *state;
    bkp_stomp_stats st;
    snprintf(fx->hostbuf[0], sizeof fx->hostbuf[0], "127.0.0.1:%d", bkt_free_port());
    snprintf(fx->hostbuf[1], sizeof fx->hostbuf[1], "127.0.0.1:%d", bkt_free_port());
    fx->hosts[0] = fx->hostbuf[0];
    fx->hosts[1] = fx->hostbuf[1];
    fx->o.nhosts = 2;
    fx->o.max_rounds = 3;
    start(fx);
    {
        uint64_t end = bkt_mono_ms() + 5000;
        while (last_state(&fx->c) != BKP_STOMP_CLOSED && bkt_mono_ms() < end)
            bkt_run_for(fx->base, 10);
    }
    assert_int_equal(last_state(&fx->c), BKP_STOMP_CLOSED);
    assert_int_equal(fx->c.reasons[fx->c.nstates - 1], BK_ECONNREFUSED);
    bkp_stomp_stats_get(fx->c.s, &st);
    assert_int_equal(st.attempts, 6);
    assert_int_equal(st.connects, 0);
    /* Each failure says whether it ended a round over both hosts and when the next try is:
     * the other host at once, a back-off after a round, none after the last. */
    int k = 0;
    for (int i = 0; i < fx->c.nstates; i++) {
        if (fx->c.states[i] != BKP_STOMP_DISCONNECTED)
            continue;
        assert_int_equal(fx->c.round_over[i], k % 2 == 1);
        if (k % 2 == 0)
            assert_true(fx->c.retry_in[i] == 0);
        else if (k == 5)
            assert_true(fx->c.retry_in[i] == -1);
        else
            assert_true(fx->c.retry_in[i] > 0);
        k++;
    }
    assert_int_equal(k, 6);
}

static void test_connect_timeout_moves_on(void **state)
{
    fixture *fx = *state;
    int i, saw = 0;
    fx->p.no_connected = 1;
    fx->o.connect_timeout_ms = 50;
    start(fx);
    assert_true(bkt_run_until(fx->base, saw_disconnect, &fx->c, 3000));
    for (i = 0; i < fx->c.nstates; i++)
        if (fx->c.states[i] == BKP_STOMP_DISCONNECTED) {
            assert_int_equal(fx->c.reasons[i], BK_ETIMEDOUT);
            saw = 1;
        }
    assert_true(saw);
    assert_true(wait_count(fx, &fx->p.accepts, 2)); /* and tries again */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, conn_setup, conn_teardown)
        T(test_heartbeats_sent_when_idle),
        T(test_silent_peer_is_dead),
        T(test_beating_peer_stays_alive),
        T(test_failover_to_second_host),
        T(test_immediate_connect_failure_reported_once),
        T(test_random_first_host_reaches_live_one),
        T(test_resubscribe_after_reconnect),
        T(test_backoff_bounded),
        T(test_gives_up_after_max_rounds),
        T(test_connect_timeout_moves_on),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
