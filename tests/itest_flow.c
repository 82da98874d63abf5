/* Sending and flow against a real broker (BK_TEST_*; skipped without one): what a sender sees
 * of its own output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <jansson.h>

#include "beekeeper/client.h"
#include "beekeeper/error.h"
#include "itest_env.h"

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

int main(void)
{
    if (!bkt_env_load("itest_flow", "flow"))
        return 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flush_writes_what_is_queued_without_waiting),
        cmocka_unit_test(a_bad_method_name_says_why),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
