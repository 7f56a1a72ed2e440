/* bench_peer_proc.c: the peers' server processes and directories (see
 * bench_peer_proc.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/bench/bench.h"
#include "tests/bench/bench_peer_proc.h"

#define PEER_PROC_MAX_TREE 256

/* The user a server runs as when we are root (PostgreSQL refuses root). */
static int peer_nobody(uid_t *uid, gid_t *gid)
{
    struct passwd *pw = getpwnam("nobody");
    if (!pw)
        return -1;
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    return 0;
}

static int peer_dropping(int drop)
{
    return drop && geteuid() == 0;
}

static void peer_proc_child(const char *const *argv, const char *log, int drop, pid_t parent)
{
    sigset_t none;
    uid_t uid;
    gid_t gid;
    int in = open("/dev/null", O_RDONLY);
    int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
        _exit(126);
    if (peer_dropping(drop)) {
        if (peer_nobody(&uid, &gid) < 0 || setgroups(0, NULL) < 0 || setgid(gid) < 0 ||
            setuid(uid) < 0) {
            fprintf(stderr, "bench_peers: cannot become the user nobody: %s\n", strerror(errno));
            _exit(126);
        }
    }
    /* After the change of user, which clears it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    setpgid(0, 0);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    execv(argv[0], (char *const *)argv);
    fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

int peer_proc_start(peer_proc *p, const char *name, const char *const *argv, const char *log,
                    int drop, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->log, sizeof p->log, "%s", log);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0)
        peer_proc_child(argv, log, drop, parent);
    /* Also here, so a signal sent before the child got to it finds the group. */
    setpgid(pid, pid);
    p->pid = pid;
    return 0;
}

int peer_proc_run(const char *name, const char *const *argv, const char *log, int drop,
                  char *err, size_t errlen)
{
    peer_proc p;
    int st;
    if (peer_proc_start(&p, name, argv, log, drop, err, errlen) < 0)
        return -1;
    while (waitpid(p.pid, &st, 0) < 0) {
        if (errno != EINTR) {
            snprintf(err, errlen, "waitpid %s: %s", name, strerror(errno));
            return -1;
        }
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    snprintf(err, errlen, "%s failed (%s %d)", name, WIFEXITED(st) ? "exit status" : "signal",
             WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    peer_proc_log_tail(name, log);
    return -1;
}

int peer_proc_alive(peer_proc *p)
{
    int st;
    if (p->pid <= 0)
        return 0;
    if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
        p->pid = 0;
        return 0;
    }
    return 1;
}

int peer_proc_stop(peer_proc *p, int sig, int timeout_ms)
{
    int st = 0, status;
    pid_t r = 0;
    if (p->pid <= 0)
        return p->pid == 0 ? 0 : -1;
    kill(p->pid, sig);
    int64_t deadline = bench_now_ns() + (int64_t)timeout_ms * 1000000;
    while ((r = waitpid(p->pid, &st, WNOHANG)) == 0 && bench_now_ns() < deadline) {
        struct timespec ts = { 0, 10 * 1000000 };
        nanosleep(&ts, NULL);
    }
    if (r == p->pid) {
        status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    } else {
        fprintf(stderr, "bench_peers: %s did not stop within %d s: killed\n", p->name,
                timeout_ms / 1000);
        kill(-p->pid, SIGKILL);
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &st, 0);
        status = -1;
    }
    /* Whatever it left in its group (PostgreSQL's backends exit on their
     * own once the postmaster is gone; this is for the case they did not). */
    kill(-p->pid, SIGKILL);
    p->pid = 0;
    return status;
}

void peer_proc_log_tail(const char *name, const char *log)
{
    FILE *f = fopen(log, "r");
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
    fprintf(stderr, "bench_peers: %s log (%s), last %zu bytes:\n%s", name, log, n, tail);
    if (n && tail[n - 1] != '\n')
        fputc('\n', stderr);
}

