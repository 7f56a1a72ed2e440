/* bench_peer_scale.c: the scale benchmark (bench_peers --scale, `make bench
 * BENCH=scale`): annals alone, one server whose database grows through each
 * N of --scale (the first N events of the seed: the database at 1M is the
 * one at 100k plus 900k more), the query workloads run at each N, to show
 * whether a query's cost stays flat as the database grows. The events are
 * described but not kept (a peer_set without bodies): the loader generates
 * them again, so at 10M this process holds some 900 MB, not 9 GB, and
 * leaves the page cache to the server. */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "tests/bench/bench.h"
#include "tests/bench/bench_peer_proc.h"
#include "tests/bench/bench_peer_table.h"

int peer_scale_run(peer_env *env, peer_report *rep)
{
    const peer_driver *d = &peer_annals;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = cpus > 1 ? (unsigned)cpus : 1;
    peer_set set;
    char dir[512], err[512];
    void *server = NULL;
    int show_log = 0, failed = 0;

    if (peer_dir_make(dir, sizeof dir) < 0)
        return 1;
    env->dir = dir;
    if (d->start(env, &server, err, sizeof err) < 0) {
        fprintf(stderr, "bench_peers: %s: start: %s\n", d->name, err);
        peer_dir_remove(dir);
        env->dir = NULL;
        return 1;
    }
    peer_set_init(&set, rep->seed, 0);
    for (unsigned k = 0; k < rep->nscale && !atomic_load(&bench_interrupted); k++) {
        peer_load_result *l = &rep->scale_load[k];
        uint64_t from = set.n;
        fprintf(stderr, "bench_peers: scale: N=%" PRIu64 ": load events %" PRIu64 "..%" PRIu64
                "\n", rep->scale_n[k], from, rep->scale_n[k] - 1);
        l->ran = 1;
        if (peer_set_grow(&set, rep->scale_n[k], threads) < 0)
            break;
        if (peer_load(d, server, &set, from, rep->loaders, rep->check, l) < 0) {
            failed = show_log = 1;
            break;
        }
        failed |= l->check_bad > 0;
        /* The runs alternate, so a noisy spell of the machine does not hit
         * every run of one workload. */
        for (unsigned r = 0; r < rep->runs; r++)
            for (unsigned w = 0; w < PEER_NWORKS; w++) {
                if (!rep->works[w])
                    continue;
                for (unsigned c = 0; c < rep->nconc && !atomic_load(&bench_interrupted); c++) {
                    peer_result *x = &rep->scale_res[k][w][c][r];
                    peer_run(d, server, &set, w, rep->conc[c], 0, rep->secs, NULL, x);
                    fprintf(stderr, "bench_peers: scale: N=%-9" PRIu64 " %-7s c=%-3u %9.0f ops/s  "
                                    "p50 %8.3f ms  p99 %8.3f ms  hits %.1f%s%s\n", rep->scale_n[k],
                            peer_work_names[w], rep->conc[c], x->ops, (double)x->p50 / 1e6,
                            (double)x->p99 / 1e6, x->hits, x->errors ? "  errors: " : "",
                            x->errors ? x->first_error : "");
                    show_log |= x->errors > 0;
                }
            }
    }
    rep->set_bytes = set.bytes;
    peer_set_release(&set);
    d->stop(server, show_log);
    peer_dir_remove(dir);
    env->dir = NULL;
    return failed;
}
