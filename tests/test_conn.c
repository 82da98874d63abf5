/* Unit tests of the STOMP client connection (runtime/stomp/conn.c) against a scripted
 * STOMP peer that runs in the same event loop on a real loopback TCP socket and uses the
 * codec. Every wait is bounded by a deadline (and alarm() as a last resort).
 * Over 1000 lines on purpose: the scripted peer is most of the file's first third, and every
 * test drives it; split, it would be a shared test library for one user. */
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
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "beekeeper/error.h"
#include "net/hostport.h"
#include "stomp/conn.h"
#include "stomp/failover.h"

/* ------------------------------------------------------------------ the scripted peer */

#define MAXF 256
#define MAXH 32

typedef struct rec {
    bkp_cmd cmd;
    size_t nh;
    char *name[MAXH];
    char *value[MAXH];
    char *body;
    size_t len;
} rec;

typedef struct peer peer;
typedef void peer_fn(peer *p, const rec *f);

struct peer {
    struct event_base *base;
    struct evconnlistener *lis;
    int port;
    char addr[32];
    struct bufferevent *bev;
    bkp_parser *parser;
    rec f[MAXF];
    int nf;
    int accepts;
    int closes;           /* connections the client closed */
    struct evbuffer *raw; /* every byte received, for wire-level checks */
    /* script */
    const char *version;  /* CONNECTED version; NULL: omit (a 1.0 server) */
    const char *server;
    const char *hb;       /* CONNECTED heart-beat, e.g. "0,0" */
    int no_connected;     /* do not answer CONNECT */
    const char *connect_error; /* answer CONNECT with ERROR carrying this message */
    int no_receipts;      /* do not answer receipts */
    peer_fn *hook;        /* after the default handling of each frame */
    void *user;
};

static const char *rget(const rec *f, const char *name)
{
    size_t i;
    for (i = 0; i < f->nh; i++)
        if (strcmp(f->name[i], name) == 0)
            return f->value[i];
    return NULL;
}

static void peer_send(peer *p, bkp_cmd cmd, const bkp_header *h, size_t n, const char *body,
                      size_t len, unsigned flags)
{
    assert_non_null(p->bev);
    assert_int_equal(bkp_frame_write(bufferevent_get_output(p->bev), cmd, h, n, body, len,
                                     flags), 0);
}

static void peer_drop(peer *p)
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

/* The nth (0-based) recorded frame with command cmd, or NULL. */
static const rec *peer_find(const peer *p, bkp_cmd cmd, int nth)
{
    int i;
    for (i = 0; i < p->nf; i++)
        if (p->f[i].cmd == cmd && nth-- == 0)
            return &p->f[i];
    return NULL;
}

static int peer_count(const peer *p, bkp_cmd cmd)
{
    int i, n = 0;
    for (i = 0; i < p->nf; i++)
        n += p->f[i].cmd == cmd;
    return n;
}

/* Whether the raw bytes received contain needle. */
static int peer_raw_has(const peer *p, const char *needle)
{
    struct evbuffer_ptr pos = evbuffer_search(p->raw, needle, strlen(needle), NULL);
    return pos.pos >= 0;
}

/* A loopback port where nothing listens. */
static int closed_port(void)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    close(fd);
    return ntohs(sin.sin_port);
}

/* ------------------------------------------------------------------ the client side */

typedef struct client {
    bkp_stomp *s;
    bkp_stomp_state states[64];
    int reasons[64];
    char details[64][96];
    int nstates;
    char error[128];
    int nerrors;
    int nmsgs;
    char msg_body[256];
    size_t msg_len;
    char msg_hdr[128];       /* value of header "x" of the last message */
    int ack_rc, nack_rc;
    int do_ack;              /* 1: ACK then NACK each message in the callback */
    int free_in_cb;          /* 1: free the connection from the message callback */
    int unsub_in_cb;         /* 1: unsubscribe the delivering subscription */
    int unsub_then_ack;      /* 1: unsubscribe, then try to ACK (ack_rc) */
    int receipts[16];
    int nreceipts;
    int send_on_connect;     /* 1: SEND from the CONNECTED state callback (send_rc) */
    int send_rc;
    int free_on_disconnect;  /* 1: free the connection from the DISCONNECTED callback */
} client;

