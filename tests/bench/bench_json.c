/* Benchmark: JSON without a tree (beekeeper/json.h) against jansson, on the typed path's two
 * shapes. Prints markdown table rows (no header):
 *   1. a 10 KB string param {"data":"xx..."}: encoded with bk_jw, then decoded (the body
 *      copied as a request's own copy, tokenized, the string read in place), beside memcpy
 *      of 10 KB, jansson (json_dumpb of a tree / json_loadb + json_string_value) and jsmn
 *      (tokenizing only; it checks no UTF-8 and decodes no escapes);
 *   2. a list of 100 structs of 5 fields (string, int, double, bool, string) decoded into C
 *      structs (as a generated decoder walks members and switches on bk_json_key_find) and
 *      encoded, beside the same by hand with jansson (json_loadb + json_object_get...,
 *      json_pack + json_dumpb).
 * Each figure is the best of 5 runs of at least 0.1 s, in us per operation. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "beekeeper/arena.h"
#include "beekeeper/json.h"

#if defined(__has_include)
#if __has_include(<jsmn.h>)
#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>
#define HAVE_JSMN 1
#endif
#endif

#define STR_LEN 10240
#define ITEMS 100

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static long sink;

/* us per call of fn, the best of 5 runs of at least 100 ms each. */
static double timed(void (*fn)(void))
{
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
        long n = 0;
        double t0 = now_us(), t;
        do {
            for (int i = 0; i < 64; i++)
                fn();
            n += 64;
        } while ((t = now_us() - t0) < 1e5);
        if (t / (double)n < best)
            best = t / (double)n;
    }
    return best;
}

static bk_arena *arena;
static char *src, *body, *copy;
static size_t body_len;
static bk_jw jw;

static void finish_jw(void)
{
    const char *out;
    size_t n;
    if (bk_jw_finish(&jw, &out, &n) != 0)
        abort();
    sink += (long)n;
}

/* 1. the 10 KB string param */

static void our_encode_str(void)
{
    bk_jw_reset(&jw);
    bk_jw_begin_object(&jw);
    bk_jw_keyn(&jw, "data", 4);
    bk_jw_stringn(&jw, src, STR_LEN);
    bk_jw_end_object(&jw);
    finish_jw();
}

static void our_decode_str(void)
{
    static const bk_json_name fields[] = {BK_JSON_NAME("data")};
    bk_json_doc d;
    const char *s;
    size_t n;
    memcpy(copy, body, body_len);
    if (bk_json_parse(&d, arena, copy, body_len, NULL, NULL) != 0 ||
        d.tok[0].type != BK_JSON_OBJECT || bk_json_key_find(&d, 1, fields, 1) != 0 ||
        bk_json_string(&d, 2, &s, &n) != 0)
        abort();
    sink += (long)n;
    bk_arena_reset(arena);
}

static void our_both_str(void)
{
    our_encode_str();
    our_decode_str();
}

static void copy_str(void)
{
    memcpy(copy, body, body_len);
    sink += copy[body_len / 2];
}

static void jansson_encode_str(void)
{
    json_t *o = json_object();
    json_object_set_new(o, "data", json_stringn(src, STR_LEN));
    size_t n = json_dumpb(o, copy, body_len + 64, JSON_COMPACT);
    json_decref(o);
    sink += (long)n;
}

