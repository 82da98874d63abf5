/* basic-client STRING...: calls myapp.str.uc for each STRING and prints the results, through
 * the stub bkpr-gen generates from examples/basic/basic.bkidl.
 * Options: --config-dir DIR, --timeout MS. Exit status 0 when every call succeeded. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "myapp_str.h" /* generated from basic.bkidl */
#include "../common/busconf.h"
#include "core/cli.h"

static const char usage[] =
    "usage: basic-client [--config-dir DIR] [--timeout MS] STRING...\n"
    "\n"
    "Calls myapp.str.uc (served by basic-worker) for each STRING and prints the results.\n"
    "\n"
    "  --config-dir DIR  where bus.config.json is (else $BEEKEEPER_CONFIG_DIR, else\n"
    "                    examples/basic/config)\n"
    "  --timeout MS      how long to wait for the bus and for each answer (default 5000)\n"
    "  -h, --help        this text\n"
    "  --version         the version\n"
    "\n"
    "Exit status: 0 when every call succeeded, 1 otherwise, 2 for a bad command line.\n"
    "\n"
    "Examples:\n"
    "  basic-client hello world\n"
    "  basic-client --timeout 1000 -- --not-an-option\n";

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config-dir", required_argument, NULL, 'c'}, {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},             {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    int timeout = 5000, status = 0, opt;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': setenv("BEEKEEPER_CONFIG_DIR", optarg, 1); break;
        case 't':
            timeout = atoi(optarg);
            if (timeout <= 0) {
                fprintf(stderr, "basic-client: --timeout expects milliseconds, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'h': fputs(usage, stdout); return 0;
        case 'V': return bkp_cli_version("basic-client");
        default: return bkp_cli_misuse("basic-client", opt, argv);
        }
    }
    int i = optind;
    if (i >= argc) {
        fputs("basic-client: no STRING given\ntry 'basic-client --help'\n", stderr);
        return 2;
    }
    busconf bc;
    if (busconf_load(&bc, "examples/basic/config", NULL) != 0)
        return 1;
    bk_client *c;
    int rc = bk_client_new(&c, &bc.opts);
    if (rc == 0)
        rc = bk_client_connect_try(c, timeout);
    if (rc) {
        char hosts[512];
        fprintf(stderr, "basic-client: cannot connect to bus '%s' (%s): %s\n",
                bc.opts.bus_id ? bc.opts.bus_id : "backend",
                bkp_cli_join(bc.opts.hosts, bc.opts.nhosts, hosts, sizeof hosts),
                bk_strerror(rc));
        bk_client_free(c);
        busconf_free(&bc);
        return 1;
    }
    bk_arena *a;
    if (bk_arena_new(&a) != 0)
        return 1;
    for (; i < argc; i++) {
        const char *res;
        bk_error err;
        rc = myapp_str_uc(c, &(bk_call_opts){ .timeout_ms = timeout }, a, argv[i], &res, &err);
        if (rc) {
            fprintf(stderr, "basic-client: %s: error %d: %s\n", argv[i], err.code, err.message);
            status = 1;
        } else {
            printf("%s\n", res);
        }
    }
    bk_arena_free(a);
    bk_client_free(c);
    busconf_free(&bc);
    return status;
}
