/* The .bkidl grammar. lemon turns this file into $(B)/gen/idl/grammar.c and grammar.h at
 * build time. Actions build the AST (idl/ast.h) in the parser's arena; nothing needs a
 * destructor. Syntax errors are reported by the driver (idl/parse.c), which also decides
 * where to resynchronize: the `error` rules below let the parse go on after the next ';' or
 * '}' of the same level, so that one run reports several errors. */
%name bkp_idl_parse
%token_prefix BKP_IDL_TK_
%token_type {bkp_idl_token}
%extra_argument {bkp_idl_parser *P}
%stack_size 200

%include {
#include <assert.h>
#include <string.h>

#include "idl/ast.h"
#include "idl/parse.h"

#define A_ (P->arena)
/* After recovering at a point where the structure is known (a field, a member, a skipped
 * block), report the next error at once instead of after lemon's three quiet shifts. */
#define REARM() (yypParser->yyerrcnt = -1)
}

%syntax_error {
    (void)yymajor;
    bkp_idl_syntax_error(P, &yyminor);
}

%stack_overflow {
    P->overflow = true; /* reported by the driver, at the token */
}

%parse_failure {
    (void)P;
}

/* Keywords are names where a keyword cannot stand: a field may be called `error` or `map`. */
%fallback ID NAMESPACE IMPORT ENUM STRUCT OPTIONAL ERROR SERVICE METHOD ONEWAY NOTIFICATION
    THROWS LIST MAP BOOL INT DOUBLE STRING BYTES ANY.

/* Fix the terminals' order so that every one exists even if unused by a rule. */
%token ID INTEGER REAL STR NAMESPACE IMPORT ENUM STRUCT OPTIONAL ERROR SERVICE METHOD ONEWAY
    NOTIFICATION THROWS TRUE FALSE NULL LIST MAP BOOL INT DOUBLE STRING BYTES ANY LBRACE RBRACE
    LPAREN RPAREN LT GT SEMI COMMA EQ ARROW AT DOT.

file ::= decls.

decls ::= .
decls ::= decls decl.

decl ::= NAMESPACE(K) qname(N) SEMI. {
    bkp_idl_decl *d = bkp_idl_decl_new(A_, BKP_IDL_D_NAMESPACE, N.pos, N.text);
    d->doc = K.doc;
    bkp_idl_add_decl(P, d);
    REARM();
}
decl ::= IMPORT(K) STR(S) SEMI. {
    bkp_idl_decl *d = bkp_idl_decl_new(A_, BKP_IDL_D_IMPORT, S.pos, S.text);
    d->doc = K.doc;
    bkp_idl_add_decl(P, d);
    REARM();
}
decl ::= ENUM(K) ID(N) LBRACE enum_members(M) opt_comma RBRACE. {
    bkp_idl_decl *d = bkp_idl_decl_new(A_, BKP_IDL_D_ENUM, N.pos, N.text);
    d->doc = K.doc;
    d->members = M;
    bkp_idl_add_decl(P, d);
    REARM();
}
decl ::= ENUM ID LBRACE error RBRACE. { REARM(); }
decl ::= STRUCT(K) ID(N) LBRACE fields(F) RBRACE. {
    bkp_idl_decl *d = bkp_idl_decl_new(A_, BKP_IDL_D_STRUCT, N.pos, N.text);
    d->doc = K.doc;
    d->fields = F;
    bkp_idl_add_decl(P, d);
    REARM();
}
decl ::= STRUCT ID LBRACE fields error RBRACE. { REARM(); }
decl ::= ERROR(K) ID(N) EQ INTEGER(C) STR(M) SEMI. {
    bkp_idl_decl *d = bkp_idl_decl_new(A_, BKP_IDL_D_ERROR, N.pos, N.text);
    d->doc = K.doc;
    d->code = bkp_idl_value_new(A_, BKP_IDL_V_INT, C.pos);
    d->code->i = C.i;
    d->code->overflow = C.overflow;
    d->code->text = C.text;
    d->message = M.text;
    bkp_idl_add_decl(P, d);
    REARM();
}
decl ::= SERVICE(K) qname(N) LBRACE members(M) RBRACE. {
    bkp_idl_decl *d = bkp_idl_decl_new(A_, BKP_IDL_D_SERVICE, N.pos, N.text);
    d->doc = K.doc;
    d->methods = M;
    bkp_idl_add_decl(P, d);
    REARM();
}
decl ::= SERVICE qname LBRACE members error RBRACE. { REARM(); }
decl ::= error SEMI.
decl ::= error RBRACE. { REARM(); }

