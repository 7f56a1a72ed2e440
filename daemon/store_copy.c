/* store_copy.c: the hot copy of store.h: a compacted, consistent copy of the
 * live database written to a file while reads and writes go on, and the seq
 * such a copy holds. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/store_priv.h"
#include "proto/error.h"

int store_copy(store_t *s, int fd, char *err, size_t errlen)
{
    /* LMDB reads the whole copy inside one read transaction of its own:
     * the copy is the snapshot of the last commit before it began, and the
     * writer keeps committing meanwhile (the pages the snapshot still sees
     * are not reused until it ends, so the database may grow while a large
     * copy runs). Compaction writes only the pages in use, renumbered, so
     * the copy is also the smallest file that holds the data. */
    int rc = mdb_env_copyfd2(s->env, fd, MDB_CP_COMPACT);
    if (rc == 0)
        return 0;
    if (rc == ENOSPC || rc == EDQUOT) {
        snprintf(err, errlen, "the disk holding the backup is full");
        return ERROR_INTERNAL;
    }
    snprintf(err, errlen, "copying the database: %s", mdb_strerror(rc));
    return ERROR_INTERNAL;
}

int store_copy_seq(const char *file, uint64_t *seq, char *err, size_t errlen)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi meta;
    const char *what = "mdb_env_create";
    *seq = 0;
    int rc = mdb_env_create(&env);
    if (rc)
        goto fail;
    mdb_env_set_maxdbs(env, 16);
    /* The file alone (no directory, no lock file): nobody else has it open,
     * and reading it must not write anything beside it. */
    what = "opening the copy";
    if ((rc = mdb_env_open(env, file, MDB_NOSUBDIR | MDB_RDONLY | MDB_NOLOCK, 0600)))
        goto fail;
    what = "reading the copy";
    if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) ||
        (rc = mdb_dbi_open(txn, "meta", 0, &meta)))
        goto fail;
    /* The seq sits in the meta data written by the same commit as the
     * events, so it is exactly the last write the copy holds; an empty
     * database has none yet. */
    MDB_val k = { 3, "seq" }, v;
    rc = mdb_get(txn, meta, &k, &v);
    if (rc == 0 && v.mv_size == 8)
        memcpy(seq, v.mv_data, 8);
    else if (rc == 0)
        rc = MDB_CORRUPTED;
    else if (rc == MDB_NOTFOUND)
        rc = 0;
    if (rc)
        goto fail;
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return 0;
fail:
    snprintf(err, errlen, "%s %s: %s", what, file, mdb_strerror(rc));
    if (txn)
        mdb_txn_abort(txn);
    if (env)
        mdb_env_close(env);
    return ERROR_INTERNAL;
}
