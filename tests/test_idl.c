/* Unit tests of the IDL front end (idl/): idl.md's example parsed and modelled, then a table
 * of bad inputs, each with the exact diagnostics it must give (and nothing more). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "codegen/names.h"
#include "idl/idl.h"
#include "idl/mangle.h"
#include "idl/model.h"

/* ---- helpers ---- */

/* Everything the collector would print, as one string (free it). */
static char *diag_text(const bkp_idl_program *p)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    bkp_idl_diag_print(p->diag, f);
    fclose(f);
    return buf;
}

/* A value inside a JSON document by a dotted path: "file.structs.0.name". */
static json_t *jget(json_t *v, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && v;
         k = strtok_r(NULL, ".", &save)) {
        if (json_is_array(v))
            v = json_array_get(v, (size_t)strtoul(k, NULL, 10));
        else
            v = json_object_get(v, k);
    }
    return v;
}

static const char *jstr(json_t *m, const char *path)
{
    json_t *v = jget(m, path);
    if (!json_is_string(v)) {
        print_error("%s is not a string\n", path);
        fail();
    }
    return json_string_value(v);
}

static long long jint(json_t *m, const char *path)
{
    json_t *v = jget(m, path);
    if (!json_is_integer(v)) {
        print_error("%s is not an integer\n", path);
        fail();
    }
    return json_integer_value(v);
}

/* ---- the example of idl.md ---- */

static json_t *chat_model(bkp_idl_program **pp)
{
    bkp_idl_program *p = bkp_idl_program_new();
    assert_non_null(p);
    bkp_idl_file *f = bkp_idl_load(p, "tests/idl/chat.bkidl");
    int n = bkp_idl_check(p);
    if (n) {
        char *t = diag_text(p);
        print_error("%s", t);
        free(t);
    }
    assert_int_equal(n, 0);
    json_t *m = bkp_idl_model(p, f);
    assert_non_null(m);
    *pp = p;
    return m;
}