static void on_state(bkp_stomp *s, bkp_stomp_state st, int reason, const char *detail,
                     void *arg)
{
    client *c = arg;
    (void)s;
    if (c->nstates < 64) {
        c->states[c->nstates] = st;
        c->reasons[c->nstates] = reason;
        snprintf(c->details[c->nstates], sizeof c->details[0], "%s", detail);
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

static void on_receipt(bkp_stomp *s, int status, void *arg)
{
    client *c = arg;
    (void)s;
    if (c->nreceipts < 16)
        c->receipts[c->nreceipts++] = status;
}

static void on_msg(bkp_stomp *s, bkp_sub *sub, const bkp_frame *msg, void *arg)
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

static int last_state(const client *c)
{
    return c->nstates ? (int)c->states[c->nstates - 1] : -1;
}

static int saw_state(const client *c, bkp_stomp_state st)
{
    int i;
    for (i = 0; i < c->nstates; i++)
        if (c->states[i] == st)
            return 1;
    return 0;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void tick(evutil_socket_t fd, short w, void *a)
{
    (void)fd;
    (void)w;
    (void)a;
}

typedef int cond_fn(void *arg);

/* Runs the loop until cond(arg) or ms elapse. Returns cond's last value. */
static int run_until(struct event_base *b, cond_fn *cond, void *arg, unsigned ms)
{
    uint64_t end = mono_ms() + ms;
    struct event *t = event_new(b, -1, EV_PERSIST, tick, NULL);
    struct timeval tv = { 0, 5000 };
    int ok;
    event_add(t, &tv);
    while (!(ok = cond ? cond(arg) : 0) && mono_ms() < end)
        event_base_loop(b, EVLOOP_ONCE);
    event_free(t);
    return ok;
}

static void run_for(struct event_base *b, unsigned ms)
{
    run_until(b, NULL, NULL, ms);
}

static int saw_disconnect(void *arg)
{
    return saw_state(arg, BKP_STOMP_DISCONNECTED);
}

typedef struct fixture {
    struct event_base *base;
    peer p;
    client c;
    const char *hosts[4];
    char hostbuf[4][32];
    bkp_stomp_opts o;
} fixture;

static int setup(void **state)
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

static int teardown(void **state)
{
    fixture *fx = *state;
    bkp_stomp_free(fx->c.s);
    peer_stop(&fx->p);
    event_base_free(fx->base);
    free(fx);
    alarm(0);
    return 0;
}

static void start(fixture *fx)
{
    assert_int_equal(bkp_stomp_new(&fx->c.s, fx->base, &fx->o), 0);
    assert_int_equal(bkp_stomp_start(fx->c.s), 0);
}

static int is_connected(void *arg)
{
    client *c = arg;
    return c->s && bkp_stomp_state_get(c->s) == BKP_STOMP_CONNECTED;
}

static void start_connected(fixture *fx)
{
    start(fx);
    assert_true(run_until(fx->base, is_connected, &fx->c, 3000));
}

typedef struct count_cond {
    const int *counter;
    int want;
} count_cond;

static int count_reached(void *arg)
{
    count_cond *cc = arg;
    return *cc->counter >= cc->want;
}

static int wait_count(fixture *fx, const int *counter, int want)
{
    count_cond cc = { counter, want };
    return run_until(fx->base, count_reached, &cc, 3000);
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

static int wait_frames(fixture *fx, bkp_cmd cmd, int n)
{
    frame_cond fc = { &fx->p, cmd, n };
    return run_until(fx->base, frames_reached, &fc, 3000);
}

static void peer_message(peer *p, const char *sub, const char *msgid, const char *ack,
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

/* ------------------------------------------------------------------ tests */

static void test_connect_headers_are_raw(void **state)
{
    fixture *fx = *state;
    const rec *f;
    fx->o.login = "us:er";
    fx->o.passcode = "pa\\ss:1";
    fx->o.vhost = "/v:h";
    fx->o.hb_send_ms = 1500;
    fx->o.hb_recv_ms = 2500;
    start_connected(fx);
    f = peer_find(&fx->p, BKP_CMD_CONNECT, 0);
    assert_non_null(f);
    assert_string_equal(rget(f, "accept-version"), "1.1,1.2");
    assert_string_equal(rget(f, "host"), "/v:h");
    assert_string_equal(rget(f, "login"), "us:er");
    assert_string_equal(rget(f, "passcode"), "pa\\ss:1");
    assert_string_equal(rget(f, "heart-beat"), "1500,2500");
    /* no escaping on CONNECT: the backslash and colons go out as they are */
    assert_true(peer_raw_has(&fx->p, "\npasscode:pa\\ss:1\n"));
    assert_true(peer_raw_has(&fx->p, "\nhost:/v:h\n"));
    assert_int_equal(bkp_stomp_version(fx->c.s), 12);
    assert_string_equal(bkp_stomp_server(fx->c.s), "test-peer/1");
    assert_string_equal(bkp_stomp_session(fx->c.s), "sess-1");
    assert_int_equal(bkp_stomp_flavour(fx->c.s), BKP_FLAVOUR_GENERIC);
    assert_int_equal(fx->c.states[0], BKP_STOMP_CONNECTING);
    assert_int_equal(last_state(&fx->c), BKP_STOMP_CONNECTED);
}

static void test_stomp_command_and_default_heartbeat(void **state)
{
    fixture *fx = *state;
    const rec *f;
    fx->o.use_stomp_cmd = 1;
    fx->o.hb_send_ms = 0;
    fx->o.hb_recv_ms = 0;
    fx->o.login = NULL;
    start_connected(fx);
    f = peer_find(&fx->p, BKP_CMD_STOMP, 0);
    assert_non_null(f);
    assert_string_equal(rget(f, "heart-beat"), "10000,10000");
    assert_null(rget(f, "login"));
}

static void test_bad_options_refused(void **state)
{
    fixture *fx = *state;
    bkp_stomp *s = NULL;
    const char *bad[] = { "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", ":80", "::1:80",
                          "a b:80", "[::1]80", "h:8x" };
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fx->o.hosts = &bad[i];
        assert_int_equal(bkp_stomp_new(&s, fx->base, &fx->o), BK_EINVAL);
        assert_null(s);
    }
    fx->o.hosts = fx->hosts;
    fx->o.login = "a\nb";
    assert_int_equal(bkp_stomp_new(&s, fx->base, &fx->o), BK_EINVAL);
    fx->o.login = "u";
    fx->o.nhosts = 0;
    assert_int_equal(bkp_stomp_new(&s, fx->base, &fx->o), BK_EINVAL);
    {
        bkp_hostport hp;
        assert_int_equal(bkp_hostport_parse(&hp, "[::1]:61613"), 0);
        assert_string_equal(hp.host, "::1");
        assert_string_equal(hp.port, "61613");
        bkp_hostport_clear(&hp);
    }
}

static void test_send_fails_closed_when_not_connected(void **state)
{
    fixture *fx = *state;
    bkp_sub *sub = NULL;
    fx->p.no_connected = 1;
    assert_int_equal(bkp_stomp_new(&fx->c.s, fx->base, &fx->o), 0);
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/a", NULL, 0, "x", 1, NULL, NULL),
                     BK_ECLOSED);
    /* subscriptions are state: allowed before connecting */
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a", NULL, on_msg, &fx->c, &sub), 0);
    assert_non_null(sub);
    assert_int_equal(bkp_stomp_start(fx->c.s), 0);
    assert_int_equal(bkp_stomp_start(fx->c.s), BK_ESTATE);
    assert_true(wait_frames(fx, BKP_CMD_CONNECT, 1));
    assert_int_equal(bkp_stomp_state_get(fx->c.s), BKP_STOMP_CONNECTING);
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/a", NULL, 0, "x", 1, NULL, NULL),
                     BK_ECLOSED);
    assert_int_equal(peer_count(&fx->p, BKP_CMD_SUBSCRIBE), 0);
}

static void ack_form(fixture *fx, const char *version)
{
    bkp_sub_opts so = { .ack = BKP_ACK_CLIENT_INDIVIDUAL, .prefetch = 1 };
    const rec *sub, *ack, *nack;
    fx->p.version = version;
    fx->c.do_ack = 1;
    start_connected(fx);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a", &so, on_msg, &fx->c, NULL), 0);
    assert_true(wait_frames(fx, BKP_CMD_SUBSCRIBE, 1));
    sub = peer_find(&fx->p, BKP_CMD_SUBSCRIBE, 0);
    assert_string_equal(rget(sub, "destination"), "/queue/a");
    assert_string_equal(rget(sub, "ack"), "client-individual");
    assert_string_equal(rget(sub, "prefetch-count"), "1");
    peer_message(&fx->p, rget(sub, "id"), "M1", "A1", "v", "hello");
    assert_true(wait_frames(fx, BKP_CMD_NACK, 1));
    assert_int_equal(fx->c.ack_rc, 0);
    assert_int_equal(fx->c.nack_rc, 0);
    ack = peer_find(&fx->p, BKP_CMD_ACK, 0);
    nack = peer_find(&fx->p, BKP_CMD_NACK, 0);
    assert_non_null(ack);
    if (strcmp(version, "1.2") == 0) {
        assert_string_equal(rget(ack, "id"), "A1");
        assert_null(rget(ack, "message-id"));
        assert_string_equal(rget(nack, "id"), "A1");
    } else {
        assert_string_equal(rget(ack, "message-id"), "M1");
        assert_string_equal(rget(ack, "subscription"), rget(sub, "id"));
        assert_null(rget(ack, "id"));
        assert_string_equal(rget(nack, "message-id"), "M1");
    }
}

static void test_stomp12_ack_uses_ack_header(void **state)
{
    ack_form(*state, "1.2");
    assert_int_equal(bkp_stomp_version(((fixture *)*state)->c.s), 12);
}

static void test_stomp11_ack_uses_message_id_and_subscription(void **state)
{
    ack_form(*state, "1.1");
    assert_int_equal(bkp_stomp_version(((fixture *)*state)->c.s), 11);
}

static void test_stomp10_answer_raw_and_no_nack(void **state)
{
    fixture *fx = *state;
    bkp_header h[] = { { "x", "a:b", 0, 0 } };
    const rec *sub, *ack;
    fx->p.version = NULL;
    fx->c.do_ack = 1;
    start_connected(fx);
    assert_int_equal(bkp_stomp_version(fx->c.s), 10);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a",
                                         &(bkp_sub_opts){ .ack = BKP_ACK_CLIENT }, on_msg,
                                         &fx->c, NULL), 0);
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/b", h, 1, "x", 1, NULL, NULL), 0);
    assert_true(wait_frames(fx, BKP_CMD_SEND, 1));
    assert_true(peer_raw_has(&fx->p, "\nx:a:b\n"));  /* 1.0: no escaping */
    sub = peer_find(&fx->p, BKP_CMD_SUBSCRIBE, 0);
    peer_message(&fx->p, rget(sub, "id"), "M9", NULL, NULL, "b");
    assert_true(wait_frames(fx, BKP_CMD_ACK, 1));
    ack = peer_find(&fx->p, BKP_CMD_ACK, 0);
    assert_string_equal(rget(ack, "message-id"), "M9");
    assert_int_equal(fx->c.nack_rc, BK_ESTATE);
}

