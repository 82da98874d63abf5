/* libFuzzer target: arbitrary bytes through the IDL front end (source checks, lexer, parser,
 * semantic checks, model). Whatever the input, it must not crash, hang or leak; an accepted
 * input must give a model, a refused one at least one diagnostic that prints. Imports are
 * looked up relative to the fuzzer's working folder: most will be missing, which is fine. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "idl/idl.h"
#include "idl/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bkp_idl_program *p = bkp_idl_program_new();
    if (!p)
        return 0;
    bkp_idl_file *f = bkp_idl_load_text(p, "fuzz.bkidl", (const char *)data, size);
    int n = bkp_idl_check(p);
    if (n == 0) {
        json_t *m = bkp_idl_model(p, f);
        if (!m)
            abort();
        char *s = json_dumps(m, JSON_SORT_KEYS);
        if (!s)
            abort();
        free(s);
        json_decref(m);
    } else {
        FILE *out = fopen("/dev/null", "w");
        if (out) {
            bkp_idl_diag_print(p->diag, out);
            fclose(out);
        }
    }
    bkp_idl_program_free(p);
    return 0;
}
