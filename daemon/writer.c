/* writer.c: the writer thread and its group commit (see writer.h). */
#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/log.h"
#include "daemon/writer.h"
#include "proto/error.h"
#include "proto/xalloc.h"

/* One transaction takes at most this many items, so a flood of writes still
 * commits (and answers) in bounded steps. */
#define WRITER_BATCH_ITEMS 20000
#define WRITER_BATCH_BYTES (64u << 20)
/* Change-log entries trimmed per commit at most. */
#define WRITER_TRIM_STEPS 2000
/* Events indexed per commit of the deferred index: it starts here, grows by
 * a quarter after each commit and halves when LMDB finds the transaction
 * full (one transaction may dirty about 128k pages). Larger commits are
 * cheaper per event, since the events of one commit share index pages: into
 * 500k events, 619 events a commit cost 790 us each, 65536 cost 23 us each.
 * The maximum bounds how long a commit holds writes back (about 2 s at 1M
 * events), and the memory of one batch (about 80 bytes a posting). */
#define WRITER_INDEX_CHUNK 4096
#define WRITER_INDEX_CHUNK_MIN 16
#define WRITER_INDEX_CHUNK_MAX 32768
/* The longest quiet time idle indexing waits for after giving way to writes. */
#define WRITER_IDLE_WAIT_MAX_MS 2000

struct writer {
    uv_loop_t *loop;
    store_t *store;
    uv_async_t async;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    writer_job *queue_head, *queue_tail;   /* waiting for the thread */
    writer_job *done_head, *done_tail;     /* waiting for the loop */
    int stopping;
    int started;
    atomic_int has_work;    /* a job is queued, or the writer stops: idle indexing gives way */
    writer_retention retention;
    writer_index_policy index;
    size_t index_chunk;
    uint64_t idle_wait_ms;  /* quiet time before idle indexing: idle_ms, more after give-ups */
    int index_stuck;        /* indexing failed: idle indexing waits for a write */
    writer_after_cb after;
    void *after_ud;
    writer_stats_t stats;
};

writer_job *writer_job_new(int op, size_t nitems)
{
    writer_job *job = xcalloc(1, sizeof *job);
    job->op = op;
    job->nitems = nitems;
    job->items = xcalloc(nitems ? nitems : 1, sizeof *job->items);
    job->err_index = -1;
    return job;
}

size_t writer_job_bytes(const writer_job *job)
{
    size_t n = 0;
    for (size_t i = 0; i < job->nitems; i++)
        n += job->items[i].idlen + job->items[i].body_len;
    return n;
}

void writer_job_free(writer_job *job)
{
    if (!job)
        return;
    for (size_t i = 0; i < job->nitems; i++) {
        free(job->items[i].id);
        free(job->items[i].body);
        free(job->items[i].change);
    }
    free(job->items);
    free(job);
}

static int64_t writer_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Apply one job in the open transaction. On failure the transaction may
 * hold part of the job: the caller drops it (writer_run_batch). */
static uint64_t writer_clock_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int writer_apply(store_writer *sw, writer_job *job, int64_t now)
{
    int rc = 0;
    job->seq = store_write_seq(sw);
    for (size_t i = 0; i < job->nitems && rc == 0; i++) {
        writer_item *it = &job->items[i];
        buf_t change;
        buf_init(&change);
        free(it->change);           /* from an earlier try of this job */
        it->change = NULL;
        it->change_len = 0;
        if (job->op == WRITER_PUT)
            rc = store_write_put(sw, it->id, it->idlen, &it->bounds, it->body, it->body_len,
                                 now, &job->seq, &change, job->err, sizeof job->err);
        else
            rc = store_write_delete(sw, it->id, it->idlen, now, &job->seq, &change,
                                    job->err, sizeof job->err);
        it->seq = job->seq;
        it->change = buf_take(&change, &it->change_len);
        if (rc && job->many)
            job->err_index = (long)i;   /* names the failing event of a batch */
    }
    return rc;
}

/* Commit the open transaction for jobs [from, to): a failed commit fails
 * those of them that had succeeded. Returns the commit's code. */
static int writer_commit_part(store_writer *sw, writer_job *from, writer_job *to, char *err, size_t errlen)
{
    int rc = store_write_commit(sw, err, errlen);
    for (writer_job *j = from; j != to; j = j->next)
        if (rc && j->rc == 0) {
            j->rc = rc;
            snprintf(j->err, sizeof j->err, "%s", err);
        }
    if (rc)
        log_error("commit failed: %s", err);
    return rc;
}

/* The map, or the disk, has less room left than the deferred index may
 * need: a quarter of the map, at most WRITER_INDEX_ROOM. */
#define WRITER_INDEX_ROOM (1024ULL << 20)

