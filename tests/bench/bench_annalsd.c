/* bench_annalsd.c: starting and stopping a private annalsd (see
 * bench_annalsd.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/bench/bench.h"
#include "tests/bench/bench_annalsd.h"

#define BENCH_ANNALSD_WAIT_MS 10000
#define BENCH_ANNALSD_MAX_EXTRA 16

static int bench_annalsd_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (remove(path) < 0 && errno != ENOENT)
        fprintf(stderr, "bench: cannot remove %s: %s\n", path, strerror(errno));
    return 0;
}

static void bench_annalsd_rmdir(bench_annalsd *d)
{
    if (d->dir[0])
        nftw(d->dir, bench_annalsd_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    d->dir[0] = '\0';
}

static void bench_annalsd_log_tail(const bench_annalsd *d)
{
    FILE *f = fopen(d->log, "r");
    char tail[4096];
    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    long from = size > (long)sizeof tail - 1 ? size - (long)sizeof tail + 1 : 0;
    fseek(f, from, SEEK_SET);
    size_t n = fread(tail, 1, sizeof tail - 1, f);
    tail[n] = '\0';
    fclose(f);
    fprintf(stderr, "bench: annalsd log (%s), last %zu bytes:\n%s", d->log, n, tail);
    if (n && tail[n - 1] != '\n')
        fputc('\n', stderr);
}

/* Whether the socket accepts a connection yet. */
static int bench_annalsd_answers(const char *path)
{
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, strlen(path));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    int ok = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0;
    close(fd);
    return ok;
}

static void bench_annalsd_child(const bench_annalsd *d, const char *bin, const char *const *extra,
                                pid_t parent)
{
    char data[300];
    const char *argv[10 + BENCH_ANNALSD_MAX_EXTRA + 1];
    size_t n = 0;
    sigset_t none;
    /* Die with the benchmark, even if it crashes; keep the terminal's ^C
     * for the benchmark, which then stops the daemon in order. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    setpgid(0, 0);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int in = open("/dev/null", O_RDONLY);
    int log = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in < 0 || log < 0 || dup2(in, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
        _exit(126);
    snprintf(data, sizeof data, "%s/data", d->dir);
    argv[n++] = bin;
    argv[n++] = "--data";
    argv[n++] = data;
    argv[n++] = "--socket";
    argv[n++] = d->socket;
    argv[n++] = "--listen";
    argv[n++] = "off";
    argv[n++] = "--log-level";
    argv[n++] = "info";
    for (size_t i = 0; extra && extra[i] && i < BENCH_ANNALSD_MAX_EXTRA; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    execv(bin, (char *const *)argv);
    fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
    _exit(127);
}

int bench_annalsd_start(bench_annalsd *d, const char *bin, const char *const *extra, char *err,
                        size_t errlen)
{
    const char *tmp = getenv("TMPDIR");
    memset(d, 0, sizeof *d);
    snprintf(d->dir, sizeof d->dir, "%s/annals-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(d->dir)) {
        snprintf(err, errlen, "mkdtemp %s: %s", d->dir, strerror(errno));
        d->dir[0] = '\0';
        return -1;
    }
    snprintf(d->socket, sizeof d->socket, "%s/s.sock", d->dir);
    snprintf(d->log, sizeof d->log, "%s/annalsd.log", d->dir);
    if (strlen(d->socket) >= sizeof ((struct sockaddr_un *)0)->sun_path) {
        snprintf(err, errlen, "socket path too long: %s (set TMPDIR shorter)", d->socket);
        bench_annalsd_rmdir(d);
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        bench_annalsd_rmdir(d);
        return -1;
    }
    if (pid == 0)
        bench_annalsd_child(d, bin, extra, parent);
    d->pid = pid;

    int64_t deadline = bench_now_ns() + (int64_t)BENCH_ANNALSD_WAIT_MS * 1000000;
    for (;;) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            d->pid = 0;
            snprintf(err, errlen, "annalsd exited (status %d) before it was ready",
                     WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
            bench_annalsd_log_tail(d);
            bench_annalsd_rmdir(d);
            return -1;
        }
        if (bench_annalsd_answers(d->socket))
            return 0;
        if (bench_now_ns() > deadline || bench_sleep_ms(10)) {
            snprintf(err, errlen, "%s", atomic_load(&bench_interrupted)
                     ? "interrupted" : "annalsd did not accept connections within 10 s");
            bench_annalsd_stop(d, 1);
            return -1;
        }
    }
}

int bench_annalsd_stop(bench_annalsd *d, int show_log)
{
    int status = 0;
    if (d->pid > 0) {
        int st = 0;
        pid_t r = 0;
        kill(d->pid, SIGTERM);
        int64_t deadline = bench_now_ns() + (int64_t)BENCH_ANNALSD_WAIT_MS * 1000000;
        while ((r = waitpid(d->pid, &st, WNOHANG)) == 0 && bench_now_ns() < deadline) {
            struct timespec ts = { 0, 10 * 1000000 };
            nanosleep(&ts, NULL);
        }
        if (r == d->pid) {
            status = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
        } else {
            fprintf(stderr, "bench: annalsd did not stop within 10 s of SIGTERM: killed\n");
            kill(d->pid, SIGKILL);
            waitpid(d->pid, &st, 0);
            status = -1;
        }
        d->pid = 0;
        if (status != 0) {
            fprintf(stderr, "bench: annalsd exited with status %d\n", status);
            show_log = 1;
        }
    }
    if (show_log && d->dir[0])
        bench_annalsd_log_tail(d);
    bench_annalsd_rmdir(d);
    return status;
}
