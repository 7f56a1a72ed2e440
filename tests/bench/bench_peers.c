/* bench_peers.c: the side-by-side benchmark behind `make bench BENCH=peers`:
 * options, signals, and the runs. Each run takes every system in turn (the
 * order rotating from run to run, since the machine is shared and noisy):
 * a private directory, the server started there, the N events loaded,
 * its footprint measured, its answers checked, every workload at every
 * concurrency (after PUT, how soon a COUNT sees the puts), the server
 * stopped and the directory removed. The report (bench_peer_table.c) gives
 * the median of each figure over the runs. With --scale, annals alone as
 * its database grows (bench_peer_scale.c, `make bench BENCH=scale`). */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <lmdb.h>
#include <sqlite3.h>

#include "proto/xalloc.h"
#include "tests/bench/bench.h"
#include "tests/bench/bench_peer.h"
#include "tests/bench/bench_peer_proc.h"
#include "tests/bench/bench_peer_run.h"
#include "tests/bench/bench_peer_table.h"

/* PUT events come from this index of the seed on, far past any N. */
#define PEERS_PUT_BASE (1ULL << 40)

static const peer_driver *const peers_all[] = { &peer_annals, &peer_redis, &peer_pg, &peer_sqlite,
                                                &peer_lmdb };
#define PEERS_NALL (sizeof peers_all / sizeof peers_all[0])

typedef struct {
    peer_env env;
    const char *results;      /* RESULTS.md to write, or NULL */
    unsigned pack_threads;
    peer_report *rep;
} peers_opts;

static void peers_usage(FILE *f)
{
    fprintf(f,
        "Usage: bench_peers --annalsd PATH [OPTIONS]\n"
        "\n"
        "annals side by side with Redis, PostgreSQL, SQLite and raw LMDB: the same N events\n"
        "loaded into each, the same requests asked of each, one table\n"
        "(tests/bench/README.md).\n"
        "With --scale: annals alone, the same queries as its database grows.\n"
        "\n"
        "  --annalsd PATH        the annalsd binary (started per run on a loopback port)\n"
        "  --redis-server PATH   default /usr/bin/redis-server\n"
        "  --pg-bin DIR          initdb and postgres (default /usr/lib/postgresql/15/bin)\n"
        "  --systems LIST        annals,redis,postgres,sqlite,lmdb (the default: all;\n"
        "                        pg = postgres); lmdb answers GET and PUT only\n"
        "  --workloads LIST      get,range,range_f,count,put (default all)\n"
        "  --n N                 events loaded (default 1000000)\n"
        "  --duration SECONDS    of each workload at each concurrency (default 3)\n"
        "  --runs R              runs; each figure is the median (default 3, at most %d)\n"
        "  --concurrency C[,C]   connections, one request in flight each (default 1,32)\n"
        "  --loaders N           connections that load (default 4; SQLite, LMDB: one)\n"
        "  --check K             compare the first K answers of each query workload with a\n"
        "                        brute-force count before timing (default 10; 0: off)\n"
        "  --seed N              seed of the events and requests (default 1)\n"
        "  --quick               N 100000, 1 s, 1 run (flags given explicitly still win)\n"
        "  --smoke               N 2000, 0.2 s, 1 run, concurrency 1,4\n"
        "  --scale N[,N...]      annals alone, its database growing through each N\n"
        "                        (ascending); RANGE, RANGE_F and COUNT (or --workloads, but\n"
        "                        not PUT) at each N; --runs timed runs of each at each N\n"
        "  --results FILE        also write the report, with the machine, to FILE\n"
        "  --command TEXT        the command to name in FILE (default: this one)\n"
        "  --verbose             say what is being run\n"
        "\n"
        "Exit status: 0 when every system loaded, answered every check right and every\n"
        "request without error; 1 otherwise; 2 on a usage error.\n", PEER_MAX_RUNS);
}

