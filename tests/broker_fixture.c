/* The fixture of bkpr-broker's own tests: see broker_fixture.h. */
#include "broker_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>

/* ------------------------------------------------------------------ the broker process */

int free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

int tcp_connect_rcvbuf(int port, int rcvbuf)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (fd < 0)
        return -1;
    /* Before connect: the window offered at the handshake must fit the buffer. Shrunk
     * later, the kernel drops what the peer sends past it, and its retransmissions back
     * off for many seconds once the reader reads again. */
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

int tcp_connect(int port)
{
    return tcp_connect_rcvbuf(port, 0);
}

void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* The broker of the running test, killed by the teardown when a failed assertion skipped
 * its broker_stop: a failing test leaves no process behind. */
pid_t g_running = -1;

int teardown(void **state)
{
    (void)state;
    if (g_running > 0) {
        kill(g_running, SIGKILL);
        waitpid(g_running, NULL, 0);
        g_running = -1;
    }
    return 0;
}

/* Starts the broker with `config` (NULL: none) and waits until it accepts connections. */
void broker_start(broker *br, const char *config)
{
    const char *b = getenv("B") ? getenv("B") : "build";
    char bin[256], cfg[128], portarg[32];
    snprintf(bin, sizeof bin, "%s/bin/bkpr-broker", b);
    strcpy(br->dir, "/tmp/bk-test-broker.XXXXXX");
    assert_non_null(mkdtemp(br->dir));
    snprintf(cfg, sizeof cfg, "%s/broker.json", br->dir);
    snprintf(br->log, sizeof br->log, "%s/broker.log", br->dir);
    if (config) {
        FILE *f = fopen(cfg, "w");
        assert_non_null(f);
        fputs(config, f);
        fclose(f);
    }
    br->port = free_port();
    snprintf(portarg, sizeof portarg, "127.0.0.1:%d", br->port);
    br->pid = fork();
    assert_true(br->pid >= 0);
    if (br->pid > 0)
        g_running = br->pid;
    if (br->pid == 0) {
        int fd = open(br->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (config)
            execl(bin, bin, "--listen", portarg, "--config", cfg, "-v", (char *)NULL);
        else
            execl(bin, bin, "--listen", portarg, "-v", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        int fd = tcp_connect(br->port);
        if (fd >= 0) {
            close(fd);
            return;
        }
        int st;
        if (waitpid(br->pid, &st, WNOHANG) == br->pid)
            fail_msg("bkpr-broker exited at start (status %d); see %s", st, br->log);
        sleep_ms(20);
    }
    fail_msg("bkpr-broker did not listen on %d", br->port);
}

/* TERM, and the broker must exit 0 within 10 s. */
void broker_stop(broker *br)
{
    int st = 0;
    g_running = -1; /* from here on this function reaps it, whatever happens */
    assert_int_equal(kill(br->pid, SIGTERM), 0);
    for (int i = 0; i < 1000; i++) {
        if (waitpid(br->pid, &st, WNOHANG) == br->pid)
            break;
        if (i == 999) {
            kill(br->pid, SIGKILL);
            waitpid(br->pid, &st, 0);
            fail_msg("bkpr-broker did not stop on TERM");
        }
        sleep_ms(10);
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char cmd[160];
        snprintf(cmd, sizeof cmd, "tail -n 30 %s >&2", br->log);
        if (system(cmd) < 0)
            perror("system");
        fail_msg("bkpr-broker exit status %d", st);
    }
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", br->dir);
    if (system(cmd) != 0)
        perror("rm");
}

/* ------------------------------------------------------------------ a raw STOMP client */

client *cl_open_rcvbuf(const broker *br, int rcvbuf)
{
    client *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->fd = tcp_connect_rcvbuf(br->port, rcvbuf);
    assert_true(c->fd >= 0);
    c->in = evbuffer_new();
    assert_int_equal(bkp_parser_new(&c->p, NULL), 0);
    return c;
}

client *cl_open(const broker *br)
{
    return cl_open_rcvbuf(br, 0);
}

void cl_close(client *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    bkp_parser_free(c->p);
    evbuffer_free(c->in);
    free(c);
}

void cl_write(client *c, const void *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(c->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        assert_true(w > 0);
        p = (const char *)p + w;
        n -= (size_t)w;
    }
}

/* Frames written as a format; "\\0" can't be in a C format, so '^' stands for the NUL. */
__attribute__((format(printf, 2, 3))) void cl_send(client *c, const char *fmt, ...)
{
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && n < (int)sizeof buf);
    for (int i = 0; i < n; i++)
        if (buf[i] == '^')
            buf[i] = '\0';
    cl_write(c, buf, (size_t)n);
}

/* The next frame's command, BKP_CMD_UNKNOWN on timeout, -1 when the broker closed. */
int cl_next(client *c, int timeout_ms)
{
    for (;;) {
        int r = bkp_parser_next(c->p, c->in, &c->f);
        assert_true(r >= 0);
        if (r == 1)
            return (int)c->f.cmd;
        if (c->eof)
            return -1;
        struct pollfd pfd = {c->fd, POLLIN, 0};
        int pr = poll(&pfd, 1, timeout_ms);
        if (pr == 0)
            return BKP_CMD_UNKNOWN;
        int n = evbuffer_read(c->in, c->fd, 65536);
        if (n <= 0)
            c->eof = 1;
    }
}

const char *hdr(client *c, const char *name)
{
    const char *v = bkp_frame_get(&c->f, name);
    return v ? v : "";
}

void expect(client *c, bkp_cmd cmd)
{
    int got = cl_next(c, 5000);
    if (got != (int)cmd)
        fail_msg("expected %s, got %s (message: %s)", bkp_cmd_name(cmd),
                 got < 0 ? "the close" : bkp_cmd_name((bkp_cmd)got),
                 got > 0 ? hdr(c, "message") : "");
}

/* An ERROR whose message contains `what`, then the close. */
void expect_refusal(client *c, const char *what)
{
    expect(c, BKP_CMD_ERROR);
    if (!strstr(hdr(c, "message"), what))
        fail_msg("ERROR message '%s' does not mention '%s'", hdr(c, "message"), what);
    assert_int_equal(cl_next(c, 5000), -1);
}

void expect_nothing(client *c, int ms)
{
    int got = cl_next(c, ms);
    if (got != BKP_CMD_UNKNOWN)
        fail_msg("expected silence, got %s", got < 0 ? "the close" : bkp_cmd_name((bkp_cmd)got));
}

client *cl_login(const broker *br, const char *user, const char *pass, const char *vhost)
{
    client *c = cl_open(br);
    cl_send(c, "CONNECT\naccept-version:1.2\nhost:%s\nlogin:%s\npasscode:%s\n\n^", vhost, user,
            pass);
    expect(c, BKP_CMD_CONNECTED);
    return c;
}

void subscribe(client *c, const char *id, const char *dest, const char *extra)
{
    cl_send(c, "SUBSCRIBE\nid:%s\ndestination:%s\n%sreceipt:s-%s\n\n^", id, dest, extra, id);
    expect(c, BKP_CMD_RECEIPT);
}

void send_body(client *c, const char *dest, const char *body)
{
    cl_send(c, "SEND\ndestination:%s\nreceipt:r\n\n%s^", dest, body);
    expect(c, BKP_CMD_RECEIPT);
}

void expect_message(client *c, const char *body)
{
    expect(c, BKP_CMD_MESSAGE);
    assert_int_equal(c->f.body_len, strlen(body));
    assert_memory_equal(c->f.body, body, strlen(body));
}

/* A client sending to a queue it consumes itself: the RECEIPT and the MESSAGE may come in
 * either order. */
void send_to_self(client *c, const char *dest, const char *body)
{
    cl_send(c, "SEND\ndestination:%s\nreceipt:r\n\n%s^", dest, body);
    int receipt = 0, message = 0;
    while (!receipt || !message) {
        int got = cl_next(c, 5000);
        if (got == BKP_CMD_RECEIPT && !receipt)
            receipt = 1;
        else if (got == BKP_CMD_MESSAGE && !message) {
            assert_int_equal(c->f.body_len, strlen(body));
            assert_memory_equal(c->f.body, body, strlen(body));
            message = 1;
        } else
            fail_msg("expected RECEIPT and MESSAGE, got %s",
                     got < 0 ? "the close" : bkp_cmd_name((bkp_cmd)got));
    }
}

void refused_config(const char *fmt, char *text, size_t len)
{
    const char *b = getenv("B") ? getenv("B") : "build";
    char cmd[1024];
    char dir[] = "/tmp/bk-test-broker.XXXXXX";
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof cmd,
             "printf '%s' > %s/c.json; "
             "%s/bin/bkpr-broker --listen 127.0.0.1:1 --config %s/c.json 2>%s/err; "
             "echo $? > %s/rc",
             fmt, dir, b, dir, dir, dir);
    assert_int_equal(system(cmd), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/rc", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int rc = -1;
    assert_int_equal(fscanf(f, "%d", &rc), 1);
    fclose(f);
    assert_true(rc != 0);
    snprintf(path, sizeof path, "%s/err", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, len - 1, f);
    text[n] = '\0';
    fclose(f);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}
