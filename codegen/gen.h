/* The state of one run of bkpr-gen's C generator, shared by its files (implemented in
 * cgen.c): the model, the arena that owns every string the helpers return, the type table
 * (ctypes.c), the lists of composites whose codecs the current .c needs (codecs.c), the
 * first failure. The files: cgen.c (entry, templates), names.c (the names it emits), ctext.c
 * (C literals, doc comments, wrapping), ctypes.c (IDL types in C), codecs.c (decoders and
 * encoders), typesfile.c ({name}_types.h/.c), service.c ({prefix}.h, _client.c,
 * _worker.c, _impl.c).
 * Internal to bkpr-gen; its names begin with cg_ (the runtime's internal ones are bkp_, the
 * front end's bkp_idl_). */
#ifndef CG_GEN_H
#define CG_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <jansson.h>

#include "beekeeper/arena.h"
#include "codegen/cgen.h"
#include "codegen/sbuf.h"

/* The width of the generated C: longer lines are wrapped (cg_c_wrap). */
#define CG_COLUMNS 100

typedef struct cg_type cg_type;

/* Types in order of first need, each base name once (cg_need_add). */
typedef struct cg_tlist {
    cg_type **v;
    size_t n, cap;
} cg_tlist;

typedef struct cg_gen {
    json_t *model;
    bk_arena *arena;     /* owns every string the helpers below return */
    struct {
        cg_type **slot; /* the model's type objects -> what C makes of them (ctypes.c) */
        size_t cap, n;
    } types;
    cg_tlist need_dec;  /* composites whose static decoders the current .c needs */
    cg_tlist need_enc;
    const cg_gen_opts *o;
    const char *prefix;  /* C prefix of the file whose C is being made (cg_composite_name) */
    char *err;
    size_t errlen;
    bool failed;
} cg_gen;

/* Records the first failure (later ones are dropped): "bkpr-gen: ..." in the caller's err. */
void cg_fail(cg_gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The concatenation of the strings of the list (ending with NULL), in the arena. */
const char *cg_cat(cg_gen *g, ...) __attribute__((sentinel));

/* The names codegen/names.h derives from base for declarations of kind `of` (CG_OF_*), as
 * the templates see them: {"call": "myapp_chat_send_call", ...} (a new object). */
json_t *cg_names_json(cg_gen *g, const char *base, unsigned of);

/* A copy of b's text in the arena; b is cleared. */
const char *cg_sb_str(cg_gen *g, cg_sb *b);

/* Renders template tmpl (built in, or from o->templates) with ctx, wraps its lines at
 * CG_COLUMNS (cg_c_wrap), and appends the file name to *files. 0, or -1 after cg_fail. */
int cg_emit(cg_gen *g, const char *tmpl, json_t *ctx, const char *name, bool skeleton,
            cg_gen_file **files, size_t *nfiles);

/* The string member key of o, or NULL. */
static inline const char *cg_sget(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* A JSON string of generated text, not checked again as UTF-8 (sbuf.h). */
static inline json_t *cg_jstr(const char *s)
{
    return json_stringn_nocheck(s, strlen(s));
}

#endif
