/* The STOMP client connection on the wire, against the scripted peer of conn_fixture.c:
 * the frames it writes (CONNECT's raw headers, escaping, ACK and NACK in each protocol
 * version, receipts, one write per loop turn, a bounded output buffer) and how it reads them
 * (a byte at a time, malformed or oversized frames, an ACK after the callback). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <event2/bufferevent.h>

#include "beekeeper/error.h"
#include "stomp/conn.h"
#include "net/hostport.h"
#include "stomp/failover.h"
#include "bkt.h"
#include "conn_fixture.h"

static void test_connect_headers_are_raw(void **state)
{
    fixture *fx = *state;
    const rec *f;
    fx->o.login = "us:er";
    fx->o.passcode = "pa\\ss:1";
    fx->o.vhost = "/v:h";
    fx->o.hb_send_ms = 1500;
    fx->o.hb_recv_ms = 2500;
    start_connected(fx);
    f = peer_find(&fx->p, BKP_CMD_CONNECT, 0);
    assert_non_null(f);
    assert_string_equal(rget(f, "accept-version"), "1.1,1.2");
    assert_string_equal(rget(f, "host"), "/v:h");
    assert_string_equal(rget(f, "login"), "us:er");
    assert_string_equal(rget(f, "passcode"), "pa\\ss:1");
    assert_string_equal(rget(f, "heart-beat"), "1500,2500");
    /* no escaping on CONNECT: the backslash and colons go out as they are */
    assert_true(peer_raw_has(&fx->p, "\npasscode:pa\\ss:1\n"));
    assert_true(peer_raw_has(&fx->p, "\nhost:/v:h\n"));
    assert_int_equal(bkp_stomp_version(fx->c.s), 12);
    assert_string_equal(bkp_stomp_server(fx->c.s), "test-peer/1");
    assert_string_equal(bkp_stomp_session(fx->c.s), "sess-1");
    assert_int_equal(bkp_stomp_flavour(fx->c.s), BKP_FLAVOUR_GENERIC);
    assert_int_equal(fx->c.states[0], BKP_STOMP_CONNECTING);
    assert_int_equal(last_state(&fx->c), BKP_STOMP_CONNECTED);
}

static void test_stomp_command_and_default_heartbeat(void **state)
{
    fixture *fx = *state;
    const rec *f;
    fx->o.use_stomp_cmd = 1;
    fx->o.hb_send_ms = 0;
    fx->o.hb_recv_ms = 0;
    fx->o.login = NULL;
    start_connected(fx);
    f = peer_find(&fx->p, BKP_CMD_STOMP, 0);
    assert_non_null(f);
    assert_string_equal(rget(f, "heart-beat"), "10000,10000");
    assert_null(rget(f, "login"));
}

static void test_bad_options_refused(void **state)
{
    fixture *fx = *state;
    bkp_stomp *s = NULL;
    const char *bad[] = { "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", ":80", "::1:80",
                          "a b:80", "[::1]80", "h:8x" };
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fx->o.hosts = &bad[i];
        assert_int_equal(bkp_stomp_new(&s, fx->base, &fx->o), BK_EINVAL);
        assert_null(s);
    }
    fx->o.hosts = fx->hosts;
    fx->o.login = "a\nb";
    assert_int_equal(bkp_stomp_new(&s, fx->base, &fx->o), BK_EINVAL);
    fx->o.login = "u";
    fx->o.nhosts = 0;
    assert_int_equal(bkp_stomp_new(&s, fx->base, &fx->o), BK_EINVAL);
    {
        bkp_hostport hp;
        assert_int_equal(bkp_hostport_parse(&hp, "[::1]:61613"), 0);
        assert_string_equal(hp.host, "::1");
        assert_string_equal(hp.port, "61613");
        bkp_hostport_clear(&hp);
    }
}

static void test_send_fails_closed_when_not_connected(void **state)
{
    fixture *fx = *state;
    bkp_sub *sub = NULL;
    fx->p.no_connected = 1;
    assert_int_equal(bkp_stomp_new(&fx->c.s, fx->base, &fx->o), 0);
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/a", NULL, 0, "x", 1, NULL, NULL),
                     BK_ECLOSED);
    /* subscriptions are state: allowed before connecting */
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a", NULL, on_msg, &fx->c, &sub), 0);
    assert_non_null(sub);
    assert_int_equal(bkp_stomp_start(fx->c.s), 0);
    assert_int_equal(bkp_stomp_start(fx->c.s), BK_ESTATE);
    assert_true(wait_frames(fx, BKP_CMD_CONNECT, 1));
    assert_int_equal(bkp_stomp_state_get(fx->c.s), BKP_STOMP_CONNECTING);
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/a", NULL, 0, "x", 1, NULL, NULL),
                     BK_ECLOSED);
    assert_int_equal(peer_count(&fx->p, BKP_CMD_SUBSCRIBE), 0);
}

