/* Routing: vhosts, queues, the topic trie, messages, delivery and acknowledgement.
 * Work per routed message is O(1) for queues (amortised over consumers that are full) and,
 * for topics, proportional to the destination's segments and the subscriptions it matches,
 * never to the number of subscriptions in the vhost. */
#include "broker/broker.h"

#include <stdlib.h>
#include <string.h>

#include "beekeeper/error.h"
#include "core/clock.h"

/* Messages */

static int keep_header(const char *name)
{
    static const char *const drop[] = {"destination", "receipt", "transaction",
                                       "content-length", "message-id", "subscription",
                                       "ack", "redelivered", "reply-to"};
    for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
        if (strcmp(name, drop[i]) == 0)
            return 0;
    return 1;
}

brk_msg *brk_msg_new(const bkp_frame *f, const char *dest, const char *reply_to,
                     int64_t expires_ms)
{
    size_t n = 0, bytes = strlen(dest) + 1 + f->body_len + 1;
    for (size_t i = 0; i < f->nheaders; i++) {
        if (!keep_header(f->headers[i].name))
            continue;
        n++;
        bytes += f->headers[i].name_len + f->headers[i].value_len + 2;
    }
    if (reply_to) {
        n++;
        bytes += sizeof "reply-to" + strlen(reply_to) + 1;
    }
    brk_msg *m = malloc(sizeof *m + n * sizeof(bkp_header) + bytes);
    if (!m)
        return NULL;
    memset(m, 0, sizeof *m);
    m->refs = 1;
    m->expires_ms = expires_ms;
    char *p = (char *)(m->headers + n);
    size_t k = 0;
#define PUT(dst, src, len) do { memcpy(p, (src), (len)); p[len] = '\0'; (dst) = p; p += (len) + 1; } while (0)
    for (size_t i = 0; i < f->nheaders; i++) {
        const bkp_header *h = &f->headers[i];
        if (!keep_header(h->name))
            continue;
        PUT(m->headers[k].name, h->name, h->name_len);
        PUT(m->headers[k].value, h->value, h->value_len);
        m->headers[k].name_len = h->name_len;
        m->headers[k].value_len = h->value_len;
        k++;
    }
    if (reply_to) {
        size_t rl = strlen(reply_to);
        PUT(m->headers[k].name, "reply-to", 8);
        PUT(m->headers[k].value, reply_to, rl);
        m->headers[k].name_len = 8;
        m->headers[k].value_len = (uint32_t)rl;
        k++;
    }
    PUT(m->dest, dest, strlen(dest));
    PUT(m->body, f->body, f->body_len);
#undef PUT
    m->body_len = f->body_len;
    m->nheaders = (uint32_t)k;
    m->size = sizeof *m + n * sizeof(bkp_header) + bytes;
    return m;
}

void brk_quota_unref(brk_quota *q)
{
    if (q && --q->refs == 0)
        free(q);
}

void brk_msg_unref(brk_msg *m)
{
    if (m && --m->refs == 0) {
        brk_quota_unref(m->quota);
        free(m);
    }
}

/* A message enters (in) or leaves a queue: the broker's bytes, and its sender's. */
static void account(brk_broker *b, brk_msg *m, int in)
{
    if (in)
        b->queued_bytes += m->size;
    else
        b->queued_bytes -= m->size;
    if (m->quota)
        m->quota->bytes = in ? m->quota->bytes + m->size : m->quota->bytes - m->size;
}

static int expired(const brk_msg *m, int64_t now)
{
    return m->expires_ms && m->expires_ms <= now;
}

/* Vhosts */

brk_vhost *brk_vhost_get(brk_broker *b, const char *name, int create)
{
    brk_vhost *v = bkp_map_get(&b->vhosts, name);
    if (v || !create)
        return v;
    if (b->vhosts.len >= b->lim.max_vhosts)
        return NULL;
    v = calloc(1, sizeof *v);
    if (!v || !(v->name = strdup(name)) || bkp_map_put(&b->vhosts, v->name, v) < 0) {
        if (v)
            free(v->name);
        free(v);
        return NULL;
    }
    v->broker = b;
    return v;
}

