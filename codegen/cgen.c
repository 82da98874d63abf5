/* The C generator of bkpr-gen (cgen.h): the run's state (gen.h), the templates, and the
 * entry. The templates get data made from the model (names, declarations, the arguments of
 * each prototype: service.c, typesfile.c) and, as text, only the bodies of decoders and
 * encoders, which depend on the types and read better written in C (ctypes.c, codecs.c)
 * than spelled in a template. What they render is wrapped at CG_COLUMNS (ctext.c). */
#include "codegen/cgen.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/ctext.h"
#include "codegen/ctypes.h"
#include "codegen/gen.h"
#include "codegen/names.h"
#include "codegen/sbuf.h"
#include "codegen/service.h"
#include "codegen/tmpl.h"
#include "codegen/typesfile.h"

/* ---------------------------------------------------------------- the run's state */

void cg_fail(cg_gen *g, const char *fmt, ...)
{
    if (g->failed)
        return;
    g->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->err, g->errlen, fmt, ap);
    va_end(ap);
}

static char *arena_copy(cg_gen *g, const char *s, size_t n)
{
    char *p = bk_arena_strndup(g->arena, s, n);
    if (!p) {
        fputs("bkpr-gen: out of memory\n", stderr);
        abort();
    }
    return p;
}

const char *cg_cat(cg_gen *g, ...)
{
    const char *part[16];
    size_t len[16], np = 0, total = 0;
    va_list ap;
    va_start(ap, g);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;) {
        if (np == sizeof part / sizeof part[0]) {
            fputs("bkpr-gen: internal error: cg_cat of too many parts\n", stderr);
            abort();
        }
        part[np] = s;
        len[np] = strlen(s);
        total += len[np++];
    }
    va_end(ap);
    char *r = bk_arena_alloc(g->arena, total + 1), *p = r;
    if (!r) {
        fputs("bkpr-gen: out of memory\n", stderr);
        abort();
    }
    for (size_t i = 0; i < np; i++) {
        memcpy(p, part[i], len[i]);
        p += len[i];
    }
    *p = '\0';
    return r;
}

const char *cg_sb_str(cg_gen *g, cg_sb *b)
{
    char *r = arena_copy(g, b->s ? b->s : "", b->len);
    cg_sb_clear(b);
    return r;
}

json_t *cg_names_json(cg_gen *g, const char *base, unsigned of)
{
    json_t *o = json_object();
    cg_sb b = {0};
    size_t bl = strlen(base);
    (void)g;
    cg_sb_add(&b, base, bl);
    for (size_t i = 0; i < CG_N_COUNT; i++) {
        const cg_derived *d = &cg_derived_names[i];
        if (!(d->of & of))
            continue;
        b.len = bl;
        cg_sb_adds(&b, d->suffix);
        json_object_set_new_nocheck(o, d->suffix + 1, json_stringn_nocheck(b.s, b.len));
    }
    cg_sb_free(&b);
    return o;
}

/* ---------------------------------------------------------------- templates */

static cg_tmpl *load_template(cg_gen *g, const char *name)
{
    char err[512];
    if (g->o && g->o->templates) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", g->o->templates, name);
        FILE *f = fopen(path, "rb");
        if (f) {
            cg_sb b = {0};
            char buf[8192];
            size_t n;
            while ((n = fread(buf, 1, sizeof buf, f)) > 0)
                cg_sb_add(&b, buf, n);
            int bad = ferror(f);
            fclose(f);
            if (bad) {
                cg_sb_free(&b);
                cg_fail(g, "bkpr-gen: %s: cannot read", path);
                return NULL;
            }
            cg_tmpl *t = cg_tmpl_parse(path, b.s ? b.s : "", b.len, err, sizeof err);
            cg_sb_free(&b);
            if (!t)
                cg_fail(g, "bkpr-gen: %s", err);
            return t;
        }
        if (errno != ENOENT) {
            cg_fail(g, "bkpr-gen: %s: %s", path, strerror(errno));
            return NULL;
        }
    }
    for (size_t i = 0; i < cg_n_embedded_templates; i++) {
        const cg_embedded_template *e = &cg_embedded_templates[i];
        if (strcmp(e->name, name) == 0) {
            cg_tmpl *t = cg_tmpl_parse(name, (const char *)e->data, e->len, err, sizeof err);
            if (!t)
                cg_fail(g, "bkpr-gen: built-in template %s", err);
            return t;
        }
    }
    cg_fail(g, "bkpr-gen: no template %s", name);
    return NULL;
}

int cg_emit(cg_gen *g, const char *tmpl, json_t *ctx, const char *name, bool skeleton,
            cg_gen_file **files, size_t *nfiles)
{
    if (g->failed)
        return -1;
    cg_tmpl *t = load_template(g, tmpl);
    if (!t)
        return -1;
    char err[512];
    size_t len;
    char *text = cg_tmpl_render(t, ctx, &len, err, sizeof err);
    cg_tmpl_free(t);
    if (!text) {
        cg_fail(g, "bkpr-gen: template %s", err);
        return -1;
    }
    cg_sb wrapped = {0};
    if (cg_c_wrap(&wrapped, text, len, CG_COLUMNS)) {
        free(text);
        text = wrapped.s;
        len = wrapped.len;
    }
    cg_gen_file *nf = realloc(*files, (*nfiles + 1) * sizeof *nf);
    if (!nf) {
        free(text);
        cg_fail(g, "bkpr-gen: out of memory");
        return -1;
    }
    *files = nf;
    nf[*nfiles] = (cg_gen_file){.name = strdup(name), .source = strdup(cg_sget(ctx, "source")),
                                .text = text, .len = len, .skeleton = skeleton};
    (*nfiles)++;
    return 0;
}

/* ---------------------------------------------------------------- entry */

void cg_gen_files_free(cg_gen_file *files, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(files[i].name);
        free(files[i].source);
        free(files[i].text);
    }
    free(files);
}

int cg_gen_c(json_t *model, bk_arena *arena, const cg_gen_opts *o, cg_gen_file **files,
             size_t *nfiles, char *err, size_t errlen)
{
    cg_gen g = {.model = model, .arena = arena, .o = o, .err = err, .errlen = errlen};
    json_t *file = json_object_get(model, "file"), *f, *s;
    size_t i;
    int rc = cg_gen_types(&g, file, files, nfiles);
    json_array_foreach(json_object_get(model, "imported"), i, f) {
        if (rc == 0)
            rc = cg_gen_types(&g, f, files, nfiles);
    }
    g.prefix = cg_sget(file, "c_prefix");
    json_array_foreach(json_object_get(file, "services"), i, s) {
        if (rc == 0)
            rc = cg_gen_service(&g, file, s, files, nfiles);
    }
    if (g.failed)
        rc = -1;
    cg_types_free(&g);
    cg_tlist_free(&g.need_dec);
    cg_tlist_free(&g.need_enc);
    return rc;
}
