/* backup.c: the backup method (see backup.h): the path is checked on the
 * loop thread, the directory made and the copy written on the thread pool,
 * and the reply packed back on the loop thread. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/backup.h"
#include "daemon/log.h"
#include "daemon/params.h"
#include "proto/error.h"
#include "proto/xalloc.h"
#include "proto/utf8.h"

typedef struct {
    uv_work_t req;
    conn_t *conn;           /* kept alive by its pending_jobs until the reply */
    store_t *store;
    uint32_t msgid;
    int method;             /* for stats (rpc_call.method_id, arrived_ns) */
    uint64_t arrived_ns;
    char *dir;              /* owned: the directory to create, absolute */
    uint64_t started_ms;    /* server_clock_ms: the log says how long it took */
    /* results, written by the thread pool, read after it */
    int rc;
    char err[512];
    uint64_t seq, bytes;
} backup_job;

/* An errno as a message in err (strerror is not thread-safe); returns
 * ERROR_INTERNAL, since a disk that fails or fills up is not the client's
 * to fix (backup_mkdir tells the paths that are). */
static int backup_sys_error(char *err, size_t errlen, int e, const char *what, const char *path)
{
    char buf[128];
    const char *msg = strerror_r(e, buf, sizeof buf);
    if (e == ENOSPC || e == EDQUOT)
        msg = "the disk holding the backup is full";
    /* A long path is cut short in the message rather than the reason. */
    snprintf(err, errlen, "%s %.*s: %s", what, (int)utf8_prefix(path, strlen(path), 300), path, msg);
    return ERROR_INTERNAL;
}

static int backup_mkdir(backup_job *b)
{
    if (mkdir(b->dir, 0700) == 0)
        return 0;
    int e = errno;
    if (e == EEXIST) {
        snprintf(b->err, sizeof b->err, "path: %s already exists; a backup goes to a new "
                 "directory, so that no file is ever overwritten", b->dir);
        return ERROR_BAD_REQUEST;
    }
    int rc = backup_sys_error(b->err, sizeof b->err, e, "path: cannot create the directory", b->dir);
    if (e == EACCES || e == EPERM || e == ENOENT || e == ENOTDIR || e == EROFS ||
        e == ENAMETOOLONG || e == ELOOP)
        rc = ERROR_BAD_REQUEST;
    return rc;
}

/* fsync a directory, so that an entry made or renamed in it is durable. */
static int backup_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

/* Make the directory and the copy in it (thread pool). The copy is written
 * under a temporary name and renamed once it is complete and synced, so a
 * crash never leaves a data.mdb that is only part of a copy. On failure
 * nothing is left behind. */
static int backup_make(backup_job *b)
{
    char tmp[PATH_MAX], final[PATH_MAX], parent[PATH_MAX];
    struct stat st;
    int rc, fd = -1;

    if ((rc = backup_mkdir(b)))
        return rc;
    snprintf(tmp, sizeof tmp, "%s/%s", b->dir, BACKUP_TEMP);
    snprintf(final, sizeof final, "%s/%s", b->dir, BACKUP_FILE);
    snprintf(parent, sizeof parent, "%s", b->dir);
    char *slash = strrchr(parent, '/');
    if (slash == parent)
        slash++;                        /* the parent of "/a" is "/" */
    *slash = '\0';

    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = backup_sys_error(b->err, sizeof b->err, errno, "cannot create", tmp);
        goto fail;
    }
    if ((rc = store_copy(b->store, fd, b->err, sizeof b->err)))
        goto fail;
    if (fsync(fd) < 0 || fstat(fd, &st) < 0) {
        rc = backup_sys_error(b->err, sizeof b->err, errno, "cannot sync", tmp);
        goto fail;
    }
    b->bytes = (uint64_t)st.st_size;
    rc = close(fd);
    fd = -1;
    if (rc < 0) {
        rc = backup_sys_error(b->err, sizeof b->err, errno, "cannot write", tmp);
        goto fail;
    }
    if ((rc = store_copy_seq(tmp, &b->seq, b->err, sizeof b->err)))
        goto fail;
    if (rename(tmp, final) < 0) {
        rc = backup_sys_error(b->err, sizeof b->err, errno, "cannot rename the copy to", final);
        goto fail;
    }
    if (backup_sync_dir(b->dir) < 0 || backup_sync_dir(parent) < 0) {
        rc = backup_sys_error(b->err, sizeof b->err, errno, "cannot sync the directory of", final);
        goto fail;
    }
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    unlink(final);
    rmdir(b->dir);
    return rc;
}

