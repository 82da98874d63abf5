/* The Supervisor: the status table of every worker of the cluster, restarts, and the
 * Sinkhole's list of services without workers. A worker module (services.h); methods and
 * results in doc/services.md.
 *
 * Several supervisors share a cluster (bkpr forks one per pool, on every host) and compete on
 * one request queue, so a status report (a background job) reaches only one of them. The
 * one that gets it relays it as a notification of the same method to every supervisor,
 * itself included, and only notifications change the table: all tables hold the whole
 * cluster and any supervisor can answer get_*_status. Restart requests are relayed the
 * same way, and each supervisor acts only on its own host, only on its own pool manager's
 * children (the processes it can see respawn).
 *
 * CPU and RSS come from /proc, so a supervisor measures only its own host; each one shares
 * the numbers of its pool's processes with a `usage` notification every SAMPLE_MS. */
#include "services/services.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "beekeeper/client.h"
#include "beekeeper/log.h"
#include "core/clock.h"
#include "core/map.h"

#define PREFIX "_bkpr.supervisor."
#define UNSERVICED BKP_SINKHOLE_UNSERVICED
#define TICK_MS 250
#define SAMPLE_MS 2000
#define REPUBLISH_MS 10000
#define DEFAULT_INTERVAL_MS 10000
#define EXPIRY_SLACK_MS 500
/* A supervisor that just started may find reports in its queue from workers long gone (a
 * pool being restarted, or a worker run alone before the pool: their start and exit reports
 * wait for the new supervisor). For this long it does not take a service left without
 * workers to be unserviced: the new workers are starting too, and the Sinkhole would answer
 * their callers for nothing. Such services are suspects until the grace ends; those still
 * without a worker then become unserviced. */
#define STARTUP_GRACE_MS 3000

typedef struct entry {
    char *host, *pool, *wclass;
    long pid;
    double jps, nps, eps, load;     /* load: 0..1 as reported */
    int has_eps;
    json_t *queue;                  /* array of service names, owned */
    json_t *counters;               /* the worker's own counters (an object), owned; or NULL */
    uint64_t seen_ms, interval_ms;
    double cpu;                     /* percent; < 0 unknown */
    long long rss;                  /* bytes; < 0 unknown */
    unsigned long long ticks;       /* last /proc sample (own host only) */
    uint64_t ticks_ms;
} entry;

typedef struct sup {
    bk_worker *w;
    entry **v;
    size_t n, cap;
    char host[256];
    char *pool;                     /* the "pool" option, or NULL */
    bkp_map serviced, unserviced;   /* sets of service names (see set_add) */
    bkp_map suspect;                /* unserviced once STARTUP_GRACE_MS is over */
    int graced;                     /* STARTUP_GRACE_MS is over */
    struct event *tick, *restart_ev;
    uint64_t last_sample_ms, last_publish_ms, started_ms;
    long *rq;                       /* pids still to TERM, and the delay between them */
    size_t rqn, rqi;
    int rq_delay_ms;
    long clk_tck;
} sup;

typedef struct filt {
    const char *host, *pool, *wclass;
    double delay;
} filt;

static sup g_sup;

static const bk_call_opts sys_opts = {.tokens = BKP_TOKEN_SYSTEM};

/* ------------------------------------------------------------------ the table */

static void entry_free(entry *e)
{
    if (!e)
        return;
    free(e->host);
    free(e->pool);
    free(e->wclass);
    json_decref(e->queue);
    json_decref(e->counters);
    free(e);
}

static entry *find(sup *s, const char *host, long pid, size_t *at)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i]->pid == pid && strcmp(s->v[i]->host, host) == 0) {
            if (at)
                *at = i;
            return s->v[i];
        }
    return NULL;
}

static void remove_at(sup *s, size_t i)
{
    entry_free(s->v[i]);
    s->v[i] = s->v[--s->n];
}

/* A set of names is a map whose values are their own keys, new strings. 1 when k was added,
 * 0 when it was there, or BK_ENOMEM. */
static int set_add(bkp_map *set, const char *k)
{
    if (bkp_map_get(set, k))
        return 0;
    char *c = strdup(k);
    if (!c || bkp_map_put(set, c, c) < 0) {
        free(c);
        return BK_ENOMEM;
    }
    return 1;
}

