#include "beekeeper/client.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "beekeeper/log.h"
#include "beekeeper/typed.h"
#include "core/clock.h"
#include "core/random.h"
#include "net/tls.h"
#include "rpc/client_int.h"
#include "rpc/jsonrpc.h"
#include "rpc/names.h"

#define NBUCKETS 1024u
#define DEST_MAX 512
#define DEFAULT_MAX_OUTBUF ((size_t)64 << 20)
/* What a frame adds to its body (command, destination, headers), for the room a send
 * waits for: an estimate, as the soft limit is one. */
#define FRAME_OVERHEAD 1024u
/* A sender that queues frames faster than the loop turns (a burst of notifications or jobs)
 * hands them to the kernel once this much waits, without a turn of the loop: the output
 * stays a few hundred KB instead of the whole burst, so its memory is reused while it is
 * hot (a 20 MB burst of 1 KB notifications spent a third of its time in malloc and page
 * faults, measured with perf), and the broker reads while the sender writes. */
#define EAGER_WRITE_BYTES ((size_t)256 << 10)

/* The connection refuses frames beyond four times the soft limit: only a sender that
 * cannot wait (see wait_room) ever gets there. */
static size_t hard_outbuf(size_t soft)
{
    return soft > SIZE_MAX / 4 ? SIZE_MAX : soft * 4;
}

typedef struct pending {
    struct pending *next, *prev;
    uint64_t seq;
    struct event *timer;
    bk_client *c;
    int sync, typed, finished, rc;
    json_t *result;             /* sync, untyped: owned reference */
    bk_arena *a;                /* sync, typed: the caller's, where the response goes */
    bk_json_doc *doc;           /* sync, typed: the response, in a */
    uint32_t tok;               /* its result's token */
    int code;
    char *message;              /* sync: malloc'd */
    json_t *data;               /* sync: owned reference */
    bk_call_fn *done;           /* async, untyped */
    bk_typed_call_fn *tdone;    /* async, typed */
    void *arg;
} pending;

enum { IT_DONE = 1, IT_NOTIFY, IT_TASK };

typedef struct nsub {
    struct nsub *next;
    bk_client *c;
    char *pattern;
    bk_notify_fn *fn;           /* untyped: params as a jansson tree */
    bk_typed_notify_fn *tfn;    /* typed: params as tokens */
    void *arg;
} nsub;

typedef struct item {
    struct item *next;
    int kind;
    bk_arena *a;
    /* IT_DONE */
    bk_call_fn *done;
    bk_typed_call_fn *tdone;
    void *arg;
    json_t *result;
    int failed;
    bk_error err;
    /* IT_NOTIFY */
    nsub *sub;
    const char *method;
    json_t *params;
    /* typed IT_DONE and IT_NOTIFY: the body's tokens (in a), the value's token */
    bk_json_doc *doc;
    uint32_t tok;
    /* IT_TASK */
    const bkp_task_ops *ops;
    void *task;
} item;

struct bk_client {
    struct event_base *base;
    int own_base;
    bkp_stomp *s;
    char *bus_id, *cluster, *tokens;
    int timeout_ms, send_timeout_ms;
    size_t max_outbuf;          /* the soft limit a sender waits under (see wait_room) */
    char idpfx[9];
    uint64_t seq;
    char reply[64];
    bkp_sub *reply_sub;
    pending *buckets[NBUCKETS];
    size_t npending;
    item *qhead, *qtail;
    struct event *drain_ev, *wake_ev, *room_ev;
    int running, draining, stop;
    int in_loop_cb;             /* draining from drain_cb, inside a loop we do not run */
    int connected, gave_up, last_reason;
    int lost;                   /* the connection was up and went away: say when it is back */
    /* The failed attempts of the current round over the hosts, logged as one line when the
     * round is over (attempts_failed) */
    char round_log[512];
    unsigned rounds_failed, rounds_seen;   /* rounds_seen: at bk_client_connect_try's start */
    uint64_t round_warned_ms;
    nsub *subs;
    const char *ctx_tokens, *ctx_session;
    bk_arena *scratch;          /* a response's copy and tokens, until it is delivered */
    struct held *held;          /* bk_client_hold's blocks */
};

/* A block of bk_client_hold, freed with the client. */
typedef struct held {
    struct held *next;
    max_align_t align[];
} held;

static int header_value_ok(const char *s)
{
    return !s || !strpbrk(s, "\r\n");
}

/* ------------------------------------------------------------------ ready queue */

static void queue_item(bk_client *c, item *it)
{
    it->next = NULL;
    if (c->qtail)
        c->qtail->next = it;
    else
        c->qhead = it;
    c->qtail = it;
    if (!c->running)
        event_active(c->drain_ev, EV_READ, 0);
}

static void free_item(item *it)
{
    if (!it)
        return;
    if (it->task)
        it->ops->drop(it->task);
    bk_arena_free(it->a);
    free(it);
}

static void drain(bk_client *c)
{
    if (c->draining)
        return;
    c->draining = 1;
    item *it;
    while ((it = c->qhead) && !c->stop) {
        c->qhead = it->next;
        if (!c->qhead)
            c->qtail = NULL;
        switch (it->kind) {
        case IT_DONE:
            if (it->tdone)
                it->tdone(c, it->a, it->doc, it->tok, it->failed ? &it->err : NULL, it->arg);
            else
                it->done(c, it->a, it->result, it->failed ? &it->err : NULL, it->arg);
            break;
        case IT_NOTIFY:
            if (it->sub->tfn)
                it->sub->tfn(c, it->a, it->method, it->doc, it->tok, it->sub->arg);
            else
                it->sub->fn(c, it->a, it->method, it->params, it->sub->arg);
            break;
        case IT_TASK: {
            void *task = it->task;
            it->task = NULL;
            it->ops->run(task);
            break;
        }
        }
        free_item(it);
    }
    c->draining = 0;
}

