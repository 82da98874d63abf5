/* Diagnostics of bkpr-gen: errors collected while reading, parsing and checking .bkidl files,
 * then printed the way gcc does:
 *
 *     chat.bkidl:12:5: error: unknown type 'Mesage'
 *        12 |     Mesage msg;
 *           |     ^
 *
 * sorted by position within each file (files in the order of their first error), at most
 * BKP_IDL_MAX_ERRORS of them, then "too many errors". Internal to bkpr-gen. */
#ifndef BKP_IDL_DIAG_H
#define BKP_IDL_DIAG_H

#include <stdarg.h>
#include <stdio.h>

#include "idl/ast.h"

#define BKP_IDL_MAX_ERRORS 50

typedef struct bkp_idl_diag bkp_idl_diag;

/* A new empty collector, or NULL when out of memory. Free with bkp_idl_diag_free. */
bkp_idl_diag *bkp_idl_diag_new(void);
void bkp_idl_diag_free(bkp_idl_diag *d);

/* Records an error at pos in src (src must outlive the collector's last print). pos.line 0:
 * the message is about the whole file ("path: error: ..."). src NULL: about no file at all. */
void bkp_idl_diag_error(bkp_idl_diag *d, const bkp_idl_source *src, bkp_idl_pos pos,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void bkp_idl_diag_verror(bkp_idl_diag *d, const bkp_idl_source *src, bkp_idl_pos pos,
                         const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
/* Adds a note ("path:line:col: note: ...") to the last error; printed right after it. */
void bkp_idl_diag_note(bkp_idl_diag *d, const bkp_idl_source *src, bkp_idl_pos pos,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Errors recorded so far. */
int bkp_idl_diag_count(const bkp_idl_diag *d);

/* Prints everything recorded, sorted, with source lines and carets. */
void bkp_idl_diag_print(const bkp_idl_diag *d, FILE *out);

#endif