static void set_clear(bkp_map *set)
{
    BKP_MAP_EACH(set, e)
        free(e->value);
    bkp_map_clear(set);
}

static const char *str_of(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static double num_of(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : 0.0;
}

static void publish_unserviced(sup *s)
{
    json_t *q = json_array();
    BKP_MAP_EACH(&s->unserviced, e)
        json_array_append_new(q, json_string(e->key));
    json_t *p = json_pack("{s:o}", "queues", q);
    bk_client *c = bk_worker_client(s->w);
    if (p && bk_client_connected(c))
        bk_notify(c, UNSERVICED, p, &sys_opts);
    json_decref(p);
    s->last_publish_ms = bkp_now_ms();
}

/* Recomputes which services have workers; services that lost their last one (and
 * `gone`'s, a leaving worker's queues the table may never have seen) join the unserviced
 * set, services with a worker again leave it. The Sinkhole hears of any change at once. */
static void check_services(sup *s, json_t *gone)
{
    bkp_map now = {0};
    for (size_t i = 0; i < s->n; i++) {
        size_t j;
        json_t *q;
        json_array_foreach(s->v[i]->queue, j, q)
            if (json_is_string(q) && set_add(&now, json_string_value(q)) < 0) {
                set_clear(&now);
                return;
            }
    }
    int changed = 0;
    const char *k;
    json_t *v;
    bkp_map *lost = s->graced ? &s->unserviced : &s->suspect; /* see STARTUP_GRACE_MS */
    BKP_MAP_EACH(&s->serviced, e)
        if (!bkp_map_get(&now, e->key) && set_add(lost, e->key) > 0)
            changed |= s->graced;
    size_t j;
    json_array_foreach(gone, j, v) {
        k = json_string_value(v);
        if (k && !bkp_map_get(&now, k) && set_add(lost, k) > 0)
            changed |= s->graced;
    }
    BKP_MAP_EACH(&now, e) {
        free(bkp_map_del(&s->suspect, e->key));
        char *was = bkp_map_del(&s->unserviced, e->key);
        if (was) {
            free(was);
            changed = 1;
        }
    }
    set_clear(&s->serviced);
    s->serviced = now;
    if (changed)
        publish_unserviced(s);
}

static int valid_queue(json_t *q)
{
    size_t i;
    json_t *v;
    if (!json_is_array(q))
        return 0;
    json_array_foreach(q, i, v)
        if (!json_is_string(v))
            return 0;
    return 1;
}

/* A worker_status or worker_exit notification. Malformed ones are dropped. */
static void apply_status(sup *s, json_t *p, int leaving)
{
    const char *host = str_of(p, "host");
    json_t *jpid = json_object_get(p, "pid"), *q = json_object_get(p, "queue");
    if (!host || !json_is_integer(jpid) || json_integer_value(jpid) <= 0 ||
        (q && !valid_queue(q))) {
        bk_log_debug("supervisor: malformed status report dropped");
        return;
    }
    long pid = (long)json_integer_value(jpid);
    size_t at;
    entry *e = find(s, host, pid, &at);
    if (leaving) {
        if (e)
            remove_at(s, at);
        check_services(s, q);
        return;
    }
    uint64_t now = bkp_now_ms();
    int changed = !e;
    if (!e) {
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 16;
            entry **nv = realloc(s->v, cap * sizeof *nv);
            if (!nv)
                return;
            s->v = nv;
            s->cap = cap;
        }
        e = calloc(1, sizeof *e);
        if (!e || !(e->host = strdup(host))) {
            free(e);
            return;
        }
        e->pid = pid;
        e->cpu = -1;
        e->rss = -1;
        e->interval_ms = DEFAULT_INTERVAL_MS;
        s->v[s->n++] = e;
    } else {
        /* workers do not say how often they report: the gap between two reports does */
        uint64_t gap = now - e->seen_ms;
        e->interval_ms = gap < 100 ? 100 : gap > 600000 ? 600000 : gap;
    }
    if (json_is_number(json_object_get(p, "interval")) && num_of(p, "interval") > 0)
        e->interval_ms = (uint64_t)(num_of(p, "interval") * 1000);
    e->seen_ms = now;
    const char *pool = str_of(p, "pool"), *cls = str_of(p, "class");
    char *np = strdup(pool ? pool : ""), *nc = strdup(cls ? cls : "");
    if (np && nc) {
        free(e->pool);
        free(e->wclass);
        e->pool = np;
        e->wclass = nc;
    } else {
        free(np);
        free(nc);
    }
    e->jps = num_of(p, "jps");
    e->nps = num_of(p, "nps");
    e->load = num_of(p, "load");
    e->has_eps = json_is_number(json_object_get(p, "eps"));
    e->eps = num_of(p, "eps");
    json_t *nq = q ? json_incref(q) : json_array();
    if (!changed && !json_equal(nq, e->queue))
        changed = 1;
    json_decref(e->queue);
    e->queue = nq;
    json_t *cn = json_object_get(p, "counters");
    json_decref(e->counters);
    e->counters = json_is_object(cn) ? json_incref(cn) : NULL;
    if (changed)
        check_services(s, NULL);
}

