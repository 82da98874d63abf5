/* The asynchronous STOMP client connection (see conn.h).
 *
 * Re-entrancy: every entry from libevent is bracketed by enter()/leave(). A user callback
 * may free the connection or unsubscribe; those only mark objects (s->freed, sub->gone) while
 * s->busy > 0, and the last leave() releases them. After every user callback the caller
 * checks whether the connection it was serving still exists (s->freed, s->conn_id). */
#include "stomp/conn.h"

#include <errno.h>
#include <signal.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "beekeeper/error.h"
#include "core/clock.h"
#include "core/random.h"
#include "net/io.h"
#include "net/tls.h"
#include "stomp/conn_int.h"
#include "stomp/failover.h"

#define DEFAULT_HB_MS 10000
#define DEFAULT_BACKOFF_MIN_MS 100
#define DEFAULT_BACKOFF_MAX_MS 5000
#define DEFAULT_CONNECT_TIMEOUT_MS 5000
#define DEFAULT_DISCONNECT_TIMEOUT_MS 2000
#define DEFAULT_MAX_OUTBUF ((size_t)64 << 20)

static void on_read(bkp_io *io, struct evbuffer *in, void *arg);
static void on_event(bkp_io *io, int what, int err, void *arg);
static void conn_lost(bkp_stomp *s, int reason, const char *detail);

/* ---------------------------------------------------------------- helpers */

char *bkp_conn_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static struct timeval tv_ms(uint64_t ms)
{
    struct timeval tv;
    tv.tv_sec = (time_t)(ms / 1000);
    tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
    return tv;
}

static int opt_ms(int v, int dflt)
{
    return v > 0 ? v : dflt;
}

static int has_ctl(const char *v)
{
    return v && strpbrk(v, "\r\n") != NULL;
}

const char *bkp_stomp_state_name(bkp_stomp_state st)
{
    switch (st) {
    case BKP_STOMP_IDLE: return "idle";
    case BKP_STOMP_CONNECTING: return "connecting";
    case BKP_STOMP_CONNECTED: return "connected";
    case BKP_STOMP_DISCONNECTED: return "disconnected";
    case BKP_STOMP_CLOSING: return "closing";
    case BKP_STOMP_CLOSED: return "closed";
    }
    return "unknown";
}

/* ---------------------------------------------------------------- life of objects */

void bkp_conn_sub_free(bkp_sub *sub)
{
    size_t i;
    if (!sub)
        return;
    for (i = 0; i < sub->nhdrs; i++) {
        free((char *)sub->hdrs[i].name);
        free((char *)sub->hdrs[i].value);
    }
    free(sub->hdrs);
    free(sub->dest);
    free(sub->id);
    free(sub);
}

static void sweep_subs(bkp_stomp *s)
{
    bkp_sub **pp = &s->subs;
    while (*pp) {
        bkp_sub *sub = *pp;
        if (sub->gone) {
            *pp = sub->next;
            bkp_conn_sub_free(sub);
        } else {
            pp = &sub->next;
        }
    }
    s->any_gone = 0;
}

static void destroy(bkp_stomp *s)
{
    size_t i;
    bkp_sub *sub, *nsub;
    struct rcpt *r, *nr;
    struct defer *d, *nd;

    bkp_io_free(s->io);
    bkp_tls_ctx_free(s->o.tls);
    if (s->ev_retry)
        event_free(s->ev_retry);
    if (s->ev_timeout)
        event_free(s->ev_timeout);
    if (s->ev_hb_send)
        event_free(s->ev_hb_send);
    if (s->ev_hb_recv)
        event_free(s->ev_hb_recv);
    if (s->ev_defer)
        event_free(s->ev_defer);
    bkp_parser_free(s->parser);
    for (sub = s->subs; sub; sub = nsub) {
        nsub = sub->next;
        bkp_conn_sub_free(sub);
    }
    for (r = s->rcpts; r; r = nr) {
        nr = r->next;
        free(r);
    }
    for (d = s->defer_head; d; d = nd) {
        nd = d->next;
        free(d);
    }
    for (i = 0; i < s->nhosts; i++)
        bkp_hostport_clear(&s->hosts[i]);
    free(s->hosts);
    free(s->vhost);
    free(s->login);
    free(s->passcode);
    free(s->server);
    free(s->session);
    free(s);
}

