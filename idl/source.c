/* Reading and checking .bkidl source texts; offsets to positions. */
#include "idl/source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t bkp_idl_utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* no overlong forms */
        if (c == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F; /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return len;
}

int bkp_idl_source_set(bkp_idl_source *s, bkp_idl_arena *a, bkp_idl_diag *d, const char *path,
                       const char *text, size_t len)
{
    s->path = bkp_idl_strdup(a, path);
    s->text = bkp_idl_strndup(a, text, len);
    s->len = len;
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\n')
            n++;
    s->lines = bkp_idl_alloc(a, n * sizeof *s->lines);
    s->nlines = 0;
    s->lines[s->nlines++] = 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\n')
            s->lines[s->nlines++] = i + 1;

    /* The line table counts code points, so the text must be checked before any position is
     * computed; the positions below only look at bytes already found valid. */
    const unsigned char *p = (const unsigned char *)s->text;
    for (size_t i = 0; i < len;) {
        if (p[i] == 0) {
            bkp_idl_diag_error(d, s, bkp_idl_source_pos(s, i), "NUL byte in the file");
            return -1;
        }
        size_t k = bkp_idl_utf8_len(p + i, len - i);
        if (k == 0) {
            bkp_idl_diag_error(d, s, bkp_idl_source_pos(s, i),
                               "invalid UTF-8 (byte 0x%02X): .bkidl files are UTF-8", p[i]);
            return -1;
        }
        i += k;
    }
    return 0;
}

int bkp_idl_source_read(bkp_idl_source *s, bkp_idl_arena *a, bkp_idl_diag *d, const char *path,
                        const bkp_idl_source *from, bkp_idl_pos at)
{
    memset(s, 0, sizeof *s);
    s->path = bkp_idl_strdup(a, path);
    const char *why = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        why = strerror(errno);
        goto out;
    }
    size_t cap = 0;
    for (;;) {
        if (len == cap) {
            if (cap >= BKP_IDL_MAX_SOURCE) {
                why = "file too big (16 MiB at most)";
                goto out;
            }
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (!nb) {
                why = "out of memory";
                goto out;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                why = strerror(errno ? errno : EIO);
            break;
        }
    }
out:
    if (f)
        fclose(f);
    int rc;
    if (why) {
        if (from)
            bkp_idl_diag_error(d, from, at, "cannot read '%s': %s", path, why);
        else
            bkp_idl_diag_error(d, s, (bkp_idl_pos){0, 0}, "cannot read the file: %s", why);
        rc = -1;
    } else {
        rc = bkp_idl_source_set(s, a, d, path, buf ? buf : "", len);
    }
    free(buf);
    return rc;
}

bkp_idl_pos bkp_idl_source_pos(const bkp_idl_source *s, size_t off)
{
    size_t lo = 0, hi = s->nlines; /* the last line starting at or before off */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->lines[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    int col = 1;
    for (size_t i = s->lines[lo]; i < off && i < s->len; i++)
        if (((unsigned char)s->text[i] & 0xC0) != 0x80)
            col++;
    return (bkp_idl_pos){(int)lo + 1, col};
}

const char *bkp_idl_source_line(const bkp_idl_source *s, int n, size_t *len)
{
    if (!s->text || n < 1 || (size_t)n > s->nlines)
        return NULL;
    const char *b = s->text + s->lines[n - 1];
    const char *e = memchr(b, '\n', s->len - s->lines[n - 1]);
    size_t l = e ? (size_t)(e - b) : s->len - s->lines[n - 1];
    if (l > 0 && b[l - 1] == '\r')
        l--;
    *len = l;
    return b;
}
