/* bkp_io: see io.h. Per message on a busy connection this costs one read and one writev
 * (plus epoll_wait), where a bufferevent adds an ioctl per read, 4 KiB reads, and two
 * epoll_ctl and a wait for EPOLLOUT per write. */
#include "net/io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/util.h>

#include "beekeeper/error.h"
#include "net/tls.h"

#define DEFAULT_MAX_READ (256 * 1024)

struct bkp_io {
    struct event_base *base;
    int fd;
    struct evbuffer *in, *out;
    struct event *rev;              /* readable (persistent, while reading is on) */
    struct event *wev;              /* writable: connecting, or output the kernel refused */
    struct event *flush;            /* activated when the output buffer grows */
    struct event *rtimer, *wtimer;
    struct timeval rtv, wtv;
    int has_rtv, has_wtv;
    size_t max_read, lowat;
    bkp_io_read_fn *rd;
    bkp_io_event_fn *ev;
    bkp_io_drain_fn *dr;
    void *arg;
    int reading, connecting, flush_pending, wpending, failed;
    int busy, dead;
    /* TLS (bkp_io_start_tls): the SSL exists from the TCP connection on; while handshaking
     * the read and write events serve the handshake only. */
    bkp_tls_ctx *tls_ctx;
    char *tls_host;
    bkp_tls *tls;
    int handshaking, report_connected;
    int rd_wants_wr, wr_wants_rd;   /* a TLS read waits for writable, a write for readable */
    size_t tls_retry;               /* an SSL_write to repeat with this many bytes */
    char tls_err[300];
};

/* Reads go straight into the input buffer, at most this much per read(); a read that
 * fills it is followed by another, up to max_read. Below malloc's mmap threshold, so the
 * space a read takes and the parser gives back is cheap to come by again; an idle connection
 * (input consumed) holds none. */
#define READ_CHUNK (64 * 1024)

static void destroy(bkp_io *io)
{
    if (io->rev)
        event_free(io->rev);
    if (io->wev)
        event_free(io->wev);
    if (io->flush)
        event_free(io->flush);
    if (io->rtimer)
        event_free(io->rtimer);
    if (io->wtimer)
        event_free(io->wtimer);
    if (io->in)
        evbuffer_free(io->in);
    if (io->out)
        evbuffer_free(io->out);
    bkp_tls_free(io->tls);
    bkp_tls_ctx_free(io->tls_ctx);
    free(io->tls_host);
    if (io->fd >= 0)
        evutil_closesocket(io->fd);
    free(io);
}

/* After a callback: 1 when the io was freed meanwhile (it is gone now, or goes when the
 * outermost of its callbacks returns). */
static int leave(bkp_io *io)
{
    if (--io->busy == 0 && io->dead) {
        destroy(io);
        return 1;
    }
    return io->dead;
}

static int report(bkp_io *io, int what, int err)
{
    io->busy++;
    if (io->ev)
        io->ev(io, what, err, io->arg);
    return leave(io);
}

static void stop_all(bkp_io *io)
{
    event_del(io->rev);
    event_del(io->wev);
    event_del(io->rtimer);
    event_del(io->wtimer);
    io->reading = 0;
    io->wpending = 0;
}

static void fail(bkp_io *io, int what, int err)
{
    io->failed = 1;
    stop_all(io);
    report(io, what, err);
}

static void arm_read_timer(bkp_io *io)
{
    if (io->has_rtv && io->reading)
        evtimer_add(io->rtimer, &io->rtv);
}

static void tls_fail(bkp_io *io, const char *what)
{
    snprintf(io->tls_err, sizeof io->tls_err, "TLS %s: %s", what, bkp_tls_error(io->tls));
    fail(io, BKP_IO_ERROR | BKP_IO_TLS, EPROTO);
}

/* The output as TLS records, each pulled up into one piece: per record one SSL_write and
 * one write(). Writing each evbuffer chain as a record of its own costs a record (header,
 * MAC, a system call) per chain the turn's frames span; records cut at 16 KiB are what TLS
 * does anyway. Measured with bench_tls's workload (2000 of each kind, strace -c of client,
 * worker and broker): 26.9k write() calls pulled up, 28.4k chain by chain; the rates
 * differed by less than the noise of the shared machine. Returns the bytes taken, or -1
 * for a failure, or -2 for a wait (WANT_READ: wr_wants_rd is set and the read event
 * added). */
