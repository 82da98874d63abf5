/* The C generator of bkpr-gen (cgen.h). The model is enriched with what the templates print:
 * C declarations, prototypes wrapped at 100 columns, and the bodies of decoders and encoders,
 * which depend on the types and read better written here than spelled in a template.
 *
 * C representation of a value of IDL type T (doc/idl.md, "Generated C"):
 *   struct field   required: T x (a struct by value); optional: string/any NULL when absent,
 *                  struct `const S *x` NULL when absent, others `bool has_x; T x;`
 *   flat parameter string/any: as they are (NULL: absent when optional); bool, int, double,
 *                  enum, bytes: by value when required; struct, list, map: `const T *`;
 *                  optional others: `const T *` (NULL: absent)
 * Lists and maps of scalars are beekeeper/typed.h's bk_*_list/bk_*_map; others are declared
 * (once, under a guard) in the types header of each file that uses them, and their codecs are
 * static functions in each .c that needs them. */
#include "codegen/cgen.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beekeeper/arena.h"
#include "codegen/tmpl.h"

/* ---------------------------------------------------------------- strings */

typedef struct sb {
    char *s;
    size_t len, cap;
} sb;

static void sb_add(sb *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            fputs("bkpr-gen: out of memory\n", stderr);
            abort();
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_printf(sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    char *tmp = malloc((size_t)n + 1);
    if (!tmp) {
        fputs("bkpr-gen: out of memory\n", stderr);
        abort();
    }
    va_start(ap, fmt);
    vsnprintf(tmp, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_add(b, tmp, (size_t)n);
    free(tmp);
}

/* The text as a JSON string; b is emptied. */
static json_t *sb_json(sb *b)
{
    json_t *j = json_stringn(b->s ? b->s : "", b->len);
    free(b->s);
    *b = (sb){0};
    return j;
}

/* Strings made while generating one model, freed together. */
typedef struct gen {
    json_t *model;
    json_t *pool;     /* JSON strings owning the results of the helpers below */
    bk_arena *arena;  /* owns every str() result: the generator's most frequent allocation */
    struct {
        json_t *t;
        const char *name;
    } bases[8192];    /* base(): type object -> its name (open addressing, by address) */
    size_t nbases;
    json_t *need_dec; /* composite types whose static decoders the current .c needs */
    json_t *need_enc;
    const bkp_gen_opts *o;
    char *err;
    size_t errlen;
    bool failed;
} gen;

/* A JSON string of generated text. The input was checked as UTF-8 by the lexer, and what
 * the generator adds is ASCII: no need to check every string again (it was a fifth of the
 * generator's time). */
static json_t *jstr(const char *s)
{
    return json_stringn_nocheck(s, strlen(s));
}

static const char *str(gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *str(gen *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = bk_arena_vprintf(g->arena, fmt, ap);
    va_end(ap);
    if (!s) {
        fputs("bkpr-gen: out of memory\n", stderr);
        abort();
    }
    return s;
}

static void fail(gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(gen *g, const char *fmt, ...)
{
    if (g->failed)
        return;
    g->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->err, g->errlen, fmt, ap);
    va_end(ap);
}

static const char *sget(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static const char *upper(gen *g, const char *s)
{
    char *u = strdup(s);
    if (!u)
        abort();
    for (char *p = u; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    const char *r = str(g, "%s", u);
    free(u);
    return r;
}

/* A doc comment, indented, or "" when there is none. "*\/" inside is broken up. */
static const char *doc_c(gen *g, json_t *doc, const char *indent)
{
    const char *d = json_string_value(doc);
    if (!d || !*d)
        return "";
    sb b = {0}, text = {0};
    for (const char *p = d; *p; p++) {
        if (p[0] == '*' && p[1] == '/')
            sb_add(&text, "* ", 2);
        else
            sb_add(&text, p, 1);
    }
    if (!strchr(text.s, '\n')) {
        sb_printf(&b, "%s/** %s */\n", indent, text.s);
    } else {
        sb_printf(&b, "%s/**\n", indent);
        for (char *line = text.s; line;) {
            char *nl = strchr(line, '\n');
            if (nl)
                *nl = '\0';
            sb_printf(&b, "%s *%s%s\n", indent, *line ? " " : "", line);
            line = nl ? nl + 1 : NULL;
        }
        sb_printf(&b, "%s */\n", indent);
    }
    free(text.s);
    json_t *j = sb_json(&b);
    json_array_append_new(g->pool, j);
    return json_string_value(j);
}

/* A C string literal of s (UTF-8 bytes beyond ASCII as octal escapes). */
static const char *c_string(gen *g, const char *s, size_t n)
{
    sb b = {0};
    sb_add(&b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': sb_add(&b, "\\\"", 2); break;
        case '\\': sb_add(&b, "\\\\", 2); break;
        case '\n': sb_add(&b, "\\n", 2); break;
        case '\t': sb_add(&b, "\\t", 2); break;
        case '\r': sb_add(&b, "\\r", 2); break;
        case '?': sb_add(&b, "\\?", 2); break; /* no trigraphs */
        case '/': /* never "*\/" inside the comments that quote these literals */
            if (i > 0 && s[i - 1] == '*')
                sb_add(&b, "\\057", 4);
            else
                sb_add(&b, "/", 1);
            break;
        default:
            if (c < 0x20 || c >= 0x7f)
                sb_printf(&b, "\\%03o", c);
            else
                sb_add(&b, (const char *)&c, 1);
        }
    }
    sb_add(&b, "\"", 1);
    json_t *j = sb_json(&b);
    json_array_append_new(g->pool, j);
    return json_string_value(j);
}

/* A prototype: `ret name(a, b, ...)`, wrapped at 100 columns under the opening parenthesis. */
static const char *proto(gen *g, const char *ret, const char *name, const char **args, size_t n)
{
    sb b = {0};
    size_t rl = strlen(ret);
    sb_printf(&b, "%s%s%s(", ret, rl && ret[rl - 1] == '*' ? "" : " ", name);
    size_t indent = b.len, col = b.len;
    if (n == 0)
        sb_add(&b, "void", 4);
    for (size_t i = 0; i < n; i++) {
        size_t al = strlen(args[i]);
        if (i > 0) {
            if (col + 2 + al + 2 > 100) {
                sb_add(&b, ",\n", 2);
                for (size_t k = 0; k < indent; k++)
                    sb_add(&b, " ", 1);
                col = indent;
            } else {
                sb_add(&b, ", ", 2);
                col += 2;
            }
        }
        sb_add(&b, args[i], al);
        col += al;
    }
    sb_add(&b, ")", 1);
    json_t *j = sb_json(&b);
    json_array_append_new(g->pool, j);
    return json_string_value(j);
}

/* ---------------------------------------------------------------- types */

static const char *kind(json_t *t)
{
    return sget(t, "kind");
}

static bool is(json_t *t, const char *k)
{
    return strcmp(kind(t), k) == 0;
}

static bool is_scalar(json_t *t)
{
    const char *k = kind(t); /* one lookup, not one per kind */
    return !strcmp(k, "bool") || !strcmp(k, "int") || !strcmp(k, "double") ||
           !strcmp(k, "string") || !strcmp(k, "bytes") || !strcmp(k, "any");
}

static bool is_composite(json_t *t)
{
    const char *k = kind(t);
    return !strcmp(k, "list") || !strcmp(k, "map");
}

/* string and any: pointers whose NULL says "absent". */
static bool is_nullable(json_t *t)
{
    return is(t, "string") || is(t, "any");
}

/* struct, list, map: passed by pointer. */
static bool is_aggregate(json_t *t)
{
    return is(t, "struct") || is_composite(t);
}

/* The name a type gives its lists and maps: bk_int, myapp_message, bk_int_list, ...
 * Remembered per type object (the model's types are asked for it again and again): every
 * type handed to it is an object of the model, which lives as long as the run. */
static const char *base(gen *g, json_t *t)
{
    size_t mask = sizeof g->bases / sizeof g->bases[0] - 1;
    size_t h = ((uintptr_t)t >> 4) & mask;
    for (size_t probe = 0; probe <= mask; probe++, h = (h + 1) & mask) {
        if (g->bases[h].t == t)
            return g->bases[h].name;
        if (!g->bases[h].t)
            break;
    }
    const char *name;
    if (is_scalar(t))
        name = str(g, "bk_%s", kind(t));
    else if (is_composite(t))
        name = str(g, "%s_%s", base(g, json_object_get(t, "of")), kind(t));
    else
        name = sget(t, "c_name");
    if (g->nbases < mask / 2) { /* a full table just stops remembering */
        h = ((uintptr_t)t >> 4) & mask;
        while (g->bases[h].t)
            h = (h + 1) & mask;
        g->bases[h].t = t;
        g->bases[h].name = name;
        g->nbases++;
    }
    return name;
}

static const char *ctype(gen *g, json_t *t)
{
    const char *k = kind(t);
    if (strcmp(k, "bool") == 0)
        return "bool";
    if (strcmp(k, "int") == 0)
        return "int64_t";
    if (strcmp(k, "double") == 0)
        return "double";
    if (strcmp(k, "string") == 0)
        return "const char *";
    if (strcmp(k, "bytes") == 0)
        return "bk_bytes";
    if (strcmp(k, "any") == 0)
        return "json_t *";
    return base(g, t);
}

/* `T name` or `T *name`. */
static const char *decl(gen *g, const char *type, const char *name)
{
    size_t n = strlen(type);
    return str(g, "%s%s%s", type, type[n - 1] == '*' ? "" : " ", name);
}

/* A pointer to type: `T *`, or `const char **`. */
static const char *ptr_to(gen *g, const char *type)
{
    size_t n = strlen(type);
    return str(g, "%s%s", type, type[n - 1] == '*' ? "*" : " *");
}

/* Does typed.h declare this composite? (lists and maps of scalars) */
static bool in_runtime(json_t *t)
{
    return is_composite(t) && is_scalar(json_object_get(t, "of"));
}

/* Adds composite t (after the composites inside it) to list, once. */
static void need_add(gen *g, json_t *list, json_t *t)
{
    if (!is_composite(t))
        return;
    need_add(g, list, json_object_get(t, "of"));
    const char *name = base(g, t);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (strcmp(base(g, v), name) == 0)
            return;
    }
    json_array_append(list, t);
}

static const char *dec_fn(gen *g, json_t *t)
{
    if (is_scalar(t))
        return str(g, "bk_dec_%s", kind(t));
    need_add(g, g->need_dec, t);
    return str(g, "%s_decode", base(g, t));
}

/* An expression making the JSON of a value (new reference, NULL on failure): val is the
 * value, ptr a pointer to it (used for structs, lists and maps). */
static const char *enc_expr(gen *g, json_t *t, const char *val, const char *ptr)
{
    const char *k = kind(t);
    if (strcmp(k, "bool") == 0)
        return str(g, "json_boolean(%s)", val);
    if (strcmp(k, "int") == 0)
        return str(g, "json_integer(%s)", val);
    if (strcmp(k, "double") == 0)
        return str(g, "json_real(%s)", val);
    if (strcmp(k, "string") == 0)
        return str(g, "json_string(%s)", val);
    if (strcmp(k, "bytes") == 0)
        return str(g, "bk_enc_bytes(%s)", val);
    if (strcmp(k, "any") == 0)
        return str(g, "bk_enc_any(%s)", val);
    if (strcmp(k, "enum") == 0)
        return str(g, "%s_encode(%s)", base(g, t), val);
    need_add(g, g->need_enc, t);
    return str(g, "%s_encode(%s)", base(g, t), ptr);
}

/* Every FILE of the model (the file and its imports). */
static json_t *find_enum(gen *g, const char *c_name)
{
    json_t *all[2] = {json_object_get(g->model, "file"), json_object_get(g->model, "imported")};
    for (int k = 0; k < 2; k++) {
        json_t *files = k == 0 ? NULL : all[1];
        size_t nf = k == 0 ? 1 : json_array_size(files);
        for (size_t i = 0; i < nf; i++) {
            json_t *f = k == 0 ? all[0] : json_array_get(files, i);
            size_t j;
            json_t *e;
            json_array_foreach(json_object_get(f, "enums"), j, e) {
                if (strcmp(sget(e, "c_name"), c_name) == 0)
                    return e;
            }
        }
    }
    return NULL;
}

/* The shortest %g that reads back as d. */
static const char *double_lit(gen *g, double d)
{
    char buf[64];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    if (!strpbrk(buf, ".eEn"))
        strcat(buf, ".0");
    return str(g, "%s", buf);
}

/* The C expression of a field's default. */
static const char *default_expr(gen *g, json_t *f)
{
    json_t *t = json_object_get(f, "type"), *v = json_object_get(f, "default");
    const char *k = kind(t);
    if (strcmp(k, "bool") == 0)
        return json_is_true(v) ? "true" : "false";
    if (strcmp(k, "int") == 0) {
        json_int_t i = json_integer_value(v);
        if (i == INT64_MIN)
            return "INT64_MIN";
        if (i > INT32_MAX || i < -INT32_MAX)
            return str(g, "INT64_C(%" JSON_INTEGER_FORMAT ")", i);
        return str(g, "%" JSON_INTEGER_FORMAT, i);
    }
    if (strcmp(k, "double") == 0)
        return double_lit(g, json_number_value(v));
    if (strcmp(k, "string") == 0)
        return c_string(g, json_string_value(v), json_string_length(v));
    if (strcmp(k, "enum") == 0) {
        json_t *e = find_enum(g, sget(t, "c_name"));
        size_t i;
        json_t *m;
        json_array_foreach(json_object_get(e, "members"), i, m) {
            if (strcmp(sget(m, "name"), json_string_value(v)) == 0)
                return sget(m, "c_name");
        }
        fail(g, "bkpr-gen: internal error: no member %s in %s", json_string_value(v),
             sget(t, "c_name"));
        return "0";
    }
    if (strcmp(k, "any") == 0) {
        if (json_is_null(v))
            return "json_null()";
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
        const char *r = str(g, "bk_dec_json(d, %s)", c_string(g, text, strlen(text)));
        free(text);
        return r;
    }
    fail(g, "bkpr-gen: internal error: a default for a %s", k);
    return "0";
}

/* ---------------------------------------------------------------- fields */

static const char *field_decl(gen *g, json_t *f, const char *indent)
{
    json_t *t = json_object_get(f, "type");
    const char *name = sget(f, "c_name");
    if (!json_is_true(json_object_get(f, "optional")) || is_nullable(t))
        return str(g, "%s%s;", indent, decl(g, ctype(g, t), name));
    if (is(t, "struct"))
        return str(g, "%sconst %s *%s;", indent, ctype(g, t), name);
    return str(g, "%sbool has_%s;\n%s%s;", indent, name, indent, decl(g, ctype(g, t), name));
}

static const char *param_decl(gen *g, json_t *f)
{
    json_t *t = json_object_get(f, "type");
    const char *name = sget(f, "c_name");
    bool opt = json_is_true(json_object_get(f, "optional"));
    if (is_nullable(t) || (!opt && !is_aggregate(t)))
        return decl(g, ctype(g, t), name);
    return str(g, "const %s *%s", ctype(g, t), name);
}

/* A field held as in a struct (prefix "out->", "p.") passed as a flat parameter. */
static const char *field_as_param(gen *g, json_t *f, const char *prefix)
{
    json_t *t = json_object_get(f, "type");
    const char *name = sget(f, "c_name");
    bool opt = json_is_true(json_object_get(f, "optional"));
    if (is_nullable(t) || (!opt && !is_aggregate(t)) || (opt && is(t, "struct")))
        return str(g, "%s%s", prefix, name);
    if (!opt)
        return str(g, "&%s%s", prefix, name);
    return str(g, "%shas_%s ? &%s%s : NULL", prefix, name, prefix, name);
}

/* Statements decoding field f of JSON object j into prefix+c_name; -1 returned on error. */
static void gen_field_decode(gen *g, sb *b, json_t *f, const char *prefix)
{
    json_t *t = json_object_get(f, "type");
    const char *name = sget(f, "c_name"), *key = sget(f, "name");
    const char *lit = c_string(g, key, strlen(key));
    const char *dst = str(g, "%s%s", prefix, name);
    const char *fn = dec_fn(g, t);
    sb_printf(b, "    at = bk_dec_push(d, %s);\n", lit);
    sb_printf(b, "    v = json_object_get(j, %s);\n", lit);
    if (json_is_true(json_object_get(f, "optional"))) {
        sb_printf(b, "    if (v && !json_is_null(v)) {\n");
        if (is_nullable(t)) {
            sb_printf(b, "        if (%s(d, v, &%s) != 0)\n            return -1;\n", fn, dst);
        } else if (is(t, "struct")) {
            sb_printf(b, "        %s *x = bk_dec_alloc(d, 1, sizeof *x);\n\n", ctype(g, t));
            sb_printf(b, "        if (!x || %s(d, v, x) != 0)\n            return -1;\n", fn);
            sb_printf(b, "        %s = x;\n", dst);
        } else {
            sb_printf(b, "        %shas_%s = true;\n", prefix, name);
            sb_printf(b, "        if (%s(d, v, &%s) != 0)\n            return -1;\n", fn, dst);
        }
        sb_printf(b, "    }\n");
    } else if (json_is_true(json_object_get(f, "has_default"))) {
        sb_printf(b, "    if (!v)\n        %s = %s;\n", dst, default_expr(g, f));
        sb_printf(b, "    else if (%s(d, v, &%s) != 0)\n        return -1;\n", fn, dst);
    } else {
        sb_printf(b, "    if (!v)\n        return bk_dec_missing(d);\n");
        sb_printf(b, "    if (%s(d, v, &%s) != 0)\n        return -1;\n", fn, dst);
    }
    sb_printf(b, "    bk_dec_pop(d, at);\n");
}

/* The body of a decoder of an object with fields into *out (zeroed first). */
static const char *object_decode_body(gen *g, json_t *fields, bool empty_ok)
{
    sb b = {0};
    size_t n = json_array_size(fields), i;
    json_t *f;
    if (n == 0) {
        sb_printf(&b, "    memset(out, 0, sizeof *out);\n");
        sb_printf(&b, "    return bk_dec_object(d, j, NULL, 0, %s);\n",
                  empty_ok ? "true" : "false");
    } else {
        sb_printf(&b, "    static const char *const fields[] = {");
        json_array_foreach(fields, i, f) {
            const char *key = sget(f, "name");
            sb_printf(&b, "%s%s", i ? ", " : "", c_string(g, key, strlen(key)));
        }
        sb_printf(&b, "};\n    json_t *v;\n    size_t at;\n\n");
        sb_printf(&b, "    memset(out, 0, sizeof *out);\n");
        sb_printf(&b, "    if (bk_dec_object(d, j, fields, %zu, %s) != 0)\n        return -1;\n", n,
                  empty_ok ? "true" : "false");
        json_array_foreach(fields, i, f) {
            gen_field_decode(g, &b, f, "out->");
        }
        sb_printf(&b, "    return 0;\n");
    }
    json_t *j = sb_json(&b);
    json_array_append_new(g->pool, j);
    return json_string_value(j);
}

/* The body of an encoder of fields into a new object: from a struct (`v->x`, flat false) or
 * from flat parameters (`x`). */
static const char *object_encode_body(gen *g, json_t *fields, bool flat)
{
    sb b = {0};
    size_t i;
    json_t *f;
    if (json_array_size(fields) == 0) {
        sb_printf(&b, "%s    return json_object();\n", flat ? "" : "    (void)v;\n");
        json_t *j = sb_json(&b);
        json_array_append_new(g->pool, j);
        return json_string_value(j);
    }
    sb_printf(&b, "    json_t *o = json_object();\n\n    if (!o)\n        return NULL;\n");
    json_array_foreach(fields, i, f) {
        json_t *t = json_object_get(f, "type");
        const char *name = sget(f, "c_name"), *key = sget(f, "name");
        bool opt = json_is_true(json_object_get(f, "optional"));
        bool dflt = json_is_true(json_object_get(f, "has_default"));
        const char *cond = NULL, *val, *ptr;
        const char *src = flat ? name : str(g, "v->%s", name);
        if (flat) {
            if (opt || (dflt && is_nullable(t)))
                cond = name;
            if (is_nullable(t) || (!opt && !is_aggregate(t))) {
                val = name;
                ptr = str(g, "&%s", name);
            } else {
                val = str(g, "*%s", name);
                ptr = name;
            }
        } else {
            if (opt && (is_nullable(t) || is(t, "struct")))
                cond = src;
            else if (opt)
                cond = str(g, "v->has_%s", name);
            else if (dflt && is_nullable(t))
                cond = src;
            if (opt && is(t, "struct")) {
                val = str(g, "*%s", src);
                ptr = src;
            } else {
                val = src;
                ptr = str(g, "&%s", src);
            }
        }
        const char *set = str(g, "bk_enc_set(o, %s, %s)", c_string(g, key, strlen(key)),
                              enc_expr(g, t, val, ptr));
        if (cond)
            sb_printf(&b, "    if (%s && %s != 0)\n        goto fail;\n", cond, set);
        else
            sb_printf(&b, "    if (%s != 0)\n        goto fail;\n", set);
    }
    sb_printf(&b, "    return o;\nfail:\n    json_decref(o);\n    return NULL;\n");
    json_t *j = sb_json(&b);
    json_array_append_new(g->pool, j);
    return json_string_value(j);
}

/* Static codecs of the composites the current .c needs, decoders then encoders. Decoders
 * and encoders add what they need themselves, so the lists are walked while they grow. */
static const char *composite_codecs(gen *g)
{
    sb b = {0};
    /* Generate every body first (this may add inner composites), then print in order. */
    json_t *dec = json_object(), *enc = json_object();
    for (size_t i = 0; i < json_array_size(g->need_dec); i++) {
        json_t *t = json_array_get(g->need_dec, i), *of = json_object_get(t, "of");
        const char *name = base(g, t), *efn = dec_fn(g, of);
        sb s = {0};
        sb_printf(&s, "%s\n{\n", proto(g, "static int", str(g, "%s_decode", name),
                  (const char *[]){"bk_dec *d", "json_t *j", str(g, "%s *out", name)}, 3));
        if (is(t, "list")) {
            sb_printf(&s, "    size_t i, at;\n\n");
            sb_printf(&s, "    if (!json_is_array(j))\n        return bk_dec_expected(d, \"list\", j);\n");
            sb_printf(&s, "    out->count = json_array_size(j);\n");
            sb_printf(&s, "    out->items = bk_dec_alloc(d, out->count, sizeof *out->items);\n");
            sb_printf(&s, "    if (!out->items)\n        return -1;\n");
            sb_printf(&s, "    for (i = 0; i < out->count; i++) {\n");
            sb_printf(&s, "        at = bk_dec_index(d, i);\n");
            sb_printf(&s, "        if (%s(d, json_array_get(j, i), &out->items[i]) != 0)\n"
                          "            return -1;\n", efn);
            sb_printf(&s, "        bk_dec_pop(d, at);\n    }\n    return 0;\n}\n");
        } else {
            sb_printf(&s, "    const char *key;\n    json_t *v;\n    size_t i = 0, at;\n\n");
            sb_printf(&s, "    if (!json_is_object(j))\n        return bk_dec_expected(d, \"map\", j);\n");
            sb_printf(&s, "    out->count = json_object_size(j);\n");
            sb_printf(&s, "    out->keys = bk_dec_alloc(d, out->count, sizeof *out->keys);\n");
            sb_printf(&s, "    out->values = bk_dec_alloc(d, out->count, sizeof *out->values);\n");
            sb_printf(&s, "    if (!out->keys || !out->values)\n        return -1;\n");
            sb_printf(&s, "    json_object_foreach(j, key, v) {\n");
            sb_printf(&s, "        at = bk_dec_push(d, key);\n");
            sb_printf(&s, "        out->keys[i] = key;\n");
            sb_printf(&s, "        if (%s(d, v, &out->values[i]) != 0)\n            return -1;\n", efn);
            sb_printf(&s, "        bk_dec_pop(d, at);\n        i++;\n    }\n    return 0;\n}\n");
        }
        json_object_set_new(dec, name, sb_json(&s));
    }
    for (size_t i = 0; i < json_array_size(g->need_enc); i++) {
        json_t *t = json_array_get(g->need_enc, i), *of = json_object_get(t, "of");
        const char *name = base(g, t);
        sb s = {0};
        sb_printf(&s, "%s\n{\n", proto(g, "static json_t *", str(g, "%s_encode", name),
                  (const char *[]){str(g, "const %s *v", name)}, 1));
        if (is(t, "list")) {
            const char *e = enc_expr(g, of, "v->items[i]", "&v->items[i]");
            sb_printf(&s, "    json_t *a = json_array();\n    size_t i;\n\n");
            sb_printf(&s, "    for (i = 0; a && i < v->count; i++) {\n");
            sb_printf(&s, "        if (json_array_append_new(a, %s) != 0) {\n", e);
            sb_printf(&s, "            json_decref(a);\n            return NULL;\n        }\n");
            sb_printf(&s, "    }\n    return a;\n}\n");
        } else {
            const char *e = enc_expr(g, of, "v->values[i]", "&v->values[i]");
            sb_printf(&s, "    json_t *o = json_object();\n    size_t i;\n\n");
            sb_printf(&s, "    for (i = 0; o && i < v->count; i++) {\n");
            sb_printf(&s, "        if (!v->keys[i] || bk_enc_set(o, v->keys[i], %s) != 0) {\n", e);
            sb_printf(&s, "            json_decref(o);\n            return NULL;\n        }\n");
            sb_printf(&s, "    }\n    return o;\n}\n");
        }
        json_object_set_new(enc, name, sb_json(&s));
    }
    /* need lists are in dependency order (inner first): print decoders, then encoders. */
    size_t i;
    json_t *t;
    json_array_foreach(g->need_dec, i, t) {
        sb_printf(&b, "%s%s", b.len ? "\n" : "",
                  json_string_value(json_object_get(dec, base(g, t))));
    }
    json_array_foreach(g->need_enc, i, t) {
        sb_printf(&b, "%s%s", b.len ? "\n" : "",
                  json_string_value(json_object_get(enc, base(g, t))));
    }
    if (b.len > 0)
        b.s[--b.len] = '\0'; /* the template ends the line */
    json_decref(dec);
    json_decref(enc);
    json_t *j = sb_json(&b);
    json_array_append_new(g->pool, j);
    return json_string_value(j);
}

static void need_reset(gen *g)
{
    json_array_clear(g->need_dec);
    json_array_clear(g->need_enc);
}

/* ---------------------------------------------------------------- templates */

static bkp_tmpl *load_template(gen *g, const char *name)
{
    char err[512];
    if (g->o && g->o->templates) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", g->o->templates, name);
        FILE *f = fopen(path, "rb");
        if (f) {
            sb b = {0};
            char buf[8192];
            size_t n;
            while ((n = fread(buf, 1, sizeof buf, f)) > 0)
                sb_add(&b, buf, n);
            int bad = ferror(f);
            fclose(f);
            if (bad) {
                free(b.s);
                fail(g, "bkpr-gen: %s: cannot read", path);
                return NULL;
            }
            bkp_tmpl *t = bkp_tmpl_parse(path, b.s ? b.s : "", b.len, err, sizeof err);
            free(b.s);
            if (!t)
                fail(g, "bkpr-gen: %s", err);
            return t;
        }
        if (errno != ENOENT) {
            fail(g, "bkpr-gen: %s: %s", path, strerror(errno));
            return NULL;
        }
    }
    for (size_t i = 0; i < bkp_n_embedded_templates; i++) {
        const bkp_embedded_template *e = &bkp_embedded_templates[i];
        if (strcmp(e->name, name) == 0) {
            bkp_tmpl *t = bkp_tmpl_parse(name, (const char *)e->data, e->len, err, sizeof err);
            if (!t)
                fail(g, "bkpr-gen: built-in template %s", err);
            return t;
        }
    }
    fail(g, "bkpr-gen: no template %s", name);
    return NULL;
}

static int emit(gen *g, const char *tmpl, json_t *ctx, const char *name, bool skeleton,
                bkp_gen_file **files, size_t *nfiles)
{
    if (g->failed)
        return -1;
    bkp_tmpl *t = load_template(g, tmpl);
    if (!t)
        return -1;
    char err[512];
    size_t len;
    char *text = bkp_tmpl_render(t, ctx, &len, err, sizeof err);
    bkp_tmpl_free(t);
    if (!text) {
        fail(g, "bkpr-gen: template %s", err);
        return -1;
    }
    bkp_gen_file *nf = realloc(*files, (*nfiles + 1) * sizeof *nf);
    if (!nf) {
        free(text);
        fail(g, "bkpr-gen: out of memory");
        return -1;
    }
    *files = nf;
    nf[*nfiles] = (bkp_gen_file){.name = strdup(name), .text = text, .len = len,
                                 .skeleton = skeleton};
    (*nfiles)++;
    return 0;
}

/* ---------------------------------------------------------------- types files */

static const char *prefix_of_namespace(gen *g, const char *ns)
{
    json_t *f = json_object_get(g->model, "file");
    if (strcmp(sget(f, "namespace"), ns) == 0)
        return sget(f, "c_prefix");
    size_t i;
    json_array_foreach(json_object_get(g->model, "imported"), i, f) {
        if (strcmp(sget(f, "namespace"), ns) == 0)
            return sget(f, "c_prefix");
    }
    return "";
}

static void collect_type(gen *g, json_t *list, json_t *t)
{
    need_add(g, list, t);
}

/* Composites used by a file (its structs and services), inner first. */
static json_t *file_composites(gen *g, json_t *file)
{
    json_t *list = json_array(), *s, *f, *m;
    size_t i, j, k;
    json_array_foreach(json_object_get(file, "structs"), i, s) {
        json_array_foreach(json_object_get(s, "fields"), j, f) {
            collect_type(g, list, json_object_get(f, "type"));
        }
    }
    json_array_foreach(json_object_get(file, "services"), i, s) {
        const char *lists[2] = {"methods", "notifications"};
        for (int l = 0; l < 2; l++) {
            json_array_foreach(json_object_get(s, lists[l]), j, m) {
                json_array_foreach(json_object_get(m, "params"), k, f) {
                    collect_type(g, list, json_object_get(f, "type"));
                }
                json_t *r = json_object_get(m, "result");
                if (r && !json_is_null(r))
                    collect_type(g, list, r);
            }
        }
    }
    return list;
}

/* Structs in an order where a struct held by value comes before its holder. */
static void struct_order(gen *g, json_t *structs, json_t *s, json_t *done, json_t *out)
{
    const char *name = sget(s, "c_name");
    if (json_object_get(done, name))
        return;
    json_object_set_new(done, name, json_true());
    size_t i, j;
    json_t *f, *o;
    json_array_foreach(json_object_get(s, "fields"), i, f) {
        json_t *t = json_object_get(f, "type");
        if (is(t, "struct") && !json_is_true(json_object_get(f, "optional"))) {
            json_array_foreach(structs, j, o) {
                if (strcmp(sget(o, "c_name"), sget(t, "c_name")) == 0)
                    struct_order(g, structs, o, done, out);
            }
        }
    }
    json_array_append(out, s);
}

static int gen_types(gen *g, json_t *file, bkp_gen_file **files, size_t *nfiles)
{
    const char *prefix = sget(file, "c_prefix");
    json_t *ctx = json_object();
    size_t i, j;
    json_t *v, *w;

    json_object_set_new(ctx, "source", jstr(sget(file, "path")));
    json_object_set_new(ctx, "prefix", jstr(prefix));
    json_object_set_new(ctx, "guard", jstr(str(g, "%s_TYPES_H", upper(g, prefix))));
    json_object_set_new(ctx, "header", jstr(str(g, "%s_types.h", prefix)));

    json_t *inc = json_array();
    json_array_foreach(json_object_get(file, "imports"), i, v) {
        json_array_append_new(inc, json_pack("{s:s}", "header",
            str(g, "%s_types.h", prefix_of_namespace(g, sget(v, "namespace")))));
    }
    json_object_set_new(ctx, "includes", inc);

    json_t *errors = json_array();
    json_array_foreach(json_object_get(file, "errors"), i, v) {
        json_t *e = json_deep_copy(v);
        json_object_set_new(e, "doc_c", jstr(doc_c(g, json_object_get(v, "doc"), "")));
        const char *msg = sget(v, "message");
        json_object_set_new(e, "message_c", jstr(c_string(g, msg, strlen(msg))));
        json_int_t code = json_integer_value(json_object_get(v, "code"));
        json_object_set_new(e, "code_c",
                            jstr(code < 0 ? str(g, "(%" JSON_INTEGER_FORMAT ")", code)
                                                 : str(g, "%" JSON_INTEGER_FORMAT, code)));
        json_array_append_new(errors, e);
    }
    json_object_set_new(ctx, "errors", errors);

    json_t *enums = json_array();
    json_array_foreach(json_object_get(file, "enums"), i, v) {
        json_t *e = json_deep_copy(v);
        json_object_set_new(e, "doc_c", jstr(doc_c(g, json_object_get(v, "doc"), "")));
        json_array_foreach(json_object_get(e, "members"), j, w) {
            json_object_set_new(w, "doc_c",
                                jstr(doc_c(g, json_object_get(w, "doc"), "    ")));
            const char *nm = sget(w, "name");
            json_object_set_new(w, "name_c", jstr(c_string(g, nm, strlen(nm))));
        }
        sb ml = {0};
        json_array_foreach(json_object_get(v, "members"), j, w) {
            sb_printf(&ml, "%s%s", j ? ", " : "", sget(w, "name"));
        }
        json_object_set_new(e, "members_list", sb_json(&ml));
        json_array_append_new(enums, e);
    }
    json_object_set_new(ctx, "enums", enums);

    /* Composite typedefs, under guards (another file's header may declare them too). */
    json_t *comps = file_composites(g, file);
    sb cb = {0};
    json_array_foreach(comps, i, v) {
        if (in_runtime(v))
            continue;
        const char *name = base(g, v), *g_ = upper(g, name);
        json_t *of = json_object_get(v, "of");
        sb_printf(&cb, "#ifndef %s_DEFINED\n#define %s_DEFINED\n", g_, g_);
        if (is(v, "list"))
            sb_printf(&cb, "typedef struct %s {\n    %s;\n    size_t count;\n} %s;\n", name,
                      decl(g, ptr_to(g, ctype(g, of)), "items"), name);
        else
            sb_printf(&cb, "typedef struct %s {\n    const char **keys;\n    %s;\n"
                           "    size_t count;\n} %s;\n", name,
                      decl(g, ptr_to(g, ctype(g, of)), "values"), name);
        sb_printf(&cb, "#endif\n");
    }
    json_decref(comps);
    if (cb.len > 0)
        cb.s[--cb.len] = '\0'; /* the template ends the line */
    json_object_set_new(ctx, "composites", sb_json(&cb));

    /* Structs in dependency order, with declarations and codec bodies. */
    json_t *src = json_object_get(file, "structs"), *ordered = json_array(), *done = json_object();
    json_array_foreach(src, i, v) {
        struct_order(g, src, v, done, ordered);
    }
    json_decref(done);
    need_reset(g);
    json_t *structs = json_array();
    json_array_foreach(ordered, i, v) {
        json_t *s = json_pack("{s:s, s:s}", "c_name", sget(v, "c_name"), "name", sget(v, "name"));
        json_object_set_new(s, "doc_c", jstr(doc_c(g, json_object_get(v, "doc"), "")));
        json_t *fields = json_array();
        json_array_foreach(json_object_get(v, "fields"), j, w) {
            json_array_append_new(fields, json_pack("{s:s, s:s}",
                "doc_c", doc_c(g, json_object_get(w, "doc"), "    "),
                "decl", field_decl(g, w, "    ")));
        }
        if (json_array_size(fields) == 0)
            json_array_append_new(fields, json_pack("{s:s, s:s}", "doc_c", "", "decl",
                                                    "    char unused; /* C wants a member */"));
        json_object_set_new(s, "fields", fields);
        json_object_set_new(s, "decode_body",
                            jstr(object_decode_body(g, json_object_get(v, "fields"), false)));
        json_object_set_new(s, "encode_body",
                            jstr(object_encode_body(g, json_object_get(v, "fields"), false)));
        json_array_append_new(structs, s);
    }
    json_decref(ordered);
    json_object_set_new(ctx, "structs", structs);
    json_object_set_new(ctx, "codecs", jstr(composite_codecs(g)));

    int rc = emit(g, "types.h.tmpl", ctx, str(g, "%s_types.h", prefix), false, files, nfiles);
    if (rc == 0)
        rc = emit(g, "types.c.tmpl", ctx, str(g, "%s_types.c", prefix), false, files, nfiles);
    json_decref(ctx);
    return rc;
}

/* ---------------------------------------------------------------- service files */

/* The flat parameters of m as prototype arguments (appended to args). */
static size_t add_params(gen *g, json_t *m, const char **args, size_t n)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(m, "params"), i, f) {
        args[n++] = param_decl(g, f);
    }
    return n;
}

