/* basic-worker: serves myapp.str.uc (examples/basic/basic.bkidl), which upper-cases its
 * string, through the C that bkpr-gen generates from the IDL: params arrive checked and typed.
 *   basic-worker [--config-dir DIR]      (or $BEEKEEPER_CONFIG_DIR; default examples/basic/config)
 * Runs until SIGTERM/SIGINT. */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beekeeper/log.h"
#include "myapp_str.h" /* generated from basic.bkidl */
#include "../common/busconf.h"
#include "core/cli.h"

static const char usage[] =
    "usage: basic-worker [--config-dir DIR]\n"
    "\n"
    "Serves myapp.str.uc, which upper-cases its string, until TERM or INT.\n"
    "\n"
    "  --config-dir DIR  where bus.config.json is (else $BEEKEEPER_CONFIG_DIR, else\n"
    "                    examples/basic/config)\n"
    "  -h, --help        this text\n"
    "  --version         the version\n"
    "\n"
    "Examples:\n"
    "  basic-worker &\n"
    "  basic-worker --config-dir ~/.config/beekeeper\n";

/* The result lives in the request's arena, like everything the handler hands back. */
static int uc(bk_request *req, void *ctx, const char *string, const char **result)
{
    (void)ctx;
    char *out = bk_arena_strdup(bk_request_arena(req), string);
    if (!out)
        return bk_request_fail(req, BK_RPC_INTERNAL_ERROR, NULL, "out of memory");
    for (char *p = out; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    *result = out;
    return 0;
}

static bk_auth_result allow_all(bk_request *req, void *arg)
{
    (void)req;
    (void)arg;
    return BK_AUTH_ALLOW;   /* a demo: anyone may upper-case */
}

int main(int argc, char **argv)
{
    const char *dir = "examples/basic/config";
    static const struct option longopts[] = {
        {"config-dir", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},          {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': setenv("BEEKEEPER_CONFIG_DIR", optarg, 1); break;
        case 'h': fputs(usage, stdout); return 0;
        case 'V': return bkp_cli_version("basic-worker");
        default: return bkp_cli_misuse("basic-worker", opt, argv);
        }
    }
    if (optind != argc) {
        fprintf(stderr, "basic-worker: unexpected argument '%s'\ntry 'basic-worker --help'\n",
                argv[optind]);
        return 2;
    }
    busconf bc;
    if (busconf_load(&bc, dir, NULL) != 0)
        return 1;
    bk_log_to_stderr();
    bk_worker_opts o = { .client = bc.opts, .worker_class = "basic-worker", .pool = "myapp",
                         .authorize = allow_all, .handle_signals = 1, .log_to_bus = 1 };
    bk_worker *w;
    int rc = bk_worker_new(&w, &o);
    if (rc || (rc = myapp_str_serve(w, &(myapp_str_handlers){ .uc = uc }, NULL)) != 0) {
        fprintf(stderr, "basic-worker: %s\n", bk_strerror(rc));
        bk_worker_free(w);
        busconf_free(&bc);
        return 1;
    }
    bk_log_info("basic-worker serving myapp.str.uc on %s", bc.opts.hosts[0]);
    rc = bk_worker_run(w);
    bk_worker_free(w);
    busconf_free(&bc);
    return rc ? 1 : 0;
}
