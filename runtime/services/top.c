/* bkpr-top: a live table of the services (or, with -l, the workers) of a bus, from its
 * Supervisors (_bkpr.supervisor.get_services_status / get_workers_status). Everything goes
 * over the bus, so it shows remote pools too. Full screen with ANSI escapes and a raw
 * terminal (restored on exit and on signals); --once prints one plain table. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "beekeeper/client.h"
#include "beekeeper/config.h"
#include "core/cli.h"
#include "core/clock.h"
#include "services/services.h"
#include "services/top_broker.h"

static const char usage[] =
    "usage: bkpr-top [--config-dir DIR] [--bus BUS-ID] [-l | --broker] [--once] [--sort KEY]\n"
    "                [--host H] [--pool P] [--class C] [--timeout MS] [--help]\n"
    "\n"
    "Shows the services of a bus (or its workers with -l), refreshed every second, from the\n"
    "bus's Supervisors: workers, jobs/s, notifications/s, errors/s, CPU %, memory, busy %.\n"
    "Keys: q quits, l switches services/workers, b the broker's figures, s cycles the sort key.\n"
    "\n"
    "  --config-dir DIR  where bus.config.json is (else $BEEKEEPER_CONFIG_DIR,\n"
    "                    ~/.config/beekeeper, /etc/beekeeper)\n"
    "  --bus BUS-ID      the bus (default: the default bus of the file)\n"
    "  -l, --workers     one line per worker instead of per service\n"
    "  -b, --broker      the broker's figures (bkpr-broker only): connections, messages,\n"
    "                    drops, publishers held back, and the depth of each queue\n"
    "  --once            print one plain table and exit (for scripts)\n"
    "  --sort KEY        name (default), count, jps, nps, eps, cpu, mem, load; with -l also\n"
    "                    host, pool, class, pid, but not count. Numbers sort largest first.\n"
    "  --host, --pool, --class   only workers of this host, pool, class\n"
    "  --timeout MS      how long to wait for a Supervisor (default 5000)\n"
    "  -h, --help        this text\n"
    "  --version         the version\n"
    "\n"
    "Exit status: 0; 1 when no Supervisor (with --broker: the broker) answered, or it\n"
    "refused; 2 for a bad command line.\n"
    "\n"
    "Examples:\n"
    "  bkpr-top                        the services of the default bus, every second\n"
    "  bkpr-top -l --sort cpu --once   one table of the workers, busiest CPU first\n"
    "  bkpr-top --broker --once        bkpr-broker's own figures\n";

typedef struct row {
    const char *name, *host, *pool, *wclass;
    char queue[200];
    long long pid, count, rss;      /* rss < 0: unknown */
    double jps, nps, eps, cpu, load;
    int has_eps, has_cpu;
} row;

static const char *const sort_keys[] = {"name", "count", "jps", "nps", "eps", "cpu", "mem",
                                        "load", "host", "pool", "class", "pid", NULL};
static int g_sort;

/* Whether a view has a column for sort key k: the services view has no host, pool, class
 * or pid; the workers view no count (a worker row is one worker). */
static int sort_key_shown(int k, int workers)
{
    return workers ? strcmp(sort_keys[k], "count") != 0 : k <= 7;
}

static void sort_key_next(int workers)
{
    do
        g_sort = sort_keys[g_sort + 1] ? g_sort + 1 : 0;
    while (!sort_key_shown(g_sort, workers));
}
static volatile sig_atomic_t g_stop, g_winch;
static struct termios g_saved;
static int g_raw;

static void on_signal(int sig)
{
    if (sig == SIGWINCH)
        g_winch = 1;
    else
        g_stop = 1;
}

static void term_restore(void)
{
    if (!g_raw)
        return;
    g_raw = 0;
    fputs("\033[?25h\033[?1049l", stdout);
    fflush(stdout);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved);
}

/* Keys without Enter and without echo; signals (Ctrl-C) still work. */
static int term_raw(void)
{
    if (tcgetattr(STDIN_FILENO, &g_saved) != 0)
        return -1;
    struct termios t = g_saved;
    t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) != 0)
        return -1;
    g_raw = 1;
    atexit(term_restore);
    fputs("\033[?1049h\033[?25l", stdout);
    return 0;
}

static double num(json_t *o, const char *k, int *known)
{
    json_t *v = json_object_get(o, k);
    if (known)
        *known = json_is_number(v);
    return json_is_number(v) ? json_number_value(v) : 0;
}

