/* JSON without a tree: a validating tokenizer, readers over its tokens, and a writer.
 *
 * For the typed path (bkpr-gen's encoders and decoders) and the RPC envelope, where a jansson
 * tree per body cost more than the transport. jansson stays for the untyped API and IDL `any`:
 * bk_json_to_jansson builds a json_t from a token subtree without lexing the text again.
 *
 * What bk_json_parse accepts (RFC 8259, strict) is what jansson 2.14's
 *   json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL)
 * accepts (tests/fuzz/fuzz_json.c checks it on every input), but for a jansson slip: it
 * drops a NUL byte right after a number or a literal ("[1\0]" reads as [1]); we refuse it.
 * The rules:
 * - one value of any kind, whitespace (space, tab, LF, CR) around it, nothing else;
 * - UTF-8 checked once, all of it: no overlong forms, no surrogates (U+D800-DFFF), nothing
 *   past U+10FFFF, no truncated sequence; no byte-order mark;
 * - strings: no raw control characters (U+0000-001F); escapes \" \\ \/ \b \f \n \r \t \uXXXX;
 *   a \u high surrogate must be followed by a \u low one, and a low one needs a high one;
 *   \u0000 is allowed in a value (its token says so: BK_JSON_NUL) but not in a key;
 * - numbers by the grammar -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? (no '+', no leading
 *   zero, no NaN); an integer (no fraction, no exponent) must fit int64_t and any other number
 *   must stay finite as a double (jansson's "too big integer", "real number overflow");
 *   underflow gives 0;
 * - duplicate keys are not refused here (that takes a hash per object): the decoders refuse
 *   them (a generated struct decoder sees a field twice; a map decoder asks bk_json_dup_key;
 *   bk_json_to_jansson with BK_JSON_NO_DUPLICATES), as jansson's JSON_REJECT_DUPLICATES does.
 *
 * Limits (bk_json_limits, zero fields take the default):
 * - input, default 16 MiB like a STOMP frame, at most 4 GiB - 1 (offsets are 32 bits);
 * - tokens (values and keys), default 1M (16 MiB of tokens), at most 16M - 1 (counts are 24
 *   bits); jansson has no such limit, but its tree costs ~50 bytes a value where a token
 *   costs 16, so a caller that raises its frame size raises this with it;
 * - depth: a value inside N containers is at depth N + 1; default and at most 2048, jansson's
 *   JSON_PARSER_MAX_DEPTH, so that no nesting jansson accepts is refused. The tokenizer keeps
 *   no stack (an open container's `next` holds its parent until it closes): the limit is for
 *   recursive consumers (bk_json_to_jansson, generated decoders).
 *
 * Tokens are offsets into the caller's text, which is not copied. Reading a string writes into
 * the text (a NUL over its closing quote; escapes decoded in place, never longer), so the text
 * must be writable and the reader's own, e.g. the request's copy of a body; a container's span
 * shows the original text only until a string inside it is read.
 *
 * The writer (bk_jw) appends compact JSON to a growable buffer that it can hand over without a
 * copy (bk_jw_take). Its first failure is sticky: later calls do nothing and bk_jw_finish or
 * bk_jw_take reports it, so an encoder checks once at the end.
 *
 * Not thread-safe: a doc and a writer belong to one thread. Nothing here prints. */
#ifndef BEEKEEPER_JSON_H
#define BEEKEEPER_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "beekeeper/arena.h"
#include "beekeeper/export.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_t;

#define BK_JSON_DEFAULT_MAX_BYTES ((size_t)16 << 20)
#define BK_JSON_DEFAULT_MAX_TOKENS ((uint32_t)1 << 20)
#define BK_JSON_MAX_TOKENS (((uint32_t)1 << 24) - 1)
#define BK_JSON_MAX_DEPTH 2048

typedef struct bk_json_limits {
    size_t max_bytes;    /* input length */
    uint32_t max_tokens; /* values and keys */
    uint32_t max_depth;  /* at most BK_JSON_MAX_DEPTH */
} bk_json_limits;

typedef enum bk_json_type {
    BK_JSON_OBJECT = 1,
    BK_JSON_ARRAY,
    BK_JSON_STRING,
    BK_JSON_NUMBER,
    BK_JSON_TRUE,
    BK_JSON_FALSE,
    BK_JSON_NULL,
} bk_json_type;

/* bk_json_tok.flags */
enum {
    BK_JSON_ESCAPED = 1 << 0, /* string: holds escapes (cleared once a reader decoded them) */
    BK_JSON_NUL = 1 << 1,     /* string: holds U+0000, so a C string would end early */
    BK_JSON_INTEGER = 1 << 2, /* number: no fraction, no exponent; fits int64_t */
};

/* One value, or one object key. The tokens of a value's subtree follow it: a container's
 * first child is at i + 1, a child's next sibling at tok[child].next; an object's children
 * are its members' key and value tokens in turn (key k, value k + 1). */