static void ack_form(fixture *fx, const char *version)
{
    bkp_sub_opts so = { .ack = BKP_ACK_CLIENT_INDIVIDUAL, .prefetch = 1 };
    const rec *sub, *ack, *nack;
    fx->p.version = version;
    fx->c.do_ack = 1;
    start_connected(fx);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a", &so, on_msg, &fx->c, NULL), 0);
    assert_true(wait_frames(fx, BKP_CMD_SUBSCRIBE, 1));
    sub = peer_find(&fx->p, BKP_CMD_SUBSCRIBE, 0);
    assert_string_equal(rget(sub, "destination"), "/queue/a");
    assert_string_equal(rget(sub, "ack"), "client-individual");
    assert_string_equal(rget(sub, "prefetch-count"), "1");
    peer_message(&fx->p, rget(sub, "id"), "M1", "A1", "v", "hello");
    assert_true(wait_frames(fx, BKP_CMD_NACK, 1));
    assert_int_equal(fx->c.ack_rc, 0);
    assert_int_equal(fx->c.nack_rc, 0);
    ack = peer_find(&fx->p, BKP_CMD_ACK, 0);
    nack = peer_find(&fx->p, BKP_CMD_NACK, 0);
    assert_non_null(ack);
    if (strcmp(version, "1.2") == 0) {
        assert_string_equal(rget(ack, "id"), "A1");
        assert_null(rget(ack, "message-id"));
        assert_string_equal(rget(nack, "id"), "A1");
    } else {
        assert_string_equal(rget(ack, "message-id"), "M1");
        assert_string_equal(rget(ack, "subscription"), rget(sub, "id"));
        assert_null(rget(ack, "id"));
        assert_string_equal(rget(nack, "message-id"), "M1");
    }
}

static void test_stomp12_ack_uses_ack_header(void **state)
{
    ack_form(*state, "1.2");
    assert_int_equal(bkp_stomp_version(((fixture *)*state)->c.s), 12);
}

static void test_stomp11_ack_uses_message_id_and_subscription(void **state)
{
    ack_form(*state, "1.1");
    assert_int_equal(bkp_stomp_version(((fixture *)*state)->c.s), 11);
}

static void test_stomp10_answer_raw_and_no_nack(void **state)
{
    fixture *fx = *state;
    bkp_header h[] = { { "x", "a:b", 0, 0 } };
    const rec *sub, *ack;
    fx->p.version = NULL;
    fx->c.do_ack = 1;
    start_connected(fx);
    assert_int_equal(bkp_stomp_version(fx->c.s), 10);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a",
                                         &(bkp_sub_opts){ .ack = BKP_ACK_CLIENT }, on_msg,
                                         &fx->c, NULL), 0);
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/b", h, 1, "x", 1, NULL, NULL), 0);
    assert_true(wait_frames(fx, BKP_CMD_SEND, 1));
    assert_true(peer_raw_has(&fx->p, "\nx:a:b\n"));  /* 1.0: no escaping */
    sub = peer_find(&fx->p, BKP_CMD_SUBSCRIBE, 0);
    peer_message(&fx->p, rget(sub, "id"), "M9", NULL, NULL, "b");
    assert_true(wait_frames(fx, BKP_CMD_ACK, 1));
    ack = peer_find(&fx->p, BKP_CMD_ACK, 0);
    assert_string_equal(rget(ack, "message-id"), "M9");
    assert_int_equal(fx->c.nack_rc, BK_ESTATE);
}

static void test_headers_escaped_on_send(void **state)
{
    fixture *fx = *state;
    bkp_header h[] = { { "x", "a:b\nc\\d", 0, 0 } };
    const rec *f;
    start_connected(fx);
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/b", h, 1, "body", 4, NULL, NULL), 0);
    assert_true(wait_frames(fx, BKP_CMD_SEND, 1));
    assert_true(peer_raw_has(&fx->p, "\nx:a\\cb\\nc\\\\d\n"));
    f = peer_find(&fx->p, BKP_CMD_SEND, 0);
    assert_string_equal(rget(f, "x"), "a:b\nc\\d");
    assert_string_equal(rget(f, "content-length"), "4");
    assert_string_equal(f->body, "body");
    /* reserved headers are refused */
    h[0].name = "content-length";
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/b", h, 1, "body", 4, NULL, NULL),
                     BK_EINVAL);
}

