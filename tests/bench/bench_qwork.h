/* bench_qwork.h: the query workloads of the query benchmark: for each, the
 * method, how the parameters of its next request are drawn, and how a reply
 * is checked against PROTOCOL.md (section 6: range, count, histogram, top;
 * section 10: q). The draws come from the generator's own distributions
 * (bench_names.h, bench_text.h), so queries ask for what the data holds, as
 * often as it holds it. */
#ifndef ANNALS_BENCH_QWORK_H
#define ANNALS_BENCH_QWORK_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

#include "tests/bench/bench_rng.h"

typedef struct {
    const char *name;         /* "range_f" */
    const char *what;         /* one line for the report */
    const char *method;
    /* Pack the params array of the next request drawn from r. */
    void (*params)(bench_rng *r, msgpack_packer *pk);
    /* Check a result; *hits is what it found: events returned (range),
     * count, or total (histogram, top). 0, or -1 with a message in err. */
    int (*check)(const msgpack_object *res, uint64_t *hits, char *err, size_t errlen);
    /* What *hits means, for the report. */
    const char *hits;
} bench_qwork;

extern const bench_qwork bench_qworks[];
extern const unsigned bench_nqworks;

/* bench_qwork_find: the workload called name (len bytes), or NULL. */
const bench_qwork *bench_qwork_find(const char *name, size_t len);

#endif
