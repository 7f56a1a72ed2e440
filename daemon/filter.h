/* filter.h: the event filters shared by range, count, histogram, top and the
 * change feed (PROTOCOL.md section 6, Filters): a window with its mode, and
 * any-of lists of kinds, countries, tags, parents, participants and places,
 * and a text query. */
#ifndef ANNALS_FILTER_H
#define ANNALS_FILTER_H

#include <msgpack.h>

#include "daemon/index.h"
#include "daemon/rpc.h"
#include "daemon/terms.h"

#define FILTER_VALUES_MAX 64
#define FILTER_NAME_MAX 256     /* bytes of a participant or place value */

typedef struct {
    char *v[FILTER_VALUES_MAX];   /* owned copies */
    size_t len[FILTER_VALUES_MAX];
    unsigned n;
} filter_list;

/* A place value: a country code (when it is two letters) and its words. */
typedef struct {
    int has_code;
    char code[3];                 /* upper case */
    terms_seq seq;
} filter_place;

typedef struct {
    edtf_time lo, hi;             /* the window; open sides are the extremes */
    int within;                   /* mode: within (1) or overlap (0) */
    filter_list kinds, countries, tags, parents;
    terms_seq *participants[FILTER_VALUES_MAX];   /* owned */
    unsigned nparticipants;
    filter_place *places[FILTER_VALUES_MAX];      /* owned */
    unsigned nplaces;
    terms_query *q;               /* owned; NULL when no q */
} filter_t;

/* filter_parse: read from, to, mode and the filter fields from the call's
 * parameters. Returns 0 or ERROR_BAD_REQUEST with call->err set. The filter
 * owns its values: release it with filter_release in every case. */
int filter_parse(rpc_call *call, filter_t *f);
void filter_release(filter_t *f);

/* filter_has_fields: whether any field filter (not the window) is set. */
int filter_has_fields(const filter_t *f);

/* filter_window: whether bounds b pass the window in the filter's mode. */
int filter_window(const filter_t *f, const edtf_bounds_t *b);

/* filter_fields: whether a stored body (the canonical msgpack map) passes
 * the field filters. scratch is reused between calls. */
int filter_fields(const filter_t *f, const char *body, size_t len, msgpack_unpacked *scratch);

/* filter_record: window and fields of a stored record. */
int filter_record(const filter_t *f, const index_record *rec, msgpack_unpacked *scratch);

#endif
