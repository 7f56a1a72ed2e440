/* bench_qtable.c: the query benchmark's report (see bench_qtable.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tests/bench/bench_qtable.h"

/* p50 at the last N over p50 at the first, or "-". */
static void qtable_ratio(const bench_qreport *rep, unsigned w, unsigned c, char *out, size_t len)
{
    const bench_qresult *a = &rep->res[0][w][c], *b = &rep->res[rep->nstages - 1][w][c];
    if (rep->nstages < 2 || !a->ok || !b->ok || a->p50 <= 0)
        snprintf(out, len, "-");
    else
        snprintf(out, len, "%.2f", (double)b->p50 / (double)a->p50);
}

static uint64_t qtable_errors(const bench_qreport *rep, unsigned w, unsigned c)
{
    uint64_t e = 0;
    for (unsigned s = 0; s < rep->nstages; s++)
        e += rep->res[s][w][c].errors;
    return e;
}

static void qtable_loads(const bench_qreport *rep, int md)
{
    if (md)
        printf("| N | events added | load s | events/s | bytes/event | db in use MiB | data.mdb MiB |\n"
               "|--:|--:|--:|--:|--:|--:|--:|\n");
    else
        printf("%10s %12s %8s %9s %11s %13s %12s\n", "N", "events added", "load s", "events/s",
               "bytes/event", "db in use MiB", "data.mdb MiB");
    for (unsigned s = 0; s < rep->nstages; s++) {
        const bench_qstage *st = &rep->stage[s];
        if (!st->loaded)
            continue;
        double rate = st->load.secs > 0 ? (double)st->load.events / st->load.secs : 0;
        double per = st->load.events ? (double)st->load.bytes / (double)st->load.events : 0;
        double used = (double)st->db.used_bytes / (1 << 20), file = (double)st->db.file_bytes / (1 << 20);
        if (md)
            printf("| %" PRIu64 " | %" PRIu64 " | %.1f | %.0f | %.0f | %.1f | %.1f |\n", st->n,
                   st->load.events, st->load.secs, rate, per, used, file);
        else
            printf("%10" PRIu64 " %12" PRIu64 " %8.1f %9.0f %11.0f %13.1f %12.1f\n", st->n,
                   st->load.events, st->load.secs, rate, per, used, file);
    }
}

static void qtable_plain(const bench_qreport *rep)
{
    const bench_opts *o = rep->o;
    char n0[24], n1[24], label[56];
    bench_run_n(rep->stage[0].n, n0, sizeof n0);
    bench_run_n(rep->stage[rep->nstages - 1].n, n1, sizeof n1);
    printf("%-12s %4s", "", "");
    for (unsigned s = 0; s < rep->nstages; s++) {
        char n[24];
        bench_run_n(rep->stage[s].n, n, sizeof n);
        snprintf(label, sizeof label, "N=%s", n);
        printf("  %-35s", label);
    }
    snprintf(label, sizeof label, "%s/%s", n1, n0);
    printf(" %9s %7s\n", "p50", "");
    printf("%-12s %4s", "workload", "conc");
    for (unsigned s = 0; s < rep->nstages; s++)
        printf("  %8s %8s %8s %8s", "ops/s", "p50 ms", "p99 ms", "hits");
    printf(" %9s %7s\n", rep->nstages > 1 ? label : "", "errors");
    for (unsigned w = 0; w < rep->nworks; w++)
        for (unsigned c = 0; c < o->nconcurrency; c++) {
            char ratio[16];
            printf("%-12s %4u", rep->work[w]->name, o->concurrency[c]);
            for (unsigned s = 0; s < rep->nstages; s++) {
                char cell[4][24];
                bench_run_cells(&rep->res[s][w][c], cell);
                printf("  %8s %8s %8s %8s", cell[0], cell[1], cell[2], cell[3]);
            }
            qtable_ratio(rep, w, c, ratio, sizeof ratio);
            printf(" %9s %7" PRIu64 "\n", ratio, qtable_errors(rep, w, c));
        }
}

