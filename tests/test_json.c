/* JSON without a tree (beekeeper/json.h): the tokenizer's rules with the offset of every
 * refusal, its limits, the readers (strings in place, exact numbers, keys), the jansson tree
 * from tokens, and the writer (commas, escaping, UTF-8 refusal, numbers, ownership). */
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "beekeeper/arena.h"
#include "beekeeper/error.h"
#include "beekeeper/json.h"

static bk_arena *arena;
static char text[1 << 18];
static bk_json_doc doc;
static bk_json_error err;

static int setup(void **state)
{
    (void)state;
    return bk_arena_new(&arena);
}

static int teardown(void **state)
{
    (void)state;
    bk_arena_free(arena);
    return 0;
}

/* Tokenizes a copy of s[0..n) (in the static text buffer, as a request's own copy). */
static int parse_lim(const char *s, size_t n, const bk_json_limits *lim)
{
    assert_true(n <= sizeof text);
    memcpy(text, s, n);
    return bk_json_parse(&doc, arena, text, n, lim, &err);
}

static int parse(const char *s, size_t n)
{
    return parse_lim(s, n, NULL);
}

#define PARSE(lit) parse((lit), sizeof(lit) - 1)

/* lit must be refused with code, at byte offset, with msg. */
static void refused(const char *s, size_t n, int code, size_t offset, const char *msg)
{
    int rc = parse(s, n);
    if (rc != code || err.offset != offset || strcmp(err.msg, msg) != 0)
        print_error("input \"%.*s\": got %d at %zu \"%s\"\n", (int)n, s, rc, err.offset, err.msg);
    assert_int_equal(rc, code);
    assert_int_equal(err.code, code);
    assert_int_equal(err.offset, offset);
    assert_string_equal(err.msg, msg);
    assert_int_equal(doc.ntok, 0);
}

#define BAD(lit, off, msg) refused((lit), sizeof(lit) - 1, BK_ESYNTAX, (off), (msg))

static void scalars_at_the_top(void **state)
{
    (void)state;
    assert_int_equal(PARSE(" \"abc\" "), 0);
    assert_int_equal(doc.ntok, 1);
    assert_int_equal(doc.tok[0].type, BK_JSON_STRING);
    assert_int_equal(doc.tok[0].start, 2);
    assert_int_equal(doc.tok[0].len, 3);
    assert_int_equal(doc.tok[0].next, 1);
    assert_int_equal(PARSE("-12"), 0);
    assert_int_equal(doc.tok[0].type, BK_JSON_NUMBER);
    assert_int_equal(doc.tok[0].flags, BK_JSON_INTEGER);
    assert_int_equal(doc.tok[0].len, 3);
    assert_int_equal(PARSE("\t1.5e3\r\n"), 0);
    assert_int_equal(doc.tok[0].flags, 0);
    assert_int_equal(doc.tok[0].start, 1);
    assert_int_equal(doc.tok[0].len, 5);
    assert_int_equal(PARSE("true"), 0);
    assert_int_equal(doc.tok[0].type, BK_JSON_TRUE);
    assert_int_equal(PARSE("false"), 0);
    assert_int_equal(doc.tok[0].type, BK_JSON_FALSE);
    assert_int_equal(PARSE("null"), 0);
    assert_int_equal(doc.tok[0].type, BK_JSON_NULL);
}

static void containers_count_and_skip(void **state)
{
    (void)state;
    const char *s = "{\"a\": [1, [2, 3], {}], \"b\": {\"c\": null}, \"d\": []}";
    assert_int_equal(parse(s, strlen(s)), 0);
    /* 0 obj, 1 "a", 2 arr, 3 1, 4 arr, 5 2, 6 3, 7 {}, 8 "b", 9 obj, 10 "c", 11 null,
     * 12 "d", 13 [] */
    assert_int_equal(doc.ntok, 14);
    const bk_json_tok *t = doc.tok;
    assert_int_equal(t[0].type, BK_JSON_OBJECT);
    assert_int_equal(t[0].count, 3);
    assert_int_equal(t[0].next, 14);
    assert_int_equal(t[0].start, 0);
    assert_int_equal(t[0].len, strlen(s));
    assert_int_equal(t[2].type, BK_JSON_ARRAY);
    assert_int_equal(t[2].count, 3);
    assert_int_equal(t[2].next, 8);
    assert_int_equal(t[2].len, strlen("[1, [2, 3], {}]"));
    assert_int_equal(t[4].count, 2);
    assert_int_equal(t[4].next, 7);
    assert_int_equal(t[7].type, BK_JSON_OBJECT);
    assert_int_equal(t[7].count, 0);
    assert_int_equal(t[7].next, 8);
    assert_int_equal(t[9].count, 1);
    assert_int_equal(t[9].next, 12);
    assert_int_equal(t[13].count, 0);
    /* walking the members by `next` */
    const char *keys[] = {"a", "b", "d"};
    uint32_t k = 1;
    for (int m = 0; m < 3; m++) {
        assert_true(bk_json_key_eq(&doc, k, keys[m], 1));
        k = doc.tok[k + 1].next;
    }
    assert_int_equal(k, 14);
}