/* The parent of pid from /proc/PID/stat, or -1. */
static pid_t peer_ppid(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command may hold spaces and parentheses: skip past the last ')'. */
    char *rp = strrchr(buf, ')');
    int ppid;
    if (!rp || sscanf(rp + 1, " %*c %d", &ppid) != 1)
        return -1;
    return (pid_t)ppid;
}

/* Add the kB of each smaps_rollup line to its counter. */
static int peer_rollup(pid_t pid, uint64_t *pss, uint64_t *anon)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        unsigned long long kb;
        if (sscanf(line, "Pss: %llu kB", &kb) == 1)
            *pss += kb * 1024;
        else if (sscanf(line, "Pss_Anon: %llu kB", &kb) == 1 ||
                 sscanf(line, "Pss_Shmem: %llu kB", &kb) == 1)
            *anon += kb * 1024;
    }
    fclose(f);
    return 0;
}

int peer_proc_footprint(pid_t pid, peer_footprint *fp)
{
    pid_t tree[PEER_PROC_MAX_TREE];
    size_t n = 1;
    tree[0] = pid;
    fp->mem_bytes = fp->anon_bytes = 0;
    if (peer_rollup(pid, &fp->mem_bytes, &fp->anon_bytes) < 0)
        return -1;
    /* Descendants: repeat the scan until no new child turns up. */
    for (size_t done = 0; done < n;) {
        size_t before = n;
        DIR *d = opendir("/proc");
        struct dirent *de;
        if (!d)
            break;
        while ((de = readdir(d)) && n < PEER_PROC_MAX_TREE) {
            pid_t c = (pid_t)atoi(de->d_name);
            if (c <= 0)
                continue;
            pid_t pp = peer_ppid(c);
            int known = 0, parent_known = 0;
            for (size_t i = 0; i < n; i++) {
                known |= tree[i] == c;
                parent_known |= i < before && tree[i] == pp;
            }
            if (!known && parent_known) {
                tree[n++] = c;
                peer_rollup(c, &fp->mem_bytes, &fp->anon_bytes);
            }
        }
        closedir(d);
        done = before;
    }
    return 0;
}

static _Thread_local uint64_t peer_du_total;

static int peer_du_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path;
    (void)flag;
    (void)ftw;
    peer_du_total += (uint64_t)st->st_blocks * 512;
    return 0;
}

uint64_t peer_dir_bytes(const char *path)
{
    peer_du_total = 0;
    nftw(path, peer_du_one, 16, FTW_PHYS);
    return peer_du_total;
}

static int peer_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (remove(path) < 0 && errno != ENOENT)
        fprintf(stderr, "bench_peers: cannot remove %s: %s\n", path, strerror(errno));
    return 0;
}

int peer_dir_make(char *out, size_t len)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(out, len, "%s/annals-peers-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(out)) {
        fprintf(stderr, "bench_peers: mkdtemp %s: %s\n", out, strerror(errno));
        return -1;
    }
    chmod(out, 0711);
    return 0;
}

void peer_dir_remove(const char *path)
{
    if (path && path[0])
        nftw(path, peer_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int peer_dir_give(const char *path, char *err, size_t errlen)
{
    uid_t uid;
    gid_t gid;
    if (!peer_dropping(1))
        return 0;
    if (peer_nobody(&uid, &gid) < 0) {
        snprintf(err, errlen, "no user 'nobody' to run the server as (it refuses root)");
        return -1;
    }
    if (chown(path, uid, gid) < 0) {
        snprintf(err, errlen, "chown %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int peer_free_port(char *out, size_t len, char *err, size_t errlen)
{
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0 ||
        getsockname(fd, (struct sockaddr *)&sin, &sl) < 0) {
        snprintf(err, errlen, "cannot find a free port: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    snprintf(out, len, "%u", (unsigned)ntohs(sin.sin_port));
    return 0;
}