static void drain_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    bk_client *c = arg;
    if (!c->running) {  /* a loop wrapper of ours drains outside libevent */
        int was = c->in_loop_cb;
        c->in_loop_cb = 1;
        drain(c);
        c->in_loop_cb = was;
    }
}

static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

/* One turn of the loop, flagged so that queued callbacks wait for our drain point.
 * Returns libevent's answer: -1 when the loop is already running (re-entry refused).
 * Before blocking, what we queued is written at once: left to the flush event, it would
 * cost the loop a non-blocking turn (an epoll_wait) first. */
static int loop_once(bk_client *c, int block)
{
    c->running++;
    if (block && c->s)
        bkp_stomp_flush(c->s);
    int r = event_base_loop(c->base, block ? EVLOOP_ONCE : EVLOOP_NONBLOCK);
    c->running--;
    return r;
}

void bkp_client_poll(bk_client *c)
{
    if (c->s)
        bkp_stomp_flush(c->s);
    /* Drained from a callback of a loop someone else runs, it cannot turn that loop.
     * (libevent 2.1's event_base_get_running_event reads NULL outside a callback.) */
    if (!c->in_loop_cb)
        loop_once(c, 0);
}

/* ------------------------------------------------------------------ pending calls */

static void table_add(bk_client *c, pending *p)
{
    pending **b = &c->buckets[p->seq % NBUCKETS];
    p->prev = NULL;
    p->next = *b;
    if (*b)
        (*b)->prev = p;
    *b = p;
    c->npending++;
}

static void table_del(bk_client *c, pending *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        c->buckets[p->seq % NBUCKETS] = p->next;
    if (p->next)
        p->next->prev = p->prev;
    p->next = p->prev = NULL;
    c->npending--;
    if (p->timer) {
        event_free(p->timer);
        p->timer = NULL;
    }
}

static pending *table_find(bk_client *c, uint64_t seq)
{
    for (pending *p = c->buckets[seq % NBUCKETS]; p; p = p->next)
        if (p->seq == seq)
            return p;
    return NULL;
}

/* A copy of doc (text and tokens) in arena a, for a response whose tokens were made in the
 * client's scratch arena. NULL when out of memory. Why a second copy for a typed result: the
 * arena it must live in (the caller's, or the callback's) is known only once the id has been
 * read, and reading the envelope writes into the text, so the frame's own bytes cannot be
 * read in place; a memcpy of the body and its tokens costs far less than lexing it again. */
static bk_json_doc *doc_copy(bk_arena *a, const bk_json_doc *doc)
{
    bk_json_doc *d = bk_arena_alloc(a, sizeof *d);
    char *text = d ? bk_arena_alloc(a, doc->len + 1) : NULL;
    bk_json_tok *tok = text ? bk_arena_alloc(a, (size_t)doc->ntok * sizeof *tok) : NULL;
    if (!tok)
        return NULL;
    memcpy(text, doc->text, doc->len);
    memcpy(tok, doc->tok, (size_t)doc->ntok * sizeof *tok);
    *d = (bk_json_doc){ .text = text, .len = doc->len, .tok = tok, .ntok = doc->ntok };
    return d;
}

/* Completes p (already out of the table). References in result/data are borrowed; a typed
 * call's result is token tok of doc (borrowed: copied where the result goes). */
static void finish(bk_client *c, pending *p, int rc, json_t *result, const bk_json_doc *doc,
                   uint32_t tok, int code, const char *message, json_t *data)
{
    if (p->sync) {
        if (rc == 0 && p->typed && !(p->doc = doc_copy(p->a, doc))) {
            rc = BK_ENOMEM;
            code = BK_RPC_INTERNAL_ERROR;
            message = "out of memory";
        }
        p->finished = 1;
        p->rc = rc;
        p->tok = tok;
        p->result = result ? json_incref(result) : NULL;
        p->code = code;
        p->message = message ? strdup(message) : NULL;
        p->data = data ? json_incref(data) : NULL;
        return;
    }
    item *it = calloc(1, sizeof *it);
    if (!it || bk_arena_new(&it->a) != 0) {
        /* cannot deliver: the callback promise is broken only under memory exhaustion */
        free(it);
        free(p);
        return;
    }
    it->kind = IT_DONE;
    it->done = p->done;
    it->tdone = p->tdone;
    it->arg = p->arg;
    if (rc == 0 && p->typed && !(it->doc = doc_copy(it->a, doc))) {
        rc = BK_ENOMEM;
        code = BK_RPC_INTERNAL_ERROR;
        message = "out of memory";
    }
    if (rc == 0) {
        it->tok = tok;
        if (!p->typed)
            it->result = bk_arena_keep_json(it->a, result ? result : json_null());
    } else {
        it->failed = 1;
        it->err.code = code;
        it->err.message = bk_arena_strdup(it->a, message ? message : bk_rpc_code_message(code));
        if (!it->err.message)
            it->err.message = "out of memory";
        it->err.data = bk_arena_keep_json(it->a, data);
    }
    free(p);
    queue_item(c, it);
}

static void fail_all(bk_client *c, int rc, const char *why)
{
    for (unsigned i = 0; i < NBUCKETS; i++)
        while (c->buckets[i]) {
            pending *p = c->buckets[i];
            table_del(c, p);
            finish(c, p, rc, NULL, NULL, 0, BK_RPC_INTERNAL_ERROR, why, NULL);
        }
}

static void timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pending *p = arg;
    bk_client *c = p->c;
    table_del(c, p);
    finish(c, p, BK_ETIMEDOUT, NULL, NULL, 0, BK_RPC_TIMEOUT, "Request timeout", NULL);
}

/* A response: copied into the scratch arena, tokenized once there, its envelope read; an
 * untyped call's result or an error's data becomes a jansson tree, a typed call's tokens are
 * copied where its result is decoded. */
