/* libFuzzer target: arbitrary bytes through the relaxed-JSON loader. Whatever it accepts must
 * be a container (jansson's default), and every refusal must say NAME:LINE:COL or NAME:. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "beekeeper/error.h"
#include "config/rjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *v = (json_t *)data; /* must be reset */
    char err[256];
    int rc = bkp_rjson_loads((const char *)data, size, "f", &v, err, sizeof err);
    if (rc == 0) {
        if (!v || !(json_is_object(v) || json_is_array(v)))
            abort();
        /* What was accepted dumps as strict JSON that jansson parses back to the same value. */
        char *s = json_dumps(v, JSON_COMPACT);
        if (!s)
            abort();
        json_t *w = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
        if (!w || !json_equal(v, w))
            abort();
        json_decref(w);
        free(s);
        json_decref(v);
    } else if (v != NULL || (rc != BK_ESYNTAX && rc != BK_ENOMEM) || strncmp(err, "f:", 2) != 0) {
        abort();
    }
    return 0;
}
