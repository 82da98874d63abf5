/* The C that bkpr-gen generates, as code: built with the house flags from tests/idl/chat.bkidl
 * and everything.bkidl (tests/idl/gen.module.mk), its types encoded and decoded here. The wire
 * side (stubs, handlers, validation before a handler) is itest_gen's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "beekeeper/json.h"
#include "beekeeper/log.h"
#include "demo_all_things.h"
#include "myapp_chat.h"
#include "names_own.h"
#include "shop_orders.h"

static bk_arena *g_a;

static int setup(void **state)
{
    (void)state;
    return bk_arena_new(&g_a);
}

static int teardown(void **state)
{
    (void)state;
    bk_arena_free(g_a);
    return 0;
}

/* Decodes text as a myapp_message at path "msg"; returns the error or NULL. */
static const char *decode_msg(const char *text, myapp_message *m)
{
    json_t *j = bk_arena_keep_json_new(g_a, json_loads(text, 0, NULL));
    assert_non_null(j);
    bk_dec d;
    bk_dec_init(&d, g_a, "msg", "msg");
    int rc = myapp_message_decode(&d, j, m);
    assert_int_equal(rc == 0, d.error == NULL);
    return d.error;
}

static void message_round_trips(void **state)
{
    (void)state;
    const char *tags[] = {"a", "b"};
    const char *keys[] = {"x"};
    int64_t vals[] = {7};
    common_stamp at = {.ms = 42, .zone = "UTC"};
    myapp_message m = {.from = "ann", .text = "hi", .ts = 5, .tags = {tags, 2},
                       .counts = {keys, vals, 1}, .level = MYAPP_LEVEL_HIGH, .extra = NULL,
                       .at = &at};
    json_t *j = myapp_message_encode(&m);
    assert_non_null(j);
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(s, "{\"at\":{\"ms\":42,\"zone\":\"UTC\"},\"counts\":{\"x\":7},"
                           "\"extra\":null,\"from\":\"ann\",\"level\":\"HIGH\",\"tags\":"
                           "[\"a\",\"b\"],\"text\":\"hi\",\"ts\":5}");
    myapp_message back;
    assert_null(decode_msg(s, &back));
    assert_string_equal(back.from, "ann");
    assert_int_equal(back.ts, 5);
    assert_null(back.reply_to);
    assert_int_equal(back.tags.count, 2);
    assert_string_equal(back.tags.items[1], "b");
    assert_string_equal(back.counts.keys[0], "x");
    assert_int_equal(back.counts.values[0], 7);
    assert_int_equal(back.level, MYAPP_LEVEL_HIGH);
    assert_true(json_is_null(back.extra));
    assert_non_null(back.at);
    assert_int_equal(back.at->ms, 42);
    assert_string_equal(back.at->zone, "UTC");
    free(s);
    json_decref(j);
}

static void defaults_and_optionals_apply(void **state)
{
    (void)state;
    myapp_message m;
    assert_null(decode_msg("{\"from\":\"a\",\"text\":\"t\",\"tags\":[],\"counts\":{},"
                           "\"extra\":[1],\"reply_to\":null}", &m));
    assert_int_equal(m.ts, 0);
    assert_int_equal(m.level, MYAPP_LEVEL_LOW);
    assert_null(m.reply_to);
    assert_null(m.at);
    assert_true(json_is_array(m.extra));
    /* Absent optional and defaulted fields stay off the wire only when absent in C. */
    json_t *j = myapp_message_encode(&m);
    assert_null(json_object_get(j, "reply_to"));
    assert_null(json_object_get(j, "at"));
    assert_int_equal(json_integer_value(json_object_get(j, "ts")), 0);
    json_decref(j);
}

