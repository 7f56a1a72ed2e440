/* bench_peer_table.c: the side-by-side benchmark's report (see
 * bench_peer_table.h). Every figure is the median of that figure over the
 * runs (each run loads every system afresh, in an order that rotates from
 * run to run). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "tests/bench/bench_peer_table.h"

#define MIB (1024.0 * 1024.0)

/* The medians of one system, workload and concurrency over the runs. */
static peer_result table_result(const peer_report *rep, unsigned s, unsigned w, unsigned c)
{
    const peer_result *runs[PEER_MAX_RUNS];
    peer_result m;
    for (unsigned r = 0; r < rep->runs; r++)
        runs[r] = &rep->res[s][w][c][r];
    bench_run_medians(runs, rep->runs, &m);
    return m;
}

typedef struct {
    unsigned n;
    double secs, rate, disk, mem, anon;
    unsigned check_bad, ran;
} table_load;

static table_load table_load_of(const peer_report *rep, unsigned s)
{
    double secs[PEER_MAX_RUNS], rate[PEER_MAX_RUNS], disk[PEER_MAX_RUNS], mem[PEER_MAX_RUNS],
        anon[PEER_MAX_RUNS];
    table_load l;
    memset(&l, 0, sizeof l);
    for (unsigned r = 0; r < rep->runs; r++) {
        const peer_load_result *x = &rep->load[s][r];
        l.ran += x->ran;
        l.check_bad += x->check_bad;
        if (!x->loaded)
            continue;
        secs[l.n] = x->secs;
        rate[l.n] = x->secs > 0 ? (double)rep->n / x->secs : 0;
        disk[l.n] = (double)x->fp.disk_bytes;
        mem[l.n] = (double)x->fp.mem_bytes;
        anon[l.n] = (double)x->fp.anon_bytes;
        l.n++;
    }
    l.secs = bench_run_median(secs, l.n);
    l.rate = bench_run_median(rate, l.n);
    l.disk = bench_run_median(disk, l.n);
    l.mem = bench_run_median(mem, l.n);
    l.anon = bench_run_median(anon, l.n);
    return l;
}

static int table_annals(const peer_report *rep)
{
    for (unsigned s = 0; s < rep->nsys; s++)
        if (strcmp(rep->sys[s]->name, "annals") == 0)
            return (int)s;
    return -1;
}

/* annals' figure over this one's, or "-". */
static void table_ratio(double annals, double peer, int self, char *out, size_t len)
{
    if (self || annals <= 0 || peer <= 0)
        snprintf(out, len, "-");
    else
        snprintf(out, len, "%.2f", annals / peer);
}

static void table_row(FILE *out, int md, const char *const *cells, const int *width, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (md)
            fprintf(out, "| %s ", cells[i]);
        else
            fprintf(out, i ? " %*s" : "%-*s", width[i], cells[i]);
    }
    fprintf(out, md ? "|\n" : "\n");
}

static void table_rule(FILE *out, const char *rule)
{
    fprintf(out, "%s\n", rule);
}

static void table_loads(const peer_report *rep, FILE *out, int md)
{
    static const char *const head[] = { "system", "load s", "events/s", "annals/this",
                                        "disk MiB", "disk B/event", "mem MiB", "mem w/o files MiB",
                                        "checks" };
    static const int width[] = { 8, 8, 9, 11, 9, 12, 8, 17, 8 };
    int a = table_annals(rep);
    double annals_rate = a >= 0 ? table_load_of(rep, (unsigned)a).rate : 0;
    table_row(out, md, head, width, 9);
    if (md)
        table_rule(out, "|---|--:|--:|--:|--:|--:|--:|--:|---|");
    for (unsigned s = 0; s < rep->nsys; s++) {
        table_load l = table_load_of(rep, s);
        char c[9][32];
        const char *cells[9];
        snprintf(c[0], 32, "%s", rep->sys[s]->name);
        if (!l.n) {
            for (int i = 1; i < 9; i++)
                snprintf(c[i], 32, "-");
            snprintf(c[1], 32, "%s", l.ran ? "FAILED" : "-");
        } else {
            bench_run_num(l.secs, c[1], 32);
            snprintf(c[2], 32, "%.0f", l.rate);
            table_ratio(annals_rate, l.rate, (int)s == a, c[3], 32);
            snprintf(c[4], 32, "%.0f", l.disk / MIB);
            snprintf(c[5], 32, "%.0f", l.disk / (double)rep->n);
            snprintf(c[6], 32, "%.0f", l.mem / MIB);
            snprintf(c[7], 32, "%.0f", l.anon / MIB);
            snprintf(c[8], 32, "%s", l.check_bad ? "WRONG" : "ok");
        }
        for (int i = 0; i < 9; i++)
            cells[i] = c[i];
        table_row(out, md, cells, width, 9);
    }
}

