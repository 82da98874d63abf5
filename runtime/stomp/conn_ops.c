/* The STOMP connection's outgoing operations: subscriptions, SEND, ACK/NACK, receipts
 * (see conn.h; the connection's life and incoming frames are in conn.c). */
#include "stomp/conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "beekeeper/error.h"
#include "core/clock.h"
#include "net/io.h"
#include "stomp/conn_int.h"

/* ---------------------------------------------------------------- output */

int bkp_conn_out_room(bkp_stomp *s, size_t need)
{
    size_t have;
    if (!s->io)
        return BK_ECLOSED;
    have = evbuffer_get_length(bkp_io_output(s->io));
    if (have + need > s->o.max_outbuf || need > s->o.max_outbuf)
        return BK_ELIMIT;
    return 0;
}

/* After bkp_enc_end: account for the frame, or poison the connection on a partial frame. */
int bkp_conn_out_done(bkp_stomp *s, int r)
{
    if (r < 0) {
        s->kill_reason = r;
        event_active(s->ev_defer, EV_TIMEOUT, 1);
        return r;
    }
    s->wrote = 1;
    s->stats.frames_out++;
    return 0;
}

struct rcpt *bkp_conn_rcpt_add(bkp_stomp *s, enum rcpt_kind kind, bkp_receipt_fn *fn,
                               void *arg)
{
    struct rcpt *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->id = ++s->next_rcpt;
    r->kind = kind;
    r->fn = fn;
    r->arg = arg;
    if (s->rcpts_tail)
        s->rcpts_tail->next = r;
    else
        s->rcpts = r;
    s->rcpts_tail = r;
    return r;
}

/* Removes r (the last added) again after a failed write. */
void bkp_conn_rcpt_unlink(bkp_stomp *s, struct rcpt *r)
{
    struct rcpt **pp, *prev = NULL;
    for (pp = &s->rcpts; *pp; prev = *pp, pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            if (s->rcpts_tail == r)
                s->rcpts_tail = prev;
            free(r);
            return;
        }
    }
}

struct rcpt *bkp_conn_rcpt_take(bkp_stomp *s, const char *idstr)
{
    struct rcpt **pp, *prev = NULL;
    char *end;
    unsigned long long id;

    if (!idstr || idstr[0] != 'r')
        return NULL;
    errno = 0;
    id = strtoull(idstr + 1, &end, 10);
    if (errno || *end || end == idstr + 1)
        return NULL;
    for (pp = &s->rcpts; *pp; prev = *pp, pp = &(*pp)->next) {
        struct rcpt *r = *pp;
        if (r->id == id) {
            *pp = r->next;
            if (s->rcpts_tail == r)
                s->rcpts_tail = prev;
            return r;
        }
    }
    return NULL;
}

void bkp_conn_enc_receipt(bkp_enc *e, const struct rcpt *r)
{
    char buf[32];
    snprintf(buf, sizeof buf, "r%llu", (unsigned long long)r->id);
    bkp_enc_header(e, "receipt", buf);
}

size_t bkp_conn_hdrs_size(const bkp_header *h, size_t n)
{
    size_t i, t = 0;
    for (i = 0; i < n; i++)
        t += 2 * (strlen(h[i].name) + strlen(h[i].value)) + 2;
    return t;
}

static int write_subscribe(bkp_stomp *s, bkp_sub *sub, struct rcpt *r)
{
    bkp_enc e;
    size_t i;
    static const char *const modes[] = { "auto", "client", "client-individual" };
    char spelt[512];
    const char *dest = bkp_flavour_subscribe_dest(s->flavour, sub->dest, spelt, sizeof spelt);

    if (!dest)
        return BK_ELIMIT;
    size_t need = 2 * strlen(sub->dest) + strlen(sub->id) +
                  bkp_conn_hdrs_size(sub->hdrs, sub->nhdrs) + 128;

    if (bkp_conn_out_room(s, need) < 0)
        return BK_ELIMIT;
    bkp_enc_begin(&e, bkp_io_output(s->io), BKP_CMD_SUBSCRIBE,
                  s->enc_flags | BKP_ENC_NO_LENGTH);
    bkp_enc_header(&e, "id", sub->id);
    bkp_enc_header(&e, "destination", dest);
    bkp_enc_header(&e, "ack", modes[sub->ack]);
    unsigned pf = sub->worker_prefetch ? bkp_flavour_worker_prefetch(s->flavour) : sub->prefetch;
    if (pf)
        bkp_enc_header_u64(&e, bkp_flavour_prefetch_header(s->flavour), pf);
    for (i = 0; i < sub->nhdrs; i++)
        bkp_enc_header(&e, sub->hdrs[i].name, sub->hdrs[i].value);
    if (r)
        bkp_conn_enc_receipt(&e, r);
    return bkp_conn_out_done(s, bkp_enc_end(&e, NULL, 0));
}

