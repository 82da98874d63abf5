/* A growable string buffer for bkpr-gen's generator: text is appended in place (no
 * temporary strings, no printf for what is only concatenation). Out of memory aborts the
 * program with a message: bkpr-gen is a command that has nothing to save then.
 * Internal to bkpr-gen. */
#ifndef CG_SBUF_H
#define CG_SBUF_H

#include <stddef.h>
#include <string.h>

#include <jansson.h>

typedef struct cg_sb {
    char *s;        /* NUL-terminated once anything was added; NULL before */
    size_t len, cap;
} cg_sb;

/* Room for n more bytes (and the NUL). */
void cg_sb_grow(cg_sb *b, size_t n);

static inline void cg_sb_add(cg_sb *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap)
        cg_sb_grow(b, n);
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static inline void cg_sb_adds(cg_sb *b, const char *s)
{
    cg_sb_add(b, s, strlen(s));
}

static inline void cg_sb_addc(cg_sb *b, char c)
{
    cg_sb_add(b, &c, 1);
}

/* Appends each string of the list, which ends with NULL. */
void cg_sb_cat(cg_sb *b, ...) __attribute__((sentinel));

/* Appends the decimal digits of n. */
void cg_sb_addu(cg_sb *b, size_t n);

/* Drops the text, keeps the memory. */
static inline void cg_sb_clear(cg_sb *b)
{
    b->len = 0;
    if (b->s)
        b->s[0] = '\0';
}

/* The text as a new JSON string; b is cleared (its memory kept for the next text). The text
 * is not checked as UTF-8: the generator's input was checked by the lexer, and what it adds
 * is ASCII. */
json_t *cg_sb_json(cg_sb *b);

/* Frees the memory; b is empty again. */
void cg_sb_free(cg_sb *b);

#endif
