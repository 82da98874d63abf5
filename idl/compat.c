/* The breaking-change rules of --check-compat (doc/idl.md, "Schemas over time"). Each rule
 * follows from what the decoders accept in each direction: a worker refuses unknown params,
 * a client skips unknown result fields and reads unknown enum members as "newer". So what a
 * newer file may add is what an older peer never sends or safely skips; anything removed,
 * retyped or made required breaks someone. Declarations are matched by name. */
#include "idl/compat.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct cmp {
    bkp_idl_diag *d;
    const bkp_idl_source *os, *ns; /* old, new */
    int n;
} cmp;

#define BREAK(c, src, pos, ...) \
    ((c)->n++, bkp_idl_diag_error((c)->d, (src), (pos), __VA_ARGS__))

static const bkp_idl_decl *find_decl(const bkp_idl_file *f, bkp_idl_decl_kind k,
                                     const char *name)
{
    for (const bkp_idl_decl *x = f->decls; x; x = x->next)
        if (x->kind == k && strcmp(x->name, name) == 0)
            return x;
    return NULL;
}

static const bkp_idl_field *find_field(const bkp_idl_field *l, const char *name)
{
    for (; l; l = l->next)
        if (strcmp(l->name, name) == 0)
            return l;
    return NULL;
}

static const bkp_idl_method *find_method(const bkp_idl_method *l, const bkp_idl_method *m)
{
    for (; l; l = l->next)
        if (l->notification == m->notification && strcmp(l->name, m->name) == 0)
            return l;
    return NULL;
}

/* Same wire type: same kinds, and named types by name (their contents are compared where
 * they are declared). */
static bool same_type(const bkp_idl_type *a, const bkp_idl_type *b)
{
    if (!a || !b)
        return a == b;
    if (a->kind != b->kind)
        return false;
    if (a->kind == BKP_IDL_LIST || a->kind == BKP_IDL_MAP)
        return same_type(a->of, b->of);
    if (a->kind != BKP_IDL_NAMED)
        return true;
    if (!a->decl || !b->decl)
        return strcmp(a->name, b->name) == 0;
    const char *na = a->decl->file->ns, *nb = b->decl->file->ns;
    return a->decl->kind == b->decl->kind && strcmp(a->decl->name, b->decl->name) == 0 &&
           strcmp(na ? na : "", nb ? nb : "") == 0;
}

/* May a field be absent on the wire? */
static bool may_be_absent(const bkp_idl_field *f)
{
    return f->optional || f->dflt;
}

/* Fields of a struct or params of a method: what = "field" or "param", of = its owner. */
static void fields(cmp *c, const bkp_idl_field *ol, const bkp_idl_field *nl, const char *what,
                   const char *of, bool both_ways)
{
    for (const bkp_idl_field *o = ol; o; o = o->next) {
        const bkp_idl_field *n = find_field(nl, o->name);
        if (!n) {
            BREAK(c, c->os, o->pos, "%s '%s' of %s removed", what, o->name, of);
            continue;
        }
        if (!same_type(o->type, n->type))
            BREAK(c, c->ns, n->type->pos, "%s '%s' of %s changed type from %s to %s", what,
                  n->name, of, bkp_idl_type_kind_name(o->type),
                  bkp_idl_type_kind_name(n->type));
        else if (may_be_absent(o) && !may_be_absent(n))
            BREAK(c, c->ns, n->pos, "%s '%s' of %s became required", what, n->name, of);
        else if (both_ways && !may_be_absent(o) && may_be_absent(n))
            /* A struct may travel in a result too, to an older reader that requires it. */
            BREAK(c, c->ns, n->pos, "%s '%s' of %s became optional", what, n->name, of);
    }
    for (const bkp_idl_field *n = nl; n; n = n->next)
        if (!find_field(ol, n->name) && !may_be_absent(n))
            BREAK(c, c->ns, n->pos, "new required %s '%s' of %s", what, n->name, of);
}

static void enums(cmp *c, const bkp_idl_decl *o, const bkp_idl_decl *n)
{
    const bkp_idl_name *nm = n->members;
    for (const bkp_idl_name *om = o->members; om; om = om->next) {
        const bkp_idl_name *x = n->members;
        while (x && strcmp(x->name, om->name) != 0)
            x = x->next;
        if (!x) {
            BREAK(c, c->os, om->pos, "member '%s' of enum '%s' removed", om->name, o->name);
            continue;
        }
        /* The old members keep their order and stay first: their C values are kept. */
        if (x != nm)
            BREAK(c, c->ns, x->pos, "member '%s' of enum '%s' moved: new members go at the end",
                  x->name, n->name);
        nm = x->next;
    }
}

static void methods(cmp *c, const bkp_idl_decl *os, const bkp_idl_decl *ns)
{
    for (const bkp_idl_method *o = os->methods; o; o = o->next) {
        const char *kind = o->notification ? "notification" : "method";
        const bkp_idl_method *n = find_method(ns->methods, o);
        if (!n) {
            BREAK(c, c->os, o->pos, "%s '%s.%s' removed", kind, os->name, o->name);
            continue;
        }
        if (o->oneway != n->oneway)
            BREAK(c, c->ns, n->pos, "method '%s.%s' %s oneway", ns->name, n->name,
                  n->oneway ? "became" : "is no longer");
        if (!o->notification && !o->oneway && !same_type(o->result, n->result))
            BREAK(c, c->ns, n->result ? n->result->pos : n->pos,
                  "result of method '%s.%s' changed type", ns->name, n->name);
        char of[300];
        snprintf(of, sizeof of, "%s '%s.%s'", kind, ns->name, n->name);
        fields(c, o->params, n->params, "param", of, o->notification);
    }
}

int bkp_idl_compat(bkp_idl_diag *d, const bkp_idl_file *old, const bkp_idl_file *new_)
{
    cmp c = {d, &old->src, &new_->src, 0};
    for (const bkp_idl_decl *o = old->decls; o; o = o->next) {
        if (o->kind == BKP_IDL_D_NAMESPACE || o->kind == BKP_IDL_D_IMPORT)
            continue;
        const bkp_idl_decl *n = find_decl(new_, o->kind, o->name);
        if (!n) {
            static const char *const what[] = {
                [BKP_IDL_D_ENUM] = "enum", [BKP_IDL_D_STRUCT] = "struct",
                [BKP_IDL_D_ERROR] = "error", [BKP_IDL_D_SERVICE] = "service"};
            BREAK(&c, c.os, o->pos, "%s '%s' removed", what[o->kind], o->name);
            continue;
        }
        switch (o->kind) {
        case BKP_IDL_D_ENUM:
            enums(&c, o, n);
            break;
        case BKP_IDL_D_STRUCT:
        {
            char of[300];
            snprintf(of, sizeof of, "struct '%s'", n->name);
            fields(&c, o->fields, n->fields, "field", of, true);
        }
            break;
        case BKP_IDL_D_ERROR:
            if (o->code->i != n->code->i)
                BREAK(&c, c.ns, n->code->pos, "code of error '%s' changed from %lld to %lld",
                      n->name, (long long)o->code->i, (long long)n->code->i);
            break;
        case BKP_IDL_D_SERVICE:
            methods(&c, o, n);
            break;
        default:
            break;
        }
    }
    return c.n;
}