static void test_headers_escaped_on_send(void **state)
{
    fixture *fx = *state;
    bkp_header h[] = { { "x", "a:b\nc\\d", 0, 0 } };
    const rec *f;
    start_connected(fx);
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/b", h, 1, "body", 4, NULL, NULL), 0);
    assert_true(wait_frames(fx, BKP_CMD_SEND, 1));
    assert_true(peer_raw_has(&fx->p, "\nx:a\\cb\\nc\\\\d\n"));
    f = peer_find(&fx->p, BKP_CMD_SEND, 0);
    assert_string_equal(rget(f, "x"), "a:b\nc\\d");
    assert_string_equal(rget(f, "content-length"), "4");
    assert_string_equal(f->body, "body");
    /* reserved headers are refused */
    h[0].name = "content-length";
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/b", h, 1, "body", 4, NULL, NULL),
                     BK_EINVAL);
}

static void test_receipts_complete_callbacks(void **state)
{
    fixture *fx = *state;
    bkp_sub *sub;
    bkp_sub_opts so = { .done = on_receipt, .done_arg = &fx->c };
    start_connected(fx);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a", &so, on_msg, &fx->c, &sub), 0);
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/a", NULL, 0, "1", 1, on_receipt, &fx->c),
                     0);
    assert_int_equal(bkp_stomp_unsubscribe(fx->c.s, sub, on_receipt, &fx->c), 0);
    assert_int_equal(fx->c.nreceipts, 0); /* never from inside the call */
    assert_true(wait_count(fx, &fx->c.nreceipts, 3));
    assert_int_equal(fx->c.receipts[0], 0);
    assert_int_equal(fx->c.receipts[1], 0);
    assert_int_equal(fx->c.receipts[2], 0);
    assert_non_null(rget(peer_find(&fx->p, BKP_CMD_SUBSCRIBE, 0), "receipt"));
    assert_non_null(rget(peer_find(&fx->p, BKP_CMD_UNSUBSCRIBE, 0), "receipt"));
    /* a receipt the broker never sends is failed when the connection goes */
    fx->p.no_receipts = 1;
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/a", NULL, 0, "2", 1, on_receipt, &fx->c),
                     0);
    assert_true(wait_frames(fx, BKP_CMD_SEND, 2));
    peer_drop(&fx->p);
    assert_true(wait_count(fx, &fx->c.nreceipts, 4));
    assert_int_equal(fx->c.receipts[3], BK_ECLOSED);
}

static void test_frames_of_one_turn_are_coalesced(void **state)
{
    fixture *fx = *state;
    size_t before;
    int i;
    start_connected(fx);
    before = bkp_stomp_pending_bytes(fx->c.s);
    for (i = 0; i < 3; i++)
        assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/a", NULL, 0, "abc", 3, NULL, NULL), 0);
    /* nothing was flushed per frame: all three wait in the buffer for one write */
    assert_true(bkp_stomp_pending_bytes(fx->c.s) >= before + 3 * 40);
    assert_true(wait_frames(fx, BKP_CMD_SEND, 3));
    assert_int_equal(bkp_stomp_pending_bytes(fx->c.s), 0);
}

static void test_output_buffer_is_bounded(void **state)
{
    fixture *fx = *state;
    static char big[4096];
    fx->o.max_outbuf = 10000;
    start_connected(fx);
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/a", NULL, 0, big, sizeof big, NULL, NULL),
                     0);
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/a", NULL, 0, big, sizeof big, NULL, NULL),
                     0);
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/a", NULL, 0, big, sizeof big, NULL, NULL),
                     BK_ELIMIT);
}