static void structure_errors_say_where(void **state)
{
    (void)state;
    BAD("", 0, "unexpected end of input");
    BAD("  \n", 3, "unexpected end of input");
    BAD("[1,]", 3, "expected a value");
    BAD("[1,", 3, "unexpected end of input");
    BAD("[,1]", 1, "expected a value");
    BAD("{\"a\":1,}", 7, "expected a string key");
    BAD("{a:1}", 1, "expected a string key");
    BAD("{\"a\" 1}", 5, "expected ':' after an object key");
    BAD("{\"a\"", 4, "expected ':' after an object key");
    BAD("{\"a\":1 \"b\":2}", 7, "expected ',' or '}'");
    BAD("[1 2]", 3, "expected ',' or ']'");
    BAD("[1}", 2, "expected ',' or ']'");
    BAD("{\"a\":1]", 6, "expected ',' or '}'");
    BAD("1 2", 2, "unexpected data after the value");
    BAD("{}}", 2, "unexpected data after the value");
    BAD("[1]\0", 3, "unexpected data after the value");
    BAD("\xEF\xBB\xBF{}", 0, "expected a value");
    BAD("'a'", 0, "expected a value");
    BAD("tru", 0, "invalid literal");
    BAD("[nul]", 1, "invalid literal");
    BAD("truex", 4, "unexpected data after the value");
    BAD("NaN", 0, "expected a value");
    BAD("[Infinity]", 1, "expected a value");
}

/* jansson 2.14 reads "79\0" as 79 and "[1\0]" as [1] (its lexer loses a NUL byte it puts
 * back after a number or a literal); RFC 8259 has no NUL outside strings. Found by
 * fuzz_json, the one difference it allows. */
static void nul_after_a_number_is_refused_unlike_jansson(void **state)
{
    (void)state;
    BAD("79\0", 2, "unexpected data after the value");
    BAD("[1\0]", 2, "expected ',' or ']'");
    BAD("[true\0]", 5, "expected ',' or ']'");
    BAD("{\"a\":null\0}", 9, "expected ',' or '}'");
}

static void numbers_follow_the_grammar(void **state)
{
    (void)state;
    BAD("01", 0, "leading zero in a number");
    BAD("[-00]", 1, "leading zero in a number");
    BAD("-", 0, "invalid number");
    BAD("-a", 0, "invalid number");
    BAD("+1", 0, "expected a value");
    BAD(".5", 0, "expected a value");
    BAD("[1.]", 1, "invalid number");
    BAD("1.e5", 0, "invalid number");
    BAD("1e", 0, "invalid number");
    BAD("[2e+]", 1, "invalid number");
    BAD("0x10", 1, "unexpected data after the value");
    BAD("9223372036854775808", 0, "integer out of range");
    BAD("[-9223372036854775809]", 1, "integer out of range");
    BAD("12345678901234567890", 0, "integer out of range");
    BAD("1.8e308", 0, "number out of range");
    BAD("[-1e400]", 1, "number out of range");
    BAD("1e99999999999999999999", 0, "number out of range");
    assert_int_equal(PARSE("9223372036854775807"), 0);
    assert_int_equal(PARSE("-9223372036854775808"), 0);
    assert_int_equal(PARSE("1.7976931348623157e308"), 0);
    assert_int_equal(PARSE("0.00001e312"), 0);
    assert_int_equal(PARSE("1e-99999999999"), 0);
    assert_int_equal(PARSE("-0"), 0);
    assert_int_equal(PARSE("0E+0"), 0);
}

static void strings_are_checked(void **state)
{
    (void)state;
    BAD("\"abc", 0, "unterminated string");
    BAD("[\"abc\\\"]", 1, "unterminated string");
    BAD("\"a\\", 2, "unterminated string");
    BAD("\"a\x01\"", 2, "control character in a string");
    BAD("\"a\nb\"", 2, "control character in a string");
    BAD("\"a\0b\"", 2, "control character in a string");
    BAD("\"\\x\"", 1, "invalid escape");
    BAD("\"\\U0041\"", 1, "invalid escape");
    BAD("\"\\u12G4\"", 1, "invalid \\u escape");
    BAD("\"\\u12\"", 1, "invalid \\u escape");
    BAD("\"\\uD800\"", 1, "unpaired surrogate in a \\u escape");
    BAD("\"\\uDC00\\uD800\"", 1, "unpaired surrogate in a \\u escape");
    BAD("\"\\uD800\\u0041\"", 1, "unpaired surrogate in a \\u escape");
    BAD("\"\\uDBFF\\uE000\"", 1, "unpaired surrogate in a \\u escape");
    BAD("\"\\uD800\\uZZZZ\"", 7, "invalid \\u escape");
    BAD("{\"a\\u0000\":1}", 3, "NUL byte in an object key");
    assert_int_equal(PARSE("\"\\uD83D\\uDE00 \\u0000 \\/\""), 0);
    assert_int_equal(doc.tok[0].flags, BK_JSON_ESCAPED | BK_JSON_NUL);
    assert_int_equal(PARSE("\"\x7f\""), 0); /* DEL is not a control character here */
}