static void expire(sup *s, uint64_t now)
{
    int removed = 0;
    for (size_t i = s->n; i-- > 0;) {
        entry *e = s->v[i];
        if (now - e->seen_ms > 3 * e->interval_ms + EXPIRY_SLACK_MS) {
            bk_log_info("supervisor: %s[%ld] (%s) stopped reporting: dropped", e->host, e->pid,
                        e->wclass);
            remove_at(s, i);
            removed = 1;
        }
    }
    if (removed)
        check_services(s, NULL);
}

/* ------------------------------------------------------------------ /proc */

/* CPU ticks (user + system), parent pid and RSS in bytes of pid. 0, or -1 when it is gone. */
static int proc_read(long pid, unsigned long long *ticks, long *ppid, long long *rss)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');   /* the command name may hold spaces and parentheses */
    unsigned long long ut, st;
    if (!p || sscanf(p + 1, " %*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", ppid,
                     &ut, &st) != 3)
        return -1;
    *ticks = ut + st;
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    if (!(f = fopen(path, "r")))
        return -1;
    *rss = -1;
    while (fgets(buf, sizeof buf, f))
        if (strncmp(buf, "VmRSS:", 6) == 0) {
            *rss = strtoll(buf + 6, NULL, 10) * 1024;
            break;
        }
    fclose(f);
    return 0;
}

static void sample(sup *s, uint64_t now)
{
    json_t *mine = json_array();
    long me = (long)getpid(), parent = (long)getppid();
    for (size_t i = 0; i < s->n; i++) {
        entry *e = s->v[i];
        unsigned long long ticks;
        long ppid;
        long long rss;
        if (strcmp(e->host, s->host) != 0 || proc_read(e->pid, &ticks, &ppid, &rss) != 0)
            continue;
        if (e->ticks_ms && now > e->ticks_ms && ticks >= e->ticks)
            e->cpu = (double)(ticks - e->ticks) * 100.0 / (double)s->clk_tck /
                     ((double)(now - e->ticks_ms) / 1000.0);
        e->ticks = ticks;
        e->ticks_ms = now;
        e->rss = rss;
        /* one supervisor per pool shares its pool's numbers: no duplicates per host */
        if ((e->pid == me || (ppid == parent && parent > 1)) && e->cpu >= 0)
            json_array_append_new(mine, json_pack("{s:i,s:f,s:I}", "pid", (json_int_t)e->pid,
                                                  "cpu", e->cpu, "rss", (json_int_t)e->rss));
    }
    bk_client *c = bk_worker_client(s->w);
    if (json_array_size(mine) && bk_client_connected(c)) {
        json_t *p = json_pack("{s:s,s:O}", "host", s->host, "workers", mine);
        if (p)
            bk_notify(c, PREFIX "usage", p, &sys_opts);
        json_decref(p);
    }
    json_decref(mine);
}

static void apply_usage(sup *s, json_t *p)
{
    const char *host = str_of(p, "host");
    json_t *ws = json_object_get(p, "workers"), *u;
    size_t i;
    if (!host || strcmp(host, s->host) == 0 || !json_is_array(ws))
        return;     /* our own host: we measure it ourselves */
    json_array_foreach(ws, i, u) {
        json_t *jp = json_object_get(u, "pid");
        entry *e = json_is_integer(jp) ? find(s, host, (long)json_integer_value(jp), NULL) : NULL;
        if (e) {
            e->cpu = num_of(u, "cpu");
            e->rss = (long long)num_of(u, "rss");
        }
    }
}

