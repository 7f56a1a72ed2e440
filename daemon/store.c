/* store.c: the LMDB event store of store.h: opening, the meta data and
 * reads by id or doc. Scans are in store_scan.c, writes in store_write.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "daemon/store_priv.h"
#include "proto/buf.h"
#include "proto/error.h"
#include "proto/xalloc.h"

static int store_mkdirs(const char *dir)
{
    char *p = xstrdup(dir);
    for (char *q = p + 1; *q; q++) {
        if (*q != '/')
            continue;
        *q = '\0';
        if (mkdir(p, 0750) < 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *q = '/';
    }
    int rc = mkdir(p, 0750) < 0 && errno != EEXIST ? -1 : 0;
    free(p);
    return rc;
}

/* Two daemons on one directory would both believe they own the seq counter
 * and the socket; an advisory lock held for the life of the process stops the
 * second one with a clear message. */
static int store_lock_dir(store_t *s, char *err, size_t errlen)
{
    char lockpath[4096];
    snprintf(lockpath, sizeof lockpath, "%s/annalsd.lock", s->path);
    s->lock_fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (s->lock_fd < 0) {
        snprintf(err, errlen, "%s: %s", lockpath, strerror(errno));
        return -1;
    }
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        char pid[32] = "";
        ssize_t n = pread(s->lock_fd, pid, sizeof pid - 1, 0);
        if (n > 0)
            pid[n] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        snprintf(err, errlen, "data directory %s is in use by another annalsd%s%s%s",
                 s->path, *pid ? " (pid " : "", pid, *pid ? ")" : "");
        return -1;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(s->lock_fd, 0) < 0 || pwrite(s->lock_fd, pid, (size_t)n, 0) != n) {
        snprintf(err, errlen, "%s: %s", lockpath, strerror(errno));
        return -1;
    }
    return 0;
}

int store_mdb_error(int rc, const char *what, char *err, size_t errlen)
{
    if (rc == MDB_MAP_FULL) {
        snprintf(err, errlen, "the database is full (its map_size is reached); "
                 "raise map_size in the config and restart annalsd");
        return ERROR_DB_FULL;
    }
    if (rc == MDB_TXN_FULL) {
        snprintf(err, errlen, "the write changes more database pages than one transaction "
                 "can hold; send fewer events per put_many");
        return ERROR_TOO_LARGE;
    }
    if (rc == ENOSPC || rc == EDQUOT) {
        snprintf(err, errlen, "the disk holding the database is full");
        return ERROR_DB_FULL;
    }
    snprintf(err, errlen, "%s: %s", what, mdb_strerror(rc));
    return ERROR_INTERNAL;
}

/* The 8-byte counter key of meta into *out, which keeps its value when the
 * key is absent (or not 8 bytes). Returns 0 or LMDB's error. */
