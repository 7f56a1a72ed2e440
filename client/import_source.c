/* import_source.c: JSON lines, GDELT rows and CSV records read as packed
 * events, one at a time, with the line each starts on. */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "client/cli.h"
#include "client/import_csv.h"
#include "client/import_gdelt.h"
#include "client/import_source.h"
#include "client/jsonmp.h"
#include "proto/xalloc.h"

struct import_source {
    FILE *f;
    import_format fmt;
    long line;                    /* lines read so far */
    char *text;                   /* owned: getline's buffer */
    size_t cap;
    import_csv_reader csv;        /* IMPORT_CSV */
    import_csv_columns *columns;  /* IMPORT_CSV: owned, once the header is read */
};

static const char *const import_format_names[] = { "jsonl", "gdelt", "csv" };

int import_format_parse(const char *name, import_format *out)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(name, import_format_names[i]) == 0) {
            *out = (import_format)i;
            return 0;
        }
    return -1;
}

const char *import_format_name(import_format fmt)
{
    return import_format_names[fmt];
}

static int import_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* The number of tab-separated columns of head's first line. */
static size_t import_head_columns(const char *head, size_t len)
{
    size_t n = 1;
    for (size_t i = 0; i < len && head[i] != '\n' && head[i] != '\r'; i++)
        n += head[i] == '\t';
    return n;
}

int import_format_guess(const char *path, const char *head, size_t headlen,
                        import_format *fmt, char *why, size_t whylen)
{
    size_t cols = head ? import_head_columns(head, headlen) : 0;
    int gdelt_wide = cols == IMPORT_GDELT_V1_OLD_COLUMNS || cols == IMPORT_GDELT_V1_COLUMNS ||
                     cols == IMPORT_GDELT_V2_COLUMNS;
    int tsv = import_ends_with(path, ".tsv");
    why[0] = '\0';
    /* GDELT names its tab-separated files *.export.CSV (and, in 1.0,
     * YYYYMMDD.export.CSV): the extension says CSV, the content does not. */
    if (import_ends_with(path, ".export.csv")) {
        *fmt = IMPORT_GDELT;
        snprintf(why, whylen, "from its name");
        return 0;
    }
    /* Other files of GDELT rows go by many names (samples, extracts): a
     * first line of a GDELT row's width says so, which no header of comma-
     * separated event fields comes near. */
    if ((tsv || import_ends_with(path, ".csv")) && gdelt_wide) {
        *fmt = IMPORT_GDELT;
        snprintf(why, whylen, "from its name and its first line of %zu tab-separated "
                 "columns", cols);
        return 0;
    }
    if (tsv) {
        char what[64] = "it is empty or cannot be read ahead";
        if (head)
            snprintf(what, sizeof what, "its first line has %zu tab-separated columns", cols);
        snprintf(why, whylen, "%s: cannot tell its format: %s, and a GDELT row has %d, %d or "
                 "%d (annals reads no other tab-separated format); --format chooses", path,
                 what, IMPORT_GDELT_V1_OLD_COLUMNS, IMPORT_GDELT_V1_COLUMNS,
                 IMPORT_GDELT_V2_COLUMNS);
        return -1;
    }
    if (import_ends_with(path, ".csv")) {
        *fmt = IMPORT_CSV;
        snprintf(why, whylen, "from its name");
        return 0;
    }
    *fmt = IMPORT_JSONL;
    if (import_ends_with(path, ".jsonl") || import_ends_with(path, ".ndjson"))
        snprintf(why, whylen, "from its name");
    return 0;
}

import_source *import_source_new(FILE *f, import_format fmt)
{
    import_source *src = xmalloc(sizeof *src);
    memset(src, 0, sizeof *src);
    src->f = f;
    src->fmt = fmt;
    import_csv_reader_init(&src->csv, f);
    return src;
}

void import_source_free(import_source *src)
{
    if (!src)
        return;
    free(src->text);
    import_csv_reader_release(&src->csv);
    import_csv_columns_free(src->columns);
    free(src);
}

static int import_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

/* Pack obj (a reference this takes) into ev. Returns 1, or -1 with reason
 * when the event is too large to send. */
static int import_pack(json_t *obj, buf_t *ev, char *reason, size_t reasonlen)
{
    msgpack_packer pk;
    buf_reset(ev);
    buf_packer_init(&pk, ev);
    jsonmp_pack(&pk, obj);
    json_decref(obj);
    if (ev->len > IMPORT_SOURCE_MAX_EVENT) {
        snprintf(reason, reasonlen, "event too large (%zu bytes as MessagePack; "
                 "a message may hold at most 16 MiB)", ev->len);
        return -1;
    }
    return 1;
}