/* ------------------------------------------------------------------ queries */

static int match(const entry *e, const filt *f)
{
    return (!f->host || strcmp(f->host, e->host) == 0) &&
           (!f->pool || strcmp(f->pool, e->pool) == 0) &&
           (!f->wclass || strcmp(f->wclass, e->wclass) == 0);
}

static int parse_filters(bk_request *req, json_t *p, filt *f)
{
    static const char *const keys[] = {"host", "pool", "class"};
    const char **dst[] = {&f->host, &f->pool, &f->wclass};
    memset(f, 0, sizeof *f);
    if (json_is_null(p) || !p)
        return 0;
    if (!json_is_object(p))
        return bk_request_fail_new(req, BK_RPC_INVALID_PARAMS,
                                   json_string("params: expected an object"), "Invalid params");
    for (int i = 0; i < 3; i++) {
        json_t *v = json_object_get(p, keys[i]);
        if (v && !json_is_null(v) && !json_is_string(v))
            return bk_request_fail_new(req, BK_RPC_INVALID_PARAMS,
                                       json_sprintf("%s: expected a string", keys[i]),
                                       "Invalid params");
        *dst[i] = json_string_value(v);
    }
    json_t *d = json_object_get(p, "delay");
    if (d && !json_is_null(d) &&
        (!json_is_number(d) || json_number_value(d) < 0 || json_number_value(d) > 3600))
        return bk_request_fail_new(req, BK_RPC_INVALID_PARAMS,
                                   json_string("delay: expected seconds from 0 to 3600"),
                                   "Invalid params");
    f->delay = json_is_number(d) ? json_number_value(d) : 0;
    return 0;
}

static json_t *opt_num(double v, int known)
{
    return known ? json_real(v) : json_null();
}

static json_t *workers_status(sup *s, const filt *f)
{
    json_t *res = json_array();
    for (size_t i = 0; i < s->n; i++) {
        entry *e = s->v[i];
        if (!match(e, f))
            continue;
        json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:O,s:f,s:f,s:f,s:o,s:o}", "host", e->host,
                              "pool", e->pool, "class", e->wclass, "pid", (json_int_t)e->pid,
                              "queue", e->queue, "jps", e->jps, "nps", e->nps, "load",
                              e->load * 100.0, "cpu", opt_num(e->cpu, e->cpu >= 0), "rss",
                              e->rss >= 0 ? json_integer(e->rss) : json_null());
        if (o && e->has_eps)
            json_object_set_new(o, "eps", json_real(e->eps));
        if (o && e->counters)
            json_object_set(o, "counters", e->counters);
        json_array_append_new(res, o);
    }
    return res;
}

static void add_num(json_t *o, const char *key, double v)
{
    json_object_set_new(o, key, json_real(num_of(o, key) + v));
}

static json_t *services_status(sup *s, const filt *f)
{
    json_t *res = json_object();
    for (size_t i = 0; i < s->n; i++) {
        entry *e = s->v[i];
        size_t j;
        json_t *q;
        if (!match(e, f))
            continue;
        json_array_foreach(e->queue, j, q) {
            const char *name = json_string_value(q);
            json_t *o = json_object_get(res, name);
            if (!o) {
                o = json_pack("{s:i,s:f,s:f,s:f,s:n,s:n}", "count", 0, "jps", 0.0, "nps", 0.0,
                              "load", 0.0, "cpu", "rss");
                json_object_set_new(res, name, o);
            }
            json_object_set_new(o, "count",
                                json_integer(json_integer_value(json_object_get(o, "count")) + 1));
            add_num(o, "jps", e->jps);
            add_num(o, "nps", e->nps);
            add_num(o, "load", e->load * 100.0);
            if (e->has_eps)
                add_num(o, "eps", e->eps);
            if (e->cpu >= 0)
                add_num(o, "cpu", e->cpu);
            if (e->rss >= 0)
                json_object_set_new(o, "rss", json_integer(json_integer_value(json_object_get(
                                                               o, "rss")) + e->rss));
        }
    }
    const char *k;
    json_t *o;
    json_object_foreach(res, k, o) {    /* load: the workers' mean busy % */
        json_int_t n = json_integer_value(json_object_get(o, "count"));
        json_object_set_new(o, "load", json_real(num_of(o, "load") / (double)(n ? n : 1)));
    }
    return res;
}

