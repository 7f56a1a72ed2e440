/* cmd_import.c: the import command: the events of a file (JSON lines, GDELT
 * rows or CSV, read by import_source) sent in put_many batches.
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
#include <sys/stat.h>
#include <unistd.h>

#include "client/cmd.h"
#include "client/import_source.h"
#include "proto/buf.h"
#include "proto/xalloc.h"

#define CMD_IMPORT_BATCH_EVENTS 500
#define CMD_IMPORT_BATCH_BYTES (4u << 20)

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
        /* Success needs nothing of the result: no JSON is made of the
         * batch's ids. */
        if (rc != ANNALS_OK)
            rc = cli_reply(st->ctx->conn, rc, &rep, &res, &error);
        annals_reply_free(&rep);
        if (rc == CLI_CONN) {
            cmd_import_clear_progress(st);
            cli_error("%s", annals_errmsg(st->ctx->conn));
            return CLI_CONN;
        }
        if (rc == 0) {
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

/* Read f to the end or to the first bad record, sending full batches as
 * they fill. Returns an exit code. */
static int cmd_import_stream(cmd_import_state *st, FILE *f, import_format fmt)
{
    cmd_import_batch batches[2], *cur = &batches[0], *pend = &batches[1];
    int have_pend = 0, rc = 0;
    uint32_t pend_id = 0;
    long lineno = 0, bad_line = 0;
    char reason[512];
    import_source *src = import_source_new(f, fmt);
    buf_t ev;

    cmd_import_batch_init(cur);
    cmd_import_batch_init(pend);
    buf_init(&ev);
    for (;;) {
        int got = import_source_next(src, &ev, &lineno, reason, sizeof reason);
        if (got == 0)
            break;
        if (got < 0) {
            if (!st->skip || got == -2) {
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
    import_source_free(src);
    buf_release(&ev);
    cmd_import_batch_release(&batches[0]);
    cmd_import_batch_release(&batches[1]);
    return rc;
}

static const opts_spec cmd_import_opts[] = {
    { "skip-invalid", 0, 0 },
    { "format", 0, 1 },
    { NULL, 0, 0 }
};

/* The most of a file's first line read to guess its format: a GDELT row
 * is a few hundred bytes, its columns all in the first kilobytes. */
#define CMD_IMPORT_HEAD 8192

/* Read the start of f's first line into head, for import_format_guess,
 * and go back to the start of the file: only a regular file, which can go
 * back. Returns the bytes read (0 for another kind of file). */
static size_t cmd_import_head(FILE *f, char *head, size_t cap)
{
    struct stat sb;
    if (fstat(fileno(f), &sb) < 0 || !S_ISREG(sb.st_mode))
        return 0;
    size_t n = fread(head, 1, cap, f);
    if (fseek(f, 0, SEEK_SET) < 0) {
        clearerr(f);
        return 0;
    }
    clearerr(f);
    char *nl = memchr(head, '\n', n);
    return nl ? (size_t)(nl - head) : n;
}

static int cmd_import_run(cli_ctx *ctx, const opts_result *o)
{
    const char *path = o->args[0];
    const char *format = opts_value(o, "format");
    cmd_import_state st;
    import_format fmt = IMPORT_JSONL;
    FILE *f = stdin;

    memset(&st, 0, sizeof st);
    st.ctx = ctx;
    st.skip = opts_count(o, "skip-invalid") > 0;
    st.progress = isatty(STDERR_FILENO);
    st.name = strcmp(path, "-") == 0 ? "stdin" : path;
    if (format && import_format_parse(format, &fmt) < 0)
        return cli_usage_error(ctx, "--format: '%s' is not a format (jsonl, gdelt, csv)", format);
    if (strcmp(path, "-") != 0) {
        f = fopen(path, "r");
        if (!f) {
            cli_error("cannot open %s: %s", path, strerror(errno));
            return CLI_INPUT;
        }
    }
    if (!format && f != stdin) {
        char head[CMD_IMPORT_HEAD], why[512];
        size_t headlen = cmd_import_head(f, head, sizeof head);
        if (import_format_guess(path, headlen ? head : NULL, headlen, &fmt, why,
                                sizeof why) < 0) {
            fclose(f);
            return cli_usage_error(ctx, "%s", why);
        }
        if (fmt != IMPORT_JSONL)
            cli_error("reading %s as %s (%s; --format chooses)", path,
                      import_format_name(fmt), why);
    }
    int rc = cmd_import_stream(&st, f, fmt);
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
    "import", "import FILE|- [--format jsonl|gdelt|csv] [--skip-invalid]",
    "load events from JSON lines, GDELT or CSV",
    "Store the events of FILE (or stdin for '-'). Events go in put_many\n"
    "batches of up to 500. A record that cannot be read, or that the server\n"
    "rejects, is reported as FILE:LINE: reason. Import then stops, with every\n"
    "record before it stored and none after it (exit 5).\n"
    "\n"
    "Formats (--format; without it, from FILE's name and first line:\n"
    "*.export.CSV is gdelt, and so is a *.csv or *.tsv whose first line has\n"
    "57, 58 or 61 tab-separated columns; other *.csv are csv, other *.tsv an\n"
    "error; anything else and stdin jsonl):\n"
    "  jsonl  one JSON event object per line; blank lines are skipped.\n"
    "  gdelt  GDELT 1.0 or 2.0 event rows: tab-separated, no header, 57 or 58\n"
    "         (1.0) or 61 (2.0) columns in the codebook's order. Each row is\n"
    "         the event gdelt-GLOBALEVENTID, so importing again updates it:\n"
    "         kind from the CAMEO EventCode (042, 043 visit; 036, 040, 044,\n"
    "         045, 046 meeting; 057 agreement; others other), cameo, start\n"
    "         from SQLDATE (a day; uncertain, 2018-10-24?, and tagged\n"
    "         gdelt-date-suspect when exactly a month or a year before\n"
    "         DATEADDED), countries from the actors' codes and\n"
    "         ActionGeo (as ISO 3166 alpha-2), place from ActionGeo, the\n"
    "         actors as participants, SOURCEURL as the source, a title\n"
    "         \"ACTOR1 \u2192 ACTOR2: <CAMEO name>\", the tag gdelt, and every\n"
    "         other column in extra.gdelt. Rows are never merged: a visit\n"
    "         coded 042 and 043, or a repeated row, stays one event per id.\n"
    "  csv    RFC 4180 (quoted fields may hold commas, quotes as \"\" and line\n"
    "         ends; CRLF and a byte order mark are fine). The first row names\n"
    "         each column's event field: id, kind, cameo, title, summary,\n"
    "         lang, start, end, parent, place.name, place.city,\n"
    "         place.country, place.lat, place.lon, countries, tags, sources\n"
    "         (URLs), participants (names), extra.KEY (dots nest). Lists are\n"
    "         separated by ';' (in sources, only a ';' before http(s)://).\n"
    "         An empty field leaves its event field out; without a kind, a\n"
    "         cameo code gives it as for gdelt.\n"
    "\n"
    "Options:\n"
    "  --format F      jsonl, gdelt or csv\n"
    "  --skip-invalid  report each bad record, leave it out and go on; exit 5\n"
    "                  at the end when a record was left out (a CSV header\n"
    "                  that names no event fields still stops the import)\n"
    "\n"
    "The number of events imported is reported on stderr at the end.\n",
    cmd_import_opts, 1, 1, cmd_import_run
};
