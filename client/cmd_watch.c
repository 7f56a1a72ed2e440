/* cmd_watch.c: the watch command: follow the change feed (PROTOCOL.md
 * section 9), printing each change as it arrives, checkpointing the last
 * seq processed in a resume file, and subscribing again after an overflow
 * or, with --resume, a lost connection, so that nothing is printed twice and
 * nothing is missed.
 *
 * "Processed" means printed and flushed (a change), or vouched for by a
 * heartbeat (every change up to its seq was printed or filtered out). The
 * checkpoint only ever moves to such a seq, so the resume file never claims
 * a change that the reader of our output has not been given. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/cmd.h"
#include "client/filter_opts.h"
#include "client/jsonmp.h"
#include "client/render.h"
#include "proto/buf.h"
#include "proto/error.h"
#include "proto/utf8.h"
#include "proto/xalloc.h"

/* The resume file is rewritten (and fsync'ed) when a checkpoint has waited
 * this long or this many changes are not yet in it, and at exit. */
#define CMD_WATCH_SAVE_MS 100
#define CMD_WATCH_SAVE_CHANGES 1000
/* The pause before reconnecting: doubling from the first to the last. */
#define CMD_WATCH_BACKOFF_MIN_MS 100
#define CMD_WATCH_BACKOFF_MAX_MS 5000
/* Silence from the server longer than max(3 x --timeout, this) makes us
 * ping it; no answer is a lost connection. */
#define CMD_WATCH_SILENCE_MIN_MS 30000
/* The longest single wait, so that the arithmetic stays in an int. */
#define CMD_WATCH_WAIT_MAX_MS (1 << 30)

/* cmd_watch_session outcome: the connection is lost or refused (busy), and
 * st->err says why; with --resume, connect again. */
#define CMD_WATCH_RETRY 101

typedef struct {
    cli_ctx *ctx;
    json_t *filter;          /* owned: the subscribe parameters but since */
    const char *resume;      /* --resume FILE, or NULL */
    char *resume_tmp;        /* owned: FILE.tmp */
    int heartbeats;          /* --heartbeats */
    int have_last;           /* last is set: subscribe with since = last */
    uint64_t last;           /* the last seq processed */
    int unsaved;             /* last is newer than the resume file */
    size_t unsaved_changes;  /* changes printed since the file was written */
    int64_t saved_at_ms;     /* when it was written (0: never) */
    int save_failed;         /* reported once; not tried again at exit */
    uint64_t sub;            /* the current subscription (annals_subscribe) */
    int64_t silence_ms;      /* 0: wait for the server without limit */
    int64_t heard_at_ms;     /* when the server last sent something */
    int backoff_ms;          /* the last pause before reconnecting; 0: none */
    char err[600];           /* why the connection was lost (CMD_WATCH_RETRY) */
} cmd_watch_state;

/* Set by SIGINT and SIGTERM, whose handler also writes to the pipe that
 * every wait of the connection watches (annals_set_wake_fd), so no wait
 * outlives the signal. */
static volatile sig_atomic_t cmd_watch_stop;
static int cmd_watch_wake[2] = { -1, -1 };

static void cmd_watch_on_signal(int sig)
{
    int saved = errno;
    (void)sig;
    cmd_watch_stop = 1;
    ssize_t n = write(cmd_watch_wake[1], "x", 1);
    (void)n;
    errno = saved;
}

static int64_t cmd_watch_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep ms, or less when a signal asks us to stop. */
static void cmd_watch_sleep(int ms)
{
    int64_t deadline = cmd_watch_now_ms() + ms;
    while (!cmd_watch_stop) {
        int64_t left = deadline - cmd_watch_now_ms();
        if (left <= 0)
            return;
        struct pollfd p = { .fd = cmd_watch_wake[0], .events = POLLIN, .revents = 0 };
        poll(&p, 1, (int)left);
    }
}

/* cmd_watch_parse_seq: s as a seq: decimal digits only, at most UINT64_MAX.
 * Returns 0, or -1 when s is anything else. */
static int cmd_watch_parse_seq(const char *s, uint64_t *seq)
{
    uint64_t v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *seq = v;
    return 0;
}

/* Read the resume file into st->last when it exists. Returns 0, or
 * CLI_INPUT after reporting a file that cannot be read or is corrupt. */
