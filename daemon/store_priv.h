/* store_priv.h: what the store*.c files share: the LMDB handles behind
 * store.h. Nothing outside the store includes it. */
#ifndef ANNALS_STORE_PRIV_H
#define ANNALS_STORE_PRIV_H

#include <stdatomic.h>

#include <lmdb.h>

#include "daemon/store.h"
#include "daemon/terms.h"

/* The version of what terms.c and textnorm.c make of an event. Raise it when
 * a change to them would index some event differently: the store then
 * rebuilds the indexes when it opens, so postings made by old rules never
 * hide events from queries that use the new ones. */
#define STORE_TERMS_VERSION 2     /* 2: day counts added */

struct store_reader {
    store_t *s;
    MDB_txn *txn;
    int active;
};

struct store_writer {
    store_t *s;
    buf_t prev;         /* summary of the version being replaced or deleted */
    buf_t rec;          /* the new record, for the change log */
    term_set old_terms, new_terms;
    msgpack_unpacked scratch;
    MDB_txn *txn;       /* the group transaction */
    MDB_txn *job;       /* the nested transaction of the current job, or NULL */
    uint64_t seq;       /* last seq handed out in this transaction */
    uint64_t job_seq;   /* seq when the current job began */
    uint64_t next_doc;  /* next doc to hand out in this transaction */
    uint64_t job_next_doc;
    uint64_t trimmed;   /* highest seq trimmed, in this transaction */
    uint64_t job_trimmed; /* trimmed when the current job began */
    uint64_t indexed_doc; /* first doc not yet indexed, in this transaction */
    uint64_t job_indexed_doc;
    int index_inline;   /* index new events in the put itself (store_write_inline) */
    struct store_index_batch *ibatch; /* store_write_index's buffers, or NULL */
};

struct store {
    MDB_env *env;
    MDB_dbi meta, ids, events, time, post, counts, changes;
    char *path;
    int lock_fd;
    _Atomic uint64_t seq;   /* last committed seq; written by the writer thread */
    _Atomic uint64_t trimmed; /* highest seq removed from the change log */
    /* Committed; written by the writer thread, read by any. Docs from
     * indexed_doc on have records but no index entries yet (store_index.c). */
    _Atomic uint64_t next_doc;
    _Atomic uint64_t indexed_doc;
    struct store_reader reader;
    struct store_writer writer;
};

/* store_disk_nearly_full: less than 1 MiB is left on the disk of the data
 * directory (to tell a full disk behind LMDB's EIO for a short write). */
int store_disk_nearly_full(store_t *s);

/* store_mdb_error: an LMDB error as an annals code and message. */
int store_mdb_error(int rc, const char *what, char *err, size_t errlen);

/* store_index_event: add (add != 0) or remove the time entry, postings and
 * day counts of an event at slot with terms ts; whole: also count it in (or
 * out of) the whole database's day counts (0 when only some of its terms
 * change). */
int store_index_event(store_t *s, MDB_txn *txn, const unsigned char slot[INDEX_SLOT_SIZE],
                      const edtf_bounds_t *b, const term_set *ts, int add, int whole,
                      char *err, size_t errlen);

/* The deferred index (store_index.c): entries gathered for a batch of docs. */
typedef struct store_index_batch store_index_batch;
store_index_batch *store_index_batch_new(void);
void store_index_batch_free(store_index_batch *b);

/* store_index_batch_times: how long the last store_index_docs spent reading
 * records into entries, sorting them and writing them, in microseconds. */
void store_index_batch_times(const store_index_batch *b, uint64_t *read_us, uint64_t *sort_us,
                             uint64_t *write_us);

/* store_index_docs: add the time entries, postings and day counts of the
 * records of docs in [from, to), at most max_docs of them, in txn. *reached:
 * the first doc not indexed (to when all were); *ndocs: records indexed.
 * Returns 0, an error code, or STORE_INDEX_STOPPED when stop (if not NULL)
 * said so (the transaction then holds part of the batch: abort it). */
int store_index_docs(store_t *s, MDB_txn *txn, store_index_batch *b, uint64_t from, uint64_t to,
                     size_t max_docs, const store_index_stop *stop, uint64_t *reached, size_t *ndocs,
                     char *err, size_t errlen);

/* store_rebuild_postings: empty the time, posting and day-count databases
 * and mark every event unindexed, so the writer indexes them all again (when
 * STORE_TERMS_VERSION changed). Sets s->indexed_doc. */
int store_rebuild_postings(store_t *s, MDB_txn *txn, char *err, size_t errlen);

/* store_migrate_v1: turn a format 1 database (events keyed by id, time
 * index keyed by id) into format 2's records, ids and next doc, in txn. The
 * caller then rebuilds the indexes. */
int store_migrate_v1(store_t *s, MDB_txn *txn, char *err, size_t errlen);

#endif
