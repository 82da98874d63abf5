/* bkpr-broker's credit flow (doc/broker.md "Flow control"), against the real program over
 * real sockets: a publisher faster than its subscribers is held back, not read from, rather
 * than have their messages dropped; a subscriber that stops reading holds it back for
 * slow_consumer_ms at most, then loses its excess and is told; a full queue holds its
 * publishers back the same way before it refuses. The counts are read from the broker's
 * own statistics (_bkpr.broker.stats). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "broker_fixture.h"

#define BODY_1K 1024

/* A child process that publishes n messages of 1 KiB to dest as fast as the broker reads
 * them, then "end" with a receipt, and exits 0 once the receipt came (1 when it did not:
 * no cmocka in the child). */
static pid_t publisher(const broker *br, const char *dest, int n)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid)
        return pid;
    client *c = cl_open(br);
    cl_send(c, "CONNECT\naccept-version:1.2\nhost:/\n\n^");
    if (cl_next(c, 5000) != BKP_CMD_CONNECTED)
        _exit(1);
    char body[BODY_1K + 1];
    memset(body, 'b', BODY_1K);
    body[BODY_1K] = '\0';
    for (int i = 0; i < n; i++)
        cl_send(c, "SEND\ndestination:%s\n\n%s^", dest, body);
    cl_send(c, "SEND\ndestination:%s\nreceipt:end\n\nend^", dest);
    int got = cl_next(c, 30000);
    _exit(got == BKP_CMD_RECEIPT ? 0 : 1);
}

static void reap(pid_t pid)
{
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("the publisher got no receipt for its last message (status %d)", st);
}

/* Messages read before one whose body is `last`, which must come within 10 s of the one
 * before (NULL: until a silence of silence_ms); *told: the sum of their x-bkpr-dropped. */
static int read_until(client *c, const char *last, int silence_ms, long *told)
{
    int got = 0;
    while (cl_next(c, last ? 10000 : silence_ms) == BKP_CMD_MESSAGE) {
        if (*hdr(c, "x-bkpr-dropped"))
            *told += atol(hdr(c, "x-bkpr-dropped"));
        if (last && c->f.body_len == strlen(last) && memcmp(c->f.body, last, strlen(last)) == 0)
            return got;
        got++;
    }
    if (last)
        fail_msg("no \"%s\" after %d messages", last, got);
    return got;
}

/* The broker's figures, as any client reads them. json_decref it. */
static json_t *stats(const broker *br)
{
    client *c = cl_login(br, "u", "p", "/");
    subscribe(c, "r", "/temp-queue/stats", "");
    cl_send(c, "SEND\ndestination:/queue/req.test._bkpr.broker\nreply-to:/temp-queue/stats\n\n"
               "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"_bkpr.broker.stats\"}^");
    expect(c, BKP_CMD_MESSAGE);
    json_error_t err;
    json_t *r = json_loadb(c->f.body, c->f.body_len, 0, &err);
    assert_non_null(r);
    json_t *res = json_incref(json_object_get(r, "result"));
    json_decref(r);
    assert_non_null(res);
    cl_close(c);
    return res;
}

static long long figure(json_t *st, const char *a, const char *b)
{
    json_t *v = json_object_get(st, a);
    if (b)
        v = json_object_get(v, b);
    assert_true(json_is_integer(v));
    return (long long)json_integer_value(v);
}

/* A subscriber that reads loses nothing to a publisher faster than it, even with a small
 * output buffer (16 KiB against 20 MiB sent): the broker holds the publisher back. */
static void test_a_reading_subscriber_loses_nothing(void **state)
{
    (void)state;
    enum { N = 20000 };
    broker br;
    broker_start(&br, "{\"limits\": {\"max_conn_outbuf_bytes\": 16384}}");
    client *sub = cl_login(&br, "u", "p", "/");
    subscribe(sub, "1", "/topic/fast", "");
    pid_t pid = publisher(&br, "/topic/fast", N);
    long told = 0;
    assert_int_equal(read_until(sub, "end", 0, &told), N);
    assert_int_equal(told, 0);
    reap(pid);
    json_t *st = stats(&br);
    assert_true(figure(st, "publishers_held_back", NULL) > 0);
    assert_int_equal(figure(st, "dropped", "slow_consumer"), 0);
    json_decref(st);
    cl_close(sub);
    broker_stop(&br);
}

/* One subscriber that stops reading holds the publisher back for slow_consumer_ms at most:
 * then its excess is dropped and counted, and its next MESSAGE says how many
 * (x-bkpr-dropped), while the other subscriber of the topic receives everything. */
