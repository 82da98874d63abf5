/* STOMP 1.2 frames: an incremental parser over an evbuffer, and an encoder.
 *
 * Internal to libbeekeeper (bkp_ names): the connection, the broker, the tests and the
 * benchmarks use it. Single-threaded: a parser belongs to one connection.
 *
 * Wire rules (https://stomp.github.io/stomp-specification-1.2.html):
 * - a frame is COMMAND EOL, headers "name:value" EOL, EOL, body, NUL; EOL is LF or CR LF;
 * - heart-beat EOLs may stand between frames and are skipped;
 * - with content-length the body is exactly that many bytes (NULs allowed), then a NUL;
 *   without it the body ends at the first NUL;
 * - header names and values are escaped (\\ \n \r \c) except on CONNECT and CONNECTED.
 *   An undefined escape (from a 1.0 or Beekeeper 0.02 peer sending raw values) is kept as
 *   it stands rather than failing the connection;
 * - a repeated header: the first occurrence wins (bkp_frame_get returns it). */
#ifndef BKP_STOMP_FRAME_H
#define BKP_STOMP_FRAME_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

typedef enum bkp_cmd {
    BKP_CMD_UNKNOWN = 0,
    BKP_CMD_CONNECT,
    BKP_CMD_STOMP,
    BKP_CMD_CONNECTED,
    BKP_CMD_SEND,
    BKP_CMD_SUBSCRIBE,
    BKP_CMD_UNSUBSCRIBE,
    BKP_CMD_ACK,
    BKP_CMD_NACK,
    BKP_CMD_BEGIN,
    BKP_CMD_COMMIT,
    BKP_CMD_ABORT,
    BKP_CMD_DISCONNECT,
    BKP_CMD_MESSAGE,
    BKP_CMD_RECEIPT,
    BKP_CMD_ERROR,
} bkp_cmd;

/* "SEND", "MESSAGE", ...; "UNKNOWN" for BKP_CMD_UNKNOWN. Static string. */
const char *bkp_cmd_name(bkp_cmd cmd);

typedef struct bkp_header {
    const char *name;   /* unescaped, NUL-terminated */
    const char *value;  /* unescaped, NUL-terminated */
    uint32_t name_len;
    uint32_t value_len;
} bkp_header;

/* A parsed frame. Everything it points to is borrowed from the parser and valid until
 * the next bkp_parser_next() or bkp_parser_free() on that parser. */
typedef struct bkp_frame {
    bkp_cmd cmd;
    size_t nheaders;
    const bkp_header *headers;
    const char *body;     /* body_len bytes, followed by a NUL that is not counted */
    size_t body_len;
} bkp_frame;

/* The value of the first header called `name`, or NULL. Borrowed from the frame. */
const char *bkp_frame_get(const bkp_frame *f, const char *name);

/* Limits that end a hostile or broken peer with an error instead of unbounded memory. */
typedef struct bkp_limits {
    size_t max_frame;        /* whole frame in bytes, headers and body; default 16 MiB */
    size_t max_headers;      /* header lines per frame; default 128 */
    size_t max_header_bytes; /* command line plus header lines, in bytes; default 64 KiB */
} bkp_limits;

#define BKP_DEFAULT_MAX_FRAME ((size_t)16 << 20)
#define BKP_DEFAULT_MAX_HEADERS 128
#define BKP_DEFAULT_MAX_HEADER_BYTES ((size_t)64 << 10)

typedef struct bkp_parser bkp_parser;

/* Makes a parser. lim may be NULL (defaults); zero fields take their default.
 * Returns 0 or BK_ENOMEM. Free with bkp_parser_free(). */
int bkp_parser_new(bkp_parser **out, const bkp_limits *lim);
void bkp_parser_free(bkp_parser *p);

/* Releases the parser's buffers when no frame is partly read: call it on connections that
 * go idle, so that they hold no parse buffer. The next frame allocates again. */
void bkp_parser_trim(bkp_parser *p);

/* Whether header values are unescaped (1.1/1.2: yes, the default; 1.0: no). Frames
 * CONNECT and CONNECTED are never unescaped whatever this says. */
void bkp_parser_set_unescape(bkp_parser *p, int on);

/* Takes at most one frame from the front of `in`, consuming its bytes (and any heart-beat
 * EOLs before it). Returns 1 with *f filled; 0 when `in` holds no complete frame yet (the
 * parser remembers how far it has looked, so a frame arriving byte by byte costs linear
 * time); or a negative bk_err: BK_ELIMIT (a limit was exceeded) or BK_EPROTO (malformed).
 * After an error the parser is spent: report bkp_parser_error() and close the connection. */
int bkp_parser_next(bkp_parser *p, struct evbuffer *in, bkp_frame *f);

/* What went wrong, in words fit for an ERROR frame or a log ("header line without ':'").
 * Static or parser-owned; "" when there was no error. */
const char *bkp_parser_error(const bkp_parser *p);

/* How many heart-beat EOLs the parser has skipped so far. */
uint64_t bkp_parser_heartbeats(const bkp_parser *p);

/* Encoder. Appends to `out`; several frames may be appended before the buffer is flushed,
 * so that one loop turn's frames leave in one write.
 *   bkp_enc_begin(out, BKP_CMD_SEND);
 *   bkp_enc_header(out, "destination", "/queue/a");
 *   bkp_enc_end(out, body, len);            // adds content-length, blank line, body, NUL
 * Names and values are escaped unless the frame is CONNECT/CONNECTED or the encoder was
 * begun with BKP_ENC_RAW. Returns 0 or BK_ENOMEM (the buffer may then hold a partial
 * frame: the connection is unusable). */
enum {
    BKP_ENC_RAW = 1 << 0,       /* no header escaping (STOMP 1.0 peers) */
    BKP_ENC_NO_LENGTH = 1 << 1, /* bkp_enc_end writes no content-length header */
};

typedef struct bkp_enc {
    struct evbuffer *out;
    unsigned flags;
    int err;                    /* first failure, reported by bkp_enc_end */
} bkp_enc;

void bkp_enc_begin(bkp_enc *e, struct evbuffer *out, bkp_cmd cmd, unsigned flags);
void bkp_enc_header(bkp_enc *e, const char *name, const char *value);
void bkp_enc_header_n(bkp_enc *e, const char *name, size_t name_len,
                      const char *value, size_t value_len);
/* A header whose value is a decimal number. */
void bkp_enc_header_u64(bkp_enc *e, const char *name, uint64_t value);
/* Ends the header block and appends the body (len may be 0; body may be NULL then) and the
 * NUL. content-length is written unless BKP_ENC_NO_LENGTH. Returns 0 or BK_ENOMEM. */
int bkp_enc_end(bkp_enc *e, const void *body, size_t len);
/* The same, taking body (malloc'd): it joins the buffer without a copy and is freed (free())
 * once written, or at once when it could not be added. */
int bkp_enc_end_take(bkp_enc *e, void *body, size_t len);

/* Writes a whole frame: the headers in order, then the body. A zero name_len or value_len
 * means strlen() of it. Returns 0 or BK_ENOMEM. */
int bkp_frame_write(struct evbuffer *out, bkp_cmd cmd, const bkp_header *h, size_t n,
                    const void *body, size_t len, unsigned flags);

#endif
