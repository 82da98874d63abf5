/* The parse driver: tokens from the lexer into the lemon parser, syntax errors in words, and
 * the token-level half of error recovery. */
#include "idl/parse.h"

#include <stdlib.h>
#include <string.h>

#include "idl/grammar.h"

static const char *token_words(int t)
{
    switch (t) {
    case 0: return "end of file";
    case BKP_IDL_TK_ID: return "a name";
    case BKP_IDL_TK_INTEGER: return "an integer";
    case BKP_IDL_TK_REAL: return "a number";
    case BKP_IDL_TK_STR: return "a string";
    case BKP_IDL_TK_NAMESPACE: return "'namespace'";
    case BKP_IDL_TK_IMPORT: return "'import'";
    case BKP_IDL_TK_ENUM: return "'enum'";
    case BKP_IDL_TK_STRUCT: return "'struct'";
    case BKP_IDL_TK_OPTIONAL: return "'optional'";
    case BKP_IDL_TK_ERROR: return "'error'";
    case BKP_IDL_TK_SERVICE: return "'service'";
    case BKP_IDL_TK_METHOD: return "'method'";
    case BKP_IDL_TK_ONEWAY: return "'oneway'";
    case BKP_IDL_TK_NOTIFICATION: return "'notification'";
    case BKP_IDL_TK_THROWS: return "'throws'";
    case BKP_IDL_TK_TRUE: return "'true'";
    case BKP_IDL_TK_FALSE: return "'false'";
    case BKP_IDL_TK_NULL: return "'null'";
    case BKP_IDL_TK_LIST: return "'list'";
    case BKP_IDL_TK_MAP: return "'map'";
    case BKP_IDL_TK_BOOL: return "'bool'";
    case BKP_IDL_TK_INT: return "'int'";
    case BKP_IDL_TK_DOUBLE: return "'double'";
    case BKP_IDL_TK_STRING: return "'string'";
    case BKP_IDL_TK_BYTES: return "'bytes'";
    case BKP_IDL_TK_ANY: return "'any'";
    case BKP_IDL_TK_LBRACE: return "'{'";
    case BKP_IDL_TK_RBRACE: return "'}'";
    case BKP_IDL_TK_LPAREN: return "'('";
    case BKP_IDL_TK_RPAREN: return "')'";
    case BKP_IDL_TK_LT: return "'<'";
    case BKP_IDL_TK_GT: return "'>'";
    case BKP_IDL_TK_SEMI: return "';'";
    case BKP_IDL_TK_COMMA: return "','";
    case BKP_IDL_TK_EQ: return "'='";
    case BKP_IDL_TK_ARROW: return "'->'";
    case BKP_IDL_TK_AT: return "'@'";
    case BKP_IDL_TK_DOT: return "'.'";
    }
    return "something else";
}

/* Groups of tokens said in one word when all of them are expected. */
static const int type_group[] = {BKP_IDL_TK_BOOL,   BKP_IDL_TK_INT,   BKP_IDL_TK_DOUBLE,
                                 BKP_IDL_TK_STRING, BKP_IDL_TK_BYTES, BKP_IDL_TK_ANY,
                                 BKP_IDL_TK_LIST,   BKP_IDL_TK_MAP,   BKP_IDL_TK_ID, 0};
static const int value_group[] = {BKP_IDL_TK_INTEGER, BKP_IDL_TK_REAL, BKP_IDL_TK_STR,
                                  BKP_IDL_TK_TRUE,    BKP_IDL_TK_FALSE, BKP_IDL_TK_NULL,
                                  BKP_IDL_TK_ID,      0};
static const int decl_group[] = {BKP_IDL_TK_NAMESPACE, BKP_IDL_TK_IMPORT, BKP_IDL_TK_ENUM,
                                 BKP_IDL_TK_STRUCT,    BKP_IDL_TK_ERROR,  BKP_IDL_TK_SERVICE,
                                 0};