static int peers_uint(const char *flag, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
        fprintf(stderr, "bench_peers: %s: '%s' is not a number from %" PRIu64 " to %" PRIu64 "\n",
                flag, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

/* Each comma-separated word of s: its index in names (or -1 when unknown,
 * with a message). */
static int peers_words(const char *flag, const char *s, const char *const *names, unsigned n,
                       int *on)
{
    char copy[256];
    snprintf(copy, sizeof copy, "%s", s);
    memset(on, 0, n * sizeof *on);
    for (char *save = NULL, *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        unsigned i;
        for (i = 0; i < n; i++)
            if (strcasecmp(t, names[i]) == 0 || (strcmp(names[i], "postgres") == 0 &&
                                                  strcasecmp(t, "pg") == 0))
                break;
        if (i == n) {
            fprintf(stderr, "bench_peers: %s: unknown '%s'\n", flag, t);
            return -1;
        }
        on[i] = 1;
    }
    return 0;
}

static int peers_parse(int argc, char **argv, peers_opts *o)
{
    peer_report *rep = o->rep;
    int given_n = 0, given_secs = 0, given_runs = 0, given_conc = 0, quick = 0, smoke = 0;
    int given_sys = 0, given_works = 0;
    int sys_on[PEERS_NALL];
    uint64_t v;
    for (unsigned s = 0; s < PEERS_NALL; s++)
        sys_on[s] = 1;
    o->env.redis_server = "/usr/bin/redis-server";
    o->env.pg_bin = "/usr/lib/postgresql/15/bin";
    rep->n = 1000000;
    rep->secs = 3;
    rep->runs = 3;
    rep->conc[0] = 1;
    rep->conc[1] = 32;
    rep->nconc = 2;
    rep->loaders = 4;
    rep->check = 10;
    rep->seed = 1;
    for (int w = 0; w < PEER_NWORKS; w++)
        rep->works[w] = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return 1;
        if (strcmp(a, "--quick") == 0) {
            quick = 1;
            continue;
        }
        if (strcmp(a, "--smoke") == 0) {
            smoke = 1;
            continue;
        }
        if (strcmp(a, "--verbose") == 0) {
            o->env.verbose = 1;
            continue;
        }
        if (i + 1 >= argc || strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "bench_peers: unexpected argument '%s' (see --help)\n", a);
            return -1;
        }
        const char *val = argv[++i];
        if (strcmp(a, "--annalsd") == 0) {
            o->env.annalsd = val;
        } else if (strcmp(a, "--redis-server") == 0) {
            o->env.redis_server = val;
        } else if (strcmp(a, "--pg-bin") == 0) {
            o->env.pg_bin = val;
        } else if (strcmp(a, "--systems") == 0) {
            const char *names[PEERS_NALL];
            for (unsigned s = 0; s < PEERS_NALL; s++)
                names[s] = peers_all[s]->name;
            if (peers_words(a, val, names, PEERS_NALL, sys_on) < 0)
                return -1;
            given_sys = 1;
        } else if (strcmp(a, "--workloads") == 0) {
            if (peers_words(a, val, peer_work_names, PEER_NWORKS, rep->works) < 0)
                return -1;
            given_works = 1;
        } else if (strcmp(a, "--n") == 0) {
            if (peers_uint(a, val, 1, 100000000, &rep->n) < 0)
                return -1;
            given_n = 1;
        } else if (strcmp(a, "--duration") == 0) {
            char *end;
            rep->secs = strtod(val, &end);
            if (end == val || *end || !(rep->secs > 0 && rep->secs <= 3600)) {
                fprintf(stderr, "bench_peers: --duration: '%s' is not a number of seconds (0-3600)\n", val);
                return -1;
            }
            given_secs = 1;
        } else if (strcmp(a, "--runs") == 0) {
            if (peers_uint(a, val, 1, PEER_MAX_RUNS, &v) < 0)
                return -1;
            rep->runs = (unsigned)v;
            given_runs = 1;
        } else if (strcmp(a, "--concurrency") == 0) {
            char copy[256];
            snprintf(copy, sizeof copy, "%s", val);
            rep->nconc = 0;
            for (char *save = NULL, *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
                if (rep->nconc == PEER_MAX_CONC || peers_uint(a, t, 1, 256, &v) < 0) {
                    fprintf(stderr, "bench_peers: --concurrency: at most %d values of 1-256\n",
                            PEER_MAX_CONC);
                    return -1;
                }
                rep->conc[rep->nconc++] = (unsigned)v;
            }
            if (!rep->nconc) {
                fprintf(stderr, "bench_peers: --concurrency: no value\n");
                return -1;
            }
            given_conc = 1;
        } else if (strcmp(a, "--scale") == 0) {
            char copy[256];
            snprintf(copy, sizeof copy, "%s", val);
            rep->nscale = 0;
            for (char *save = NULL, *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
                if (rep->nscale == PEER_MAX_SCALE || peers_uint(a, t, 1, 100000000, &v) < 0 ||
                    (rep->nscale && v <= rep->scale_n[rep->nscale - 1])) {
                    fprintf(stderr, "bench_peers: --scale: at most %d sizes of 1-100000000, "
                            "ascending\n", PEER_MAX_SCALE);
                    return -1;
                }
                rep->scale_n[rep->nscale++] = v;
            }
            if (!rep->nscale) {
                fprintf(stderr, "bench_peers: --scale: no size\n");
                return -1;
            }
        } else if (strcmp(a, "--loaders") == 0) {
            if (peers_uint(a, val, 1, 64, &v) < 0)
                return -1;
            rep->loaders = (unsigned)v;
        } else if (strcmp(a, "--check") == 0) {
            if (peers_uint(a, val, 0, 1000, &v) < 0)
                return -1;
            rep->check = (unsigned)v;
        } else if (strcmp(a, "--seed") == 0) {
            if (peers_uint(a, val, 0, 0xffffffffu, &rep->seed) < 0)
                return -1;
        } else if (strcmp(a, "--results") == 0) {
            o->results = val;
        } else if (strcmp(a, "--command") == 0) {
            rep->command = val;
        } else {
            fprintf(stderr, "bench_peers: unknown option '%s' (see --help)\n", a);
            return -1;
        }
    }
    if (smoke || quick) {
        if (!given_n)
            rep->n = smoke ? 2000 : 100000;
        if (!given_secs)
            rep->secs = smoke ? 0.2 : 1;
        if (!given_runs)
            rep->runs = 1;
        if (smoke && !given_conc) {
            rep->conc[1] = 4;
        }
    }
    if (rep->nscale) {
        /* annals alone, the queries only: PUT would change the database
         * between the sizes. */
        int others = 0;
        for (unsigned s = 1; s < PEERS_NALL; s++)
            others |= sys_on[s];
        if (given_n || (given_sys && (!sys_on[0] || others))) {
            fprintf(stderr, "bench_peers: --scale runs annals alone at its own sizes "
                            "(no --n, no other --systems)\n");
            return -1;
        }
        if (given_works && rep->works[PEER_PUT]) {
            fprintf(stderr, "bench_peers: --scale: PUT would change the database between "
                            "the sizes\n");
            return -1;
        }
        if (!given_works)
            for (int w = 0; w < PEER_NWORKS; w++)
                rep->works[w] = w == PEER_RANGE || w == PEER_RANGE_F || w == PEER_COUNT;
        rep->works[PEER_PUT] = 0;
        for (unsigned s = 1; s < PEERS_NALL; s++)
            sys_on[s] = 0;
        sys_on[0] = 1;
        rep->n = rep->scale_n[rep->nscale - 1];
    }
    for (unsigned s = 0; s < PEERS_NALL; s++)
        if (sys_on[s])
            rep->sys[rep->nsys++] = peers_all[s];
    if (!rep->nsys) {
        fprintf(stderr, "bench_peers: --systems: none chosen\n");
        return -1;
    }
    for (unsigned s = 0; s < rep->nsys; s++)
        if (rep->sys[s] == &peer_annals && !o->env.annalsd) {
            fprintf(stderr, "bench_peers: give the annalsd binary (--annalsd build/annalsd) or "
                            "leave annals out (--systems)\n");
            return -1;
        }
    return 0;
}

