/* Semantic checks of a loaded program: names, types, defaults, error codes, annotations,
 * recursion, and the C names everything will get (their clashes: cnames.c). Each problem is
 * its own message, at the position of the name or value at fault. */
#include "idl/idl.h"

#include <stdlib.h>
#include <string.h>

#include "codegen/names.h"
#include "idl/checker.h"
#include "idl/mangle.h"

/* Names that C would not take as they are mangled. Method and service names have their own
 * rule (see check_wire_name). */
static bool check_c_ident(checker *ck, const bkp_idl_file *f, bkp_idl_pos pos, const char *name,
                          const char *c)
{
    if (name[0] == '_') {
        ERR(ck, f, pos, "'%s': names beginning with '_' are reserved in C", name);
        return false;
    }
    if (strstr(c, "__")) {
        ERR(ck, f, pos, "'%s' gives the C name '%s': '__' is reserved in C", name, c);
        return false;
    }
    return true;
}

/* Service and method names travel in destinations: [\w-]+ segments, and a segment beginning
 * with '_' belongs to Beekeeper's internal services. */
static void check_wire_name(checker *ck, const bkp_idl_file *f, bkp_idl_pos pos,
                            const char *what, const char *name)
{
    for (const char *s = name; s; s = strchr(s, '.') ? strchr(s, '.') + 1 : NULL) {
        if (*s == '_') {
            size_t n = strcspn(s, ".");
            ERR(ck, f, pos,
                "%s name segment '%.*s' begins with '_': such names are reserved for "
                "Beekeeper's internal services",
                what, (int)n, s);
            return;
        }
    }
    if (strstr(bkp_idl_c_prefix(ck->a, name), "__"))
        ERR(ck, f, pos, "%s name '%s' gives a C name with '__', which is reserved in C", what,
            name);
}

/* ---- Lookup ---- */

/* The first struct, enum or error of f called name (f->types, filled by bkp_idl_check). */
static bkp_idl_decl *find_in(const bkp_idl_file *f, const char *name)
{
    return bkp_map_get(&f->types, name);
}

/* `Name` in the file itself, then in the files it imports; `ns.Name` in the one of those
 * whose namespace is ns. Sets *ambiguous when two imports declare Name. */
static bkp_idl_decl *lookup(const bkp_idl_file *f, const char *name, bkp_idl_decl **other)
{
    *other = NULL;
    const char *dot = strrchr(name, '.');
    const char *simple = dot ? dot + 1 : name;
    size_t nslen = dot ? (size_t)(dot - name) : 0;
    bkp_idl_decl *found = NULL;
    if (!dot || (f->ns && strlen(f->ns) == nslen && strncmp(f->ns, name, nslen) == 0)) {
        found = find_in(f, simple);
        if (found)
            return found;
    }
    for (bkp_idl_decl *d = f->decls; d; d = d->next) {
        if (d->kind != BKP_IDL_D_IMPORT || !d->target)
            continue;
        const bkp_idl_file *g = d->target;
        if (dot && !(g->ns && strlen(g->ns) == nslen && strncmp(g->ns, name, nslen) == 0))
            continue;
        bkp_idl_decl *x = find_in(g, simple);
        if (x && found && x != found && !*other)
            *other = x;
        if (x && !found)
            found = x;
    }
    return found;
}

static const char *decl_words(const bkp_idl_decl *d)
{
    switch (d->kind) {
    case BKP_IDL_D_STRUCT: return "a struct";
    case BKP_IDL_D_ENUM: return "an enum";
    case BKP_IDL_D_ERROR: return "an error";
    case BKP_IDL_D_SERVICE: return "a service";
    default: return "not a type";
    }
}