/* Sends SUBSCRIBE for sub on the current connection (or notes that the broker makes it),
 * asking a receipt when the subscription still owes its first completion. */
int bkp_conn_subscribe_now(bkp_stomp *s, bkp_sub *sub)
{
    struct rcpt *r = NULL;
    int rc;

    sub->broker_made = sub->temp && !bkp_flavour_client_subscribes_temp(s->flavour);
    if (sub->broker_made) {
        free(sub->id);
        sub->id = bkp_conn_strdup(bkp_flavour_temp_sub_id(s->flavour, sub->dest));
        if (!sub->id)
            return BK_ENOMEM;
        if (sub->done) {
            rc = bkp_conn_defer_push(s, DEFER_RECEIPT, sub->done, sub->done_arg, 0, 0, NULL);
            if (rc < 0)
                return rc;
            sub->done = NULL;
        }
        return 0;
    }
    if (sub->done) {
        r = bkp_conn_rcpt_add(s, RCPT_PLAIN, sub->done, sub->done_arg);
        if (!r)
            return BK_ENOMEM;
    }
    rc = write_subscribe(s, sub, r);
    if (rc < 0) {
        if (r)
            bkp_conn_rcpt_unlink(s, r);
        return rc;
    }
    sub->done = NULL;
    return 0;
}

bkp_sub *bkp_conn_find_sub(bkp_stomp *s, const char *id)
{
    bkp_sub *sub;
    if (!id)
        return NULL;
    for (sub = s->subs; sub; sub = sub->next)
        if (!sub->gone && strcmp(sub->id, id) == 0)
            return sub;
    return NULL;
}

static int sub_add(bkp_stomp *s, const char *dest, const bkp_sub_opts *o, int temp,
                   bkp_msg_fn *fn, void *arg, bkp_sub **out)
{
    static const char *const reserved[] = { "id", "destination", "ack", "receipt" };
    bkp_sub *sub, **pp;
    size_t i, j;
    int rc = BK_ENOMEM;
    char idbuf[32];

    if (out)
        *out = NULL;
    if (s->freed || s->state == BKP_STOMP_CLOSING || s->state == BKP_STOMP_CLOSED)
        return BK_ESTATE;
    if (!dest || !*dest || !fn || (o && o->ack > BKP_ACK_CLIENT_INDIVIDUAL))
        return BK_EINVAL;
    if (o) {
        for (i = 0; i < o->nheaders; i++) {
            if (!o->headers[i].name || !o->headers[i].value || !*o->headers[i].name)
                return BK_EINVAL;
            for (j = 0; j < sizeof reserved / sizeof reserved[0]; j++)
                if (strcmp(o->headers[i].name, reserved[j]) == 0)
                    return BK_EINVAL;
        }
    }
    sub = calloc(1, sizeof *sub);
    if (!sub)
        return BK_ENOMEM;
    sub->dest = bkp_conn_strdup(dest);
    snprintf(idbuf, sizeof idbuf, "s%llu", (unsigned long long)++s->next_sub);
    sub->id = bkp_conn_strdup(temp ? dest : idbuf);
    if (!sub->dest || !sub->id)
        goto out;
    sub->temp = temp;
    sub->fn = fn;
    sub->arg = arg;
    if (o) {
        sub->ack = o->ack;
        sub->prefetch = o->prefetch;
        sub->worker_prefetch = o->worker_prefetch;
        sub->done = o->done;
        sub->done_arg = o->done_arg;
        if (o->nheaders) {
            sub->hdrs = calloc(o->nheaders, sizeof *sub->hdrs);
            if (!sub->hdrs)
                goto out;
            for (i = 0; i < o->nheaders; i++) {
                sub->hdrs[i].name = bkp_conn_strdup(o->headers[i].name);
                sub->hdrs[i].value = bkp_conn_strdup(o->headers[i].value);
                sub->nhdrs++;
                if (!sub->hdrs[i].name || !sub->hdrs[i].value)
                    goto out;
            }
        }
    }
    if (s->state == BKP_STOMP_CONNECTED) {
        rc = bkp_conn_subscribe_now(s, sub);
        if (rc < 0)
            goto out;
    }
    for (pp = &s->subs; *pp; pp = &(*pp)->next)
        ;
    *pp = sub;
    if (out)
        *out = sub;
    return 0;
out:
    bkp_conn_sub_free(sub);
    return rc;
}

