/* Parsing one .bkidl file into its AST: the driver that feeds the lexer's tokens to the lemon
 * parser (idl/grammar.y) and recovers from syntax errors. Internal to bkpr-gen. */
#ifndef BKP_IDL_PARSE_H
#define BKP_IDL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "idl/ast.h"
#include "idl/diag.h"
#include "idl/lexer.h"

/* Parses file->src (already checked) into file->decls. Errors go to d; returns their number
 * (0: file->ok is set). */
int bkp_idl_parse_file(bkp_idl_file *file, bkp_idl_arena *a, bkp_idl_diag *d);

/* A '{' not closed yet, and what it opens: "struct 'Point'", or NULL when the tokens before it
 * did not say. */
typedef struct bkp_idl_brace {
    bkp_idl_pos pos;
    const char *what;
} bkp_idl_brace;

/* The state the grammar's actions work on. */
typedef struct bkp_idl_parser {
    bkp_idl_arena *arena;
    bkp_idl_diag *diag;
    bkp_idl_file *file;
    bkp_idl_decl **tail; /* where the next declaration goes */
    void *lemon;         /* the lemon parser, for the expected-token set */
    bool error_now;      /* a syntax error was reported while feeding the last token */
    bkp_idl_pos prev_end; /* where the token before the one being fed ends */
    const bkp_idl_brace *open; /* the braces still open, innermost last */
    int nopen;
    bool overflow;       /* nesting too deep: the parse is abandoned */
    int errors;
} bkp_idl_parser;

/* In the generated grammar.c: lemon's interface (%name bkp_idl_parse) ... */
void *bkp_idl_parseAlloc(void *(*alloc)(size_t));
void bkp_idl_parse(void *p, int major, bkp_idl_token minor, bkp_idl_parser *P);
void bkp_idl_parseFree(void *p, void (*dealloc)(void *));
void bkp_idl_parseTrace(FILE *out, char *prompt);
void bkp_idl_parseInit(void *p);
void bkp_idl_parseFinalize(void *p);
int bkp_idl_parseFallback(int token);
/* ... and whether the parser in its current state could go on with token (no fallback). */
bool bkp_idl_parse_accepts(void *p, int token);
/* Number of terminal symbols; codes are 1..n-1. */
int bkp_idl_parse_ntokens(void);

/* Called by the grammar on a syntax error at tok. */
void bkp_idl_syntax_error(bkp_idl_parser *P, const bkp_idl_token *tok);
/* Adds d at the end of the file's declarations. */
void bkp_idl_add_decl(bkp_idl_parser *P, bkp_idl_decl *d);

#endif