static void on_notify(bkp_stomp *s, bkp_sub *sub, const bkp_frame *msg, void *arg);

/* The subscription a notification for method goes to: the exact pattern, else "svc.*". */
static nsub *sub_for(bk_client *c, const char *method)
{
    nsub *star = NULL;
    const char *dot = strrchr(method, '.');
    size_t sl = dot ? (size_t)(dot - method) : 0;
    for (nsub *n = c->subs; n; n = n->next) {
        size_t pl = strlen(n->pattern);
        if (strcmp(n->pattern, method) == 0)
            return n;
        if (!star && sl && pl == sl + 2 && strncmp(n->pattern, method, sl) == 0 &&
            n->pattern[sl] == '.' && n->pattern[sl + 1] == '*')
            star = n;
    }
    return star;
}

static void on_reply(bkp_stomp *s, bkp_sub *sub, const bkp_frame *msg, void *arg)
{
    (void)s;
    (void)sub;
    bk_client *c = arg;
    bkp_rpc_msg m;
    json_t *result = NULL, *data = NULL;
    char why[160] = "";
    bk_arena_reset(c->scratch);
    char *text = bk_arena_alloc(c->scratch, msg->body_len + 1);
    if (!text)
        return;
    memcpy(text, msg->body, msg->body_len);
    int rc = bkp_rpc_decode(&m, c->scratch, text, msg->body_len, why, sizeof why);
    if (rc == 0 && m.kind == BKP_RPC_NOTIFY) {
        /* a router's unicast to an address this connection is bound to (doc/api.md,
         * "Sessions"): it goes to the subscriptions, as one on the topic would */
        nsub *n = sub_for(c, m.method);
        if (n)
            on_notify(s, sub, msg, n);
        return;
    }
    if (rc != 0 || (m.kind != BKP_RPC_RESULT && m.kind != BKP_RPC_ERROR) || !m.id_str) {
        bk_log_debug("reply queue: dropped an unusable response (%s)", why[0] ? why : "not a response");
        return;
    }
    /* "<8 digits>-<seq>" of ours */
    if (strncmp(m.id_str, c->idpfx, 8) != 0 || m.id_str[8] != '-')
        return;
    char *end;
    const char *num = m.id_str + 9;
    if (*num < '0' || *num > '9')
        return;
    uint64_t seq = strtoull(num, &end, 10);
    if (*end)
        return;
    pending *p = table_find(c, seq);
    if (!p) {
        bk_log_debug("reply queue: late or unknown response %s dropped", m.id_str);
        return;
    }
    if ((m.kind == BKP_RPC_RESULT && !p->typed &&
         bkp_rpc_json(&m, m.result, &result, why, sizeof why) != 0) ||
        (m.kind == BKP_RPC_ERROR && m.data != BKP_RPC_NONE &&
         bkp_rpc_json(&m, m.data, &data, why, sizeof why) != 0)) {
        bk_log_debug("reply queue: dropped an unusable response (%s)", why);
        return;
    }
    table_del(c, p);
    if (m.kind == BKP_RPC_RESULT)
        finish(c, p, 0, result, &m.doc, m.result, 0, NULL, NULL);
    else
        finish(c, p, BK_ERPC, NULL, NULL, 0, m.code, m.message, data);
    json_decref(result);
    json_decref(data);
}

/* One line per round of failed attempts over every host, with each host's reason and when
 * the next round starts: at warn for the first rounds, then at most once a minute (debug
 * in between), so that a broker down for hours does not fill the log. */
static void attempt_failed(bk_client *c, bkp_stomp *s, const char *detail)
{
    size_t n = strlen(c->round_log);
    snprintf(c->round_log + n, sizeof c->round_log - n, "%s%s", n ? "; " : "", detail);
    int round_over = 0;
    int64_t next = bkp_stomp_retry_in(s, &round_over);
    if (!round_over)
        return;
    c->rounds_failed++;
    uint64_t now = bkp_now_ms();
    char when[64];
    if (next < 0)
        snprintf(when, sizeof when, "giving up");
    else
        snprintf(when, sizeof when, "next try in %.1f s", (double)next / 1000.0);
    if (c->rounds_failed <= 3 || next < 0 || now - c->round_warned_ms >= 60000) {
        c->round_warned_ms = now;
        bk_log_warn("cannot connect to the bus: %s; %s", c->round_log, when);
    } else {
        bk_log_debug("cannot connect to the bus: %s; %s", c->round_log, when);
    }
    c->round_log[0] = '\0';
}

static void on_state(bkp_stomp *s, bkp_stomp_state st, int reason, const char *detail, void *arg)
{
    bk_client *c = arg;
    switch (st) {
    case BKP_STOMP_CONNECTED:
        c->connected = 1;
        c->last_reason = 0;
        c->round_log[0] = '\0';
        c->rounds_failed = 0;
        if (c->lost)
            bk_log_info("bus connection back: %s", detail ? detail : "?");
        else
            bk_log_debug("connected to %s", detail ? detail : "?");
        c->lost = 0;
        break;
    case BKP_STOMP_DISCONNECTED:
    case BKP_STOMP_CLOSED:
        if (c->connected && reason) {
            bk_log_warn("bus connection lost: %s", detail ? detail : bk_strerror(reason));
            c->lost = 1;
        } else if (st == BKP_STOMP_DISCONNECTED && reason) {
            attempt_failed(c, s, detail ? detail : bk_strerror(reason));
        }
        c->connected = 0;
        c->last_reason = reason ? reason : BK_ECLOSED;
        if (st == BKP_STOMP_CLOSED)
            c->gave_up = 1;
        fail_all(c, BK_ECLOSED, "connection to the bus lost");
        break;
    default:
        break;
    }
}

/* ------------------------------------------------------------------ life cycle */

