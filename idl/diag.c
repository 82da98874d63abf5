/* The diagnostics collector. */
#include "idl/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "idl/source.h"

struct entry {
    const bkp_idl_source *src;
    bkp_idl_pos pos;
    char *msg;
    int seq;       /* order of arrival: ties keep it */
    int file_rank; /* files sort in the order of their first error */
    struct entry *note;
    bool is_note;
};

struct bkp_idl_diag {
    struct entry **v;
    int n, cap;
    struct entry *last;
};

bkp_idl_diag *bkp_idl_diag_new(void)
{
    return calloc(1, sizeof(bkp_idl_diag));
}

static void entry_free(struct entry *e)
{
    while (e) {
        struct entry *n = e->note;
        free(e->msg);
        free(e);
        e = n;
    }
}

void bkp_idl_diag_free(bkp_idl_diag *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->n; i++)
        entry_free(d->v[i]);
    free(d->v);
    free(d);
}

static struct entry *entry_new(const bkp_idl_source *src, bkp_idl_pos pos, const char *fmt,
                               va_list ap) __attribute__((format(printf, 3, 0)));
static struct entry *entry_new(const bkp_idl_source *src, bkp_idl_pos pos, const char *fmt,
                               va_list ap)
{
    struct entry *e = calloc(1, sizeof *e);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    if (!e || n < 0 || !(e->msg = malloc((size_t)n + 1))) {
        fputs("bkpr-gen: out of memory\n", stderr);
        abort();
    }
    vsnprintf(e->msg, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    e->src = src;
    e->pos = pos;
    return e;
}

void bkp_idl_diag_error(bkp_idl_diag *d, const bkp_idl_source *src, bkp_idl_pos pos,
                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bkp_idl_diag_verror(d, src, pos, fmt, ap);
    va_end(ap);
}

void bkp_idl_diag_verror(bkp_idl_diag *d, const bkp_idl_source *src, bkp_idl_pos pos,
                         const char *fmt, va_list ap)
{
    struct entry *e = entry_new(src, pos, fmt, ap);
    if (d->n == d->cap) {
        int cap = d->cap ? d->cap * 2 : 16;
        struct entry **v = realloc(d->v, (size_t)cap * sizeof *v);
        if (!v) {
            fputs("bkpr-gen: out of memory\n", stderr);
            abort();
        }
        d->v = v;
        d->cap = cap;
    }
    e->seq = d->n;
    e->file_rank = d->n;
    for (int i = 0; i < d->n; i++) {
        const bkp_idl_source *o = d->v[i]->src;
        if (o == src || (o && src && strcmp(o->path, src->path) == 0)) {
            e->file_rank = d->v[i]->file_rank;
            break;
        }
    }
    d->v[d->n++] = e;
    d->last = e;
}

void bkp_idl_diag_note(bkp_idl_diag *d, const bkp_idl_source *src, bkp_idl_pos pos,
                       const char *fmt, ...)
{
    if (!d->last)
        return;
    va_list ap;
    va_start(ap, fmt);
    struct entry *e = entry_new(src, pos, fmt, ap);
    va_end(ap);
    e->is_note = true;
    struct entry **p = &d->last->note;
    while (*p)
        p = &(*p)->note;
    *p = e;
}

int bkp_idl_diag_count(const bkp_idl_diag *d)
{
    return d->n;
}

static int cmp(const void *a, const void *b)
{
    const struct entry *x = *(struct entry *const *)a, *y = *(struct entry *const *)b;
    if (x->file_rank != y->file_rank)
        return x->file_rank < y->file_rank ? -1 : 1;
    if (x->pos.line != y->pos.line)
        return x->pos.line < y->pos.line ? -1 : 1;
    if (x->pos.col != y->pos.col)
        return x->pos.col < y->pos.col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The source line, then a caret under the column. Tabs before the column are copied so that
 * the caret lines up whatever the tab width. */
static void show_line(FILE *out, const struct entry *e)
{
    size_t len;
    const char *line = e->src ? bkp_idl_source_line(e->src, e->pos.line, &len) : NULL;
    if (!line)
        return;
    fprintf(out, "%5d | %.*s\n", e->pos.line, (int)len, line);
    fputs("      | ", out);
    int col = 1;
    for (size_t i = 0; i < len && col < e->pos.col; i++) {
        if (((unsigned char)line[i] & 0xC0) == 0x80)
            continue;
        fputc(line[i] == '\t' ? '\t' : ' ', out);
        col++;
    }
    fputs("^\n", out);
}

static void print_one(FILE *out, const struct entry *e)
{
    const char *what = e->is_note ? "note" : "error";
    if (!e->src)
        fprintf(out, "bkpr-gen: %s: %s\n", what, e->msg);
    else if (e->pos.line == 0)
        fprintf(out, "%s: %s: %s\n", e->src->path, what, e->msg);
    else
        fprintf(out, "%s:%d:%d: %s: %s\n", e->src->path, e->pos.line, e->pos.col, what, e->msg);
    if (e->src && e->pos.line > 0)
        show_line(out, e);
}

void bkp_idl_diag_print(const bkp_idl_diag *d, FILE *out)
{
    if (d->n == 0)
        return;
    struct entry **v = malloc((size_t)d->n * sizeof *v);
    if (!v) {
        fputs("bkpr-gen: out of memory\n", stderr);
        abort();
    }
    memcpy(v, d->v, (size_t)d->n * sizeof *v);
    qsort(v, (size_t)d->n, sizeof *v, cmp);
    int shown = d->n < BKP_IDL_MAX_ERRORS ? d->n : BKP_IDL_MAX_ERRORS;
    for (int i = 0; i < shown; i++)
        for (const struct entry *e = v[i]; e; e = e->note)
            print_one(out, e);
    if (d->n > shown)
        fprintf(out, "bkpr-gen: too many errors (%d more not shown)\n", d->n - shown);
    free(v);
}
