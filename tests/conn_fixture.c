/* See conn_fixture.h. */
#include "conn_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "bkt.h"


const char *rget(const rec *f, const char *name)
{
    size_t i;
    for (i = 0; i < f->nh; i++)
        if (strcmp(f->name[i], name) == 0)
            return f->value[i];
    return NULL;
}

void peer_send(peer *p, bkp_cmd cmd, const bkp_header *h, size_t n, const char *body,
               size_t len, unsigned flags)
{
    assert_non_null(p->bev);
    assert_int_equal(bkp_frame_write(bufferevent_get_output(p->bev), cmd, h, n, body, len,
                                     flags), 0);
}

void peer_drop(peer *p)
{
    if (p->bev) {
        bufferevent_free(p->bev);
        p->bev = NULL;
    }
}

static void peer_handle(peer *p, const rec *f)
{
    const char *rc = rget(f, "receipt");
    if (f->cmd == BKP_CMD_CONNECT || f->cmd == BKP_CMD_STOMP) {
        if (p->connect_error) {
            bkp_header h[] = { { "message", p->connect_error, 0, 0 } };
            peer_send(p, BKP_CMD_ERROR, h, 1, "", 0, 0);
        } else if (!p->no_connected) {
            bkp_header h[4];
            size_t n = 0;
            if (p->version)
                h[n++] = (bkp_header){ "version", p->version, 0, 0 };
            h[n++] = (bkp_header){ "server", p->server ? p->server : "test-peer/1", 0, 0 };
            h[n++] = (bkp_header){ "heart-beat", p->hb ? p->hb : "0,0", 0, 0 };
            h[n++] = (bkp_header){ "session", "sess-1", 0, 0 };
            peer_send(p, BKP_CMD_CONNECTED, h, n, NULL, 0, BKP_ENC_NO_LENGTH);
        }
    } else if (rc && !p->no_receipts) {
        bkp_header h[] = { { "receipt-id", rc, 0, 0 } };
        peer_send(p, BKP_CMD_RECEIPT, h, 1, NULL, 0, BKP_ENC_NO_LENGTH);
    }
}

static void peer_read(struct bufferevent *bev, void *arg)
{
    peer *p = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    bkp_frame fr;
    int r;

    /* keep a copy of the raw bytes not yet seen */
    {
        size_t have = evbuffer_get_length(in);
        char *tmp = malloc(have);
        assert_non_null(tmp);
        evbuffer_copyout(in, tmp, have);
        evbuffer_add(p->raw, tmp, have);
        free(tmp);
    }
    for (;;) {
        size_t i;
        rec *f;
        r = bkp_parser_next(p->parser, in, &fr);
        assert_true(r >= 0);
        if (r == 0)
            break;
        assert_true(p->nf < MAXF);
        f = &p->f[p->nf++];
        f->cmd = fr.cmd;
        f->nh = fr.nheaders < MAXH ? fr.nheaders : MAXH;
        for (i = 0; i < f->nh; i++) {
            f->name[i] = strdup(fr.headers[i].name);
            f->value[i] = strdup(fr.headers[i].value);
        }
        f->body = malloc(fr.body_len + 1);
        memcpy(f->body, fr.body, fr.body_len);
        f->body[fr.body_len] = 0;
        f->len = fr.body_len;
        peer_handle(p, f);
        if (p->hook)
            p->hook(p, f);
        if (!p->bev || p->bev != bev)
            break;
    }
}

static void peer_event(struct bufferevent *bev, short what, void *arg)
{
    peer *p = arg;
    (void)bev;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        p->closes++;
        peer_drop(p);
    }
}

static void peer_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                        int salen, void *arg)
{
    peer *p = arg;
    (void)l;
    (void)sa;
    (void)salen;
    peer_drop(p); /* one client at a time */
    bkp_parser_free(p->parser);
    assert_int_equal(bkp_parser_new(&p->parser, NULL), 0);
    p->bev = bufferevent_socket_new(p->base, fd, BEV_OPT_CLOSE_ON_FREE);
    assert_non_null(p->bev);
    bufferevent_setcb(p->bev, peer_read, NULL, peer_event, p);
    bufferevent_enable(p->bev, EV_READ | EV_WRITE);
    p->accepts++;
}

