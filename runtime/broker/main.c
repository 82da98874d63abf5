/* bkpr-broker: the embedded STOMP 1.2 broker. See doc/broker.md. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "beekeeper/error.h"
#include "broker/server.h"
#include "core/cli.h"

static const char usage[] =
    "usage: bkpr-broker [--listen HOST:PORT]... [--config FILE] [--daemon --pidfile FILE]\n"
    "                   [--listen-tls HOST:PORT]... [--tls-cert FILE] [--tls-key FILE]\n"
    "                   [--tls-client-ca FILE] [--log FILE] [-v|--verbose] [-q|--quiet]\n"
    "       bkpr-broker --hash-password < PASSWORD\n"
    "\n"
    "The embedded STOMP 1.0/1.1/1.2 broker of Beekeeper: queues, topics with * and #\n"
    "wildcards, private temp queues, vhosts, users and permissions. It keeps nothing on disk.\n"
    "\n"
    "  --listen HOST:PORT  address to listen on (numeric; repeatable); default 127.0.0.1:61613\n"
    "                      unless --listen-tls is given\n"
    "  --listen-tls HOST:PORT  address to listen on with TLS (numeric; repeatable)\n"
    "  --tls-cert FILE     the TLS listeners' certificate chain (PEM)\n"
    "  --tls-key FILE      its private key (PEM); default: in the --tls-cert file\n"
    "  --tls-client-ca FILE  TLS clients must show a certificate signed by a CA of FILE\n"
    "  --hash-password     read a password from standard input, print its hash for the\n"
    "                      users file (\"password\": \"$argon2id$...\"), and exit\n"
    "  --config FILE       relaxed-JSON configuration: users, permissions, limits (doc/broker.md);\n"
    "                      without one, any login is accepted\n"
    "  --daemon            run in the background (needs --pidfile)\n"
    "  --pidfile FILE      write the process id here\n"
    "  --log FILE          append log lines to FILE instead of standard error\n"
    "  -v, --verbose       log every refused or dropped client (twice: more)\n"
    "  -q, --quiet         log only failures of the broker itself\n"
    "  -h, --help          this text\n"
    "  --version           the version\n"
    "\n"
    "TERM or INT: stop accepting, send every client an ERROR \"broker shutting down\", exit 0.\n"
    "\n"
    "Examples:\n"
    "  bkpr-broker --config broker.json\n"
    "  bkpr-broker --listen 127.0.0.1:0   any free port, named in the \"listening on\" line\n";

/* --hash-password: the hash of the first line of standard input. */
static int hash_password(void)
{
    char pw[1024], hash[256];
    if (!fgets(pw, sizeof pw, stdin)) {
        fprintf(stderr, "bkpr-broker: --hash-password reads the password from standard input\n");
        return 2;
    }
    pw[strcspn(pw, "\r\n")] = '\0';
    if (!*pw) {
        fprintf(stderr, "bkpr-broker: the password is empty\n");
        return 2;
    }
    int rc = brk_auth_hash_password(pw, hash, sizeof hash);
    memset(pw, 0, sizeof pw);
    if (rc < 0) {
        fprintf(stderr, "bkpr-broker: cannot hash: %s\n", bk_strerror(rc));
        return 1;
    }
    puts(hash);
    return 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    brk_broker *b = arg;
    brk_broker_log(b, 0, "signal %d: shutting down", (int)sig);
    brk_broker_stop(b);
}

/* path made absolute against the working directory, in buf: --daemon changes to / before
 * the pidfile is written (and removed at exit). path itself when it is absolute already,
 * NULL when it does not fit or the working directory is unknown. */
static const char *absolute(const char *path, char *buf, size_t n)
{
    if (path[0] == '/')
        return path;
    if (!getcwd(buf, n))
        return NULL;
    size_t len = strlen(buf);
    if ((size_t)snprintf(buf + len, n - len, "/%s", path) >= n - len)
        return NULL;
    return buf;
}

