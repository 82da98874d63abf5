/* bkpr-restart: rolling restart of workers (or whole pools) matched by host, pool and
 * class, through the bus's Supervisors: every Supervisor asks its pool manager to replace the
 * matching workers of its own host and pool, which it does one at a time, the new process
 * serving before the old one stops (restart_workers); with --pool and no --class, each matching pool manager gets HUP and
 * restarts its workers one after another (restart_pool). doc/services.md. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "beekeeper/client.h"
#include "beekeeper/config.h"
#include "core/cli.h"
#include "services/services.h"

static const char usage[] =
    "usage: bkpr-restart [--config-dir DIR] [--bus BUS-ID] [--host H] [--pool P] [--class C]\n"
    "                    [--delay SECONDS] [--yes] [--timeout MS] [--help]\n"
    "\n"
    "Restarts the matching workers gracefully, one at a time per host: the pool manager starts\n"
    "a new process, and once it serves, stops the old one (which finishes its job), so no\n"
    "service is ever left without a worker. With --pool and no --class the whole pool is\n"
    "restarted by its manager the same way. Without filters: every worker of the bus.\n"
    "\n"
    "  --config-dir DIR  where bus.config.json is (else $BEEKEEPER_CONFIG_DIR,\n"
    "                    ~/.config/beekeeper, /etc/beekeeper)\n"
    "  --bus BUS-ID      the bus (default: the default bus of the file)\n"
    "  --host, --pool, --class   only workers of this host, pool, class\n"
    "  --delay SECONDS   extra pause between two restarts on a host (default 0)\n"
    "  -y, --yes         do not ask for confirmation\n"
    "  --timeout MS      how long to wait for a Supervisor (default 5000)\n"
    "  -h, --help        this text\n"
    "  --version         the version\n"
    "\n"
    "Exit status: 0 when a Supervisor took the request; 1 when none answered, it refused, or\n"
    "the restart was not confirmed; 2 for a bad command line.\n"
    "\n"
    "Examples:\n"
    "  bkpr-restart --class calc-worker --yes   every calc-worker, one at a time per host\n"
    "  bkpr-restart --pool calc --yes           the whole pool calc\n";

/* y/N on the terminal. Without a terminal nothing is confirmed: scripts say --yes. */
static int confirm(const char *what)
{
    if (!isatty(STDIN_FILENO)) {
        fprintf(stderr, "bkpr-restart: not confirmed (no terminal): use --yes\n");
        return 0;
    }
    printf("Restart %s? [y/N] ", what);
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin))
        return 0;
    return line[0] == 'y' || line[0] == 'Y';
}

int main(int argc, char **argv)
{
    enum { O_CONFIG = 256, O_BUS, O_HOST, O_POOL, O_CLASS, O_DELAY, O_TIMEOUT };
    static const struct option longopts[] = {
        {"config-dir", required_argument, NULL, O_CONFIG}, {"bus", required_argument, NULL, O_BUS},
        {"host", required_argument, NULL, O_HOST},         {"pool", required_argument, NULL, O_POOL},
        {"class", required_argument, NULL, O_CLASS},       {"delay", required_argument, NULL, O_DELAY},
        {"yes", no_argument, NULL, 'y'},                   {"timeout", required_argument, NULL, O_TIMEOUT},
        {"help", no_argument, NULL, 'h'},                  {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    const char *dir = NULL, *bus = NULL, *host = NULL, *pool = NULL, *cls = NULL;
    double delay = 0;
    int yes = 0, timeout = 5000, opt;
    while ((opt = getopt_long(argc, argv, ":yh", longopts, NULL)) != -1) {
        char *end;
        switch (opt) {
        case O_CONFIG: dir = optarg; break;
        case O_BUS: bus = optarg; break;
        case O_HOST: host = optarg; break;
        case O_POOL: pool = optarg; break;
        case O_CLASS: cls = optarg; break;
        case O_DELAY:
            delay = strtod(optarg, &end);
            if (*end || end == optarg || !(delay >= 0 && delay <= 3600)) {
                fprintf(stderr, "bkpr-restart: --delay expects seconds from 0 to 3600, not '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'y': yes = 1; break;
        case O_TIMEOUT:
            timeout = atoi(optarg);
            if (timeout <= 0) {
                fprintf(stderr, "bkpr-restart: --timeout expects milliseconds, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'h': fputs(usage, stdout); return 0;
        case 'V': return bkp_cli_version("bkpr-restart");
        default: return bkp_cli_misuse("bkpr-restart", opt, argv);
        }
    }
    if (optind != argc) {
        fprintf(stderr, "bkpr-restart: unexpected argument '%s'\ntry 'bkpr-restart --help'\n",
                argv[optind]);
        return 2;
    }
    int whole_pool = pool && !cls;
    char what[600];
    snprintf(what, sizeof what, "%s%s%s%s%s%s%s%s", whole_pool ? "pool " : "the workers",
             whole_pool ? pool : "", cls ? " of class " : "", cls ? cls : "",
             pool && !whole_pool ? " of pool " : "", pool && !whole_pool ? pool : "",
             host ? " on host " : " on every host", host ? host : "");
    if (!yes && !confirm(what))
        return 1;

    char err[512];
    bk_bus_config *bc;
    if (bk_bus_config_load(&bc, dir, bus, err, sizeof err) != 0) {
        fprintf(stderr, "bkpr-restart: %s\n", err);
        return 1;
    }
    bk_client_opts o = {.timeout_ms = timeout, .tokens = BKP_TOKEN_ADMIN};
    bk_bus_config_client_opts(bc, &o);
    bk_client *c = NULL;
    int rc = bk_client_new(&c, &o);
    if (rc == 0)
        rc = bk_client_connect_try(c, timeout);
    if (rc) {
        char hosts[512];
        fprintf(stderr, "bkpr-restart: cannot connect to bus '%s' (%s): %s\n", bk_bus_config_id(bc),
                bkp_cli_join(o.hosts, o.nhosts, hosts, sizeof hosts), bk_strerror(rc));
        bk_client_free(c);
        bk_bus_config_free(bc);
        return 1;
    }
    json_t *p = json_object();
    if (host)
        json_object_set_new(p, "host", json_string(host));
    if (pool)
        json_object_set_new(p, "pool", json_string(pool));
    if (cls)
        json_object_set_new(p, "class", json_string(cls));
    if (delay > 0)
        json_object_set_new(p, "delay", json_real(delay));
    bk_arena *a;
    bk_arena_new(&a);
    json_t *res;
    bk_error e;
    const char *m = whole_pool ? "_bkpr.supervisor.restart_pool" : "_bkpr.supervisor.restart_workers";
    int status = 0;
    rc = bk_call(c, m, p, NULL, a, &res, &e);
    if (rc == BK_ETIMEDOUT) {
        fprintf(stderr, "bkpr-restart: no Supervisor answered in time (is a pool running on "
                        "this bus?)\n");
        status = 1;
    } else if (rc) {
        fprintf(stderr, "bkpr-restart: the Supervisor refused: error %d: %s\n", e.code, e.message);
        status = 1;
    } else if (whole_pool) {
        printf("restarting %s: %lld matching pool(s) known to the Supervisors\n", what,
               (long long)json_integer_value(json_object_get(res, "pools")));
    } else {
        printf("restarting %s: %lld matching worker(s) known to the Supervisors\n", what,
               (long long)json_integer_value(json_object_get(res, "workers")));
    }
    bk_arena_free(a);
    json_decref(p);
    bk_client_free(c);
    bk_bus_config_free(bc);
    return status;
}
