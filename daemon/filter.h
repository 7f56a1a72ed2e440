/* filter.h: the event filters shared by range, count and the change feed: a
 * window with its mode, and any-of lists of kinds, countries and tags. */
#ifndef ANNALS_FILTER_H
#define ANNALS_FILTER_H

#include <msgpack.h>

#include "daemon/index.h"
#include "daemon/rpc.h"

#define FILTER_VALUES_MAX 64

typedef struct {
    char *v[FILTER_VALUES_MAX];   /* owned copies */
    size_t len[FILTER_VALUES_MAX];
    unsigned n;
} filter_list;

typedef struct {
    edtf_time lo, hi;             /* the window; open sides are the extremes */
    int within;                   /* mode: within (1) or overlap (0) */
    filter_list kinds, countries, tags;
} filter_t;

/* filter_parse: read from, to, mode, kind, country and tag from the call's
 * parameters. Returns 0 or ERROR_BAD_REQUEST with call->err set. The filter
 * owns its strings: release it with filter_release in every case. */
int filter_parse(rpc_call *call, filter_t *f);
void filter_release(filter_t *f);

/* filter_has_fields: whether kind, country or tag filters are set. */
int filter_has_fields(const filter_t *f);

/* filter_window: whether bounds b pass the window in the filter's mode. */
int filter_window(const filter_t *f, const edtf_bounds_t *b);

/* filter_fields: whether a stored body (the canonical msgpack map) passes
 * the kind, country and tag filters. scratch is reused between calls. */
int filter_fields(const filter_t *f, const char *body, size_t len, msgpack_unpacked *scratch);

/* filter_record: window and fields of a stored record. */
int filter_record(const filter_t *f, const index_record *rec, msgpack_unpacked *scratch);

#endif
