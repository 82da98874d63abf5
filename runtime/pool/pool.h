/* bkpr's supervisor loop: forks the workers of one pool and keeps them running.
 *
 * Every worker entry of the pool gets workers_count slots; each slot holds one process
 * running the entry's module (child.h). Rules (doc/operations.md):
 *   - a worker that exits is respawned at once; one that exits within EARLY_MS of its
 *     start is respawned after a delay that starts at 100 ms and doubles up to 30 s (reset
 *     once a worker outlives EARLY_MS);
 *   - exit status 99 (cannot start) is not respawned; the reason the child sent is logged;
 *   - SIGTERM: TERM to every worker (each finishes its job), wait for all, return 0;
 *   - SIGINT: KILL every worker (their unacked jobs go back to the queue), return 0;
 *   - SIGHUP: reopen the log, then replace the workers one at a time: start the new one,
 *     wait for its "ready" (or READY_TIMEOUT_MS), then TERM the old one. Slots left down by
 *     status 99 get a new try;
 *   - BKP_POOL_REPLACE_SIGNAL (services.h) with a worker's pid, from the Supervisor
 *     (bkpr-restart): that worker is replaced the same way, in the same one-at-a-time roll.
 * Signals are turned into bytes on a self-pipe; the loop is poll(2). */
#ifndef BKP_POOL_POOL_H
#define BKP_POOL_POOL_H

#include "beekeeper/config.h"

/* Runs the pool until SIGTERM or SIGINT. keep_fd: a descriptor of the parent that workers
 * must not inherit (the pid file: its lock must die with bkpr). tell_fd (-1: none) is the
 * pipe to `bkpr start`, which waits for the first outcome: on it go "U NAME#N\n" for each
 * worker that is up, "X NAME#N WHY\n" for each that cannot start (exit 99), and the pool
 * closes it once every worker is up or cannot start. Returns bkpr's exit status: 0 after
 * a stop, 1 when the pool could not run at all (logged). */
int bkp_pool_run(const bk_pool_config *pc, const bk_bus_config *bus, int debug, int keep_fd,
                 int tell_fd);

#endif
