/* The shared cache against a real broker (BK_TEST_*; skipped without one): several members in
 * one process, each on a client of its own, all on one event_base, as members in several
 * processes would be but without their scheduling in the way. Updates that no member of ours
 * would send (conflicts, ties, garbage) are written on the wire by a raw client, in the shape
 * doc/protocol.md "Shared cache" gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "beekeeper/cache.h"
#include "beekeeper/client.h"
#include "beekeeper/error.h"
#include "rpc/bus.h"
#include "itest_env.h"

#define MAXM 4

typedef struct fixture {
    struct event_base *base;
    bk_client *cl[MAXM + 1];    /* the last one is the raw client */
    bk_cache *m[MAXM];
    int nm;
    char id[64];
    int updates[MAXM], remote_updates[MAXM], synced[MAXM], got_dump[MAXM];
} fixture;

static fixture F;

static void on_update(bk_cache *c, const char *key, json_t *value, int remote, void *arg)
{
    (void)c;
    (void)key;
    (void)value;
    int i = (int)(intptr_t)arg;
    F.updates[i]++;
    F.remote_updates[i] += remote;
}

static void on_synced(bk_cache *c, int got_dump, void *arg)
{
    (void)c;
    int i = (int)(intptr_t)arg;
    F.synced[i]++;
    F.got_dump[i] = got_dump;
}

static bk_client *client(void)
{
    bk_client_opts o = bkt_client_opts();
    o.base = F.base;
    bk_client *c = NULL;
    assert_int_equal(bk_client_new(&c, &o), 0);
    assert_int_equal(bk_client_connect_wait(c, 10000), 0);
    return c;
}

/* Member i, with o's options (id, clients and hooks filled here). */
static bk_cache *member(int i, bk_cache_opts o)
{
    if (!F.cl[i])
        F.cl[i] = client();
    o.id = F.id;
    o.clients = &F.cl[i];
    o.nclients = 1;
    o.on_update = on_update;
    o.on_synced = on_synced;
    o.arg = (void *)(intptr_t)i;
    if (!o.dump_wait_ms)
        o.dump_wait_ms = 400;
    if (!o.tombstone_ms)
        o.tombstone_ms = 60000;
    assert_int_equal(bk_cache_new(&F.m[i], &o), 0);
    if (i >= F.nm)
        F.nm = i + 1;
    return F.m[i];
}

static int setup(void **st)
{
    (void)st;
    memset(&F, 0, sizeof F);
    F.base = event_base_new();
    snprintf(F.id, sizeof F.id, "t%06d", rand() % 1000000);
    return F.base ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    for (int i = 0; i < MAXM; i++)
        bk_cache_free(F.m[i]);
    for (int i = 0; i <= MAXM; i++)
        bk_client_free(F.cl[i]);
    event_base_free(F.base);
    return 0;
}

static void run(int ms)
{
    bk_client_run_for(F.cl[0], ms);
}

/* The text of key's value in member i ("-" when it has none). */
static char *text_of(int i, const char *key)
{
    json_t *v = NULL;
    if (bk_cache_get(F.m[i], key, &v) != 0)
        return strdup("-");
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
}

/* Runs the loop until every member has want for key (up to 10 s); 1 when they all do. */
static int converge(const char *key, const char *want)
{
    for (int tries = 0; tries < 200; tries++) {
        int ok = 1;
        for (int i = 0; i < F.nm && ok; i++) {
            if (!F.m[i])
                continue;
            char *t = text_of(i, key);
            ok = strcmp(t, want) == 0;
            free(t);
        }
        if (ok)
            return 1;
        run(50);
    }
    for (int i = 0; i < F.nm; i++)
        if (F.m[i]) {
            char *t = text_of(i, key);
            print_error("member %d has %s = %s, not %s\n", i, key, t, want);
            free(t);
        }
    return 0;
}

/* A raw update, as any member of the cluster (ours or 0.02's) could write it. */
static void raw(const char *body)
{
    if (!F.cl[MAXM])
        F.cl[MAXM] = client();
    char topic[256];
    snprintf(topic, sizeof topic, "/topic/msg.%s._sync.%s.set", bkt.cluster, F.id);
    assert_int_equal(bkp_bus_send(bkp_bus_of(F.cl[MAXM]), topic, NULL, 0, body, strlen(body), 0),
                     0);
}

