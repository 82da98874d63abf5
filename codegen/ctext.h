/* Pieces of C text for bkpr-gen's generator: string literals, doc comments, prototypes
 * wrapped at 100 columns. Each appends to a string buffer. Internal to bkpr-gen. */
#ifndef CG_CTEXT_H
#define CG_CTEXT_H

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

/* `ret name(a, b, ...)`, `(void)` without arguments, wrapped at 100 columns under the
 * opening parenthesis. */
void cg_proto(cg_sb *b, const char *ret, const char *name, const char *const *args, size_t n);

/* s with ASCII letters in upper case, in the arena. */
const char *cg_upper(cg_gen *g, const char *s);

#endif
