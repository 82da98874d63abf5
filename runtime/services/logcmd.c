/* bkpr-log: the last log entries of a bus, from its LogTail service, and -f to follow.
 * Works for remote pools too: everything goes over the bus. */
#include <getopt.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "beekeeper/client.h"
#include "beekeeper/config.h"
#include "beekeeper/log.h"
#include "core/cli.h"
#include "services/services.h"

static const char usage[] =
    "usage: bkpr-log [--config-dir DIR] [--bus BUS-ID] [-n COUNT] [-f] [-l LEVEL]\n"
    "                [--host RE] [--pool RE] [--service RE] [--message RE] [--no-color]\n"
    "                [--timeout MS]\n"
    "\n"
    "Prints the last log entries the bus's LogTail service kept (workers publish them with\n"
    "log_to_bus), oldest first; -f keeps following. Filters are extended regular expressions.\n"
    "\n"
    "  --config-dir DIR  where bus.config.json is (else $BEEKEEPER_CONFIG_DIR,\n"
    "                    ~/.config/beekeeper, /etc/beekeeper)\n"
    "  --bus BUS-ID      the bus (default: the default bus of the file)\n"
    "  -n COUNT          how many entries (default 10)\n"
    "  -f, --follow      print new entries as they come (every second), until interrupted;\n"
    "                    when LogTail or the broker goes away, wait and resume (as tail -F)\n"
    "  -l, --level L     at most this verbose: fatal, error, warn, info, debug, trace\n"
    "  --host, --pool, --service, --message RE   only entries whose field matches RE\n"
    "  --no-color        no colours (the default when the output is not a terminal)\n"
    "  --timeout MS      how long to wait for LogTail (default 5000)\n"
    "  -h, --help        this text\n"
    "  --version         the version\n"
    "\n"
    "Exit status: 0, 1 when LogTail did not answer or refused, 2 for a bad command line.\n"
    "\n"
    "Examples:\n"
    "  bkpr-log -n 50 --level warn           the last 50 warnings and errors\n"
    "  bkpr-log -f --service '^myapp\\.'      follow the log of the myapp services\n";

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static const char *colour(const char *level)
{
    if (!level)
        return "";
    if (!strcmp(level, "fatal") || !strcmp(level, "error"))
        return "\033[31m";
    if (!strcmp(level, "warn"))
        return "\033[33m";
    if (!strcmp(level, "debug") || !strcmp(level, "trace"))
        return "\033[2m";
    return "";
}

static const char *str(json_t *e, const char *key, const char *dflt)
{
    const char *v = json_string_value(json_object_get(e, key));
    return v ? v : dflt;
}

/* "2026-11-26 12:00:00.123 [warn] host pool service[pid]: message" */
static double print_entry(json_t *e, int colours)
{
    double t = json_number_value(json_object_get(e, "time"));
    time_t secs = (time_t)t;
    struct tm tm;
    char when[32] = "-";
    if (t > 0 && localtime_r(&secs, &tm))
        snprintf(when + strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm),
                 sizeof when - 19, ".%03d", (int)((t - (double)secs) * 1000));
    const char *lv = json_string_value(json_object_get(e, "level"));
    const char *c = colours ? colour(lv) : "";
    printf("%s%s [%s] %s %s %s[%lld]: %s%s\n", c, when, lv ? lv : "?", str(e, "host", "-"),
           str(e, "pool", "-"), str(e, "service", "-"),
           (long long)json_integer_value(json_object_get(e, "pid")), str(e, "message", ""),
           *c ? "\033[0m" : "");
    return t;
}

static int bad_regex(const char *opt, const char *re)
{
    regex_t r;
    if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0) {
        fprintf(stderr, "bkpr-log: %s '%s' is not a valid regular expression\n", opt, re);
        return 1;
    }
    regfree(&r);
    return 0;
}