static unsigned table_works(const peer_report *rep, FILE *out, int md)
{
    static const char *const head[] = { "workload", "conc", "system", "ops/s", "p50 ms",
                                        "p99 ms", "hits", "annals/this", "errors" };
    static const int width[] = { 8, 4, 8, 9, 8, 8, 8, 11, 7 };
    int a = table_annals(rep);
    unsigned bad = 0;
    table_row(out, md, head, width, 9);
    if (md)
        table_rule(out, "|---|--:|---|--:|--:|--:|--:|--:|--:|");
    for (unsigned w = 0; w < PEER_NWORKS; w++) {
        if (!rep->works[w])
            continue;
        for (unsigned ci = 0; ci < rep->nconc; ci++) {
            double annals_ops = a >= 0 ? table_result(rep, (unsigned)a, w, ci).ops : 0;
            for (unsigned s = 0; s < rep->nsys; s++) {
                peer_result cell = table_result(rep, s, w, ci);
                char c[9][32], fig[4][24];
                const char *cells[9];
                snprintf(c[0], 32, "%s", peer_work_names[w]);
                snprintf(c[1], 32, "%u", rep->conc[ci]);
                snprintf(c[2], 32, "%s", rep->sys[s]->name);
                bench_run_cells(&cell, fig);
                for (int i = 0; i < 4; i++)
                    snprintf(c[3 + i], 32, "%.23s", fig[i]);
                if (cell.ok)
                    table_ratio(annals_ops, cell.ops, (int)s == a, c[7], 32);
                else
                    snprintf(c[7], 32, "-");
                /* A workload the system does not answer: "-" throughout. */
                if (peer_answers(rep->sys[s], (peer_work)w))
                    snprintf(c[8], 32, "%" PRIu64, cell.errors);
                else
                    snprintf(c[8], 32, "-");
                bad += cell.errors > 0;
                for (int i = 0; i < 9; i++)
                    cells[i] = c[i];
                table_row(out, md, cells, width, 9);
            }
        }
    }
    return bad;
}

typedef struct {
    unsigned n;               /* runs whose puts a COUNT saw */
    double ops, catchup, count, sustained;
} table_put;

static table_put table_put_of(const peer_report *rep, unsigned s, unsigned c)
{
    double ops[PEER_MAX_RUNS], catchup[PEER_MAX_RUNS], count[PEER_MAX_RUNS],
        sustained[PEER_MAX_RUNS];
    table_put p;
    memset(&p, 0, sizeof p);
    for (unsigned r = 0; r < rep->runs; r++) {
        const peer_result *x = &rep->res[s][PEER_PUT][c][r];
        const peer_catchup *k = &rep->catchup[s][c][r];
        if (!x->ran || !k->caught_up)
            continue;
        ops[p.n] = x->ops;
        catchup[p.n] = k->catchup_ms;
        count[p.n] = k->count_ms;
        sustained[p.n] = k->sustained;
        p.n++;
    }
    p.ops = bench_run_median(ops, p.n);
    p.catchup = bench_run_median(catchup, p.n);
    p.count = bench_run_median(count, p.n);
    p.sustained = bench_run_median(sustained, p.n);
    return p;
}

/* After each PUT run: how long until a COUNT over everything counted every
 * acknowledged put, and the put rate until then. */
