/* The IDL front end of bkpr-gen, as one program: load .bkidl files with their imports, check
 * them, and describe them as a JSON model (idl/model.h). Internal to bkpr-gen.
 *
 *     bkp_idl_program *p = bkp_idl_program_new();
 *     bkp_idl_program_add_include(p, "idl");             // -I
 *     bkp_idl_file *f = bkp_idl_load(p, "chat.bkidl");   // + imports, parsed
 *     if (bkp_idl_check(p) == 0) ... bkp_idl_model(p, f) ...
 *     bkp_idl_diag_print(p->diag, stderr);
 *     bkp_idl_program_free(p);
 */
#ifndef BKP_IDL_IDL_H
#define BKP_IDL_IDL_H

#include <stddef.h>

#include "idl/ast.h"
#include "idl/diag.h"

typedef struct bkp_idl_program {
    bkp_idl_arena *arena; /* every file, node and string */
    bkp_idl_diag *diag;   /* every error */
    bkp_idl_file *files;  /* every file loaded, in load order (an importer before its imports) */
    const char **incdirs; /* -I folders, in order */
    size_t nincdirs, capincdirs;
    bkp_idl_file **loading; /* the import chain being loaded, for cycles */
    size_t nloading, caploading;
    int checked; /* bkp_idl_check ran */
} bkp_idl_program;

/* A new program, or NULL when out of memory. Free with bkp_idl_program_free (NULL: no-op). */
bkp_idl_program *bkp_idl_program_new(void);
void bkp_idl_program_free(bkp_idl_program *p);

/* Adds a folder to search for imports, after the importing file's own folder. dir is copied. */
void bkp_idl_program_add_include(bkp_idl_program *p, const char *dir);

/* Reads and parses path, then everything it imports (relative to the importing file's folder
 * first, then the -I folders). Errors go to p->diag. Returns the file (valid until the program
 * is freed), whether or not it had errors. */
bkp_idl_file *bkp_idl_load(bkp_idl_program *p, const char *path);
/* The same for a text in memory, shown as path in messages (tests, fuzzing). */
bkp_idl_file *bkp_idl_load_text(bkp_idl_program *p, const char *path, const char *text,
                                size_t len);

/* Semantic checks of every file loaded (idl/check.c), once everything is loaded; they run
 * only when reading and parsing found no error, so that one mistake does not come out as
 * many. Fills in what the model needs (resolved types, C names). Returns the number of errors
 * in p->diag (of any kind): 0 means the program is valid. */
int bkp_idl_check(bkp_idl_program *p);

#endif
