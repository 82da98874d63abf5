/* bkpr: runs a pool of worker processes (doc/operations.md).
 *   bkpr --pool-id ID [--config-dir DIR] [--foreground] [--debug] start|stop|restart|reload|check
 * Exit status: 0 done (check: running), 1 failed (check: not running; start: already
 * running), 2 bad usage. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "beekeeper/config.h"
#include "beekeeper/error.h"
#include "beekeeper/log.h"
#include "pool/pidfile.h"
#include "core/cli.h"
#include "pool/plog.h"
#include "pool/pool.h"

#define STOP_TERM_MS 10000      /* stop: how long TERM, then INT, then KILL get */
#define STOP_INT_MS 5000
#define STOP_KILL_MS 5000

static const char usage[] =
    "usage: bkpr --pool-id ID [--config-dir DIR] [--foreground] [--debug] COMMAND\n"
    "\n"
    "Runs the workers of pool ID (pool.config.json) on its bus (bus.config.json).\n"
    "\n"
    "commands:\n"
    "  start     start the pool (in the background unless --foreground)\n"
    "  stop      stop it gracefully (TERM; INT after 10 s, KILL after 5 s more)\n"
    "  restart   stop, then start\n"
    "  reload    restart every worker gracefully, one after another (SIGHUP)\n"
    "  check     print the pid and exit 0 when running; exit 1 when not\n"
    "\n"
    "options:\n"
    "  --pool-id ID       the pool's \"pool-id\" (required)\n"
    "  --config-dir DIR   where the config files are (else $BEEKEEPER_CONFIG_DIR,\n"
    "                     ~/.config/beekeeper, /etc/beekeeper)\n"
    "  --foreground       start: stay in the foreground, log to stderr too\n"
    "  --debug            log debug messages; errors carry details\n"
    "  --wait SECONDS     start: wait this long for every worker to be up (default 15);\n"
    "                     exit 1 when they are not, or a class cannot start at all\n"
    "  -h, --help         this text\n"
    "  --version          the version\n"
    "\n"
    "Files: $BKPR_RUN_DIR (else ~/.cache/beekeeper, else /tmp)/bkpr-ID.pid and, unless the\n"
    "pool sets log_file, bkpr-ID.log. Signals: TERM graceful stop, INT immediate stop,\n"
    "HUP graceful restart. See bkpr(1), and operations.md in PREFIX/share/doc/beekeeper.\n"
    "\n"
    "examples:\n"
    "  bkpr --pool-id calc start\n"
    "  bkpr --pool-id calc --foreground --debug start\n";

typedef struct args {
    const char *pool_id, *config_dir, *cmd;
    int foreground, debug;
    int wait_s;             /* start: how long to wait for the workers */
    char pidfile[4200];
} args;

static void sleep_ms(int ms)
{
    nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
}

/* 1 when pid has exited (a zombie waiting for its parent counts as gone). */
static int pid_gone(pid_t pid)
{
    char path[64], buf[256];
    if (kill(pid, 0) != 0)
        return errno == ESRCH;
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *rp = strrchr(buf, ')');
    return rp && rp[1] == ' ' && rp[2] == 'Z';
}

/* Waits up to ms for the pool's lock to be free and its process gone. 1: stopped. */
static int wait_stopped(const args *a, pid_t pid, int ms)
{
    pid_t holder;
    for (int t = 0; t <= ms; t += 50) {
        if (bkp_pidfile_probe(a->pidfile, &holder) == 0 && pid_gone(pid))
            return 1;
        sleep_ms(50);
    }
    return 0;
}

static int cmd_check(const args *a)
{
    pid_t pid;
    int r = bkp_pidfile_probe(a->pidfile, &pid);
    if (r < 0) {
        fprintf(stderr, "bkpr: %s: %s\n", a->pidfile, strerror(errno));
        return 1;
    }
    if (r == 0) {
        printf("pool %s is not running\n", a->pool_id);
        return 1;
    }
    printf("%ld\n", (long)pid);
    return 0;
}

