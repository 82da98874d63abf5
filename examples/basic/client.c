/* basic-client STRING...: calls myapp.str.uc for each STRING and prints the results, through
 * the stub bkpr-gen generates from examples/basic/basic.bkidl.
 * Options: --config-dir DIR, --timeout MS. Exit status 0 when every call succeeded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "myapp_str.h" /* generated from basic.bkidl */
#include "../common/busconf.h"

int main(int argc, char **argv)
{
    int i = 1, timeout = 5000, status = 0;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (i + 1 >= argc)
            break;
        if (strcmp(argv[i], "--config-dir") == 0)
            setenv("BEEKEEPER_CONFIG_DIR", argv[i + 1], 1);
        else if (strcmp(argv[i], "--timeout") == 0)
            timeout = atoi(argv[i + 1]);
        else
            break;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: %s [--config-dir DIR] [--timeout MS] STRING...\n", argv[0]);
        return 2;
    }
    busconf bc;
    if (busconf_load(&bc, "examples/basic/config", NULL) != 0)
        return 1;
    bk_client *c;
    int rc = bk_client_new(&c, &bc.opts);
    if (rc == 0)
        rc = bk_client_connect_wait(c, timeout);
    if (rc) {
        fprintf(stderr, "basic-client: cannot connect to %s: %s\n", bc.opts.hosts[0],
                bk_strerror(rc));
        bk_client_free(c);
        busconf_free(&bc);
        return 1;
    }
    bk_arena *a;
    if (bk_arena_new(&a) != 0)
        return 1;
    for (; i < argc; i++) {
        const char *res;
        bk_error err;
        rc = myapp_str_uc(c, &(bk_call_opts){ .timeout_ms = timeout }, a, argv[i], &res, &err);
        if (rc) {
            fprintf(stderr, "basic-client: %s: error %d: %s\n", argv[i], err.code, err.message);
            status = 1;
        } else {
            printf("%s\n", res);
        }
    }
    bk_arena_free(a);
    bk_client_free(c);
    busconf_free(&bc);
    return status;
}
