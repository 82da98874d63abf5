/* A growable string buffer for bkpr-gen's generator: text is appended in place (no
 * temporary strings, no printf for what is only concatenation). Out of memory aborts the
 * program with a message: bkpr-gen is a command that has nothing to save then.
 * Internal to bkpr-gen. */
#ifndef BKP_CODEGEN_SBUF_H
#define BKP_CODEGEN_SBUF_H

#include <stddef.h>
#include <string.h>

#include <jansson.h>

typedef struct bkp_sb {
    char *s;        /* NUL-terminated once anything was added; NULL before */
    size_t len, cap;
} bkp_sb;

/* Room for n more bytes (and the NUL). */
void bkp_sb_grow(bkp_sb *b, size_t n);

static inline void bkp_sb_add(bkp_sb *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap)
        bkp_sb_grow(b, n);
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static inline void bkp_sb_adds(bkp_sb *b, const char *s)
{
    bkp_sb_add(b, s, strlen(s));
}

static inline void bkp_sb_addc(bkp_sb *b, char c)
{
    bkp_sb_add(b, &c, 1);
}

/* Appends each string of the list, which ends with NULL. */
void bkp_sb_cat(bkp_sb *b, ...) __attribute__((sentinel));

/* Appends the decimal digits of n. */
void bkp_sb_addu(bkp_sb *b, size_t n);

/* Drops the text, keeps the memory. */
static inline void bkp_sb_clear(bkp_sb *b)
{
    b->len = 0;
    if (b->s)
        b->s[0] = '\0';
}

/* The text as a new JSON string; b is cleared (its memory kept for the next text). The text
 * is not checked as UTF-8: the generator's input was checked by the lexer, and what it adds
 * is ASCII. */
json_t *bkp_sb_json(bkp_sb *b);

/* Frees the memory; b is empty again. */
void bkp_sb_free(bkp_sb *b);

#endif
