#include "pool/pool.h"
#include "services/logtail.h"
#include "services/router.h"
#include "services/services.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "beekeeper/log.h"
#include "core/clock.h"
#include "pool/child.h"
#include "pool/plog.h"

#define EARLY_MS 1000           /* an exit this soon after the start counts as a crash loop */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 30000
#define READY_TIMEOUT_MS 15000  /* graceful restart: the longest wait for a new worker */

typedef struct slot {
    const char *name;       /* the worker's name in the pool file, or a built-in's */
    const char *module;     /* the .so; NULL for a built-in */
    const bk_module_def *builtin;
    const json_t *options;
    int n;                  /* 1..workers_count, for the logs: name#n */
    pid_t pid;              /* the current process; 0: none */
    int ready_fd;           /* read end of its ready pipe until it says R or F; -1 */
    int up;                 /* pid said "R" */
    long long started;      /* ms, monotonic */
    long long respawn_at;   /* ms; 0: no respawn planned */
    int backoff;            /* the last delay, ms; 0: none */
    int early;              /* early exits in a row */
    int failed;             /* exited 99: left down until SIGHUP */
    char why[512];          /* what pid sent after "F" */
    pid_t old;              /* graceful restart: the process pid replaces */
    int replace;            /* graceful restart: this slot's turn is still to come */
} slot;

typedef struct pool {
    const bk_pool_config *pc;
    const bk_bus_config *bus;
    int debug, keep_fd;
    int tell_fd;            /* bkpr start's pipe until every slot is up or failed; -1 */
    slot *s;
    size_t n;
    int stopping;           /* 0, SIGTERM or SIGINT */
    int rolling;            /* a graceful restart runs: slots marked replace, one at a time */
    long roll;              /* the slot being replaced while handing */
    int handing;            /* s[roll] waits for its new process to be up */
    long long roll_deadline;
    pid_t *retiring;        /* replaced processes, TERMed, not reaped yet */
    size_t nretiring, capretiring;
} pool;

/* Signals become records on a self-pipe: the signal and, for BKP_POOL_REPLACE_SIGNAL, the
 * pid the sender (the Supervisor) asks to replace (sigqueue's value). A record is written
 * whole (smaller than PIPE_BUF), so the pipe only ever holds whole records. */
typedef struct sigrec {
    int sig;
    int pid;
} sigrec;

static int g_sigpipe[2] = { -1, -1 };
static int g_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD, 0 /* BKP_POOL_REPLACE_SIGNAL */ };
#define NSIGNALS (sizeof g_signals / sizeof g_signals[0])

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int e = errno;
    sigrec r = { sig, sig == BKP_POOL_REPLACE_SIGNAL && si ? si->si_value.sival_int : 0 };
    ssize_t k = write(g_sigpipe[1], &r, sizeof r);   /* a full pipe drops it: reap() runs anyway */
    (void)k;
    errno = e;
}

