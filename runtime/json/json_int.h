/* What the tokenizer, the readers and the writer share: the word-at-a-time scan of a string's
 * plain bytes, the UTF-8 sequence check, \u digits, and the number conversions (num.c).
 * Internal to libbeekeeper. */
#ifndef BKP_JSON_INT_H
#define BKP_JSON_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define BKP_ONES UINT64_C(0x0101010101010101)
#define BKP_HIGH UINT64_C(0x8080808080808080)

/* The high bit of every byte of w that ends a plain run in a string: '"', '\\', a control
 * character (< 0x20) or a non-ASCII byte. Each term (x - ONES) & ~x marks a zero byte; a
 * borrow only marks bytes above a true hit, so the lowest mark is exact. */
static inline uint64_t bkp_json_stops(uint64_t w)
{
    uint64_t q = w ^ (BKP_ONES * '"'), b = w ^ (BKP_ONES * '\\');
    uint64_t m = ((q - BKP_ONES) & ~q) | ((b - BKP_ONES) & ~b) | ((w - BKP_ONES * 0x20) & ~w) | w;
    return m & BKP_HIGH;
}

/* Index of the first marked byte of a non-zero bkp_json_stops() result, for a word loaded
 * with memcpy. */
static inline size_t bkp_json_first(uint64_t m)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return (size_t)__builtin_clzll(m) >> 3;
#else
    return (size_t)__builtin_ctzll(m) >> 3;
#endif
}

static inline uint64_t bkp_json_load8(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

/* How many of the 16 bytes at p are plain (16 when all are): SSE2 where the machine has it
 * (every x86-64), two words otherwise. A signed compare with 0x20 finds both the control
 * characters and the non-ASCII bytes. */
static inline size_t bkp_json_run16(const unsigned char *p)
{
#ifdef __SSE2__
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                          _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                             _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
    unsigned bits = (unsigned)_mm_movemask_epi8(m);
    return bits ? (size_t)__builtin_ctz(bits) : 16;
#else
    uint64_t m = bkp_json_stops(bkp_json_load8(p));
    if (m)
        return bkp_json_first(m);
    m = bkp_json_stops(bkp_json_load8(p + 8));
    return m ? 8 + bkp_json_first(m) : 16;
#endif
}

static inline int bkp_json_is_stop(unsigned char c)
{
    return c == '"' || c == '\\' || c < 0x20 || c >= 0x80;
}

/* Length (2 to 4) of the valid UTF-8 sequence at p, whose first byte is >= 0x80; 0 when it
 * is invalid: a stray continuation byte, an overlong form, a surrogate, past U+10FFFF, or
 * cut short by end. */
static inline size_t bkp_utf8_seq(const unsigned char *p, const unsigned char *end)
{
    size_t avail = (size_t)(end - p);
    unsigned c = p[0];
#define CONT(x) (((x) & 0xC0) == 0x80)
    if (c >= 0xC2 && c <= 0xDF)
        return avail >= 2 && CONT(p[1]) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (avail < 3 || !CONT(p[1]) || !CONT(p[2]))
            return 0;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))
            return 0; /* overlong, surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (avail < 4 || !CONT(p[1]) || !CONT(p[2]) || !CONT(p[3]))
            return 0;
        if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
            return 0; /* overlong, past U+10FFFF */
        return 4;
    }
#undef CONT
    return 0;
}

/* The value of 4 hex digits at p (which has at least 4 bytes), or -1. */
static inline long bkp_json_hex4(const unsigned char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (c | 0x20) - 'a' + 10;
        else
            return -1;
        v = v << 4 | (long)d;
    }
    return v;
}

/* num.c: the text of a number the tokenizer accepted (len bytes, not NUL-terminated) as the
 * double strtod gives, whatever the locale. 0 or BK_ENOMEM (a long number is copied). */
int bkp_json_strtod(const char *p, size_t len, double *out);

/* v as the shortest text that reads back as v, with '.' or 'e' in it; its length,
 * or 0 when v is not finite. out has BKP_DTOA_MAX bytes; no NUL is written. */
#define BKP_DTOA_MAX 32
size_t bkp_json_dtoa(double v, char *out);

/* v in decimal; its length (at most 20). No NUL is written. */
size_t bkp_json_itoa(int64_t v, char *out);

#endif
