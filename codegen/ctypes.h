/* IDL types in C, for bkpr-gen's generator. What C makes of a type of the model (its kind,
 * C type, the name of its lists and codecs) is worked out once per type object and kept in
 * the run's type table; fields are read from the model once per use into cg_field.
 *
 * C representation of a value of IDL type T (doc/idl.md, "Generated C"):
 *   struct field   required: T x (a struct by value); optional: string/any NULL when absent,
 *                  struct `const S *x` NULL when absent, others `bool has_x; T x;`
 *   flat parameter string/any: as they are (NULL: absent when optional); bool, int, double,
 *                  enum, bytes: by value when required; struct, list, map: `const T *`;
 *                  optional others: `const T *` (NULL: absent)
 * Lists and maps of scalars are beekeeper/typed.h's bk_*_list/bk_*_map; others are declared
 * (once, under a guard) in the types header of each file that uses them. Their codecs are
 * static functions in each .c that needs them (codecs.h), named in the file's namespace
 * (names.h, cg_composite_name): the names of a type depend on the file whose C is made
 * (g->prefix), and a type object of the model belongs to one file. Internal to bkpr-gen. */
#ifndef CG_CTYPES_H
#define CG_CTYPES_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "codegen/gen.h"
#include "codegen/sbuf.h"

typedef enum cg_kind {
    CG_K_BOOL, CG_K_INT, CG_K_DOUBLE, CG_K_STRING, CG_K_BYTES, CG_K_ANY, /* scalars */
    CG_K_ENUM, CG_K_STRUCT, CG_K_LIST, CG_K_MAP
} cg_kind;

/* Owned by the run (its arena), valid until cg_gen_c returns. */
struct cg_type {
    json_t *j;             /* the model's type object */
    cg_kind kind;
    const char *kind_name; /* "int", "list", ... */
    cg_type *of;           /* list, map: the type of the items */
    const char *c_name;    /* enum, struct: the declaration's C name */
    const char *base;      /* the name its lists and maps build on: bk_int, myapp_message,
                            * bk_int_list, myapp_message_list_map, myapp_int_list_list */
    const char *ctype;     /* C type: int64_t, const char *, myapp_message, bk_int_list */
    const char *ptr;       /* a pointer to ctype: int64_t *, const char ** */
    const char *dec;       /* its decoder from tokens: bk_dec_int, myapp_message_read,
                            * myapp_bk_int_list_decode (static) */
    const char *enc;       /* enum, struct, list, map: its writer: myapp_message_write,
                            * myapp_bk_int_list_encode (static) */
    bool scalar;           /* bool int double string bytes any */
    bool composite;        /* list, map */
    bool nullable;         /* string, any: pointers whose NULL says "absent" */
    bool aggregate;        /* struct, list, map: passed by pointer */
    bool in_runtime;       /* a list or map of scalars, declared by beekeeper/typed.h */
};

/* The type object t of the model as C sees it. */
cg_type *cg_type_get(cg_gen *g, json_t *t);
void cg_types_free(cg_gen *g);

/* A field of a struct or a parameter, read from the model. */
typedef struct cg_field {
    json_t *j;
    const char *name;   /* on the wire */
    const char *c_name;
    cg_type *t;
    bool optional, has_default;
} cg_field;

/* The fields of JSON array a (*n of them), in the arena. */
const cg_field *cg_fields(cg_gen *g, json_t *a, size_t *n);

/* Adds composite t (after the composites inside it) to list, once per base name. */
void cg_need_add(cg_gen *g, cg_tlist *list, cg_type *t);
void cg_tlist_free(cg_tlist *list);

/* The decoder of t; a composite's is added to g->need_dec. */
const char *cg_dec_fn(cg_gen *g, cg_type *t);

/* Appends a call writing a value of t to the bk_jw `w` (without the ';'): val is the value,
 * ptr a pointer to it (used for structs, lists and maps, which are added to g->need_enc). */
void cg_enc_expr(cg_gen *g, cg_sb *b, cg_type *t, const char *val, const char *ptr);

/* Appends `T name` or `T *name`. */
void cg_decl(cg_sb *b, const char *type, const char *name);

/* The declarations of f as struct members, without ';' (one, or two for `bool has_x; T x`),
 * into decls; returns how many. */
size_t cg_field_members(cg_gen *g, const cg_field *f, const char **decls);

/* f as a flat parameter of a prototype, in the arena. */
const char *cg_param_decl(cg_gen *g, const cg_field *f);

/* Appends field f held as in a struct (prefix "out->", "p.") passed as a flat parameter. */
void cg_field_as_param(cg_sb *b, const cg_field *f, const char *prefix);

/* The C expression of f's default, in the arena. */
const char *cg_default_expr(cg_gen *g, const cg_field *f);

#endif