/* The first member finds nobody and serves; the next ones get its dump. */
static void three_members(void)
{
    member(0, (bk_cache_opts){ 0 });
    assert_int_equal(bk_cache_wait_synced(F.m[0], 10000), 0);
    assert_int_equal(F.got_dump[0], 0);
    member(1, (bk_cache_opts){ 0 });
    member(2, (bk_cache_opts){ 0 });
    assert_int_equal(bk_cache_wait_synced(F.m[1], 10000), 0);
    assert_int_equal(bk_cache_wait_synced(F.m[2], 10000), 0);
}

static void three_members_converge_on_sets_and_deletes(void **st)
{
    (void)st;
    BKT_NEED_BROKER();
    three_members();
    assert_int_equal(F.got_dump[1], 1);
    assert_int_equal(F.got_dump[2], 1);
    assert_int_equal(bk_cache_set_new(F.m[0], "a", json_pack("{s:i}", "n", 1)), 0);
    assert_int_equal(bk_cache_set_new(F.m[1], "b", json_string("bee")), 0);
    assert_true(converge("a", "{\"n\":1}"));
    assert_true(converge("b", "\"bee\""));
    assert_int_equal(bk_cache_set_new(F.m[2], "a", json_integer(2)), 0);
    assert_true(converge("a", "2"));
    assert_int_equal(bk_cache_delete(F.m[1], "a"), 0);
    assert_true(converge("a", "-"));
    assert_int_equal(bk_cache_set_new(F.m[0], "b", json_null()), 0); /* null deletes too */
    assert_true(converge("b", "-"));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(bk_cache_count(F.m[i]), 0);
        assert_int_equal(F.synced[i], 1);
    }
    /* Each member heard its own changes from the loop, and the others' from the bus. */
    assert_int_equal(F.updates[0] - F.remote_updates[0], 2);
    assert_int_equal(F.remote_updates[0], 3);
}

/* The order of states is the same everywhere, whatever order the updates come in: the
 * higher version, then the later time, then (ours) the higher JSON text. */
static void conflicts_are_settled_alike_by_every_member(void **st)
{
    (void)st;
    BKT_NEED_BROKER();
    three_members();
    raw("[\"v\",\"high\",6,100.0,\"1-00000001\"]");
    raw("[\"v\",\"low\",5,900.0,\"1-00000002\"]");
    raw("[\"t\",\"new\",3,200.5,\"1-00000001\"]");
    raw("[\"t\",\"old\",3,100.25,\"1-00000002\"]");
    raw("[\"z\",\"b\",3,100.0,\"1-00000001\"]");
    raw("[\"z\",\"a\",3,100.0,\"1-00000002\"]");
    assert_true(converge("v", "\"high\""));
    assert_true(converge("t", "\"new\""));
    assert_true(converge("z", "\"b\""));
    /* A set of ours after them goes one version up and wins everywhere. */
    assert_int_equal(bk_cache_set_new(F.m[1], "v", json_string("mine")), 0);
    assert_true(converge("v", "\"mine\""));
    bk_cache_stats s;
    assert_int_equal(bk_cache_stats_get(F.m[2], &s), 0);
    assert_true(s.stale >= 3);
    assert_int_equal(s.dropped, 0);
}

/* A member that comes after the changes gets them all in its dump. */
static void a_late_member_gets_the_dump(void **st)
{
    (void)st;
    BKT_NEED_BROKER();
    three_members();
    for (int k = 0; k < 50; k++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", k);
        assert_int_equal(bk_cache_set_new(F.m[k % 3], key, json_integer(k)), 0);
    }
    assert_int_equal(bk_cache_delete(F.m[0], "k7"), 0);
    assert_true(converge("k49", "49"));
    assert_true(converge("k7", "-"));
    member(3, (bk_cache_opts){ .dump_wait_ms = 5000 });
    assert_int_equal(bk_cache_synced(F.m[3]), 0);
    assert_int_equal(bk_cache_wait_synced(F.m[3], 10000), 0);
    assert_int_equal(F.got_dump[3], 1);
    assert_int_equal(bk_cache_count(F.m[3]), 49);
    char *t = text_of(3, "k7");
    assert_string_equal(t, "-");
    free(t);
    t = text_of(3, "k12");
    assert_string_equal(t, "12");
    free(t);
}

