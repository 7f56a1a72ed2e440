/* store.h: the event store on LMDB (store*.c are the only files that include
 * lmdb.h).
 *
 * Databases: "meta" (format and index versions, last seq, next doc), "ids"
 * (id -> doc), "records" (doc -> record), "slots" (the time index: slot ->
 * rest of the bounds),
 * "post" (term -> slots, the secondary indexes of terms.h) and "changes"
 * (seq -> change), laid out as index.h describes. A write updates the
 * records, ids, change log and meta in one durable transaction; the time
 * index, postings and day counts of a new event follow later, many events
 * at a time (store_write_index), and queries wait for them
 * (store_index_lag). Reads run on the event-loop thread inside a short
 * read transaction; writes run on the writer thread, many jobs per
 * transaction, each job in a nested transaction of its own so one failing job
 * does not undo the others. */
#ifndef ANNALS_STORE_H
#define ANNALS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/index.h"
#include "proto/buf.h"

#define STORE_FORMAT 2

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

/* store_get_doc: the record of a doc. Returns 0, ERROR_NOT_FOUND or
 * ERROR_INTERNAL. */
int store_get_doc(store_reader *r, uint64_t doc, index_record *rec);

/* store_term_count: how many events have the term (field byte + value): one
 * B-tree lookup, for the query planner. */
uint64_t store_term_count(store_reader *r, const char *term, size_t len);

/* store_terms: call cb for every term whose first byte is field, in order
 * (for top); cb returns 0 to go on, non-zero to stop with that value. */
typedef int (*store_term_cb)(void *ud, const char *term, size_t len);
int store_terms(store_reader *r, int field, store_term_cb cb, void *ud);

/* A scan: the events that pass a window (section 5 of PROTOCOL.md: overlap
 * or within [lo, hi]) in (start_lo, doc) order, ascending or descending,
 * optionally resuming strictly after a position; read from the time index
 * (nterms == 0) or from the union of the postings of some terms (each event
 * once). */
typedef struct {
    edtf_time lo, hi;
    int within;
    int desc;
    int has_after;
    edtf_time after_start;
    uint64_t after_doc;
    const char *const *terms;
    const size_t *term_len;
    unsigned nterms;
} store_scan_params;

typedef struct {
    edtf_time start_lo;
    uint64_t doc;
    unsigned cls;           /* its span class (index.h) */
    int has_bounds;         /* b is filled; otherwise store_hit_bounds reads it */
    edtf_bounds_t b;
} store_hit;

typedef struct store_scan store_scan;

/* store_scan_open: start a scan; the reader must stay open until
 * store_scan_close. Returns 0 or ERROR_INTERNAL. */
int store_scan_open(store_reader *r, const store_scan_params *p, store_scan **out);

/* store_scan_next: the next event that passes the window. Returns 1 with h
 * filled, 0 at the end, or ERROR_INTERNAL. */
int store_scan_next(store_scan *sc, store_hit *h);

/* store_scan_steps: index entries the scan has read so far. */
uint64_t store_scan_steps(const store_scan *sc);

void store_scan_close(store_scan *sc);

/* store_day_counts: the day counts (index.h) of term (len 0: every event)
 * for days d0..d1, calling cb for each day that has events; cb returns 0 to
 * go on or non-zero to stop with that value. */
typedef int (*store_day_cb)(void *ud, int64_t day, uint64_t n);
int store_day_counts(store_reader *r, const char *term, size_t len, int64_t d0, int64_t d1,
                     store_day_cb cb, void *ud);

/* store_walk_starts: call cb with the earliest start of each event of term
 * (NULL: every event) whose earliest start lies in [a, b] and, when check is
 * set, whose latest end is at or after lo (only the starts each span class
 * can reach are read). Returns 0, cb's non-zero value, or ERROR_INTERNAL. */
typedef int (*store_start_cb)(void *ud, edtf_time start_lo);
int store_walk_starts(store_reader *r, const char *term, size_t len, edtf_time a, edtf_time b,
                      int check, edtf_time lo, store_start_cb cb, void *ud);