static void enter(bkp_stomp *s)
{
    s->busy++;
}

static void leave(bkp_stomp *s)
{
    if (--s->busy > 0)
        return;
    if (s->freed)
        destroy(s);
    else if (s->any_gone)
        sweep_subs(s);
}

/* ---------------------------------------------------------------- callbacks to the user */

static void notify_state(bkp_stomp *s, bkp_stomp_state st, int reason, const char *detail)
{
    if (s->o.state_cb && !s->freed)
        s->o.state_cb(s, st, reason, detail ? detail : "", s->o.arg);
}

int bkp_conn_defer_push(bkp_stomp *s, enum defer_kind kind, bkp_receipt_fn *fn, void *arg,
                        int status, bkp_stomp_state st, const char *detail)
{
    struct defer *d;
    if (kind == DEFER_RECEIPT && !fn)
        return 0;
    if (kind == DEFER_STATE && !s->o.state_cb)
        return 0;
    d = calloc(1, sizeof *d);
    if (!d)
        return BK_ENOMEM;
    d->kind = kind;
    d->fn = fn;
    d->arg = arg;
    d->status = status;
    d->state = st;
    snprintf(d->detail, sizeof d->detail, "%s", detail ? detail : "");
    if (s->defer_tail)
        s->defer_tail->next = d;
    else
        s->defer_head = d;
    s->defer_tail = d;
    event_active(s->ev_defer, EV_TIMEOUT, 1);
    return 0;
}

/* Runs queued completions in order; stops early if the connection is freed meanwhile
 * (bkp_stomp_free() drains the rest itself). */
static void run_deferred(bkp_stomp *s)
{
    while (s->defer_head && !s->freed) {
        struct defer *d = s->defer_head;
        s->defer_head = d->next;
        if (!s->defer_head)
            s->defer_tail = NULL;
        if (d->kind == DEFER_RECEIPT)
            d->fn(s, d->status, d->arg);
        else
            notify_state(s, d->state, d->status, d->detail);
        free(d);
    }
}

static void on_defer(evutil_socket_t fd, short what, void *arg)
{
    bkp_stomp *s = arg;
    (void)fd;
    (void)what;
    enter(s);
    if (s->kill_reason && s->io) {
        int r = s->kill_reason;
        s->kill_reason = 0;
        conn_lost(s, r, "out of memory while encoding a frame");
    }
    s->kill_reason = 0;
    run_deferred(s);
    leave(s);
}

/* Takes the pending receipts off the connection: the callbacks that fail them may add new
 * ones, which are not theirs to fail. */
static struct rcpt *detach_receipts(bkp_stomp *s)
{
    struct rcpt *r = s->rcpts;
    s->rcpts = s->rcpts_tail = NULL;
    return r;
}

/* Calls and frees each receipt of the detached list r: a DISCONNECT's with disc_status, the
 * others' with status. */
static void fail_list(bkp_stomp *s, struct rcpt *r, int status, int disc_status)
{
    for (struct rcpt *nr; r; r = nr) {
        nr = r->next;
        if (r->fn)
            r->fn(s, r->kind == RCPT_DISCONNECT ? disc_status : status, r->arg);
        free(r);
    }
}

/* Fails every pending receipt with status. */
static void fail_receipts(bkp_stomp *s, int status)
{
    fail_list(s, detach_receipts(s), status, status);
}

/* ---------------------------------------------------------------- connection steps */

static void stop_conn_events(bkp_stomp *s)
{
    event_del(s->ev_timeout);
    event_del(s->ev_hb_send);
    event_del(s->ev_hb_recv);
}

static void close_socket(bkp_stomp *s)
{
    bkp_io_free(s->io);
    s->io = NULL;
    s->conn_id++;
    s->unparsed = 0;
    s->tcp_up = 0;
    stop_conn_events(s);
}

static void schedule_retry(bkp_stomp *s, uint64_t delay_ms)
{
    struct timeval tv = tv_ms(delay_ms);
    event_add(s->ev_retry, &tv);
}

