/* Worker modules: the shared objects (.so) that bkpr and bkpr-run load (doc/operations.md).
 *
 * A module exports exactly one symbol, BK_MODULE, a bk_module_def:
 *
 *     static int setup(bk_worker *w, const json_t *options, bk_module_hooks *h)
 *     {
 *         h->authorize = allow_all;                         // or leave NULL: deny all
 *         return bk_worker_accept(w, "myapp.str.uc", uc, NULL);
 *     }
 *     BK_MODULE_EXPORT const bk_module_def BK_MODULE = {
 *         .abi = BK_MODULE_ABI, .name = "basic-worker", .setup = setup,
 *     };
 *
 * The host (a bkpr child, or bkpr-run) dlopens the module, checks BK_MODULE (present, abi
 * equal to the host's BK_MODULE_ABI, setup and name set), makes a bk_worker from the pool's
 * bus (worker_class: the worker's name in pool.config.json, or the module's name under
 * bkpr-run; signals handled; log forwarded to the bus), calls setup once, then runs the
 * worker until it is told to stop. A module that fails any of these steps is not restarted
 * by bkpr (exit status 99).
 *
 * Linking: a module is built with -fPIC -shared and is NOT linked with libbeekeeper: its
 * bk_* references resolve at dlopen time against the host program, which carries the whole
 * library and exports its public API. So there is one copy of the library in the process
 * (one log sink, one set of globals), and a module always runs against its host's library.
 *
 * Threads: everything here runs on the worker's thread, before and inside bk_worker_run. */
#ifndef BEEKEEPER_MODULE_H
#define BEEKEEPER_MODULE_H

#include <jansson.h>

#include "beekeeper/worker.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever bk_module_def, bk_module_hooks or the meaning of a field changes. (Still 1
 * since bk_authorize_fn returns a bk_auth_result instead of an int: the same values, passed
 * the same way, so a module built before answers as it did.) */
#define BK_MODULE_ABI 1

/* The name of the exported symbol, for dlsym. */
#define BK_MODULE_SYMBOL "BK_MODULE"

/* Modules are usually built with -fvisibility=hidden: this makes BK_MODULE visible. */
#if defined(__GNUC__)
#define BK_MODULE_EXPORT __attribute__((visibility("default")))
#else
#define BK_MODULE_EXPORT
#endif

/* Hooks a module may set from setup (all start NULL). They are the worker's hooks of
 * bk_worker_opts, of the types worker.h defines, called with arg:
 *   authorize  decides every request; NULL: everything is refused with -403
 *   on_start   after the first CONNECTED; non-zero: the worker cannot start (exit 99)
 *   on_stop    before the graceful exit */
typedef struct bk_module_hooks {
    bk_authorize_fn *authorize;
    bk_start_fn *on_start;
    bk_stop_fn *on_stop;
    void *arg;
} bk_module_hooks;

/* Registers the module's handlers on w (bk_worker_accept, bk_worker_accept_notification)
 * and fills h. options: the worker's entry of pool.config.json without workers_count and
 * module (under bkpr-run: the --option pairs), borrowed for the call (json_incref what is
 * kept). Returns 0, or non-zero when the worker cannot start (it is logged; exit 99).
 * Whatever setup allocates is the module's to free from on_stop. */
typedef int bk_module_setup_fn(bk_worker *w, const json_t *options, bk_module_hooks *h);

typedef struct bk_module_def {
    int abi;                    /* BK_MODULE_ABI as the module was compiled */
    const char *name;           /* the module's name, for logs and bkpr-run */
    bk_module_setup_fn *setup;  /* required */
} bk_module_def;

#ifdef __cplusplus
}
#endif
#endif
