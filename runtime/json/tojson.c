/* A jansson tree from a token subtree (beekeeper/json.h), for IDL `any` and the untyped API:
 * the values are built from the tokens, never from a second lexing of the text. Recursion is
 * bounded by the tokenizer's depth limit (at most BK_JSON_MAX_DEPTH). */
#include "beekeeper/json.h"

#include <jansson.h>

#include "beekeeper/error.h"

typedef struct build {
    bk_json_doc *d;
    unsigned flags;
    bk_json_error *err;
} build;

static int refuse(build *b, int code, const bk_json_tok *t, const char *msg)
{
    b->err->code = code;
    /* a string's offset is its opening quote */
    b->err->offset = t->start - (t->type == BK_JSON_STRING && t->start > 0);
    b->err->msg = msg;
    return code;
}

static int value(build *b, uint32_t i, json_t **out);

static int object(build *b, uint32_t i, json_t *o)
{
    const bk_json_tok *t = &b->d->tok[i];
    uint32_t k = i + 1;
    for (unsigned m = 0; m < t->count; m++) {
        const char *key;
        size_t len;
        json_t *v;
        bk_json_string(b->d, k, &key, &len);
        if ((b->flags & BK_JSON_NO_DUPLICATES) && json_object_getn(o, key, len))
            return refuse(b, BK_ESYNTAX, &b->d->tok[k], "duplicate object key");
        int rc = value(b, k + 1, &v);
        if (rc != 0)
            return rc;
        /* keys are valid UTF-8 without NUL: the tokenizer checked */
        if (json_object_setn_new_nocheck(o, key, len, v) != 0)
            return refuse(b, BK_ENOMEM, &b->d->tok[k], "out of memory");
        k = b->d->tok[k + 1].next;
    }
    return 0;
}

static int array(build *b, uint32_t i, json_t *a)
{
    const bk_json_tok *t = &b->d->tok[i];
    uint32_t k = i + 1;
    for (unsigned m = 0; m < t->count; m++) {
        json_t *v;
        int rc = value(b, k, &v);
        if (rc != 0)
            return rc;
        if (json_array_append_new(a, v) != 0)
            return refuse(b, BK_ENOMEM, &b->d->tok[k], "out of memory");
        k = b->d->tok[k].next;
    }
    return 0;
}

static int scalar(build *b, uint32_t i, json_t **out)
{
    const bk_json_tok *t = &b->d->tok[i];
    const char *s;
    size_t len;
    int rc = 0;
    switch (t->type) {
    case BK_JSON_STRING:
        if (bk_json_string(b->d, i, &s, &len) == 1 && (b->flags & BK_JSON_NO_NUL))
            return refuse(b, BK_ESYNTAX, t, "string holds a NUL byte");
        *out = json_stringn_nocheck(s, len);
        break;
    case BK_JSON_NUMBER:
        if (t->flags & BK_JSON_INTEGER) {
            int64_t v;
            if ((rc = bk_json_int64(b->d, i, &v)) == 0)
                *out = json_integer((json_int_t)v);
        } else {
            double v;
            if ((rc = bk_json_double(b->d, i, &v)) == 0)
                *out = json_real(v);
        }
        break;
    case BK_JSON_TRUE: *out = json_true(); break;
    case BK_JSON_FALSE: *out = json_false(); break;
    default: *out = json_null(); break;
    }
    if (rc != 0)
        return refuse(b, rc, t, rc == BK_ENOMEM ? "out of memory" : "number out of range");
    return *out ? 0 : refuse(b, BK_ENOMEM, t, "out of memory");
}

static int value(build *b, uint32_t i, json_t **out)
{
    const bk_json_tok *t = &b->d->tok[i];
    *out = NULL;
    if (t->type != BK_JSON_OBJECT && t->type != BK_JSON_ARRAY)
        return scalar(b, i, out);
    json_t *c = t->type == BK_JSON_OBJECT ? json_object() : json_array();
    if (!c)
        return refuse(b, BK_ENOMEM, t, "out of memory");
    int rc = t->type == BK_JSON_OBJECT ? object(b, i, c) : array(b, i, c);
    if (rc != 0) {
        json_decref(c);
        return rc;
    }
    *out = c;
    return 0;
}

int bk_json_to_jansson(bk_json_doc *d, uint32_t i, unsigned flags, json_t **out,
                       bk_json_error *err)
{
    bk_json_error spare;
    build b = {.d = d, .flags = flags, .err = err ? err : &spare};
    *b.err = (bk_json_error){.msg = ""};
    *out = NULL;
    if (!d || i >= d->ntok) {
        b.err->code = BK_EINVAL;
        b.err->msg = "invalid argument";
        return BK_EINVAL;
    }
    return value(&b, i, out);
}