static int tls_write(bkp_io *io)
{
    int total = 0;
    size_t len;
    while ((len = evbuffer_get_length(io->out)) > 0) {
        size_t chunk = io->tls_retry ? io->tls_retry : len < 16384 ? len : 16384;
        unsigned char *p = evbuffer_pullup(io->out, (ev_ssize_t)chunk);
        if (!p)
            return -1;
        ssize_t n = bkp_tls_write(io->tls, p, chunk);
        if (n == BKP_TLS_WANT_WRITE || n == BKP_TLS_WANT_READ) {
            io->tls_retry = chunk;
            if (n == BKP_TLS_WANT_READ && !io->wr_wants_rd) {
                io->wr_wants_rd = 1;
                event_add(io->rev, NULL);
            }
            return n == BKP_TLS_WANT_READ ? -2 : total;
        }
        if (n < 0)
            return -1;
        io->tls_retry = 0;
        evbuffer_drain(io->out, (size_t)n);
        total += (int)n;
    }
    return total;
}

/* Writes what the kernel takes; polls EV_WRITE for the rest. */
static void do_write(bkp_io *io)
{
    if (io->dead || io->failed || io->connecting || io->handshaking || io->fd < 0)
        return;
    size_t len = evbuffer_get_length(io->out);
    if (len > 0) {
        int n;
        if (io->tls) {
            n = tls_write(io);
            if (n == -1) {
                tls_fail(io, "write");
                return;
            }
            if (n == -2)
                return; /* the read event takes it on */
        } else {
            n = evbuffer_write(io->out, io->fd);
        }
        if (n < 0) {
            int e = EVUTIL_SOCKET_ERROR();
            if (e != EAGAIN && e != EWOULDBLOCK && e != EINTR) {
                fail(io, BKP_IO_ERROR, e);
                return;
            }
            n = 0;
        }
        size_t left = evbuffer_get_length(io->out);
        if (left > 0) {
            if (!io->wpending) {
                event_add(io->wev, NULL);
                io->wpending = 1;
            }
            if (io->has_wtv && (n > 0 || !evtimer_pending(io->wtimer, NULL)))
                evtimer_add(io->wtimer, &io->wtv);
        } else {
            if (io->wpending) {
                event_del(io->wev);
                io->wpending = 0;
            }
            evtimer_del(io->wtimer);
        }
        len = left;
    }
    if (io->dr && len <= io->lowat) {
        io->busy++;
        io->dr(io, io->arg);
        leave(io);
    }
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    bkp_io *io = arg;
    io->flush_pending = 0;
    do_write(io);
}

void bkp_io_flush(bkp_io *io)
{
    if (!io || !io->flush_pending)
        return;
    io->flush_pending = 0;
    event_del(io->flush);
    io->busy++;
    do_write(io);
    leave(io);
}

void bkp_io_write_now(bkp_io *io)
{
    if (!io || !io->flush_pending || io->wpending || io->failed || io->dead || io->fd < 0 ||
        io->handshaking || io->wr_wants_rd)
        return;
    if (io->tls)
        (void)tls_write(io);
    else
        (void)evbuffer_write(io->out, io->fd);
}

static void on_output(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
    (void)b;
    bkp_io *io = arg;
    if (info->n_added == 0 || io->flush_pending || io->wpending || io->connecting ||
        io->handshaking || io->dead)
        return;
    io->flush_pending = 1;
    event_active(io->flush, EV_WRITE, 1);
}

static void read_turn(bkp_io *io);

/* One step of the handshake, on whichever event it waited for. Once done, the events are
 * put back as the io's state says, and what was appended meanwhile is written. */
static void tls_step(bkp_io *io)
{
    int r = bkp_tls_handshake(io->tls);
    if (r == BKP_TLS_WANT_READ) {
        event_del(io->wev);
        event_add(io->rev, NULL);
        return;
    }
    if (r == BKP_TLS_WANT_WRITE) {
        event_del(io->rev);
        event_add(io->wev, NULL);
        return;
    }
    if (r < 0) {
        tls_fail(io, "handshake");
        return;
    }
    io->handshaking = 0;
    event_del(io->wev);
    io->wpending = 0;
    if (io->reading)
        event_add(io->rev, NULL);
    else
        event_del(io->rev);
    if (io->report_connected) {
        io->report_connected = 0;
        if (report(io, BKP_IO_CONNECTED, 0))
            return;
    }
    if (io->failed)
        return;
    if (evbuffer_get_length(io->out) > 0 && !io->flush_pending) {
        io->flush_pending = 1;
        event_active(io->flush, EV_WRITE, 1);
    }
    if (io->reading && bkp_tls_pending(io->tls))
        event_active(io->rev, EV_READ, 1);
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    bkp_io *io = arg;
    if (io->connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        if (err == EINPROGRESS || err == EINTR)
            return;
        io->connecting = 0;
        event_del(io->wev);
        io->wpending = 0;
        if (err) {
            fail(io, BKP_IO_ERROR, err);
            return;
        }
        if (io->tls_ctx) {
            io->tls = bkp_tls_new(io->tls_ctx, io->fd, io->tls_host);
            if (!io->tls) {
                fail(io, BKP_IO_ERROR, ENOMEM);
                return;
            }
            io->handshaking = 1;
            io->report_connected = 1;
        } else if (report(io, BKP_IO_CONNECTED, 0)) {
            return;
        }
    }
    if (io->handshaking) {
        tls_step(io);
        return;
    }
    if (io->rd_wants_wr) {
        io->rd_wants_wr = 0;
        if (!io->wpending)
            event_del(io->wev);
        io->busy++;
        read_turn(io);
        if (leave(io) || io->failed || !io->wpending)
            return;
    }
    do_write(io);
}

