/* The Router's lanes (router.c says the rules): each callback checks one message, sends its
 * copy on the other side with headers built here, and ACKs it there and then, or NACKs it
 * when the other side could not take it, or drops it (ACK, count, a debug line). */
#include <stdio.h>
#include <string.h>

#include "beekeeper/error.h"
#include "beekeeper/log.h"
#include "core/clock.h"
#include "services/router_int.h"

static const char *const drop_names[BKP_DROP_COUNT] = {
    [BKP_DROP_FORWARD_TO] = "forward_to",   [BKP_DROP_REPLY_TO] = "reply_to",
    [BKP_DROP_TOO_BIG] = "too_big",         [BKP_DROP_BODY] = "body",
    [BKP_DROP_RESPONSE] = "response",       [BKP_DROP_NOTIFICATION] = "notification",
    [BKP_DROP_UNBOUND] = "unbound",         [BKP_DROP_SEND] = "send",
};

const char *bkp_router_drop_name(bkp_router_drop d)
{
    return d < BKP_DROP_COUNT ? drop_names[d] : "?";
}

static int word_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-';
}

/* Length of the run of [A-Za-z0-9_-] at s. */
static size_t word_len(const char *s)
{
    size_t n = 0;
    while (word_char(s[n]))
        n++;
    return n;
}

int bkp_router_name_ok(const char *s)
{
    size_t n = word_len(s);
    return n > 0 && !s[n];
}

static void drop(bkp_router *r, bkp_bus *b, const bkp_bus_msg *m, bkp_router_drop why)
{
    r->st.dropped[why]++;
    bkp_bus_ack(b, m);
    /* debug only: a flood of garbage must not flood the log */
    bk_log_debug("router: dropped a message (%s)", bkp_router_drop_name(why));
}

/* After a copy was sent (rc): ACK, or give the message back to the broker. */
static void settle(bkp_router *r, bkp_bus *b, const bkp_bus_msg *m, int rc)
{
    if (rc == 0)
        bkp_bus_ack(b, m);
    else if (rc == BK_EINVAL)
        drop(r, b, m, BKP_DROP_SEND);
    else {
        r->st.returned++;
        bkp_bus_nack(b, m);
    }
}

/* "/queue/req" then two or more ".{segment}", none beginning with "_". */
static int forward_to_ok(const char *v)
{
    static const char pfx[] = "/queue/req";
    int segs = 0;
    if (!v || strncmp(v, pfx, sizeof pfx - 1) != 0)
        return 0;
    v += sizeof pfx - 1;
    while (*v == '.') {
        size_t n = word_len(v + 1);
        if (!n || v[1] == '_')
            return 0;
        v += 1 + n;
        segs++;
    }
    return !*v && segs >= 2;
}

/* s starts with pfx: the rest, else NULL. */
static const char *after(const char *s, const char *pfx)
{
    size_t n = strlen(pfx);
    return strncmp(s, pfx, n) == 0 ? s + n : NULL;
}

/* A run of [\w-] from min to max long that ends s. */
static int tail_ok(const char *s, size_t min, size_t max)
{
    size_t n = word_len(s);
    return !s[n] && n >= min && n <= max;
}

