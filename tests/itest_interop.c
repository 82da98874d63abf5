/* Interoperability with Beekeeper 0.02 peers, tested from the protocol (doc/protocol.md):
 * a "0.02 peer" here is a bare STOMP connection that writes and reads exactly the frames and
 * JSON bodies a Perl Beekeeper 0.02 client or worker does (its key order, its id format, its
 * headers, heart-beat 0,0), and checks ours field by field; and a 0.02 Supervisor and
 * LogTail see our worker's status reports and log messages. Runs on every broker of the
 * integration suite (BK_TEST_*; skipped without one). Our worker runs in a forked process;
 * our client and the 0.02 peer share one event loop in this process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "beekeeper/client.h"
#include "beekeeper/log.h"
#include "beekeeper/worker.h"
#include "stomp/conn.h"
#include "itest_env.h"

/* ------------------------------------------------------------------ our worker */

static long g_jobs_run;

static int w_uc(bk_request *req, json_t *params, void *arg)
{
    (void)arg;
    const char *s = json_string_value(json_object_get(params, "string"));
    if (!s)
        return bk_request_fail_new(req, BK_RPC_INVALID_PARAMS,
                                   json_string("string: expected string"), "Invalid params");
    char *o = bk_arena_strdup(bk_request_arena(req), s);
    for (char *p = o; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 32);
    return bk_request_reply_new(req, json_string(o));
}

static int w_tokens(bk_request *req, json_t *params, void *arg)
{
    (void)params;
    (void)arg;
    return bk_request_reply_new(req, json_string(bk_request_tokens(req)));
}

static int w_job(bk_request *req, json_t *params, void *arg)
{
    (void)req;
    (void)params;
    (void)arg;
    g_jobs_run++;
    return 0;
}

static int w_count(bk_request *req, json_t *params, void *arg)
{
    (void)params;
    (void)arg;
    return bk_request_reply_new(req, json_integer(g_jobs_run));
}

static pid_t g_worker = -1;

static void method(char *buf, size_t n, const char *m)
{
    snprintf(buf, n, "bkio%s.str.%s", bkt.sfx, m);
}

static int w_say(bk_request *req, json_t *params, void *arg)
{
    (void)arg;
    bk_log_warn("said %s", json_string_value(json_object_get(params, "what")));
    return bk_request_reply_new(req, json_true());
}

static int g_reports;   /* the worker under test reports its status every 200 ms */

static int worker_setup(bk_worker **w, void *arg)
{
    (void)arg;
    bk_worker_opts o = {.client = bkt_client_opts(), .authorize = bkt_allow,
                        .on_start = bkt_on_start_ready, .handle_signals = 1,
                        .status_interval_ms = g_reports ? 200 : -1,
                        .worker_class = "itest-class", .pool = "itest-pool",
                        .log_to_bus = g_reports};
    char m[5][128];
    method(m[0], sizeof m[0], "uc");
    method(m[1], sizeof m[1], "tokens");
    method(m[2], sizeof m[2], "job");
    method(m[3], sizeof m[3], "count");
    method(m[4], sizeof m[4], "say");
    return bk_worker_new(w, &o) || bk_worker_accept(*w, m[0], w_uc, NULL) ||
           bk_worker_accept(*w, m[1], w_tokens, NULL) || bk_worker_accept(*w, m[2], w_job, NULL) ||
           bk_worker_accept(*w, m[3], w_count, NULL) || bk_worker_accept(*w, m[4], w_say, NULL);
}

static void spawn_worker(void)
{
    g_worker = bkt_spawn_worker(worker_setup, NULL, BKT_WORKER_LIFE_S);
    assert_true(g_worker > 0);
}

static void stop_worker(void)
{
    bkt_stop(g_worker, SIGTERM);
    g_worker = -1;
}

/* ------------------------------------------------------------------ the 0.02 peer */

typedef struct peer {
    struct event_base *base;
    bkp_stomp *s;
    int connected, subscribed, nmsg;
    json_t *last;               /* body of the last MESSAGE */
    char reply_to[512], dest[512], expiration[32], content_length[32], tokens[256];
    char ack_id[256];
    int answer;                 /* as a worker: answer requests with {"echo": params} */
    int acked;
} peer;

