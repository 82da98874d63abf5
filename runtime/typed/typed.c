/* The checking decoder of generated code, over tokens (beekeeper/typed.h). The RPC side of
 * typed.h (bk_call_begin and the rest) is the client's and the worker's. */
#include "beekeeper/typed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beekeeper/error.h"

void bk_dec_init(bk_dec *d, bk_arena *a, const char *root, const char *top)
{
    d->a = a;
    d->doc = NULL;
    d->error = NULL;
    d->root = root;
    d->top = top;
    d->depth = 0;
    d->tolerant = false;
}

/* ---------------------------------------------------------------- messages */

/* The path as messages show it, at most 255 bytes, cut with "..." where the next segment
 * would not fit: "msg.tags[2]". */
typedef struct path {
    char s[256];
    size_t len;
} path;

static void path_add(path *p, const char *s, size_t n)
{
    size_t room = sizeof p->s - 1 - p->len;
    if (n > room) {
        static const char cut[] = "...";
        if (room >= sizeof cut - 1) {
            memcpy(p->s + p->len, cut, sizeof cut - 1);
            p->len += sizeof cut - 1;
        }
        n = 0;
    }
    memcpy(p->s + p->len, s, n);
    p->len += n;
    p->s[p->len] = '\0';
}

static void path_of(const bk_dec *d, path *p)
{
    p->len = 0;
    p->s[0] = '\0';
    path_add(p, d->root, strlen(d->root));
    size_t n = d->depth < BK_DEC_MAX_SEGMENTS ? d->depth : BK_DEC_MAX_SEGMENTS;
    for (size_t i = 0; i < n; i++) {
        const struct bk_dec_seg *g = &d->seg[i];
        if (g->key) {
            if (p->len > 0)
                path_add(p, ".", 1);
            path_add(p, g->key, strlen(g->key));
        } else {
            char buf[32];
            int k = snprintf(buf, sizeof buf, "[%zu]", g->index);
            path_add(p, buf, (size_t)k);
        }
    }
}

int bk_dec_fail(bk_dec *d, const char *fmt, ...)
{
    if (d->error)
        return BK_EPROTO;
    path p;
    path_of(d, &p);
    va_list ap;
    va_start(ap, fmt);
    char *msg = bk_arena_vprintf(d->a, fmt, ap);
    va_end(ap);
    d->error = bk_arena_printf(d->a, "%s: %s", p.len ? p.s : d->top, msg ? msg : "invalid");
    if (!d->error)
        d->error = "out of memory";
    return BK_EPROTO;
}

const char *bk_json_kind(const json_t *j)
{
    switch (j ? json_typeof(j) : JSON_NULL) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "list";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "int";
    case JSON_REAL: return "double";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    case JSON_NULL: break;
    }
    return "null";
}

static int type_of(const bk_dec *d, uint32_t j)
{
    return d->doc && j < d->doc->ntok ? (int)d->doc->tok[j].type : BK_JSON_NULL;
}

int bk_dec_expected(bk_dec *d, const char *what, uint32_t j)
{
    const char *kind = d->doc ? bk_json_tok_kind(d->doc, j) : "null";
    return bk_dec_fail(d, "expected %s, got %s", what, kind);
}

int bk_dec_missing(bk_dec *d)
{
    return bk_dec_fail(d, "missing");
}

int bk_dec_nomem(bk_dec *d)
{
    if (!d->error)
        d->error = "out of memory";
    return BK_ENOMEM;
}

/* ---------------------------------------------------------------- containers */

int bk_dec_object(bk_dec *d, uint32_t j, const bk_json_name *fields, size_t n, bool empty_ok,
                  uint32_t *vals)
{
    for (size_t f = 0; f < n; f++)
        vals[f] = 0;
    int type = type_of(d, j);
    if (empty_ok && type == BK_JSON_NULL)
        return 0;
    if (type != BK_JSON_OBJECT)
        return bk_dec_expected(d, "object", j);
    bk_json_doc *doc = d->doc;
    uint32_t k = j + 1;
    for (uint32_t m = 0; m < doc->tok[j].count; m++, k = doc->tok[k + 1].next) {
        int f = bk_json_key_find(doc, k, fields, n);
        if (f >= 0 && vals[f] == 0) {
            vals[f] = k + 1;
            continue;
        }
        if (f < 0 && d->tolerant)
            continue;
        const char *key = bk_dec_key(d, k);
        size_t at = bk_dec_push(d, key);
        int rc = bk_dec_fail(d, f < 0 ? "unknown field" : "duplicate key");
        bk_dec_pop(d, at);
        return rc;
    }
    return 0;
}

int bk_dec_list(bk_dec *d, uint32_t j, size_t *count)
{
    *count = 0;
    if (type_of(d, j) != BK_JSON_ARRAY)
        return bk_dec_expected(d, "list", j);
    *count = d->doc->tok[j].count;
    return 0;
}

