/* index_wait.h: reads that use the indexes (range, count, histogram, top)
 * see every write acknowledged before them. Writes are acknowledged before
 * their events are indexed (store.h), so such a read that finds events
 * waiting to be indexed asks the writer to index them first and is handled
 * again once it has. */
#ifndef ANNALS_INDEX_WAIT_H
#define ANNALS_INDEX_WAIT_H

#include "daemon/rpc.h"

/* index_wait_before: call before handling a read that uses the indexes.
 * Returns 0 to go on, RPC_WAIT when the read must be handled again later
 * (the writer was asked to catch up; nothing was packed), or an error code
 * with call->err set when the writer could not index the new events. */
int index_wait_before(rpc_call *call);

#endif