static const int member_group[] = {BKP_IDL_TK_METHOD, BKP_IDL_TK_NOTIFICATION,
                                   BKP_IDL_TK_ONEWAY, BKP_IDL_TK_AT, 0};

#define MAXTOK 64

static bool take_group(bool *ok, const int *group)
{
    for (const int *g = group; *g; g++)
        if (!ok[*g])
            return false;
    for (const int *g = group; *g; g++)
        ok[*g] = false;
    return true;
}

/* "';'", "';' or '='", "a type, 'optional' or '}'" */
static void expected_words(void *lemon, char *buf, size_t cap)
{
    bool ok[MAXTOK] = {false};
    int n = bkp_idl_parse_ntokens();
    if (n > MAXTOK)
        n = MAXTOK;
    for (int t = 1; t < n; t++)
        ok[t] = bkp_idl_parse_accepts(lemon, t);
    const char *words[MAXTOK];
    int k = 0;
    if (take_group(ok, decl_group))
        words[k++] = "a declaration";
    if (take_group(ok, member_group))
        words[k++] = "a method or notification";
    if (take_group(ok, value_group))
        words[k++] = "a value";
    if (take_group(ok, type_group))
        words[k++] = "a type";
    /* '.' continues a dotted name: worth saying only when nothing else fits. */
    bool dot = ok[BKP_IDL_TK_DOT];
    ok[BKP_IDL_TK_DOT] = false;
    for (int t = 1; t < n; t++)
        if (ok[t])
            words[k++] = token_words(t);
    if (k == 0 && dot)
        words[k++] = token_words(BKP_IDL_TK_DOT);
    buf[0] = '\0';
    size_t len = 0;
    for (int i = 0; i < k && len < cap; i++) {
        const char *sep = i == 0 ? "" : i == k - 1 ? " or " : ", ";
        int w = snprintf(buf + len, cap - len, "%s%s", sep, words[i]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

static void found_words(const bkp_idl_token *t, char *buf, size_t cap)
{
    switch (t->type) {
    case 0:
    case BKP_IDL_TK_STR:
        snprintf(buf, cap, "%s", token_words(t->type));
        break;
    case BKP_IDL_TK_ID:
    case BKP_IDL_TK_INTEGER:
    case BKP_IDL_TK_REAL:
        snprintf(buf, cap, "'%.40s%s'", t->text, t->len > 40 ? "..." : "");
        break;
    default:
        snprintf(buf, cap, "%s", token_words(t->type));
    }
}

/* A missing ';' is reported where it is missing, right after the token before (as clang
 * does), not at the next token, which may be lines away. At the end of the file, the
 * innermost '{' still open is named, with a note where it opened. */
void bkp_idl_syntax_error(bkp_idl_parser *P, const bkp_idl_token *tok)
{
    char exp[512], found[64];
    expected_words(P->lemon, exp, sizeof exp);
    found_words(tok, found, sizeof found);
    bkp_idl_pos at = tok->pos;
    if (bkp_idl_parse_accepts(P->lemon, BKP_IDL_TK_SEMI) && P->prev_end.line > 0)
        at = P->prev_end;
    const bkp_idl_brace *b = tok->type == 0 && P->nopen > 0 ? &P->open[P->nopen - 1] : NULL;
    if (b && exp[0])
        bkp_idl_diag_error(P->diag, &P->file->src, at, "%s is not closed: expected %s, found %s",
                           b->what ? b->what : "a '{'", exp, found);
    else if (b)
        bkp_idl_diag_error(P->diag, &P->file->src, at, "%s is not closed: unexpected %s",
                           b->what ? b->what : "a '{'", found);
    else if (exp[0])
        bkp_idl_diag_error(P->diag, &P->file->src, at, "expected %s, found %s", exp, found);
    else
        bkp_idl_diag_error(P->diag, &P->file->src, at, "unexpected %s", found);
    if (b)
        bkp_idl_diag_note(P->diag, &P->file->src, b->pos, "%s opens here",
                          b->what ? b->what : "the '{'");
    P->errors++;
    P->error_now = true;
}

void bkp_idl_add_decl(bkp_idl_parser *P, bkp_idl_decl *d)
{
    d->file = P->file;
    *P->tail = d;
    P->tail = &d->next;
}

/* What the '{' after the tokens of a declaration opens: the keyword (struct, enum, service)
 * and the name that followed it, or NULL. */
static const char *brace_what(bkp_idl_arena *a, int kw, const char *name)
{
    const char *k = kw == BKP_IDL_TK_STRUCT ? "struct"
                    : kw == BKP_IDL_TK_ENUM ? "enum"
                    : kw == BKP_IDL_TK_SERVICE ? "service" : NULL;
    return k && name ? bkp_idl_printf(a, "%s '%s'", k, name) : NULL;
}

/* Error recovery, token side: after a syntax error the grammar's `error` rules resume at a
 * ';' or '}'. Tokens inside braces opened after the error are held back, so that the parse
 * resumes at the ';' or '}' of the level where the error was, not at one nested deeper. */
int bkp_idl_parse_file(bkp_idl_file *f, bkp_idl_arena *a, bkp_idl_diag *d)
{
    bkp_idl_lexer lx;
    bkp_idl_lexer_init(&lx, &f->src, a, d);
    bkp_idl_parser P = {.arena = a, .diag = d, .file = f, .tail = &f->decls};
    void *lp = bkp_idl_parseAlloc(malloc);
    bkp_idl_brace *open = NULL;
    int capopen = 0;
    if (!lp) {
        fputs("bkpr-gen: out of memory\n", stderr);
        abort();
    }
    P.lemon = lp;
    int depth = 0, err_depth = 0;
    bool recovering = false;
    int kw = 0;              /* the last struct, enum or service keyword at the top level */
    const char *name = NULL; /* the (dotted) name after it */
    for (;;) {
        bkp_idl_token t;
        int type = bkp_idl_lex(&lx, &t);
        int before = depth;
        if (depth == 0 && (type == BKP_IDL_TK_STRUCT || type == BKP_IDL_TK_ENUM ||
                           type == BKP_IDL_TK_SERVICE)) {
            kw = type;
            name = NULL;
        } else if (depth == 0 && kw && (type == BKP_IDL_TK_ID || type == BKP_IDL_TK_DOT)) {
            name = name ? bkp_idl_printf(a, "%s%s", name, t.text ? t.text : ".") : t.text;
        } else if (type == BKP_IDL_TK_LBRACE) {
            if (P.nopen == capopen) {
                capopen = capopen ? 2 * capopen : 8;
                open = realloc(open, (size_t)capopen * sizeof *open);
                if (!open) {
                    fputs("bkpr-gen: out of memory\n", stderr);
                    abort();
                }
            }
            open[P.nopen++] = (bkp_idl_brace){t.pos, depth == 0 ? brace_what(a, kw, name) : NULL};
            P.open = open;
            depth++;
            kw = 0;
        } else if (type == BKP_IDL_TK_RBRACE && depth > 0) {
            depth--;
            P.nopen--;
        } else if (depth == 0) {
            kw = 0;
        }
        if (recovering) {
            bool sync = type == 0 || (type == BKP_IDL_TK_SEMI && depth == err_depth) ||
                        (type == BKP_IDL_TK_RBRACE &&
                         (before == err_depth || (err_depth == 0 && before == 1)));
            if (!sync)
                continue;
            recovering = false;
        }
        P.error_now = false;
        bkp_idl_parse(lp, type, t, &P);
        P.prev_end = t.end;
        if (P.overflow) {
            bkp_idl_diag_error(d, &f->src, t.pos, "nested too deeply");
            P.errors++;
            break;
        }
        if (type == 0)
            break;
        if (P.error_now && type != BKP_IDL_TK_SEMI && type != BKP_IDL_TK_RBRACE) {
            recovering = true;
            err_depth = before;
        }
    }
    bkp_idl_parseFree(lp, free);
    free(open);
    int errors = P.errors + lx.errors;
    f->ok = errors == 0;
    return errors;
}
