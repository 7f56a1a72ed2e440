/* bench_query.c: the "query" workload (see bench_query.h).
 *
 * For each N, ascending: load events up to N (the first N events of the
 * seed: the database at 1M is the one at 100k plus 900k more), then run each
 * query workload at each concurrency for the set duration. A run
 * (bench_run.h) is C threads, each with its own connection and one request
 * in flight, drawing requests from its own stream (seed, workload, thread):
 * thread t asks the same questions in the same order at every N and every
 * concurrency. An error reply is counted and the thread goes on; a lost
 * connection ends the thread. Latency is from the request being sent to
 * the read that completed its reply. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/xalloc.h"
#include "tests/bench/bench_annalsd.h"
#include "tests/bench/bench_qtable.h"
#include "tests/bench/bench_query.h"

#define QUERY_CALL_TIMEOUT_MS 60000
/* The stream name of query draws (bench_rng_derive), apart from events'. */
#define QUERY_STREAM 0x7175657279ULL

/* What every connection of a run shares. */
typedef struct {
    const bench_opts *o;
    const bench_addr *addr;
    const bench_qwork *w;
    unsigned windex;          /* in bench_qworks: names the query stream */
} query_run;

/* One connection of a run. */
typedef struct {
    const query_run *run;
    bench_conn *c;
    bench_rng rng;
    msgpack_unpacked msg;
} query_conn;

static int query_open(void *arg, unsigned t, void **conn, char *err, size_t errlen)
{
    const query_run *run = arg;
    query_conn *q = xcalloc(1, sizeof *q);
    if (bench_conn_open(run->addr, &q->c, err, errlen) < 0) {
        free(q);
        return -1;
    }
    q->run = run;
    bench_rng_derive(&q->rng, run->o->seed ^ QUERY_STREAM, run->windex, t);
    msgpack_unpacked_init(&q->msg);
    *conn = q;
    return 0;
}

static void query_close(void *conn)
{
    query_conn *q = conn;
    msgpack_unpacked_destroy(&q->msg);
    bench_conn_close(q->c);
    free(q);
}

/* One request of the workload; latency from the request being sent to the
 * read that completed its reply. */
static int query_call(void *conn, uint64_t *hits, int64_t *sent, int64_t *at, char *err,
                      size_t errlen)
{
    query_conn *q = conn;
    const bench_qwork *w = q->run->w;
    const msgpack_object *res;
    msgpack_packer pk;
    uint32_t id = bench_conn_begin(q->c, w->method, &pk);
    w->params(&q->rng, &pk);
    *sent = bench_now_ns();
    if (bench_conn_send(q->c, err, errlen) < 0)
        return -2;
    int rc = bench_conn_next(q->c, QUERY_CALL_TIMEOUT_MS, &q->msg, at, err, errlen);
    if (rc == 0)
        snprintf(err, errlen, "no reply within %d s", QUERY_CALL_TIMEOUT_MS / 1000);
    if (rc <= 0)
        return -2;
    if (bench_conn_response(&q->msg.data, id, &res, err, errlen) < 0 ||
        w->check(res, hits, err, errlen) < 0)
        return -1;
    return 0;
}

/* Run workload w (index windex of bench_qworks) with conc connections. */
static void query_run_once(const bench_opts *o, const bench_addr *addr, const bench_qwork *w,
                           unsigned windex, unsigned conc, bench_qresult *r)
{
    query_run run = { o, addr, w, windex };
    bench_run_ops ops = { &run, query_open, query_call, query_close, NULL };
    bench_run(&ops, conc, o->duration, r);
}

/* The workloads --queries names, in bench_qworks order; all without it.
 * Returns 0, 1 when it printed the list (--queries help), or -1. */
static int query_select(const bench_opts *o, bench_qreport *rep)
{
    rep->nworks = 0;
    if (o->queries && strcmp(o->queries, "help") == 0) {
        printf("query workloads:\n");
        for (unsigned i = 0; i < bench_nqworks; i++)
            printf("  %-12s %s\n", bench_qworks[i].name, bench_qworks[i].what);
        return 1;
    }
    for (unsigned i = 0; i < bench_nqworks && rep->nworks < BENCH_QUERY_MAX_WORKS; i++) {
        int wanted = !o->queries;
        for (const char *p = o->queries; p && *p && !wanted;) {
            size_t len = strcspn(p, ", ");
            wanted = len == strlen(bench_qworks[i].name) && memcmp(p, bench_qworks[i].name, len) == 0;
            p += len + (p[len] != '\0');
        }
        if (wanted)
            rep->work[rep->nworks++] = &bench_qworks[i];
    }
    for (const char *p = o->queries; p && *p;) {
        size_t len = strcspn(p, ", ");
        if (len && !bench_qwork_find(p, len)) {
            fprintf(stderr, "bench: --queries: no query workload '%.*s' (--queries help lists them)\n",
                    (int)len, p);
            return -1;
        }
        p += len + (p[len] != '\0');
    }
    if (rep->nworks == 0) {
        fprintf(stderr, "bench: --queries: no workload named\n");
        return -1;
    }
    return 0;
}