int bkp_stomp_subscribe(bkp_stomp *s, const char *dest, const bkp_sub_opts *o,
                        bkp_msg_fn *fn, void *arg, bkp_sub **out)
{
    return sub_add(s, dest, o, 0, fn, arg, out);
}

int bkp_stomp_subscribe_temp(bkp_stomp *s, const char *dest, bkp_msg_fn *fn, void *arg,
                             bkp_sub **out)
{
    return sub_add(s, dest, NULL, 1, fn, arg, out);
}

int bkp_stomp_unsubscribe(bkp_stomp *s, bkp_sub *sub, bkp_receipt_fn *done, void *arg)
{
    bkp_sub **pp;
    int rc;

    if (!sub || sub->gone)
        return BK_EINVAL;
    if (s->state == BKP_STOMP_CONNECTED && !sub->broker_made) {
        bkp_enc e;
        struct rcpt *r;
        if (bkp_conn_out_room(s, strlen(sub->id) * 2 + 64) < 0)
            return BK_ELIMIT;
        r = bkp_conn_rcpt_add(s, RCPT_PLAIN, done, arg);
        if (!r)
            return BK_ENOMEM;
        bkp_enc_begin(&e, bkp_io_output(s->io), BKP_CMD_UNSUBSCRIBE,
                      s->enc_flags | BKP_ENC_NO_LENGTH);
        bkp_enc_header(&e, "id", sub->id);
        bkp_conn_enc_receipt(&e, r);
        rc = bkp_conn_out_done(s, bkp_enc_end(&e, NULL, 0));
        if (rc < 0) {
            bkp_conn_rcpt_unlink(s, r);
            return rc;
        }
    } else if (!s->freed) {
        rc = bkp_conn_defer_push(s, DEFER_RECEIPT, done, arg, 0, 0, NULL);
        if (rc < 0)
            return rc;
    }
    sub->gone = 1;
    if (s->busy) {
        s->any_gone = 1;
        return 0;
    }
    for (pp = &s->subs; *pp; pp = &(*pp)->next) {
        if (*pp == sub) {
            *pp = sub->next;
            break;
        }
    }
    bkp_conn_sub_free(sub);
    return 0;
}

const char *bkp_sub_dest(const bkp_sub *sub)
{
    return sub->dest;
}

const char *bkp_sub_id(const bkp_sub *sub)
{
    return sub->id;
}

static int is_reserved_send_header(const char *name, int ttl)
{
    return strcmp(name, "destination") == 0 || strcmp(name, "content-length") == 0 ||
           strcmp(name, "receipt") == 0 ||
           (ttl && (strcmp(name, "expiration") == 0 || strcmp(name, "expires") == 0));
}

