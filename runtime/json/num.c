/* Numbers between text and binary, exact both ways.
 *
 * Text to double: the common case (at most 15-16 significant digits, a small exponent) is one
 * exact IEEE multiplication or division of two exactly representable values, so it is
 * correctly rounded, the same double strtod gives (Clinger's fast path); the rest goes to
 * strtod, with '.' made the locale's decimal point first.
 *
 * Double to text: the shortest digits that read back as the same double, by Grisu2 (Florian
 * Loitsch, "Printing Floating-Point Numbers Quickly and Accurately with Integers", PLDI 2010)
 * in the form of Milo Yip's RapidJSON dtoa. The digits come from 64-bit integer arithmetic on
 * the double scaled by a cached power of ten; they always lie strictly inside the interval of
 * values that round to the double (so they read back exactly), and are the shortest such for
 * all but about 0.1% of doubles, where a digit more is written. printf's "%.17g", jansson's
 * rule, costs several times more and writes 0.1 as 0.10000000000000001. */
#include "json/json_int.h"

#include <float.h>
#include <locale.h>
#include <math.h>
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

typedef struct diyfp {
    uint64_t f;
    int e;
} diyfp;

/* 10^k for k = -348, -340, ..., 340: 64-bit significand (rounded), binary exponent. Made
 * with exact rational arithmetic; the first and last match RapidJSON's table. */
static const diyfp cached[87] = {
    {UINT64_C(0xfa8fd5a0081c0288), -1220}, {UINT64_C(0xbaaee17fa23ebf76), -1193},
    {UINT64_C(0x8b16fb203055ac76), -1166}, {UINT64_C(0xcf42894a5dce35ea), -1140},
    {UINT64_C(0x9a6bb0aa55653b2d), -1113}, {UINT64_C(0xe61acf033d1a45df), -1087},
    {UINT64_C(0xab70fe17c79ac6ca), -1060}, {UINT64_C(0xff77b1fcbebcdc4f), -1034},
    {UINT64_C(0xbe5691ef416bd60c), -1007}, {UINT64_C(0x8dd01fad907ffc3c), -980},
    {UINT64_C(0xd3515c2831559a83), -954}, {UINT64_C(0x9d71ac8fada6c9b5), -927},
    {UINT64_C(0xea9c227723ee8bcb), -901}, {UINT64_C(0xaecc49914078536d), -874},
    {UINT64_C(0x823c12795db6ce57), -847}, {UINT64_C(0xc21094364dfb5637), -821},
    {UINT64_C(0x9096ea6f3848984f), -794}, {UINT64_C(0xd77485cb25823ac7), -768},
    {UINT64_C(0xa086cfcd97bf97f4), -741}, {UINT64_C(0xef340a98172aace5), -715},
    {UINT64_C(0xb23867fb2a35b28e), -688}, {UINT64_C(0x84c8d4dfd2c63f3b), -661},
    {UINT64_C(0xc5dd44271ad3cdba), -635}, {UINT64_C(0x936b9fcebb25c996), -608},
    {UINT64_C(0xdbac6c247d62a584), -582}, {UINT64_C(0xa3ab66580d5fdaf6), -555},
    {UINT64_C(0xf3e2f893dec3f126), -529}, {UINT64_C(0xb5b5ada8aaff80b8), -502},
    {UINT64_C(0x87625f056c7c4a8b), -475}, {UINT64_C(0xc9bcff6034c13053), -449},
    {UINT64_C(0x964e858c91ba2655), -422}, {UINT64_C(0xdff9772470297ebd), -396},
    {UINT64_C(0xa6dfbd9fb8e5b88f), -369}, {UINT64_C(0xf8a95fcf88747d94), -343},
    {UINT64_C(0xb94470938fa89bcf), -316}, {UINT64_C(0x8a08f0f8bf0f156b), -289},
    {UINT64_C(0xcdb02555653131b6), -263}, {UINT64_C(0x993fe2c6d07b7fac), -236},
    {UINT64_C(0xe45c10c42a2b3b06), -210}, {UINT64_C(0xaa242499697392d3), -183},
    {UINT64_C(0xfd87b5f28300ca0e), -157}, {UINT64_C(0xbce5086492111aeb), -130},
    {UINT64_C(0x8cbccc096f5088cc), -103}, {UINT64_C(0xd1b71758e219652c), -77},
    {UINT64_C(0x9c40000000000000), -50}, {UINT64_C(0xe8d4a51000000000), -24},
    {UINT64_C(0xad78ebc5ac620000), 3}, {UINT64_C(0x813f3978f8940984), 30},
    {UINT64_C(0xc097ce7bc90715b3), 56}, {UINT64_C(0x8f7e32ce7bea5c70), 83},
    {UINT64_C(0xd5d238a4abe98068), 109}, {UINT64_C(0x9f4f2726179a2245), 136},
    {UINT64_C(0xed63a231d4c4fb27), 162}, {UINT64_C(0xb0de65388cc8ada8), 189},
    {UINT64_C(0x83c7088e1aab65db), 216}, {UINT64_C(0xc45d1df942711d9a), 242},
    {UINT64_C(0x924d692ca61be758), 269}, {UINT64_C(0xda01ee641a708dea), 295},
    {UINT64_C(0xa26da3999aef774a), 322}, {UINT64_C(0xf209787bb47d6b85), 348},
    {UINT64_C(0xb454e4a179dd1877), 375}, {UINT64_C(0x865b86925b9bc5c2), 402},
    {UINT64_C(0xc83553c5c8965d3d), 428}, {UINT64_C(0x952ab45cfa97a0b3), 455},
    {UINT64_C(0xde469fbd99a05fe3), 481}, {UINT64_C(0xa59bc234db398c25), 508},
    {UINT64_C(0xf6c69a72a3989f5c), 534}, {UINT64_C(0xb7dcbf5354e9bece), 561},
    {UINT64_C(0x88fcf317f22241e2), 588}, {UINT64_C(0xcc20ce9bd35c78a5), 614},
    {UINT64_C(0x98165af37b2153df), 641}, {UINT64_C(0xe2a0b5dc971f303a), 667},
    {UINT64_C(0xa8d9d1535ce3b396), 694}, {UINT64_C(0xfb9b7cd9a4a7443c), 720},
    {UINT64_C(0xbb764c4ca7a44410), 747}, {UINT64_C(0x8bab8eefb6409c1a), 774},
    {UINT64_C(0xd01fef10a657842c), 800}, {UINT64_C(0x9b10a4e5e9913129), 827},
    {UINT64_C(0xe7109bfba19c0c9d), 853}, {UINT64_C(0xac2820d9623bf429), 880},
    {UINT64_C(0x80444b5e7aa7cf85), 907}, {UINT64_C(0xbf21e44003acdd2d), 933},
    {UINT64_C(0x8e679c2f5e44ff8f), 960}, {UINT64_C(0xd433179d9c8cb841), 986},
    {UINT64_C(0x9e19db92b4e31ba9), 1013}, {UINT64_C(0xeb96bf6ebadf77d9), 1039},
    {UINT64_C(0xaf87023b9bf0ee6b), 1066},
};

