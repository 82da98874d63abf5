/* Integration tests of the STOMP connection against a real broker: whatever the
 * BK_TEST_BROKER, BK_TEST_HOST, BK_TEST_PORT, BK_TEST_VHOST, BK_TEST_USER, BK_TEST_PASS
 * environment names (tests/run-tests.sh sets them from tests/brokers/NAME.sh). Without them
 * every test is skipped. Destinations carry a random suffix per run; every wait is bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "beekeeper/error.h"
#include "core/random.h"
#include "stomp/conn.h"
#include "itest_env.h"

static char g_sfx[32];

/* ------------------------------------------------------------------ helpers */

static void dest(char *buf, size_t n, const char *kind, const char *name)
{
    snprintf(buf, n, "/%s/bkit.%s.%s", kind, name, g_sfx);
}

typedef struct conn {
    bkp_stomp *s;
    bkp_stomp_state states[64];
    int reasons[64];
    int nstates;
    char error[256];
    int nerrors;
    int receipts_ok, receipts_bad;
} conn;

static void on_state(bkp_stomp *s, bkp_stomp_state st, int reason, const char *detail,
                     void *arg)
{
    conn *c = arg;
    (void)s;
    (void)detail;
    if (c->nstates < 64) {
        c->states[c->nstates] = st;
        c->reasons[c->nstates++] = reason;
    }
}

static void on_error(bkp_stomp *s, const char *message, const bkp_frame *err, void *arg)
{
    conn *c = arg;
    (void)s;
    (void)err;
    snprintf(c->error, sizeof c->error, "%s", message);
    c->nerrors++;
}

static void on_receipt(bkp_stomp *s, int status, void *arg)
{
    conn *c = arg;
    (void)s;
    if (status == 0)
        c->receipts_ok++;
    else
        c->receipts_bad++;
}

static int is_connected(void *arg)
{
    conn *c = arg;
    return bkp_stomp_state_get(c->s) == BKP_STOMP_CONNECTED;
}

static bkp_stomp_opts base_opts(conn *c, const char **hosts)
{
    hosts[0] = bkt.addr;
    return (bkp_stomp_opts){ .hosts = hosts, .nhosts = 1, .vhost = bkt.vhost, .login = bkt.user,
                             .passcode = bkt.pass, .backoff_min_ms = 50, .backoff_max_ms = 500,
                             .state_cb = on_state, .error_cb = on_error, .arg = c };
}

static void open_with(struct event_base *b, conn *c, const bkp_stomp_opts *o)
{
    assert_int_equal(bkp_stomp_new(&c->s, b, o), 0);
    assert_int_equal(bkp_stomp_start(c->s), 0);
    assert_true(bkt_run_until(b, is_connected, c, 10000));
}

static void open_conn(struct event_base *b, conn *c)
{
    const char *hosts[1];
    bkp_stomp_opts o = base_opts(c, hosts);
    open_with(b, c, &o);
}

/* A subscription's inbox with a policy for what to do with each message. */
enum policy { P_AUTO, P_ACK, P_HOLD, P_NACK_ONCE, P_REPLY };

#define MAXM 64

typedef struct inbox {
    enum policy pol;
    int n;
    char body[MAXM][64];
    int redelivered[MAXM];
    char reply_to[256];
    bkp_ack_tag *held[MAXM];
    int nheld;
    int acked, nacked, replied;
} inbox;

static void on_msg(bkp_stomp *s, bkp_sub *sub, const bkp_frame *m, void *arg)
{
    inbox *in = arg;
    const char *rd = bkp_frame_get(m, "redelivered");
    const char *rt = bkp_frame_get(m, "reply-to");
    int i = in->n < MAXM ? in->n : MAXM - 1;
    (void)sub;
    snprintf(in->body[i], sizeof in->body[i], "%.*s", (int)m->body_len, m->body);
    in->redelivered[i] = rd && strcmp(rd, "true") == 0;
    in->n++;
    switch (in->pol) {
    case P_AUTO:
        break;
    case P_ACK:
        assert_int_equal(bkp_stomp_ack(s, m), 0);
        in->acked++;
        break;
    case P_HOLD:
        assert_true(in->nheld < MAXM);
        assert_int_equal(bkp_stomp_ack_tag_new(s, m, &in->held[in->nheld++]), 0);
        break;
    case P_NACK_ONCE:
        if (in->redelivered[i]) {
            assert_int_equal(bkp_stomp_ack(s, m), 0);
            in->acked++;
        } else {
            assert_int_equal(bkp_stomp_nack(s, m), 0);
            in->nacked++;
        }
        break;
    case P_REPLY: {
        char b[80];
        int len;
        assert_non_null(rt);
        snprintf(in->reply_to, sizeof in->reply_to, "%s", rt);
        len = snprintf(b, sizeof b, "re:%.*s", (int)m->body_len, m->body);
        assert_int_equal(bkp_stomp_send(s, rt, NULL, 0, b, (size_t)len, NULL, NULL), 0);
        in->replied++;
        break;
    }
    }
}

