/* bench_peer_run.c: timed runs (bench_run.c, with a driver's connections),
 * the COUNT after them, and the answer checks of the side-by-side benchmark
 * (see bench_peer_run.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/xalloc.h"
#include "tests/bench/bench.h"
#include "tests/bench/bench_peer_run.h"

/* What every connection of a run shares. */
typedef struct {
    const peer_driver *d;
    void *server;
    const peer_set *set;
    peer_work work;
    uint64_t put_base;
    peer_watch *watch;
} peer_run_state;

/* One connection of a run: the driver's, and its request stream. */
typedef struct {
    const peer_run_state *run;
    void *conn;
    peer_draw draw;
} peer_thread;

static int peer_thread_open(void *arg, unsigned t, void **conn, char *err, size_t errlen)
{
    const peer_run_state *run = arg;
    peer_thread *p = xcalloc(1, sizeof *p);
    if (run->d->open(run->server, &p->conn, err, errlen) < 0) {
        free(p);
        return -1;
    }
    p->run = run;
    peer_draw_init(&p->draw, run->set, run->work, t, run->put_base + ((uint64_t)t << 24));
    *conn = p;
    return 0;
}

static void peer_thread_close(void *conn)
{
    peer_thread *p = conn;
    p->run->d->close(p->conn);
    peer_draw_release(&p->draw);
    free(p);
}

/* One request; latency from just before the call to its return. */
static int peer_thread_call(void *conn, uint64_t *hits, int64_t *sent, int64_t *at, char *err,
                            size_t errlen)
{
    peer_thread *p = conn;
    peer_req r;
    peer_draw_next(&p->draw, &r);
    *sent = bench_now_ns();
    int rc = p->run->d->call(p->conn, &r, hits, err, errlen);
    *at = bench_now_ns();
    return rc < 0 ? -1 : 0;
}

int peer_count_all(const peer_driver *d, void *conn, uint64_t *count, int64_t *at, char *err,
                   size_t errlen)
{
    peer_req r;
    peer_req_count_all(&r);
    int rc = d->call(conn, &r, count, err, errlen);
    *at = bench_now_ns();
    return rc;
}

static int peer_catch_up_fail(peer_catchup *out, const char *what)
{
    snprintf(out->error, sizeof out->error, "COUNT over everything after the puts: %s", what);
    return -1;
}

/* The watch's COUNTs after a PUT run (bench_peer_run.h: peer_watch). res
 * holds the run's ok, errors, secs and end_ns. */
static int peer_catch_up(const peer_driver *d, peer_watch *watch, const peer_result *res)
{
    void *conn = watch->conn;
    uint64_t want = watch->want + res->ok, maybe = watch->maybe + res->errors;
    peer_catchup *out = &watch->out;
    char err[400];
    uint64_t count = 0;
    int64_t at, deadline = res->end_ns + (int64_t)PEER_CATCHUP_MAX_MS * 1000000;
    for (;;) {
        if (peer_count_all(d, conn, &count, &at, err, sizeof err) < 0)
            return peer_catch_up_fail(out, err);
        if (count >= want)
            break;
        /* Not yet: a server whose queries do not wait for its index. */
        if (at > deadline || bench_sleep_ms(1)) {
            snprintf(err, sizeof err, "%" PRIu64 " events, not the %" PRIu64 " acknowledged, %s",
                     count, want, at > deadline ? "after 10 minutes" : "when interrupted");
            return peer_catch_up_fail(out, err);
        }
    }
    if (count > want + maybe) {
        snprintf(err, sizeof err, "%" PRIu64 " events, more than the %" PRIu64 " acknowledged",
                 count, want);
        return peer_catch_up_fail(out, err);
    }
    out->catchup_ms = (double)(at - res->end_ns) / 1e6;
    int64_t t0 = bench_now_ns();
    if (peer_count_all(d, conn, &count, &at, err, sizeof err) < 0)
        return peer_catch_up_fail(out, err);
    out->count_ms = (double)(at - t0) / 1e6;
    out->caught_up = 1;
    out->sustained = (double)res->ok / (res->secs + out->catchup_ms / 1e3);
    return 0;
}

static void peer_run_after(void *arg, const peer_result *res)
{
    const peer_run_state *run = arg;
    /* At once: the catch-up is timed from the last acknowledgement. */
    if (run->watch)
        peer_catch_up(run->d, run->watch, res);
}

int peer_run(const peer_driver *d, void *server, const peer_set *set, peer_work w, unsigned conc,
             uint64_t put_base, double secs, peer_watch *watch, peer_result *res)
{
    peer_run_state run = { d, server, set, w, put_base, watch };
    bench_run_ops ops = { &run, peer_thread_open, peer_thread_call, peer_thread_close,
                          peer_run_after };
    bench_run(&ops, conc, secs, res);
    return atomic_load(&bench_interrupted) ? -1 : 0;
}

