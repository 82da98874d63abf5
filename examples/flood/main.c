/* flood: Beekeeper's flood benchmark. Starts echo workers on the bus (forked processes),
 * then sends N notifications, sync calls, async calls and background jobs at each payload
 * size, and prints a table with the rows of Perl Beekeeper 0.02's flood (see usage below).
 *   flood [--config-dir DIR] [--bus BUS-ID] [-n N] [--sizes KB,KB,...] [--workers N]
 * The bus comes from bus.config.json (see doc/config.md); start a broker first, e.g.
 * build/bin/bkpr-broker. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/busconf.h"
#include "core/cli.h"
#include "flood.h"

#define MAX_WORKERS 64

static const char usage[] =
    "usage: flood [--config-dir DIR] [--bus BUS-ID] [-n N] [--sizes KB,KB,...] [--workers N]\n"
    "\n"
    "Floods echo workers (started here, as child processes) with N notifications, sync\n"
    "calls, async calls and background jobs at each payload size, and prints a table.\n"
    "\n"
    "  --config-dir DIR  where bus.config.json is (else $BEEKEEPER_CONFIG_DIR, else\n"
    "                    examples/basic/config)\n"
    "  --bus BUS-ID      which bus of the file (default: the default bus)\n"
    "  -n N              messages of each kind per size (default 10000)\n"
    "  --sizes LIST      payload sizes in KB (default 0,1,5,10)\n"
    "  --workers N       echo workers (default 1; Perl Beekeeper's flood example runs 8)\n"
    "  -h, --help        this text\n"
    "  --version         the version\n"
    "\n"
    "Rows (named as Perl Beekeeper 0.02's flood names them; \"sent\" is what it times):\n"
    "  notifications sent      to a topic nobody listens to, until the last is handed to\n"
    "                          the kernel (bk_client_flush)\n"
    "  notifications sent and received\n"
    "                          to a topic this client listens to, until the last arrives\n"
    "  sync calls              one at a time, each answer waited for (end to end)\n"
    "  async calls             up to 100 in flight, until the last answer (end to end)\n"
    "  background jobs sent    until the last is handed to the kernel\n"
    "  background jobs sent and run\n"
    "                          until the workers report them all run\n"
    "\"lost\" counts the messages refused, failed or never received or run; flood exits 1\n"
    "when any is lost.\n"
    "\n"
    "Examples:\n"
    "  flood -n 1000 --sizes 0,1     1000 of each kind at 0 and 1 KB\n"
    "  flood --workers 8             as Perl Beekeeper's flood example runs it\n";

static int parse_sizes(const char *s, int *out, int max)
{
    int n = 0;
    while (*s && n < max) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 0 || v > 1024 || (*end && *end != ','))
            return -1;
        out[n++] = (int)v;
        s = *end ? end + 1 : end;
    }
    return n;
}

static void row(const char *kind, int kb, int n, const flood_figure *f)
{
    if (f->per_s <= 0) {
        printf("| %-31s | %3d KB | %6d | %8s | %10s | %9s | %6d |\n", kind, kb, n, "-", "-", "-",
               f->lost);
        return;
    }
    printf("| %-31s | %3d KB | %6d | %8.3f | %10.0f | %9.1f | %6d |\n", kind, kb, n, f->seconds,
           f->per_s, 1e6 / f->per_s, f->lost);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config-dir", required_argument, NULL, 'c'}, {"bus", required_argument, NULL, 'b'},
        {"sizes", required_argument, NULL, 's'},      {"workers", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},             {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    const char *bus = NULL;
    int n = 10000, sizes[16] = {0, 1, 5, 10}, nsizes = 4, nworkers = 1, opt;
    while ((opt = getopt_long(argc, argv, ":n:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': setenv("BEEKEEPER_CONFIG_DIR", optarg, 1); break;
        case 'b': bus = optarg; break;
        case 'n':
            n = atoi(optarg);
            if (n < 1 || n > 10000000) {
                fprintf(stderr, "flood: -n must be between 1 and 10000000, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 's':
            if ((nsizes = parse_sizes(optarg, sizes, 16)) <= 0) {
                fprintf(stderr, "flood: --sizes expects KB numbers separated by commas, not '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'w':
            nworkers = atoi(optarg);
            if (nworkers < 1 || nworkers > MAX_WORKERS) {
                fprintf(stderr, "flood: --workers must be between 1 and %d, not '%s'\n",
                        MAX_WORKERS, optarg);
                return 2;
            }
            break;
        case 'h': fputs(usage, stdout); return 0;
        case 'V': return bkp_cli_version("flood");
        default: return bkp_cli_misuse("flood", opt, argv);
        }
    }
    if (optind != argc) {
        fprintf(stderr, "flood: unexpected argument '%s'\ntry 'flood --help'\n", argv[optind]);
        return 2;
    }
    busconf bc;
    if (busconf_load(&bc, "examples/basic/config", bus) != 0)
        return 1;
    /* A bus that is down is said at once, before echo workers wait for it in vain. */
    bk_client *probe = NULL;
    int prc = bk_client_new(&probe, &bc.opts);
    if (prc == 0)
        prc = bk_client_connect_try(probe, 10000);
    bk_client_free(probe);
    if (prc) {
        char hosts[512];
        fprintf(stderr, "flood: cannot connect to bus '%s' (%s): %s\n",
                bc.opts.bus_id ? bc.opts.bus_id : "backend",
                bkp_cli_join(bc.opts.hosts, bc.opts.nhosts, hosts, sizeof hosts), bk_strerror(prc));
        busconf_free(&bc);
        return 1;
    }
    flood_target t;
    memset(&t, 0, sizeof t);
    snprintf(t.name, sizeof t.name, "%.63s", bc.opts.bus_id);
    snprintf(t.addr, sizeof t.addr, "%s", bc.opts.hosts[0]);
    snprintf(t.vhost, sizeof t.vhost, "%s", bc.opts.vhost);
    snprintf(t.user, sizeof t.user, "%s", bc.opts.user ? bc.opts.user : "");
    snprintf(t.pass, sizeof t.pass, "%s", bc.opts.pass ? bc.opts.pass : "");
    busconf_free(&bc);
    /* A cluster of its own, so that nothing left in the broker from an earlier run counts. */
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    snprintf(t.cluster, sizeof t.cluster, "flood%06d", rand() % 1000000);
    pid_t w[MAX_WORKERS];
    if (flood_spawn_workers(&t, nworkers, w) != 0) {
        fprintf(stderr, "flood: the echo workers could not connect to %s (is a broker running?)\n",
                t.addr);
        return 1;
    }
    printf("flood: %d of each kind per size, bus %s at %s, %d echo worker%s\n\n", n, t.name,
           t.addr, nworkers, nworkers == 1 ? "" : "s");
    printf("| %-31s | %6s | %6s | %8s | %10s | %9s | %6s |\n", "kind", "size", "count", "seconds",
           "per second", "us each", "lost");
    printf("|---|---|---|---|---|---|---|\n");
    int rc = 0;
    for (int i = 0; i < nsizes; i++) {
        flood_result r;
        if (flood_run(&t, n, (size_t)sizes[i] * 1024, &r) != 0) {
            fprintf(stderr, "flood: cannot connect to %s\n", t.addr);
            rc = 1;
            break;
        }
        row("notifications sent", sizes[i], n, &r.notes_sent);
        row("notifications sent and received", sizes[i], n, &r.notes_seen);
        row("sync calls", sizes[i], n, &r.sync);
        row("async calls", sizes[i], n, &r.async);
        row("background jobs sent", sizes[i], n, &r.jobs_sent);
        row("background jobs sent and run", sizes[i], n, &r.jobs_run);
        if (r.errors) {
            fprintf(stderr, "flood: %d messages failed or were lost at %d KB\n", r.errors, sizes[i]);
            rc = 1;
        }
    }
    flood_kill_all(w, nworkers);
    return rc;
}
