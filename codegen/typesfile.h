/* {namespace}_types.h and {namespace}_types.c of an IDL file: its errors, enums, structs and
 * the lists and maps it uses, with their codecs. Internal to bkpr-gen. */
#ifndef BKP_CODEGEN_TYPESFILE_H
#define BKP_CODEGEN_TYPESFILE_H

#include <stddef.h>

#include <jansson.h>

#include "codegen/cgen.h"
#include "codegen/gen.h"

/* Generates the two files of file (the model's "file" or one of its "imported") and appends
 * them to *files. 0, or -1 after bkp_fail. */
int bkp_gen_types(bkp_gen *g, json_t *file, bkp_gen_file **files, size_t *nfiles);

#endif