static void bad_values_name_their_path(void **state)
{
    (void)state;
    myapp_message m;
    static const struct {
        const char *json, *error;
    } cases[] = {
        {"{\"from\":\"a\",\"text\":\"t\",\"ts\":\"x\",\"tags\":[],\"counts\":{},\"extra\":1}",
         "msg.ts: expected int, got string"},
        {"{\"text\":\"t\",\"tags\":[],\"counts\":{},\"extra\":1}", "msg.from: missing"},
        {"{\"from\":\"a\",\"text\":\"t\",\"tags\":[],\"counts\":{},\"extra\":1,\"x\":1}",
         "msg.x: unknown field"},
        {"{\"from\":\"a\",\"text\":\"t\",\"tags\":[\"a\",2],\"counts\":{},\"extra\":1}",
         "msg.tags[1]: expected string, got int"},
        {"{\"from\":\"a\",\"text\":\"t\",\"tags\":[],\"counts\":{\"k\":1.5},\"extra\":1}",
         "msg.counts.k: expected int, got double"},
        {"{\"from\":\"a\",\"text\":\"t\",\"tags\":[],\"counts\":{},\"extra\":1,"
         "\"level\":\"NONE\"}", "msg.level: expected one of LOW, MEDIUM, HIGH, got \"NONE\""},
        {"{\"from\":\"a\",\"text\":\"t\",\"tags\":[],\"counts\":{},\"extra\":1,"
         "\"at\":{\"ms\":true}}", "msg.at.ms: expected int, got bool"},
        {"[]", "msg: expected object, got list"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *e = decode_msg(cases[i].json, &m);
        assert_non_null(e);
        assert_string_equal(e, cases[i].error);
    }
}

static void every_default_of_everything_applies(void **state)
{
    (void)state;
    json_t *j = bk_arena_keep_json_new(g_a, json_loads("{\"raw\":\"aGk=\"}", 0, NULL));
    bk_dec d;
    bk_dec_init(&d, g_a, "", "value");
    demo_all_scalars s;
    assert_int_equal(demo_all_scalars_decode(&d, j, &s), 0);
    assert_true(s.b);
    assert_true(s.i == INT64_MIN);
    assert_true(s.d == 2.5e-3);
    assert_true(s.whole == 3.0);
    assert_string_equal(s.s, "tab\tquote\" snow\u2603 clef\U0001D11E");
    assert_int_equal(s.raw.len, 2);
    assert_memory_equal(s.raw.data, "hi", 2);
    assert_true(json_is_null(s.anything));
    assert_false(s.has_maybe);
    assert_int_equal(s.c, DEMO_ALL_COLOUR_BLUE);
    json_t *back = demo_all_scalars_encode(&s);
    assert_string_equal(json_string_value(json_object_get(back, "raw")), "aGk=");
    assert_null(json_object_get(back, "maybe"));
    json_decref(back);
}

static void nested_and_recursive_structs_round_trip(void **state)
{
    (void)state;
    const char *text = "{\"deep\":[{\"k\":[{\"raw\":\"\",\"maybe\":3}]}],"
                       "\"parent\":{\"deep\":[],\"children\":[],\"at\":{\"ms\":1},"
                       "\"also\":{\"ms\":2}},"
                       "\"children\":[],\"at\":{\"ms\":3},\"also\":{\"ms\":4}}";
    json_t *j = bk_arena_keep_json_new(g_a, json_loads(text, 0, NULL));
    bk_dec d;
    bk_dec_init(&d, g_a, "", "value");
    demo_all_nested n;
    assert_int_equal(demo_all_nested_decode(&d, j, &n), 0);
    assert_int_equal(n.deep.count, 1);
    assert_string_equal(n.deep.items[0].keys[0], "k");
    assert_true(n.deep.items[0].values[0].items[0].has_maybe);
    assert_int_equal(n.deep.items[0].values[0].items[0].maybe, 3);
    assert_non_null(n.parent);
    assert_int_equal(n.parent->also.ms, 2);
    assert_null(n.parent->parent);
    json_t *back = demo_all_nested_encode(&n);
    assert_non_null(back);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(
                         json_object_get(back, "parent"), "at"), "ms")), 1);
    json_decref(back);
    /* A deep error names the whole path. */
    j = bk_arena_keep_json_new(g_a, json_loads("{\"deep\":[{\"k\":[{\"raw\":1}]}],\"children\":[],"
                                           "\"at\":{\"ms\":3},\"also\":{\"ms\":4}}", 0, NULL));
    bk_dec_init(&d, g_a, "n", "n");
    assert_int_equal(demo_all_nested_decode(&d, j, &n), BK_EPROTO);
    assert_string_equal(d.error, "n.deep[0].k[0].raw: expected bytes (base64), got int");
}

/* Decodes text (copied: the readers write into it) from tokens as a Nested; the error or
 * NULL, and the return code in *rc. */
