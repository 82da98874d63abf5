/* The validating tokenizer (beekeeper/json.h): one pass over the text, a flat array of tokens.
 *
 * Structure is a small state machine (value, key, after a value, close) instead of recursion:
 * an open container's `next` field links to its parent until it closes, so the depth costs
 * no stack. Strings are scanned a word at a time over plain ASCII; only quotes, backslashes,
 * control characters and non-ASCII bytes stop the scan, 16 bytes at a time (json_int.h). */
#include "beekeeper/json.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "beekeeper/error.h"
#include "json/json_int.h"

#define NONE UINT32_MAX

_Static_assert(sizeof(bk_json_tok) == 16, "a token is four words");

typedef struct scan {
    const unsigned char *base, *end;
    bk_arena *a;
    bk_json_tok *tok;
    uint32_t n, cap, max_tokens;
    uint32_t depth, max_depth; /* open containers */
    bk_json_error *err;
} scan;

static int fail_at(scan *s, int code, const unsigned char *at, const char *msg)
{
    s->err->code = code;
    s->err->offset = (size_t)(at - s->base);
    s->err->msg = msg;
    return code;
}

/* NULL, with the error recorded: for the helpers that return where the scan goes on. */
static const unsigned char *bad(scan *s, const unsigned char *at, const char *msg)
{
    fail_at(s, BK_ESYNTAX, at, msg);
    return NULL;
}

/* The tokens grow in the arena, to what the text read so far predicts for the whole (plus
 * an eighth), at least half as many again: one step for a text of even density. The old
 * array stays in the arena until it is freed. */
static int grow(scan *s, const unsigned char *at)
{
    if (s->n >= s->max_tokens)
        return fail_at(s, BK_ELIMIT, at, "too many values");
    uint64_t done = (uint64_t)(at - s->base) + 1, len = (uint64_t)(s->end - s->base);
    uint64_t cap = (uint64_t)s->n * len / done + s->n / 8 + 16;
    if (cap < (uint64_t)s->cap + s->cap / 2)
        cap = (uint64_t)s->cap + s->cap / 2;
    if (cap > s->max_tokens)
        cap = s->max_tokens;
    bk_json_tok *t = bk_arena_alloc(s->a, (size_t)cap * sizeof *t);
    if (!t)
        return fail_at(s, BK_ENOMEM, at, "out of memory");
    memcpy(t, s->tok, (size_t)s->n * sizeof *t);
    s->tok = t;
    s->cap = (uint32_t)cap;
    return 0;
}

/* A new token at p; its index, or NONE with the error recorded. */
static inline uint32_t push(scan *s, const unsigned char *p, unsigned type)
{
    if (s->n == s->cap && grow(s, p) != 0)
        return NONE;
    bk_json_tok *t = &s->tok[s->n];
    t->start = (uint32_t)(p - s->base);
    t->len = 0;
    t->next = s->n + 1;
    t->type = type;
    t->flags = 0;
    t->count = 0;
    return s->n++;
}

static inline const unsigned char *skip_ws(const unsigned char *p, const unsigned char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

/* An escape at q (the backslash); where the string goes on, or NULL. */
static const unsigned char *scan_escape(scan *s, const unsigned char *q, unsigned *flags,
                                        bool key)
{
    if (s->end - q < 2)
        return bad(s, q, "unterminated string");
    *flags |= BK_JSON_ESCAPED;
    switch (q[1]) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        return q + 2;
    case 'u':
        break;
    default:
        return bad(s, q, "invalid escape");
    }
    long u = s->end - q >= 6 ? bkp_json_hex4(q + 2) : -1;
    if (u < 0)
        return bad(s, q, "invalid \\u escape");
    if (u >= 0xDC00 && u <= 0xDFFF)
        return bad(s, q, "unpaired surrogate in a \\u escape");
    if (u >= 0xD800 && u <= 0xDBFF) {
        if (s->end - q < 12 || q[6] != '\\' || q[7] != 'u')
            return bad(s, q, "unpaired surrogate in a \\u escape");
        long lo = bkp_json_hex4(q + 8);
        if (lo < 0)
            return bad(s, q + 6, "invalid \\u escape");
        if (lo < 0xDC00 || lo > 0xDFFF)
            return bad(s, q, "unpaired surrogate in a \\u escape");
        return q + 12;
    }
    if (u == 0) {
        if (key)
            return bad(s, q, "NUL byte in an object key");
        *flags |= BK_JSON_NUL;
    }
    return q + 6;
}