static const char *str(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

static void fill(row *r, json_t *o)
{
    int k;
    r->jps = num(o, "jps", NULL);
    r->nps = num(o, "nps", NULL);
    r->eps = num(o, "eps", &r->has_eps);
    r->cpu = num(o, "cpu", &r->has_cpu);
    r->load = num(o, "load", NULL);
    r->rss = (long long)num(o, "rss", &k);
    if (!k)
        r->rss = -1;
}

/* Rows from a get_services_status (object) or get_workers_status (array) result. */
static size_t rows_of(json_t *res, int workers, row **out)
{
    size_t n = workers ? json_array_size(res) : json_object_size(res), i = 0;
    row *v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        return 0;
    if (workers) {
        json_t *o;
        size_t j;
        json_array_foreach(res, j, o) {
            row *r = &v[i++];
            fill(r, o);
            r->host = str(o, "host");
            r->pool = str(o, "pool");
            r->wclass = str(o, "class");
            r->name = r->wclass;
            r->pid = (long long)num(o, "pid", NULL);
            r->count = 1;
            json_t *q;
            size_t qi;
            json_array_foreach(json_object_get(o, "queue"), qi, q) {
                size_t l = strlen(r->queue);
                snprintf(r->queue + l, sizeof r->queue - l, "%s%s", l ? "," : "",
                         json_string_value(q) ? json_string_value(q) : "?");
            }
            /* a worker's own counters (the Router's carried and dropped), after its queues */
            const char *k;
            json_t *cv;
            json_object_foreach(json_object_get(o, "counters"), k, cv) {
                size_t l = strlen(r->queue);
                if (json_is_integer(cv))
                    snprintf(r->queue + l, sizeof r->queue - l, " %s=%" JSON_INTEGER_FORMAT, k,
                             json_integer_value(cv));
            }
        }
    } else {
        const char *name;
        json_t *o;
        json_object_foreach(res, name, o) {
            row *r = &v[i++];
            fill(r, o);
            r->name = name;
            r->count = (long long)num(o, "count", NULL);
        }
    }
    *out = v;
    return i;
}

static int cmp_num(double a, double b)
{
    return (a < b) - (a > b);   /* largest first */
}

static int cmp_rows(const void *pa, const void *pb)
{
    const row *a = pa, *b = pb;
    int c = 0;
    switch (g_sort) {
    case 1: c = cmp_num((double)a->count, (double)b->count); break;
    case 2: c = cmp_num(a->jps, b->jps); break;
    case 3: c = cmp_num(a->nps, b->nps); break;
    case 4: c = cmp_num(a->eps, b->eps); break;
    case 5: c = cmp_num(a->cpu, b->cpu); break;
    case 6: c = cmp_num((double)a->rss, (double)b->rss); break;
    case 7: c = cmp_num(a->load, b->load); break;
    case 8: c = a->host && b->host ? strcmp(a->host, b->host) : 0; break;
    case 9: c = a->pool && b->pool ? strcmp(a->pool, b->pool) : 0; break;
    case 10: c = a->wclass && b->wclass ? strcmp(a->wclass, b->wclass) : 0; break;
    case 11: c = (a->pid > b->pid) - (a->pid < b->pid); break;
    default: break;
    }
    if (!c)
        c = strcmp(a->name, b->name);
    if (!c && a->host && b->host)
        c = strcmp(a->host, b->host);
    return c ? c : (a->pid > b->pid) - (a->pid < b->pid);
}

static void mem(char *buf, size_t n, long long b)
{
    if (b < 0)
        snprintf(buf, n, "-");
    else if (b >= 1LL << 30)
        snprintf(buf, n, "%.1fG", (double)b / (double)(1LL << 30));
    else
        snprintf(buf, n, "%.1fM", (double)b / (double)(1LL << 20));
}

/* The table into f; at most max_rows rows (0: all); the header in reverse video on a
 * screen. */
static void table(FILE *f, row *v, size_t n, int workers, size_t max_rows, int reverse)
{
    if (reverse)
        fputs("\033[7m", f);
    if (workers)
        fprintf(f, "%-12s %-10s %-16s %7s %8s %8s %7s %6s %8s %6s  %s\n", "HOST", "POOL", "CLASS",
                "PID", "JOBS/S", "NOTIF/S", "ERR/S", "CPU%", "MEM", "BUSY%", "QUEUES");
    else
        fprintf(f, "%-32s %7s %8s %8s %7s %6s %8s %6s\n", "SERVICE", "WORKERS", "JOBS/S",
                "NOTIF/S", "ERR/S", "CPU%", "MEM", "BUSY%");
    if (reverse)
        fputs("\033[0m", f);
    for (size_t i = 0; i < n && (!max_rows || i < max_rows); i++) {
        row *r = &v[i];
        char eps[16], cpu[16], m[16];
        snprintf(eps, sizeof eps, r->has_eps ? "%.1f" : "-", r->eps);
        snprintf(cpu, sizeof cpu, r->has_cpu ? "%.1f" : "-", r->cpu);
        mem(m, sizeof m, r->rss);
        if (workers)
            fprintf(f, "%-12.12s %-10.10s %-16.16s %7lld %8.1f %8.1f %7s %6s %8s %6.1f  %s\n",
                    r->host, r->pool, r->wclass, r->pid, r->jps, r->nps, eps, cpu, m, r->load,
                    r->queue);
        else
            fprintf(f, "%-32.32s %7lld %8.1f %8.1f %7s %6s %8s %6.1f\n", r->name, r->count,
                    r->jps, r->nps, eps, cpu, m, r->load);
    }
}

/* One call; 0 with *res, or a message already printed (once) / kept in why (screen). */
static int fetch(bk_client *c, bk_arena *a, int workers, json_t *filter, json_t **res,
                 char *why, size_t wn)
{
    bk_error e;
    const char *m = workers ? "_bkpr.supervisor.get_workers_status"
                            : "_bkpr.supervisor.get_services_status";
    int rc = bk_call(c, m, filter, NULL, a, res, &e);
    if (rc == BK_ETIMEDOUT)
        snprintf(why, wn, "no Supervisor answered in time (is a pool running on this bus?)");
    else if (rc)
        snprintf(why, wn, "the Supervisor call failed: error %d: %s", e.code, e.message);
    return rc;
}

static unsigned short screen_rows(void)
{
    struct winsize ws = {0};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_row < 4)
        ws.ws_row = 24;
    return ws.ws_row;
}