static void inbox_clear(inbox *in)
{
    int i;
    for (i = 0; i < in->nheld; i++)
        bkp_ack_tag_free(in->held[i]);
    in->nheld = 0;
}

static void sub_sync(struct event_base *b, conn *c, const char *d, const bkp_sub_opts *o0,
                     inbox *in, bkp_sub **out)
{
    bkp_sub_opts o = o0 ? *o0 : (bkp_sub_opts){ 0 };
    int before = c->receipts_ok;
    o.done = on_receipt;
    o.done_arg = c;
    assert_int_equal(bkp_stomp_subscribe(c->s, d, &o, on_msg, in, out), 0);
    assert_true(bkt_run_until_n(b, &c->receipts_ok, before + 1, 5000));
}

static void send_str(conn *c, const char *d, const char *body)
{
    assert_int_equal(bkp_stomp_send(c->s, d, NULL, 0, body, strlen(body), NULL, NULL), 0);
}

static void send_sync(struct event_base *b, conn *c, const char *d, const char *body)
{
    int before = c->receipts_ok;
    assert_int_equal(bkp_stomp_send(c->s, d, NULL, 0, body, strlen(body), on_receipt, c), 0);
    assert_true(bkt_run_until_n(b, &c->receipts_ok, before + 1, 5000));
}

/* Skips the test when no broker is configured (setup left no fixture). */
#define FX(state)                                                                          \
    do {                                                                                   \
        if (!*(state))                                                                     \
            skip();                                                                        \
    } while (0)

typedef struct fx {
    struct event_base *b;
    conn c[4];
} fx;

static int setup(void **state)
{
    fx *f;
    *state = NULL;
    if (!bkt.broker)
        return 0;
    f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->b = event_base_new();
    alarm(60);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    int i;
    if (!f)
        return 0;
    for (i = 0; i < 4; i++)
        bkp_stomp_free(f->c[i].s);
    event_base_free(f->b);
    free(f);
    alarm(0);
    return 0;
}

static int multi_wildcard_known(bkp_flavour fl)
{
    return fl == BKP_FLAVOUR_RABBITMQ || fl == BKP_FLAVOUR_BKPR || fl == BKP_FLAVOUR_ACTIVEMQ;
}

/* ------------------------------------------------------------------ tests */

static void test_queue_roundtrip_in_order(void **state)
{
    fx *f;
    FX(state);
    f = *state;
    char q[128];
    inbox in = { .pol = P_AUTO };
    int i;
    dest(q, sizeof q, "queue", "order");
    open_conn(f->b, &f->c[0]);
    open_conn(f->b, &f->c[1]);
    sub_sync(f->b, &f->c[0], q, NULL, &in, NULL);
    for (i = 0; i < 5; i++) {
        char b[16];
        snprintf(b, sizeof b, "m%d", i);
        send_str(&f->c[1], q, b);
    }
    assert_true(bkt_run_until_n(f->b, &in.n, 5, 5000));
    for (i = 0; i < 5; i++) {
        char b[16];
        snprintf(b, sizeof b, "m%d", i);
        assert_string_equal(in.body[i], b);
    }
}