static void test_example_parses_into_the_model(void **state)
{
    (void)state;
    bkp_idl_program *p;
    json_t *m = chat_model(&p);
    assert_int_equal(jint(m, "bkpr_gen_model"), 1);
    assert_string_equal(jstr(m, "file.namespace"), "myapp");
    assert_string_equal(jstr(m, "file.imports.0.path"), "tests/idl/common.bkidl");
    assert_string_equal(jstr(m, "imported.0.namespace"), "common");
    /* enum */
    assert_string_equal(jstr(m, "file.enums.0.c_name"), "myapp_level");
    assert_string_equal(jstr(m, "file.enums.0.members.2.name"), "HIGH");
    assert_string_equal(jstr(m, "file.enums.0.members.2.c_name"), "MYAPP_LEVEL_HIGH");
    /* struct and fields */
    assert_string_equal(jstr(m, "file.structs.0.name"), "Message");
    assert_string_equal(jstr(m, "file.structs.0.c_name"), "myapp_message");
    assert_string_equal(jstr(m, "file.structs.0.doc"), "A chat message.");
    assert_string_equal(jstr(m, "file.structs.0.fields.2.name"), "ts");
    assert_int_equal(jint(m, "file.structs.0.fields.2.default"), 0);
    assert_true(json_is_true(jget(m, "file.structs.0.fields.2.has_default")));
    assert_true(json_is_true(jget(m, "file.structs.0.fields.3.optional")));
    assert_string_equal(jstr(m, "file.structs.0.fields.4.type.kind"), "list");
    assert_string_equal(jstr(m, "file.structs.0.fields.4.type.of.kind"), "string");
    assert_string_equal(jstr(m, "file.structs.0.fields.5.type.kind"), "map");
    assert_string_equal(jstr(m, "file.structs.0.fields.5.type.of.kind"), "int");
    assert_string_equal(jstr(m, "file.structs.0.fields.6.type.kind"), "enum");
    assert_string_equal(jstr(m, "file.structs.0.fields.6.default"), "LOW");
    assert_string_equal(jstr(m, "file.structs.0.fields.7.type.kind"), "any");
    assert_string_equal(jstr(m, "file.structs.0.fields.8.type.c_name"), "common_stamp");
    assert_true(json_is_null(jget(m, "file.structs.0.fields.0.doc")));
    /* error */
    assert_string_equal(jstr(m, "file.errors.0.c_name"), "MYAPP_NOT_FOUND");
    assert_int_equal(jint(m, "file.errors.0.code"), 1001);
    assert_string_equal(jstr(m, "file.errors.0.message"), "No such room");
    /* service */
    assert_string_equal(jstr(m, "file.services.0.name"), "myapp.chat");
    assert_string_equal(jstr(m, "file.services.0.c_prefix"), "myapp_chat");
    assert_string_equal(jstr(m, "file.services.0.doc"), "Chat rooms.");
    assert_string_equal(jstr(m, "file.services.0.methods.0.c_name"), "myapp_chat_send");
    assert_string_equal(jstr(m, "file.services.0.methods.0.doc"),
                        "Posts a message; returns its id.");
    assert_int_equal(jint(m, "file.services.0.methods.0.annotations.timeout_ms"), 5000);
    assert_true(json_is_true(jget(m, "file.services.0.methods.0.annotations.public")));
    assert_string_equal(jstr(m, "file.services.0.methods.0.result.kind"), "string");
    assert_string_equal(jstr(m, "file.services.0.methods.0.throws.1.c_name"),
                        "COMMON_UNAVAILABLE");
    assert_true(json_is_true(jget(m, "file.services.0.methods.1.annotations.idempotent")));
    assert_int_equal(jint(m, "file.services.0.methods.1.params.1.default"), 50);
    assert_string_equal(jstr(m, "file.services.0.methods.1.result.of.name"), "Message");
    assert_true(json_is_true(jget(m, "file.services.0.methods.2.oneway")));
    assert_true(json_is_null(jget(m, "file.services.0.methods.2.result")));
    assert_string_equal(jstr(m, "file.services.0.notifications.0.name"), "posted");
    assert_null(jget(m, "file.services.0.notifications.0.result"));
    json_decref(m);
    bkp_idl_program_free(p);
}

static void test_model_is_deterministic(void **state)
{
    (void)state;
    bkp_idl_program *p1, *p2;
    json_t *m1 = chat_model(&p1), *m2 = chat_model(&p2);
    char *s1 = json_dumps(m1, JSON_SORT_KEYS), *s2 = json_dumps(m2, JSON_SORT_KEYS);
    assert_string_equal(s1, s2);
    free(s1);
    free(s2);
    json_decref(m1);
    json_decref(m2);
    bkp_idl_program_free(p1);
    bkp_idl_program_free(p2);
}

/* A valid text in memory: its model (and the program, to free). */
static json_t *model_of(const char *text, bkp_idl_program **pp)
{
    bkp_idl_program *p = bkp_idl_program_new();
    bkp_idl_file *f = bkp_idl_load_text(p, "t.bkidl", text, strlen(text));
    if (bkp_idl_check(p)) {
        char *t = diag_text(p);
        print_error("%s", t);
        free(t);
        fail();
    }
    *pp = p;
    return bkp_idl_model(p, f);
}

