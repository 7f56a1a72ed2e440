/* tally.c: see tally.h. */
#include "daemon/tally.h"
#include "daemon/terms.h"

#define DAY 86400LL

int tally_usable(const plan_t *pl, const filter_t *f)
{
    if (f->within || pl->verify)
        return 0;
    for (unsigned i = 0; i < pl->n; i++)
        if (!index_term_counted(pl->term[i][0]))
            return 0;
    return pl->n <= 1 || pl->term[0][0] == TERM_KIND || pl->term[0][0] == TERM_PARENT;
}

typedef struct {
    tally_cb cb;
    void *ud;
    edtf_time lo;
} tally_ctx;

static int tally_on_day(void *ud, int64_t day, uint64_t n)
{
    tally_ctx *t = ud;
    return t->cb(t->ud, day * DAY, n);
}

static int tally_on_start(void *ud, edtf_time start)
{
    tally_ctx *t = ud;
    return t->cb(t->ud, start < t->lo ? t->lo : start, 1);
}

int tally_term(store_reader *r, const char *term, size_t len, edtf_time lo, edtf_time hi,
               tally_cb cb, void *ud)
{
    tally_ctx t = { cb, ud, lo };
    const char *walk = len ? term : NULL;     /* NULL: the time index */
    int rc;
    if (lo > hi)
        return 0;
    /* Whole days inside the window: every event that began on one overlaps. */
    int64_t d0 = index_day_of(lo) + (lo % DAY != 0), d1 = index_day_of(hi + 1) - 1;
    if (d0 <= d1) {
        if ((rc = store_day_counts(r, term, len, d0, d1, tally_on_day, &t)) ||
            (rc = store_walk_starts(r, walk, len, lo, d0 * DAY - 1, 0, lo, tally_on_start, &t)) ||
            (rc = store_walk_starts(r, walk, len, (d1 + 1) * DAY, hi, 0, lo, tally_on_start, &t)))
            return rc;
    } else if ((rc = store_walk_starts(r, walk, len, lo, hi, 0, lo, tally_on_start, &t))) {
        return rc;
    }
    /* Events that began before the window and may still be going on. */
    if (lo > EDTF_TIME_MIN)
        return store_walk_starts(r, walk, len, EDTF_TIME_MIN, lo - 1, 1, lo, tally_on_start, &t);
    return 0;
}

int tally_plan(store_reader *r, const plan_t *pl, const filter_t *f, tally_cb cb, void *ud)
{
    if (pl->n == 0)
        return tally_term(r, "", 0, f->lo, f->hi, cb, ud);
    for (unsigned i = 0; i < pl->n; i++) {
        int rc = tally_term(r, pl->term[i], pl->len[i], f->lo, f->hi, cb, ud);
        if (rc)
            return rc;
    }
    return 0;
}