static void test_topic_fanout(void **state)
{
    fx *f;
    FX(state);
    f = *state;
    char t[128], other[128];
    inbox a = { .pol = P_AUTO }, b = { .pol = P_AUTO }, o = { .pol = P_AUTO };
    dest(t, sizeof t, "topic", "fan");
    dest(other, sizeof other, "topic", "other");
    open_conn(f->b, &f->c[0]);
    open_conn(f->b, &f->c[1]);
    open_conn(f->b, &f->c[2]);
    sub_sync(f->b, &f->c[0], t, NULL, &a, NULL);
    sub_sync(f->b, &f->c[1], t, NULL, &b, NULL);
    sub_sync(f->b, &f->c[1], other, NULL, &o, NULL);
    send_sync(f->b, &f->c[2], t, "hello");
    assert_true(bkt_run_until_n(f->b, &a.n, 1, 5000));
    assert_true(bkt_run_until_n(f->b, &b.n, 1, 5000));
    bkt_run_for(f->b, 100);
    assert_int_equal(a.n, 1);
    assert_int_equal(b.n, 1);
    assert_int_equal(o.n, 0);
    assert_string_equal(a.body[0], "hello");
}

static void test_topic_wildcards(void **state)
{
    fx *f;
    FX(state);
    f = *state;
    char one[128], multi[128], d1[128], d2[128], prefix[96];
    inbox a = { .pol = P_AUTO }, m = { .pol = P_AUTO };
    open_conn(f->b, &f->c[0]);
    open_conn(f->b, &f->c[1]);
    if (!multi_wildcard_known(bkp_stomp_flavour(f->c[0].s)))
        skip();
    snprintf(prefix, sizeof prefix, "/topic/bkit.wild%s", g_sfx);
    snprintf(one, sizeof one, "%s.*", prefix);
    snprintf(multi, sizeof multi, "%s.%s", prefix,
             bkp_flavour_wildcard_multi(bkp_stomp_flavour(f->c[0].s)));
    snprintf(d1, sizeof d1, "%s.a", prefix);
    snprintf(d2, sizeof d2, "%s.a.b", prefix);
    sub_sync(f->b, &f->c[0], one, NULL, &a, NULL);
    sub_sync(f->b, &f->c[0], multi, NULL, &m, NULL);
    send_sync(f->b, &f->c[1], d1, "one");
    send_sync(f->b, &f->c[1], d2, "two");
    assert_true(bkt_run_until_n(f->b, &m.n, 2, 5000));
    bkt_run_for(f->b, 100);
    assert_int_equal(a.n, 1);
    assert_string_equal(a.body[0], "one");
    assert_int_equal(m.n, 2);
}

static void test_competing_consumers_share_a_queue(void **state)
{
    fx *f;
    FX(state);
    f = *state;
    char q[128];
    inbox a = { .pol = P_ACK }, b = { .pol = P_ACK };
    bkp_sub_opts so = { .ack = BKP_ACK_CLIENT_INDIVIDUAL, .prefetch = 1 };
    int i, j, k;
    dest(q, sizeof q, "queue", "compete");
    open_conn(f->b, &f->c[0]);
    open_conn(f->b, &f->c[1]);
    open_conn(f->b, &f->c[2]);
    sub_sync(f->b, &f->c[0], q, &so, &a, NULL);
    sub_sync(f->b, &f->c[1], q, &so, &b, NULL);
    for (i = 0; i < 20; i++) {
        char body[16];
        snprintf(body, sizeof body, "j%d", i);
        send_str(&f->c[2], q, body);
    }
    {
        uint64_t end = bkt_mono_ms() + 5000;
        while (a.n + b.n < 20 && bkt_mono_ms() < end)
            bkt_run_for(f->b, 10);
    }
    bkt_run_for(f->b, 100);
    assert_int_equal(a.n + b.n, 20);
    assert_true(a.n >= 1);
    assert_true(b.n >= 1);
    /* every job exactly once */
    for (i = 0; i < 20; i++) {
        char body[16];
        int seen = 0;
        snprintf(body, sizeof body, "j%d", i);
        for (j = 0; j < a.n; j++)
            seen += strcmp(a.body[j], body) == 0;
        for (k = 0; k < b.n; k++)
            seen += strcmp(b.body[k], body) == 0;
        assert_int_equal(seen, 1);
    }
}

