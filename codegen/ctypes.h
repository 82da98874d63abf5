/* IDL types in C, for bkpr-gen's generator. What C makes of a type of the model (its kind,
 * C type, the name of its lists and codecs) is worked out once per type object and kept in
 * the run's type table; fields are read from the model once per use into bkp_field.
 *
 * C representation of a value of IDL type T (doc/idl.md, "Generated C"):
 *   struct field   required: T x (a struct by value); optional: string/any NULL when absent,
 *                  struct `const S *x` NULL when absent, others `bool has_x; T x;`
 *   flat parameter string/any: as they are (NULL: absent when optional); bool, int, double,
 *                  enum, bytes: by value when required; struct, list, map: `const T *`;
 *                  optional others: `const T *` (NULL: absent)
 * Lists and maps of scalars are beekeeper/typed.h's bk_*_list/bk_*_map; others are declared
 * (once, under a guard) in the types header of each file that uses them, and their codecs are
 * static functions in each .c that needs them (codecs.h). Internal to bkpr-gen. */
#ifndef BKP_CODEGEN_CTYPES_H
#define BKP_CODEGEN_CTYPES_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "codegen/gen.h"
#include "codegen/sbuf.h"

typedef enum bkp_kind {
    BKP_K_BOOL, BKP_K_INT, BKP_K_DOUBLE, BKP_K_STRING, BKP_K_BYTES, BKP_K_ANY, /* scalars */
    BKP_K_ENUM, BKP_K_STRUCT, BKP_K_LIST, BKP_K_MAP
} bkp_kind;

/* Owned by the run (its arena), valid until bkp_gen_c returns. */
struct bkp_type {
    json_t *j;             /* the model's type object */
    bkp_kind kind;
    const char *kind_name; /* "int", "list", ... */
    bkp_type *of;          /* list, map: the type of the items */
    const char *c_name;    /* enum, struct: the declaration's C name */
    const char *base;      /* the name its lists and maps build on: bk_int, myapp_message,
                            * bk_int_list, myapp_message_list_map */
    const char *ctype;     /* C type: int64_t, const char *, myapp_message, bk_int_list */
    const char *ptr;       /* a pointer to ctype: int64_t *, const char ** */
    const char *dec;       /* its decoder: bk_dec_int, myapp_message_decode */
    const char *enc;       /* enum, struct, list, map: its encoder: myapp_message_encode */
    bool scalar;           /* bool int double string bytes any */
    bool composite;        /* list, map */
    bool nullable;         /* string, any: pointers whose NULL says "absent" */
    bool aggregate;        /* struct, list, map: passed by pointer */
    bool in_runtime;       /* a list or map of scalars, declared by beekeeper/typed.h */
};

/* The type object t of the model as C sees it. */
bkp_type *bkp_type_get(bkp_gen *g, json_t *t);
void bkp_types_free(bkp_gen *g);

/* A field of a struct or a parameter, read from the model. */
typedef struct bkp_field {
    json_t *j;
    const char *name;   /* on the wire */
    const char *c_name;
    bkp_type *t;
    bool optional, has_default;
} bkp_field;

/* The fields of JSON array a (*n of them), in the arena. */
const bkp_field *bkp_fields(bkp_gen *g, json_t *a, size_t *n);

/* Adds composite t (after the composites inside it) to list, once per base name. */
void bkp_need_add(bkp_gen *g, bkp_tlist *list, bkp_type *t);
void bkp_tlist_free(bkp_tlist *list);

/* The decoder of t; a composite's is added to g->need_dec. */
const char *bkp_dec_fn(bkp_gen *g, bkp_type *t);

/* Appends an expression making the JSON of a value of t (new reference, NULL on failure):
 * val is the value, ptr a pointer to it (used for structs, lists and maps, which are added
 * to g->need_enc). */
void bkp_enc_expr(bkp_gen *g, bkp_sb *b, bkp_type *t, const char *val, const char *ptr);

/* Appends `T name` or `T *name`. */
void bkp_decl(bkp_sb *b, const char *type, const char *name);

/* Appends the declaration of f as a struct member (one or two lines, each indented, the
 * last without its newline). */
void bkp_field_decl(bkp_sb *b, const bkp_field *f, const char *indent);

/* f as a flat parameter of a prototype, in the arena. */
const char *bkp_param_decl(bkp_gen *g, const bkp_field *f);

/* Appends field f held as in a struct (prefix "out->", "p.") passed as a flat parameter. */
void bkp_field_as_param(bkp_sb *b, const bkp_field *f, const char *prefix);

/* The C expression of f's default, in the arena. */
const char *bkp_default_expr(bkp_gen *g, const bkp_field *f);

#endif
