/* bench_feed.c: the "feed" workload (see bench_feed.h).
 *
 * One run: S subscriber threads connect and subscribe (live, no since); W
 * writer threads connect; once all are ready the writers put for the set
 * duration, one request in flight each, recording for every seq the time its
 * acknowledgement was read. The subscribers record the time each change
 * notification was read, by seq. After the writers stop, the highest seq
 * acknowledged is the target every subscriber must reach; the delays are
 * computed from the two records only then, so no thread reads another's
 * data while it runs. */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "proto/xalloc.h"
#include "tests/bench/bench_annalsd.h"
#include "tests/bench/bench_feed.h"
#include "tests/bench/bench_gen.h"

#define FEED_CALL_TIMEOUT_MS 10000
/* How long subscribers may take, after the writers stop, to receive the
 * last acknowledged change before the run fails. */
#define FEED_DRAIN_TIMEOUT_MS 15000
#define FEED_POLL_MS 50
#define FEED_ERRORS_SHOWN 5

typedef struct feed_run feed_run;

typedef struct {
    uint64_t seq;
    int64_t sent_ns;          /* when the put was written to the socket */
    int64_t ack_ns;           /* when its response was read */
} feed_ack;

typedef struct {
    feed_run *run;
    unsigned index;
    pthread_t thread;
    feed_ack *acks;           /* owned; in the order acknowledged */
    size_t nacks, cap;
    int64_t last_ack_ns;
    int failed;
    char err[512];
} feed_writer;

typedef struct {
    feed_run *run;
    unsigned index;
    pthread_t thread;
    uint64_t sub, base;       /* from the subscribe response */
    int64_t *recv_ns;         /* owned; [i]: when seq base+1+i arrived, 0: never */
    size_t cap;
    uint64_t last;            /* the highest seq received */
    uint64_t received, heartbeats;
    int64_t last_recv_ns;
    unsigned errors;          /* exactly-once violations and protocol trouble */
    char error_text[FEED_ERRORS_SHOWN][256];
    int failed;               /* could not run (connection, subscribe, overflow) */
} feed_sub;

struct feed_run {
    const bench_opts *o;
    bench_addr addr;
    unsigned nwriters, nsubs;
    feed_writer *writers;
    feed_sub *subs;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned ready;           /* threads connected (and subscribed) */
    int go;                   /* writers may start */
    int64_t start_ns;         /* when they were told to */
    atomic_int stop_writing;
    atomic_int abort;         /* a thread failed: everyone winds down */
    _Atomic uint64_t target;  /* the last seq acknowledged, once writing stopped */
};

typedef struct {
    unsigned subs, writers;
    double secs;
    uint64_t puts, first_seq, last_seq;
    double put_rate, per_sub_rate, total_rate;
    int64_t lat_min, lat_med, lat_p99, lat_max;   /* ns, from the ack */
    double before_ack;        /* fraction of deliveries read before the ack */
    int64_t put_med, put_p99;                     /* ns, put sent to its ack */
    int64_t e2e_med, e2e_p99, e2e_max;            /* ns, from the put being sent */
    uint64_t commits;         /* from stats, during the run; 0 if unknown */
    double daemon_cpu;        /* cores' worth, -1 if unknown */
    double bench_cpu;
    int ok;
} feed_result;

static void feed_ready(feed_run *run)
{
    pthread_mutex_lock(&run->lock);
    run->ready++;
    pthread_cond_broadcast(&run->cond);
    pthread_mutex_unlock(&run->lock);
}

/* Threads are part of the measurement: without one there is no run. */
static void feed_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
    if (pthread_create(t, NULL, fn, arg) != 0) {
        fprintf(stderr, "bench: cannot start a thread\n");
        abort();
    }
}

static int feed_stopping(feed_run *run)
{
    return atomic_load(&run->abort) || atomic_load(&bench_interrupted);
}

/* ---- writers ---- */