static void test_error_surfaced_and_closes_on_rabbitmq(void **state)
{
    fixture *fx = *state;
    bkp_header h[] = { { "message", "boom: bad thing", 0, 0 }, { "receipt-id", "r1", 0, 0 } };
    fx->p.server = "RabbitMQ/3.10.8";
    start_connected(fx);
    assert_int_equal(bkp_stomp_flavour(fx->c.s), BKP_FLAVOUR_RABBITMQ);
    fx->p.no_receipts = 1;
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/a", NULL, 0, "1", 1, on_receipt, &fx->c),
                     0);
    assert_true(wait_frames(fx, BKP_CMD_SEND, 1));
    peer_send(&fx->p, BKP_CMD_ERROR, h, 2, "details", 7, 0);
    assert_true(wait_count(fx, &fx->c.nerrors, 1));
    assert_string_equal(fx->c.error, "boom: bad thing");
    assert_int_equal(fx->c.nreceipts, 1);
    assert_int_equal(fx->c.receipts[0], BK_EBROKER);
    assert_true(saw_state(&fx->c, BKP_STOMP_DISCONNECTED));
    {
        int i;
        for (i = 0; i < fx->c.nstates; i++)
            if (fx->c.states[i] == BKP_STOMP_DISCONNECTED)
                assert_int_equal(fx->c.reasons[i], BK_EBROKER);
    }
    /* and it comes back */
    fx->p.no_receipts = 0;
    assert_true(run_until(fx->base, is_connected, &fx->c, 3000));
    assert_int_equal(fx->p.accepts, 2);
}

static void test_error_keeps_activemq_connection(void **state)
{
    fixture *fx = *state;
    bkp_header h[] = { { "message", "not fatal", 0, 0 } };
    fx->p.server = "ActiveMQ/5.17.2";
    start_connected(fx);
    assert_int_equal(bkp_stomp_flavour(fx->c.s), BKP_FLAVOUR_ACTIVEMQ);
    peer_send(&fx->p, BKP_CMD_ERROR, h, 1, NULL, 0, 0);
    assert_true(wait_count(fx, &fx->c.nerrors, 1));
    run_for(fx->base, 50);
    assert_int_equal(bkp_stomp_state_get(fx->c.s), BKP_STOMP_CONNECTED);
    assert_false(saw_state(&fx->c, BKP_STOMP_DISCONNECTED));
}

static void test_error_on_connect_is_auth_failure(void **state)
{
    fixture *fx = *state;
    fx->p.connect_error = "Access refused for user 'u'";
    fx->o.max_rounds = 2;
    start(fx);
    assert_true(wait_count(fx, &fx->c.nerrors, 1));
    assert_string_equal(fx->c.error, "Access refused for user 'u'");
    {
        int i, saw = 0;
        assert_true(wait_count(fx, &fx->p.accepts, 2));
        for (i = 0; i < fx->c.nstates; i++)
            if (fx->c.states[i] == BKP_STOMP_DISCONNECTED) {
                assert_int_equal(fx->c.reasons[i], BK_EAUTH);
                saw = 1;
            }
        assert_true(saw);
    }
}

static void test_heartbeats_sent_when_idle(void **state)
{
    fixture *fx = *state;
    unsigned snd, rcv;
    fx->o.hb_send_ms = 20;
    fx->p.hb = "0,30"; /* the peer wants one every 30 ms: the larger value wins */
    start_connected(fx);
    bkp_stomp_heartbeats(fx->c.s, &snd, &rcv);
    assert_int_equal(snd, 30);
    assert_int_equal(rcv, 0);
    {
        uint64_t end = mono_ms() + 3000;
        while (bkp_parser_heartbeats(fx->p.parser) < 3 && mono_ms() < end)
            run_for(fx->base, 10);
    }
    assert_true(bkp_parser_heartbeats(fx->p.parser) >= 3);
    assert_int_equal(bkp_stomp_state_get(fx->c.s), BKP_STOMP_CONNECTED);
}

static void test_silent_peer_is_dead(void **state)
{
    fixture *fx = *state;
    unsigned snd, rcv;
    int i;
    fx->o.hb_recv_ms = 20;
    fx->o.hb_grace_ms = 10;
    fx->p.hb = "20,0"; /* promises heart-beats, never sends any */
    start_connected(fx);
    bkp_stomp_heartbeats(fx->c.s, &snd, &rcv);
    assert_int_equal(rcv, 20);
    assert_true(run_until(fx->base, saw_disconnect, &fx->c, 3000));
    for (i = 0; i < fx->c.nstates; i++)
        if (fx->c.states[i] == BKP_STOMP_DISCONNECTED)
            assert_int_equal(fx->c.reasons[i], BK_ETIMEDOUT);
    /* and reconnects */
    assert_true(wait_count(fx, &fx->p.accepts, 2));
}

static void peer_beat(evutil_socket_t fd, short w, void *arg)
{
    peer *p = arg;
    (void)fd;
    (void)w;
    if (p->bev)
        bufferevent_write(p->bev, "\n", 1);
}

static void test_beating_peer_stays_alive(void **state)
{
    fixture *fx = *state;
    struct event *ev = event_new(fx->base, -1, EV_PERSIST, peer_beat, &fx->p);
    struct timeval tv = { 0, 20000 };
    bkp_stomp_stats st;
    /* dead after 2 x 100 + 200 ms of silence: generous against a loaded machine */
    fx->o.hb_recv_ms = 100;
    fx->o.hb_grace_ms = 200;
    fx->p.hb = "100,0";
    event_add(ev, &tv);
    start_connected(fx);
    run_for(fx->base, 900); /* several intervals */
    event_free(ev);
    assert_int_equal(bkp_stomp_state_get(fx->c.s), BKP_STOMP_CONNECTED);
    assert_false(saw_state(&fx->c, BKP_STOMP_DISCONNECTED));
    bkp_stomp_stats_get(fx->c.s, &st);
    assert_true(st.heartbeats_in >= 3);
}

