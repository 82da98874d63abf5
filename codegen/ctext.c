/* C text for bkpr-gen's generator (ctext.h). */
#include "codegen/ctext.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void cg_c_string(cg_sb *b, const char *s, size_t n)
{
    cg_sb_grow(b, n + 2);
    cg_sb_addc(b, '"');
    size_t run = 0; /* bytes copied as they are, added in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc;
        char oct[5];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\t': esc = "\\t"; break;
        case '\r': esc = "\\r"; break;
        case '?': esc = "\\?"; break; /* no trigraphs */
        case '/': /* never "*" "/" inside the comments that quote these literals */
            if (i > 0 && s[i - 1] == '*') {
                esc = "\\057";
                break;
            }
            run++;
            continue;
        default:
            if (c >= 0x20 && c < 0x7f) {
                run++;
                continue;
            }
            oct[0] = '\\';
            oct[1] = (char)('0' + (c >> 6));
            oct[2] = (char)('0' + ((c >> 3) & 7));
            oct[3] = (char)('0' + (c & 7));
            oct[4] = '\0';
            esc = oct;
        }
        cg_sb_add(b, s + i - run, run);
        run = 0;
        cg_sb_adds(b, esc);
    }
    cg_sb_add(b, s + n - run, run);
    cg_sb_addc(b, '"');
}

const char *cg_c_string_str(cg_gen *g, const char *s, size_t n)
{
    cg_sb b = {0};
    cg_c_string(&b, s, n);
    const char *r = cg_sb_str(g, &b);
    cg_sb_free(&b);
    return r;
}

void cg_doc_c(cg_sb *b, json_t *doc, const char *indent)
{
    const char *d = json_string_value(doc);
    if (!d || !*d)
        return;
    cg_sb text = {0};
    for (const char *p = d; *p; p++) {
        if (p[0] == '*' && p[1] == '/')
            cg_sb_add(&text, "* ", 2);
        else
            cg_sb_addc(&text, *p);
    }
    if (!strchr(text.s, '\n')) {
        cg_sb_cat(b, indent, "/** ", text.s, " */\n", NULL);
    } else {
        cg_sb_cat(b, indent, "/**\n", NULL);
        for (char *line = text.s; line;) {
            char *nl = strchr(line, '\n');
            if (nl)
                *nl = '\0';
            cg_sb_cat(b, indent, *line ? " * " : " *", line, "\n", NULL);
            line = nl ? nl + 1 : NULL;
        }
        cg_sb_cat(b, indent, " */\n", NULL);
    }
    cg_sb_free(&text);
}

json_t *cg_doc_c_json(json_t *doc, const char *indent)
{
    cg_sb b = {0};
    cg_doc_c(&b, doc, indent);
    json_t *j = cg_sb_json(&b);
    cg_sb_free(&b);
    return j;
}

/* ---------------------------------------------------------------- wrapping */

typedef struct scan {
    bool comment; /* inside a block comment (it may go on over lines) */
    char lit;     /* inside a string or character literal: its quote */
    bool esc;
} scan;

/* Steps the scan over l[i] (and l[i + 1] for a comment's delimiters); returns the index of
 * the last byte taken. *code: the byte is code, not part of a literal or comment. A line
 * comment takes the rest of the line. */
static inline size_t step(scan *st, const char *l, size_t i, size_t n, bool *code)
{
    char ch = l[i], next = i + 1 < n ? l[i + 1] : '\0';
    *code = false;
    if (st->comment) {
        if (ch == '*' && next == '/') {
            st->comment = false;
            return i + 1;
        }
    } else if (st->lit) {
        if (st->esc)
            st->esc = false;
        else if (ch == '\\')
            st->esc = true;
        else if (ch == st->lit)
            st->lit = 0;
    } else if (ch == '"' || ch == '\'') {
        st->lit = ch;
    } else if (ch == '/' && next == '*') {
        st->comment = true;
        return i + 1;
    } else if (ch == '/' && next == '/') {
        return n - 1;
    } else {
        *code = true;
    }
    return i;
}