/* An entry nobody touches goes after max_age on every member; one that is touched stays. */
static void max_age_drops_what_is_not_touched(void **st)
{
    (void)st;
    BKT_NEED_BROKER();
    member(0, (bk_cache_opts){ .max_age_ms = 800 });
    assert_int_equal(bk_cache_wait_synced(F.m[0], 10000), 0);
    member(1, (bk_cache_opts){ 0 }); /* no max_age of its own: it hears the deletes */
    assert_int_equal(bk_cache_wait_synced(F.m[1], 10000), 0);
    assert_int_equal(bk_cache_touch(F.m[1], "x"), BK_ENOTFOUND);
    assert_int_equal(bk_cache_set_new(F.m[1], "gone", json_true()), 0);
    assert_int_equal(bk_cache_set_new(F.m[1], "kept", json_true()), 0);
    assert_int_equal(bk_cache_touch(F.m[1], "kept"), BK_ESTATE);
    assert_true(converge("kept", "true"));
    for (int k = 0; k < 12; k++) { /* 2.4 s, three times max_age */
        assert_int_equal(bk_cache_touch(F.m[0], "kept"), 0);
        run(200);
    }
    assert_true(converge("gone", "-"));
    assert_true(converge("kept", "true"));
}

/* The table goes to the file on free, mode 0600, and comes back from it. */
static void persist_saves_with_mode_0600_and_loads(void **st)
{
    (void)st;
    BKT_NEED_BROKER();
    char dir[] = "/tmp/bk-cache.XXXXXX", path[128];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/sessions.json", dir);
    umask(022);
    member(0, (bk_cache_opts){ .persist = path });
    assert_int_equal(bk_cache_save(F.m[0]), BK_ESTATE);   /* not synced yet */
    assert_int_equal(bk_cache_wait_synced(F.m[0], 10000), 0);
    assert_int_equal(bk_cache_set_new(F.m[0], "tok", json_string("secret")), 0);
    assert_int_equal(bk_cache_set_new(F.m[0], "n", json_integer(7)), 0);
    assert_int_equal(bk_cache_delete(F.m[0], "n"), 0);
    bk_cache_free(F.m[0]);
    F.m[0] = NULL;
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    snprintf(F.id, sizeof F.id, "t%06d", rand() % 1000000); /* a cluster of nobody */
    member(1, (bk_cache_opts){ .persist = path });
    char *t = text_of(1, "tok");   /* loaded before any dump */
    assert_string_equal(t, "\"secret\"");
    free(t);
    t = text_of(1, "n");
    assert_string_equal(t, "-");
    free(t);
    assert_int_equal(F.updates[1], 0); /* a loaded table is not reported */
    bk_cache_free(F.m[1]);
    F.m[1] = NULL;
    unlink(path);
    rmdir(dir);
}

/* Garbage on the topic and the dump queue is dropped and counted, and the members go on. */
static void hostile_updates_are_dropped_and_counted(void **st)
{
    (void)st;
    BKT_NEED_BROKER();
    member(0, (bk_cache_opts){ .max_entry_bytes = 1024 });
    assert_int_equal(bk_cache_wait_synced(F.m[0], 10000), 0);
    static const char *const bad[] = {
        "", "not json", "{}", "[]", "[1,2,3,4,5]", "[\"k\",1,\"v\",1.0,\"u\"]",
        "[\"k\",1,0,1.0,\"u\"]", "[\"k\",1,-4,1.0,\"u\"]", "[\"k\",1,1,\"t\",\"u\"]",
        "[\"k\",1,1,1.0,7]", "[\"k\",1,1,1.0]", "[\"k\",1,4611686018427387905,1.0,\"u\"]",
        "[\"k\",1,1,1.0,\"u\",6]", "{\"uid\":\"x\",\"dump\":[]}", "[\"k\\u0000\",1,1,1.0,\"u\"]",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    };
    size_t nbad = sizeof bad / sizeof bad[0];
    for (size_t i = 0; i < nbad; i++)
        raw(bad[i]);
    char *big = malloc(4096);
    snprintf(big, 4096, "[\"big\",\"%0*d\",1,1.0,\"u\"]", 2000, 0);
    raw(big);
    free(big);
    /* A dump request with nowhere to answer. */
    char q[256];
    snprintf(q, sizeof q, "/queue/req.%s._sync.%s.dump", bkt.cluster, F.id);
    assert_int_equal(bkp_bus_send(bkp_bus_of(F.cl[MAXM]), q, NULL, 0, "", 0, 0), 0);
    raw("[\"ok\",\"after\",1,1.0,\"1-00000001\"]");
    assert_true(converge("ok", "\"after\""));
    bk_cache_stats s;
    for (int tries = 0; tries < 100; tries++) {
        assert_int_equal(bk_cache_stats_get(F.m[0], &s), 0);
        if (s.dropped >= nbad + 2)
            break;
        run(50);
    }
    assert_int_equal(s.dropped, nbad + 2);
    assert_int_equal(bk_cache_count(F.m[0]), 1);
    char *long_text = calloc(1, 2000);
    memset(long_text, 'x', 1999);
    assert_int_equal(bk_cache_set_new(F.m[0], "big", json_string(long_text)), BK_ELIMIT);
    free(long_text);
}

