/* Benchmark: bkpr-gen and the typed layer. Prints markdown table rows (no header):
 *   1. bkpr-gen on a generated 1,000-method IDL (median of 5 runs, wall time), C and --model;
 *   2. the typed encode+decode of a call's params (chat's send(room, Message)) against the
 *      same JSON built and read by hand with jansson: per call, the caller's encoding, the
 *      body's text both ways, and the worker's decoding (with the IDL checks for the typed
 *      path; the untyped path checks only the fields' types as a careful handler would).
 * B (default build) locates bkpr-gen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "beekeeper/arena.h"
#include "beekeeper/typed.h"
#include "chat_types.h"

#define RUNS 5
#define CALLS 100000

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double run_gen(const char *gen, const char *dir, const char *file, int model)
{
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(127);
        if (model)
            execl(gen, gen, "--model", file, (char *)NULL);
        else
            execl(gen, gen, "-o", dir, file, (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? now_ms() - t0 : -1;
}

static void bench_gen(void)
{
    const char *b = getenv("B") ? getenv("B") : "build";
    char gen[256], dir[] = "/tmp/bk-bench-idl.XXXXXX", file[300];
    snprintf(gen, sizeof gen, "%s/bin/bkpr-gen", b);
    if (!mkdtemp(dir))
        return;
    snprintf(file, sizeof file, "%s/big.bkidl", dir);
    FILE *f = fopen(file, "w");
    if (!f)
        return;
    fprintf(f, "namespace big;\nstruct Item { string name; int n = 0; optional string note; "
               "list<string> tags; }\nerror Nope = 1001 \"nope\";\nservice big.svc {\n");
    for (int i = 0; i < 1000; i++)
        switch (i % 4) {
        case 0: fprintf(f, "    /** Method %d. */\n    method m%d(string s, int n) -> string;\n", i, i); break;
        case 1: fprintf(f, "    method m%d(Item item) -> list<Item> throws Nope;\n", i); break;
        case 2: fprintf(f, "    method m%d(list<string> l, map<int> m) -> map<Item>;\n", i); break;
        default: fprintf(f, "    oneway method m%d(string line);\n", i); break;
        }
    fprintf(f, "}\n");
    fclose(f);
    double c[RUNS], m[RUNS];
    int ok = 1;
    for (int i = 0; i < RUNS && ok; i++) {
        c[i] = run_gen(gen, dir, file, 0);
        m[i] = run_gen(gen, dir, file, 1);
        ok = c[i] >= 0 && m[i] >= 0;
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        perror("rm");
    if (!ok) {
        printf("| bkpr-gen, generated 1,000-method IDL | not run (%s failed) | | |\n", gen);
        return;
    }
    qsort(c, RUNS, sizeof c[0], cmp_d);
    qsort(m, RUNS, sizeof m[0], cmp_d);
    printf("| bkpr-gen, generated 1,000-method IDL (C for both sides) | %.0f ms (median of %d) | "
           "--model alone: %.0f ms | under 200 ms |\n", c[RUNS / 2], RUNS, m[RUNS / 2]);
}

/* The untyped worker's reading of the same params, checking types as it goes. */
static int read_by_hand(json_t *p, const char **room, const char **text, json_int_t *ts)
{
    json_t *msg = json_object_get(p, "msg");
    json_t *r = json_object_get(p, "room"), *from = json_object_get(msg, "from"),
           *t = json_object_get(msg, "text"), *jts = json_object_get(msg, "ts"),
           *tags = json_object_get(msg, "tags"), *counts = json_object_get(msg, "counts");
    if (!json_is_string(r) || !json_is_object(msg) || !json_is_string(from) || !json_is_string(t) ||
        (jts && !json_is_integer(jts)) || !json_is_array(tags) || !json_is_object(counts))
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach(tags, i, v)
        if (!json_is_string(v))
            return -1;
    const char *k;
    json_object_foreach(counts, k, v)
        if (!json_is_integer(v))
            return -1;
    *room = json_string_value(r);
    *text = json_string_value(t);
    *ts = jts ? json_integer_value(jts) : 0;
    return 0;
}

static void bench_typed(void)
{
    bk_arena *a;
    if (bk_arena_new(&a) != 0)
        return;
    const char *tags[] = {"a", "b", "c"};
    const char *keys[] = {"x", "y"};
    int64_t vals[] = {1, 2};
    common_stamp at = {.ms = 1764000000000, .zone = "UTC"};
    myapp_message msg = {.from = "ann", .text = "hello, world: a chat message of some length",
                         .ts = 1764000000, .tags = {tags, 3}, .counts = {keys, vals, 2},
                         .level = MYAPP_LEVEL_MEDIUM, .at = &at};
    (void)at;
    long sink = 0, typed_ok = 0;
    double t0 = now_ms();
    for (int i = 0; i < CALLS; i++) {
        json_t *p = json_object();
        json_object_set_new(p, "room", json_string("lobby"));
        json_object_set_new(p, "msg", myapp_message_encode(&msg));
        char *body = json_dumps(p, JSON_COMPACT);
        json_decref(p);
        json_t *q = json_loads(body, 0, NULL);
        free(body);
        bk_dec d;
        bk_dec_init(&d, a, "", "params");
        myapp_message out;
        if (myapp_message_decode(&d, json_object_get(q, "msg"), &out) == 0) {
            sink += (long)out.ts + (long)strlen(out.text);
            typed_ok++;
        }
        json_decref(q);
        bk_arena_reset(a);
    }
    double typed = (now_ms() - t0) * 1e6 / CALLS;
    t0 = now_ms();
    for (int i = 0; i < CALLS; i++) {
        json_t *p = json_pack("{s:s,s:{s:s,s:s,s:I,s:[sss],s:{s:I,s:I},s:s,s:{s:I,s:s}}}", "room", "lobby",
                              "msg", "from", msg.from, "text", msg.text, "ts", (json_int_t)msg.ts,
                              "tags", "a", "b", "c", "counts", "x", (json_int_t)1, "y",
                              (json_int_t)2, "level", "MEDIUM", "at", "ms", (json_int_t)1764000000000, "zone", "UTC");
        char *body = json_dumps(p, JSON_COMPACT);
        json_decref(p);
        json_t *q = json_loads(body, 0, NULL);
        free(body);
        const char *room, *text;
        json_int_t ts;
        if (read_by_hand(q, &room, &text, &ts) == 0)
            sink += (long)ts + (long)strlen(text);
        json_decref(q);
    }
    double untyped = (now_ms() - t0) * 1e6 / CALLS;
    bk_arena_free(a);
    printf("| typed params encode+decode per call (chat send: room, Message) | %.0f ns | untyped, "
           "jansson by hand: %.0f ns (typed at %.2fx)%s | typed within 20%% of untyped |\n",
           typed, untyped, typed / untyped,
           typed_ok == CALLS && sink ? "" : " (BUT the typed decoding failed)");
}

int main(void)
{
    bench_gen();
    bench_typed();
    return 0;
}