static void table_catchup(const peer_report *rep, FILE *out, int md)
{
    static const char *const head[] = { "conc", "system", "puts/s", "catch-up ms", "count ms",
                                        "sustained puts/s", "annals/this" };
    static const int width[] = { 4, 8, 9, 11, 9, 16, 11 };
    int a = table_annals(rep);
    table_row(out, md, head, width, 7);
    if (md)
        table_rule(out, "|--:|---|--:|--:|--:|--:|--:|");
    for (unsigned ci = 0; ci < rep->nconc; ci++) {
        double annals = a >= 0 ? table_put_of(rep, (unsigned)a, ci).sustained : 0;
        for (unsigned s = 0; s < rep->nsys; s++) {
            table_put p = table_put_of(rep, s, ci);
            char c[7][32];
            const char *cells[7];
            snprintf(c[0], 32, "%u", rep->conc[ci]);
            snprintf(c[1], 32, "%s", rep->sys[s]->name);
            if (!p.n) {
                for (int i = 2; i < 7; i++)
                    snprintf(c[i], 32, "-");
            } else {
                snprintf(c[2], 32, "%.0f", p.ops);
                bench_run_num(p.catchup, c[3], 32);
                bench_run_num(p.count, c[4], 32);
                snprintf(c[5], 32, "%.0f", p.sustained);
                table_ratio(annals, p.sustained, (int)s == a, c[6], 32);
            }
            for (int i = 0; i < 7; i++)
                cells[i] = c[i];
            table_row(out, md, cells, width, 7);
        }
    }
}

/* The first error of each system and workload that had any. */
static void table_errors(const peer_report *rep, FILE *out)
{
    int head = 0;
    for (unsigned s = 0; s < rep->nsys; s++) {
        for (unsigned r = 0; r < rep->runs; r++) {
            const peer_load_result *l = &rep->load[s][r];
            if (l->error[0]) {
                if (!head++)
                    fprintf(out, "\nErrors:\n\n");
                fprintf(out, "- %s, run %u: %s\n", rep->sys[s]->name, r + 1, l->error);
                break;
            }
        }
        for (unsigned w = 0; w < PEER_NWORKS; w++)
            for (unsigned c = 0; c < rep->nconc; c++)
                for (unsigned r = 0; r < rep->runs; r++) {
                    const peer_result *x = &rep->res[s][w][c][r];
                    if (x->errors) {
                        if (!head++)
                            fprintf(out, "\nErrors:\n\n");
                        fprintf(out, "- %s %s c=%u, run %u: %" PRIu64 " errors; first: %s\n",
                                rep->sys[s]->name, peer_work_names[w], rep->conc[c], r + 1,
                                x->errors, x->first_error);
                        r = rep->runs;
                    }
                }
    }
}

unsigned peer_table_print(const peer_report *rep, FILE *out, int md)
{
    unsigned bad = 0;
    if (!md)
        fprintf(out, "\nannals side by side: N=%" PRIu64 " events (%.0f bytes each packed), "
                     "%.1f s per workload and concurrency, median of %u run%s\n\n",
                rep->n, rep->n ? (double)rep->set_bytes / (double)rep->n : 0, rep->secs,
                rep->runs, rep->runs == 1 ? "" : "s");
    table_loads(rep, out, md);
    fprintf(out, "\n");
    bad = table_works(rep, out, md);
    if (rep->works[PEER_PUT]) {
        fprintf(out, "\n");
        table_catchup(rep, out, md);
    }
    for (unsigned s = 0; s < rep->nsys; s++)
        for (unsigned r = 0; r < rep->runs; r++)
            bad += rep->load[s][r].ran && (!rep->load[s][r].loaded || rep->load[s][r].check_bad);
    table_errors(rep, out);
    return bad;
}

/* A line of /proc/cpuinfo or /proc/meminfo after "key", trimmed. */
static void table_proc_field(const char *file, const char *key, char *out, size_t len)
{
    char line[512];
    FILE *f = fopen(file, "r");
    snprintf(out, len, "?");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, strlen(key)) != 0)
            continue;
        char *v = strchr(line, ':');
        if (!v)
            continue;
        v++;
        while (*v == ' ' || *v == '\t')
            v++;
        v[strcspn(v, "\n")] = '\0';
        snprintf(out, len, "%s", v);
        break;
    }
    fclose(f);
}

