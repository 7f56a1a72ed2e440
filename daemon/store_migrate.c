/* store_migrate.c: upgrading a format 1 database in place (see
 * store_priv.h). Format 1 kept records by id in "events" and the time index
 * by (class, start, id) in "time"; format 2 keys records by doc. */
#include <stdio.h>
#include <string.h>

#include "daemon/store_priv.h"
#include "proto/buf.h"
#include "proto/error.h"

int store_migrate_v1(store_t *s, MDB_txn *txn, char *err, size_t errlen)
{
    MDB_dbi old_events, old_time;
    MDB_cursor *cur;
    MDB_val k, v;
    buf_t rec;
    uint64_t doc = 1;
    int rc;

    if ((rc = mdb_dbi_open(txn, "events", 0, &old_events)) ||
        (rc = mdb_cursor_open(txn, old_events, &cur)))
        return store_mdb_error(rc, "format 1 upgrade", err, errlen);
    buf_init(&rec);
    int code = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        index_record r;
        unsigned char dk[INDEX_DOC_SIZE];
        char id[EVENT_ID_MAX];
        if (index_record_parse(v.mv_data, v.mv_size, &r) < 0 || k.mv_size == 0 || k.mv_size > EVENT_ID_MAX) {
            snprintf(err, errlen, "format 1 upgrade: the record of '%.*s' is damaged",
                     (int)(k.mv_size > 64 ? 64 : k.mv_size), (const char *)k.mv_data);
            code = ERROR_INTERNAL;
            break;
        }
        /* LMDB's pointers last only until the next write: keep the id. */
        memcpy(id, k.mv_data, k.mv_size);
        r.id = id;
        r.idlen = k.mv_size;
        buf_reset(&rec);
        buf_reserve(&rec, index_record_size(&r));
        index_record_write(&r, rec.data);
        index_doc_key(doc, dk);
        MDB_val nk = { INDEX_DOC_SIZE, dk }, nv = { index_record_size(&r), rec.data };
        MDB_val ik = { r.idlen, id }, iv = { INDEX_DOC_SIZE, dk };
        if ((rc = mdb_put(txn, s->events, &nk, &nv, MDB_APPEND)) || (rc = mdb_put(txn, s->ids, &ik, &iv, 0))) {
            code = store_mdb_error(rc, "format 1 upgrade", err, errlen);
            break;
        }
        doc++;
    }
    if (!code && rc != MDB_NOTFOUND)
        code = store_mdb_error(rc, "format 1 upgrade", err, errlen);
    mdb_cursor_close(cur);
    buf_release(&rec);
    if (code)
        return code;
    MDB_val dk = { 8, "next_doc" }, dv = { 8, &doc };
    if ((rc = mdb_put(txn, s->meta, &dk, &dv, 0)) || (rc = mdb_drop(txn, old_events, 1)))
        return store_mdb_error(rc, "format 1 upgrade", err, errlen);
    rc = mdb_dbi_open(txn, "time", 0, &old_time);
    if (rc == 0)
        rc = mdb_drop(txn, old_time, 1);
    if (rc && rc != MDB_NOTFOUND)
        return store_mdb_error(rc, "format 1 upgrade", err, errlen);
    return 0;
}