static void test_prefetch_one_holds_back_until_ack(void **state)
{
    fx *f;
    FX(state);
    f = *state;
    char q[128];
    inbox in = { .pol = P_HOLD };
    bkp_sub_opts so = { .ack = BKP_ACK_CLIENT_INDIVIDUAL, .prefetch = 1 };
    dest(q, sizeof q, "queue", "prefetch");
    open_conn(f->b, &f->c[0]);
    open_conn(f->b, &f->c[1]);
    sub_sync(f->b, &f->c[0], q, &so, &in, NULL);
    send_str(&f->c[1], q, "a");
    send_str(&f->c[1], q, "b");
    send_sync(f->b, &f->c[1], q, "c");
    assert_true(bkt_run_until_n(f->b, &in.n, 1, 5000));
    bkt_run_for(f->b, 300);
    assert_int_equal(in.n, 1); /* the others wait for the ACK */
    assert_int_equal(bkp_stomp_ack_tag(f->c[0].s, in.held[--in.nheld], 0), 0);
    assert_true(bkt_run_until_n(f->b, &in.n, 2, 5000));
    assert_string_equal(in.body[1], "b");
    bkt_run_for(f->b, 100);
    assert_int_equal(in.n, 2);
    inbox_clear(&in);
}

static void test_nack_redelivers(void **state)
{
    fx *f;
    FX(state);
    f = *state;
    char q[128];
    inbox in = { .pol = P_NACK_ONCE };
    bkp_sub_opts so = { .ack = BKP_ACK_CLIENT_INDIVIDUAL, .prefetch = 1 };
    open_conn(f->b, &f->c[0]);
    if (!bkp_flavour_nack_requeues(bkp_stomp_flavour(f->c[0].s))) {
        fprintf(stderr, "skip on %s: its NACK sends the message to the dead-letter queue, so "
                "the client sends none (doc/protocol.md)\n",
                bkp_flavour_name(bkp_stomp_flavour(f->c[0].s)));
        skip();
    }
    open_conn(f->b, &f->c[1]);
    dest(q, sizeof q, "queue", "nack");
    sub_sync(f->b, &f->c[0], q, &so, &in, NULL);
    send_str(&f->c[1], q, "again");
    assert_true(bkt_run_until_n(f->b, &in.n, 2, 5000));
    assert_int_equal(in.nacked, 1);
    assert_int_equal(in.acked, 1);
    assert_string_equal(in.body[1], "again");
    assert_false(in.redelivered[0]);
    assert_true(in.redelivered[1]);
}

static void test_unacked_message_redelivered_when_consumer_dies(void **state)
{
    fx *f;
    FX(state);
    f = *state;
    char q[128];
    inbox dying = { .pol = P_HOLD }, heir = { .pol = P_ACK };
    bkp_sub_opts so = { .ack = BKP_ACK_CLIENT_INDIVIDUAL, .prefetch = 1 };
    dest(q, sizeof q, "queue", "redeliver");
    open_conn(f->b, &f->c[0]);
    open_conn(f->b, &f->c[1]);
    open_conn(f->b, &f->c[2]);
    sub_sync(f->b, &f->c[0], q, &so, &dying, NULL);
    send_sync(f->b, &f->c[2], q, "job");
    assert_true(bkt_run_until_n(f->b, &dying.n, 1, 5000));
    sub_sync(f->b, &f->c[1], q, &so, &heir, NULL);
    bkt_run_for(f->b, 100);
    assert_int_equal(heir.n, 0); /* held by the first consumer */
    inbox_clear(&dying);
    bkp_stomp_free(f->c[0].s); /* abrupt: no DISCONNECT, no ACK */
    f->c[0].s = NULL;
    assert_true(bkt_run_until_n(f->b, &heir.n, 1, 5000));
    assert_string_equal(heir.body[0], "job");
    if (!strcmp(bkt.broker, "rabbitmq"))
        assert_true(heir.redelivered[0]);
}