static void now_hms(char *when, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    strftime(when, n, "%H:%M:%S", localtime_r(&t, &tm));
}

/* The broker view: its own call each refresh, nothing from the Supervisors. */
static void broker_screen(bk_client *c, bk_arena *a, const char *bus)
{
    char when[32], why[300];
    now_hms(when, sizeof when);
    printf("\033[H\033[2Jbkpr-top  bus %s (%s)  %s  broker   [q]uit [b] back [l] workers\n",
           bus, bk_client_connected(c) ? "connected" : "not connected", when);
    if (bkp_top_broker(c, a, stdout, (size_t)screen_rows() - 1, 1, why, sizeof why) != 0)
        printf("\033[7m%s\033[0m\n", why);
}

static void screen(bk_client *c, const char *bus, row *v, size_t n, int workers,
                   const char *why)
{
    struct winsize ws = {0};
    ws.ws_row = screen_rows();
    char when[32];
    now_hms(when, sizeof when);
    /* \033[H home, \033[2J clear, \033[7m reverse video */
    printf("\033[H\033[2Jbkpr-top  bus %s (%s)  %s  %zu %s  sort: %s   [q]uit [l] %s [b]roker [s]ort\n",
           bus, bk_client_connected(c) ? "connected" : "not connected", when, n,
           workers ? "workers" : "services", sort_keys[g_sort], workers ? "services" : "workers");
    if (why) {
        printf("\033[7m%s\033[0m\n", why);
        return;
    }
    table(stdout, v, n, workers, (size_t)ws.ws_row - 3, 1);
}