static void resolve_type(checker *ck, const bkp_idl_file *f, bkp_idl_type *t)
{
    if (t->kind == BKP_IDL_LIST || t->kind == BKP_IDL_MAP) {
        resolve_type(ck, f, t->of);
        return;
    }
    if (t->kind != BKP_IDL_NAMED)
        return;
    bkp_idl_decl *other;
    bkp_idl_decl *d = lookup(f, t->name, &other);
    if (!d) {
        ERR(ck, f, t->pos, "unknown type '%s'", t->name);
    } else if (other) {
        ERR(ck, f, t->pos, "ambiguous type '%s': declared in %s and in %s (write ns.%s)",
            t->name, d->file->src.path, other->file->src.path, t->name);
    } else if (d->kind == BKP_IDL_D_ERROR) {
        ERR(ck, f, t->pos, "'%s' is %s, not a type", t->name, decl_words(d));
    } else {
        t->decl = d;
    }
}

/* ---- Defaults ---- */

static const char *value_words(const bkp_idl_value *v)
{
    switch (v->kind) {
    case BKP_IDL_V_INT: return "an integer";
    case BKP_IDL_V_DOUBLE: return "a number";
    case BKP_IDL_V_STRING: return "a string";
    case BKP_IDL_V_BOOL: return v->b ? "'true'" : "'false'";
    case BKP_IDL_V_NULL: return "'null'";
    case BKP_IDL_V_NAME: return "a name";
    }
    return "?";
}

static void type_words(checker *ck, const bkp_idl_type *t, char *buf, size_t cap)
{
    (void)ck;
    switch (t->kind) {
    case BKP_IDL_NAMED:
        snprintf(buf, cap, "%s '%s'", t->decl && t->decl->kind == BKP_IDL_D_ENUM ? "enum" : "struct",
                 t->name);
        break;
    default:
        snprintf(buf, cap, "%s", bkp_idl_type_kind_name(t));
    }
}

static void check_default(checker *ck, const bkp_idl_file *f, const bkp_idl_field *x,
                          const char *what)
{
    const bkp_idl_value *v = x->dflt;
    const bkp_idl_type *t = x->type;
    if (!v || (t->kind == BKP_IDL_NAMED && !t->decl))
        return;
    if (v->kind == BKP_IDL_V_NULL) {
        if (!x->optional && t->kind != BKP_IDL_ANY)
            ERR(ck, f, v->pos, "null is not a value of %s '%s' (make it optional)", what,
                x->name);
        return;
    }
    if (x->optional) {
        ERR(ck, f, v->pos, "%s '%s' is optional: it cannot also have a default", what, x->name);
        return;
    }
    if (v->overflow) {
        if (v->kind == BKP_IDL_V_INT && t->kind != BKP_IDL_DOUBLE)
            ERR(ck, f, v->pos, "integer %s is out of the 64-bit range", v->text);
        else if (v->kind == BKP_IDL_V_DOUBLE)
            ERR(ck, f, v->pos, "number %s is out of range", v->text);
        if (v->kind == BKP_IDL_V_DOUBLE || t->kind != BKP_IDL_DOUBLE)
            return;
    }
    bool ok = false;
    switch (t->kind) {
    case BKP_IDL_BOOL: ok = v->kind == BKP_IDL_V_BOOL; break;
    case BKP_IDL_INT: ok = v->kind == BKP_IDL_V_INT; break;
    case BKP_IDL_DOUBLE: ok = v->kind == BKP_IDL_V_INT || v->kind == BKP_IDL_V_DOUBLE; break;
    case BKP_IDL_STRING: ok = v->kind == BKP_IDL_V_STRING; break;
    case BKP_IDL_ANY: ok = v->kind != BKP_IDL_V_NAME; break;
    case BKP_IDL_BYTES:
    case BKP_IDL_LIST:
    case BKP_IDL_MAP:
        ERR(ck, f, v->pos, "a %s cannot have a default (only null, when optional)",
            bkp_idl_type_kind_name(t));
        return;
    case BKP_IDL_NAMED:
        if (t->decl->kind == BKP_IDL_D_STRUCT) {
            ERR(ck, f, v->pos, "a struct cannot have a default (only null, when optional)");
            return;
        }
        if (v->kind == BKP_IDL_V_NAME) {
            for (const bkp_idl_name *m = t->decl->members; m; m = m->next)
                if (strcmp(m->name, v->s) == 0)
                    return;
            ERR(ck, f, v->pos, "'%s' is not a member of enum '%s'", v->s, t->decl->name);
            return;
        }
        break;
    }
    if (ok)
        return;
    char tw[128];
    type_words(ck, t, tw, sizeof tw);
    if (v->kind == BKP_IDL_V_NAME)
        ERR(ck, f, v->pos, "wrong type for the default of %s '%s': expected %s, found the name '%s'",
            what, x->name, tw, v->s);
    else
        ERR(ck, f, v->pos, "wrong type for the default of %s '%s': expected %s, found %s", what,
            x->name, tw, value_words(v));
}

