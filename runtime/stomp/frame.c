/* STOMP frame codec: see frame.h for the wire rules.
 *
 * The parser works in two phases per frame. Phase HEAD looks for the blank line that ends
 * the header section (never past max_header_bytes), copies the section into the parser's
 * buffer and parses it in place. Phase BODY waits for content-length + 1 bytes, or for the
 * NUL that ends a body without content-length (never past max_frame), and copies the body
 * behind the headers. Search positions are remembered between calls, so input arriving
 * byte by byte costs linear time. Headers are kept as offsets into the buffer while it may
 * still grow, and turned into pointers when the frame is handed out. */
#include "stomp/frame.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "beekeeper/error.h"

/* A buffer larger than this is released once its frame has been handed out, so that one
 * big frame does not pin memory on an idle connection. */
#define KEEP_BUF_BYTES 4096
#define KEEP_HEADERS 16

enum { PHASE_HEAD, PHASE_BODY };

typedef struct hoff {
    uint32_t name, name_len, value, value_len;
} hoff;

struct bkp_parser {
    bkp_limits lim;
    int unescape;
    int phase;
    int failed;
    size_t scan;        /* HEAD: bytes already searched for the blank line;
                         * BODY without length: body bytes already searched for the NUL */
    size_t head_len;    /* bytes of the header section in buf */
    size_t body_len;
    int has_length;
    bkp_cmd cmd;
    char *buf;
    size_t cap;
    hoff *offs;
    bkp_header *hdrs;
    size_t nhdrs, hcap;
    uint64_t heartbeats;
    char err[128];
};

static const char *const cmd_names[] = {
    [BKP_CMD_UNKNOWN] = "UNKNOWN",     [BKP_CMD_CONNECT] = "CONNECT",
    [BKP_CMD_STOMP] = "STOMP",         [BKP_CMD_CONNECTED] = "CONNECTED",
    [BKP_CMD_SEND] = "SEND",           [BKP_CMD_SUBSCRIBE] = "SUBSCRIBE",
    [BKP_CMD_UNSUBSCRIBE] = "UNSUBSCRIBE", [BKP_CMD_ACK] = "ACK",
    [BKP_CMD_NACK] = "NACK",           [BKP_CMD_BEGIN] = "BEGIN",
    [BKP_CMD_COMMIT] = "COMMIT",       [BKP_CMD_ABORT] = "ABORT",
    [BKP_CMD_DISCONNECT] = "DISCONNECT", [BKP_CMD_MESSAGE] = "MESSAGE",
    [BKP_CMD_RECEIPT] = "RECEIPT",     [BKP_CMD_ERROR] = "ERROR",
};

const char *bkp_cmd_name(bkp_cmd cmd)
{
    if ((unsigned)cmd >= sizeof cmd_names / sizeof cmd_names[0])
        return "UNKNOWN";
    return cmd_names[cmd];
}

static bkp_cmd cmd_lookup(const char *s, size_t n)
{
    for (size_t i = 1; i < sizeof cmd_names / sizeof cmd_names[0]; i++)
        if (strlen(cmd_names[i]) == n && memcmp(cmd_names[i], s, n) == 0)
            return (bkp_cmd)i;
    return BKP_CMD_UNKNOWN;
}

const char *bkp_frame_get(const bkp_frame *f, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < f->nheaders; i++)
        if (f->headers[i].name_len == n && memcmp(f->headers[i].name, name, n) == 0)
            return f->headers[i].value;
    return NULL;
}

int bkp_parser_new(bkp_parser **out, const bkp_limits *lim)
{
    bkp_parser *p = calloc(1, sizeof *p);
    if (!p)
        return BK_ENOMEM;
    p->lim.max_frame = lim && lim->max_frame ? lim->max_frame : BKP_DEFAULT_MAX_FRAME;
    p->lim.max_headers = lim && lim->max_headers ? lim->max_headers : BKP_DEFAULT_MAX_HEADERS;
    p->lim.max_header_bytes =
        lim && lim->max_header_bytes ? lim->max_header_bytes : BKP_DEFAULT_MAX_HEADER_BYTES;
    p->unescape = 1;
    *out = p;
    return 0;
}

