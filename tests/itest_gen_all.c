/* tests/idl/everything.bkidl (every construct of the language) end to end over a broker
 * (BK_TEST_*; skipped without one): a forked worker serves demo.all.things with the
 * generated handler table, this process calls it through the generated stubs. Every type
 * goes out and back through both sides' codecs and must come back as it went: nested lists
 * of maps of lists of structs, every scalar with its default, bytes, any, optionals, enums,
 * imported types, a recursive struct; declared errors (its own and an imported one) arrive
 * as their constants; the oneway method and the notification reach the other side; a
 * handler that defers (BK_DEFER) answers later through demo_all_things_get_reply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "beekeeper/client.h"
#include "beekeeper/worker.h"
#include "demo_all_things.h"
#include "itest_env.h"


/* One Nested value with every construct in it, as the wire has it (keys sorted). */
static const char k_nested[] =
    "{\"also\":{\"ms\":2,\"zone\":\"Z\"},\"at\":{\"ms\":1764000000000,\"zone\":\"UTC\"},"
    "\"children\":[{\"also\":{\"ms\":4,\"zone\":\"C\"},\"at\":{\"ms\":3,\"zone\":\"C\"},"
    "\"children\":[],\"deep\":[]}],"
    "\"deep\":[{\"k1\":[{\"anything\":{\"x\":[1,\"two\",null]},\"b\":false,\"c\":\"GREEN\","
    "\"d\":-0.5,\"i\":9223372036854775807,\"maybe\":7,\"raw\":\"AAEC/w==\","
    "\"s\":\"caf\\u00e9 \\u2603\",\"whole\":4.0}],\"k2\":[]},{}],"
    "\"parent\":{\"also\":{\"ms\":6,\"zone\":\"P\"},\"at\":{\"ms\":5,\"zone\":\"P\"},"
    "\"children\":[],\"deep\":[]}}";