static void test_failover_to_second_host(void **state)
{
    fixture *fx = *state;
    snprintf(fx->hostbuf[0], sizeof fx->hostbuf[0], "127.0.0.1:%d", closed_port());
    fx->hosts[0] = fx->hostbuf[0];
    fx->hosts[1] = fx->p.addr;
    fx->o.nhosts = 2;
    start_connected(fx);
    assert_string_equal(bkp_stomp_host(fx->c.s), fx->p.addr);
    assert_true(fx->c.nstates >= 4);
    assert_int_equal(fx->c.states[0], BKP_STOMP_CONNECTING);
    assert_string_equal(fx->c.details[0], fx->hostbuf[0]);
    assert_int_equal(fx->c.states[1], BKP_STOMP_DISCONNECTED);
    assert_int_equal(fx->c.reasons[1], BK_ECONNREFUSED);
    assert_int_equal(fx->c.states[2], BKP_STOMP_CONNECTING);
    assert_string_equal(fx->c.details[2], fx->p.addr);
    assert_int_equal(fx->c.states[3], BKP_STOMP_CONNECTED);
}

static void test_immediate_connect_failure_reported_once(void **state)
{
    fixture *fx = *state;
    int i, n = 0;
    fx->hosts[0] = "255.255.255.255:9"; /* connect() fails at once (broadcast) */
    fx->hosts[1] = fx->p.addr;
    fx->o.nhosts = 2;
    start_connected(fx);
    for (i = 0; i < fx->c.nstates; i++)
        n += fx->c.states[i] == BKP_STOMP_DISCONNECTED;
    assert_int_equal(n, 1);
    assert_int_equal(fx->c.reasons[1], BK_ECONNREFUSED);
    assert_string_equal(bkp_stomp_host(fx->c.s), fx->p.addr);
}

static void test_random_first_host_reaches_live_one(void **state)
{
    fixture *fx = *state;
    snprintf(fx->hostbuf[0], sizeof fx->hostbuf[0], "127.0.0.1:%d", closed_port());
    snprintf(fx->hostbuf[1], sizeof fx->hostbuf[1], "127.0.0.1:%d", closed_port());
    fx->hosts[0] = fx->hostbuf[0];
    fx->hosts[1] = fx->p.addr;
    fx->hosts[2] = fx->hostbuf[1];
    fx->o.nhosts = 3;
    fx->o.ordered = 0;
    start_connected(fx);
    assert_string_equal(bkp_stomp_host(fx->c.s), fx->p.addr);
}

static void test_resubscribe_after_reconnect(void **state)
{
    fixture *fx = *state;
    bkp_sub *a, *b, *c;
    const rec *f;
    int i, n;
    bkp_sub_opts so = { .ack = BKP_ACK_CLIENT, .prefetch = 3, .done = on_receipt,
                        .done_arg = &fx->c };
    start_connected(fx);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a", &so, on_msg, &fx->c, &a), 0);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/topic/b.*", NULL, on_msg, &fx->c, &b), 0);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/c", NULL, on_msg, &fx->c, &c), 0);
    assert_int_equal(bkp_stomp_unsubscribe(fx->c.s, b, NULL, NULL), 0);
    assert_true(wait_frames(fx, BKP_CMD_UNSUBSCRIBE, 1));
    assert_true(wait_count(fx, &fx->c.nreceipts, 1));
    peer_drop(&fx->p);
    assert_true(wait_count(fx, &fx->p.accepts, 2));
    assert_true(wait_frames(fx, BKP_CMD_SUBSCRIBE, 5));
    run_for(fx->base, 20);
    assert_int_equal(peer_count(&fx->p, BKP_CMD_SUBSCRIBE), 5);
    /* the 4th and 5th SUBSCRIBE come after the second CONNECT, same ids, no receipt */
    for (i = 0, n = 0; i < fx->p.nf; i++) {
        f = &fx->p.f[i];
        if (f->cmd == BKP_CMD_CONNECT)
            n++;
        if (f->cmd == BKP_CMD_SUBSCRIBE && n == 2) {
            assert_null(rget(f, "receipt"));
            assert_true(strcmp(rget(f, "id"), bkp_sub_id(a)) == 0 ||
                        strcmp(rget(f, "id"), bkp_sub_id(c)) == 0);
            if (strcmp(rget(f, "id"), bkp_sub_id(a)) == 0) {
                assert_string_equal(rget(f, "ack"), "client");
                assert_string_equal(rget(f, "prefetch-count"), "3");
            }
        }
    }
    assert_int_equal(n, 2);
    assert_int_equal(fx->c.nreceipts, 1); /* the first SUBSCRIBE's only */
}

static void test_backoff_bounded(void **state)
{
    unsigned round;
    uint32_t r;
    (void)state;
    for (round = 1; round < 40; round++) {
        for (r = 0; r < 2000; r += 7) {
            uint32_t d = bkp_backoff_ms(100, 5000, round, r * 2654435761u);
            assert_in_range(d, 50, 5000);
            if (round == 1)
                assert_in_range(d, 50, 100);
        }
    }
    /* large rounds are capped, never overflow */
    assert_in_range(bkp_backoff_ms(100, 5000, 1000000, 0xffffffffu), 2500, 5000);
    assert_in_range(bkp_backoff_ms(0, 0, 3, 5), 0, 1);
}

static void test_gives_up_after_max_rounds(void **state)
{
    fixture *fx = *state;
    bkp_stomp_stats st;
    snprintf(fx->hostbuf[0], sizeof fx->hostbuf[0], "127.0.0.1:%d", closed_port());
    snprintf(fx->hostbuf[1], sizeof fx->hostbuf[1], "127.0.0.1:%d", closed_port());
    fx->hosts[0] = fx->hostbuf[0];
    fx->hosts[1] = fx->hostbuf[1];
    fx->o.nhosts = 2;
    fx->o.max_rounds = 3;
    start(fx);
    {
        uint64_t end = mono_ms() + 5000;
        while (last_state(&fx->c) != BKP_STOMP_CLOSED && mono_ms() < end)
            run_for(fx->base, 10);
    }
    assert_int_equal(last_state(&fx->c), BKP_STOMP_CLOSED);
    assert_int_equal(fx->c.reasons[fx->c.nstates - 1], BK_ECONNREFUSED);
    bkp_stomp_stats_get(fx->c.s, &st);
    assert_int_equal(st.attempts, 6);
    assert_int_equal(st.connects, 0);
}