/* A TLS read: what read() would say (errno set for a wait), -2 for a failure. */
static ssize_t tls_read(bkp_io *io, void *buf, size_t len)
{
    ssize_t n = bkp_tls_read(io->tls, buf, len);
    if (n == BKP_TLS_WANT_WRITE && !io->rd_wants_wr) {
        io->rd_wants_wr = 1;
        event_add(io->wev, NULL);
    }
    if (n == BKP_TLS_WANT_READ || n == BKP_TLS_WANT_WRITE) {
        errno = EAGAIN;
        return -1;
    }
    return n == BKP_TLS_FAILED ? -2 : n;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    bkp_io *io = arg;
    if (io->handshaking) {
        tls_step(io);
        return;
    }
    if (io->wr_wants_rd) {
        io->wr_wants_rd = 0;
        if (!io->reading)
            event_del(io->rev);
        io->busy++;
        do_write(io);
        if (leave(io) || io->failed || !io->reading)
            return;
    }
    read_turn(io);
}

/* With TLS, a read stops when OpenSSL holds no more bytes (the socket may still have some:
 * it stays readable), and bytes OpenSSL holds past max_read are asked for again at once,
 * since the socket will not report them. A failure after some bytes comes after them. */
static void read_turn(bkp_io *io)
{
    size_t total = 0;
    int tls_failed = 0;
    for (;;) {
        size_t want = io->max_read - total < READ_CHUNK ? io->max_read - total : READ_CHUNK;
        struct evbuffer_iovec v;
        if (evbuffer_reserve_space(io->in, (ev_ssize_t)want, &v, 1) != 1) {
            fail(io, BKP_IO_ERROR, ENOMEM);
            return;
        }
        if (v.iov_len > want)
            v.iov_len = want;
        ssize_t n = io->tls ? tls_read(io, v.iov_base, v.iov_len)
                            : read(io->fd, v.iov_base, v.iov_len);
        if (n == -2) {
            if (total == 0) {
                tls_fail(io, "read");
                return;
            }
            tls_failed = 1;
            break;
        }
        if (n <= 0) {
            int e = n < 0 ? errno : 0;
            if (total > 0 || (n < 0 && (e == EAGAIN || e == EWOULDBLOCK || e == EINTR)))
                break; /* what was read first is handled first; EOF shows on the next read */
            fail(io, n == 0 ? BKP_IO_EOF : BKP_IO_ERROR, e);
            return;
        }
        v.iov_len = (size_t)n;
        evbuffer_commit_space(io->in, &v, 1);
        total += (size_t)n;
        if (((size_t)n < want && !(io->tls && bkp_tls_pending(io->tls))) ||
            total >= io->max_read)
            break;
    }
    if (total == 0)
        return;
    arm_read_timer(io);
    io->busy++;
    io->rd(io, io->in, io->arg);
    if (leave(io) || io->failed)
        return;
    if (tls_failed)
        tls_fail(io, "read");
    else if (io->tls && io->reading && bkp_tls_pending(io->tls))
        event_active(io->rev, EV_READ, 1);
}

static void on_rtimer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    bkp_io *io = arg;
    event_del(io->rev);
    io->reading = 0;
    report(io, BKP_IO_TIMEOUT, 0);
}

static void on_wtimer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    bkp_io *io = arg;
    if (evbuffer_get_length(io->out) == 0)
        return;
    report(io, BKP_IO_TIMEOUT, 0);
}

static int make_events(bkp_io *io)
{
    io->rev = event_new(io->base, io->fd, EV_READ | EV_PERSIST, on_readable, io);
    io->wev = event_new(io->base, io->fd, EV_WRITE | EV_PERSIST, on_writable, io);
    return io->rev && io->wev ? 0 : BK_ENOMEM;
}

