/* The files of a service: {prefix}.h, {prefix}_client.c, {prefix}_worker.c and, with
 * --skeleton, {prefix}_impl.c. Internal to bkpr-gen. */
#ifndef BKP_CODEGEN_SERVICE_H
#define BKP_CODEGEN_SERVICE_H

#include <stddef.h>

#include <jansson.h>

#include "codegen/cgen.h"
#include "codegen/gen.h"

/* Generates the files of service svc of file (the model's "file") and appends them to
 * *files. 0, or -1 after bkp_fail. */
int bkp_gen_service(bkp_gen *g, json_t *file, json_t *svc, bkp_gen_file **files,
                    size_t *nfiles);

#endif
