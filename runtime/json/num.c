/* Numbers from text, exactly, and integers to text (doubles to text: dtoa.c).
 *
 * The common case (at most 15-16 significant digits, a small exponent) is one exact IEEE
 * multiplication or division of two exactly representable values, so it is correctly rounded:
 * the same double strtod gives (Clinger's fast path). The rest goes to strtod, with '.' made
 * the locale's decimal point first. */
#include "json/json_int.h"

#include <float.h>
#include <locale.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "beekeeper/error.h"

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