/* SIGINT and SIGTERM are taken by this thread (blocked in every other), so
 * a ^C stops the run in order: the running server is stopped and its
 * directory removed. A second signal ends the process at once; its
 * servers then die of their parent-death signal. */
static void *peers_signal_main(void *arg)
{
    sigset_t *set = arg;
    int sig;
    while (sigwait(set, &sig) == 0) {
        if (atomic_exchange(&bench_interrupted, 1)) {
            signal(sig, SIG_DFL);
            pthread_sigmask(SIG_UNBLOCK, set, NULL);
            raise(sig);
        }
        fprintf(stderr, "bench_peers: interrupted: stopping what runs (^C again to kill)\n");
    }
    return NULL;
}

/* The version in the first line of `bin --version`: its first word that
 * starts with a digit ("annalsd 0.1.0 (protocol 1)", "postgres (PostgreSQL)
 * 15.18 (Debian ...)", "Redis server v=7.0.15 sha=..."). */
static void peers_version(const char *bin, char *out, size_t len)
{
    char cmd[700], line[256] = "";
    snprintf(cmd, sizeof cmd, "'%s' --version 2>/dev/null", bin);
    snprintf(out, len, "?");
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    if (fgets(line, sizeof line, p)) {
        for (char *save = NULL, *w = strtok_r(line, " \t\n", &save); w;
             w = strtok_r(NULL, " \t\n", &save)) {
            if (strncmp(w, "v=", 2) == 0)
                w += 2;
            if (*w >= '0' && *w <= '9') {
                snprintf(out, len, "%s", w);
                break;
            }
        }
    }
    pclose(p);
}

