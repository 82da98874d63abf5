/* The Router, a built-in worker module (router.c; doc/operations.md, "Running a router"). */
#ifndef BKP_SERVICES_ROUTER_H
#define BKP_SERVICES_ROUTER_H

#include "beekeeper/module.h"

extern const bk_module_def bkp_router_module;

#endif
