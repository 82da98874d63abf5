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

/* Pass 1: comments. Returns 0, or the error with err filled. */
static int blank_comments(char *t, size_t len, const char *name, char *err, size_t errlen)
{
    size_t i = 0, line, col;
    while (i < len) {
        char c = t[i];
        if (c == '\0') {
            where(t, i, &line, &col);
            snprintf(err, errlen, "%s:%zu:%zu: NUL byte in the file", name, line, col);
            return BK_ESYNTAX;
        }
        if (c == '"') {
            for (i++; i < len && t[i] != '"' && t[i] != '\n'; i++)
                if (t[i] == '\\' && i + 1 < len)
                    i++;
            i++; /* jansson reports an unterminated string */
        } else if (c == '#' || (c == '/' && i + 1 < len && t[i + 1] == '/')) {
            while (i < len && t[i] != '\n')
                t[i++] = ' ';
        } else if (c == '/' && i + 1 < len && t[i + 1] == '*') {
            size_t start = i;
            t[i++] = ' ';
            t[i++] = ' ';
            while (i < len && !(t[i] == '*' && i + 1 < len && t[i + 1] == '/')) {
                if (t[i] != '\n')
                    t[i] = ' ';
                i++;
            }
            if (i >= len) {
                where(t, start, &line, &col);
                snprintf(err, errlen, "%s:%zu:%zu: unterminated /* comment", name, line, col);
                return BK_ESYNTAX;
            }
            t[i++] = ' ';
            t[i++] = ' ';
        } else {
            i++;
        }
    }
    return 0;
}

/* Pass 2: a comma followed, past white space, by ']' or '}' is a trailing comma. */
static void blank_trailing_commas(char *t, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (t[i] == '"') {
            for (i++; i < len && t[i] != '"' && t[i] != '\n'; i++)
                if (t[i] == '\\' && i + 1 < len)
                    i++;
        } else if (t[i] == ',') {
            size_t j = i + 1;
            while (j < len && (t[j] == ' ' || t[j] == '\t' || t[j] == '\n' || t[j] == '\r'))
                j++;
            if (j < len && (t[j] == ']' || t[j] == '}'))
                t[i] = ' ';
        }
    }
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
    memcpy(t, text, len);
    t[len] = '\0';
    int rc = blank_comments(t, len, name, err, errlen);
    if (rc)
        goto out;
    blank_trailing_commas(t, len);
    json_error_t je;
    *out = json_loadb(t, len, JSON_REJECT_DUPLICATES, &je);
    if (!*out) {
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
