/* The relaxed-JSON loader: comments, trailing commas, and the line:column of every refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "beekeeper/error.h"
#include "config/rjson.h"

static char err[512];

/* Parses text[0..len) as "t.json" and returns the error code; *out as bkp_rjson_loads sets it. */
static int load(const char *text, size_t len, json_t **out)
{
    memset(err, 'Z', sizeof err);
    err[sizeof err - 1] = '\0';
    return bkp_rjson_loads(text, len, "t.json", out, err, sizeof err);
}

/* The relaxed text must give the same value as the strict JSON. */
static void same(const char *text, size_t len, const char *strict)
{
    json_t *got, *want = json_loads(strict, 0, NULL);
    assert_non_null(want);
    int rc = load(text, len, &got);
    if (rc != 0)
        print_error("unexpected error: %s\n", err);
    assert_int_equal(rc, 0);
    assert_non_null(got);
    assert_true(json_equal(got, want));
    json_decref(got);
    json_decref(want);
}

/* The text must be refused with an error that starts with "t.json:LINE:COL: " and contains
 * what (whole message when exact). */
static void refused(const char *text, size_t len, const char *where, const char *what,
                    int exact)
{
    json_t *got = (json_t *)&got; /* must be reset to NULL */
    int rc = load(text, len, &got);
    assert_int_equal(rc, BK_ESYNTAX);
    assert_null(got);
    char want[256];
    snprintf(want, sizeof want, "t.json:%s: %s", where, what);
    if (exact) {
        assert_string_equal(err, want);
    } else {
        size_t n = strlen("t.json:") + strlen(where) + 2;
        if (strncmp(err, want, n) != 0 || !strstr(err, what))
            print_error("got \"%s\", want \"%s...\"\n", err, want);
        assert_memory_equal(err, want, n);
        assert_non_null(strstr(err + n, what));
    }
}

#define SAME(lit, strict) same((lit), sizeof(lit) - 1, (strict))
#define REFUSED(lit, where, what) refused((lit), sizeof(lit) - 1, (where), (what), 0)
#define REFUSED_EXACTLY(lit, where, what) refused((lit), sizeof(lit) - 1, (where), (what), 1)

/* A temporary file holding n bytes of data; the caller unlinks it. */
static void write_file(char *path, size_t pathlen, const void *data, size_t n)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, pathlen, "%s/test_rjson.XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void parses_plain_json(void **state)
{
    (void)state;
    const char *s = "{\"a\": [1, 2.5, -3e2, true, false, null], \"b\": {\"c\": \"d\"}, \"e\": {}}";
    same(s, strlen(s), s);
    SAME("[]", "[]");
    SAME("  \n[\n]\n  ", "[]");
}

static void hash_comments_are_ignored(void **state)
{
    (void)state;
    SAME("# leading\n{ # after brace\n  \"a\": 1 # after value\n} # trailing", "{\"a\": 1}");
    SAME("[1,#x\n2]", "[1,2]");
}

static void slash_comments_are_ignored(void **state)
{
    (void)state;
    SAME("// leading\n{ // after brace\n  \"a\": 1 // after value\n} // no newline at end",
         "{\"a\": 1}");
    SAME("[1, // a // b # c /* d\n 2]", "[1, 2]");
}

static void block_comments_are_ignored(void **state)
{
    (void)state;
    SAME("/* leading */{/**/\"a\"/* between */:/* x */1/*\n many\n lines\n*/}/* end */",
         "{\"a\": 1}");
    SAME("[1/**/,/***/2/* ** / * */]", "[1,2]");
    SAME("[/* // and # inside */ 3]", "[3]");
    SAME("[1 /*/ still a comment */]", "[1]");
}

static void comment_markers_inside_strings_stay(void **state)
{
    (void)state;
    SAME("{\"u\": \"http://x\", // real\n \"h\": \"#notacomment\", # real\n"
         " \"b\": \"/*x*/\" /* real */, \"k//#/*\": \"*/\"}",
         "{\"u\": \"http://x\", \"h\": \"#notacomment\", \"b\": \"/*x*/\", \"k//#/*\": \"*/\"}");
}

