/* The pool's log sink: one line per message, written with a single write(2) to the log file
 * (O_APPEND, shared by bkpr and its forked workers) and, in the foreground, to stderr:
 *   2026-01-01T00:00:00.123Z [info] bkpr[1234]: pool myapp started
 *   2026-01-01T00:00:00.456Z [info] basic-worker[1240]: serving myapp.str.uc
 * A single write per line keeps the lines of several processes from mixing. */
#ifndef BKP_POOL_PLOG_H
#define BKP_POOL_PLOG_H

#include <stddef.h>

/* Opens path for appending (NULL: no file) and installs the sink (bk_log_set_sink); with
 * to_stderr, lines also go to stderr. 0, or -1 with the reason in err. */
int bkp_plog_open(const char *path, int to_stderr, char *err, size_t errlen);
/* Opens the file again (after a rotation); keeps the old one when that fails. 0 or -1. */
int bkp_plog_reopen(void);
/* The name before [pid] (copied, cut at 63 bytes); "bkpr" until set. */
void bkp_plog_set_role(const char *role);
/* The log file's descriptor, -1 when none (a forked worker keeps it). */
int bkp_plog_fd(void);
/* Stops writing to stderr (after a daemon pointed stderr at the log file). */
void bkp_plog_stderr(int on);
/* Removes the sink and closes the file. */
void bkp_plog_close(void);

#endif
