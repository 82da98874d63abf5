/* Loading a .bkidl file and, depth first, the files it imports. */
#include "idl/idl.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "idl/parse.h"
#include "idl/source.h"

bkp_idl_program *bkp_idl_program_new(void)
{
    bkp_idl_program *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->arena = bkp_idl_arena_new();
    p->diag = bkp_idl_diag_new();
    if (!p->arena || !p->diag) {
        bkp_idl_program_free(p);
        return NULL;
    }
    return p;
}

void bkp_idl_program_free(bkp_idl_program *p)
{
    if (!p)
        return;
    bkp_idl_diag_free(p->diag);
    bkp_idl_arena_free(p->arena);
    free(p->incdirs);
    free(p->loading);
    free(p);
}

static void *grow(void *v, size_t *cap, size_t elem)
{
    size_t n = *cap ? *cap * 2 : 8;
    void *nv = realloc(v, n * elem);
    if (!nv) {
        fputs("bkpr-gen: out of memory\n", stderr);
        abort();
    }
    *cap = n;
    return nv;
}

void bkp_idl_program_add_include(bkp_idl_program *p, const char *dir)
{
    if (p->nincdirs == p->capincdirs)
        p->incdirs = grow(p->incdirs, &p->capincdirs, sizeof *p->incdirs);
    p->incdirs[p->nincdirs++] = bkp_idl_strdup(p->arena, dir);
}

static bkp_idl_file *find_real(bkp_idl_program *p, const char *real)
{
    for (bkp_idl_file *f = p->files; f; f = f->next)
        if (f->real && strcmp(f->real, real) == 0)
            return f;
    return NULL;
}

static bkp_idl_file *file_new(bkp_idl_program *p)
{
    bkp_idl_file *f = bkp_idl_alloc(p->arena, sizeof *f);
    bkp_idl_file **t = &p->files;
    while (*t)
        t = &(*t)->next;
    *t = f;
    return f;
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Where `import "name";` in file `from` points: from's folder first, then the -I folders.
 * NULL when nowhere. */
static const char *resolve(bkp_idl_program *p, const bkp_idl_file *from, const char *name)
{
    if (name[0] == '/')
        return is_file(name) ? name : NULL;
    const char *slash = strrchr(from->src.path, '/');
    const char *cand = slash ? bkp_idl_printf(p->arena, "%.*s/%s",
                                              (int)(slash - from->src.path), from->src.path, name)
                             : name;
    if (is_file(cand))
        return cand;
    for (size_t i = 0; i < p->nincdirs; i++) {
        cand = bkp_idl_printf(p->arena, "%s/%s", p->incdirs[i], name);
        if (is_file(cand))
            return cand;
    }
    return NULL;
}

static void report_missing(bkp_idl_program *p, const bkp_idl_file *from, const bkp_idl_decl *imp)
{
    const char *slash = strrchr(from->src.path, '/');
    const char *dirs = slash ? bkp_idl_strndup(p->arena, from->src.path,
                                               (size_t)(slash - from->src.path))
                             : ".";
    for (size_t i = 0; i < p->nincdirs; i++)
        dirs = bkp_idl_printf(p->arena, "%s, %s", dirs, p->incdirs[i]);
    bkp_idl_diag_error(p->diag, &from->src, imp->pos, "cannot find import '%s' (searched %s)",
                       imp->name, dirs);
}

static void report_cycle(bkp_idl_program *p, const bkp_idl_file *from, const bkp_idl_decl *imp,
                         const bkp_idl_file *target)
{
    size_t i = 0;
    while (i < p->nloading && p->loading[i] != target)
        i++;
    const char *chain = "";
    for (size_t k = i; k < p->nloading; k++)
        chain = bkp_idl_printf(p->arena, "%s%s -> ", chain, p->loading[k]->src.path);
    bkp_idl_diag_error(p->diag, &from->src, imp->pos, "circular import: %s%s", chain,
                       target->src.path);
}

static void load_imports(bkp_idl_program *p, bkp_idl_file *f)
{
    if (p->nloading == p->caploading)
        p->loading = grow(p->loading, &p->caploading, sizeof *p->loading);
    p->loading[p->nloading++] = f;
    f->state = 1;
    for (bkp_idl_decl *d = f->decls; d; d = d->next) {
        if (d->kind != BKP_IDL_D_IMPORT)
            continue;
        const char *path = resolve(p, f, d->name);
        if (!path) {
            report_missing(p, f, d);
            continue;
        }
        char real[PATH_MAX];
        bkp_idl_file *g = realpath(path, real) ? find_real(p, real) : NULL;
        if (g && g->state == 1) {
            report_cycle(p, f, d, g);
            continue;
        }
        if (!g) {
            g = file_new(p);
            g->real = bkp_idl_strdup(p->arena, realpath(path, real) ? real : path);
            if (bkp_idl_source_read(&g->src, p->arena, p->diag, path, &f->src, d->pos) == 0) {
                bkp_idl_parse_file(g, p->arena, p->diag);
                load_imports(p, g);
            }
        }
        d->target = g;
    }
    f->state = 2;
    p->nloading--;
}

bkp_idl_file *bkp_idl_load(bkp_idl_program *p, const char *path)
{
    char real[PATH_MAX];
    bkp_idl_file *f = realpath(path, real) ? find_real(p, real) : NULL;
    if (f)
        return f;
    f = file_new(p);
    f->real = bkp_idl_strdup(p->arena, realpath(path, real) ? real : path);
    if (bkp_idl_source_read(&f->src, p->arena, p->diag, path, NULL, (bkp_idl_pos){0, 0}) == 0) {
        bkp_idl_parse_file(f, p->arena, p->diag);
        load_imports(p, f);
    }
    return f;
}

bkp_idl_file *bkp_idl_load_text(bkp_idl_program *p, const char *path, const char *text,
                                size_t len)
{
    bkp_idl_file *f = file_new(p);
    if (bkp_idl_source_set(&f->src, p->arena, p->diag, path, text, len) == 0) {
        bkp_idl_parse_file(f, p->arena, p->diag);
        load_imports(p, f);
    }
    return f;
}
