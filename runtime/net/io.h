/* bkp_io: a non-blocking socket on a libevent loop, for the STOMP connection and the broker.
 *
 * It does what a libevent bufferevent does for us, with fewer system calls per message,
 * which on loopback is most of the cost of a message:
 * - reads go straight into the input evbuffer, up to max_read bytes per read (a bufferevent
 *   asks the kernel how much is there first, and reads at most 4 KiB);
 * - what is appended to the output buffer is written at the end of the loop turn, in one
 *   writev for everything appended during the turn, without first waiting for the socket to
 *   be reported writable; only when the kernel takes less is EV_WRITE polled until drained.
 * With TLS (bkp_io_start_tls) the same holds for records: OpenSSL reads what the kernel has
 * in one read, and the turn's output goes out as records of up to 16 KiB, one write each.
 * Internal to libbeekeeper. Single-threaded: one io belongs to one loop. */
#ifndef BKP_NET_IO_H
#define BKP_NET_IO_H

#include <stddef.h>

struct event_base;
struct evbuffer;
struct sockaddr;
struct timeval;
struct bkp_tls_ctx;

typedef struct bkp_io bkp_io;

enum {
    BKP_IO_CONNECTED = 1,       /* bkp_io_connect() succeeded */
    BKP_IO_EOF = 2,             /* the peer closed its side */
    BKP_IO_ERROR = 4,           /* a socket error; err is the errno */
    BKP_IO_TIMEOUT = 8,         /* a read or write timeout expired */
    BKP_IO_TLS = 16,            /* with ERROR: TLS failed (err EPROTO); bkp_io_error says why */
};

/* New data is in `in` (the whole unconsumed input; consume what you can). */
typedef void bkp_io_read_fn(bkp_io *io, struct evbuffer *in, void *arg);
/* One of BKP_IO_*; after EOF, ERROR and TIMEOUT reading stops until re-enabled. */
typedef void bkp_io_event_fn(bkp_io *io, int what, int err, void *arg);
/* The output buffer was written down to the low-water mark (0: empty). */
typedef void bkp_io_drain_fn(bkp_io *io, void *arg);

/* Wraps fd (a connected non-blocking socket; -1: call bkp_io_connect next). The io owns fd
 * and closes it when freed. max_read 0: 256 KiB. Reading starts disabled. 0 or BK_ENOMEM. */
int bkp_io_new(bkp_io **out, struct event_base *base, int fd, size_t max_read,
               bkp_io_read_fn *rd, bkp_io_event_fn *ev, bkp_io_drain_fn *dr, void *arg);
/* Frees it now, or once its own callback that is running returns; closes the socket. What
 * is still in the output buffer is lost. NULL does nothing. Safe inside its callbacks. */
void bkp_io_free(bkp_io *io);

/* Starts a non-blocking connect to sa; BKP_IO_CONNECTED or BKP_IO_ERROR follows from the
 * loop. 0, or a negative bk_err with errno set when it failed at once. */
int bkp_io_connect(bkp_io *io, const struct sockaddr *sa, int salen);

/* Speaks TLS over the socket, with ctx (a reference is taken). A client passes the server's
 * host name or address, which the certificate is checked against, before bkp_io_connect:
 * BKP_IO_CONNECTED then waits for the handshake. A server passes NULL on an io made with an
 * accepted fd: the handshake runs first, and reads and writes wait for it. A failed
 * handshake reports BKP_IO_ERROR | BKP_IO_TLS. 0, BK_EINVAL (already TLS, or host does not
 * fit the fd) or BK_ENOMEM. */
int bkp_io_start_tls(bkp_io *io, struct bkp_tls_ctx *ctx, const char *host);
/* The last TLS failure in words ("TLS handshake: certificate verify failed: certificate has
 * expired"); "" when none. Borrowed from io. */
const char *bkp_io_error(const bkp_io *io);
/* 1 while the TLS handshake runs (the TCP connection is up, BKP_IO_CONNECTED not yet). */
int bkp_io_handshaking(const bkp_io *io);

struct evbuffer *bkp_io_input(bkp_io *io);
/* Append frames here; they leave at the end of the loop turn. */
struct evbuffer *bkp_io_output(bkp_io *io);
int bkp_io_fd(const bkp_io *io);
/* Writes the output now rather than at the end of the loop turn: for a caller about to
 * block in the loop, which would otherwise first take a non-blocking turn (an extra
 * epoll_wait) to write it. Reports like a write from the loop; the io may be freed by
 * its event callback meanwhile. NULL or nothing pending does nothing. */
void bkp_io_flush(bkp_io *io);
/* Hands the output to the kernel now, from anywhere (nothing is reported or called back):
 * errors, a remainder and the drain callback are dealt with at the flush event's turn as
 * before. For output whose reader waits for it while more would only come next turn. */
void bkp_io_write_now(bkp_io *io);

void bkp_io_read_enable(bkp_io *io, int on);
/* The drain callback fires when a write leaves at most `bytes` in the output buffer. */
void bkp_io_set_lowat(bkp_io *io, size_t bytes);
/* Read timeout: no byte read for tv (while reading is enabled). Write timeout: pending
 * output that makes no progress for tv. NULL: none. Either reports BKP_IO_TIMEOUT. */
void bkp_io_set_timeouts(bkp_io *io, const struct timeval *read_tv,
                         const struct timeval *write_tv);

#endif
