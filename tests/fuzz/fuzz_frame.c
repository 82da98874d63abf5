/* libFuzzer target: arbitrary bytes through the STOMP frame parser.
 * The first input byte sets the chunk size the rest is fed in, so that frames split at
 * every place get exercised. Every frame parsed is encoded again and must parse back to
 * the same command, headers and body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "stomp/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const bkp_frame *f)
{
    struct evbuffer *out = evbuffer_new();
    bkp_parser *p;
    bkp_frame g;
    if (!out || bkp_parser_new(&p, NULL) != 0)
        abort();
    /* Re-encode with our own content-length so NULs in the body survive. */
    bkp_enc e;
    bkp_enc_begin(&e, out, f->cmd, 0);
    for (size_t i = 0; i < f->nheaders; i++)
        if (strcmp(f->headers[i].name, "content-length") != 0)
            bkp_enc_header_n(&e, f->headers[i].name, f->headers[i].name_len,
                             f->headers[i].value, f->headers[i].value_len);
    if (bkp_enc_end(&e, f->body, f->body_len) != 0)
        abort();
    int rc = bkp_parser_next(p, out, &g);
    /* CONNECT/CONNECTED are not escaped, so a header holding a newline cannot round trip. */
    if (rc == 1) {
        if (g.cmd != f->cmd || g.body_len != f->body_len ||
            memcmp(g.body, f->body, f->body_len) != 0)
            abort();
    } else if (f->cmd != BKP_CMD_CONNECT && f->cmd != BKP_CMD_CONNECTED) {
        abort();
    }
    bkp_parser_free(p);
    evbuffer_free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t chunk = (size_t)data[0] + 1;
    data++;
    size--;
    bkp_limits lim = {.max_frame = 1 << 16, .max_headers = 32, .max_header_bytes = 4096};
    bkp_parser *p;
    struct evbuffer *in = evbuffer_new();
    if (!in || bkp_parser_new(&p, &lim) != 0)
        abort();
    for (size_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        evbuffer_add(in, data + off, n);
        bkp_frame f;
        int rc;
        while ((rc = bkp_parser_next(p, in, &f)) == 1)
            round_trip(&f);
        if (rc < 0)
            break;
        if (evbuffer_get_length(in) > (1 << 17))
            abort(); /* the parser must have refused this by now */
    }
    bkp_parser_free(p);
    evbuffer_free(in);
    return 0;
}