static int store_meta_u64(MDB_txn *txn, MDB_dbi meta, const char *key, uint64_t *out)
{
    MDB_val k = { strlen(key), (void *)key }, v;
    int rc = mdb_get(txn, meta, &k, &v);
    if (rc == 0 && v.mv_size == sizeof *out)
        memcpy(out, v.mv_data, sizeof *out);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int store_init_meta(store_t *s, char *err, size_t errlen)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (rc) {
        store_mdb_error(rc, "begin", err, errlen);
        return -1;
    }
    const char *what = "open databases";
    if ((rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta)) ||
        (rc = mdb_dbi_open(txn, "ids", MDB_CREATE, &s->ids)) ||
        (rc = mdb_dbi_open(txn, "records", MDB_CREATE, &s->events)) ||
        (rc = mdb_dbi_open(txn, "slots", MDB_CREATE, &s->time)) ||
        (rc = mdb_dbi_open(txn, "post", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED, &s->post)) ||
        (rc = mdb_dbi_open(txn, "counts", MDB_CREATE, &s->counts)) ||
        (rc = mdb_dbi_open(txn, "changes", MDB_CREATE, &s->changes)))
        goto fail;

    MDB_val k = { 6, "format" }, v;
    rc = mdb_get(txn, s->meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
        MDB_stat st;
        if ((rc = mdb_stat(txn, s->events, &st)))
            goto fail;
        if (st.ms_entries > 0) {
            snprintf(err, errlen, "%s holds events but no format version: not an annals database", s->path);
            mdb_txn_abort(txn);
            return -1;
        }
        uint32_t fmt = STORE_FORMAT;
        v.mv_size = sizeof fmt;
        v.mv_data = &fmt;
        what = "write format";
        if ((rc = mdb_put(txn, s->meta, &k, &v, 0)))
            goto fail;
    } else if (rc) {
        goto fail;
    } else {
        uint32_t fmt = 0;
        if (v.mv_size == sizeof fmt)
            memcpy(&fmt, v.mv_data, sizeof fmt);
        if (fmt == 1) {
            /* Format 1 (annals 0.1 before the query engine): move the
             * events to docs; the indexes are rebuilt below, since a format
             * 1 database has no terms version. */
            if (store_migrate_v1(s, txn, err, errlen)) {
                mdb_txn_abort(txn);
                return -1;
            }
            fmt = STORE_FORMAT;
            v.mv_size = sizeof fmt;
            v.mv_data = &fmt;
            what = "write format";
            if ((rc = mdb_put(txn, s->meta, &k, &v, 0)))
                goto fail;
        }
        if (fmt != STORE_FORMAT) {
            snprintf(err, errlen, "%s has database format %u; this annalsd reads format %d "
                     "(export it with the annals that wrote it, then import it into a new "
                     "data directory)", s->path, fmt, STORE_FORMAT);
            mdb_txn_abort(txn);
            return -1;
        }
    }
    uint64_t seq = 0, trimmed = 0, next_doc = 1, indexed;
    if ((rc = store_meta_u64(txn, s->meta, "seq", &seq)) ||
        (rc = store_meta_u64(txn, s->meta, "trimmed", &trimmed)) ||
        (rc = store_meta_u64(txn, s->meta, "next_doc", &next_doc)))
        goto fail;
    /* A database written before the index was deferred has every doc
     * indexed: no "indexed" entry means all of them. */
    indexed = next_doc;
    if ((rc = store_meta_u64(txn, s->meta, "indexed", &indexed)))
        goto fail;
    atomic_store(&s->seq, seq);
    atomic_store(&s->trimmed, trimmed);
    atomic_store(&s->next_doc, next_doc);
    atomic_store(&s->indexed_doc, indexed);
    /* Postings made by other rules than this build's would hide events. */
    MDB_val xk = { 5, "terms" };
    uint32_t terms = 0;
    rc = mdb_get(txn, s->meta, &xk, &v);
    if (rc == 0 && v.mv_size == sizeof terms)
        memcpy(&terms, v.mv_data, sizeof terms);
    else if (rc != MDB_NOTFOUND && rc)
        goto fail;
    if (terms != STORE_TERMS_VERSION) {
        if (store_rebuild_postings(s, txn, err, errlen)) {
            mdb_txn_abort(txn);
            return -1;
        }
        terms = STORE_TERMS_VERSION;
        v.mv_size = sizeof terms;
        v.mv_data = &terms;
        what = "write terms version";
        if ((rc = mdb_put(txn, s->meta, &xk, &v, 0)))
            goto fail;
    }
    what = "commit";
    if ((rc = mdb_txn_commit(txn))) {
        store_mdb_error(rc, what, err, errlen);
        return -1;
    }
    return 0;
fail:
    store_mdb_error(rc, what, err, errlen);
    mdb_txn_abort(txn);
    return -1;
}