/* ------------------------------------------------------------------ restarts */

static const char *my_pool(sup *s)
{
    if (s->pool)
        return s->pool;
    entry *e = find(s, s->host, (long)getpid(), NULL);
    return e ? e->pool : NULL;
}

/* Our pool manager, when it is the bkpr that forked us (it said so in BKP_POOL_PID_ENV):
 * it replaces a worker gracefully, the new process first. 0 otherwise. */
static pid_t pool_manager(void)
{
    const char *v = getenv(BKP_POOL_PID_ENV);
    char *end;
    long pid = v ? strtol(v, &end, 10) : 0;
    return v && *end == '\0' && pid > 1 && (pid_t)pid == getppid() ? (pid_t)pid : 0;
}

/* One worker's turn: its pool manager starts a replacement and TERMs it once the new one
 * serves, one worker at a time, so that no service loses its last worker (callers would
 * meet the Sinkhole). Without a pool manager of ours, TERM: whoever runs it restarts it. */
static void restart_one(long pid)
{
    pid_t pm = pool_manager();
    if (pm) {
        bk_log_info("supervisor: asking the pool manager (pid %ld) to replace worker %ld",
                    (long)pm, pid);
        if (sigqueue(pm, BKP_POOL_REPLACE_SIGNAL, (union sigval){ .sival_int = (int)pid }) == 0)
            return;
        bk_log_warn("supervisor: cannot signal the pool manager %ld: %s", (long)pm,
                    strerror(errno));
    }
    bk_log_info("supervisor: restarting worker %ld (TERM)", pid);
    if (kill((pid_t)pid, SIGTERM) != 0)
        bk_log_warn("supervisor: cannot TERM %ld: %s", pid, strerror(errno));
}

static void restart_next(sup *s)
{
    while (s->rqi < s->rqn) {
        restart_one(s->rq[s->rqi++]);
        if (s->rqi < s->rqn && s->rq_delay_ms > 0) {
            struct timeval tv = {s->rq_delay_ms / 1000, (s->rq_delay_ms % 1000) * 1000};
            evtimer_add(s->restart_ev, &tv);
            return;
        }
    }
}

static void restart_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    restart_next(arg);
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* TERMs the matching children of our pool manager (which respawns them), one per delay. */
static void restart_workers(sup *s, const filt *f)
{
    long parent = (long)getppid(), me = (long)getpid();
    if ((f->host && strcmp(f->host, s->host) != 0) || parent <= 1)
        return;
    long *rq = calloc(s->n + 1, sizeof *rq);
    size_t n = 0;
    for (size_t i = 0; rq && i < s->n; i++) {
        entry *e = s->v[i];
        unsigned long long t;
        long ppid;
        long long rss;
        if (strcmp(e->host, s->host) == 0 && e->pid != me && match(e, f) &&
            proc_read(e->pid, &t, &ppid, &rss) == 0 && ppid == parent)
            rq[n++] = e->pid;
    }
    if (!rq)
        return;
    qsort(rq, n, sizeof *rq, cmp_long);
    evtimer_del(s->restart_ev);     /* a new request replaces one still running */
    free(s->rq);
    s->rq = rq;
    s->rqn = n;
    s->rqi = 0;
    s->rq_delay_ms = (int)(f->delay * 1000);
    restart_next(s);
}

static void restart_pool(sup *s, const filt *f)
{
    const char *pool = my_pool(s);
    pid_t parent = getppid();
    if ((f->host && strcmp(f->host, s->host) != 0) || (f->pool && (!pool || strcmp(f->pool, pool))))
        return;
    if (parent <= 1) {
        bk_log_warn("supervisor: restart_pool: no pool manager (orphaned)");
        return;
    }
    bk_log_info("supervisor: restarting pool %s (HUP to %ld)", pool ? pool : "?", (long)parent);
    kill(parent, SIGHUP);
}

