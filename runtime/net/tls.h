/* bkp_tls: OpenSSL under bkp_io, for the client's connection and the broker's TLS listener.
 *
 * A context (bkp_tls_ctx) holds what every connection of one side shares: the trust store,
 * our certificate, whether the peer is verified. A connection (bkp_tls) is one SSL on a
 * non-blocking socket; bkp_io drives it from its own read and write events, so that TLS
 * keeps the io's rules (one read per event, one write per loop turn, timeouts).
 *
 * Only TLS 1.2 and later, no renegotiation: a write never has to wait for a read, and a read
 * waits for a write only to answer a TLS 1.3 key update. An EOF without close_notify counts
 * as an EOF (STOMP frames say themselves where they end; most brokers just close).
 * Internal to libbeekeeper. Single-threaded per connection; a context may be shared. */
#ifndef BKP_NET_TLS_H
#define BKP_NET_TLS_H

#include <stddef.h>
#include <sys/types.h>

typedef struct bkp_tls_ctx bkp_tls_ctx;
typedef struct bkp_tls bkp_tls;

/* A client's context. ca: a PEM file of trusted CAs (NULL: the system's trust store);
 * cert and key: our certificate and its key, PEM (key NULL: in cert); verify 0: the peer's
 * certificate and name are not checked. 0, or BK_EINVAL (a file that cannot be read or does
 * not hold what it should; err says which and why) or BK_ENOMEM. */
int bkp_tls_ctx_client(bkp_tls_ctx **out, const char *ca, const char *cert, const char *key,
                       int verify, char *err, size_t errlen);
/* A server's context: cert (the chain, PEM) and key; client_ca not NULL: clients must show
 * a certificate signed by a CA of that file. Returns as bkp_tls_ctx_client. */
int bkp_tls_ctx_server(bkp_tls_ctx **out, const char *cert, const char *key,
                       const char *client_ca, char *err, size_t errlen);
/* Contexts are counted: each connection holds one reference. NULL does nothing. */
bkp_tls_ctx *bkp_tls_ctx_ref(bkp_tls_ctx *c);
void bkp_tls_ctx_free(bkp_tls_ctx *c);

enum {
    BKP_TLS_WANT_READ = -1,     /* try again when the socket is readable */
    BKP_TLS_WANT_WRITE = -2,    /* ... writable */
    BKP_TLS_FAILED = -3,        /* bkp_tls_error() says why; the connection is unusable */
};

/* A connection on fd (borrowed: the io owns it). host: the server's name or address to
 * check the certificate against and to send as SNI (a client); NULL: the server side.
 * NULL when out of memory. */
bkp_tls *bkp_tls_new(bkp_tls_ctx *c, int fd, const char *host);
/* Sends close_notify if it can without waiting, and frees. NULL does nothing. */
void bkp_tls_free(bkp_tls *t);

/* One step of the handshake: 0 when it is done, or one of BKP_TLS_*. */
int bkp_tls_handshake(bkp_tls *t);
/* Up to len bytes of plaintext: the count, 0 at EOF, or one of BKP_TLS_*. */
ssize_t bkp_tls_read(bkp_tls *t, void *buf, size_t len);
/* Encrypts and sends up to len bytes, at most one record: the count taken, or one of
 * BKP_TLS_*. After WANT_*, call again with the same bytes and at least the same len. */
ssize_t bkp_tls_write(bkp_tls *t, const void *buf, size_t len);
/* 1 when bytes already read from the socket wait to be decrypted or returned: the socket
 * will not report them as readable. */
int bkp_tls_pending(const bkp_tls *t);
/* Why the last step failed ("certificate verify failed: certificate has expired"); "" when
 * none did. Borrowed from t. */
const char *bkp_tls_error(const bkp_tls *t);

#endif
