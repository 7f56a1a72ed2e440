/* aggregate.h: the histogram and top methods (PROTOCOL.md section 6): counts
 * of the events a filter selects, by date bucket or by field value, computed
 * from the indexes without sending the events. */
#ifndef ANNALS_AGGREGATE_H
#define ANNALS_AGGREGATE_H

#include "daemon/rpc.h"

#define AGGREGATE_BUCKETS_MAX 10000
#define AGGREGATE_TOP_DEFAULT 10
#define AGGREGATE_TOP_MAX 1000

int aggregate_histogram(rpc_call *call);
int aggregate_top(rpc_call *call);

#endif