/* The connection (or attempt) failed or ended; report it and plan the next attempt. */
static void conn_lost(bkp_stomp *s, int reason, const char *detail)
{
    bkp_stomp_state was = s->state;
    int stable = 0;
    uint64_t cid;
    bkp_sub *sub;

    if (was == BKP_STOMP_CONNECTED)
        stable = bkp_now_ms() - s->connected_at_ms >= (uint64_t)s->o.backoff_max_ms;
    close_socket(s);
    cid = s->conn_id;
    for (sub = s->subs; sub; sub = sub->next)
        sub->broker_made = 0;
    s->version = 0;
    s->hb_send = s->hb_recv = 0;
    s->last_reason = reason;
    snprintf(s->detail, sizeof s->detail, "%s: %s", s->hosts[s->cur].label,
             detail ? detail : bk_strerror(reason));

    if (was == BKP_STOMP_CLOSING) {
        s->state = BKP_STOMP_CLOSED;
        fail_receipts(s, BK_ECLOSED);
        if (!s->freed)
            notify_state(s, BKP_STOMP_CLOSED, reason, s->detail);
        return;
    }
    s->state = BKP_STOMP_DISCONNECTED;
    fail_receipts(s, BK_ECLOSED);
    if (s->freed || s->state != BKP_STOMP_DISCONNECTED)
        return;
    /* Planned before the callback, which logs it; carried out after, unless it changed
     * the state. */
    unsigned rounds = stable ? 0 : s->rounds;
    uint64_t delay = 0;
    s->round_over = !stable && s->fails + 1 >= s->nhosts;
    if (s->round_over)
        delay = bkp_backoff_ms((uint32_t)s->o.backoff_min_ms, (uint32_t)s->o.backoff_max_ms,
                               rounds + 1, bkp_random32());
    s->retry_ms = s->round_over && s->o.max_rounds > 0 && rounds + 1 >= (unsigned)s->o.max_rounds
                      ? -1 : (int64_t)delay;
    notify_state(s, BKP_STOMP_DISCONNECTED, reason, s->detail);
    if (s->freed || s->state != BKP_STOMP_DISCONNECTED || s->conn_id != cid)
        return;

    if (stable) {
        s->fails = 0;
        s->rounds = 0;
    }
    s->cur = (s->cur + 1) % s->nhosts;
    if (stable || ++s->fails < s->nhosts) {
        schedule_retry(s, 0);
        return;
    }
    s->fails = 0;
    s->rounds++;
    if (s->o.max_rounds > 0 && s->rounds >= (unsigned)s->o.max_rounds) {
        s->state = BKP_STOMP_CLOSED;
        notify_state(s, BKP_STOMP_CLOSED, reason, s->detail);
        return;
    }
    schedule_retry(s, delay);
}

int64_t bkp_stomp_retry_in(const bkp_stomp *s, int *round_over)
{
    if (round_over)
        *round_over = s->round_over;
    return s->retry_ms;
}

static int send_connect(bkp_stomp *s)
{
    bkp_enc e;
    char hb[48];

    snprintf(hb, sizeof hb, "%d,%d", s->o.hb_send_ms < 0 ? 0 : s->o.hb_send_ms,
             s->o.hb_recv_ms < 0 ? 0 : s->o.hb_recv_ms);
    bkp_enc_begin(&e, bkp_io_output(s->io),
                  s->o.use_stomp_cmd ? BKP_CMD_STOMP : BKP_CMD_CONNECT,
                  BKP_ENC_RAW | BKP_ENC_NO_LENGTH);
    bkp_enc_header(&e, "accept-version", "1.1,1.2");
    bkp_enc_header(&e, "host", s->vhost);
    if (s->login) {
        bkp_enc_header(&e, "login", s->login);
        bkp_enc_header(&e, "passcode", s->passcode ? s->passcode : "");
    }
    bkp_enc_header(&e, "heart-beat", hb);
    return bkp_conn_out_done(s, bkp_enc_end(&e, NULL, 0));
}