static void test_byte_by_byte_delivery(void **state)
{
    fixture *fx = *state;
    const rec *sub;
    bkp_header h[] = { { "destination", "/queue/a", 0, 0 }, { "subscription", NULL, 0, 0 },
                       { "message-id", "m:1", 0, 0 }, { "x", "a:b\nc", 0, 0 } };
    static const char body[] = "bo\0dy";
    fx->o.max_single_read = 1;
    start_connected(fx);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a", NULL, on_msg, &fx->c, NULL), 0);
    assert_true(wait_frames(fx, BKP_CMD_SUBSCRIBE, 1));
    sub = peer_find(&fx->p, BKP_CMD_SUBSCRIBE, 0);
    h[1].value = rget(sub, "id");
    bufferevent_write(fx->p.bev, "\n\n", 2); /* heart-beats between frames */
    peer_send(&fx->p, BKP_CMD_MESSAGE, h, 4, body, sizeof body - 1, 0);
    peer_send(&fx->p, BKP_CMD_MESSAGE, h, 4, "second", 6, 0);
    assert_true(wait_count(fx, &fx->c.nmsgs, 2));
    assert_int_equal(fx->c.msg_len, 6);
    assert_memory_equal(fx->c.msg_body, "second", 6);
    assert_string_equal(fx->c.msg_hdr, "a:b\nc");
}

static void test_free_inside_message_callback(void **state)
{
    fixture *fx = *state;
    const rec *sub;
    fx->c.free_in_cb = 1;
    start_connected(fx);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a", NULL, on_msg, &fx->c, NULL), 0);
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/x", NULL, 0, "1", 1, on_receipt, &fx->c),
                     0);
    fx->p.no_receipts = 1;
    assert_true(wait_frames(fx, BKP_CMD_SEND, 1));
    sub = peer_find(&fx->p, BKP_CMD_SUBSCRIBE, 0);
    /* two messages in one read: the first callback frees the connection */
    peer_message(&fx->p, rget(sub, "id"), "1", "1", NULL, "one");
    peer_message(&fx->p, rget(sub, "id"), "2", "2", NULL, "two");
    assert_true(wait_count(fx, &fx->c.nmsgs, 1));
    run_for(fx->base, 30);
    assert_int_equal(fx->c.nmsgs, 1);
    assert_null(fx->c.s);
    assert_int_equal(fx->c.nreceipts, 1);
    assert_int_equal(fx->c.receipts[0], BK_ECLOSED);
}

static void test_unsubscribe_inside_message_callback(void **state)
{
    fixture *fx = *state;
    const rec *sub;
    fx->c.unsub_in_cb = 1;
    start_connected(fx);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a", NULL, on_msg, &fx->c, NULL), 0);
    assert_true(wait_frames(fx, BKP_CMD_SUBSCRIBE, 1));
    sub = peer_find(&fx->p, BKP_CMD_SUBSCRIBE, 0);
    peer_message(&fx->p, rget(sub, "id"), "1", "1", NULL, "one");
    peer_message(&fx->p, rget(sub, "id"), "2", "2", NULL, "two");
    assert_true(wait_frames(fx, BKP_CMD_UNSUBSCRIBE, 1));
    run_for(fx->base, 30);
    assert_int_equal(fx->c.nmsgs, 1);
    assert_int_equal(bkp_stomp_state_get(fx->c.s), BKP_STOMP_CONNECTED);
}

static void test_ack_refused_after_unsubscribe(void **state)
{
    fixture *fx = *state;
    const rec *sub;
    fx->c.unsub_then_ack = 1;
    start_connected(fx);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a",
                                         &(bkp_sub_opts){ .ack = BKP_ACK_CLIENT }, on_msg,
                                         &fx->c, NULL), 0);
    assert_true(wait_frames(fx, BKP_CMD_SUBSCRIBE, 1));
    sub = peer_find(&fx->p, BKP_CMD_SUBSCRIBE, 0);
    peer_message(&fx->p, rget(sub, "id"), "1", "1", NULL, "one");
    assert_true(wait_frames(fx, BKP_CMD_UNSUBSCRIBE, 1));
    assert_int_equal(fx->c.ack_rc, BK_ESTATE);
    run_for(fx->base, 20);
    assert_int_equal(peer_count(&fx->p, BKP_CMD_ACK), 0);
}

static void test_connect_timeout_moves_on(void **state)
{
    fixture *fx = *state;
    int i, saw = 0;
    fx->p.no_connected = 1;
    fx->o.connect_timeout_ms = 50;
    start(fx);
    assert_true(run_until(fx->base, saw_disconnect, &fx->c, 3000));
    for (i = 0; i < fx->c.nstates; i++)
        if (fx->c.states[i] == BKP_STOMP_DISCONNECTED) {
            assert_int_equal(fx->c.reasons[i], BK_ETIMEDOUT);
            saw = 1;
        }
    assert_true(saw);
    assert_true(wait_count(fx, &fx->p.accepts, 2)); /* and tries again */
}

static void test_disconnect_while_not_connected(void **state)
{
    fixture *fx = *state;
    snprintf(fx->hostbuf[0], sizeof fx->hostbuf[0], "127.0.0.1:%d", closed_port());
    fx->hosts[0] = fx->hostbuf[0];
    fx->o.backoff_min_ms = 5000;
    fx->o.backoff_max_ms = 5000;
    start(fx);
    assert_true(run_until(fx->base, saw_disconnect, &fx->c, 3000));
    assert_int_equal(bkp_stomp_disconnect(fx->c.s, on_receipt, &fx->c), 0);
    assert_int_equal(bkp_stomp_state_get(fx->c.s), BKP_STOMP_CLOSED);
    assert_int_equal(fx->c.nreceipts, 0); /* not from inside the call */
    assert_true(wait_count(fx, &fx->c.nreceipts, 1));
    assert_int_equal(fx->c.receipts[0], 0);
    assert_int_equal(last_state(&fx->c), BKP_STOMP_CLOSED);
}

static void test_send_from_connected_callback_follows_resubscribe(void **state)
{
    fixture *fx = *state;
    int i, sub_at = -1, send_at = -1;
    fx->c.send_on_connect = 1;
    fx->c.send_rc = 1;
    assert_int_equal(bkp_stomp_new(&fx->c.s, fx->base, &fx->o), 0);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a", NULL, on_msg, &fx->c, NULL), 0);
    assert_int_equal(bkp_stomp_start(fx->c.s), 0);
    assert_true(wait_frames(fx, BKP_CMD_SEND, 1));
    assert_int_equal(fx->c.send_rc, 0);
    for (i = 0; i < fx->p.nf; i++) {
        if (fx->p.f[i].cmd == BKP_CMD_SUBSCRIBE && sub_at < 0)
            sub_at = i;
        if (fx->p.f[i].cmd == BKP_CMD_SEND && send_at < 0)
            send_at = i;
    }
    assert_true(sub_at >= 0 && sub_at < send_at);
}