static void utf8_is_checked_everywhere(void **state)
{
    (void)state;
    BAD("\"\x80\"", 1, "invalid UTF-8");            /* stray continuation */
    BAD("\"\xC0\x80\"", 1, "invalid UTF-8");        /* overlong NUL */
    BAD("\"\xC1\xBF\"", 1, "invalid UTF-8");        /* overlong */
    BAD("\"\xE0\x80\x80\"", 1, "invalid UTF-8");    /* overlong 3 bytes */
    BAD("\"\xF0\x80\x80\x80\"", 1, "invalid UTF-8"); /* overlong 4 bytes */
    BAD("\"\xED\xA0\x80\"", 1, "invalid UTF-8");    /* U+D800 */
    BAD("\"\xED\xBF\xBF\"", 1, "invalid UTF-8");    /* U+DFFF */
    BAD("\"\xF4\x90\x80\x80\"", 1, "invalid UTF-8"); /* U+110000 */
    BAD("\"\xF5\x80\x80\x80\"", 1, "invalid UTF-8");
    BAD("\"\xFF\"", 1, "invalid UTF-8");
    BAD("\"\xE2\x82\"", 1, "invalid UTF-8");        /* cut short by the quote */
    BAD("\"ab\xE2\x82", 3, "invalid UTF-8");        /* cut short by the end */
    BAD("\"\xC3\"", 1, "invalid UTF-8");
    BAD("[\xC3\xA9]", 1, "expected a value");
    /* in the middle of long runs, where the scan goes a word at a time */
    char s[80];
    for (size_t at = 1; at < 70; at += 3) {
        memset(s, 'a', sizeof s);
        s[0] = '"';
        s[at] = (char)0xC0;
        s[at + 1] = (char)0x80;
        s[sizeof s - 1] = '"';
        refused(s, sizeof s, BK_ESYNTAX, at, "invalid UTF-8");
        s[at] = '\t';
        refused(s, sizeof s, BK_ESYNTAX, at, "control character in a string");
        s[at] = '\xE2', s[at + 1] = '\x82', s[at + 2] = '\xAC';
        assert_int_equal(parse(s, sizeof s), 0);
        assert_int_equal(doc.tok[0].len, sizeof s - 2);
    }
    assert_int_equal(PARSE("\"\xC2\x80 \xDF\xBF \xE0\xA0\x80 \xED\x9F\xBF \xEE\x80\x80 "
                           "\xF0\x90\x80\x80 \xF4\x8F\xBF\xBF\""), 0);
}

static void limits_are_the_callers(void **state)
{
    (void)state;
    static char deep[2 * 2049 + 1];
    bk_json_limits lim = {.max_depth = 2};
    assert_int_equal(parse_lim("[[]]", 4, &lim), 0);
    assert_int_equal(parse_lim("[[1]]", 5, &lim), BK_ELIMIT);
    assert_int_equal(err.offset, 2);
    assert_string_equal(err.msg, "nesting too deep");
    assert_int_equal(parse_lim("{\"a\":{\"b\":1}}", 13, &lim), BK_ELIMIT);
    /* the default is jansson's: 2048 levels, a scalar counting as one */
    for (size_t n = 2047; n <= 2049; n++) {
        memset(deep, '[', n); /* n empty lists, one in the other */
        memset(deep + n, ']', n);
        assert_int_equal(parse(deep, 2 * n), n <= 2048 ? 0 : BK_ELIMIT);
        deep[n] = '1'; /* n lists around a scalar: one level more */
        memset(deep + n + 1, ']', n);
        assert_int_equal(parse(deep, 2 * n + 1), n <= 2047 ? 0 : BK_ELIMIT);
    }
    lim = (bk_json_limits){.max_tokens = 3};
    assert_int_equal(parse_lim("[1,2]", 5, &lim), 0);
    assert_int_equal(parse_lim("[1,2,3]", 7, &lim), BK_ELIMIT);
    assert_int_equal(err.offset, 5);
    assert_string_equal(err.msg, "too many values");
    lim = (bk_json_limits){.max_bytes = 4};
    assert_int_equal(parse_lim("[1,2]", 5, &lim), BK_ELIMIT);
    assert_int_equal(err.offset, 4);
    assert_string_equal(err.msg, "input too large");
    assert_int_equal(bk_json_parse(&doc, NULL, text, 1, NULL, &err), BK_EINVAL);
    assert_int_equal(bk_json_parse(&doc, arena, NULL, 1, NULL, NULL), BK_EINVAL);
    assert_int_equal(bk_json_parse(&doc, arena, NULL, 0, NULL, &err), BK_ESYNTAX);
}