static int writer_map_tight(writer_t *w)
{
    uint64_t map_size, room = store_map_room(w->store, &map_size);
    uint64_t want = map_size / 4 < WRITER_INDEX_ROOM ? map_size / 4 : WRITER_INDEX_ROOM;
    return room < want;
}

static int writer_catch_up(writer_t *w, uint64_t target, char *err, size_t errlen);

/* Hand finished jobs (a list) back to the loop thread. */
static void writer_hand_back(writer_t *w, writer_job *list)
{
    if (!list)
        return;
    writer_job *last = list;
    while (last->next)
        last = last->next;
    pthread_mutex_lock(&w->lock);
    if (w->done_tail)
        w->done_tail->next = list;
    else
        w->done_head = list;
    w->done_tail = last;
    pthread_mutex_unlock(&w->lock);
    uv_async_send(&w->async);
}

static int writer_begin(writer_t *w, store_writer **sw, int tight, char *err, size_t errlen)
{
    int rc = store_write_begin(w->store, sw, err, errlen);
    if (rc == 0 && tight)
        store_write_inline(*sw);
    return rc;
}

/* Apply a batch of jobs in one transaction and commit it (group commit).
 * Jobs are applied straight into the transaction, not each in a nested one
 * (a nested transaction costs LMDB a dirty-page list of its own: a quarter
 * of the time of a 32-put commit). So when a job fails after writing
 * something, the transaction is dropped, the jobs before it are applied
 * again and committed, and the failing job is then tried alone: one that
 * only found the transaction too full (too_large: LMDB bounds the pages one
 * transaction may change) succeeds then; any other fails on its own. A
 * delete of a missing id fails before writing anything and costs no retry. */
static void writer_run_batch(writer_t *w, writer_job *batch)
{
    store_writer *sw;
    char err[512];
    uint64_t items = 0, written = 0, deletes = 0, failed = 0, commits = 0;
    /* Near the end of the map or the disk, index everything before writing more, and
     * new events inside their own put: a write that does not fit then
     * fails with db_full while the index of everything stored is complete,
     * so reads keep working (index_stuck: an earlier attempt failed, most
     * likely for lack of room; the writes are tried anyway). */
    int tight = writer_map_tight(w);
    if (tight && !w->index_stuck && store_index_lag(w->store) > 0)
        writer_catch_up(w, 0, err, sizeof err);
    int64_t now = writer_now_ms();
    for (writer_job *j = batch; j; j = j->next)
        items += j->nitems;

    writer_job *start = batch;      /* first job of the open transaction */
    writer_job *end = NULL;         /* apply up to here (exclusive) */
    int rc = 0, open = 0;
    while (start) {
        if ((rc = writer_begin(w, &sw, tight, err, sizeof err))) {
            for (writer_job *j = start; j; j = j->next) {
                j->rc = rc;
                snprintf(j->err, sizeof j->err, "%s", err);
            }
            log_error("cannot start a write transaction: %s", err);
            break;
        }
        open = 1;
        writer_job *j = start, *bad = NULL;
        for (; j != end; j = j->next) {
            j->err_index = -1;
            j->rc = writer_apply(sw, j, now);
            if (j->rc && !(j->rc == ERROR_NOT_FOUND && j->op == WRITER_DELETE)) {
                bad = j;
                break;
            }
        }
        if (!bad) {
            if (end == NULL)
                break;              /* the last part: committed below */
            if (writer_commit_part(sw, start, end, err, sizeof err) == 0)
                commits++;
            open = 0;
            start = end;
            end = NULL;
            continue;
        }
        store_write_abort(sw);
        open = 0;
        log_debug("writer: a job failed (%s): %s", error_wire_name(bad->rc),
                  bad != start ? "redoing the jobs before it without it" : "it fails alone");
        if (bad != start) {
            end = bad;              /* the jobs before it, then it alone */
            continue;
        }
        /* It failed first in its transaction: it fails on its own merits
         * (its rc and message are kept); go on after it. */
        start = bad->next;
        end = NULL;
    }
    if (open && (w->retention.max_entries || w->retention.max_age_ms)) {
        int64_t min_time = w->retention.max_age_ms ? now - (int64_t)w->retention.max_age_ms : 0;
        /* In a nested transaction of its own: a failing trim (say, a full
         * map) is undone alone instead of failing the batch's commit. */
        int trc = store_job_begin(sw, err, sizeof err);
        if (trc == 0) {
            trc = store_write_trim(sw, w->retention.max_entries, min_time, WRITER_TRIM_STEPS,
                                   err, sizeof err);
            int kept = store_job_end(sw, trc == 0, err, sizeof err);
            if (!trc)
                trc = kept;
        }
        if (trc)
            log_warn("change-log retention: %s", err);
    }
    if (open && writer_commit_part(sw, start, NULL, err, sizeof err) == 0)
        commits++;
    for (writer_job *j = batch; j; j = j->next) {
        if (j->rc)
            failed++;
        else if (j->op == WRITER_PUT)
            written += j->nitems;
        else
            deletes += j->nitems;
    }

    if (commits)
        w->index_stuck = 0;
    pthread_mutex_lock(&w->lock);
    w->stats.commits += commits;
    w->stats.events_written += written;
    w->stats.deletes += deletes;
    w->stats.failed_jobs += failed;
    if (items > w->stats.largest_batch)
        w->stats.largest_batch = items;
    pthread_mutex_unlock(&w->lock);
    writer_hand_back(w, batch);
}