static int cmd_signal(const args *a, int sig, const char *what)
{
    pid_t pid;
    int r = bkp_pidfile_probe(a->pidfile, &pid);
    if (r <= 0 || pid <= 0) {
        fprintf(stderr, "bkpr: pool %s is not running\n", a->pool_id);
        return 1;
    }
    if (kill(pid, sig) != 0) {
        fprintf(stderr, "bkpr: pool %s (pid %ld): %s\n", a->pool_id, (long)pid, strerror(errno));
        return 1;
    }
    printf("pool %s (pid %ld): %s\n", a->pool_id, (long)pid, what);
    return 0;
}

/* 0: stopped (or was not running), 1: still running. */
static int cmd_stop(const args *a)
{
    static const struct { int sig, ms; const char *name; } steps[] = {
        { SIGTERM, STOP_TERM_MS, "TERM" }, { SIGINT, STOP_INT_MS, "INT" },
        { SIGKILL, STOP_KILL_MS, "KILL" },
    };
    pid_t pid;
    int r = bkp_pidfile_probe(a->pidfile, &pid);
    if (r < 0) {
        fprintf(stderr, "bkpr: %s: %s\n", a->pidfile, strerror(errno));
        return 1;
    }
    if (r == 0) {
        printf("pool %s is not running\n", a->pool_id);
        return 0;
    }
    if (pid <= 0) {
        fprintf(stderr, "bkpr: pool %s is running but %s holds no pid\n", a->pool_id, a->pidfile);
        return 1;
    }
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        if (kill(pid, steps[i].sig) != 0 && errno != ESRCH) {
            fprintf(stderr, "bkpr: pool %s (pid %ld): %s\n", a->pool_id, (long)pid,
                    strerror(errno));
            return 1;
        }
        if (wait_stopped(a, pid, steps[i].ms)) {
            if (i == 0)
                printf("pool %s stopped (pid %ld)\n", a->pool_id, (long)pid);
            else
                printf("pool %s stopped (pid %ld) after SIG%s\n", a->pool_id, (long)pid,
                       steps[i].name);
            return 0;
        }
        fprintf(stderr, "bkpr: pool %s (pid %ld) still running %d s after SIG%s%s\n",
                a->pool_id, (long)pid, steps[i].ms / 1000, steps[i].name,
                i + 1 < sizeof steps / sizeof steps[0] ? "; escalating" : "; giving up");
    }
    return 1;
}

/* The daemon's first fork: the caller waits on a pipe for "the pool is running" (or for
 * EOF: it failed, see the log) so that start reports the truth. Returns in the daemon
 * with *tell set; exits in the caller and the intermediate process. */
/* The starting process, after the daemon's pid came: reads the workers' first outcomes
 * (pool.h: "U NAME#N", "X NAME#N WHY") until the daemon closes the pipe or a->wait_s
 * passed, and says how the start went. Returns the exit status of `bkpr start`. */
static int await_workers(const args *a, int fd, const char *pid, const char *logpath)
{
    static char buf[16384];
    size_t len = 0;
    int eof = 0;
    if (a->wait_s == 0) {
        printf("pool %s started (pid %s, log %s)\n", a->pool_id, pid, logpath);
        return 0;
    }
    long long end = (long long)time(NULL) + a->wait_s;
    while (!eof && len < sizeof buf - 1) {
        long long left = end - (long long)time(NULL);
        struct pollfd pf = { .fd = fd, .events = POLLIN };
        if (left <= 0 || poll(&pf, 1, (int)left * 1000) == 0)
            break;
        ssize_t k = read(fd, buf + len, sizeof buf - 1 - len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            eof = 1;
        else
            len += (size_t)k;
    }
    buf[len] = '\0';
    int up = 0, failed = 0;
    for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
        if (l[0] == 'U') {
            up++;
        } else if (l[0] == 'X') {
            failed++;
            char *sp = strchr(l + 2, ' ');
            if (sp)
                *sp = '\0';
            fprintf(stderr, "bkpr: pool %s: %s cannot start: %s\n", a->pool_id, l + 2,
                    sp ? sp + 1 : "?");
        }
    }
    if (eof && !failed) {
        printf("pool %s started (pid %s, log %s); %d worker%s up\n", a->pool_id, pid, logpath,
               up, up == 1 ? "" : "s");
        return 0;
    }
    if (eof)
        fprintf(stderr, "bkpr: pool %s (pid %s) runs, but %d worker%s cannot start (%d up); "
                "see %s\n", a->pool_id, pid, failed, failed == 1 ? "" : "s", up, logpath);
    else
        fprintf(stderr, "bkpr: pool %s (pid %s) runs, but not every worker was up after %d s "
                "(%d up%s%d cannot start): is its bus reachable? see %s\n", a->pool_id, pid,
                a->wait_s, up, ", ", failed, logpath);
    return 1;
}