int store_open(store_t **out, const char *dir, uint64_t map_size, char *err, size_t errlen)
{
    store_t *s = xcalloc(1, sizeof *s);
    s->path = xstrdup(dir);
    s->lock_fd = -1;
    s->reader.s = s;
    s->writer.s = s;
    msgpack_unpacked_init(&s->writer.scratch);
    term_set_init(&s->writer.old_terms);
    term_set_init(&s->writer.new_terms);
    int rc;

    if (store_mkdirs(dir) < 0) {
        snprintf(err, errlen, "cannot create data directory %s: %s", dir, strerror(errno));
        goto fail;
    }
    if (store_lock_dir(s, err, errlen) < 0)
        goto fail;
    if ((rc = mdb_env_create(&s->env))) {
        store_mdb_error(rc, "mdb_env_create", err, errlen);
        goto fail;
    }
    mdb_env_set_maxdbs(s->env, 16);
    if ((rc = mdb_env_set_mapsize(s->env, (size_t)map_size))) {
        store_mdb_error(rc, "map_size", err, errlen);
        goto fail;
    }
    /* MDB_NOTLS: read transactions are not tied to a thread's slot, so the
     * loop thread can keep one reader and reuse it. Sync stays on: a commit
     * returns only once the data is on disk. */
    if ((rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0640))) {
        char what[512];
        snprintf(what, sizeof what, "cannot open the database in %s", dir);
        store_mdb_error(rc, what, err, errlen);
        goto fail;
    }
    if (store_init_meta(s, err, errlen) < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    store_close(s);
    return -1;
}

uint64_t store_map_room(store_t *s, uint64_t *map_size)
{
    MDB_envinfo info;
    MDB_stat st;
    if (mdb_env_info(s->env, &info) || mdb_env_stat(s->env, &st)) {
        *map_size = 0;
        return 0;
    }
    uint64_t used = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
    *map_size = info.me_mapsize;
    uint64_t room = info.me_mapsize > used ? info.me_mapsize - used : 0;
    /* The disk may run out before the map does. */
    struct statvfs fs;
    if (statvfs(s->path, &fs) == 0) {
        uint64_t disk = (uint64_t)fs.f_bavail * fs.f_frsize;
        if (disk < room)
            room = disk;
    }
    return room;
}

int store_disk_nearly_full(store_t *s)
{
    struct statvfs fs;
    return statvfs(s->path, &fs) == 0 && (uint64_t)fs.f_bavail * fs.f_frsize < (1u << 20);
}

uint64_t store_index_lag(store_t *s)
{
    uint64_t next = atomic_load(&s->next_doc), indexed = atomic_load(&s->indexed_doc);
    return next > indexed ? next - indexed : 0;
}

void store_close(store_t *s)
{
    if (!s)
        return;
    if (s->reader.txn)
        mdb_txn_abort(s->reader.txn);
    if (s->env)
        mdb_env_close(s->env);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    buf_release(&s->writer.prev);
    buf_release(&s->writer.rec);
    term_set_release(&s->writer.old_terms);
    term_set_release(&s->writer.new_terms);
    msgpack_unpacked_destroy(&s->writer.scratch);
    store_index_batch_free(s->writer.ibatch);
    free(s->path);
    free(s);
}

const char *store_path(store_t *s)
{
    return s->path;
}

uint64_t store_seq(store_t *s)
{
    return atomic_load(&s->seq);
}

uint64_t store_trimmed(store_t *s)
{
    return atomic_load(&s->trimmed);
}

/* ---- reads ---- */

int store_read_begin(store_t *s, store_reader **out, char *err, size_t errlen)
{
    store_reader *r = &s->reader;
    int rc;
    if (r->active) {
        snprintf(err, errlen, "internal: nested read transaction");
        return ERROR_INTERNAL;
    }
    if (!r->txn)
        rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &r->txn);
    else
        rc = mdb_txn_renew(r->txn);
    if (rc)
        return store_mdb_error(rc, "read transaction", err, errlen);
    r->active = 1;
    *out = r;
    return 0;
}

void store_read_end(store_reader *r)
{
    if (!r || !r->active)
        return;
    /* Reset rather than abort: the handle is reused by the next read. */
    mdb_txn_reset(r->txn);
    r->active = 0;
}

int store_get_doc(store_reader *r, uint64_t doc, index_record *rec)
{
    unsigned char key[INDEX_DOC_SIZE];
    index_doc_key(doc, key);
    MDB_val k = { INDEX_DOC_SIZE, key }, v;
    int rc = mdb_get(r->txn, r->s->events, &k, &v);
    if (rc == MDB_NOTFOUND)
        return ERROR_NOT_FOUND;
    if (rc || index_record_parse(v.mv_data, v.mv_size, rec) < 0)
        return ERROR_INTERNAL;
    return 0;
}