static void queue_free(brk_queue *q);
static void tnode_free(brk_tnode *n);

void brk_vhost_free(brk_vhost *v)
{
    BKP_MAP_EACH(&v->queues, s)
        queue_free(s->value);
    bkp_map_clear(&v->queues);
    tnode_free(&v->topics);
    free(v->name);
    free(v);
}

/* Queues */

brk_queue *brk_queue_get(brk_vhost *v, const char *name, int create)
{
    brk_queue *q = bkp_map_get(&v->queues, name);
    if (q || !create)
        return q;
    q = calloc(1, sizeof *q);
    if (!q || !(q->name = strdup(name)) || bkp_map_put(&v->queues, q->name, q) < 0) {
        if (q)
            free(q->name);
        free(q);
        return NULL;
    }
    q->vhost = v;
    return q;
}

static void queue_free(brk_queue *q)
{
    brk_broker *b = q->vhost->broker;
    while (q->head) {
        brk_msg *m = q->head;
        q->head = m->next;
        account(b, m, 0);
        brk_msg_unref(m);
    }
    free(q->name);
    free(q);
}

void brk_queue_gc(brk_queue *q)
{
    if (q->head || q->nconsumers || q->owner)
        return;
    bkp_map_del(&q->vhost->queues, q->name);
    queue_free(q);
}

void brk_queue_drop_owned(brk_queue *q)
{
    q->owner = NULL;
    while (q->consumers)
        brk_queue_detach(q->consumers);
    bkp_map_del(&q->vhost->queues, q->name);
    queue_free(q);
}

static void push_front(brk_queue *q, brk_msg *m)
{
    m->next = q->head;
    q->head = m;
    if (!q->tail)
        q->tail = m;
    q->len++;
    account(q->vhost->broker, m, 1);
    if (m->expires_ms)
        q->has_ttl = 1;
}

int brk_queue_push(brk_queue *q, brk_msg *m)
{
    brk_broker *b = q->vhost->broker;
    if (q->len >= b->lim.max_queue_messages || b->queued_bytes + m->size > b->lim.max_queued_bytes)
        return BK_ELIMIT;
    m->refs++;
    m->next = NULL;
    if (q->tail)
        q->tail->next = m;
    else
        q->head = m;
    q->tail = m;
    q->len++;
    account(b, m, 1);
    if (m->expires_ms)
        q->has_ttl = 1;
    brk_queue_dispatch(q);
    return 0;
}

static brk_msg *pop(brk_queue *q)
{
    brk_msg *m = q->head;
    q->head = m->next;
    if (!q->head)
        q->tail = NULL;
    q->len--;
    brk_broker *b = q->vhost->broker;
    account(b, m, 0);
    m->next = NULL;
    if (b->queue_refused) {   /* room in a queue a held publisher waits for, maybe */
        b->queue_refused = 0;
        brk_session_wake_held(b);
    }
    return m;
}

static int ready(const brk_sub *s)
{
    if (s->ack != BRK_ACK_AUTO && s->prefetch && s->inflight >= s->prefetch)
        return 0;
    return brk_session_writable(s->sess);
}

static void deliver(brk_sub *s, brk_msg *m)
{
    uint64_t seq = brk_session_deliver(s->sess, s, m);
    if (s->ack == BRK_ACK_AUTO || seq == 0) {
        brk_msg_unref(m);
        return;
    }
    brk_delivery *d = malloc(sizeof *d);
    if (!d) { /* cannot track it: treat as delivered */
        brk_msg_unref(m);
        return;
    }
    d->msg = m;
    d->seq = seq;
    d->next = NULL;
    d->prev = s->unacked_tail;
    if (s->unacked_tail)
        s->unacked_tail->next = d;
    else
        s->unacked_head = d;
    s->unacked_tail = d;
    s->inflight++;
    /* A consumer whose window this fills gets nothing more this turn, and idles until the
     * message reaches it: it goes out now, ahead of the turn's other output (the response
     * that came with the ACK that reopened the window, say). */
    if (s->prefetch && s->inflight >= s->prefetch)
        brk_session_write_now(s->sess);
}

