#include "rpc/jsonrpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beekeeper/rpc.h"

const char *bk_rpc_code_message(int code)
{
    switch (code) {
    case BK_RPC_PARSE_ERROR: return "Parse error";
    case BK_RPC_INVALID_REQUEST: return "Invalid request";
    case BK_RPC_METHOD_NOT_FOUND: return "Method not found";
    case BK_RPC_INVALID_PARAMS: return "Invalid params";
    case BK_RPC_INTERNAL_ERROR: return "Internal error";
    case BK_RPC_SERVER_ERROR: return "Server error";
    case BK_RPC_TIMEOUT: return "Request timeout";
    case BK_RPC_NOT_AVAILABLE: return "Method not available";
    case BK_RPC_NOT_AUTHENTICATED: return "Not authenticated";
    case BK_RPC_NOT_AUTHORIZED: return "Not authorized";
    default: return "Error";
    }
}

static int seg_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

const char *bkp_method_problem(const char *method, int allow_star, size_t *svc_len)
{
    if (!method || !*method)
        return "the name is empty";
    size_t seglen = 0, nseg = 1, last_dot = 0, i;
    for (i = 0; method[i]; i++) {
        char c = method[i];
        if (i > 255)
            return "the name is longer than 256 bytes";
        if (c == '.') {
            if (seglen == 0)
                return "a segment is empty (two dots in a row, or a dot first)";
            nseg++;
            last_dot = i;
            seglen = 0;
        } else if (seg_char(c)) {
            seglen++;
        } else if (c == '*' && allow_star && seglen == 0 && method[i + 1] == 0 && nseg > 1) {
            seglen++;
        } else {
            return "segments hold only letters, digits, '_' and '-'";
        }
    }
    if (seglen == 0)
        return "the name ends with a dot";
    if (nseg < 2)
        return "it has no service part (a method is SERVICE.METHOD, e.g. myapp.calc.add)";
    if (svc_len)
        *svc_len = last_dot;
    return NULL;
}

int bkp_method_valid(const char *method, int allow_star, size_t *svc_len)
{
    return bkp_method_problem(method, allow_star, svc_len) == NULL;
}

static int fail(bkp_rpc_msg *m, int code, char *why, size_t whylen, const char *reason)
{
    if (why && whylen)
        snprintf(why, whylen, "%s", reason);
    m->kind = 0;
    m->method = NULL;
    m->params = m->result = m->data = BKP_RPC_NONE;
    m->message = NULL;
    m->code = 0;
    m->id_str = m->id.type == BK_JSON_STRING ? m->id.s : NULL;
    return code;
}