/* One system, one run: start, load, measure, check, every workload, stop. */
static void peers_one(peers_opts *o, const peer_set *set, unsigned s, unsigned r)
{
    peer_report *rep = o->rep;
    const peer_driver *d = rep->sys[s];
    peer_load_result *l = &rep->load[s][r];
    char dir[512], err[512];
    void *server = NULL;
    uint64_t put_ok = 0, put_failed = 0;
    int show_log = 0;

    if (peer_dir_make(dir, sizeof dir) < 0) {
        snprintf(l->error, sizeof l->error, "cannot make its directory");
        return;
    }
    o->env.dir = dir;
    fprintf(stderr, "bench_peers: run %u/%u: %s: start, load %" PRIu64 " events\n", r + 1,
            rep->runs, d->name, rep->n);
    if (d->start(&o->env, &server, err, sizeof err) < 0) {
        snprintf(l->error, sizeof l->error, "start: %s", err);
        fprintf(stderr, "bench_peers: %s: %s\n", d->name, l->error);
        l->ran = 1;
        goto out;
    }
    l->ran = 1;
    if (peer_load(d, server, set, 0, rep->loaders, rep->check, l) < 0) {
        show_log = 1;
        goto stop;
    }
    for (unsigned w = 0; w < PEER_NWORKS; w++) {
        if (!rep->works[w])
            continue;
        if (!peer_answers(d, (peer_work)w)) {
            /* Its results stay not run: "-" in the table. */
            if (r == 0)
                fprintf(stderr, "bench_peers: %s %s: not applicable (it has no way to answer "
                                "it)\n", d->name, peer_work_names[w]);
            continue;
        }
        for (unsigned c = 0; c < rep->nconc && !atomic_load(&bench_interrupted); c++) {
            peer_result *x = &rep->res[s][w][c][r];
            uint64_t put_base = PEERS_PUT_BASE + ((uint64_t)c << 34);
            peer_watch watch = { .want = rep->n + put_ok, .maybe = put_failed };
            /* The connection that watches the puts is open before they start. */
            if (w == PEER_PUT && d->open(server, &watch.conn, err, sizeof err) < 0) {
                fprintf(stderr, "bench_peers: %s: cannot connect to watch the puts: %s\n",
                        d->name, err);
                watch.conn = NULL;
            }
            peer_run(d, server, set, w, rep->conc[c], put_base, rep->secs,
                     watch.conn ? &watch : NULL, x);
            fprintf(stderr, "bench_peers: %s %-7s c=%-3u %9.0f ops/s  p50 %8.3f ms  p99 %8.3f ms  "
                            "hits %.1f%s%s\n", d->name, peer_work_names[w], rep->conc[c], x->ops,
                    x->p50 / 1e6, x->p99 / 1e6, x->hits, x->errors ? "  errors: " : "",
                    x->errors ? x->first_error : "");
            if (w == PEER_PUT) {
                put_ok += x->ok;
                put_failed += x->errors;
                if (!watch.conn)
                    snprintf(watch.out.error, sizeof watch.out.error, "no connection to watch "
                             "the puts: %.400s", err);
                else
                    d->close(watch.conn);
                rep->catchup[s][c][r] = watch.out;
                /* Not seeing the puts is an error of the run. */
                if (!watch.out.caught_up) {
                    x->errors++;
                    if (!x->first_error[0])
                        snprintf(x->first_error, sizeof x->first_error, "%s", watch.out.error);
                    fprintf(stderr, "bench_peers: %s: FAIL: %s\n", d->name, watch.out.error);
                } else
                    fprintf(stderr, "bench_peers: %s PUT     c=%-3u a COUNT saw every put %.1f ms "
                                    "after the last (a COUNT over everything: %.1f ms); %.0f "
                                    "puts/s sustained\n", d->name, rep->conc[c],
                            watch.out.catchup_ms, watch.out.count_ms, watch.out.sustained);
            }
            show_log |= x->errors > 0;
        }
    }
stop:
    d->stop(server, show_log);
out:
    peer_dir_remove(dir);
    o->env.dir = NULL;
}

/* --scale: annals alone as its database grows (bench_peer_scale.c), and
 * its report. Returns the exit status. */