/* Load up to stage s's N and run every workload there. Returns 0, or -1
 * when loading failed (the later stages are then skipped). */
static int query_stage(const bench_opts *o, const bench_addr *addr, bench_qreport *rep, unsigned s,
                       uint64_t from)
{
    bench_qstage *st = &rep->stage[s];
    char err[600];
    int progress = o->verbose || isatty(2);
    bench_load_events ev = { o->seed, NULL, NULL };
    if (bench_load(addr, &ev, from, st->n, o->loaders, progress, &st->load, err, sizeof err) < 0) {
        fprintf(stderr, "bench: FAIL: %s\n", err);
        return -1;
    }
    if (bench_load_stats(addr, &st->db, err, sizeof err) < 0) {
        fprintf(stderr, "bench: FAIL: stats after loading: %s\n", err);
        return -1;
    }
    st->loaded = 1;
    printf("N=%" PRIu64 ": loaded %" PRIu64 " events in %.1f s (%.0f events/s); the database "
           "holds %" PRIu64 " events, %.1f MiB in use\n", st->n, st->load.events, st->load.secs,
           st->load.secs > 0 ? (double)st->load.events / st->load.secs : 0, st->db.events,
           (double)st->db.used_bytes / (1 << 20));
    fflush(stdout);
    if (st->db.events != st->n) {
        fprintf(stderr, "bench: FAIL: after loading %" PRIu64 " events the server says it holds %"
                PRIu64 "\n", st->n, st->db.events);
        return -1;
    }
    for (unsigned w = 0; w < rep->nworks; w++)
        for (unsigned c = 0; c < o->nconcurrency && !atomic_load(&bench_interrupted); c++) {
            bench_qresult *r = &rep->res[s][w][c];
            query_run_once(o, addr, rep->work[w], (unsigned)(rep->work[w] - bench_qworks),
                           o->concurrency[c], r);
            printf("N=%" PRIu64 " %-12s c=%-3u %8.0f ops/s  p50 %8.2f ms  p99 %8.2f ms  "
                   "%10.1f %s%s\n", st->n, rep->work[w]->name, r->conc, r->ops, r->p50 / 1e6,
                   r->p99 / 1e6, r->hits, rep->work[w]->hits, r->errors ? "  (errors)" : "");
            fflush(stdout);
        }
    return 0;
}

int bench_query_run(const bench_opts *o)
{
    static const char *const daemon_args[] = { "--map-size", "64GiB", NULL };
    bench_qreport *rep = xcalloc(1, sizeof *rep);
    bench_annalsd d;
    bench_addr addr = o->addr;
    char err[600];
    int failed = 0;

    rep->o = o;
    int sel = query_select(o, rep);
    if (sel != 0) {
        free(rep);
        return sel > 0 ? 0 : 2;
    }
    memset(&d, 0, sizeof d);
    if (o->annalsd) {
        if (bench_annalsd_start(&d, o->annalsd, daemon_args, err, sizeof err) < 0) {
            fprintf(stderr, "bench: %s\n", err);
            free(rep);
            return 1;
        }
        addr.socket_path = d.socket;
        addr.host = addr.port = NULL;
    }
    bench_db_stats db;
    if (bench_load_stats(&addr, &db, err, sizeof err) < 0) {
        fprintf(stderr, "bench: FAIL: stats: %s\n", err);
        failed = 1;
    } else if (db.events) {
        fprintf(stderr, "bench: FAIL: the server already holds %" PRIu64 " events; the query "
                "workload loads its own and needs an empty database\n", db.events);
        failed = 1;
    }
    printf("annals query benchmark: events loaded in stages up to N=");
    for (unsigned s = 0; s < o->nquery_n; s++)
        printf("%s%" PRIu64, s ? "," : "", o->query_n[s]);
    printf(" (seed %" PRIu64 ", %u loader connections); each workload runs %.1f s at each "
           "concurrency\n\n", o->seed, o->loaders, o->duration);
    fflush(stdout);
    uint64_t from = 0;
    for (unsigned s = 0; s < o->nquery_n && !failed && !atomic_load(&bench_interrupted); s++) {
        rep->stage[s].n = o->query_n[s];
        rep->nstages = s + 1;
        if (query_stage(o, &addr, rep, s, from) < 0)
            failed = 1;
        from = o->query_n[s];
    }
    if (atomic_load(&bench_interrupted)) {
        fprintf(stderr, "bench: interrupted\n");
        failed = 1;
    }
    if (o->annalsd && bench_annalsd_stop(&d, failed) != 0)
        failed = 1;
    if (rep->nstages)
        bench_qtable_print(rep);
    for (unsigned s = 0; s < rep->nstages; s++)
        for (unsigned w = 0; w < rep->nworks; w++)
            for (unsigned c = 0; c < o->nconcurrency; c++) {
                const bench_qresult *r = &rep->res[s][w][c];
                if (rep->stage[s].loaded && (!r->ran || r->errors || !r->ok))
                    failed = 1;
            }
    free(rep);
    return failed;
}
