/* Relaxed JSON: one pass copies the text with comments and trailing commas blanked out with
 * spaces (newlines kept), so that jansson parses the rest strictly and its line and column
 * numbers still point into the file as written. The same pass notes where each value and
 * each object key starts (when positions are wanted), in text order: jansson keeps an
 * object's members in the order it read them (always since 2.8), so the notes follow a walk
 * of the parsed document (see seek()). */
#include "config/rjson.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beekeeper/error.h"

/* Containers nested deeper than jansson parses (2048) leave no positions: it refuses them. */
#define MAX_DEPTH 2048

struct bkp_rjson_where {
    const json_t *root;
    char *text;                /* what jansson parsed: positions are offsets into it */
    size_t *at;                /* where each value and key starts, in text order */
    size_t n, cap;
    int lost;                  /* out of memory or too deep: no positions */
};

static void where(const char *t, size_t pos, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < pos; i++) {
        if (t[i] == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)t[i] & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

/* Writes the comment s[from..to) to t at w as white space: a newline for each newline and one
 * space for each other character (not byte), so that jansson counts the lines and columns of
 * the text as written. Returns the new w. */
static size_t blank(const char *s, size_t from, size_t to, char *t, size_t w)
{
    for (size_t i = from; i < to; i++) {
        if (s[i] == '\n')
            t[w++] = '\n';
        else if (((unsigned char)s[i] & 0xC0) != 0x80)
            t[w++] = ' ';
    }
    return w;
}

enum expect { OTHER, VALUE, KEY };

typedef struct scan {
    bkp_rjson_where *w;        /* NULL: positions not wanted */
    unsigned char open[MAX_DEPTH]; /* '[' or '{' for each container open */
    size_t depth;
    enum expect expect;        /* what a string or another token starts here */
} scan;

static void note(scan *sc, size_t at)
{
    bkp_rjson_where *w = sc->w;
    if (!w || w->lost)
        return;
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 64;
        size_t *p = realloc(w->at, cap * sizeof *p);
        if (!p) {
            w->lost = 1;
            return;
        }
        w->at = p;
        w->cap = cap;
    }
    w->at[w->n++] = at;
}

/* What follows a comma: a key in an object, a value in an array. */
static enum expect after_comma(const scan *sc)
{
    if (sc->depth == 0 || sc->depth > MAX_DEPTH)
        return VALUE;
    return sc->open[sc->depth - 1] == '{' ? KEY : VALUE;
}

/* Copies s[0..len) to t with comments and trailing commas blanked and sets *tlen (<= len).
 * A comma that follows a value and is followed, past white space and comments, by ']' or
 * '}' is a trailing comma. One that follows '[', '{', ':' or another comma is left for
 * jansson to reject, so that "[,]" and "[1,,]" are errors. Returns 0, or the error with err
 * filled. */
static int blank_text(scan *sc, const char *s, size_t len, char *t, size_t *tlen,
                      const char *name, char *err, size_t errlen)
{
    size_t i = 0, w = 0, line, col;
    size_t comma = (size_t)-1; /* t offset of a comma that is trailing if a ']' or '}' follows */
    char prev = ',';           /* the last character jansson sees that is not white space */
    sc->expect = VALUE;
    while (i < len) {
        char c = s[i];
        if (c == '"') {
            if (sc->expect != OTHER)
                note(sc, w);
            sc->expect = OTHER;
            t[w++] = s[i++];
            for (; i < len && s[i] != '"' && s[i] != '\n'; i++) {
                if (s[i] == '\\' && i + 1 < len)
                    t[w++] = s[i++];
                t[w++] = s[i];
            }
            if (i < len)
                t[w++] = s[i++]; /* jansson reports an unterminated string */
            prev = '"';
            comma = (size_t)-1;
        } else if (c == '#' || (c == '/' && i + 1 < len && s[i + 1] == '/')) {
            size_t start = i;
            while (i < len && s[i] != '\n')
                i++;
            w = blank(s, start, i, t, w);
        } else if (c == '/' && i + 1 < len && s[i + 1] == '*') {
            size_t start = i;
            i += 2;
            while (i < len && !(s[i] == '*' && i + 1 < len && s[i + 1] == '/'))
                i++;
            if (i >= len) {
                where(s, start, &line, &col);
                snprintf(err, errlen, "%s:%zu:%zu: unterminated /* comment", name, line, col);
                return BK_ESYNTAX;
            }
            i += 2;
            w = blank(s, start, i, t, w);
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            t[w++] = s[i++];
        } else {
            if (c == ',') {
                comma = prev != '[' && prev != '{' && prev != ':' && prev != ',' ? w
                                                                                 : (size_t)-1;
                sc->expect = after_comma(sc);
            } else {
                if ((c == ']' || c == '}') && comma != (size_t)-1)
                    t[comma] = ' ';
                comma = (size_t)-1;
                if (sc->expect == VALUE && c != ']' && c != '}' && c != ':')
                    note(sc, w);
                if (c == '[' || c == '{') {
                    if (sc->depth < MAX_DEPTH)
                        sc->open[sc->depth] = (unsigned char)c;
                    else if (sc->w)
                        sc->w->lost = 1;
                    sc->depth++;
                    sc->expect = c == '[' ? VALUE : KEY;
                } else if (c == ']' || c == '}') {
                    if (sc->depth)
                        sc->depth--;
                    sc->expect = OTHER;
                } else {
                    sc->expect = c == ':' ? VALUE : OTHER;
                }
            }
            prev = c;
            t[w++] = s[i++];
        }
    }
    *tlen = w;
    return 0;
}