static int peers_scale(peers_opts *o, int64_t t0)
{
    peer_report *rep = o->rep;
    int failed = peer_scale_run(&o->env, rep);
    rep->elapsed = (double)(bench_now_ns() - t0) / 1e9;
    if (atomic_load(&bench_interrupted)) {
        fprintf(stderr, "bench_peers: interrupted; no report\n");
        return 1;
    }
    unsigned bad = peer_table_scale_print(rep, stdout, 0);
    printf("\nMarkdown:\n\n");
    peer_table_scale_print(rep, stdout, 1);
    printf("\n");
    if (o->results && peer_table_scale_write(rep, o->results) == 0)
        printf("bench_peers: the report is in %s\n", o->results);
    printf("bench_peers: %s (%.0f s)\n", bad || failed ? "some runs failed (see Errors)" : "ok",
           rep->elapsed);
    fflush(stdout);
    return bad || failed || (o->results && access(o->results, F_OK) != 0) ? 1 : 0;
}

int main(int argc, char **argv)
{
    static sigset_t sigs;
    static peer_report rep;
    peers_opts o;
    pthread_t sig_thread;
    peer_set set;
    char command[1024];

    memset(&o, 0, sizeof o);
    o.rep = &rep;
    int rc = peers_parse(argc, argv, &o);
    if (rc > 0) {
        peers_usage(stdout);
        return 0;
    }
    if (rc < 0)
        return 2;
    if (!rep.command) {
        size_t n = 0;
        command[0] = '\0';
        for (int i = 0; i < argc && n < sizeof command; i++)
            n += (size_t)snprintf(command + n, sizeof command - n, "%s%s", i ? " " : "", argv[i]);
        rep.command = command;
    }
    for (unsigned s = 0; s < rep.nsys; s++) {
        const peer_driver *d = rep.sys[s];
        char bin[600];
        if (d == &peer_sqlite)
            snprintf(rep.version[s], sizeof rep.version[s], "%s", sqlite3_libversion());
        else if (d == &peer_lmdb) {
            int major, minor, patch;
            mdb_version(&major, &minor, &patch);
            snprintf(rep.version[s], sizeof rep.version[s], "%d.%d.%d", major, minor, patch);
        } else {
            snprintf(bin, sizeof bin, "%s", d == &peer_annals ? o.env.annalsd
                     : d == &peer_redis ? o.env.redis_server : "");
            if (d == &peer_pg)
                snprintf(bin, sizeof bin, "%s/postgres", o.env.pg_bin);
            peers_version(bin, rep.version[s], sizeof rep.version[s]);
        }
    }

    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    if (pthread_create(&sig_thread, NULL, peers_signal_main, &sigs) != 0) {
        fprintf(stderr, "bench_peers: cannot start the signal thread\n");
        return 1;
    }
    pthread_detach(sig_thread);

    int64_t t0 = bench_now_ns();
    if (rep.nscale)
        return peers_scale(&o, t0);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    fprintf(stderr, "bench_peers: packing %" PRIu64 " events (seed %" PRIu64 ")\n", rep.n, rep.seed);
    if (peer_set_make(&set, rep.seed, rep.n, cpus > 1 ? (unsigned)cpus : 1) < 0) {
        fprintf(stderr, "bench_peers: interrupted\n");
        peer_set_release(&set);
        return 1;
    }
    rep.set_bytes = set.bytes;
    fprintf(stderr, "bench_peers: %.0f bytes per event packed, in %.1f s\n",
            (double)set.bytes / (double)rep.n, (double)(bench_now_ns() - t0) / 1e9);
    for (unsigned r = 0; r < rep.runs && !atomic_load(&bench_interrupted); r++)
        for (unsigned k = 0; k < rep.nsys && !atomic_load(&bench_interrupted); k++)
            peers_one(&o, &set, (k + r) % rep.nsys, r);
    rep.elapsed = (double)(bench_now_ns() - t0) / 1e9;
    peer_set_release(&set);
    if (atomic_load(&bench_interrupted)) {
        fprintf(stderr, "bench_peers: interrupted; no report\n");
        return 1;
    }

    unsigned bad = peer_table_print(&rep, stdout, 0);
    printf("\nMarkdown:\n\n");
    peer_table_print(&rep, stdout, 1);
    printf("\n");
    if (o.results && peer_table_write(&rep, o.results) == 0)
        printf("bench_peers: the report is in %s\n", o.results);
    printf("bench_peers: %s (%.0f s)\n", bad ? "some runs failed (see Errors)" : "ok", rep.elapsed);
    fflush(stdout);
    return bad || (o.results && access(o.results, F_OK) != 0) ? 1 : 0;
}