typedef struct bk_json_tok {
    uint32_t start;       /* offset of the first byte; a string's first byte after the quote */
    uint32_t len;         /* a string's bytes between its quotes (once read, decoded),
                           * a container's from bracket to bracket, a literal's or number's */
    uint32_t next;        /* index of the token after this value's subtree */
    unsigned type : 3;    /* bk_json_type */
    unsigned flags : 5;   /* BK_JSON_ESCAPED, BK_JSON_NUL, BK_JSON_INTEGER */
    unsigned count : 24;  /* an object's members, an array's items; 0 for the rest */
} bk_json_tok;

/* A tokenized text. tok[0] is the top value. */
typedef struct bk_json_doc {
    char *text;        /* the caller's, borrowed; read and written by the readers */
    size_t len;
    bk_json_tok *tok;  /* ntok tokens, in the arena given to bk_json_parse */
    uint32_t ntok;
} bk_json_doc;

/* Why a text was refused, fit for a -32700 answer: "invalid UTF-8 at byte 17". */
typedef struct bk_json_error {
    int code;          /* 0, BK_ESYNTAX, BK_ELIMIT, BK_ENOMEM or BK_EINVAL */
    size_t offset;     /* byte of the text where the problem is */
    const char *msg;   /* static: "invalid UTF-8", "expected ':' after an object key"; "" */
} bk_json_error;

/* Tokenizes text[0..len) (text may hold NUL bytes; it is not copied, see above). lim may be
 * NULL (defaults). Returns 0 with *doc filled, its tokens allocated in a (owned by it, freed
 * with it); or BK_ESYNTAX (refused), BK_ELIMIT (a limit), BK_ENOMEM, BK_EINVAL (a NULL a or
 * text), with *err (may be NULL) saying where and why, and *doc empty. */
BK_API int bk_json_parse(bk_json_doc *doc, bk_arena *a, char *text, size_t len,
                         const bk_json_limits *lim, bk_json_error *err);

/* The kind of token i as messages say it, the words of bk_json_kind (beekeeper/typed.h):
 * "object", "list", "string", "int", "double", "bool", "null"; a key is a "string". Static. */
BK_API const char *bk_json_tok_kind(const bk_json_doc *d, uint32_t i);

/* Readers. Each returns 0, or BK_EINVAL when token i is not of that kind (or i is out of
 * range): the caller then says "expected int, got <bk_json_tok_kind>". */

/* String or key i: *s points into the text (borrowed, valid as long as the text), decoded
 * and NUL-terminated; *len (may be NULL) is its length. Returns 1 instead of 0 when it holds
 * U+0000 (*s and *len are set: a C string would stop at the first NUL). Changes the text. */
BK_API int bk_json_string(bk_json_doc *d, uint32_t i, const char **s, size_t *len);
/* An integer number (BK_EINVAL for a fraction or an exponent: the caller sees "double"). */
BK_API int bk_json_int64(const bk_json_doc *d, uint32_t i, int64_t *out);
/* Any number, as strtod would read it (correctly rounded). BK_ENOMEM is possible for a
 * number of more than 64 digits. */
BK_API int bk_json_double(const bk_json_doc *d, uint32_t i, double *out);
BK_API int bk_json_bool(const bk_json_doc *d, uint32_t i, bool *out);

static inline bool bk_json_is_null(const bk_json_doc *d, uint32_t i)
{
    return i < d->ntok && d->tok[i].type == BK_JSON_NULL;
}

/* A field name with its length, for bk_json_key_find: BK_JSON_NAME("from"). */
typedef struct bk_json_name {
    const char *s;
    size_t len;
} bk_json_name;
#define BK_JSON_NAME(lit) { (lit), sizeof(lit) - 1 }

/* Whether key (or string) token i is name[0..n). Decodes its escapes first (so "\u0066rom"
 * is "from"), which changes the text; false for a token that is not a string. */
BK_API bool bk_json_key_eq(bk_json_doc *d, uint32_t i, const char *name, size_t n);
/* Which of names[0..n) key i is, or -1: a struct decoder walks the members once and
 * switches on the index. Lengths first, then bytes. */
BK_API int bk_json_key_find(bk_json_doc *d, uint32_t i, const bk_json_name *names, size_t n);

/* Whether object i repeats a key: *dup is the index of the first key equal to an earlier
 * one (decoded: "a" and "\u0061" are equal), 0 when all differ (no key is token 0). For
 * map decoders; a struct decoder sees a field twice by itself. Decodes the keys (changes the
 * text); more than 8 members take a table in a (freed with it). 0, BK_EINVAL (not an
 * object) or BK_ENOMEM. */
BK_API int bk_json_dup_key(bk_json_doc *d, uint32_t i, bk_arena *a, uint32_t *dup);