int bkp_io_new(bkp_io **out, struct event_base *base, int fd, size_t max_read,
               bkp_io_read_fn *rd, bkp_io_event_fn *ev, bkp_io_drain_fn *dr, void *arg)
{
    bkp_io *io = calloc(1, sizeof *io);
    if (!io)
        return BK_ENOMEM;
    io->base = base;
    io->fd = fd;
    io->max_read = max_read && max_read < DEFAULT_MAX_READ ? max_read : DEFAULT_MAX_READ;
    io->rd = rd;
    io->ev = ev;
    io->dr = dr;
    io->arg = arg;
    io->in = evbuffer_new();
    io->out = evbuffer_new();
    io->flush = event_new(base, -1, 0, on_flush, io);
    io->rtimer = evtimer_new(base, on_rtimer, io);
    io->wtimer = evtimer_new(base, on_wtimer, io);
    if (!io->in || !io->out || !io->flush || !io->rtimer || !io->wtimer ||
        (fd >= 0 && make_events(io) < 0) || !evbuffer_add_cb(io->out, on_output, io)) {
        io->fd = -1; /* the caller still owns fd on failure */
        destroy(io);
        return BK_ENOMEM;
    }
    *out = io;
    return 0;
}

void bkp_io_free(bkp_io *io)
{
    if (!io || io->dead)
        return;
    io->dead = 1;
    if (io->rev)
        stop_all(io);
    event_del(io->flush);
    /* close_notify goes out now, while the fd is still ours: once closed, its number may be
     * another connection's by the time a callback that is running returns */
    bkp_tls_free(io->tls);
    io->tls = NULL;
    if (io->fd >= 0) {
        evutil_closesocket(io->fd);
        io->fd = -1;
    }
    if (io->busy == 0)
        destroy(io);
}

int bkp_io_connect(bkp_io *io, const struct sockaddr *sa, int salen)
{
    int fd = socket(sa->sa_family, SOCK_STREAM, 0);
    if (fd < 0)
        return BK_EIO;
    if (evutil_make_socket_nonblocking(fd) < 0 || evutil_make_socket_closeonexec(fd) < 0) {
        int e = errno;
        evutil_closesocket(fd);
        errno = e;
        return BK_EIO;
    }
    io->fd = fd;
    if (make_events(io) < 0)
        return BK_ENOMEM;
    if (connect(fd, sa, (socklen_t)salen) < 0 && errno != EINPROGRESS && errno != EINTR)
        return BK_ECONNREFUSED;
    io->connecting = 1;
    io->wpending = 1;
    event_add(io->wev, NULL);
    return 0;
}

struct evbuffer *bkp_io_input(bkp_io *io)
{
    return io->in;
}

struct evbuffer *bkp_io_output(bkp_io *io)
{
    return io->out;
}

int bkp_io_fd(const bkp_io *io)
{
    return io->fd;
}

void bkp_io_read_enable(bkp_io *io, int on)
{
    if (io->dead || io->failed || !io->rev || on == io->reading)
        return;
    io->reading = on;
    if (io->handshaking) {
        /* the handshake owns the events; its end puts rev as reading says */
        if (on)
            arm_read_timer(io);
        else
            evtimer_del(io->rtimer);
        return;
    }
    if (on) {
        event_add(io->rev, NULL);
        arm_read_timer(io);
        if (io->tls && bkp_tls_pending(io->tls))
            event_active(io->rev, EV_READ, 1);
    } else {
        if (!io->wr_wants_rd)
            event_del(io->rev);
        evtimer_del(io->rtimer);
    }
}

void bkp_io_set_lowat(bkp_io *io, size_t bytes)
{
    io->lowat = bytes;
}

void bkp_io_set_timeouts(bkp_io *io, const struct timeval *read_tv,
                         const struct timeval *write_tv)
{
    io->has_rtv = read_tv != NULL;
    if (read_tv)
        io->rtv = *read_tv;
    io->has_wtv = write_tv != NULL;
    if (write_tv)
        io->wtv = *write_tv;
    evtimer_del(io->rtimer);
    evtimer_del(io->wtimer);
    arm_read_timer(io);
    if (io->has_wtv && evbuffer_get_length(io->out) > 0)
        evtimer_add(io->wtimer, &io->wtv);
}

int bkp_io_start_tls(bkp_io *io, bkp_tls_ctx *ctx, const char *host)
{
    if (!ctx || io->tls_ctx || (host && io->fd >= 0) || (!host && io->fd < 0))
        return BK_EINVAL;
    if (host && !(io->tls_host = strdup(host)))
        return BK_ENOMEM;
    io->tls_ctx = bkp_tls_ctx_ref(ctx);
    if (host)
        return 0; /* the handshake starts when bkp_io_connect's connection is up */
    io->tls = bkp_tls_new(ctx, io->fd, NULL);
    if (!io->tls)
        return BK_ENOMEM;
    io->handshaking = 1;
    event_add(io->rev, NULL); /* the ClientHello */
    return 0;
}

const char *bkp_io_error(const bkp_io *io)
{
    return io->tls_err;
}

int bkp_io_handshaking(const bkp_io *io)
{
    return io->handshaking;
}
