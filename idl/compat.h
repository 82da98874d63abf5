/* bkpr-gen --check-compat: what changed between an older and a newer .bkidl file that would
 * break peers built from one when they meet peers built from the other (the rules: doc/idl.md,
 * "Schemas over time"). Internal to bkpr-gen. */
#ifndef BKP_IDL_COMPAT_H
#define BKP_IDL_COMPAT_H

#include "idl/idl.h"

/* Compares the checked files old (of program po) and new (of pn) and records each breaking
 * change in d: at its place in new, or in old for what was removed. Returns how many. */
int bkp_idl_compat(bkp_idl_diag *d, const bkp_idl_file *old, const bkp_idl_file *new_);

#endif
