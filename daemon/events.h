/* events.h: the handlers of put, put_many, get and delete, and the packing of
 * a stored record as an event map. */
#ifndef ANNALS_EVENTS_H
#define ANNALS_EVENTS_H

#include "daemon/index.h"
#include "daemon/rpc.h"

int events_put(rpc_call *call);
int events_put_many(rpc_call *call);
int events_get(rpc_call *call);
int events_delete(rpc_call *call);

/* events_pack_record: pack the event: id, the stored body's fields, then
 * seq, created, updated, bounds and, when certainty >= 0, certainty. */
void events_pack_record(msgpack_packer *pk, const char *id, size_t idlen,
                        const index_record *rec, int certainty);

#define EVENTS_PUT_MANY_MAX 10000

#endif