/* store_hit_bounds: fill h->b when the scan did not (one lookup). */
int store_hit_bounds(store_reader *r, store_hit *h);

/* store_changes: call cb for each change-log entry with seq > after, in
 * order, until it returns non-zero (1 stops, a negative code stops with that
 * code). The change's pointers are valid until store_read_end. */
typedef int (*store_change_cb)(void *ud, const index_change *c);
int store_changes(store_reader *r, uint64_t after, store_change_cb cb, void *ud);

typedef struct {
    uint64_t events, changes, seq;
    uint64_t changes_first, changes_last;   /* seqs of the change log's ends; 0 when empty */
    uint64_t map_size, used_bytes, page_size;
} store_stats_t;

int store_stats(store_reader *r, store_stats_t *st);

/* store_seq: the last committed seq (safe from the loop thread). */
uint64_t store_seq(store_t *s);

/* store_trimmed: the highest seq removed from the change log by retention
 * (0 when nothing was); changes after it are all still there. */
uint64_t store_trimmed(store_t *s);

const char *store_path(store_t *s);

/* --- Copies (any thread) --- */

/* store_copy: write a compacted copy of the database to fd (a new, empty
 * file opened for writing) while reads and writes go on. The copy is one
 * consistent snapshot: exactly the writes committed before it began, with
 * whatever of them was indexed then (the rest is indexed when a store opens
 * the copy). It blocks for as long as copying the database takes, so call it
 * off the event loop; the store must stay open until it returns. The caller
 * syncs and closes fd. Returns 0 or ERROR_INTERNAL with a message. */
int store_copy(store_t *s, int fd, char *err, size_t errlen);

/* store_copy_seq: the last seq held by the database file (not a directory)
 * that store_copy wrote, read from the copy itself; 0 for an empty
 * database. No process may have the file open as a store. Returns 0 or
 * ERROR_INTERNAL with a message. */
int store_copy_seq(const char *file, uint64_t *seq, char *err, size_t errlen);

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

/* store_index_lag: how many docs have a durable record but no index entries
 * yet (committed state; any thread). Every event written before the index
 * caught up is invisible to range, count, histogram and top until it has. */
uint64_t store_index_lag(store_t *s);

/* store_write_inline: in this transaction, index new events in the put
 * itself, as long as no earlier event waits to be indexed (the writer's
 * choice when the map has little room left: see writer.c). */
void store_write_inline(store_writer *w);

/* store_map_room: bytes of the map beyond the highest page in use (pages
 * freed below it are reusable too, so there is at least this much room), or
 * the space left on the disk if that is less; and the map's size. Writer
 * thread. */
uint64_t store_map_room(store_t *s, uint64_t *map_size);

/* store_write_index: in the open transaction (outside any job), build the
 * time-index entries, postings and day counts of up to max_docs of the
 * events not indexed yet, oldest doc first, sorted by key so each index page
 * is touched once. *ndocs: how many were indexed. stop, when not NULL, is
 * asked now and then whether to give up (say, because a write came).
 * Returns 0, ERROR_TOO_LARGE (the transaction is full: abort it, then try
 * fewer), ERROR_DB_FULL, ERROR_INTERNAL, or STORE_INDEX_STOPPED (abort the
 * transaction). */
typedef struct {
    int (*fn)(void *ud);
    void *ud;
} store_index_stop;
#define STORE_INDEX_STOPPED 1
int store_write_index(store_writer *w, size_t max_docs, const store_index_stop *stop, size_t *ndocs,
                      char *err, size_t errlen);

/* store_write_index_times: where the last store_write_index spent its time
 * (reading records into index entries, sorting them, writing them), in
 * microseconds, for the log. */
void store_write_index_times(store_writer *w, uint64_t *read_us, uint64_t *sort_us, uint64_t *write_us);

/* store_write_index_release: free the buffers store_write_index keeps
 * between calls (after a catch-up, so they do not hold memory while idle). */
void store_write_index_release(store_t *s);

#endif
