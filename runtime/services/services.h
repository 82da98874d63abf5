/* The Supervisor and the Sinkhole: built-in worker modules (module.h) that bkpr forks into
 * every pool, like any other worker. doc/services.md has their methods and the token rule.
 *
 * Both are linked into the programs that run them (builtins.mk), neither put into
 * libbeekeeper nor loaded as .so files: a built-in service may use the library's internal
 * interface for them (rpc/bus.h; the Sinkhole does), whose bkp_ names are not exported. */
#ifndef BKP_SERVICES_SERVICES_H
#define BKP_SERVICES_SERVICES_H

#include <signal.h>

#include <jansson.h>

#include "beekeeper/module.h"

/* Tokens that internal calls carry (the bus protocol: doc/protocol.md; who sends which and
 * what each opens: doc/services.md, "The token rule"). */
#define BKP_TOKEN_SYSTEM "BKPR_SYSTEM" /* processes of the framework: workers, supervisors */
#define BKP_TOKEN_ADMIN "BKPR_ADMIN"   /* operators' tools: bkpr-top, bkpr-restart, bkpr-log */

/* The methods that pass between the parts of this layer: every worker's reports
 * (report.c) to the Supervisor, the Supervisor's list to the Sinkhole, every worker's log
 * to LogTail, and LogTail's entries to bkpr-log. */
#define BKP_SUPERVISOR_WORKER_STATUS "_bkpr.supervisor.worker_status"
#define BKP_SUPERVISOR_WORKER_EXIT "_bkpr.supervisor.worker_exit"
#define BKP_SINKHOLE_UNSERVICED "_bkpr.sinkhole.unserviced_queues"
#define BKP_LOGTAIL_LOG "_bkpr.logtail.log"
#define BKP_LOGTAIL_TAIL "_bkpr.logtail.tail"

/* How the Supervisor asks the pool manager that forked it (bkpr) to replace one of its
 * workers gracefully, the new process first, the old one TERMed once the new one serves:
 * sigqueue(pool, BKP_POOL_REPLACE_SIGNAL, {.sival_int = pid}). bkpr tells its children its
 * pid in BKP_POOL_PID_ENV; a Supervisor whose parent is not that pid (run by hand) TERMs
 * the worker instead. A real-time signal, so that one per worker queues. */
#define BKP_POOL_REPLACE_SIGNAL (SIGRTMIN + 1)
#define BKP_POOL_PID_ENV "BKPR_POOL_PID"

/* A worker's own counters for its status reports: fn(arg) returns a new JSON object of
 * them (or NULL), put under "counters" in each report; the Supervisor keeps the last one
 * and bkpr-top shows it (the Router's carried and dropped messages). One per process,
 * since a process is one worker; fn NULL ends it. */
typedef json_t *bkp_report_counters_fn(void *arg);
void bkp_report_set_counters(bkp_report_counters_fn *fn, void *arg);

/* The Supervisor: collects status reports, answers get_workers_status and
 * get_services_status, restarts workers, tells the Sinkhole which services lost their
 * last worker. Options (pool.config.json): "pool" (string: the pool it belongs to, for
 * restart_pool; default: the pool of its own status reports). */
extern const bk_module_def bkp_supervisor_module;

/* The Sinkhole: answers the requests of services without workers at once with -31601 (or
 * -403 when the request carries no token), until a worker is back. No options. */
extern const bk_module_def bkp_sinkhole_module;

#endif
