/* basic-worker: serves myapp.str.uc (examples/basic/basic.bkidl), which upper-cases its
 * string, through the C that bkpr-gen generates from the IDL: params arrive checked and typed.
 *   basic-worker [--config-dir DIR]      (or $BEEKEEPER_CONFIG_DIR; default examples/basic/config)
 * Runs until SIGTERM/SIGINT. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beekeeper/log.h"
#include "myapp_str.h" /* generated from basic.bkidl */
#include "../common/busconf.h"

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
    if (argc == 3 && strcmp(argv[1], "--config-dir") == 0)
        setenv("BEEKEEPER_CONFIG_DIR", argv[2], 1);
    else if (argc != 1) {
        fprintf(stderr, "usage: %s [--config-dir DIR]\n", argv[0]);
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