static diyfp normalize(diyfp x)
{
    int s = __builtin_clzll(x.f);
    return (diyfp){x.f << s, x.e - s};
}

/* x * y, the upper 64 bits rounded, without 128-bit integers. */
static diyfp mul(diyfp x, diyfp y)
{
    const uint64_t m32 = 0xFFFFFFFFu;
    uint64_t a = x.f >> 32, b = x.f & m32, c = y.f >> 32, d = y.f & m32;
    uint64_t ac = a * c, bc = b * c, ad = a * d, bd = b * d;
    uint64_t mid = (bd >> 32) + (ad & m32) + (bc & m32) + (UINT64_C(1) << 31);
    return (diyfp){ac + (ad >> 32) + (bc >> 32) + (mid >> 32), x.e + y.e + 64};
}

/* The power of ten c (and its exponent K, c ~ 10^-K) that brings w_p's exponent into
 * [-60, -32], so that the integer part fits 32 bits. */
static diyfp cached_power(int e, int *k)
{
    double dk = (-61 - e) * 0.30102999566398114 + 347; /* log10(2) */
    int ik = (int)dk;
    if (dk - ik > 0.0)
        ik++;
    unsigned i = (unsigned)(ik >> 3) + 1;
    *k = -(-348 + (int)i * 8);
    return cached[i];
}