/* The JSON of a Nested, keys sorted, for comparing. Freed by the caller. */
static char *text_of(const demo_all_nested *n)
{
    json_t *j = demo_all_nested_encode(n);
    char *s = j ? json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

static int nested_from(bk_arena *a, const char *text, demo_all_nested *out)
{
    json_t *j = bk_arena_keep_json_new(a, json_loads(text, 0, NULL));
    bk_dec d;
    bk_dec_init(&d, a, "", "n");
    int rc = demo_all_nested_decode(&d, j, out);
    if (rc)
        fprintf(stderr, "decode: %s\n", d.error ? d.error : "?");
    return rc;
}

/* ------------------------------------------------------------------ the worker */

static long g_pokes;
static char g_last_put[4096];

/* Deferred answers: get("later...") returns BK_DEFER and a timer on the worker's loop
 * answers. id is the request's param: it stays valid until the request is answered. */
static int g_defer_rc = 12345; /* what the last deferred demo_all_things_get_reply returned */

typedef struct deferred {
    bk_request *req;
    const char *id;
} deferred;

static void answer_later(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    deferred *d = arg;
    bk_request *req = d->req;
    const char *id = d->id;
    free(d);
    if (strcmp(id, "later-gone") == 0) {
        bk_request_fail_new(req, DEMO_ALL_GONE, json_string(id), "%s is gone", id);
        return;
    }
    /* The result lives in an arena of our own, freed before the answer leaves: the reply
     * borrows it (encodes at once). later-bad's holds a Scalars whose bytes have a length
     * but no data: it cannot be encoded. */
    bk_arena *own;
    demo_all_nested v;
    demo_all_scalars bad;
    memset(&v, 0, sizeof v);
    memset(&bad, 0, sizeof bad);
    bad.raw.len = 1;
    const char *key = "k";
    demo_all_scalars_list bad_list = {.items = &bad, .count = 1};
    demo_all_scalars_list_map bad_map = {.keys = &key, .values = &bad_list, .count = 1};
    if (strcmp(id, "later-bad") == 0)
        v.deep = (demo_all_scalars_list_map_list){.items = &bad_map, .count = 1};
    if (bk_arena_new(&own) != 0) {
        bk_request_fail(req, BK_RPC_INTERNAL_ERROR, NULL, "out of memory");
        return;
    }
    if (strcmp(id, "later") == 0 && nested_from(own, k_nested, &v) != 0) {
        bk_request_fail(req, BK_RPC_INTERNAL_ERROR, NULL, "bad constant");
        bk_arena_free(own);
        return;
    }
    g_defer_rc = demo_all_things_get_reply(req, &v);
    bk_arena_free(own);
}

static int defer_get(bk_request *req, const char *id)
{
    deferred *d = malloc(sizeof *d);
    struct timeval tv = {0, 20000};
    if (!d)
        return bk_request_fail(req, BK_RPC_INTERNAL_ERROR, NULL, "out of memory");
    *d = (deferred){.req = req, .id = id};
    if (event_base_once(bk_client_base(bk_worker_client(bk_request_worker(req))), -1,
                        EV_TIMEOUT, answer_later, d, &tv) != 0) {
        free(d);
        return bk_request_fail(req, BK_RPC_INTERNAL_ERROR, NULL, "no timer");
    }
    return BK_DEFER;
}

static int h_get(bk_request *req, void *ctx, const char *id, const demo_all_colour *tint,
                 int64_t n, demo_all_nested *result)
{
    (void)ctx;
    if (strncmp(id, "later", 5) == 0)
        return defer_get(req, id);
    if (strcmp(id, "defer-rc") == 0) {
        /* what the last deferred reply returned, in the first stamp */
        if (nested_from(bk_request_arena(req), k_nested, result))
            return bk_request_fail(req, BK_RPC_INTERNAL_ERROR, NULL, "bad constant");
        ((common_stamp *)&result->at)->ms = g_defer_rc;
        return 0;
    }
    if (strcmp(id, "gone") == 0)
        return bk_request_fail(req, DEMO_ALL_GONE, NULL, "%s is gone", id);
    if (strcmp(id, "unavailable") == 0)
        return bk_request_fail(req, COMMON_UNAVAILABLE, NULL, "try later");
    if (strcmp(id, "pokes") == 0) {
        /* how many pokes arrived, in the first stamp */
        memset(result, 0, sizeof *result);
        if (nested_from(bk_request_arena(req), k_nested, result))
            return bk_request_fail(req, BK_RPC_INTERNAL_ERROR, NULL, "bad constant");
        ((common_stamp *)&result->at)->ms = g_pokes;
        return 0;
    }
    if (strcmp(id, "last-put") == 0) {
        if (!g_last_put[0] || nested_from(bk_request_arena(req), g_last_put, result))
            return bk_request_fail(req, BK_RPC_INTERNAL_ERROR, NULL, "nothing put");
        return 0;
    }
    /* the defaults and the optional arrive as the caller left them */
    if (n != (tint ? 2 : 1) || (tint && *tint != DEMO_ALL_COLOUR_BLUE))
        return bk_request_fail(req, BK_RPC_INVALID_PARAMS, NULL, "n %lld, tint %d", (long long)n,
                               tint ? (int)*tint : -1);
    return nested_from(bk_request_arena(req), k_nested, result)
               ? bk_request_fail(req, -32603, NULL, "?") : 0;
}

static int h_put(bk_request *req, void *ctx, const demo_all_nested *n)
{
    (void)req;
    (void)ctx;
    char *s = text_of(n);
    snprintf(g_last_put, sizeof g_last_put, "%s", s ? s : "");
    free(s);
    return 0;
}

static int h_poke(bk_request *req, void *ctx)
{
    (void)req;
    (void)ctx;
    g_pokes++;
    return 0;
}

static int worker_setup(bk_worker **w, void *arg)
{
    (void)arg;
    bk_worker_opts o = {.client = bkt_client_opts(), .authorize = bkt_allow,
                        .on_start = bkt_on_start_ready, .handle_signals = 1,
                        .status_interval_ms = -1};
    demo_all_things_handlers h = {.get = h_get, .put = h_put, .poke = h_poke};
    return bk_worker_new(w, &o) || demo_all_things_serve(*w, &h, NULL);
}

static pid_t g_worker = -1;

/* ------------------------------------------------------------------ tests */

static int setup(void **state)
{
    (void)state;
    if (bkt.broker) {
        g_worker = bkt_spawn_worker(worker_setup, NULL, BKT_WORKER_LIFE_S);
        assert_true(g_worker > 0);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bkt_stop(g_worker, SIGTERM);
    g_worker = -1;
    return 0;
}

static int g_changed;
static char g_changed_id[64];

static void on_changed(bk_client *c, bk_arena *a, const char *id, void *arg)
{
    (void)c;
    (void)a;
    (void)arg;
    g_changed++;
    snprintf(g_changed_id, sizeof g_changed_id, "%s", id);
}

static void every_construct_round_trips(void **state)
{
    (void)state;
    BKT_NEED_BROKER();
    bk_client *c = bkt_connect();
    bk_arena *a;
    assert_int_equal(bk_arena_new(&a), 0);
    demo_all_nested got;
    bk_error e;

    /* worker -> caller: the value the worker decoded from k_nested, encoded, sent, decoded */
    assert_int_equal(demo_all_things_get(c, NULL, a, "x", NULL, 1, &got, &e), 0);
    char *s = text_of(&got);
    demo_all_nested want;
    assert_int_equal(nested_from(a, k_nested, &want), 0);
    char *w = text_of(&want);
    assert_non_null(s);
    assert_string_equal(s, w);
    free(s);
    /* the defaults of Scalars were filled in where the wire left them out ({} in deep[1]) */
    assert_int_equal(got.deep.count, 2);
    assert_non_null(got.parent);
    assert_int_equal(got.children.count, 1);
    assert_int_equal(got.also.ms, 2);

    /* the optional enum param and a non-default int */
    demo_all_colour blue = DEMO_ALL_COLOUR_BLUE;
    assert_int_equal(demo_all_things_get(c, NULL, a, "x", &blue, 2, &got, &e), 0);

    /* caller -> worker: put the value, read it back */
    assert_int_equal(demo_all_things_put(c, NULL, a, &want, &e), 0);
    assert_int_equal(demo_all_things_get(c, NULL, a, "last-put", NULL, 1, &got, &e), 0);
    s = text_of(&got);
    assert_string_equal(s, w);
    free(s);
    free(w);

    /* declared errors: this file's and an imported one */
    assert_int_equal(demo_all_things_get(c, NULL, a, "gone", NULL, 1, &got, &e), BK_ERPC);
    assert_int_equal(e.code, DEMO_ALL_GONE);
    assert_string_equal(e.message, "gone is gone");
    assert_int_equal(demo_all_things_get(c, NULL, a, "unavailable", NULL, 1, &got, &e), BK_ERPC);
    assert_int_equal(e.code, COMMON_UNAVAILABLE);

    /* the oneway method, then a call that sees it ran (the queue is FIFO) */
    assert_int_equal(demo_all_things_poke(c, NULL), 0);
    assert_int_equal(demo_all_things_poke(c, NULL), 0);
    assert_int_equal(demo_all_things_get(c, NULL, a, "pokes", NULL, 1, &got, &e), 0);
    assert_int_equal(got.at.ms, 2);

    /* the notification, subscribed and sent through the stubs */
    assert_int_equal(demo_all_things_changed_subscribe(c, on_changed, NULL), 0);
    bk_client_run_for(c, 200);
    assert_int_equal(demo_all_things_changed_notify(c, NULL, "thing-1"), 0);
    for (int i = 0; i < 100 && !g_changed; i++)
        bk_client_run_for(c, 20);
    assert_int_equal(g_changed, 1);
    assert_string_equal(g_changed_id, "thing-1");

    bk_arena_free(a);
    bk_client_free(c);
}

/* A handler that returns BK_DEFER answers later with the generated _reply: the typed result
 * arrives intact; a deferred bk_request_fail arrives as its declared error; a deferred result
 * that cannot be encoded is answered -32603 and _reply returns BK_ERPC. */
static void deferred_answers_arrive_typed(void **state)
{
    (void)state;
    BKT_NEED_BROKER();
    bk_client *c = bkt_connect();
    bk_arena *a;
    assert_int_equal(bk_arena_new(&a), 0);
    bk_call_opts slow = {.timeout_ms = 10000}; /* not get's @timeout(250) */
    demo_all_nested got, want;
    bk_error e;

    assert_int_equal(demo_all_things_get(c, &slow, a, "later", NULL, 1, &got, &e), 0);
    assert_int_equal(nested_from(a, k_nested, &want), 0);
    char *s = text_of(&got), *w = text_of(&want);
    assert_non_null(s);
    assert_non_null(w);
    assert_string_equal(s, w);
    free(s);
    free(w);
    assert_int_equal(demo_all_things_get(c, &slow, a, "defer-rc", NULL, 1, &got, &e), 0);
    assert_int_equal(got.at.ms, 0);

    assert_int_equal(demo_all_things_get(c, &slow, a, "later-gone", NULL, 1, &got, &e), BK_ERPC);
    assert_int_equal(e.code, DEMO_ALL_GONE);
    assert_string_equal(e.message, "later-gone is gone");
    assert_string_equal(json_string_value(e.data), "later-gone");

    assert_int_equal(demo_all_things_get(c, &slow, a, "later-bad", NULL, 1, &got, &e), BK_ERPC);
    assert_int_equal(e.code, BK_RPC_INTERNAL_ERROR);
    assert_string_equal(e.message, "demo.all.things.get: the handler's result cannot be encoded");
    assert_int_equal(demo_all_things_get(c, &slow, a, "defer-rc", NULL, 1, &got, &e), 0);
    assert_int_equal(got.at.ms, BK_ERPC);

    bk_arena_free(a);
    bk_client_free(c);
}

int main(void)
{
    bkt_env_load("itest_gen_all", "bkall");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(every_construct_round_trips, setup, teardown),
        cmocka_unit_test_setup_teardown(deferred_answers_arrive_typed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
