/* The broker object: listeners, the expiry sweep, signals and an orderly shutdown. */
#include "broker/server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "beekeeper/error.h"
#include "core/clock.h"
#include "net/tls.h"

void brk_broker_limits_default(brk_broker_limits *l)
{
    memset(l, 0, sizeof *l);
    l->frame.max_frame = BKP_DEFAULT_MAX_FRAME;
    l->frame.max_headers = BKP_DEFAULT_MAX_HEADERS;
    l->frame.max_header_bytes = BKP_DEFAULT_MAX_HEADER_BYTES;
    l->max_connections = 50000;
    l->max_queue_messages = 100000;
    l->max_queued_bytes = (size_t)256 << 20;
    l->max_conn_outbuf = (size_t)4 << 20;
    l->max_subscriptions = 1000;
    l->max_vhosts = 100;
    l->connect_timeout_ms = 10000;
    l->heartbeat_ms = 100;
    l->slow_consumer_ms = 3000;
}

void brk_broker_log(const brk_broker *b, int level, const char *fmt, ...)
{
    if (level > b->verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bkpr-broker: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int brk_broker_new(brk_broker **out, struct event_base *base)
{
    brk_broker *b = calloc(1, sizeof *b);
    if (!b)
        return BK_ENOMEM;
    b->base = base;
    brk_broker_limits_default(&b->lim);
    b->stats.started_ms = bkp_now_ms();
    *out = b;
    return 0;
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    (void)l;
    (void)sa;
    (void)salen;
    brk_session_accept(arg, fd, NULL);
}

static void on_accept_tls(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                          int salen, void *arg)
{
    (void)l;
    (void)sa;
    (void)salen;
    brk_broker *b = arg;
    brk_session_accept(b, fd, b->tls);
}

static void on_accept_error(struct evconnlistener *l, void *arg)
{
    (void)l;
    int e = EVUTIL_SOCKET_ERROR();
    /* Out of file descriptors or memory: keep serving the others; accept again later. */
    brk_broker_log(arg, 0, "accept: %s", evutil_socket_error_to_string(e));
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    brk_expire_sweep(arg);
}

/* "HOST:PORT" with a numeric IPv4 or IPv6 ("[::1]:61613") address. libevent refuses port 0,
 * which asks the kernel for any free port: it is parsed as port 1 and then set to 0. */
static int parse_addr(const char *s, struct sockaddr_storage *ss, int *len)
{
    char buf[128];
    size_t n = strlen(s);
    int any = n >= 2 && n < sizeof buf && strcmp(s + n - 2, ":0") == 0;
    if (any) {
        memcpy(buf, s, n + 1);
        buf[n - 1] = '1';
        s = buf;
    }
    *len = sizeof *ss;
    if (evutil_parse_sockaddr_port(s, (struct sockaddr *)ss, len) < 0)
        return -1;
    if (any && ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = 0;
    else if (any && ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = 0;
    return 0;
}

int brk_broker_bound(const brk_broker *b, size_t i, char *buf, size_t len)
{
    if (i >= b->nlisteners)
        return BK_EINVAL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char host[INET6_ADDRSTRLEN];
    if (getsockname(evconnlistener_get_fd(b->listeners[i]), (struct sockaddr *)&ss, &sl) < 0)
        return BK_EIO;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        if (!inet_ntop(AF_INET, &in->sin_addr, host, sizeof host))
            return BK_EIO;
        snprintf(buf, len, "%s:%u", host, (unsigned)ntohs(in->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
        if (!inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host))
            return BK_EIO;
        snprintf(buf, len, "[%s]:%u", host, (unsigned)ntohs(in6->sin6_port));
    } else {
        return BK_EIO;
    }
    return 0;
}

static int add_listeners(brk_broker *b, const char *const *addrs, size_t n,
                         evconnlistener_cb cb, char *err, size_t errlen)
{
    struct evconnlistener **ls = realloc(b->listeners, (b->nlisteners + n + 1) * sizeof *ls);
    if (!ls)
        return BK_ENOMEM;
    b->listeners = ls;
    for (size_t i = 0; i < n; i++) {
        struct sockaddr_storage ss;
        int len;
        if (parse_addr(addrs[i], &ss, &len) < 0 || !strrchr(addrs[i], ':')) {
            snprintf(err, errlen, "invalid listen address '%s' (expected HOST:PORT with a numeric host)",
                     addrs[i]);
            return BK_EINVAL;
        }
        struct evconnlistener *l = evconnlistener_new_bind(
            b->base, cb, b, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024,
            (struct sockaddr *)&ss, len);
        if (!l) {
            snprintf(err, errlen, "cannot listen on %s: %s", addrs[i], strerror(errno));
            return BK_EIO;
        }
        evconnlistener_set_error_cb(l, on_accept_error);
        b->listeners[b->nlisteners++] = l;
    }
    return 0;
}

int brk_broker_listen(brk_broker *b, const char *const *addrs, size_t n, char *err,
                      size_t errlen)
{
    int rc = add_listeners(b, addrs, n, on_accept, err, errlen);
    b->first_tls = b->nlisteners;
    if (rc)
        return rc;
    b->sweep = event_new(b->base, -1, EV_PERSIST, on_sweep, b);
    struct timeval tv = {1, 0};
    if (!b->sweep || event_add(b->sweep, &tv) < 0)
        return BK_ENOMEM;
    return 0;
}

int brk_broker_listen_tls(brk_broker *b, const char *const *addrs, size_t n, const char *cert,
                          const char *key, const char *client_ca, char *err, size_t errlen)
{
    if (!cert) {
        snprintf(err, errlen, "a TLS listener needs a certificate (--tls-cert FILE)");
        return BK_EINVAL;
    }
    if (b->tls || b->first_tls != b->nlisteners)
        return BK_ESTATE;
    int rc = bkp_tls_ctx_server(&b->tls, cert, key, client_ca, err, errlen);
    return rc ? rc : add_listeners(b, addrs, n, on_accept_tls, err, errlen);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopexit(arg, NULL);
}

void brk_broker_stop(brk_broker *b)
{
    if (b->stopping)
        return;
    b->stopping = 1;
    for (size_t i = 0; i < b->nlisteners; i++)
        evconnlistener_free(b->listeners[i]);
    b->nlisteners = 0;
    if (!b->sessions) {
        event_base_loopexit(b->base, NULL);
        return;
    }
    brk_session_close_all(b, "broker shutting down");
    /* Clients that do not read their goodbye are not waited for long. */
    struct timeval tv = {2, 0};
    event_base_once(b->base, -1, EV_TIMEOUT, on_deadline, b->base, &tv);
}

void brk_broker_free(brk_broker *b)
{
    if (!b)
        return;
    brk_session_free_all(b);
    for (size_t i = 0; i < b->nlisteners; i++)
        evconnlistener_free(b->listeners[i]);
    free(b->listeners);
    if (b->sweep)
        event_free(b->sweep);
    if (b->resume)
        event_free(b->resume);
    bkp_tls_ctx_free(b->tls);
    BKP_MAP_EACH(&b->vhosts, s)
        brk_vhost_free(s->value);
    bkp_map_clear(&b->vhosts);
    brk_broker_free_config(b);
    free(b);
}

void brk_raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}
