/* bkpr-run: runs one worker module in the foreground, without forking, so that gdb and
 * valgrind see the worker itself (doc/operations.md).
 *   bkpr-run MODULE.so [--config-dir DIR] [--bus BUS-ID] [--name CLASS] [--pool ID]
 *            [--option KEY=JSON]... [--debug]
 * Stops on SIGTERM or SIGINT. Exit status: 0 stopped, 1 failed after starting, 2 bad usage,
 * 99 cannot start (the same statuses as a worker under bkpr). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beekeeper/config.h"
#include "beekeeper/log.h"
#include "core/cli.h"
#include "pool/child.h"
#include "pool/plog.h"

static const char usage[] =
    "usage: bkpr-run MODULE.so [options]\n"
    "\n"
    "Runs one worker module in the foreground (no fork): for gdb and valgrind.\n"
    "\n"
    "options:\n"
    "  --config-dir DIR    where bus.config.json is (else $BEEKEEPER_CONFIG_DIR,\n"
    "                      ~/.config/beekeeper, /etc/beekeeper)\n"
    "  --bus BUS-ID        the bus to connect to (default: the file's default bus)\n"
    "  --name CLASS        the worker's class in status reports (default: the module's name)\n"
    "  --pool ID           the pool named in status reports (default: none)\n"
    "  --option KEY=JSON   an option for the module's setup, e.g. --option count=3\n"
    "                      --option 'host=\"mail\"' (repeatable)\n"
    "  --debug             log debug messages; errors carry details\n"
    "  -h, --help          this text\n"
    "  --version           the version\n"
    "\n"
    "Exit status: 0 stopped (TERM or INT), 1 failed, 2 bad usage, 99 cannot start.\n"
    "\n"
    "examples:\n"
    "  gdb --args bkpr-run ./calc_worker.so --debug\n"
    "  bkpr-run ./calc_worker.so --bus local --option count=3\n";

static int add_option(json_t *opts, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        fprintf(stderr, "bkpr-run: --option %s: expected KEY=JSON\n", kv);
        return -1;
    }
    json_error_t e;
    json_t *v = json_loads(eq + 1, JSON_DECODE_ANY, &e);
    if (!v) {
        fprintf(stderr, "bkpr-run: --option %s: the value is not JSON (%s); quote strings: "
                        "--option '%.*s=\"...\"'\n", kv, e.text, (int)(eq - kv), kv);
        return -1;
    }
    char *key = strndup(kv, (size_t)(eq - kv));
    int rc = key ? json_object_set_new(opts, key, v) : -1;
    if (!key)
        json_decref(v);
    free(key);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config-dir", required_argument, NULL, 'c' }, { "bus", required_argument, NULL, 'b' },
        { "name", required_argument, NULL, 'n' },       { "pool", required_argument, NULL, 'p' },
        { "option", required_argument, NULL, 'o' },     { "debug", no_argument, NULL, 'd' },
        { "help", no_argument, NULL, 'h' },             { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    const char *dir = NULL, *bus_id = NULL, *name = NULL, *pool = NULL;
    int debug = 0, c, status = 2;
    json_t *opts = json_object();
    bk_bus_config *bus = NULL;
    if (!opts)
        return 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': dir = optarg; break;
        case 'b': bus_id = optarg; break;
        case 'n': name = optarg; break;
        case 'p': pool = optarg; break;
        case 'd': debug = 1; break;
        case 'o':
            if (add_option(opts, optarg) != 0)
                goto out;
            break;
        case 'h': fputs(usage, stdout); status = 0; goto out;
        case 'V': status = bkp_cli_version("bkpr-run"); goto out;
        default: status = bkp_cli_misuse("bkpr-run", c, argv); goto out;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "bkpr-run: %s (see bkpr-run --help)\n",
                optind == argc ? "no module given" : "one module expected");
        goto out;
    }
    char path[4096], err[512];
    /* dlopen searches the library path for a name without '/': make it a path */
    if (!realpath(argv[optind], path)) {
        fprintf(stderr, "bkpr-run: %s: %s\n", argv[optind], strerror(errno));
        status = 99;
        goto out;
    }
    if (bk_bus_config_load(&bus, dir, bus_id, err, sizeof err) != 0) {
        fprintf(stderr, "bkpr-run: %s\n", err);
        status = 1;
        goto out;
    }
    char e2[64];
    bkp_plog_open(NULL, 1, e2, sizeof e2);
    bkp_plog_set_role(name ? name : "bkpr-run");
    bk_log_set_level(debug ? BK_LOG_DEBUG : BK_LOG_INFO);
    bk_log_info("running %s on bus %s (%s)", path, bk_bus_config_id(bus),
                bk_bus_config_path(bus));
    bkp_child_opts o = { .module = path, .worker_class = name, .pool = pool,
                         .options = opts, .bus = bus, .debug = debug, .ready_fd = -1 };
    status = bkp_child_run(&o);
    bk_log_info("exit status %d", status);
    bkp_plog_close();
out:
    bk_bus_config_free(bus);
    json_decref(opts);
    return status;
}