static void attempt(bkp_stomp *s)
{
    const bkp_hostport *hp = &s->hosts[s->cur];
    struct addrinfo hints, *ai = NULL;
    struct timeval tv;
    uint64_t cid;
    int rc, one = 1;
    evutil_socket_t fd;

    s->state = BKP_STOMP_CONNECTING;
    s->stats.attempts++;
    cid = s->conn_id;
    notify_state(s, BKP_STOMP_CONNECTING, 0, hp->label);
    if (s->freed || s->state != BKP_STOMP_CONNECTING || s->conn_id != cid)
        return;

    bkp_parser_free(s->parser);
    s->parser = NULL;
    s->parser_hb = 0;
    rc = bkp_parser_new(&s->parser, &s->o.limits);
    if (rc < 0) {
        conn_lost(s, rc, "out of memory");
        return;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(hp->host, hp->port, &hints, &ai);
    if (rc != 0 || !ai) {
        if (ai)
            freeaddrinfo(ai);
        conn_lost(s, BK_ECONNREFUSED, rc ? gai_strerror(rc) : "no address");
        return;
    }
    if (bkp_io_new(&s->io, s->base, -1, s->o.max_single_read, on_read, on_event, NULL, s) < 0) {
        freeaddrinfo(ai);
        conn_lost(s, BK_ENOMEM, "out of memory");
        return;
    }
    if (s->o.tls && bkp_io_start_tls(s->io, s->o.tls, hp->host) < 0) {
        freeaddrinfo(ai);
        conn_lost(s, BK_ENOMEM, "out of memory");
        return;
    }
    tv = tv_ms((uint64_t)s->o.connect_timeout_ms);
    event_add(s->ev_timeout, &tv);
    rc = bkp_io_connect(s->io, ai->ai_addr, (int)ai->ai_addrlen);
    freeaddrinfo(ai);
    if (rc < 0) {
        conn_lost(s, BK_ECONNREFUSED, strerror(errno));
        return;
    }
    fd = bkp_io_fd(s->io);
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    bkp_io_read_enable(s->io, 1);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    bkp_stomp *s = arg;
    (void)fd;
    (void)what;
    enter(s);
    if (!s->freed && (s->state == BKP_STOMP_DISCONNECTED || s->state == BKP_STOMP_IDLE))
        attempt(s);
    leave(s);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    bkp_stomp *s = arg;
    (void)fd;
    (void)what;
    enter(s);
    if (s->state == BKP_STOMP_CONNECTING) {
        /* a plain broker reads a ClientHello as the start of a frame, and waits */
        conn_lost(s, BK_ETIMEDOUT, s->io && bkp_io_handshaking(s->io)
                                       ? "TLS handshake: no answer in time (not a TLS port?)"
                                       : "no CONNECTED in time");
    } else if (s->state == BKP_STOMP_CLOSING) {
        /* the DISCONNECT receipt never came: close anyway */
        struct rcpt *r = detach_receipts(s);
        close_socket(s);
        s->state = BKP_STOMP_CLOSED;
        fail_list(s, r, BK_ECLOSED, BK_ETIMEDOUT);
        if (!s->freed)
            notify_state(s, BKP_STOMP_CLOSED, BK_ETIMEDOUT, "no DISCONNECT receipt in time");
    }
    leave(s);
}

static void on_hb_send(evutil_socket_t fd, short what, void *arg)
{
    bkp_stomp *s = arg;
    (void)fd;
    (void)what;
    if (!s->io)
        return;
    if (!s->wrote) {
        if (evbuffer_add(bkp_io_output(s->io), "\n", 1) == 0)
            s->stats.heartbeats_out++;
    }
    s->wrote = 0;
}

static void on_hb_recv(evutil_socket_t fd, short what, void *arg)
{
    bkp_stomp *s = arg;
    (void)fd;
    (void)what;
    enter(s);
    if (s->io && s->hb_recv) {
        uint64_t grace = s->o.hb_grace_ms > 0 ? (uint64_t)s->o.hb_grace_ms
                         : (s->hb_recv < 1000 ? s->hb_recv : 1000);
        if (bkp_now_ms() - s->last_read_ms > 2 * (uint64_t)s->hb_recv + grace)
            conn_lost(s, BK_ETIMEDOUT, "peer silent past its heart-beat");
    }
    leave(s);
}

/* ---------------------------------------------------------------- incoming frames */

static int parse_hb(const char *v, unsigned *a, unsigned *b)
{
    char *end;
    unsigned long x, y;
    if (!v)
        return BK_EINVAL;
    errno = 0;
    x = strtoul(v, &end, 10);
    if (errno || end == v || *end != ',' || x > 86400000UL)
        return BK_EINVAL;
    v = end + 1;
    y = strtoul(v, &end, 10);
    if (errno || end == v || *end || y > 86400000UL)
        return BK_EINVAL;
    *a = (unsigned)x;
    *b = (unsigned)y;
    return 0;
}

static void start_hb(bkp_stomp *s)
{
    struct timeval tv;
    if (s->hb_send) {
        tv = tv_ms(s->hb_send / 2 ? s->hb_send / 2 : 1);
        event_add(s->ev_hb_send, &tv);
    }
    if (s->hb_recv) {
        tv = tv_ms(s->hb_recv / 2 ? s->hb_recv / 2 : 1);
        event_add(s->ev_hb_recv, &tv);
    }
}

static void handle_connected(bkp_stomp *s, const bkp_frame *f)
{
    const char *v = bkp_frame_get(f, "version");
    const char *srv = bkp_frame_get(f, "server");
    const char *ses = bkp_frame_get(f, "session");
    unsigned sx = 0, sy = 0, cx, cy;
    uint64_t cid = s->conn_id;
    bkp_sub *sub;
    int rc;

    if (!v)
        s->version = 10;
    else if (strcmp(v, "1.2") == 0)
        s->version = 12;
    else if (strcmp(v, "1.1") == 0)
        s->version = 11;
    else {
        conn_lost(s, BK_EPROTO, "CONNECTED with a version we did not offer");
        return;
    }
    s->enc_flags = s->version == 10 ? BKP_ENC_RAW : 0;
    bkp_parser_set_unescape(s->parser, s->version != 10);
    free(s->server);
    free(s->session);
    s->server = bkp_conn_strdup(srv ? srv : "");
    s->session = bkp_conn_strdup(ses ? ses : "");
    if (!s->server || !s->session) {
        conn_lost(s, BK_ENOMEM, "out of memory");
        return;
    }
    s->flavour = bkp_flavour_detect(srv);
    if (parse_hb(bkp_frame_get(f, "heart-beat"), &sx, &sy) < 0)
        sx = sy = 0; /* absent or malformed: no heart-beats, like a 1.0 server */
    cx = s->o.hb_send_ms < 0 ? 0 : (unsigned)s->o.hb_send_ms;
    cy = s->o.hb_recv_ms < 0 ? 0 : (unsigned)s->o.hb_recv_ms;
    s->hb_send = cx && sy ? (cx > sy ? cx : sy) : 0;
    s->hb_recv = cy && sx ? (cy > sx ? cy : sx) : 0;
    event_del(s->ev_timeout);
    s->generation++;
    s->stats.connects++;
    s->connected_at_ms = bkp_now_ms();
    s->last_read_ms = s->connected_at_ms;
    s->state = BKP_STOMP_CONNECTED;

    for (sub = s->subs; sub; sub = sub->next) {
        if (sub->gone)
            continue;
        rc = bkp_conn_subscribe_now(s, sub);
        if (rc < 0) {
            conn_lost(s, rc, "cannot re-subscribe");
            return;
        }
    }
    start_hb(s);
    notify_state(s, BKP_STOMP_CONNECTED, 0, s->hosts[s->cur].label);
    (void)cid;
}

static void handle_receipt(bkp_stomp *s, const bkp_frame *f)
{
    struct rcpt *r = bkp_conn_rcpt_take(s, bkp_frame_get(f, "receipt-id"));
    if (!r)
        return; /* not ours or already failed: nothing to do */
    if (r->kind == RCPT_DISCONNECT) {
        close_socket(s);
        s->state = BKP_STOMP_CLOSED;
        struct rcpt *rest = detach_receipts(s);
        if (r->fn)
            r->fn(s, 0, r->arg);
        free(r);
        fail_list(s, rest, BK_ECLOSED, BK_ECLOSED);
        if (!s->freed)
            notify_state(s, BKP_STOMP_CLOSED, 0, "disconnected");
        return;
    }
    if (r->fn)
        r->fn(s, 0, r->arg);
    free(r);
}

static void handle_error(bkp_stomp *s, const bkp_frame *f)
{
    const char *msg = bkp_frame_get(f, "message");
    uint64_t cid = s->conn_id;
    struct rcpt *r;
    int connecting = s->state == BKP_STOMP_CONNECTING;

    if (!msg)
        msg = "";
    if (s->o.error_cb)
        s->o.error_cb(s, msg, f, s->o.arg);
    if (s->freed || s->conn_id != cid)
        return;
    r = bkp_conn_rcpt_take(s, bkp_frame_get(f, "receipt-id"));
    if (r) {
        if (r->fn)
            r->fn(s, BK_EBROKER, r->arg);
        free(r);
        if (s->freed || s->conn_id != cid)
            return;
    }
    if (connecting)
        conn_lost(s, BK_EAUTH, *msg ? msg : "ERROR answering CONNECT");
    else if (s->state == BKP_STOMP_CLOSING || bkp_flavour_error_closes(s->flavour))
        conn_lost(s, BK_EBROKER, *msg ? msg : "ERROR frame");
}

static void handle_frame(bkp_stomp *s, const bkp_frame *f)
{
    s->stats.frames_in++;
    if (s->state == BKP_STOMP_CONNECTING) {
        if (f->cmd == BKP_CMD_CONNECTED)
            handle_connected(s, f);
        else if (f->cmd == BKP_CMD_ERROR)
            handle_error(s, f);
        else
            conn_lost(s, BK_EPROTO, "frame before CONNECTED");
        return;
    }
    switch (f->cmd) {
    case BKP_CMD_MESSAGE: {
        bkp_sub *sub = bkp_conn_find_sub(s, bkp_frame_get(f, "subscription"));
        /* no such subscription (unsubscribed meanwhile): drop; an unacked one goes back */
        if (sub)
            sub->fn(s, sub, f, sub->arg);
        break;
    }
    case BKP_CMD_RECEIPT:
        handle_receipt(s, f);
        break;
    case BKP_CMD_ERROR:
        handle_error(s, f);
        break;
    case BKP_CMD_CONNECTED:
        conn_lost(s, BK_EPROTO, "a second CONNECTED");
        break;
    default:
        conn_lost(s, BK_EPROTO, "a client frame from the server");
        break;
    }
}

static void on_read(bkp_io *io, struct evbuffer *in, void *arg)
{
    bkp_stomp *s = arg;
    (void)io;
    uint64_t cid = s->conn_id, hb;
    size_t len = evbuffer_get_length(in);
    bkp_frame f;
    int r;

    enter(s);
    s->stats.bytes_in += len - s->unparsed;
    s->last_read_ms = bkp_now_ms();
    while (!s->freed && s->conn_id == cid) {
        r = bkp_parser_next(s->parser, in, &f);
        if (r == 0)
            break;
        if (r < 0) {
            conn_lost(s, r, bkp_parser_error(s->parser));
            break;
        }
        handle_frame(s, &f);
    }
    if (!s->freed && s->conn_id == cid) {
        s->unparsed = evbuffer_get_length(in);
        hb = bkp_parser_heartbeats(s->parser);
        s->stats.heartbeats_in += hb - s->parser_hb;
        s->parser_hb = hb;
    }
    leave(s);
}

static void on_event(bkp_io *io, int what, int err, void *arg)
{
    bkp_stomp *s = arg;
    char buf[160];

    enter(s);
    if (what & BKP_IO_CONNECTED) {
        s->tcp_up = 1;
        if (send_connect(s) < 0)
            conn_lost(s, BK_ENOMEM, "cannot encode CONNECT");
    } else if (what & BKP_IO_EOF) {
        conn_lost(s, BK_ECLOSED, "connection closed by the peer");
    } else if (what & BKP_IO_TLS) {
        /* a certificate, a name or a peer that is no TLS server: refused as a protocol
         * failure, with OpenSSL's reason */
        conn_lost(s, BK_EPROTO, bkp_io_error(io));
    } else if (what & BKP_IO_ERROR) {
        int connecting = s->state == BKP_STOMP_CONNECTING && !s->tcp_up;
        snprintf(buf, sizeof buf, "%s", evutil_socket_error_to_string(err));
        conn_lost(s, connecting ? BK_ECONNREFUSED : BK_EIO, buf);
    }
    leave(s);
}

/* ---------------------------------------------------------------- API */

/* A write to a connection the peer has reset raises SIGPIPE, whose default action ends
 * the process: a library must not let a broker going away kill its host. Ignored unless the
 * application installed a handler of its own. */
static void ignore_sigpipe(void)
{
    struct sigaction old;
    if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
        !(old.sa_flags & SA_SIGINFO))
        signal(SIGPIPE, SIG_IGN);
}

