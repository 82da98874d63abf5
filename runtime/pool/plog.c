#include "pool/plog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "beekeeper/log.h"

static int g_fd = -1;
static int g_stderr;
static char g_path[4096];
static char g_role[64] = "bkpr";

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return;
        p += k;
        n -= (size_t)k;
    }
}

static void sink(bk_log_level lv, const char *msg, void *arg)
{
    (void)arg;
    char line[4096 + 256];
    struct timeval tv;
    struct tm tm;
    char ts[32];
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    int n = snprintf(line, sizeof line, "%s.%03dZ [%s] %s[%ld]: %s\n", ts,
                     (int)(tv.tv_usec / 1000), bk_log_level_name(lv), g_role, (long)getpid(), msg);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line) {
        n = (int)sizeof line - 1;
        line[n - 1] = '\n';
    }
    if (g_fd >= 0)
        write_all(g_fd, line, (size_t)n);
    if (g_stderr)
        write_all(2, line, (size_t)n);
}

static int open_log(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

int bkp_plog_open(const char *path, int to_stderr, char *err, size_t errlen)
{
    if (path) {
        if (strlen(path) >= sizeof g_path) {
            snprintf(err, errlen, "%s: path too long", path);
            return -1;
        }
        int fd = open_log(path);
        if (fd < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            return -1;
        }
        strcpy(g_path, path);
        g_fd = fd;
    }
    g_stderr = to_stderr;
    bk_log_set_sink(sink, NULL);
    return 0;
}

int bkp_plog_reopen(void)
{
    if (g_fd < 0)
        return 0;
    int fd = open_log(g_path);
    if (fd < 0)
        return -1;
    close(g_fd);
    g_fd = fd;
    return 0;
}

void bkp_plog_set_role(const char *role)
{
    snprintf(g_role, sizeof g_role, "%s", role);
}

int bkp_plog_fd(void)
{
    return g_fd;
}

void bkp_plog_stderr(int on)
{
    g_stderr = on;
}

void bkp_plog_close(void)
{
    bk_log_set_sink(NULL, NULL);
    if (g_fd >= 0)
        close(g_fd);
    g_fd = -1;
    g_stderr = 0;
}
