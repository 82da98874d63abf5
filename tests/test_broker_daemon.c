/* bkpr-broker --daemon, against the real program: the paths it is given relative to the
 * directory it was started in stay relative to that directory, though a daemon changes to
 * / (the pidfile was once written as /NAME, or not at all). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "broker_fixture.h"

static long read_pid(const char *path)
{
    FILE *f = fopen(path, "r");
    long pid = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%ld", &pid) != 1)
        pid = 0;
    fclose(f);
    return pid;
}

/* Started in DIR with --pidfile and --log relative: both are in DIR; TERM removes the
 * pidfile it wrote. */
static void test_daemon_relative_paths_are_the_start_directory(void **state)
{
    (void)state;
    char dir[] = "/tmp/bk-test-daemon.XXXXXX", bin[512], cwd[400], pidf[64], logf[64];
    assert_non_null(mkdtemp(dir));
    assert_non_null(getcwd(cwd, sizeof cwd));
    const char *b = getenv("B") ? getenv("B") : "build";
    /* The child changes directory first: the program's own path must not be relative. */
    if (b[0] == '/')
        snprintf(bin, sizeof bin, "%s/bin/bkpr-broker", b);
    else
        snprintf(bin, sizeof bin, "%s/%s/bin/bkpr-broker", cwd, b);
    snprintf(pidf, sizeof pidf, "%s/rel.pid", dir);
    snprintf(logf, sizeof logf, "%s/rel.log", dir);
    int port = free_port();
    char listen[32];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    fflush(NULL);
    pid_t starter = fork();
    assert_true(starter >= 0);
    if (starter == 0) {
        if (chdir(dir) < 0)
            _exit(126);
        execl(bin, bin, "--listen", listen, "--daemon", "--pidfile", "rel.pid", "--log",
              "rel.log", (char *)NULL);
        _exit(127);
    }
    int st;
    assert_int_equal(waitpid(starter, &st, 0), starter);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);   /* the daemon's parent */
    long pid = 0;
    for (int i = 0; i < 250 && !(pid = read_pid(pidf)); i++)
        sleep_ms(20);
    if (!pid)
        fail_msg("no pidfile %s", pidf);
    g_running = (pid_t)pid;
    int fd = tcp_connect(port);
    assert_true(fd >= 0);
    close(fd);
    struct stat sb;
    assert_int_equal(stat(logf, &sb), 0);
    assert_int_equal(kill((pid_t)pid, SIGTERM), 0);
    int gone = 0;
    for (int i = 0; i < 500 && !gone; i++) {
        gone = kill((pid_t)pid, 0) < 0 && access(pidf, F_OK) < 0;
        if (!gone)
            sleep_ms(10);
    }
    assert_true(gone);
    g_running = -1;
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_daemon_relative_paths_are_the_start_directory, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