/* "line 1 column 12: unexpected end of input", as jansson's messages began. */
static int parse_fail(bkp_rpc_msg *m, const char *text, const bk_json_error *e, char *why,
                      size_t whylen)
{
    char buf[200];
    size_t line = 1, col = 1;
    for (size_t i = 0; i < e->offset; i++) {
        if (text[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    snprintf(buf, sizeof buf, "line %zu column %zu: %s", line, col, e->msg);
    return fail(m, BK_RPC_PARSE_ERROR, why, whylen, buf);
}

/* A string member of the envelope: decoded, refused when it holds U+0000 (jansson did). */
static int env_string(bkp_rpc_msg *m, uint32_t v, const char **s, size_t *len)
{
    return bk_json_string(&m->doc, v, s, len) == 0 ? 0 : -1;
}

enum { K_JSONRPC, K_ID, K_METHOD, K_PARAMS, K_RESULT, K_ERROR, K_COUNT };

int bkp_rpc_decode(bkp_rpc_msg *m, bk_arena *a, char *body, size_t len, char *why,
                   size_t whylen)
{
    static const bk_json_name keys[K_COUNT] = {
        BK_JSON_NAME("jsonrpc"), BK_JSON_NAME("id"), BK_JSON_NAME("method"),
        BK_JSON_NAME("params"), BK_JSON_NAME("result"), BK_JSON_NAME("error"),
    };
    uint32_t at[K_COUNT] = {0}, dup;
    bk_json_error je;
    memset(m, 0, sizeof *m);
    fail(m, 0, why, whylen, "");
    if (!body || len == 0)
        return fail(m, BK_RPC_PARSE_ERROR, why, whylen, "empty body");
    if (len > BKP_RPC_MAX_BODY)
        return fail(m, BK_RPC_PARSE_ERROR, why, whylen, "body too large");
    /* jansson had no token limit: allow the most the tokenizer can count (a body that holds
     * more values than that is refused, -32700 "too many values") */
    bk_json_limits lim = { .max_bytes = BKP_RPC_MAX_BODY, .max_tokens = BK_JSON_MAX_TOKENS };
    int rc = bk_json_parse(&m->doc, a, body, len, &lim, &je);
    if (rc == BK_ENOMEM)
        return fail(m, BK_RPC_PARSE_ERROR, why, whylen, "out of memory");
    if (rc != 0)
        return parse_fail(m, body, &je, why, whylen);
    bk_json_doc *d = &m->doc;
    if (d->tok[0].type != BK_JSON_OBJECT)
        return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "not a JSON object (no batches)");
    if (bk_json_dup_key(d, 0, a, &dup) != 0)
        return fail(m, BK_RPC_PARSE_ERROR, why, whylen, "out of memory");
    if (dup) {
        const char *k = "";
        bk_json_string(d, dup, &k, NULL);
        char buf[200];
        snprintf(buf, sizeof buf, "duplicate object key '%.100s'", k);
        return fail(m, BK_RPC_PARSE_ERROR, why, whylen, buf);
    }
    uint32_t k = 1;
    for (uint32_t i = 0; i < d->tok[0].count; i++, k = d->tok[k + 1].next) {
        int f = bk_json_key_find(d, k, keys, K_COUNT);
        if (f >= 0)
            at[f] = k + 1;
    }
    /* the id first, so that an invalid request can still be answered */
    uint32_t v = at[K_ID];
    if (v && d->tok[v].type == BK_JSON_STRING) {
        if (env_string(m, v, &m->id.s, &m->id.len) != 0)
            return fail(m, BK_RPC_PARSE_ERROR, why, whylen, "id: a string holding \\u0000");
        m->id.type = BK_JSON_STRING;
    } else if (v && bk_json_int64(d, v, &m->id.i) == 0) {
        m->id.type = BK_JSON_NUMBER;
    } else if (v && d->tok[v].type == BK_JSON_NULL) {
        m->id.type = BK_JSON_NULL; /* only valid on error responses */
    } else if (v) {
        return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "id: expected a string");
    }
    const char *s;
    size_t n;
    v = at[K_JSONRPC];
    if (!v || d->tok[v].type != BK_JSON_STRING || env_string(m, v, &s, &n) != 0 || n != 3 ||
        memcmp(s, "2.0", 3) != 0)
        return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "jsonrpc: expected \"2.0\"");
    uint32_t meth = at[K_METHOD], res = at[K_RESULT], err = at[K_ERROR];
    if (meth) {
        if (res || err)
            return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "both method and result/error");
        if (d->tok[meth].type != BK_JSON_STRING)
            return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "method: expected a string");
        if (env_string(m, meth, &s, &n) != 0)
            return fail(m, BK_RPC_PARSE_ERROR, why, whylen, "method: a string holding \\u0000");
        if (!bkp_method_valid(s, 0, NULL))
            return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "method: expected {service}.{method} of [A-Za-z0-9_-] segments");
        if (m->id.type == BK_JSON_NULL)
            return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "id: null on a request");
        m->method = s;
        m->params = at[K_PARAMS] ? at[K_PARAMS] : BKP_RPC_NONE;
        m->kind = m->id.type ? BKP_RPC_REQUEST : BKP_RPC_NOTIFY;
    } else if (res && err) {
        return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "both result and error");
    } else if (res) {
        if (!m->id.type || m->id.type == BK_JSON_NULL)
            return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "response without id");
        m->result = res;
        m->kind = BKP_RPC_RESULT;
    } else if (err) {
        static const bk_json_name ekeys[3] = {
            BK_JSON_NAME("code"), BK_JSON_NAME("message"), BK_JSON_NAME("data"),
        };
        uint32_t e[3] = {0};
        int64_t code;
        if (d->tok[err].type == BK_JSON_OBJECT) {
            if (bk_json_dup_key(d, err, a, &dup) != 0 || dup)
                return fail(m, BK_RPC_PARSE_ERROR, why, whylen, "error: duplicate object key");
            k = err + 1;
            for (uint32_t i = 0; i < d->tok[err].count; i++, k = d->tok[k + 1].next) {
                int f = bk_json_key_find(d, k, ekeys, 3);
                if (f >= 0)
                    e[f] = k + 1;
            }
        }
        if (!e[0] || bk_json_int64(d, e[0], &code) != 0)
            return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "error: expected an object with an integer code");
        if (code < -2147483647 || code > 2147483647)
            return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "error.code out of range");
        m->code = (int)code;
        m->message = bk_rpc_code_message(m->code);
        if (e[1] && d->tok[e[1]].type == BK_JSON_STRING && env_string(m, e[1], &s, NULL) != 0)
            return fail(m, BK_RPC_PARSE_ERROR, why, whylen,
                        "error.message: a string holding \\u0000");
        if (e[1] && d->tok[e[1]].type == BK_JSON_STRING)
            m->message = s;
        m->data = e[2] && d->tok[e[2]].type != BK_JSON_NULL ? e[2] : BKP_RPC_NONE;
        m->kind = BKP_RPC_ERROR;
    } else {
        return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "no method, result or error");
    }
    m->id_str = m->id.type == BK_JSON_STRING ? m->id.s : NULL;
    return 0;
}