int bk_dec_map(bk_dec *d, uint32_t j, size_t *count)
{
    uint32_t dup;
    *count = 0;
    if (type_of(d, j) != BK_JSON_OBJECT)
        return bk_dec_expected(d, "map", j);
    if (bk_json_dup_key(d->doc, j, d->a, &dup) != 0)
        return bk_dec_nomem(d);
    if (dup) {
        size_t at = bk_dec_push(d, bk_dec_key(d, dup));
        int rc = bk_dec_fail(d, "duplicate key");
        bk_dec_pop(d, at);
        return rc;
    }
    *count = d->doc->tok[j].count;
    return 0;
}

const char *bk_dec_key(bk_dec *d, uint32_t k)
{
    const char *s = "";
    bk_json_string(d->doc, k, &s, NULL); /* a key holds no NUL: the tokenizer saw to it */
    return s;
}

void *bk_dec_alloc(bk_dec *d, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        bk_dec_nomem(d);
        return NULL;
    }
    void *p = bk_arena_alloc(d->a, n * size);
    if (!p)
        bk_dec_nomem(d);
    return p;
}

/* ---------------------------------------------------------------- scalars */

int bk_dec_bool(bk_dec *d, uint32_t j, bool *out)
{
    if (!d->doc || bk_json_bool(d->doc, j, out) != 0)
        return bk_dec_expected(d, "bool", j);
    return 0;
}

int bk_dec_int(bk_dec *d, uint32_t j, int64_t *out)
{
    if (!d->doc || bk_json_int64(d->doc, j, out) != 0)
        return bk_dec_expected(d, "int", j);
    return 0;
}

int bk_dec_double(bk_dec *d, uint32_t j, double *out)
{
    if (type_of(d, j) != BK_JSON_NUMBER)
        return bk_dec_expected(d, "double", j);
    if (bk_json_double(d->doc, j, out) != 0)
        return bk_dec_nomem(d);
    return 0;
}

int bk_dec_string(bk_dec *d, uint32_t j, const char **out)
{
    if (type_of(d, j) != BK_JSON_STRING)
        return bk_dec_expected(d, "string", j);
    if (bk_json_string(d->doc, j, out, NULL) != 0)
        return bk_dec_fail(d, "string holds a NUL character");
    return 0;
}

int bk_dec_enum(bk_dec *d, uint32_t j, const char *what, const char **out)
{
    if (type_of(d, j) != BK_JSON_STRING)
        return bk_dec_expected(d, what, j);
    bk_json_string(d->doc, j, out, NULL); /* a NUL ends it early: then it names no member */
    return 0;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int bk_dec_bytes(bk_dec *d, uint32_t j, bk_bytes *out)
{
    const char *text;
    size_t len;
    if (type_of(d, j) != BK_JSON_STRING)
        return bk_dec_expected(d, "bytes (base64)", j);
    bk_json_string(d->doc, j, &text, &len);
    const unsigned char *s = (const unsigned char *)text;
    size_t n = len;
    while (n > 0 && s[n - 1] == '=')
        n--;
    if (n % 4 == 1 || len - n > 2)
        return bk_dec_fail(d, "invalid base64");
    unsigned char *buf = bk_dec_alloc(d, n / 4 * 3 + 3, 1);
    if (!buf)
        return BK_ENOMEM;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(s[i]);
        if (v < 0)
            return bk_dec_fail(d, "invalid base64");
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits);
        }
    }
    out->data = buf;
    out->len = o;
    return 0;
}

int bk_dec_any(bk_dec *d, uint32_t j, json_t **out)
{
    bk_json_error e;
    json_t *v;
    if (!d->doc || j >= d->doc->ntok) {
        *out = json_null();
        return 0;
    }
    int rc = bk_json_to_jansson(d->doc, j, BK_JSON_NO_DUPLICATES | BK_JSON_NO_NUL, &v, &e);
    if (rc == BK_ESYNTAX)
        return bk_dec_fail(d, "%s", e.msg);
    if (rc != 0 || !bk_arena_keep_json_new(d->a, v))
        return bk_dec_nomem(d);
    *out = v;
    return 0;
}

json_t *bk_dec_json(bk_dec *d, const char *text)
{
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    return j ? bk_arena_keep_json_new(d->a, j) : NULL;
}

/* ---------------------------------------------------------------- jansson forms */

int bk_dec_jansson(bk_dec *d, const json_t *j, uint32_t *tok)
{
    bk_jw w;
    const char *text;
    size_t len;
    *tok = BK_DEC_NONE;
    d->doc = bk_arena_alloc(d->a, sizeof *d->doc);
    if (!d->doc)
        return bk_dec_nomem(d);
    if (!j)
        return 0;
    bk_jw_init(&w, NULL, 0);
    bk_jw_jansson(&w, j);
    int rc = bk_jw_finish(&w, &text, &len);
    char *copy = rc == 0 ? bk_arena_strndup(d->a, text, len) : NULL;
    bk_jw_free(&w);
    if (rc == BK_EINVAL)
        return bk_dec_fail(d, "cannot be written as JSON");
    if (!copy || bk_json_parse(d->doc, d->a, copy, len, NULL, NULL) != 0)
        return bk_dec_nomem(d);
    *tok = 0;
    return 0;
}

json_t *bk_enc_jansson(bk_jw *w)
{
    const char *text;
    size_t len;
    json_t *j = NULL;
    if (bk_jw_finish(w, &text, &len) == 0)
        j = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    bk_jw_free(w);
    return j;
}
