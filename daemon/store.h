/* store.h: the event store on LMDB (the only module that includes lmdb.h).
 *
 * Databases: "meta" (format version, last seq), "events" (id -> record),
 * "time" (the time index of index.h -> rest of the bounds) and "changes"
 * (seq -> op, time, id). Reads run on the event-loop thread inside a short
 * read transaction; writes run on the writer thread, many jobs per
 * transaction, each job in a nested transaction of its own so one failing job
 * does not undo the others. */
#ifndef ANNALS_STORE_H
#define ANNALS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/index.h"
#include "proto/buf.h"

#define STORE_FORMAT 1

typedef struct store store_t;
typedef struct store_reader store_reader;
typedef struct store_writer store_writer;

/* store_open: open (creating when absent) the database in directory dir,
 * which is created too. Refuses a database of another format and a directory
 * another annalsd holds. Returns 0, or -1 with a message in err. */
int store_open(store_t **out, const char *dir, uint64_t map_size, char *err, size_t errlen);

/* store_close: close the environment; no reader or writer may be active. */
void store_close(store_t *s);

/* --- Reads (event-loop thread) --- */

/* store_read_begin: start a read transaction. The reader is owned by the
 * store and reused; every pointer a read returns stays valid until
 * store_read_end. Returns 0 or ERROR_INTERNAL. */
int store_read_begin(store_t *s, store_reader **r, char *err, size_t errlen);
void store_read_end(store_reader *r);

/* store_get: the record of id. Returns 0, ERROR_NOT_FOUND or ERROR_INTERNAL. */
int store_get(store_reader *r, const char *id, size_t idlen, index_record *rec);

/* A time scan: events that may overlap [lo, hi] (or lie certainly within it),
 * in (start_lo, id) order, ascending or descending, optionally resuming
 * strictly after a cursor position. */
typedef struct {
    edtf_time lo, hi;
    int within;
    int desc;
    int has_after;
    edtf_time after_start;
    const char *after_id;
    size_t after_idlen;
} store_scan_params;

/* Called for each event that passes the window test; returns 0 to go on,
 * 1 to stop, or a negative error code to stop with that code. */
typedef int (*store_scan_cb)(void *ud, const char *id, size_t idlen, const edtf_bounds_t *b);

/* store_scan: returns 0, the callback's negative code, or ERROR_INTERNAL. */
int store_scan(store_reader *r, const store_scan_params *p, store_scan_cb cb, void *ud);

/* store_changes: call cb for each change-log entry with seq > after, in
 * order, until it returns non-zero (1 stops, a negative code stops with that
 * code). The change's pointers are valid until store_read_end. */
typedef int (*store_change_cb)(void *ud, const index_change *c);
int store_changes(store_reader *r, uint64_t after, store_change_cb cb, void *ud);

typedef struct {
    uint64_t events, changes, seq;
    uint64_t map_size, used_bytes, page_size;
} store_stats_t;

int store_stats(store_reader *r, store_stats_t *st);

/* store_seq: the last committed seq (safe from the loop thread). */
uint64_t store_seq(store_t *s);

/* store_trimmed: the highest seq removed from the change log by retention
 * (0 when nothing was); changes after it are all still there. */
uint64_t store_trimmed(store_t *s);

const char *store_path(store_t *s);

/* --- Writes (writer thread only) --- */

int store_write_begin(store_t *s, store_writer **w, char *err, size_t errlen);

/* store_write_seq: the last seq handed out in the open transaction. */
uint64_t store_write_seq(store_writer *w);

/* store_job_begin / store_job_end: a nested transaction around one job;
 * ok == 0 undoes everything the job did, including its seqs. store_job_end
 * returns 0, or an error code when keeping the job failed (then it is undone
 * as well). */
int store_job_begin(store_writer *w, char *err, size_t errlen);
int store_job_end(store_writer *w, int ok, char *err, size_t errlen);

/* store_write_put: insert or replace an event; keeps created of a previous
 * version. *seq is the new version's seq; when change_out is not NULL it
 * receives a copy of the change-log value written (for live subscribers).
 * Returns 0, ERROR_DB_FULL or ERROR_INTERNAL (with a message). */
int store_write_put(store_writer *w, const char *id, size_t idlen, const edtf_bounds_t *b,
                    const char *body, size_t body_len, int64_t now_ms, uint64_t *seq,
                    buf_t *change_out, char *err, size_t errlen);

/* store_write_delete: as store_write_put; returns 0, ERROR_NOT_FOUND,
 * ERROR_DB_FULL or ERROR_INTERNAL. */
int store_write_delete(store_writer *w, const char *id, size_t idlen, int64_t now_ms,
                       uint64_t *seq, buf_t *change_out, char *err, size_t errlen);

/* store_write_trim: remove the oldest change-log entries while there are
 * more than max_entries (0: no limit) or they are older than min_time_ms
 * (0: no limit), at most max_steps of them (so one commit stays short). */
int store_write_trim(store_writer *w, uint64_t max_entries, int64_t min_time_ms,
                     unsigned max_steps, char *err, size_t errlen);

/* store_write_commit: durably commit (fsync) everything since
 * store_write_begin. Returns 0, ERROR_DB_FULL or ERROR_INTERNAL; on failure
 * nothing of the transaction is kept. */
int store_write_commit(store_writer *w, char *err, size_t errlen);

/* store_write_abort: drop the transaction. */
void store_write_abort(store_writer *w);

#endif
