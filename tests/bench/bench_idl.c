/* Benchmark: bkpr-gen and the typed layer. Prints markdown table rows (no header):
 *   1. bkpr-gen on a generated 1,000-method IDL (median of 5 runs, wall time), C and --model;
 *   2. the typed encode+decode of a call's params (chat's send(room, Message)) against the
 *      same JSON built and read by hand with jansson: per call, the caller's encoding, the
 *      body's text both ways, and the worker's decoding (with the IDL checks for the typed
 *      path; the untyped path checks only the fields' types as a careful handler would);
 *   3. the same for a 10 KB string param beside a memcpy of 10 KB, and for a list of 100
 *      structs of five fields beside jansson by hand (tests/bench/bench.bkidl's types).
 * The typed rows go the way a body goes: written once with the envelope around the params,
 * copied once into the request's arena, tokenized once, decoded by the generated code.
 * B (default build) locates bkpr-gen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "beekeeper/arena.h"
#include "beekeeper/json.h"
#include "beekeeper/typed.h"
#include "bench_types.h"
#include "chat_types.h"
#include "rpc/jsonrpc.h"

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

/* The caller's side of chat send, as its stub does it: the envelope and the params written
 * once, with the generated writer for the Message. */
static char *send_body(const myapp_message *msg, size_t *len)
{
    bk_jw w;
    char *body;
    bk_call_begin(&w, "myapp.chat.send");
    bk_jw_begin_object(&w);
    bk_jw_keyn(&w, "room", 4);
    bk_jw_string(&w, "lobby");
    bk_jw_keyn(&w, "msg", 3);
    myapp_message_write(&w, msg);
    bk_jw_end_object(&w);
    return bkp_rpc_end_request(&w, "12345678-1", &body, len) == 0 ? body : NULL;
}

/* The worker's side: the body copied once into the request's arena, tokenized once, the
 * envelope read from the tokens, the params decoded by the generated decoder. */
static int recv_params(bk_arena *a, const char *body, size_t len, bkp_rpc_msg *m, bk_dec *d)
{
    char *copy = bk_arena_alloc(a, len + 1);
    char why[128];
    if (!copy)
        return -1;
    memcpy(copy, body, len);
    if (bkp_rpc_decode(m, a, copy, len, why, sizeof why) != 0)
        return -1;
    bk_dec_init(d, a, "", "params");
    d->doc = &m->doc;
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
    long sink = 0, typed_ok = 0;
    double t0 = now_ms();
    for (int i = 0; i < CALLS; i++) {
        static const bk_json_name fields[] = {BK_JSON_NAME("room"), BK_JSON_NAME("msg")};
        size_t len;
        char *body = send_body(&msg, &len);
        bkp_rpc_msg m;
        bk_dec d;
        uint32_t v[2];
        const char *room;
        myapp_message out;
        if (body && recv_params(a, body, len, &m, &d) == 0 &&
            bk_dec_object(&d, m.params, fields, 2, true, v) == 0 &&
            bk_dec_string(&d, v[0], &room) == 0 && myapp_message_read(&d, v[1], &out) == 0) {
            sink += (long)out.ts + (long)strlen(out.text) + (long)strlen(room);
            typed_ok++;
        }
        free(body);
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
    printf("| typed params encode+decode per call (chat send: room, Message; envelope "
           "included) | %.0f ns | untyped, jansson by hand: %.0f ns (typed at %.2fx)%s | typed "
           "within 20%% of untyped |\n",
           typed, untyped, typed / untyped,
           typed_ok == CALLS && sink ? "" : " (BUT the typed decoding failed)");
}

#define BLOB 10240
#define BLOB_CALLS 20000

/* A 10 KB string param, out through the generated writer and in through the generated
 * decoder, the envelope around it, as a call's body goes: beside a memcpy of 10 KB. */
static void run_blob(void)
{
    bk_arena *a;
    char *text = malloc(BLOB + 1), *dst = malloc(BLOB);
    if (!text || !dst || bk_arena_new(&a) != 0)
        return;
    for (int i = 0; i < BLOB; i++)
        text[i] = (char)('a' + i % 26);
    text[BLOB] = '\0';
    bench_blob in = {.s = text};
    long ok = 0;
    double t0 = now_ms();
    for (int i = 0; i < BLOB_CALLS; i++) {
        bk_jw w;
        char *body;
        size_t len;
        bkp_rpc_msg m;
        bk_dec d;
        bench_blob out;
        bk_call_begin(&w, "bench.svc.blob");
        bench_blob_write(&w, &in);
        if (bkp_rpc_end_request(&w, "12345678-1", &body, &len) != 0)
            continue;
        if (recv_params(a, body, len, &m, &d) == 0 && bench_blob_read(&d, m.params, &out) == 0)
            ok += strlen(out.s) == BLOB;
        free(body);
        bk_arena_reset(a);
    }
    double typed = (now_ms() - t0) * 1e3 / BLOB_CALLS;
    t0 = now_ms();
    for (int i = 0; i < BLOB_CALLS * 10; i++) {
        memcpy(dst, text, BLOB);
        __asm__ volatile("" : : "r"(dst) : "memory");
    }
    double mc = (now_ms() - t0) * 1e3 / (BLOB_CALLS * 10);
    printf("| typed encode + decode of a 10 KB string param (envelope included) | %.2f us | "
           "memcpy of 10 KB: %.2f us%s | <= 5 us |\n",
           typed, mc, ok == BLOB_CALLS ? "" : " (BUT the decoding failed)");
    bk_arena_free(a);
    free(text);
    free(dst);
}

#define ROWS 100
#define ROW_CALLS 5000

/* jansson by hand: the rows built, dumped, parsed and read back with type checks, as an
 * untyped caller and worker would. */
static long rows_by_hand(const bench_row *rows)
{
    json_t *l = json_array();
    long sum = 0;
    for (int r = 0; r < ROWS; r++) {
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(rows[r].name));
        json_object_set_new(o, "id", json_integer(rows[r].id));
        json_object_set_new(o, "score", json_real(rows[r].score));
        json_object_set_new(o, "on", json_boolean(rows[r].on));
        json_object_set_new(o, "note", json_string(rows[r].note));
        json_array_append_new(l, o);
    }
    json_t *p = json_pack("{s:o}", "rows", l);
    char *body = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    json_t *q = json_loads(body, JSON_REJECT_DUPLICATES, NULL), *v;
    free(body);
    size_t i;
    json_array_foreach(json_object_get(q, "rows"), i, v) {
        json_t *name = json_object_get(v, "name"), *id = json_object_get(v, "id"),
               *score = json_object_get(v, "score"), *on = json_object_get(v, "on"),
               *note = json_object_get(v, "note");
        if (!json_is_string(name) || !json_is_integer(id) || !json_is_number(score) ||
            !json_is_boolean(on) || !json_is_string(note))
            break;
        sum += (long)json_integer_value(id) + (long)strlen(json_string_value(note));
    }
    json_decref(q);
    return sum;
}