int bkp_stomp_new_like(bkp_stomp **out, const bkp_stomp *like, bkp_state_fn *state_cb,
                       bkp_error_fn *error_cb, void *arg)
{
    bkp_stomp_opts o = like->o;
    const char **hosts = calloc(like->nhosts, sizeof *hosts);
    if (!hosts)
        return BK_ENOMEM;
    for (size_t i = 0; i < like->nhosts; i++)
        hosts[i] = like->hosts[i].label;
    o.hosts = hosts;
    o.nhosts = like->nhosts;
    o.vhost = like->vhost;
    o.login = like->login;
    o.passcode = like->passcode;
    o.state_cb = state_cb;
    o.error_cb = error_cb;
    o.arg = arg;
    int rc = bkp_stomp_new(out, like->base, &o);
    free(hosts);
    return rc;
}

int bkp_stomp_new(bkp_stomp **out, struct event_base *base, const bkp_stomp_opts *o)
{
    ignore_sigpipe();
    bkp_stomp *s = NULL;
    size_t i;
    int rc = BK_EINVAL;

    *out = NULL;
    if (!base || !o || !o->hosts || o->nhosts == 0 || o->nhosts > BKP_MAX_HOSTS)
        return BK_EINVAL;
    if (has_ctl(o->vhost) || has_ctl(o->login) || has_ctl(o->passcode))
        return BK_EINVAL;
    s = calloc(1, sizeof *s);
    if (!s)
        return BK_ENOMEM;
    s->base = base;
    s->o = *o;
    s->o.hosts = NULL;
    s->o.vhost = s->o.login = s->o.passcode = NULL;
    s->o.tls = bkp_tls_ctx_ref(o->tls);
    s->o.hb_send_ms = o->hb_send_ms < 0 ? -1 : opt_ms(o->hb_send_ms, DEFAULT_HB_MS);
    s->o.hb_recv_ms = o->hb_recv_ms < 0 ? -1 : opt_ms(o->hb_recv_ms, DEFAULT_HB_MS);
    s->o.backoff_min_ms = opt_ms(o->backoff_min_ms, DEFAULT_BACKOFF_MIN_MS);
    s->o.backoff_max_ms = opt_ms(o->backoff_max_ms, DEFAULT_BACKOFF_MAX_MS);
    if (s->o.backoff_max_ms < s->o.backoff_min_ms)
        s->o.backoff_max_ms = s->o.backoff_min_ms;
    s->o.connect_timeout_ms = opt_ms(o->connect_timeout_ms, DEFAULT_CONNECT_TIMEOUT_MS);
    s->o.disconnect_timeout_ms = opt_ms(o->disconnect_timeout_ms, DEFAULT_DISCONNECT_TIMEOUT_MS);
    if (!s->o.max_outbuf)
        s->o.max_outbuf = DEFAULT_MAX_OUTBUF;
    s->hosts = calloc(o->nhosts, sizeof *s->hosts);
    if (!s->hosts) {
        rc = BK_ENOMEM;
        goto out;
    }
    for (i = 0; i < o->nhosts; i++) {
        rc = bkp_hostport_parse(&s->hosts[i], o->hosts[i]);
        if (rc < 0)
            goto out;
        s->nhosts++;
    }
    rc = BK_ENOMEM;
    s->vhost = bkp_conn_strdup(o->vhost ? o->vhost : s->hosts[0].host);
    s->login = o->login ? bkp_conn_strdup(o->login) : NULL;
    s->passcode = o->passcode ? bkp_conn_strdup(o->passcode) : NULL;
    s->server = bkp_conn_strdup("");
    s->session = bkp_conn_strdup("");
    s->ev_retry = evtimer_new(base, on_retry, s);
    s->ev_timeout = evtimer_new(base, on_timeout, s);
    s->ev_hb_send = event_new(base, -1, EV_PERSIST, on_hb_send, s);
    s->ev_hb_recv = event_new(base, -1, EV_PERSIST, on_hb_recv, s);
    s->ev_defer = event_new(base, -1, 0, on_defer, s);
    if (!s->vhost || (o->login && !s->login) || (o->passcode && !s->passcode) || !s->server ||
        !s->session || !s->ev_retry || !s->ev_timeout || !s->ev_hb_send || !s->ev_hb_recv ||
        !s->ev_defer)
        goto out;
    s->cur = o->ordered ? 0 : bkp_random32() % s->nhosts;
    *out = s;
    return 0;
out:
    destroy(s);
    return rc;
}

