/* The fixture of the test_conn_* unit tests of the STOMP client connection
 * (runtime/stomp/conn.c): a scripted STOMP peer that runs in the test's event loop on a real
 * loopback TCP socket, speaks through the codec and records every frame it gets; a client
 * record that the connection's callbacks fill; and the cmocka setup that makes both, with
 * options pointing the connection at the peer. Every wait is bounded by a deadline (and
 * alarm() as a last resort). */
#ifndef BK_TESTS_CONN_FIXTURE_H
#define BK_TESTS_CONN_FIXTURE_H

#include <stddef.h>

#include "stomp/conn.h"

struct bufferevent;
struct evbuffer;
struct evconnlistener;

/* ------------------------------------------------------------------ the scripted peer */

#define MAXF 256
#define MAXH 32

/* A frame the peer got, copied. */
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

/* The value of header name in f, or NULL. */
const char *rget(const rec *f, const char *name);

/* Writes a frame to the client. */
void peer_send(peer *p, bkp_cmd cmd, const bkp_header *h, size_t n, const char *body,
               size_t len, unsigned flags);

/* A MESSAGE on /queue/a for subscription sub; ack and x (header "x") may be NULL. */
void peer_message(peer *p, const char *sub, const char *msgid, const char *ack,
                  const char *x, const char *body);

/* Closes the connection to the client (it may come back: the listener stays). */
void peer_drop(peer *p);

/* The nth (0-based) recorded frame with command cmd, or NULL. */
const rec *peer_find(const peer *p, bkp_cmd cmd, int nth);

int peer_count(const peer *p, bkp_cmd cmd);

/* Whether the raw bytes received contain needle. */
int peer_raw_has(const peer *p, const char *needle);

/* ------------------------------------------------------------------ the client side */

typedef struct client {
    bkp_stomp *s;
    bkp_stomp_state states[64];
    int reasons[64];
    char details[64][96];
    int64_t retry_in[64];    /* DISCONNECTED: bkp_stomp_retry_in, with round_over */
    int round_over[64];
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

/* A message callback that records the message in the client (arg) and does what its flags
 * say; a receipt callback that records the status. */
void on_msg(bkp_stomp *s, bkp_sub *sub, const bkp_frame *msg, void *arg);
void on_receipt(bkp_stomp *s, int status, void *arg);

int last_state(const client *c);
int saw_state(const client *c, bkp_stomp_state st);

/* Conditions for bkt_run_until, on a client. */
int saw_disconnect(void *arg);
int is_connected(void *arg);

/* ------------------------------------------------------------------ the fixture */

typedef struct fixture {
    struct event_base *base;
    peer p;
    client c;
    const char *hosts[4];
    char hostbuf[4][32];
    bkp_stomp_opts o;
} fixture;

/* cmocka setup and teardown: *state is a fixture whose peer listens (version 1.2) and whose
 * options (fx->o) point at it; a test changes them, then calls start. */
int conn_setup(void **state);
int conn_teardown(void **state);

/* Makes and starts the connection with fx->o; start_connected also waits until connected. */
void start(fixture *fx);
void start_connected(fixture *fx);

/* Waits (up to 3 s) until *counter >= want, or the peer got n frames of cmd; whether so. */
int wait_count(fixture *fx, const int *counter, int want);
int wait_frames(fixture *fx, bkp_cmd cmd, int n);

#endif