void bkp_parser_free(bkp_parser *p)
{
    if (!p)
        return;
    free(p->buf);
    free(p->offs);
    free(p->hdrs);
    free(p);
}

void bkp_parser_set_unescape(bkp_parser *p, int on) { p->unescape = on != 0; }
const char *bkp_parser_error(const bkp_parser *p) { return p->err; }
uint64_t bkp_parser_heartbeats(const bkp_parser *p) { return p->heartbeats; }

void bkp_parser_trim(bkp_parser *p)
{
    if (p->phase != PHASE_HEAD || p->scan != 0)
        return;
    free(p->buf);
    free(p->offs);
    free(p->hdrs);
    p->buf = NULL;
    p->offs = NULL;
    p->hdrs = NULL;
    p->cap = p->hcap = 0;
}

__attribute__((format(printf, 3, 4)))
static int fail(bkp_parser *p, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, sizeof p->err, fmt, ap);
    va_end(ap);
    p->failed = err;
    return err;
}

static int reserve(bkp_parser *p, size_t need)
{
    if (need <= p->cap)
        return 0;
    size_t cap = p->cap ? p->cap : 256;
    while (cap < need)
        cap *= 2;
    char *b = realloc(p->buf, cap);
    if (!b)
        return BK_ENOMEM;
    p->buf = b;
    p->cap = cap;
    return 0;
}

/* Unescapes s[0..n) in place; returns the new length. Undefined escapes stay as written. */
static size_t unescape(char *s, size_t n)
{
    size_t r = 0, w = 0;
    while (r < n) {
        char c = s[r++];
        if (c == '\\' && r < n) {
            switch (s[r]) {
            case 'n': c = '\n'; r++; break;
            case 'r': c = '\r'; r++; break;
            case 'c': c = ':'; r++; break;
            case '\\': c = '\\'; r++; break;
            default: break;
            }
        }
        s[w++] = c;
    }
    return w;
}

static void printable(char *dst, size_t cap, const char *s, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < cap; i++)
        dst[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    dst[j] = '\0';
}