static const char *const table_notes =
    "## What each system does\n"
    "\n"
    "Every system stores the same N events, byte for byte (the generator's msgpack, about\n"
    "830 bytes, with an id `g<seed>-<i>`), and every connection asks every system the\n"
    "same requests in the same order (`peer_draw`: seeded per workload and connection).\n"
    "A window [lo, hi] of days selects the events that may overlap it (PROTOCOL.md\n"
    "section 5, `overlap`): earliest start day <= hi and latest end day >= lo. The\n"
    "peers index the start day per *span class* (latest end - earliest start: <= 3, 15,\n"
    "63, 255, 1023, 4095 days), and ask each class for start in [lo - span, hi] and\n"
    "end >= lo: a bounded scan, instead of one that reaches back to the longest event.\n"
    "Before the timed runs, the first 10 requests of each query workload are asked of\n"
    "each system and the hit counts compared with a brute-force count over the events\n"
    "(`checks`). Every driver decodes every event it receives (msgpack), as a client\n"
    "would.\n"
    "\n"
    "- **annals**: a fresh `annalsd` on a loopback TCP port, msgpack-RPC. GET `get`;\n"
    "  RANGE `range` over the day, limit 10000; RANGE_F `range` with `country`, limit\n"
    "  100; COUNT `count`; PUT `put` (answered once durable, group commit). LOAD\n"
    "  `put_many` of 500 events, 4 in flight on each of 4 connections.\n"
    "- **redis**: `redis-server` on a loopback port, `appendonly yes`, `appendfsync\n"
    "  always`, no RDB snapshots, no AOF rewrite. A hash `ev` id -> event; per span\n"
    "  class a sorted set `s:<c>` and per country `c:<CC>:<c>`, scored by the start\n"
    "  day, members `<end day>:<id>`. GET `HGET`; RANGE one pipelined ZRANGEBYSCORE\n"
    "  per class, the end day filtered client-side, then `HMGET` of the ids; RANGE_F\n"
    "  the same over the country's sets `WITHSCORES`, sorted by (start day, id)\n"
    "  client-side, first 100 fetched; COUNT `ZCOUNT` of the window per class plus\n"
    "  the members that start before it and end in it; PUT `MULTI` `HSET` `ZADD`s\n"
    "  `EXEC`. LOAD the same commands pipelined, 500 events per batch, 4 connections.\n"
    "- **postgres**: its own cluster (initdb, then postgres on a Unix socket in the\n"
    "  run's directory, no TCP; as the user nobody under root), `fsync` and\n"
    "  `synchronous_commit` on, `shared_buffers=256MB`, `max_wal_size=4GB`. Table\n"
    "  `events (id text primary key, span_class smallint, start_day int, end_day int,\n"
    "  countries text[], body bytea)`, btree on (span_class, start_day, end_day), GIN\n"
    "  on countries. Prepared statements (but RANGE_F: its generic plan reads the GIN\n"
    "  list of MA, 65% of the events, 4x slower than a plan for the value), binary\n"
    "  results. RANGE `WHERE` the OR of the\n"
    "  classes' ranges `AND end_day >= lo`; RANGE_F also `countries @> ARRAY[cc]`\n"
    "  `ORDER BY start_day, id LIMIT 100`; COUNT the sum of one `count(*)` per class\n"
    "  (each an index-only range scan; one count over the OR walks the whole index);\n"
    "  PUT one `INSERT`. LOAD\n"
    "  binary `COPY` on 4 connections into the bare table, then the primary key, the\n"
    "  indexes and `VACUUM ANALYZE`.\n"
    "- **sqlite**: in-process (no server, no socket: an embedded reference), WAL,\n"
    "  `synchronous=FULL`, `mmap_size` 2 GiB, one connection per thread. Tables\n"
    "  `events` (id unique, body blob, index on (span_class, start_day, end_day)) and\n"
    "  `event_countries` (one row per country, covering index (country, span_class,\n"
    "  start_day, end_day, id, ev)). Queries as for postgres; PUT `BEGIN IMMEDIATE`,\n"
    "  the inserts, `COMMIT`. LOAD one transaction, then the indexes, then a\n"
    "  checkpoint that truncates the WAL. Its memory columns are the most heap SQLite\n"
    "  held in the benchmark process (`sqlite3_memory_highwater`).\n"
    "- **lmdb**: raw LMDB in-process, a reference rather than a rival: the storage\n"
    "  under annalsd, with nothing on top. Default flags (every commit synced), a\n"
    "  64 GiB map, the unnamed database id -> event bytes. GET `mdb_get` in a read\n"
    "  transaction renewed per request; PUT `mdb_txn_begin`, `mdb_put`,\n"
    "  `mdb_txn_commit` (one synced commit per write, the connections queued on\n"
    "  LMDB's single writer); LOAD the events in order, a commit every 128 MiB. No\n"
    "  index of days: RANGE, RANGE_F and COUNT are not applicable (\"-\"), and the\n"
    "  COUNT over everything is `mdb_stat`'s entries. Its memory columns are what\n"
    "  the benchmark process grew by from the environment's opening to after the\n"
    "  load.\n"
    "\n"
    "Columns: *load s* from the first write to the answer of a COUNT over everything\n"
    "(1900..2099), asked once the last write was acknowledged: the load ends when a\n"
    "query sees every event, and that COUNT must count N (it is one of the *checks*);\n"
    "*disk* the blocks in use under the system's data directory after the load\n"
    "(AOF for Redis; data and WAL for PostgreSQL; database and WAL for SQLite); *mem*\n"
    "the proportional set size (Pss) of the server's processes after the load, and\n"
    "*w/o files* the part that is not a mapped file (anonymous and shared memory:\n"
    "LMDB's map is a mapped file, PostgreSQL's shared buffers are shared memory);\n"
    "*ops/s* replies that passed / the run's time; *p50*, *p99* latency of a request\n"
    "(nearest rank); *hits* events received per reply (the count for COUNT);\n"
    "*annals/this* annals' ops/s (events/s for the load) over this system's. After\n"
    "each PUT run a connection opened before it asks a COUNT over everything until it\n"
    "counts the N events and every put acknowledged so far: *catch-up ms* from the last\n"
    "acknowledgement to that answer (a server that indexes after it acknowledges makes\n"
    "the COUNT wait for its index, or answers short and is asked again), *count ms* one\n"
    "more such COUNT once caught up (what the query costs by itself), *sustained puts/s*\n"
    "the puts over the run's time plus the catch-up.\n";

