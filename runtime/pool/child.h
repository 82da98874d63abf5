/* One worker process: loads a module (beekeeper/module.h) and runs it. Shared by bkpr's
 * forked children and bkpr-run. */
#ifndef BKP_POOL_CHILD_H
#define BKP_POOL_CHILD_H

#include <jansson.h>

#include "beekeeper/config.h"
#include "beekeeper/module.h"

/* Exit status of a worker that cannot start: bkpr does not respawn it. */
#define BKP_EXIT_NOSTART 99

typedef struct bkp_child_opts {
    const char *module;         /* path of the .so */
    const bk_module_def *builtin; /* instead of module: one linked into the program */
    const char *worker_class;   /* NULL: the module's name */
    const char *pool;           /* NULL: "" */
    const json_t *options;      /* handed to setup; NULL: {} */
    const bk_bus_config *bus;   /* borrowed */
    int debug;                  /* bk_worker_opts.debug */
    int ready_fd;               /* >= 0: told "R" once the worker serves, or "F<reason>"
                                   when it cannot start; closed by bkp_child_run */
} bkp_child_opts;

/* Loads, sets up and runs the worker until it stops. Returns the process's exit status:
 * 0 (stopped), 1 (bk_worker_run failed after a start: respawn), BKP_EXIT_NOSTART (cannot
 * load or start: the reason is logged and sent on ready_fd). */
int bkp_child_run(const bkp_child_opts *o);

#endif