/* The string whose opening quote is at p, into token t; where the text goes on, or NULL. */
static const unsigned char *scan_string(scan *s, const unsigned char *p, uint32_t t, bool key)
{
    const unsigned char *q = p + 1, *end = s->end;
    unsigned flags = 0;
    for (;;) {
        while (end - q >= 16) {
            size_t k = bkp_json_run16(q);
            q += k;
            if (k < 16)
                goto stop;
        }
        while (q < end && !bkp_json_is_stop(*q))
            q++;
        if (q == end)
            return bad(s, p, "unterminated string");
    stop:
        if (*q == '"')
            break;
        if (*q == '\\') {
            if (!(q = scan_escape(s, q, &flags, key)))
                return NULL;
        } else if (*q < 0x20) {
            return bad(s, q, "control character in a string");
        } else {
            size_t n = bkp_utf8_seq(q, end);
            if (!n)
                return bad(s, q, "invalid UTF-8");
            q += n;
        }
    }
    s->tok[t].start = (uint32_t)(p + 1 - s->base);
    s->tok[t].len = (uint32_t)(q - p - 1);
    s->tok[t].flags = flags;
    return q + 1;
}

static inline bool is_digit(const unsigned char *p, const unsigned char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}

/* Whether the digits d[0..n) (no leading zero) fit int64_t, negative or not. */
static bool fits_int64(const unsigned char *d, size_t n, bool neg)
{
    if (n != 19)
        return n < 19;
    return memcmp(d, neg ? "9223372036854775808" : "9223372036854775807", 19) <= 0;
}

/* The number at p into token t; where the text goes on, or NULL. */
static const unsigned char *scan_number(scan *s, const unsigned char *p, uint32_t t)
{
    const unsigned char *q = p, *end = s->end;
    bool neg = *q == '-', integer = true;
    q += neg;
    const unsigned char *digits = q;
    if (!is_digit(q, end))
        return bad(s, p, "invalid number");
    if (*q == '0') {
        if (is_digit(++q, end))
            return bad(s, p, "leading zero in a number");
    } else {
        while (is_digit(q, end))
            q++;
    }
    size_t nint = (size_t)(q - digits);
    int64_t exp = 0;
    if (q < end && *q == '.') {
        integer = false;
        if (!is_digit(++q, end))
            return bad(s, p, "invalid number");
        while (is_digit(q, end))
            q++;
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        integer = false;
        q++;
        bool eneg = q < end && *q == '-';
        if (q < end && (*q == '-' || *q == '+'))
            q++;
        if (!is_digit(q, end))
            return bad(s, p, "invalid number");
        for (; is_digit(q, end); q++)
            if (exp < 100000)
                exp = exp * 10 + (*q - '0');
        exp = eneg ? -exp : exp;
    }
    bk_json_tok *tk = &s->tok[t];
    tk->len = (uint32_t)(q - p);
    if (integer) {
        if (!fits_int64(digits, nint, neg))
            return bad(s, p, "integer out of range");
        tk->flags = BK_JSON_INTEGER;
    } else if ((int64_t)nint + exp > 308) {
        /* below 10^308 a double cannot overflow; above, strtod says */
        double v;
        if (bkp_json_strtod((const char *)p, tk->len, &v) != 0) {
            fail_at(s, BK_ENOMEM, p, "out of memory");
            return NULL;
        }
        if (isinf(v))
            return bad(s, p, "number out of range");
    }
    return q;
}

/* true, false or null at p into token t. */
static const unsigned char *scan_literal(scan *s, const unsigned char *p, uint32_t t)
{
    static const struct { const char *word; unsigned len, type; } lit[] = {
        {"true", 4, BK_JSON_TRUE}, {"false", 5, BK_JSON_FALSE}, {"null", 4, BK_JSON_NULL}};
    int i = *p == 't' ? 0 : *p == 'f' ? 1 : 2;
    if ((size_t)(s->end - p) < lit[i].len || memcmp(p, lit[i].word, lit[i].len) != 0)
        return bad(s, p, "invalid literal");
    s->tok[t].type = lit[i].type;
    s->tok[t].len = lit[i].len;
    return p + lit[i].len;
}

/* A scalar at p into a new token; where the text goes on, or NULL. */
static const unsigned char *scan_scalar(scan *s, const unsigned char *p)
{
    uint32_t t;
    switch (*p) {
    case '"':
        t = push(s, p, BK_JSON_STRING);
        return t == NONE ? NULL : scan_string(s, p, t, false);
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        t = push(s, p, BK_JSON_NUMBER);
        return t == NONE ? NULL : scan_number(s, p, t);
    case 't': case 'f': case 'n':
        t = push(s, p, BK_JSON_NULL);
        return t == NONE ? NULL : scan_literal(s, p, t);
    default:
        return bad(s, p, "expected a value");
    }
}