static const char *read_nested(const char *text, int *rc)
{
    char *copy = bk_arena_strdup(g_a, text);
    bk_json_doc *doc = bk_arena_alloc(g_a, sizeof *doc);
    assert_non_null(doc);
    assert_int_equal(bk_json_parse(doc, g_a, copy, strlen(copy), NULL, NULL), 0);
    bk_dec d;
    demo_all_nested n;
    bk_dec_init(&d, g_a, "", "value");
    d.doc = doc;
    *rc = demo_all_nested_read(&d, 0, &n);
    return d.error;
}

/* The decoder over tokens refuses what jansson's flags refused before, saying where: a field
 * or a map key given twice, a NUL in a string, a key twice inside an `any`. */
static void the_token_decoder_refuses_repeats_and_nul(void **state)
{
    (void)state;
    static const struct {
        const char *json, *error;
    } cases[] = {
        {"{\"deep\":[],\"children\":[],\"at\":{\"ms\":1,\"ms\":2},\"also\":{\"ms\":3}}",
         "at.ms: duplicate key"},
        {"{\"deep\":[{\"k\":[],\"\\u006b\":[]}],\"children\":[],\"at\":{\"ms\":1},"
         "\"also\":{\"ms\":3}}", "deep[0].k: duplicate key"},
        {"{\"deep\":[],\"children\":[],\"at\":{\"ms\":1,\"zone\":\"a\\u0000b\"},"
         "\"also\":{\"ms\":3}}", "at.zone: string holds a NUL character"},
        {"{\"deep\":[{\"k\":[{\"raw\":\"\",\"anything\":{\"x\":1,\"x\":2}}]}],"
         "\"children\":[],\"at\":{\"ms\":1},\"also\":{\"ms\":3}}",
         "deep[0].k[0].anything: "},
        {"{\"deep\":[],\"children\":[],\"at\":{\"ms\":1},\"also\":{\"ms\":3},\"at\":1}",
         "at: duplicate key"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc;
        const char *e = read_nested(cases[i].json, &rc);
        assert_int_equal(rc, BK_EPROTO);
        assert_non_null(e);
        if (strncmp(e, cases[i].error, strlen(cases[i].error)) != 0)
            fail_msg("case %zu: got '%s'", i, e);
    }
    /* a path longer than a message shows is cut with "..." */
    char text[16384];
    size_t n = 0;
    for (int i = 0; i < 60; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "{\"deep\":[],\"children\":[],"
                              "\"at\":{\"ms\":1},\"also\":{\"ms\":1},\"parent\":");
    n += (size_t)snprintf(text + n, sizeof text - n, "{\"x\":1}");
    for (int i = 0; i < 60; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "}");
    int rc;
    const char *e = read_nested(text, &rc);
    assert_int_equal(rc, BK_EPROTO);
    assert_int_equal(strncmp(e, "parent.parent.parent.", 21), 0);
    assert_non_null(strstr(e, "...: unknown field"));
    assert_true(strlen(e) <= 255 + strlen(": unknown field"));
}

/* What a newer peer may add reaches a tolerant decoder (a client's, on results and
 * notifications) without failing it; the same body still fails a strict one (a worker's). */
static void a_tolerant_decoder_skips_what_is_newer(void **state)
{
    (void)state;
    static const char text[] = "{\"from\":\"a\",\"text\":\"t\",\"tags\":[],\"counts\":{},"
                               "\"extra\":1,\"new_field\":{\"x\":[1]},\"level\":\"HIGHEST\"}";
    json_t *j = bk_arena_keep_json_new(g_a, json_loads(text, 0, NULL));
    assert_non_null(j);
    myapp_message m;
    bk_dec d;
    bk_dec_init(&d, g_a, "msg", "msg");
    d.tolerant = true;
    assert_int_equal(myapp_message_decode(&d, j, &m), 0);
    assert_string_equal(m.from, "a");
    assert_int_equal(m.level, MYAPP_LEVEL_HIGH + 1);
    assert_null(myapp_level_to_string(m.level));
    assert_string_equal(decode_msg(text, &m), "msg.new_field: unknown field");
}

static void enums_convert_both_ways(void **state)
{
    (void)state;
    demo_all_colour c;
    assert_string_equal(demo_all_colour_to_string(DEMO_ALL_COLOUR_GREEN), "GREEN");
    assert_null(demo_all_colour_to_string((demo_all_colour)42));
    assert_int_equal(demo_all_colour_from_string("RED", &c), 0);
    assert_int_equal(c, DEMO_ALL_COLOUR_RED);
    assert_int_equal(demo_all_colour_from_string("red", &c), -1);
    assert_int_equal(MYAPP_NOT_FOUND, 1001);
    assert_int_equal(DEMO_ALL_GONE, -32000000);
}

static void skeleton_fills_every_handler(void **state)
{
    (void)state;
    assert_non_null(myapp_chat_impl.send);
    assert_non_null(myapp_chat_impl.history);
    assert_non_null(myapp_chat_impl.log);
    assert_non_null(demo_all_things_impl.poke);
}

/* Namespace shop is split over two files (tests/idl/shop_*.bkidl): an Order (one file) holds
 * Items (the other), and both round-trip through one another's codecs. */
static void a_namespace_split_over_two_files_works(void **state)
{
    (void)state;
    const char *tags[] = {"red"};
    shop_item items[] = {{.sku = "a1", .size = SHOP_SIZE_LARGE, .tags = {tags, 1}},
                         {.sku = "b2"}};
    shop_order o = {.id = "o1", .items = {items, 2}, .gift = &items[0]};
    json_t *j = shop_order_encode(&o);
    assert_non_null(j);
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(s, "{\"gift\":{\"size\":\"LARGE\",\"sku\":\"a1\",\"tags\":[\"red\"]},"
                           "\"id\":\"o1\",\"items\":[{\"size\":\"LARGE\",\"sku\":\"a1\","
                           "\"tags\":[\"red\"]},{\"size\":\"SMALL\",\"sku\":\"b2\",\"tags\":[]}]}");
    shop_order back;
    bk_dec d;
    bk_dec_init(&d, g_a, "order", "order");
    assert_int_equal(shop_order_decode(&d, j, &back), 0);
    assert_int_equal(back.items.count, 2);
    assert_string_equal(back.items.items[1].sku, "b2");
    assert_int_equal(back.gift->size, SHOP_SIZE_LARGE);
    assert_int_equal(SHOP_OUT_OF_STOCK, 4001);
    assert_non_null(shop_orders_impl.place);
    free(s);
    json_decref(j);
}

static char g_warned[1024];

static void keep_warnings(bk_log_level lv, const char *msg, void *arg)
{
    (void)arg;
    size_t n = strlen(g_warned);
    if (lv == BK_LOG_WARN)
        snprintf(g_warned + n, sizeof g_warned - n, "%s\n", msg);
}

/* A method whose handler is NULL is not served (its calls get -32601): _serve says so, once,
 * in the log, and says nothing of the others. No broker: serving only registers. */
static void serve_warns_of_a_method_without_handler(void **state)
{
    (void)state;
    bk_worker *w;
    static const char *const hosts[] = {"127.0.0.1:9"};
    bk_worker_opts o = {.client = {.hosts = hosts, .nhosts = 1, .bus_id = "test"},
                        .status_interval_ms = -1};
    assert_int_equal(bk_worker_new(&w, &o), 0);
    names_own_handlers h = names_own_impl;
    h.none = NULL;
    bk_log_set_sink(keep_warnings, NULL);
    assert_int_equal(names_own_serve(w, &h, NULL), 0);
    bk_log_set_sink(NULL, NULL);
    bk_worker_free(w);
    assert_string_equal(g_warned, "names.own.none: no handler in names_own_handlers: calls get "
                                  "-32601 (method not found)\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(message_round_trips, setup, teardown),
        cmocka_unit_test_setup_teardown(defaults_and_optionals_apply, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_values_name_their_path, setup, teardown),
        cmocka_unit_test_setup_teardown(every_default_of_everything_applies, setup, teardown),
        cmocka_unit_test_setup_teardown(nested_and_recursive_structs_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(the_token_decoder_refuses_repeats_and_nul, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_tolerant_decoder_skips_what_is_newer, setup, teardown),
        cmocka_unit_test_setup_teardown(enums_convert_both_ways, setup, teardown),
        cmocka_unit_test(skeleton_fills_every_handler),
        cmocka_unit_test(serve_warns_of_a_method_without_handler),
        cmocka_unit_test_setup_teardown(a_namespace_split_over_two_files_works, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