static int signals_catch(void)
{
    if (pipe2(g_sigpipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return -1;
    g_signals[NSIGNALS - 1] = BKP_POOL_REPLACE_SIGNAL;
    struct sigaction sa = { .sa_sigaction = on_signal };
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NSIGNALS; i++) {
        sa.sa_flags = SA_RESTART | SA_SIGINFO | (g_signals[i] == SIGCHLD ? SA_NOCLDSTOP : 0);
        if (sigaction(g_signals[i], &sa, NULL) != 0)
            return -1;
    }
    return 0;
}

static void signals_release(void)
{
    for (size_t i = 0; i < NSIGNALS; i++)
        if (g_signals[i])
            signal(g_signals[i], SIG_DFL);
    for (int i = 0; i < 2; i++)
        if (g_sigpipe[i] >= 0)
            close(g_sigpipe[i]);
    g_sigpipe[0] = g_sigpipe[1] = -1;
}

static void describe(int st, char *b, size_t len)
{
    if (WIFEXITED(st))
        snprintf(b, len, "exited with status %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(b, len, "was killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else
        snprintf(b, len, "ended (wait status %d)", st);
}

/* ------------------------------------------------------------------ the child side */

static _Noreturn void child_main(pool *p, slot *s, int ready_fd, pid_t parent)
{
    /* nothing of the supervisor's may live on in a worker: its lock, pipes and signals */
    signals_release();
    if (p->keep_fd >= 0)
        close(p->keep_fd);
    if (p->tell_fd >= 0)
        close(p->tell_fd);
    for (size_t i = 0; i < p->n; i++)
        if (p->s[i].ready_fd >= 0)
            close(p->s[i].ready_fd);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* a worker whose bkpr died stops gracefully instead of running unsupervised */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        exit(0);
    bkp_plog_set_role(s->name);
    char ppid[24];
    snprintf(ppid, sizeof ppid, "%ld", (long)parent);
    setenv(BKP_POOL_PID_ENV, ppid, 1);   /* the Supervisor asks us for replacements */
    prctl(PR_SET_NAME, s->name); /* ps and top show the worker's name (its first 15 bytes) */
    bkp_child_opts o = {
        .module = s->module, .builtin = s->builtin, .worker_class = s->name,
        .pool = bk_pool_config_id(p->pc), .options = s->options, .bus = p->bus,
        .debug = p->debug, .ready_fd = ready_fd,
    };
    exit(bkp_child_run(&o));
}

/* ------------------------------------------------------------------ the supervisor */

/* Forks s's process. 0, or -1 (logged) when it could not be forked. */
static int spawn(pool *p, slot *s)
{
    int fds[2];
    s->respawn_at = 0;
    if (pipe2(fds, O_CLOEXEC) != 0) {
        bk_log_error("%s#%d: pipe: %s", s->name, s->n, strerror(errno));
        return -1;
    }
    /* signals stay blocked in the child until it has dropped our handlers */
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t parent = getpid();
    fflush(NULL);   /* or the child's exit() writes the parent's buffers again */
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        child_main(p, s, fds[1], parent);
    }
    int e = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        bk_log_error("%s#%d: fork: %s", s->name, s->n, strerror(e));
        return -1;
    }
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    s->pid = pid;
    s->ready_fd = fds[0];
    s->up = 0;
    s->why[0] = '\0';
    s->started = (long long)bkp_now_ms();
    bk_log_debug("%s#%d started (pid %ld)", s->name, s->n, (long)pid);
    return 0;
}

static void plan_respawn(pool *p, slot *s, int early)
{
    if (!early) {
        s->backoff = s->early = 0;
        if (spawn(p, s) == 0)
            return;
    }
    s->early++;
    s->backoff = s->backoff ? s->backoff * 2 : BACKOFF_MIN_MS;
    if (s->backoff > BACKOFF_MAX_MS)
        s->backoff = BACKOFF_MAX_MS;
    s->respawn_at = (long long)bkp_now_ms() + s->backoff;
    bk_log_warn("%s#%d failed %d time%s in a row within %d ms of its start: respawning in %d ms",
                s->name, s->n, s->early, s->early == 1 ? "" : "s", EARLY_MS, s->backoff);
}

static int add_retiring(pool *p, pid_t pid)
{
    if (p->nretiring == p->capretiring) {
        size_t cap = p->capretiring ? p->capretiring * 2 : 8;
        pid_t *r = realloc(p->retiring, cap * sizeof *r);
        if (!r)
            return -1;
        p->retiring = r;
        p->capretiring = cap;
    }
    p->retiring[p->nretiring++] = pid;
    return 0;
}

static int drop_retiring(pool *p, pid_t pid)
{
    for (size_t i = 0; i < p->nretiring; i++)
        if (p->retiring[i] == pid) {
            p->retiring[i] = p->retiring[--p->nretiring];
            return 1;
        }
    return 0;
}

/* Graceful restart: s's new process is up (or never will be): TERM the old one, go on. */
static void handover_done(pool *p, slot *s)
{
    if (s->old) {
        kill(s->old, SIGTERM);
        if (add_retiring(p, s->old) != 0)
            bk_log_error("out of memory: the replaced %s#%d (pid %ld) is no longer watched",
                         s->name, s->n, (long)s->old);
        else
            bk_log_info("%s#%d: stopping the replaced process (pid %ld)", s->name, s->n,
                        (long)s->old);
        s->old = 0;
    }
    p->handing = 0;
}

/* Tells bkpr start about slot s (kind 'U' up, 'X' cannot start), and closes the pipe once
 * the first outcome of every slot is known. A start that is gone (EPIPE) is no error. */