/* Least-loaded dispatch (doc/broker.md "Dispatch"): the queue's next message goes to the
 * ready consumer holding the fewest unacknowledged messages, ties in ring order from the
 * cursor, so that an idle worker gets the next job before any busy one whatever its prefetch,
 * and jobs wait behind another job only when every consumer holds some. A consumer that has
 * NACKed is on its way out (a worker stopping gives its jobs back that way): it comes last,
 * or it would win every job it just gave back. The scan stops at the first ready consumer
 * holding nothing, so it is short while some worker is idle; when all hold work it visits
 * every consumer, O(consumers) per message, as the round robin did when all were full.
 * *idle_other: whether a client-ack consumer other than the one chosen held nothing. */
static brk_sub *least_loaded(brk_queue *q, int *idle_other)
{
    brk_sub *best = NULL, *s = q->consumers;
    uint64_t best_rank = UINT64_MAX;
    *idle_other = 0;
    for (size_t i = 0; i < q->nconsumers; i++, s = s->qnext) {
        if (s->ack != BRK_ACK_AUTO && !s->inflight && !s->nacked)
            *idle_other = 1;
        if (!ready(s))
            continue;
        uint64_t rank = (uint64_t)(s->nacked != 0) << 32 | s->inflight;
        if (rank < best_rank) {
            best = s;
            best_rank = rank;
            if (rank == 0)
                break;
        }
    }
    if (best && best->inflight == 0)
        *idle_other = 0; /* it was the idle one, or it had none to wait behind */
    return best;
}

void brk_queue_dispatch(brk_queue *q)
{
    int64_t now = 0;
    brk_broker_stats *st = &q->vhost->broker->stats;
    while (q->head && q->consumers) {
        if (q->head->expires_ms) {
            if (!now)
                now = bkp_wall_ms();
            if (expired(q->head, now)) {
                st->drop_expired++;
                brk_msg_unref(pop(q));
                continue;
            }
        }
        int idle_other;
        brk_sub *s = least_loaded(q, &idle_other);
        if (!s)
            break;
        q->consumers = s->qnext; /* ties in turn: the next one goes first next time */
        if (s->ack != BRK_ACK_AUTO && s->inflight) {
            q->placed_behind++;
            st->placed_behind++;
            if (idle_other) {
                q->placed_unfair++;
                st->placed_unfair++;
            }
        }
        deliver(s, pop(q));
    }
}

void brk_queue_attach(brk_queue *q, brk_sub *s)
{
    s->queue = q;
    if (!q->consumers) {
        s->qnext = s->qprev = s;
        q->consumers = s;
    } else {
        brk_sub *first = q->consumers, *last = first->qprev;
        s->qnext = first;
        s->qprev = last;
        last->qnext = s;
        first->qprev = s;
    }
    q->nconsumers++;
    brk_queue_dispatch(q);
}

/* Puts deliveries back at the front of their queue, oldest first, marked redelivered. */
static void requeue(brk_sub *s, brk_delivery *from, brk_delivery *to)
{
    for (brk_delivery *d = to;; ) {
        brk_delivery *prev = d->prev;
        if (d->next)
            d->next->prev = d->prev;
        else
            s->unacked_tail = d->prev;
        if (d->prev)
            d->prev->next = d->next;
        else
            s->unacked_head = d->next;
        s->inflight--;
        if (s->queue && !expired(d->msg, bkp_wall_ms())) {
            d->msg->redelivered = 1;
            push_front(s->queue, d->msg);
        } else {
            brk_msg_unref(d->msg);
        }
        int last = d == from;
        free(d);
        if (last)
            break;
        d = prev;
    }
}

