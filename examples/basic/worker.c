/* basic-worker: serves myapp.str.uc, which upper-cases params.string.
 *   basic-worker [--config-dir DIR]      (or $BEEKEEPER_CONFIG_DIR; default examples/basic/config)
 * Runs until SIGTERM/SIGINT. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beekeeper/log.h"
#include "beekeeper/worker.h"
#include "../common/busconf.h"

static int uc(bk_request *req, json_t *params, void *arg)
{
    (void)arg;
    json_t *s = json_object_get(params, "string");
    if (!json_is_string(s))
        return bk_request_fail(req, BK_RPC_INVALID_PARAMS,
                               json_string("string: expected a string"), "Invalid params");
    size_t n = json_string_length(s);
    char *out = bk_arena_strndup(bk_request_arena(req), json_string_value(s), n);
    if (!out)
        return bk_fail(req, BK_RPC_INTERNAL_ERROR, "out of memory");
    for (size_t i = 0; i < n; i++)
        out[i] = (char)toupper((unsigned char)out[i]);
    return bk_request_reply(req, json_stringn(out, n));
}

static int allow_all(bk_request *req, void *arg)
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
    if (rc || (rc = bk_worker_accept(w, "myapp.str.uc", uc, NULL)) != 0) {
        fprintf(stderr, "basic-worker: %s\n", bk_strerror(rc));
        bk_worker_free(w);
        return 1;
    }
    bk_log_info("basic-worker serving myapp.str.uc on %s", bc.hosts[0]);
    rc = bk_worker_run(w);
    bk_worker_free(w);
    return rc ? 1 : 0;
}
