/* A sealed frontend on bkpr-broker (doc/broker.md, "Sealing a frontend"), against the real
 * program over sockets: each thing a frontend user may try beyond calling through the
 * router's lanes and reading its replies and the public topics is refused, and the other
 * clients (a router, another frontend user) carry on as if nothing had happened. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "broker_fixture.h"

/* The users of the shipped chat frontend (examples/chat), and two whose connection limits
 * are small enough to reach in a test. */
static const char sealed_config[] =
    "{\n"
    "  \"users\": {\n"
    "    \"backend\": { \"password\": \"bp\", \"vhosts\": {\n"
    "        \"/frontend-A\": { \"read\": [\"#\"], \"write\": [\"#\"] } } },\n"
    "    \"frontend\": { \"password\": \"fp\",\n"
    "      \"limits\": { \"max_queued_bytes\": 1048576, \"max_sends_per_sec\": 1000 },\n"
    "      \"vhosts\": { \"/frontend-A\": {\n"
    "        \"read\":  [\"/topic/msg.frontend.#\"],\n"
    "        \"write\": [\"/queue/req.backend-1\", \"/queue/req.backend-2\"] } } },\n"
    "    \"slow\": { \"password\": \"sp\", \"limits\": { \"max_sends_per_sec\": 5 },\n"
    "      \"vhosts\": { \"/frontend-A\": { \"write\": [\"/queue/req.backend-#\"] } } },\n"
    "    \"small\": { \"password\": \"sp\", \"limits\": { \"max_queued_bytes\": 2000 },\n"
    "      \"vhosts\": { \"/frontend-A\": { \"write\": [\"/queue/req.backend-#\"] } } },\n"
    "  },\n"
    "}\n";

#define VHOST "/frontend-A"

/* A frontend client with its reply queue and the public topics, as chat-client has. */
static client *frontend(const broker *br)
{
    client *c = cl_login(br, "frontend", "fp", VHOST);
    subscribe(c, "r", "/temp-queue/tmp.abcdefghijklmnop", "");
    subscribe(c, "t", "/topic/msg.frontend.#", "");
    return c;
}

/* The sealed broker, and a router (a backend user) pulling lane 1. */
static client *sealed_with_router(broker *br)
{
    broker_start(br, sealed_config);
    client *router = cl_login(br, "backend", "bp", VHOST);
    subscribe(router, "1", "/queue/req.backend-1", "");
    return router;
}

/* A call through the lane: the router gets it, answers on the rewritten reply-to, and the
 * caller gets the answer. The reply queue's public name goes to *reply_queue. */
static void call_through(client *router, client *caller, const char *body, char *reply_queue,
                         size_t len)
{
    cl_send(caller, "SEND\ndestination:/queue/req.backend-1\n"
            "reply-to:/temp-queue/tmp.abcdefghijklmnop\nreceipt:c\n\n%s^", body);
    expect(caller, BKP_CMD_RECEIPT);
    expect_message(router, body);
    snprintf(reply_queue, len, "%s", hdr(router, "reply-to"));
    assert_true(strncmp(reply_queue, "/reply-queue/", 13) == 0);
    send_body(router, reply_queue, "answer");
    expect_message(caller, "answer");
}

/* An ERROR for the frame with receipt `rid` that mentions `what`, and the connection still
 * open: a SEND it may make gets its RECEIPT. */
static void expect_denial(client *c, const char *what, const char *rid)
{
    expect(c, BKP_CMD_ERROR);
    if (!strstr(hdr(c, "message"), what))
        fail_msg("ERROR message '%s' does not mention '%s'", hdr(c, "message"), what);
    assert_string_equal(hdr(c, "receipt-id"), rid);
    cl_send(c, "SEND\ndestination:/queue/req.backend-2\nreceipt:still-open\n\nping^");
    expect(c, BKP_CMD_RECEIPT);
    assert_string_equal(hdr(c, "receipt-id"), "still-open");
}

static void test_frontend_calls_and_reads_what_is_its_own(void **state)
{
    (void)state;
    broker br;
    client *router = sealed_with_router(&br);
    client *fe = frontend(&br);
    char rq[256];
    call_through(router, fe, "request", rq, sizeof rq);
    send_body(router, "/topic/msg.frontend.myapp.chat.message", "to everyone");
    expect_message(fe, "to everyone");
    cl_close(fe);
    cl_close(router);
    broker_stop(&br);
}

/* Each SUBSCRIBE beyond its own reply queue and the public topics: ERROR, closed, and the
 * router and another frontend client see nothing of it. */