static void p_state(bkp_stomp *s, bkp_stomp_state st, int reason, const char *d, void *arg)
{
    (void)s;
    (void)reason;
    (void)d;
    peer *p = arg;
    if (st == BKP_STOMP_CONNECTED)
        p->connected = 1;
}

static void p_subscribed(bkp_stomp *s, int status, void *arg)
{
    (void)s;
    peer *p = arg;
    if (status == 0)
        p->subscribed++;
}

static void copy_hdr(const bkp_frame *m, const char *name, char *out, size_t n)
{
    const char *v = bkp_frame_get(m, name);
    snprintf(out, n, "%s", v ? v : "");
}

static void p_msg(bkp_stomp *s, bkp_sub *sub, const bkp_frame *m, void *arg)
{
    (void)sub;
    peer *p = arg;
    json_decref(p->last);
    p->last = json_loadb(m->body, m->body_len, 0, NULL);
    copy_hdr(m, "reply-to", p->reply_to, sizeof p->reply_to);
    copy_hdr(m, "destination", p->dest, sizeof p->dest);
    copy_hdr(m, "expiration", p->expiration, sizeof p->expiration);
    copy_hdr(m, "content-length", p->content_length, sizeof p->content_length);
    copy_hdr(m, "x-auth-tokens", p->tokens, sizeof p->tokens);
    if (p->answer && p->last && *p->reply_to) {
        /* What a 0.02 worker sends: the response first, then the ACK (message-id). */
        json_t *res = json_pack("{s:s,s:{s:O},s:O}", "jsonrpc", "2.0", "result", "echo",
                                json_object_get(p->last, "params"), "id",
                                json_object_get(p->last, "id"));
        char *body = json_dumps(res, JSON_COMPACT);
        json_decref(res);
        assert_int_equal(bkp_stomp_send(s, p->reply_to, NULL, 0, body, strlen(body), NULL, NULL),
                         0);
        free(body);
        assert_int_equal(bkp_stomp_ack(s, m), 0);
        p->acked++;
    }
    p->nmsg++;
}

static void peer_open(peer *p, struct event_base *base)
{
    memset(p, 0, sizeof *p);
    p->base = base;
    bkp_stomp_opts o = {.hosts = bkt.hosts, .nhosts = 1, .vhost = bkt.vhost, .login = bkt.user,
                        .passcode = bkt.pass, .hb_send_ms = -1, .hb_recv_ms = -1,
                        .state_cb = p_state, .arg = p};
    assert_int_equal(bkp_stomp_new(&p->s, base, &o), 0);
    assert_int_equal(bkp_stomp_start(p->s), 0);
    bkt_run_until_n(base, &p->connected, 1, 10000);
    assert_true(p->connected);
}

static void peer_close(peer *p)
{
    bkp_stomp_free(p->s);
    json_decref(p->last);
}

static void peer_send(peer *p, const char *dest, const char *reply_to, const char *tokens,
                      const char *body)
{
    bkp_header h[3];
    size_t n = 0;
    if (reply_to)
        h[n++] = (bkp_header){"reply-to", reply_to, 8, (uint32_t)strlen(reply_to)};
    if (tokens)
        h[n++] = (bkp_header){"x-auth-tokens", tokens, 13, (uint32_t)strlen(tokens)};
    h[n++] = (bkp_header){"expiration", "30000", 10, 5};
    assert_int_equal(bkp_stomp_send(p->s, dest, h, n, body, strlen(body), NULL, NULL), 0);
}

static int matches(const char *re, const char *s)
{
    regex_t r;
    assert_int_equal(regcomp(&r, re, REG_EXTENDED | REG_NOSUB), 0);
    int ok = regexec(&r, s, 0, NULL, 0) == 0;
    regfree(&r);
    return ok;
}

/* ------------------------------------------------------------------ tests */

static int setup(void **state)
{
    (void)state;
    if (!bkt.broker)
        return 0;
    spawn_worker();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    stop_worker();
    return 0;
}

