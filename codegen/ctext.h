/* Pieces of C text for bkpr-gen's generator: string literals, doc comments, and the pass that
 * wraps the generated files at 100 columns. Each appends to a string buffer. Internal to
 * bkpr-gen. */
#ifndef CG_CTEXT_H
#define CG_CTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "codegen/gen.h"
#include "codegen/sbuf.h"

/* A C string literal of s[0..n) (bytes beyond ASCII as octal escapes, no trigraphs, never
 * "*" "/" inside). */
void cg_c_string(cg_sb *b, const char *s, size_t n);

/* The same, in the arena. */
const char *cg_c_string_str(cg_gen *g, const char *s, size_t n);

/* Doc comment doc (a JSON string, or null: nothing), each line indented; "*" "/" inside is
 * broken up. */
void cg_doc_c(cg_sb *b, json_t *doc, const char *indent);

/* The same, as a new JSON string ("" when there is no doc). */
json_t *cg_doc_c_json(json_t *doc, const char *indent);

/* Appends text[0..len) to out with every line longer than width columns broken, as a
 * person would: after the last ", " that fits (outside literals and comments, inside
 * brackets), the rest of the line going on under the innermost '(', '{' or '[' still open
 * there; when no comma fits, after the first that comes. Preprocessor lines and lines
 * without such a comma stay as they are. Returns false, and appends nothing, when no line
 * is too long. */
bool cg_c_wrap(cg_sb *out, const char *text, size_t len, size_t width);

/* s with ASCII letters in upper case, in the arena. */
const char *cg_upper(cg_gen *g, const char *s);

#endif