int peer_load(const peer_driver *d, void *server, const peer_set *set, uint64_t from,
              unsigned conns, unsigned check, peer_load_result *l)
{
    char err[512];
    void *conn;
    uint64_t count = 0, added = set->n - from;
    int64_t t0 = bench_now_ns();
    if (d->load(server, set, from, conns, err, sizeof err) < 0) {
        snprintf(l->error, sizeof l->error, "load: %s", err);
        fprintf(stderr, "bench_peers: %s: %s\n", d->name, l->error);
        return -1;
    }
    /* The load ends when a query sees every event, not when the last write
     * is acknowledged: a server may index after it acknowledges. */
    int64_t acked = bench_now_ns(), at = acked;
    int rc = d->open(server, &conn, err, sizeof err);
    if (rc == 0) {
        rc = peer_count_all(d, conn, &count, &at, err, sizeof err);
        d->close(conn);
    }
    if (rc < 0) {
        snprintf(l->error, sizeof l->error, "COUNT over everything after the load: %.400s", err);
        fprintf(stderr, "bench_peers: %s: %s\n", d->name, l->error);
        return -1;
    }
    l->secs = (double)(at - t0) / 1e9;
    l->count_ms = (double)(at - acked) / 1e6;
    l->loaded = 1;
    if (count != set->n) {
        l->check_bad++;
        snprintf(l->error, sizeof l->error, "after the load a COUNT over everything counts %"
                 PRIu64 " events, not %" PRIu64, count, set->n);
        fprintf(stderr, "bench_peers: %s: FAIL: %s\n", d->name, l->error);
    }
    if (d->footprint(server, &l->fp, err, sizeof err) < 0)
        fprintf(stderr, "bench_peers: %s: footprint: %s\n", d->name, err);
    fprintf(stderr, "bench_peers: %s: loaded %" PRIu64 " events in %.1f s (%.0f events/s; the "
                    "COUNT that saw them all answered %.1f ms after the last write), %.0f "
                    "bytes/event on disk, %.0f MiB in memory (%.0f MiB not file-backed)\n",
            d->name, added, l->secs, (double)added / l->secs, l->count_ms,
            (double)l->fp.disk_bytes / (double)set->n, (double)l->fp.mem_bytes / (1 << 20),
            (double)l->fp.anon_bytes / (1 << 20));
    if (check) {
        unsigned asked = 0;
        for (int w = PEER_GET; w <= PEER_COUNT; w++)
            asked += peer_answers(d, (peer_work)w) ? check : 0;
        unsigned bad = peer_check(d, server, set, check, err, sizeof err);
        if (bad && !l->check_bad) {
            snprintf(l->error, sizeof l->error, "%u of %u checked answers wrong or failed; "
                     "first: %s", bad, asked, err);
            fprintf(stderr, "bench_peers: %s: FAIL: %s\n", d->name, l->error);
        }
        l->check_bad += bad;
    }
    return 0;
}

unsigned peer_check(const peer_driver *d, void *server, const peer_set *set, unsigned k, char *err,
                    size_t errlen)
{
    static const peer_work works[] = { PEER_GET, PEER_RANGE, PEER_RANGE_F, PEER_COUNT };
    void *conn;
    unsigned bad = 0;
    char e[512];
    err[0] = '\0';
    if (d->open(server, &conn, e, sizeof e) < 0) {
        snprintf(err, errlen, "%s", e);
        return 1;
    }
    for (size_t w = 0; w < sizeof works / sizeof works[0]; w++) {
        peer_draw draw;
        if (!peer_answers(d, works[w]))
            continue;
        peer_draw_init(&draw, set, works[w], 0, 0);
        for (unsigned i = 0; i < k && !atomic_load(&bench_interrupted); i++) {
            peer_req r;
            uint64_t hits = 0, want;
            peer_draw_next(&draw, &r);
            want = peer_expect(set, &r);
            if (d->call(conn, &r, &hits, e, sizeof e) < 0) {
                if (!bad++)
                    snprintf(err, errlen, "%s request %u: %s", peer_work_names[works[w]], i, e);
            } else if (hits != want) {
                if (!bad++)
                    snprintf(err, errlen, "%s request %u (days %d..%d%s%s): %" PRIu64
                             " hits, the events hold %" PRIu64, peer_work_names[works[w]], i,
                             (int)r.lo, (int)r.hi, r.country[0] ? ", country " : "", r.country,
                             hits, want);
            }
        }
        peer_draw_release(&draw);
    }
    d->close(conn);
    return bad;
}