static void tell(pool *p, slot *s, char kind)
{
    if (p->tell_fd < 0)
        return;
    char b[700];
    int n = snprintf(b, sizeof b, "%c %s#%d%s%s\n", kind, s->name, s->n, kind == 'X' ? " " : "",
                     kind == 'X' ? (s->why[0] ? s->why : "exit status 99") : "");
    if (n > (int)sizeof b - 1)
        n = (int)sizeof b - 1;
    /* bkpr start may have stopped waiting: EPIPE, and the SIGPIPE it raises taken here */
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigprocmask(SIG_BLOCK, &pipe_set, &old);
    ssize_t w = write(p->tell_fd, b, (size_t)n);
    if (w < 0 && errno == EPIPE)
        sigtimedwait(&pipe_set, NULL, &(struct timespec){ 0, 0 });
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (w != n) {
        close(p->tell_fd);
        p->tell_fd = -1;
        return;
    }
    for (size_t i = 0; i < p->n; i++)
        if (!p->s[i].up && !p->s[i].failed)
            return;
    close(p->tell_fd);
    p->tell_fd = -1;
}

static void read_ready(pool *p, slot *s)
{
    char b[sizeof s->why];
    ssize_t k = read(s->ready_fd, b, sizeof b - 1);
    if (k < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    close(s->ready_fd);
    s->ready_fd = -1;
    if (k > 0 && b[0] == 'R') {
        s->up = 1;
        bk_log_info("%s#%d (pid %ld) is up", s->name, s->n, (long)s->pid);
        tell(p, s, 'U');
        if (p->handing && s == &p->s[p->roll])
            handover_done(p, s);
    } else if (k > 0 && b[0] == 'F') {
        memcpy(s->why, b + 1, (size_t)k - 1);   /* k - 1 < sizeof s->why */
        s->why[k - 1] = '\0';
    }
}

static void exited(pool *p, slot *s, int st)
{
    char how[96];
    describe(st, how, sizeof how);
    if (s->ready_fd >= 0)   /* pick up an "F" the child sent before it exited */
        read_ready(p, s);
    if (s->ready_fd >= 0) {
        close(s->ready_fd);
        s->ready_fd = -1;
    }
    long pid = (long)s->pid;
    s->pid = 0;
    s->up = 0;
    if (p->stopping) {
        bk_log_info("%s#%d (pid %ld) %s", s->name, s->n, pid, how);
        return;
    }
    int nostart = WIFEXITED(st) && WEXITSTATUS(st) == BKP_EXIT_NOSTART;
    int early = (long long)bkp_now_ms() - s->started < EARLY_MS;
    if (p->handing && s == &p->s[p->roll]) {
        /* the replacement failed: the old process goes on serving */
        bk_log_error("%s#%d: the new process (pid %ld) %s before it was up%s%s; %s",
                     s->name, s->n, pid, how, s->why[0] ? ": " : "", s->why,
                     s->old ? "keeping the old one" : "the old one is gone too");
        s->pid = s->old;
        s->up = s->old != 0;
        s->old = 0;
        p->handing = 0;
        if (s->pid)
            return;
    }
    if (nostart) {
        s->failed = 1;
        bk_log_error("%s#%d (pid %ld) cannot start: %s; not respawned (exit status 99)",
                     s->name, s->n, pid, s->why[0] ? s->why : "see its log lines above");
        tell(p, s, 'X');
        return;
    }
    bk_log_warn("%s#%d (pid %ld) %s", s->name, s->n, pid, how);
    plan_respawn(p, s, early);
}

static void reap(pool *p)
{
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        char how[96];
        if (drop_retiring(p, pid)) {
            describe(st, how, sizeof how);
            bk_log_info("replaced worker (pid %ld) %s", (long)pid, how);
            continue;
        }
        for (size_t i = 0; i < p->n; i++) {
            slot *s = &p->s[i];
            if (s->pid == pid) {
                exited(p, s, st);
                break;
            }
            if (s->old == pid) {
                describe(st, how, sizeof how);
                bk_log_warn("%s#%d: the process being replaced (pid %ld) %s", s->name, s->n,
                            (long)pid, how);
                s->old = 0;
                break;
            }
        }
    }
}

static size_t live(const pool *p)
{
    size_t k = p->nretiring;
    for (size_t i = 0; i < p->n; i++)
        k += (p->s[i].pid != 0) + (p->s[i].old != 0);
    return k;
}

static void begin_stop(pool *p, int sig)
{
    p->stopping = sig == SIGINT || p->stopping == SIGINT ? SIGINT : SIGTERM;
    int k = p->stopping == SIGINT ? SIGKILL : SIGTERM;
    if (p->stopping == SIGINT)
        bk_log_info("SIGINT: killing %zu workers", live(p));
    else
        bk_log_info("SIGTERM: stopping %zu workers gracefully", live(p));
    p->rolling = 0;
    p->handing = 0;
    for (size_t i = 0; i < p->n; i++) {
        slot *s = &p->s[i];
        s->respawn_at = 0;
        s->replace = 0;
        if (s->pid)
            kill(s->pid, k);
        if (s->old)
            kill(s->old, k);
    }
    for (size_t i = 0; i < p->nretiring; i++)
        kill(p->retiring[i], k);
}