/* The next line of src->f, its line end included, into src->text as
 * getline reads it, but of at most max bytes: the rest of a longer line is
 * read and dropped, and *cut set. Returns the bytes kept, or -1 at the end. */
static ssize_t import_read_capped(import_source *src, size_t max, int *cut)
{
    size_t n = 0;
    int c = EOF;
    *cut = 0;
    while ((c = getc_unlocked(src->f)) != EOF) {
        if (n < max) {
            if (n + 2 > src->cap) {
                src->cap = src->cap ? src->cap * 2 : 4096;
                src->text = xrealloc(src->text, src->cap);
            }
            src->text[n++] = (char)c;
        } else {
            *cut = 1;
        }
        if (c == '\n')
            break;
    }
    if (n == 0 && !*cut)
        return -1;
    src->text[n] = '\0';
    return (ssize_t)n;
}

/* JSON lines and GDELT rows: one record a line. */
static int import_next_line(import_source *src, buf_t *ev, long *line, char *reason,
                            size_t reasonlen)
{
    ssize_t len;
    int cut = 0;
    /* A GDELT row is a few kilobytes at most: the cap (with room for a
     * line end) keeps a file that is no GDELT file, one huge line, from
     * being held whole. */
    while ((len = src->fmt == IMPORT_GDELT
                  ? import_read_capped(src, IMPORT_GDELT_MAX_LINE + 2, &cut)
                  : getline(&src->text, &src->cap, src->f)) >= 0) {
        const char *text = src->text;
        *line = ++src->line;
        if (src->line == 1 && len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
            text += 3; /* a UTF-8 byte order mark */
            len -= 3;
        }
        /* Without its line end, a cut line is reported at its own column. */
        while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
            len--;
        if (src->fmt == IMPORT_GDELT && (cut || (size_t)len > IMPORT_GDELT_MAX_LINE)) {
            snprintf(reason, reasonlen, "line longer than %u bytes: no GDELT row is that long",
                     IMPORT_GDELT_MAX_LINE);
            return -1;
        }
        if (import_blank(text, (size_t)len))
            continue;
        json_t *obj = src->fmt == IMPORT_GDELT
            ? import_gdelt_row(text, (size_t)len, reason, reasonlen)
            : cli_parse_json_object(text, (size_t)len, reason, reasonlen);
        if (!obj)
            return -1;
        return import_pack(obj, ev, reason, reasonlen);
    }
    if (ferror(src->f)) {
        *line = src->line + 1;
        snprintf(reason, reasonlen, "read error: %s", strerror(errno));
        return -2;
    }
    return 0;
}

/* The next CSV record into src->csv: import_csv_read with *line set to
 * the record's first line, or for a read error to the line it failed on. */
static int import_csv_record(import_source *src, long *line, char *reason, size_t reasonlen)
{
    int rc = import_csv_read(&src->csv, reason, reasonlen);
    *line = src->csv.record_line;
    if (rc == -2) {
        *line = src->csv.line + 1;
        snprintf(reason, reasonlen, "read error: %s", strerror(errno));
    }
    return rc;
}

/* Read the header (the first record) into src->columns. Returns 0, or -2
 * with reason: without a header nothing can be imported. */
static int import_csv_header(import_source *src, long *line, char *reason, size_t reasonlen)
{
    int rc = import_csv_record(src, line, reason, reasonlen);
    if (rc == 0) {
        *line = 1;
        snprintf(reason, reasonlen, "no header: a CSV file starts with a row naming "
                 "the event field of each column");
    }
    if (rc <= 0)
        return -2;
    src->columns = import_csv_columns_new(&src->csv, reason, reasonlen);
    if (!src->columns) {
        /* GDELT's own files end in .CSV but hold tab-separated rows. */
        if (src->csv.nfields > 0 && memchr(src->csv.text.data, '\t', src->csv.lens[0])) {
            size_t n = strlen(reason);
            snprintf(reason + n, reasonlen - n, "; the line is tab-separated: GDELT rows "
                     "are imported with --format gdelt");
        }
        return -2;
    }
    return 0;
}

static int import_next_csv(import_source *src, buf_t *ev, long *line, char *reason,
                           size_t reasonlen)
{
    if (!src->columns && import_csv_header(src, line, reason, reasonlen) < 0)
        return -2;
    int rc = import_csv_record(src, line, reason, reasonlen);
    if (rc <= 0)
        return rc;
    json_t *obj = import_csv_event(src->columns, &src->csv, reason, reasonlen);
    if (!obj)
        return -1;
    return import_pack(obj, ev, reason, reasonlen);
}

int import_source_next(import_source *src, buf_t *ev, long *line, char *reason,
                       size_t reasonlen)
{
    if (src->fmt == IMPORT_CSV)
        return import_next_csv(src, ev, line, reason, reasonlen);
    return import_next_line(src, ev, line, reason, reasonlen);
}