static void many_tokens_grow_in_the_arena(void **state)
{
    (void)state;
    size_t n = 0;
    text[n++] = '[';
    for (int i = 0; i < 10000; i++)
        n += (size_t)sprintf(text + n, "%s{\"k\":%d}", i ? "," : "", i);
    text[n++] = ']';
    assert_int_equal(bk_json_parse(&doc, arena, text, n, NULL, &err), 0);
    assert_int_equal(doc.ntok, 1 + 3 * 10000);
    assert_int_equal(doc.tok[0].count, 10000);
    uint32_t it = 1;
    for (int i = 0; i < 10000; i++) {
        int64_t v;
        assert_int_equal(bk_json_int64(&doc, it + 2, &v), 0);
        assert_int_equal(v, i);
        it = doc.tok[it].next;
    }
    assert_int_equal(it, doc.ntok);
}

static void strings_are_read_in_place(void **state)
{
    (void)state;
    const char *s;
    size_t len;
    assert_int_equal(PARSE("[\"plain\", \"a\\n\\u00e9\\ud83d\\ude00\\/\\\"\\\\x\", "
                           "\"n\\u0000l\"]"), 0);
    assert_int_equal(bk_json_string(&doc, 1, &s, &len), 0);
    assert_ptr_equal(s, text + 2); /* borrowed, the closing quote now a NUL */
    assert_string_equal(s, "plain");
    assert_int_equal(len, 5);
    assert_int_equal(bk_json_string(&doc, 2, &s, &len), 0);
    assert_ptr_equal(s, text + doc.tok[2].start);
    assert_string_equal(s, "a\n\xC3\xA9\xF0\x9F\x98\x80/\"\\x");
    assert_int_equal(len, strlen(s));
    assert_int_equal(doc.tok[2].len, len);
    assert_int_equal(doc.tok[2].flags & BK_JSON_ESCAPED, 0);
    assert_int_equal(bk_json_string(&doc, 2, &s, &len), 0); /* a second read: the same */
    assert_string_equal(s, "a\n\xC3\xA9\xF0\x9F\x98\x80/\"\\x");
    assert_int_equal(bk_json_string(&doc, 3, &s, &len), 1); /* holds a NUL: said so */
    assert_int_equal(len, 3);
    assert_memory_equal(s, "n\0l", 3);
    assert_int_equal(bk_json_string(&doc, 0, &s, &len), BK_EINVAL);
    assert_int_equal(bk_json_string(&doc, 4, &s, NULL), BK_EINVAL);
}

static void numbers_are_read_exactly(void **state)
{
    (void)state;
    static const char *reals[] = {"0.1", "-0.0", "1e-5", "123.456e-7", "5e-324",
                                  "1.7976931348623157e308", "2.2250738585072011e-308",
                                  "9007199254740993", "0.30000000000000004",
                                  ("1.00000000000000000000000000000000000000000000000000000000"
                                   "0000000000000001"), "3.14159265358979323846", "1E22", "1e23"};
    for (size_t i = 0; i < sizeof reals / sizeof *reals; i++) {
        double v;
        assert_int_equal(parse(reals[i], strlen(reals[i])), 0);
        assert_int_equal(bk_json_double(&doc, 0, &v), 0);
        double want = strtod(reals[i], NULL);
        assert_memory_equal(&v, &want, sizeof v);
    }
    int64_t n;
    double v;
    bool b;
    assert_int_equal(PARSE("[-9223372036854775808, 9223372036854775807, -0, 1.0, \"1\", true]"), 0);
    assert_int_equal(bk_json_int64(&doc, 1, &n), 0);
    assert_true(n == INT64_MIN);
    assert_int_equal(bk_json_int64(&doc, 2, &n), 0);
    assert_true(n == INT64_MAX);
    assert_int_equal(bk_json_int64(&doc, 3, &n), 0);
    assert_true(n == 0);
    assert_int_equal(bk_json_int64(&doc, 4, &n), BK_EINVAL);
    assert_string_equal(bk_json_tok_kind(&doc, 4), "double");
    assert_int_equal(bk_json_double(&doc, 4, &v), 0);
    assert_true(v == 1.0);
    assert_int_equal(bk_json_double(&doc, 2, &v), 0);
    assert_true(v == 9223372036854775807.0);
    assert_int_equal(bk_json_int64(&doc, 5, &n), BK_EINVAL);
    assert_int_equal(bk_json_double(&doc, 5, &v), BK_EINVAL);
    assert_int_equal(bk_json_bool(&doc, 6, &b), 0);
    assert_true(b);
    assert_int_equal(bk_json_bool(&doc, 5, &b), BK_EINVAL);
    assert_false(bk_json_is_null(&doc, 6));
    assert_false(bk_json_is_null(&doc, 99));
}

