/* bench_peer_proc.h: the servers the side-by-side benchmark starts (Redis,
 * PostgreSQL): child processes that die with the benchmark, run as an
 * unprivileged user when it runs as root, and are stopped in order; their
 * directories, their size on disk and their memory. */
#ifndef ANNALS_BENCH_PEER_PROC_H
#define ANNALS_BENCH_PEER_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tests/bench/bench_peer.h"

typedef struct {
    pid_t pid;                /* 0 when not running */
    char log[512];            /* its stdout and stderr */
    char name[32];            /* for messages: "redis-server" */
} peer_proc;

/* peer_proc_start: fork and exec argv[0] (a path) with argv, stdin from
 * /dev/null, stdout and stderr appended to log. When drop is set and this
 * process is root, the child runs as the user nobody. The child gets
 * SIGKILL should this process die, and its own process group, so a ^C at
 * the terminal reaches the benchmark only, which then stops it in order.
 * Call it from the main thread (the death signal follows the thread that
 * forked). Returns 0, or -1 with a message in err. */
int peer_proc_start(peer_proc *p, const char *name, const char *const *argv, const char *log,
                    int drop, char *err, size_t errlen);

/* peer_proc_run: run argv to completion as peer_proc_start would start it.
 * Returns 0 when it exited 0, or -1 with a message in err (and the log's
 * tail on stderr). */
int peer_proc_run(const char *name, const char *const *argv, const char *log, int drop,
                  char *err, size_t errlen);

/* peer_proc_alive: whether it still runs (reaps it when it does not). */
int peer_proc_alive(peer_proc *p);

/* peer_proc_stop: send sig, wait up to timeout_ms, then SIGKILL the
 * process and its group. Returns its exit status (0 for a clean exit), or
 * -1 when it had to be killed or had died. Safe on a peer_proc that never
 * started. */
int peer_proc_stop(peer_proc *p, int sig, int timeout_ms);

/* peer_proc_log_tail: the last few kilobytes of log to stderr. */
void peer_proc_log_tail(const char *name, const char *log);

/* peer_proc_footprint: the memory of pid and all its descendants: the sum
 * of their Pss, and of Pss_Anon + Pss_Shmem (from /proc/PID/smaps_rollup).
 * Returns 0, or -1 when pid is gone. */
int peer_proc_footprint(pid_t pid, peer_footprint *fp);

/* peer_dir_bytes: the disk blocks in use under path, in bytes. */
uint64_t peer_dir_bytes(const char *path);

/* peer_dir_make: a private directory for one system's run under $TMPDIR
 * (or /tmp), reachable by the user nobody (PostgreSQL's directory inside
 * it is given to that user); its path in out. Returns 0, or -1 with a
 * message on stderr. */
int peer_dir_make(char *out, size_t len);

/* peer_dir_remove: remove path and everything under it. */
void peer_dir_remove(const char *path);

/* peer_dir_give: make path (a directory this process made) the nobody
 * user's when this process is root, so a dropped child can write there.
 * Returns 0, or -1 with a message in err. */
int peer_dir_give(const char *path, char *err, size_t errlen);

/* peer_free_port: a TCP port on 127.0.0.1 that nobody listens on now, as
 * a string. Returns 0, or -1 with a message in err. */
int peer_free_port(char *out, size_t len, char *err, size_t errlen);

#endif
