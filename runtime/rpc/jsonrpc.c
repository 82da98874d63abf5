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
    m->method = NULL;
    m->params = NULL;
    m->result = NULL;
    m->message = NULL;
    m->data = NULL;
    m->id_str = m->id && json_is_string(m->id) ? json_string_value(m->id) : NULL;
    return code;
}

int bkp_rpc_decode(const char *body, size_t len, bkp_rpc_msg *m, char *why, size_t whylen)
{
    memset(m, 0, sizeof *m);
    if (why && whylen)
        why[0] = 0;
    if (!body || len == 0)
        return fail(m, BK_RPC_PARSE_ERROR, why, whylen, "empty body");
    if (len > BKP_RPC_MAX_BODY)
        return fail(m, BK_RPC_PARSE_ERROR, why, whylen, "body too large");
    json_error_t je;
    m->root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!m->root) {
        char buf[200];
        snprintf(buf, sizeof buf, "line %d column %d: %s", je.line, je.column, je.text);
        return fail(m, BK_RPC_PARSE_ERROR, why, whylen, buf);
    }
    json_t *r = m->root;
    if (!json_is_object(r))
        return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "not a JSON object (no batches)");
    /* the id first, so that an invalid request can still be answered */
    json_t *id = json_object_get(r, "id");
    if (id && !json_is_null(id)) {
        if (json_is_string(id) || json_is_integer(id))
            m->id = id;
        else
            return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "id: expected a string");
    } else if (id) {
        m->id = id;     /* null: only valid on error responses */
    }
    json_t *v = json_object_get(r, "jsonrpc");
    if (!v || !json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0)
        return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "jsonrpc: expected \"2.0\"");
    json_t *meth = json_object_get(r, "method");
    json_t *res = json_object_get(r, "result");
    json_t *err = json_object_get(r, "error");
    if (meth) {
        if (res || err)
            return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "both method and result/error");
        if (!json_is_string(meth))
            return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "method: expected a string");
        const char *ms = json_string_value(meth);
        if (strlen(ms) != json_string_length(meth) || !bkp_method_valid(ms, 0, NULL))
            return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "method: expected {service}.{method} of [A-Za-z0-9_-] segments");
        if (m->id && json_is_null(m->id))
            return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "id: null on a request");
        m->method = ms;
        m->params = json_object_get(r, "params");
        if (!m->params)
            m->params = json_null();   /* static singleton: no reference to take */
        m->kind = m->id ? BKP_RPC_REQUEST : BKP_RPC_NOTIFY;
    } else if (res && err) {
        return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "both result and error");
    } else if (res) {
        if (!m->id || json_is_null(m->id))
            return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "response without id");
        m->result = res;
        m->kind = BKP_RPC_RESULT;
    } else if (err) {
        json_t *c = json_object_get(err, "code"), *msg = json_object_get(err, "message");
        if (!json_is_object(err) || !json_is_integer(c))
            return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "error: expected an object with an integer code");
        json_int_t code = json_integer_value(c);
        if (code < -2147483647 || code > 2147483647)
            return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "error.code out of range");
        m->code = (int)code;
        m->message = json_is_string(msg) ? json_string_value(msg) : bk_rpc_code_message(m->code);
        m->data = json_object_get(err, "data");
        if (m->data && json_is_null(m->data))
            m->data = NULL;
        m->kind = BKP_RPC_ERROR;
    } else {
        return fail(m, BK_RPC_INVALID_REQUEST, why, whylen, "no method, result or error");
    }
    m->id_str = m->id && json_is_string(m->id) ? json_string_value(m->id) : NULL;
    return 0;
}

void bkp_rpc_msg_clear(bkp_rpc_msg *m)
{
    if (!m)
        return;
    json_decref(m->root);
    memset(m, 0, sizeof *m);
}

static char *dump(json_t *o, size_t *len)
{
    if (!o)
        return NULL;
    char *s = json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(o);
    if (s && len)
        *len = strlen(s);
    return s;
}

/* json_object_set of a borrowed value; json_null() when v is NULL */
static int set(json_t *o, const char *k, json_t *v)
{
    return json_object_set(o, k, v ? v : json_null());
}

char *bkp_rpc_encode_request(const char *method, json_t *params, const char *id, size_t *len)
{
    json_t *o = json_object();
    if (!o || json_object_set_new(o, "jsonrpc", json_string("2.0")) ||
        json_object_set_new(o, "method", json_string(method)) || set(o, "params", params) ||
        (id && json_object_set_new(o, "id", json_string(id)))) {
        json_decref(o);
        return NULL;
    }
    return dump(o, len);
}

char *bkp_rpc_encode_result(json_t *id, json_t *result, size_t *len)
{
    json_t *o = json_object();
    if (!o || json_object_set_new(o, "jsonrpc", json_string("2.0")) ||
        set(o, "result", result) || set(o, "id", id)) {
        json_decref(o);
        return NULL;
    }
    return dump(o, len);
}

char *bkp_rpc_encode_error(json_t *id, int code, const char *message, json_t *data,
                           size_t *len)
{
    json_t *o = json_object(), *e = json_object();
    if (!o || !e || json_object_set_new(e, "code", json_integer(code)) ||
        json_object_set_new(e, "message",
                            json_string(message ? message : bk_rpc_code_message(code))) ||
        set(e, "data", data) || json_object_set_new(o, "jsonrpc", json_string("2.0")) ||
        json_object_set(o, "error", e) || set(o, "id", id)) {
        json_decref(o);
        json_decref(e);
        return NULL;
    }
    json_decref(e);
    return dump(o, len);
}
