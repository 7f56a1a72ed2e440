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
};

struct store {
    MDB_env *env;
    MDB_dbi meta, ids, events, time, post, counts, changes;
    char *path;
    int lock_fd;
    _Atomic uint64_t seq;   /* last committed seq; written by the writer thread */
    _Atomic uint64_t trimmed; /* highest seq removed from the change log */
    uint64_t next_doc;      /* committed; used by the writer thread only */
    struct store_reader reader;
    struct store_writer writer;
};

/* store_mdb_error: an LMDB error as an annals code and message. */
int store_mdb_error(int rc, const char *what, char *err, size_t errlen);

/* store_index_event: add (add != 0) or remove the time entry, postings and
 * day counts of an event at slot with terms ts; whole: also count it in (or
 * out of) the whole database's day counts (0 when only some of its terms
 * change). */
int store_index_event(store_t *s, MDB_txn *txn, const unsigned char slot[INDEX_SLOT_SIZE],
                      const edtf_bounds_t *b, const term_set *ts, int add, int whole,
                      char *err, size_t errlen);

/* store_rebuild_postings: empty the time and posting databases and index
 * every event again (when STORE_TERMS_VERSION changed). */
int store_rebuild_postings(store_t *s, MDB_txn *txn, char *err, size_t errlen);

/* store_migrate_v1: turn a format 1 database (events keyed by id, time
 * index keyed by id) into format 2's records, ids and next doc, in txn. The
 * caller then rebuilds the indexes. */
int store_migrate_v1(store_t *s, MDB_txn *txn, char *err, size_t errlen);

#endif
