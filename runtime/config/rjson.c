/* Relaxed JSON: comments and trailing commas are blanked out with spaces (newlines kept), so
 * that jansson parses the rest strictly and its line and column numbers still point into
 * the file as written. */
#include "config/rjson.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beekeeper/error.h"

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

/* Pass 1: copies s[0..len) to t with comments blanked and sets *tlen (<= len). Returns 0, or
 * the error with err filled. */
static int blank_comments(const char *s, size_t len, char *t, size_t *tlen, const char *name,
                          char *err, size_t errlen)
{
    size_t i = 0, w = 0, line, col;
    while (i < len) {
        char c = s[i];
        if (c == '"') {
            t[w++] = s[i++];
            for (; i < len && s[i] != '"' && s[i] != '\n'; i++) {
                if (s[i] == '\\' && i + 1 < len)
                    t[w++] = s[i++];
                t[w++] = s[i];
            }
            if (i < len)
                t[w++] = s[i++]; /* jansson reports an unterminated string */
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
        } else {
            t[w++] = s[i++];
        }
    }
    *tlen = w;
    return 0;
}

/* Pass 2: a comma that follows a value and is followed, past white space, by ']' or '}' is a
 * trailing comma. One that follows '[', '{', ':' or another comma is left for jansson to
 * reject, so that "[,]" and "[1,,]" are errors. */
static void blank_trailing_commas(char *t, size_t len)
{
    char prev = ','; /* the last character before i that is not white space */
    for (size_t i = 0; i < len; i++) {
        if (t[i] == '"') {
            for (i++; i < len && t[i] != '"' && t[i] != '\n'; i++)
                if (t[i] == '\\' && i + 1 < len)
                    i++;
            prev = '"';
        } else if (t[i] == ',') {
            size_t j = i + 1;
            while (j < len && (t[j] == ' ' || t[j] == '\t' || t[j] == '\n' || t[j] == '\r'))
                j++;
            if (j < len && (t[j] == ']' || t[j] == '}') && prev != '[' && prev != '{' &&
                prev != ':' && prev != ',')
                t[i] = ' ';
            prev = ',';
        } else if (t[i] != ' ' && t[i] != '\t' && t[i] != '\n' && t[i] != '\r') {
            prev = t[i];
        }
    }
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

int bkp_rjson_loads(const char *text, size_t len, const char *name, json_t **out, char *err,
                    size_t errlen)
{
    char dummy[1];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    *out = NULL;
    char *t = malloc(len + 1);
    if (!t) {
        snprintf(err, errlen, "%s: out of memory", name);
        return BK_ENOMEM;
    }
    int rc = 0;
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
    rc = blank_comments(text, len, t, &tlen, name, err, errlen);
    if (rc)
        goto out;
    t[tlen] = '\0';
    blank_trailing_commas(t, tlen);
    json_error_t je;
    *out = json_loadb(t, tlen, JSON_REJECT_DUPLICATES, &je);
    if (!*out) {
        if (!missing_comma(t, &je, name, err, errlen))
            snprintf(err, errlen, "%s:%d:%d: %s", name, je.line, je.column, je.text);
        rc = BK_ESYNTAX;
    }
out:
    free(t);
    return rc;
}

int bkp_rjson_loadf(const char *path, json_t **out, char *err, size_t errlen)
{
    char dummy[1];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    *out = NULL;
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
        rc = bkp_rjson_loads(buf, len, path, out, err, errlen);
    }
out:
    free(buf);
    fclose(f);
    return rc;
}
