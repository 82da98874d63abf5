/* The template engine of bkpr-gen (tmpl.h): parsed once into a tree of nodes, rendered by
 * walking it with a stack of JSON contexts. */
#include "codegen/tmpl.h"

#include "codegen/sbuf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { N_TEXT, N_VAR, N_SECTION, N_INVERTED } node_kind;

typedef struct node {
    struct node *next;
    node_kind kind;
    int line;
    char *text;     /* N_TEXT: the text; others: the name (filters after '|') */
    size_t len;
    struct node *children;
} node;

struct cg_tmpl {
    char *name;
    node *root;
};

static void nodes_free(node *n)
{
    while (n) {
        node *next = n->next;
        nodes_free(n->children);
        free(n->text);
        free(n);
        n = next;
    }
}

void cg_tmpl_free(cg_tmpl *t)
{
    if (!t)
        return;
    nodes_free(t->root);
    free(t->name);
    free(t);
}

typedef struct parser {
    const char *name, *begin, *s, *end;
    int line;
    char *err;
    size_t errlen;
    bool failed;
} parser;

static void perr(parser *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void perr(parser *p, int line, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    int n = snprintf(p->err, p->errlen, "%s:%d: ", p->name, line);
    if (n < 0 || (size_t)n >= p->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

static node *node_new(parser *p, node_kind k, const char *text, size_t len)
{
    node *n = calloc(1, sizeof *n);
    char *t = malloc(len + 1);
    if (!n || !t) {
        free(n);
        free(t);
        perr(p, p->line, "out of memory");
        return NULL;
    }
    memcpy(t, text, len);
    t[len] = '\0';
    n->kind = k;
    n->text = t;
    n->len = len;
    n->line = p->line;
    return n;
}

static int count_lines(const char *a, const char *b)
{
    int n = 0;
    for (; a < b; a++)
        n += *a == '\n';
    return n;
}

/* Parses until {{/close}} (close NULL: until the end). Returns the list of nodes. */
static node *parse_list(parser *p, const char *close, int open_line)
{
    node *head = NULL, **tail = &head;
    while (!p->failed) {
        const char *tag = strstr(p->s, "{{");
        if (!tag || tag >= p->end)
            tag = p->end;
        while (tag + 2 < p->end && tag[2] == '{')
            tag++; /* "{{{x}}": the first '{' is text */
        const char *text_end = tag;
        const char *after = NULL; /* where parsing resumes after the tag */
        char sigil = 0;
        const char *nm = NULL, *nm_end = NULL;
        if (tag < p->end) {
            const char *c = strstr(tag + 2, "}}");
            if (!c || c >= p->end) {
                perr(p, p->line + count_lines(p->s, tag), "'{{' without '}}'");
                break;
            }
            nm = tag + 2;
            if (*nm == '#' || *nm == '^' || *nm == '/' || *nm == '!')
                sigil = *nm++;
            while (nm < c && isspace((unsigned char)*nm))
                nm++;
            nm_end = c;
            while (nm_end > nm && isspace((unsigned char)nm_end[-1]))
                nm_end--;
            after = c + 2;
            if (sigil) {
                /* A standalone tag: only blanks before it on its line and after it up to
                 * the newline. The line goes with it. */
                const char *ls = tag;
                while (ls > p->s && (ls[-1] == ' ' || ls[-1] == '\t'))
                    ls--;
                bool at_bol = ls == p->begin || ls[-1] == '\n';
                const char *le = after;
                while (le < p->end && (*le == ' ' || *le == '\t'))
                    le++;
                bool at_eol = le == p->end || *le == '\n';
                if (at_bol && at_eol) {
                    text_end = ls;
                    after = le < p->end ? le + 1 : le;
                }
            }
        }
        if (text_end > p->s) {
            node *n = node_new(p, N_TEXT, p->s, (size_t)(text_end - p->s));
            if (!n)
                break;
            *tail = n;
            tail = &n->next;
        }
        int tag_line = p->line + count_lines(p->s, tag);
        p->line += count_lines(p->s, after ? after : tag);
        if (tag >= p->end) {
            p->s = p->end;
            if (close)
                perr(p, open_line, "{{#%s}} is never closed", close);
            break;
        }
        p->s = after;
        size_t nlen = (size_t)(nm_end - nm);
        if (sigil == '!')
            continue;
        if (nlen == 0) {
            perr(p, tag_line, "empty tag");
            break;
        }
        if (sigil == '/') {
            if (!close || strlen(close) != nlen || memcmp(close, nm, nlen) != 0)
                perr(p, tag_line, "{{/%.*s}} closes nothing open%s%s", (int)nlen, nm,
                     close ? ", expected {{/" : "", close ? close : "");
            if (p->failed)
                break;
            return head;
        }
        node *n = node_new(p, sigil == '#' ? N_SECTION : sigil == '^' ? N_INVERTED : N_VAR,
                           nm, nlen);
        if (!n)
            break;
        n->line = tag_line;
        *tail = n;
        tail = &n->next;
        if (sigil == '#' || sigil == '^') {
            n->children = parse_list(p, n->text, tag_line);
        }
    }
    if (p->failed) {
        nodes_free(head);
        return NULL;
    }
    return head;
}

cg_tmpl *cg_tmpl_parse(const char *name, const char *text, size_t len, char *err,
                       size_t errlen)
{
    cg_tmpl *t = calloc(1, sizeof *t);
    if (!t || !(t->name = strdup(name))) {
        free(t);
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    parser p = {.name = name, .begin = text, .s = text, .end = text + len, .line = 1, .err = err,
                .errlen = errlen};
    t->root = parse_list(&p, NULL, 1);
    if (p.failed) {
        cg_tmpl_free(t);
        return NULL;
    }
    return t;
}

/* ---- rendering ---- */

typedef struct frame {
    json_t *v;
    int first, last; /* -1: not in a list */
} frame;

typedef struct renderer {
    const cg_tmpl *t;
    frame stack[64];
    int depth;
    cg_sb out;
    char *err;
    size_t errlen;
    bool failed;
} renderer;

static void rerr(renderer *r, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void rerr(renderer *r, int line, const char *fmt, ...)
{
    if (r->failed)
        return;
    r->failed = true;
    int n = snprintf(r->err, r->errlen, "%s:%d: ", r->t->name, line);
    if (n < 0 || (size_t)n >= r->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* Looks name up (dotted: the first segment up the stack, the rest inside it). Returns false
 * when not found; *out may be NULL for "-first"/"-last" outside a list. */
static bool lookup(renderer *r, const char *name, size_t len, json_t **out)
{
    if (len == 1 && name[0] == '.') {
        *out = r->stack[r->depth - 1].v;
        return true;
    }
    const char *dot = memchr(name, '.', len);
    size_t first = dot ? (size_t)(dot - name) : len;
    json_t *v = NULL;
    bool found = false;
    for (int i = r->depth - 1; i >= 0 && !found; i--) {
        frame *f = &r->stack[i];
        if (f->first >= 0 && (first == 6 && memcmp(name, "-first", 6) == 0)) {
            v = f->first ? json_true() : json_false();
            found = true;
        } else if (f->last >= 0 && (first == 5 && memcmp(name, "-last", 5) == 0)) {
            v = f->last ? json_true() : json_false();
            found = true;
        } else if (json_is_object(f->v)) {
            v = json_object_getn(f->v, name, first);
            found = v != NULL;
        }
    }
    while (found && dot) {
        const char *seg = dot + 1;
        dot = memchr(seg, '.', len - (size_t)(seg - name));
        size_t sl = dot ? (size_t)(dot - seg) : len - (size_t)(seg - name);
        v = json_is_object(v) ? json_object_getn(v, seg, sl) : NULL;
        found = v != NULL;
    }
    *out = v;
    return found;
}

static bool truthy(json_t *v)
{
    if (!v || json_is_null(v) || json_is_false(v))
        return false;
    if (json_is_array(v))
        return json_array_size(v) > 0;
    if (json_is_string(v))
        return json_string_length(v) > 0;
    if (json_is_integer(v))
        return json_integer_value(v) != 0;
    return true;
}

static void render_list(renderer *r, const node *n);

static void render_var(renderer *r, const node *n)
{
    char *bar = strchr(n->text, '|');
    size_t nlen = bar ? (size_t)(bar - n->text) : n->len;
    json_t *v;
    if (!lookup(r, n->text, nlen, &v)) {
        rerr(r, n->line, "unknown name '%.*s'", (int)nlen, n->text);
        return;
    }
    char num[64];
    const char *s = "";
    size_t len = 0;
    if (json_is_string(v)) {
        s = json_string_value(v);
        len = json_string_length(v);
    } else if (json_is_integer(v)) {
        len = (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        s = num;
    } else if (json_is_real(v)) {
        len = (size_t)snprintf(num, sizeof num, "%.17g", json_real_value(v));
        s = num;
    } else if (json_is_boolean(v)) {
        s = json_is_true(v) ? "true" : "false";
        len = strlen(s);
    } else if (v && !json_is_null(v)) {
        rerr(r, n->line, "'%.*s' is a list or an object, not text", (int)nlen, n->text);
        return;
    }
    if (!bar) {
        cg_sb_add(&r->out, s, len);
        return;
    }
    size_t start = r->out.len;
    cg_sb_add(&r->out, s, len);
    char *tmp = r->out.s + start;
    for (const char *f = bar + 1; f && *f; ) {
        const char *fe = strchr(f, '|');
        size_t fl = fe ? (size_t)(fe - f) : strlen(f);
        if (fl == 5 && memcmp(f, "upper", 5) == 0)
            for (size_t i = 0; i < len; i++)
                tmp[i] = (char)toupper((unsigned char)tmp[i]);
        else if (fl == 5 && memcmp(f, "lower", 5) == 0)
            for (size_t i = 0; i < len; i++)
                tmp[i] = (char)tolower((unsigned char)tmp[i]);
        else {
            rerr(r, n->line, "unknown filter '%.*s'", (int)fl, f);
            break;
        }
        f = fe ? fe + 1 : NULL;
    }
}

static void push(renderer *r, const node *n, json_t *v, int first, int last)
{
    if (r->depth == (int)(sizeof r->stack / sizeof r->stack[0])) {
        rerr(r, n->line, "sections nested too deep");
        return;
    }
    r->stack[r->depth++] = (frame){v, first, last};
    render_list(r, n->children);
    r->depth--;
}

static void render_section(renderer *r, const node *n)
{
    json_t *v;
    if (!lookup(r, n->text, n->len, &v)) {
        rerr(r, n->line, "unknown name '%s'", n->text);
        return;
    }
    if (n->kind == N_INVERTED) {
        if (!truthy(v))
            render_list(r, n->children);
        return;
    }
    if (!truthy(v))
        return;
    if (json_is_array(v)) {
        size_t cnt = json_array_size(v);
        for (size_t i = 0; i < cnt && !r->failed; i++)
            push(r, n, json_array_get(v, i), i == 0, i + 1 == cnt);
    } else if (json_is_object(v) || json_is_string(v)) {
        push(r, n, v, -1, -1);
    } else {
        render_list(r, n->children);
    }
}

static void render_list(renderer *r, const node *n)
{
    for (; n && !r->failed; n = n->next) {
        switch (n->kind) {
        case N_TEXT: cg_sb_add(&r->out, n->text, n->len); break;
        case N_VAR: render_var(r, n); break;
        case N_SECTION:
        case N_INVERTED: render_section(r, n); break;
        }
    }
}

char *cg_tmpl_render(const cg_tmpl *t, json_t *ctx, size_t *outlen, char *err, size_t errlen)
{
    renderer r = {.t = t, .err = err, .errlen = errlen};
    r.stack[r.depth++] = (frame){ctx, -1, -1};
    cg_sb_add(&r.out, "", 0);
    render_list(&r, t->root);
    if (r.failed) {
        free(r.out.s);
        return NULL;
    }
    *outlen = r.out.len;
    return r.out.s;
}