/* ------------------------------------------------------------------ handlers */

static int on_job(bk_request *req, json_t *params, void *arg)
{
    sup *s = arg;
    const char *m = bk_request_method(req);
    const char *name = m + strlen(PREFIX);
    bk_client *c = bk_worker_client(s->w);
    filt f;
    if (!strcmp(name, "worker_status") || !strcmp(name, "worker_exit")) {
        bk_notify(c, m, params, &sys_opts);     /* to every supervisor, this one included */
        return 0;
    }
    int is_ws = !strcmp(name, "get_workers_status"), is_ss = !strcmp(name, "get_services_status");
    int is_rw = !strcmp(name, "restart_workers"), is_rp = !strcmp(name, "restart_pool");
    if (!is_ws && !is_ss && !is_rw && !is_rp)
        return bk_request_fail(req, BK_RPC_METHOD_NOT_FOUND, NULL, "Method not found: %s", m);
    if (parse_filters(req, params, &f))
        return BK_ERPC;
    if (is_ws)
        return bk_request_reply_new(req, workers_status(s, &f));
    if (is_ss)
        return bk_request_reply_new(req, services_status(s, &f));
    int rc = bk_notify(c, m, params, &sys_opts);
    if (rc)
        return bk_request_fail(req, BK_RPC_INTERNAL_ERROR, NULL, "not relayed: %s",
                               bk_strerror(rc));
    /* how many the supervisors will act on, as far as this table knows */
    size_t n = 0;
    bkp_map pools = {0};
    for (size_t i = 0; i < s->n; i++) {
        entry *e = s->v[i];
        char key[600];
        if (!match(e, &f) || json_array_size(e->queue) == 0 ||
            !strcmp(json_string_value(json_array_get(e->queue, 0)), "_bkpr.supervisor"))
            continue;
        n++;
        snprintf(key, sizeof key, "%s|%s", e->host, e->pool);
        set_add(&pools, key);
    }
    json_t *res = is_rw ? json_pack("{s:I}", "workers", (json_int_t)n)
                        : json_pack("{s:I}", "pools", (json_int_t)pools.len);
    set_clear(&pools);
    return bk_request_reply_new(req, res);
}

static int on_note(bk_request *req, json_t *params, void *arg)
{
    sup *s = arg;
    const char *name = bk_request_method(req) + strlen(PREFIX);
    filt f;
    if (!json_is_object(params))
        return 0;
    if (!strcmp(name, "worker_status") || !strcmp(name, "worker_exit"))
        apply_status(s, params, !strcmp(name, "worker_exit"));
    else if (!strcmp(name, "usage"))
        apply_usage(s, params);
    else if (!strcmp(name, "restart_workers") && parse_filters(req, params, &f) == 0)
        restart_workers(s, &f);
    else if (!strcmp(name, "restart_pool") && parse_filters(req, params, &f) == 0)
        restart_pool(s, &f);
    return 0;
}

/* Another supervisor's list: services we know nothing about join ours (we may have started
 * after their last worker left). Never republished from here: no echo between supervisors. */
static int on_unserviced(bk_request *req, json_t *params, void *arg)
{
    (void)req;
    sup *s = arg;
    size_t i;
    json_t *q;
    json_array_foreach(json_object_get(params, "queues"), i, q) {
        const char *k = json_string_value(q);
        if (k && !bkp_map_get(&s->serviced, k))
            set_add(&s->unserviced, k);
    }
    return 0;
}

/* The token rule (doc/services.md): reports, relays and usage only from the framework
 * (BKPR_SYSTEM); queries and restarts from the framework or an operator (BKPR_ADMIN).
 * BKPR_ROUTER is never enough: a router carries other people's calls. */