/* A 0.02 client calls our worker: request, error, background job, unparseable body. */
static void perl_client_calls_our_worker(void **state)
{
    (void)state;
    BKT_NEED_BROKER();
    struct event_base *base = event_base_new();
    peer p;
    peer_open(&p, base);
    char reply[64], dest[256], m[128], body[512];
    snprintf(reply, sizeof reply, "/temp-queue/tmp.%s0123456789ab", "abcd");
    assert_int_equal(bkp_stomp_subscribe_temp(p.s, reply, p_msg, &p, NULL), 0);
    snprintf(dest, sizeof dest, "/queue/req.%s.bkio%s.str", bkt.cluster, bkt.sfx);

    /* Keys in the order Perl's JSON encoder may give them, spaces included. */
    method(m, sizeof m, "uc");
    snprintf(body, sizeof body,
             "{\"params\": {\"string\": \"hello\"}, \"id\": \"48102937-1\", \"method\": \"%s\", "
             "\"jsonrpc\": \"2.0\"}", m);
    peer_send(&p, dest, reply, NULL, body);
    bkt_run_until_n(base, &p.nmsg, 1, 10000);
    assert_int_equal(p.nmsg, 1);
    assert_non_null(p.last);
    assert_string_equal(json_string_value(json_object_get(p.last, "jsonrpc")), "2.0");
    assert_string_equal(json_string_value(json_object_get(p.last, "result")), "HELLO");
    assert_string_equal(json_string_value(json_object_get(p.last, "id")), "48102937-1");
    assert_null(json_object_get(p.last, "error"));
    assert_true(atoi(p.content_length) > 0);

    /* Tokens travel as x-auth-tokens "a|b". */
    method(m, sizeof m, "tokens");
    snprintf(body, sizeof body,
             "{\"jsonrpc\":\"2.0\",\"method\":\"%s\",\"params\":null,\"id\":\"48102937-2\"}", m);
    peer_send(&p, dest, reply, "user1|ADMIN", body);
    bkt_run_until_n(base, &p.nmsg, 2, 10000);
    assert_string_equal(json_string_value(json_object_get(p.last, "result")), "user1|ADMIN");

    /* An error: code, message, data, the request's id. */
    method(m, sizeof m, "uc");
    snprintf(body, sizeof body,
             "{\"jsonrpc\":\"2.0\",\"method\":\"%s\",\"params\":{\"string\":7},\"id\":\"48102937-3\"}",
             m);
    peer_send(&p, dest, reply, NULL, body);
    bkt_run_until_n(base, &p.nmsg, 3, 10000);
    json_t *err = json_object_get(p.last, "error");
    assert_non_null(err);
    assert_int_equal(json_integer_value(json_object_get(err, "code")), -32602);
    assert_true(json_is_string(json_object_get(err, "message")));
    assert_string_equal(json_string_value(json_object_get(err, "data")), "string: expected string");
    assert_string_equal(json_string_value(json_object_get(p.last, "id")), "48102937-3");
    assert_null(json_object_get(p.last, "result"));

    /* A body that is not JSON, with a reply-to: -32700 with a null id. */
    peer_send(&p, dest, reply, NULL, "{\"jsonrpc\":\"2.0\",");
    bkt_run_until_n(base, &p.nmsg, 4, 10000);
    err = json_object_get(p.last, "error");
    assert_int_equal(json_integer_value(json_object_get(err, "code")), -32700);
    assert_true(json_is_null(json_object_get(p.last, "id")));

    /* Background jobs (no id, no reply-to): run, and nothing answers. */
    method(m, sizeof m, "job");
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"method\":\"%s\",\"params\":{\"n\":1}}", m);
    for (int i = 0; i < 3; i++)
        peer_send(&p, dest, NULL, NULL, body);
    method(m, sizeof m, "count");
    snprintf(body, sizeof body,
             "{\"jsonrpc\":\"2.0\",\"method\":\"%s\",\"params\":{},\"id\":\"48102937-4\"}", m);
    peer_send(&p, dest, reply, NULL, body);
    bkt_run_until_n(base, &p.nmsg, 5, 10000);
    assert_int_equal(p.nmsg, 5);
    assert_string_equal(json_string_value(json_object_get(p.last, "id")), "48102937-4");
    assert_int_equal(json_integer_value(json_object_get(p.last, "result")), 3);
    peer_close(&p);
    event_base_free(base);
}

typedef struct done_t {
    int n, code;
    json_t *result;
} done_t;

static void on_done(bk_client *c, bk_arena *a, json_t *result, const bk_error *err, void *arg)
{
    (void)c;
    (void)a;
    done_t *d = arg;
    d->n++;
    d->code = err ? err->code : 0;
    d->result = result ? json_incref(result) : NULL;
}

