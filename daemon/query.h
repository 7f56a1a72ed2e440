/* query.h: the range and count handlers: window, mode, filters, order and
 * cursor over the time index. */
#ifndef ANNALS_QUERY_H
#define ANNALS_QUERY_H

#include "daemon/rpc.h"

#define QUERY_LIMIT_DEFAULT 100
#define QUERY_LIMIT_MAX 10000
#define QUERY_PAGE_BYTES (16u << 20)  /* a page holds fewer events past this */

int query_range(rpc_call *call);
int query_count(rpc_call *call);

#endif