static int cmd_watch_load(cmd_watch_state *st)
{
    char text[32];
    FILE *f = fopen(st->resume, "re");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        cli_error("cannot read the resume file %s: %s", st->resume, strerror(errno));
        return CLI_INPUT;
    }
    size_t n = fread(text, 1, sizeof text - 1, f);
    int bad = ferror(f), more = !bad && getc(f) != EOF;
    int e = errno;
    fclose(f);
    if (bad) {
        cli_error("cannot read the resume file %s: %s", st->resume, strerror(e));
        return CLI_INPUT;
    }
    /* One number, perhaps followed by a newline; a NUL is corruption too. */
    if (n > 0 && text[n - 1] == '\n')
        n--;
    text[n] = '\0';
    if (more || memchr(text, '\0', n) || cmd_watch_parse_seq(text, &st->last) < 0) {
        cli_error("the resume file %s is corrupt: it must hold one decimal seq; "
                  "fix or remove it (without it, watch starts from --since or from now on)",
                  st->resume);
        return CLI_INPUT;
    }
    st->have_last = 1;
    return 0;
}

/* Write st->last to the resume file: FILE.tmp, fsync, rename, so that the
 * file holds the old seq or the new one whenever we die. Returns 0, or
 * CLI_INPUT after reporting. */
