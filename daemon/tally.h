/* tally.h: counting the events of one index term (or of the whole database)
 * that overlap a window from the day counts (index.h), so that count,
 * histogram and top cost in proportion to the days of the window and the
 * events near its edges, not to the events they count. */
#ifndef ANNALS_TALLY_H
#define ANNALS_TALLY_H

#include "daemon/plan.h"
#include "daemon/store.h"

/* Events reported as (t, n): n events counted at time t, which is the start
 * of a whole day for the events that began that day inside the window, the
 * event's earliest start for one that began in a partial day of the window,
 * and lo for one that began before the window. cb returns 0 to go on or an
 * error code. */
typedef int (*tally_cb)(void *ud, edtf_time t, uint64_t n);

/* tally_usable: whether plan pl for filter f can be answered from day
 * counts: overlap mode, and no filter or one counted field whose values no
 * event has two of (one kind, parent or country...: several countries
 * could count an event twice, so only one value of them). */
int tally_usable(const plan_t *pl, const filter_t *f);

/* tally_term: the events of term (len 0: every event) that overlap [lo, hi]. */
int tally_term(store_reader *r, const char *term, size_t len, edtf_time lo, edtf_time hi,
               tally_cb cb, void *ud);

/* tally_plan: the events that pass f, for a plan tally_usable accepted. */
int tally_plan(store_reader *r, const plan_t *pl, const filter_t *f, tally_cb cb, void *ud);

#endif