static void test_keywords_work_as_names_and_docs_attach(void **state)
{
    (void)state;
    bkp_idl_program *p;
    json_t *m = model_of("namespace a.b;\n"
                         "struct S {\n"
                         "  /** the error, if any\n"
                         "   * second line */\n"
                         "  optional string error;\n"
                         "  /** a list */ list<list<int>> map;\n"
                         "  double d = 1;\n"
                         "  double e = -2.5e3;\n"
                         "  string s = \"\\u00e9\\n\\\"\";\n"
                         "  optional S next;\n"
                         "  list<S> kids;\n"
                         "}\n"
                         "enum E { X, Y, }\n"
                         "service a.b.svc { /** ping */ @public notification ping(E e = Y); }\n",
                         &p);
    assert_string_equal(jstr(m, "file.c_prefix"), "a_b");
    assert_string_equal(jstr(m, "file.structs.0.c_name"), "a_b_s");
    assert_string_equal(jstr(m, "file.structs.0.fields.0.name"), "error");
    assert_string_equal(jstr(m, "file.structs.0.fields.0.doc"), "the error, if any\nsecond line");
    assert_string_equal(jstr(m, "file.structs.0.fields.1.doc"), "a list");
    assert_string_equal(jstr(m, "file.structs.0.fields.1.type.of.of.kind"), "int");
    assert_true(json_is_real(jget(m, "file.structs.0.fields.2.default")));
    assert_true(json_real_value(jget(m, "file.structs.0.fields.3.default")) == -2500.0);
    assert_string_equal(jstr(m, "file.structs.0.fields.4.default"), "\xc3\xa9\n\"");
    assert_string_equal(jstr(m, "file.enums.0.members.1.c_name"), "A_B_E_Y");
    assert_string_equal(jstr(m, "file.services.0.c_prefix"), "a_b_svc");
    assert_string_equal(jstr(m, "file.services.0.notifications.0.doc"), "ping");
    assert_string_equal(jstr(m, "file.services.0.notifications.0.params.0.default"), "Y");
    assert_true(json_is_true(jget(m, "file.services.0.notifications.0.annotations.public")));
    json_decref(m);
    bkp_idl_program_free(p);
}

static void test_snake_case_mangling(void **state)
{
    (void)state;
    bkp_idl_arena *a = bkp_idl_arena_new();
    assert_string_equal(bkp_idl_snake(a, "myApp"), "my_app");
    assert_string_equal(bkp_idl_snake(a, "HTTPServer"), "http_server");
    assert_string_equal(bkp_idl_snake(a, "NotFound"), "not_found");
    assert_string_equal(bkp_idl_snake(a, "reply_to"), "reply_to");
    assert_string_equal(bkp_idl_snake(a, "LOW"), "low");
    assert_string_equal(bkp_idl_snake(a, "v2Beta"), "v2_beta");
    assert_string_equal(bkp_idl_c_prefix(a, "myApp.chatRoom"), "my_app_chat_room");
    assert_true(cg_is_c_keyword("default"));
    assert_false(cg_is_c_keyword("room"));
    bkp_idl_arena_free(a);
}

static void test_diagnostics_show_line_and_caret(void **state)
{
    (void)state;
    bkp_idl_program *p = bkp_idl_program_new();
    const char *text = "namespace x;\nstruct S {\n\tint a;\n\tMesage m; // é\n}\n";
    bkp_idl_load_text(p, "t.bkidl", text, strlen(text));
    assert_int_equal(bkp_idl_check(p), 1);
    char *t = diag_text(p);
    assert_string_equal(t, "t.bkidl:4:2: error: unknown type 'Mesage'\n"
                           "    4 | \tMesage m; // é\n"
                           "      | \t^\n");
    free(t);
    bkp_idl_program_free(p);
}

static void test_errors_are_sorted_and_capped(void **state)
{
    (void)state;
    char text[8192] = "namespace x;\nstruct S {\n";
    for (int i = 0; i < 60; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "  T%d f%d;\n", 59 - i, i);
    strcat(text, "}\n");
    bkp_idl_program *p = bkp_idl_program_new();
    bkp_idl_load_text(p, "t.bkidl", text, strlen(text));
    assert_int_equal(bkp_idl_check(p), 60);
    char *t = diag_text(p);
    assert_non_null(strstr(t, "t.bkidl:3:3: error: unknown type 'T59'\n"));
    assert_true(strstr(t, "t.bkidl:3:3:") < strstr(t, "t.bkidl:4:3:"));
    assert_null(strstr(t, "t.bkidl:53:3:"));
    assert_non_null(strstr(t, "bkpr-gen: too many errors (10 more not shown)\n"));
    free(t);
    bkp_idl_program_free(p);
}

