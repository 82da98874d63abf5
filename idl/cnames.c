/* The C names of a checked program (checker.h): what the generator will declare, from the
 * model's C names and the table of the names it derives from them (codegen/names.h); two
 * things that would get the same C name do not compile, so the later is an error. */
#include "idl/checker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* v with room for element n (of size sz; *cap allocated), realloc'd when full. */
static void *grow(void *v, size_t n, size_t *cap, size_t sz)
{
    if (n < *cap)
        return v;
    size_t c = *cap ? *cap * 2 : 64;
    void *nv = realloc(v, c * sz);
    if (!nv) {
        fputs("bkpr-gen: out of memory\n", stderr);
        abort();
    }
    *cap = c;
    return nv;
}

void bkp_idl_ck_add_cname(checker *ck, const bkp_idl_file *f, bkp_idl_pos pos, const char *c,
                          const char *what)
{
    ck->names = grow(ck->names, ck->nnames, &ck->capnames, sizeof *ck->names);
    ck->names[ck->nnames++] = (struct cname){c, what, NULL, NULL, NULL, &f->src, pos, f->index};
}

void bkp_idl_ck_add_param(checker *ck, const bkp_idl_file *f, const bkp_idl_field *x)
{
    ck->params = grow(ck->params, ck->nparams, &ck->capparams, sizeof *ck->params);
    ck->params[ck->nparams++] = (struct param){f, x};
}

static int cname_cmp(const void *x, const void *y)
{
    const struct cname *a = x, *b = y;
    int c = strcmp(a->c, b->c);
    if (c)
        return c;
    if (a->file_idx != b->file_idx)
        return a->file_idx < b->file_idx ? -1 : 1;
    if (a->pos.line != b->pos.line)
        return a->pos.line < b->pos.line ? -1 : 1;
    return a->pos.col < b->pos.col ? -1 : a->pos.col > b->pos.col;
}

/* How x is called in messages: "struct 'S'", "the '_reply' function of method 'x.s.get'". */
static const char *cname_what(checker *ck, const struct cname *x)
{
    return x->what ? x->what
                   : bkp_idl_printf(ck->a, "the '%s' %s of %s", x->d->suffix, x->d->what, x->of);
}

/* Two things that would get the same C name: the later one is the error. */
static void check_cnames(checker *ck)
{
    if (ck->nnames == 0)
        return;
    qsort(ck->names, ck->nnames, sizeof *ck->names, cname_cmp);
    for (size_t i = 1; i < ck->nnames; i++) {
        size_t first = i - 1;
        while (i < ck->nnames && strcmp(ck->names[i].c, ck->names[first].c) == 0) {
            const struct cname *x = &ck->names[i], *y = &ck->names[first];
            if (x->base && y->base && strcmp(x->base, y->base) == 0) {
                i++;    /* the echo of a clash of the names they derive from, told already */
                continue;
            }
            bkp_idl_diag_error(ck->d, x->src, x->pos, "%s gets the C name '%s', as %s does",
                               cname_what(ck, x), x->c, cname_what(ck, y));
            bkp_idl_diag_note(ck->d, y->src, y->pos, "%s is here", cname_what(ck, y));
            i++;
        }
    }
}

/* A parameter named like something the program declares in C (a type, a function) would
 * hide it in the prototypes and stubs that name both: each is an error, with a note at the
 * declaration. names must be sorted (check_cnames). */
static void check_param_names(checker *ck)
{
    bkp_map first = BKP_IDL_MAP(ck->a);
    for (size_t i = 0; i < ck->nnames; i++)
        bkp_idl_map_add(&first, ck->names[i].c, &ck->names[i]);
    for (size_t i = 0; i < ck->nparams; i++) {
        const struct param *q = &ck->params[i];
        const struct cname *y = bkp_map_get(&first, q->x->c_name);
        if (!y)
            continue;
        bkp_idl_diag_error(ck->d, &q->f->src, q->x->pos,
                           "parameter '%s' gets the C name '%s', as %s does", q->x->name,
                           q->x->c_name, cname_what(ck, y));
        bkp_idl_diag_note(ck->d, y->src, y->pos, "%s is here", cname_what(ck, y));
    }
}

/* The names the C generator derives from base (codegen/names.h) for a declaration of kind
 * `of` (CG_OF_*), called `what` in messages: two things that would get the same C name do
 * not compile, so these take part in the collision check too. base is itself a C name of
 * the program (not a runtime type's codecs): then a clash of two names derived from the
 * same base is the echo of the clash of the bases, told once. */
