/* Relaxed JSON, as Beekeeper's configuration files are written: strict JSON plus `#` and
 * `//` line comments, `/ * * /` block comments and trailing commas in arrays and objects.
 * Duplicate keys, invalid UTF-8 and NUL bytes are errors. Internal to libbeekeeper. */
#ifndef BKP_CONFIG_RJSON_H
#define BKP_CONFIG_RJSON_H

#include <stddef.h>

#include <jansson.h>

/* Largest file bkp_rjson_loadf reads. */
#define BKP_RJSON_MAX_BYTES ((size_t)16 << 20)

/* Parses text[0..len). name is used in messages. On success returns 0 and *out is a new
 * reference. On failure returns BK_ESYNTAX (or BK_ENOMEM) and writes
 * "NAME:LINE:COLUMN: what was expected" to err (errlen bytes, may be 0). */
int bkp_rjson_loads(const char *text, size_t len, const char *name, json_t **out, char *err,
                    size_t errlen);

/* Reads and parses a file: as above, plus BK_ENOTFOUND (no such file) or BK_EIO (cannot
 * read it, too big) with "PATH: reason" in err. */
int bkp_rjson_loadf(const char *path, json_t **out, char *err, size_t errlen);

/* Where the values of a loaded file are, for messages about them (a config entry with a
 * wrong key): line and column, 1-based, the column in characters as in parse errors. */
typedef struct bkp_rjson_pos {
    size_t line, col;          /* line 0: not known */
} bkp_rjson_pos;
typedef struct bkp_rjson_where bkp_rjson_where;

/* bkp_rjson_loadf, and on success *where (new: free it with bkp_rjson_where_free) holds the
 * positions of *out's values. *where borrows *out: keep *out until *where is freed. */
int bkp_rjson_loadf_where(const char *path, json_t **out, bkp_rjson_where **where, char *err,
                          size_t errlen);
/* NULL does nothing. */
void bkp_rjson_where_free(bkp_rjson_where *w);
/* The position of the top value; of element i of array a; of key in object o, and of its
 * value in *value (may be NULL). a and o are values of w's document; line 0 when there is
 * no such element or key. Each lookup walks the document: for messages, not for loops. */
bkp_rjson_pos bkp_rjson_where_top(const bkp_rjson_where *w);
bkp_rjson_pos bkp_rjson_where_elem(const bkp_rjson_where *w, const json_t *a, size_t i);
bkp_rjson_pos bkp_rjson_where_key(const bkp_rjson_where *w, const json_t *o, const char *key,
                                  bkp_rjson_pos *value);

#endif
