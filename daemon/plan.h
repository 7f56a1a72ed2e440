/* plan.h: the query planner. A filter is a conjunction of groups (each field,
 * each clause of q), each group a union of index terms. The plan reads the
 * group whose terms have the fewest postings and checks the other groups on
 * each candidate's record; with no field filter it reads the time index. */
#ifndef ANNALS_PLAN_H
#define ANNALS_PLAN_H

#include "daemon/filter.h"
#include "daemon/store.h"

#define PLAN_TERMS_MAX (2 * FILTER_VALUES_MAX)

typedef struct {
    char *term[PLAN_TERMS_MAX];      /* owned */
    size_t len[PLAN_TERMS_MAX];
    unsigned n;
    int verify;          /* candidates must pass filter_fields on their record */
    uint64_t estimate;   /* postings of the terms read (all dates) */
} plan_t;

/* plan_make: choose what to read for f. */
void plan_make(store_reader *r, const filter_t *f, plan_t *pl);
void plan_release(plan_t *pl);

/* plan_scan_params: fill the scan parameters of the plan and window of f
 * (order and cursor left unset). */
void plan_scan_params(const plan_t *pl, const filter_t *f, store_scan_params *p);

#endif
