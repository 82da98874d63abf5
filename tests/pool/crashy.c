/* A module that crashes right after its start (tests/itest_pool.sh): bkpr must respawn it
 * with a growing delay. */
#include <stdlib.h>

#include "beekeeper/module.h"

static int on_start(bk_worker *w, void *arg)
{
    (void)w;
    (void)arg;
    abort();
}

static int setup(bk_worker *w, const json_t *options, bk_module_hooks *h)
{
    (void)w;
    (void)options;
    h->on_start = on_start;
    return 0;
}

BK_MODULE_EXPORT const bk_module_def BK_MODULE = {
    .abi = BK_MODULE_ABI, .name = "crashy", .setup = setup,
};