static void jansson_decode_str(void)
{
    json_t *j = json_loadb(body, body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
    const char *s = json_string_value(json_object_get(j, "data"));
    if (!s)
        abort();
    sink += s[0];
    json_decref(j);
}

static void jansson_both_str(void)
{
    jansson_encode_str();
    jansson_decode_str();
}

#ifdef HAVE_JSMN
static void jsmn_decode_str(void)
{
    jsmn_parser p;
    jsmntok_t t[8];
    jsmn_init(&p);
    if (jsmn_parse(&p, body, body_len, t, 8) != 3 || t[1].end - t[1].start != 4 ||
        memcmp(body + t[1].start, "data", 4) != 0)
        abort();
    sink += t[2].end - t[2].start;
}
#endif

static void bench_string(void)
{
    src = malloc(STR_LEN);
    memset(src, 'x', STR_LEN);
    body_len = STR_LEN + 11;
    body = malloc(body_len + 64);
    copy = malloc(body_len + 64);
    snprintf(body, body_len + 1, "{\"data\":\"%.*s\"}", STR_LEN, src);
    double enc = timed(our_encode_str), dec = timed(our_decode_str), both = timed(our_both_str);
    double mc = timed(copy_str), jenc = timed(jansson_encode_str);
    double jdec = timed(jansson_decode_str), jboth = timed(jansson_both_str);
    char jsmn[96] = "jsmn: not installed (libjsmn-dev)";
#ifdef HAVE_JSMN
    snprintf(jsmn, sizeof jsmn, "jsmn tokenizing only (checks no UTF-8): %.2f us",
             timed(jsmn_decode_str));
#endif
    printf("| JSON 10 KB string param, encode + decode (bk_jw; body copied, bk_json_parse, read "
           "in place) | %.2f us (encode %.2f, decode %.2f) | memcpy of 10 KB: %.2f us; jansson "
           "%.2f us (encode %.2f, decode %.2f): %.0fx; %s | <= 5 us |\n",
           both, enc, dec, mc, jboth, jenc, jdec, jboth / both, jsmn);
    free(src);
    free(body);
    free(copy);
}

/* 2. a list of 100 structs of 5 fields */

typedef struct item {
    const char *name;
    int64_t n;
    double price;
    bool ok;
    const char *note;
} item;

static item items[ITEMS], got[ITEMS];
static char names[ITEMS][24], notes[ITEMS][64];

static void our_encode_list(void)
{
    bk_jw_reset(&jw);
    bk_jw_begin_array(&jw);
    for (int i = 0; i < ITEMS; i++) {
        const item *x = &items[i];
        bk_jw_begin_object(&jw);
        bk_jw_keyn(&jw, "name", 4);
        bk_jw_string(&jw, x->name);
        bk_jw_keyn(&jw, "n", 1);
        bk_jw_int(&jw, x->n);
        bk_jw_keyn(&jw, "price", 5);
        bk_jw_double(&jw, x->price);
        bk_jw_keyn(&jw, "ok", 2);
        bk_jw_bool(&jw, x->ok);
        bk_jw_keyn(&jw, "note", 4);
        bk_jw_string(&jw, x->note);
        bk_jw_end_object(&jw);
    }
    bk_jw_end_array(&jw);
    finish_jw();
}

/* What a generated struct decoder does: each member once, a switch on the field, each field
 * seen at most once and every one present. */
static int our_item(bk_json_doc *d, uint32_t o, item *x)
{
    static const bk_json_name fields[] = {BK_JSON_NAME("name"), BK_JSON_NAME("n"),
                                          BK_JSON_NAME("price"), BK_JSON_NAME("ok"),
                                          BK_JSON_NAME("note")};
    if (d->tok[o].type != BK_JSON_OBJECT)
        return -1;
    unsigned seen = 0;
    uint32_t k = o + 1;
    for (unsigned m = 0; m < d->tok[o].count; m++, k = d->tok[k + 1].next) {
        int f = bk_json_key_find(d, k, fields, 5), rc;
        if (f < 0 || seen & 1u << f)
            return -1;
        seen |= 1u << f;
        switch (f) {
        case 0: rc = bk_json_string(d, k + 1, &x->name, NULL); break;
        case 1: rc = bk_json_int64(d, k + 1, &x->n); break;
        case 2: rc = bk_json_double(d, k + 1, &x->price); break;
        case 3: rc = bk_json_bool(d, k + 1, &x->ok); break;
        default: rc = bk_json_string(d, k + 1, &x->note, NULL); break;
        }
        if (rc != 0)
            return -1;
    }
    return seen == 31 ? 0 : -1;
}

static void our_decode_list(void)
{
    bk_json_doc d;
    memcpy(copy, body, body_len);
    if (bk_json_parse(&d, arena, copy, body_len, NULL, NULL) != 0 ||
        d.tok[0].type != BK_JSON_ARRAY || d.tok[0].count != ITEMS)
        abort();
    uint32_t it = 1;
    for (int i = 0; i < ITEMS; i++, it = d.tok[it].next)
        if (our_item(&d, it, &got[i]) != 0)
            abort();
    sink += got[ITEMS - 1].n;
    bk_arena_reset(arena);
}

static void jansson_encode_list(void)
{
    json_t *a = json_array();
    for (int i = 0; i < ITEMS; i++) {
        const item *x = &items[i];
        json_array_append_new(a, json_pack("{s:s,s:I,s:f,s:b,s:s}", "name", x->name, "n",
                                           (json_int_t)x->n, "price", x->price, "ok", x->ok,
                                           "note", x->note));
    }
    size_t n = json_dumpb(a, copy, body_len * 2, JSON_COMPACT);
    json_decref(a);
    sink += (long)n;
}

static void jansson_decode_list(void)
{
    json_t *a = json_loadb(body, body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
    if (!json_is_array(a) || json_array_size(a) != ITEMS)
        abort();
    for (size_t i = 0; i < ITEMS; i++) {
        json_t *o = json_array_get(a, i);
        json_t *name = json_object_get(o, "name"), *n = json_object_get(o, "n"),
               *price = json_object_get(o, "price"), *ok = json_object_get(o, "ok"),
               *note = json_object_get(o, "note");
        if (!json_is_object(o) || json_object_size(o) != 5 || !json_is_string(name) ||
            !json_is_integer(n) || !json_is_number(price) || !json_is_boolean(ok) ||
            !json_is_string(note))
            abort();
        got[i] = (item){json_string_value(name), json_integer_value(n),
                        json_number_value(price), json_is_true(ok), json_string_value(note)};
    }
    sink += got[ITEMS - 1].n;
    json_decref(a);
}

static void bench_list(void)
{
    for (int i = 0; i < ITEMS; i++) {
        snprintf(names[i], sizeof names[i], "item-%d", i);
        snprintf(notes[i], sizeof notes[i], "a note on item %d, \"quoted\"", i);
        items[i] = (item){names[i], (int64_t)i * 7919, 0.25 * i + 9.99, i % 3 == 0, notes[i]};
    }
    our_encode_list();
    const char *out;
    if (bk_jw_finish(&jw, &out, &body_len) != 0)
        abort();
    body = malloc(body_len + 1);
    copy = malloc(body_len * 2);
    memcpy(body, out, body_len + 1);
    double enc = timed(our_encode_list), dec = timed(our_decode_list);
    double jenc = timed(jansson_encode_list), jdec = timed(jansson_decode_list);
    printf("| JSON list of 100 structs of 5 fields (%zu B), decode + encode (bk_json_parse + "
           "bk_json_key_find, bk_jw) | %.1f us (decode %.1f, encode %.1f) | jansson by hand: "
           "%.1f us (decode %.1f, encode %.1f): %.1fx faster (decode %.1fx, encode %.1fx) | "
           ">= 4x faster |\n",
           body_len, dec + enc, dec, enc, jdec + jenc, jdec, jenc, (jdec + jenc) / (dec + enc),
           jdec / dec, jenc / enc);
    free(body);
    free(copy);
}

int main(void)
{
    if (bk_arena_new(&arena) != 0)
        return 1;
    bk_jw_init(&jw, NULL, 0);
    bench_string();
    bench_list();
    bk_jw_free(&jw);
    bk_arena_free(arena);
    return sink == 0;
}
