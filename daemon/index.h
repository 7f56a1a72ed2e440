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

/* Documents: every event id gets, when first written, a document number
 * (doc) that later puts of the same id keep and a delete retires. The events
 * database is keyed by doc (8 bytes, big-endian), the "ids" database maps an
 * id to its doc. Ties in date order are broken by doc, so an update never
 * moves an event between pages.
 *
 * Time index: events are grouped into classes by the length of the span they
 * may cover (end_hi - start_lo), class k holding spans of at most 2^k days and
 * the last class everything longer. A window query scans, in each class, only
 * the starts in [window_lo - longest span of the class, window_hi], so a few
 * multi-year events never make a one-day query walk years of index.
 *
 * A position in that order is a 17-byte "slot": class (1 byte) | start_lo (8
 * bytes, order-preserving) | doc (8 bytes). The time database maps each slot
 * to the rest of the bounds; the posting database (LMDB DUPSORT|DUPFIXED)
 * maps each index term (terms.h) to the slots of the events that have it. */
#define INDEX_CLASSES 17
#define INDEX_SLOT_SIZE 17
#define INDEX_TIME_VAL_SIZE 24
#define INDEX_DOC_SIZE 8

/* index_class_of: the class of an event's bounds. */
unsigned index_class_of(const edtf_bounds_t *b);

/* index_class_span: the longest span (seconds) of class c; INT64_MAX for the last. */
int64_t index_class_span(unsigned c);

/* index_class_min_span: the shortest span (seconds) an event of class c has. */
int64_t index_class_min_span(unsigned c);

/* index_slot / index_slot_parse: encode and decode a slot. */
void index_slot(unsigned cls, edtf_time start_lo, uint64_t doc, unsigned char slot[INDEX_SLOT_SIZE]);
void index_slot_parse(const unsigned char slot[INDEX_SLOT_SIZE], unsigned *cls, edtf_time *start_lo,
                      uint64_t *doc);

/* index_doc_key / index_doc_parse: a doc as a big-endian key. */
void index_doc_key(uint64_t doc, unsigned char key[INDEX_DOC_SIZE]);
uint64_t index_doc_parse(const unsigned char key[INDEX_DOC_SIZE]);

/* Day counts: for the whole database (term "") and for each counted term,
 * the number of events whose earliest start falls on each UTC day, so that
 * count, histogram and top add up days instead of walking events. Key =
 * term | 0x00 | day (4 bytes, order-preserving); value = 8-byte count.
 * Counted are the fields one event has one value of or few distinct values
 * (kind, countries, tags, parent, place.country); text words are not. */
int64_t index_day_of(edtf_time t);
int index_term_counted(int field);
size_t index_count_key(const char *term, size_t len, int64_t day, unsigned char *key);

/* index_time_val / index_time_val_parse: the rest of the bounds, so range
 * and count can test a window without reading the record. */
void index_time_val(const edtf_bounds_t *b, unsigned char val[INDEX_TIME_VAL_SIZE]);
void index_time_val_parse(const unsigned char *val, edtf_time start_lo, edtf_bounds_t *b);

/* A stored record: a fixed header, the id, then the canonical body (a
 * msgpack map of every field but id, as event_validate builds it). */
#define INDEX_RECORD_VERSION 2
#define INDEX_RECORD_HEADER 64

typedef struct {
    edtf_bounds_t bounds;
    uint64_t seq;
    int64_t created_ms, updated_ms;
    const char *id;         /* borrowed from the record bytes */
    size_t idlen;
    const char *body;       /* borrowed from the record bytes */
    size_t body_len;
} index_record;

/* index_record_size: bytes of the stored form of r. */
size_t index_record_size(const index_record *r);

/* index_record_write: the stored form of r (header, id, body) into out,
 * index_record_size(r) bytes. */
void index_record_write(const index_record *r, void *out);

/* index_record_parse: returns 0, or -1 when the bytes are not a record. */
int index_record_parse(const void *data, size_t len, index_record *r);

/* index_record_summary: append to out the record rec with its body cut to
 * the fields filters read (kind, title, countries, tags, place,
 * parent, participants): what the change log keeps of a replaced or deleted version.
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

/* Cursor strings: an opaque, URL-safe encoding of the (start_lo, doc) of the
 * last event a page returned. */
#define INDEX_CURSOR_MAX 64
size_t index_cursor_encode(edtf_time start_lo, uint64_t doc, char *out);
int index_cursor_decode(const char *s, size_t len, edtf_time *start_lo, uint64_t *doc);

#endif