int bk_client_new(bk_client **out, const bk_client_opts *o)
{
    int rc = BK_EINVAL;
    bk_client *c = NULL;
    if (out)
        *out = NULL;
    if (!out || !o || !o->hosts || o->nhosts == 0 || !header_value_ok(o->tokens))
        return BK_EINVAL;
    const char *bus = o->bus_id ? o->bus_id : "backend";
    const char *cluster = o->cluster ? o->cluster : bus;
    char probe[DEST_MAX];
    if (bkp_dest_request(probe, sizeof probe, cluster, "a.b") != 0)
        return BK_EINVAL;
    c = calloc(1, sizeof *c);
    if (!c)
        return BK_ENOMEM;
    rc = BK_ENOMEM;
    c->bus_id = strdup(bus);
    c->cluster = strdup(cluster);
    c->tokens = o->tokens && *o->tokens ? strdup(o->tokens) : NULL;
    if (!c->bus_id || !c->cluster || (o->tokens && *o->tokens && !c->tokens))
        goto out;
    c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 60000;
    c->send_timeout_ms = o->send_timeout_ms > 0 ? o->send_timeout_ms : c->timeout_ms;
    c->max_outbuf = o->max_outbuf ? o->max_outbuf : DEFAULT_MAX_OUTBUF;
    if (bk_arena_new(&c->scratch) != 0)
        goto out;
    bkp_random_digits8(c->idpfx);
    if (o->base) {
        c->base = o->base;
    } else {
        c->base = event_base_new();
        c->own_base = 1;
        if (!c->base)
            goto out;
    }
    c->drain_ev = event_new(c->base, -1, 0, drain_cb, c);
    c->wake_ev = event_new(c->base, -1, 0, wake_cb, c);
    c->room_ev = event_new(c->base, -1, 0, wake_cb, c);
    if (!c->drain_ev || !c->wake_ev || !c->room_ev)
        goto out;
    bkp_tls_ctx *tls = NULL;
    if (o->tls) {
        char why[512];
        rc = bkp_tls_ctx_client(&tls, o->tls_ca, o->tls_cert, o->tls_key, !o->tls_no_verify,
                                why, sizeof why);
        if (rc) {
            bk_log_error("bus %s: %s", bus, why);
            goto out;
        }
        if (o->tls_no_verify)
            bk_log_warn("bus %s: TLS without checking the broker's certificate (tls_verify "
                        "is false)", bus);
    }
    bkp_stomp_opts so = {
        .hosts = o->hosts,
        .nhosts = o->nhosts,
        .vhost = o->vhost ? o->vhost : "/",
        .login = o->user,
        .passcode = o->pass,
        .connect_timeout_ms = o->connect_timeout_ms,
        .max_rounds = o->max_rounds,
        .max_outbuf = hard_outbuf(c->max_outbuf),
        .state_cb = on_state,
        .arg = c,
        .tls = tls,
    };
    rc = bkp_stomp_new(&c->s, c->base, &so);
    bkp_tls_ctx_free(tls);
    if (rc)
        goto out;
    rc = bkp_stomp_start(c->s);
    if (rc)
        goto out;
    *out = c;
    return 0;
out:
    bk_client_free(c);
    return rc;
}

void bk_client_free(bk_client *c)
{
    if (!c)
        return;
    bkp_stomp_free(c->s);
    for (unsigned i = 0; i < NBUCKETS; i++)
        while (c->buckets[i]) {
            pending *p = c->buckets[i];
            table_del(c, p);
            if (!p->sync)
                free(p);
        }
    while (c->qhead) {
        item *it = c->qhead;
        c->qhead = it->next;
        free_item(it);      /* a task is dropped: a held job goes back to the broker */
    }
    for (nsub *n = c->subs, *nx; n; n = nx) {
        nx = n->next;
        free(n->pattern);
        free(n);
    }
    if (c->drain_ev)
        event_free(c->drain_ev);
    if (c->wake_ev)
        event_free(c->wake_ev);
    if (c->room_ev)
        event_free(c->room_ev);
    if (c->own_base && c->base)
        event_base_free(c->base);
    for (held *h = c->held, *nx; h; h = nx) {
        nx = h->next;
        free(h);
    }
    bk_arena_free(c->scratch);
    free(c->bus_id);
    free(c->cluster);
    free(c->tokens);
    free(c);
}

void *bk_client_hold(bk_client *c, size_t n)
{
    if (!c || n > SIZE_MAX - sizeof(held))
        return NULL;
    held *h = calloc(1, sizeof *h + n);
    if (!h)
        return NULL;
    h->next = c->held;
    c->held = h;
    return h->align;
}

int bk_client_connected(const bk_client *c)
{
    return c && c->connected;
}

struct event_base *bk_client_base(const bk_client *c)
{
    return c ? c->base : NULL;
}

const char *bk_client_cluster(const bk_client *c)
{
    return c ? c->cluster : "";
}

const char *bk_client_reply_queue(const bk_client *c)
{
    return c ? c->reply : "";
}

size_t bk_client_pending(const bk_client *c)
{
    return c ? c->npending : 0;
}

int bk_client_set_tokens(bk_client *c, const char *tokens)
{
    if (!c || !header_value_ok(tokens))
        return BK_EINVAL;
    char *t = NULL;
    if (tokens && *tokens && !(t = strdup(tokens)))
        return BK_ENOMEM;
    free(c->tokens);
    c->tokens = t;
    return 0;
}

