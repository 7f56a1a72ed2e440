/* cmd_import.c: the import command: JSON lines sent in put_many batches.
 *
 * A batch is atomic on the server, so a bad event rejects its whole batch
 * and the error names it ({index: i}). Without --skip-invalid the events
 * before it are sent again and import stops: everything before the first
 * bad line is applied, nothing after it. With --skip-invalid the bad event is
 * dropped and the rest of the batch sent again. One batch is in flight while
 * the next is parsed, so the server commits while we read; never more, since
 * a later batch applied before an earlier one is retried would break both
 * rules above. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/cmd.h"
#include "client/jsonmp.h"
#include "proto/buf.h"
#include "proto/xalloc.h"

#define CMD_IMPORT_BATCH_EVENTS 500
#define CMD_IMPORT_BATCH_BYTES (4u << 20)
/* An event alone must stay under the server's default max_message_size
 * (16 MiB): a bigger message makes it close the connection. */
#define CMD_IMPORT_MAX_EVENT ((16u << 20) - (64u << 10))

typedef struct {
    long line;
    char *text;              /* owned */
} cmd_import_note;

typedef struct {
    buf_t bytes;             /* the packed events, back to back */
    size_t *offs;            /* event i is bytes[offs[i], offs[i + 1]) */
    long *lines;             /* the line of event i */
    size_t n, cap;
    cmd_import_note *notes;  /* --skip-invalid: bad lines met while filling
                                this batch, reported in line order with the
                                server's verdicts on it */
    size_t nnotes, notes_cap;
} cmd_import_batch;

typedef struct {
    cli_ctx *ctx;
    const char *name;        /* the file as messages call it */
    int skip;                /* --skip-invalid */
    int progress;            /* stderr is a terminal */
    int progress_shown;      /* a progress line waits to be overwritten */
    long imported, skipped;
} cmd_import_state;

static void cmd_import_batch_init(cmd_import_batch *b)
{
    memset(b, 0, sizeof *b);
    buf_init(&b->bytes);
    b->offs = xmalloc(sizeof *b->offs);
    b->offs[0] = 0;
}

static void cmd_import_batch_release(cmd_import_batch *b)
{
    buf_release(&b->bytes);
    free(b->offs);
    free(b->lines);
    for (size_t i = 0; i < b->nnotes; i++)
        free(b->notes[i].text);
    free(b->notes);
    memset(b, 0, sizeof *b);
}

static void cmd_import_batch_add(cmd_import_batch *b, const buf_t *ev, long line)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->offs = xrealloc(b->offs, (b->cap + 1) * sizeof *b->offs);
        b->lines = xrealloc(b->lines, b->cap * sizeof *b->lines);
    }
    buf_append(&b->bytes, ev->data, ev->len);
    b->lines[b->n] = line;
    b->offs[++b->n] = b->bytes.len;
}

static void cmd_import_batch_remove(cmd_import_batch *b, size_t i)
{
    size_t size = b->offs[i + 1] - b->offs[i];
    memmove(b->bytes.data + b->offs[i], b->bytes.data + b->offs[i + 1],
            b->bytes.len - b->offs[i + 1]);
    b->bytes.len -= size;
    for (size_t k = i; k + 1 < b->n; k++) {
        b->lines[k] = b->lines[k + 1];
        b->offs[k + 1] = b->offs[k + 2] - size;
    }
    b->n--;
}

static void cmd_import_batch_truncate(cmd_import_batch *b, size_t n)
{
    b->n = n;
    b->bytes.len = b->offs[n];
}

static void cmd_import_clear_progress(cmd_import_state *st)
{
    if (st->progress_shown) {
        fputs("\r\033[K", stderr);
        st->progress_shown = 0;
    }
}