static void test_temp_reply_queue(void **state)
{
    fx *f;
    FX(state);
    f = *state;
    char q[128], tmp[128];
    inbox worker = { .pol = P_REPLY }, replies = { .pol = P_AUTO };
    bkp_header h[1];
    dest(q, sizeof q, "queue", "svc");
    snprintf(tmp, sizeof tmp, "/temp-queue/tmp.%s", g_sfx);
    open_conn(f->b, &f->c[0]);
    open_conn(f->b, &f->c[1]);
    sub_sync(f->b, &f->c[1], q, &(bkp_sub_opts){ .ack = BKP_ACK_AUTO }, &worker, NULL);
    assert_int_equal(bkp_stomp_subscribe_temp(f->c[0].s, tmp, on_msg, &replies, NULL), 0);
    h[0] = (bkp_header){ "reply-to", tmp, (uint32_t)strlen("reply-to"), (uint32_t)strlen(tmp) };
    assert_int_equal(bkp_stomp_send(f->c[0].s, q, h, 1, "ping", 4, NULL, NULL), 0);
    assert_true(bkt_run_until_n(f->b, &replies.n, 1, 5000));
    assert_string_equal(replies.body[0], "re:ping");
    assert_int_equal(worker.replied, 1);
    if (bkp_stomp_flavour(f->c[0].s) == BKP_FLAVOUR_RABBITMQ)
        assert_true(strncmp(worker.reply_to, "/reply-queue/", 13) == 0);
    /* a second round trip on the same reply queue */
    assert_int_equal(bkp_stomp_send(f->c[0].s, q, h, 1, "pong", 4, NULL, NULL), 0);
    assert_true(bkt_run_until_n(f->b, &replies.n, 2, 5000));
    assert_string_equal(replies.body[1], "re:pong");
}

static void test_expired_message_is_dropped(void **state)
{
    fx *f;
    FX(state);
    f = *state;
    char q[128];
    inbox in = { .pol = P_AUTO };
    dest(q, sizeof q, "queue", "expire");
    open_conn(f->b, &f->c[0]);
    assert_int_equal(bkp_stomp_send_ttl(f->c[0].s, q, NULL, 0, "old", 3, 200, NULL, NULL), 0);
    send_sync(f->b, &f->c[0], q, "control"); /* no TTL: must survive */
    bkt_run_for(f->b, 600);
    sub_sync(f->b, &f->c[0], q, NULL, &in, NULL);
    assert_true(bkt_run_until_n(f->b, &in.n, 1, 5000));
    bkt_run_for(f->b, 300);
    assert_int_equal(in.n, 1);
    assert_string_equal(in.body[0], "control");
}

static void test_receipts_and_graceful_disconnect(void **state)
{
    fx *f;
    FX(state);
    f = *state;
    char q[128];
    bkp_sub *sub;
    inbox in = { .pol = P_AUTO };
    dest(q, sizeof q, "queue", "receipt");
    open_conn(f->b, &f->c[0]);
    sub_sync(f->b, &f->c[0], q, NULL, &in, &sub);
    send_sync(f->b, &f->c[0], q, "x");
    assert_int_equal(bkp_stomp_unsubscribe(f->c[0].s, sub, on_receipt, &f->c[0]), 0);
    assert_true(bkt_run_until_n(f->b, &f->c[0].receipts_ok, 3, 5000));
    assert_int_equal(bkp_stomp_disconnect(f->c[0].s, on_receipt, &f->c[0]), 0);
    assert_true(bkt_run_until_n(f->b, &f->c[0].receipts_ok, 4, 5000));
    assert_int_equal(bkp_stomp_state_get(f->c[0].s), BKP_STOMP_CLOSED);
    assert_int_equal(f->c[0].receipts_bad, 0);
}

static void test_heartbeats_keep_connection(void **state)
{
    fx *f;
    FX(state);
    f = *state;
    const char *hosts[1];
    bkp_stomp_opts o = base_opts(&f->c[0], hosts);
    unsigned snd, rcv;
    bkp_stomp_stats st;
    o.hb_send_ms = 100;
    o.hb_recv_ms = 100;
    open_with(f->b, &f->c[0], &o);
    bkp_stomp_heartbeats(f->c[0].s, &snd, &rcv);
    assert_true(snd > 0 || rcv > 0); /* something was negotiated */
    {
        unsigned iv = snd > rcv ? snd : rcv, wait = 5 * iv + 500;
        bkt_run_for(f->b, wait > 4000 ? 4000 : wait);
    }
    assert_int_equal(bkp_stomp_state_get(f->c[0].s), BKP_STOMP_CONNECTED);
    assert_int_equal(bkp_stomp_generation(f->c[0].s), 1);
    bkp_stomp_stats_get(f->c[0].s, &st);
    if (snd)
        assert_true(st.heartbeats_out >= 2);
    if (rcv && rcv <= 700)
        assert_true(st.heartbeats_in >= 2);
}