/* jansson says "'}' expected near '\"b\"'" at the end of the token after a value with no comma
 * before it. When that token could start a value, the comma is what is missing: say so, at
 * the place just after the previous value, as a compiler points at a missing ';'. Returns 1
 * when err was written. */
static int missing_comma(const char *t, const json_error_t *je, const char *name, char *err,
                         size_t errlen)
{
    static const char tail[] = " expected near '";
    const char *text = je->text;
    if ((text[0] != '\'' || (text[1] != '}' && text[1] != ']') || text[2] != '\'') ||
        strncmp(text + 3, tail, sizeof tail - 1) != 0)
        return 0;
    const char *tok = text + 3 + sizeof tail - 1;
    size_t toklen = strlen(tok);
    if (toklen < 2 || tok[toklen - 1] != '\'' || !strchr("\"-0123456789{[tfn", tok[0]))
        return 0;
    toklen--;
    if (je->position < 0 || (size_t)je->position < toklen)
        return 0;
    size_t end = (size_t)je->position - toklen; /* where the token starts */
    while (end > 0 && strchr(" \t\r\n", t[end - 1]))
        end--;
    size_t line, col;
    where(t, end, &line, &col);
    snprintf(err, errlen, "%s:%zu:%zu: expected ',' or '%c' after the value: is a comma missing?",
             name, line, col, text[1]);
    return 1;
}

/* Parses text[0..len); with where, *where gets the positions (and keeps the blanked copy). */
static int load(const char *text, size_t len, const char *name, json_t **out,
                bkp_rjson_where **wherep, char *err, size_t errlen)
{
    char dummy[1];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    *out = NULL;
    if (wherep)
        *wherep = NULL;
    char *t = malloc(len + 1);
    bkp_rjson_where *w = wherep ? calloc(1, sizeof *w) : NULL;
    scan sc = {.w = w};
    int rc = 0;
    if (!t || (wherep && !w)) {
        snprintf(err, errlen, "%s: out of memory", name);
        rc = BK_ENOMEM;
        goto out;
    }
    /* Checked here, not while blanking, so that a NUL in a string or a comment is caught too. */
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        size_t line, col;
        where(text, (size_t)(nul - text), &line, &col);
        snprintf(err, errlen, "%s:%zu:%zu: NUL byte in the file", name, line, col);
        rc = BK_ESYNTAX;
        goto out;
    }
    size_t tlen;
    rc = blank_text(&sc, text, len, t, &tlen, name, err, errlen);
    if (rc)
        goto out;
    t[tlen] = '\0';
    json_error_t je;
    *out = json_loadb(t, tlen, JSON_REJECT_DUPLICATES, &je);
    if (!*out) {
        if (!missing_comma(t, &je, name, err, errlen))
            snprintf(err, errlen, "%s:%d:%d: %s", name, je.line, je.column, je.text);
        rc = BK_ESYNTAX;
        goto out;
    }
    if (w) {
        w->root = *out;
        w->text = t;
        t = NULL;
        *wherep = w;
        w = NULL;
    }
out:
    free(t);
    bkp_rjson_where_free(w);
    return rc;
}

