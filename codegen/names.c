/* The C names bkpr-gen's generator emits (names.h). */
#include "codegen/names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *k, const void *e)
{
    return strcmp(k, *(const char *const *)e);
}

bool cg_is_c_keyword(const char *s)
{
    /* Sorted: C11, C23, and the object-like macros of C's headers (<stdbool.h>'s bool, true
     * and false, errno, noreturn, complex and imaginary), which would replace a name. */
    static const char *const kw[] = {
        "alignas", "alignof", "auto", "bool", "break", "case", "char", "complex", "const",
        "constexpr", "continue", "default", "do", "double", "else", "enum", "errno", "extern",
        "false", "float", "for", "goto", "if", "imaginary", "inline", "int", "long",
        "noreturn", "nullptr", "register", "restrict", "return", "short", "signed", "sizeof",
        "static", "static_assert", "struct", "switch", "thread_local", "true", "typedef",
        "typeof", "typeof_unqual", "union", "unsigned", "void", "volatile", "while",
    };
    return bsearch(s, kw, sizeof kw / sizeof kw[0], sizeof kw[0], cmp) != NULL;
}

/* In the order of the generated files. A method's own C name (its synchronous stub, or the
 * oneway method's only stub) is the model's c_name, not in here. */
const cg_derived cg_derived_names[CG_N_COUNT] = {
    /* {prefix}.h and {prefix}_worker.c, {prefix}_impl.c */
    [CG_N_HANDLERS] = {"_handlers", "type", CG_OF_SERVICE},
    [CG_N_SERVE] = {"_serve", "function", CG_OF_SERVICE | CG_OF_METHOD},
    [CG_N_IMPL_TABLE] = {"_impl", "handler table", CG_OF_SERVICE},
    [CG_N_IMPL] = {"_impl", "function", CG_OF_METHOD},
    [CG_N_BINDING] = {"_binding", "struct", CG_OF_SERVICE},
    /* {prefix}_client.c */
    [CG_N_CALL_OPTS] = {"_call_opts", "function", CG_OF_SERVICE},
    [CG_N_BAD_RESULT] = {"_bad_result", "function", CG_OF_SERVICE},
    [CG_N_BACKGROUND_JSON] = {"_background_json", "function", CG_OF_SERVICE},
    [CG_N_NOTIFY_JSON] = {"_notify_json", "function", CG_OF_SERVICE},
    /* each method and notification */
    [CG_N_IN] = {"_in", "struct", CG_OF_ANY_METHOD},
    [CG_N_PARAMS] = {"_params", "function", CG_OF_ANY_METHOD},
    [CG_N_ARGS] = {"_args", "struct", CG_OF_ANY_METHOD},
    [CG_N_DECODE_ARGS] = {"_decode_args", "function", CG_OF_ANY_METHOD},
    [CG_N_CALL] = {"_call", "function", CG_OF_CALL},
    [CG_N_DONE] = {"_done", "type", CG_OF_CALL},
    [CG_N_ASYNC] = {"_async", "function", CG_OF_CALL},
    [CG_N_START] = {"_start", "function", CG_OF_CALL},
    [CG_N_PENDING] = {"_pending", "struct", CG_OF_CALL},
    [CG_N_BACK] = {"_back", "function", CG_OF_CALL},
    [CG_N_BACKGROUND] = {"_background", "function", CG_OF_CALL},
    [CG_N_RESULT] = {"_result", "function", CG_OF_RESULT},
    [CG_N_REPLY] = {"_reply", "function", CG_OF_RESULT},
    [CG_N_NOTIFY] = {"_notify", "function", CG_OF_NOTIFICATION},
    [CG_N_FN] = {"_fn", "type", CG_OF_NOTIFICATION},
    [CG_N_SUB] = {"_sub", "struct", CG_OF_NOTIFICATION},
    [CG_N_DELIVER] = {"_deliver", "function", CG_OF_NOTIFICATION},
    [CG_N_SUBSCRIBE] = {"_subscribe", "function", CG_OF_NOTIFICATION},
    /* {name}_types.h/.c and the static codecs of each .c */
    [CG_N_DECODE] = {"_decode", "function", CG_OF_STRUCT | CG_OF_ENUM | CG_OF_COMPOSITE},
    [CG_N_ENCODE] = {"_encode", "function", CG_OF_STRUCT | CG_OF_ENUM | CG_OF_COMPOSITE},
    [CG_N_READ] = {"_read", "function", CG_OF_STRUCT | CG_OF_ENUM},
    [CG_N_WRITE] = {"_write", "function", CG_OF_STRUCT | CG_OF_ENUM},
    [CG_N_TO_STRING] = {"_to_string", "function", CG_OF_ENUM},
    [CG_N_FROM_STRING] = {"_from_string", "function", CG_OF_ENUM},
};

static char *cat3(bk_arena *a, const char *x, const char *y, const char *z)
{
    size_t nx = strlen(x), ny = strlen(y), nz = strlen(z);
    char *s = bk_arena_alloc(a, nx + ny + nz + 1);
    if (!s) {
        fputs("bkpr-gen: out of memory\n", stderr);
        abort();
    }
    memcpy(s, x, nx);
    memcpy(s + nx, y, ny);
    memcpy(s + nx + ny, z, nz + 1);
    return s;
}

const char *cg_composite_name(bk_arena *a, const char *prefix, const char *kind, const char *of,
                              cg_items items, bool *in_runtime, const char **codecs)
{
    const char *c;
    *in_runtime = items == CG_ITEMS_SCALAR;
    if (items == CG_ITEMS_SCALAR) {
        c = cat3(a, of, "_", kind); /* bk_int -> bk_int_list */
        *codecs = cat3(a, prefix, "_", c);
        return c;
    }
    /* bk_int_list -> {prefix}_int_list_list: never a type in the runtime's namespace */
    if (items == CG_ITEMS_RUNTIME)
        c = cat3(a, prefix, "_", cat3(a, of + strlen("bk_"), "_", kind));
    else
        c = cat3(a, of, "_", kind);
    *codecs = c;
    return c;
}