static int digits32(uint32_t n)
{
    int d = 1;
    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

static void round_weed(char *buf, int len, uint64_t delta, uint64_t rest, uint64_t ten_kappa,
                       uint64_t wp_w)
{
    while (rest < wp_w && delta - rest >= ten_kappa &&
           (rest + ten_kappa < wp_w || wp_w - rest > rest + ten_kappa - wp_w)) {
        buf[len - 1]--;
        rest += ten_kappa;
    }
}

/* The digits of w, as few as the interval (mp - delta, mp] allows; *k gets the exponent
 * of the last digit. */
static int digit_gen(diyfp w, diyfp mp, uint64_t delta, char *buf, int *k)
{
    static const uint64_t pow10[] = {
        UINT64_C(1), UINT64_C(10), UINT64_C(100), UINT64_C(1000), UINT64_C(10000),
        UINT64_C(100000), UINT64_C(1000000), UINT64_C(10000000), UINT64_C(100000000),
        UINT64_C(1000000000), UINT64_C(10000000000), UINT64_C(100000000000),
        UINT64_C(1000000000000), UINT64_C(10000000000000), UINT64_C(100000000000000),
        UINT64_C(1000000000000000), UINT64_C(10000000000000000),
        UINT64_C(100000000000000000), UINT64_C(1000000000000000000),
        UINT64_C(10000000000000000000)};
    const int shift = -mp.e;
    const uint64_t one = UINT64_C(1) << shift, wp_w = mp.f - w.f;
    uint32_t p1 = (uint32_t)(mp.f >> shift);
    uint64_t p2 = mp.f & (one - 1);
    int kappa = digits32(p1), len = 0;
    while (kappa > 0) {
        uint32_t d = p1 / (uint32_t)pow10[kappa - 1];
        p1 %= (uint32_t)pow10[kappa - 1];
        if (d || len)
            buf[len++] = (char)('0' + d);
        kappa--;
        uint64_t rest = ((uint64_t)p1 << shift) + p2;
        if (rest <= delta) {
            *k += kappa;
            round_weed(buf, len, delta, rest, pow10[kappa] << shift, wp_w);
            return len;
        }
    }
    for (;;) {
        p2 *= 10;
        delta *= 10;
        char d = (char)(p2 >> shift);
        if (d || len)
            buf[len++] = (char)('0' + d);
        p2 &= one - 1;
        kappa--;
        if (p2 < delta) {
            *k += kappa;
            int i = -kappa;
            round_weed(buf, len, delta, p2, one, wp_w * (i < 20 ? pow10[i] : 0));
            return len;
        }
    }
}

/* The shortest digits of v > 0 (at most 17) and the exponent: v ~ digits * 10^k. */
static int grisu2(double v, char *buf, int *k)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    int be = (int)(u >> 52 & 0x7FF);
    uint64_t sig = u & ((UINT64_C(1) << 52) - 1);
    diyfp x = be ? (diyfp){sig | UINT64_C(1) << 52, be - 1075} : (diyfp){sig, -1074};
    /* the boundaries: halfway to the neighbours, the lower one closer at a power of two */
    diyfp plus = normalize((diyfp){(x.f << 1) + 1, x.e - 1});
    diyfp minus = x.f == UINT64_C(1) << 52 ? (diyfp){(x.f << 2) - 1, x.e - 2}
                                           : (diyfp){(x.f << 1) - 1, x.e - 1};
    minus.f <<= minus.e - plus.e;
    minus.e = plus.e;
    diyfp c = cached_power(plus.e, k);
    diyfp w = mul(normalize(x), c), wp = mul(plus, c), wm = mul(minus, c);
    wm.f++;
    wp.f--;
    return digit_gen(w, wp, wp.f - wm.f, buf, k);
}

static size_t put_exponent(int e, char *out)
{
    size_t o = 0;
    if (e < 0) {
        out[o++] = '-';
        e = -e;
    }
    if (e >= 100)
        out[o++] = (char)('0' + e / 100);
    if (e >= 10)
        out[o++] = (char)('0' + e / 10 % 10);
    out[o++] = (char)('0' + e % 10);
    return o;
}

/* digits[0..len) * 10^k as JSON: 1234e-2 "12.34", 1234e-6 "0.001234", 1234e2 "123400.0",
 * else 1.234e30. A plain form up to 17 digits before the point, 5 zeros after it. */
static size_t pretty(const char *dig, int len, int k, char *out)
{
    int kk = len + k; /* 10^(kk-1) <= v < 10^kk */
    size_t o = 0;
    if (k >= 0 && kk <= 17) {
        memcpy(out, dig, (size_t)len);
        memset(out + len, '0', (size_t)k);
        memcpy(out + kk, ".0", 2);
        return (size_t)kk + 2;
    }
    if (kk > 0 && kk <= 17) {
        memcpy(out, dig, (size_t)kk);
        out[kk] = '.';
        memcpy(out + kk + 1, dig + kk, (size_t)(len - kk));
        return (size_t)len + 1;
    }
    if (kk > -6 && kk <= 0) {
        memcpy(out, "0.", 2);
        memset(out + 2, '0', (size_t)-kk);
        memcpy(out + 2 - kk, dig, (size_t)len);
        return (size_t)(2 - kk + len);
    }
    out[o++] = dig[0];
    if (len > 1) {
        out[o++] = '.';
        memcpy(out + o, dig + 1, (size_t)len - 1);
        o += (size_t)len - 1;
    }
    out[o++] = 'e';
    return o + put_exponent(kk - 1, out + o);
}

size_t bkp_json_dtoa(double v, char *out)
{
    if (!isfinite(v))
        return 0;
    size_t o = 0;
    if (signbit(v)) {
        out[o++] = '-';
        v = -v;
    }
    if (v == 0.0) {
        memcpy(out + o, "0.0", 3);
        return o + 3;
    }
    char dig[20];
    int k = 0, len = grisu2(v, dig, &k);
    return o + pretty(dig, len, k, out + o);
}
