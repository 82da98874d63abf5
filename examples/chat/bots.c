/* chat-bots: N logged-in chat clients on the frontend, sending R messages a second between
 * them for D seconds (most to everyone, some private), each checking that every message it
 * should see arrives exactly once. Prints what was sent, received, missing and duplicated;
 * exit status 0 when nothing was missing or duplicated. The availability tests of issue 12
 * run it while they kill and restart parts of examples/chat. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/cli.h"
#include "core/clock.h"
#include "env.h"
#include "myapp_auth.h"
#include "myapp_chat.h"

static const char usage[] =
    "usage: chat-bots [--env FILE] [-n N] [-r R] [-d SECONDS] [-p PERCENT] [--timeout MS]\n"
    "\n"
    "Logs in N bots to the chat (examples/chat/run.sh start first), spread over the frontend\n"
    "vhosts, and sends R messages a second in all for SECONDS, PERCENT of them private to\n"
    "another bot, the rest to everyone. Every bot checks that each message meant for it\n"
    "arrives exactly once. Prints: sent, received, missing, duplicated (and failed: calls\n"
    "that got an error, whose messages nobody is expected to see).\n"
    "\n"
    "  --env FILE     the frontend's address (default: $CHAT_ENV, else examples/chat/run/env)\n"
    "  -n N           bots (default 10)\n"
    "  -r R           messages per second, all bots together (default 20)\n"
    "  -d SECONDS     how long to send (default 10)\n"
    "  -p PERCENT     private messages, in percent (default 20)\n"
    "  --timeout MS   the bus, each call, and the wait for the last messages (default 5000)\n"
    "  -h, --help     this text\n"
    "  --version      the version\n"
    "\n"
    "Exit status: 0 nothing missing or duplicated, 1 otherwise, 2 for a bad command line.\n";

typedef struct msg {
    int to;                      /* the private message's bot; -1: to everyone */
    int state;                   /* 0 in flight, 1 accepted by the worker, 2 failed */
} msg;

typedef struct bot {
    struct run *run;
    int i;
    char name[40];
    bk_client *c;
    int logged_in;
    uint8_t *seen;               /* per message: times received */
} bot;

typedef struct run {
    bot *bots;
    int n, rate, pct;
    size_t nmsgs, cap;
    msg *msgs;
    bk_call_opts o;
    int logins, failed_logins, pending;
    uint64_t stop_sending_ms;
    struct event *tick;
    uint64_t received, duplicated, unexpected;
} run;

static int grow(run *r, size_t want)
{
    if (want <= r->cap)
        return 0;
    size_t cap = r->cap ? r->cap * 2 : 1024;
    while (cap < want)
        cap *= 2;
    msg *m = realloc(r->msgs, cap * sizeof *m);
    if (!m)
        return -1;
    r->msgs = m;
    for (int i = 0; i < r->n; i++) {
        uint8_t *s = realloc(r->bots[i].seen, cap);
        if (!s)
            return -1;
        memset(s + r->cap, 0, cap - r->cap);
        r->bots[i].seen = s;
    }
    r->cap = cap;
    return 0;
}

/* A message meant for b: "g=INDEX" from the bot that sent it. */
static void got(bot *b, const char *from, const char *text)
{
    run *r = b->run;
    unsigned long g;
    char *end;
    if (!from || strncmp(text, "g=", 2) != 0)
        return; /* a notice: the greeting */
    g = strtoul(text + 2, &end, 10);
    if (*end || g >= r->nmsgs || strcmp(from, r->bots[g % (size_t)r->n].name) != 0) {
        r->unexpected++;
        return;
    }
    r->received++;
    if (b->seen[g]++ > 0)
        r->duplicated++;
}

static void said(bk_client *c, bk_arena *a, const char *from, const char *message, void *arg)
{
    (void)c;
    (void)a;
    got(arg, from, message);
}

static void told(bk_client *c, bk_arena *a, const char *from, const char *message, void *arg)
{
    (void)c;
    (void)a;
    got(arg, from, message);
}

static void logged_in(bk_client *c, bk_arena *a, int64_t result, const bk_error *err,
                      void *arg)
{
    (void)c;
    (void)a;
    (void)result;
    bot *b = arg;
    if (err) {
        fprintf(stderr, "chat-bots: %s cannot log in: %s\n", b->name, err->message);
        b->run->failed_logins++;
        return;
    }
    b->logged_in = 1;
    b->run->logins++;
}

/* The run, for the callbacks of sends, whose arg is the message's index (msgs may move). */
static run *the_run;

