/* The C names bkpr-gen's generator emits, in one place. Internal to bkpr-gen.
 *
 * What the generated C names at file scope is either a C name the model carries (types,
 * enum members, error constants, methods: idl/mangle.h) or one derived from it by a suffix
 * in the table below. The generator reads the table to name what it writes (the templates
 * see each derived name as `names.SUFFIX`: {{names.call}} is `myapp_chat_send_call`, and a
 * template naming one the table lacks fails to render); the front end's checks
 * (idl/check.c) read it too, so that every name the generated C will declare takes part in
 * the collision check, with the position of the declaration it comes from. That is why this
 * header, a back end's, is included by the front end: the generator owns its names, and the
 * checks ask it.
 *
 * Inside a function the generator renames its own parameters and locals when the IDL gives
 * a parameter the same name (codegen/service.c), so the only names refused to a parameter
 * are C keywords, the runtime's (bk_*) and jansson's json_t and C's int64_t (types the
 * prototypes name after the parameters), and the C names the program itself declares. */
#ifndef CG_NAMES_H
#define CG_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "beekeeper/arena.h"

/* A C keyword (C11 and C23), or an object-like macro of C's headers (bool, errno...). */
bool cg_is_c_keyword(const char *s);

/* Which declarations get a derived name (bits). */
enum {
    CG_OF_SERVICE = 1 << 0,      /* {service prefix}{suffix} */
    CG_OF_CALL = 1 << 1,         /* a method that answers: {method}{suffix} */
    CG_OF_RESULT = 1 << 2,       /* a method with a result */
    CG_OF_ONEWAY = 1 << 3,       /* a oneway method */
    CG_OF_NOTIFICATION = 1 << 4,
    CG_OF_STRUCT = 1 << 5,       /* {type}{suffix} */
    CG_OF_ENUM = 1 << 6,
    CG_OF_COMPOSITE = 1 << 7,    /* a list or map type */
    CG_OF_METHOD = CG_OF_CALL | CG_OF_ONEWAY, /* what a worker serves */
    CG_OF_ANY_METHOD = CG_OF_METHOD | CG_OF_NOTIFICATION,
};

typedef struct cg_derived {
    const char *suffix; /* "_call"; its key in the templates' `names` has no '_' */
    const char *what;   /* "function", "struct" (a tag), "type", for messages */
    unsigned of;        /* CG_OF_* */
} cg_derived;

/* The entries of the table, by name (cg_derived_names[CG_N_CALL].suffix is "_call"). */
typedef enum cg_name_id {
    CG_N_HANDLERS, CG_N_SERVE, CG_N_IMPL_TABLE, CG_N_IMPL, CG_N_BINDING,
    CG_N_CALL_OPTS, CG_N_BAD_RESULT, CG_N_BACKGROUND_JSON, CG_N_NOTIFY_JSON,
    CG_N_IN, CG_N_PARAMS, CG_N_ARGS, CG_N_DECODE_ARGS, CG_N_CALL, CG_N_DONE, CG_N_ASYNC,
    CG_N_START, CG_N_PENDING, CG_N_BACK, CG_N_BACKGROUND, CG_N_RESULT, CG_N_REPLY, CG_N_NOTIFY,
    CG_N_FN, CG_N_SUB, CG_N_DELIVER, CG_N_SUBSCRIBE, CG_N_DECODE, CG_N_ENCODE, CG_N_READ,
    CG_N_WRITE, CG_N_TO_STRING, CG_N_FROM_STRING,
    CG_N_COUNT
} cg_name_id;

extern const cg_derived cg_derived_names[CG_N_COUNT];
#define CG_SUFFIX(id) (cg_derived_names[CG_N_##id].suffix)

/* What the items of a list or map are, for its C name. */
typedef enum cg_items {
    CG_ITEMS_SCALAR,   /* bool, int, double, string, bytes, any: of is bk_int, bk_string... */
    CG_ITEMS_RUNTIME,  /* a list or map the runtime declares: of is bk_int_list... */
    CG_ITEMS_DECLARED, /* a struct, an enum, or a list or map a types header declares */
} cg_items;

/* The C name of a list or map (kind "list" or "map") whose items have the C name `of`, for a
 * file whose C prefix is prefix, in arena a:
 *   list<int>        bk_int_list (beekeeper/typed.h)  codecs {prefix}_bk_int_list_decode/_encode
 *   list<list<int>>  {prefix}_int_list_list           codecs {prefix}_int_list_list_decode/...
 *   list<Message>    myapp_message_list               codecs myapp_message_list_decode/...
 * The codecs are static functions in each .c that needs them; *codecs gets the base of their
 * names (before CG_SUFFIX(DECODE) and CG_SUFFIX(ENCODE)), and *in_runtime whether the runtime
 * declares the type (then no header declares it again). Aborts when out of memory. */
const char *cg_composite_name(bk_arena *a, const char *prefix, const char *kind, const char *of,
                              cg_items items, bool *in_runtime, const char **codecs);

/* A struct member the generator adds beside an optional field of a type that has no NULL
 * (`bool has_x; int64_t x;`): "has_" + the field's C name. */
#define CG_HAS_PREFIX "has_"

#endif