static bk_auth_result authorize(bk_request *req, void *arg)
{
    (void)arg;
    const char *m = bk_request_method(req);
    int sys = bk_request_has_token(req, BKP_TOKEN_SYSTEM);
    int adm = bk_request_has_token(req, BKP_TOKEN_ADMIN);
    if (!strncmp(m, PREFIX, strlen(PREFIX))) {
        const char *n = m + strlen(PREFIX);
        if (!strcmp(n, "worker_status") || !strcmp(n, "worker_exit") || !strcmp(n, "usage"))
            return sys ? BK_AUTH_ALLOW : BK_AUTH_DENY;
        return sys || adm ? BK_AUTH_ALLOW : BK_AUTH_DENY;
    }
    if (!strcmp(m, UNSERVICED))
        return sys ? BK_AUTH_ALLOW : BK_AUTH_DENY;
    return BK_AUTH_DENY;
}

/* The suspects still without a worker become unserviced (see STARTUP_GRACE_MS). */
static void end_grace(sup *s)
{
    int changed = 0;
    s->graced = 1;
    BKP_MAP_EACH(&s->suspect, e)
        if (!bkp_map_get(&s->serviced, e->key) && set_add(&s->unserviced, e->key) > 0)
            changed = 1;
    set_clear(&s->suspect);
    if (changed)
        publish_unserviced(s);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sup *s = arg;
    uint64_t now = bkp_now_ms();
    expire(s, now);
    if (!s->graced && now - s->started_ms >= STARTUP_GRACE_MS)
        end_grace(s);
    if (now - s->last_sample_ms >= SAMPLE_MS) {
        s->last_sample_ms = now;
        sample(s, now);
    }
    if (s->unserviced.len && now - s->last_publish_ms >= REPUBLISH_MS)
        publish_unserviced(s);
}

/* ------------------------------------------------------------------ life cycle */

static void on_stop(bk_worker *w, void *arg)
{
    (void)w;
    sup *s = arg;
    if (s->tick)
        event_free(s->tick);
    if (s->restart_ev)
        event_free(s->restart_ev);
    for (size_t i = 0; i < s->n; i++)
        entry_free(s->v[i]);
    free(s->v);
    free(s->rq);
    free(s->pool);
    set_clear(&s->serviced);
    set_clear(&s->unserviced);
    set_clear(&s->suspect);
    memset(s, 0, sizeof *s);
}

static int on_start(bk_worker *w, void *arg)
{
    sup *s = arg;
    struct event_base *base = bk_client_base(bk_worker_client(w));
    s->tick = event_new(base, -1, EV_PERSIST, tick_cb, s);
    s->restart_ev = evtimer_new(base, restart_cb, s);
    struct timeval tv = {0, TICK_MS * 1000};
    if (!s->tick || !s->restart_ev || event_add(s->tick, &tv) != 0)
        return 1;
    s->last_sample_ms = bkp_now_ms() - SAMPLE_MS;   /* sample at the first tick */
    s->started_ms = bkp_now_ms();
    return 0;
}

static int setup(bk_worker *w, const json_t *options, bk_module_hooks *h)
{
    sup *s = &g_sup;
    json_t *jp = json_object_get(options, "pool");
    if (jp && !json_is_string(jp)) {
        bk_log_error("supervisor: option pool must be a string");
        return 1;
    }
    memset(s, 0, sizeof *s);
    s->w = w;
    s->clk_tck = sysconf(_SC_CLK_TCK);
    if (s->clk_tck <= 0)
        s->clk_tck = 100;
    if (gethostname(s->host, sizeof s->host - 1) != 0)   /* as worker.c names the host */
        strcpy(s->host, "localhost");
    s->started_ms = bkp_now_ms();
    s->pool = jp ? strdup(json_string_value(jp)) : NULL;
    h->authorize = authorize;
    h->on_start = on_start;
    h->on_stop = on_stop;
    h->arg = s;
    int rc = !jp || s->pool ? 0 : BK_ENOMEM;
    if (!rc)
        rc = bk_worker_accept(w, PREFIX "*", on_job, s);
    if (!rc)
        rc = bk_worker_accept_notification(w, PREFIX "*", on_note, s);
    if (!rc)
        rc = bk_worker_accept_notification(w, UNSERVICED, on_unserviced, s);
    if (rc) {
        bk_log_error("supervisor: cannot start: %s", bk_strerror(rc));
        on_stop(w, s);
        return 1;
    }
    return 0;
}

const bk_module_def bkp_supervisor_module = {
    .abi = BK_MODULE_ABI,
    .name = "supervisor",
    .setup = setup,
};
