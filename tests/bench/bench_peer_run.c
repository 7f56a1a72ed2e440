/* bench_peer_run.c: timed runs and answer checks of the side-by-side
 * benchmark (see bench_peer_run.h). */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/xalloc.h"
#include "tests/bench/bench.h"
#include "tests/bench/bench_peer_run.h"

typedef struct peer_run_state peer_run_state;

typedef struct {
    peer_run_state *run;
    unsigned index;
    pthread_t thread;
    int64_t *lat;             /* owned; ns of each reply that passed */
    size_t nlat, cap;
    uint64_t ok, errors, hits;
    int64_t last_ns;
    char first_error[512];
} peer_thread;

struct peer_run_state {
    const peer_driver *d;
    void *server;
    const peer_set *set;
    peer_work work;
    uint64_t put_base;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned ready;
    int go;
    int64_t start_ns, end_ns;
};

static void peer_note(peer_thread *t, const char *what)
{
    if (!t->first_error[0])
        snprintf(t->first_error, sizeof t->first_error, "%s", what);
    t->errors++;
}

static void *peer_thread_main(void *arg)
{
    peer_thread *t = arg;
    peer_run_state *run = t->run;
    void *conn = NULL;
    peer_draw draw;
    char err[512];
    peer_draw_init(&draw, run->set, run->work, t->index,
                   run->put_base + ((uint64_t)t->index << 24));
    int opened = run->d->open(run->server, &conn, err, sizeof err) == 0;

    /* Everyone connected before the clock starts. */
    pthread_mutex_lock(&run->lock);
    run->ready++;
    pthread_cond_broadcast(&run->cond);
    while (!run->go)
        pthread_cond_wait(&run->cond, &run->lock);
    pthread_mutex_unlock(&run->lock);
    if (!opened) {
        peer_note(t, err);
        goto done;
    }
    while (!atomic_load(&bench_interrupted) && bench_now_ns() < run->end_ns) {
        peer_req r;
        uint64_t hits = 0;
        peer_draw_next(&draw, &r);
        int64_t sent = bench_now_ns();
        int rc = run->d->call(conn, &r, &hits, err, sizeof err);
        int64_t at = bench_now_ns();
        t->last_ns = at;
        if (rc < 0) {
            peer_note(t, err);
            continue;
        }
        if (t->nlat == t->cap) {
            t->cap = t->cap ? t->cap * 2 : 1024;
            t->lat = xrealloc(t->lat, t->cap * sizeof *t->lat);
        }
        t->lat[t->nlat++] = at - sent;
        t->ok++;
        t->hits += hits;
    }
done:
    if (conn)
        run->d->close(conn);
    peer_draw_release(&draw);
    return NULL;
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

int peer_run(const peer_driver *d, void *server, const peer_set *set, peer_work w, unsigned conc,
             uint64_t put_base, double secs, peer_watch *watch, peer_result *res)
{
    peer_run_state run;
    peer_thread *th = xcalloc(conc, sizeof *th);
    memset(&run, 0, sizeof run);
    memset(res, 0, sizeof *res);
    run.d = d;
    run.server = server;
    run.set = set;
    run.work = w;
    run.put_base = put_base;
    pthread_mutex_init(&run.lock, NULL);
    pthread_cond_init(&run.cond, NULL);
    for (unsigned i = 0; i < conc; i++) {
        th[i].run = &run;
        th[i].index = i;
        if (pthread_create(&th[i].thread, NULL, peer_thread_main, &th[i]) != 0) {
            fprintf(stderr, "bench_peers: cannot start a thread\n");
            abort();
        }
    }
    pthread_mutex_lock(&run.lock);
    while (run.ready < conc)
        pthread_cond_wait(&run.cond, &run.lock);
    run.start_ns = bench_now_ns();
    run.end_ns = run.start_ns + (int64_t)(secs * 1e9);
    run.go = 1;
    pthread_cond_broadcast(&run.cond);
    pthread_mutex_unlock(&run.lock);

    size_t total = 0;
    int64_t last = run.start_ns;
    for (unsigned i = 0; i < conc; i++) {
        pthread_join(th[i].thread, NULL);
        total += th[i].nlat;
    }
    int64_t *lat = xmalloc((total ? total : 1) * sizeof *lat);
    size_t n = 0;
    for (unsigned i = 0; i < conc; i++) {
        peer_thread *t = &th[i];
        if (t->nlat)
            memcpy(lat + n, t->lat, t->nlat * sizeof *lat);
        n += t->nlat;
        res->ok += t->ok;
        res->errors += t->errors;
        res->hits += (double)t->hits;
        if (t->last_ns > last)
            last = t->last_ns;
        if (t->first_error[0] && !res->first_error[0])
            snprintf(res->first_error, sizeof res->first_error, "%s", t->first_error);
        free(t->lat);
    }
    res->end_ns = last;
    res->secs = (double)(last - run.start_ns) / 1e9;
    /* At once: the catch-up is timed from the last acknowledgement. */
    if (watch)
        peer_catch_up(d, watch, res);
    bench_sort_i64(lat, n);
    res->ran = 1;
    res->p50 = (double)bench_percentile(lat, n, 0.50);
    res->p99 = (double)bench_percentile(lat, n, 0.99);
    res->hits = res->ok ? res->hits / (double)res->ok : 0;
    res->ops = last > run.start_ns ? (double)res->ok / res->secs : 0;
    free(lat);
    free(th);
    pthread_mutex_destroy(&run.lock);
    pthread_cond_destroy(&run.cond);
    return atomic_load(&bench_interrupted) ? -1 : 0;
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
