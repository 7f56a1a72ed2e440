/* bench.c: the load generator behind `make bench`: options, signals and the
 * table of workloads. One process, one thread per connection, timed with
 * CLOCK_MONOTONIC. A workload runs against a server given by address, or
 * against a fresh annalsd it starts per run (--annalsd). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/bench/bench.h"
#include "tests/bench/bench_feed.h"
#include "tests/bench/bench_query.h"

/* Add workloads here; `--workload NAME` picks one. */
static const bench_workload bench_workloads[] = {
    { "feed", "annalsd change feed: writers put, subscribers follow live", bench_feed_run, 5, 1 },
    { "query", "load N events, then range/count/histogram/top/search queries at each\n"
               "                                 concurrency, for each N", bench_query_run, 3, 0.2 },
};
#define BENCH_NWORKLOADS (sizeof bench_workloads / sizeof bench_workloads[0])

static void bench_usage(FILE *f)
{
    fprintf(f,
        "Usage: bench [OPTIONS]\n"
        "\n"
        "Load generator for annalsd. Runs one workload and prints a table.\n"
        "\n"
        "Target (one of):\n"
        "  --annalsd PATH        start a fresh annalsd from PATH for each run, on a\n"
        "                        private directory under $TMPDIR, and remove it after\n"
        "  --socket PATH         a running server's Unix socket\n"
        "  --host HOST --port P  a running server over TCP (default 127.0.0.1:7411)\n"
        "\n"
        "Workload:\n"
        "  --workload NAME       default feed; one of:\n");
    for (size_t i = 0; i < BENCH_NWORKLOADS; i++)
        fprintf(f, "                          %-6s %s\n", bench_workloads[i].name, bench_workloads[i].what);
    fprintf(f,
        "  --duration SECONDS    feed: how long the writers write (default 5);\n"
        "                        query: how long each query workload runs at each\n"
        "                        concurrency (default 3)\n"
        "  --seed N              seed of the event and query generators (default 1)\n"
        "  --smoke               a tiny run (flags given explicitly still win): feed 1 s,\n"
        "                        1 writer, 2 subscribers; query N 300,1500, 0.2 s each\n"
        "  --verbose             say what is being run\n"
        "  --help                print this help\n"
        "\n"
        "Feed:\n"
        "  --writers N           writer connections (default 4)\n"
        "  --subscribers N[,N]   subscriber connections; a list runs once per value\n"
        "                        (default 1)\n"
        "\n"
        "Query (the target must hold no events: the workload loads its own):\n"
        "  --query-n N[,N]       database sizes: load up to each N in turn (ascending)\n"
        "                        and run every query workload there (default\n"
        "                        100000,1000000; spaces also separate)\n"
        "  --concurrency C[,C]   connections, one request in flight each (default 1,8)\n"
        "  --queries NAME[,NAME] only these query workloads (default all; --queries help\n"
        "                        lists them)\n"
        "  --loaders N           connections that load the events with put_many\n"
        "                        (default 4)\n"
        "\n"
        "Exit status: 0 when every run passed its checks, 1 when one failed (e.g. a\n"
        "subscriber missed a change, a query got an error reply), 2 on a usage error.\n");
}

