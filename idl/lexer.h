/* The .bkidl lexer (idl/lexer.re, turned into C by re2c at build time). Internal to bkpr-gen.
 * Token codes are the grammar's (BKP_IDL_TK_* in the generated idl/grammar.h). */
#ifndef BKP_IDL_LEXER_H
#define BKP_IDL_LEXER_H

#include <stdbool.h>
#include <stdint.h>

#include "idl/ast.h"
#include "idl/diag.h"

typedef struct bkp_idl_token {
    int type; /* BKP_IDL_TK_*, 0 at the end of the input */
    bkp_idl_pos pos;
    bkp_idl_pos end;  /* right after its last character */
    const char *text; /* in the arena: identifier, decoded string, or a number as written */
    size_t len;       /* of text, in bytes */
    int64_t i;        /* INTEGER */
    double d;         /* INTEGER and REAL */
    bool overflow;    /* INTEGER outside int64, REAL outside double */
    const char *doc;  /* the doc comment right before this token, or NULL */
} bkp_idl_token;

typedef struct bkp_idl_lexer {
    const bkp_idl_source *src;
    bkp_idl_arena *arena;
    bkp_idl_diag *diag;
    const unsigned char *cur, *lim;
    const char *doc; /* pending doc comment */
    int errors;      /* lexical errors reported */
} bkp_idl_lexer;

/* src must have been checked (bkp_idl_source_set returned 0): valid UTF-8, no NUL. */
void bkp_idl_lexer_init(bkp_idl_lexer *l, const bkp_idl_source *src, bkp_idl_arena *a,
                        bkp_idl_diag *d);

/* The next token into *t; returns its type. Lexical errors (a stray character, a bad escape,
 * an unterminated string or comment) are reported to the collector, counted in l->errors, and
 * lexing goes on after them. */
int bkp_idl_lex(bkp_idl_lexer *l, bkp_idl_token *t);

#endif
