/* What every Beekeeper program says the same way on its command line: `--version`, and an
 * option it does not know or that lacks its value. Header-only and not part of the public
 * API: the programs and examples of this tree include it; a library never prints.
 *
 * With getopt_long, start the short-option string with ':' so that getopt stays silent and
 * returns ':' for a missing value and '?' for an unknown option, and pass either to
 * bkp_cli_misuse. Exit statuses: 0 for --help and --version, 2 for bad usage. */
#ifndef BKP_CORE_CLI_H
#define BKP_CORE_CLI_H

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#ifndef BK_VERSION
#define BK_VERSION "0.1.0"
#endif

#define BKP_CLI_USAGE 2

/* "a, b, c" into buf (len bytes), for "cannot connect to bus 'X' (HOSTS): reason". */
static inline const char *bkp_cli_join(const char *const *v, size_t n, char *buf, size_t len)
{
    size_t w = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && w < len; i++) {
        int r = snprintf(buf + w, len - w, "%s%s", i ? ", " : "", v[i]);
        if (r < 0)
            break;
        w += (size_t)r;
    }
    return buf;
}

/* "PROGRAM (beekeeper) VERSION" on stdout. */
static inline int bkp_cli_version(const char *prog)
{
    printf("%s (beekeeper) %s\n", prog, BK_VERSION);
    return 0;
}

/* Writes "PROGRAM: unknown option 'OPT'" (or "option 'OPT' needs a value") and "try
 * 'PROGRAM --help'" to stderr, where opt is the argument as given; returns BKP_CLI_USAGE. */
static inline int bkp_cli_misuse_arg(const char *prog, int missing, const char *opt)
{
    size_t n = strcspn(opt, "=");
    if (missing)
        fprintf(stderr, "%s: option '%.*s' needs a value\n", prog, (int)n, opt);
    else
        fprintf(stderr, "%s: unknown option '%.*s'\n", prog, (int)n, opt);
    fprintf(stderr, "try '%s --help'\n", prog);
    return BKP_CLI_USAGE;
}

/* As above for what getopt_long just returned (c is ':' or '?'). */
static inline int bkp_cli_misuse(const char *prog, int c, char *const argv[])
{
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    char shortopt[3] = {'-', (char)optopt, '\0'};
    /* a short option, alone or in a cluster ("-xv"), is named by itself */
    if (optopt > 0 && optopt < 128 && !(arg[0] == '-' && arg[1] == '-'))
        arg = shortopt;
    return bkp_cli_misuse_arg(prog, c == ':', arg);
}

#endif