static void accepted(bk_client *c, bk_arena *a, const bk_error *err, void *arg)
{
    (void)c;
    (void)a;
    the_run->msgs[(size_t)arg].state = err ? 2 : 1;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    run *r = arg;
    if (bkp_now_ms() >= r->stop_sending_ms) {
        event_del(r->tick);
        return;
    }
    size_t g = r->nmsgs;
    if (grow(r, g + 1) != 0)
        return;
    bot *b = &r->bots[g % (size_t)r->n];
    msg *m = &r->msgs[g];
    int to = r->n > 1 && rand() % 100 < r->pct ? (int)((size_t)b->i + 1 +
                                                       (size_t)rand() % (size_t)(r->n - 1)) %
                                                     r->n
                                               : -1;
    char text[32];
    snprintf(text, sizeof text, "g=%zu", g);
    r->nmsgs++;
    m->to = to;
    m->state = 0;
    int rc = to < 0 ? myapp_chat_message_async(b->c, &r->o, text, accepted, (void *)g)
                    : myapp_chat_pmessage_async(b->c, &r->o, r->bots[to].name, text, accepted,
                                                (void *)g);
    if (rc)
        m->state = 2;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"env", required_argument, NULL, 'e'}, {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},      {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    const char *envfile = NULL;
    int n = 10, rate = 20, secs = 10, pct = 20, timeout = 5000, opt;
    while ((opt = getopt_long(argc, argv, ":hn:r:d:p:", longopts, NULL)) != -1) {
        int *v = opt == 'n' ? &n : opt == 'r' ? &rate : opt == 'd' ? &secs : opt == 'p' ? &pct
               : opt == 't' ? &timeout : NULL;
        if (v) {
            *v = atoi(optarg);
            if (*v <= 0 && !(opt == 'p' && strcmp(optarg, "0") == 0)) {
                fprintf(stderr, "chat-bots: %s expects a positive number, not '%s'\n",
                        argv[optind - 1], optarg);
                return 2;
            }
            continue;
        }
        switch (opt) {
        case 'e': envfile = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        case 'V': return bkp_cli_version("chat-bots");
        default: return bkp_cli_misuse("chat-bots", opt, argv);
        }
    }
    if (optind != argc || pct > 100 || n > 10000 || rate > 1000000) {
        fputs("chat-bots: bad arguments\ntry 'chat-bots --help'\n", stderr);
        return 2;
    }
    chat_env env;
    if (chat_env_load(&env, envfile, "chat-bots") != 0)
        return 1;
    srand((unsigned)getpid());
    run r = { .n = n, .rate = rate, .pct = pct,
              .o = { .timeout_ms = timeout, .forward_to = env.backend } };
    the_run = &r;
    r.bots = calloc((size_t)n, sizeof *r.bots);
    struct event_base *base = event_base_new();
    if (!r.bots || !base || grow(&r, (size_t)rate * (size_t)secs + 16) != 0) {
        fprintf(stderr, "chat-bots: out of memory\n");
        return 1;
    }
    int status = 1;
    for (int i = 0; i < n; i++) {
        bot *b = &r.bots[i];
        char vh[128];
        b->run = &r;
        b->i = i;
        snprintf(b->name, sizeof b->name, "bot-%d-%d", (int)getpid(), i);
        if (chat_env_connect(&env, chat_env_vhost(&env, (unsigned)i, vh, sizeof vh), base,
                             timeout, "chat-bots", &b->c) != 0)
            goto out;
        if (myapp_chat_said_subscribe(b->c, said, b) || myapp_chat_told_subscribe(b->c, told, b) ||
            myapp_auth_login_async(b->c, &r.o, b->name, NULL, logged_in, b)) {
            fprintf(stderr, "chat-bots: %s cannot subscribe or log in\n", b->name);
            goto out;
        }
    }
    for (uint64_t end = bkp_now_ms() + (uint64_t)timeout;
         r.logins + r.failed_logins < n && bkp_now_ms() < end;)
        bk_client_run_for(r.bots[0].c, 20);
    if (r.logins < n) {
        fprintf(stderr, "chat-bots: %d of %d bots logged in\n", r.logins, n);
        goto out;
    }
    /* The routers take a bind a little after login answers (doc/api.md, "Sessions"). */
    bk_client_run_for(r.bots[0].c, 500);
    printf("chat-bots: %d bots logged in over %s; sending %d messages/s for %d s\n", n,
           env.vhosts, rate, secs);
    fflush(stdout);
    r.tick = event_new(base, -1, EV_PERSIST, on_tick, &r);
    struct timeval tv = {0, 1000000 / rate};
    if (rate == 1)
        tv = (struct timeval){1, 0};
    r.stop_sending_ms = bkp_now_ms() + (uint64_t)secs * 1000;
    event_add(r.tick, &tv);
    while (bkp_now_ms() < r.stop_sending_ms)
        bk_client_run_for(r.bots[0].c, 100);
    /* Then until every accepted message was seen by everyone it was for, or the timeout. */
    uint64_t expected = 0, missing = 0, sent = 0, failed = 0;
    for (uint64_t end = bkp_now_ms() + (uint64_t)timeout;; ) {
        bk_client_run_for(r.bots[0].c, 20);
        expected = missing = sent = failed = 0;
        int in_flight = 0;
        for (size_t g = 0; g < r.nmsgs; g++) {
            msg *m = &r.msgs[g];
            in_flight |= m->state == 0;
            if (m->state != 1) {
                failed += m->state == 2;
                continue;
            }
            sent++;
            for (int i = 0; i < n; i++) {
                if (m->to >= 0 && m->to != i)
                    continue;
                expected++;
                missing += r.bots[i].seen[g] == 0;
            }
        }
        if ((!missing && !in_flight) || bkp_now_ms() >= end)
            break;
    }
    printf("sent %llu, received %llu, missing %llu, duplicated %llu (failed %llu, expected "
           "%llu receptions)\n", (unsigned long long)sent, (unsigned long long)r.received,
           (unsigned long long)missing, (unsigned long long)r.duplicated,
           (unsigned long long)failed, (unsigned long long)expected);
    status = missing || r.duplicated ? 1 : 0;
out:
    if (r.tick)
        event_free(r.tick);
    for (int i = 0; i < n; i++) {
        bk_client_free(r.bots[i].c);
        free(r.bots[i].seen);
    }
    event_base_free(base);
    free(r.bots);
    free(r.msgs);
    return status;
}