/* Parses the header section now in buf[0..head_len). */
static int parse_head(bkp_parser *p)
{
    char *s = p->buf, *end = p->buf + p->head_len;
    char *nl = memchr(s, '\n', (size_t)(end - s));
    size_t n = (size_t)(nl - s);
    if (n && s[n - 1] == '\r')
        n--;
    p->cmd = cmd_lookup(s, n);
    if (p->cmd == BKP_CMD_UNKNOWN) {
        char shown[40];
        printable(shown, sizeof shown, s, n < 32 ? n : 32);
        return fail(p, BK_EPROTO, "unknown command '%s%s'", shown, n > 32 ? "..." : "");
    }
    int esc = p->unescape && p->cmd != BKP_CMD_CONNECT && p->cmd != BKP_CMD_CONNECTED;
    p->nhdrs = 0;
    p->has_length = 0;
    for (s = nl + 1; s < end;) {
        nl = memchr(s, '\n', (size_t)(end - s));
        size_t len = (size_t)(nl - s);
        if (len && s[len - 1] == '\r')
            len--;
        if (len == 0)
            break; /* the blank line */
        if (p->nhdrs == p->lim.max_headers)
            return fail(p, BK_ELIMIT, "more than %zu headers", p->lim.max_headers);
        char *colon = memchr(s, ':', len);
        if (!colon)
            return fail(p, BK_EPROTO, "header line %zu without ':'", p->nhdrs + 1);
        if (p->nhdrs == p->hcap) {
            size_t hcap = p->hcap ? p->hcap * 2 : KEEP_HEADERS;
            hoff *o = realloc(p->offs, hcap * sizeof *o);
            if (!o)
                return fail(p, BK_ENOMEM, "out of memory");
            p->offs = o;
            bkp_header *h = realloc(p->hdrs, hcap * sizeof *h);
            if (!h)
                return fail(p, BK_ENOMEM, "out of memory");
            p->hdrs = h;
            p->hcap = hcap;
        }
        size_t nlen = (size_t)(colon - s), vlen = len - nlen - 1;
        char *v = colon + 1;
        if (esc) {
            nlen = unescape(s, nlen);
            vlen = unescape(v, vlen);
        }
        s[nlen] = '\0';
        v[vlen] = '\0';
        hoff *o = &p->offs[p->nhdrs++];
        o->name = (uint32_t)(s - p->buf);
        o->name_len = (uint32_t)nlen;
        o->value = (uint32_t)(v - p->buf);
        o->value_len = (uint32_t)vlen;
        if (!p->has_length && nlen == 14 && memcmp(s, "content-length", 14) == 0) {
            uint64_t cl = 0;
            if (vlen == 0 || vlen > 19)
                return fail(p, BK_EPROTO, "invalid content-length '%.20s'", v);
            for (size_t i = 0; i < vlen; i++) {
                if (v[i] < '0' || v[i] > '9')
                    return fail(p, BK_EPROTO, "invalid content-length '%.20s'", v);
                cl = cl * 10 + (uint64_t)(v[i] - '0');
            }
            if (cl > p->lim.max_frame || p->head_len + cl + 1 > p->lim.max_frame)
                return fail(p, BK_ELIMIT, "frame of %" PRIu64 " body bytes exceeds the limit of %zu bytes",
                            cl, p->lim.max_frame);
            p->has_length = 1;
            p->body_len = (size_t)cl;
        }
        s = nl + 1;
    }
    return 0;
}

/* Skips heart-beat EOLs. Returns 0 when the buffer now starts a frame (or is empty),
 * 1 when a lone CR waits for its LF, or an error. */
static int skip_eols(bkp_parser *p, struct evbuffer *in)
{
    for (;;) {
        size_t len = evbuffer_get_length(in);
        if (len == 0)
            return 0;
        unsigned char *d = evbuffer_pullup(in, len < 2 ? (ev_ssize_t)len : 2);
        if (d[0] == '\n') {
            evbuffer_drain(in, 1);
            p->heartbeats++;
        } else if (d[0] == '\r') {
            if (len < 2)
                return 1;
            if (d[1] != '\n')
                return fail(p, BK_EPROTO, "CR not followed by LF between frames");
            evbuffer_drain(in, 2);
            p->heartbeats++;
        } else {
            return 0;
        }
    }
}

static int find_head(bkp_parser *p, struct evbuffer *in)
{
    size_t len = evbuffer_get_length(in);
    size_t limit = p->lim.max_header_bytes + 2; /* the section plus its blank line */
    size_t n = len < limit ? len : limit;
    if (n == 0)
        return 0;
    const char *d = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
    if (!d)
        return fail(p, BK_ENOMEM, "out of memory");
    size_t i = p->scan > 2 ? p->scan - 2 : 0;
    for (; i < n; i++) {
        const char *q = memchr(d + i, '\n', n - i);
        if (!q)
            break;
        i = (size_t)(q - d);
        if (i + 1 < n && d[i + 1] == '\n') {
            p->head_len = i + 2;
            return 1;
        }
        if (i + 2 < n && d[i + 1] == '\r' && d[i + 2] == '\n') {
            p->head_len = i + 3;
            return 1;
        }
    }
    if (len >= limit)
        return fail(p, BK_ELIMIT, "header section exceeds the limit of %zu bytes", p->lim.max_header_bytes);
    p->scan = n;
    return 0;
}

