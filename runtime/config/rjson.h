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

#endif