static void peer_start(peer *p, struct event_base *base)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;

    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    p->base = base;
    p->raw = evbuffer_new();
    p->lis = evconnlistener_new_bind(base, peer_accept, p, LEV_OPT_CLOSE_ON_FREE |
                                     LEV_OPT_REUSEABLE, 16, (struct sockaddr *)&sin,
                                     sizeof sin);
    assert_non_null(p->lis);
    assert_int_equal(getsockname(evconnlistener_get_fd(p->lis), (struct sockaddr *)&sin,
                                 &len), 0);
    p->port = ntohs(sin.sin_port);
    snprintf(p->addr, sizeof p->addr, "127.0.0.1:%d", p->port);
}

static void peer_stop(peer *p)
{
    int i;
    size_t j;
    peer_drop(p);
    if (p->lis)
        evconnlistener_free(p->lis);
    bkp_parser_free(p->parser);
    evbuffer_free(p->raw);
    for (i = 0; i < p->nf; i++) {
        for (j = 0; j < p->f[i].nh; j++) {
            free(p->f[i].name[j]);
            free(p->f[i].value[j]);
        }
        free(p->f[i].body);
    }
}

const rec *peer_find(const peer *p, bkp_cmd cmd, int nth)
{
    int i;
    for (i = 0; i < p->nf; i++)
        if (p->f[i].cmd == cmd && nth-- == 0)
            return &p->f[i];
    return NULL;
}

int peer_count(const peer *p, bkp_cmd cmd)
{
    int i, n = 0;
    for (i = 0; i < p->nf; i++)
        n += p->f[i].cmd == cmd;
    return n;
}

int peer_raw_has(const peer *p, const char *needle)
{
    struct evbuffer_ptr pos = evbuffer_search(p->raw, needle, strlen(needle), NULL);
    return pos.pos >= 0;
}

void peer_message(peer *p, const char *sub, const char *msgid, const char *ack,
                  const char *x, const char *body)
{
    bkp_header h[5];
    size_t n = 0;
    h[n++] = (bkp_header){ "destination", "/queue/a", 0, 0 };
    h[n++] = (bkp_header){ "subscription", sub, 0, 0 };
    h[n++] = (bkp_header){ "message-id", msgid, 0, 0 };
    if (ack)
        h[n++] = (bkp_header){ "ack", ack, 0, 0 };
    if (x)
        h[n++] = (bkp_header){ "x", x, 0, 0 };
    peer_send(p, BKP_CMD_MESSAGE, h, n, body, strlen(body), 0);
}

/* ------------------------------------------------------------------ the client side */

static void on_state(bkp_stomp *s, bkp_stomp_state st, int reason, const char *detail,
                     void *arg)
{
    client *c = arg;
    (void)s;
    if (c->nstates < 64) {
        c->states[c->nstates] = st;
        c->reasons[c->nstates] = reason;
        snprintf(c->details[c->nstates], sizeof c->details[0], "%s", detail);
        if (st == BKP_STOMP_DISCONNECTED)
            c->retry_in[c->nstates] = bkp_stomp_retry_in(s, &c->round_over[c->nstates]);
        c->nstates++;
    }
    if (st == BKP_STOMP_CONNECTED && c->send_on_connect)
        c->send_rc = bkp_stomp_send(s, "/queue/hello", NULL, 0, "hi", 2, NULL, NULL);
    if (st == BKP_STOMP_DISCONNECTED && c->free_on_disconnect) {
        bkp_stomp_free(s);
        c->s = NULL;
    }
}

static void on_error(bkp_stomp *s, const char *message, const bkp_frame *err, void *arg)
{
    client *c = arg;
    (void)s;
    assert_int_equal(err->cmd, BKP_CMD_ERROR);
    snprintf(c->error, sizeof c->error, "%s", message);
    c->nerrors++;
}

