#include "pool/pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int bkp_run_path(char *buf, size_t len, const char *pool_id, const char *ext, char *err,
                 size_t errlen)
{
    char dir[4096];
    const char *env = getenv("BKPR_RUN_DIR"), *home = getenv("HOME");
    if (env && *env) {
        snprintf(dir, sizeof dir, "%s", env);
    } else if (home && *home) {
        char cache[4096];
        snprintf(cache, sizeof cache, "%s/.cache", home);
        snprintf(dir, sizeof dir, "%s/.cache/beekeeper", home);
        if (mkdir(cache, 0700) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "%s: %s (set BKPR_RUN_DIR)", cache, strerror(errno));
            return -1;
        }
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "%s: %s (set BKPR_RUN_DIR)", dir, strerror(errno));
            return -1;
        }
    } else {
        snprintf(dir, sizeof dir, "/tmp");
    }
    int n = snprintf(buf, len, "%s/bkpr-%s.%s", dir, pool_id, ext);
    if (n < 0 || (size_t)n >= len) {
        snprintf(err, errlen, "%s: path too long", dir);
        return -1;
    }
    return 0;
}

static pid_t read_pid(int fd)
{
    char b[32];
    ssize_t n = pread(fd, b, sizeof b - 1, 0);
    if (n <= 0)
        return 0;
    b[n] = '\0';
    char *end;
    long v = strtol(b, &end, 10);
    return v > 0 && (*end == '\n' || *end == '\0') ? (pid_t)v : 0;
}

/* The holder may have locked the file and not written its pid yet (it daemonizes between
 * the two): wait for it briefly. */
static pid_t read_pid_wait(int fd)
{
    pid_t p = 0;
    for (int i = 0; i < 40 && (p = read_pid(fd)) == 0; i++)
        nanosleep(&(struct timespec){ 0, 25 * 1000 * 1000 }, NULL);
    return p;
}

int bkp_pidfile_lock(const char *path, int *fd, pid_t *running, pid_t *stale, char *err,
                     size_t errlen)
{
    *fd = -1;
    *running = *stale = 0;
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (f < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK) {
            *running = read_pid_wait(f);
            close(f);
            return 1;
        }
        close(f);
        snprintf(err, errlen, "%s: cannot lock: %s", path, strerror(e));
        return -1;
    }
    *stale = read_pid(f);
    *fd = f;
    return 0;
}

int bkp_pidfile_write(int fd, pid_t pid)
{
    char b[32];
    int n = pid > 0 ? snprintf(b, sizeof b, "%ld\n", (long)pid) : 0;
    if (ftruncate(fd, 0) != 0)
        return -1;
    if (n > 0 && pwrite(fd, b, (size_t)n, 0) != n)
        return -1;
    return 0;
}

int bkp_pidfile_probe(const char *path, pid_t *pid)
{
    *pid = 0;
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0)
        return errno == ENOENT ? 0 : -1;
    int rc = 0;
    if (flock(f, LOCK_SH | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            *pid = read_pid_wait(f);
            rc = 1;
        } else {
            rc = -1;
        }
    }
    close(f);   /* drops our shared lock, if we got it */
    return rc;
}