static void daemonize(const args *a, const char *logpath, int *tell)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        fprintf(stderr, "bkpr: pipe: %s\n", strerror(errno));
        exit(1);
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "bkpr: fork: %s\n", strerror(errno));
        exit(1);
    }
    if (pid > 0) {
        close(p[1]);
        char b[32] = "";
        size_t len = 0;
        ssize_t k = 0;
        /* the pid, up to its newline, one byte at a time: what follows is await_workers' */
        while (len < sizeof b - 1 && (k = read(p[0], b + len, 1)) == 1 && b[len] != '\n')
            len++;
        if (k == 1 && b[len] == '\n') {
            b[len] = '\0';
            int st = await_workers(a, p[0], b, logpath);
            fflush(NULL);
            _exit(st);
        }
        fprintf(stderr, "bkpr: pool %s did not start; see %s\n", a->pool_id, logpath);
        _exit(1);
    }
    close(p[0]);
    setsid();
    pid = fork();
    if (pid < 0)
        _exit(1);
    if (pid > 0)
        _exit(0);
    if (chdir("/") != 0)
        _exit(1);
    int nul = open("/dev/null", O_RDWR);
    if (nul >= 0) {
        dup2(nul, 0);
        dup2(nul, 1);
        if (nul > 2)
            close(nul);
    }
    /* what a worker prints (a sanitizer report, a module's printf) lands in the log */
    if (bkp_plog_fd() >= 0)
        dup2(bkp_plog_fd(), 2);
    bkp_plog_stderr(0);
    *tell = p[1];
}

