/* The string buffer of bkpr-gen's generator (sbuf.h). */
#include "codegen/sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void cg_sb_grow(cg_sb *b, size_t n)
{
    if (b->len + n + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *ns = realloc(b->s, cap);
    if (!ns) {
        fputs("bkpr-gen: out of memory\n", stderr);
        abort();
    }
    if (!b->s)
        ns[0] = '\0';
    b->s = ns;
    b->cap = cap;
}

void cg_sb_cat(cg_sb *b, ...)
{
    va_list ap;
    va_start(ap, b);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
        cg_sb_add(b, s, strlen(s));
    va_end(ap);
}

void cg_sb_addu(cg_sb *b, size_t n)
{
    char d[24], *p = d + sizeof d;
    do
        *--p = (char)('0' + n % 10);
    while (n /= 10);
    cg_sb_add(b, p, (size_t)(d + sizeof d - p));
}

json_t *cg_sb_json(cg_sb *b)
{
    json_t *j = json_stringn_nocheck(b->s ? b->s : "", b->len);
    if (!j) {
        fputs("bkpr-gen: out of memory\n", stderr);
        abort();
    }
    cg_sb_clear(b);
    return j;
}

void cg_sb_free(cg_sb *b)
{
    free(b->s);
    *b = (cg_sb){0};
}