/* Our client calls a 0.02 worker: the request it sends, field by field, and the answer. */
static void our_client_calls_perl_worker(void **state)
{
    (void)state;
    BKT_NEED_BROKER();
    bk_client *c = bkt_connect();
    struct event_base *base = bk_client_base(c);
    peer p;
    peer_open(&p, base);
    p.answer = 1;
    char dest[256], m[128];
    snprintf(dest, sizeof dest, "/queue/req.%s.bkio%s.perl", bkt.cluster, bkt.sfx);
    bkp_sub_opts so = {.ack = BKP_ACK_CLIENT, .prefetch = 1, .done = p_subscribed, .done_arg = &p};
    assert_int_equal(bkp_stomp_subscribe(p.s, dest, &so, p_msg, &p, NULL), 0);
    bkt_run_until_n(base, &p.subscribed, 1, 10000);
    assert_int_equal(p.subscribed, 1);

    snprintf(m, sizeof m, "bkio%s.perl.echo", bkt.sfx);
    json_t *params = json_pack("{s:i,s:s}", "a", 1, "b", "two");
    done_t d = {0};
    assert_int_equal(bk_call_async(c, m, params, &(bk_call_opts){.timeout_ms = 10000,
                                                                .tokens = "t1|t2"},
                                   on_done, &d),
                     0);
    bkt_run_until_n(base, &d.n, 1, 12000);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.code, 0);
    assert_true(json_equal(json_object_get(d.result, "echo"), params));
    json_decref(d.result);
    assert_int_equal(p.acked, 1);

    /* What the 0.02 worker saw. */
    assert_non_null(p.last);
    assert_string_equal(json_string_value(json_object_get(p.last, "jsonrpc")), "2.0");
    assert_string_equal(json_string_value(json_object_get(p.last, "method")), m);
    assert_true(json_equal(json_object_get(p.last, "params"), params));
    const char *id = json_string_value(json_object_get(p.last, "id"));
    assert_non_null(id);
    assert_true(matches("^[0-9]{8}-[0-9]+$", id));
    assert_true(matches("^[0-9]+$", p.expiration) || strcmp(bkt.broker, "activemq") == 0);
    assert_string_equal(p.tokens, "t1|t2");
    assert_true(p.reply_to[0] == '/');
    assert_true(atoi(p.content_length) > 0);
    json_decref(params);

    /* A background job: no id, no reply-to. */
    assert_int_equal(bk_call_background(c, m, json_null(), NULL), 0);
    bkt_run_until_n(base, &p.nmsg, 2, 10000);
    assert_int_equal(p.nmsg, 2);
    assert_null(json_object_get(p.last, "id"));
    assert_string_equal(p.reply_to, "");
    peer_close(&p);
    bk_client_free(c);
}

/* A program that sends background jobs and exits: bk_client_flush makes sure they left. */
static void flushed_jobs_survive_the_client(void **state)
{
    (void)state;
    BKT_NEED_BROKER();
    bk_client *c = bkt_connect();
    char m[128];
    method(m, sizeof m, "job");
    json_t *p = json_pack("{s:s}", "pad", "0123456789012345678901234567890123456789");
    for (int i = 0; i < 2000; i++)
        assert_int_equal(bk_call_background(c, m, p, NULL), 0);
    json_decref(p);
    assert_int_equal(bk_client_flush(c, 10000), 0);
    bk_client_free(c); /* at once, right after the flush */

    c = bkt_connect();
    bk_arena *a;
    bk_arena_new(&a);
    method(m, sizeof m, "count");
    json_int_t n = 0;
    for (int tries = 0; tries < 200 && n < 2000; tries++) {
        json_t *res;
        bk_error e;
        assert_int_equal(bk_call(c, m, NULL, NULL, a, &res, &e), 0);
        n = json_integer_value(res);
        if (n < 2000)
            bk_client_run_for(c, 20);
    }
    assert_int_equal(n, 2000);
    /* And flushing with nothing to send, or without a connection, answers at once. */
    assert_int_equal(bk_client_flush(c, 0), 0);
    bk_arena_free(a);
    bk_client_free(c);
}

