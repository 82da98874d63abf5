/* One client connection: reading frames, the STOMP commands, heart-beats, limits, closing.
 *
 * A session is freed only from libevent callbacks that are not inside frame handling (the
 * event callback, the write callback once a goodbye is flushed, the close timer), so frame
 * handlers may refuse and close freely: they mark the session closing and stop reading. */
#include "broker/broker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "beekeeper/error.h"
#include "core/clock.h"
#include "core/random.h"
#include "net/io.h"

struct brk_session {
    brk_broker *b;
    bkp_io *io;
    bkp_parser *parser;
    brk_session *prev, *next;
    const brk_user *user;
    brk_vhost *vhost;
    struct event *hb;              /* heart-beat sender */
    struct event *deadline;        /* CONNECT must come before it, however slowly it trickles */
    brk_sub *subs;
    size_t nsubs;
    brk_queue *temps;              /* temp queues this connection owns */
    brk_quota *quota;              /* its messages in queues, when its user has a limit */
    uint64_t bucket;               /* SENDs it may make now, in thousandths (max_sends_per_sec) */
    uint64_t bucket_ms;            /* when the bucket was last filled */
    uint64_t seq;
    uint32_t sub_serial;
    int version;                   /* 10, 11, 12; 0 before CONNECT */
    int closing;
    int blocked;                   /* output over the limit: queues skip it */
    uint64_t blocked_since;        /* bkp_now_ms when it last became blocked */
    uint64_t missed;               /* messages dropped for it since its last MESSAGE */
    int held;                      /* a publisher held back: not read from (on b->held) */
    brk_session *hprev, *hnext;
    brk_msg *pend;                 /* a SEND held back by a full queue, retried on resume */
    char *pend_queue, *pend_receipt;
    uint64_t pend_since;           /* when pend first found its queue full */
    int wrote;                     /* something was written since the last heart-beat tick */
    int recv_ms;                   /* heart-beat we expect; 0 none */
    char token[17];
    char peer[48];
};

static void session_free(brk_session *s);

int brk_session_writable(const brk_session *s)
{
    return !s->closing && !s->blocked;
}

void brk_session_write_now(brk_session *s)
{
    if (s->io)
        bkp_io_write_now(s->io);
}

static struct evbuffer *out_of(brk_session *s)
{
    s->wrote = 1;
    return bkp_io_output(s->io);
}

static unsigned enc_flags(const brk_session *s)
{
    return s->version == 10 ? BKP_ENC_RAW : 0;
}

static void note_output(brk_session *s)
{
    if (!s->blocked && evbuffer_get_length(bkp_io_output(s->io)) > s->b->lim.max_conn_outbuf) {
        s->blocked = 1;
        s->blocked_since = bkp_now_ms();
    }
}

static void error_frame(brk_session *s, const char *receipt, const char *msg)
{
    bkp_enc e;
    bkp_enc_begin(&e, out_of(s), BKP_CMD_ERROR, enc_flags(s));
    bkp_enc_header(&e, "message", msg);
    if (receipt)
        bkp_enc_header(&e, "receipt-id", receipt);
    bkp_enc_header(&e, "content-type", "text/plain");
    bkp_enc_end(&e, msg, strlen(msg));
}

/* An ERROR for one frame. final: then close once it is written (or after 5 s), else carry
 * on; a session whose output is over its limit is closed either way. */
__attribute__((format(printf, 4, 0)))
static void error_v(brk_session *s, const char *receipt, int final, const char *fmt, va_list ap)
{
    if (s->closing)
        return;
    char msg[300];
    vsnprintf(msg, sizeof msg, fmt, ap);
    final |= s->blocked;
    brk_broker_log(s->b, final ? 1 : 2, "%s: %s: %s", s->peer, final ? "refused" : "denied",
                   msg);
    error_frame(s, receipt, msg);
    if (!final) {
        note_output(s);
        return;
    }
    s->closing = 1;
    bkp_io_read_enable(s->io, 0);
    bkp_io_set_lowat(s->io, 0);
    struct timeval tv = {5, 0};
    bkp_io_set_timeouts(s->io, NULL, &tv);
}