static bool pos_before(bkp_idl_pos a, bkp_idl_pos b)
{
    return a.line < b.line || (a.line == b.line && a.col < b.col);
}

/* Whether field x is held as `bool has_x; T x;` in C (codegen/ctypes.h): optional, and of a
 * type without a NULL of its own (not a string, any or struct). */
static bool has_flag(const bkp_idl_field *x)
{
    const bkp_idl_type *t = x->type;
    return x->optional && t->kind != BKP_IDL_STRING && t->kind != BKP_IDL_ANY &&
           !(t->kind == BKP_IDL_NAMED && t->decl && t->decl->kind == BKP_IDL_D_STRUCT);
}

/* Why a parameter cannot have C name c, or NULL: the generated prototypes name these
 * types after the parameters (other names are free: the generator renames its own). */
static const char *param_name_taken(const char *c)
{
    if (strncmp(c, "bk_", 3) == 0)
        return "in the Beekeeper runtime's namespace (bk_), whose types the generated C names";
    if (strcmp(c, "json_t") == 0 || strcmp(c, "int64_t") == 0)
        return "a C type the generated prototypes name";
    return NULL;
}

/* Fields of a struct or parameters of a method: types, defaults, names. The first of two
 * with the same name, or the same C name, keeps it. Parameters are kept for the check of
 * their C names against the program's (check_param_names). */
static void check_vars(checker *ck, const bkp_idl_file *f, bkp_idl_field *list, const char *what)
{
    bkp_map names = BKP_IDL_MAP(ck->a), c_names = BKP_IDL_MAP(ck->a);
    bool param = strcmp(what, "parameter") == 0;
    for (bkp_idl_field *x = list; x; x = x->next) {
        resolve_type(ck, f, x->type);
        check_default(ck, f, x, what);
        x->c_name = bkp_idl_snake(ck->a, x->name);
        bool ok = check_c_ident(ck, f, x->pos, x->name, x->c_name);
        const char *taken = param ? param_name_taken(x->c_name) : NULL;
        if (ok && cg_is_c_keyword(x->c_name)) {
            ERR(ck, f, x->pos, "%s name '%s' is a C keyword", what, x->name);
            ok = false;
        } else if (ok && taken) {
            ERR(ck, f, x->pos, "%s name '%s' is %s", what, x->name, taken);
            ok = false;
        }
        /* the earlier of a field of the same name and one of the same C name */
        bkp_idl_field *same = bkp_map_get(&names, x->name);
        bkp_idl_field *like = bkp_map_get(&c_names, x->c_name);
        if (ok && same && (!like || !pos_before(like->pos, same->pos))) {
            ERR(ck, f, x->pos, "duplicate %s '%s'", what, x->name);
            bkp_idl_diag_note(ck->d, &f->src, same->pos, "'%s' is here", same->name);
        } else if (ok && like) {
            ERR(ck, f, x->pos, "%s '%s' gets the C name '%s', as '%s' does", what, x->name,
                x->c_name, like->name);
        }
        bkp_idl_map_add(&names, x->name, x);
        bkp_idl_map_add(&c_names, x->c_name, x);
        if (param && ok)
            bkp_idl_ck_add_param(ck, f, x);
    }
    /* `bool has_x` beside an optional x: the later of it and a field called has_x is wrong */
    for (bkp_idl_field *x = list; x; x = x->next) {
        if (!has_flag(x))
            continue;
        const char *flag = bkp_idl_cat(ck->a, CG_HAS_PREFIX, x->c_name, NULL);
        bkp_idl_field *y = bkp_map_get(&c_names, flag);
        if (!y)
            continue;
        bool y_later = pos_before(x->pos, y->pos);
        const bkp_idl_field *later = y_later ? y : x, *first = y_later ? x : y;
        ERR(ck, f, later->pos, "%s '%s' and the presence flag of optional %s '%s' would both "
            "be called '%s' in C", what, y->name, what, x->name, flag);
        bkp_idl_diag_note(ck->d, &f->src, first->pos, "'%s' is here", first->name);
    }
}