static void escaped_quotes_do_not_end_strings(void **state)
{
    (void)state;
    json_t *v;
    const char *s = "[\"a\\\"//b\", \"c\\\\\" // comment\n, \"\\\"#\\\"\",]";
    assert_int_equal(load(s, strlen(s), &v), 0);
    assert_int_equal(json_array_size(v), 3);
    assert_string_equal(json_string_value(json_array_get(v, 0)), "a\"//b");
    assert_string_equal(json_string_value(json_array_get(v, 1)), "c\\");
    assert_string_equal(json_string_value(json_array_get(v, 2)), "\"#\"");
    json_decref(v);
    /* A comma inside a string before ']' is not a trailing comma. */
    SAME("[\"a,\", \",]\", \"\\\",\"]", "[\"a,\", \",]\", \"\\\",\"]");
}

static void trailing_commas_are_allowed(void **state)
{
    (void)state;
    SAME("[1, 2,]", "[1, 2]");
    SAME("{\"a\": 1, \"b\": 2,}", "{\"a\": 1, \"b\": 2}");
    SAME("{\"a\": [1, {\"b\": [],}, [[],],], \"c\": {\"d\": {},},}",
         "{\"a\": [1, {\"b\": []}, [[]]], \"c\": {\"d\": {}}}");
    SAME("[\n  1,\n  2,\t\r\n]", "[1, 2]");
    SAME("{\"a\": \"x\", // last one\n  /* really */ }", "{\"a\": \"x\"}");
}

static void lone_commas_are_refused(void **state)
{
    (void)state;
    REFUSED("[,]", "1:2", "unexpected token near ','");
    REFUSED("{,}", "1:2", "near ','");
    REFUSED("[ /* c */ , ]", "1:11", "near ','");
    REFUSED("{\"a\":,}", "1:6", "near ','");
    REFUSED("[1,,]", "1:4", "unexpected token near ','");
    REFUSED("{\"a\": 1,,}", "1:9", "near ','");
    REFUSED("[1,\n # c\n ,\n]", "3:2", "near ','");
}

static void unterminated_block_comment_is_refused(void **state)
{
    (void)state;
    REFUSED_EXACTLY("[1,\n  /* open\n 2]", "2:3", "unterminated /* comment");
    REFUSED_EXACTLY("[1] /*", "1:5", "unterminated /* comment");
    REFUSED_EXACTLY("[1] /*/", "1:5", "unterminated /* comment");
    /* In a string it is not a comment; after the string it is. */
    REFUSED_EXACTLY("[\"/*\"] /* \"", "1:8", "unterminated /* comment");
}

static void nul_bytes_are_refused(void **state)
{
    (void)state;
    REFUSED_EXACTLY("[1,\0 2]", "1:4", "NUL byte in the file");
    REFUSED_EXACTLY("[1,\n \"a\0b\"]", "2:4", "NUL byte in the file");
    REFUSED_EXACTLY("[1, # a\0b\n 2]", "1:8", "NUL byte in the file");
    REFUSED_EXACTLY("[1, /*\n\n x\0 */ 2]", "3:3", "NUL byte in the file");
    REFUSED_EXACTLY("[1]\0", "1:4", "NUL byte in the file");
}

static void invalid_json_is_refused_where_it_is(void **state)
{
    (void)state;
    REFUSED("{\"a\": 1, \"b\" 2}", "1:14", "':' expected");
    REFUSED("# one\n// two\n/* three\n */ {\"a\": tru}", "4:13", "invalid token near 'tru'");
    REFUSED("[1] x", "1:5", "end of file expected near 'x'");
    REFUSED("{\"a\": 1, \"a\": 2}", "1:12", "duplicate object key");
    REFUSED("{\"a\" 1}", "1:6", "':' expected");
    REFUSED("[\"abc", "1:5", "premature end of input");
    REFUSED("[\"a\n\"]", "1:3", "unexpected newline");
    REFUSED("[1, 2", "1:5", "']' expected near end of file");
}

/* Reported just after the value that the comma should follow, not at the next token. */
static void missing_comma_is_suggested(void **state)
{
    (void)state;
    REFUSED_EXACTLY("[1 2]", "1:3", "expected ',' or ']' after the value: is a comma missing?");
    REFUSED_EXACTLY("{\"a\": 1 \"b\": 2}", "1:8",
                    "expected ',' or '}' after the value: is a comma missing?");
    REFUSED_EXACTLY("{\n  \"a\": {} // c\n  /* d */\n  \"b c\": 1\n}", "2:10",
                    "expected ',' or '}' after the value: is a comma missing?");
    REFUSED("[\"x\" true]", "1:5", "is a comma missing?");
    REFUSED("[1 [2]]", "1:3", "is a comma missing?");
    REFUSED("[1 -2]", "1:3", "is a comma missing?");
    REFUSED("[\"\u00e9\" 2]", "1:5", "is a comma missing?");
}