/* Runs turns of the loop until cond(c) holds or deadline (0: none) passes. */
static int run_until(bk_client *c, int (*cond)(bk_client *), uint64_t deadline)
{
    drain(c);
    for (;;) {
        /* Write what is queued before testing: that write may be all cond waits for
         * (bk_client_flush), and once it is done nothing else may ever wake the loop. */
        if (c->s)
            bkp_stomp_flush(c->s);
        if (cond(c))
            break;
        uint64_t t = bkp_now_ms();
        if (deadline && t >= deadline)
            return BK_ETIMEDOUT;
        if (deadline) {
            uint64_t left = deadline - t;
            struct timeval tv = { (time_t)(left / 1000), (suseconds_t)(left % 1000) * 1000 };
            evtimer_add(c->wake_ev, &tv);
        }
        int r = loop_once(c, 1);
        if (r < 0)
            return BK_ESTATE;
        drain(c);
        if (r == 1 && !deadline)
            return BK_ESTATE;   /* nothing left that could ever change cond */
    }
    evtimer_del(c->wake_ev);
    return 0;
}

static int is_up_or_gone(bk_client *c)
{
    return c->connected || c->gave_up;
}

int bk_client_connect_wait(bk_client *c, int timeout_ms)
{
    if (!c)
        return BK_EINVAL;
    int r = run_until(c, is_up_or_gone, bkp_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0));
    if (r)
        return r;
    return c->connected ? 0 : (c->last_reason ? c->last_reason : BK_ECLOSED);
}

static int is_up_or_refused(bk_client *c)
{
    return c->connected || c->gave_up || c->rounds_failed != c->rounds_seen;
}

int bk_client_connect_try(bk_client *c, int timeout_ms)
{
    if (!c)
        return BK_EINVAL;
    c->rounds_seen = c->rounds_failed;
    int r = run_until(c, is_up_or_refused,
                      bkp_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0));
    if (r)
        return r;
    return c->connected ? 0 : (c->last_reason ? c->last_reason : BK_ECLOSED);
}

static int is_idle(bk_client *c)
{
    return c->npending == 0 && (!c->qhead || c->draining);
}

int bk_client_wait_all(bk_client *c, int timeout_ms)
{
    if (!c)
        return BK_EINVAL;
    return run_until(c, is_idle, timeout_ms < 0 ? 0 : bkp_now_ms() + (uint64_t)timeout_ms);
}

static int is_flushed(bk_client *c)
{
    return !c->connected || bkp_stomp_pending_bytes(c->s) == 0;
}

int bk_client_flush(bk_client *c, int timeout_ms)
{
    if (!c)
        return BK_EINVAL;
    int r = run_until(c, is_flushed, bkp_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0));
    if (r)
        return r;
    return c->connected ? 0 : BK_ECLOSED;
}

static int is_stopped(bk_client *c)
{
    return c->stop;
}

int bk_client_run(bk_client *c)
{
    if (!c)
        return BK_EINVAL;
    c->stop = 0;
    int r = run_until(c, is_stopped, 0);
    c->stop = 0;
    return r == BK_ESTATE && c->running == 0 ? 0 : r;
}

int bk_client_run_for(bk_client *c, int ms)
{
    if (!c)
        return BK_EINVAL;
    c->stop = 0;
    int r = run_until(c, is_stopped, bkp_now_ms() + (uint64_t)(ms > 0 ? ms : 0));
    c->stop = 0;
    return r == BK_ETIMEDOUT ? 0 : r;
}

void bk_client_stop(bk_client *c)
{
    if (c) {
        c->stop = 1;
        event_base_loopbreak(c->base);
    }
}

/* ------------------------------------------------------------------ sending */

static int ensure_reply(bk_client *c)
{
    if (c->reply_sub)
        return 0;
    int rc = bkp_dest_temp(c->reply, sizeof c->reply);
    if (!rc)
        rc = bkp_stomp_subscribe_temp(c->s, c->reply, on_reply, c, &c->reply_sub);
    if (rc)
        c->reply[0] = 0;
    return rc;
}

static int has_room(bk_client *c, size_t need)
{
    size_t have = bkp_stomp_pending_bytes(c->s);
    return have == 0 || (need <= c->max_outbuf && have <= c->max_outbuf - need);
}

/* Flow: a sender that outruns its connection is held back, not refused. Runs turns of the
 * loop until a frame of about `need` bytes fits under the soft limit, the connection is
 * gone (BK_ECLOSED) or timeout_ms passed (BK_ETIMEDOUT). Nothing queued is drained here: as
 * in bk_call, callbacks wait for the caller's next drain point. Where the loop cannot be run
 * (from a callback of a loop the application runs itself: libevent refuses re-entry) the
 * frame is queued anyway: such a sender is a handler answering what it was given, bounded
 * by its subscription's window, and a refusal would make every handler write the retry
 * loop this policy exists to remove. The connection's hard limit (hard_outbuf) stays the
 * backstop there, with BK_ELIMIT. */
static int wait_room(bk_client *c, size_t need, int timeout_ms)
{
    uint64_t deadline = 0;
    int rc = 0;
    while (c->connected && !has_room(c, need)) {
        uint64_t t = bkp_now_ms();
        if (!deadline)
            deadline = t + (uint64_t)timeout_ms;
        else if (t >= deadline) {
            rc = BK_ETIMEDOUT;
            break;
        }
        uint64_t left = deadline - t;
        struct timeval tv = { (time_t)(left / 1000), (suseconds_t)(left % 1000) * 1000 };
        evtimer_add(c->room_ev, &tv);
        if (loop_once(c, 1) < 0)
            break;
    }
    if (deadline)
        evtimer_del(c->room_ev);
    if (!rc && !c->connected)
        rc = BK_ECLOSED;
    return rc;
}

/* Builds the destination and headers of a request/job/notification and sends body (taken in
 * any case: it joins the frame without a copy), waiting up to timeout_ms for room in the
 * output buffer. */