/* ---- Declarations ---- */

static void check_namespace(checker *ck, bkp_idl_file *f)
{
    bool other_before = false;
    const bkp_idl_decl *ns = NULL;
    for (bkp_idl_decl *d = f->decls; d; d = d->next) {
        if (d->kind != BKP_IDL_D_NAMESPACE) {
            other_before = true;
            continue;
        }
        if (ns) {
            ERR(ck, f, d->pos, "second namespace declaration (the file's namespace is '%s')",
                ns->name);
            continue;
        }
        ns = d;
        if (other_before)
            ERR(ck, f, d->pos, "'namespace' must come before any other declaration");
        for (const char *s = d->name; s; s = strchr(s, '.') ? strchr(s, '.') + 1 : NULL)
            if (*s == '_') {
                ERR(ck, f, d->pos, "namespace '%s': names beginning with '_' are reserved in C",
                    d->name);
                break;
            }
    }
    if (!ns) {
        ERR(ck, f, ((bkp_idl_pos){1, 1}),
            "missing 'namespace' declaration (it gives the C prefix of the file's names)");
        f->ns = NULL;
        f->c_prefix = "";
        return;
    }
    f->ns = ns->name;
    f->c_prefix = bkp_idl_c_prefix(ck->a, ns->name);
    if (strstr(f->c_prefix, "__"))
        ERR(ck, f, ns->pos, "namespace '%s' gives the C prefix '%s': '__' is reserved in C",
            ns->name, f->c_prefix);
}

static const char *kind_word(bkp_idl_decl_kind k)
{
    switch (k) {
    case BKP_IDL_D_STRUCT: return "struct";
    case BKP_IDL_D_ENUM: return "enum";
    case BKP_IDL_D_ERROR: return "error";
    case BKP_IDL_D_SERVICE: return "service";
    default: return "declaration";
    }
}

/* Names of types and errors (one namespace per file), C names of each. */
static void check_decl_names(checker *ck, bkp_idl_file *f)
{
    for (bkp_idl_decl *d = f->decls; d; d = d->next) {
        if (d->kind != BKP_IDL_D_STRUCT && d->kind != BKP_IDL_D_ENUM &&
            d->kind != BKP_IDL_D_ERROR)
            continue;
        bkp_idl_decl *prev = find_in(f, d->name);
        if (prev != d) {
            ERR(ck, f, d->pos, "'%s' is already declared", d->name);
            bkp_idl_diag_note(ck->d, &f->src, prev->pos, "the first %s '%s' is here",
                              kind_word(prev->kind), prev->name);
            continue;
        }
        const char *c = bkp_idl_cat(ck->a, f->c_prefix, "_", bkp_idl_snake(ck->a, d->name), NULL);
        if (d->kind == BKP_IDL_D_ERROR)
            c = bkp_idl_upper(ck->a, c);
        if (!check_c_ident(ck, f, d->pos, d->name, c))
            continue;
        d->c_name = c;
        bkp_idl_ck_add_cname(ck, f, d->pos, c,
                             bkp_idl_printf(ck->a, "%s '%s'", kind_word(d->kind), d->name));
    }
}

