/* The checking decoder and the few encoders of generated code (beekeeper/typed.h). */
#include "beekeeper/typed.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bk_dec_init(bk_dec *d, bk_arena *a, const char *root, const char *top)
{
    d->a = a;
    d->error = NULL;
    d->top = top;
    d->len = strlen(root);
    if (d->len >= sizeof d->path)
        d->len = sizeof d->path - 1;
    memcpy(d->path, root, d->len);
    d->path[d->len] = '\0';
}

/* Appends s to the path, cutting it with "..." when it would not fit. */
static void path_add(bk_dec *d, const char *s)
{
    size_t n = strlen(s), room = sizeof d->path - 1 - d->len;
    if (n > room) {
        static const char cut[] = "...";
        if (d->len + sizeof cut <= sizeof d->path && room >= sizeof cut - 1) {
            memcpy(d->path + d->len, cut, sizeof cut - 1);
            d->len += sizeof cut - 1;
        }
        n = 0;
    }
    memcpy(d->path + d->len, s, n);
    d->len += n;
    d->path[d->len] = '\0';
}

size_t bk_dec_push(bk_dec *d, const char *key)
{
    size_t mark = d->len;
    if (d->len > 0)
        path_add(d, ".");
    path_add(d, key);
    return mark;
}

size_t bk_dec_index(bk_dec *d, size_t i)
{
    size_t mark = d->len;
    char buf[32];
    snprintf(buf, sizeof buf, "[%zu]", i);
    path_add(d, buf);
    return mark;
}

void bk_dec_pop(bk_dec *d, size_t mark)
{
    if (mark <= d->len) {
        d->len = mark;
        d->path[mark] = '\0';
    }
}

int bk_dec_fail(bk_dec *d, const char *fmt, ...)
{
    if (d->error)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    char *msg = bk_arena_vprintf(d->a, fmt, ap);
    va_end(ap);
    d->error = bk_arena_printf(d->a, "%s: %s", d->len ? d->path : d->top,
                               msg ? msg : "invalid");
    if (!d->error)
        d->error = "out of memory";
    return -1;
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

int bk_dec_expected(bk_dec *d, const char *what, const json_t *got)
{
    return bk_dec_fail(d, "expected %s, got %s", what, bk_json_kind(got));
}

int bk_dec_missing(bk_dec *d)
{
    return bk_dec_fail(d, "missing");
}

int bk_dec_nomem(bk_dec *d)
{
    if (!d->error)
        d->error = "out of memory";
    return -1;
}

int bk_dec_object(bk_dec *d, json_t *j, const char *const *fields, size_t n, bool empty_ok)
{
    if (empty_ok && (!j || json_is_null(j)))
        return 0;
    if (!json_is_object(j))
        return bk_dec_expected(d, "object", j);
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v) {
        size_t i = 0;
        while (i < n && strcmp(fields[i], key) != 0)
            i++;
        if (i == n) {
            bk_dec_push(d, key);
            return bk_dec_fail(d, "unknown field");
        }
    }
    return 0;
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

int bk_dec_bool(bk_dec *d, json_t *j, bool *out)
{
    if (!json_is_boolean(j))
        return bk_dec_expected(d, "bool", j);
    *out = json_is_true(j);
    return 0;
}

int bk_dec_int(bk_dec *d, json_t *j, int64_t *out)
{
    if (!json_is_integer(j))
        return bk_dec_expected(d, "int", j);
    *out = (int64_t)json_integer_value(j);
    return 0;
}

int bk_dec_double(bk_dec *d, json_t *j, double *out)
{
    if (!json_is_number(j))
        return bk_dec_expected(d, "double", j);
    *out = json_number_value(j);
    return 0;
}

int bk_dec_string(bk_dec *d, json_t *j, const char **out)
{
    if (!json_is_string(j))
        return bk_dec_expected(d, "string", j);
    const char *s = json_string_value(j);
    if (strlen(s) != json_string_length(j))
        return bk_dec_fail(d, "string holds a NUL character");
    *out = s;
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

int bk_dec_bytes(bk_dec *d, json_t *j, bk_bytes *out)
{
    if (!json_is_string(j))
        return bk_dec_expected(d, "bytes (base64)", j);
    const unsigned char *s = (const unsigned char *)json_string_value(j);
    size_t n = json_string_length(j);
    while (n > 0 && s[n - 1] == '=')
        n--;
    if (n % 4 == 1 || json_string_length(j) - n > 2)
        return bk_dec_fail(d, "invalid base64");
    unsigned char *buf = bk_dec_alloc(d, n / 4 * 3 + 3, 1);
    if (!buf)
        return -1;
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

int bk_dec_any(bk_dec *d, json_t *j, json_t **out)
{
    (void)d;
    *out = j;
    return 0;
}

json_t *bk_dec_json(bk_dec *d, const char *text)
{
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    return j ? bk_arena_keep_json_new(d->a, j) : NULL;
}

json_t *bk_enc_bytes(bk_bytes b)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (!b.data && b.len)
        return NULL;
    if (b.len > (SIZE_MAX - 4) / 4 * 3)
        return NULL;
    size_t n = (b.len + 2) / 3 * 4;
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < b.len; i += 3) {
        uint32_t v = (uint32_t)b.data[i] << 16;
        if (i + 1 < b.len)
            v |= (uint32_t)b.data[i + 1] << 8;
        if (i + 2 < b.len)
            v |= b.data[i + 2];
        s[o++] = tab[v >> 18 & 63];
        s[o++] = tab[v >> 12 & 63];
        s[o++] = i + 1 < b.len ? tab[v >> 6 & 63] : '=';
        s[o++] = i + 2 < b.len ? tab[v & 63] : '=';
    }
    s[o] = '\0';
    json_t *j = json_stringn_nocheck(s, o);
    free(s);
    return j;
}

json_t *bk_enc_any(json_t *v)
{
    return v ? json_incref(v) : json_null();
}

int bk_enc_set(json_t *o, const char *key, json_t *v)
{
    return v ? json_object_set_new(o, key, v) : -1;
}

/* Held blocks stay reachable from this list until the process exits. */
typedef struct held {
    struct held *next;
    max_align_t align[];
} held;
static held *g_held;
static pthread_mutex_t g_held_lock = PTHREAD_MUTEX_INITIALIZER;

void *bk_typed_hold(size_t n)
{
    if (n > SIZE_MAX - sizeof(held))
        return NULL;
    held *h = calloc(1, sizeof *h + n);
    if (!h)
        return NULL;
    pthread_mutex_lock(&g_held_lock);
    h->next = g_held;
    g_held = h;
    pthread_mutex_unlock(&g_held_lock);
    return h->align;
}