static int writer_has_work(void *ud)
{
    writer_t *w = ud;
    return atomic_load(&w->has_work);
}

/* Index the next chunk of events not indexed yet, in a commit of its own.
 * When yield is set, it gives up (returning STORE_INDEX_STOPPED, nothing
 * kept) as soon as a job is queued, so idle indexing never holds a write
 * back for long. */
static int writer_index_chunk(writer_t *w, int yield, char *err, size_t errlen)
{
    store_index_stop stop = { writer_has_work, w };
    for (;;) {
        store_writer *sw;
        size_t n = 0;
        int rc = store_write_begin(w->store, &sw, err, errlen);
        if (rc)
            return rc;
        rc = store_write_index(sw, w->index_chunk, yield ? &stop : NULL, &n, err, errlen);
        if (rc == ERROR_TOO_LARGE && w->index_chunk > WRITER_INDEX_CHUNK_MIN) {
            store_write_abort(sw);
            w->index_chunk /= 2;
            continue;
        }
        if (rc) {
            store_write_abort(sw);
            return rc;
        }
        uint64_t read_us, sort_us, write_us, t0 = writer_clock_us();
        store_write_index_times(sw, &read_us, &sort_us, &write_us);
        if ((rc = store_write_commit(sw, err, errlen)))
            return rc;
        uint64_t commit_us = writer_clock_us() - t0;
        log_debug("indexed %zu new events: read %llu ms, sort %llu ms, write %llu ms, commit %llu ms",
                  n, (unsigned long long)read_us / 1000, (unsigned long long)sort_us / 1000,
                  (unsigned long long)write_us / 1000, (unsigned long long)commit_us / 1000);
        if (n == w->index_chunk) {
            w->index_chunk += w->index_chunk / 4;
            if (w->index_chunk > WRITER_INDEX_CHUNK_MAX)
                w->index_chunk = WRITER_INDEX_CHUNK_MAX;
        }
        pthread_mutex_lock(&w->lock);
        w->stats.index_commits++;
        w->stats.events_indexed += n;
        pthread_mutex_unlock(&w->lock);
        return 0;
    }
}

/* Index until at most target events wait. Returns 0 or the error that
 * stopped it (logged; the events stay unindexed, nothing is lost). */
static int writer_catch_up(writer_t *w, uint64_t target, char *err, size_t errlen)
{
    int rc = 0;
    while (store_index_lag(w->store) > target)
        if ((rc = writer_index_chunk(w, 0, err, errlen)))
            break;
    store_write_index_release(w->store);
    if (rc) {
        log_error("indexing new events: %s", err);
        w->index_stuck = 1;
        pthread_mutex_lock(&w->lock);
        w->stats.index_failures++;
        pthread_mutex_unlock(&w->lock);
    }
    return rc;
}

/* Wait for work. While events wait to be indexed and no write comes for
 * idle_ms, index them a chunk at a time, looking for new work between
 * chunks. Called and returns with the lock held. */
static void writer_wait(writer_t *w)
{
    int idle = 0;
    while (!w->queue_head && !w->stopping) {
        if (w->index_stuck || store_index_lag(w->store) == 0) {
            if (idle) {
                pthread_mutex_unlock(&w->lock);
                store_write_index_release(w->store);
                pthread_mutex_lock(&w->lock);
                idle = 0;
                continue;
            }
            pthread_cond_wait(&w->cond, &w->lock);
            continue;
        }
        if (!idle) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += (time_t)(w->idle_wait_ms / 1000);
            ts.tv_nsec += (long)(w->idle_wait_ms % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            if (pthread_cond_timedwait(&w->cond, &w->lock, &ts) != ETIMEDOUT)
                continue;
            if (w->queue_head || w->stopping)
                break;
            idle = 1;
        }
        char err[512];
        pthread_mutex_unlock(&w->lock);
        int rc = writer_index_chunk(w, 1, err, sizeof err);
        /* Given up for a write: wait longer before the next try, so that
         * steady writes with short pauses do not keep starting work that
         * is thrown away; back to idle_ms once a try gets through. */
        if (rc == STORE_INDEX_STOPPED) {
            w->idle_wait_ms = w->idle_wait_ms * 2 + 1;
            if (w->idle_wait_ms > WRITER_IDLE_WAIT_MAX_MS)
                w->idle_wait_ms = WRITER_IDLE_WAIT_MAX_MS;
        } else {
            w->idle_wait_ms = w->index.idle_ms;
        }
        if (rc && rc != STORE_INDEX_STOPPED) {
            log_error("indexing new events: %s", err);
            w->index_stuck = 1;
        }
        pthread_mutex_lock(&w->lock);
    }
    if (idle) {
        pthread_mutex_unlock(&w->lock);
        store_write_index_release(w->store);
        pthread_mutex_lock(&w->lock);
    }
}