static void check_enum(checker *ck, bkp_idl_file *f, bkp_idl_decl *d)
{
    bkp_map seen = BKP_IDL_MAP(ck->a);
    for (bkp_idl_name *m = d->members; m; m = m->next) {
        if (bkp_idl_map_add(&seen, m->name, m)) {
            ERR(ck, f, m->pos, "duplicate member '%s' in enum '%s'", m->name, d->name);
            continue;
        }
        if (!d->c_name)
            continue;
        const char *c = bkp_idl_upper(
            ck->a, bkp_idl_cat(ck->a, d->c_name, "_", bkp_idl_snake(ck->a, m->name), NULL));
        if (!check_c_ident(ck, f, m->pos, m->name, c))
            continue;
        m->c_name = c;
        bkp_idl_ck_add_cname(ck, f, m->pos, c,
                             bkp_idl_printf(ck->a, "enum member '%s.%s'", d->name, m->name));
    }
}

static void check_error(checker *ck, bkp_idl_file *f, bkp_idl_decl *d)
{
    const bkp_idl_value *v = d->code;
    int64_t c = v->i;
    if (v->overflow || c < INT32_MIN || c > INT32_MAX)
        ERR(ck, f, v->pos, "error code %s is out of range (codes are 32-bit integers)", v->text);
    else if (c >= -32768 && c <= -32000)
        ERR(ck, f, v->pos,
            "error code %lld is in the range reserved by JSON-RPC (-32768..-32000)", (long long)c);
    else if (c == -31600 || c == -31601 || c == -401 || c == -403)
        ERR(ck, f, v->pos, "error code %lld is reserved by the Beekeeper protocol (%s)",
            (long long)c,
            c == -31600   ? "request timeout"
            : c == -31601 ? "method not available"
            : c == -401   ? "not authenticated"
                          : "not authorized");
}

/* Error codes must be unique in the whole program: a caller tells errors apart by code. The
 * first error with a code keeps it (a map from the code's digits to it). */
static void check_error_codes(checker *ck)
{
    bkp_map first = BKP_IDL_MAP(ck->a);
    for (bkp_idl_file *f = ck->p->files; f; f = f->next)
        for (bkp_idl_decl *d = f->decls; d; d = d->next) {
            if (d->kind != BKP_IDL_D_ERROR || d->code->overflow)
                continue;
            const char *key = bkp_idl_printf(ck->a, "%lld", (long long)d->code->i);
            const bkp_idl_decl *e = bkp_idl_map_add(&first, key, d);
            if (e) {
                ERR(ck, f, d->code->pos, "error code %lld is already used by '%s'",
                    (long long)d->code->i, e->name);
                bkp_idl_diag_note(ck->d, &e->file->src, e->code->pos, "'%s' is here", e->name);
            }
        }
}

static void check_annotations(checker *ck, const bkp_idl_file *f, bkp_idl_method *m)
{
    bkp_map seen = BKP_IDL_MAP(ck->a);
    for (bkp_idl_name *n = m->annotations; n; n = n->next) {
        if (bkp_idl_map_add(&seen, n->name, n)) {
            ERR(ck, f, n->pos, "duplicate annotation '@%s'", n->name);
            goto next;
        }
        if (strcmp(n->name, "timeout") == 0) {
            const bkp_idl_value *v = n->args;
            if (!v || v->next || v->kind != BKP_IDL_V_INT) {
                ERR(ck, f, n->pos, "@timeout takes one integer: the timeout in milliseconds");
            } else if (v->overflow || v->i <= 0 || v->i > INT32_MAX) {
                ERR(ck, f, v->pos, "@timeout must be between 1 and %d milliseconds", INT32_MAX);
            } else if (m->notification || m->oneway) {
                ERR(ck, f, n->pos, "@timeout does not apply to a %s: no response is awaited",
                    m->notification ? "notification" : "oneway method");
            } else {
                m->timeout_ms = v->i;
            }
        } else if (strcmp(n->name, "public") == 0 || strcmp(n->name, "idempotent") == 0) {
            bool pub = n->name[0] == 'p';
            if (n->has_args)
                ERR(ck, f, n->pos, "@%s takes no arguments", n->name);
            else if (!pub && m->notification)
                ERR(ck, f, n->pos, "@idempotent does not apply to a notification");
            else if (pub)
                m->is_public = true;
            else
                m->idempotent = true;
        } else {
            ERR(ck, f, n->pos, "unknown annotation '@%s' (known: @timeout, @public, @idempotent)",
                n->name);
        }
    next:;
    }
}