static void *feed_writer_main(void *arg)
{
    feed_writer *w = arg;
    feed_run *run = w->run;
    bench_conn *c = NULL;
    bench_rng rng;
    msgpack_unpacked msg;
    msgpack_unpacked_init(&msg);
    bench_rng_seed(&rng, run->o->seed * 1000003u + w->index);

    if (bench_conn_open(&run->addr, &c, w->err, sizeof w->err) < 0)
        goto fail;
    feed_ready(run);
    pthread_mutex_lock(&run->lock);
    while (!run->go && !feed_stopping(run))
        pthread_cond_wait(&run->cond, &run->lock);
    pthread_mutex_unlock(&run->lock);

    while (!atomic_load(&run->stop_writing) && !feed_stopping(run)) {
        msgpack_packer pk;
        const msgpack_object *res;
        int64_t at, sent;
        uint64_t seq;
        uint32_t id = bench_conn_begin(c, "put", &pk);
        msgpack_pack_array(&pk, 1);
        msgpack_pack_map(&pk, 1);
        buf_pack_cstr(&pk, "event");
        bench_gen_event(&rng, &pk);
        sent = bench_now_ns();
        if (bench_conn_call(c, id, FEED_CALL_TIMEOUT_MS, &msg, &res, &at, w->err, sizeof w->err) < 0)
            goto fail;
        if (bench_map_uint(res, "seq", &seq) < 0) {
            char d[300];
            bench_describe(res, d, sizeof d);
            snprintf(w->err, sizeof w->err, "a put result without seq: %s", d);
            goto fail;
        }
        if (w->nacks == w->cap) {
            w->cap = w->cap ? w->cap * 2 : 4096;
            w->acks = xrealloc(w->acks, w->cap * sizeof *w->acks);
        }
        w->acks[w->nacks].seq = seq;
        w->acks[w->nacks].sent_ns = sent;
        w->acks[w->nacks].ack_ns = at;
        w->nacks++;
        w->last_ack_ns = at;
    }
    msgpack_unpacked_destroy(&msg);
    bench_conn_close(c);
    return NULL;

fail:
    w->failed = 1;
    atomic_store(&run->abort, 1);
    if (!c)
        feed_ready(run);
    pthread_mutex_lock(&run->lock);
    pthread_cond_broadcast(&run->cond);
    pthread_mutex_unlock(&run->lock);
    msgpack_unpacked_destroy(&msg);
    bench_conn_close(c);
    return NULL;
}

/* ---- subscribers ---- */

static void feed_sub_error(feed_sub *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void feed_sub_error(feed_sub *s, const char *fmt, ...)
{
    if (s->errors < FEED_ERRORS_SHOWN) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->error_text[s->errors], sizeof s->error_text[0], fmt, ap);
        va_end(ap);
    }
    s->errors++;
}

static void feed_sub_record(feed_sub *s, uint64_t seq, int64_t at)
{
    size_t i = (size_t)(seq - s->base - 1);
    if (i >= s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap <= i)
            cap *= 2;
        s->recv_ns = xrealloc(s->recv_ns, cap * sizeof *s->recv_ns);
        memset(s->recv_ns + s->cap, 0, (cap - s->cap) * sizeof *s->recv_ns);
        s->cap = cap;
    }
    s->recv_ns[i] = at;
}