/* ---- imports, on real files ---- */

static char dir[64];

static void put(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *load_dir_file(const char *name, const char *incdir, int *nerr)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    bkp_idl_program *p = bkp_idl_program_new();
    if (incdir)
        bkp_idl_program_add_include(p, incdir);
    bkp_idl_load(p, path);
    *nerr = bkp_idl_check(p);
    char *t = diag_text(p);
    bkp_idl_program_free(p);
    /* Paths relative to the folder, to compare. */
    char *out = malloc(strlen(t) + 1), *o = out;
    size_t dl = strlen(dir);
    for (const char *s = t; *s;) {
        if (strncmp(s, dir, dl) == 0 && s[dl] == '/')
            s += dl + 1;
        else
            *o++ = *s++;
    }
    *o = '\0';
    free(t);
    return out;
}

static int imports_setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test_idl.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int imports_teardown(void **state)
{
    (void)state;
    const char *names[] = {"a.bkidl", "b.bkidl", "c.bkidl", "m.bkidl", "inc/lib.bkidl", "inc",
                           "u.bkidl"};
    char path[256];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        remove(path);
    }
    return rmdir(dir);
}

static void test_circular_import_shows_the_cycle(void **state)
{
    (void)state;
    put("a.bkidl", "namespace a;\nimport \"b.bkidl\";\n");
    put("b.bkidl", "namespace b;\nimport \"c.bkidl\";\n");
    put("c.bkidl", "namespace c;\n\nimport \"a.bkidl\";\n");
    int n;
    char *t = load_dir_file("a.bkidl", NULL, &n);
    assert_int_equal(n, 1);
    /* load_dir_file strips the folder where it starts a path */
    assert_non_null(strstr(t, "c.bkidl:3:8: error: circular import: a.bkidl -> b.bkidl -> "
                              "c.bkidl -> a.bkidl\n"));
    free(t);
}

static void test_missing_import_is_reported_at_the_import(void **state)
{
    (void)state;
    put("m.bkidl", "namespace m;\n  import \"nope.bkidl\";\n");
    int n;
    char *t = load_dir_file("m.bkidl", "/nonexistent", &n);
    assert_int_equal(n, 1);
    assert_non_null(strstr(t, "m.bkidl:2:10: error: cannot find import 'nope.bkidl' (searched "));
    assert_non_null(strstr(t, ", /nonexistent)\n"));
    free(t);
}

static void test_imports_search_the_include_path(void **state)
{
    (void)state;
    char inc[128];
    snprintf(inc, sizeof inc, "%s/inc", dir);
    mkdir(inc, 0700);
    put("inc/lib.bkidl", "namespace lib;\nstruct T { int x; }\nerror Busy = 7 \"busy\";\n");
    put("u.bkidl", "namespace u;\nimport \"lib.bkidl\";\nstruct U { lib.T t; T u; }\n"
                   "service u.s { method m() throws Busy; }\n");
    int n;
    char *t = load_dir_file("u.bkidl", inc, &n);
    assert_string_equal(t, "");
    assert_int_equal(n, 0);
    free(t);
}

/* ---- bad inputs ---- */

typedef struct bad_case {
    const char *name;
    const char *text;
    size_t len;            /* 0: strlen(text) */
    const char *want[6];   /* each "LINE:COL: error: ..." as printed after "t.bkidl:" */
} bad_case;

#define NS "namespace x;\n"