static unsigned method_kind(const bkp_idl_method *m)
{
    if (m->notification)
        return CG_OF_NOTIFICATION;
    if (m->oneway)
        return CG_OF_ONEWAY;
    return CG_OF_CALL | (m->result ? CG_OF_RESULT : 0);
}

static void check_service(checker *ck, bkp_idl_file *f, bkp_idl_decl *s)
{
    check_wire_name(ck, f, s->pos, "service", s->name);
    s->c_name = bkp_idl_c_prefix(ck->a, s->name);
    bkp_idl_decl *prev = bkp_idl_map_add(&ck->services, s->c_name, s);
    if (prev) {
        if (strcmp(prev->name, s->name) == 0)
            ERR(ck, f, s->pos, "service '%s' is already declared", s->name);
        else
            ERR(ck, f, s->pos, "service '%s' gets the C prefix '%s', as service '%s' does",
                s->name, s->c_name, prev->name);
        bkp_idl_diag_note(ck->d, &prev->file->src, prev->pos, "service '%s' is here", prev->name);
    }
    if (!prev)
        bkp_idl_ck_add_derived(ck, f, s->pos, s->c_name, CG_OF_SERVICE,
                               bkp_idl_printf(ck->a, "service '%s'", s->name));
    bkp_map methods = BKP_IDL_MAP(ck->a);
    for (bkp_idl_method *m = s->methods; m; m = m->next) {
        const char *what = m->notification ? "notification" : "method";
        check_wire_name(ck, f, m->pos, what, m->name);
        bkp_idl_method *first = bkp_idl_map_add(&methods, m->name, m);
        bool dup = first != NULL;
        if (dup) {
            ERR(ck, f, m->pos, "duplicate %s '%s' in service '%s'", what, m->name, s->name);
            bkp_idl_diag_note(ck->d, &f->src, first->pos, "the first '%s' is here", first->name);
        }
        const char *member = bkp_idl_snake(ck->a, m->name);
        m->c_name = bkp_idl_cat(ck->a, s->c_name, "_", member, NULL);
        if (!m->notification && cg_is_c_keyword(member))
            ERR(ck, f, m->pos, "method name '%s' is a C keyword (the method's handler in "
                "%s%s would be called so)", m->name, s->c_name, CG_SUFFIX(HANDLERS));
        if (!dup) {
            const char *of = bkp_idl_cat(ck->a, what, " '", s->name, ".", m->name, "'", NULL);
            bkp_idl_ck_add_cname(ck, f, m->pos, m->c_name, of);
            bkp_idl_ck_add_derived(ck, f, m->pos, m->c_name, method_kind(m), of);
        }
        check_annotations(ck, f, m);
        check_vars(ck, f, m->params, "parameter");
        if (m->result)
            resolve_type(ck, f, m->result);
        if (m->oneway && m->result)
            ERR(ck, f, m->result->pos, "a oneway method has no result: nobody receives it");
        if (m->oneway && m->throws)
            ERR(ck, f, m->throws->pos, "a oneway method cannot throw: nobody receives the error");
        bkp_map thrown = BKP_IDL_MAP(ck->a);
        for (bkp_idl_name *t = m->throws; t; t = t->next) {
            bkp_idl_decl *other;
            bkp_idl_decl *e = lookup(f, t->name, &other);
            if (!e)
                ERR(ck, f, t->pos, "'%s' is not a declared error", t->name);
            else if (e->kind != BKP_IDL_D_ERROR)
                ERR(ck, f, t->pos, "'%s' is %s, not an error", t->name, decl_words(e));
            else if (other)
                ERR(ck, f, t->pos, "ambiguous error '%s': declared in %s and in %s", t->name,
                    e->file->src.path, other->file->src.path);
            else
                t->decl = e;
            if (bkp_idl_map_add(&thrown, t->name, t))
                ERR(ck, f, t->pos, "'%s' is already in the throws list", t->name);
        }
    }
}

/* ---- Recursion ---- */

/* Depth first over required struct fields (lists, maps and optional fields are indirections
 * in C). mark: 0 not seen, 1 on the path, 2 done. */