/* A dotted name: one token whose text is the whole name, at the first part's position. */
%type qname {bkp_idl_token}
qname(A) ::= ID(N). { A = N; }
qname(A) ::= qname(Q) DOT ID(N). {
    A = Q;
    A.text = bkp_idl_printf(A_, "%s.%s", Q.text, N.text);
    A.len = strlen(A.text);
}

opt_comma ::= .
opt_comma ::= COMMA.

%type enum_members {bkp_idl_name *}
enum_members(A) ::= ID(N). {
    A = bkp_idl_name_new(A_, N.pos, N.text);
    A->doc = N.doc;
}
enum_members(A) ::= enum_members(L) COMMA ID(N). {
    bkp_idl_name *m = bkp_idl_name_new(A_, N.pos, N.text);
    m->doc = N.doc;
    A = bkp_idl_names_append(L, m);
}

%type fields {bkp_idl_field *}
fields(A) ::= . { A = NULL; }
fields(A) ::= fields(L) var(V) SEMI. { A = bkp_idl_fields_append(L, V); REARM(); }
fields(A) ::= fields(L) error SEMI. { A = L; REARM(); }

/* A field or a parameter. */
%type var {bkp_idl_field *}
var(A) ::= type(T) ID(N) default(D). {
    A = bkp_idl_field_new(A_, N.pos, N.text);
    A->doc = T->doc;
    A->type = T;
    A->dflt = D;
}
var(A) ::= OPTIONAL(O) type(T) ID(N) default(D). {
    A = bkp_idl_field_new(A_, N.pos, N.text);
    A->doc = O.doc;
    A->type = T;
    A->optional = true;
    A->dflt = D;
}

%type default {bkp_idl_value *}
default(A) ::= . { A = NULL; }
default(A) ::= EQ value(V). { A = V; }

%type value {bkp_idl_value *}
value(A) ::= INTEGER(T). {
    A = bkp_idl_value_new(A_, BKP_IDL_V_INT, T.pos);
    A->i = T.i;
    A->d = T.d;
    A->overflow = T.overflow;
    A->text = T.text;
}
value(A) ::= REAL(T). {
    A = bkp_idl_value_new(A_, BKP_IDL_V_DOUBLE, T.pos);
    A->d = T.d;
    A->overflow = T.overflow;
    A->text = T.text;
}
value(A) ::= STR(T). {
    A = bkp_idl_value_new(A_, BKP_IDL_V_STRING, T.pos);
    A->s = T.text;
    A->len = T.len;
}
value(A) ::= TRUE(T). { A = bkp_idl_value_new(A_, BKP_IDL_V_BOOL, T.pos); A->b = true; }
value(A) ::= FALSE(T). { A = bkp_idl_value_new(A_, BKP_IDL_V_BOOL, T.pos); A->b = false; }
value(A) ::= NULL(T). { A = bkp_idl_value_new(A_, BKP_IDL_V_NULL, T.pos); }
value(A) ::= ID(T). {
    A = bkp_idl_value_new(A_, BKP_IDL_V_NAME, T.pos);
    A->s = T.text;
    A->len = T.len;
    A->text = T.text;
}

%type type {bkp_idl_type *}
type(A) ::= BOOL(T). { A = bkp_idl_type_new(A_, BKP_IDL_BOOL, T.pos); A->doc = T.doc; }
type(A) ::= INT(T). { A = bkp_idl_type_new(A_, BKP_IDL_INT, T.pos); A->doc = T.doc; }
type(A) ::= DOUBLE(T). { A = bkp_idl_type_new(A_, BKP_IDL_DOUBLE, T.pos); A->doc = T.doc; }
type(A) ::= STRING(T). { A = bkp_idl_type_new(A_, BKP_IDL_STRING, T.pos); A->doc = T.doc; }
type(A) ::= BYTES(T). { A = bkp_idl_type_new(A_, BKP_IDL_BYTES, T.pos); A->doc = T.doc; }
type(A) ::= ANY(T). { A = bkp_idl_type_new(A_, BKP_IDL_ANY, T.pos); A->doc = T.doc; }
type(A) ::= LIST(T) LT type(E) GT. {
    A = bkp_idl_type_new(A_, BKP_IDL_LIST, T.pos);
    A->doc = T.doc;
    A->of = E;
}
type(A) ::= MAP(T) LT type(E) GT. {
    A = bkp_idl_type_new(A_, BKP_IDL_MAP, T.pos);
    A->doc = T.doc;
    A->of = E;
}
type(A) ::= qname(N). {
    A = bkp_idl_type_new(A_, BKP_IDL_NAMED, N.pos);
    A->doc = N.doc;
    A->name = N.text;
}

%type members {bkp_idl_method *}
members(A) ::= . { A = NULL; }
members(A) ::= members(L) member(M). { A = bkp_idl_methods_append(L, M); REARM(); }
members(A) ::= members(L) error SEMI. { A = L; REARM(); }