static int daemonize(struct event_base *base)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0)
        _exit(0);
    setsid();
    if (event_reinit(base) < 0)
        return -1;
    if (chdir("/") < 0)
        return -1;
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        if (fcntl(2, F_GETFD) < 0 || isatty(2))
            dup2(fd, 2);
        if (fd > 2)
            close(fd);
    }
    return 0;
}

static int write_pidfile(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "%ld\n", (long)getpid());
    return fclose(f);
}

int main(int argc, char **argv)
{
    enum { OPT_CONFIG = 256, OPT_DAEMON, OPT_PIDFILE, OPT_LOG, OPT_VERSION, OPT_LISTEN_TLS,
           OPT_TLS_CERT, OPT_TLS_KEY, OPT_TLS_CLIENT_CA, OPT_HASH };
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'}, {"config", required_argument, NULL, OPT_CONFIG},
        {"daemon", no_argument, NULL, OPT_DAEMON}, {"pidfile", required_argument, NULL, OPT_PIDFILE},
        {"log", required_argument, NULL, OPT_LOG}, {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {"listen-tls", required_argument, NULL, OPT_LISTEN_TLS},
        {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
        {"tls-key", required_argument, NULL, OPT_TLS_KEY},
        {"tls-client-ca", required_argument, NULL, OPT_TLS_CLIENT_CA},
        {"hash-password", no_argument, NULL, OPT_HASH}, {NULL, 0, NULL, 0},
    };
    const char *listen[64], *config = NULL, *pidfile = NULL, *logfile = NULL;
    const char *listen_tls[64], *tls_cert = NULL, *tls_key = NULL, *tls_client_ca = NULL;
    size_t nlisten = 0, nlisten_tls = 0;
    int daemon = 0, verbose = 0, c;
    while ((c = getopt_long(argc, argv, ":l:vqh", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (nlisten == 64) {
                fprintf(stderr, "bkpr-broker: at most 64 --listen addresses\n");
                return 2;
            }
            listen[nlisten++] = optarg;
            break;
        case OPT_LISTEN_TLS:
            if (nlisten_tls == 64) {
                fprintf(stderr, "bkpr-broker: at most 64 --listen-tls addresses\n");
                return 2;
            }
            listen_tls[nlisten_tls++] = optarg;
            break;
        case OPT_TLS_CERT: tls_cert = optarg; break;
        case OPT_TLS_KEY: tls_key = optarg; break;
        case OPT_TLS_CLIENT_CA: tls_client_ca = optarg; break;
        case OPT_HASH: return hash_password();
        case OPT_CONFIG: config = optarg; break;
        case OPT_DAEMON: daemon = 1; break;
        case OPT_PIDFILE: pidfile = optarg; break;
        case OPT_LOG: logfile = optarg; break;
        case 'v': verbose++; break;
        case 'q': verbose = -1; break;
        case 'h': fputs(usage, stdout); return 0;
        case OPT_VERSION: return bkp_cli_version("bkpr-broker");
        default: return bkp_cli_misuse("bkpr-broker", c, argv);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "bkpr-broker: unexpected argument '%s'\ntry 'bkpr-broker --help'\n",
                argv[optind]);
        return 2;
    }
    if (daemon && !pidfile) {
        fprintf(stderr, "bkpr-broker: --daemon needs --pidfile FILE\n");
        return 2;
    }
    /* Every other path is opened before the chdir: the log and the config below. */
    char pidpath[4096];
    const char *given = pidfile;
    errno = 0;
    if (given && !(pidfile = absolute(given, pidpath, sizeof pidpath))) {
        fprintf(stderr, "bkpr-broker: cannot resolve --pidfile %s: %s\n", given,
                errno ? strerror(errno) : "path too long");
        return 1;
    }
    if (logfile && !freopen(logfile, "a", stderr)) {
        fprintf(stdout, "bkpr-broker: cannot open log file %s: %s\n", logfile, strerror(errno));
        return 1;
    }
    setvbuf(stderr, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    brk_raise_fd_limit();

    int rc = 1;
    char err[512];
    struct event_base *base = event_base_new();
    brk_broker *b = NULL;
    struct event *sig_term = NULL, *sig_int = NULL;
    if (!base || brk_broker_new(&b, base) < 0) {
        fprintf(stderr, "bkpr-broker: out of memory\n");
        goto out;
    }
    b->verbose = verbose;
    if (config && brk_broker_load_config(b, config, err, sizeof err) < 0) {
        fprintf(stderr, "bkpr-broker: %s\n", err);
        goto out;
    }
    /* The command line wins over the file, listener kind by kind and file by file. */
    if (nlisten == 0 && nlisten_tls == 0 && b->nlisten) {
        for (size_t i = 0; i < b->nlisten; i++)
            listen[i] = b->listen[i];
        nlisten = b->nlisten;
    }
    if (nlisten_tls == 0 && b->nlisten_tls) {
        for (size_t i = 0; i < b->nlisten_tls; i++)
            listen_tls[i] = b->listen_tls[i];
        nlisten_tls = b->nlisten_tls;
    }
    tls_cert = tls_cert ? tls_cert : b->tls_cert;
    tls_key = tls_key ? tls_key : b->tls_key;
    tls_client_ca = tls_client_ca ? tls_client_ca : b->tls_client_ca;
    if (nlisten == 0 && nlisten_tls == 0)
        listen[nlisten++] = "127.0.0.1:61613";
    if (brk_broker_listen(b, listen, nlisten, err, sizeof err) < 0 ||
        (nlisten_tls && brk_broker_listen_tls(b, listen_tls, nlisten_tls, tls_cert, tls_key,
                                              tls_client_ca, err, sizeof err) < 0)) {
        fprintf(stderr, "bkpr-broker: %s\n", err);
        goto out;
    }
    /* The bound addresses, not the ones asked for: with port 0 this line is how a caller
     * learns the port (doc/broker.md). */
    char line[1024] = "";
    for (size_t i = 0; i < nlisten + nlisten_tls; i++) {
        char addr[128];
        if (brk_broker_bound(b, i, addr, sizeof addr) < 0)
            snprintf(addr, sizeof addr, "%s", i < nlisten ? listen[i] : listen_tls[i - nlisten]);
        snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s%s", i ? ", " : "", addr,
                 i < nlisten ? "" : " (tls)");
    }
    if (b->have_users)
        fprintf(stderr, "bkpr-broker: listening on %s; %zu users from %s\n", line, b->users.len,
                config);
    else
        fprintf(stderr, "bkpr-broker: listening on %s; any login is accepted\n", line);
    if (daemon && daemonize(base) < 0) {
        fprintf(stderr, "bkpr-broker: cannot daemonize: %s\n", strerror(errno));
        goto out;
    }
    if (pidfile && write_pidfile(pidfile) < 0) {
        fprintf(stderr, "bkpr-broker: cannot write %s: %s\n", pidfile, strerror(errno));
        goto out;
    }
    sig_term = evsignal_new(base, SIGTERM, on_signal, b);
    sig_int = evsignal_new(base, SIGINT, on_signal, b);
    if (!sig_term || !sig_int || event_add(sig_term, NULL) < 0 || event_add(sig_int, NULL) < 0) {
        fprintf(stderr, "bkpr-broker: cannot install signal handlers\n");
        goto out;
    }
    event_base_dispatch(base);
    if (b->dropped)
        brk_broker_log(b, 0, "%llu topic messages were dropped for slow consumers",
                       (unsigned long long)b->dropped);
    rc = 0;
out:
    if (pidfile && rc == 0)
        unlink(pidfile);
    if (sig_term)
        event_free(sig_term);
    if (sig_int)
        event_free(sig_int);
    brk_broker_free(b);
    if (base)
        event_base_free(base);
    libevent_global_shutdown();
    return rc;
}
