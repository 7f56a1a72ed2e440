/* query.h: the range and count handlers (window, mode, filters, order and
 * cursor), and the filtered scan that histogram and top share. */
#ifndef ANNALS_QUERY_H
#define ANNALS_QUERY_H

#include "daemon/filter.h"
#include "daemon/rpc.h"
#include "daemon/store.h"

#define QUERY_LIMIT_DEFAULT 100
#define QUERY_LIMIT_MAX 10000
#define QUERY_PAGE_BYTES (16u << 20)  /* a page holds fewer events past this */

/* Order and resume position of a scan; NULL means ascending from the start. */
typedef struct {
    int desc;
    int has_after;
    edtf_time after_start;
    uint64_t after_doc;
} query_order;

/* query_each: call cb for every event that passes f, in date order, reading
 * the index the planner picks. rec is the event's record when it was read
 * to check the filter, NULL otherwise. cb returns 0 to go on, 1 to stop, or
 * an error code. Returns 0 or an error code. */
typedef int (*query_each_cb)(void *ud, store_hit *h, const index_record *rec);
int query_each(store_reader *r, const filter_t *f, const query_order *o, query_each_cb cb, void *ud);

/* query_count_matches: how many events pass f. */
int query_count_matches(store_reader *r, const filter_t *f, uint64_t *count);

int query_range(rpc_call *call);
int query_count(rpc_call *call);

#endif
