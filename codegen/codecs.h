/* Decoders and encoders in generated C, for bkpr-gen's generator: the bodies of a struct's
 * (or a method's params') codecs, and the static codecs of the lists and maps a .c needs.
 * Each appends to a string buffer. Internal to bkpr-gen. */
#ifndef CG_CODECS_H
#define CG_CODECS_H

#include <stdbool.h>
#include <stddef.h>

#include "codegen/ctypes.h"
#include "codegen/gen.h"
#include "codegen/sbuf.h"

/* The body of a decoder of the object at token j with fields f[0..n) into *out (zeroed
 * first), over the tokens of d, returning 0 or the decoder's error; empty_ok: params may be
 * absent or null when every field may be. The composites it uses go to g->need_dec. */
void cg_object_decode_body(cg_gen *g, cg_sb *b, const cg_field *f, size_t n, bool empty_ok);

/* The body of a writer of fields f[0..n) as an object to the bk_jw w: from a struct (flat false:
 * `v->x` with from "v->", `v->has_x`) or from flat parameters as the stubs take them (flat
 * true: `in->x` with from "in->", NULL when absent). The composites it uses go to
 * g->need_enc. */
void cg_object_encode_body(cg_gen *g, cg_sb *b, const cg_field *f, size_t n, bool flat,
                           const char *from);

/* The static codecs of the composites in g->need_dec and g->need_enc (decoders, then
 * encoders, inner first), without the last newline. b must be empty. */
void cg_composite_codecs(cg_gen *g, cg_sb *b);

/* Empties g->need_dec and g->need_enc. */
void cg_need_reset(cg_gen *g);

#endif