static void begin_restart(pool *p)
{
    if (p->stopping)
        return;
    if (bkp_plog_reopen() != 0)
        bk_log_warn("cannot reopen the log file: %s", strerror(errno));
    if (p->rolling) {
        bk_log_info("SIGHUP: a graceful restart is already running");
        return;
    }
    bk_log_info("SIGHUP: restarting %zu workers one after another", p->n);
    for (size_t i = 0; i < p->n; i++)
        p->s[i].replace = 1;
    p->rolling = 1;
}

/* The Supervisor asks for one worker to be replaced (bkpr-restart): it joins the rolling
 * restart, so that a class never loses its last serving worker. */
static void request_replace(pool *p, pid_t pid)
{
    if (p->stopping)
        return;
    for (size_t i = 0; i < p->n; i++) {
        slot *s = &p->s[i];
        if (s->pid == pid && pid > 0) {
            bk_log_info("%s#%d (pid %ld): restart requested", s->name, s->n, (long)pid);
            s->replace = 1;
            p->rolling = 1;
            return;
        }
    }
    bk_log_debug("restart requested for pid %ld, which is no worker of this pool", (long)pid);
}

static void roll_next(pool *p)
{
    while (p->rolling && !p->handing && !p->stopping) {
        size_t i = 0;
        while (i < p->n && !p->s[i].replace)
            i++;
        if (i == p->n) {
            p->rolling = 0;
            bk_log_info("graceful restart done");
            return;
        }
        slot *s = &p->s[i];
        s->replace = 0;
        if (!s->pid || !s->up) {
            /* down or starting: its next process loads the module afresh anyway; a slot
             * that could not start gets another try */
            if (!s->pid && s->failed) {
                s->failed = 0;
                s->backoff = s->early = 0;
                if (spawn(p, s) != 0)
                    plan_respawn(p, s, 1);
            }
            continue;
        }
        s->old = s->pid;
        if (spawn(p, s) != 0) {
            s->pid = s->old;
            s->old = 0;
            continue;
        }
        p->roll = (long)i;
        p->handing = 1;
        p->roll_deadline = (long long)bkp_now_ms() + READY_TIMEOUT_MS;
    }
}

static void timers(pool *p)
{
    long long now = (long long)bkp_now_ms();
    for (size_t i = 0; i < p->n && !p->stopping; i++) {
        slot *s = &p->s[i];
        if (s->respawn_at && now >= s->respawn_at && spawn(p, s) != 0)
            plan_respawn(p, s, 1);
    }
    if (p->handing && now >= p->roll_deadline) {
        slot *s = &p->s[p->roll];
        bk_log_warn("%s#%d: the new process (pid %ld) is not up after %d ms; replacing the old "
                    "one anyway", s->name, s->n, (long)s->pid, READY_TIMEOUT_MS);
        handover_done(p, s);
    }
}

static int next_timeout(const pool *p)
{
    long long next = -1, now = (long long)bkp_now_ms();
    for (size_t i = 0; i < p->n; i++)
        if (p->s[i].respawn_at && (next < 0 || p->s[i].respawn_at < next))
            next = p->s[i].respawn_at;
    if (p->handing && (next < 0 || p->roll_deadline < next))
        next = p->roll_deadline;
    if (next < 0)
        return -1;
    return next <= now ? 0 : (int)(next - now > 60000 ? 60000 : next - now);
}

static void on_signals(pool *p)
{
    sigrec b[32];
    ssize_t k;
    while ((k = read(g_sigpipe[0], b, sizeof b)) > 0)
        for (size_t i = 0; i < (size_t)k / sizeof b[0]; i++) {
            if (b[i].sig == SIGTERM || b[i].sig == SIGINT)
                begin_stop(p, b[i].sig);
            else if (b[i].sig == SIGHUP)
                begin_restart(p);
            else if (b[i].sig == BKP_POOL_REPLACE_SIGNAL)
                request_replace(p, (pid_t)b[i].pid);
        }
}

/* The built-in services a worker entry may name without a "module"; the Supervisor and the
 * Sinkhole run in every pool, one each, unless the pool file gives them another count. */
static const struct {
    const char *name;
    const bk_module_def *def;
    int always;
} builtins[] = {
    {"supervisor", &bkp_supervisor_module, 1},
    {"sinkhole", &bkp_sinkhole_module, 1},
    {"logtail", &bkp_logtail_module, 0},
    {"router", &bkp_router_module, 0},
};
#define NBUILTINS (sizeof builtins / sizeof builtins[0])