/* A results file's head: its title, the command, the machine, the
 * versions. Returns the file, open for the rest, or NULL (with a message). */
static FILE *table_file(const peer_report *rep, const char *path, const char *title)
{
    char cpu[256], mem[64], stamp[64];
    struct utsname u;
    time_t now = time(NULL);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return NULL;
    }
    table_proc_field("/proc/cpuinfo", "model name", cpu, sizeof cpu);
    table_proc_field("/proc/meminfo", "MemTotal", mem, sizeof mem);
    if (uname(&u) < 0)
        snprintf(u.release, sizeof u.release, "?");
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    fprintf(f, "# %s\n\n", title);
    fprintf(f, "Produced by `%s`\n(build/bench/bench_peers; tests/bench/README.md says what it "
               "measures) on %s, in %.0f s.\n\n", rep->command, stamp, rep->elapsed);
    fprintf(f, "Machine: %ld CPUs (nproc), %.1f GiB RAM, Linux %s, %s.\n\n",
            sysconf(_SC_NPROCESSORS_ONLN), strtod(mem, NULL) / (1024.0 * 1024.0), u.release, cpu);
    fprintf(f, "Versions:");
    for (unsigned s = 0; s < rep->nsys; s++)
        fprintf(f, "%s %s %s", s ? "," : "", rep->sys[s]->name, rep->version[s]);
    fprintf(f, ".\n\n");
    return f;
}

