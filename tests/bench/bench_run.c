/* bench_run.c: one timed run of C connections, and its figures' cells (see
 * bench_run.h). */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/xalloc.h"
#include "tests/bench/bench.h"
#include "tests/bench/bench_run.h"

typedef struct run_state run_state;

typedef struct {
    run_state *run;
    unsigned index;
    pthread_t thread;
    int64_t *lat;             /* owned; ns of each ok reply */
    size_t nlat, cap;
    uint64_t ok, errors, hits;
    int64_t last_ns;          /* when the last reply was read */
    char first_error[512];
} run_thread;

struct run_state {
    const bench_run_ops *ops;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned ready;
    int go;
    int64_t start_ns, end_ns;
};

static void run_note(run_thread *t, const char *what)
{
    if (!t->first_error[0])
        snprintf(t->first_error, sizeof t->first_error, "%s", what);
    t->errors++;
}

static void *run_thread_main(void *arg)
{
    run_thread *t = arg;
    run_state *run = t->run;
    const bench_run_ops *ops = run->ops;
    void *conn = NULL;
    char err[512];
    int opened = ops->open(ops->arg, t->index, &conn, err, sizeof err) == 0;

    /* Everyone connected before the clock starts. */
    pthread_mutex_lock(&run->lock);
    run->ready++;
    pthread_cond_broadcast(&run->cond);
    while (!run->go)
        pthread_cond_wait(&run->cond, &run->lock);
    pthread_mutex_unlock(&run->lock);
    if (!opened) {
        run_note(t, err);
        return NULL;
    }
    while (!atomic_load(&bench_interrupted) && bench_now_ns() < run->end_ns) {
        uint64_t hits = 0;
        int64_t sent = 0, at = 0;
        int rc = ops->call(conn, &hits, &sent, &at, err, sizeof err);
        if (rc == -2) {
            run_note(t, err);
            break;
        }
        t->last_ns = at;
        if (rc < 0) {
            run_note(t, err);
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
    ops->close(conn);
    return NULL;
}

void bench_run(const bench_run_ops *ops, unsigned conc, double secs, bench_run_result *res)
{
    run_state run;
    run_thread *th = xcalloc(conc, sizeof *th);
    memset(&run, 0, sizeof run);
    memset(res, 0, sizeof *res);
    run.ops = ops;
    pthread_mutex_init(&run.lock, NULL);
    pthread_cond_init(&run.cond, NULL);
    for (unsigned i = 0; i < conc; i++) {
        th[i].run = &run;
        th[i].index = i;
        if (pthread_create(&th[i].thread, NULL, run_thread_main, &th[i]) != 0) {
            fprintf(stderr, "bench: cannot start a thread\n");
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

    size_t n = 0;
    int64_t last = run.start_ns;
    uint64_t hits = 0;
    for (unsigned i = 0; i < conc; i++) {
        pthread_join(th[i].thread, NULL);
        n += th[i].nlat;
    }
    int64_t *lat = xmalloc((n ? n : 1) * sizeof *lat);
    n = 0;
    for (unsigned i = 0; i < conc; i++) {
        run_thread *t = &th[i];
        if (t->nlat)            /* lat is NULL when every reply was an error */
            memcpy(lat + n, t->lat, t->nlat * sizeof *lat);
        n += t->nlat;
        res->ok += t->ok;
        res->errors += t->errors;
        hits += t->hits;
        if (t->last_ns > last)
            last = t->last_ns;
        if (!res->first_error[0] && t->first_error[0])
            snprintf(res->first_error, sizeof res->first_error, "%s", t->first_error);
        free(t->lat);
    }
    res->ran = 1;
    res->conc = conc;
    res->end_ns = last;
    res->secs = (double)(last - run.start_ns) / 1e9;
    if (res->secs < secs)
        res->secs = secs;   /* every reply came early: the run still lasted */
    if (ops->after)
        ops->after(ops->arg, res);
    bench_sort_i64(lat, n);
    res->ops = (double)res->ok / res->secs;
    res->p50 = bench_percentile(lat, n, 0.50);
    res->p99 = bench_percentile(lat, n, 0.99);
    res->hits = res->ok ? (double)hits / (double)res->ok : 0;
    free(lat);
    free(th);
    pthread_mutex_destroy(&run.lock);
    pthread_cond_destroy(&run.cond);
}

static int run_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_run_median(double *v, unsigned n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, run_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bench_run_medians(const bench_run_result *const *r, unsigned n, bench_run_result *out)
{
    double ops[BENCH_RUN_MAX_MEDIAN], p50[BENCH_RUN_MAX_MEDIAN], p99[BENCH_RUN_MAX_MEDIAN],
        hits[BENCH_RUN_MAX_MEDIAN];
    unsigned good = 0;
    memset(out, 0, sizeof *out);
    for (unsigned i = 0; i < n && i < BENCH_RUN_MAX_MEDIAN; i++) {
        const bench_run_result *x = r[i];
        if (!x->ran)
            continue;
        if (!out->ran) {
            *out = *x;
            out->ok = out->errors = 0;
        }
        out->ok += x->ok;
        out->errors += x->errors;
        if (!x->ok)
            continue;
        ops[good] = x->ops;
        p50[good] = (double)x->p50;
        p99[good] = (double)x->p99;
        hits[good] = x->hits;
        good++;
    }
    out->ops = bench_run_median(ops, good);
    out->p50 = (int64_t)bench_run_median(p50, good);
    out->p99 = (int64_t)bench_run_median(p99, good);
    out->hits = bench_run_median(hits, good);
}

void bench_run_num(double v, char *out, size_t len)
{
    snprintf(out, len, v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f", v);
}

void bench_run_n(uint64_t n, char *out, size_t len)
{
    if (n >= 1000000 && n % 1000000 == 0)
        snprintf(out, len, "%" PRIu64 "M", n / 1000000);
    else if (n >= 1000 && n % 1000 == 0)
        snprintf(out, len, "%" PRIu64 "k", n / 1000);
    else
        snprintf(out, len, "%" PRIu64, n);
}

void bench_run_cells(const bench_run_result *r, char cell[4][24])
{
    if (!r->ran || !r->ok) {
        snprintf(cell[0], 24, "%s", r->ran && r->errors ? "ERR" : "-");
        for (int i = 1; i < 4; i++)
            snprintf(cell[i], 24, "-");
        return;
    }
    snprintf(cell[0], 24, "%.0f", r->ops);
    bench_run_num((double)r->p50 / 1e6, cell[1], 24);
    bench_run_num((double)r->p99 / 1e6, cell[2], 24);
    bench_run_num(r->hits, cell[3], 24);
}