static void test_failover_from_closed_port(void **state)
{
    fx *f;
    FX(state);
    f = *state;
    char dead[32];
    const char *hosts[2];
    bkp_stomp_opts o = base_opts(&f->c[0], hosts);
    snprintf(dead, sizeof dead, "127.0.0.1:%d", bkt_free_port());
    hosts[0] = dead;
    hosts[1] = bkt.addr;
    o.nhosts = 2;
    o.ordered = 1;
    open_with(f->b, &f->c[0], &o);
    assert_string_equal(bkp_stomp_host(f->c[0].s), bkt.addr);
    assert_int_equal(f->c[0].states[1], BKP_STOMP_DISCONNECTED);
    assert_int_equal(f->c[0].reasons[1], BK_ECONNREFUSED);
    {
        bkp_stomp_stats st;
        bkp_stomp_stats_get(f->c[0].s, &st);
        assert_int_equal(st.attempts, 2);
    }
}

static void test_bad_login_is_reported(void **state)
{
    fx *f;
    FX(state);
    f = *state;
    const char *hosts[1];
    bkp_stomp_opts o = base_opts(&f->c[1], hosts);
    int i, saw = 0;
    open_conn(f->b, &f->c[0]);
    if (bkp_stomp_flavour(f->c[0].s) == BKP_FLAVOUR_GENERIC) {
        fprintf(stderr, "skip on a generic broker: it may take any password\n");
        skip();
    }
    o.passcode = "definitely-wrong";
    o.max_rounds = 1;
    assert_int_equal(bkp_stomp_new(&f->c[1].s, f->b, &o), 0);
    assert_int_equal(bkp_stomp_start(f->c[1].s), 0);
    {
        uint64_t end = bkt_mono_ms() + 10000;
        while (bkp_stomp_state_get(f->c[1].s) != BKP_STOMP_CLOSED && bkt_mono_ms() < end)
            bkt_run_for(f->b, 10);
    }
    assert_int_equal(bkp_stomp_state_get(f->c[1].s), BKP_STOMP_CLOSED);
    for (i = 0; i < f->c[1].nstates; i++)
        if (f->c[1].states[i] == BKP_STOMP_DISCONNECTED) {
            saw = 1;
            assert_int_equal(f->c[1].reasons[i], BK_EAUTH);
        }
    assert_true(saw);
    assert_true(f->c[1].nerrors >= 1);
}

static void test_broker_error_surfaced(void **state)
{
    fx *f;
    FX(state);
    f = *state;
    inbox in = { .pol = P_AUTO };
    open_conn(f->b, &f->c[0]);
    if (bkp_stomp_flavour(f->c[0].s) != BKP_FLAVOUR_RABBITMQ &&
        bkp_stomp_flavour(f->c[0].s) != BKP_FLAVOUR_BKPR) {
        fprintf(stderr, "skip on %s: it takes a SUBSCRIBE to /nonsense/x without an ERROR, "
                "and what counts as a bad destination differs between brokers\n",
                bkp_flavour_name(bkp_stomp_flavour(f->c[0].s)));
        skip();
    }
    assert_int_equal(bkp_stomp_subscribe(f->c[0].s, "/nonsense/x", NULL, on_msg, &in, NULL),
                     0);
    assert_true(bkt_run_until_n(f->b, &f->c[0].nerrors, 1, 5000));
    assert_true(strlen(f->c[0].error) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_queue_roundtrip_in_order),
        T(test_topic_fanout),
        T(test_topic_wildcards),
        T(test_competing_consumers_share_a_queue),
        T(test_prefetch_one_holds_back_until_ack),
        T(test_nack_redelivers),
        T(test_unacked_message_redelivered_when_consumer_dies),
        T(test_temp_reply_queue),
        T(test_expired_message_is_dropped),
        T(test_receipts_and_graceful_disconnect),
        T(test_heartbeats_keep_connection),
        T(test_failover_from_closed_port),
        T(test_bad_login_is_reported),
        T(test_broker_error_surfaced),
#undef T
    };
    bkt_env_load("itest_stomp", "bkst");
    snprintf(g_sfx, sizeof g_sfx, "%08x%d", (unsigned)bkp_random32(), (int)getpid());
    return cmocka_run_group_tests(tests, NULL, NULL);
}