/* Report a bad line: "annals: FILE:LINE: reason". */
static void cmd_import_bad(cmd_import_state *st, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void cmd_import_bad(cmd_import_state *st, long line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cmd_import_clear_progress(st);
    cli_error("%s:%ld: %s", st->name, line, msg);
}

static void cmd_import_note_add(cmd_import_batch *b, long line, const char *text)
{
    if (b->nnotes == b->notes_cap) {
        b->notes_cap = b->notes_cap ? b->notes_cap * 2 : 8;
        b->notes = xrealloc(b->notes, b->notes_cap * sizeof *b->notes);
    }
    b->notes[b->nnotes].line = line;
    b->notes[b->nnotes].text = xstrdup(text);
    b->nnotes++;
}

/* Report the notes of b about lines before line, and forget them. */
static void cmd_import_notes_flush(cmd_import_state *st, cmd_import_batch *b, long line)
{
    size_t k = 0;
    while (k < b->nnotes && b->notes[k].line < line) {
        cmd_import_bad(st, b->notes[k].line, "%s", b->notes[k].text);
        free(b->notes[k].text);
        k++;
    }
    if (k == 0)
        return;
    memmove(b->notes, b->notes + k, (b->nnotes - k) * sizeof *b->notes);
    b->nnotes -= k;
}

static void cmd_import_show_progress(cmd_import_state *st)
{
    if (!st->progress)
        return;
    fprintf(stderr, "\rannals: %ld events imported from %s", st->imported, st->name);
    if (st->skipped)
        fprintf(stderr, ", %ld skipped", st->skipped);
    fflush(stderr);
    st->progress_shown = 1;
}

/* Send b as one put_many; *msgid is its request. Returns 0 or CLI_CONN. */
static int cmd_import_send(cmd_import_state *st, const cmd_import_batch *b, uint32_t *msgid)
{
    annals_conn *c;
    msgpack_packer pk;
    buf_t params;
    int rc = cli_remote(st->ctx, &c);
    if (rc)
        return rc;
    /* Sent, not waited for: the next batch is read while this one commits. */
    buf_init(&params);
    buf_packer_init(&pk, &params);
    msgpack_pack_map(&pk, 1);
    buf_pack_cstr(&pk, "events");
    msgpack_pack_array(&pk, b->n);
    buf_append(&params, b->bytes.data, b->bytes.len);
    rc = annals_send(c, "put_many", params.data, params.len, msgid);
    buf_release(&params);
    if (rc != ANNALS_OK) {
        cmd_import_clear_progress(st);
        cli_error("%s", annals_errmsg(c));
        return CLI_CONN;
    }
    return 0;
}

/* The index named by a put_many error, or -1 when it names none in b. */
static long cmd_import_error_index(const json_t *error, const cmd_import_batch *b)
{
    json_t *idx = json_object_get(json_array_get(error, 2), "index");
    if (!json_is_integer(idx) || json_integer_value(idx) < 0 ||
        (size_t)json_integer_value(idx) >= b->n)
        return -1;
    return (long)json_integer_value(idx);
}

/* The server's message about event i, less an "events[i]: " prefix: the
 * report names the line instead. */
static const char *cmd_import_event_message(const json_t *error, long i)
{
    const char *msg = cli_error_message(error);
    char prefix[48];
    int n = snprintf(prefix, sizeof prefix, "events[%ld]: ", i);
    return strncmp(msg, prefix, (size_t)n) == 0 ? msg + n : msg;
}

/* Wait for the answer to b (sent as msgid), re-sending what remains after a
 * bad event as the file comment says. Returns 0 to go on, CLI_INPUT to stop
 * at a bad line (after applying what precedes it), CLI_SERVER or CLI_CONN. */
static int cmd_import_finish(cmd_import_state *st, cmd_import_batch *b, uint32_t msgid)
{
    int stop = 0;
    for (;;) {
        annals_reply rep;
        json_t *res, *error;
        int rc = annals_recv(st->ctx->conn, msgid, &rep);
        rc = cli_reply(st->ctx->conn, rc, &rep, &res, &error);
        annals_reply_free(&rep);
        if (rc == CLI_CONN) {
            cmd_import_clear_progress(st);
            cli_error("%s", annals_errmsg(st->ctx->conn));
            return CLI_CONN;
        }
        if (rc == 0) {
            json_decref(res);
            st->imported += (long)b->n;
            cmd_import_notes_flush(st, b, LONG_MAX);
            cmd_import_show_progress(st);
            return stop ? CLI_INPUT : 0;
        }
        long i = cmd_import_error_index(error, b);
        if (i < 0) {
            /* Not about one event (db_full, internal...): nothing of this
             * batch was applied, and the next batch would fare no better. */
            cmd_import_notes_flush(st, b, LONG_MAX);
            cmd_import_clear_progress(st);
            cli_report(error);
            json_decref(error);
            return CLI_SERVER;
        }
        cmd_import_notes_flush(st, b, b->lines[i]);
        cmd_import_bad(st, b->lines[i], "%s", cmd_import_event_message(error, i));
        json_decref(error);
        if (st->skip) {
            cmd_import_batch_remove(b, (size_t)i);
            st->skipped++;
        } else {
            cmd_import_batch_truncate(b, (size_t)i);
            stop = 1;
        }
        if (b->n == 0) {
            cmd_import_notes_flush(st, b, LONG_MAX);
            return stop ? CLI_INPUT : 0;
        }
        if ((rc = cmd_import_send(st, b, &msgid)) != 0)
            return rc;
    }
}

/* Parse one line into ev (packed msgpack). Returns 0, or -1 with reason. */
static int cmd_import_parse(const char *line, size_t len, buf_t *ev,
                            char *reason, size_t reasonlen)
{
    msgpack_packer pk;
    json_t *obj = cli_parse_json_object(line, len, reason, reasonlen);
    if (!obj)
        return -1;
    buf_reset(ev);
    buf_packer_init(&pk, ev);
    jsonmp_pack(&pk, obj);
    json_decref(obj);
    if (ev->len > CMD_IMPORT_MAX_EVENT) {
        snprintf(reason, reasonlen, "event too large (%zu bytes as MessagePack; "
                 "a message may hold at most 16 MiB)", ev->len);
        return -1;
    }
    return 0;
}

static int cmd_import_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

/* Read f to the end or to the first bad line, sending full batches as they
 * fill. Returns an exit code. */
static int cmd_import_stream(cmd_import_state *st, FILE *f)
{
    cmd_import_batch batches[2], *cur = &batches[0], *pend = &batches[1];
    int have_pend = 0, rc = 0;
    uint32_t pend_id = 0;
    long lineno = 0, bad_line = 0;
    char reason[512];
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    buf_t ev;

    cmd_import_batch_init(cur);
    cmd_import_batch_init(pend);
    buf_init(&ev);
    while ((len = getline(&line, &cap, f)) >= 0) {
        const char *text = line;
        lineno++;
        if (lineno == 1 && len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
            text += 3; /* a UTF-8 byte order mark */
            len -= 3;
        }
        /* Without its line end, a cut line is reported at its own column. */
        while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
            len--;
        if (cmd_import_blank(text, (size_t)len))
            continue;
        if (cmd_import_parse(text, (size_t)len, &ev, reason, sizeof reason) < 0) {
            if (!st->skip) {
                bad_line = lineno;
                break;
            }
            cmd_import_note_add(cur, lineno, reason);
            st->skipped++;
            continue;
        }
        if (cur->n > 0 && (cur->n == CMD_IMPORT_BATCH_EVENTS ||
                           cur->bytes.len + ev.len > CMD_IMPORT_BATCH_BYTES)) {
            if (have_pend && (rc = cmd_import_finish(st, pend, pend_id)) != 0)
                goto out;
            have_pend = 0;
            if ((rc = cmd_import_send(st, cur, &pend_id)) != 0)
                goto out;
            cmd_import_batch *t = pend;
            pend = cur;
            cur = t;
            have_pend = 1;
            cmd_import_batch_release(cur);
            cmd_import_batch_init(cur);
        }
        cmd_import_batch_add(cur, &ev, lineno);
    }
    if (!bad_line && ferror(f)) {
        bad_line = lineno + 1;
        snprintf(reason, sizeof reason, "read error: %s", strerror(errno));
    }
    if (have_pend && (rc = cmd_import_finish(st, pend, pend_id)) != 0)
        goto out;
    if (cur->n > 0) {
        uint32_t id;
        if ((rc = cmd_import_send(st, cur, &id)) != 0 ||
            (rc = cmd_import_finish(st, cur, id)) != 0)
            goto out;
    } else {
        cmd_import_notes_flush(st, cur, LONG_MAX);
    }
    if (bad_line) {
        cmd_import_bad(st, bad_line, "%s", reason);
        rc = CLI_INPUT;
    }
out:
    free(line);
    buf_release(&ev);
    cmd_import_batch_release(&batches[0]);
    cmd_import_batch_release(&batches[1]);
    return rc;
}

static const opts_spec cmd_import_opts[] = {
    { "skip-invalid", 0, 0 },
    { NULL, 0, 0 }
};

static int cmd_import_run(cli_ctx *ctx, const opts_result *o)
{
    const char *path = o->args[0];
    cmd_import_state st;
    FILE *f = stdin;

    memset(&st, 0, sizeof st);
    st.ctx = ctx;
    st.skip = opts_count(o, "skip-invalid") > 0;
    st.progress = isatty(STDERR_FILENO);
    st.name = strcmp(path, "-") == 0 ? "stdin" : path;
    if (strcmp(path, "-") != 0) {
        f = fopen(path, "r");
        if (!f) {
            cli_error("cannot open %s: %s", path, strerror(errno));
            return CLI_INPUT;
        }
    }
    int rc = cmd_import_stream(&st, f);
    if (f != stdin)
        fclose(f);
    cmd_import_clear_progress(&st);
    /* Always "events": scripts match this line as documented. */
    if (st.skipped)
        cli_error("imported %ld events from %s, skipped %ld", st.imported, st.name,
                  st.skipped);
    else
        cli_error("imported %ld events from %s", st.imported, st.name);
    if (rc == 0 && st.skipped)
        rc = CLI_INPUT;
    return rc;
}

const cli_command cmd_import_import = {
    "import", "import FILE|- [--skip-invalid]", "load events from JSON lines",
    "Store the events of FILE (or stdin for '-'), one JSON object per line;\n"
    "blank lines are skipped. Events go in put_many batches of up to 500.\n"
    "A line that is not a JSON object, or that the server rejects, is reported\n"
    "as FILE:LINE: reason. Import then stops, with every line before it stored\n"
    "and none after it (exit 5).\n"
    "\n"
    "Options:\n"
    "  --skip-invalid  report each bad line, leave it out and go on; exit 5\n"
    "                  at the end when a line was left out\n"
    "\n"
    "The number of events imported is reported on stderr at the end.\n",
    cmd_import_opts, 1, 1, cmd_import_run
};