typedef struct seen_t {
    int n;
    char method[128];
    json_t *params;
} seen_t;

static void on_note(bk_client *c, bk_arena *a, const char *meth, json_t *params, void *arg)
{
    (void)c;
    (void)a;
    seen_t *s = arg;
    s->n++;
    snprintf(s->method, sizeof s->method, "%s", meth);
    json_decref(s->params);
    s->params = json_incref(params);
}

/* Notifications both ways: topic names and bodies. */
static void notifications_both_ways(void **state)
{
    (void)state;
    BKT_NEED_BROKER();
    bk_client *c = bkt_connect();
    struct event_base *base = bk_client_base(c);
    char pattern[128], m[128], topic[256], body[512];
    snprintf(pattern, sizeof pattern, "bkio%s.news.*", bkt.sfx);
    snprintf(m, sizeof m, "bkio%s.news.flash", bkt.sfx);
    seen_t seen = {0};
    assert_int_equal(bk_subscribe(c, pattern, on_note, &seen), 0);
    peer p;
    peer_open(&p, base);
    snprintf(topic, sizeof topic, "/topic/msg.%s.bkio%s.news.flash", bkt.cluster, bkt.sfx);
    bkp_sub_opts so = {.done = p_subscribed, .done_arg = &p};
    assert_int_equal(bkp_stomp_subscribe(p.s, topic, &so, p_msg, &p, NULL), 0);
    bkt_run_until_n(base, &p.subscribed, 1, 10000);
    bk_client_run_for(c, 200); /* our subscription is in place too */

    /* 0.02 -> us */
    snprintf(body, sizeof body, "{\"method\":\"%s\",\"params\":{\"x\":1},\"jsonrpc\":\"2.0\"}", m);
    assert_int_equal(bkp_stomp_send(p.s, topic, NULL, 0, body, strlen(body), NULL, NULL), 0);
    bkt_run_until_n(base, &seen.n, 1, 10000);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.method, m);
    assert_int_equal(json_integer_value(json_object_get(seen.params, "x")), 1);

    /* us -> 0.02 (the peer got its own message too: wait for the second) */
    bkt_run_until_n(base, &p.nmsg, 1, 5000);
    int before = p.nmsg;
    json_t *params = json_pack("{s:s}", "y", "z");
    assert_int_equal(bk_notify(c, m, params, NULL), 0);
    bkt_run_until_n(base, &p.nmsg, before + 1, 10000);
    assert_int_equal(p.nmsg, before + 1);
    assert_string_equal(json_string_value(json_object_get(p.last, "jsonrpc")), "2.0");
    assert_string_equal(json_string_value(json_object_get(p.last, "method")), m);
    assert_true(json_equal(json_object_get(p.last, "params"), params));
    assert_null(json_object_get(p.last, "id"));
    assert_string_equal(p.dest, topic);
    json_decref(params);
    json_decref(seen.params);
    peer_close(&p);
    bk_client_free(c);
}

/* A 0.02 Supervisor and LogTail see our worker: status reports every interval as background
 * jobs to _bkpr.supervisor, a worker_exit on a graceful stop, and bk_log messages on
 * /topic/log.{level}.{service}. */
typedef struct watch {
    peer sup, logs;
    int nstatus, nexit, nlog;
    json_t *status, *log;
} watch;

static void on_sup(bkp_stomp *s, bkp_sub *sub, const bkp_frame *m, void *arg)
{
    (void)s;
    (void)sub;
    watch *w = arg;
    json_t *j = json_loadb(m->body, m->body_len, 0, NULL);
    const char *meth = json_string_value(json_object_get(j, "method"));
    if (meth && strcmp(meth, "_bkpr.supervisor.worker_status") == 0) {
        w->nstatus++;
        json_decref(w->status);
        w->status = json_incref(json_object_get(j, "params"));
    } else if (meth && strcmp(meth, "_bkpr.supervisor.worker_exit") == 0) {
        w->nexit++;
    }
    json_decref(j);
}

static void on_log(bkp_stomp *s, bkp_sub *sub, const bkp_frame *m, void *arg)
{
    (void)s;
    (void)sub;
    watch *w = arg;
    json_t *j = json_loadb(m->body, m->body_len, 0, NULL);
    const char *msg = json_string_value(json_object_get(json_object_get(j, "params"), "message"));
    if (msg && strstr(msg, "said hello")) {
        w->nlog++;
        json_decref(w->log);
        w->log = json_incref(j);
    }
    json_decref(j);
}