static void test_a_stuck_subscriber_is_told_and_others_keep_receiving(void **state)
{
    (void)state;
    enum { N = 5000 };
    broker br;
    broker_start(&br, "{\"limits\": {\"max_conn_outbuf_bytes\": 65536, \"slow_consumer_ms\": 200}}");
    client *slow = cl_open_rcvbuf(&br, 4096);
    cl_send(slow, "CONNECT\naccept-version:1.2\nhost:/\n\n^");
    expect(slow, BKP_CMD_CONNECTED);
    subscribe(slow, "1", "/topic/news", "");
    client *ok = cl_login(&br, "u", "p", "/");
    subscribe(ok, "1", "/topic/news", "");
    pid_t pid = publisher(&br, "/topic/news", N);
    long told = 0;
    assert_int_equal(read_until(ok, "end", 0, &told), N);
    assert_int_equal(told, 0);
    reap(pid);
    json_t *st = stats(&br);
    long long dropped = figure(st, "dropped", "slow_consumer");
    assert_true(dropped > 0);
    json_decref(st);
    /* The slow one reads at last: what was kept for it (less than N: "end" was dropped
     * too), then its next message says how many it lost. */
    told = 0;
    int got = read_until(slow, NULL, 1000, &told);
    assert_true(got < N);
    assert_int_equal(told, 0);
    client *pub = cl_login(&br, "u", "p", "/");
    send_body(pub, "/topic/news", "last");
    cl_close(pub);
    assert_int_equal(read_until(slow, "last", 0, &told), 0);
    assert_int_equal(got + told, N + 1);
    assert_int_equal(told, dropped);
    cl_close(ok);
    cl_close(slow);
    broker_stop(&br);
}

/* A full queue holds its publisher back (its SENDs wait, unanswered, not refused) until a
 * consumer makes room: nothing is lost, nothing is refused. */
static void test_a_full_queue_holds_its_publisher_back(void **state)
{
    (void)state;
    enum { N = 50 };
    broker br;
    broker_start(&br, "{\"limits\": {\"max_queue_messages\": 5, \"slow_consumer_ms\": 5000}}");
    client *pub = cl_login(&br, "u", "p", "/");
    for (int i = 0; i < N; i++)
        cl_send(pub, "SEND\ndestination:/queue/full\nreceipt:r%d\n\nm%d^", i, i);
    for (int i = 0; i < 5; i++)
        expect(pub, BKP_CMD_RECEIPT);
    expect_nothing(pub, 200);           /* the sixth is held back */
    client *con = cl_login(&br, "u", "p", "/");
    subscribe(con, "1", "/queue/full", "");
    for (int i = 0; i < N; i++) {
        char body[16];
        snprintf(body, sizeof body, "m%d", i);
        expect_message(con, body);
    }
    for (int i = 5; i < N; i++) {
        expect(pub, BKP_CMD_RECEIPT);
        char id[16];
        snprintf(id, sizeof id, "r%d", i);
        assert_string_equal(hdr(pub, "receipt-id"), id);
    }
    json_t *st = stats(&br);
    assert_true(figure(st, "publishers_held_back", NULL) > 0);
    assert_int_equal(figure(st, "dropped", "queue_full"), 0);
    json_decref(st);
    cl_close(con);
    cl_close(pub);
    broker_stop(&br);
}

/* A queue still full slow_consumer_ms after a SEND found it full refuses that SEND, with
 * its receipt-id, and keeps what it holds. */
static void test_a_queue_full_past_the_bound_refuses(void **state)
{
    (void)state;
    broker br;
    broker_start(&br, "{\"limits\": {\"max_queue_messages\": 5, \"slow_consumer_ms\": 300}}");
    client *c = cl_login(&br, "u", "p", "/");
    for (int i = 0; i < 5; i++)
        send_body(c, "/queue/full", "m");
    cl_send(c, "SEND\ndestination:/queue/full\nreceipt:r6\n\nm^");
    expect_nothing(c, 100);
    expect(c, BKP_CMD_ERROR);
    assert_non_null(strstr(hdr(c, "message"), "is full"));
    assert_string_equal(hdr(c, "receipt-id"), "r6");
    cl_close(c);
    client *d = cl_login(&br, "u", "p", "/");
    subscribe(d, "1", "/queue/full", "");
    for (int i = 0; i < 5; i++)
        expect_message(d, "m");
    expect_nothing(d, 100);
    cl_close(d);
    json_t *st = stats(&br);
    assert_int_equal(figure(st, "dropped", "queue_full"), 1);
    json_decref(st);
    broker_stop(&br);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_a_reading_subscriber_loses_nothing, teardown),
        cmocka_unit_test_teardown(test_a_stuck_subscriber_is_told_and_others_keep_receiving, teardown),
        cmocka_unit_test_teardown(test_a_full_queue_holds_its_publisher_back, teardown),
        cmocka_unit_test_teardown(test_a_queue_full_past_the_bound_refuses, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