/* bk_json_to_jansson flags: refuse what jansson refused without the matching flags. */
enum {
    BK_JSON_NO_DUPLICATES = 1 << 0, /* a key twice in an object (JSON_REJECT_DUPLICATES) */
    BK_JSON_NO_NUL = 1 << 1,        /* U+0000 in a string (jansson without JSON_ALLOW_NUL) */
};

/* The value of token i as a jansson tree (new reference in *out), built from the tokens
 * without a second lexing; decodes strings in place as bk_json_string does. Returns 0,
 * BK_ESYNTAX (refused by flags, *err saying where), BK_ENOMEM or BK_EINVAL. */
BK_API int bk_json_to_jansson(bk_json_doc *d, uint32_t i, unsigned flags, struct json_t **out,
                              bk_json_error *err);

/* The writer. Lives where the caller puts it (a stack struct): the fields are its own. */
typedef struct bk_jw {
    char *buf;
    size_t len, cap;
    int err;                /* the first failure: BK_ENOMEM, BK_EINVAL, BK_ELIMIT */
    uint32_t depth;
    unsigned char owned;    /* buf is the writer's (malloc), not the caller's */
    unsigned char comma;    /* the current container holds an item: the next needs a ',' */
    unsigned char key;      /* a key was written: its value comes next */
    unsigned char done;     /* the top value is complete */
    uint64_t obj[BK_JSON_MAX_DEPTH / 64]; /* bit d-1: the container at depth d is an object */
} bk_jw;

/* Starts an empty writer. buf (cap bytes) may be NULL; when given, the caller's memory is
 * written first and never freed or grown: once full, the writer moves to its own. */
BK_API void bk_jw_init(bk_jw *w, char *buf, size_t cap);
/* Empties the writer for another value, keeping its buffer and clearing the error. */
BK_API void bk_jw_reset(bk_jw *w);
/* Releases the writer's own buffer (not the caller's). The writer is then as after
 * bk_jw_init(w, NULL, 0). */
BK_API void bk_jw_free(bk_jw *w);

/* The output: 0 with *data (borrowed: valid until the next call on w; NUL-terminated, the
 * NUL not counted in *len); or the sticky error, or BK_EINVAL when the value is incomplete
 * (a container left open, nothing written). */
BK_API int bk_jw_finish(bk_jw *w, const char **data, size_t *len);
/* Like bk_jw_finish, but hands the bytes over: *data is new, freed with free() (copied only
 * when they were still in the caller's buffer); the writer is then empty, as after
 * bk_jw_init(w, NULL, 0). A STOMP body takes them without a copy through
 * evbuffer_add_reference with a cleanup that frees them. On failure the writer keeps its
 * buffer (bk_jw_free). */
BK_API int bk_jw_take(bk_jw *w, char **data, size_t *len);

/* Values. Inside an object each value follows a key. Misuse (a key outside an object, a value
 * without its key, an end that does not match, a second top value) is BK_EINVAL; deeper than
 * BK_JSON_MAX_DEPTH is BK_ELIMIT. */
BK_API void bk_jw_begin_object(bk_jw *w);
BK_API void bk_jw_end_object(bk_jw *w);
BK_API void bk_jw_begin_array(bk_jw *w);
BK_API void bk_jw_end_array(bk_jw *w);
/* A key (NUL-terminated / n bytes): escaped and checked as a string. */
BK_API void bk_jw_key(bk_jw *w, const char *k);
BK_API void bk_jw_keyn(bk_jw *w, const char *k, size_t n);
/* A string: its UTF-8 checked (BK_EINVAL when invalid, or when s is NULL), '"', '\\' and the
 * control characters escaped, the rest copied as it is. stringn takes NUL bytes (\u0000). */
BK_API void bk_jw_string(bk_jw *w, const char *s);
BK_API void bk_jw_stringn(bk_jw *w, const char *s, size_t n);
BK_API void bk_jw_int(bk_jw *w, int64_t v);
/* The shortest decimal that reads back as v (always with '.' or an exponent, so that it
 * reads back as a double); NaN and infinities are BK_EINVAL. */
BK_API void bk_jw_double(bk_jw *w, double v);
BK_API void bk_jw_bool(bk_jw *w, bool v);
BK_API void bk_jw_null(bk_jw *w);
/* An already encoded value, copied as it is (not checked: it must be one valid value). */
BK_API void bk_jw_raw(bk_jw *w, const char *json, size_t n);
/* IDL bytes: a string of standard base64 with padding. data may be NULL when n is 0. */
BK_API void bk_jw_base64(bk_jw *w, const void *data, size_t n);
/* A jansson value (borrowed), dumped compact straight into the buffer; NULL writes null. */
BK_API void bk_jw_jansson(bk_jw *w, const struct json_t *j);

#ifdef __cplusplus
}
#endif
#endif