static void kinds_are_named_as_the_decoder_names_them(void **state)
{
    (void)state;
    assert_int_equal(PARSE("[{}, [], \"s\", 1, 1.5, true, false, null]"), 0);
    const char *want[] = {"list", "object", "list", "string", "int", "double", "bool", "bool",
                          "null"};
    for (uint32_t i = 0; i < 9; i++)
        assert_string_equal(bk_json_tok_kind(&doc, i), want[i]);
    assert_true(bk_json_is_null(&doc, 8));
}

static void keys_are_found_by_name(void **state)
{
    (void)state;
    static const bk_json_name fields[] = {BK_JSON_NAME("from"), BK_JSON_NAME("text"),
                                          BK_JSON_NAME("ts"), BK_JSON_NAME("t"),
                                          BK_JSON_NAME("")};
    assert_int_equal(PARSE("{\"ts\":1,\"\\u0066rom\":2,\"t\":3,\"tex\":4,\"\":5,\"texts\":6}"), 0);
    int want[] = {2, 0, 3, -1, 4, -1};
    uint32_t k = 1;
    for (int m = 0; m < 6; m++) {
        assert_int_equal(bk_json_key_find(&doc, k, fields, 5), want[m]);
        k = doc.tok[k + 1].next;
    }
    assert_true(bk_json_key_eq(&doc, 3, "from", 4));
    assert_false(bk_json_key_eq(&doc, 3, "fro", 3));
    assert_false(bk_json_key_eq(&doc, 2, "1", 1)); /* a number is no key */
    assert_int_equal(bk_json_key_find(&doc, 0, fields, 5), -1);
}

static void trees_match_jansson(void **state)
{
    (void)state;
    const char *s = "{\"a\":[1,-2.5e-3,\"x\\u00e9\",true,false,null,{}],\"b\":{\"c\":[]},"
                    "\"\\u0064\":9223372036854775807}";
    json_t *got, *want = json_loads(s, 0, NULL);
    assert_int_equal(parse(s, strlen(s)), 0);
    assert_int_equal(bk_json_to_jansson(&doc, 0, 0, &got, &err), 0);
    assert_true(json_equal(got, want));
    json_decref(got);
    /* a subtree */
    assert_int_equal(bk_json_to_jansson(&doc, 2, 0, &got, NULL), 0);
    assert_true(json_equal(got, json_object_get(want, "a")));
    json_decref(got);
    json_decref(want);
    assert_int_equal(bk_json_to_jansson(&doc, doc.ntok, 0, &got, &err), BK_EINVAL);
    assert_null(got);

    /* duplicates: the last wins, as in jansson, unless refused */
    assert_int_equal(PARSE("{\"a\":1, \"b\":[], \"\\u0061\":2}"), 0);
    assert_int_equal(bk_json_to_jansson(&doc, 0, 0, &got, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(got, "a")), 2);
    json_decref(got);
    assert_int_equal(bk_json_to_jansson(&doc, 0, BK_JSON_NO_DUPLICATES, &got, &err), BK_ESYNTAX);
    assert_null(got);
    assert_int_equal(err.offset, 16);
    assert_string_equal(err.msg, "duplicate object key");

    assert_int_equal(PARSE("[\"ok\", \"a\\u0000b\"]"), 0);
    assert_int_equal(bk_json_to_jansson(&doc, 0, BK_JSON_NO_NUL, &got, &err), BK_ESYNTAX);
    assert_int_equal(err.offset, 7);
    assert_string_equal(err.msg, "string holds a NUL byte");
    assert_int_equal(bk_json_to_jansson(&doc, 0, 0, &got, &err), 0);
    assert_int_equal(json_string_length(json_array_get(got, 1)), 3);
    json_decref(got);
}