static int bench_parse_uint(const char *flag, const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
        fprintf(stderr, "bench: %s: '%s' is not a number from %u to %u\n", flag, s, lo, hi);
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

/* Parse a list of numbers in [lo, hi] separated by commas or spaces into
 * out (at most BENCH_MAX_RUNS). Returns the count, or -1 after a message. */
static int bench_parse_list(const char *flag, const char *s, unsigned lo, unsigned hi,
                            unsigned *out)
{
    char copy[256];
    int n = 0;
    snprintf(copy, sizeof copy, "%s", s);
    for (char *save = NULL, *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        if (n == BENCH_MAX_RUNS) {
            fprintf(stderr, "bench: %s: at most %d values (see --help)\n", flag, BENCH_MAX_RUNS);
            return -1;
        }
        if (bench_parse_uint(flag, tok, lo, hi, &out[n]) < 0)
            return -1;
        n++;
    }
    if (n == 0) {
        fprintf(stderr, "bench: %s: no value\n", flag);
        return -1;
    }
    return n;
}

/* --query-n: sizes ascending, each once, since each N loads on top of the
 * one before. */
static int bench_parse_query_n(const char *s, bench_opts *o)
{
    unsigned v[BENCH_MAX_RUNS];
    int n = bench_parse_list("--query-n", s, 1, 100000000, v);
    if (n < 0)
        return -1;
    o->nquery_n = 0;
    for (int i = 0; i < n; i++) {
        unsigned least = 0;
        int found = 0;
        for (int j = 0; j < n; j++)
            if ((o->nquery_n == 0 || v[j] > o->query_n[o->nquery_n - 1]) && (!found || v[j] < least)) {
                least = v[j];
                found = 1;
            }
        if (found)
            o->query_n[o->nquery_n++] = least;
    }
    return 0;
}

/* Parse argv into o. Returns 0, 1 for --help, or -1 on a usage error. */
static int bench_parse(int argc, char **argv, bench_opts *o)
{
    int given_writers = 0, given_subs = 0, given_n = 0;
    memset(o, 0, sizeof *o);
    o->workload = "feed";
    o->writers = 4;
    o->subscribers[0] = 1;
    o->nruns = 1;
    o->query_n[0] = 100000;
    o->query_n[1] = 1000000;
    o->nquery_n = 2;
    o->concurrency[0] = 1;
    o->concurrency[1] = 8;
    o->nconcurrency = 2;
    o->loaders = 4;
    o->seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return 1;
        if (strcmp(a, "--smoke") == 0) {
            o->smoke = 1;
            continue;
        }
        if (strcmp(a, "--verbose") == 0) {
            o->verbose = 1;
            continue;
        }
        if (i + 1 >= argc || strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "bench: unexpected argument '%s' (see --help)\n", a);
            return -1;
        }
        const char *v = argv[++i];
        if (strcmp(a, "--workload") == 0) {
            o->workload = v;
        } else if (strcmp(a, "--socket") == 0) {
            o->addr.socket_path = v;
        } else if (strcmp(a, "--host") == 0) {
            o->addr.host = v;
        } else if (strcmp(a, "--port") == 0) {
            o->addr.port = v;
        } else if (strcmp(a, "--annalsd") == 0) {
            o->annalsd = v;
        } else if (strcmp(a, "--duration") == 0) {
            char *end;
            o->duration = strtod(v, &end);
            if (end == v || *end || !(o->duration > 0 && o->duration <= 3600)) {
                fprintf(stderr, "bench: --duration: '%s' is not a number of seconds (0-3600)\n", v);
                return -1;
            }
        } else if (strcmp(a, "--writers") == 0) {
            if (bench_parse_uint(a, v, 1, 256, &o->writers) < 0)
                return -1;
            given_writers = 1;
        } else if (strcmp(a, "--subscribers") == 0) {
            int n = bench_parse_list(a, v, 1, 1000, o->subscribers);
            if (n < 0)
                return -1;
            o->nruns = (unsigned)n;
            given_subs = 1;
        } else if (strcmp(a, "--query-n") == 0) {
            if (bench_parse_query_n(v, o) < 0)
                return -1;
            given_n = 1;
        } else if (strcmp(a, "--concurrency") == 0) {
            int n = bench_parse_list(a, v, 1, 256, o->concurrency);
            if (n < 0)
                return -1;
            o->nconcurrency = (unsigned)n;
        } else if (strcmp(a, "--queries") == 0) {
            o->queries = v;
        } else if (strcmp(a, "--loaders") == 0) {
            if (bench_parse_uint(a, v, 1, 64, &o->loaders) < 0)
                return -1;
        } else if (strcmp(a, "--seed") == 0) {
            unsigned seed;
            if (bench_parse_uint(a, v, 0, 0xffffffffu, &seed) < 0)
                return -1;
            o->seed = seed;
        } else {
            fprintf(stderr, "bench: unknown option '%s' (see --help)\n", a);
            return -1;
        }
    }
    if (o->smoke) {
        if (!given_n) {
            o->query_n[0] = 300;
            o->query_n[1] = 1500;
            o->nquery_n = 2;
        }
        if (!given_writers)
            o->writers = 1;
        if (!given_subs) {
            o->subscribers[0] = 2;
            o->nruns = 1;
        }
    }
    int targets = !!o->annalsd + !!o->addr.socket_path + !!(o->addr.host || o->addr.port);
    if (o->queries && strcmp(o->queries, "help") == 0)
        return 0;   /* only lists the query workloads */
    if (targets != 1) {
        fprintf(stderr, "bench: give exactly one target: --annalsd PATH, --socket PATH, "
                        "or --host/--port (see --help)\n");
        return -1;
    }
    if (!o->addr.socket_path && !o->annalsd) {
        if (!o->addr.host)
            o->addr.host = "127.0.0.1";
        if (!o->addr.port)
            o->addr.port = "7411";
    }
    return 0;
}

/* SIGINT and SIGTERM are blocked in every thread and taken here, so a ^C
 * winds the run down in order: the daemon it started is stopped and its
 * directory removed. A second signal ends the process at once. */
static void *bench_signal_main(void *arg)
{
    sigset_t *set = arg;
    int sig;
    while (sigwait(set, &sig) == 0) {
        if (atomic_exchange(&bench_interrupted, 1)) {
            signal(sig, SIG_DFL);
            pthread_sigmask(SIG_UNBLOCK, set, NULL);
            raise(sig);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    static sigset_t set;
    bench_opts o;
    pthread_t sig_thread;
    int rc = bench_parse(argc, argv, &o);
    if (rc > 0) {
        bench_usage(stdout);
        return 0;
    }
    if (rc < 0)
        return 2;   /* the message said what, and to see --help */
    const bench_workload *w = NULL;
    for (size_t i = 0; i < BENCH_NWORKLOADS; i++)
        if (strcmp(bench_workloads[i].name, o.workload) == 0)
            w = &bench_workloads[i];
    if (!w) {
        fprintf(stderr, "bench: unknown workload '%s' (see --help)\n", o.workload);
        return 2;
    }
    if (o.duration == 0)
        o.duration = o.smoke ? w->smoke_duration : w->duration;
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (pthread_create(&sig_thread, NULL, bench_signal_main, &set) != 0) {
        fprintf(stderr, "bench: cannot start the signal thread\n");
        return 1;
    }
    pthread_detach(sig_thread);
    rc = w->run(&o);
    return rc == 2 ? 2 : rc ? 1 : 0;
}
