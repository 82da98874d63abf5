/* {name}_types.h and {name}_types.c of an IDL file {name}.bkidl: its errors, enums, structs
 * and the lists and maps it uses, with their codecs. Named after the file, not its
 * namespace: a namespace may be split over several files, and what a file generates must
 * not depend on which others a run reads. Internal to bkpr-gen. */
#ifndef CG_TYPESFILE_H
#define CG_TYPESFILE_H

#include <stddef.h>

#include <jansson.h>

#include "codegen/cgen.h"
#include "codegen/gen.h"

/* Generates the two files of file (the model's "file" or one of its "imported") and appends
 * them to *files. 0, or -1 after cg_fail. */
int cg_gen_types(cg_gen *g, json_t *file, cg_gen_file **files, size_t *nfiles);

/* The name of a types file of file (an object of the model with a "path": a file or an
 * import): the path's last part without ".bkidl", then "_types" and ext (".h", ".c"), in
 * the arena. */
const char *cg_types_file(cg_gen *g, json_t *file, const char *ext);

#endif
