/* bkpr-gen's C generator: the JSON model of a file (idl/model.h) in, the generated files out
 * (as text in memory: main.c writes them). Type-directed code (decoders, encoders, prototypes)
 * is made here in C and added to the model; templates (templates/NAME.tmpl) lay out the files.
 * Internal to bkpr-gen. */
#ifndef CG_CGEN_H
#define CG_CGEN_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "beekeeper/arena.h"

typedef struct cg_gen_file {
    char *name;     /* file name, without folder */
    char *source;   /* the .bkidl file it is made from */
    char *text;     /* content */
    size_t len;
    bool skeleton;  /* written only when no such file exists */
} cg_gen_file;

typedef struct cg_gen_opts {
    const char *templates; /* folder overriding the built-in templates; NULL: built-in */
    bool skeleton;         /* also make {service}_impl.c */
} cg_gen_opts;

/* Generates the files of model (a whole `bkpr_gen_model` document): per service
 * {prefix}.h, {prefix}_client.c, {prefix}_worker.c (and {prefix}_impl.c with skeleton), and
 * {name}_types.h/.c for the file {name}.bkidl and each file it imports. The strings of the run are
 * allocated from arena (the front end's: bkpr-gen has one), which must outlive the call.
 * Appends the files to *files (*nfiles of them, realloc'd; free with cg_gen_files_free).
 * 0, or -1 with a message in err. */
int cg_gen_c(json_t *model, bk_arena *arena, const cg_gen_opts *o, cg_gen_file **files,
             size_t *nfiles, char *err, size_t errlen);
void cg_gen_files_free(cg_gen_file *files, size_t n);

/* The templates built into the binary ($(B)/gen/codegen/templates.c). */
typedef struct cg_embedded_template {
    const char *name;
    const unsigned char *data;
    size_t len;
} cg_embedded_template;
extern const cg_embedded_template cg_embedded_templates[];
extern const size_t cg_n_embedded_templates;

#endif
