/* The AST of .bkidl files, and the arena it lives in. Internal to bkpr-gen.
 *
 * Everything here (nodes, strings, source texts) is allocated from one arena and freed with
 * it: nothing in the tree is freed on its own. The arena is the runtime's (beekeeper/arena.h),
 * the one bkpr-gen's generator allocates from too; bkp_idl_arena names it here, and the
 * functions below abort when memory runs out. Lists are singly linked through `next`, in
 * source order. Positions are 1-based lines and columns in characters (UTF-8 code points);
 * line 0 means "no position". */
#ifndef BKP_IDL_AST_H
#define BKP_IDL_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "beekeeper/arena.h"
#include "core/map.h"

typedef bk_arena bkp_idl_arena;

/* A new empty arena (bk_arena_new). Frees with bkp_idl_arena_free (bk_arena_free: NULL does
 * nothing). Both abort when out of memory: bkpr-gen is a short-lived compiler and has
 * nothing better to do. */
bkp_idl_arena *bkp_idl_arena_new(void);
void bkp_idl_arena_free(bkp_idl_arena *a);
/* Zeroed memory that lives as long as the arena. */
void *bkp_idl_alloc(bkp_idl_arena *a, size_t n);
/* A NUL-terminated copy of s[0..n). */
char *bkp_idl_strndup(bkp_idl_arena *a, const char *s, size_t n);
char *bkp_idl_strdup(bkp_idl_arena *a, const char *s);
char *bkp_idl_printf(bkp_idl_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The concatenation of the strings of the list, which ends with NULL (what printf "%s%s"
 * does, without parsing a format: the checks make one or more names per declaration). */
char *bkp_idl_cat(bkp_idl_arena *a, ...) __attribute__((sentinel));

/* The checks' name maps are the runtime's (core/map.h; names borrowed, e.g. the arena's),
 * made with BKP_IDL_MAP(arena) so that their tables live in the arena: nothing to free, and
 * since bkp_idl_alloc stops the program when out of memory, adding never fails. They let
 * the checks find a name in constant time, so that they stay linear in the size of the
 * input. Read them with bkp_map_get. */
#define BKP_IDL_MAP(a) BKP_MAP_IN(bkp_idl_map_alloc, (a))
/* bkp_idl_alloc in the form a map takes (arena: a bkp_idl_arena). */
void *bkp_idl_map_alloc(void *arena, size_t n);
/* Adds key -> val (not NULL) unless key is there: returns the value already there, else NULL. */
void *bkp_idl_map_add(bkp_map *m, const char *key, void *val);

typedef struct bkp_idl_pos {
    int line, col;
} bkp_idl_pos;

typedef enum bkp_idl_type_kind {
    BKP_IDL_BOOL,
    BKP_IDL_INT,
    BKP_IDL_DOUBLE,
    BKP_IDL_STRING,
    BKP_IDL_BYTES,
    BKP_IDL_ANY,
    BKP_IDL_LIST,
    BKP_IDL_MAP,
    BKP_IDL_NAMED, /* a struct or an enum, by name */
} bkp_idl_type_kind;

struct bkp_idl_decl;

typedef struct bkp_idl_type {
    bkp_idl_type_kind kind;
    bkp_idl_pos pos;
    struct bkp_idl_type *of;   /* LIST, MAP: the element type */
    const char *name;          /* NAMED: as written, possibly dotted (`common.Stamp`) */
    struct bkp_idl_decl *decl; /* NAMED: the struct or enum, once checked */
    const char *doc;           /* doc comment before the type's first token (a field's doc) */
} bkp_idl_type;

typedef enum bkp_idl_value_kind {
    BKP_IDL_V_INT,
    BKP_IDL_V_DOUBLE,
    BKP_IDL_V_STRING,
    BKP_IDL_V_BOOL,
    BKP_IDL_V_NULL,
    BKP_IDL_V_NAME, /* an identifier: an enum member */
} bkp_idl_value_kind;

typedef struct bkp_idl_value {
    struct bkp_idl_value *next;
    struct bkp_idl_value *last;   /* in a list's first node: its last one (appends) */
    bkp_idl_value_kind kind;
    bkp_idl_pos pos;
    int64_t i;
    double d;
    const char *s; /* STRING (decoded, UTF-8, may hold no NUL), NAME; len bytes */
    size_t len;
    bool b;
    bool overflow; /* INT outside int64, DOUBLE outside double's range */
    const char *text; /* the literal as written */
} bkp_idl_value;

/* A struct field or a parameter. */
typedef struct bkp_idl_field {
    struct bkp_idl_field *next;
    struct bkp_idl_field *last;   /* in a list's first node: its last one (appends) */
    bkp_idl_pos pos; /* of the name */
    const char *name;
    const char *doc;
    bkp_idl_type *type;
    bool optional;
    bkp_idl_value *dflt; /* NULL: no default */
    const char *c_name;  /* once checked */
} bkp_idl_field;

/* An enum member, a name in `throws`, an annotation. */
typedef struct bkp_idl_name {
    struct bkp_idl_name *next;
    struct bkp_idl_name *last;   /* in a list's first node: its last one (appends) */
    bkp_idl_pos pos;
    const char *name;
    const char *doc;
    bkp_idl_value *args;        /* annotation arguments, NULL when none */
    bool has_args;              /* annotation written with parentheses */
    struct bkp_idl_decl *decl;  /* throws: the error, once checked */
    const char *c_name;         /* enum member: its C constant */
} bkp_idl_name;

typedef struct bkp_idl_method {
    struct bkp_idl_method *next;
    struct bkp_idl_method *last;   /* in a list's first node: its last one (appends) */
    bkp_idl_pos pos; /* of the name */
    const char *name;
    const char *doc;
    bool notification;
    bool oneway;
    bkp_idl_name *annotations;
    bkp_idl_field *params;
    bkp_idl_type *result; /* NULL: returns JSON null */
    bkp_idl_name *throws;
    /* From the annotations, once checked: */
    int64_t timeout_ms; /* 0: none */
    bool is_public, idempotent;
    const char *c_name;
} bkp_idl_method;

typedef enum bkp_idl_decl_kind {
    BKP_IDL_D_NAMESPACE,
    BKP_IDL_D_IMPORT,
    BKP_IDL_D_ENUM,
    BKP_IDL_D_STRUCT,
    BKP_IDL_D_ERROR,
    BKP_IDL_D_SERVICE,
} bkp_idl_decl_kind;

struct bkp_idl_file;

typedef struct bkp_idl_decl {
    struct bkp_idl_decl *next;
    bkp_idl_decl_kind kind;
    bkp_idl_pos pos; /* of the name (of the path for an import) */
    const char *name; /* dotted for namespaces and services; the path for an import */
    const char *doc;
    struct bkp_idl_file *file; /* where it is declared */
    bkp_idl_name *members;     /* ENUM */
    bkp_idl_field *fields;     /* STRUCT */
    bkp_idl_value *code;       /* ERROR */
    const char *message;       /* ERROR */
    bkp_idl_method *methods;   /* SERVICE: methods and notifications, in order */
    struct bkp_idl_file *target; /* IMPORT: the imported file, once loaded */
    const char *c_name; /* STRUCT, ENUM: type name; ERROR: constant; SERVICE: prefix */
    int mark;           /* scratch for the checks */
} bkp_idl_decl;

/* Source text of a file, with its line table (see source.h). */
typedef struct bkp_idl_source {
    const char *path; /* as shown in messages */
    const char *text; /* NUL-terminated */
    size_t len;
    size_t *lines; /* byte offset of each line's start */
    size_t nlines;
} bkp_idl_source;

typedef struct bkp_idl_file {
    struct bkp_idl_file *next; /* in the program, in load order */
    bkp_idl_source src;
    const char *real;      /* realpath, the file's identity; NULL for text given in memory */
    const char *ns;        /* namespace, dotted; NULL when missing */
    const char *c_prefix;  /* namespace with dots as '_' */
    bkp_idl_decl *decls;   /* in source order, namespace and imports included */
    bkp_map types;         /* struct, enum and error names -> the first decl (checks) */
    bool ok;               /* read, lexed and parsed without error */
    int state;             /* import walk: 0 new, 1 loading, 2 done */
    int index;             /* in the program's load order (set by the checks) */
} bkp_idl_file;

/* Constructors for the grammar's actions. Each copies nothing: strings must already be in the
 * arena. */
bkp_idl_type *bkp_idl_type_new(bkp_idl_arena *a, bkp_idl_type_kind k, bkp_idl_pos pos);
bkp_idl_value *bkp_idl_value_new(bkp_idl_arena *a, bkp_idl_value_kind k, bkp_idl_pos pos);
bkp_idl_field *bkp_idl_field_new(bkp_idl_arena *a, bkp_idl_pos pos, const char *name);
bkp_idl_name *bkp_idl_name_new(bkp_idl_arena *a, bkp_idl_pos pos, const char *name);
bkp_idl_method *bkp_idl_method_new(bkp_idl_arena *a, bkp_idl_pos pos, const char *name);
bkp_idl_decl *bkp_idl_decl_new(bkp_idl_arena *a, bkp_idl_decl_kind k, bkp_idl_pos pos,
                               const char *name);

/* Appends node (a one-element list or a whole list) to list; returns the list's head. */
bkp_idl_field *bkp_idl_fields_append(bkp_idl_field *list, bkp_idl_field *node);
bkp_idl_name *bkp_idl_names_append(bkp_idl_name *list, bkp_idl_name *node);
bkp_idl_method *bkp_idl_methods_append(bkp_idl_method *list, bkp_idl_method *node);
bkp_idl_value *bkp_idl_values_append(bkp_idl_value *list, bkp_idl_value *node);

/* "bool", "list", "struct" (for a NAMED type resolved to a struct), ... as said to users. */
const char *bkp_idl_type_kind_name(const bkp_idl_type *t);

#endif