static void empty_input_is_refused(void **state)
{
    (void)state;
    REFUSED("", "1:0", "'[' or '{' expected near end of file");
    REFUSED("  \n\n", "3:0", "'[' or '{' expected near end of file");
    REFUSED("# only\n/* comments */", "2:14", "'[' or '{' expected near end of file");
}

static void crlf_keeps_lines_and_columns(void **state)
{
    (void)state;
    SAME("{\r\n  \"a\": 1, // c\r\n  # d\r\n  \"b\": [2,],\r\n}\r\n", "{\"a\": 1, \"b\": [2]}");
    REFUSED("{\r\n  \"a\": 1, // c\r\n  /* d\r\n */ \"b\": x\r\n}\r\n", "4:10", "invalid token");
    REFUSED_EXACTLY("[\r\n1,\r\n\r\n /* x", "4:2", "unterminated /* comment");
}

static void utf8_is_kept_and_counted_by_character(void **state)
{
    (void)state;
    json_t *v;
    const char *s = "{\"k\u00e9\": \"\u00e9\u20ac\xf0\x9f\x98\x80 // #\", # \u00fcber\n}";
    assert_int_equal(load(s, strlen(s), &v), 0);
    assert_string_equal(json_string_value(json_object_get(v, "k\u00e9")),
                        "\u00e9\u20ac\xf0\x9f\x98\x80 // #");
    json_decref(v);
    /* Columns count characters, not bytes, in strings and in comments alike. */
    REFUSED("[\"\u00e9\u20ac\", x]", "1:8", "invalid token near 'x'");
    REFUSED("[/*\u00e9\u20ac*/ x]", "1:9", "invalid token near 'x'");
    REFUSED_EXACTLY("[\"\u00e9\", /* \u20ac", "1:7", "unterminated /* comment");
    REFUSED_EXACTLY("[\"\u00e9\",\0]", "1:6", "NUL byte in the file");
    assert_int_equal(load("[\"\xff\"]", 5, &v), BK_ESYNTAX);
    assert_non_null(strstr(err, "unable to decode byte 0xff"));
}

static void error_buffer_may_be_absent_or_small(void **state)
{
    (void)state;
    json_t *v;
    assert_int_equal(bkp_rjson_loads("[,]", 3, "t.json", &v, NULL, 0), BK_ESYNTAX);
    assert_null(v);
    char small[8];
    assert_int_equal(bkp_rjson_loads("[,]", 3, "t.json", &v, small, sizeof small), BK_ESYNTAX);
    assert_string_equal(small, "t.json:");
    assert_int_equal(bkp_rjson_loads("[1,]", 4, "t.json", &v, NULL, 0), 0);
    json_decref(v);
}

static void loadf_reads_a_file(void **state)
{
    (void)state;
    char path[256];
    const char text[] = "# config\n{\n  \"port\": 61613, // STOMP\n  \"hosts\": [\"a\", \"b\",],\n}\n";
    write_file(path, sizeof path, text, sizeof text - 1);
    json_t *v;
    int rc = bkp_rjson_loadf(path, &v, err, sizeof err);
    unlink(path);
    assert_int_equal(rc, 0);
    assert_int_equal(json_integer_value(json_object_get(v, "port")), 61613);
    assert_int_equal(json_array_size(json_object_get(v, "hosts")), 2);
    json_decref(v);
}

static void loadf_errors_name_the_file(void **state)
{
    (void)state;
    char path[256], want[300];
    const char text[] = "{\n  \"a\": 1,\n  \"b\" 2\n}\n";
    write_file(path, sizeof path, text, sizeof text - 1);
    json_t *v;
    int rc = bkp_rjson_loadf(path, &v, err, sizeof err);
    unlink(path);
    assert_int_equal(rc, BK_ESYNTAX);
    assert_null(v);
    snprintf(want, sizeof want, "%s:3:7: ", path);
    assert_memory_equal(err, want, strlen(want));
}

static void loadf_missing_file_is_not_found(void **state)
{
    (void)state;
    const char *path = "/nonexistent-dir/beekeeper.json";
    json_t *v = (json_t *)&v;
    assert_int_equal(bkp_rjson_loadf(path, &v, err, sizeof err), BK_ENOTFOUND);
    assert_null(v);
    assert_string_equal(err, "/nonexistent-dir/beekeeper.json: No such file or directory");
}

