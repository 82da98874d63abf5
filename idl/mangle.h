/* How IDL names become C names. Internal to bkpr-gen.
 *
 *   snake case    myApp -> my_app, HTTPServer -> http_server, NotFound -> not_found,
 *                 reply_to -> reply_to (an '_' or a lower-to-upper step starts a word; a run
 *                 of capitals is one word, its last capital starting the next one when a
 *                 lower-case letter follows)
 *   prefix        namespace or service name, each dotted segment in snake case, joined by
 *                 '_': myapp.chat -> myapp_chat
 *   types         {prefix}_{snake(Name)}: myapp_message, myapp_level
 *   enum members  upper({prefix}_{snake(Enum)}_{snake(MEMBER)}): MYAPP_LEVEL_LOW
 *   errors        upper({prefix}_{snake(Name)}): MYAPP_NOT_FOUND
 *   methods       {service prefix}_{snake(method)}: myapp_chat_send
 *   fields/params snake(name)
 * The names the generator derives from these, and the C keywords, are its own:
 * codegen/names.h.
 */
#ifndef BKP_IDL_MANGLE_H
#define BKP_IDL_MANGLE_H

#include <stdbool.h>

#include "idl/ast.h"

char *bkp_idl_snake(bkp_idl_arena *a, const char *name);
/* Dotted name to a C prefix: each segment in snake case, joined by '_'. */
char *bkp_idl_c_prefix(bkp_idl_arena *a, const char *dotted);
/* Upper-case copy. */
char *bkp_idl_upper(bkp_idl_arena *a, const char *s);

#endif