/* Sends an ERROR with a message, then closes once it is written (or after 5 s). */
static void refuse(brk_session *s, const char *receipt, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void refuse(brk_session *s, const char *receipt, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_v(s, receipt, 1, fmt, ap);
    va_end(ap);
}

/* Refuses one SEND and carries on: an ERROR (with receipt-id when the frame asked for a
 * receipt) without refuse()'s close, for what a sealed frontend forbids (doc/broker.md),
 * so that the connection's other work goes on, as ActiveMQ does with its refusals. Logged
 * at -vv only: a hostile client must not flood the log. A client that does not read these
 * errors is closed like any other that reads nothing: past its output limit, the refusal
 * closes. */
static void deny(brk_session *s, const bkp_frame *f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void deny(brk_session *s, const bkp_frame *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_v(s, bkp_frame_get(f, "receipt"), 0, fmt, ap);
    va_end(ap);
}

/* max_sends_per_sec: a bucket that holds one second's worth, so a burst up to the rate
 * passes and a steady flow beyond it does not. */
static int over_rate(brk_session *s)
{
    uint64_t rate = s->user->max_sends_per_sec, now = bkp_now_ms();
    if (!rate)
        return 0;
    s->bucket += (now - s->bucket_ms) * rate;
    if (s->bucket > rate * 1000)
        s->bucket = rate * 1000;
    s->bucket_ms = now;
    if (s->bucket < 1000)
        return 1;
    s->bucket -= 1000;
    return 0;
}

void brk_session_close_all(brk_broker *b, const char *why)
{
    for (brk_session *s = b->sessions; s; s = s->next)
        refuse(s, NULL, "%s", why);
}

void brk_session_free_all(brk_broker *b)
{
    while (b->sessions)
        session_free(b->sessions);
}

uint64_t brk_session_deliver(brk_session *s, brk_sub *sub, brk_msg *m)
{
    char id[40];
    uint64_t seq = ++s->seq;
    int n = snprintf(id, sizeof id, "%" PRIu32 ".%" PRIu64, sub->serial, seq);
    bkp_enc e;
    bkp_enc_begin(&e, out_of(s), BKP_CMD_MESSAGE, enc_flags(s));
    bkp_enc_header(&e, "subscription", sub->id);
    bkp_enc_header_n(&e, "message-id", 10, id, (size_t)n);
    bkp_enc_header(&e, "destination", sub->kind == BRK_DEST_QUEUE ? sub->dest : m->dest);
    if (sub->ack != BRK_ACK_AUTO && s->version == 12)
        bkp_enc_header_n(&e, "ack", 3, id, (size_t)n);
    if (m->redelivered)
        bkp_enc_header(&e, "redelivered", "true");
    if (s->missed) {   /* told, not silence: what was dropped for it since its last MESSAGE */
        bkp_enc_header_u64(&e, "x-bkpr-dropped", s->missed);
        s->missed = 0;
    }
    for (uint32_t i = 0; i < m->nheaders; i++)
        bkp_enc_header_n(&e, m->headers[i].name, m->headers[i].name_len, m->headers[i].value,
                         m->headers[i].value_len);
    if (bkp_enc_end(&e, m->body, m->body_len) < 0) {
        refuse(s, NULL, "out of memory");
        return 0;
    }
    note_output(s);
    s->b->stats.msgs_out++;
    return seq;
}

static void receipt_for(brk_session *s, const char *r)
{
    if (!r || s->closing)
        return;
    bkp_enc e;
    bkp_enc_begin(&e, out_of(s), BKP_CMD_RECEIPT, enc_flags(s) | BKP_ENC_NO_LENGTH);
    bkp_enc_header(&e, "receipt-id", r);
    bkp_enc_end(&e, NULL, 0);
}

static void receipt(brk_session *s, const bkp_frame *f)
{
    receipt_for(s, bkp_frame_get(f, "receipt"));
}

/* CONNECT */

static int pick_version(const char *accept)
{
    if (!accept)
        return 10;
    int best = 0;
    for (const char *p = accept; *p;) {
        size_t n = strcspn(p, ",");
        if (n == 3 && strncmp(p, "1.2", 3) == 0 && best < 12) best = 12;
        if (n == 3 && strncmp(p, "1.1", 3) == 0 && best < 11) best = 11;
        if (n == 3 && strncmp(p, "1.0", 3) == 0 && best < 10) best = 10;
        p += n;
        if (*p == ',')
            p++;
    }
    return best;
}

static void on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    brk_session *s = arg;
    if (!s->wrote && !s->closing)
        evbuffer_add(bkp_io_output(s->io), "\n", 1);
    s->wrote = 0;
}

static void do_connect(brk_session *s, const bkp_frame *f)
{
    brk_broker *b = s->b;
    if (s->version) {
        refuse(s, NULL, "already connected");
        return;
    }
    if (s->deadline)
        evtimer_del(s->deadline);
    int v = pick_version(bkp_frame_get(f, "accept-version"));
    if (!v) {
        s->version = 10;
        refuse(s, NULL, "supported protocol versions are 1.0, 1.1, 1.2");
        return;
    }
    s->version = v;
    bkp_parser_set_unescape(s->parser, v >= 11);
    const char *vh = bkp_frame_get(f, "host");
    if (!vh || !*vh)
        vh = "/";
    s->user = brk_auth_login(b, bkp_frame_get(f, "login"), bkp_frame_get(f, "passcode"), vh);
    if (!s->user) {
        refuse(s, NULL, "access refused for user '%.64s' to vhost '%.64s'",
               bkp_frame_get(f, "login") ? bkp_frame_get(f, "login") : "", vh);
        return;
    }
    if (!(s->vhost = brk_vhost_get(b, vh, 1))) {
        refuse(s, NULL, "cannot open vhost '%.64s' (too many vhosts)", vh);
        return;
    }
    if (s->user->max_queued_bytes && !(s->quota = calloc(1, sizeof *s->quota))) {
        refuse(s, NULL, "out of memory");
        return;
    }
    if (s->quota)
        s->quota->refs = 1;
    s->bucket = (uint64_t)s->user->max_sends_per_sec * 1000;
    s->bucket_ms = bkp_now_ms();
    /* heart-beat: the client can send every cx and wants one every cy. */
    long cx = 0, cy = 0;
    const char *hb = bkp_frame_get(f, "heart-beat");
    if (hb && v >= 11 && sscanf(hb, "%ld,%ld", &cx, &cy) != 2) {
        refuse(s, NULL, "malformed heart-beat header '%.40s'", hb);
        return;
    }
    /* The broker agrees to any interval down to its floor, both ways, as RabbitMQ does. */
    long floor_ms = b->lim.heartbeat_ms;
    long send_ms = (cy > 0 && floor_ms > 0) ? (cy > floor_ms ? cy : floor_ms) : 0;
    long recv_ms = (cx > 0 && floor_ms > 0) ? (cx > floor_ms ? cx : floor_ms) : 0;
    if (send_ms > 0) {
        s->hb = event_new(b->base, -1, EV_PERSIST, on_heartbeat, s);
        struct timeval tv = {send_ms / 1000, (send_ms % 1000) * 1000};
        if (s->hb)
            event_add(s->hb, &tv);
    }
    s->recv_ms = (int)recv_ms;
    if (recv_ms > 0) {
        long dead = 2 * recv_ms + 1000;
        struct timeval tv = {dead / 1000, (dead % 1000) * 1000};
        bkp_io_set_timeouts(s->io, &tv, NULL);
    } else {
        bkp_io_set_timeouts(s->io, NULL, NULL);
    }
    char hbv[48];
    snprintf(hbv, sizeof hbv, "%ld,%ld", send_ms, recv_ms);
    bkp_enc e;
    bkp_enc_begin(&e, out_of(s), BKP_CMD_CONNECTED, BKP_ENC_NO_LENGTH);
    bkp_enc_header(&e, "version", v == 12 ? "1.2" : v == 11 ? "1.1" : "1.0");
    bkp_enc_header(&e, "server", BRK_SERVER);
    bkp_enc_header(&e, "session", s->token);
    if (v >= 11)
        bkp_enc_header(&e, "heart-beat", hbv);
    bkp_enc_end(&e, NULL, 0);
}

/* Destinations */

static brk_queue *temp_queue(brk_session *s, const char *name, int create)
{
    char key[600];
    if (snprintf(key, sizeof key, "tq.%s.%s", s->token, name) >= (int)sizeof key)
        return NULL;
    brk_queue *q = brk_queue_get(s->vhost, key, 0);
    if (q || !create)
        return q;
    if (!(q = brk_queue_get(s->vhost, key, 1)))
        return NULL;
    q->owner = s;
    q->tq_next = s->temps;
    s->temps = q;
    return q;
}

static int valid_name(const char *n)
{
    return *n && strlen(n) < 512;
}

static void answer_stats(brk_session *s, const bkp_frame *f, const char *reply);
static void on_read(bkp_io *io, struct evbuffer *in, void *arg);

/* ------------------------------------------------------------------ credit flow
 *
 * A publisher whose message cannot be taken (a topic subscriber over its output limit, a
 * full queue) is held back: the broker stops reading it, so the kernel's socket buffers
 * and then its own output buffer push back on it. It reads again when room is made (a
 * subscriber drains to half its limit, a queue that refused gives a message away) and, in
 * any case, at the next tick of b->resume, when the bound (slow_consumer_ms) is checked
 * again. A held publisher stops where it is: the frames it sent before are in its input
 * buffer, or half in the parser, so a resume parses those first and only then re-enables
 * the read event; re-enabling alone would wait for bytes that have already arrived. */

static void pend_clear(brk_session *s)
{
    brk_msg_unref(s->pend);
    free(s->pend_queue);
    free(s->pend_receipt);
    s->pend = NULL;
    s->pend_queue = s->pend_receipt = NULL;
}

int brk_session_stuck(const brk_session *s)
{
    return s->closing ||
           (s->blocked && bkp_now_ms() - s->blocked_since >= (uint64_t)s->b->lim.slow_consumer_ms);
}

void brk_session_missed(brk_session *s)
{
    s->b->dropped++;
    if (!s->closing && s->missed++ == 0)
        brk_broker_log(s->b, 1, "%s: slow consumer: full for %d ms, topic messages for it are "
                       "dropped", s->peer, s->b->lim.slow_consumer_ms);
}

static void held_unlink(brk_session *s)
{
    if (s->hprev)
        s->hprev->hnext = s->hnext;
    else
        s->b->held = s->hnext;
    if (s->hnext)
        s->hnext->hprev = s->hprev;
    s->hprev = s->hnext = NULL;
    s->held = 0;
}

/* The resume tick: often enough that a publisher held for a queue is refused close to its
 * bound, rare enough that one held for a full subscriber sends it little over its limit. */
static void arm_resume(brk_broker *b)
{
    if (evtimer_pending(b->resume, NULL))
        return;
    long ms = b->lim.slow_consumer_ms / 4 + 1;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(b->resume, &tv);
}

static void on_resume(evutil_socket_t fd, short what, void *arg);

static void hold(brk_session *s)
{
    brk_broker *b = s->b;
    if (s->held || s->closing)
        return;
    if (!b->resume && !(b->resume = evtimer_new(b->base, on_resume, b)))
        return; /* out of memory: not held back, as before credit flow */
    s->held = 1;
    s->hprev = NULL;
    s->hnext = b->held;
    if (b->held)
        b->held->hprev = s;
    b->held = s;
    b->stats.held_back++;
    bkp_io_read_enable(s->io, 0);
    arm_resume(b);
}

void brk_session_wake_held(brk_broker *b)
{
    if (b->held)
        event_active(b->resume, EV_TIMEOUT, 1);
}

static void refuse_full(brk_session *s, const char *receipt_id, const char *queue);

/* Tries the held SEND again: 1 while it is still held back. */
static int retry_pending(brk_session *s)
{
    const char *name = s->pend_queue;
    brk_queue *q = brk_queue_get(s->vhost, name, 0);
    if (!q && strncmp(name, "tq.", 3) != 0)
        q = brk_queue_get(s->vhost, name, 1); /* emptied and collected meanwhile */
    if (!q) { /* a reply queue whose owner has gone: dropped, as in do_send */
        receipt_for(s, s->pend_receipt);
        pend_clear(s);
        return 0;
    }
    if (brk_queue_push(q, s->pend) == 0) {
        s->b->stats.msgs_in++;
        receipt_for(s, s->pend_receipt);
        pend_clear(s);
        brk_queue_gc(q);
        return 0;
    }
    s->b->queue_refused = 1;
    if (bkp_now_ms() - s->pend_since < (uint64_t)s->b->lim.slow_consumer_ms) {
        hold(s);
        return 1;
    }
    refuse_full(s, s->pend_receipt, s->pend->dest);
    pend_clear(s);
    brk_queue_gc(q);
    return 0;
}

static void resume(brk_session *s)
{
    if (s->closing || (s->pend && retry_pending(s)) || s->closing)
        return;
    on_read(s->io, bkp_io_input(s->io), s);
    if (!s->held && !s->closing)
        bkp_io_read_enable(s->io, 1);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    brk_broker *b = arg;
    /* Those held again while they resume join a new list. */
    brk_session *list = b->held;
    b->held = NULL;
    for (brk_session *s = list; s; s = s->hnext)
        s->held = 0;
    while (list) {
        brk_session *s = list;
        list = s->hnext;
        if (list)
            list->hprev = NULL;
        s->hprev = s->hnext = NULL;
        resume(s);
    }
}

/* A SEND that finds its queue full is held back (the publisher with it) rather than
 * refused, for slow_consumer_ms: it takes m's reference. 0 when out of memory. */
static int hold_for_queue(brk_session *s, brk_queue *q, brk_msg *m, const char *receipt_id)
{
    if (!(s->pend_queue = strdup(q->name)) ||
        (receipt_id && !(s->pend_receipt = strdup(receipt_id)))) {
        free(s->pend_queue);
        s->pend_queue = NULL;
        return 0;
    }
    s->pend = m;
    s->pend_since = bkp_now_ms();
    s->b->queue_refused = 1;
    hold(s);
    return 1;
}

static void refuse_full(brk_session *s, const char *receipt_id, const char *queue)
{
    s->b->stats.drop_full++;
    refuse(s, receipt_id, "queue '%.100s' is full (%zu messages, or the broker's %zu bytes)",
           queue, s->b->lim.max_queue_messages, s->b->lim.max_queued_bytes);
}

static void do_send(brk_session *s, const bkp_frame *f)
{
    const char *dest = bkp_frame_get(f, "destination");
    if (!dest) {
        refuse(s, bkp_frame_get(f, "receipt"), "SEND without destination");
        return;
    }
    int64_t now = bkp_wall_ms(), expires = 0;
    const char *ttl = bkp_frame_get(f, "expiration"), *abs = bkp_frame_get(f, "expires");
    char *end;
    if (ttl && *ttl) {
        long long v = strtoll(ttl, &end, 10);
        if (*end || v < 0) {
            refuse(s, bkp_frame_get(f, "receipt"), "invalid expiration '%.30s'", ttl);
            return;
        }
        expires = now + (v > INT32_MAX ? INT32_MAX : v);
        if (v == 0)
            expires = now; /* already dead */
    } else if (abs && *abs) {
        long long v = strtoll(abs, &end, 10);
        if (*end || v < 0) {
            refuse(s, bkp_frame_get(f, "receipt"), "invalid expires '%.30s'", abs);
            return;
        }
        expires = v;
    }
    /* The reply-to names a private queue of the sender: rewrite it to a name anyone can
     * send to but nobody else can subscribe to. */
    char rewritten[600];
    const char *reply = bkp_frame_get(f, "reply-to"), *new_reply = NULL;
    if (reply && strncmp(reply, "/temp-queue/", 12) == 0) {
        if (!valid_name(reply + 12) || !temp_queue(s, reply + 12, 1)) {
            refuse(s, NULL, "invalid reply-to '%.64s'", reply);
            return;
        }
        snprintf(rewritten, sizeof rewritten, "/reply-queue/%s.%s", s->token, reply + 12);
        new_reply = rewritten;
    } else if (reply) {
        /* The answer will be sent there in the sender's name: naming someone else's reply
         * queue would inject answers into another session. */
        if (!brk_auth_may(s->user, s->vhost->name, reply, 1)) {
            deny(s, f, "access refused: user '%s' may not name '%.100s' in reply-to (its own "
                 "/temp-queue/ or a destination it may send to)", s->user->name, reply);
            return;
        }
        new_reply = reply;
    }

    brk_queue *q = NULL;
    int topic = 0;
    if (strncmp(dest, "/reply-queue/", 13) == 0) {
        char key[600];
        if (!brk_auth_may(s->user, s->vhost->name, dest, 1)) {
            deny(s, f, "access refused: user '%s' may not send to reply queue '%.100s'",
                 s->user->name, dest);
            return;
        }
        if (snprintf(key, sizeof key, "tq.%s", dest + 13) >= (int)sizeof key) {
            refuse(s, NULL, "destination too long");
            return;
        }
        q = brk_queue_get(s->vhost, key, 0);
        if (!q) { /* its owner has gone: nobody can read it, drop it */
            receipt(s, f);
            return;
        }
    } else if (strncmp(dest, "/temp-queue/", 12) == 0) {
        if (!valid_name(dest + 12) || !(q = temp_queue(s, dest + 12, 1))) {
            refuse(s, NULL, "invalid destination '%.64s'", dest);
            return;
        }
    } else if (!brk_auth_may(s->user, s->vhost->name, dest, 1)) {
        refuse(s, bkp_frame_get(f, "receipt"), "access refused: user '%s' may not send to '%.100s'",
               s->user->name, dest);
        return;
    } else if (brk_stats_is_request(dest)) {
        answer_stats(s, f, reply);
        return;
    } else if (strncmp(dest, "/queue/", 7) == 0 && valid_name(dest + 7)) {
        if (!(q = brk_queue_get(s->vhost, dest, 1))) {
            refuse(s, NULL, "out of memory");
            return;
        }
    } else if (strncmp(dest, "/topic/", 7) == 0 && valid_name(dest + 7)) {
        topic = 1;
    } else {
        refuse(s, NULL, "unknown destination '%.100s' (use /queue/, /topic/, /temp-queue/)", dest);
        return;
    }
    if (expires && expires <= now) {
        receipt(s, f);
        if (q)
            brk_queue_gc(q);
        return;
    }
    brk_msg *m = brk_msg_new(f, dest, new_reply, expires);
    if (!m) {
        refuse(s, NULL, "out of memory");
        return;
    }
    if (q && s->quota) {
        if (s->quota->bytes + m->size > s->user->max_queued_bytes) {
            brk_msg_unref(m);
            deny(s, f, "refused: this connection's messages waiting in queues would pass its "
                 "limit of %zu bytes", s->user->max_queued_bytes);
            brk_queue_gc(q);
            return;
        }
        m->quota = s->quota;
        s->quota->refs++;
    }
    if (topic) {
        if (brk_topic_publish(s->vhost, dest + 7, m) > 0)
            hold(s);
    } else if (brk_queue_push(q, m) < 0) {
        if (hold_for_queue(s, q, m, bkp_frame_get(f, "receipt")))
            return; /* counted and answered once it is queued, or refused */
        brk_msg_unref(m);
        refuse_full(s, bkp_frame_get(f, "receipt"), dest);
        brk_queue_gc(q);
        return;
    }
    s->b->stats.msgs_in++;
    brk_msg_unref(m);
    if (q)
        brk_queue_gc(q);
    receipt(s, f);
}

/* The broker's own method: the response goes to reply-to as a SEND of this session would,
 * with its permissions and its temp-queue names. */
static void answer_stats(brk_session *s, const bkp_frame *f, const char *reply)
{
    size_t len = 0;
    char *body = reply ? brk_stats_answer(s->b, s->vhost, f->body, f->body_len, &len) : NULL;
    if (body) {
        bkp_header h = { .name = "destination", .value = reply, .name_len = 11,
                         .value_len = (uint32_t)strlen(reply) };
        bkp_frame r = { .cmd = BKP_CMD_SEND, .nheaders = 1, .headers = &h, .body = body,
                        .body_len = len };
        do_send(s, &r);
        free(body);
    }
    receipt(s, f);
}

static brk_sub *find_sub(brk_session *s, const char *id, brk_sub ***link)
{
    for (brk_sub **pp = &s->subs; *pp; pp = &(*pp)->snext)
        if (strcmp((*pp)->id, id) == 0) {
            if (link)
                *link = pp;
            return *pp;
        }
    return NULL;
}

static void sub_free(brk_sub *sub)
{
    if (sub->kind == BRK_DEST_QUEUE)
        brk_queue_detach(sub);
    else
        brk_topic_detach(sub);
    while (sub->unacked_head) { /* topics: nothing to requeue */
        brk_delivery *d = sub->unacked_head;
        sub->unacked_head = d->next;
        brk_msg_unref(d->msg);
        free(d);
    }
    free(sub->id);
    free(sub->dest);
    free(sub);
}

static void do_subscribe(brk_session *s, const bkp_frame *f)
{
    const char *r = bkp_frame_get(f, "receipt");
    const char *dest = bkp_frame_get(f, "destination");
    const char *id = bkp_frame_get(f, "id");
    if (!dest) {
        refuse(s, r, "SUBSCRIBE without destination");
        return;
    }
    if (!id) {
        if (s->version >= 11) {
            refuse(s, r, "SUBSCRIBE without id");
            return;
        }
        id = dest;
    }
    if (find_sub(s, id, NULL)) {
        refuse(s, r, "subscription id '%.64s' is already in use", id);
        return;
    }
    if (s->nsubs >= s->b->lim.max_subscriptions) {
        refuse(s, r, "too many subscriptions (limit %zu)", s->b->lim.max_subscriptions);
        return;
    }
    brk_ack_mode ack = BRK_ACK_AUTO;
    const char *a = bkp_frame_get(f, "ack");
    if (!a || strcmp(a, "auto") == 0)
        ack = BRK_ACK_AUTO;
    else if (strcmp(a, "client") == 0)
        ack = BRK_ACK_CLIENT;
    else if (strcmp(a, "client-individual") == 0)
        ack = BRK_ACK_INDIVIDUAL;
    else {
        refuse(s, r, "invalid ack mode '%.32s'", a);
        return;
    }
    const char *pf = bkp_frame_get(f, "prefetch-count");
    if (!pf)
        pf = bkp_frame_get(f, "activemq.prefetchSize");
    unsigned long prefetch = 0;
    if (pf) {
        char *end;
        prefetch = strtoul(pf, &end, 10);
        if (*end || *pf == '-' || prefetch > UINT32_MAX) {
            refuse(s, r, "invalid prefetch '%.32s'", pf);
            return;
        }
    }
    brk_queue *q = NULL;
    int topic = 0;
    if (strncmp(dest, "/temp-queue/", 12) == 0) {
        if (!valid_name(dest + 12) || !(q = temp_queue(s, dest + 12, 1))) {
            refuse(s, r, "invalid destination '%.64s'", dest);
            return;
        }
    } else if (strncmp(dest, "/reply-queue/", 13) == 0 ||
               !brk_auth_may(s->user, s->vhost->name, dest, 0)) {
        refuse(s, r, "access refused: user '%s' may not subscribe to '%.100s'", s->user->name,
               dest);
        return;
    } else if (strncmp(dest, "/queue/", 7) == 0 && valid_name(dest + 7)) {
        q = brk_queue_get(s->vhost, dest, 1);
    } else if (strncmp(dest, "/topic/", 7) == 0 && valid_name(dest + 7)) {
        topic = 1;
    } else {
        refuse(s, r, "unknown destination '%.100s' (use /queue/, /topic/, /temp-queue/)", dest);
        return;
    }
    brk_sub *sub = calloc(1, sizeof *sub);
    if (!sub || !(sub->id = strdup(id)) || !(sub->dest = strdup(dest))) {
        if (sub) {
            free(sub->id);
            free(sub);
        }
        refuse(s, r, "out of memory");
        return;
    }
    sub->sess = s;
    sub->serial = ++s->sub_serial;
    sub->ack = ack;
    sub->prefetch = (uint32_t)prefetch;
    sub->snext = s->subs;
    s->subs = sub;
    s->nsubs++;
    if (topic) {
        sub->kind = BRK_DEST_TOPIC;
        if (brk_topic_attach(s->vhost, sub, dest + 7) < 0) {
            refuse(s, r, "out of memory");
            return;
        }
    } else {
        sub->kind = BRK_DEST_QUEUE;
        receipt(s, f); /* before the first MESSAGE */
        brk_queue_attach(q, sub);
        return;
    }
    receipt(s, f);
}

static void do_unsubscribe(brk_session *s, const bkp_frame *f)
{
    const char *id = bkp_frame_get(f, "id");
    if (!id)
        id = bkp_frame_get(f, "destination");
    brk_sub **link;
    brk_sub *sub = id ? find_sub(s, id, &link) : NULL;
    if (!sub) {
        refuse(s, bkp_frame_get(f, "receipt"), "no subscription '%.64s'", id ? id : "");
        return;
    }
    *link = sub->snext;
    s->nsubs--;
    sub_free(sub);
    receipt(s, f);
}

static void do_ack(brk_session *s, const bkp_frame *f, int nack)
{
    if (nack && s->version == 10) {
        refuse(s, NULL, "NACK is not part of STOMP 1.0");
        return;
    }
    const char *id = bkp_frame_get(f, s->version == 12 ? "id" : "message-id");
    if (!id) {
        refuse(s, bkp_frame_get(f, "receipt"), "%s without %s", nack ? "NACK" : "ACK",
               s->version == 12 ? "id" : "message-id");
        return;
    }
    char *end;
    unsigned long serial = strtoul(id, &end, 10);
    unsigned long long seq = *end == '.' ? strtoull(end + 1, &end, 10) : 0;
    brk_sub *sub = NULL;
    if (!*end && seq)
        for (sub = s->subs; sub && sub->serial != serial; sub = sub->snext)
            ;
    /* An id we do not hold (acknowledged twice, or of a topic message) is ignored. */
    if (sub && sub->kind == BRK_DEST_QUEUE)
        brk_sub_ack(sub, seq, sub->ack == BRK_ACK_CLIENT, nack);
    receipt(s, f);
}

static void handle(brk_session *s, const bkp_frame *f)
{
    if (!s->version && f->cmd != BKP_CMD_CONNECT && f->cmd != BKP_CMD_STOMP) {
        s->version = 12;
        refuse(s, NULL, "expected CONNECT, got %s", bkp_cmd_name(f->cmd));
        return;
    }
    switch (f->cmd) {
    case BKP_CMD_CONNECT:
    case BKP_CMD_STOMP: do_connect(s, f); return;
    case BKP_CMD_SEND:
        if (over_rate(s))
            deny(s, f, "refused: more than %" PRIu32 " SENDs per second from this connection",
                 s->user->max_sends_per_sec);
        else
            do_send(s, f);
        return;
    case BKP_CMD_SUBSCRIBE: do_subscribe(s, f); return;
    case BKP_CMD_UNSUBSCRIBE: do_unsubscribe(s, f); return;
    case BKP_CMD_ACK: do_ack(s, f, 0); return;
    case BKP_CMD_NACK: do_ack(s, f, 1); return;
    case BKP_CMD_BEGIN:
    case BKP_CMD_COMMIT:
    case BKP_CMD_ABORT:
        refuse(s, bkp_frame_get(f, "receipt"), "transactions are not supported");
        return;
    case BKP_CMD_DISCONNECT:
        receipt(s, f);
        s->closing = 1;
        bkp_io_read_enable(s->io, 0);
        bkp_io_set_lowat(s->io, 0);
        if (evbuffer_get_length(bkp_io_output(s->io)) == 0)
            evbuffer_add(bkp_io_output(s->io), "\n", 1); /* to get the drain callback */
        return;
    default:
        refuse(s, NULL, "unexpected %s frame from a client", bkp_cmd_name(f->cmd));
        return;
    }
}

/* I/O callbacks */

static void on_read(bkp_io *io, struct evbuffer *in, void *arg)
{
    (void)io;
    brk_session *s = arg;
    while (!s->closing && !s->held) {
        bkp_frame f;
        int rc = bkp_parser_next(s->parser, in, &f);
        if (rc == 0)
            break;
        if (rc < 0) {
            if (!s->version)
                s->version = 12;
            refuse(s, NULL, "%s", bkp_parser_error(s->parser));
            break;
        }
        handle(s, &f);
    }
    if (evbuffer_get_length(in) == 0)
        bkp_parser_trim(s->parser);
}

static void on_write(bkp_io *io, void *arg)
{
    brk_session *s = arg;
    if (s->closing) {
        if (evbuffer_get_length(bkp_io_output(io)) == 0)
            session_free(s);
        return;
    }
    if (s->blocked) {
        s->blocked = 0;
        brk_session_wake_held(s->b);
        for (brk_sub *sub = s->subs; sub && !s->blocked; sub = sub->snext)
            if (sub->kind == BRK_DEST_QUEUE && sub->queue)
                brk_queue_dispatch(sub->queue);
    }
}

static void on_event(bkp_io *io, int what, int err, void *arg)
{
    brk_session *s = arg;
    if (what & BKP_IO_TIMEOUT)
        brk_broker_log(s->b, 1, "%s: dropped: %s", s->peer,
                       !s->version ? "no CONNECT in time"
                       : s->closing ? "did not read its goodbye" : "silent past its heart-beat");
    else if (what & BKP_IO_TLS)
        brk_broker_log(s->b, 1, "%s: dropped: %s", s->peer, bkp_io_error(io));
    else if (what & BKP_IO_ERROR)
        brk_broker_log(s->b, 2, "%s: %s", s->peer, strerror(err));
    session_free(s);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    brk_session *s = arg;
    if (!s->version) {
        s->version = 12;
        refuse(s, NULL, "no CONNECT within %d ms", s->b->lim.connect_timeout_ms);
    }
}

void brk_session_accept(brk_broker *b, int fd, struct bkp_tls_ctx *tls)
{
    brk_session *s = calloc(1, sizeof *s);
    if (!s) {
        evutil_closesocket(fd);
        return;
    }
    s->b = b;
    if (bkp_io_new(&s->io, b->base, fd, 64 * 1024, on_read, on_event, on_write, s) < 0) {
        evutil_closesocket(fd);
        free(s);
        return;
    }
    if ((tls && bkp_io_start_tls(s->io, tls, NULL) < 0) ||
        bkp_parser_new(&s->parser, &b->lim.frame) < 0) {
        bkp_io_free(s->io);
        free(s);
        return;
    }
    bkp_random_text(s->token, sizeof s->token - 1, BKP_RANDOM_ALNUM);
    /* Frames are written whole, one write per loop turn: Nagle would only add latency. */
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char host[40] = "?";
    int port = 0;
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0 && ss.ss_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        evutil_inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
    }
    snprintf(s->peer, sizeof s->peer, "%s:%d", host, port);
    s->next = b->sessions;
    if (b->sessions)
        b->sessions->prev = s;
    b->sessions = s;
    b->nsessions++;
    b->stats.connections_total++;
    bkp_io_set_lowat(s->io, b->lim.max_conn_outbuf / 2);
    int ct = b->lim.connect_timeout_ms;
    struct timeval tv = {ct / 1000, (ct % 1000) * 1000};
    s->deadline = evtimer_new(b->base, on_deadline, s);
    if (s->deadline)
        evtimer_add(s->deadline, &tv);
    bkp_io_read_enable(s->io, 1);
    if (b->nsessions > b->lim.max_connections || b->stopping) {
        s->version = 12;
        if (b->stopping)
            refuse(s, NULL, "broker shutting down");
        else
            refuse(s, NULL, "too many connections (limit %zu)", b->lim.max_connections);
    }
}

static void session_free(brk_session *s)
{
    brk_broker *b = s->b;
    while (s->subs) {
        brk_sub *sub = s->subs;
        s->subs = sub->snext;
        sub_free(sub);
    }
    while (s->temps) {
        brk_queue *q = s->temps;
        s->temps = q->tq_next;
        brk_queue_drop_owned(q);
    }
    if (s->prev)
        s->prev->next = s->next;
    else
        b->sessions = s->next;
    if (s->next)
        s->next->prev = s->prev;
    b->nsessions--;
    if (s->held)
        held_unlink(s);
    pend_clear(s);
    if (s->blocked)   /* it may have been what held the others back */
        brk_session_wake_held(b);
    if (s->hb)
        event_free(s->hb);
    if (s->deadline)
        event_free(s->deadline);
    brk_quota_unref(s->quota);
    bkp_io_free(s->io);
    bkp_parser_free(s->parser);
    free(s);
    if (b->stopping && !b->sessions)
        event_base_loopexit(b->base, NULL);
}