static int send_msg(bk_client *c, const char *method, int notify, const bk_call_opts *o,
                    const char *reply_to, uint64_t ttl, char *body, size_t len, int timeout_ms)
{
    char dest[DEST_MAX], xfwd[DEST_MAX];
    bkp_header h[4];
    size_t n = 0;
    int rc;
    const char *fwd = o ? o->forward_to : NULL, *addr = o ? o->address : NULL;
    char cluster[DEST_MAX];
    if (!fwd && addr && notify) {
        /* "{cluster}" broadcasts to that remote cluster, "{cluster}.{name}" is unicast to
         * name there: 0.02's spelling of an address (doc/api.md, "Sessions") */
        const char *dot = strchr(addr, '.');
        size_t l = dot ? (size_t)(dot - addr) : strlen(addr);
        rc = BK_EINVAL;
        if (!l || l >= sizeof cluster || (dot && !dot[1]))
            goto refused;
        memcpy(cluster, addr, l);
        cluster[l] = 0;
        fwd = cluster;
        addr = dot ? dot + 1 : NULL;
    }
    if (fwd) {
        unsigned char r;
        bkp_random_bytes(&r, 1);
        int lane = 1 + (r & 1);
        rc = notify ? bkp_dest_forward_notify(dest, sizeof dest, xfwd, sizeof xfwd, fwd, method,
                                              addr, lane)
                    : bkp_dest_forward_request(dest, sizeof dest, xfwd, sizeof xfwd, fwd, method,
                                               lane);
        if (rc)
            goto refused;
        h[n++] = (bkp_header){ .name = "x-forward-to", .value = xfwd };
    } else {
        rc = notify ? bkp_dest_notify(dest, sizeof dest, c->cluster, method)
                    : bkp_dest_request(dest, sizeof dest, c->cluster, method);
        if (rc)
            goto refused;
    }
    const char *tok = o && o->tokens ? o->tokens : c->ctx_tokens ? c->ctx_tokens : c->tokens;
    rc = BK_EINVAL;
    if (!header_value_ok(tok))
        goto refused;
    if (tok && *tok)
        h[n++] = (bkp_header){ .name = "x-auth-tokens", .value = tok };
    if (c->ctx_session && *c->ctx_session)
        h[n++] = (bkp_header){ .name = "x-session", .value = c->ctx_session };
    if (reply_to)
        h[n++] = (bkp_header){ .name = "reply-to", .value = reply_to };
    for (size_t i = 0; i < n; i++) {
        h[i].name_len = (uint32_t)strlen(h[i].name);
        h[i].value_len = (uint32_t)strlen(h[i].value);
    }
    rc = wait_room(c, len + FRAME_OVERHEAD, timeout_ms);
    if (rc)
        goto refused;
    rc = bkp_stomp_send_take(c->s, dest, h, n, body, len, ttl);
    if (rc == 0 && bkp_stomp_pending_bytes(c->s) >= EAGER_WRITE_BYTES)
        bkp_stomp_write_now(c->s);
    return rc;
refused:
    free(body);
    return rc;
}

static int check_method(const char *method)
{
    return bkp_method_valid(method, 0, NULL) ? 0 : BK_EINVAL;
}

/* Sends a request with an id, its params already in w (taken in any case); on 0 *out is in
 * the table with its timer running. BK_EINVAL with *bad_params when the params could not be
 * written. */
static int start_call(bk_client *c, const char *method, bk_jw *w, const bk_call_opts *o,
                      int sync, pending **out, int *bad_params)
{
    pending *p = NULL;
    char *body = NULL;
    size_t len;
    int rc = check_method(method);
    if (!rc && !c->connected)
        rc = BK_ECLOSED;
    if (!rc)
        rc = ensure_reply(c);
    if (!rc && !(p = calloc(1, sizeof *p)))
        rc = BK_ENOMEM;
    if (rc) {
        bk_jw_free(w);
        return rc;
    }
    p->c = c;
    p->sync = sync;
    p->seq = ++c->seq;
    char id[32];
    snprintf(id, sizeof id, "%s-%" PRIu64, c->idpfx, p->seq);
    int tmo = o && o->timeout_ms > 0 ? o->timeout_ms : c->timeout_ms;
    rc = bkp_rpc_end_request(w, id, &body, &len);
    if (rc) {
        if (rc == BK_EINVAL)
            *bad_params = 1;
        free(p);
        return rc;
    }
    p->timer = evtimer_new(c->base, timeout_cb, p);
    if (!p->timer) {
        free(body);
        free(p);
        return BK_ENOMEM;
    }
    rc = send_msg(c, method, 0, o, c->reply, (uint64_t)tmo, body, len, tmo);
    if (rc) {
        event_free(p->timer);
        free(p);
        return rc;
    }
    struct timeval tv = { tmo / 1000, (tmo % 1000) * 1000 };
    evtimer_add(p->timer, &tv);
    table_add(c, p);
    *out = p;
    return 0;
}

static void set_err(bk_error *err, bk_arena *a, int code, const char *msg, json_t *data)
{
    if (!err)
        return;
    err->code = code;
    err->message = a ? bk_arena_strdup(a, msg) : NULL;
    if (!err->message)
        err->message = a ? "out of memory" : bk_rpc_code_message(code);
    err->data = bk_arena_keep_json(a, data);
}

static const char *local_msg(int rc)
{
    return rc == BK_ECLOSED ? "not connected to the bus" : bk_strerror(rc);
}

/* A call that failed here, before or instead of an answer: what a caller shows. The text
 * says why a method name was refused; without an arena it is static. */
static void set_local_err(bk_error *err, bk_arena *a, int rc, const char *method)
{
    if (!err)
        return;
    const char *why = rc == BK_EINVAL ? bkp_method_problem(method, 0, NULL) : NULL;
    err->code = rc == BK_ETIMEDOUT ? BK_RPC_TIMEOUT : BK_RPC_INTERNAL_ERROR;
    err->data = NULL;
    err->message = why ? why : local_msg(rc);
    if (a && why) {
        char *m = bk_arena_printf(a, "invalid method name \"%.256s\": %s", method ? method : "",
                                  why);
        if (m)
            err->message = m;
    }
}

