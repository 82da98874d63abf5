/* The JSON model of a checked .bkidl file: what bkpr-gen's templates consume and what
 * `bkpr-gen --model` prints. Its shape is documented in doc/idl.md ("The JSON model") and
 * changes only with "bkpr_gen_model". Internal to bkpr-gen. */
#ifndef BKP_IDL_MODEL_H
#define BKP_IDL_MODEL_H

#include <jansson.h>

#include "idl/idl.h"

/* The model of f and of every file it imports, directly or not. f must belong to p and p must
 * have passed bkp_idl_check. Returns a new reference, or NULL when out of memory. */
json_t *bkp_idl_model(const bkp_idl_program *p, const bkp_idl_file *f);

/* The model version written in "bkpr_gen_model". */
#define BKP_IDL_MODEL_VERSION 1

#endif