static void test_receipts_complete_callbacks(void **state)
{
    fixture *fx = *state;
    bkp_sub *sub;
    bkp_sub_opts so = { .done = on_receipt, .done_arg = &fx->c };
    start_connected(fx);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a", &so, on_msg, &fx->c, &sub), 0);
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/a", NULL, 0, "1", 1, on_receipt, &fx->c),
                     0);
    assert_int_equal(bkp_stomp_unsubscribe(fx->c.s, sub, on_receipt, &fx->c), 0);
    assert_int_equal(fx->c.nreceipts, 0); /* never from inside the call */
    assert_true(wait_count(fx, &fx->c.nreceipts, 3));
    assert_int_equal(fx->c.receipts[0], 0);
    assert_int_equal(fx->c.receipts[1], 0);
    assert_int_equal(fx->c.receipts[2], 0);
    assert_non_null(rget(peer_find(&fx->p, BKP_CMD_SUBSCRIBE, 0), "receipt"));
    assert_non_null(rget(peer_find(&fx->p, BKP_CMD_UNSUBSCRIBE, 0), "receipt"));
    /* a receipt the broker never sends is failed when the connection goes */
    fx->p.no_receipts = 1;
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/a", NULL, 0, "2", 1, on_receipt, &fx->c),
                     0);
    assert_true(wait_frames(fx, BKP_CMD_SEND, 2));
    peer_drop(&fx->p);
    assert_true(wait_count(fx, &fx->c.nreceipts, 4));
    assert_int_equal(fx->c.receipts[3], BK_ECLOSED);
}

static void test_frames_of_one_turn_are_coalesced(void **state)
{
    fixture *fx = *state;
    size_t before;
    int i;
    start_connected(fx);
    before = bkp_stomp_pending_bytes(fx->c.s);
    for (i = 0; i < 3; i++)
        assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/a", NULL, 0, "abc", 3, NULL, NULL), 0);
    /* nothing was flushed per frame: all three wait in the buffer for one write */
    assert_true(bkp_stomp_pending_bytes(fx->c.s) >= before + 3 * 40);
    assert_true(wait_frames(fx, BKP_CMD_SEND, 3));
    assert_int_equal(bkp_stomp_pending_bytes(fx->c.s), 0);
}

static void test_output_buffer_is_bounded(void **state)
{
    fixture *fx = *state;
    static char big[4096];
    fx->o.max_outbuf = 10000;
    start_connected(fx);
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/a", NULL, 0, big, sizeof big, NULL, NULL),
                     0);
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/a", NULL, 0, big, sizeof big, NULL, NULL),
                     0);
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/a", NULL, 0, big, sizeof big, NULL, NULL),
                     BK_ELIMIT);
}

static void test_byte_by_byte_delivery(void **state)
{
    fixture *fx = *state;
    const rec *sub;
    bkp_header h[] = { { "destination", "/queue/a", 0, 0 }, { "subscription", NULL, 0, 0 },
                       { "message-id", "m:1", 0, 0 }, { "x", "a:b\nc", 0, 0 } };
    static const char body[] = "bo\0dy";
    fx->o.max_single_read = 1;
    start_connected(fx);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a", NULL, on_msg, &fx->c, NULL), 0);
    assert_true(wait_frames(fx, BKP_CMD_SUBSCRIBE, 1));
    sub = peer_find(&fx->p, BKP_CMD_SUBSCRIBE, 0);
    h[1].value = rget(sub, "id");
    bufferevent_write(fx->p.bev, "\n\n", 2); /* heart-beats between frames */
    peer_send(&fx->p, BKP_CMD_MESSAGE, h, 4, body, sizeof body - 1, 0);
    peer_send(&fx->p, BKP_CMD_MESSAGE, h, 4, "second", 6, 0);
    assert_true(wait_count(fx, &fx->c.nmsgs, 2));
    assert_int_equal(fx->c.msg_len, 6);
    assert_memory_equal(fx->c.msg_body, "second", 6);
    assert_string_equal(fx->c.msg_hdr, "a:b\nc");
}