static const char *call_list(gen *g, json_t *m, const char *prefix)
{
    sb b = {0};
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(m, "params"), i, f) {
        sb_printf(&b, ", %s", prefix ? field_as_param(g, f, prefix) : sget(f, "c_name"));
    }
    json_t *j = sb_json(&b);
    json_array_append_new(g->pool, j);
    return json_string_value(j);
}

static bool is_c_keyword(const char *s)
{
    static const char *const kw[] = {
        "alignas", "alignof", "auto", "bool", "break", "case", "char", "const", "constexpr",
        "continue", "default", "do", "double", "else", "enum", "extern", "false", "float",
        "for", "goto", "if", "inline", "int", "long", "nullptr", "register", "restrict",
        "return", "short", "signed", "sizeof", "static", "static_assert", "struct", "switch",
        "thread_local", "true", "typedef", "typeof", "typeof_unqual", "union", "unsigned",
        "void", "volatile", "while"};
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
        if (strcmp(kw[i], s) == 0)
            return true;
    return false;
}

/* The method as the templates see it. kind: "method", "oneway" or "notification". */
static json_t *method_ctx(gen *g, json_t *svc, json_t *m, const char *what)
{
    const char *cn = sget(m, "c_name");
    json_t *params = json_object_get(m, "params");
    json_t *r = json_object_get(m, "result");
    bool has_result = r && !json_is_null(r);
    bool notif = strcmp(what, "notification") == 0, oneway = strcmp(what, "oneway") == 0;
    json_t *timeout = json_object_get(json_object_get(m, "annotations"), "timeout_ms");
    const char *args[300];
    size_t n;
    size_t np = json_array_size(params);
    if (np > 250) {
        fail(g, "bkpr-gen: %s: too many parameters", cn);
        np = 0;
    }
    /* The names the stubs and handlers use themselves. */
    static const char *const reserved[] = {"c", "o", "a", "err", "result", "done", "arg", "req",
                                           "ctx", "fn", "opts", "params", "res", "ret", "rc",
                                           "pend"};
    size_t ri;
    json_t *rf;
    json_array_foreach(params, ri, rf) {
        for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++)
            if (strcmp(sget(rf, "c_name"), reserved[k]) == 0)
                fail(g, "bkpr-gen: %s: %s.%s: parameter '%s' has a name the generated C "
                        "uses itself (c, o, a, err, result, done, arg, req, ctx, fn, opts, "
                        "params, res, ret, rc, pend): please rename it",
                     sget(json_object_get(g->model, "file"), "path"), sget(svc, "name"),
                     sget(m, "name"), sget(rf, "name"));
    }

    json_t *c = json_object();
    json_object_set_new(c, "c_name", jstr(cn));
    json_object_set_new(c, "name", jstr(sget(m, "name")));
    json_object_set_new(c, "wire", jstr(str(g, "%s.%s", sget(svc, "name"), sget(m, "name"))));
    json_object_set_new(c, "wire_c", jstr(c_string(g, str(g, "%s.%s", sget(svc, "name"),
                        sget(m, "name")), strlen(sget(svc, "name")) + 1 + strlen(sget(m, "name")))));
    json_object_set_new(c, "doc_c", jstr(doc_c(g, json_object_get(m, "doc"), "")));
    json_object_set_new(c, "timeout", json_integer(json_is_integer(timeout)
                                                       ? json_integer_value(timeout) : 0));
    json_object_set_new(c, "has_result", json_boolean(has_result));
    json_object_set_new(c, "result_aggregate", json_boolean(has_result && is_aggregate(r)));
    json_object_set_new(c, "result_type", jstr(has_result ? ctype(g, r) : ""));
    json_object_set_new(c, "call_args", jstr(call_list(g, m, NULL)));
    const char *ca = call_list(g, m, NULL);
    json_object_set_new(c, "params_args", jstr(*ca ? ca + 2 : ""));
    const char *member = cn + strlen(sget(svc, "c_prefix")) + 1;
    json_object_set_new(c, "member", jstr(member));
    if (is_c_keyword(member))
        fail(g, "bkpr-gen: %s: method '%s' would make a handler field named '%s', a C keyword",
             sget(svc, "name"), sget(m, "name"), member);
    if (has_result) {
        json_object_set_new(c, "result_out",
                            jstr(decl(g, ptr_to(g, ctype(g, r)), "out")));
        json_object_set_new(c, "result_local", jstr(decl(g, ctype(g, r), "ret")));
        json_object_set_new(c, "result_cb",
                            jstr(is_aggregate(r) ? "err ? NULL : &ret" : "ret"));
    }
    json_object_set_new(c, "args_as_params", jstr(call_list(g, m, "p.")));
    json_object_set_new(c, "has_params", json_boolean(np > 0));

    /* Encoder of the flat params: static json_t *X_params(...) */
    n = add_params(g, m, args, 0);
    json_object_set_new(c, "encode_proto",
                        jstr(proto(g, "static json_t *", str(g, "%s_params", cn), args, n)));
    json_object_set_new(c, "encode_body", jstr(object_encode_body(g, params, true)));

    /* The args struct and its decoder (worker side, subscriptions). */
    sb ab = {0};
    size_t i;
    json_t *f;
    json_array_foreach(params, i, f) {
        sb_printf(&ab, "%s\n", field_decl(g, f, "    "));
    }
    if (np == 0)
        sb_printf(&ab, "    char unused; /* C wants a member */\n");
    json_object_set_new(c, "args_fields", sb_json(&ab));

    json_object_set_new(c, "back_proto", jstr(proto(g, "static void",
        str(g, "%s_back", cn), (const char *[]){"bk_client *c", "bk_arena *a", "json_t *res",
        "const bk_error *err", "void *arg"}, 5)));
    json_object_set_new(c, "deliver_proto", jstr(proto(g, "static void",
        str(g, "%s_deliver", cn), (const char *[]){"bk_client *c", "bk_arena *a",
        "const char *method", "json_t *params", "void *arg"}, 5)));
    json_object_set_new(c, "decode_args_proto", jstr(proto(g, "static int",
        str(g, "%s_decode_args", cn), (const char *[]){"bk_dec *d", "json_t *j",
        str(g, "struct %s_args *out", cn)}, 3)));
    json_object_set_new(c, "serve_fn_proto", jstr(proto(g, "static int",
        str(g, "%s_serve", cn), (const char *[]){"bk_request *req", "json_t *params",
        "void *arg"}, 3)));
    if (notif) {
        args[0] = "bk_client *c";
        args[1] = "const bk_call_opts *o";
        n = add_params(g, m, args, 2);
        json_object_set_new(c, "notify_proto",
                            jstr(proto(g, "int", str(g, "%s_notify", cn), args, n)));
        args[0] = "bk_client *c";
        args[1] = "bk_arena *a";
        n = add_params(g, m, args, 2);
        args[n++] = "void *arg";
        json_object_set_new(c, "fn_typedef",
                            jstr(proto(g, "typedef void", str(g, "%s_fn", cn), args, n)));
        args[0] = "bk_client *c";
        args[1] = str(g, "%s_fn *fn", cn);
        args[2] = "void *arg";
        json_object_set_new(c, "subscribe_proto",
                            jstr(proto(g, "int", str(g, "%s_subscribe", cn), args, 3)));
        return c;
    }

    /* Handler: int (*name)(bk_request *req, void *ctx, params..., T *result) */
    args[0] = "bk_request *req";
    args[1] = "void *ctx";
    n = add_params(g, m, args, 2);
    if (has_result)
        args[n++] = decl(g, ptr_to(g, ctype(g, r)), "result");
    json_object_set_new(c, "handler_field",
                        jstr(proto(g, "    int", str(g, "(*%s)", sget(m, "name")), args, n)));
    json_object_set_new(c, "impl_proto",
                        jstr(proto(g, "static int", str(g, "%s_impl", cn), args, n)));
    sb vb = {0};
    for (size_t k = 0; k < n; k++) {
        const char *a = args[k], *nm = a + strlen(a);
        while (nm > a && (nm[-1] == '_' || (nm[-1] >= 'a' && nm[-1] <= 'z') ||
                          (nm[-1] >= 'A' && nm[-1] <= 'Z') || (nm[-1] >= '0' && nm[-1] <= '9')))
            nm--;
        sb_printf(&vb, "    (void)%s;\n", nm);
    }
    json_object_set_new(c, "impl_voids", sb_json(&vb));

    /* Background stub: the oneway method itself, or X_background. */
    args[0] = "bk_client *c";
    args[1] = "const bk_call_opts *o";
    n = add_params(g, m, args, 2);
    json_object_set_new(c, "background_name",
                        jstr(oneway ? cn : str(g, "%s_background", cn)));
    json_object_set_new(c, "background_proto",
                        jstr(proto(g, "int", oneway ? cn : str(g, "%s_background", cn),
                                          args, n)));
    if (oneway)
        return c;

    /* Sync stub. */
    args[0] = "bk_client *c";
    args[1] = "const bk_call_opts *o";
    args[2] = "bk_arena *a";
    n = add_params(g, m, args, 3);
    if (has_result)
        args[n++] = decl(g, ptr_to(g, ctype(g, r)), "result");
    args[n++] = "bk_error *err";
    json_object_set_new(c, "sync_proto", jstr(proto(g, "int", cn, args, n)));

    /* Async: the callback type and the stub. */
    args[0] = "bk_client *c";
    args[1] = "bk_arena *a";
    n = 2;
    if (has_result)
        args[n++] = is_aggregate(r) ? str(g, "const %s *result", ctype(g, r))
                                    : decl(g, ctype(g, r), "result");
    args[n++] = "const bk_error *err";
    args[n++] = "void *arg";
    json_object_set_new(c, "done_typedef",
                        jstr(proto(g, "typedef void", str(g, "%s_done", cn), args, n)));
    args[0] = "bk_client *c";
    args[1] = "const bk_call_opts *o";
    n = add_params(g, m, args, 2);
    args[n++] = str(g, "%s_done *done", cn);
    args[n++] = "void *arg";
    json_object_set_new(c, "async_proto",
                        jstr(proto(g, "int", str(g, "%s_async", cn), args, n)));

    /* The result's decoder (client) and encoder (worker). */
    if (has_result) {
        json_object_set_new(c, "result_decode", jstr(dec_fn(g, r)));
        json_object_set_new(c, "result_encode",
                            jstr(enc_expr(g, r, "ret", "&ret")));
    }
    return c;
}

