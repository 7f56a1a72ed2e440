/* writer.h: the writer thread. The event loop hands it write jobs; it applies
 * every job waiting in one LMDB transaction (group commit; a failing job is
 * undone alone by redoing the others), syncs, and hands the jobs back to the
 * loop thread, so reads keep being served while a commit waits for the
 * disk. Between commits it builds the index entries of new events
 * (store_write_index). */
#ifndef ANNALS_WRITER_H
#define ANNALS_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "daemon/store.h"

typedef struct writer writer_t;

typedef struct {
    char *id;               /* owned */
    size_t idlen;
    edtf_bounds_t bounds;
    char *body;             /* owned; NULL for a delete */
    size_t body_len;
    char *change;           /* owned: the change-log value written, for the feed */
    size_t change_len;
    uint64_t seq;           /* the seq this item got */
} writer_item;

enum {
    WRITER_PUT = 1, WRITER_DELETE = 2, WRITER_TRIM = 3 /* no items: retention only */,
    WRITER_INDEX = 4            /* no items: done once every event committed before it is indexed */
};

typedef struct writer_job writer_job;
typedef void (*writer_done_cb)(writer_job *job);

struct writer_job {
    writer_job *next;
    int op;                 /* WRITER_PUT: all items or none; WRITER_DELETE: one */
    writer_item *items;     /* owned */
    size_t nitems;
    void *owner;            /* for the done callback (the connection) */
    uint32_t msgid;
    writer_done_cb done;    /* called on the loop thread once durable or failed */
    int many;               /* put_many: the reply lists every id */
    int method;             /* for stats: the request's method (rpc_call.method_id) */
    uint64_t arrived_ns;    /* and when it was framed */
    /* results */
    int rc;                 /* 0 or an ERROR_ code */
    char err[512];
    long err_index;         /* item that failed, or -1 */
    uint64_t seq;           /* seq of the last item */
};

typedef struct {
    uint64_t commits, events_written, deletes, largest_batch, failed_jobs;
    uint64_t index_commits, events_indexed, index_failures;
} writer_stats_t;

/* Change-log retention, applied a bounded number of entries per commit. */
typedef struct {
    uint64_t max_entries;   /* 0: no limit */
    uint64_t max_age_ms;    /* 0: no limit */
} writer_retention;

/* When the deferred index (store.h) catches up: at once for a WRITER_INDEX
 * job; by itself once more than max_lag events wait (a slice of indexing
 * after each batch of writes then, so writes keep pace with indexing)
 * and when no write came for idle_ms. */
typedef struct {
    uint64_t max_lag;
    uint64_t idle_ms;
} writer_index_policy;

/* Called on the loop thread after the done callbacks of one wake-up, so
 * work they queued (feed output) can be flushed once rather than per job. */
typedef void (*writer_after_cb)(void *ud);

/* writer_new: start the thread. The writer holds an async handle on loop. */
writer_t *writer_new(uv_loop_t *loop, store_t *store, const writer_retention *retention,
                     const writer_index_policy *index, writer_after_cb after, void *after_ud);

/* writer_job_new: a job with room for nitems items (zeroed). */
writer_job *writer_job_new(int op, size_t nitems);
void writer_job_free(writer_job *job);

/* writer_job_bytes: the id and body bytes a job carries. */
size_t writer_job_bytes(const writer_job *job);

/* writer_submit: queue a job (loop thread). Its done callback runs later on
 * the loop thread; the callback owns the job then and frees it. */
void writer_submit(writer_t *w, writer_job *job);

void writer_stats(writer_t *w, writer_stats_t *out);

/* writer_stop: finish every queued job, run their callbacks, stop the thread
 * and close the async handle. The writer is freed when the handle is closed. */
void writer_stop(writer_t *w);

#endif
