/* callstorm: keeps W async calls of myapp.str.uc in flight until N have been answered, and
 * checks that each was answered exactly once, with the right result and no error. For
 * tests/itest_pool.sh: workers are killed and restarted while it runs.
 *   callstorm --config-dir DIR N W      exit 0: all N answered once and right; 1 otherwise */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "beekeeper/client.h"
#include "beekeeper/config.h"

typedef struct storm {
    int sent, answered, wrong, errors, inflight;
    unsigned char *seen;        /* answers per call */
    int last_code;
    char last_msg[200];
} storm;

typedef struct call {
    storm *st;
    int i;
} call;

static void on_done(bk_client *c, bk_arena *a, json_t *res, const bk_error *err, void *arg)
{
    (void)c;
    (void)a;
    call *k = arg;
    storm *st = k->st;
    char want[32];
    snprintf(want, sizeof want, "CALL%d", k->i);
    st->inflight--;
    st->answered++;
    st->seen[k->i]++;
    if (err) {
        st->errors++;
        st->last_code = err->code;
        snprintf(st->last_msg, sizeof st->last_msg, "%s", err->message ? err->message : "");
    } else if (!json_is_string(res) || strcmp(json_string_value(res), want) != 0) {
        st->wrong++;
    }
    free(k);
}

int main(int argc, char **argv)
{
    if (argc != 5 || strcmp(argv[1], "--config-dir") != 0) {
        fprintf(stderr, "usage: callstorm --config-dir DIR N WINDOW\n");
        return 2;
    }
    int n = atoi(argv[3]), w = atoi(argv[4]);
    if (n <= 0 || w <= 0) {
        fprintf(stderr, "callstorm: N and WINDOW must be positive\n");
        return 2;
    }
    char err[512];
    bk_bus_config *bc;
    if (bk_bus_config_load(&bc, argv[2], NULL, err, sizeof err) != 0) {
        fprintf(stderr, "callstorm: %s\n", err);
        return 1;
    }
    bk_client_opts o = {.timeout_ms = 30000};
    bk_bus_config_client_opts(bc, &o);
    bk_client *c;
    if (bk_client_new(&c, &o) != 0 || bk_client_connect_wait(c, 10000) != 0) {
        fprintf(stderr, "callstorm: cannot connect\n");
        return 1;
    }
    storm st = {.seen = calloc((size_t)n, 1)};
    while (st.answered < n) {
        while (st.sent < n && st.inflight < w) {
            call *k = malloc(sizeof *k);
            *k = (call){&st, st.sent};
            char s[32];
            snprintf(s, sizeof s, "call%d", st.sent);
            json_t *p = json_pack("{s:s}", "string", s);
            int rc = bk_call_async(c, "myapp.str.uc", p, NULL, on_done, k);
            json_decref(p);
            if (rc != 0) {
                free(k);
                fprintf(stderr, "callstorm: call %d not sent: %s\n", st.sent, bk_strerror(rc));
                st.errors++;
                st.answered++;
            } else {
                st.inflight++;
            }
            st.sent++;
        }
        bk_client_run_for(c, 5);
    }
    int twice = 0, never = 0;
    for (int i = 0; i < n; i++) {
        twice += st.seen[i] > 1;
        never += st.seen[i] == 0;
    }
    printf("callstorm: %d calls, %d answered, %d errors, %d wrong, %d answered twice, %d never\n",
           n, st.answered, st.errors, st.wrong, twice, never);
    if (st.errors)
        printf("callstorm: last error %d: %s\n", st.last_code, st.last_msg);
    free(st.seen);
    bk_client_free(c);
    bk_bus_config_free(bc);
    return st.errors || st.wrong || twice || never ? 1 : 0;
}