static const char params_unwritable[] =
    "params cannot be encoded (a NULL string, invalid UTF-8, an enum value that is no member, "
    "a double that is not finite, or out of memory)";

/* The synchronous call of bk_call and bk_call_end: params in w (taken in any case). On 0,
 * *pp is the finished call, freed with call_free. */
static int call_sync(bk_client *c, const char *method, bk_jw *w, const bk_call_opts *o,
                     bk_arena *a, int typed, pending **pp, bk_error *err)
{
    pending *p = NULL;
    int rc, bad_params = 0;
    if (!c) {
        bk_jw_free(w);
        rc = BK_EINVAL;
        goto fail;
    }
    /* Can the loop be run from here? (Not from inside a callback of a loop run by the
     * application: libevent refuses re-entry.) Probe before sending anything. */
    if (loop_once(c, 0) < 0) {
        bk_jw_free(w);
        rc = BK_ESTATE;
        goto fail;
    }
    rc = start_call(c, method, w, o, 1, &p, &bad_params);
    if (rc)
        goto fail;
    p->typed = typed;
    p->a = a;
    while (!p->finished) {
        int r = loop_once(c, 1);
        if (r < 0 && !p->finished) {
            table_del(c, p);
            rc = BK_ESTATE;
            free(p);
            goto fail;
        }
    }
    *pp = p;
    return 0;
fail:
    if (bad_params && err) {
        err->code = BK_RPC_INTERNAL_ERROR;
        err->message = params_unwritable;
        err->data = NULL;
    } else {
        set_local_err(err, a, rc, method);
    }
    return rc;
}

static void call_free(pending *p)
{
    json_decref(p->result);
    json_decref(p->data);
    free(p->message);
    free(p);
}

int bk_call(bk_client *c, const char *method, json_t *params, const bk_call_opts *o,
            bk_arena *a, json_t **result, bk_error *err)
{
    pending *p;
    bk_jw w;
    if (result)
        *result = NULL;
    if (result && !a) {
        set_local_err(err, a, BK_EINVAL, method);
        return BK_EINVAL;
    }
    bk_jw_init(&w, NULL, 0);
    bkp_rpc_begin_request(&w, method);
    bk_jw_jansson(&w, params);
    int rc = call_sync(c, method, &w, o, a, 0, &p, err);
    if (rc)
        return rc;
    rc = p->rc;
    if (rc == 0) {
        if (result)
            *result = bk_arena_keep_json(a, p->result ? p->result : json_null());
    } else {
        set_err(err, a, p->code, p->message ? p->message : bk_rpc_code_message(p->code), p->data);
    }
    call_free(p);
    return rc;
}

void bk_call_begin(bk_jw *w, const char *method)
{
    bk_jw_init(w, NULL, 0);
    bkp_rpc_begin_request(w, method);
}

int bk_call_end(bk_client *c, bk_jw *w, const char *method, const bk_call_opts *o,
                bk_arena *a, bk_json_doc **doc, uint32_t *result, bk_error *err)
{
    pending *p;
    *doc = NULL;
    *result = BK_DEC_NONE;
    if (!a) {
        bk_jw_free(w);
        set_local_err(err, a, BK_EINVAL, method);
        return BK_EINVAL;
    }
    int rc = call_sync(c, method, w, o, a, 1, &p, err);
    if (rc)
        return rc;
    rc = p->rc;
    if (rc == 0) {
        *doc = p->doc;
        *result = p->tok;
    } else {
        set_err(err, a, p->code, p->message ? p->message : bk_rpc_code_message(p->code), p->data);
    }
    call_free(p);
    return rc;
}

/* The asynchronous call of bk_call_async and bk_call_async_end: params in w, taken. */
static int call_async(bk_client *c, const char *method, bk_jw *w, const bk_call_opts *o,
                      bk_call_fn *done, bk_typed_call_fn *tdone, void *arg)
{
    pending *p;
    int bad_params = 0;
    if (!c || (!done && !tdone)) {
        bk_jw_free(w);
        return BK_EINVAL;
    }
    int rc = start_call(c, method, w, o, 0, &p, &bad_params);
    if (rc)
        return rc;
    p->typed = tdone != NULL;
    p->done = done;
    p->tdone = tdone;
    p->arg = arg;
    return 0;
}

int bk_call_async(bk_client *c, const char *method, json_t *params, const bk_call_opts *o,
                  bk_call_fn *done, void *arg)
{
    bk_jw w;
    bk_jw_init(&w, NULL, 0);
    bkp_rpc_begin_request(&w, method);
    bk_jw_jansson(&w, params);
    return call_async(c, method, &w, o, done, NULL, arg);
}

int bk_call_async_end(bk_client *c, bk_jw *w, const char *method, const bk_call_opts *o,
                      bk_typed_call_fn *done, void *arg)
{
    return call_async(c, method, w, o, NULL, done, arg);
}

/* A background job or a notification, its params in w (taken in any case). */
static int send_oneway(bk_client *c, const char *method, bk_jw *w, const bk_call_opts *o,
                       int notify)
{
    char *body;
    size_t len;
    int rc = c ? check_method(method) : BK_EINVAL;
    if (!rc && !c->connected)
        rc = BK_ECLOSED;
    if (rc) {
        bk_jw_free(w);
        return rc;
    }
    /* A router drops a request without a reply-to (it derives the session from it), so a
     * background job for a remote cluster carries one, as 0.02's client always set it;
     * the job has no id and nobody answers it. */
    int routed = !notify && o && o->forward_to;
    if (routed && (rc = ensure_reply(c)) != 0) {
        bk_jw_free(w);
        return rc;
    }
    rc = bkp_rpc_end_request(w, NULL, &body, &len);
    if (rc)
        return rc;
    uint64_t ttl = o && o->timeout_ms > 0 ? (uint64_t)o->timeout_ms : 0;
    return send_msg(c, method, notify, o, routed ? c->reply : NULL, ttl, body, len,
                    c->send_timeout_ms);
}

