/* C text for bkpr-gen's generator (ctext.h). */
#include "codegen/ctext.h"

#include <stdlib.h>
#include <string.h>

void cg_c_string(cg_sb *b, const char *s, size_t n)
{
    cg_sb_grow(b, n + 2);
    cg_sb_addc(b, '"');
    size_t run = 0; /* bytes copied as they are, added in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc;
        char oct[5];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\t': esc = "\\t"; break;
        case '\r': esc = "\\r"; break;
        case '?': esc = "\\?"; break; /* no trigraphs */
        case '/': /* never "*" "/" inside the comments that quote these literals */
            if (i > 0 && s[i - 1] == '*') {
                esc = "\\057";
                break;
            }
            run++;
            continue;
        default:
            if (c >= 0x20 && c < 0x7f) {
                run++;
                continue;
            }
            oct[0] = '\\';
            oct[1] = (char)('0' + (c >> 6));
            oct[2] = (char)('0' + ((c >> 3) & 7));
            oct[3] = (char)('0' + (c & 7));
            oct[4] = '\0';
            esc = oct;
        }
        cg_sb_add(b, s + i - run, run);
        run = 0;
        cg_sb_adds(b, esc);
    }
    cg_sb_add(b, s + n - run, run);
    cg_sb_addc(b, '"');
}

const char *cg_c_string_str(cg_gen *g, const char *s, size_t n)
{
    cg_sb b = {0};
    cg_c_string(&b, s, n);
    const char *r = cg_sb_str(g, &b);
    cg_sb_free(&b);
    return r;
}

void cg_doc_c(cg_sb *b, json_t *doc, const char *indent)
{
    const char *d = json_string_value(doc);
    if (!d || !*d)
        return;
    cg_sb text = {0};
    for (const char *p = d; *p; p++) {
        if (p[0] == '*' && p[1] == '/')
            cg_sb_add(&text, "* ", 2);
        else
            cg_sb_addc(&text, *p);
    }
    if (!strchr(text.s, '\n')) {
        cg_sb_cat(b, indent, "/** ", text.s, " */\n", NULL);
    } else {
        cg_sb_cat(b, indent, "/**\n", NULL);
        for (char *line = text.s; line;) {
            char *nl = strchr(line, '\n');
            if (nl)
                *nl = '\0';
            cg_sb_cat(b, indent, *line ? " * " : " *", line, "\n", NULL);
            line = nl ? nl + 1 : NULL;
        }
        cg_sb_cat(b, indent, " */\n", NULL);
    }
    cg_sb_free(&text);
}

json_t *cg_doc_c_json(json_t *doc, const char *indent)
{
    cg_sb b = {0};
    cg_doc_c(&b, doc, indent);
    json_t *j = cg_sb_json(&b);
    cg_sb_free(&b);
    return j;
}

void cg_proto(cg_sb *b, const char *ret, const char *name, const char *const *args, size_t n)
{
    static const char spaces[] = "                                                            "
                                 "                                                            ";
    size_t start = b->len, rl = strlen(ret);
    cg_sb_add(b, ret, rl);
    if (!(rl && ret[rl - 1] == '*'))
        cg_sb_addc(b, ' ');
    cg_sb_adds(b, name);
    cg_sb_addc(b, '(');
    size_t indent = b->len - start, col = indent;
    if (n == 0)
        cg_sb_add(b, "void", 4);
    for (size_t i = 0; i < n; i++) {
        size_t al = strlen(args[i]);
        if (i > 0) {
            if (col + 2 + al + 2 > 100) {
                cg_sb_add(b, ",\n", 2);
                for (size_t k = indent; k > 0;) {
                    size_t m = k < sizeof spaces - 1 ? k : sizeof spaces - 1;
                    cg_sb_add(b, spaces, m);
                    k -= m;
                }
                col = indent;
            } else {
                cg_sb_add(b, ", ", 2);
                col += 2;
            }
        }
        cg_sb_add(b, args[i], al);
        col += al;
    }
    cg_sb_addc(b, ')');
}

const char *cg_upper(cg_gen *g, const char *s)
{
    char *u = bk_arena_strdup(g->arena, s);
    if (!u)
        abort();
    for (char *p = u; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    return u;
}
