/* The state of the semantic checks (check.c), and the part of them about the C names the
 * program will have (cnames.c): every name the generator will declare, each with where it
 * comes from, so that two of the same are told at the later one, once. Internal to the
 * checks. */
#ifndef BKP_IDL_CHECKER_H
#define BKP_IDL_CHECKER_H

#include "codegen/names.h"
#include "idl/idl.h"

typedef struct checker {
    bkp_idl_program *p;
    bkp_idl_arena *a;
    bkp_idl_diag *d;
    /* Every generated C name of the program, to find collisions. */
    struct cname {
        const char *c, *what; /* what: NULL for a derived name, said from d and of */
        const cg_derived *d;  /* a derived name's entry in the generator's table */
        const char *of;       /* ... and what it derives from: "method 'x.s.m'" */
        const char *base;     /* a derived name's: the C name it was made from */
        const bkp_idl_source *src;
        bkp_idl_pos pos;
        int file_idx; /* the earlier in the sources keeps the name */
    } *names;
    size_t nnames, capnames;
    struct param {
        const bkp_idl_file *f;
        const bkp_idl_field *x;
    } *params;              /* every parameter, for check_param_names */
    size_t nparams, capparams;
    bkp_map services;       /* C prefix -> the first service with it */
    bkp_map composites;     /* C names of list and map types already in names */
} checker;

#define ERR(ck, file, pos, ...) bkp_idl_diag_error((ck)->d, &(file)->src, (pos), __VA_ARGS__)

#define ERR(ck, file, pos, ...) bkp_idl_diag_error((ck)->d, &(file)->src, (pos), __VA_ARGS__)

/* Records C name c (in the arena) of something at pos of f, said `what` in messages. */
void bkp_idl_ck_add_cname(checker *ck, const bkp_idl_file *f, bkp_idl_pos pos, const char *c,
                          const char *what);
/* Records the names the generator derives from C name base for a declaration of kind `of`
 * (CG_OF_*), which messages call `what` ("method 'x.s.m'"). */
void bkp_idl_ck_add_derived(checker *ck, const bkp_idl_file *f, bkp_idl_pos pos,
                            const char *base, unsigned of, const char *what);
/* Records parameter x, whose C name is checked against the program's. */
void bkp_idl_ck_add_param(checker *ck, const bkp_idl_file *f, const bkp_idl_field *x);
/* Records the names derived from the types: codecs of structs and enums, string conversions
 * of enums, the C type and codecs of every list and map used. */
void bkp_idl_ck_type_names(checker *ck);
/* Tells every clash of the names recorded, and of a parameter with them; frees them. */
void bkp_idl_ck_clashes(checker *ck);

#endif
