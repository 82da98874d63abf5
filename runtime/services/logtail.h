/* LogTail, the built-in service that keeps the last log entries of the bus (logtail.c). */
#ifndef BKP_SERVICES_LOGTAIL_H
#define BKP_SERVICES_LOGTAIL_H

#include "beekeeper/module.h"

/* A worker module (module.h): bkpr runs it as any other worker. */
extern const bk_module_def bkp_logtail_module;

#endif