static int send_json(bk_client *c, const char *method, json_t *params, const bk_call_opts *o,
                     int notify)
{
    bk_jw w;
    bk_jw_init(&w, NULL, 0);
    bkp_rpc_begin_request(&w, method);
    bk_jw_jansson(&w, params);
    return send_oneway(c, method, &w, o, notify);
}

int bk_call_background(bk_client *c, const char *method, json_t *params, const bk_call_opts *o)
{
    return send_json(c, method, params, o, 0);
}

int bk_notify(bk_client *c, const char *method, json_t *params, const bk_call_opts *o)
{
    return send_json(c, method, params, o, 1);
}

int bk_call_background_end(bk_client *c, bk_jw *w, const char *method, const bk_call_opts *o)
{
    return send_oneway(c, method, w, o, 0);
}

int bk_notify_end(bk_client *c, bk_jw *w, const char *method, const bk_call_opts *o)
{
    return send_oneway(c, method, w, o, 1);
}

/* ------------------------------------------------------------------ notifications */

/* A notification: copied into its callback's arena and tokenized there once; an untyped
 * subscriber's params become a jansson tree. */
static void on_notify(bkp_stomp *s, bkp_sub *sub, const bkp_frame *msg, void *arg)
{
    (void)s;
    (void)sub;
    nsub *n = arg;
    bk_client *c = n->c;
    bkp_rpc_msg m;
    char why[160] = "";
    char *text;
    item *it = calloc(1, sizeof *it);
    if (!it || bk_arena_new(&it->a) != 0 || !(text = bk_arena_alloc(it->a, msg->body_len + 1)))
        goto out;
    memcpy(text, msg->body, msg->body_len);
    if (bkp_rpc_decode(&m, it->a, text, msg->body_len, why, sizeof why) != 0 ||
        m.kind != BKP_RPC_NOTIFY) {
        bk_log_debug("notification dropped: %s", why[0] ? why : "not a notification");
        goto out;
    }
    it->kind = IT_NOTIFY;
    it->sub = n;
    it->method = m.method;
    if (n->tfn) {
        if (!(it->doc = bk_arena_alloc(it->a, sizeof *it->doc)))
            goto out;
        *it->doc = m.doc;
        it->tok = m.params == BKP_RPC_NONE ? BK_DEC_NONE : m.params;
    } else {
        if (bkp_rpc_json(&m, m.params, &it->params, why, sizeof why) != 0) {
            bk_log_debug("notification dropped: %s", why[0] ? why : "out of memory");
            goto out;
        }
        if (!bk_arena_keep_json_new(it->a, it->params))
            goto out;
    }
    queue_item(c, it);
    it = NULL;
out:
    free_item(it);
}

static int subscribe(bk_client *c, const char *pattern, bk_notify_fn *fn,
                     bk_typed_notify_fn *tfn, void *arg)
{
    char dest[DEST_MAX];
    if (!c || (!fn && !tfn))
        return BK_EINVAL;
    int rc = bkp_dest_notify(dest, sizeof dest, c->cluster, pattern);
    if (rc)
        return rc;
    nsub *n = calloc(1, sizeof *n);
    if (!n || !(n->pattern = strdup(pattern))) {
        free(n);
        return BK_ENOMEM;
    }
    n->c = c;
    n->fn = fn;
    n->tfn = tfn;
    n->arg = arg;
    rc = bkp_stomp_subscribe(c->s, dest, NULL, on_notify, n, NULL);
    if (rc) {
        free(n->pattern);
        free(n);
        return rc;
    }
    n->next = c->subs;
    c->subs = n;
    return 0;
}

int bk_subscribe(bk_client *c, const char *pattern, bk_notify_fn *fn, void *arg)
{
    return subscribe(c, pattern, fn, NULL, arg);
}

int bk_subscribe_typed(bk_client *c, const char *pattern, bk_typed_notify_fn *fn, void *arg)
{
    return subscribe(c, pattern, NULL, fn, arg);
}

/* ------------------------------------------------------------------ client_int.h */

bkp_stomp *bkp_client_stomp(bk_client *c)
{
    return c->s;
}

void bkp_client_queue_task(bk_client *c, const bkp_task_ops *ops, void *task)
{
    item *it = calloc(1, sizeof *it);
    if (!it) {
        ops->drop(task);
        return;
    }
    it->kind = IT_TASK;
    it->ops = ops;
    it->task = task;
    queue_item(c, it);
}

void bkp_client_filter_tasks(bk_client *c, const bkp_task_ops *ops,
                             int (*keep)(void *task, void *arg), void *arg)
{
    item **pp = &c->qhead, *last = NULL;
    while (*pp) {
        item *it = *pp;
        if (it->kind == IT_TASK && it->ops == ops && !keep(it->task, arg)) {
            *pp = it->next;
            free_item(it);
        } else {
            last = it;
            pp = &it->next;
        }
    }
    c->qtail = last;
}

void bkp_client_set_context(bk_client *c, const char *tokens, const char *session,
                            const char **old_tokens, const char **old_session)
{
    if (old_tokens)
        *old_tokens = c->ctx_tokens;
    if (old_session)
        *old_session = c->ctx_session;
    c->ctx_tokens = tokens;
    c->ctx_session = session;
}

int bkp_client_send_take(bk_client *c, const char *dest, const bkp_header *h, size_t n,
                         char *body, size_t len)
{
    if (!c->connected) {
        free(body);
        return BK_ECLOSED;
    }
    return bkp_stomp_send_take(c->s, dest, h, n, body, len, 0);
}

