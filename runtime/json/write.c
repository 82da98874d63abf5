/* The JSON writer (beekeeper/json.h): compact JSON appended to a growable buffer.
 *
 * Commas come from one bit (the current container holds an item already): after a nested
 * container ends, its parent always has an item, so no per-depth comma state is needed. The
 * per-depth object bits are only there to refuse misuse (a key in an array, a value without
 * its key, a mismatched end), so that a buggy encoder fails instead of sending bad JSON.
 * Strings are copied as they are scanned, 16 bytes at a time (json_int.h): the scan stops
 * only at what needs an escape or a UTF-8 check. */
#include "beekeeper/json.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "beekeeper/error.h"
#include "json/json_int.h"

#define MIN_CAP 128

static void fail(bk_jw *w, int code)
{
    if (!w->err)
        w->err = code;
}

/* Room for n more bytes, and one for the NUL that finish adds; 0 or -1 (error recorded). */
static int grow(bk_jw *w, size_t n)
{
    if (w->err)
        return -1;
    if (n > SIZE_MAX / 4 - w->len) {
        fail(w, BK_ENOMEM);
        return -1;
    }
    size_t cap = w->cap > MIN_CAP ? w->cap : MIN_CAP;
    while (cap - w->len <= n)
        cap *= 2;
    char *nb = w->owned ? realloc(w->buf, cap) : malloc(cap);
    if (!nb) {
        fail(w, BK_ENOMEM);
        return -1;
    }
    if (!w->owned && w->len)
        memcpy(nb, w->buf, w->len);
    w->buf = nb;
    w->cap = cap;
    w->owned = 1;
    return 0;
}

static inline int room(bk_jw *w, size_t n)
{
    return w->cap - w->len > n ? 0 : grow(w, n);
}

static inline bool in_object(const bk_jw *w)
{
    uint32_t d = w->depth - 1;
    return w->obj[d / 64] >> (d % 64) & 1;
}

/* Before a value: the checks and the comma (a member's comma came before its key). Reserves
 * n bytes besides. 0 or -1. */
static inline int before(bk_jw *w, size_t n)
{
    if (w->err)
        return -1;
    if (w->depth == 0) {
        if (w->done) {
            fail(w, BK_EINVAL);
            return -1;
        }
        return room(w, n);
    }
    if (in_object(w)) {
        if (!w->key) {
            fail(w, BK_EINVAL);
            return -1;
        }
        w->key = 0;
        return room(w, n);
    }
    if (room(w, n + 1) != 0)
        return -1;
    if (w->comma)
        w->buf[w->len++] = ',';
    return 0;
}

static inline void after(bk_jw *w)
{
    if (w->depth == 0)
        w->done = 1;
    else
        w->comma = 1;
}

