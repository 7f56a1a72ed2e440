/* import_source.h: the records of a file being imported, whatever its
 * format, each turned into an event packed as MessagePack: the part of
 * `annals import` that reads, apart from the part that sends. */
#ifndef ANNALS_CLIENT_IMPORT_SOURCE_H
#define ANNALS_CLIENT_IMPORT_SOURCE_H

#include <stdio.h>

#include "proto/buf.h"

typedef enum {
    IMPORT_JSONL,       /* one JSON object per line */
    IMPORT_GDELT,       /* GDELT 1.0/2.0 event rows (import_gdelt.h) */
    IMPORT_CSV          /* CSV with a header naming event fields (import_csv.h) */
} import_format;

/* An event alone must stay under the server's default max_message_size
 * (16 MiB): a bigger message makes it close the connection. */
#define IMPORT_SOURCE_MAX_EVENT ((16u << 20) - (64u << 10))

typedef struct import_source import_source;

/* import_format_parse: the format called name ("jsonl", "gdelt", "csv");
 * -1 for another name. */
int import_format_parse(const char *name, import_format *out);

/* import_format_guess: the format a file's name, and head, its first line
 * (NULL when it could not be read), suggest: GDELT for *.export.CSV
 * (GDELT's own name for its tab-separated files, in any case), and for
 * *.csv and *.tsv whose first line has a GDELT row's 57, 58 or 61
 * tab-separated columns; CSV for other *.csv; JSON lines for anything
 * else. Returns 0 with *fmt and in why what decided it ("from its name...",
 * or "" when nothing did and JSON lines is the default), or -1 with why
 * saying so for a *.tsv that is no GDELT file (annals reads no other
 * tab-separated format). */
int import_format_guess(const char *path, const char *head, size_t headlen,
                        import_format *fmt, char *why, size_t whylen);

/* import_format_name: "jsonl", "gdelt" or "csv". */
const char *import_format_name(import_format fmt);

/* import_source_new: a source reading f (borrowed, read to its end) in
 * format fmt. Free with import_source_free. */
import_source *import_source_new(FILE *f, import_format fmt);
void import_source_free(import_source *src);

/* import_source_next: the next record of the file as an event, packed into
 * ev (reset first), and the line it starts on in *line. Blank lines are no
 * records. Returns 1 with an event; 0 at the end; -1 for a bad record,
 * with *line and reason (the import may go on after it); -2 when the
 * import cannot go on (a read error, a CSV header that does not name event
 * fields), with *line and reason. */
int import_source_next(import_source *src, buf_t *ev, long *line, char *reason,
                       size_t reasonlen);

#endif