static void test_frontend_reads_nothing_of_anyone_else(void **state)
{
    (void)state;
    broker br;
    client *router = sealed_with_router(&br);
    client *victim = frontend(&br);
    char rq[256];
    call_through(router, victim, "mine", rq, sizeof rq);
    const char *denied[] = {
        "/queue/req.backend-1",            /* a lane */
        "/queue/req.backend-2",
        "/queue/req.backend.myapp.chat",   /* a backend queue */
        "/queue/res.frontend-A-1",         /* a router's responses */
        rq,                                /* another client's reply queue */
        "/topic/msg.backend.#",            /* the backend's notifications */
        "/topic/#",
        "/topic/log.#",
    };
    for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
        client *spy = cl_login(&br, "frontend", "fp", VHOST);
        cl_send(spy, "SUBSCRIBE\nid:x\ndestination:%s\nreceipt:s\n\n^", denied[i]);
        expect_refusal(spy, "may not subscribe");
        cl_close(spy);
    }
    /* Nor the broker's own figures, which name every queue of the vhost. */
    client *spy = frontend(&br);
    cl_send(spy, "SEND\ndestination:/queue/req.backend._bkpr.broker\n"
            "reply-to:/temp-queue/tmp.abcdefghijklmnop\n\n"
            "{\"jsonrpc\":\"2.0\",\"method\":\"_bkpr.broker.stats\",\"id\":1}^");
    expect_refusal(spy, "may not send");
    cl_close(spy);
    /* The lanes carried on: the victim's next call goes through, and nobody else's got
     * anything. */
    call_through(router, victim, "again", rq, sizeof rq);
    expect_nothing(router, 100);
    expect_nothing(victim, 100);
    cl_close(victim);
    cl_close(router);
    broker_stop(&br);
}

/* Sending to another client's reply queue, and naming it in reply-to, would inject answers
 * into that session: both refused, the attacker's connection kept, the victim untouched. */
static void test_frontend_cannot_reach_a_reply_queue(void **state)
{
    (void)state;
    broker br;
    client *router = sealed_with_router(&br);
    subscribe(router, "2", "/queue/req.backend-2", "");
    client *victim = frontend(&br);
    char rq[256];
    call_through(router, victim, "mine", rq, sizeof rq);

    client *attacker = frontend(&br);
    cl_send(attacker, "SEND\ndestination:%s\nreceipt:inject\n\nforged answer^", rq);
    expect_denial(attacker, "may not send to reply queue", "inject");
    expect_message(router, "ping"); /* expect_denial's own SEND */

    cl_send(attacker, "SEND\ndestination:/queue/req.backend-1\nreply-to:%s\nreceipt:forge\n\n"
            "forged request^", rq);
    expect_denial(attacker, "reply-to", "forge");
    expect_message(router, "ping");
    /* Nor any destination it may not send to, a topic the others read say. */
    cl_send(attacker, "SEND\ndestination:/queue/req.backend-1\n"
            "reply-to:/topic/msg.frontend.myapp.chat.message\nreceipt:topic\n\nx^");
    expect_denial(attacker, "reply-to", "topic");
    expect_message(router, "ping");

    expect_nothing(victim, 200);
    expect_nothing(router, 50);
    call_through(router, victim, "still mine", rq, sizeof rq);
    call_through(router, attacker, "its own", rq, sizeof rq);
    cl_close(attacker);
    cl_close(victim);
    cl_close(router);
    broker_stop(&br);
}

/* max_sends_per_sec: a burst beyond it is refused SEND by SEND, the connection kept; what
 * passed reached the lane; another client sends as before. */
static void test_sends_per_second_limit(void **state)
{
    (void)state;
    broker br;
    client *router = sealed_with_router(&br);
    client *slow = cl_login(&br, "slow", "sp", VHOST);
    char burst[30 * 64];
    size_t n = 0;
    for (int i = 0; i < 30; i++)
        n += (size_t)snprintf(burst + n, sizeof burst - n,
                              "SEND\ndestination:/queue/req.backend-1\nreceipt:%d\n\nm%d%c", i,
                              i, 0);
    cl_write(slow, burst, n);
    int receipts = 0, errors = 0;
    while (receipts + errors < 30) {
        int got = cl_next(slow, 5000);
        if (got == BKP_CMD_RECEIPT)
            receipts++;
        else if (got == BKP_CMD_ERROR && strstr(hdr(slow, "message"), "SENDs per second"))
            errors++;
        else
            fail_msg("expected RECEIPT or ERROR, got %d", got);
    }
    assert_true(receipts >= 5);
    assert_true(errors > 0);
    for (int i = 0; i < receipts; i++)
        expect(router, BKP_CMD_MESSAGE);
    expect_nothing(router, 100);

    client *fe = frontend(&br);
    char rq[256];
    call_through(router, fe, "unaffected", rq, sizeof rq);
    /* The bucket fills again: the limited client may send once more. */
    sleep_ms(400);
    send_body(slow, "/queue/req.backend-1", "later");
    expect_message(router, "later");
    cl_close(fe);
    cl_close(slow);
    cl_close(router);
    broker_stop(&br);
}

/* max_queued_bytes: what one connection's messages hold in queues nobody drains is bounded;
 * past it a SEND is refused, the connection kept; once consumed, it may send again. The
 * bytes outlive the connection that sent them. */
