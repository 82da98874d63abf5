/* The fixture of bkpr-broker's own tests (test_broker*): broker_start runs
 * $B/bin/bkpr-broker on a free loopback port with a config of its own, broker_stop ends it
 * with TERM, which must end it with status 0 (under SAN=1 a leak found at exit makes that
 * fail); a raw STOMP client speaks to it over a socket. Failures are cmocka failures. */
#ifndef BK_TESTS_BROKER_FIXTURE_H
#define BK_TESTS_BROKER_FIXTURE_H

#include <stddef.h>
#include <sys/types.h>

#include <event2/buffer.h>

#include "stomp/frame.h"

typedef struct broker {
    pid_t pid;
    int port;
    char dir[64];      /* a private directory: the config and the log are in it */
    char log[96];
} broker;

/* Runs bkpr-broker on a config that printf writes from fmt, which it must refuse (exit
 * status not 0); its stderr is written to text. */
void refused_config(const char *fmt, char *text, size_t len);

typedef struct client {
    int fd;
    struct evbuffer *in;
    bkp_parser *p;
    bkp_frame f;       /* the last frame read; valid until the next read */
    int eof;
} client;

int free_port(void);
int tcp_connect(int port);
/* rcvbuf > 0: the socket's SO_RCVBUF, set before it connects (a small one makes a slow
 * reader). */
int tcp_connect_rcvbuf(int port, int rcvbuf);
void sleep_ms(int ms);

/* The broker of the running test, killed by teardown when a failed assertion skipped its
 * broker_stop: a failing test leaves no process behind. */
extern pid_t g_running;
int teardown(void **state);

/* Starts the broker with `config` (NULL: none) and waits until it accepts connections. */
void broker_start(broker *br, const char *config);
/* TERM, and the broker must exit 0 within 10 s. */
void broker_stop(broker *br);

client *cl_open(const broker *br);
client *cl_open_rcvbuf(const broker *br, int rcvbuf);
void cl_close(client *c);
void cl_write(client *c, const void *p, size_t n);
/* Frames written as a format; "\\0" can't be in a C format, so '^' stands for the NUL. */
__attribute__((format(printf, 2, 3))) void cl_send(client *c, const char *fmt, ...);
/* The next frame's command, BKP_CMD_UNKNOWN on timeout, -1 when the broker closed. */
int cl_next(client *c, int timeout_ms);
/* A header of the last frame read; "" when absent. */
const char *hdr(client *c, const char *name);
void expect(client *c, bkp_cmd cmd);
/* An ERROR whose message contains `what`, then the close. */
void expect_refusal(client *c, const char *what);
void expect_nothing(client *c, int ms);
client *cl_login(const broker *br, const char *user, const char *pass, const char *vhost);
/* SUBSCRIBE with a receipt, and waits for it. */
void subscribe(client *c, const char *id, const char *dest, const char *extra);
/* SEND with a receipt, and waits for it. */
void send_body(client *c, const char *dest, const char *body);
void expect_message(client *c, const char *body);

/* A client sending to a queue it consumes itself: the RECEIPT and the MESSAGE may come in
 * either order. */
void send_to_self(client *c, const char *dest, const char *body);

#endif
