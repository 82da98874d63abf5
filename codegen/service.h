/* The files of a service: {prefix}.h, {prefix}_client.c, {prefix}_worker.c and, with
 * --skeleton, {prefix}_impl.c. Internal to bkpr-gen. */
#ifndef CG_SERVICE_H
#define CG_SERVICE_H

#include <stddef.h>

#include <jansson.h>

#include "codegen/cgen.h"
#include "codegen/gen.h"

/* Generates the files of service svc of file (the model's "file") and appends them to
 * *files. 0, or -1 after cg_fail. */
int cg_gen_service(cg_gen *g, json_t *file, json_t *svc, cg_gen_file **files,
                   size_t *nfiles);

#endif
