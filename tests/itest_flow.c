/* Sending and flow against a real broker (BK_TEST_*; skipped without one): what a sender sees
 * of its own output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <jansson.h>

#include "beekeeper/client.h"
#include "beekeeper/error.h"
#include "itest_env.h"
#include "rpc/client_int.h"
#include "stomp/conn.h"

/* A burst of background jobs small enough for the kernel to take in one write: flush with
 * no time to wait writes it and says it left. (It once checked for an empty buffer before
 * writing, then blocked until something else woke the loop, the next heart-beat: a burst of
 * 500 background jobs took 4.7 s to "send".) */
static void flush_writes_what_is_queued_without_waiting(void **state)
{
    (void)state;
    bk_client *c = bkt_connect();
    char method[96];
    snprintf(method, sizeof method, "flow%s.nobody.job", bkt.sfx);
    json_t *params = json_pack("{s:s}", "data", "x");
    for (int i = 0; i < 50; i++)
        assert_int_equal(bk_call_background(c, method, params, NULL), 0);
    json_decref(params);
    assert_int_equal(bk_client_flush(c, 0), 0);
    bk_client_free(c);
}

/* A burst queued with no turn of the loop between its sends goes to the kernel as it is
 * queued, not all at the next turn: the output never holds the whole burst. (It once did:
 * 20 MB of 1 KB notifications piled up in the client's heap before the first write, and a
 * 1 KB notification cost 50 us, most of it malloc and page faults.) 3 MB to a topic nobody
 * reads: a loopback socket and the broker take that much without a turn of ours. */
static void a_burst_goes_to_the_kernel_as_it_is_queued(void **state)
{
    (void)state;
    bk_client *c = bkt_connect();
    char method[96];
    snprintf(method, sizeof method, "flow%s.nobody.note", bkt.sfx);
    char *data = malloc(1024 + 1);
    assert_non_null(data);
    memset(data, 'x', 1024);
    data[1024] = 0;
    json_t *params = json_pack("{s:s}", "data", data);
    size_t most = 0;
    for (int i = 0; i < 3072; i++) {
        assert_int_equal(bk_notify(c, method, params, NULL), 0);
        size_t pending = bkp_stomp_pending_bytes(bkp_client_stomp(c));
        most = pending > most ? pending : most;
    }
    json_decref(params);
    free(data);
    assert_true(most < ((size_t)1 << 20));
    assert_int_equal(bk_client_flush(c, 10000), 0);
    bk_client_free(c);
}

/* A method name without a service part is refused before anything is sent, and the error
 * says why (it once said only "invalid argument"). */
static void a_bad_method_name_says_why(void **state)
{
    (void)state;
    bk_client *c = bkt_connect();
    bk_arena *a = NULL;
    assert_int_equal(bk_arena_new(&a), 0);
    json_t *res = NULL;
    bk_error err = { 0 };
    assert_int_equal(bk_call(c, "add", NULL, NULL, a, &res, &err), BK_EINVAL);
    assert_non_null(strstr(err.message, "invalid method name \"add\""));
    assert_non_null(strstr(err.message, "SERVICE.METHOD"));
    assert_int_equal(bk_call(c, "calc..add", NULL, NULL, NULL, NULL, &err), BK_EINVAL);
    assert_non_null(strstr(err.message, "segment is empty"));
    bk_arena_free(a);
    bk_client_free(c);
}

static void count_note(bk_client *c, bk_arena *a, const char *method, json_t *params,
                       void *arg)
{
    (void)c;
    (void)a;
    (void)method;
    (void)params;
    (*(int *)arg)++;
}

/* A burst of notifications eighty times the output buffer: every send is held back until
 * there is room, none is refused, and all of them arrive (before, a send that found the
 * buffer full failed with BK_ELIMIT and the burst lost what did not fit). */