static int setup_reports(void **state)
{
    g_reports = 1;
    return setup(state);
}

static void worker_reports_status_and_logs(void **state)
{
    (void)state;
    BKT_NEED_BROKER();
    stop_worker(); /* the fixture's worker: this test watches it start and stop */
    bk_client *c = bkt_connect();
    struct event_base *base = bk_client_base(c);
    static watch w;
    memset(&w, 0, sizeof w);
    peer_open(&w.sup, base);
    peer_open(&w.logs, base);
    char dest[256];
    snprintf(dest, sizeof dest, "/queue/req.%s._bkpr.supervisor", bkt.cluster);
    bkp_sub_opts so = {.done = p_subscribed, .done_arg = &w.sup};
    assert_int_equal(bkp_stomp_subscribe(w.sup.s, dest, &so, on_sup, &w, NULL), 0);
    bkp_sub_opts so2 = {.done = p_subscribed, .done_arg = &w.logs};
    assert_int_equal(bkp_stomp_subscribe(w.logs.s, "/topic/log.#", &so2, on_log, &w, NULL), 0);
    bkt_run_until_n(base, &w.sup.subscribed, 1, 10000);
    bkt_run_until_n(base, &w.logs.subscribed, 1, 10000);

    spawn_worker();
    bkt_run_until_n(base, &w.nstatus, 2, 10000);
    assert_true(w.nstatus >= 2);
    assert_string_equal(json_string_value(json_object_get(w.status, "class")), "itest-class");
    assert_string_equal(json_string_value(json_object_get(w.status, "pool")), "itest-pool");
    assert_int_equal(json_integer_value(json_object_get(w.status, "pid")), g_worker);
    assert_true(json_is_string(json_object_get(w.status, "host")));
    assert_true(json_is_number(json_object_get(w.status, "jps")));
    assert_true(json_is_number(json_object_get(w.status, "nps")));
    assert_true(json_is_number(json_object_get(w.status, "load")));
    json_t *q = json_object_get(w.status, "queue");
    assert_true(json_is_array(q) && json_array_size(q) == 1);
    char svc[128];
    snprintf(svc, sizeof svc, "bkio%s.str", bkt.sfx);
    assert_string_equal(json_string_value(json_array_get(q, 0)), svc);

    char m[128];
    method(m, sizeof m, "say");
    json_t *params = json_pack("{s:s}", "what", "hello");
    done_t d = {0};
    assert_int_equal(bk_call_async(c, m, params, NULL, on_done, &d), 0);
    json_decref(params);
    bkt_run_until_n(base, &d.n, 1, 10000);
    assert_int_equal(d.code, 0);
    json_decref(d.result);
    bkt_run_until_n(base, &w.nlog, 1, 10000);
    assert_int_equal(w.nlog, 1);
    json_t *lp = json_object_get(w.log, "params");
    assert_string_equal(json_string_value(json_object_get(lp, "level")), "warn");
    assert_string_equal(json_string_value(json_object_get(lp, "service")), svc);
    assert_string_equal(json_string_value(json_object_get(lp, "pool")), "itest-pool");
    assert_int_equal(json_integer_value(json_object_get(lp, "pid")), g_worker);
    assert_true(json_number_value(json_object_get(lp, "time")) > 1.7e9);

    stop_worker(); /* TERM: a graceful exit says so */
    bkt_run_until_n(base, &w.nexit, 1, 10000);
    assert_int_equal(w.nexit, 1);
    json_decref(w.status);
    json_decref(w.log);
    peer_close(&w.sup);
    peer_close(&w.logs);
    bk_client_free(c);
    g_reports = 0;
}

int main(void)
{
    bkt_env_load("itest_interop", "bkio");
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(perl_client_calls_our_worker, setup, teardown),
        cmocka_unit_test_setup_teardown(our_client_calls_perl_worker, setup, teardown),
        cmocka_unit_test_setup_teardown(notifications_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(flushed_jobs_survive_the_client, setup, teardown),
        cmocka_unit_test_setup_teardown(worker_reports_status_and_logs, setup_reports, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