void brk_queue_detach(brk_sub *s)
{
    brk_queue *q = s->queue;
    if (!q)
        return;
    if (s->qnext == s) {
        q->consumers = NULL;
    } else {
        s->qprev->qnext = s->qnext;
        s->qnext->qprev = s->qprev;
        if (q->consumers == s)
            q->consumers = s->qnext;
    }
    q->nconsumers--;
    s->queue = NULL;
    s->qnext = s->qprev = NULL;
    if (s->unacked_head) {
        s->queue = q; /* for requeue */
        requeue(s, s->unacked_head, s->unacked_tail);
        s->queue = NULL;
    }
    brk_queue_dispatch(q);
    brk_queue_gc(q);
}

int brk_sub_ack(brk_sub *s, uint64_t seq, int cumulative, int nack)
{
    brk_delivery *d = s->unacked_head;
    while (d && d->seq != seq)
        d = d->next;
    if (!d)
        return BK_ENOTFOUND;
    brk_delivery *from = cumulative ? s->unacked_head : d;
    if (nack) {
        s->nacked = 1;
        requeue(s, from, d);
    } else {
        for (;;) {
            brk_delivery *next = from->next, *done = from;
            if (from->prev)
                from->prev->next = from->next;
            else
                s->unacked_head = from->next;
            if (from->next)
                from->next->prev = from->prev;
            else
                s->unacked_tail = from->prev;
            s->inflight--;
            brk_msg_unref(done->msg);
            int last = done == d;
            free(done);
            if (last)
                break;
            from = next;
        }
    }
    if (s->queue)
        brk_queue_dispatch(s->queue);
    return 0;
}

void brk_expire_sweep(brk_broker *b)
{
    int64_t now = bkp_wall_ms();
    BKP_MAP_EACH(&b->vhosts, vs) {
        brk_vhost *v = vs->value;
        BKP_MAP_EACH(&v->queues, qs) {
            brk_queue *q = qs->value;
            if (!q->has_ttl)
                continue;
            int any = 0;
            brk_msg **pp = &q->head, *prev = NULL;
            while (*pp) {
                brk_msg *m = *pp;
                if (expired(m, now)) {
                    b->stats.drop_expired++;
                    *pp = m->next;
                    q->len--;
                    account(b, m, 0);
                    brk_msg_unref(m);
                    continue;
                }
                any |= m->expires_ms != 0;
                prev = m;
                pp = &m->next;
            }
            q->tail = prev;
            q->has_ttl = any;
        }
    }
}

/* Topics: a trie over '.'-separated segments, '*' for one segment and '#' for any number. */

static void tnode_free(brk_tnode *n)
{
    BKP_MAP_EACH(&n->children, s) {
        tnode_free(s->value);
        free(s->value);
    }
    bkp_map_clear(&n->children);
    if (n->star) {
        tnode_free(n->star);
        free(n->star);
    }
    if (n->hash) {
        tnode_free(n->hash);
        free(n->hash);
    }
    free(n->seg);
}

static brk_tnode *tnode_child(brk_tnode *n, const char *seg, size_t len)
{
    brk_tnode **slot = NULL, *c;
    if (len == 1 && seg[0] == '*')
        slot = &n->star;
    else if (len == 1 && seg[0] == '#')
        slot = &n->hash;
    if (slot && *slot)
        return *slot;
    if (!slot && (c = bkp_map_getn(&n->children, seg, len)))
        return c;
    c = calloc(1, sizeof *c);
    if (!c || !(c->seg = strndup(seg, len))) {
        free(c);
        return NULL;
    }
    c->parent = n;
    if (slot) {
        *slot = c;
    } else if (bkp_map_put(&n->children, c->seg, c) < 0) {
        free(c->seg);
        free(c);
        return NULL;
    }
    return c;
}