static void emit(bkp_parser *p, bkp_frame *f)
{
    for (size_t i = 0; i < p->nhdrs; i++) {
        p->hdrs[i].name = p->buf + p->offs[i].name;
        p->hdrs[i].name_len = p->offs[i].name_len;
        p->hdrs[i].value = p->buf + p->offs[i].value;
        p->hdrs[i].value_len = p->offs[i].value_len;
    }
    f->cmd = p->cmd;
    f->nheaders = p->nhdrs;
    f->headers = p->nhdrs ? p->hdrs : NULL;
    f->body = p->buf + p->head_len;
    f->body_len = p->body_len;
    p->buf[p->head_len + p->body_len] = '\0';
    p->phase = PHASE_HEAD;
    p->scan = 0;
}

int bkp_parser_next(bkp_parser *p, struct evbuffer *in, bkp_frame *f)
{
    int rc;
    if (p->failed)
        return p->failed;
    /* The previous frame is gone: give back what a big one took. */
    if (p->phase == PHASE_HEAD && p->scan == 0) {
        if (p->cap > KEEP_BUF_BYTES) {
            free(p->buf);
            p->buf = NULL;
            p->cap = 0;
        }
        if (p->hcap > KEEP_HEADERS * 4) {
            free(p->offs);
            free(p->hdrs);
            p->offs = NULL;
            p->hdrs = NULL;
            p->hcap = 0;
        }
    }
    if (p->phase == PHASE_HEAD) {
        if (p->scan == 0 && (rc = skip_eols(p, in)) != 0)
            return rc < 0 ? rc : 0;
        if ((rc = find_head(p, in)) <= 0)
            return rc;
        if (reserve(p, p->head_len + 1) < 0)
            return fail(p, BK_ENOMEM, "out of memory");
        evbuffer_remove(in, p->buf, p->head_len);
        if ((rc = parse_head(p)) < 0)
            return rc;
        p->phase = PHASE_BODY;
        p->scan = 0;
        if (!p->has_length)
            p->body_len = 0;
    }

    size_t len = evbuffer_get_length(in);
    if (p->has_length) {
        if (len < p->body_len + 1)
            return 0;
    } else {
        size_t max_body = p->lim.max_frame > p->head_len ? p->lim.max_frame - p->head_len - 1 : 0;
        struct evbuffer_ptr pos;
        if (evbuffer_ptr_set(in, &pos, p->scan, EVBUFFER_PTR_SET) < 0)
            return 0;
        pos = evbuffer_search(in, "", 1, &pos);
        if (pos.pos < 0) {
            if (len > max_body)
                return fail(p, BK_ELIMIT, "frame exceeds the limit of %zu bytes", p->lim.max_frame);
            p->scan = len;
            return 0;
        }
        if ((size_t)pos.pos > max_body)
            return fail(p, BK_ELIMIT, "frame exceeds the limit of %zu bytes", p->lim.max_frame);
        p->body_len = (size_t)pos.pos;
    }
    if (reserve(p, p->head_len + p->body_len + 1) < 0)
        return fail(p, BK_ENOMEM, "out of memory");
    evbuffer_remove(in, p->buf + p->head_len, p->body_len);
    char nul = 1;
    evbuffer_remove(in, &nul, 1);
    if (nul != '\0')
        return fail(p, BK_EPROTO, "frame body of %zu bytes not followed by NUL", p->body_len);
    emit(p, f);
    return 1;
}

/* Encoder */

static int needs_escape(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\' || c == ':' || c == '\n' || c == '\r')
            return 1;
    }
    return 0;
}

static void add(bkp_enc *e, const void *d, size_t n)
{
    if (!e->err && evbuffer_add(e->out, d, n) < 0)
        e->err = BK_ENOMEM;
}

