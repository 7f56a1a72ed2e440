/* backup.h: the backup method: a compacted, consistent copy of the live
 * database in a new directory, made on libuv's thread pool so that the loop
 * keeps serving and the writer keeps writing (PROTOCOL.md, backup). */
#ifndef ANNALS_BACKUP_H
#define ANNALS_BACKUP_H

#include "daemon/rpc.h"

/* BACKUP_FILE: the database file of a backup directory, the name LMDB gives
 * it, so that `annalsd --data DIR` opens the backup as it is.
 * BACKUP_TEMP: what the file is called until it is complete and synced. */
#define BACKUP_FILE "data.mdb"
#define BACKUP_TEMP "data.mdb.partial"

/* backup_start: the handler of backup [{path}]. Checks the path, starts the
 * copy on the thread pool and returns RPC_DEFERRED; the reply {path, seq,
 * bytes} (or the error) is packed when the copy ends. Until then the
 * connection handles nothing after this request, so its replies stay in
 * order. One backup runs at a time: another one is refused with busy. */
int backup_start(rpc_call *call);

#endif