static int table_close(FILE *f, const char *path)
{
    if (fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

int peer_table_write(const peer_report *rep, const char *path)
{
    FILE *f = table_file(rep, path, "annals side by side: Redis, PostgreSQL, SQLite, LMDB");
    if (!f)
        return -1;
    fprintf(f, "N = %" PRIu64 " events (%.0f bytes each packed), seed %" PRIu64 ", %.1f s per "
               "workload and concurrency, median of %u run%s; each run loads every system "
               "afresh, the systems in turn, the order rotating from run to run. The benchmark "
               "client shares the machine with the server.\n\n",
            rep->n, rep->n ? (double)rep->set_bytes / (double)rep->n : 0, rep->seed, rep->secs,
            rep->runs, rep->runs == 1 ? "" : "s");
    fprintf(f, "## Load\n\n");
    table_loads(rep, f, 1);
    fprintf(f, "\n## Workloads\n\n");
    for (unsigned w = 0; w < PEER_NWORKS; w++)
        if (rep->works[w])
            fprintf(f, "- %s: %s\n", peer_work_names[w], peer_work_what[w]);
    fprintf(f, "\n");
    table_works(rep, f, 1);
    if (rep->works[PEER_PUT]) {
        fprintf(f, "\n## PUT: until a COUNT sees every put\n\n");
        table_catchup(rep, f, 1);
    }
    table_errors(rep, f);
    fprintf(f, "\n%s", table_notes);
    return table_close(f, path);
}

/* ---- --scale ---- */

/* The medians of workload w at concurrency c at the k-th N. */
static peer_result table_scale_result(const peer_report *rep, unsigned k, unsigned w, unsigned c)
{
    const peer_result *runs[PEER_MAX_RUNS];
    peer_result m;
    for (unsigned r = 0; r < rep->runs; r++)
        runs[r] = &rep->scale_res[k][w][c][r];
    bench_run_medians(runs, rep->runs, &m);
    return m;
}

static void table_scale_loads(const peer_report *rep, FILE *out, int md)
{
    static const char *const head[] = { "N", "events added", "load s", "events/s", "disk MiB",
                                        "disk B/event", "mem MiB", "mem w/o files MiB", "checks" };
    static const int width[] = { 10, 12, 8, 9, 9, 12, 8, 17, 8 };
    table_row(out, md, head, width, 9);
    if (md)
        table_rule(out, "|--:|--:|--:|--:|--:|--:|--:|--:|---|");
    for (unsigned k = 0; k < rep->nscale; k++) {
        const peer_load_result *l = &rep->scale_load[k];
        uint64_t added = rep->scale_n[k] - (k ? rep->scale_n[k - 1] : 0);
        char c[9][32];
        const char *cells[9];
        if (!l->ran)
            continue;
        snprintf(c[0], 32, "%" PRIu64, rep->scale_n[k]);
        snprintf(c[1], 32, "%" PRIu64, added);
        if (!l->loaded) {
            for (int i = 2; i < 9; i++)
                snprintf(c[i], 32, "-");
            snprintf(c[2], 32, "FAILED");
        } else {
            bench_run_num(l->secs, c[2], 32);
            snprintf(c[3], 32, "%.0f", l->secs > 0 ? (double)added / l->secs : 0);
            snprintf(c[4], 32, "%.0f", (double)l->fp.disk_bytes / MIB);
            snprintf(c[5], 32, "%.0f", (double)l->fp.disk_bytes / (double)rep->scale_n[k]);
            snprintf(c[6], 32, "%.0f", (double)l->fp.mem_bytes / MIB);
            snprintf(c[7], 32, "%.0f", (double)l->fp.anon_bytes / MIB);
            snprintf(c[8], 32, "%s", l->check_bad ? "WRONG" : "ok");
        }
        for (int i = 0; i < 9; i++)
            cells[i] = c[i];
        table_row(out, md, cells, width, 9);
    }
}

/* One row per N, workload and concurrency; the last figures but one are
 * ops/s at this N over ops/s at the first N. Returns how many rows had
 * errors. */
static unsigned table_scale_works(const peer_report *rep, FILE *out, int md)
{
    static const int width[] = { 10, 8, 4, 9, 8, 8, 8, 13, 7 };
    char n0[24], ratio_head[40];
    const char *head[] = { "N", "workload", "conc", "ops/s", "p50 ms", "p99 ms", "hits",
                           ratio_head, "errors" };
    unsigned bad = 0;
    bench_run_n(rep->scale_n[0], n0, sizeof n0);
    snprintf(ratio_head, sizeof ratio_head, "ops/s vs %s", n0);
    table_row(out, md, head, width, 9);
    if (md)
        table_rule(out, "|--:|---|--:|--:|--:|--:|--:|--:|--:|");
    for (unsigned k = 0; k < rep->nscale; k++) {
        if (!rep->scale_load[k].loaded)
            continue;
        for (unsigned w = 0; w < PEER_NWORKS; w++) {
            if (!rep->works[w])
                continue;
            for (unsigned ci = 0; ci < rep->nconc; ci++) {
                peer_result cell = table_scale_result(rep, k, w, ci);
                peer_result first = table_scale_result(rep, 0, w, ci);
                char c[9][32], fig[4][24];
                const char *cells[9];
                snprintf(c[0], 32, "%" PRIu64, rep->scale_n[k]);
                snprintf(c[1], 32, "%s", peer_work_names[w]);
                snprintf(c[2], 32, "%u", rep->conc[ci]);
                bench_run_cells(&cell, fig);
                for (int i = 0; i < 4; i++)
                    snprintf(c[3 + i], 32, "%.23s", fig[i]);
                if (cell.ok && first.ok && first.ops > 0)
                    snprintf(c[7], 32, "%.2f", cell.ops / first.ops);
                else
                    snprintf(c[7], 32, "-");
                snprintf(c[8], 32, "%" PRIu64, cell.errors);
                bad += cell.errors > 0 || !cell.ran;
                for (int i = 0; i < 9; i++)
                    cells[i] = c[i];
                table_row(out, md, cells, width, 9);
            }
        }
    }
    return bad;
}

/* The first error of each N and workload that had any. */
static void table_scale_errors(const peer_report *rep, FILE *out)
{
    int head = 0;
    for (unsigned k = 0; k < rep->nscale; k++) {
        if (rep->scale_load[k].error[0]) {
            if (!head++)
                fprintf(out, "\nErrors:\n\n");
            fprintf(out, "- N=%" PRIu64 ": %s\n", rep->scale_n[k], rep->scale_load[k].error);
        }
        for (unsigned w = 0; w < PEER_NWORKS; w++)
            for (unsigned c = 0; c < rep->nconc; c++)
                for (unsigned r = 0; r < rep->runs; r++) {
                    const peer_result *x = &rep->scale_res[k][w][c][r];
                    if (x->errors) {
                        if (!head++)
                            fprintf(out, "\nErrors:\n\n");
                        fprintf(out, "- N=%" PRIu64 " %s c=%u, run %u: %" PRIu64 " errors; "
                                "first: %s\n", rep->scale_n[k], peer_work_names[w], rep->conc[c],
                                r + 1, x->errors, x->first_error);
                        r = rep->runs;
                    }
                }
    }
}

unsigned peer_table_scale_print(const peer_report *rep, FILE *out, int md)
{
    unsigned bad;
    if (!md)
        fprintf(out, "\nannals at scale: N growing to %" PRIu64 " events (%.0f bytes each packed), "
                     "%.1f s per workload and concurrency, median of %u run%s\n\n",
                rep->n, rep->n ? (double)rep->set_bytes / (double)rep->n : 0, rep->secs,
                rep->runs, rep->runs == 1 ? "" : "s");
    table_scale_loads(rep, out, md);
    fprintf(out, "\n");
    bad = table_scale_works(rep, out, md);
    for (unsigned k = 0; k < rep->nscale; k++)
        bad += rep->scale_load[k].ran && (!rep->scale_load[k].loaded ||
                                          rep->scale_load[k].check_bad);
    table_scale_errors(rep, out);
    return bad;
}

int peer_table_scale_write(const peer_report *rep, const char *path)
{
    char n0[24];
    FILE *f = table_file(rep, path, "annals at scale: the same queries as the database grows");
    if (!f)
        return -1;
    bench_run_n(rep->scale_n[0], n0, sizeof n0);
    fprintf(f, "One annalsd, its database grown through N = ");
    for (unsigned k = 0; k < rep->nscale; k++)
        fprintf(f, "%s%" PRIu64, k ? ", " : "", rep->scale_n[k]);
    fprintf(f, " events (the first N of seed %" PRIu64 ", %.0f bytes each packed); at each N "
               "every workload at each concurrency for %.1f s, median of %u run%s. *ops/s vs %s*: "
               "ops/s at this N over ops/s at %s (1.00: the query costs the same however "
               "large the database). The benchmark client shares the machine with the server."
               "\n\n", rep->seed, rep->n ? (double)rep->set_bytes / (double)rep->n : 0,
            rep->secs, rep->runs, rep->runs == 1 ? "" : "s", n0, n0);
    fprintf(f, "## Load\n\n");
    table_scale_loads(rep, f, 1);
    fprintf(f, "\n## Workloads\n\n");
    for (unsigned w = 0; w < PEER_NWORKS; w++)
        if (rep->works[w])
            fprintf(f, "- %s: %s\n", peer_work_names[w], peer_work_what[w]);
    fprintf(f, "\n");
    table_scale_works(rep, f, 1);
    table_scale_errors(rep, f);
    return table_close(f, path);
}