int bkp_stomp_start(bkp_stomp *s)
{
    if (s->freed || s->state != BKP_STOMP_IDLE || event_pending(s->ev_retry, EV_TIMEOUT, NULL))
        return BK_ESTATE;
    schedule_retry(s, 0);
    return 0;
}

void bkp_stomp_free(bkp_stomp *s)
{
    if (!s || s->freed)
        return;
    enter(s);
    s->freed = 1;
    close_socket(s);
    event_del(s->ev_retry);
    event_del(s->ev_defer);
    s->state = BKP_STOMP_CLOSED;
    fail_receipts(s, BK_ECLOSED);
    /* completions already decided run with their status; state changes are not reported */
    while (s->defer_head) {
        struct defer *d = s->defer_head;
        s->defer_head = d->next;
        if (d->kind == DEFER_RECEIPT)
            d->fn(s, d->status, d->arg);
        free(d);
    }
    s->defer_tail = NULL;
    leave(s);
}

int bkp_stomp_disconnect(bkp_stomp *s, bkp_receipt_fn *done, void *arg)
{
    bkp_enc e;
    struct rcpt *r;
    struct timeval tv;
    int rc;

    if (s->freed || s->state == BKP_STOMP_CLOSING || s->state == BKP_STOMP_CLOSED)
        return BK_ESTATE;
    if (s->state != BKP_STOMP_CONNECTED) {
        close_socket(s);
        event_del(s->ev_retry);
        s->state = BKP_STOMP_CLOSED;
        fail_receipts(s, BK_ECLOSED); /* none expected before CONNECTED; for safety */
        bkp_conn_defer_push(s, DEFER_STATE, NULL, NULL, 0, BKP_STOMP_CLOSED, "disconnected");
        bkp_conn_defer_push(s, DEFER_RECEIPT, done, arg, 0, 0, NULL);
        return 0;
    }
    r = bkp_conn_rcpt_add(s, RCPT_DISCONNECT, done, arg);
    if (!r)
        return BK_ENOMEM;
    bkp_enc_begin(&e, bkp_io_output(s->io), BKP_CMD_DISCONNECT,
                  s->enc_flags | BKP_ENC_NO_LENGTH);
    bkp_conn_enc_receipt(&e, r);
    rc = bkp_conn_out_done(s, bkp_enc_end(&e, NULL, 0));
    if (rc < 0) {
        bkp_conn_rcpt_unlink(s, r);
        return rc;
    }
    s->state = BKP_STOMP_CLOSING;
    tv = tv_ms((uint64_t)s->o.disconnect_timeout_ms);
    event_add(s->ev_timeout, &tv);
    bkp_conn_defer_push(s, DEFER_STATE, NULL, NULL, 0, BKP_STOMP_CLOSING,
                        s->hosts[s->cur].label);
    return 0;
}
