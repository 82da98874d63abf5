/* libFuzzer target: the JSON tokenizer (beekeeper/json.h) against jansson, on any bytes.
 *
 * - bk_json_parse accepts iff json_loadb(JSON_DECODE_ANY | JSON_ALLOW_NUL) accepts: we take
 *   \u0000 in values (the typed decoder refuses it with a field path) and, like that call,
 *   do not look for duplicate keys;
 * - when both accept, the jansson tree built from our tokens is json_equal to jansson's;
 *   built again with BK_JSON_NO_DUPLICATES | BK_JSON_NO_NUL it is refused iff jansson refuses
 *   with JSON_REJECT_DUPLICATES and without JSON_ALLOW_NUL (what the RPC layer asks today),
 *   and so is it when bk_json_dup_key finds a repeated key or a string holds U+0000;
 * - that value written with our writer (value by value, and through bk_jw_jansson) reads
 *   back equal, through jansson and through our tokenizer.
 * One intended difference: jansson 2.14 drops a NUL byte right after a number or a literal
 * ("[1\0]" reads as [1]: its lexer puts the 0 byte back and then takes it for an empty read
 * buffer); we refuse it, as RFC 8259 does. quirk_parse() takes such bytes out before it
 * compares. Any other disagreement aborts. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "beekeeper/arena.h"
#include "beekeeper/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_value(bk_jw *w, json_t *j)
{
    const char *k;
    json_t *v;
    size_t i;
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        bk_jw_begin_object(w);
        json_object_foreach(j, k, v) {
            bk_jw_key(w, k);
            write_value(w, v);
        }
        bk_jw_end_object(w);
        break;
    case JSON_ARRAY:
        bk_jw_begin_array(w);
        json_array_foreach(j, i, v)
            write_value(w, v);
        bk_jw_end_array(w);
        break;
    case JSON_STRING: bk_jw_stringn(w, json_string_value(j), json_string_length(j)); break;
    case JSON_INTEGER: bk_jw_int(w, json_integer_value(j)); break;
    case JSON_REAL: bk_jw_double(w, json_real_value(j)); break;
    case JSON_TRUE: bk_jw_bool(w, true); break;
    case JSON_FALSE: bk_jw_bool(w, false); break;
    case JSON_NULL: bk_jw_null(w); break;
    }
}

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_json: %s\n", what);
        abort();
    }
}

/* The writer's bytes must read back as want, through jansson and through us. */
static void reads_back(const char *out, size_t n, json_t *want, bk_arena *a)
{
    json_t *j = json_loadb(out, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    check(j && json_equal(j, want), "written value reads back different (jansson)");
    json_decref(j);
    char *copy = malloc(n ? n : 1);
    memcpy(copy, out, n);
    bk_json_doc d;
    check(bk_json_parse(&d, a, copy, n, NULL, NULL) == 0, "we refuse what we wrote");
    check(bk_json_to_jansson(&d, 0, 0, &j, NULL) == 0 && json_equal(j, want),
          "written value reads back different (ours)");
    json_decref(j);
    free(copy);
}

static void round_trip(json_t *v, bk_arena *a)
{
    bk_jw w;
    char stack[64];
    const char *out;
    size_t n;
    bk_jw_init(&w, stack, sizeof stack);
    write_value(&w, v);
    check(bk_jw_finish(&w, &out, &n) == 0, "the writer fails on a value jansson holds");
    reads_back(out, n, v, a);
    bk_jw_reset(&w);
    bk_jw_jansson(&w, v);
    check(bk_jw_finish(&w, &out, &n) == 0, "bk_jw_jansson fails");
    reads_back(out, n, v, a);
    bk_jw_free(&w);
}

/* Whether a decoder that asks bk_json_dup_key of every object and refuses U+0000 in strings
 * refuses the document. */
static int strict_refuses(bk_json_doc *d, bk_arena *a)
{
    for (uint32_t i = 0; i < d->ntok; i++) {
        uint32_t dup;
        if (d->tok[i].type == BK_JSON_STRING && (d->tok[i].flags & BK_JSON_NUL))
            return 1;
        if (d->tok[i].type == BK_JSON_OBJECT &&
            (bk_json_dup_key(d, i, a, &dup) != 0 || dup != 0))
            return 1;
    }
    return 0;
}

/* Every string, read, is its own key: bk_json_key_eq and bk_json_key_find agree with it. */
static void keys_match(bk_json_doc *d)
{
    for (uint32_t i = 0; i < d->ntok; i++) {
        const char *s;
        size_t n;
        if (d->tok[i].type != BK_JSON_STRING)
            continue;
        check(bk_json_string(d, i, &s, &n) >= 0, "a string token cannot be read");
        bk_json_name names[2] = {{"\x01", 1}, {s, n}};
        check(bk_json_key_eq(d, i, s, n), "a key is not equal to itself");
        check(bk_json_key_find(d, i, names, 2) == (n == 1 && s[0] == 1 ? 0 : 1),
              "bk_json_key_find misses a key");
    }
}

/* Parses text[0..*size) as jansson would: while we refuse at a NUL byte that follows a digit
 * or a letter (the end of a number or literal), that byte goes and we parse again. */
static int quirk_parse(bk_json_doc *d, bk_arena *a, char *text, size_t *size,
                       bk_json_error *err)
{
    for (;;) {
        char *copy = bk_arena_strndup(a, text, *size);
        int rc = copy ? bk_json_parse(d, a, copy, *size, NULL, err) : -1;
        size_t at = err->offset;
        if (rc == 0 || at == 0 || at >= *size || text[at] != '\0' ||
            !(isalnum((unsigned char)text[at - 1])))
            return rc;
        memmove(text + at, text + at + 1, *size - at - 1);
        (*size)--;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bk_arena *a;
    if (bk_arena_new(&a) != 0)
        return 0;
    char *text = malloc(size ? size : 1); /* exactly size bytes: ASan sees any overread */
    memcpy(text, data, size);
    bk_json_doc d;
    bk_json_error err;
    int rc = bk_json_parse(&d, a, text, size, NULL, &err);
    json_t *want = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    size_t qsize = size;
    if (rc != 0 && want)
        rc = quirk_parse(&d, a, text, &qsize, &err);
    check((rc == 0) == (want != NULL), rc == 0 ? "we accept what jansson refuses"
                                               : "we refuse what jansson accepts");
    if (rc != 0)
        check(err.code == rc && err.offset <= qsize && err.msg[0], "an error without detail");
    if (want) {
        json_t *got;
        check(bk_json_to_jansson(&d, 0, 0, &got, NULL) == 0, "the tree cannot be built");
        check(json_equal(got, want), "our tree differs from jansson's");
        json_decref(got);

        json_t *strict = json_loadb((const char *)data, size,
                                    JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
        rc = bk_json_to_jansson(&d, 0, BK_JSON_NO_DUPLICATES | BK_JSON_NO_NUL, &got, &err);
        check((rc == 0) == (strict != NULL), "duplicate keys or NUL: we differ from jansson");
        check(rc != 0 || json_equal(got, want), "the strict tree differs");
        check((strict != NULL) == !strict_refuses(&d, a), "bk_json_dup_key differs from jansson");
        json_decref(got);
        json_decref(strict);
        keys_match(&d);
        round_trip(want, a);
        json_decref(want);
    }
    free(text);
    bk_arena_free(a);
    return 0;
}