static void duplicate_keys_are_found(void **state)
{
    (void)state;
    uint32_t dup;
    assert_int_equal(PARSE("{\"a\":1,\"b\":{\"a\":2},\"c\":3}"), 0);
    assert_int_equal(bk_json_dup_key(&doc, 0, arena, &dup), 0);
    assert_int_equal(dup, 0);
    assert_int_equal(bk_json_dup_key(&doc, 2, arena, &dup), BK_EINVAL);
    assert_int_equal(PARSE("{\"ab\":1,\"b\":2,\"\\u0061b\":3}"), 0);
    assert_int_equal(bk_json_dup_key(&doc, 0, arena, &dup), 0);
    assert_int_equal(dup, 5);
    /* past 8 members, through the table */
    size_t n = 0;
    text[n++] = '{';
    for (int i = 0; i < 40; i++)
        n += (size_t)sprintf(text + n, "%s\"k%d\":%d", i ? "," : "", i, i);
    memcpy(text + n, "}", 2);
    assert_int_equal(bk_json_parse(&doc, arena, text, n + 1, NULL, &err), 0);
    assert_int_equal(bk_json_dup_key(&doc, 0, arena, &dup), 0);
    assert_int_equal(dup, 0);
    memcpy(text + n, ",\"\\u006b17\":0}", 15);
    assert_int_equal(bk_json_parse(&doc, arena, text, n + 14, NULL, &err), 0);
    assert_int_equal(bk_json_dup_key(&doc, 0, arena, &dup), 0);
    assert_int_equal(dup, 81);
    assert_true(bk_json_key_eq(&doc, dup, "k17", 3));
}

/* The writer's output, which must be want exactly. */
static void wrote(bk_jw *w, const char *want)
{
    const char *out;
    size_t n;
    assert_int_equal(bk_jw_finish(w, &out, &n), 0);
    assert_int_equal(n, strlen(want));
    assert_string_equal(out, want);
}

static void writer_puts_commas_and_colons(void **state)
{
    (void)state;
    bk_jw w;
    bk_jw_init(&w, NULL, 0);
    bk_jw_begin_object(&w);
    bk_jw_key(&w, "a");
    bk_jw_int(&w, 1);
    bk_jw_keyn(&w, "bc", 2);
    bk_jw_begin_array(&w);
    bk_jw_bool(&w, true);
    bk_jw_bool(&w, false);
    bk_jw_null(&w);
    bk_jw_begin_object(&w);
    bk_jw_end_object(&w);
    bk_jw_begin_array(&w);
    bk_jw_end_array(&w);
    bk_jw_raw(&w, "{\"r\":[1]}", 9);
    bk_jw_end_array(&w);
    bk_jw_key(&w, "s");
    bk_jw_string(&w, "x");
    bk_jw_end_object(&w);
    wrote(&w, "{\"a\":1,\"bc\":[true,false,null,{},[],{\"r\":[1]}],\"s\":\"x\"}");
    bk_jw_reset(&w);
    bk_jw_int(&w, -7);
    wrote(&w, "-7");
    bk_jw_free(&w);
}

static void writer_escapes_and_copies(void **state)
{
    (void)state;
    bk_jw w;
    bk_jw_init(&w, NULL, 0);
    bk_jw_stringn(&w, "\"\\/\b\f\n\r\t\x01\x1f\x7f\0 \xC3\xA9\xF0\x9F\x98\x80", 19);
    wrote(&w, "\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\\u0000 \xC3\xA9\xF0\x9F\x98\x80\"");
    /* escapes at every place in and around the word-sized steps, read back */
    char s[100], *back;
    for (size_t at = 0; at < 40; at++) {
        memset(s, 'q', sizeof s);
        s[at] = '"';
        s[at + 7] = '\n';
        s[at + 9] = (char)0xC3, s[at + 10] = (char)0xA9;
        bk_jw_reset(&w);
        bk_jw_stringn(&w, s, sizeof s);
        const char *out;
        size_t n;
        assert_int_equal(bk_jw_finish(&w, &out, &n), 0);
        assert_int_equal(n, sizeof s + 2 + 2); /* quotes, two escapes */
        back = text;
        memcpy(back, out, n);
        assert_int_equal(bk_json_parse(&doc, arena, back, n, NULL, &err), 0);
        const char *got;
        size_t len;
        assert_int_equal(bk_json_string(&doc, 0, &got, &len), 0);
        assert_int_equal(len, sizeof s);
        assert_memory_equal(got, s, sizeof s);
    }
    bk_jw_free(&w);
}

static void writer_refuses_invalid_utf8(void **state)
{
    (void)state;
    static const char *bad[] = {"\x80", "\xC0\x80", "\xE0\x80\x80", "\xED\xA0\x80",
                                "\xF4\x90\x80\x80", "\xF8\x88\x80\x80\x80", "ab\xE2\x82",
                                "0123456789abcdef\xFF"};
    bk_jw w;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *out;
        size_t n;
        bk_jw_init(&w, NULL, 0);
        bk_jw_begin_array(&w);
        bk_jw_string(&w, bad[i]);
        size_t len = w.len;
        bk_jw_int(&w, 1); /* sticky: nothing more is written */
        bk_jw_end_array(&w);
        assert_int_equal(w.len, len);
        assert_int_equal(bk_jw_finish(&w, &out, &n), BK_EINVAL);
        bk_jw_free(&w);
    }
    bk_jw_init(&w, NULL, 0);
    bk_jw_string(&w, NULL);
    assert_int_equal(w.err, BK_EINVAL);
    bk_jw_free(&w);
}