static void qtable_markdown(const bench_qreport *rep)
{
    const bench_opts *o = rep->o;
    char n0[24], n1[24];
    bench_run_n(rep->stage[0].n, n0, sizeof n0);
    bench_run_n(rep->stage[rep->nstages - 1].n, n1, sizeof n1);
    printf("| workload | conc |");
    for (unsigned s = 0; s < rep->nstages; s++) {
        char n[24];
        bench_run_n(rep->stage[s].n, n, sizeof n);
        printf(" ops/s %s | p50 ms %s | p99 ms %s | hits %s |", n, n, n, n);
    }
    if (rep->nstages > 1)
        printf(" p50 %s/%s |", n1, n0);
    printf(" errors |\n|---|--:|");
    for (unsigned s = 0; s < rep->nstages; s++)
        printf("--:|--:|--:|--:|");
    printf("%s--:|\n", rep->nstages > 1 ? "--:|" : "");
    for (unsigned w = 0; w < rep->nworks; w++)
        for (unsigned c = 0; c < o->nconcurrency; c++) {
            char ratio[16];
            printf("| %s | %u |", rep->work[w]->name, o->concurrency[c]);
            for (unsigned s = 0; s < rep->nstages; s++) {
                char cell[4][24];
                bench_run_cells(&rep->res[s][w][c], cell);
                printf(" %s | %s | %s | %s |", cell[0], cell[1], cell[2], cell[3]);
            }
            if (rep->nstages > 1) {
                qtable_ratio(rep, w, c, ratio, sizeof ratio);
                printf(" %s |", ratio);
            }
            printf(" %" PRIu64 " |\n", qtable_errors(rep, w, c));
        }
}

/* Each workload that got errors: how many, in how many replies and runs,
 * and what the first one said. Returns how many runs had errors. */
static unsigned qtable_errors_list(const bench_qreport *rep)
{
    const bench_opts *o = rep->o;
    unsigned runs = 0;
    for (unsigned w = 0; w < rep->nworks; w++) {
        uint64_t errors = 0, replies = 0;
        unsigned bad = 0, ran = 0;
        const char *first = NULL;
        char where[64] = "";
        for (unsigned s = 0; s < rep->nstages; s++)
            for (unsigned c = 0; c < o->nconcurrency; c++) {
                const bench_qresult *r = &rep->res[s][w][c];
                if (!r->ran)
                    continue;
                ran++;
                replies += r->ok + r->errors;
                if (!r->errors)
                    continue;
                errors += r->errors;
                if (!bad++) {
                    char n[24];
                    bench_run_n(rep->stage[s].n, n, sizeof n);
                    snprintf(where, sizeof where, "N=%s c=%u", n, r->conc);
                    first = r->first_error;
                }
            }
        if (!bad)
            continue;
        if (!runs)
            printf("\nErrors:\n");
        runs += bad;
        printf("  %s: %" PRIu64 " error%s in %" PRIu64 " replies, in %u of %u runs; first (%s): %s\n",
               rep->work[w]->name, errors, errors == 1 ? "" : "s", replies, bad, ran, where, first);
    }
    return runs;
}

void bench_qtable_print(const bench_qreport *rep)
{
    const bench_opts *o = rep->o;
    unsigned runs = 0, total = 0;
    printf("\nannals query benchmark: %.1f s per workload and concurrency, one request in flight "
           "per connection; latency in ms from request sent to reply read\n\n", o->duration);
    qtable_loads(rep, 0);
    printf("\n");
    qtable_plain(rep);
    runs = qtable_errors_list(rep);
    for (unsigned s = 0; s < rep->nstages; s++)
        for (unsigned w = 0; w < rep->nworks; w++)
            for (unsigned c = 0; c < o->nconcurrency; c++)
                total += rep->res[s][w][c].ran;
    printf("\nWorkloads (hits: what a reply found, averaged):\n");
    for (unsigned w = 0; w < rep->nworks; w++)
        printf("  %-12s %s (hits: %s)\n", rep->work[w]->name, rep->work[w]->what, rep->work[w]->hits);
    printf("\nMarkdown:\n\n");
    qtable_loads(rep, 1);
    printf("\n");
    qtable_markdown(rep);
    printf("\n");
    if (runs)
        printf("query: %u of %u runs got errors (see Errors above)\n", runs, total);
    else
        printf("query: ok: every request of the %u runs got a reply that passed its check\n", total);
    fflush(stdout);
}