static void *writer_main(void *arg)
{
    writer_t *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        writer_wait(w);
        if (!w->queue_head)
            break;
        /* Take what waits, up to the batch limit: every job that arrived
         * while the previous commit was syncing shares this one. */
        writer_job *batch = w->queue_head, *last = batch;
        size_t items = batch->nitems, bytes = writer_job_bytes(batch);
        while (last->next && items + last->next->nitems <= WRITER_BATCH_ITEMS &&
               bytes + writer_job_bytes(last->next) <= WRITER_BATCH_BYTES) {
            last = last->next;
            items += last->nitems;
            bytes += writer_job_bytes(last);
        }
        w->queue_head = last->next;
        if (!w->queue_head) {
            w->queue_tail = NULL;
            atomic_store(&w->has_work, 0);
        }
        last->next = NULL;
        pthread_mutex_unlock(&w->lock);

        /* Readers waiting for the index are answered after the writes of
         * the batch are, and after everything committed is indexed. */
        writer_job *writes = NULL, **wt = &writes, *waiters = NULL, **xt = &waiters;
        for (writer_job *j = batch, *next; j; j = next) {
            next = j->next;
            j->next = NULL;
            if (j->op == WRITER_INDEX) {
                *xt = j;
                xt = &j->next;
            } else {
                *wt = j;
                wt = &j->next;
            }
        }
        if (writes)
            writer_run_batch(w, writes);
        if (waiters) {
            char err[512];
            int rc = writer_catch_up(w, 0, err, sizeof err);
            for (writer_job *j = waiters; j; j = j->next) {
                j->rc = rc;
                if (rc)
                    snprintf(j->err, sizeof j->err, "the new events could not be indexed: %.400s", err);
            }
            writer_hand_back(w, waiters);
        } else if (w->index.max_lag && !w->index_stuck && store_index_lag(w->store) > w->index.max_lag) {
            /* One slice of indexing per batch of writes: writes go on, at
             * the pace indexing keeps. */
            char err[512];
            writer_catch_up(w, store_index_lag(w->store) - 1, err, sizeof err);
        }
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void on_writer_done(uv_async_t *handle)
{
    writer_t *w = handle->data;
    pthread_mutex_lock(&w->lock);
    writer_job *j = w->done_head;
    w->done_head = w->done_tail = NULL;
    pthread_mutex_unlock(&w->lock);
    int any = j != NULL;
    while (j) {
        writer_job *next = j->next;
        j->next = NULL;
        j->done(j);
        j = next;
    }
    if (any && w->after)
        w->after(w->after_ud);
}

writer_t *writer_new(uv_loop_t *loop, store_t *store, const writer_retention *retention,
                     const writer_index_policy *index, writer_after_cb after, void *after_ud)
{
    writer_t *w = xcalloc(1, sizeof *w);
    w->index = *index;
    w->index_chunk = WRITER_INDEX_CHUNK;
    w->idle_wait_ms = w->index.idle_ms;
    w->after = after;
    w->after_ud = after_ud;
    w->loop = loop;
    w->store = store;
    w->retention = *retention;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    uv_async_init(loop, &w->async, on_writer_done);
    w->async.data = w;
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        log_error("cannot start the writer thread");
        abort();
    }
    w->started = 1;
    return w;
}

void writer_submit(writer_t *w, writer_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&w->lock);
    if (w->queue_tail)
        w->queue_tail->next = job;
    else
        w->queue_head = job;
    w->queue_tail = job;
    atomic_store(&w->has_work, 1);
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void writer_stats(writer_t *w, writer_stats_t *out)
{
    pthread_mutex_lock(&w->lock);
    *out = w->stats;
    pthread_mutex_unlock(&w->lock);
}

static void on_writer_closed(uv_handle_t *handle)
{
    writer_t *w = handle->data;
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
}

void writer_stop(writer_t *w)
{
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    atomic_store(&w->has_work, 1);     /* idle indexing gives way to the stop */
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    if (w->started)
        pthread_join(w->thread, NULL);
    /* Answer what the thread finished after the last wake-up. */
    on_writer_done(&w->async);
    uv_close((uv_handle_t *)&w->async, on_writer_closed);
}