int main(int argc, char **argv)
{
    enum { O_CONFIG = 256, O_BUS, O_ONCE, O_SORT, O_HOST, O_POOL, O_CLASS, O_TIMEOUT };
    static const struct option longopts[] = {
        {"config-dir", required_argument, NULL, O_CONFIG}, {"bus", required_argument, NULL, O_BUS},
        {"workers", no_argument, NULL, 'l'},               {"once", no_argument, NULL, O_ONCE},
        {"broker", no_argument, NULL, 'b'},
        {"sort", required_argument, NULL, O_SORT},         {"host", required_argument, NULL, O_HOST},
        {"pool", required_argument, NULL, O_POOL},         {"class", required_argument, NULL, O_CLASS},
        {"timeout", required_argument, NULL, O_TIMEOUT},   {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},               {NULL, 0, NULL, 0}};
    const char *dir = NULL, *bus = NULL;
    const char *fv[3] = {NULL, NULL, NULL};  /* host, pool, class */
    int workers = 0, broker = 0, once = 0, timeout = 5000, opt;
    while ((opt = getopt_long(argc, argv, ":lbh", longopts, NULL)) != -1) {
        switch (opt) {
        case O_CONFIG: dir = optarg; break;
        case O_BUS: bus = optarg; break;
        case 'l': workers = 1; break;
        case 'b': broker = 1; break;
        case O_ONCE: once = 1; break;
        case O_SORT:
            for (g_sort = 0; sort_keys[g_sort] && strcmp(sort_keys[g_sort], optarg); g_sort++)
                ;
            if (!sort_keys[g_sort]) {
                fprintf(stderr, "bkpr-top: unknown sort key '%s'\ntry 'bkpr-top --help'\n", optarg);
                return 2;
            }
            break;
        case O_HOST: case O_POOL: case O_CLASS: fv[opt - O_HOST] = optarg; break;
        case O_TIMEOUT:
            timeout = atoi(optarg);
            if (timeout <= 0) {
                fprintf(stderr, "bkpr-top: --timeout expects milliseconds, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'h': fputs(usage, stdout); return 0;
        case 'V': return bkp_cli_version("bkpr-top");
        default: return bkp_cli_misuse("bkpr-top", opt, argv);
        }
    }
    if (optind != argc) {
        fprintf(stderr, "bkpr-top: unexpected argument '%s'\ntry 'bkpr-top --help'\n", argv[optind]);
        return 2;
    }
    if (!sort_key_shown(g_sort, workers)) {
        fprintf(stderr, "bkpr-top: --sort %s: the %s view has no such column\n",
                sort_keys[g_sort], workers ? "workers (-l)" : "services");
        return 2;
    }
    if (!once && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
        fprintf(stderr, "bkpr-top: not a terminal: use --once\n");
        return 2;
    }
    char err[512];
    bk_bus_config *bc;
    if (bk_bus_config_load(&bc, dir, bus, err, sizeof err) != 0) {
        fprintf(stderr, "bkpr-top: %s\n", err);
        return 1;
    }
    json_t *filter = json_object();
    static const char *const fk[3] = {"host", "pool", "class"};
    for (int i = 0; i < 3; i++)
        if (fv[i])
            json_object_set_new(filter, fk[i], json_string(fv[i]));
    bk_client_opts o = {.timeout_ms = timeout, .tokens = BKP_TOKEN_ADMIN};
    bk_bus_config_client_opts(bc, &o);
    bk_client *c = NULL;
    int rc = bk_client_new(&c, &o);
    if (rc == 0)
        rc = bk_client_connect_try(c, timeout);
    if (rc) {
        char hosts[512];
        fprintf(stderr, "bkpr-top: cannot connect to bus '%s' (%s): %s\n", bk_bus_config_id(bc),
                bkp_cli_join(o.hosts, o.nhosts, hosts, sizeof hosts), bk_strerror(rc));
        bk_client_free(c);
        bk_bus_config_free(bc);
        json_decref(filter);
        return 1;
    }
    bk_arena *a;
    bk_arena_new(&a);
    int status = 0;
    char why[300];
    json_t *res;
    row *v = NULL;
    if (once && broker) {
        if (bkp_top_broker(c, a, stdout, 0, 0, why, sizeof why) != 0) {
            fprintf(stderr, "bkpr-top: %s\n", why);
            status = 1;
        }
        goto out;
    }
    if (once) {
        if (fetch(c, a, workers, filter, &res, why, sizeof why) != 0) {
            fprintf(stderr, "bkpr-top: %s\n", why);
            status = 1;
        } else {
            size_t n = rows_of(res, workers, &v);
            qsort(v, n, sizeof *v, cmp_rows);
            table(stdout, v, n, workers, 0, 0);
        }
        goto out;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;      /* no SA_RESTART: poll() returns at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    sigaction(SIGWINCH, &sa, NULL);
    if (term_raw() != 0) {
        fprintf(stderr, "bkpr-top: cannot set up the terminal: %s\n", strerror(errno));
        status = 1;
        goto out;
    }
    while (!g_stop) {
        size_t n = 0;
        free(v);
        v = NULL;
        bk_arena_reset(a);
        if (broker) {
            broker_screen(c, a, bk_bus_config_id(bc));
        } else {
            int frc = fetch(c, a, workers, filter, &res, why, sizeof why);
            if (frc == 0) {
                n = rows_of(res, workers, &v);
                qsort(v, n, sizeof *v, cmp_rows);
            }
            screen(c, bk_bus_config_id(bc), v, n, workers, frc ? why : NULL);
        }
        fflush(stdout);
        uint64_t t0 = bkp_now_ms();
        for (int redraw = 0; !g_stop && !redraw;) {
            long left = 1000 - (long)(bkp_now_ms() - t0);
            if (left <= 0)
                break;
            struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
            if (poll(&pfd, 1, (int)left) > 0) {
                char ch;
                if (read(STDIN_FILENO, &ch, 1) != 1)
                    continue;
                if (ch == 'q' || ch == 'Q')
                    g_stop = 1;
                else if (ch == 'b' || ch == 'B')
                    broker = !broker, redraw = 1;
                else if (ch == 'l' || ch == 'L') {
                    workers = broker ? 1 : !workers, broker = 0, redraw = 1;
                    if (!sort_key_shown(g_sort, workers))
                        g_sort = 0;
                } else if (ch == 's' || ch == 'S') {
                    sort_key_next(workers);
                    redraw = 1;
                }
            }
            if (g_winch)
                g_winch = 0, redraw = 1;
        }
    }
    term_restore();
out:
    free(v);
    bk_arena_free(a);
    bk_client_free(c);
    bk_bus_config_free(bc);
    json_decref(filter);
    return status;
}