static void test_queued_bytes_limit(void **state)
{
    (void)state;
    broker br;
    broker_start(&br, sealed_config);
    client *small = cl_login(&br, "small", "sp", VHOST);
    char body[501];
    memset(body, 'b', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    int accepted = 0;
    for (;;) {
        assert_true(accepted < 10);
        cl_send(small, "SEND\ndestination:/queue/req.backend-2\nreceipt:q%d\n\n%s^", accepted,
                body);
        int got = cl_next(small, 5000);
        if (got == BKP_CMD_ERROR)
            break;
        assert_int_equal(got, BKP_CMD_RECEIPT);
        accepted++;
    }
    assert_true(strstr(hdr(small, "message"), "waiting in queues") != NULL);
    assert_true(accepted >= 1 && accepted <= 3);
    /* Another client fills the same queue as before: the limit is the connection's. */
    client *other = cl_login(&br, "backend", "bp", VHOST);
    for (int i = 0; i < 5; i++)
        send_body(other, "/queue/req.backend-2", body);

    client *router = cl_login(&br, "backend", "bp", VHOST);
    subscribe(router, "1", "/queue/req.backend-2", "");
    for (int i = 0; i < accepted + 5; i++)
        expect_message(router, body);
    send_body(small, "/queue/req.backend-2", "room again");
    expect_message(router, "room again");

    /* Queued, then its sender gone: the message and the bytes it counted stay valid. */
    send_body(small, "/queue/req.backend-1", "orphan");
    cl_close(small);
    sleep_ms(100);
    subscribe(router, "2", "/queue/req.backend-1", "");
    expect_message(router, "orphan");
    cl_close(other);
    cl_close(router);
    broker_stop(&br);
}

/* The chat example's shipped frontend (examples/chat/frontend.broker.json) is sealed the
 * same way, on both of its vhosts. */
static void test_shipped_chat_frontend_is_sealed(void **state)
{
    (void)state;
    FILE *f = fopen("examples/chat/frontend.broker.json", "r");
    assert_non_null(f);
    static char config[8192];
    size_t n = fread(config, 1, sizeof config - 1, f);
    fclose(f);
    config[n] = '\0';
    broker br;
    broker_start(&br, config);
    const char *vhosts[] = {"/frontend-A", "/frontend-B"};
    for (size_t i = 0; i < 2; i++) {
        client *router = cl_login(&br, "backend", "def456", vhosts[i]);
        subscribe(router, "1", "/queue/req.backend-2", "");
        client *fe = cl_login(&br, "frontend", "abc123", vhosts[i]);
        subscribe(fe, "t", "/topic/msg.frontend.#", "");
        send_body(fe, "/queue/req.backend-2", "call");
        expect_message(router, "call");
        cl_send(fe, "SEND\ndestination:/queue/req.backend-1\nreply-to:/reply-queue/x.tmp.y\n"
                "receipt:f\n\nx^");
        expect(fe, BKP_CMD_ERROR);
        assert_string_equal(hdr(fe, "receipt-id"), "f");
        cl_send(fe, "SUBSCRIBE\nid:x\ndestination:/queue/req.backend-2\n\n^");
        expect_refusal(fe, "may not subscribe");
        cl_close(fe);
        cl_close(router);
    }
    broker_stop(&br);
}

/* The per-user limits are checked as the other keys are: the broker does not start. */
static void test_user_limits_misspelt_or_out_of_range(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"{\"users\": {\"u\": {\"password\": \"p\", \"vhosts\": {}, "
         "\"limits\": {\"max_sends_per_second\": 5}}}}", "unknown key 'max_sends_per_second'"},
        {"{\"users\": {\"u\": {\"password\": \"p\", \"vhosts\": {}, "
         "\"limits\": {\"max_queued_bytes\": 0}}}}", "users.u.limits.max_queued_bytes must be"},
        {"{\"users\": {\"u\": {\"password\": \"p\", \"vhosts\": {}, \"limits\": 5}}}",
         "users.u.limits must be an object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512];
        refused_config(bad[i][0], text, sizeof text);
        if (!strstr(text, bad[i][1]))
            fail_msg("bkpr-broker said '%s', not '%s'", text, bad[i][1]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_frontend_calls_and_reads_what_is_its_own, teardown),
        cmocka_unit_test_teardown(test_frontend_reads_nothing_of_anyone_else, teardown),
        cmocka_unit_test_teardown(test_frontend_cannot_reach_a_reply_queue, teardown),
        cmocka_unit_test_teardown(test_sends_per_second_limit, teardown),
        cmocka_unit_test_teardown(test_queued_bytes_limit, teardown),
        cmocka_unit_test_teardown(test_shipped_chat_frontend_is_sealed, teardown),
        cmocka_unit_test(test_user_limits_misspelt_or_out_of_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
