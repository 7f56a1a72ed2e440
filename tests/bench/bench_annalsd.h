/* bench_annalsd.h: a fresh annalsd for one benchmark run: a private
 * directory under $TMPDIR (data, Unix socket, log), the daemon started on it
 * with TCP off, and everything stopped and removed afterwards. */
#ifndef ANNALS_BENCH_ANNALSD_H
#define ANNALS_BENCH_ANNALSD_H

#include <stddef.h>
#include <sys/types.h>

typedef struct {
    char dir[256];            /* the private directory; "" when none */
    char socket[300];         /* dir/s.sock */
    char log[300];            /* dir/annalsd.log: the daemon's stdout and stderr */
    pid_t pid;                /* 0 when not running */
} bench_annalsd;

/* bench_annalsd_start: make the directory, start bin on it and wait (at
 * most 10 s) until its socket accepts connections. extra, when not NULL, is
 * a NULL-terminated list of further arguments ("--map-size", "32GiB").
 * The daemon gets SIGKILL should this process die first. Returns 0, or -1
 * with a message in err (and whatever was made already removed). */
int bench_annalsd_start(bench_annalsd *d, const char *bin, const char *const *extra, char *err,
                        size_t errlen);

/* bench_annalsd_stop: SIGTERM, wait (SIGKILL after 10 s), print the tail of
 * its log to stderr when it did not exit 0 or when show_log is set, and
 * remove the directory. Returns the daemon's exit status, or -1 when it had
 * to be killed. Safe to call on a bench_annalsd that never started. */
int bench_annalsd_stop(bench_annalsd *d, int show_log);

#endif