static void on_backup_work(uv_work_t *req)
{
    backup_job *b = req->data;
    b->rc = backup_make(b);
}

static void on_backup_done(uv_work_t *req, int status)
{
    backup_job *b = req->data;
    conn_t *c = b->conn;
    server_t *srv = c->srv;
    uint64_t ms = server_clock_ms() - b->started_ms;

    (void)status;           /* never cancelled */
    srv->backup_running = 0;
    if (b->rc == ERROR_BAD_REQUEST)
        log_info("backup to %s refused: %s", b->dir, b->err);
    else if (b->rc)
        log_warn("backup to %s failed after %llu ms: %s", b->dir, (unsigned long long)ms, b->err);
    else
        log_info("backup to %s done in %llu ms: seq %llu, %llu bytes", b->dir,
                 (unsigned long long)ms, (unsigned long long)b->seq, (unsigned long long)b->bytes);
    if (!c->closing) {
        if (b->rc) {
            rpc_pack_response_error(&c->out, b->msgid, b->rc, b->err, -1);
        } else {
            msgpack_packer pk;
            rpc_pack_response_begin(&pk, &c->out, b->msgid);
            msgpack_pack_map(&pk, 3);
            buf_pack_cstr(&pk, "path");
            buf_pack_cstr(&pk, b->dir);
            buf_pack_cstr(&pk, "seq");
            msgpack_pack_uint64(&pk, b->seq);
            buf_pack_cstr(&pk, "bytes");
            msgpack_pack_uint64(&pk, b->bytes);
        }
    }
    if (c->closing)
        metrics_dropped(&srv->metrics, b->method);
    else
        metrics_reply(&srv->metrics, b->method, b->rc, b->arrived_ns);
    c->pending_jobs--;
    c->held = 0;
    free(b->dir);
    free(b);
    conn_job_done(c);       /* handles what waited behind the backup (or frees c) */
}

int backup_start(rpc_call *call)
{
    server_t *srv = call->srv;
    const char *path;
    size_t len;
    int rc = params_str(call, "path", 1, &path, &len);
    if (rc)
        return rc;
    /* The path is on the server's machine. A relative one would be resolved
     * against annalsd's working directory, which the client cannot know. */
    if (len == 0 || path[0] != '/') {
        snprintf(call->err, sizeof call->err, "path: '%.*s' is not an absolute path (the backup "
                 "directory is made on the server's machine, so its path must start with /)",
                 (int)utf8_prefix(path, len, 256), path);
        return ERROR_BAD_REQUEST;
    }
    if (memchr(path, '\0', len)) {
        snprintf(call->err, sizeof call->err, "path: contains a NUL byte");
        return ERROR_BAD_REQUEST;
    }
    if (len + sizeof "/" BACKUP_TEMP > PATH_MAX) {
        snprintf(call->err, sizeof call->err, "path: longer than %d bytes",
                 PATH_MAX - (int)sizeof "/" BACKUP_TEMP);
        return ERROR_BAD_REQUEST;
    }
    while (len > 1 && path[len - 1] == '/')
        len--;
    if (srv->backup_running) {
        snprintf(call->err, sizeof call->err, "a backup is already being made; "
                 "try again once it has finished");
        return ERROR_BUSY;
    }

    backup_job *b = xcalloc(1, sizeof *b);
    b->req.data = b;
    b->conn = call->conn;
    b->store = srv->store;
    b->msgid = call->msgid;
    b->method = call->method_id;
    b->arrived_ns = call->arrived_ns;
    b->dir = xstrndup(path, len);
    b->started_ms = server_clock_ms();
    if ((rc = uv_queue_work(srv->loop, &b->req, on_backup_work, on_backup_done)) < 0) {
        snprintf(call->err, sizeof call->err, "cannot start the backup: %s", uv_strerror(rc));
        free(b->dir);
        free(b);
        return ERROR_INTERNAL;
    }
    srv->backup_running = 1;
    call->conn->pending_jobs++;
    call->conn->held = 1;
    log_info("backup to %s started", b->dir);
    return RPC_DEFERRED;
}