static const bad_case bad_cases[] = {
    /* lexical */
    {"invalid_utf8", NS "struct S { string a; } // caf\xe9\n", 0,
     {"2:30: error: invalid UTF-8 (byte 0xE9): .bkidl files are UTF-8"}},
    {"nul_byte", NS "struct S {\0}\n", sizeof(NS "struct S {\0}\n") - 1,
     {"2:11: error: NUL byte in the file"}},
    {"unexpected_character", NS "struct S { int a; } $\n", 0,
     {"2:21: error: unexpected character '$'"}},
    {"unterminated_string", NS "error E = 5 \"abc;\n", 0,
     {"2:13: error: unterminated string (strings end on the same line)",
      "2:18: error: expected ';', found end of file"}},
    {"bad_escape", NS "error E = 5 \"a\\qb\";\n", 0,
     {"2:15: error: invalid escape '\\q' in a string"}},
    {"unterminated_comment", NS "/* no end\nstruct S {}\n", 0,
     {"2:1: error: unterminated comment"}},
    /* syntax, with recovery; a missing ';' is told right after the token before it */
    {"missing_semicolon", NS "struct S {\n    int x\n    string y;\n}\n", 0,
     {"3:10: error: expected ';', found 'string'"}},
    {"missing_semicolon_lines_before", NS "service x.s {\n  method f() -> int\n\n\n"
                                          "  @public method g();\n}\n", 0,
     {"3:20: error: expected ';', found '@'"}},
    {"several_syntax_errors", NS "struct A {\n  int ;\n  string s;\n  list<> l;\n}\n"
                                 "strcut B { int q; }\n"
                                 "service x.s {\n  method f(int a, ) -> int;\n"
                                 "  method g() -> int;\n  method h(string) -> int;\n}\n",
     0,
     {"3:7: error: expected a name, found ';'", "5:8: error: expected a type, found '>'",
      "7:1: error: expected a declaration, found 'strcut'",
      "9:19: error: expected a type or 'optional', found ')'",
      "11:18: error: expected a name, found ')'"}},
    {"syntax_error_at_end", NS "service x.s {\n  method f(int a)\n", 0,
     {"3:18: error: service 'x.s' is not closed: expected ';', found end of file"}},
    {"brace_not_closed", NS "enum Level { LOW, HIGH\n", 0,
     {"3:1: error: enum 'Level' is not closed: expected '}', found end of file"}},
    {"empty_file", "", 0,
     {"1:1: error: missing 'namespace' declaration (it gives the C prefix of the file's names)"}},
    /* names and types */
    {"missing_namespace", "struct S { int a; }\n", 0,
     {"1:1: error: missing 'namespace' declaration (it gives the C prefix of the file's names)"}},
    {"unknown_type", NS "struct S { Foo f; }\n", 0, {"2:12: error: unknown type 'Foo'"}},
    {"error_used_as_type", NS "error E = 5 \"e\";\nstruct S { E e; }\n", 0,
     {"3:12: error: 'E' is an error, not a type"}},
    {"duplicate_type", NS "struct S { int a; }\nenum S { A }\n", 0,
     {"3:6: error: 'S' is already declared"}},
    {"duplicate_error", NS "error E = 5 \"e\";\nerror E = 6 \"f\";\n", 0,
     {"3:7: error: 'E' is already declared"}},
    {"duplicate_field", NS "struct S {\n  int a;\n  string a;\n}\n", 0,
     {"4:10: error: duplicate field 'a'"}},
    {"duplicate_param", NS "service x.s { method m(int a, int a); }\n", 0,
     {"2:35: error: duplicate parameter 'a'"}},
    {"duplicate_method", NS "service x.s {\n  method m();\n  notification m();\n}\n", 0,
     {"4:16: error: duplicate notification 'm' in service 'x.s'"}},
    {"duplicate_enum_member", NS "enum E { A, B, A }\n", 0,
     {"2:16: error: duplicate member 'A' in enum 'E'"}},
    {"duplicate_service", NS "service x.s {}\nservice x.s {}\n", 0,
     {"3:9: error: service 'x.s' is already declared"}},
    /* defaults */
    {"default_wrong_type", NS "struct S { int a = \"1\"; }\n", 0,
     {"2:20: error: wrong type for the default of field 'a': expected int, found a string"}},
    {"default_bool", NS "service x.s { method m(bool b = 1); }\n", 0,
     {"2:33: error: wrong type for the default of parameter 'b': expected bool, found an "
      "integer"}},
    {"default_not_enum_member", NS "enum L { LOW }\nstruct S { L l = HIGH; }\n", 0,
     {"3:18: error: 'HIGH' is not a member of enum 'L'"}},
    {"default_int_overflow", NS "struct S { int a = 9223372036854775808; }\n", 0,
     {"2:20: error: integer 9223372036854775808 is out of the 64-bit range"}},
    {"default_null_not_optional", NS "struct S { string a = null; }\n", 0,
     {"2:23: error: null is not a value of field 'a' (make it optional)"}},
    {"default_on_list", NS "struct S { list<int> a = 1; }\n", 0,
     {"2:26: error: a list cannot have a default (only null, when optional)"}},
    /* errors */
    {"error_code_jsonrpc", NS "error E = -32600 \"e\";\n", 0,
     {"2:11: error: error code -32600 is in the range reserved by JSON-RPC (-32768..-32000)"}},
    {"error_code_timeout", NS "error E = -31600 \"e\";\n", 0,
     {"2:11: error: error code -31600 is reserved by the Beekeeper protocol (request timeout)"}},
    {"error_code_unavailable", NS "error E = -31601 \"e\";\n", 0,
     {"2:11: error: error code -31601 is reserved by the Beekeeper protocol (method not "
      "available)"}},
    {"error_code_401", NS "error E = -401 \"e\";\n", 0,
     {"2:11: error: error code -401 is reserved by the Beekeeper protocol (not authenticated)"}},
    {"error_code_403", NS "error E = -403 \"e\";\n", 0,
     {"2:11: error: error code -403 is reserved by the Beekeeper protocol (not authorized)"}},
    {"error_code_range", NS "error E = 4294967296 \"e\";\n", 0,
     {"2:11: error: error code 4294967296 is out of range (codes are 32-bit integers)"}},
    {"error_code_duplicate", NS "error E = 5 \"e\";\nerror F = 5 \"f\";\n", 0,
     {"3:11: error: error code 5 is already used by 'E'"}},
    {"throws_undeclared", NS "service x.s { method m() throws Nope; }\n", 0,
     {"2:33: error: 'Nope' is not a declared error"}},
    {"throws_struct", NS "struct S { int a; }\nservice x.s { method m() throws S; }\n", 0,
     {"3:33: error: 'S' is a struct, not an error"}},
    /* recursion */
    {"struct_contains_itself", NS "struct N {\n  int v;\n  N next;\n}\n", 0,
     {"4:5: error: struct 'N' contains itself through N.next (make a field optional, or use a "
      "list)"}},
    {"structs_contain_each_other", NS "struct A { B b; }\nstruct B { C c; }\nstruct C { A a; }\n",
     0,
     {"4:14: error: struct 'A' contains itself through A.b -> B.c -> C.a (make a field optional, "
      "or use a list)"}},
    /* C names */
    {"c_keyword_field", NS "struct S { int default; }\n", 0,
     {"2:16: error: field name 'default' is a C keyword"}},
    {"c_keyword_param", NS "service x.s { method m(string char); }\n", 0,
     {"2:31: error: parameter name 'char' is a C keyword"}},
    /* (also: the clash is told once, not again for each name derived from it) */
    {"mangled_type_collision", NS "struct myApp { int a; }\nstruct my_app { int b; }\n", 0,
     {"3:8: error: struct 'my_app' gets the C name 'x_my_app', as struct 'myApp' does"}},
    {"mangled_field_collision", NS "struct S { int replyTo; int reply_to; }\n", 0,
     {"2:29: error: field 'reply_to' gets the C name 'reply_to', as 'replyTo' does"}},
    {"mangled_constant_collision", NS "enum E { A }\nerror E_A = 5 \"e\";\n", 0,
     {"3:7: error: error 'E_A' gets the C name 'X_E_A', as enum member 'E.A' does"}},
    {"derived_name_collision", NS "service x.s {\n  method get() -> int;\n  method get_reply();\n}\n", 0,
     {"4:10: error: method 'x.s.get_reply' gets the C name 'x_s_get_reply', as the '_reply' "
      "function of method 'x.s.get' does"}},
    {"struct_named_like_a_list_type", NS "struct M { int a; }\nstruct H { list<M> ms; }\nstruct MList { int b; }\n", 0,
     {"4:8: error: struct 'MList' gets the C name 'x_m_list', as the C type of list<M> does"}},
    {"struct_named_like_a_codec", NS "enum L { A }\nstruct LToString { int b; }\n", 0,
     {"3:8: error: struct 'LToString' gets the C name 'x_l_to_string', as the '_to_string' "
      "function of enum 'L' does"}},
    {"method_named_like_serve", NS "service x.s { method serve(); }\n", 0,
     {"2:22: error: method 'x.s.serve' gets the C name 'x_s_serve', as the '_serve' function "
      "of service 'x.s' does"}},
    {"method_named_like_a_keyword", NS "service x.s { method default(); }\n", 0,
     {"2:22: error: method name 'default' is a C keyword (the method's handler in x_s_handlers "
      "would be called so)"}},
    {"param_in_the_runtime_namespace", NS "service x.s { method m(int bk_count); }\n", 0,
     {"2:28: error: parameter name 'bk_count' is in the Beekeeper runtime's namespace (bk_), "
      "whose types the generated C names"}},
    {"param_named_json_t", NS "service x.s { method m(any json_t); }\n", 0,
     {"2:28: error: parameter name 'json_t' is a C type the generated prototypes name"}},
    {"param_named_like_a_type", NS "struct Msg { int a; }\nservice x.s { method m(int x_msg); }\n",
     0, {"3:28: error: parameter 'x_msg' gets the C name 'x_msg', as struct 'Msg' does"}},
    {"field_named_like_a_presence_flag", NS "struct S { optional int n; bool has_n; }\n", 0,
     {"2:33: error: field 'has_n' and the presence flag of optional field 'n' would both be "
      "called 'has_n' in C"}},
    {"struct_named_like_a_stub_struct", NS "struct SSendIn { int a; }\n"
                                           "service x.s { method send(int a); }\n", 0,
     {"3:22: error: the '_in' struct of method 'x.s.send' gets the C name 'x_s_send_in', as "
      "struct 'SSendIn' does"}},
    {"struct_named_like_a_runtime_list_codec", NS "struct BkStringList { int a; }\n"
                                                  "struct S { list<string> l; }\n", 0,
     {"3:12: error: the '_decode' function of list<string> gets the C name "
      "'x_bk_string_list_decode', as the '_decode' function of struct 'BkStringList' does",
      "3:12: error: the '_encode' function of list<string> gets the C name "
      "'x_bk_string_list_encode', as the '_encode' function of struct 'BkStringList' does"}},
    {"struct_named_like_a_nested_list_of_scalars", NS "struct IntListList { int a; }\n"
                                                      "struct S { list<list<int>> l; }\n", 0,
     {"3:12: error: the C type of list<list<int>> gets the C name 'x_int_list_list', as struct "
      "'IntListList' does"}},
    {"every_clash_is_told", NS "struct SAbIn { int a; }\nstruct SCdIn { int b; }\n"
                               "service x.s { method ab(int c); method cd(int o); }\n", 0,
     {"4:22: error: the '_in' struct of method 'x.s.ab' gets the C name 'x_s_ab_in', as struct "
      "'SAbIn' does",
      "4:40: error: the '_in' struct of method 'x.s.cd' gets the C name 'x_s_cd_in', as struct "
      "'SCdIn' does"}},
    {"double_underscore", NS "struct S { int a__b; }\n", 0,
     {"2:16: error: 'a__b' gives the C name 'a__b': '__' is reserved in C"}},
    /* services and methods */
    {"internal_service_name", NS "service _bkpr.x {}\n", 0,
     {"2:9: error: service name segment '_bkpr' begins with '_': such names are reserved for "
      "Beekeeper's internal services"}},
    {"internal_method_name", NS "service x.s { method _ping(); }\n", 0,
     {"2:22: error: method name segment '_ping' begins with '_': such names are reserved for "
      "Beekeeper's internal services"}},
    {"duplicate_annotation", NS "service x.s { @public @public method m(); }\n", 0,
     {"2:23: error: duplicate annotation '@public'"}},
    {"throws_twice", NS "error E = 5 \"e\";\nservice x.s { method m() throws E, E; }\n", 0,
     {"3:36: error: 'E' is already in the throws list"}},
    {"unknown_annotation", NS "service x.s { @cached method m(); }\n", 0,
     {"2:15: error: unknown annotation '@cached' (known: @timeout, @public, @idempotent)"}},
    {"timeout_without_value", NS "service x.s { @timeout method m(); }\n", 0,
     {"2:15: error: @timeout takes one integer: the timeout in milliseconds"}},
    {"timeout_on_oneway", NS "service x.s { @timeout(5) oneway method m(); }\n", 0,
     {"2:15: error: @timeout does not apply to a oneway method: no response is awaited"}},
    {"oneway_with_result", NS "service x.s { oneway method m() -> int; }\n", 0,
     {"2:36: error: a oneway method has no result: nobody receives it"}},
};

