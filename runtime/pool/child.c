#include "pool/child.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "beekeeper/error.h"
#include "beekeeper/log.h"
#include "beekeeper/module.h"
#include "beekeeper/worker.h"

/* Time from on_start to "ready": lets the SUBSCRIBE frames leave before bkpr stops the
 * worker this one replaces (there is no receipt to wait for). */
#define READY_DELAY_MS 50

typedef struct child {
    bk_module_hooks h;
    const char *name;
    int ready_fd;
    int start_failed;
    struct event *ready_ev;
} child;

static void tell(child *c, const char *msg)
{
    if (c->ready_fd < 0)
        return;
    size_t n = strlen(msg);
    ssize_t k;
    do
        k = write(c->ready_fd, msg, n);   /* < PIPE_BUF: one piece */
    while (k < 0 && errno == EINTR);
    close(c->ready_fd);
    c->ready_fd = -1;
}

__attribute__((format(printf, 2, 3)))
static int cannot_start(child *c, const char *fmt, ...)
{
    char msg[512];
    msg[0] = 'F';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + 1, sizeof msg - 1, fmt, ap);
    va_end(ap);
    bk_log_error("cannot start: %s", msg + 1);
    tell(c, msg);
    return BKP_EXIT_NOSTART;
}

static bk_auth_result tr_authorize(bk_request *req, void *arg)
{
    child *c = arg;
    return c->h.authorize ? c->h.authorize(req, c->h.arg) : BK_AUTH_DENY;
}

static void ready_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    tell(arg, "R");
}

static int tr_on_start(bk_worker *w, void *arg)
{
    child *c = arg;
    int rc = c->h.on_start ? c->h.on_start(w, c->h.arg) : 0;
    if (rc != 0) {
        c->start_failed = 1;
        cannot_start(c, "%s: on_start returned %d", c->name, rc);
        return rc;
    }
    bk_log_info("%s is up", c->name);
    if (c->ready_fd >= 0) {
        struct timeval tv = { 0, READY_DELAY_MS * 1000 };
        c->ready_ev = evtimer_new(bk_client_base(bk_worker_client(w)), ready_cb, c);
        if (!c->ready_ev || evtimer_add(c->ready_ev, &tv) != 0)
            tell(c, "R");
    }
    return 0;
}

static void tr_on_stop(bk_worker *w, void *arg)
{
    child *c = arg;
    bk_log_info("%s is stopping", c->name);
    if (c->h.on_stop)
        c->h.on_stop(w, c->h.arg);
}

/* The worker option "prefetch" (doc/config.md): absent, the broker flavour's default;
 * else 1..65535 jobs a service queue hands the worker ahead of its ACKs. -1 when invalid. */
static int prefetch_option(const json_t *options)
{
    const json_t *v = options ? json_object_get(options, "prefetch") : NULL;
    if (!v)
        return 0;
    json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;
    return n >= 1 && n <= 65535 ? (int)n : -1;
}

static int run_module(child *c, const bkp_child_opts *o, const bk_module_def *def)
{
    c->name = o->worker_class ? o->worker_class : def->name;
    int prefetch = prefetch_option(o->options);
    if (prefetch < 0)
        return cannot_start(c, "%s: option prefetch must be an integer from 1 to 65535",
                            c->name);
    bk_worker_opts wo = {
        .worker_class = c->name, .pool = o->pool, .debug = o->debug,
        .authorize = tr_authorize, .on_start = tr_on_start, .on_stop = tr_on_stop, .arg = c,
        .handle_signals = 1, .log_to_bus = 1, .prefetch = prefetch,
    };
    bk_bus_config_client_opts(o->bus, &wo.client);
    bk_worker *w;
    int rc = bk_worker_new(&w, &wo);
    if (rc)
        return cannot_start(c, "%s: cannot make the worker: %s", c->name, bk_strerror(rc));
    json_t *empty = o->options ? NULL : json_object();
    rc = def->setup(w, o->options ? o->options : empty, &c->h);
    json_decref(empty);
    int status;
    if (rc != 0) {
        status = cannot_start(c, "%s: setup of module %s returned %d", c->name,
                              o->module ? o->module : def->name, rc);
    } else {
        rc = bk_worker_run(w);
        if (c->start_failed) {
            status = BKP_EXIT_NOSTART;
        } else if (rc) {
            bk_log_error("%s stopped: %s", c->name, bk_strerror(rc));
            status = 1;
        } else {
            status = 0;
        }
    }
    if (c->ready_ev)
        event_free(c->ready_ev);
    c->ready_ev = NULL;
    bk_worker_free(w);
    return status;
}

int bkp_child_run(const bkp_child_opts *o)
{
    child c = { .ready_fd = o->ready_fd };
    if (o->builtin) {
        int st = run_module(&c, o, o->builtin);
        if (c.ready_fd >= 0)
            close(c.ready_fd);
        return st;
    }
    void *h = dlopen(o->module, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return cannot_start(&c, "cannot load module: %s", dlerror());
    const bk_module_def *def = dlsym(h, BK_MODULE_SYMBOL);
    int status;
    if (!def)
        status = cannot_start(&c, "%s: no symbol %s (not a Beekeeper module? see module.h)",
                              o->module, BK_MODULE_SYMBOL);
    else if (def->abi != BK_MODULE_ABI)
        status = cannot_start(&c, "%s: module ABI %d, this program runs ABI %d: rebuild it",
                              o->module, def->abi, BK_MODULE_ABI);
    else if (!def->setup || !def->name || !*def->name)
        status = cannot_start(&c, "%s: %s has no %s", o->module, BK_MODULE_SYMBOL,
                              def->setup ? "name" : "setup function");
    else
        status = run_module(&c, o, def);
    if (c.ready_fd >= 0) {   /* stopped before it was ever ready */
        close(c.ready_fd);
        c.ready_fd = -1;
    }
    dlclose(h);
    return status;
}