/* bkp_stomp_send_ttl, and bkp_stomp_send_take when take: body is then freed in any case. */
static int send_frame(bkp_stomp *s, const char *dest, const bkp_header *h, size_t n,
                      const void *body, size_t len, uint64_t ttl_ms, bkp_receipt_fn *done,
                      void *arg, int take)
{
    bkp_enc e;
    struct rcpt *r = NULL;
    size_t i;
    int rc;

    rc = BK_EINVAL;
    if (!dest || !*dest || (len && !body) || (n && !h))
        goto refused;
    for (i = 0; i < n; i++)
        if (!h[i].name || !h[i].value || !*h[i].name ||
            is_reserved_send_header(h[i].name, ttl_ms != 0))
            goto refused;
    rc = BK_ECLOSED;
    if (s->freed || s->state != BKP_STOMP_CONNECTED)
        goto refused;
    rc = bkp_conn_out_room(s, len + 2 * strlen(dest) + bkp_conn_hdrs_size(h, n) + 128);
    if (rc < 0)
        goto refused;
    if (done) {
        rc = BK_ENOMEM;
        r = bkp_conn_rcpt_add(s, RCPT_PLAIN, done, arg);
        if (!r)
            goto refused;
    }
    bkp_enc_begin(&e, bkp_io_output(s->io), BKP_CMD_SEND, s->enc_flags);
    bkp_enc_header(&e, "destination", dest);
    for (i = 0; i < n; i++)
        bkp_enc_header(&e, h[i].name, h[i].value);
    if (ttl_ms) {
        const char *name;
        uint64_t v;
        bkp_flavour_expiration(s->flavour, ttl_ms, (uint64_t)bkp_wall_ms(), &name, &v);
        bkp_enc_header_u64(&e, name, v);
    }
    if (r)
        bkp_conn_enc_receipt(&e, r);
    rc = bkp_conn_out_done(s, take ? bkp_enc_end_take(&e, (void *)body, len)
                                   : bkp_enc_end(&e, body, len));
    if (rc < 0 && r)
        bkp_conn_rcpt_unlink(s, r);
    return rc;
refused:
    if (take)
        free((void *)body);
    return rc;
}

int bkp_stomp_send_ttl(bkp_stomp *s, const char *dest, const bkp_header *h, size_t n,
                       const void *body, size_t len, uint64_t ttl_ms,
                       bkp_receipt_fn *done, void *arg)
{
    return send_frame(s, dest, h, n, body, len, ttl_ms, done, arg, 0);
}

int bkp_stomp_send_take(bkp_stomp *s, const char *dest, const bkp_header *h, size_t n,
                        void *body, size_t len, uint64_t ttl_ms)
{
    return send_frame(s, dest, h, n, body, len, ttl_ms, NULL, NULL, 1);
}

int bkp_stomp_send(bkp_stomp *s, const char *dest, const bkp_header *h, size_t n,
                   const void *body, size_t len, bkp_receipt_fn *done, void *arg)
{
    return bkp_stomp_send_ttl(s, dest, h, n, body, len, 0, done, arg);
}

/* The header values an ACK needs for msg in this connection's version. */
static int ack_fields(const bkp_stomp *s, const bkp_frame *msg, const char **id,
                      const char **sub)
{
    if (!msg || msg->cmd != BKP_CMD_MESSAGE)
        return BK_EINVAL;
    *sub = bkp_frame_get(msg, "subscription");
    *id = s->version == 12 ? bkp_frame_get(msg, "ack") : bkp_frame_get(msg, "message-id");
    if (!*id || (s->version == 11 && !*sub))
        return BK_EINVAL;
    return 0;
}

static int write_ack(bkp_stomp *s, const char *id, const char *subid, int nack)
{
    bkp_enc e;

    if (s->freed || s->state != BKP_STOMP_CONNECTED)
        return BK_ECLOSED;
    if (nack && s->version == 10)
        return BK_ESTATE;
    if (subid && !bkp_conn_find_sub(s, subid))
        return BK_ESTATE; /* RabbitMQ would answer with an ERROR and close */
    if (nack && !bkp_flavour_nack_requeues(s->flavour))
        return 0; /* its NACK dead-letters: left unacked, redelivered when the sub ends */
    if (bkp_conn_out_room(s, 2 * (strlen(id) + (subid ? strlen(subid) : 0)) + 64) < 0)
        return BK_ELIMIT;
    bkp_enc_begin(&e, bkp_io_output(s->io), nack ? BKP_CMD_NACK : BKP_CMD_ACK,
                  s->enc_flags | BKP_ENC_NO_LENGTH);
    if (s->version == 12) {
        bkp_enc_header(&e, "id", id);
    } else {
        bkp_enc_header(&e, "message-id", id);
        if (s->version == 11 && subid)
            bkp_enc_header(&e, "subscription", subid);
    }
    return bkp_conn_out_done(s, bkp_enc_end(&e, NULL, 0));
}

