/* import_csv.h: events from CSV (RFC 4180) with a header row naming event
 * fields: a record reader, and the mapping of a record to an event. */
#ifndef ANNALS_CLIENT_IMPORT_CSV_H
#define ANNALS_CLIENT_IMPORT_CSV_H

#include <stdio.h>
#include <jansson.h>

#include "proto/buf.h"

/* The most bytes one record may hold: a longer one is a bad record (the
 * server would refuse an event of its size anyway), read to its end. */
#define IMPORT_CSV_MAX_RECORD (16u << 20)

/* The separator of the items of a list column (countries, tags, sources,
 * participants). In sources it separates only before an http:// or
 * https:// URL, since a URL may hold ';'. */
#define IMPORT_CSV_LIST_SEP ';'

typedef struct {
    FILE *f;                /* borrowed */
    long line;              /* physical lines read so far */
    long record_line;       /* the line the last record started on */
    buf_t text;             /* owned: the fields' bytes, each NUL-terminated */
    size_t *offs;           /* owned: field i starts at text.data + offs[i] */
    size_t *lens;           /* owned: its length (it may hold NUL bytes) */
    size_t nfields, cap;
    int started;            /* the byte order mark was looked for */
    unsigned char pending[3]; /* bytes read ahead, to be read again */
    int npending;
} import_csv_reader;

void import_csv_reader_init(import_csv_reader *r, FILE *f);
void import_csv_reader_release(import_csv_reader *r);

/* import_csv_read: the next record of r's file into r's fields. Fields
 * are separated by commas and records by LF or CRLF; a field in double
 * quotes may hold commas, line ends and doubled quotes (""); a UTF-8 byte
 * order mark at the start is skipped; an empty line is not a record.
 * Returns 1 with a record (record_line is its first line); 0 at the end;
 * -1 for a malformed record (text after a closing quote, a quote left
 * open at the end of the file, a record over IMPORT_CSV_MAX_RECORD) with
 * reason, the reader then standing after it; -2 on a read error. */
int import_csv_read(import_csv_reader *r, char *reason, size_t reasonlen);

/* import_csv_columns: the header record's meaning (owned by the caller,
 * freed with import_csv_columns_free). */
typedef struct import_csv_columns import_csv_columns;

/* import_csv_columns_new: read the header in r's current record. Each
 * column names an event field: id, kind, cameo, title, summary, lang,
 * start, end, parent (text); place.name, place.city, place.country (text)
 * and place.lat, place.lon (numbers); countries, tags (lists of tokens),
 * sources (a list of URLs), participants (a list of names), each list
 * separated by ';' (in sources, only a ';' followed by http:// or
 * https://); extra.KEY, with dots for nested maps (text).
 * Returns NULL with a reason for an empty, unknown or repeated column. */
import_csv_columns *import_csv_columns_new(const import_csv_reader *r, char *reason,
                                           size_t reasonlen);
void import_csv_columns_free(import_csv_columns *c);

/* import_csv_event: the event of r's current record, a new object the
 * caller owns; an empty field leaves its event field out; a record with a
 * CAMEO code and no kind gets cameo_codes_kind's kind. Returns NULL with
 * a reason (naming the column) when the record has another number of
 * fields than the header, a number does not read, or text is not UTF-8.
 * Everything else is the server's to check. */
json_t *import_csv_event(const import_csv_columns *c, const import_csv_reader *r,
                         char *reason, size_t reasonlen);

#endif