int bkp_router_session_of(const char *server, const char *reply_to, char *id, size_t n)
{
    const char *t;
    if (!reply_to)
        return -1;
    if (after(server, "bkpr-broker")) {
        /* "/reply-queue/{16 alnum token}.tmp.{id}": the token and the id, joined with a
         * dash, since 0.02's bind check wants no dot */
        if (!(t = after(reply_to, "/reply-queue/")) || word_len(t) != 16 || t[16] != '.' ||
            !after(t + 17, "tmp.") || !tail_ok(t + 21, 16, 22))
            return -1;
        return snprintf(id, n, "%.16s-%s", t, t + 21) < (int)n ? 0 : -1;
    }
    if (after(server, "RabbitMQ/")) {
        if (!(t = after(reply_to, "/reply-queue/amq.gen-")) || !tail_ok(t, 22, 22))
            return -1;
    } else if (after(server, "ActiveMQ/")) {
        /* "ID:{id}", the ':' spelled "\c" where it came unescaped (0.02 peers) */
        if (!(t = after(reply_to, "/remote-temp-queue/ID:")) &&
            !(t = after(reply_to, "/remote-temp-queue/ID\\c")))
            return -1;
        size_t k = 0, len = 0;
        for (const char *p = t; *p; p++) {
            if (*p == ':' || (*p == '\\' && p[1] == 'c')) {
                if (k + 2 >= n)
                    return -1;
                id[k++] = '\\';
                id[k++] = 'c';
                p += *p == '\\';
            } else if (word_char(*p) && k + 1 < n)
                id[k++] = *p;
            else
                return -1;
            len++;
        }
        id[k] = 0;
        return len >= 20 ? 0 : -1;
    } else if (!(t = after(reply_to, "/temp-queue/tmp.")) || !tail_ok(t, 16, 22))
        return -1;
    return snprintf(id, n, "%s", t) < (int)n ? 0 : -1;
}

/* A body that can be a JSON-RPC request: an object. The worker checks the rest. */
static int body_ok(const char *body, size_t len)
{
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
        i++;
    return i < len && body[i] == '{' && !memchr(body, 0, len);
}

/* A numeric expiration, as a ttl; 0 for none. */
static uint64_t ttl_of(const char *v)
{
    uint64_t t = 0;
    if (!v || !*v || strlen(v) > 12)
        return 0;
    for (; *v; v++) {
        if (*v < '0' || *v > '9')
            return 0;
        t = t * 10 + (uint64_t)(*v - '0');
    }
    return t;
}

void bkp_router_on_request(bkp_bus *b, bkp_bus_sub *sub, const bkp_bus_msg *m, void *arg)
{
    (void)sub;
    bkp_lane *ln = arg;
    bkp_router *r = ln->r;
    const char *fwd = bkp_bus_msg_header(m, "x-forward-to");
    const char *reply = bkp_bus_msg_header(m, "reply-to");
    char sid[128], res[256], xreply[512];
    size_t len;
    const char *body = bkp_bus_msg_body(m, &len);
    if (!forward_to_ok(fwd))
        {
            drop(r, b, m, BKP_DROP_FORWARD_TO);
            return;
        }
    if (bkp_router_session_of(bkp_bus_server(b), reply, sid, sizeof sid) != 0 ||
        snprintf(xreply, sizeof xreply, "%s@%s", reply, ln->f->bus_id) >= (int)sizeof xreply)
        {
            drop(r, b, m, BKP_DROP_REPLY_TO);
            return;
        }
    if (len > r->max_body)
        {
            drop(r, b, m, BKP_DROP_TOO_BIG);
            return;
        }
    if (!body_ok(body, len))
        {
            drop(r, b, m, BKP_DROP_BODY);
            return;
        }
    snprintf(res, sizeof res, "/queue/res.%s-%d", ln->f->bus_id, ln->lane);
    bkp_bus_header h[4] = {
        { "x-session", sid }, { "reply-to", res }, { "x-forward-reply", xreply },
    };
    size_t n = 3;
    bkp_session s;
    if (bkp_sessions_touch(r->sessions, sid, bkp_now_ms(), &s) == 0 && s.tokens)
        h[n++] = (bkp_bus_header){ "x-auth-tokens", s.tokens };
    int rc = bkp_bus_send(r->back, fwd, h, n, body, len,
                          ttl_of(bkp_bus_msg_header(m, "expiration")));
    if (rc == 0)
        r->st.requests++;
    settle(r, b, m, rc);
}

/* "/temp-queue/", "/reply-queue/" or "/remote-temp-queue/" and a name: a reply queue. */
static int reply_queue_ok(const char *q, size_t n)
{
    static const char *const pfx[] = { "/temp-queue/", "/reply-queue/", "/remote-temp-queue/" };
    for (size_t i = 0; i < 3; i++) {
        size_t pl = strlen(pfx[i]);
        if (n > pl && strncmp(q, pfx[i], pl) == 0 && !memchr(q, '\n', n))
            return 1;
    }
    return 0;
}