static void run_rows(void)
{
    bk_arena *a;
    bench_row rows[ROWS];
    char names[ROWS][16];
    if (bk_arena_new(&a) != 0)
        return;
    for (int r = 0; r < ROWS; r++) {
        snprintf(names[r], sizeof names[r], "row-%d", r);
        rows[r] = (bench_row){.name = names[r], .id = 1000 + r, .score = r * 0.25,
                              .on = r % 2, .note = "a short note"};
    }
    bench_page in = {.rows = {rows, ROWS}};
    long typed_sum = 0, hand_sum = 0;
    double t0 = now_ms();
    for (int i = 0; i < ROW_CALLS; i++) {
        bk_jw w;
        char *body;
        size_t len;
        bkp_rpc_msg m;
        bk_dec d;
        bench_page out;
        bk_call_begin(&w, "bench.svc.rows");
        bench_page_write(&w, &in);
        if (bkp_rpc_end_request(&w, "12345678-1", &body, &len) != 0)
            continue;
        if (recv_params(a, body, len, &m, &d) == 0 && bench_page_read(&d, m.params, &out) == 0)
            for (size_t r = 0; r < out.rows.count; r++)
                typed_sum += (long)out.rows.items[r].id + (long)strlen(out.rows.items[r].note);
        free(body);
        bk_arena_reset(a);
    }
    double typed = (now_ms() - t0) * 1e3 / ROW_CALLS;
    t0 = now_ms();
    for (int i = 0; i < ROW_CALLS; i++)
        hand_sum += rows_by_hand(rows);
    double hand = (now_ms() - t0) * 1e3 / ROW_CALLS;
    printf("| typed encode + decode of a list of %d structs of 5 fields (envelope included) | "
           "%.1f us | jansson by hand: %.1f us (typed %.1fx faster)%s | >= 4x faster |\n",
           ROWS, typed, hand, hand / typed,
           typed_sum == hand_sum && typed_sum ? "" : " (BUT the results differ)");
    bk_arena_free(a);
}

int main(void)
{
    bench_gen();
    bench_typed();
    run_blob();
    run_rows();
    return 0;
}