%type member {bkp_idl_method *}
member(A) ::= annotations(N) oneway(O) METHOD(K) ID(I) LPAREN params(P_) RPAREN result(R)
              throws(T) SEMI. {
    A = bkp_idl_method_new(A_, I.pos, I.text);
    A->doc = N ? N->doc : O.type ? O.doc : K.doc;
    A->annotations = N;
    A->oneway = O.type != 0;
    A->params = P_;
    A->result = R;
    A->throws = T;
}
member(A) ::= annotations(N) NOTIFICATION(K) ID(I) LPAREN params(P_) RPAREN SEMI. {
    A = bkp_idl_method_new(A_, I.pos, I.text);
    A->doc = N ? N->doc : K.doc;
    A->notification = true;
    A->annotations = N;
    A->params = P_;
}

%type oneway {bkp_idl_token}
oneway(A) ::= . { memset(&A, 0, sizeof A); }
oneway(A) ::= ONEWAY(T). { A = T; }

%type annotations {bkp_idl_name *}
annotations(A) ::= . { A = NULL; }
annotations(A) ::= annotations(L) annotation(N). { A = bkp_idl_names_append(L, N); }

%type annotation {bkp_idl_name *}
annotation(A) ::= AT(T) ID(N). {
    A = bkp_idl_name_new(A_, T.pos, N.text);
    A->doc = T.doc;
}
annotation(A) ::= AT(T) ID(N) LPAREN args(V) RPAREN. {
    A = bkp_idl_name_new(A_, T.pos, N.text);
    A->doc = T.doc;
    A->args = V;
    A->has_args = true;
}

%type args {bkp_idl_value *}
args(A) ::= . { A = NULL; }
args(A) ::= arglist(L). { A = L; }
%type arglist {bkp_idl_value *}
arglist(A) ::= value(V). { A = V; }
arglist(A) ::= arglist(L) COMMA value(V). { A = bkp_idl_values_append(L, V); }

%type params {bkp_idl_field *}
params(A) ::= . { A = NULL; }
params(A) ::= paramlist(L). { A = L; }
%type paramlist {bkp_idl_field *}
paramlist(A) ::= var(V). { A = V; }
paramlist(A) ::= paramlist(L) COMMA var(V). { A = bkp_idl_fields_append(L, V); }

%type result {bkp_idl_type *}
result(A) ::= . { A = NULL; }
result(A) ::= ARROW type(T). { A = T; }

%type throws {bkp_idl_name *}
throws(A) ::= . { A = NULL; }
throws(A) ::= THROWS throwlist(L). { A = L; }
%type throwlist {bkp_idl_name *}
throwlist(A) ::= qname(N). { A = bkp_idl_name_new(A_, N.pos, N.text); }
throwlist(A) ::= throwlist(L) COMMA qname(N). {
    A = bkp_idl_names_append(L, bkp_idl_name_new(A_, N.pos, N.text));
}

%code {
/* Whether the parser could go on with `token` from its current state: its stack is copied and
 * reductions are simulated until the token would be shifted (yes) or be an error (no). Lemon's
 * default reductions make the top state alone an unreliable answer. Fallbacks (a keyword
 * taken as a name) do not count: "expected a name" reads better than a list of keywords. */
bool bkp_idl_parse_accepts(void *parser, int token)
{
    yyParser *p = parser;
    YYACTIONTYPE st[YYSTACKDEPTH + 8];
    int n = 0;
    for (yyStackEntry *e = p->yystack; e <= p->yytos && n < YYSTACKDEPTH; e++)
        st[n++] = e->stateno;
    for (int guard = 0; guard < 10000 && n > 0; guard++) {
        YYACTIONTYPE s = st[n - 1], act;
        if (s > YY_MAX_SHIFT) {
            act = s;
        } else {
            int i = yy_shift_ofst[s] + token;
            act = yy_lookahead[i] == token ? yy_action[i] : yy_default[s];
        }
        if (act <= YY_MAX_SHIFTREDUCE || act == YY_ACCEPT_ACTION)
            return true;
        if (act < YY_MIN_REDUCE || act > YY_MAX_REDUCE)
            return false;
        int rule = act - YY_MIN_REDUCE;
        n += yyRuleInfoNRhs[rule];
        if (n < 1)
            return false;
        YYACTIONTYPE g = yy_find_reduce_action(st[n - 1], yyRuleInfoLhs[rule]);
        if (g > YY_MAX_SHIFT)
            g += YY_MIN_REDUCE - YY_MIN_SHIFTREDUCE;
        if (n >= YYSTACKDEPTH + 8)
            return false;
        st[n++] = g;
    }
    return false;
}

int bkp_idl_parse_ntokens(void)
{
    return YYNTOKEN;
}
}
