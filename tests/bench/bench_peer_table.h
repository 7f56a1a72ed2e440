/* bench_peer_table.h: the results of the side-by-side benchmark, every run
 * of every system kept, and their report: medians over the runs as plain
 * and markdown tables, and tests/bench/RESULTS.md. */
#ifndef ANNALS_BENCH_PEER_TABLE_H
#define ANNALS_BENCH_PEER_TABLE_H

#include <stdio.h>

#include "tests/bench/bench_peer.h"
#include "tests/bench/bench_peer_run.h"

#define PEER_MAX_SYSTEMS 4
#define PEER_MAX_RUNS 15
#define PEER_MAX_CONC 8

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
} peer_report;

/* peer_table_print: the tables (medians over the runs) to out, plain or
 * markdown. Returns how many runs had errors or wrong answers. */
unsigned peer_table_print(const peer_report *rep, FILE *out, int markdown);

/* peer_table_write: RESULTS.md at path: the command, the machine, the
 * systems' versions and settings, the markdown tables and what each driver
 * does. Returns 0, or -1 with a message on stderr. */
int peer_table_write(const peer_report *rep, const char *path);

#endif