void bkp_idl_ck_add_derived(checker *ck, const bkp_idl_file *f, bkp_idl_pos pos,
                            const char *base, unsigned of, const char *what)
{
    size_t bl = strlen(base);
    for (size_t i = 0; i < CG_N_COUNT; i++) {
        const cg_derived *n = &cg_derived_names[i];
        if (!(n->of & of))
            continue;
        size_t sl = strlen(n->suffix);
        char *c = bkp_idl_alloc(ck->a, bl + sl + 1);
        memcpy(c, base, bl);
        memcpy(c + bl, n->suffix, sl + 1);
        bkp_idl_ck_add_cname(ck, f, pos, c, NULL);
        struct cname *x = &ck->names[ck->nnames - 1];
        x->d = n;
        x->of = what;
        x->base = base;
    }
}

/* ---- Names of the C types and codecs the generator derives ---- */

/* The C name of t as the generator makes it (cg_composite_name): a scalar's (bk_int), a
 * struct's or enum's, a list's or map's; NULL for what did not resolve. *items says which
 * kind of items a list or map of t would have. A list or map type seen for the first time
 * enters the collision check with its codecs. */
static const char *composite_names(checker *ck, const bkp_idl_file *f, const bkp_idl_type *t,
                                   const char **idl, cg_items *items)
{
    if (t->kind == BKP_IDL_NAMED) {
        *idl = t->name;
        *items = CG_ITEMS_DECLARED;
        return t->decl ? t->decl->c_name : NULL;
    }
    if (t->kind != BKP_IDL_LIST && t->kind != BKP_IDL_MAP) {
        *idl = bkp_idl_type_kind_name(t);
        *items = CG_ITEMS_SCALAR;
        return bkp_idl_cat(ck->a, "bk_", *idl, NULL);
    }
    cg_items of_items;
    const char *of_idl, *of = composite_names(ck, f, t->of, &of_idl, &of_items);
    if (!of)
        return NULL;
    const char *kind = t->kind == BKP_IDL_LIST ? "list" : "map", *codecs;
    bool in_runtime;
    const char *c = cg_composite_name(ck->a, f->c_prefix, kind, of, of_items, &in_runtime,
                                      &codecs);
    *items = in_runtime ? CG_ITEMS_RUNTIME : CG_ITEMS_DECLARED;
    *idl = bkp_idl_cat(ck->a, kind, "<", of_idl, ">", NULL);
    if (bkp_idl_map_add(&ck->composites, codecs, (void *)t))
        return c;
    const char *what = bkp_idl_printf(ck->a, "the C type of %s", *idl);
    if (!in_runtime)
        bkp_idl_ck_add_cname(ck, f, t->pos, c, what);
    size_t first = ck->nnames;
    bkp_idl_ck_add_derived(ck, f, t->pos, codecs, CG_OF_COMPOSITE, in_runtime ? *idl : what);
    for (size_t i = first; in_runtime && i < ck->nnames; i++)
        ck->names[i].base = NULL; /* the runtime's type: no C name of the program to echo */
    return c;
}

static void composite_names_of(checker *ck, const bkp_idl_file *f, const bkp_idl_type *t)
{
    const char *idl;
    cg_items items;
    if (t)
        composite_names(ck, f, t, &idl, &items);
}

static void composite_names_of_vars(checker *ck, const bkp_idl_file *f,
                                    const bkp_idl_field *list)
{
    for (const bkp_idl_field *x = list; x; x = x->next)
        composite_names_of(ck, f, x->type);
}

/* Structs' and enums' codecs, enums' string conversions, and every list and map type. */
void bkp_idl_ck_type_names(checker *ck)
{
    for (bkp_idl_file *f = ck->p->files; f; f = f->next)
        for (bkp_idl_decl *d = f->decls; d; d = d->next) {
            if ((d->kind == BKP_IDL_D_STRUCT || d->kind == BKP_IDL_D_ENUM) && d->c_name &&
                bkp_map_get(&f->types, d->name) == d)
                bkp_idl_ck_add_derived(
                    ck, f, d->pos, d->c_name, d->kind == BKP_IDL_D_ENUM ? CG_OF_ENUM : CG_OF_STRUCT,
                    bkp_idl_printf(ck->a, "%s '%s'", d->kind == BKP_IDL_D_ENUM ? "enum" : "struct",
                                   d->name));
            if (d->kind == BKP_IDL_D_STRUCT)
                composite_names_of_vars(ck, f, d->fields);
            if (d->kind == BKP_IDL_D_SERVICE)
                for (const bkp_idl_method *m = d->methods; m; m = m->next) {
                    composite_names_of_vars(ck, f, m->params);
                    composite_names_of(ck, f, m->result);
                }
        }
}

void bkp_idl_ck_clashes(checker *ck)
{
    check_cnames(ck);
    check_param_names(ck);
    free(ck->names);
    free(ck->params);
}