int bkp_rjson_loads(const char *text, size_t len, const char *name, json_t **out, char *err,
                    size_t errlen)
{
    return load(text, len, name, out, NULL, err, errlen);
}

int bkp_rjson_loadf_where(const char *path, json_t **out, bkp_rjson_where **wherep, char *err,
                          size_t errlen)
{
    char dummy[1];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    *out = NULL;
    if (wherep)
        *wherep = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return e == ENOENT ? BK_ENOTFOUND : BK_EIO;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    int rc = 0;
    while (buf) {
        if (len == cap) {
            if (cap >= BKP_RJSON_MAX_BYTES) {
                if (getc(f) == EOF)
                    break; /* exactly the limit: allowed */
                snprintf(err, errlen, "%s: larger than %zu bytes", path, BKP_RJSON_MAX_BYTES);
                rc = BK_EIO;
                goto out;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                snprintf(err, errlen, "%s: out of memory", path);
                rc = BK_ENOMEM;
                goto out;
            }
            buf = nb;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        rc = BK_ENOMEM;
    } else if (ferror(f)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = BK_EIO;
    } else {
        rc = load(buf, len, path, out, wherep, err, errlen);
    }
out:
    free(buf);
    fclose(f);
    return rc;
}

int bkp_rjson_loadf(const char *path, json_t **out, char *err, size_t errlen)
{
    return bkp_rjson_loadf_where(path, out, NULL, err, errlen);
}

void bkp_rjson_where_free(bkp_rjson_where *w)
{
    if (!w)
        return;
    free(w->text);
    free(w->at);
    free(w);
}

/* ---- positions: the notes are the values and keys in the order of a depth-first walk ---- */

/* Walks v, whose note is *at: 1 with *at the note of target when target is in v, else 0
 * with *at past v's notes (one for v, one for each member's key, and those of what v holds). */
static int seek(const json_t *v, const json_t *target, size_t *at)
{
    size_t i;
    const char *k;
    json_t *e;
    if (v == target)
        return 1;
    (*at)++;
    if (json_is_array(v)) {
        json_array_foreach(v, i, e)
            if (seek(e, target, at))
                return 1;
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, e) {
            (*at)++;
            if (seek(e, target, at))
                return 1;
        }
    }
    return 0;
}

static bkp_rjson_pos pos_of(const bkp_rjson_where *w, size_t note)
{
    bkp_rjson_pos p = {0, 0};
    where(w->text, w->at[note], &p.line, &p.col);
    return p;
}

/* The note of v, or (size_t)-1 when there are no positions or v is not in the document. */
static size_t note_of(const bkp_rjson_where *w, const json_t *v)
{
    size_t all = 0, at = 0;
    if (!w || w->lost || !v)
        return (size_t)-1;
    seek(w->root, NULL, &all);
    if (all != w->n || !seek(w->root, v, &at))
        return (size_t)-1;
    return at;
}

bkp_rjson_pos bkp_rjson_where_top(const bkp_rjson_where *w)
{
    bkp_rjson_pos none = {0, 0};
    return note_of(w, w ? w->root : NULL) == (size_t)-1 ? none : pos_of(w, 0);
}

bkp_rjson_pos bkp_rjson_where_elem(const bkp_rjson_where *w, const json_t *a, size_t i)
{
    bkp_rjson_pos none = {0, 0};
    size_t at = note_of(w, a);
    if (at == (size_t)-1 || !json_is_array(a) || i >= json_array_size(a))
        return none;
    at++;
    for (size_t j = 0; j < i; j++)
        seek(json_array_get(a, j), NULL, &at);
    return pos_of(w, at);
}

bkp_rjson_pos bkp_rjson_where_key(const bkp_rjson_where *w, const json_t *o, const char *key,
                                  bkp_rjson_pos *value)
{
    bkp_rjson_pos none = {0, 0};
    size_t at = note_of(w, o);
    const char *k;
    json_t *e;
    if (value)
        *value = none;
    if (at == (size_t)-1 || !json_is_object(o) || !key)
        return none;
    at++;
    json_object_foreach((json_t *)o, k, e) {
        if (strcmp(k, key) == 0) {
            if (value)
                *value = pos_of(w, at + 1);
            return pos_of(w, at);
        }
        at++;
        seek(e, NULL, &at);
    }
    return none;
}