/* The bytes that change the scan outside literals and comments: brackets, commas, quotes and
 * the '/' of a comment. Any other is stepped over at once. */
static const bool special[256] = {
    ['('] = true, [')'] = true, ['{'] = true, ['}'] = true, ['['] = true, [']'] = true,
    [','] = true, ['"'] = true, ['\''] = true, ['/'] = true,
};

/* Appends line l[0..n) (without its newline), broken as cg_c_wrap says. */
static void wrap_line(cg_sb *out, const char *l, size_t n, size_t width, scan *st)
{
    static const char spaces[] = "                                                            "
                                 "                                                            ";
    size_t open[32], best_open[32], seg = 0, base = 0, best = 0, best_indent = 0;
    int depth = 0, best_depth = 0;
    bool have_best = false, want_next = false, code;
    size_t lead = 0;
    while (lead < n && l[lead] == ' ')
        lead++;
    if (lead < n && l[lead] == '#' && !st->comment) {
        for (size_t i = 0; i < n; i++)
            i = step(st, l, i, n, &code);
        cg_sb_add(out, l, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t col = base + (i - seg), at = i;
        if (st->comment || st->lit || special[(unsigned char)l[i]])
            i = step(st, l, i, n, &code);
        else
            code = false;
        if (code) {
            char ch = l[at];
            if ((ch == '(' || ch == '{' || ch == '[') && depth < 32)
                open[depth++] = col + 1;
            else if ((ch == ')' || ch == '}' || ch == ']') && depth > 0)
                depth--;
            else if (ch == ',' && at + 1 < n && l[at + 1] == ' ' && depth > 0 &&
                     (want_next || col + 1 <= width)) {
                have_best = true;
                best = at;
                best_indent = open[depth - 1];
                best_depth = depth;
                memcpy(best_open, open, (size_t)depth * sizeof open[0]);
            }
        }
        if (have_best && (want_next || base + (i - seg) >= width)) {
            /* the segment ends after best's comma; the next begins after its space */
            cg_sb_add(out, l + seg, best + 1 - seg);
            cg_sb_addc(out, '\n');
            for (size_t k = best_indent; k > 0;) {
                size_t m = k < sizeof spaces - 1 ? k : sizeof spaces - 1;
                cg_sb_add(out, spaces, m);
                k -= m;
            }
            seg = best + 2;
            base = best_indent;
            depth = best_depth;
            memcpy(open, best_open, (size_t)depth * sizeof open[0]);
            *st = (scan){0};
            have_best = want_next = false;
            i = seg - 1;
            if (base + (n - seg) <= width)
                break; /* the rest fits */
        } else if (base + (i - seg) >= width) {
            want_next = true; /* nothing fits: break at the next comma that can */
        }
    }
    cg_sb_add(out, l + seg, n - seg);
}

bool cg_c_wrap(cg_sb *out, const char *text, size_t len, size_t width)
{
    scan st = {0};
    const char *span = text; /* the lines not copied yet: as they are, up to a long one */
    bool wrapped = false;
    for (const char *p = text, *e = text + len; p < e;) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(e - p);
        bool code;
        if (n > width) {
            if (!wrapped)
                cg_sb_grow(out, len + len / 8);
            wrapped = true;
            cg_sb_add(out, span, (size_t)(p - span));
            wrap_line(out, p, n, width, &st);
            span = p + n;
        } else if (st.comment || memchr(p, '/', n)) {
            /* without a '/', no comment begins or ends here (literals end with the line) */
            for (size_t i = 0; i < n; i++)
                if (st.comment || st.lit || special[(unsigned char)p[i]])
                    i = step(&st, p, i, n, &code);
        }
        st.lit = 0; /* a literal ends with its line */
        st.esc = false;
        p += n + 1;
    }
    if (wrapped)
        cg_sb_add(out, span, (size_t)(text + len - span));
    return wrapped;
}

const char *cg_upper(cg_gen *g, const char *s)
{
    char *u = bk_arena_strdup(g->arena, s);
    if (!u)
        abort();
    for (char *p = u; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    return u;
}