static inline void put(bk_jw *w, const void *p, size_t n)
{
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

void bk_jw_init(bk_jw *w, char *buf, size_t cap)
{
    w->buf = buf;
    w->cap = buf ? cap : 0;
    w->owned = 0;
    bk_jw_reset(w);
}

void bk_jw_reset(bk_jw *w)
{
    w->len = 0;
    w->err = 0;
    w->depth = 0;
    w->comma = w->key = w->done = 0;
}

void bk_jw_free(bk_jw *w)
{
    if (w->owned)
        free(w->buf);
    bk_jw_init(w, NULL, 0);
}

int bk_jw_finish(bk_jw *w, const char **data, size_t *len)
{
    if (!w->err && (!w->done || w->depth))
        fail(w, BK_EINVAL);
    if (w->err)
        return w->err;
    w->buf[w->len] = '\0'; /* room keeps a byte for it */
    *data = w->buf;
    *len = w->len;
    return 0;
}

int bk_jw_take(bk_jw *w, char **data, size_t *len)
{
    const char *p;
    int rc = bk_jw_finish(w, &p, len);
    if (rc != 0)
        return rc;
    if (!w->owned && grow(w, 0) != 0) /* moves out of the caller's buffer */
        return w->err;
    w->buf[w->len] = '\0';
    *data = w->buf;
    w->owned = 0;
    bk_jw_init(w, NULL, 0);
    return 0;
}

static void begin(bk_jw *w, bool obj)
{
    if (before(w, 1) != 0)
        return;
    if (w->depth == BK_JSON_MAX_DEPTH) {
        fail(w, BK_ELIMIT);
        return;
    }
    uint32_t d = w->depth++;
    if (obj)
        w->obj[d / 64] |= UINT64_C(1) << (d % 64);
    else
        w->obj[d / 64] &= ~(UINT64_C(1) << (d % 64));
    w->buf[w->len++] = obj ? '{' : '[';
    w->comma = 0;
}

static void end(bk_jw *w, bool obj)
{
    if (w->err)
        return;
    if (w->depth == 0 || in_object(w) != obj || w->key) {
        fail(w, BK_EINVAL);
        return;
    }
    if (room(w, 1) != 0)
        return;
    w->buf[w->len++] = obj ? '}' : ']';
    w->depth--;
    after(w);
}

void bk_jw_begin_object(bk_jw *w) { begin(w, true); }
void bk_jw_end_object(bk_jw *w) { end(w, true); }
void bk_jw_begin_array(bk_jw *w) { begin(w, false); }
void bk_jw_end_array(bk_jw *w) { end(w, false); }

/* The escape of c (a quote, a backslash or a control character) into out; its length. */
static size_t escape(unsigned char c, char *out)
{
    static const char hex[] = "0123456789abcdef";
    static const char short_form[32] = {
        ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'};
    out[0] = '\\';
    if (c == '"' || c == '\\') {
        out[1] = (char)c;
        return 2;
    }
    if (short_form[c]) {
        out[1] = short_form[c];
        return 2;
    }
    memcpy(out + 1, "u00", 3);
    out[4] = hex[c >> 4];
    out[5] = hex[c & 15];
    return 6;
}

/* s[0..n) quoted, copied while it is scanned. The buffer holds the plain case (n + 2) from
 * the start, so a 16-byte step may store all 16 bytes before it knows where the run stops;
 * each escape makes room for itself and what is left. */
static void put_string(bk_jw *w, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str, *end = s + n, *q = s;
    if (!str) {
        fail(w, BK_EINVAL);
        return;
    }
    if (room(w, n + 2) != 0)
        return;
    char *o = w->buf + w->len;
    *o++ = '"';
    for (;;) {
        while (end - q >= 16) {
            size_t k = bkp_json_run16(q);
            memcpy(o, q, 16);
            q += k;
            o += k;
            if (k < 16)
                goto stop;
        }
        while (q < end && !bkp_json_is_stop(*q))
            *o++ = (char)*q++;
        if (q == end)
            break;
    stop:
        if (*q >= 0x80) {
            size_t k = bkp_utf8_seq(q, end);
            if (!k) {
                fail(w, BK_EINVAL);
                return;
            }
            memcpy(o, q, k);
            o += k;
            q += k;
            continue;
        }
        w->len = (size_t)(o - w->buf);
        if (room(w, 6 + (size_t)(end - q) + 1) != 0)
            return;
        o = w->buf + w->len;
        o += escape(*q++, o);
    }
    *o++ = '"';
    w->len = (size_t)(o - w->buf);
}

void bk_jw_keyn(bk_jw *w, const char *k, size_t n)
{
    if (w->err)
        return;
    if (w->depth == 0 || !in_object(w) || w->key) {
        fail(w, BK_EINVAL);
        return;
    }
    if (w->comma) {
        if (room(w, 1) != 0)
            return;
        w->buf[w->len++] = ',';
    }
    put_string(w, k, n);
    if (room(w, 1) != 0)
        return;
    w->buf[w->len++] = ':';
    w->key = 1;
}

void bk_jw_key(bk_jw *w, const char *k)
{
    bk_jw_keyn(w, k, k ? strlen(k) : 0);
}

void bk_jw_stringn(bk_jw *w, const char *s, size_t n)
{
    if (before(w, 0) != 0)
        return;
    put_string(w, s, n);
    after(w);
}

void bk_jw_string(bk_jw *w, const char *s)
{
    bk_jw_stringn(w, s, s ? strlen(s) : 0);
}

void bk_jw_int(bk_jw *w, int64_t v)
{
    if (before(w, 20) != 0)
        return;
    w->len += bkp_json_itoa(v, w->buf + w->len);
    after(w);
}

void bk_jw_double(bk_jw *w, double v)
{
    if (before(w, BKP_DTOA_MAX) != 0)
        return;
    size_t n = bkp_json_dtoa(v, w->buf + w->len);
    if (!n) {
        fail(w, BK_EINVAL);
        return;
    }
    w->len += n;
    after(w);
}

void bk_jw_bool(bk_jw *w, bool v)
{
    bk_jw_raw(w, v ? "true" : "false", v ? 4 : 5);
}

void bk_jw_null(bk_jw *w)
{
    bk_jw_raw(w, "null", 4);
}

void bk_jw_raw(bk_jw *w, const char *json, size_t n)
{
    if (!json || !n) {
        fail(w, BK_EINVAL);
        return;
    }
    if (before(w, n) != 0)
        return;
    put(w, json, n);
    after(w);
}

void bk_jw_base64(bk_jw *w, const void *data, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *b = data;
    if ((!b && n) || n > (SIZE_MAX / 4 - 4) / 4 * 3) {
        fail(w, BK_EINVAL);
        return;
    }
    if (before(w, (n + 2) / 3 * 4 + 2) != 0)
        return;
    char *o = w->buf + w->len;
    *o++ = '"';
    size_t i = 0;
    for (; n - i >= 3; i += 3, o += 4) {
        uint32_t v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8 | b[i + 2];
        o[0] = tab[v >> 18];
        o[1] = tab[v >> 12 & 63];
        o[2] = tab[v >> 6 & 63];
        o[3] = tab[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)b[i] << 16 | (i + 1 < n ? (uint32_t)b[i + 1] << 8 : 0);
        o[0] = tab[v >> 18];
        o[1] = tab[v >> 12 & 63];
        o[2] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        o[3] = '=';
        o += 4;
    }
    *o++ = '"';
    w->len = (size_t)(o - w->buf);
    after(w);
}

void bk_jw_jansson(bk_jw *w, const json_t *j)
{
    const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
    if (!j) {
        bk_jw_null(w);
        return;
    }
    if (before(w, 0) != 0)
        return;
    size_t avail = w->cap - w->len - 1; /* before() kept the byte for the NUL */
    size_t n = json_dumpb(j, w->buf + w->len, avail, flags);
    if (n > avail) {
        if (room(w, n) != 0)
            return;
        n = json_dumpb(j, w->buf + w->len, n, flags);
    }
    if (n == 0) {
        fail(w, BK_EINVAL);
        return;
    }
    w->len += n;
    after(w);
}