static void test_free_inside_state_callback(void **state)
{
    fixture *fx = *state;
    fx->c.free_on_disconnect = 1;
    fx->p.no_receipts = 1;
    start_connected(fx);
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/x", NULL, 0, "1", 1, on_receipt, &fx->c),
                     0);
    assert_true(wait_frames(fx, BKP_CMD_SEND, 1));
    peer_drop(&fx->p);
    assert_true(wait_count(fx, &fx->c.nreceipts, 1));
    run_for(fx->base, 50);
    assert_null(fx->c.s);
    assert_int_equal(fx->c.receipts[0], BK_ECLOSED);
    assert_int_equal(fx->p.accepts, 1); /* freed: no reconnect */
}

static void test_graceful_disconnect(void **state)
{
    fixture *fx = *state;
    const rec *d;
    start_connected(fx);
    assert_int_equal(bkp_stomp_disconnect(fx->c.s, on_receipt, &fx->c), 0);
    assert_int_equal(bkp_stomp_disconnect(fx->c.s, on_receipt, &fx->c), BK_ESTATE);
    assert_int_equal(bkp_stomp_send(fx->c.s, "/queue/a", NULL, 0, "1", 1, NULL, NULL),
                     BK_ECLOSED);
    assert_true(wait_count(fx, &fx->c.nreceipts, 1));
    assert_int_equal(fx->c.receipts[0], 0);
    d = peer_find(&fx->p, BKP_CMD_DISCONNECT, 0);
    assert_non_null(d);
    assert_non_null(rget(d, "receipt"));
    assert_int_equal(bkp_stomp_state_get(fx->c.s), BKP_STOMP_CLOSED);
    assert_int_equal(last_state(&fx->c), BKP_STOMP_CLOSED);
    run_for(fx->base, 50);
    assert_int_equal(fx->p.accepts, 1); /* no reconnect after a graceful close */
}

static void test_disconnect_without_receipt_times_out(void **state)
{
    fixture *fx = *state;
    fx->o.disconnect_timeout_ms = 30;
    start_connected(fx);
    fx->p.no_receipts = 1;
    assert_int_equal(bkp_stomp_disconnect(fx->c.s, on_receipt, &fx->c), 0);
    assert_true(wait_count(fx, &fx->c.nreceipts, 1));
    assert_int_equal(fx->c.receipts[0], BK_ETIMEDOUT);
    assert_int_equal(bkp_stomp_state_get(fx->c.s), BKP_STOMP_CLOSED);
}

static void temp_queue(fixture *fx, const char *server, int expect_subscribe)
{
    bkp_sub *t;
    bkp_header h[] = { { "destination", "/queue/whatever", 0, 0 },
                       { "subscription", NULL, 0, 0 }, { "message-id", "1", 0, 0 } };
    fx->p.server = server;
    start_connected(fx);
    assert_int_equal(bkp_stomp_subscribe_temp(fx->c.s, "/temp-queue/tmp.abc", on_msg, &fx->c,
                                              &t), 0);
    run_for(fx->base, 30);
    assert_int_equal(peer_count(&fx->p, BKP_CMD_SUBSCRIBE), expect_subscribe);
    if (expect_subscribe) {
        const rec *f = peer_find(&fx->p, BKP_CMD_SUBSCRIBE, 0);
        assert_string_equal(rget(f, "destination"), "/temp-queue/tmp.abc");
        h[1].value = rget(f, "id");
    } else {
        h[1].value = "/temp-queue/tmp.abc"; /* RabbitMQ: subscription id = destination */
    }
    peer_send(&fx->p, BKP_CMD_MESSAGE, h, 3, "reply", 5, 0);
    assert_true(wait_count(fx, &fx->c.nmsgs, 1));
    assert_memory_equal(fx->c.msg_body, "reply", 5);
    assert_int_equal(bkp_stomp_unsubscribe(fx->c.s, t, NULL, NULL), 0);
    run_for(fx->base, 20);
    assert_int_equal(peer_count(&fx->p, BKP_CMD_UNSUBSCRIBE), expect_subscribe);
}

static void test_temp_queue_rabbitmq_broker_subscribes(void **state)
{
    temp_queue(*state, "RabbitMQ/3.10.8", 0);
}

static void test_temp_queue_bkpr_client_subscribes(void **state)
{
    temp_queue(*state, "bkpr-broker/0.1", 1);
}

static void test_activemq_flavour_headers(void **state)
{
    fixture *fx = *state;
    const rec *f;
    uint64_t now = (uint64_t)time(NULL) * 1000;
    fx->p.server = "ActiveMQ/5.17.2";
    start_connected(fx);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a",
                                         &(bkp_sub_opts){ .ack = BKP_ACK_CLIENT, .prefetch = 1 },
                                         on_msg, &fx->c, NULL), 0);
    assert_int_equal(bkp_stomp_send_ttl(fx->c.s, "/queue/a", NULL, 0, "1", 1, 5000, NULL,
                                        NULL), 0);
    assert_true(wait_frames(fx, BKP_CMD_SEND, 1));
    f = peer_find(&fx->p, BKP_CMD_SUBSCRIBE, 0);
    assert_string_equal(rget(f, "activemq.prefetchSize"), "1");
    assert_null(rget(f, "prefetch-count"));
    f = peer_find(&fx->p, BKP_CMD_SEND, 0);
    assert_null(rget(f, "expiration"));
    assert_non_null(rget(f, "expires"));
    assert_true(strtoull(rget(f, "expires"), NULL, 10) >= now + 4000);
    assert_string_equal(bkp_flavour_wildcard_multi(bkp_stomp_flavour(fx->c.s)), ">");
}