static int gen_service(gen *g, json_t *file, json_t *svc, bkp_gen_file **files, size_t *nfiles)
{
    const char *prefix = sget(svc, "c_prefix");
    json_t *ctx = json_object();
    size_t i;
    json_t *m;
    int rc = 0;

    json_object_set_new(ctx, "source", jstr(sget(file, "path")));
    json_object_set_new(ctx, "prefix", jstr(prefix));
    json_object_set_new(ctx, "service", jstr(sget(svc, "name")));
    json_object_set_new(ctx, "guard", jstr(str(g, "%s_H", upper(g, prefix))));
    json_object_set_new(ctx, "header", jstr(str(g, "%s.h", prefix)));
    json_object_set_new(ctx, "types_header",
                        jstr(str(g, "%s_types.h", sget(file, "c_prefix"))));
    json_object_set_new(ctx, "doc_c", jstr(doc_c(g, json_object_get(svc, "doc"), "")));
    json_object_set_new(ctx, "serve_proto", jstr(proto(g, "int", str(g, "%s_serve", prefix),
        (const char *[]){"bk_worker *w", str(g, "const %s_handlers *h", prefix), "void *ctx"}, 3)));

    /* The client file: encoders for params and notifications, decoders for results and
     * notifications. The worker file: decoders for params, encoders for results. Each
     * needs its own static composite codecs, so each is built with fresh need lists. */
    /* A method's context is the same in every file: made once (it was most of the run,
     * three times over). Only the args decoders differ: the client decodes notifications,
     * the worker params; each file sees only its own. The skeleton is made when asked. */
    json_t *methods = json_array(), *notifs = json_array(), *oneways = json_array();
    json_t *all = json_array(), *c;
    json_array_foreach(json_object_get(svc, "methods"), i, m) {
        bool ow = json_is_true(json_object_get(m, "oneway"));
        c = method_ctx(g, svc, m, ow ? "oneway" : "method");
        json_object_set_new(c, "oneway", json_boolean(ow));
        json_array_append(all, c);
        json_array_append_new(ow ? oneways : methods, c);
    }
    json_array_foreach(json_object_get(svc, "notifications"), i, m) {
        json_array_append_new(notifs, method_ctx(g, svc, m, "notification"));
    }
    json_object_set_new(ctx, "methods", methods);
    json_object_set_new(ctx, "oneways", oneways);
    json_object_set_new(ctx, "handlers", all);
    json_object_set_new(ctx, "notifications", notifs);
    int sides = g->o && g->o->skeleton ? 3 : 2;
    for (int side = 0; side < sides && rc == 0; side++) {
        need_reset(g);
        if (side == 0) {
            json_array_foreach(json_object_get(svc, "notifications"), i, m) {
                json_object_set_new(json_array_get(notifs, i), "args_decode_body",
                    jstr(object_decode_body(g, json_object_get(m, "params"), true)));
            }
        } else if (side == 1) {
            json_array_foreach(notifs, i, c) {
                json_object_del(c, "args_decode_body");
            }
            json_array_foreach(json_object_get(svc, "methods"), i, m) {
                json_object_set_new(json_array_get(all, i), "args_decode_body",
                    jstr(object_decode_body(g, json_object_get(m, "params"), true)));
            }
        } else {
            json_array_foreach(all, i, c) {
                json_object_del(c, "args_decode_body");
            }
        }
        /* The header and skeleton print no codecs; the client prints encoders of every
         * method's params (the worker none), decoders of results. Only what each side
         * generated is in its need lists; the worker also needs the result encoders, which
         * method_ctx made, and the client not the result encoders: split by side below. */
        if (side == 0) {
            /* client: drop the encoders of results method_ctx added and keep the rest */
            json_array_clear(g->need_enc);
            json_array_clear(g->need_dec);
            json_array_foreach(json_object_get(svc, "methods"), i, m) {
                json_t *f, *r = json_object_get(m, "result");
                size_t k;
                json_array_foreach(json_object_get(m, "params"), k, f) {
                    need_add(g, g->need_enc, json_object_get(f, "type"));
                }
                if (r && !json_is_null(r) && !json_is_true(json_object_get(m, "oneway")))
                    need_add(g, g->need_dec, r);
            }
            json_array_foreach(json_object_get(svc, "notifications"), i, m) {
                json_t *f;
                size_t k;
                json_array_foreach(json_object_get(m, "params"), k, f) {
                    need_add(g, g->need_enc, json_object_get(f, "type"));
                    need_add(g, g->need_dec, json_object_get(f, "type"));
                }
            }
        } else if (side == 1) {
            json_array_clear(g->need_enc);
            json_array_clear(g->need_dec);
            json_array_foreach(json_object_get(svc, "methods"), i, m) {
                json_t *f, *r = json_object_get(m, "result");
                size_t k;
                json_array_foreach(json_object_get(m, "params"), k, f) {
                    need_add(g, g->need_dec, json_object_get(f, "type"));
                }
                if (r && !json_is_null(r) && !json_is_true(json_object_get(m, "oneway")))
                    need_add(g, g->need_enc, r);
            }
        }
        json_object_set_new(ctx, "codecs", jstr(side < 2 ? composite_codecs(g) : ""));
        json_object_set_new(ctx, "has_methods", json_boolean(json_array_size(all) > 0));
        json_object_set_new(ctx, "has_sync", json_boolean(json_array_size(methods) > 0));
        bool any_result = false;
        json_array_foreach(methods, i, m) {
            any_result = any_result || json_is_true(json_object_get(m, "has_result"));
        }
        json_object_set_new(ctx, "has_results", json_boolean(any_result));
        json_object_set_new(ctx, "has_notifications", json_boolean(json_array_size(notifs) > 0));
        if (g->failed) {
            rc = -1;
            break;
        }
        if (side == 0) {
            rc = emit(g, "service.h.tmpl", ctx, str(g, "%s.h", prefix), false, files, nfiles);
            if (rc == 0)
                rc = emit(g, "client.c.tmpl", ctx, str(g, "%s_client.c", prefix), false, files,
                          nfiles);
        } else if (side == 1) {
            rc = emit(g, "worker.c.tmpl", ctx, str(g, "%s_worker.c", prefix), false, files, nfiles);
        } else if (g->o && g->o->skeleton) {
            rc = emit(g, "impl.c.tmpl", ctx, str(g, "%s_impl.c", prefix), true, files, nfiles);
        }
    }
    json_decref(ctx);
    return rc;
}