int store_get(store_reader *r, const char *id, size_t idlen, index_record *rec)
{
    MDB_val k = { idlen, (void *)id }, v;
    int rc = mdb_get(r->txn, r->s->ids, &k, &v);
    if (rc == MDB_NOTFOUND)
        return ERROR_NOT_FOUND;
    if (rc || v.mv_size != INDEX_DOC_SIZE)
        return ERROR_INTERNAL;
    rc = store_get_doc(r, index_doc_parse(v.mv_data), rec);
    return rc == ERROR_NOT_FOUND ? ERROR_INTERNAL : rc;   /* ids and events disagree */
}

uint64_t store_term_count(store_reader *r, const char *term, size_t len)
{
    MDB_cursor *cur;
    MDB_val k = { len, (void *)term }, v;
    size_t n = 0;
    if (mdb_cursor_open(r->txn, r->s->post, &cur))
        return 0;
    if (mdb_cursor_get(cur, &k, &v, MDB_SET) == 0 && mdb_cursor_count(cur, &n) != 0)
        n = 0;
    mdb_cursor_close(cur);
    return n;
}

int store_terms(store_reader *r, int field, store_term_cb cb, void *ud)
{
    MDB_cursor *cur;
    unsigned char prefix = (unsigned char)field;
    MDB_val k = { 1, &prefix }, v;
    int rc = mdb_cursor_open(r->txn, r->s->post, &cur);
    if (rc)
        return ERROR_INTERNAL;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size >= 1 && *(const unsigned char *)k.mv_data == prefix) {
        int stop = cb(ud, k.mv_data, k.mv_size);
        if (stop) {
            mdb_cursor_close(cur);
            return stop;
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_NODUP);
    }
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : ERROR_INTERNAL;
}

/* The seq of the first or last (op) entry of the change log. */
static int store_changes_end(store_reader *r, MDB_cursor_op op, uint64_t *seq)
{
    MDB_cursor *cur;
    MDB_val k, v;
    if (mdb_cursor_open(r->txn, r->s->changes, &cur))
        return -1;
    int rc = mdb_cursor_get(cur, &k, &v, op);
    mdb_cursor_close(cur);
    if (rc || k.mv_size != 8)
        return -1;
    *seq = index_seq_key_parse(k.mv_data);
    return 0;
}

int store_stats(store_reader *r, store_stats_t *st)
{
    MDB_stat ms;
    MDB_envinfo info;
    memset(st, 0, sizeof *st);
    if (mdb_stat(r->txn, r->s->events, &ms))
        return ERROR_INTERNAL;
    st->events = ms.ms_entries;
    if (mdb_stat(r->txn, r->s->changes, &ms))
        return ERROR_INTERNAL;
    st->changes = ms.ms_entries;
    if (st->changes && (store_changes_end(r, MDB_FIRST, &st->changes_first) ||
                        store_changes_end(r, MDB_LAST, &st->changes_last)))
        return ERROR_INTERNAL;
    if (mdb_env_info(r->s->env, &info) || mdb_env_stat(r->s->env, &ms))
        return ERROR_INTERNAL;
    st->map_size = info.me_mapsize;
    st->page_size = ms.ms_psize;
    st->used_bytes = (uint64_t)(info.me_last_pgno + 1) * ms.ms_psize;
    st->seq = store_seq(r->s);
    return 0;
}

int store_changes(store_reader *r, uint64_t after, store_change_cb cb, void *ud)
{
    MDB_cursor *cur;
    unsigned char key[8];
    MDB_val k = { 8, key }, v;
    int rc = mdb_cursor_open(r->txn, r->s->changes, &cur);
    if (rc)
        return ERROR_INTERNAL;
    index_seq_key(after + 1, key);
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0) {
        index_change c;
        if (k.mv_size != 8 || index_change_parse(index_seq_key_parse(k.mv_data), v.mv_data, v.mv_size, &c) < 0) {
            rc = ERROR_INTERNAL;
            break;
        }
        int stop = cb(ud, &c);
        if (stop) {
            rc = stop < 0 ? stop : 0;
            mdb_cursor_close(cur);
            return rc;
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : (rc > 0 ? ERROR_INTERNAL : rc);
}