static int ack_msg(bkp_stomp *s, const bkp_frame *msg, int nack)
{
    const char *id, *sub;
    int rc;
    if (s->freed || s->state != BKP_STOMP_CONNECTED)
        return BK_ECLOSED;
    rc = ack_fields(s, msg, &id, &sub);
    if (rc < 0)
        return rc;
    return write_ack(s, id, sub, nack);
}

int bkp_stomp_ack(bkp_stomp *s, const bkp_frame *msg)
{
    return ack_msg(s, msg, 0);
}

int bkp_stomp_nack(bkp_stomp *s, const bkp_frame *msg)
{
    return ack_msg(s, msg, 1);
}

int bkp_stomp_ack_tag_new(bkp_stomp *s, const bkp_frame *msg, bkp_ack_tag **out)
{
    const char *id, *sub;
    bkp_ack_tag *t;
    int rc;

    *out = NULL;
    if (s->state != BKP_STOMP_CONNECTED && s->state != BKP_STOMP_CLOSING)
        return BK_ECLOSED;
    rc = ack_fields(s, msg, &id, &sub);
    if (rc < 0)
        return rc;
    t = calloc(1, sizeof *t);
    if (!t)
        return BK_ENOMEM;
    t->gen = s->generation;
    t->id = bkp_conn_strdup(id);
    t->sub = sub ? bkp_conn_strdup(sub) : NULL;
    if (!t->id || (sub && !t->sub)) {
        bkp_ack_tag_free(t);
        return BK_ENOMEM;
    }
    *out = t;
    return 0;
}

int bkp_stomp_ack_tag(bkp_stomp *s, bkp_ack_tag *tag, int nack)
{
    int rc;
    if (!tag)
        return BK_EINVAL;
    if (tag->gen != s->generation)
        rc = BK_ECLOSED;
    else
        rc = write_ack(s, tag->id, tag->sub, nack);
    bkp_ack_tag_free(tag);
    return rc;
}

void bkp_ack_tag_free(bkp_ack_tag *tag)
{
    if (!tag)
        return;
    free(tag->id);
    free(tag->sub);
    free(tag);
}

bkp_stomp_state bkp_stomp_state_get(const bkp_stomp *s)
{
    return s->state;
}

bkp_flavour bkp_stomp_flavour(const bkp_stomp *s)
{
    return s->flavour;
}

const char *bkp_stomp_server(const bkp_stomp *s)
{
    return s->server ? s->server : "";
}

void bkp_stomp_login(const bkp_stomp *s, const char **login, const char **passcode)
{
    *login = s->login;
    *passcode = s->passcode;
}

const char *bkp_stomp_session(const bkp_stomp *s)
{
    return s->session ? s->session : "";
}

const char *bkp_stomp_host(const bkp_stomp *s)
{
    return s->hosts[s->cur].label;
}

int bkp_stomp_version(const bkp_stomp *s)
{
    return s->state == BKP_STOMP_CONNECTED ? s->version : 0;
}

void bkp_stomp_heartbeats(const bkp_stomp *s, unsigned *send_ms, unsigned *recv_ms)
{
    if (send_ms)
        *send_ms = s->hb_send;
    if (recv_ms)
        *recv_ms = s->hb_recv;
}

uint64_t bkp_stomp_generation(const bkp_stomp *s)
{
    return s->generation;
}

struct event_base *bkp_stomp_base(const bkp_stomp *s)
{
    return s->base;
}

size_t bkp_stomp_pending_bytes(const bkp_stomp *s)
{
    return s->io ? evbuffer_get_length(bkp_io_output(s->io)) : 0;
}

void bkp_stomp_flush(bkp_stomp *s)
{
    if (s->io)
        bkp_io_flush(s->io);
}

void bkp_stomp_write_now(bkp_stomp *s)
{
    if (s->io)
        bkp_io_write_now(s->io);
}

void bkp_stomp_stats_get(const bkp_stomp *s, bkp_stomp_stats *st)
{
    *st = s->stats;
}