static void a_burst_larger_than_the_buffer_is_held_back_and_delivered(void **state)
{
    (void)state;
    bk_client_opts o = bkt_client_opts();
    o.max_outbuf = 256u << 10;
    bk_client *c = NULL;
    assert_int_equal(bk_client_new(&c, &o), 0);
    assert_int_equal(bk_client_connect_wait(c, 10000), 0);
    char pattern[96], method[96];
    snprintf(pattern, sizeof pattern, "flow%s.burst.*", bkt.sfx);
    snprintf(method, sizeof method, "flow%s.burst.note", bkt.sfx);
    int seen = 0;
    assert_int_equal(bk_subscribe(c, pattern, count_note, &seen), 0);
    assert_int_equal(bk_client_run_for(c, 300), 0);
    /* 20 MB: eighty times the client's buffer, so the sends must wait for room, and five
     * times bkpr-broker's 4 MiB per subscriber, so that the broker must hold this client
     * back as a publisher while it is behind as a subscriber (doc/broker.md "Flow
     * control"), rather than drop what it cannot take. */
    enum { N = 2000 };
    char *big = malloc(10241);
    memset(big, 'x', 10240);
    big[10240] = 0;
    json_t *params = json_pack("{s:s}", "data", big);
    for (int i = 0; i < N; i++)
        assert_int_equal(bk_notify(c, method, params, NULL), 0);
    json_decref(params);
    free(big);
    for (int i = 0; i < 300 && seen < N; i++)
        bk_client_run_for(c, 100);
    assert_int_equal(seen, N);
    bk_client_free(c);
}

/* A peer that takes the CONNECT, answers CONNECTED, then never reads again: the child
 * process of a fork, on a loopback port of its own. */
static pid_t deaf_broker(char *addr, size_t n)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(ls >= 0);
    struct sockaddr_in sa = { .sin_family = AF_INET };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(ls, 1), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
    snprintf(addr, n, "127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int s = accept(ls, NULL, NULL);
        char ch;
        while (s >= 0 && read(s, &ch, 1) == 1 && ch != 0)
            ;
        static const char ok[] = "CONNECTED\nversion:1.2\nheart-beat:0,0\n\n";
        if (s < 0 || write(s, ok, sizeof ok) != (ssize_t)sizeof ok)
            _exit(1);
        pause();
        _exit(0);
    }
    close(ls);
    return pid;
}

/* When the connection takes nothing, a send waits for room no longer than the send
 * timeout, and says so with BK_ETIMEDOUT (not BK_ELIMIT: nothing was over a limit). */
static void a_send_that_finds_no_room_in_time_times_out(void **state)
{
    (void)state;
    char addr[64];
    pid_t pid = deaf_broker(addr, sizeof addr);
    const char *hosts[] = { addr };
    bk_client_opts o = { .hosts = hosts, .nhosts = 1, .max_outbuf = 64u << 10,
                         .send_timeout_ms = 100, .max_rounds = 1 };
    bk_client *c = NULL;
    assert_int_equal(bk_client_new(&c, &o), 0);
    assert_int_equal(bk_client_connect_wait(c, 5000), 0);
    char *big = malloc(10241);
    memset(big, 'x', 10240);
    big[10240] = 0;
    json_t *params = json_pack("{s:s}", "data", big);
    int rc = 0, i;
    for (i = 0; i < 20000 && rc == 0; i++)   /* the kernel's buffers take some first */
        rc = bk_notify(c, "flow.deaf.note", params, NULL);
    assert_int_equal(rc, BK_ETIMEDOUT);
    assert_int_equal(bk_call_background(c, "flow.deaf.job", params, NULL), BK_ETIMEDOUT);
    json_decref(params);
    free(big);
    bk_client_free(c);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

int main(void)
{
    if (!bkt_env_load("itest_flow", "flow"))
        return 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flush_writes_what_is_queued_without_waiting),
        cmocka_unit_test(a_burst_goes_to_the_kernel_as_it_is_queued),
        cmocka_unit_test(a_bad_method_name_says_why),
        cmocka_unit_test(a_burst_larger_than_the_buffer_is_held_back_and_delivered),
        cmocka_unit_test(a_send_that_finds_no_room_in_time_times_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