static void test_bad_input(void **state)
{
    const bad_case *c = *state;
    bkp_idl_program *p = bkp_idl_program_new();
    bkp_idl_load_text(p, "t.bkidl", c->text, c->len ? c->len : strlen(c->text));
    int n = bkp_idl_check(p);
    char *t = diag_text(p);
    int want = 0;
    bool ok = true;
    for (; want < 6 && c->want[want]; want++) {
        char line[512];
        snprintf(line, sizeof line, "t.bkidl:%s\n", c->want[want]);
        if (!strstr(t, line)) {
            print_error("missing: %s", line);
            ok = false;
        }
    }
    if (n != want) {
        print_error("%d errors, %d expected\n", n, want);
        ok = false;
    }
    if (!ok)
        print_error("got:\n%s", t);
    free(t);
    bkp_idl_program_free(p);
    assert_true(ok);
}

int main(void)
{
    const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_example_parses_into_the_model),
        cmocka_unit_test(test_model_is_deterministic),
        cmocka_unit_test(test_keywords_work_as_names_and_docs_attach),
        cmocka_unit_test(test_snake_case_mangling),
        cmocka_unit_test(test_diagnostics_show_line_and_caret),
        cmocka_unit_test(test_errors_are_sorted_and_capped),
        cmocka_unit_test(test_circular_import_shows_the_cycle),
        cmocka_unit_test(test_missing_import_is_reported_at_the_import),
        cmocka_unit_test(test_imports_search_the_include_path),
    };
    enum { NFIXED = sizeof fixed / sizeof fixed[0], NBAD = sizeof bad_cases / sizeof bad_cases[0] };
    /* One group, so that the runner's count is the whole count. */
    struct CMUnitTest all[NFIXED + NBAD];
    memcpy(all, fixed, sizeof fixed);
    for (size_t i = 0; i < NBAD; i++)
        all[NFIXED + i] = (struct CMUnitTest){.name = bad_cases[i].name,
                                              .test_func = test_bad_input,
                                              .initial_state = (void *)&bad_cases[i]};
    if (imports_setup(NULL) != 0)
        return 1;
    int failed = _cmocka_run_group_tests("idl", all, NFIXED + NBAD, NULL, NULL);
    imports_teardown(NULL);
    return failed ? 1 : 0;
}