static int cmd_start(const args *a)
{
    char err[512], logbuf[4200];
    bk_pool_config *pc = NULL;
    bk_bus_config *bus = NULL;
    int rc = 1, pidfd = -1, tell = -1;
    pid_t running, stale;
    if (bk_pool_config_load(&pc, a->config_dir, a->pool_id, err, sizeof err) != 0 ||
        bk_bus_config_load(&bus, a->config_dir, bk_pool_config_bus_id(pc), err, sizeof err) != 0) {
        fprintf(stderr, "bkpr: %s\n", err);
        goto out;
    }
    /* workers that read bus.config.json themselves (the Router, for its frontend buses)
     * read the one this pool came from */
    setenv("BEEKEEPER_CONFIG_DIR", bk_pool_config_dir(pc), 1);
    const char *logpath = bk_pool_config_log_file(pc);
    if (!logpath) {
        if (bkp_run_path(logbuf, sizeof logbuf, a->pool_id, "log", err, sizeof err) != 0) {
            fprintf(stderr, "bkpr: %s\n", err);
            goto out;
        }
        logpath = logbuf;
    }
    int r = bkp_pidfile_lock(a->pidfile, &pidfd, &running, &stale, err, sizeof err);
    if (r < 0) {
        fprintf(stderr, "bkpr: %s\n", err);
        goto out;
    }
    if (r > 0) {
        if (running > 0)
            fprintf(stderr, "bkpr: pool %s is running (pid %ld)\n", a->pool_id, (long)running);
        else
            fprintf(stderr, "bkpr: pool %s is running (%s is locked)\n", a->pool_id, a->pidfile);
        goto out;
    }
    if (bkp_plog_open(logpath, a->foreground, err, sizeof err) != 0) {
        fprintf(stderr, "bkpr: log file %s\n", err);
        goto out;
    }
    bk_log_set_level(a->debug ? BK_LOG_DEBUG : BK_LOG_INFO);
    if (!a->foreground)
        daemonize(a, logpath, &tell);
    if (bkp_pidfile_write(pidfd, getpid()) != 0) {
        bk_log_error("%s: %s", a->pidfile, strerror(errno));
        goto out;
    }
    if (stale > 0 && stale != getpid())
        bk_log_warn("took over the stale pid file %s (pid %ld is gone)", a->pidfile, (long)stale);
    bk_log_info("pool %s (pid %ld): pool file %s, bus file %s, pid file %s", a->pool_id,
                (long)getpid(), bk_pool_config_path(pc), bk_bus_config_path(bus), a->pidfile);
    if (tell >= 0) {
        char b[32];
        int n = snprintf(b, sizeof b, "%ld\n", (long)getpid());
        if (write(tell, b, (size_t)n) != n)
            bk_log_warn("cannot tell the starting process: %s", strerror(errno));
    }
    rc = bkp_pool_run(pc, bus, a->debug, pidfd, tell);
    tell = -1;              /* closed by bkp_pool_run */
    bk_log_info("pool %s stopped", a->pool_id);
    bkp_pidfile_write(pidfd, 0);
    pidfd = -1;   /* the lock goes with the process: "stopped" means gone */
out:
    if (tell >= 0)
        close(tell);
    if (pidfd >= 0)
        close(pidfd);
    bkp_plog_close();
    bk_bus_config_free(bus);
    bk_pool_config_free(pc);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "pool-id", required_argument, NULL, 'p' }, { "config-dir", required_argument, NULL, 'c' },
        { "foreground", no_argument, NULL, 'f' },    { "debug", no_argument, NULL, 'd' },
        { "help", no_argument, NULL, 'h' },          { "version", no_argument, NULL, 'V' },
        { "wait", required_argument, NULL, 'w' },
        { NULL, 0, NULL, 0 },
    };
    args a = { .wait_s = 15 };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': a.pool_id = optarg; break;
        case 'c': a.config_dir = optarg; break;
        case 'f': a.foreground = 1; break;
        case 'd': a.debug = 1; break;
        case 'w': {
            char *end;
            long w = strtol(optarg, &end, 10);
            if (*end || end == optarg || w < 0 || w > 3600) {
                fprintf(stderr, "bkpr: --wait expects seconds from 0 to 3600, not '%s'\n", optarg);
                return 2;
            }
            a.wait_s = (int)w;
            break;
        }
        case 'h': fputs(usage, stdout); return 0;
        case 'V': return bkp_cli_version("bkpr");
        default: return bkp_cli_misuse("bkpr", c, argv);
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "bkpr: %s (see bkpr --help)\n",
                optind == argc ? "no command given" : "one command expected");
        return 2;
    }
    a.cmd = argv[optind];
    if (!a.pool_id || !*a.pool_id) {
        fprintf(stderr, "bkpr: --pool-id ID is required (see bkpr --help)\n");
        return 2;
    }
    if (strchr(a.pool_id, '/')) {
        fprintf(stderr, "bkpr: --pool-id %s: a pool id holds no '/'\n", a.pool_id);
        return 2;
    }
    char err[512];
    if (bkp_run_path(a.pidfile, sizeof a.pidfile, a.pool_id, "pid", err, sizeof err) != 0) {
        fprintf(stderr, "bkpr: %s\n", err);
        return 1;
    }
    if (strcmp(a.cmd, "start") == 0)
        return cmd_start(&a);
    if (strcmp(a.cmd, "stop") == 0)
        return cmd_stop(&a);
    if (strcmp(a.cmd, "restart") == 0)
        return cmd_stop(&a) != 0 ? 1 : cmd_start(&a);
    if (strcmp(a.cmd, "reload") == 0)
        return cmd_signal(&a, SIGHUP, "restarting every worker gracefully");
    if (strcmp(a.cmd, "check") == 0)
        return cmd_check(&a);
    fprintf(stderr, "bkpr: unknown command %s (start, stop, restart, reload, check)\n", a.cmd);
    return 2;
}
