/* terms.h: what the secondary indexes and the filters read of an event.
 *
 * An index term is a byte string: one byte naming the field, then the value.
 * The same event body always yields the same set of terms, so a write can
 * remove exactly the terms of the version it replaces. Filter values that the
 * index cannot answer exactly (a participant's words must be consecutive, a
 * phrase must be consecutive, several q words must all appear) are checked
 * again against the event body with the match functions below, which follow
 * PROTOCOL.md sections 6 (Filters) and 10 (text search) word for word.
 *
 * Pure functions over the canonical body (the msgpack map event_validate
 * builds); no LMDB, no global state. */
#ifndef ANNALS_TERMS_H
#define ANNALS_TERMS_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

/* The field byte of each kind of term. */
enum {
    TERM_KIND = 'k',          /* 'k' + kind */
    TERM_COUNTRY = 'c',       /* 'c' + a code of countries */
    TERM_TAG = 't',           /* 't' + a tag */
    TERM_PARTICIPANT = 'p',   /* 'p' + a normalised word of a participant's name or alias */
    TERM_PLACE_COUNTRY = 'L', /* 'L' + place.country */
    TERM_PLACE = 'l',         /* 'l' + a normalised word of place.city or place.name */
    TERM_PARENT = 'r',        /* 'r' + parent id */
    TERM_WORD = 'w',          /* 'w' + a normalised word of the event's text */
};

/* The longest term, field byte included. A longer value is cut on a UTF-8
 * boundary; the index then finds a superset and the match functions decide.
 * (LMDB keys are at most 511 bytes.) */
#define TERM_MAX 256

/* The longest normalised word kept (bytes, NUL excluded). */
#define TERM_WORD_MAX 128

/* A set of terms: their bytes back to back in data, term i at off[i] with
 * length len[i]. */
typedef struct {
    char *data;
    size_t used, cap;
    uint32_t *off;
    uint16_t *len;
    size_t n, ncap;
} term_set;

void term_set_init(term_set *ts);
void term_set_reset(term_set *ts);      /* empty, keeps the memory */
void term_set_release(term_set *ts);

/* term_set_add: append one term (field byte + value bytes, cut to TERM_MAX
 * on a UTF-8 boundary). */
void term_set_add(term_set *ts, int field, const char *value, size_t len);

/* term_set_sort_unique: sort terms bytewise (shorter first on a common
 * prefix) and drop duplicates. */
void term_set_sort_unique(term_set *ts);

/* terms_of_body: every index term of a stored event body, sorted and
 * unique: kind (absent kind means "other"), each of countries, tags, the
 * normalised words (textnorm_next_token) of each participant's name and
 * aliases, place.country, the words of place.city and place.name, parent,
 * and the words of the text (title, summary, participants' name, aliases and
 * role, place.name and place.city, tags: the text of PROTOCOL.md section 10).
 * ts is emptied first (term_set_reset), then filled; scratch is reused
 * between calls. Returns 0, or -1 when body is not a map (ts is then empty). */
int terms_of_body(const char *body, size_t len, msgpack_unpacked *scratch, term_set *ts);

/* A sequence of normalised words: a participant or place filter value, or
 * one clause of a q. Words are NUL-terminated and back to back in text; w
 * points into text, so a terms_seq is parsed where it is used and never
 * copied by value. */
#define TERMS_SEQ_WORDS 32

typedef struct {
    char text[TERMS_SEQ_WORDS * (TERM_WORD_MAX + 1)];
    const char *w[TERMS_SEQ_WORDS];
    size_t wlen[TERMS_SEQ_WORDS];
    unsigned n;
} terms_seq;

/* terms_seq_parse: the normalised words of s[0..len). Returns the number of
 * words (0: none), or -1 when there are more than TERMS_SEQ_WORDS. */
int terms_seq_parse(const char *s, size_t len, terms_seq *seq);

/* A parsed q: clauses that must all match. A clause of one word is a word;
 * of several, a phrase (from a "quoted" part of q). */
#define TERMS_Q_CLAUSES 32

typedef struct {
    terms_seq clause[TERMS_Q_CLAUSES];
    unsigned n;
} terms_query;

/* terms_query_parse: parse q (1-1024 bytes, words and "quoted phrases"; an
 * unbalanced quote runs to the end; a quoted part holding one word is a word;
 * a quoted part with no word is ignored). The typographic quotes “ ” « »
 * quote as '"' does. At most 32 words in all. Returns 0, or -1 with a
 * message in err starting "q: " (no word; more than 32 words; over 1024
 * bytes). */
int terms_query_parse(const char *s, size_t len, terms_query *q, char *err, size_t errlen);

/* The match functions take the body already unpacked (a msgpack map; any
 * other object matches nothing). They allocate nothing. */

/* terms_match_participant: whether seq's words appear consecutively, in
 * order, in the words of the name or of one alias of one participant. */
int terms_match_participant(const msgpack_object *body, const terms_seq *seq);

/* terms_match_place: whether code (when not NULL: a 2-letter value, compared
 * case-insensitively) equals place.country, or seq's words appear
 * consecutively in the words of place.city or of place.name. seq may be
 * NULL or hold no word; then only code can match. */
int terms_match_place(const msgpack_object *body, const char *code, const terms_seq *seq);

/* terms_match_query: whether the event's text has every clause: a word
 * anywhere in the text, a phrase's words consecutively within one text field
 * (title, summary, one participant's name, one alias, one role, place.name,
 * place.city, one tag). */
int terms_match_query(const msgpack_object *body, const terms_query *q);

/* terms_field: the value of key name in the map body, or NULL (also when
 * body is NULL or not a map). */
const msgpack_object *terms_field(const msgpack_object *body, const char *name);

#endif
