/* Numbers between text and binary, exact both ways.
 *
 * Reading: the common case (at most 15-16 significant digits, a small exponent) is one exact
 * IEEE multiplication or division of two exactly representable values, so it is correctly
 * rounded, the same double strtod gives (Clinger's fast path); the rest goes to strtod.
 * Writing: the fewest decimals k such that round(v * 10^k) / 10^k == v, which is the very
 * division the reader does on that text, so it reads back exactly; else printf's %.15g, %.16g
 * or %.17g, the first that reads back (jansson writes %.17g: 0.1 as 0.10000000000000001).
 * Both sides put '.' where the locale may say ','. */
#include "json/json_int.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beekeeper/error.h"

#define TWO53 9007199254740992.0

static const double pow10_tab[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static char locale_point(void)
{
    const char *p = localeconv()->decimal_point;
    return p && p[0] ? p[0] : '.';
}

/* The exact fast path: false when the number needs strtod. */
static bool fast_strtod(const char *p, const char *end, double *out)
{
#if FLT_EVAL_METHOD == 0
    bool neg = *p == '-';
    uint64_t m = 0;
    int64_t e10 = 0;
    p += neg;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        if (m > (UINT64_C(1) << 53) / 10)
            return false;
        m = m * 10 + (uint64_t)(*p - '0');
    }
    if (p < end && *p == '.')
        for (p++; p < end && *p >= '0' && *p <= '9'; p++, e10--) {
            if (m > (UINT64_C(1) << 53) / 10)
                return false;
            m = m * 10 + (uint64_t)(*p - '0');
        }
    if (p < end) { /* the exponent: 'e' or 'E', the tokenizer checked the rest */
        bool eneg = *++p == '-';
        int64_t x = 0;
        for (p += *p == '-' || *p == '+'; p < end; p++)
            if (x < 100000)
                x = x * 10 + (*p - '0');
        e10 += eneg ? -x : x;
    }
    double v;
    if (m == 0)
        v = 0.0;
    else if (m > (UINT64_C(1) << 53) || e10 < -22 || e10 > 22)
        return false;
    else
        v = e10 < 0 ? (double)m / pow10_tab[-e10] : (double)m * pow10_tab[e10];
    *out = neg ? -v : v;
    return true;
#else
    (void)p, (void)end, (void)out;
    return false;
#endif
}

int bkp_json_strtod(const char *p, size_t len, double *out)
{
    if (fast_strtod(p, p + len, out))
        return 0;
    char small[64], *buf = len < sizeof small ? small : malloc(len + 1);
    if (!buf)
        return BK_ENOMEM;
    memcpy(buf, p, len);
    buf[len] = '\0';
    char point = locale_point(), *dot;
    if (point != '.' && (dot = memchr(buf, '.', len)))
        *dot = point;
    *out = strtod(buf, NULL);
    if (buf != small)
        free(buf);
    return 0;
}

size_t bkp_json_itoa(int64_t v, char *out)
{
    char tmp[24], *e = tmp + sizeof tmp, *q = e;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--q = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--q = '-';
    memcpy(out, q, (size_t)(e - q));
    return (size_t)(e - q);
}

/* m (< 2^53) with k decimals: "12" and 3 give "0.012", k == 0 gives "12.0". */
static size_t put_fixed(bool neg, uint64_t m, int k, char *out)
{
    char dig[24];
    size_t nd = bkp_json_itoa((int64_t)m, dig), o = 0;
    if (neg)
        out[o++] = '-';
    if (k == 0) {
        memcpy(out + o, dig, nd);
        memcpy(out + o + nd, ".0", 2);
        return o + nd + 2;
    }
    if (nd > (size_t)k) {
        memcpy(out + o, dig, nd - (size_t)k);
        o += nd - (size_t)k;
        out[o++] = '.';
        memcpy(out + o, dig + nd - (size_t)k, (size_t)k);
        return o + (size_t)k;
    }
    out[o++] = '0';
    out[o++] = '.';
    memset(out + o, '0', (size_t)k - nd);
    o += (size_t)k - nd;
    memcpy(out + o, dig, nd);
    return o + nd;
}

/* printf's shortest round trip, with '.' and a '.0' when it looks like an integer. */
static size_t put_printf(double v, char *out)
{
    char buf[BKP_DTOA_MAX + 8], point = locale_point();
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (n <= 0 || (size_t)n >= sizeof buf - 2)
            return 0;
        char *dot = point != '.' ? memchr(buf, point, (size_t)n) : NULL;
        if (dot)
            *dot = '.';
        double back;
        if (prec == 17 || (bkp_json_strtod(buf, (size_t)n, &back) == 0 && back == v))
            break;
    }
    if (!memchr(buf, '.', (size_t)n) && !memchr(buf, 'e', (size_t)n)) {
        memcpy(buf + n, ".0", 2);
        n += 2;
    }
    if ((size_t)n > BKP_DTOA_MAX)
        return 0;
    memcpy(out, buf, (size_t)n);
    return (size_t)n;
}

size_t bkp_json_dtoa(double v, char *out)
{
    if (!isfinite(v))
        return 0;
    bool neg = signbit(v);
    double a = fabs(v);
    if (a == 0.0)
        return put_fixed(neg, 0, 0, out);
#if FLT_EVAL_METHOD == 0
    if (a < TWO53 && a >= 1e-5) {
        for (int k = 0; k <= 17; k++) {
            double sc = a * pow10_tab[k];
            if (sc >= TWO53)
                break;
            double m = floor(sc + 0.5);
            if (m / pow10_tab[k] == a)
                return put_fixed(neg, (uint64_t)m, k, out);
        }
    }
#endif
    return put_printf(v, out);
}