static int cmd_watch_save(cmd_watch_state *st)
{
    char text[32];
    int n = snprintf(text, sizeof text, "%llu\n", (unsigned long long)st->last);
    int fd = open(st->resume_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        goto fail;
    for (int off = 0; off < n;) {
        ssize_t w = write(fd, text + off, (size_t)(n - off));
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            goto fail;
        off += (int)w;
    }
    if (fsync(fd) < 0)
        goto fail;
    if (close(fd) < 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(st->resume_tmp, st->resume) < 0)
        goto fail;
    /* The rename is durable once the directory is; best effort, since some
     * file systems cannot fsync a directory and the data is safe anyway. */
    const char *slash = strrchr(st->resume, '/');
    char *dir = slash ? xstrndup(st->resume, slash == st->resume ? 1 : (size_t)(slash - st->resume))
                      : xstrdup(".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(dir);
    st->unsaved = 0;
    st->unsaved_changes = 0;
    st->saved_at_ms = cmd_watch_now_ms();
    return 0;
fail:;
    int e = errno;
    if (fd >= 0)
        close(fd);
    unlink(st->resume_tmp);
    st->save_failed = 1;
    cli_error("cannot write the resume file %s: %s", st->resume, strerror(e));
    return CLI_INPUT;
}

/* Save the checkpoint when the throttle allows (or force is set). */
static int cmd_watch_checkpoint(cmd_watch_state *st, int force)
{
    if (!st->resume || !st->unsaved || st->save_failed)
        return 0;
    if (force || st->unsaved_changes >= CMD_WATCH_SAVE_CHANGES ||
        cmd_watch_now_ms() - st->saved_at_ms >= CMD_WATCH_SAVE_MS)
        return cmd_watch_save(st);
    return 0;
}

static void cmd_watch_advance(cmd_watch_state *st, uint64_t seq)
{
    if (st->have_last && seq <= st->last)
        return;
    st->last = seq;
    st->have_last = 1;
    st->unsaved = 1;
}

/* ---- output ---- */

/* Whether the reader of stdout has gone (a pipe reports POLLERR, a socket
 * or a terminal POLLHUP). A watch that has nothing to print would never
 * learn it from a write (annals watch | head -1), so it asks while idle. */
static int cmd_watch_reader_gone(void)
{
    struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT, .revents = 0 };
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

/* Append s (cleaned of control characters; "-" when empty) to b. */
static void cmd_watch_cell(buf_t *b, const char *s)
{
    char *clean = render_clean(s ? s : "", s ? strlen(s) : 0, 0);
    if (*clean)
        buf_append(b, clean, strlen(clean));
    else
        buf_append(b, "-", 1);
    free(clean);
}

/* One readable line for a change on a terminal:
 *   seq 42  put     2025-11-24..2025-11-27  meeting  MA,DE  title  id
 *   seq 43  delete  id
 * with the title shortened to fit the terminal. */
static void cmd_watch_line(const json_t *ch, uint64_t seq)
{
    const char *op = json_string_value(json_object_get(ch, "op"));
    const char *id = json_string_value(json_object_get(ch, "id"));
    const json_t *ev = json_object_get(ch, "event");
    buf_t head, tail;
    char num[32];

    buf_init(&head);
    buf_init(&tail);
    snprintf(num, sizeof num, "seq %llu  ", (unsigned long long)seq);
    buf_append(&head, num, strlen(num));
    snprintf(num, sizeof num, "%-6s  ", op);
    buf_append(&head, num, strlen(num));
    if (!json_is_object(ev)) {
        cmd_watch_cell(&head, id);
        buf_append(&head, "", 1);
        puts(head.data);
        buf_release(&head);
        return;
    }
    const char *start = json_string_value(json_object_get(ev, "start"));
    const char *end = json_string_value(json_object_get(ev, "end"));
    buf_t cell;
    buf_init(&cell);
    if (start)
        buf_append(&cell, start, strlen(start));
    if (end && (!start || strcmp(start, end) != 0)) {
        buf_append(&cell, "..", 2);
        buf_append(&cell, end, strlen(end));
    }
    buf_append(&cell, "", 1);
    cmd_watch_cell(&head, cell.data);
    buf_append(&head, "  ", 2);
    cmd_watch_cell(&head, json_string_value(json_object_get(ev, "kind")));
    buf_append(&head, "  ", 2);
    buf_reset(&cell);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(ev, "countries"), i, c) {
        if (i)
            buf_append(&cell, ",", 1);
        if (json_is_string(c))
            buf_append(&cell, json_string_value(c), json_string_length(c));
    }
    buf_append(&cell, "", 1);
    cmd_watch_cell(&head, cell.data);
    buf_append(&head, "  ", 2);
    buf_release(&cell);
    buf_append(&head, "", 1);

    buf_append(&tail, "  ", 2);
    cmd_watch_cell(&tail, id);
    buf_append(&tail, "", 1);

    /* The title takes what the terminal has left, but never less than a
     * few columns: a narrow terminal wraps rather than loses the title. */
    size_t width = render_terminal_width(STDOUT_FILENO);
    size_t used = utf8_width(head.data, strlen(head.data)) + utf8_width(tail.data, strlen(tail.data));
    size_t room = width > used + RENDER_MIN_SHRINK ? width - used : RENDER_MIN_SHRINK;
    const char *title = json_string_value(json_object_get(ev, "title"));
    char *clean = render_clean(title ? title : "", title ? strlen(title) : 0, 0);
    char *fit = render_fit(clean, room, 0);
    printf("%s%s%s\n", head.data, fit, tail.data);
    free(fit);
    free(clean);
    buf_release(&head);
    buf_release(&tail);
}

static void cmd_watch_print_heartbeat(const cmd_watch_state *st, uint64_t seq)
{
    if (st->ctx->json)
        printf("{\"seq\":%llu,\"op\":\"heartbeat\"}\n", (unsigned long long)seq);
    else
        printf("seq %llu  heartbeat\n", (unsigned long long)seq);
}

/* ---- the conversation ---- */

/* What the callback returns to have the caller subscribe again (an
 * overflow); exit codes are the other positive values it returns. */
#define CMD_WATCH_RESUBSCRIBE 1

/* A non-negative integer field of m into *out; -1 when it is not one. */
static int cmd_watch_uint(const json_t *m, const char *key, uint64_t *out)
{
    const json_t *v = json_object_get(m, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

/* Gone, as an error or a notification: what was trimmed and where the log
 * now starts (when known). */
static void cmd_watch_report_gone(const cmd_watch_state *st, int have_oldest, uint64_t oldest)
{
    char tail[96] = "";
    if (have_oldest)
        snprintf(tail, sizeof tail, "; the oldest change still available is seq %llu",
                 (unsigned long long)oldest);
    cli_error("gone: the changes after seq %llu were trimmed from the server's change "
              "log (retention)%s. Resynchronise from a full read (annals export), then "
              "watch again with --since the seq 'annals hello' reported before it%s",
              (unsigned long long)st->last, tail,
              st->resume ? " (and remove the resume file)" : "");
}

/* Print a change (ch, the notification's map), then count it as
 * processed. Returns 0 or an exit code. */
static int cmd_watch_on_change(cmd_watch_state *st, json_t *ch, uint64_t seq)
{
    /* Never twice: the server sends each seq once, but a resubscription
     * starts where we say, and we say the last one printed. */
    if (st->have_last && seq <= st->last)
        return 0;
    json_object_del(ch, "sub");
    if (st->ctx->json)
        cli_print_json(ch);
    else
        cmd_watch_line(ch, seq);
    int rc = cli_flush_stdout();
    if (rc)
        return rc;
    cmd_watch_advance(st, seq);
    st->unsaved_changes++;
    return cmd_watch_checkpoint(st, 0);
}

/* The subscription's callback (annals_note_cb): print, checkpoint, and stop
 * annals_follow with CMD_WATCH_RESUBSCRIBE after an overflow or an exit
 * code. */
static int cmd_watch_on_note(annals_conn *c, const annals_note *note, void *userdata)
{
    cmd_watch_state *st = userdata;
    int rc = 0;
    (void)c;
    st->heard_at_ms = cmd_watch_now_ms();
    switch (note->kind) {
    case ANNALS_NOTE_CHANGE: {
        json_t *ch = jsonmp_to_json(note->params);
        rc = cmd_watch_on_change(st, ch, note->seq);
        json_decref(ch);
        return rc;
    }
    case ANNALS_NOTE_HEARTBEAT:
        if (cmd_watch_reader_gone())
            return CLI_STOP;
        if (st->heartbeats) {
            cmd_watch_print_heartbeat(st, note->seq);
            if ((rc = cli_flush_stdout()) != 0)
                return rc;
        }
        cmd_watch_advance(st, note->seq);
        return cmd_watch_checkpoint(st, 0);
    case ANNALS_NOTE_OVERFLOW:
        /* seq is the last change sent, which we printed: since = last
         * misses nothing even if the two ever disagreed. */
        cli_error("the server ended the subscription because this client read too "
                  "slowly (overflow at seq %llu); subscribing again after seq %llu",
                  (unsigned long long)note->seq, (unsigned long long)st->last);
        return CMD_WATCH_RESUBSCRIBE;
    case ANNALS_NOTE_GONE:
        cmd_watch_report_gone(st, 1, note->oldest);
        return CLI_SERVER;
    }
    return 0;
}

/* A server error (status) of conn during the watch: gone is explained;
 * a connection the server closes as busy is retried with --resume.
 * Returns an exit code or CMD_WATCH_RETRY. */
static int cmd_watch_server_error(cmd_watch_state *st, annals_conn *c, int status)
{
    json_t *res, *error;
    int rc;
    cli_reply(c, status, NULL, &res, &error);
    const char *code = cli_error_code(error);
    int e = error_from_wire(code, strlen(code));
    if (e == ERROR_GONE) {
        uint64_t oldest;
        int have = cmd_watch_uint(json_array_get(error, 2), "oldest", &oldest) == 0;
        cmd_watch_report_gone(st, have, oldest);
        rc = CLI_SERVER;
    } else if (!annals_alive(c) && st->resume) {
        snprintf(st->err, sizeof st->err, "%s closed the connection: %s: %s",
                 annals_label(c), code, cli_error_message(error));
        rc = CMD_WATCH_RETRY;
    } else {
        rc = cli_report(error);
    }
    json_decref(error);
    return rc;
}

/* Subscribe on c from st->last (or from now on). Returns 0, CMD_WATCH_RETRY
 * (st->err set), or an exit code after reporting. */
static int cmd_watch_subscribe(cmd_watch_state *st, annals_conn *c)
{
    msgpack_packer pk;
    buf_t params;
    const char *key;
    json_t *val;
    uint64_t seq;

    buf_init(&params);
    buf_packer_init(&pk, &params);
    msgpack_pack_map(&pk, json_object_size(st->filter) + (st->have_last ? 1 : 0));
    if (st->have_last) {
        /* Packed here, not through JSON: a seq is a uint64. */
        buf_pack_cstr(&pk, "since");
        msgpack_pack_uint64(&pk, st->last);
    }
    json_object_foreach(st->filter, key, val) {
        buf_pack_cstr(&pk, key);
        jsonmp_pack(&pk, val);
    }
    int rc = annals_subscribe_packed(c, params.data, params.len, cmd_watch_on_note, st,
                                     &st->sub, &seq);
    buf_release(&params);
    if (rc == ANNALS_NOTFOUND || rc == ANNALS_ESERVER)
        return cmd_watch_server_error(st, c, rc);
    if (rc == ANNALS_EPROTO) {
        cli_error("%s", annals_errmsg(c));
        return CLI_CONN;
    }
    if (rc) {
        snprintf(st->err, sizeof st->err, "%s", annals_errmsg(c));
        return CMD_WATCH_RETRY;
    }
    /* From now on: every change up to seq is none of our business, so seq
     * is where a reconnection resumes. */
    if (!st->have_last)
        cmd_watch_advance(st, seq);
    return 0;
}

/* Ask the server whether it is still there after a long silence. Returns
 * 0 or CMD_WATCH_RETRY. Changes that arrive meanwhile are kept for
 * annals_follow. */
static int cmd_watch_probe(cmd_watch_state *st, annals_conn *c)
{
    int rc = annals_ping(c);
    if (rc) {
        snprintf(st->err, sizeof st->err, "nothing from %s for %g s, and then: %s",
                 annals_label(c), (double)st->silence_ms / 1000.0,
                 rc == ANNALS_ESERVER || rc == ANNALS_NOTFOUND
                 ? "it answered a ping with an error" : annals_errmsg(c));
        return CMD_WATCH_RETRY;
    }
    return 0;
}

/* How long to wait for the next notification: until the checkpoint is due
 * or the silence becomes suspect, whichever comes first; -1: no limit. */
static int cmd_watch_wait_ms(const cmd_watch_state *st, int64_t now)
{
    int64_t wait = -1;
    if (st->silence_ms)
        wait = st->heard_at_ms + st->silence_ms - now;
    if (st->resume && st->unsaved) {
        int64_t due = st->saved_at_ms + CMD_WATCH_SAVE_MS - now;
        if (wait < 0 || due < wait)
            wait = due;
    }
    if (wait == -1)
        return -1;
    if (wait < 0)
        return 0;
    return wait > CMD_WATCH_WAIT_MAX_MS ? CMD_WATCH_WAIT_MAX_MS : (int)wait;
}

/* One connection: connect, subscribe, and print what comes until it ends.
 * Returns CLI_OK when told to stop, CMD_WATCH_RETRY (st->err set) when the
 * connection is lost or cannot be made, or an exit code. */
static int cmd_watch_session(cmd_watch_state *st)
{
    cli_ctx *ctx = st->ctx;
    json_t *error;
    int rc = cli_connect(ctx, st->err, sizeof st->err, &error);
    if (rc == CLI_CONN)
        return CMD_WATCH_RETRY;
    if (rc) {
        /* A refused token stays refused: retrying would not help. */
        rc = cli_report(error);
        json_decref(error);
        return rc;
    }
    annals_conn *c = ctx->conn;
    rc = cmd_watch_subscribe(st, c);
    if (rc)
        return rc;
    if (st->backoff_ms)
        cli_error("subscribed again to %s after seq %llu", annals_label(c),
                  (unsigned long long)st->last);
    st->backoff_ms = 0;
    st->heard_at_ms = cmd_watch_now_ms();
    if ((rc = cmd_watch_checkpoint(st, 0)) != 0)
        return rc;

    while (!cmd_watch_stop) {
        rc = annals_follow(c, cmd_watch_wait_ms(st, cmd_watch_now_ms()));
        if (rc == CMD_WATCH_RESUBSCRIBE) {
            if ((rc = cmd_watch_subscribe(st, c)) != 0)
                return rc;
            continue;
        }
        if (rc > 0)
            return rc;
        if (rc == ANNALS_ESERVER || rc == ANNALS_NOTFOUND)
            return cmd_watch_server_error(st, c, rc);
        if (rc < 0) {
            snprintf(st->err, sizeof st->err, "%s", annals_errmsg(c));
            return cmd_watch_stop ? CLI_OK : CMD_WATCH_RETRY;
        }
        /* The wait is over: whatever fell due meanwhile. */
        int64_t now = cmd_watch_now_ms();
        if (cmd_watch_reader_gone())
            return CLI_STOP;
        if (st->resume && st->unsaved && now - st->saved_at_ms >= CMD_WATCH_SAVE_MS &&
            (rc = cmd_watch_save(st)) != 0)
            return rc;
        if (st->silence_ms && now - st->heard_at_ms >= st->silence_ms) {
            if ((rc = cmd_watch_probe(st, c)) != 0)
                return cmd_watch_stop ? CLI_OK : rc;
            st->heard_at_ms = cmd_watch_now_ms();
        }
    }
    return CLI_OK;
}

/* Sessions until stopped; with --resume a lost connection is followed by a
 * pause and a new session. */
static int cmd_watch_follow(cmd_watch_state *st)
{
    for (;;) {
        int rc = cmd_watch_session(st);
        cli_close(st->ctx);
        if (cmd_watch_stop)
            return CLI_OK;
        if (rc != CMD_WATCH_RETRY)
            return rc;
        if (!st->resume) {
            if (st->have_last)
                cli_error("%s; the last seq processed was %llu (go on with --since %llu)",
                          st->err, (unsigned long long)st->last,
                          (unsigned long long)st->last);
            else
                cli_error("%s", st->err);
            return CLI_CONN;
        }
        /* Whatever was printed is in the file before we go quiet. */
        if ((rc = cmd_watch_checkpoint(st, 1)) != 0)
            return rc;
        st->backoff_ms = st->backoff_ms ? st->backoff_ms * 2 : CMD_WATCH_BACKOFF_MIN_MS;
        if (st->backoff_ms > CMD_WATCH_BACKOFF_MAX_MS)
            st->backoff_ms = CMD_WATCH_BACKOFF_MAX_MS;
        cli_error("%s; connecting again in %g s", st->err, st->backoff_ms / 1000.0);
        cmd_watch_sleep(st->backoff_ms);
    }
}

static int cmd_watch_signals(struct sigaction *old_int, struct sigaction *old_term)
{
    struct sigaction sa;
    if (pipe2(cmd_watch_wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        cli_error("pipe: %s", strerror(errno));
        return CLI_CONN;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cmd_watch_on_signal;
    sigemptyset(&sa.sa_mask);
    /* SA_RESTART: a write to a slow reader is not cut short. SA_RESETHAND:
     * a second signal kills a watch stuck writing to a reader that never
     * reads (the resume file is behind, never ahead). */
    sa.sa_flags = SA_RESTART | SA_RESETHAND;
    sigaction(SIGINT, &sa, old_int);
    sigaction(SIGTERM, &sa, old_term);
    return 0;
}

static void cmd_watch_signals_restore(const struct sigaction *old_int,
                                      const struct sigaction *old_term)
{
    sigaction(SIGINT, old_int, NULL);
    sigaction(SIGTERM, old_term, NULL);
    close(cmd_watch_wake[0]);
    close(cmd_watch_wake[1]);
    cmd_watch_wake[0] = cmd_watch_wake[1] = -1;
}

static int cmd_watch_run(cli_ctx *ctx, const opts_result *o)
{
    const char *since = opts_value(o, "since");
    struct sigaction old_int, old_term;
    cmd_watch_state st;
    int rc;

    memset(&st, 0, sizeof st);
    st.ctx = ctx;
    st.resume = opts_value(o, "resume");
    st.heartbeats = opts_count(o, "heartbeats") > 0;
    st.filter = json_object();
    if ((rc = filter_opts_params(ctx, o, 0, st.filter)) != 0)
        goto out;
    if (since && cmd_watch_parse_seq(since, &st.last) < 0) {
        rc = cli_usage_error(ctx, "--since must be a seq (a decimal number), not '%s'", since);
        goto out;
    }
    st.have_last = since != NULL;
    if (st.resume) {
        if (!*st.resume) {
            rc = cli_usage_error(ctx, "--resume: empty file name");
            goto out;
        }
        size_t n = strlen(st.resume);
        st.resume_tmp = xmalloc(n + 5);
        memcpy(st.resume_tmp, st.resume, n);
        memcpy(st.resume_tmp + n, ".tmp", 5);
        /* The file, when there is one, wins over --since: the same command
         * line then starts at --since once and goes on where it left off. */
        if ((rc = cmd_watch_load(&st)) != 0)
            goto out;
    }
    if (ctx->timeout_ms) {
        st.silence_ms = (int64_t)ctx->timeout_ms * 3;
        if (st.silence_ms < CMD_WATCH_SILENCE_MIN_MS)
            st.silence_ms = CMD_WATCH_SILENCE_MIN_MS;
    }
    if ((rc = cmd_watch_signals(&old_int, &old_term)) != 0)
        goto out;
    ctx->has_wake_fd = 1;
    ctx->wake_fd = cmd_watch_wake[0];
    rc = cmd_watch_follow(&st);
    /* Always on the way out: the last change printed is the place to
     * resume from. */
    int src = cmd_watch_checkpoint(&st, 1);
    if (rc == CLI_OK || rc == CLI_STOP)
        rc = src ? src : rc;
    ctx->has_wake_fd = 0;
    cmd_watch_signals_restore(&old_int, &old_term);
out:
    json_decref(st.filter);
    free(st.resume_tmp);
    return rc;
}

static const opts_spec cmd_watch_opts[] = {
    { "since", 0, 1 }, { "resume", 0, 1 }, { "heartbeats", 0, 0 },
    FILTER_OPTS_SPEC, FILTER_OPTS_Q_SPEC,
    { NULL, 0, 0 }
};

const cli_command cmd_watch_watch = {
    "watch", "watch [FROM [TO]] [OPTIONS]", "follow the changes as they are committed",
    "Print every change (put or delete) to the events that pass the filter, in\n"
    "seq order, as the server commits them, until interrupted (SIGINT or\n"
    "SIGTERM: exit 0 once the output is flushed). FROM, TO and the filter\n"
    "options select as for range; a change is shown when the version written or\n"
    "the version it replaced or deleted passes, so a put that moves an event out\n"
    "of the window and the delete of an event that matched are shown too.\n"
    "\n"
    "Output, flushed after every change: on a terminal one line per change,\n"
    "  seq 42  put     2025-11-24..2025-11-27  meeting  MA,DE  TITLE  ID\n"
    "  seq 43  delete  ID\n"
    "otherwise (or with --json) one JSON object per line, the change as the\n"
    "server sent it: {\"seq\":42,\"op\":\"put\",\"id\":\"...\",\"event\":{...}}\n"
    "(no \"event\" for a delete).\n"
    "\n"
    "Options:\n"
    "  --since SEQ            the changes after SEQ (0: the whole change log);\n"
    "                         default: only the changes from now on\n"
    "  --resume FILE          keep the last seq processed in FILE and start after\n"
    "                         it when FILE exists (--since then only says where\n"
    "                         the first run starts); follow the server through\n"
    "                         lost connections (see below)\n"
    "  --heartbeats           also print the server's heartbeats, sent when there\n"
    "                         is nothing to say (JSON: {\"seq\":N,\"op\":\"heartbeat\"}):\n"
    "                         every change up to N was printed or filtered out\n"
    FILTER_OPTS_HELP
    FILTER_OPTS_Q_HELP
    "\n"
    "The resume file holds one decimal seq: the last change printed, or the\n"
    "last heartbeat; it never names a change that was not printed. It is\n"
    "replaced atomically (FILE.tmp, fsync, rename) at most every 0.1 s, or\n"
    "every 1000 changes, and at exit. So a watch killed outright (SIGKILL, a\n"
    "crash) prints again, when restarted, what it printed after the last write.\n"
    "\n"
    "When the server ends the subscription because this client read too slowly\n"
    "(overflow), watch subscribes again after the last change printed. When\n"
    "the connection is lost (server restarted, closed, silent), watch without\n"
    "--resume exits 3 and says the seq to go on from; with --resume it connects\n"
    "again after a pause of 0.1 s, doubling up to 5 s (also when the first\n"
    "connection fails), and subscribes after the last seq processed: nothing is\n"
    "printed twice and nothing is missed.\n"
    "\n"
    "--timeout bounds connecting and each reply, not the wait for changes: the\n"
    "server sends heartbeats (every 10 s by default), and only silence for\n"
    "max(3 x timeout, 30 s), then no answer to a ping within the timeout, counts\n"
    "as a lost connection (never with --timeout 0).\n"
    "\n"
    "Exit 0 when interrupted or when the reader of the output goes away; 3 when\n"
    "the connection fails without --resume; 4 for a server error, among them\n"
    "gone: the changes after the starting seq were trimmed from the change log\n"
    "(the message gives the oldest seq still available: resynchronise, e.g.\n"
    "with export, and resume from a newer seq); 5 when the resume file is\n"
    "corrupt or cannot be written.\n",
    cmd_watch_opts, 0, 2, cmd_watch_run
};
