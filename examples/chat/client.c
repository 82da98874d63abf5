/* chat-client NAME: a terminal chat on the frontend bus, through the routers, with the stubs
 * bkpr-gen makes of auth.bkidl and chat.bkidl. A line is a message to everyone; /pm USER
 * TEXT a private one; /ping the round trip; /kick USER (refused: kick is not @public, so a
 * frontend cannot call it); /quit or end of input logs out and leaves. */
#include <getopt.h>
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
    "usage: chat-client [--env FILE] [--vhost VHOST] [--timeout MS] NAME\n"
    "\n"
    "Logs in to the chat as NAME (examples/chat: start it with examples/chat/run.sh start)\n"
    "and sends each line of input to everyone. Commands: /pm USER TEXT, /ping, /kick USER,\n"
    "/quit. Messages arrive as they come: <from> to everyone, [from] to you, * notices.\n"
    "\n"
    "  --env FILE     the frontend's address (default: $CHAT_ENV, else examples/chat/run/env)\n"
    "  --vhost VHOST  a frontend vhost (default: FRONTEND_VHOST)\n"
    "  --timeout MS   how long to wait for the bus and for each answer (default 5000)\n"
    "  -h, --help     this text\n"
    "  --version      the version\n";

typedef struct chat {
    bk_client *c;
    bk_call_opts o;             /* forward_to: the backend, through the routers */
    struct event *in;
    uint64_t ping_at;
    int quitting;
} chat;

static void said(bk_client *c, bk_arena *a, const char *from, const char *message, void *arg)
{
    (void)c;
    (void)a;
    (void)arg;
    printf("<%s> %s\n", from, message);
    fflush(stdout);
}

static void told(bk_client *c, bk_arena *a, const char *from, const char *message, void *arg)
{
    (void)c;
    (void)a;
    (void)arg;
    if (from)
        printf("[%s] %s\n", from, message);
    else
        printf("* %s\n", message);
    fflush(stdout);
}

static void report(const char *what, const bk_error *err)
{
    if (err)
        printf("! %s: %s (%d)\n", what, err->message, err->code);
    fflush(stdout);
}

static void sent(bk_client *c, bk_arena *a, const bk_error *err, void *arg)
{
    (void)c;
    (void)a;
    report(arg, err);
}

static void ponged(bk_client *c, bk_arena *a, int64_t result, const bk_error *err, void *arg)
{
    (void)c;
    (void)a;
    (void)result;
    chat *ch = arg;
    if (!err)
        printf("* pong in %.1f ms\n", (double)(bkp_now_us() - ch->ping_at) / 1000.0);
    report("ping", err);
}

static void kicked(bk_client *c, bk_arena *a, int64_t result, const bk_error *err, void *arg)
{
    (void)c;
    (void)a;
    (void)result;
    (void)arg;
    report("kick", err);
}

static void logged_out(bk_client *c, bk_arena *a, int64_t result, const bk_error *err,
                       void *arg)
{
    (void)a;
    (void)result;
    (void)arg;
    report("logout", err);
    bk_client_stop(c);
}

static void quit(chat *ch)
{
    if (ch->quitting)
        return;
    ch->quitting = 1;
    event_del(ch->in);
    if (myapp_auth_logout_async(ch->c, &ch->o, logged_out, ch) != 0)
        bk_client_stop(ch->c);
}

static void line(chat *ch, char *s)
{
    int rc = 0;
    if (strncmp(s, "/pm ", 4) == 0) {
        char *to = s + 4, *text = strchr(to, ' ');
        if (!text) {
            printf("! /pm USER TEXT\n");
            return;
        }
        *text++ = '\0';
        rc = myapp_chat_pmessage_async(ch->c, &ch->o, to, text, sent, (void *)"pmessage");
    } else if (strcmp(s, "/ping") == 0) {
        ch->ping_at = bkp_now_us();
        rc = myapp_chat_ping_async(ch->c, &ch->o, ponged, ch);
    } else if (strncmp(s, "/kick ", 6) == 0) {
        rc = myapp_auth_kick_async(ch->c, &ch->o, s + 6, kicked, ch);
    } else if (strcmp(s, "/quit") == 0) {
        quit(ch);
    } else if (*s == '/') {
        printf("! commands: /pm USER TEXT, /ping, /kick USER, /quit\n");
    } else if (*s) {
        rc = myapp_chat_message_async(ch->c, &ch->o, s, sent, (void *)"message");
    }
    if (rc)
        printf("! cannot send: %s\n", bk_strerror(rc));
    fflush(stdout);
}

static void on_input(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    chat *ch = arg;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n <= 0) {
        quit(ch);
        return;
    }
    buf[n] = '\0';
    /* Lines as they come; a terminal gives one per read, a pipe several. */
    for (char *s = buf, *nl; *s; s = nl + 1) {
        nl = strchr(s, '\n');
        if (!nl) {
            line(ch, s);
            break;
        }
        *nl = '\0';
        line(ch, s);
        if (ch->quitting)
            break;
    }
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"env", required_argument, NULL, 'e'},    {"vhost", required_argument, NULL, 'v'},
        {"timeout", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0}};
    const char *envfile = NULL, *vhost = NULL;
    int timeout = 5000, opt;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'e': envfile = optarg; break;
        case 'v': vhost = optarg; break;
        case 't':
            if ((timeout = atoi(optarg)) <= 0) {
                fprintf(stderr, "chat-client: --timeout expects milliseconds, not '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'h': fputs(usage, stdout); return 0;
        case 'V': return bkp_cli_version("chat-client");
        default: return bkp_cli_misuse("chat-client", opt, argv);
        }
    }
    if (optind != argc - 1) {
        fputs("chat-client: one NAME expected\ntry 'chat-client --help'\n", stderr);
        return 2;
    }
    const char *name = argv[optind];
    chat_env env;
    if (chat_env_load(&env, envfile, "chat-client") != 0)
        return 1;
    chat ch = { .o = { .timeout_ms = timeout, .forward_to = env.backend } };
    if (chat_env_connect(&env, vhost, NULL, timeout, "chat-client", &ch.c) != 0)
        return 1;
    int rc = myapp_chat_said_subscribe(ch.c, said, &ch);
    if (rc == 0)
        rc = myapp_chat_told_subscribe(ch.c, told, &ch);
    bk_arena *a = NULL;
    bk_error err = {0};
    int64_t ok = 0;
    if (rc == 0 && (rc = bk_arena_new(&a)) == 0)
        rc = myapp_auth_login(ch.c, &ch.o, a, name, NULL, &ok, &err);
    if (rc) {
        fprintf(stderr, "chat-client: cannot log in as '%s': %s\n", name,
                rc == BK_ERPC ? err.message : bk_strerror(rc));
        bk_arena_free(a);
        bk_client_free(ch.c);
        return 1;
    }
    bk_arena_free(a);
    printf("* logged in as %s (vhost %s); /quit to leave\n", name, vhost ? vhost : env.vhost);
    fflush(stdout);
    ch.in = event_new(bk_client_base(ch.c), 0, EV_READ | EV_PERSIST, on_input, &ch);
    if (!ch.in || event_add(ch.in, NULL) != 0) {
        fprintf(stderr, "chat-client: cannot read standard input\n");
        bk_client_free(ch.c);
        return 1;
    }
    bk_client_run(ch.c);
    event_free(ch.in);
    bk_client_free(ch.c);
    return 0;
}
