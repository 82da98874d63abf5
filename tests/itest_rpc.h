/* The fixture of the itest_rpc_* integration tests of bk_client and bk_worker against a real
 * broker (BK_TEST_*, itest_env.h; skipped without one): worker processes of the kinds below,
 * serving services whose names carry the run's random suffix (svc), and one client, g_c.
 * Each test file's group setup forks the kinds it calls (rpc_kinds), once: a test may rely on
 * the state an earlier test of its file left (a subscription, a worker's counter). Every wait is
 * bounded: alarm(60) per test (NEED_BROKER), call timeouts, bounded polls. */
#ifndef BK_TESTS_ITEST_RPC_H
#define BK_TESTS_ITEST_RPC_H

#include <stddef.h>
#include <sys/types.h>
#include <unistd.h>

#include <jansson.h>

#include "beekeeper/client.h"
#include "itest_env.h"

/* What a worker process serves (service letter: methods; itest_rpc_fixture.c):
 *   W_MAIN    a: echo pid fail fail_defer crash params defer nested job tokens code
 *                bad_result bad_message (debug mode; refuses the token DENY)
 *   W_B       b.*: the tokens                W_NOAUTH  c: echo, without an authorize hook
 *   W_PID     d: pid                         W_AUTH    e.*: authorized by method, notes
 *   W_PLAIN   f: crash code, not in debug    W_SLOW    g: busy hit
 *   W_R       r: echo pid (the broker-restart test's own broker) */
typedef enum { W_END, W_MAIN, W_B, W_NOAUTH, W_PID, W_AUTH, W_PLAIN, W_SLOW, W_R } wkind;

extern bk_client *g_c;  /* the tests' client, on the test broker */
extern int g_npid;      /* W_PID workers started (service d) */

/* The method "bkit<sfx>.<s>.<m>" in buf. */
void svc(char *buf, size_t n, const char *s, const char *m);

/* Forks a worker of kind on the test broker (spawn) or on the bus at addr, and waits until it
 * serves; its pid, or -1. The group teardown stops it unless forget_worker was told. */
pid_t spawn(wkind kind);
pid_t spawn_on(wkind kind, const char *addr);
void forget_worker(pid_t pid);

/* Each test file defines the kinds of worker its tests call, ended by W_END. */
extern const wkind rpc_kinds[];

/* The group setup forks a worker of each of rpc_kinds and connects g_c (nothing without a
 * broker); 0 or -1. The group teardown frees g_c and stops every worker. */
int rpc_group_setup(void **st);
int rpc_group_teardown(void **st);

#define NEED_BROKER() do { BKT_NEED_BROKER(); alarm(60); } while (0)

/* Calls method of service s and returns bk_call's answer; *err and *res in arena a. */
int call_in(bk_client *c, const char *s, const char *meth, json_t *params,
            const char *tokens, int timeout_ms, bk_arena *a, json_t **res, bk_error *err);

#define EXPECT_RPC_ERROR(rc, err, want_code, want_msg)                                       \
    do {                                                                                     \
        if ((rc) != BK_ERPC)                                                                 \
            fail_msg("rc %d (%s), code %d %s: expected a JSON-RPC error %d", (rc),           \
                     bk_strerror(rc), (err).code, (err).message ? (err).message : "",        \
                     (want_code));                                                           \
        assert_int_equal((err).code, (want_code));                                           \
        assert_string_equal((err).message, (want_msg));                                      \
    } while (0)

/* One async call's outcome (one_done is its callback). */
typedef struct one {
    int calls, code;
    char msg[64], room[16];
    json_t *result;     /* own reference */
} one;

void one_done(bk_client *c, bk_arena *a, json_t *result, const bk_error *err, void *arg);

/* Notifications counted (on_n1 counts n1). */
typedef struct notes { int n1, star, jobdone; } notes;

void on_n1(bk_client *c, bk_arena *a, const char *method, json_t *params, void *arg);

#endif
