/* index.h: how events are laid out in LMDB keys and values: the record
 * (header + canonical body), the time index, the change log and the cursor
 * string. Pure encodings, no LMDB calls; store.c does the I/O. */
#ifndef ANNALS_INDEX_H
#define ANNALS_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"
#include "proto/edtf.h"
#include "proto/event.h"

/* Time index: events are grouped into classes by the length of the span they
 * may cover (end_hi - start_lo), class k holding spans of at most 2^k days
 * and the last class everything longer. A window query scans, in each class,
 * only the starts in [window_lo - longest span of the class, window_hi], so
 * a few multi-year events never make a one-day query walk years of index. */
#define INDEX_CLASSES 17
#define INDEX_TIME_KEY_MAX (1 + 8 + EVENT_ID_MAX)
#define INDEX_TIME_VAL_SIZE 24

/* index_class_of: the class of an event's bounds. */
unsigned index_class_of(const edtf_bounds_t *b);

/* index_class_span: the longest span (seconds) of class c; INT64_MAX for the last. */
int64_t index_class_span(unsigned c);

/* index_class_min_span: the shortest span (seconds) an event of class c has. */
int64_t index_class_min_span(unsigned c);

/* index_time_key: key = class (1 byte) | start_lo (8 bytes, order-preserving)
 * | id. Returns the key length. */
size_t index_time_key(unsigned cls, edtf_time start_lo, const char *id, size_t idlen,
                      unsigned char *key);

/* index_time_key_parse: the parts of a time key; id points into key. */
void index_time_key_parse(const unsigned char *key, size_t len, unsigned *cls,
                          edtf_time *start_lo, const char **id, size_t *idlen);

/* index_time_val / index_time_val_parse: the rest of the bounds, so range
 * and count can test a window without reading the record. */
void index_time_val(const edtf_bounds_t *b, unsigned char val[INDEX_TIME_VAL_SIZE]);
void index_time_val_parse(const unsigned char *val, edtf_time start_lo, edtf_bounds_t *b);

/* A stored record: a fixed header, then the canonical body (a msgpack map of
 * every field but id, as event_validate builds it). */
#define INDEX_RECORD_VERSION 1
#define INDEX_RECORD_HEADER 64

typedef struct {
    edtf_bounds_t bounds;
    uint64_t seq;
    int64_t created_ms, updated_ms;
    const char *body;       /* borrowed from the record bytes */
    size_t body_len;
} index_record;

void index_record_header(const index_record *r, unsigned char hdr[INDEX_RECORD_HEADER]);

/* index_record_parse: returns 0, or -1 when the bytes are not a record. */
int index_record_parse(const void *data, size_t len, index_record *r);

/* index_record_summary: append to out the record rec with its body cut to
 * the fields filters read (kind, countries, tags, place, parent,
 * participants): what the change log keeps of a replaced or deleted version.
 * Keeping whole bodies there would make a delete need as much free space as
 * the event it frees, so a full database could not be emptied. scratch is
 * reused between calls. */
void index_record_summary(const index_record *rec, buf_t *out, msgpack_unpacked *scratch);

/* Change log: key = seq (8 bytes big-endian); value = a 20-byte header (op,
 * id length, lengths of the two records, time), the id, the summary of the
 * previous version (index_record_summary: what the feed's filters need to
 * tell that a put moved an event out of a window, or that a deleted event had
 * matched) and, for a put, the new version's record (so the feed replays each
 * version as written). */
enum { INDEX_OP_PUT = 1, INDEX_OP_DELETE = 2 };
#define INDEX_CHANGE_HEADER 20

typedef struct {
    uint64_t seq;
    int op;
    int64_t time_ms;
    const char *id;         /* borrowed from the value */
    size_t idlen;
    int has_prev, has_new;
    index_record prev, rec; /* bodies borrowed from the value */
} index_change;

void index_seq_key(uint64_t seq, unsigned char key[8]);
uint64_t index_seq_key_parse(const unsigned char key[8]);

/* index_change_size: bytes of a change value with these parts. */
size_t index_change_size(size_t idlen, size_t prev_len, size_t new_len);

/* index_change_write: build a change value into out (index_change_size()
 * bytes). prev and rec are whole stored records (header + body), or NULL. */
void index_change_write(unsigned char *out, int op, int64_t time_ms, const char *id, size_t idlen,
                        const void *prev, size_t prev_len, const void *rec, size_t rec_len);

/* index_change_parse: returns 0, or -1 when the bytes are not a change. */
int index_change_parse(uint64_t seq, const void *data, size_t len, index_change *c);

/* Cursor strings: an opaque, URL-safe encoding of the (start_lo, id) of the
 * last event a page returned. */
#define INDEX_CURSOR_MAX 256
size_t index_cursor_encode(edtf_time start_lo, const char *id, size_t idlen, char *out);
int index_cursor_decode(const char *s, size_t len, edtf_time *start_lo, char *id, size_t *idlen);

#endif