int bkp_rpc_json(bkp_rpc_msg *m, uint32_t tok, json_t **out, char *why, size_t whylen)
{
    bk_json_error e;
    *out = NULL;
    if (tok == BKP_RPC_NONE) {
        *out = json_null();
        return 0;
    }
    int rc = bk_json_to_jansson(&m->doc, tok, BK_JSON_NO_DUPLICATES | BK_JSON_NO_NUL, out, &e);
    if (rc == BK_ESYNTAX) {
        bkp_rpc_msg spare = *m;
        return parse_fail(&spare, m->doc.text, &e, why, whylen);
    }
    return rc == 0 ? 0 : BK_ENOMEM;
}

/* ------------------------------------------------------------------ encoders */

static void write_id(bk_jw *w, const bkp_rpc_id *id)
{
    bk_jw_keyn(w, "id", 2);
    if (id && id->type == BK_JSON_STRING)
        bk_jw_stringn(w, id->s, id->len);
    else if (id && id->type == BK_JSON_NUMBER)
        bk_jw_int(w, id->i);
    else
        bk_jw_null(w);
}

static int take(bk_jw *w, char **body, size_t *len)
{
    int rc = bk_jw_take(w, body, len);
    if (rc != 0) {
        bk_jw_free(w);
        *body = NULL;
        *len = 0;
    }
    return rc;
}

void bkp_rpc_begin_request(bk_jw *w, const char *method)
{
    bk_jw_begin_object(w);
    bk_jw_keyn(w, "jsonrpc", 7);
    bk_jw_stringn(w, "2.0", 3);
    bk_jw_keyn(w, "method", 6);
    bk_jw_string(w, method);
    bk_jw_keyn(w, "params", 6);
}

int bkp_rpc_end_request(bk_jw *w, const char *id, char **body, size_t *len)
{
    if (id) {
        bk_jw_keyn(w, "id", 2);
        bk_jw_string(w, id);
    }
    bk_jw_end_object(w);
    return take(w, body, len);
}

void bkp_rpc_begin_result(bk_jw *w)
{
    bk_jw_begin_object(w);
    bk_jw_keyn(w, "jsonrpc", 7);
    bk_jw_stringn(w, "2.0", 3);
    bk_jw_keyn(w, "result", 6);
}

int bkp_rpc_end_result(bk_jw *w, const bkp_rpc_id *id, char **body, size_t *len)
{
    write_id(w, id);
    bk_jw_end_object(w);
    return take(w, body, len);
}

int bkp_rpc_error_body(const bkp_rpc_id *id, int code, const char *message, const json_t *data,
                       char **body, size_t *len)
{
    bk_jw w;
    bk_jw_init(&w, NULL, 0);
    bk_jw_begin_object(&w);
    bk_jw_keyn(&w, "jsonrpc", 7);
    bk_jw_stringn(&w, "2.0", 3);
    bk_jw_keyn(&w, "error", 5);
    bk_jw_begin_object(&w);
    bk_jw_keyn(&w, "code", 4);
    bk_jw_int(&w, code);
    bk_jw_keyn(&w, "message", 7);
    bk_jw_string(&w, message ? message : bk_rpc_code_message(code));
    bk_jw_keyn(&w, "data", 4);
    bk_jw_jansson(&w, data);
    bk_jw_end_object(&w);
    write_id(&w, id);
    bk_jw_end_object(&w);
    return take(&w, body, len);
}

int bkp_rpc_request_body(const char *method, const json_t *params, const char *id, char **body,
                         size_t *len)
{
    bk_jw w;
    bk_jw_init(&w, NULL, 0);
    bkp_rpc_begin_request(&w, method);
    bk_jw_jansson(&w, params);
    return bkp_rpc_end_request(&w, id, body, len);
}

int bkp_rpc_result_body(const bkp_rpc_id *id, const json_t *result, char **body, size_t *len)
{
    bk_jw w;
    bk_jw_init(&w, NULL, 0);
    bkp_rpc_begin_result(&w);
    bk_jw_jansson(&w, result);
    return bkp_rpc_end_result(&w, id, body, len);
}
