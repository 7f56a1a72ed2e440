/* bench_peer_table.h: the results of the side-by-side benchmark (and of
 * --scale), every run of every system kept, and their report: medians over
 * the runs as plain and markdown tables, and tests/bench/RESULTS.md (and
 * SCALE.md). */
#ifndef ANNALS_BENCH_PEER_TABLE_H
#define ANNALS_BENCH_PEER_TABLE_H

#include <stdio.h>

#include "tests/bench/bench_peer.h"
#include "tests/bench/bench_peer_run.h"

#define PEER_MAX_SYSTEMS 5
#define PEER_MAX_RUNS 15
#define PEER_MAX_CONC 8
#define PEER_MAX_SCALE 8

typedef struct {
    const char *command;      /* as given to RESULTS.md */
    uint64_t n, seed;
    double secs;
    unsigned runs, loaders, check;
    unsigned conc[PEER_MAX_CONC], nconc;
    int works[PEER_NWORKS];   /* which workloads run */
    const peer_driver *sys[PEER_MAX_SYSTEMS];
    unsigned nsys;
    char version[PEER_MAX_SYSTEMS][128];
    uint64_t set_bytes;       /* the packed events, all N */
    double elapsed;           /* seconds, the whole benchmark */
    peer_load_result load[PEER_MAX_SYSTEMS][PEER_MAX_RUNS];
    peer_result res[PEER_MAX_SYSTEMS][PEER_NWORKS][PEER_MAX_CONC][PEER_MAX_RUNS];
    peer_catchup catchup[PEER_MAX_SYSTEMS][PEER_MAX_CONC][PEER_MAX_RUNS];  /* after PUT */
    /* --scale (bench_peer_scale.c): annals alone, its database growing
     * through each N; every run of every workload at each N. */
    uint64_t scale_n[PEER_MAX_SCALE];
    unsigned nscale;
    peer_load_result scale_load[PEER_MAX_SCALE];  /* the events added to reach each N */
    peer_result scale_res[PEER_MAX_SCALE][PEER_NWORKS][PEER_MAX_CONC][PEER_MAX_RUNS];
} peer_report;

/* peer_table_print: the tables (medians over the runs) to out, plain or
 * markdown. Returns how many runs had errors or wrong answers. */
unsigned peer_table_print(const peer_report *rep, FILE *out, int markdown);

/* peer_table_scale_print, peer_table_scale_write: the same for --scale:
 * the loads and the workloads at each N, with each figure's ratio to the
 * first N's. */
unsigned peer_table_scale_print(const peer_report *rep, FILE *out, int markdown);
int peer_table_scale_write(const peer_report *rep, const char *path);

/* peer_scale_run: the scale benchmark (bench_peer_scale.c) with env's
 * binaries, as rep says (scale_n, works, conc, runs, secs, loaders, check,
 * seed); fills rep's scale results. Returns 0, or 1 when a load or a check
 * failed (errors of the runs are in the results). */
int peer_scale_run(peer_env *env, peer_report *rep);

/* peer_table_write: RESULTS.md at path: the command, the machine, the
 * systems' versions and settings, the markdown tables and what each driver
 * does. Returns 0, or -1 with a message on stderr. */
int peer_table_write(const peer_report *rep, const char *path);

#endif