/* A member on two buses (here two connections to one broker, so every update comes twice)
 * publishes to both and takes each update once; a member of one bus hears it. */
static void a_member_of_two_buses_publishes_to_both(void **st)
{
    (void)st;
    BKT_NEED_BROKER();
    F.cl[0] = client();
    F.cl[1] = client();
    bk_client *two[] = { F.cl[0], F.cl[1] };
    bk_cache_opts o = { .id = F.id, .clients = two, .nclients = 2, .dump_wait_ms = 300,
                        .on_update = on_update, .arg = (void *)(intptr_t)0 };
    assert_int_equal(bk_cache_new(&F.m[0], &o), 0);
    assert_int_equal(bk_cache_wait_synced(F.m[0], 10000), 0);
    F.nm = 1;
    F.cl[2] = client();
    member(2, (bk_cache_opts){ 0 });
    assert_int_equal(bk_cache_wait_synced(F.m[2], 10000), 0);
    assert_int_equal(bk_cache_set_new(F.m[2], "k", json_string("from 2")), 0);
    assert_true(converge("k", "\"from 2\""));
    assert_int_equal(bk_cache_set_new(F.m[0], "k", json_string("from 0")), 0);
    assert_true(converge("k", "\"from 0\""));
    run(300);
    bk_cache_stats s;
    assert_int_equal(bk_cache_stats_get(F.m[2], &s), 0);
    assert_int_equal(s.applied, 1);    /* once, though it came on both buses */
    assert_true(s.stale >= 1);
    assert_int_equal(F.remote_updates[0], 1);
}

/* A table larger than one dump part (4 MiB) reaches a late member whole. */
static void a_big_table_is_dumped_in_parts(void **st)
{
    (void)st;
    BKT_NEED_BROKER();
    member(0, (bk_cache_opts){ 0 });
    assert_int_equal(bk_cache_wait_synced(F.m[0], 10000), 0);
    char *text = malloc(100001);
    memset(text, 'v', 100000);
    text[100000] = '\0';
    for (int k = 0; k < 90; k++) {   /* 9 MB: three parts */
        char key[16];
        snprintf(key, sizeof key, "big%d", k);
        assert_int_equal(bk_cache_set_new(F.m[0], key, json_string(text)), 0);
        run(5);
    }
    free(text);
    member(1, (bk_cache_opts){ .dump_wait_ms = 5000 });
    assert_int_equal(bk_cache_wait_synced(F.m[1], 10000), 0);
    for (int tries = 0; tries < 100 && bk_cache_count(F.m[1]) < 90; tries++)
        run(50);
    assert_int_equal(bk_cache_count(F.m[1]), 90);
}

int main(void)
{
    bkt_env_load("itest_cache", "bkca");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(three_members_converge_on_sets_and_deletes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(conflicts_are_settled_alike_by_every_member, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_late_member_gets_the_dump, setup, teardown),
        cmocka_unit_test_setup_teardown(max_age_drops_what_is_not_touched, setup, teardown),
        cmocka_unit_test_setup_teardown(persist_saves_with_mode_0600_and_loads, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(hostile_updates_are_dropped_and_counted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_member_of_two_buses_publishes_to_both, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_big_table_is_dumped_in_parts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