void on_receipt(bkp_stomp *s, int status, void *arg)
{
    client *c = arg;
    (void)s;
    if (c->nreceipts < 16)
        c->receipts[c->nreceipts++] = status;
}

void on_msg(bkp_stomp *s, bkp_sub *sub, const bkp_frame *msg, void *arg)
{
    client *c = arg;
    const char *x = bkp_frame_get(msg, "x");
    c->nmsgs++;
    c->msg_len = msg->body_len < sizeof c->msg_body ? msg->body_len : sizeof c->msg_body;
    memcpy(c->msg_body, msg->body, c->msg_len);
    snprintf(c->msg_hdr, sizeof c->msg_hdr, "%s", x ? x : "");
    if (c->do_ack) {
        c->ack_rc = bkp_stomp_ack(s, msg);
        c->nack_rc = bkp_stomp_nack(s, msg);
    }
    if (c->unsub_in_cb)
        assert_int_equal(bkp_stomp_unsubscribe(s, sub, NULL, NULL), 0);
    if (c->unsub_then_ack) {
        assert_int_equal(bkp_stomp_unsubscribe(s, sub, NULL, NULL), 0);
        c->ack_rc = bkp_stomp_ack(s, msg);
    }
    if (c->free_in_cb) {
        bkp_stomp_free(s);
        c->s = NULL;
    }
}

int last_state(const client *c)
{
    return c->nstates ? (int)c->states[c->nstates - 1] : -1;
}

int saw_state(const client *c, bkp_stomp_state st)
{
    int i;
    for (i = 0; i < c->nstates; i++)
        if (c->states[i] == st)
            return 1;
    return 0;
}

int saw_disconnect(void *arg)
{
    return saw_state(arg, BKP_STOMP_DISCONNECTED);
}

int is_connected(void *arg)
{
    client *c = arg;
    return c->s && bkp_stomp_state_get(c->s) == BKP_STOMP_CONNECTED;
}

/* ------------------------------------------------------------------ the fixture */

int conn_setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    alarm(30);
    fx->base = event_base_new();
    assert_non_null(fx->base);
    peer_start(&fx->p, fx->base);
    fx->p.version = "1.2";
    fx->hosts[0] = fx->p.addr;
    fx->o = (bkp_stomp_opts){ .hosts = fx->hosts, .nhosts = 1, .vhost = "vh", .login = "u",
                              .passcode = "p", .hb_send_ms = -1, .hb_recv_ms = -1,
                              .backoff_min_ms = 10, .backoff_max_ms = 40, .ordered = 1,
                              .state_cb = on_state, .error_cb = on_error, .arg = &fx->c };
    *state = fx;
    return 0;
}

int conn_teardown(void **state)
{
    fixture *fx = *state;
    bkp_stomp_free(fx->c.s);
    peer_stop(&fx->p);
    event_base_free(fx->base);
    free(fx);
    alarm(0);
    return 0;
}

void start(fixture *fx)
{
    assert_int_equal(bkp_stomp_new(&fx->c.s, fx->base, &fx->o), 0);
    assert_int_equal(bkp_stomp_start(fx->c.s), 0);
}

void start_connected(fixture *fx)
{
    start(fx);
    assert_true(bkt_run_until(fx->base, is_connected, &fx->c, 3000));
}

int wait_count(fixture *fx, const int *counter, int want)
{
    return bkt_run_until_n(fx->base, counter, want, 3000);
}

typedef struct frame_cond {
    peer *p;
    bkp_cmd cmd;
    int n;
} frame_cond;

static int frames_reached(void *arg)
{
    frame_cond *fc = arg;
    return peer_count(fc->p, fc->cmd) >= fc->n;
}

int wait_frames(fixture *fx, bkp_cmd cmd, int n)
{
    frame_cond fc = { &fx->p, cmd, n };
    return bkt_run_until(fx->base, frames_reached, &fc, 3000);
}
