/* Reading values from tokens (beekeeper/json.h), for generated decoders: strings borrowed
 * from the text or decoded in place, numbers converted exactly, keys matched against field
 * names. The tokenizer has checked everything, so these only convert. */
#include "beekeeper/json.h"

#include <string.h>

#include "beekeeper/error.h"
#include "json/json_int.h"

static size_t put_utf8(unsigned long cp, char *w)
{
    if (cp < 0x80) {
        w[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        w[0] = (char)(0xC0 | cp >> 6);
        w[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        w[0] = (char)(0xE0 | cp >> 12);
        w[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        w[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    w[0] = (char)(0xF0 | cp >> 18);
    w[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    w[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    w[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes the escapes of s[0..len) in place; the new length. Every escape is at least as long
 * as what it stands for (\n: 2 -> 1, \uXXXX: 6 -> at most 3, a surrogate pair: 12 -> 4), so
 * the writing end never passes the reading end. */
static size_t unescape(char *s, size_t len)
{
    char *r = s, *w = s, *end = s + len;
    while (r < end) {
        char *bs = memchr(r, '\\', (size_t)(end - r));
        size_t plain = (size_t)((bs ? bs : end) - r);
        if (w != r)
            memmove(w, r, plain);
        w += plain;
        r += plain;
        if (!bs)
            break;
        char c = r[1];
        r += 2;
        switch (c) {
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 't': *w++ = '\t'; break;
        case 'u': {
            unsigned long cp = (unsigned long)bkp_json_hex4((const unsigned char *)r);
            r += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) { /* the tokenizer saw its low half */
                unsigned long lo = (unsigned long)bkp_json_hex4((const unsigned char *)r + 2);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                r += 6;
            }
            w += put_utf8(cp, w);
            break;
        }
        default: *w++ = c; break; /* " \ / */
        }
    }
    return (size_t)(w - s);
}

/* Token i when it is a string, its escapes decoded; NULL otherwise. */
static bk_json_tok *decoded(bk_json_doc *d, uint32_t i)
{
    if (i >= d->ntok || d->tok[i].type != BK_JSON_STRING)
        return NULL;
    bk_json_tok *t = &d->tok[i];
    if (t->flags & BK_JSON_ESCAPED) {
        t->len = (uint32_t)unescape(d->text + t->start, t->len);
        t->flags &= ~(unsigned)BK_JSON_ESCAPED;
    }
    return t;
}

int bk_json_string(bk_json_doc *d, uint32_t i, const char **s, size_t *len)
{
    bk_json_tok *t = decoded(d, i);
    if (!t)
        return BK_EINVAL;
    char *p = d->text + t->start;
    p[t->len] = '\0'; /* over the closing quote, or inside what the escapes took */
    *s = p;
    if (len)
        *len = t->len;
    return t->flags & BK_JSON_NUL ? 1 : 0;
}

/* Token i when it is a number, or NULL. */
static const bk_json_tok *number(const bk_json_doc *d, uint32_t i)
{
    return i < d->ntok && d->tok[i].type == BK_JSON_NUMBER ? &d->tok[i] : NULL;
}

int bk_json_int64(const bk_json_doc *d, uint32_t i, int64_t *out)
{
    const bk_json_tok *t = number(d, i);
    if (!t || !(t->flags & BK_JSON_INTEGER))
        return BK_EINVAL;
    const char *p = d->text + t->start, *end = p + t->len;
    bool neg = *p == '-';
    uint64_t v = 0;
    if (end - p > 20)
        return BK_ELIMIT;
    for (p += neg; p < end; p++)
        v = v * 10 + (uint64_t)(*p - '0');
    uint64_t max = neg ? (UINT64_C(1) << 63) : (UINT64_C(1) << 63) - 1;
    if (v > max)
        return BK_ELIMIT; /* the tokenizer refused it already */
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int bk_json_double(const bk_json_doc *d, uint32_t i, double *out)
{
    const bk_json_tok *t = number(d, i);
    if (!t)
        return BK_EINVAL;
    if (t->flags & BK_JSON_INTEGER) {
        /* as jansson's json_number_value gives it: the int64, converted */
        int64_t v;
        int rc = bk_json_int64(d, i, &v);
        if (rc == 0)
            *out = (double)v;
        return rc;
    }
    return bkp_json_strtod(d->text + t->start, t->len, out);
}

int bk_json_bool(const bk_json_doc *d, uint32_t i, bool *out)
{
    if (i >= d->ntok || (d->tok[i].type != BK_JSON_TRUE && d->tok[i].type != BK_JSON_FALSE))
        return BK_EINVAL;
    *out = d->tok[i].type == BK_JSON_TRUE;
    return 0;
}

bool bk_json_key_eq(bk_json_doc *d, uint32_t i, const char *name, size_t n)
{
    const bk_json_tok *t = decoded(d, i);
    return t && t->len == n && memcmp(d->text + t->start, name, n) == 0;
}

int bk_json_key_find(bk_json_doc *d, uint32_t i, const bk_json_name *names, size_t n)
{
    const bk_json_tok *t = decoded(d, i);
    if (!t)
        return -1;
    const char *k = d->text + t->start;
    size_t len = t->len;
    for (size_t f = 0; f < n; f++)
        if (names[f].len == len && (len == 0 || (names[f].s[0] == k[0] &&
                                                 memcmp(names[f].s + 1, k + 1, len - 1) == 0)))
            return (int)f;
    return -1;
}

static bool same_key(const bk_json_doc *d, uint32_t a, uint32_t b)
{
    const bk_json_tok *x = &d->tok[a], *y = &d->tok[b];
    return x->len == y->len && memcmp(d->text + x->start, d->text + y->start, x->len) == 0;
}

/* A set of token indexes hashed by their text, not the runtime's one map (core/map.h):
 * bkp_map keys are C strings, and a key here is a span of the document, which the check must
 * not write into (no NUL over its closing quote: the caller may still read the object as it
 * was). */
static uint32_t hash_key(const bk_json_doc *d, uint32_t k)
{
    const unsigned char *p = (const unsigned char *)d->text + d->tok[k].start;
    uint32_t h = 2166136261u; /* FNV-1a */
    for (uint32_t i = 0; i < d->tok[k].len; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

int bk_json_dup_key(bk_json_doc *d, uint32_t i, bk_arena *a, uint32_t *dup)
{
    *dup = 0;
    if (i >= d->ntok || d->tok[i].type != BK_JSON_OBJECT)
        return BK_EINVAL;
    uint32_t n = d->tok[i].count, k = i + 1;
    if (n <= 8) { /* pairwise: fewer steps than a table this small */
        uint32_t keys[8];
        for (uint32_t m = 0; m < n; m++, k = d->tok[k + 1].next) {
            decoded(d, k);
            for (uint32_t j = 0; j < m; j++)
                if (same_key(d, keys[j], k)) {
                    *dup = k;
                    return 0;
                }
            keys[m] = k;
        }
        return 0;
    }
    size_t cap = 16;
    while (cap < (size_t)n * 2)
        cap *= 2;
    uint32_t *slot = bk_arena_alloc(a, cap * sizeof *slot); /* 0: empty (no key is token 0) */
    if (!slot)
        return BK_ENOMEM;
    for (uint32_t m = 0; m < n; m++, k = d->tok[k + 1].next) {
        decoded(d, k);
        size_t h = hash_key(d, k) & (cap - 1);
        for (; slot[h]; h = (h + 1) & (cap - 1))
            if (same_key(d, slot[h], k)) {
                *dup = k;
                return 0;
            }
        slot[h] = k;
    }
    return 0;
}