int main(int argc, char **argv)
{
    enum { O_HOST = 256, O_POOL, O_SERVICE, O_MESSAGE, O_NOCOLOR, O_CONFIG, O_BUS, O_TIMEOUT };
    static const struct option longopts[] = {
        {"config-dir", required_argument, NULL, O_CONFIG}, {"bus", required_argument, NULL, O_BUS},
        {"follow", no_argument, NULL, 'f'},                {"level", required_argument, NULL, 'l'},
        {"host", required_argument, NULL, O_HOST},         {"pool", required_argument, NULL, O_POOL},
        {"service", required_argument, NULL, O_SERVICE},   {"message", required_argument, NULL, O_MESSAGE},
        {"no-color", no_argument, NULL, O_NOCOLOR},        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"help", no_argument, NULL, 'h'},                  {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    const char *dir = NULL, *bus = NULL;
    const char *level = NULL, *re[4] = {NULL, NULL, NULL, NULL};
    static const char *const re_names[] = {"host", "pool", "service", "message"};
    long count = 10;
    int follow = 0, colours = isatty(1), timeout = 5000, opt;
    while ((opt = getopt_long(argc, argv, ":n:fl:h", longopts, NULL)) != -1) {
        char *end;
        switch (opt) {
        case O_CONFIG: dir = optarg; break;
        case O_BUS: bus = optarg; break;
        case 'n':
            count = strtol(optarg, &end, 10);
            if (*end || end == optarg || count < 0 || count > 1000000) {
                fprintf(stderr, "bkpr-log: -n expects a count from 0 to 1000000, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'f': follow = 1; break;
        case 'l': {
            bk_log_level lv;
            if (bk_log_level_parse(optarg, &lv) != 0) {
                fprintf(stderr, "bkpr-log: unknown level '%s' (fatal, error, warn, info, debug, "
                                "trace)\n", optarg);
                return 2;
            }
            level = bk_log_level_name(lv);
            break;
        }
        case O_HOST: case O_POOL: case O_SERVICE: case O_MESSAGE:
            if (bad_regex(re_names[opt - O_HOST], optarg))
                return 2;
            re[opt - O_HOST] = optarg;
            break;
        case O_NOCOLOR: colours = 0; break;
        case O_TIMEOUT:
            timeout = atoi(optarg);
            if (timeout <= 0) {
                fprintf(stderr, "bkpr-log: --timeout expects milliseconds, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'h': fputs(usage, stdout); return 0;
        case 'V': return bkp_cli_version("bkpr-log");
        default: return bkp_cli_misuse("bkpr-log", opt, argv);
        }
    }
    if (optind != argc) {
        fprintf(stderr, "bkpr-log: unexpected argument '%s'\ntry 'bkpr-log --help'\n", argv[optind]);
        return 2;
    }
    char err[512];
    bk_bus_config *bc;
    if (bk_bus_config_load(&bc, dir, bus, err, sizeof err) != 0) {
        fprintf(stderr, "bkpr-log: %s\n", err);
        return 1;
    }
    bk_client_opts o = {.timeout_ms = timeout, .tokens = BKP_TOKEN_ADMIN};
    bk_bus_config_client_opts(bc, &o);
    bk_client *c;
    int rc = bk_client_new(&c, &o);
    if (rc == 0)
        rc = bk_client_connect_try(c, timeout);
    if (rc) {
        char hosts[512];
        fprintf(stderr, "bkpr-log: cannot connect to bus '%s' (%s): %s\n", bk_bus_config_id(bc),
                bkp_cli_join(o.hosts, o.nhosts, hosts, sizeof hosts), bk_strerror(rc));
        bk_client_free(c);
        bk_bus_config_free(bc);
        return 1;
    }
    json_t *filter = json_object();
    if (level)
        json_object_set_new(filter, "level", json_string(level));
    for (int i = 0; i < 4; i++)
        if (re[i])
            json_object_set_new(filter, re_names[i], json_string(re[i]));
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    bk_arena *a;
    bk_arena_new(&a);
    double last = -1;
    int status = 0, waiting = 0;
    json_object_set_new(filter, "count", json_integer(count));
    do {
        if (last >= 0) {
            json_object_set_new(filter, "after", json_real(last));
            json_object_set_new(filter, "count", json_integer(100000));
        }
        json_t *res;
        bk_error e;
        if (bk_call(c, BKP_LOGTAIL_TAIL, filter, NULL, a, &res, &e) != 0) {
            if (!follow) {
                fprintf(stderr, "bkpr-log: LogTail: error %d: %s\n", e.code, e.message);
                status = 1;
                break;
            }
            /* -f goes on, as tail -F does: the client reconnects by itself */
            if (!waiting)
                fprintf(stderr, "bkpr-log: LogTail: %s; waiting for it to come back\n",
                        e.message);
            waiting = 1;
            bk_arena_reset(a);
            bk_client_run_for(c, 1000);
            continue;
        }
        if (waiting)
            fprintf(stderr, "bkpr-log: LogTail answers again: following\n");
        waiting = 0;
        size_t i;
        json_t *entry;
        json_array_foreach(res, i, entry) {
            double t = print_entry(entry, colours);
            if (t > last)
                last = t;
        }
        if (last < 0) { /* nothing yet: follow from now on */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            last = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
        }
        fflush(stdout);
        bk_arena_reset(a);
        if (follow)
            bk_client_run_for(c, 1000);
    } while (follow && !g_stop);
    bk_arena_free(a);
    bk_client_free(c);
    bk_bus_config_free(bc);
    json_decref(filter);
    return status;
}