static void writer_numbers_read_back(void **state)
{
    (void)state;
    static const struct { double v; const char *s; } fixed[] = {
        {0.1, "0.1"}, {1.0, "1.0"}, {-0.0, "-0.0"}, {0.0, "0.0"}, {1e20, "1e20"},
        {123456.789, "123456.789"}, {-2.5e-3, "-0.0025"}, {1.5e-6, "0.0000015"},
        {3.0e-7, "3e-7"}, {0.30000000000000004, "0.30000000000000004"}, {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e308"}, {-1.25e-300, "-1.25e-300"},
        {9007199254740991.0, "9007199254740991.0"}, {1e16, "10000000000000000.0"},
        {1e17, "1e17"}, {123e18, "1.23e20"}, {2.5e100, "2.5e100"}};
    bk_jw w;
    bk_jw_init(&w, NULL, 0);
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        bk_jw_reset(&w);
        bk_jw_double(&w, fixed[i].v);
        wrote(&w, fixed[i].s);
    }
    /* random bit patterns: each reads back as the same double */
    uint64_t x = 88172645463325252u;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double v;
        memcpy(&v, &x, sizeof v);
        if (i % 2)
            v = (double)(x % 1000000) / 1000.0;
        if (!isfinite(v))
            continue;
        const char *out;
        size_t n;
        bk_jw_reset(&w);
        bk_jw_double(&w, v);
        assert_int_equal(bk_jw_finish(&w, &out, &n), 0);
        assert_true(strchr(out, '.') || strchr(out, 'e'));
        double back = strtod(out, NULL);
        assert_memory_equal(&back, &v, sizeof v);
    }
    static const int64_t ints[] = {0, -1, 7, INT64_MAX, INT64_MIN};
    static const char *ints_s[] = {"0", "-1", "7", "9223372036854775807", "-9223372036854775808"};
    for (size_t i = 0; i < 5; i++) {
        bk_jw_reset(&w);
        bk_jw_int(&w, ints[i]);
        wrote(&w, ints_s[i]);
    }
    bk_jw_reset(&w);
    bk_jw_double(&w, NAN);
    assert_int_equal(w.err, BK_EINVAL);
    bk_jw_reset(&w);
    bk_jw_double(&w, -INFINITY);
    assert_int_equal(w.err, BK_EINVAL);
    bk_jw_free(&w);
}

static void numbers_ignore_the_locale(void **state)
{
    (void)state;
    if (!setlocale(LC_NUMERIC, "de_DE.UTF-8") && !setlocale(LC_NUMERIC, "fr_FR.UTF-8")) {
        skip();
        return;
    }
    bk_jw w;
    bk_jw_init(&w, NULL, 0);
    bk_jw_double(&w, 0.30000000000000004);
    wrote(&w, "0.30000000000000004");
    double v;
    assert_int_equal(PARSE("2.2250738585072011e-308"), 0);
    assert_int_equal(bk_json_double(&doc, 0, &v), 0);
    setlocale(LC_NUMERIC, "C");
    assert_true(v == strtod("2.2250738585072011e-308", NULL));
    bk_jw_free(&w);
}

static void writer_base64_raw_and_jansson(void **state)
{
    (void)state;
    static const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *out[] = {"\"\"", "\"Zg==\"", "\"Zm8=\"", "\"Zm9v\"", "\"Zm9vYg==\"",
                                "\"Zm9vYmE=\"", "\"Zm9vYmFy\""};
    bk_jw w;
    bk_jw_init(&w, NULL, 0);
    for (size_t i = 0; i < 7; i++) {
        bk_jw_reset(&w);
        bk_jw_base64(&w, in[i], strlen(in[i]));
        wrote(&w, out[i]);
    }
    bk_jw_reset(&w);
    bk_jw_base64(&w, NULL, 0);
    wrote(&w, "\"\"");
    /* a jansson value bigger than the buffer: dumped twice, the second time in room */
    json_t *j = json_pack("{s:[s,i,f,b,n]}", "k", "v", 3, 0.5, 1);
    json_t *big = json_array();
    for (int i = 0; i < 200; i++)
        json_array_append(big, j);
    bk_jw_reset(&w);
    bk_jw_begin_array(&w);
    bk_jw_jansson(&w, j);
    bk_jw_jansson(&w, NULL);
    bk_jw_jansson(&w, big);
    bk_jw_end_array(&w);
    const char *o;
    size_t n;
    assert_int_equal(bk_jw_finish(&w, &o, &n), 0);
    assert_memory_equal(o, "[{\"k\":[\"v\",3,0.5,true,null]},null,[{", 36);
    json_t *back = json_loadb(o, n, 0, NULL);
    assert_true(json_equal(json_array_get(back, 2), big));
    json_decref(back);
    json_decref(big);
    json_decref(j);
    bk_jw_free(&w);
}