typedef struct path_step {
    bkp_idl_decl *s;
    bkp_idl_field *f;
} path_step;

static void walk_struct(checker *ck, bkp_idl_decl *s, path_step *path, size_t depth,
                        size_t cap)
{
    s->mark = 1;
    for (bkp_idl_field *x = s->fields; x; x = x->next) {
        if (x->optional || x->type->kind != BKP_IDL_NAMED || !x->type->decl ||
            x->type->decl->kind != BKP_IDL_D_STRUCT)
            continue;
        bkp_idl_decl *t = x->type->decl;
        if (depth >= cap)
            break;
        path[depth] = (path_step){s, x};
        if (t->mark == 1) {
            size_t i = 0;
            while (path[i].s != t)
                i++;
            const char *chain = "";
            for (size_t k = i; k <= depth; k++)
                chain = bkp_idl_printf(ck->a, "%s%s%s.%s", chain, k > i ? " -> " : "",
                                       path[k].s->name, path[k].f->name);
            ERR(ck, s->file, x->pos,
                "struct '%s' contains itself through %s (make a field optional, or use a list)",
                t->name, chain);
        } else if (t->mark == 0) {
            walk_struct(ck, t, path, depth + 1, cap);
        }
    }
    s->mark = 2;
}

static void check_recursion(checker *ck)
{
    size_t n = 0;
    for (bkp_idl_file *f = ck->p->files; f; f = f->next)
        for (bkp_idl_decl *d = f->decls; d; d = d->next)
            if (d->kind == BKP_IDL_D_STRUCT)
                n++;
    path_step *path = calloc(n + 1, sizeof *path);
    if (!path) {
        fputs("bkpr-gen: out of memory\n", stderr);
        abort();
    }
    for (bkp_idl_file *f = ck->p->files; f; f = f->next)
        for (bkp_idl_decl *d = f->decls; d; d = d->next)
            if (d->kind == BKP_IDL_D_STRUCT && d->mark == 0)
                walk_struct(ck, d, path, 0, n + 1);
    free(path);
}

int bkp_idl_check(bkp_idl_program *p)
{
    for (bkp_idl_file *f = p->files; f; f = f->next)
        if (!f->ok || bkp_idl_diag_count(p->diag) > 0)
            return bkp_idl_diag_count(p->diag);
    if (p->checked)
        return bkp_idl_diag_count(p->diag);
    p->checked = 1;
    checker ck = {.p = p, .a = p->arena, .d = p->diag};
    ck.services = ck.composites = BKP_IDL_MAP(ck.a);
    int index = 0;
    for (bkp_idl_file *f = p->files; f; f = f->next) {
        f->index = index++;
        f->types = BKP_IDL_MAP(ck.a);
        for (bkp_idl_decl *d = f->decls; d; d = d->next)
            if (d->kind == BKP_IDL_D_STRUCT || d->kind == BKP_IDL_D_ENUM ||
                d->kind == BKP_IDL_D_ERROR)
                bkp_idl_map_add(&f->types, d->name, d);
    }
    for (bkp_idl_file *f = p->files; f; f = f->next)
        check_namespace(&ck, f);
    for (bkp_idl_file *f = p->files; f; f = f->next)
        check_decl_names(&ck, f);
    for (bkp_idl_file *f = p->files; f; f = f->next)
        for (bkp_idl_decl *d = f->decls; d; d = d->next) {
            switch (d->kind) {
            case BKP_IDL_D_ENUM: check_enum(&ck, f, d); break;
            case BKP_IDL_D_STRUCT: check_vars(&ck, f, d->fields, "field"); break;
            case BKP_IDL_D_ERROR: check_error(&ck, f, d); break;
            case BKP_IDL_D_SERVICE: check_service(&ck, f, d); break;
            default: break;
            }
        }
    check_error_codes(&ck);
    check_recursion(&ck);
    bkp_idl_ck_type_names(&ck);
    bkp_idl_ck_clashes(&ck);
    return bkp_idl_diag_count(p->diag);
}
