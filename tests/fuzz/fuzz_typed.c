/* libFuzzer target: the typed decoder, as generated for tests/idl/everything.bkidl (every
 * construct of the IDL: defaults, optionals, nested and recursive structs, lists of maps of
 * lists, bytes, any, enums), on hostile params. What it accepts is written back and must be
 * accepted again, giving the same text: the writer and the decoder agree. A refusal must say
 * why. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "beekeeper/json.h"
#include "beekeeper/typed.h"
#include "everything_types.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decodes text (a writable copy of it) as a Nested; 0 with *out, else the decoder's error. */
static int decode(bk_arena *a, const char *text, size_t len, demo_all_nested *out)
{
    char *copy = bk_arena_alloc(a, len + 1);
    bk_json_doc doc;
    bk_dec d;
    if (!copy)
        abort();
    memcpy(copy, text, len);
    if (bk_json_parse(&doc, a, copy, len, NULL, NULL) != 0)
        return BK_ESYNTAX;
    bk_dec_init(&d, a, "", "params");
    d.doc = &doc;
    int rc = demo_all_nested_read(&d, 0, out);
    if ((rc != 0) != (d.error != NULL) || (rc != 0 && rc != BK_EPROTO && rc != BK_ENOMEM))
        abort(); /* a failure always says why, with the documented codes */
    return rc;
}

static char *written(const demo_all_nested *n, size_t *len)
{
    bk_jw w;
    char *s;
    bk_jw_init(&w, NULL, 0);
    demo_all_nested_write(&w, n);
    if (bk_jw_take(&w, &s, len) != 0)
        abort(); /* what was decoded can always be written */
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bk_arena *a;
    demo_all_nested n, back;
    size_t l1, l2;
    if (bk_arena_new(&a) != 0)
        return 0;
    if (decode(a, (const char *)data, size, &n) == 0) {
        char *s1 = written(&n, &l1);
        if (decode(a, s1, l1, &back) != 0)
            abort(); /* what we write we must accept */
        char *s2 = written(&back, &l2);
        if (l1 != l2 || memcmp(s1, s2, l1) != 0)
            abort();
        free(s1);
        free(s2);
    }
    bk_arena_free(a);
    return 0;
}