int brk_topic_attach(brk_vhost *v, brk_sub *s, const char *pattern)
{
    brk_tnode *n = &v->topics;
    const char *p = pattern;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (!(n = tnode_child(n, p, len)))
            return BK_ENOMEM;
        if (!dot)
            break;
        p = dot + 1;
    }
    s->tnode = n;
    s->tprev = NULL;
    s->tnext = n->subs;
    if (n->subs)
        n->subs->tprev = s;
    n->subs = s;
    n->nsubs++;
    return 0;
}

static int tnode_empty(const brk_tnode *n)
{
    return !n->nsubs && !n->children.len && !n->star && !n->hash;
}

void brk_topic_detach(brk_sub *s)
{
    brk_tnode *n = s->tnode;
    if (!n)
        return;
    if (s->tprev)
        s->tprev->tnext = s->tnext;
    else
        n->subs = s->tnext;
    if (s->tnext)
        s->tnext->tprev = s->tprev;
    n->nsubs--;
    s->tnode = NULL;
    /* Prune nodes nobody needs any more. */
    while (n->parent && tnode_empty(n)) {
        brk_tnode *p = n->parent;
        if (p->star == n)
            p->star = NULL;
        else if (p->hash == n)
            p->hash = NULL;
        else
            bkp_map_del(&p->children, n->seg);
        free(n->seg);
        free(n);
        n = p;
    }
}

typedef struct pub {
    brk_broker *b;
    brk_msg *m;
    const char *segs[64];
    size_t lens[64];
    size_t n;
    uint64_t stamp;
    unsigned long work;
    int full;                      /* subscribers full but not stuck */
} pub;

static void tdeliver(pub *p, brk_tnode *n)
{
    for (brk_sub *s = n->subs; s; s = s->tnext) {
        /* A pattern like "#.#" reaches one node by several paths: deliver once. */
        if (s->last_pub == p->stamp)
            continue;
        s->last_pub = p->stamp;
        /* Credit flow: a full subscriber still gets it (over its limit by what its
         * publishers send before they are held back) until it has been full for
         * slow_consumer_ms; then what is published for it is dropped, and it is told. */
        if (!brk_session_writable(s->sess)) {
            if (brk_session_stuck(s->sess)) {
                brk_session_missed(s->sess);
                continue;
            }
            p->full++;
        }
        brk_session_deliver(s->sess, s, p->m);
    }
}

/* Patterns such as "#.#.#" could make matching exponential: a work budget per publish
 * bounds it (a sane pattern set never comes near it). */
#define MATCH_BUDGET 100000

static void tmatch(pub *p, brk_tnode *n, size_t i, unsigned depth)
{
    if (depth > 256 || ++p->work > MATCH_BUDGET)
        return;
    if (n->hash)
        for (size_t k = i; k <= p->n; k++)
            tmatch(p, n->hash, k, depth + 1);
    if (i == p->n) {
        tdeliver(p, n);
        return;
    }
    brk_tnode *c = bkp_map_getn(&n->children, p->segs[i], p->lens[i]);
    if (c)
        tmatch(p, c, i + 1, depth + 1);
    if (n->star)
        tmatch(p, n->star, i + 1, depth + 1);
}

int brk_topic_publish(brk_vhost *v, const char *topic, brk_msg *m)
{
    pub p = {.b = v->broker, .m = m, .stamp = ++v->broker->pub_seq};
    const char *s = topic;
    for (;;) {
        if (p.n == sizeof p.segs / sizeof p.segs[0])
            return 0; /* deeper than any subscription can match usefully */
        const char *dot = strchr(s, '.');
        p.segs[p.n] = s;
        p.lens[p.n++] = dot ? (size_t)(dot - s) : strlen(s);
        if (!dot)
            break;
        s = dot + 1;
    }
    tmatch(&p, &v->topics, 0, 0);
    return p.full;
}