static void loadf_limits_the_size(void **state)
{
    (void)state;
    size_t n = BKP_RJSON_MAX_BYTES + 1;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, ' ', n);
    big[0] = '[';
    char path[256], want[300];
    json_t *v;
    /* Exactly the limit is read... */
    big[n - 2] = ']';
    write_file(path, sizeof path, big, n - 1);
    int rc = bkp_rjson_loadf(path, &v, err, sizeof err);
    unlink(path);
    if (rc != 0)
        free(big);
    assert_int_equal(rc, 0);
    assert_int_equal(json_array_size(v), 0);
    json_decref(v);
    /* ...one byte more is not. */
    big[n - 2] = ' ';
    big[n - 1] = ']';
    write_file(path, sizeof path, big, n);
    v = (json_t *)&v;
    rc = bkp_rjson_loadf(path, &v, err, sizeof err);
    unlink(path);
    free(big);
    assert_int_equal(rc, BK_EIO);
    assert_null(v);
    snprintf(want, sizeof want, "%s: larger than %zu bytes", path, BKP_RJSON_MAX_BYTES);
    assert_string_equal(err, want);
}

/* Positions name the first character of a value or a key, in characters as written: past
 * comments (a multi-byte character in one counts once) and trailing commas. */
static void loadf_where_tells_values_and_keys(void **state)
{
    (void)state;
    char path[256];
    const char text[] = "# top\n[ /* \u00e9\u00e9 */ {\"a\": 1, \"b\": [true, \"x\",],},\n"
                        "  {\"c\": {\"d\": null}} ]\n";
    write_file(path, sizeof path, text, sizeof text - 1);
    json_t *v;
    bkp_rjson_where *w;
    int rc = bkp_rjson_loadf_where(path, &v, &w, err, sizeof err);
    unlink(path);
    assert_int_equal(rc, 0);
    bkp_rjson_pos p = bkp_rjson_where_top(w), val;
    assert_int_equal(p.line, 2);
    assert_int_equal(p.col, 1);
    p = bkp_rjson_where_elem(w, v, 0);
    assert_int_equal(p.line, 2);
    assert_int_equal(p.col, 12);
    json_t *e0 = json_array_get(v, 0);
    p = bkp_rjson_where_key(w, e0, "b", &val);
    assert_int_equal(p.col, 21);
    assert_int_equal(val.col, 26);
    p = bkp_rjson_where_elem(w, json_object_get(e0, "b"), 1);
    assert_int_equal(p.col, 33);
    p = bkp_rjson_where_elem(w, v, 1);
    assert_int_equal(p.line, 3);
    assert_int_equal(p.col, 3);
    p = bkp_rjson_where_key(w, json_object_get(json_array_get(v, 1), "c"), "d", &val);
    assert_int_equal(p.line, 3);
    assert_int_equal(p.col, 10);
    assert_int_equal(val.col, 15);
    /* no such key or element, or a value of another document: no position */
    assert_int_equal(bkp_rjson_where_key(w, e0, "zz", &val).line, 0);
    assert_int_equal(val.line, 0);
    assert_int_equal(bkp_rjson_where_elem(w, v, 2).line, 0);
    json_t *other = json_array();
    assert_int_equal(bkp_rjson_where_elem(w, other, 0).line, 0);
    json_decref(other);
    bkp_rjson_where_free(w);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_plain_json),
        cmocka_unit_test(hash_comments_are_ignored),
        cmocka_unit_test(slash_comments_are_ignored),
        cmocka_unit_test(block_comments_are_ignored),
        cmocka_unit_test(comment_markers_inside_strings_stay),
        cmocka_unit_test(escaped_quotes_do_not_end_strings),
        cmocka_unit_test(trailing_commas_are_allowed),
        cmocka_unit_test(lone_commas_are_refused),
        cmocka_unit_test(unterminated_block_comment_is_refused),
        cmocka_unit_test(nul_bytes_are_refused),
        cmocka_unit_test(invalid_json_is_refused_where_it_is),
        cmocka_unit_test(missing_comma_is_suggested),
        cmocka_unit_test(empty_input_is_refused),
        cmocka_unit_test(crlf_keeps_lines_and_columns),
        cmocka_unit_test(utf8_is_kept_and_counted_by_character),
        cmocka_unit_test(error_buffer_may_be_absent_or_small),
        cmocka_unit_test(loadf_reads_a_file),
        cmocka_unit_test(loadf_errors_name_the_file),
        cmocka_unit_test(loadf_missing_file_is_not_found),
        cmocka_unit_test(loadf_limits_the_size),
        cmocka_unit_test(loadf_where_tells_values_and_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