static int run(scan *s)
{
    const unsigned char *p = s->base, *end = s->end;
    uint32_t open = NONE, t; /* the innermost open container */
    bool in_object = false;

value:
    p = skip_ws(p, end);
    if (p == end)
        return fail_at(s, BK_ESYNTAX, p, "unexpected end of input");
    if (s->depth >= s->max_depth)
        return fail_at(s, BK_ELIMIT, p, "nesting too deep");
    if (open != NONE && !in_object)
        s->tok[open].count++;
    if (*p == '{' || *p == '[') {
        in_object = *p == '{';
        if ((t = push(s, p, in_object ? BK_JSON_OBJECT : BK_JSON_ARRAY)) == NONE)
            return s->err->code;
        s->tok[t].next = open;
        open = t;
        s->depth++;
        p = skip_ws(p + 1, end);
        if (p < end && *p == (in_object ? '}' : ']'))
            goto close;
        if (in_object)
            goto key;
        goto value;
    }
    if (!(p = scan_scalar(s, p)))
        return s->err->code;
    goto after;

key:
    p = skip_ws(p, end);
    if (p == end || *p != '"')
        return fail_at(s, BK_ESYNTAX, p, p == end ? "unexpected end of input"
                                                  : "expected a string key");
    s->tok[open].count++;
    if ((t = push(s, p, BK_JSON_STRING)) == NONE || !(p = scan_string(s, p, t, true)))
        return s->err->code;
    p = skip_ws(p, end);
    if (p == end || *p != ':')
        return fail_at(s, BK_ESYNTAX, p, "expected ':' after an object key");
    p++;
    goto value;

after:
    p = skip_ws(p, end);
    if (open == NONE) {
        if (p != end)
            return fail_at(s, BK_ESYNTAX, p, "unexpected data after the value");
        return 0;
    }
    if (p == end)
        return fail_at(s, BK_ESYNTAX, p, "unexpected end of input");
    if (*p == ',') {
        p++;
        if (in_object)
            goto key;
        goto value;
    }
    if (*p != (in_object ? '}' : ']'))
        return fail_at(s, BK_ESYNTAX, p,
                       in_object ? "expected ',' or '}'" : "expected ',' or ']'");

close: {
        bk_json_tok *o = &s->tok[open];
        o->len = (uint32_t)(p + 1 - s->base) - o->start;
        open = o->next;
        o->next = s->n;
        s->depth--;
        in_object = open != NONE && s->tok[open].type == BK_JSON_OBJECT;
        p++;
        goto after;
    }
}

int bk_json_parse(bk_json_doc *doc, bk_arena *a, char *text, size_t len,
                  const bk_json_limits *lim, bk_json_error *err)
{
    bk_json_error spare;
    scan s = {.a = a, .err = err ? err : &spare};
    *s.err = (bk_json_error){.msg = ""};
    memset(doc, 0, sizeof *doc);
    s.base = (const unsigned char *)(text ? text : "");
    if (!a || (!text && len))
        return fail_at(&s, BK_EINVAL, s.base, "invalid argument");
    size_t max_bytes = lim && lim->max_bytes ? lim->max_bytes : BK_JSON_DEFAULT_MAX_BYTES;
    if (max_bytes > UINT32_MAX - 1)
        max_bytes = UINT32_MAX - 1;
    s.max_tokens = lim && lim->max_tokens ? lim->max_tokens : BK_JSON_DEFAULT_MAX_TOKENS;
    if (s.max_tokens > BK_JSON_MAX_TOKENS)
        s.max_tokens = BK_JSON_MAX_TOKENS;
    s.max_depth = lim && lim->max_depth ? lim->max_depth : BK_JSON_MAX_DEPTH;
    if (s.max_depth > BK_JSON_MAX_DEPTH)
        s.max_depth = BK_JSON_MAX_DEPTH;
    if (len > max_bytes)
        return fail_at(&s, BK_ELIMIT, s.base + max_bytes, "input too large");
    s.end = s.base + len;
    /* A guess that a 10 KB string fits in one small block, a list of structs in a few. */
    s.cap = (uint32_t)(len / 64 + 16);
    if (s.cap > s.max_tokens)
        s.cap = s.max_tokens;
    if (!(s.tok = bk_arena_alloc(a, (size_t)s.cap * sizeof *s.tok)))
        return fail_at(&s, BK_ENOMEM, s.base, "out of memory");
    int rc = run(&s);
    if (rc != 0)
        return rc;
    doc->text = text;
    doc->len = len;
    doc->tok = s.tok;
    doc->ntok = s.n;
    return 0;
}

const char *bk_json_tok_kind(const bk_json_doc *d, uint32_t i)
{
    if (i >= d->ntok)
        return "null";
    switch (d->tok[i].type) {
    case BK_JSON_OBJECT: return "object";
    case BK_JSON_ARRAY: return "list";
    case BK_JSON_STRING: return "string";
    case BK_JSON_NUMBER: return d->tok[i].flags & BK_JSON_INTEGER ? "int" : "double";
    case BK_JSON_TRUE:
    case BK_JSON_FALSE: return "bool";
    default: return "null";
    }
}