/* Handle one notification; returns -1 when the subscription has ended. */
static int feed_sub_notification(feed_sub *s, const msgpack_object *m, int64_t at)
{
    char d[200];
    const msgpack_object *method = &m->via.array.ptr[1], *params = &m->via.array.ptr[2];
    const msgpack_object *body = params->type == MSGPACK_OBJECT_ARRAY && params->via.array.size == 1
                                 ? &params->via.array.ptr[0] : NULL;
    uint64_t sub = 0, seq = 0;
    if (method->type != MSGPACK_OBJECT_STR || !body || bench_map_uint(body, "sub", &sub) < 0 ||
        bench_map_uint(body, "seq", &seq) < 0) {
        bench_describe(m, d, sizeof d);
        feed_sub_error(s, "unexpected notification %s", d);
        return method->type == MSGPACK_OBJECT_STR && method->via.str.size == 5 &&
               memcmp(method->via.str.ptr, "error", 5) == 0 ? -1 : 0;
    }
    const char *name = method->via.str.ptr;
    size_t nl = method->via.str.size;
    if (sub != s->sub) {
        feed_sub_error(s, "a notification for subscription %" PRIu64 " instead of %" PRIu64, sub, s->sub);
        return 0;
    }
    if (nl == 9 && memcmp(name, "heartbeat", 9) == 0) {
        s->heartbeats++;
        return 0;
    }
    /* Both end the subscription (PROTOCOL.md section 9). */
    if (nl == 8 && memcmp(name, "overflow", 8) == 0) {
        feed_sub_error(s, "overflow after seq %" PRIu64 ": the subscriber read too slowly", seq);
        return -1;
    }
    if (nl == 4 && memcmp(name, "gone", 4) == 0) {
        feed_sub_error(s, "gone after seq %" PRIu64 ": retention trimmed changes not yet sent", seq);
        return -1;
    }
    if (nl != 6 || memcmp(name, "change", 6) != 0) {
        bench_describe(m, d, sizeof d);
        feed_sub_error(s, "unexpected notification %s", d);
        return 0;
    }
    const msgpack_object *op = bench_map_get(body, "op");
    if (!op || op->type != MSGPACK_OBJECT_STR || op->via.str.size != 3 ||
        memcmp(op->via.str.ptr, "put", 3) != 0 || !bench_map_get(body, "event"))
        feed_sub_error(s, "seq %" PRIu64 ": not a put with its event", seq);
    if (seq <= s->base || (seq <= s->last && s->recv_ns[seq - s->base - 1])) {
        feed_sub_error(s, "seq %" PRIu64 " received again (after %" PRIu64 ")", seq, s->last);
        return 0;
    }
    if (seq <= s->last) {
        feed_sub_error(s, "seq %" PRIu64 " received out of order (after %" PRIu64 ")", seq, s->last);
    } else {
        if (seq != s->last + 1)
            feed_sub_error(s, "seqs %" PRIu64 "..%" PRIu64 " skipped", s->last + 1, seq - 1);
        s->last = seq;
    }
    feed_sub_record(s, seq, at);
    s->received++;
    s->last_recv_ns = at;
    return 0;
}

static void *feed_sub_main(void *arg)
{
    feed_sub *s = arg;
    feed_run *run = s->run;
    bench_conn *c = NULL;
    char err[512];
    msgpack_unpacked msg;
    msgpack_packer pk;
    const msgpack_object *res;
    int64_t at, drain_deadline = 0;
    int readied = 0;
    msgpack_unpacked_init(&msg);

    if (bench_conn_open(&run->addr, &c, err, sizeof err) < 0)
        goto fail;
    uint32_t id = bench_conn_begin(c, "subscribe", &pk);
    msgpack_pack_array(&pk, 0);
    if (bench_conn_call(c, id, FEED_CALL_TIMEOUT_MS, &msg, &res, &at, err, sizeof err) < 0)
        goto fail;
    if (bench_map_uint(res, "sub", &s->sub) < 0 || bench_map_uint(res, "seq", &s->base) < 0) {
        snprintf(err, sizeof err, "subscribe: a result without sub and seq");
        goto fail;
    }
    s->last = s->base;
    feed_ready(run);
    readied = 1;

    for (;;) {
        uint64_t target = atomic_load(&run->target);
        if (target && s->last >= target)
            break;
        if (feed_stopping(run))
            break;
        if (target) {
            if (!drain_deadline)
                drain_deadline = bench_now_ns() + (int64_t)FEED_DRAIN_TIMEOUT_MS * 1000000;
            else if (bench_now_ns() > drain_deadline) {
                feed_sub_error(s, "timed out: %d s after the writers stopped, the last seq "
                               "received is %" PRIu64 ", not %" PRIu64,
                               FEED_DRAIN_TIMEOUT_MS / 1000, s->last, target);
                break;
            }
        }
        int rc = bench_conn_next(c, FEED_POLL_MS, &msg, &at, err, sizeof err);
        if (rc < 0)
            goto fail;
        if (rc == 0)
            continue;
        const msgpack_object *m = &msg.data;
        if (m->type != MSGPACK_OBJECT_ARRAY || m->via.array.size != 3 ||
            m->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
            m->via.array.ptr[0].via.u64 != 2) {
            char d[200];
            bench_describe(m, d, sizeof d);
            feed_sub_error(s, "a message that is not a notification: %s", d);
            continue;
        }
        if (feed_sub_notification(s, m, at) < 0) {
            s->failed = 1;
            break;
        }
    }
    msgpack_unpacked_destroy(&msg);
    bench_conn_close(c);
    return NULL;

fail:
    feed_sub_error(s, "%s", err);
    s->failed = 1;
    atomic_store(&run->abort, 1);
    if (!readied)
        feed_ready(run);
    msgpack_unpacked_destroy(&msg);
    bench_conn_close(c);
    return NULL;
}

