/* Source texts: reading a .bkidl file, checking that it is UTF-8 without NUL bytes, and
 * turning byte offsets into lines and columns. Internal to bkpr-gen. */
#ifndef BKP_IDL_SOURCE_H
#define BKP_IDL_SOURCE_H

#include <stddef.h>

#include "idl/ast.h"
#include "idl/diag.h"

/* Largest .bkidl file read: far more than any hand-written IDL. */
#define BKP_IDL_MAX_SOURCE ((size_t)16 << 20)

/* Fills s from text[0..len) (copied into the arena); path is shown in messages. Reports a NUL
 * byte or invalid UTF-8 (the first one) to d and returns -1; 0 when the text is valid. The
 * source is usable for messages either way. */
int bkp_idl_source_set(bkp_idl_source *s, bkp_idl_arena *a, bkp_idl_diag *d, const char *path,
                       const char *text, size_t len);

/* Reads path into s, as above. A file that cannot be read is reported (at `at` in `from`
 * when given: the import that named it) and gives -1. */
int bkp_idl_source_read(bkp_idl_source *s, bkp_idl_arena *a, bkp_idl_diag *d, const char *path,
                        const bkp_idl_source *from, bkp_idl_pos at);

/* Line and column (in code points, 1-based) of byte offset off. */
bkp_idl_pos bkp_idl_source_pos(const bkp_idl_source *s, size_t off);

/* The text of line n (1-based) without its line end; *len gets its length in bytes. NULL when
 * there is no such line. */
const char *bkp_idl_source_line(const bkp_idl_source *s, int n, size_t *len);

/* Length of the valid UTF-8 sequence at p[0..n), or 0 when it is not one. */
size_t bkp_idl_utf8_len(const unsigned char *p, size_t n);

#endif
