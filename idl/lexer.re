/* The .bkidl lexer. re2c turns this file into $(B)/gen/idl/lexer.c at build time.
 * The source was checked before (valid UTF-8, no NUL byte), so the rules below work on bytes:
 * only string literals and comments may hold non-ASCII text. Positions come from byte offsets
 * through the source's line table. */
#include "idl/lexer.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "idl/grammar.h"
#include "idl/source.h"

void bkp_idl_lexer_init(bkp_idl_lexer *l, const bkp_idl_source *src, bkp_idl_arena *a,
                        bkp_idl_diag *d)
{
    memset(l, 0, sizeof *l);
    l->src = src;
    l->arena = a;
    l->diag = d;
    l->cur = (const unsigned char *)src->text;
    l->lim = l->cur + src->len;
}

static bkp_idl_pos pos_at(const bkp_idl_lexer *l, const unsigned char *p)
{
    return bkp_idl_source_pos(l->src, (size_t)(p - (const unsigned char *)l->src->text));
}

static void lex_error(bkp_idl_lexer *l, const unsigned char *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void lex_error(bkp_idl_lexer *l, const unsigned char *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bkp_idl_diag_verror(l->diag, l->src, pos_at(l, p), fmt, ap);
    va_end(ap);
    l->errors++;
}

/* The text of a doc comment: without its delimiters, each line without its leading blanks
 * and leading '*', without blank lines at both ends. NULL when nothing is left. */
static const char *doc_text(bkp_idl_arena *a, const unsigned char *b, const unsigned char *e)
{
    b += 3; /* "/" "**" */
    e -= 2; /* "*" "/" */
    char *out = bkp_idl_alloc(a, (size_t)(e - b) + 1);
    size_t n = 0;
    while (b < e) {
        const unsigned char *nl = memchr(b, '\n', (size_t)(e - b));
        const unsigned char *le = nl ? nl : e;
        while (b < le && (*b == ' ' || *b == '\t'))
            b++;
        if (b < le && *b == '*') {
            b++;
            if (b < le && *b == ' ')
                b++;
        }
        const unsigned char *te = le;
        while (te > b && (te[-1] == ' ' || te[-1] == '\t' || te[-1] == '\r' || te[-1] == '*'))
            te--;
        if (n > 0 || te > b) { /* skip blank lines at the start */
            memcpy(out + n, b, (size_t)(te - b));
            n += (size_t)(te - b);
            out[n++] = '\n';
        }
        b = nl ? nl + 1 : e;
    }
    while (n > 0 && out[n - 1] == '\n')
        n--;
    out[n] = '\0';
    return n ? out : NULL;
}

static int hexval(unsigned c)
{
    if (c >= '0' && c <= '9')
        return (int)(c - '0');
    if (c >= 'a' && c <= 'f')
        return (int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F')
        return (int)(c - 'A' + 10);
    return -1;
}

static int hex4(const unsigned char *p, const unsigned char *e)
{
    if (e - p < 4)
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static size_t put_utf8(char *o, unsigned long c)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* Decodes the body of a string literal b..e (without quotes): JSON's escapes. */
static void string_value(bkp_idl_lexer *l, bkp_idl_token *t, const unsigned char *b,
                         const unsigned char *e)
{
    char *out = bkp_idl_alloc(l->arena, (size_t)(e - b) + 1);
    size_t n = 0;
    while (b < e) {
        if (*b != '\\') {
            out[n++] = (char)*b++;
            continue;
        }
        const unsigned char *esc = b;
        b++;
        switch (*b) {
        case '"': out[n++] = '"'; b++; continue;
        case '\\': out[n++] = '\\'; b++; continue;
        case '/': out[n++] = '/'; b++; continue;
        case 'b': out[n++] = '\b'; b++; continue;
        case 'f': out[n++] = '\f'; b++; continue;
        case 'n': out[n++] = '\n'; b++; continue;
        case 'r': out[n++] = '\r'; b++; continue;
        case 't': out[n++] = '\t'; b++; continue;
        case 'u': {
            long c = hex4(b + 1, e);
            if (c < 0) {
                lex_error(l, esc, "%s", "invalid \\u escape: expected 4 hexadecimal digits");
                b++;
                continue;
            }
            b += 5;
            if (c >= 0xD800 && c <= 0xDBFF) {
                long c2 = (e - b >= 6 && b[0] == '\\' && b[1] == 'u') ? hex4(b + 2, e) : -1;
                if (c2 < 0xDC00 || c2 > 0xDFFF) {
                    lex_error(l, esc, "%s", "unpaired surrogate in \\u escape");
                    continue;
                }
                b += 6;
                c = 0x10000 + ((c - 0xD800) << 10) + (c2 - 0xDC00);
            } else if (c >= 0xDC00 && c <= 0xDFFF) {
                lex_error(l, esc, "%s", "unpaired surrogate in \\u escape");
                continue;
            } else if (c == 0) {
                lex_error(l, esc, "%s", "\\u0000 is not allowed in a string");
                continue;
            }
            n += put_utf8(out + n, (unsigned long)c);
            continue;
        }
        default: {
            char shown[8] = {0};
            size_t k = bkp_idl_utf8_len(b, (size_t)(e - b));
            memcpy(shown, b, k ? k : 1);
            lex_error(l, esc, "invalid escape '\\%s' in a string", shown);
            b += k ? k : 1;
            continue;
        }
        }
    }
    out[n] = '\0';
    t->text = out;
    t->len = n;
}

/* An integer literal: int64, or overflow. Its value as a double too (a default of a double
 * may be written as an integer). */
static void int_value(bkp_idl_token *t, const unsigned char *b, const unsigned char *e)
{
    bool neg = *b == '-';
    if (neg)
        b++;
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; b < e; b++) {
        unsigned dgt = (unsigned)(*b - '0');
        if (v > (lim - dgt) / 10) {
            t->overflow = true;
            v = lim;
            break;
        }
        v = v * 10 + dgt;
    }
    t->i = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    t->d = strtod(t->text, NULL);
}

int bkp_idl_lex(bkp_idl_lexer *l, bkp_idl_token *t)
{
    const unsigned char *YYCURSOR = l->cur, *YYLIMIT = l->lim, *YYMARKER = l->cur, *tok;
    int type;
    memset(t, 0, sizeof *t);
loop:
    tok = YYCURSOR;
    /*!re2c
    re2c:define:YYCTYPE = "unsigned char";
    re2c:yyfill:enable = 0;
    re2c:eof = 0;

    id = [A-Za-z_][A-Za-z0-9_]*;
    digits = [0-9]+;
    exp = [eE] [+-]? digits;
    strchar = [^"\\\n] | "\\" [^\n];
    commentbody = ([^*] | "*"+ [^*/])* "*"+ "/";

    $ { type = 0; goto done; }
    [ \t\r\n\v\f]+ { goto loop; }
    "//" [^\n]* { goto loop; }
    "/**" commentbody {
        const char *doc = doc_text(l->arena, tok, YYCURSOR);
        if (doc)
            l->doc = doc;
        goto loop;
    }
    "/*" commentbody { goto loop; }
    "/*" {
        lex_error(l, tok, "%s", "unterminated comment");
        YYCURSOR = YYLIMIT;
        goto loop;
    }

    ["] strchar* ["] {
        type = BKP_IDL_TK_STR;
        string_value(l, t, tok + 1, YYCURSOR - 1);
        goto done;
    }
    ["] strchar* {
        lex_error(l, tok, "%s", "unterminated string (strings end on the same line)");
        type = BKP_IDL_TK_STR;
        string_value(l, t, tok + 1, YYCURSOR);
        goto done;
    }

    "-"? digits {
        type = BKP_IDL_TK_INTEGER;
        t->text = bkp_idl_strndup(l->arena, (const char *)tok, (size_t)(YYCURSOR - tok));
        t->len = (size_t)(YYCURSOR - tok);
        int_value(t, tok, YYCURSOR);
        goto done;
    }
    "-"? digits ("." digits exp? | exp) {
        type = BKP_IDL_TK_REAL;
        t->text = bkp_idl_strndup(l->arena, (const char *)tok, (size_t)(YYCURSOR - tok));
        t->len = (size_t)(YYCURSOR - tok);
        t->d = strtod(t->text, NULL);
        t->overflow = isinf(t->d);
        goto done;
    }

    "namespace" { type = BKP_IDL_TK_NAMESPACE; goto word; }
    "import" { type = BKP_IDL_TK_IMPORT; goto word; }
    "enum" { type = BKP_IDL_TK_ENUM; goto word; }
    "struct" { type = BKP_IDL_TK_STRUCT; goto word; }
    "optional" { type = BKP_IDL_TK_OPTIONAL; goto word; }
    "error" { type = BKP_IDL_TK_ERROR; goto word; }
    "service" { type = BKP_IDL_TK_SERVICE; goto word; }
    "method" { type = BKP_IDL_TK_METHOD; goto word; }
    "oneway" { type = BKP_IDL_TK_ONEWAY; goto word; }
    "notification" { type = BKP_IDL_TK_NOTIFICATION; goto word; }
    "throws" { type = BKP_IDL_TK_THROWS; goto word; }
    "true" { type = BKP_IDL_TK_TRUE; goto word; }
    "false" { type = BKP_IDL_TK_FALSE; goto word; }
    "null" { type = BKP_IDL_TK_NULL; goto word; }
    "list" { type = BKP_IDL_TK_LIST; goto word; }
    "map" { type = BKP_IDL_TK_MAP; goto word; }
    "bool" { type = BKP_IDL_TK_BOOL; goto word; }
    "int" { type = BKP_IDL_TK_INT; goto word; }
    "double" { type = BKP_IDL_TK_DOUBLE; goto word; }
    "string" { type = BKP_IDL_TK_STRING; goto word; }
    "bytes" { type = BKP_IDL_TK_BYTES; goto word; }
    "any" { type = BKP_IDL_TK_ANY; goto word; }
    id { type = BKP_IDL_TK_ID; goto word; }

    "{" { type = BKP_IDL_TK_LBRACE; goto done; }
    "}" { type = BKP_IDL_TK_RBRACE; goto done; }
    "(" { type = BKP_IDL_TK_LPAREN; goto done; }
    ")" { type = BKP_IDL_TK_RPAREN; goto done; }
    "<" { type = BKP_IDL_TK_LT; goto done; }
    ">" { type = BKP_IDL_TK_GT; goto done; }
    ";" { type = BKP_IDL_TK_SEMI; goto done; }
    "," { type = BKP_IDL_TK_COMMA; goto done; }
    "=" { type = BKP_IDL_TK_EQ; goto done; }
    "->" { type = BKP_IDL_TK_ARROW; goto done; }
    "@" { type = BKP_IDL_TK_AT; goto done; }
    "." { type = BKP_IDL_TK_DOT; goto done; }

    * {
        /* One character, however many bytes it takes (the text is valid UTF-8). */
        size_t k = bkp_idl_utf8_len(tok, (size_t)(YYLIMIT - tok));
        if (k == 0)
            k = 1;
        char shown[8] = {0};
        memcpy(shown, tok, k);
        lex_error(l, tok, "unexpected character '%s'", shown);
        YYCURSOR = tok + k;
        goto loop;
    }
    */
word:
    t->text = bkp_idl_strndup(l->arena, (const char *)tok, (size_t)(YYCURSOR - tok));
    t->len = (size_t)(YYCURSOR - tok);
done:
    (void)YYMARKER;
    t->type = type;
    t->pos = pos_at(l, tok);
    t->end = t->pos; /* a token never spans lines: count its characters */
    for (const unsigned char *p = tok; p < YYCURSOR; p++)
        t->end.col += (*p & 0xC0) != 0x80;
    t->doc = l->doc;
    l->doc = NULL;
    l->cur = YYCURSOR;
    return type;
}