static void test_malformed_frame_drops_connection(void **state)
{
    fixture *fx = *state;
    int i;
    start_connected(fx);
    bufferevent_write(fx->p.bev, "MESSAGE\nno-colon-here\n\n\0", 24);
    assert_true(bkt_run_until(fx->base, saw_disconnect, &fx->c, 3000));
    for (i = 0; i < fx->c.nstates; i++)
        if (fx->c.states[i] == BKP_STOMP_DISCONNECTED)
            assert_int_equal(fx->c.reasons[i], BK_EPROTO);
}

static void test_oversized_frame_hits_limit(void **state)
{
    fixture *fx = *state;
    static char big[4096];
    int i;
    unsigned snd, rcv;
    fx->o.limits.max_frame = 1024;
    fx->o.hb_send_ms = 100;
    fx->o.hb_recv_ms = 100;
    fx->p.hb = "x,1"; /* malformed: taken as no heart-beats */
    start_connected(fx);
    bkp_stomp_heartbeats(fx->c.s, &snd, &rcv);
    assert_int_equal(snd, 0);
    assert_int_equal(rcv, 0);
    memset(big, 'b', sizeof big - 1);
    peer_message(&fx->p, "s1", "1", "1", NULL, big);
    assert_true(bkt_run_until(fx->base, saw_disconnect, &fx->c, 3000));
    for (i = 0; i < fx->c.nstates; i++)
        if (fx->c.states[i] == BKP_STOMP_DISCONNECTED)
            assert_int_equal(fx->c.reasons[i], BK_ELIMIT);
}

static void test_ack_tag_after_callback(void **state)
{
    fixture *fx = *state;
    bkp_ack_tag *tag = NULL;
    const rec *sub;
    bkp_header h[] = { { "destination", "/queue/a", 0, 0 }, { "subscription", NULL, 0, 0 },
                       { "message-id", "M", 0, 0 }, { "ack", "T7", 0, 0 } };
    bkp_frame msg = { .cmd = BKP_CMD_MESSAGE, .nheaders = 4, .headers = h };
    size_t i;
    start_connected(fx);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a",
                                         &(bkp_sub_opts){ .ack = BKP_ACK_CLIENT }, on_msg,
                                         &fx->c, NULL), 0);
    assert_true(wait_frames(fx, BKP_CMD_SUBSCRIBE, 1));
    sub = peer_find(&fx->p, BKP_CMD_SUBSCRIBE, 0);
    h[1].value = rget(sub, "id");
    for (i = 0; i < 4; i++) {
        h[i].name_len = (uint32_t)strlen(h[i].name);
        h[i].value_len = (uint32_t)strlen(h[i].value);
    }
    assert_int_equal(bkp_stomp_ack_tag_new(fx->c.s, &msg, &tag), 0);
    assert_int_equal(bkp_stomp_ack_tag(fx->c.s, tag, 0), 0);
    assert_true(wait_frames(fx, BKP_CMD_ACK, 1));
    assert_string_equal(rget(peer_find(&fx->p, BKP_CMD_ACK, 0), "id"), "T7");
    /* a tag from an earlier connection is refused */
    assert_int_equal(bkp_stomp_ack_tag_new(fx->c.s, &msg, &tag), 0);
    peer_drop(&fx->p);
    assert_true(wait_count(fx, &fx->p.accepts, 2));
    assert_true(bkt_run_until(fx->base, is_connected, &fx->c, 3000));
    assert_int_equal(bkp_stomp_ack_tag(fx->c.s, tag, 1), BK_ECLOSED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, conn_setup, conn_teardown)
        T(test_connect_headers_are_raw),
        T(test_stomp_command_and_default_heartbeat),
        T(test_bad_options_refused),
        T(test_send_fails_closed_when_not_connected),
        T(test_stomp12_ack_uses_ack_header),
        T(test_stomp11_ack_uses_message_id_and_subscription),
        T(test_stomp10_answer_raw_and_no_nack),
        T(test_headers_escaped_on_send),
        T(test_receipts_complete_callbacks),
        T(test_frames_of_one_turn_are_coalesced),
        T(test_output_buffer_is_bounded),
        T(test_byte_by_byte_delivery),
        T(test_malformed_frame_drops_connection),
        T(test_oversized_frame_hits_limit),
        T(test_ack_tag_after_callback),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