/* ---- measurements ---- */

/* The server's pid and commit count, through stats; 0 when unavailable. */
static void feed_stats(const bench_addr *addr, uint64_t *pid, uint64_t *commits)
{
    bench_conn *c;
    char err[256];
    msgpack_unpacked msg;
    msgpack_packer pk;
    const msgpack_object *res, *v;
    int64_t at;
    *pid = *commits = 0;
    if (bench_conn_open(addr, &c, err, sizeof err) < 0)
        return;
    msgpack_unpacked_init(&msg);
    uint32_t id = bench_conn_begin(c, "stats", &pk);
    msgpack_pack_array(&pk, 0);
    if (bench_conn_call(c, id, FEED_CALL_TIMEOUT_MS, &msg, &res, &at, err, sizeof err) == 0) {
        if ((v = bench_map_get(res, "server")))
            bench_map_uint(v, "pid", pid);
        if ((v = bench_map_get(res, "writes")))
            bench_map_uint(v, "commits", commits);
    }
    msgpack_unpacked_destroy(&msg);
    bench_conn_close(c);
}

/* CPU seconds (user + system) used so far by pid, from /proc; -1 if unknown
 * (a daemon on another machine, or no /proc). */
static double feed_proc_cpu(uint64_t pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%" PRIu64 "/stat", pid);
    FILE *f = pid ? fopen(path, "r") : NULL;
    if (!f)
        return -1;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    /* Fields after the parenthesised command: state is field 3, utime 14. */
    char *p = strrchr(line, ')');
    unsigned long long ut, st;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double feed_self_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Check every subscriber and compute r from the records. Returns 0 when
 * every subscriber received every seq up to the target exactly once. */
static int feed_verify(feed_run *run, uint64_t target, feed_result *r)
{
    int ok = 1;
    uint64_t lo = UINT64_MAX;
    for (unsigned i = 0; i < run->nsubs; i++)
        if (run->subs[i].base < lo)
            lo = run->subs[i].base;
    /* acks[seq - lo - 1]: the put that got seq; NULL for none of ours. */
    size_t span = (size_t)(target - lo);
    const feed_ack **acks = xcalloc(span ? span : 1, sizeof *acks);
    int64_t *put = xmalloc((r->puts ? r->puts : 1) * sizeof *put);
    size_t nput = 0;
    r->first_seq = UINT64_MAX;
    r->last_seq = target;
    for (unsigned w = 0; w < run->nwriters; w++)
        for (size_t k = 0; k < run->writers[w].nacks; k++) {
            const feed_ack *a = &run->writers[w].acks[k];
            if (a->seq <= lo || a->seq > target || acks[a->seq - lo - 1]) {
                fprintf(stderr, "bench: FAIL: writer %u: seq %" PRIu64 " acknowledged %s\n", w,
                        a->seq, a->seq <= lo ? "before the subscriptions began" : "twice");
                ok = 0;
                continue;
            }
            acks[a->seq - lo - 1] = a;
            put[nput++] = a->ack_ns - a->sent_ns;
            if (a->seq < r->first_seq)
                r->first_seq = a->seq;
        }

    /* One delay per (subscriber, change of ours it received). */
    size_t cap = nput * run->nsubs;
    int64_t *lat = xmalloc((cap ? cap : 1) * sizeof *lat);
    int64_t *e2e = xmalloc((cap ? cap : 1) * sizeof *e2e);
    size_t nlat = 0, before = 0;
    uint64_t delivered = 0;
    int64_t last_recv = run->start_ns;
    double rate_sum = 0;
    for (unsigned i = 0; i < run->nsubs; i++) {
        feed_sub *s = &run->subs[i];
        uint64_t missing = 0;
        for (uint64_t seq = s->base + 1; seq <= target; seq++)
            if ((size_t)(seq - s->base - 1) >= s->cap || !s->recv_ns[seq - s->base - 1])
                missing++;
        if (s->last > target)
            feed_sub_error(s, "received seq %" PRIu64 ", beyond the last acknowledged %" PRIu64,
                           s->last, target);
        if (missing && s->errors == 0)
            feed_sub_error(s, "%" PRIu64 " seqs missing", missing);
        if (s->errors || s->failed || missing) {
            ok = 0;
            fprintf(stderr, "bench: FAIL: subscriber %u (sub %" PRIu64 ", from seq %" PRIu64
                    "): %u error%s, %" PRIu64 " of %" PRIu64 " seqs missing\n", i, s->sub, s->base,
                    s->errors, s->errors == 1 ? "" : "s", missing, target - s->base);
            for (unsigned e = 0; e < s->errors && e < FEED_ERRORS_SHOWN; e++)
                fprintf(stderr, "bench:   %s\n", s->error_text[e]);
        }
        delivered += s->received;
        if (s->last_recv_ns > last_recv)
            last_recv = s->last_recv_ns;
        if (s->last_recv_ns > run->start_ns)
            rate_sum += (double)s->received / ((double)(s->last_recv_ns - run->start_ns) / 1e9);
        for (uint64_t seq = s->base + 1; seq <= target; seq++) {
            size_t si = (size_t)(seq - s->base - 1);
            const feed_ack *a = seq > lo ? acks[seq - lo - 1] : NULL;
            if (!a || si >= s->cap || !s->recv_ns[si])
                continue;
            lat[nlat] = s->recv_ns[si] - a->ack_ns;
            e2e[nlat] = s->recv_ns[si] - a->sent_ns;
            before += lat[nlat] < 0;
            nlat++;
        }
    }
    free(acks);

    r->per_sub_rate = run->nsubs ? rate_sum / run->nsubs : 0;
    r->total_rate = last_recv > run->start_ns
                    ? (double)delivered / ((double)(last_recv - run->start_ns) / 1e9) : 0;
    if (nput) {
        bench_sort_i64(put, nput);
        r->put_med = bench_percentile(put, nput, 0.5);
        r->put_p99 = bench_percentile(put, nput, 0.99);
    }
    if (nlat) {
        bench_sort_i64(lat, nlat);
        r->lat_min = lat[0];
        r->lat_med = bench_percentile(lat, nlat, 0.5);
        r->lat_p99 = bench_percentile(lat, nlat, 0.99);
        r->lat_max = lat[nlat - 1];
        r->before_ack = (double)before / (double)nlat;
        bench_sort_i64(e2e, nlat);
        r->e2e_med = bench_percentile(e2e, nlat, 0.5);
        r->e2e_p99 = bench_percentile(e2e, nlat, 0.99);
        r->e2e_max = e2e[nlat - 1];
    }
    free(put);
    free(lat);
    free(e2e);
    return ok ? 0 : -1;
}

/* ---- one run ---- */

static int feed_run_once(const bench_opts *o, const bench_addr *addr, unsigned nsubs,
                         feed_result *r)
{
    feed_run run;
    memset(&run, 0, sizeof run);
    memset(r, 0, sizeof *r);
    run.o = o;
    run.addr = *addr;
    run.nwriters = o->writers;
    run.nsubs = nsubs;
    run.writers = xcalloc(run.nwriters, sizeof *run.writers);
    run.subs = xcalloc(nsubs ? nsubs : 1, sizeof *run.subs);
    pthread_mutex_init(&run.lock, NULL);
    pthread_cond_init(&run.cond, NULL);
    r->subs = nsubs;
    r->writers = o->writers;
    r->daemon_cpu = -1;

    uint64_t pid, commits0, commits1;
    feed_stats(addr, &pid, &commits0);

    /* Subscribers first, all subscribed before anything is written. */
    for (unsigned i = 0; i < nsubs; i++) {
        run.subs[i].run = &run;
        run.subs[i].index = i;
        feed_thread_start(&run.subs[i].thread, feed_sub_main, &run.subs[i]);
    }
    pthread_mutex_lock(&run.lock);
    while (run.ready < nsubs)
        pthread_cond_wait(&run.cond, &run.lock);
    pthread_mutex_unlock(&run.lock);
    for (unsigned i = 0; i < run.nwriters; i++) {
        run.writers[i].run = &run;
        run.writers[i].index = i;
        feed_thread_start(&run.writers[i].thread, feed_writer_main, &run.writers[i]);
    }
    pthread_mutex_lock(&run.lock);
    while (run.ready < nsubs + run.nwriters)
        pthread_cond_wait(&run.cond, &run.lock);
    double cpu0 = feed_proc_cpu(pid), self0 = feed_self_cpu();
    run.start_ns = bench_now_ns();
    run.go = 1;
    pthread_cond_broadcast(&run.cond);
    pthread_mutex_unlock(&run.lock);

    int64_t end = run.start_ns + (int64_t)(o->duration * 1e9);
    while (!feed_stopping(&run) && bench_now_ns() < end)
        bench_sleep_ms(10);
    atomic_store(&run.stop_writing, 1);

    uint64_t target = 0;
    int64_t last_ack = run.start_ns;
    for (unsigned i = 0; i < run.nwriters; i++) {
        feed_writer *w = &run.writers[i];
        pthread_join(w->thread, NULL);
        if (w->failed)
            fprintf(stderr, "bench: FAIL: writer %u: %s\n", i, w->err);
        for (size_t k = 0; k < w->nacks; k++)
            if (w->acks[k].seq > target)
                target = w->acks[k].seq;
        if (w->last_ack_ns > last_ack)
            last_ack = w->last_ack_ns;
        r->puts += w->nacks;
    }
    if (target == 0 && !feed_stopping(&run)) {
        fprintf(stderr, "bench: FAIL: no put was acknowledged\n");
        atomic_store(&run.abort, 1);
    }
    atomic_store(&run.target, target);
    for (unsigned i = 0; i < nsubs; i++)
        pthread_join(run.subs[i].thread, NULL);
    double cpu1 = feed_proc_cpu(pid), self1 = feed_self_cpu();
    int64_t wall = bench_now_ns() - run.start_ns;
    feed_stats(addr, &pid, &commits1);

    r->secs = (double)(last_ack - run.start_ns) / 1e9;
    r->put_rate = r->secs > 0 ? (double)r->puts / r->secs : 0;
    r->commits = commits1 >= commits0 ? commits1 - commits0 : 0;
    if (cpu0 >= 0 && cpu1 >= 0)
        r->daemon_cpu = (cpu1 - cpu0) / ((double)wall / 1e9);
    r->bench_cpu = (self1 - self0) / ((double)wall / 1e9);

    int failed = 0;
    for (unsigned i = 0; i < run.nwriters; i++)
        failed |= run.writers[i].failed;
    if (atomic_load(&bench_interrupted)) {
        /* The subscribers stopped short: there is nothing to verify. */
        fprintf(stderr, "bench: interrupted\n");
        failed = 1;
    } else if (target && feed_verify(&run, target, r) < 0) {
        failed = 1;
    } else if (!target) {
        failed = 1;
        for (unsigned i = 0; i < nsubs; i++)
            for (unsigned e = 0; e < run.subs[i].errors && e < FEED_ERRORS_SHOWN; e++)
                fprintf(stderr, "bench: FAIL: subscriber %u: %s\n", i, run.subs[i].error_text[e]);
    }
    r->ok = !failed;

    for (unsigned i = 0; i < run.nwriters; i++)
        free(run.writers[i].acks);
    for (unsigned i = 0; i < nsubs; i++)
        free(run.subs[i].recv_ns);
    free(run.writers);
    free(run.subs);
    pthread_mutex_destroy(&run.lock);
    pthread_cond_destroy(&run.cond);
    return r->ok ? 0 : -1;
}

/* ---- report ---- */

static void feed_print_table(const bench_opts *o, const feed_result *res, unsigned n)
{
    printf("\nannals feed benchmark: %u writer%s doing durable puts for %.1f s, "
           "subscribers following live\n\n", o->writers, o->writers == 1 ? "" : "s", o->duration);
    printf("%-11s  %10s  %11s  %8s     %s\n", "", "changes/s", "delivered/s", "",
           "ack -> change (us)");
    printf("%-11s  %10s  %11s  %8s  %8s %8s %8s\n", "subscribers", "per sub", "total", "puts/s",
           "median", "p99", "max");
    for (unsigned i = 0; i < n; i++) {
        const feed_result *r = &res[i];
        printf("%11u  %10.0f  %11.0f  %8.0f  %8.0f %8.0f %8.0f%s\n", r->subs, r->per_sub_rate,
               r->total_rate, r->put_rate, r->lat_med / 1e3, r->lat_p99 / 1e3, r->lat_max / 1e3,
               r->ok ? "" : "  FAILED");
    }
    printf("\n");
    for (unsigned i = 0; i < n; i++) {
        const feed_result *r = &res[i];
        printf("S=%u: %" PRIu64 " puts in %.2f s", r->subs, r->puts, r->secs);
        if (r->commits)
            printf(" in %" PRIu64 " commits (%.1f puts/commit)", r->commits,
                   (double)r->puts / (double)r->commits);
        printf("; put sent -> ack: median %.0f us, p99 %.0f us\n", r->put_med / 1e3,
               r->put_p99 / 1e3);
        printf("S=%u: put sent -> change: median %.0f us, p99 %.0f us, max %.0f us; "
               "%.1f%% of changes were read before their put's ack (by up to %.0f us)\n",
               r->subs, r->e2e_med / 1e3, r->e2e_p99 / 1e3, r->e2e_max / 1e3,
               r->before_ack * 100, r->lat_min < 0 ? -r->lat_min / 1e3 : 0.0);
        if (r->daemon_cpu >= 0)
            printf("S=%u: CPU over the run: annalsd %.0f%%, bench %.0f%% of one core\n", r->subs,
                   r->daemon_cpu * 100, r->bench_cpu * 100);
        if (r->ok)
            printf("S=%u: exactly-once: ok: each of %u subscriber%s received seqs %" PRIu64
                   "..%" PRIu64 " once each, in order\n", r->subs, r->subs,
                   r->subs == 1 ? "" : "s", r->first_seq, r->last_seq);
        else
            printf("S=%u: exactly-once: FAILED (see the messages above)\n", r->subs);
    }
    fflush(stdout);
}

int bench_feed_run(const bench_opts *o)
{
    feed_result res[BENCH_MAX_RUNS];
    unsigned done = 0;
    int failed = 0;
    for (unsigned i = 0; i < o->nruns && !atomic_load(&bench_interrupted); i++) {
        bench_annalsd d;
        bench_addr addr = o->addr;
        char err[512];
        memset(&d, 0, sizeof d);
        if (o->annalsd) {
            if (bench_annalsd_start(&d, o->annalsd, NULL, err, sizeof err) < 0) {
                fprintf(stderr, "bench: %s\n", err);
                failed = 1;
                break;
            }
            addr.socket_path = d.socket;
            addr.host = addr.port = NULL;
        }
        if (o->verbose)
            fprintf(stderr, "bench: feed: %u writers, %u subscribers, %.1f s...\n", o->writers,
                    o->subscribers[i], o->duration);
        if (feed_run_once(o, &addr, o->subscribers[i], &res[done]) < 0)
            failed = 1;
        done++;
        if (o->annalsd && bench_annalsd_stop(&d, failed) != 0)
            failed = 1;
        if (failed)
            break;
    }
    if (done)
        feed_print_table(o, res, done);
    return failed;
}