static void test_rabbitmq_expiration_relative(void **state)
{
    fixture *fx = *state;
    const rec *f;
    fx->p.server = "RabbitMQ/3.10.8";
    start_connected(fx);
    assert_int_equal(bkp_stomp_send_ttl(fx->c.s, "/queue/a", NULL, 0, "1", 1, 200, NULL, NULL),
                     0);
    assert_true(wait_frames(fx, BKP_CMD_SEND, 1));
    f = peer_find(&fx->p, BKP_CMD_SEND, 0);
    assert_string_equal(rget(f, "expiration"), "200");
    assert_string_equal(bkp_flavour_wildcard_multi(BKP_FLAVOUR_RABBITMQ), "#");
    assert_int_equal(bkp_flavour_detect("bkpr-broker/0.1"), BKP_FLAVOUR_BKPR);
    assert_int_equal(bkp_flavour_detect("Apache/1"), BKP_FLAVOUR_GENERIC);
    assert_int_equal(bkp_flavour_detect(NULL), BKP_FLAVOUR_GENERIC);
}

static void test_malformed_frame_drops_connection(void **state)
{
    fixture *fx = *state;
    int i;
    start_connected(fx);
    bufferevent_write(fx->p.bev, "MESSAGE\nno-colon-here\n\n\0", 24);
    assert_true(run_until(fx->base, saw_disconnect, &fx->c, 3000));
    for (i = 0; i < fx->c.nstates; i++)
        if (fx->c.states[i] == BKP_STOMP_DISCONNECTED)
            assert_int_equal(fx->c.reasons[i], BK_EPROTO);
}

static void test_oversized_frame_hits_limit(void **state)
{
    fixture *fx = *state;
    static char big[4096];
    int i;
    unsigned snd, rcv;
    fx->o.limits.max_frame = 1024;
    fx->o.hb_send_ms = 100;
    fx->o.hb_recv_ms = 100;
    fx->p.hb = "x,1"; /* malformed: taken as no heart-beats */
    start_connected(fx);
    bkp_stomp_heartbeats(fx->c.s, &snd, &rcv);
    assert_int_equal(snd, 0);
    assert_int_equal(rcv, 0);
    memset(big, 'b', sizeof big - 1);
    peer_message(&fx->p, "s1", "1", "1", NULL, big);
    assert_true(run_until(fx->base, saw_disconnect, &fx->c, 3000));
    for (i = 0; i < fx->c.nstates; i++)
        if (fx->c.states[i] == BKP_STOMP_DISCONNECTED)
            assert_int_equal(fx->c.reasons[i], BK_ELIMIT);
}

static void test_ack_tag_after_callback(void **state)
{
    fixture *fx = *state;
    bkp_ack_tag *tag = NULL;
    const rec *sub;
    bkp_header h[] = { { "destination", "/queue/a", 0, 0 }, { "subscription", NULL, 0, 0 },
                       { "message-id", "M", 0, 0 }, { "ack", "T7", 0, 0 } };
    bkp_frame msg = { .cmd = BKP_CMD_MESSAGE, .nheaders = 4, .headers = h };
    size_t i;
    start_connected(fx);
    assert_int_equal(bkp_stomp_subscribe(fx->c.s, "/queue/a",
                                         &(bkp_sub_opts){ .ack = BKP_ACK_CLIENT }, on_msg,
                                         &fx->c, NULL), 0);
    assert_true(wait_frames(fx, BKP_CMD_SUBSCRIBE, 1));
    sub = peer_find(&fx->p, BKP_CMD_SUBSCRIBE, 0);
    h[1].value = rget(sub, "id");
    for (i = 0; i < 4; i++) {
        h[i].name_len = (uint32_t)strlen(h[i].name);
        h[i].value_len = (uint32_t)strlen(h[i].value);
    }
    assert_int_equal(bkp_stomp_ack_tag_new(fx->c.s, &msg, &tag), 0);
    assert_int_equal(bkp_stomp_ack_tag(fx->c.s, tag, 0), 0);
    assert_true(wait_frames(fx, BKP_CMD_ACK, 1));
    assert_string_equal(rget(peer_find(&fx->p, BKP_CMD_ACK, 0), "id"), "T7");
    /* a tag from an earlier connection is refused */
    assert_int_equal(bkp_stomp_ack_tag_new(fx->c.s, &msg, &tag), 0);
    peer_drop(&fx->p);
    assert_true(wait_count(fx, &fx->p.accepts, 2));
    assert_true(run_until(fx->base, is_connected, &fx->c, 3000));
    assert_int_equal(bkp_stomp_ack_tag(fx->c.s, tag, 1), BK_ECLOSED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_connect_headers_are_raw),
        T(test_stomp_command_and_default_heartbeat),
        T(test_bad_options_refused),
        T(test_send_fails_closed_when_not_connected),
        T(test_stomp12_ack_uses_ack_header),
        T(test_stomp11_ack_uses_message_id_and_subscription),
        T(test_stomp10_answer_raw_and_no_nack),
        T(test_headers_escaped_on_send),
        T(test_receipts_complete_callbacks),
        T(test_frames_of_one_turn_are_coalesced),
        T(test_output_buffer_is_bounded),
        T(test_error_surfaced_and_closes_on_rabbitmq),
        T(test_error_keeps_activemq_connection),
        T(test_error_on_connect_is_auth_failure),
        T(test_heartbeats_sent_when_idle),
        T(test_silent_peer_is_dead),
        T(test_beating_peer_stays_alive),
        T(test_failover_to_second_host),
        T(test_immediate_connect_failure_reported_once),
        T(test_random_first_host_reaches_live_one),
        T(test_resubscribe_after_reconnect),
        T(test_backoff_bounded),
        T(test_gives_up_after_max_rounds),
        T(test_byte_by_byte_delivery),
        T(test_free_inside_message_callback),
        T(test_unsubscribe_inside_message_callback),
        T(test_ack_refused_after_unsubscribe),
        T(test_connect_timeout_moves_on),
        T(test_disconnect_while_not_connected),
        T(test_send_from_connected_callback_follows_resubscribe),
        T(test_free_inside_state_callback),
        T(test_graceful_disconnect),
        T(test_disconnect_without_receipt_times_out),
        T(test_temp_queue_rabbitmq_broker_subscribes),
        T(test_temp_queue_bkpr_client_subscribes),
        T(test_activemq_flavour_headers),
        T(test_rabbitmq_expiration_relative),
        T(test_malformed_frame_drops_connection),
        T(test_oversized_frame_hits_limit),
        T(test_ack_tag_after_callback),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