static void writer_refuses_misuse(void **state)
{
    (void)state;
    const char *o;
    size_t n;
    bk_jw w;
#define MISUSE(calls, code)                                                                   \
    do {                                                                                      \
        bk_jw_init(&w, NULL, 0);                                                              \
        calls;                                                                                \
        assert_int_equal(bk_jw_finish(&w, &o, &n), code);                                     \
        bk_jw_free(&w);                                                                       \
    } while (0)
    MISUSE((void)0, BK_EINVAL);                                            /* nothing */
    MISUSE(bk_jw_key(&w, "a"), BK_EINVAL);                                 /* key at the top */
    MISUSE((bk_jw_begin_array(&w), bk_jw_key(&w, "a")), BK_EINVAL);        /* key in a list */
    MISUSE((bk_jw_begin_object(&w), bk_jw_int(&w, 1)), BK_EINVAL);         /* value, no key */
    MISUSE((bk_jw_begin_object(&w), bk_jw_key(&w, "a"), bk_jw_key(&w, "b")), BK_EINVAL);
    MISUSE((bk_jw_begin_object(&w), bk_jw_key(&w, "a"), bk_jw_end_object(&w)), BK_EINVAL);
    MISUSE((bk_jw_begin_object(&w), bk_jw_end_array(&w)), BK_EINVAL);      /* mismatched */
    MISUSE(bk_jw_end_array(&w), BK_EINVAL);                                /* nothing open */
    MISUSE(bk_jw_begin_array(&w), BK_EINVAL);                              /* left open */
    MISUSE((bk_jw_int(&w, 1), bk_jw_int(&w, 2)), BK_EINVAL);               /* two values */
    MISUSE(bk_jw_raw(&w, "", 0), BK_EINVAL);
    MISUSE(bk_jw_base64(&w, NULL, 3), BK_EINVAL);
    bk_jw_init(&w, NULL, 0);
    for (int i = 0; i < BK_JSON_MAX_DEPTH; i++)
        bk_jw_begin_array(&w);
    assert_int_equal(w.err, 0);
    bk_jw_begin_array(&w);
    assert_int_equal(w.err, BK_ELIMIT);
    bk_jw_free(&w);
}

static void writer_uses_the_callers_buffer_then_its_own(void **state)
{
    (void)state;
    char mine[16];
    const char *o;
    char *taken;
    size_t n;
    bk_jw w;
    bk_jw_init(&w, mine, sizeof mine);
    bk_jw_string(&w, "short");
    assert_int_equal(bk_jw_finish(&w, &o, &n), 0);
    assert_ptr_equal(o, mine);
    assert_int_equal(bk_jw_take(&w, &taken, &n), 0); /* a copy: the bytes were in mine */
    assert_true(taken != mine);
    assert_string_equal(taken, "\"short\"");
    free(taken);
    assert_null(w.buf);

    bk_jw_init(&w, mine, sizeof mine);
    bk_jw_string(&w, "longer than sixteen bytes");
    assert_int_equal(bk_jw_finish(&w, &o, &n), 0);
    assert_true(o != mine);
    assert_int_equal(bk_jw_take(&w, &taken, &n), 0); /* the writer's own: handed over */
    assert_ptr_equal(taken, o);
    assert_int_equal(n, 27);
    free(taken);
    bk_jw_free(&w);     /* nothing left to free */
    bk_jw_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scalars_at_the_top),
        cmocka_unit_test(containers_count_and_skip),
        cmocka_unit_test(structure_errors_say_where),
        cmocka_unit_test(numbers_follow_the_grammar),
        cmocka_unit_test(nul_after_a_number_is_refused_unlike_jansson),
        cmocka_unit_test(strings_are_checked),
        cmocka_unit_test(utf8_is_checked_everywhere),
        cmocka_unit_test(limits_are_the_callers),
        cmocka_unit_test(many_tokens_grow_in_the_arena),
        cmocka_unit_test(strings_are_read_in_place),
        cmocka_unit_test(numbers_are_read_exactly),
        cmocka_unit_test(kinds_are_named_as_the_decoder_names_them),
        cmocka_unit_test(keys_are_found_by_name),
        cmocka_unit_test(trees_match_jansson),
        cmocka_unit_test(duplicate_keys_are_found),
        cmocka_unit_test(writer_puts_commas_and_colons),
        cmocka_unit_test(writer_escapes_and_copies),
        cmocka_unit_test(writer_refuses_invalid_utf8),
        cmocka_unit_test(writer_numbers_read_back),
        cmocka_unit_test(numbers_ignore_the_locale),
        cmocka_unit_test(writer_base64_raw_and_jansson),
        cmocka_unit_test(writer_refuses_misuse),
        cmocka_unit_test(writer_uses_the_callers_buffer_then_its_own),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