static const bk_module_def *builtin_named(const char *name)
{
    for (size_t i = 0; i < NBUILTINS; i++)
        if (strcmp(builtins[i].name, name) == 0)
            return builtins[i].def;
    return NULL;
}

static int make_slots(pool *p)
{
    const bk_pool_worker *w;
    size_t nw = bk_pool_config_workers(p->pc, &w), total = NBUILTINS;
    int listed[NBUILTINS] = {0};
    for (size_t i = 0; i < nw; i++) {
        const bk_module_def *b = w[i].module ? NULL : builtin_named(w[i].name);
        if (!w[i].module && !b && w[i].count > 0) {
            bk_log_error("%s: worker %s has no \"module\" (and is not a built-in service: "
                         "supervisor, sinkhole, logtail)", bk_pool_config_path(p->pc), w[i].name);
            return -1;
        }
        for (size_t k = 0; k < NBUILTINS; k++)
            if (b == builtins[k].def)
                listed[k] = 1;
        total += (size_t)w[i].count;
    }
    p->s = calloc(total, sizeof *p->s);
    if (!p->s)
        return -1;
    for (size_t k = 0; k < NBUILTINS; k++)
        if (builtins[k].always && !listed[k])
            p->s[p->n++] = (slot){ .name = builtins[k].name, .builtin = builtins[k].def,
                                   .n = 1, .ready_fd = -1 };
    for (size_t i = 0; i < nw; i++)
        for (int j = 0; j < w[i].count; j++)
            p->s[p->n++] = (slot){ .name = w[i].name, .module = w[i].module,
                                   .builtin = w[i].module ? NULL : builtin_named(w[i].name),
                                   .options = w[i].options, .n = j + 1, .ready_fd = -1 };
    return 0;
}

int bkp_pool_run(const bk_pool_config *pc, const bk_bus_config *bus, int debug, int keep_fd,
                 int tell_fd)
{
    pool p = { .pc = pc, .bus = bus, .debug = debug, .keep_fd = keep_fd, .tell_fd = tell_fd,
               .roll = -1 };
    struct pollfd *pfd = NULL;
    slot **who = NULL;
    int status = 1;
    if (make_slots(&p) != 0)
        goto out;
    pfd = calloc(p.n + 1, sizeof *pfd);
    who = calloc(p.n + 1, sizeof *who);
    if (!pfd || !who) {
        bk_log_error("out of memory");
        goto out;
    }
    if (signals_catch() != 0) {
        bk_log_error("signals: %s", strerror(errno));
        goto out;
    }
    bk_log_info("pool %s: starting %zu worker%s on bus %s", bk_pool_config_id(pc), p.n,
                p.n == 1 ? "" : "s", bk_bus_config_id(bus));
    for (size_t i = 0; i < p.n; i++)
        if (spawn(&p, &p.s[i]) != 0)
            plan_respawn(&p, &p.s[i], 1);
    if (p.n == 0 && p.tell_fd >= 0) {
        close(p.tell_fd);
        p.tell_fd = -1;
    }
    while (!p.stopping || live(&p) > 0) {
        nfds_t n = 0;
        pfd[n++] = (struct pollfd){ .fd = g_sigpipe[0], .events = POLLIN };
        for (size_t i = 0; i < p.n; i++)
            if (p.s[i].ready_fd >= 0) {
                who[n] = &p.s[i];
                pfd[n++] = (struct pollfd){ .fd = p.s[i].ready_fd, .events = POLLIN };
            }
        if (poll(pfd, n, next_timeout(&p)) < 0 && errno != EINTR) {
            /* cannot happen with valid arguments; leaving lets PDEATHSIG stop the workers */
            bk_log_error("poll: %s", strerror(errno));
            goto out;
        }
        if (pfd[0].revents)
            on_signals(&p);
        reap(&p);
        for (nfds_t i = 1; i < n; i++)
            if (pfd[i].revents && who[i]->ready_fd == pfd[i].fd)
                read_ready(&p, who[i]);
        timers(&p);
        roll_next(&p);
    }
    status = 0;
out:
    if (p.tell_fd >= 0)
        close(p.tell_fd);
    for (size_t i = 0; i < p.n; i++)
        if (p.s[i].ready_fd >= 0)
            close(p.s[i].ready_fd);
    signals_release();
    free(p.s);
    free(p.retiring);
    free(pfd);
    free(who);
    return status;
}