static void add_escaped(bkp_enc *e, const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep;
        switch (s[i]) {
        case '\\': rep = "\\\\"; break;
        case ':': rep = "\\c"; break;
        case '\n': rep = "\\n"; break;
        case '\r': rep = "\\r"; break;
        default: continue;
        }
        add(e, s + start, i - start);
        add(e, rep, 2);
        start = i + 1;
    }
    add(e, s + start, n - start);
}

void bkp_enc_begin(bkp_enc *e, struct evbuffer *out, bkp_cmd cmd, unsigned flags)
{
    e->out = out;
    e->flags = flags;
    e->err = 0;
    if (cmd == BKP_CMD_CONNECT || cmd == BKP_CMD_CONNECTED)
        e->flags |= BKP_ENC_RAW;
    const char *name = bkp_cmd_name(cmd);
    size_t n = strlen(name);
    char line[16];
    memcpy(line, name, n);
    line[n] = '\n';
    add(e, line, n + 1);
}

void bkp_enc_header_n(bkp_enc *e, const char *name, size_t name_len, const char *value,
                      size_t value_len)
{
    int raw = (e->flags & BKP_ENC_RAW) != 0;
    if (raw || (!needs_escape(name, name_len) && !needs_escape(value, value_len))) {
        char line[256];
        size_t n = name_len + value_len + 2;
        if (n <= sizeof line) {
            memcpy(line, name, name_len);
            line[name_len] = ':';
            memcpy(line + name_len + 1, value, value_len);
            line[n - 1] = '\n';
            add(e, line, n);
            return;
        }
        add(e, name, name_len);
        add(e, ":", 1);
        add(e, value, value_len);
        add(e, "\n", 1);
        return;
    }
    add_escaped(e, name, name_len);
    add(e, ":", 1);
    add_escaped(e, value, value_len);
    add(e, "\n", 1);
}

void bkp_enc_header(bkp_enc *e, const char *name, const char *value)
{
    bkp_enc_header_n(e, name, strlen(name), value, strlen(value));
}

void bkp_enc_header_u64(bkp_enc *e, const char *name, uint64_t value)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%" PRIu64, value);
    bkp_enc_header_n(e, name, strlen(name), num, (size_t)n);
}

int bkp_enc_end(bkp_enc *e, const void *body, size_t len)
{
    if (!(e->flags & BKP_ENC_NO_LENGTH))
        bkp_enc_header_u64(e, "content-length", len);
    add(e, "\n", 1);
    if (len)
        add(e, body, len);
    add(e, "", 1);
    return e->err;
}

static void free_body(const void *data, size_t len, void *arg)
{
    (void)len;
    (void)arg;
    free((void *)data);
}

/* A small body is copied all the same: a reference costs libevent a chain of its own, more
 * than copying a few hundred bytes into the chain the headers are in. */
#define ENC_COPY_BELOW 512

int bkp_enc_end_take(bkp_enc *e, void *body, size_t len)
{
    if (!(e->flags & BKP_ENC_NO_LENGTH))
        bkp_enc_header_u64(e, "content-length", len);
    add(e, "\n", 1);
    if (len >= ENC_COPY_BELOW && !e->err) {
        if (evbuffer_add_reference(e->out, body, len, free_body, NULL) == 0)
            body = NULL;
        else
            e->err = BK_ENOMEM;
    } else if (len) {
        add(e, body, len);
    }
    free(body);
    add(e, "", 1);
    return e->err;
}

int bkp_frame_write(struct evbuffer *out, bkp_cmd cmd, const bkp_header *h, size_t n,
                    const void *body, size_t len, unsigned flags)
{
    bkp_enc e;
    bkp_enc_begin(&e, out, cmd, flags);
    for (size_t i = 0; i < n; i++)
        bkp_enc_header_n(&e, h[i].name, h[i].name_len ? h[i].name_len : strlen(h[i].name),
                         h[i].value, h[i].value_len ? h[i].value_len : strlen(h[i].value));
    return bkp_enc_end(&e, body, len);
}
