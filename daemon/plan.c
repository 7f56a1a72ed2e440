/* plan.c: choosing the index a filtered query reads (see plan.h). */
#include <stdlib.h>
#include <string.h>

#include "daemon/plan.h"
#include "proto/xalloc.h"

/* One candidate group while planning. */
typedef struct {
    char *term[PLAN_TERMS_MAX];
    size_t len[PLAN_TERMS_MAX];
    unsigned n;
    int exact;           /* having one of the terms is the whole condition */
    uint64_t estimate;
} plan_group;

static void plan_group_add(store_reader *r, plan_group *g, int field, const char *v, size_t len)
{
    if (g->n == PLAN_TERMS_MAX)
        return;
    for (unsigned i = 0; i < g->n; i++)   /* a value given twice is one term */
        if (g->len[i] == len + 1 && g->term[i][0] == (char)field && memcmp(g->term[i] + 1, v, len) == 0)
            return;
    char *t = xmalloc(len + 1);
    t[0] = (char)field;
    memcpy(t + 1, v, len);
    g->term[g->n] = t;
    g->len[g->n] = len + 1;
    g->n++;
    g->estimate += store_term_count(r, t, len + 1);
}

static void plan_group_list(store_reader *r, plan_group *g, int field, const filter_list *l)
{
    memset(g, 0, sizeof *g);
    g->exact = 1;
    for (unsigned i = 0; i < l->n; i++)
        plan_group_add(r, g, field, l->v[i], l->len[i]);
}

/* The word of seq with the fewest postings: reading it finds a superset of
 * the events that have the whole sequence. */
static void plan_group_rarest(store_reader *r, plan_group *g, int field, const terms_seq *seq)
{
    unsigned best = 0;
    uint64_t best_n = UINT64_MAX;
    char buf[TERM_WORD_MAX + 2];
    for (unsigned i = 0; i < seq->n; i++) {
        buf[0] = (char)field;
        memcpy(buf + 1, seq->w[i], seq->wlen[i]);
        uint64_t n = store_term_count(r, buf, seq->wlen[i] + 1);
        if (n < best_n) {
            best_n = n;
            best = i;
        }
    }
    if (seq->n)
        plan_group_add(r, g, field, seq->w[best], seq->wlen[best]);
    if (seq->n > 1)
        g->exact = 0;
}

static void plan_group_free(plan_group *g)
{
    for (unsigned i = 0; i < g->n; i++)
        free(g->term[i]);
    g->n = 0;
}

/* Keep g as the best so far when it reads fewer postings. */
static void plan_consider(plan_group *best, int *have, unsigned *groups, plan_group *g)
{
    (*groups)++;
    if (!*have || g->estimate < best->estimate) {
        if (*have)
            plan_group_free(best);
        *best = *g;
        *have = 1;
    } else {
        plan_group_free(g);
    }
}

void plan_make(store_reader *r, const filter_t *f, plan_t *pl)
{
    plan_group best, g;
    int have = 0;
    unsigned groups = 0;
    const filter_list *lists[] = { &f->kinds, &f->countries, &f->tags, &f->parents };
    const int fields[] = { TERM_KIND, TERM_COUNTRY, TERM_TAG, TERM_PARENT };

    memset(pl, 0, sizeof *pl);
    memset(&best, 0, sizeof best);
    for (unsigned i = 0; i < 4; i++) {
        if (!lists[i]->n)
            continue;
        plan_group_list(r, &g, fields[i], lists[i]);
        plan_consider(&best, &have, &groups, &g);
    }
    if (f->nparticipants) {
        memset(&g, 0, sizeof g);
        g.exact = 1;
        for (unsigned i = 0; i < f->nparticipants; i++)
            plan_group_rarest(r, &g, TERM_PARTICIPANT, f->participants[i]);
        plan_consider(&best, &have, &groups, &g);
    }
    if (f->nplaces) {
        memset(&g, 0, sizeof g);
        g.exact = 1;
        for (unsigned i = 0; i < f->nplaces; i++) {
            const filter_place *p = f->places[i];
            if (p->has_code)
                plan_group_add(r, &g, TERM_PLACE_COUNTRY, p->code, 2);
            plan_group_rarest(r, &g, TERM_PLACE, &p->seq);
        }
        plan_consider(&best, &have, &groups, &g);
    }
    for (unsigned i = 0; f->q && i < f->q->n; i++) {
        memset(&g, 0, sizeof g);
        g.exact = 1;
        plan_group_rarest(r, &g, TERM_WORD, &f->q->clause[i]);
        plan_consider(&best, &have, &groups, &g);
    }
    if (!have)
        return;             /* no field filter: the time index */
    memcpy(pl->term, best.term, sizeof pl->term);
    memcpy(pl->len, best.len, sizeof pl->len);
    pl->n = best.n;
    pl->estimate = best.estimate;
    pl->verify = groups > 1 || !best.exact || best.n == 0;
}

void plan_release(plan_t *pl)
{
    for (unsigned i = 0; i < pl->n; i++)
        free(pl->term[i]);
    pl->n = 0;
}

void plan_scan_params(const plan_t *pl, const filter_t *f, store_scan_params *p)
{
    memset(p, 0, sizeof *p);
    p->lo = f->lo;
    p->hi = f->hi;
    p->within = f->within;
    p->terms = (const char *const *)pl->term;
    p->term_len = pl->len;
    p->nterms = pl->n;
}