void bkp_router_on_response(bkp_bus *b, bkp_bus_sub *sub, const bkp_bus_msg *m, void *arg)
{
    (void)sub;
    bkp_lane *ln = arg;
    bkp_router *r = ln->r;
    const char *x = bkp_bus_msg_header(m, "x-forward-reply");
    const char *at = x ? strrchr(x, '@') : NULL;
    char dest[512];
    size_t len, dn = at ? (size_t)(at - x) : 0;
    const char *body = bkp_bus_msg_body(m, &len);
    if (!at || strcmp(at + 1, ln->f->bus_id) != 0 || dn >= sizeof dest || !reply_queue_ok(x, dn))
        {
            drop(r, b, m, BKP_DROP_RESPONSE);
            return;
        }
    memcpy(dest, x, dn);
    dest[dn] = 0;
    int rc = bkp_bus_send(ln->f->bus, dest, NULL, 0, body, len, 0);
    if (rc == 0)
        r->st.responses++;
    settle(r, b, m, rc);
}

typedef struct unicast {
    bkp_router *r;
    const char *dest;           /* the topic, for the log */
    const char *body;
    size_t len;
    int sent, failed;
} unicast;

static void send_to_queue(const char *queue, void *arg)
{
    unicast *u = arg;
    const char *at = queue ? strrchr(queue, '@') : NULL;
    char dest[512];
    if (!at || (size_t)(at - queue) >= sizeof dest)
        return;
    memcpy(dest, queue, (size_t)(at - queue));
    dest[at - queue] = 0;
    for (size_t i = 0; i < u->r->nfront; i++)
        if (strcmp(u->r->front[i].bus_id, at + 1) == 0) {
            if (bkp_bus_send(u->r->front[i].bus, dest, NULL, 0, u->body, u->len, 0) == 0)
                u->sent++;
            else
                u->failed++;
        }
}

void bkp_router_on_notification(bkp_bus *b, bkp_bus_sub *sub, const bkp_bus_msg *m, void *arg)
{
    (void)sub;
    bkp_router *r = arg;
    const char *x = bkp_bus_msg_header(m, "x-forward-to");
    char topic[512], pfx[256];
    size_t len;
    const char *body = bkp_bus_msg_body(m, &len);
    snprintf(pfx, sizeof pfx, "/topic/msg.%s.", r->frontend_cluster);
    const char *rest = x ? after(x, pfx) : NULL, *p = rest;
    int segs = 0;
    while (p && word_len(p)) {     /* {service}.{method}: two or more segments */
        p += word_len(p);
        segs++;
        if (*p != '.')
            break;
        p++;
    }
    const char *addr = p && *p == '@' ? p + 1 : NULL;
    if (!rest || segs < 2 || (*p && !addr) || (addr && !bkp_router_name_ok(addr)) ||
        (size_t)(p - x) >= sizeof topic)
        {
            drop(r, b, m, BKP_DROP_NOTIFICATION);
            return;
        }
    memcpy(topic, x, (size_t)(p - x));
    topic[p - x] = 0;
    if (!addr) {
        int sent = 0;
        for (size_t i = 0; i < r->nfront; i++)
            sent += bkp_bus_send(r->front[i].bus, topic, NULL, 0, body, len, 0) == 0;
        r->st.broadcasts++;
        /* sent to some frontends: giving it back would send it twice to those */
        {
            settle(r, b, m, sent || !r->nfront ? 0 : BK_ECLOSED);
            return;
        }
    }
    unicast u = { r, topic, body, len, 0, 0 };
    if (!bkp_sessions_each_queue(r->sessions, addr, send_to_queue, &u))
        {
            drop(r, b, m, BKP_DROP_UNBOUND);
            return;
        }
    r->st.unicasts++;
    settle(r, b, m, u.sent || !u.failed ? 0 : BK_ECLOSED);
}
