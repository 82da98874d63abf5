/* Where a pool keeps its pid file and default log, and the pid file's lock.
 *
 * Folder: $BKPR_RUN_DIR when set and not empty, else $HOME/.cache/beekeeper (made, 0700,
 * when missing), else /tmp. Files: bkpr-POOL.pid and bkpr-POOL.log.
 *
 * The pid file is locked with flock(2) for as long as bkpr runs: the lock, not the file's
 * existence, says "running" (a file left by a killed bkpr is stale and taken over). It is
 * emptied, never removed, at a clean exit: removing it would let two starters lock two
 * different files. */
#ifndef BKP_POOL_PIDFILE_H
#define BKP_POOL_PIDFILE_H

#include <stddef.h>
#include <sys/types.h>

/* Writes FOLDER/bkpr-POOL.EXT into buf. 0, or -1 with the reason in err. */
int bkp_run_path(char *buf, size_t len, const char *pool_id, const char *ext, char *err,
                 size_t errlen);

/* Locks path (made when missing). 0: locked, *fd is the open file, *stale the pid a previous
 * run left in it (0: none); 1: another process holds it, *running is its pid (0 when it
 * has not written it yet); -1: error (err). */
int bkp_pidfile_lock(const char *path, int *fd, pid_t *running, pid_t *stale, char *err,
                     size_t errlen);

/* Replaces the content with pid (0: empties the file). 0 or -1 (errno). */
int bkp_pidfile_write(int fd, pid_t pid);

/* 1: a process holds path's lock (its pid in *pid, 0 when unknown); 0: nobody does (or no
 * file); -1: error (errno). Takes and drops a shared lock to find out. */
int bkp_pidfile_probe(const char *path, pid_t *pid);

#endif