/* ---------------------------------------------------------------- entry */

void bkp_gen_files_free(bkp_gen_file *files, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(files[i].name);
        free(files[i].text);
    }
    free(files);
}

int bkp_gen_c(json_t *model, const bkp_gen_opts *o, bkp_gen_file **files, size_t *nfiles,
              char *err, size_t errlen)
{
    gen g = {.model = model, .pool = json_array(), .need_dec = json_array(),
             .need_enc = json_array(), .o = o, .err = err, .errlen = errlen};
    if (bk_arena_new(&g.arena) != 0) {
        fputs("bkpr-gen: out of memory\n", stderr);
        abort();
    }
    json_t *file = json_object_get(model, "file"), *f, *s;
    size_t i;
    int rc = gen_types(&g, file, files, nfiles);
    json_array_foreach(json_object_get(model, "imported"), i, f) {
        if (rc == 0)
            rc = gen_types(&g, f, files, nfiles);
    }
    json_array_foreach(json_object_get(file, "services"), i, s) {
        if (rc == 0)
            rc = gen_service(&g, file, s, files, nfiles);
    }
    if (g.failed)
        rc = -1;
    json_decref(g.pool);
    bk_arena_free(g.arena);
    json_decref(g.need_dec);
    json_decref(g.need_enc);
    return rc;
}
