/* terms.c: the index terms of an event body, the parsing of participant,
 * place and q filter values into normalised words, and the checks of those
 * words against a body (PROTOCOL.md sections 6 and 10). Every word goes
 * through textnorm, so documents and filters fold the same way. */
#include "daemon/terms.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/textnorm.h"
#include "proto/xalloc.h"

/* The longest q (PROTOCOL.md section 6). */
#define TERMS_Q_BYTES 1024

/* ---- term sets ---- */

void term_set_init(term_set *ts)
{
    memset(ts, 0, sizeof *ts);
}

void term_set_reset(term_set *ts)
{
    ts->used = 0;
    ts->n = 0;
}

void term_set_release(term_set *ts)
{
    free(ts->data);
    free(ts->off);
    free(ts->len);
    term_set_init(ts);
}

void term_set_add(term_set *ts, int field, const char *value, size_t len)
{
    if (len > TERM_MAX - 1) {
        /* value[len] is the first byte left out: while it continues a code
         * point, the cut would split that code point. */
        len = TERM_MAX - 1;
        while (len > 0 && ((unsigned char)value[len] & 0xC0) == 0x80)
            len--;
    }
    if (ts->used + 1 + len > ts->cap) {
        size_t cap = ts->cap ? ts->cap : 256;
        while (cap < ts->used + 1 + len)
            cap *= 2;
        ts->data = xrealloc(ts->data, cap);
        ts->cap = cap;
    }
    if (ts->n == ts->ncap) {
        size_t ncap = ts->ncap ? ts->ncap * 2 : 16;
        ts->off = xrealloc(ts->off, ncap * sizeof *ts->off);
        ts->len = xrealloc(ts->len, ncap * sizeof *ts->len);
        ts->ncap = ncap;
    }
    /* Offsets are 32-bit: a body is at most a few MiB, and its terms are
     * never many times its size. */
    assert(ts->used + 1 + len <= UINT32_MAX);
    ts->off[ts->n] = (uint32_t)ts->used;
    ts->len[ts->n] = (uint16_t)(1 + len);
    ts->data[ts->used] = (char)field;
    if (len)
        memcpy(ts->data + ts->used + 1, value, len);
    ts->used += 1 + len;
    ts->n++;
}

/* Bytewise order of terms a and b, the shorter first on a common prefix. */
static int term_cmp(const term_set *ts, size_t a, size_t b)
{
    size_t la = ts->len[a], lb = ts->len[b];
    int c = memcmp(ts->data + ts->off[a], ts->data + ts->off[b], la < lb ? la : lb);
    if (c)
        return c;
    return (la > lb) - (la < lb);
}

static void term_swap(term_set *ts, size_t a, size_t b)
{
    uint32_t o = ts->off[a];
    uint16_t l = ts->len[a];
    ts->off[a] = ts->off[b];
    ts->len[a] = ts->len[b];
    ts->off[b] = o;
    ts->len[b] = l;
}

static void term_sift_down(term_set *ts, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && term_cmp(ts, child, child + 1) < 0)
            child++;
        if (term_cmp(ts, root, child) >= 0)
            return;
        term_swap(ts, root, child);
        root = child;
    }
}

/* A heapsort of the (off, len) pairs: qsort would need the data pointer in
 * global state, and the pairs are sorted in place without allocating. The
 * bytes themselves stay where they were written. */
void term_set_sort_unique(term_set *ts)
{
    for (size_t i = ts->n / 2; i-- > 0;)
        term_sift_down(ts, i, ts->n);
    for (size_t end = ts->n; end > 1; end--) {
        term_swap(ts, 0, end - 1);
        term_sift_down(ts, 0, end - 1);
    }
    size_t kept = 0;
    for (size_t i = 0; i < ts->n; i++) {
        if (kept && term_cmp(ts, kept - 1, i) == 0)
            continue;
        ts->off[kept] = ts->off[i];
        ts->len[kept] = ts->len[i];
        kept++;
    }
    ts->n = kept;
}

/* ---- reading a body ---- */

const msgpack_object *terms_field(const msgpack_object *body, const char *name)
{
    if (!body || body->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t n = strlen(name);
    for (uint32_t i = 0; i < body->via.map.size; i++) {
        const msgpack_object *k = &body->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
            memcmp(k->via.str.ptr, name, n) == 0)
            return &body->via.map.ptr[i].val;
    }
    return NULL;
}

static int is_str(const msgpack_object *o)
{
    return o && o->type == MSGPACK_OBJECT_STR;
}

static uint32_t array_size(const msgpack_object *o)
{
    return o && o->type == MSGPACK_OBJECT_ARRAY ? o->via.array.size : 0;
}

/* Which filter besides q reads a string of the event's text. */
enum text_role {
    TEXT_ONLY,          /* title, summary, a role, a tag: q only */
    TEXT_PARTICIPANT,   /* a participant's name or alias */
    TEXT_PLACE,         /* place.name or place.city */
};

/* Called once per string of the text; a nonzero return stops the walk. */
typedef int (*text_fn)(void *ud, enum text_role role, const char *s, size_t len);

static int text_call(const msgpack_object *o, enum text_role role, text_fn fn, void *ud)
{
    return is_str(o) ? fn(ud, role, o->via.str.ptr, o->via.str.size) : 0;
}

/* each_text: call fn for every string of the event's text as PROTOCOL.md
 * section 10 lists it (title, summary, each participant's name, aliases and
 * role, place.name and place.city, tags), each string a field of its own so
 * that a phrase never runs from one into the next. Returns fn's first
 * nonzero value, or 0. This is the one definition of "the text": the word
 * terms and the q, participant and place checks all read it from here. */
static int each_text(const msgpack_object *body, text_fn fn, void *ud)
{
    int r;
    if ((r = text_call(terms_field(body, "title"), TEXT_ONLY, fn, ud)) ||
        (r = text_call(terms_field(body, "summary"), TEXT_ONLY, fn, ud)))
        return r;

    const msgpack_object *ps = terms_field(body, "participants");
    for (uint32_t i = 0; i < array_size(ps); i++) {
        const msgpack_object *p = &ps->via.array.ptr[i];
        if ((r = text_call(terms_field(p, "name"), TEXT_PARTICIPANT, fn, ud)))
            return r;
        const msgpack_object *as = terms_field(p, "aliases");
        for (uint32_t j = 0; j < array_size(as); j++)
            if ((r = text_call(&as->via.array.ptr[j], TEXT_PARTICIPANT, fn, ud)))
                return r;
        if ((r = text_call(terms_field(p, "role"), TEXT_ONLY, fn, ud)))
            return r;
    }

    const msgpack_object *place = terms_field(body, "place");
    if ((r = text_call(terms_field(place, "name"), TEXT_PLACE, fn, ud)) ||
        (r = text_call(terms_field(place, "city"), TEXT_PLACE, fn, ud)))
        return r;

    const msgpack_object *tags = terms_field(body, "tags");
    for (uint32_t i = 0; i < array_size(tags); i++)
        if ((r = text_call(&tags->via.array.ptr[i], TEXT_ONLY, fn, ud)))
            return r;
    return 0;
}

/* ---- index terms ---- */

/* The raw-value terms of the strings of an array (countries, tags). */
static void add_strings(term_set *ts, int field, const msgpack_object *arr)
{
    for (uint32_t i = 0; i < array_size(arr); i++) {
        const msgpack_object *e = &arr->via.array.ptr[i];
        if (is_str(e))
            term_set_add(ts, field, e->via.str.ptr, e->via.str.size);
    }
}

static void add_string(term_set *ts, int field, const msgpack_object *o)
{
    if (is_str(o))
        term_set_add(ts, field, o->via.str.ptr, o->via.str.size);
}

/* Every word of one text string is a word term, and also a participant or a
 * place term when the string is a name, an alias, a city or a place name. */
static int add_text_words(void *ud, enum text_role role, const char *s, size_t len)
{
    term_set *ts = ud;
    char w[TERM_WORD_MAX + 1];
    size_t pos = 0, wl;
    while ((wl = textnorm_next_token(s, len, &pos, w, sizeof w)) > 0) {
        term_set_add(ts, TERM_WORD, w, wl);
        if (role == TEXT_PARTICIPANT)
            term_set_add(ts, TERM_PARTICIPANT, w, wl);
        else if (role == TEXT_PLACE)
            term_set_add(ts, TERM_PLACE, w, wl);
    }
    return 0;
}

int terms_of_body(const char *body, size_t len, msgpack_unpacked *scratch, term_set *ts)
{
    size_t off = 0;
    term_set_reset(ts);
    if (msgpack_unpack_next(scratch, body, len, &off) != MSGPACK_UNPACK_SUCCESS ||
        scratch->data.type != MSGPACK_OBJECT_MAP)
        return -1;
    const msgpack_object *m = &scratch->data;

    const msgpack_object *kind = terms_field(m, "kind");
    if (is_str(kind))
        add_string(ts, TERM_KIND, kind);
    else
        term_set_add(ts, TERM_KIND, "other", 5);
    add_strings(ts, TERM_COUNTRY, terms_field(m, "countries"));
    add_strings(ts, TERM_TAG, terms_field(m, "tags"));
    add_string(ts, TERM_PLACE_COUNTRY, terms_field(terms_field(m, "place"), "country"));
    add_string(ts, TERM_PARENT, terms_field(m, "parent"));
    each_text(m, add_text_words, ts);

    term_set_sort_unique(ts);
    return 0;
}

/* ---- filter values ---- */

static void seq_push(terms_seq *seq, const char *w, size_t wl)
{
    size_t at = 0;
    assert(seq->n < TERMS_SEQ_WORDS && wl <= TERM_WORD_MAX);
    if (seq->n)
        at = (size_t)(seq->w[seq->n - 1] - seq->text) + seq->wlen[seq->n - 1] + 1;
    memcpy(seq->text + at, w, wl);
    seq->text[at + wl] = '\0';
    seq->w[seq->n] = seq->text + at;
    seq->wlen[seq->n] = wl;
    seq->n++;
}

int terms_seq_parse(const char *s, size_t len, terms_seq *seq)
{
    char w[TERM_WORD_MAX + 1];
    size_t pos = 0, wl;
    seq->n = 0;
    while ((wl = textnorm_next_token(s, len, &pos, w, sizeof w)) > 0) {
        if (seq->n == TERMS_SEQ_WORDS) {
            seq->n = 0;
            return -1;
        }
        seq_push(seq, w, wl);
    }
    return (int)seq->n;
}

/* The length of the quotation mark at s[0..len), or 0: the ASCII '"', and
 * the typographic “ ” and « » that text pasted from documents carries. Any
 * of them opens or closes a phrase, so that pairs such as “...” or «...»
 * work as "...". (In UTF-8 the lead bytes C2 and E2 never occur inside
 * another character, so a byte-by-byte scan cannot find a false quote.) */
static size_t quote_len(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] == '"')
        return 1;
    if (len >= 2 && u[0] == 0xC2 && (u[1] == 0xAB || u[1] == 0xBB))
        return 2;
    if (len >= 3 && u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0x9C || u[2] == 0x9D))
        return 3;
    return 0;
}

/* Add the clauses of one part of q: outside quotes each word is a clause;
 * inside, the words together are one (nothing when there are none). *words
 * counts the words of q so far. Returns -1 past TERMS_SEQ_WORDS words. */
static int query_add_part(terms_query *q, const char *s, size_t len, int quoted, unsigned *words)
{
    char w[TERM_WORD_MAX + 1];
    size_t pos = 0, wl;
    if (!quoted) {
        while ((wl = textnorm_next_token(s, len, &pos, w, sizeof w)) > 0) {
            /* Clauses never outnumber words, so a free clause is left
             * whenever a word is. */
            if (*words == TERMS_SEQ_WORDS)
                return -1;
            q->clause[q->n].n = 0;
            seq_push(&q->clause[q->n++], w, wl);
            (*words)++;
        }
        return 0;
    }
    if (q->n == TERMS_Q_CLAUSES)
        return textnorm_next_token(s, len, &pos, w, sizeof w) > 0 ? -1 : 0;
    int n = terms_seq_parse(s, len, &q->clause[q->n]);
    if (n < 0 || *words + (unsigned)n > TERMS_SEQ_WORDS)
        return -1;
    if (n > 0) {
        q->n++;
        *words += (unsigned)n;
    }
    return 0;
}

static int query_fail(terms_query *q, char *err, size_t errlen, const char *msg)
{
    q->n = 0;
    if (errlen)
        snprintf(err, errlen, "q: %s", msg);
    return -1;
}

int terms_query_parse(const char *s, size_t len, terms_query *q, char *err, size_t errlen)
{
    unsigned words = 0;
    int quoted = 0;
    size_t part = 0, i = 0;
    q->n = 0;
    if (len > TERMS_Q_BYTES)
        return query_fail(q, err, errlen, "longer than 1024 bytes");
    while (i < len) {
        size_t ql = quote_len(s + i, len - i);
        if (!ql) {
            i++;
            continue;
        }
        if (query_add_part(q, s + part, i - part, quoted, &words) < 0)
            return query_fail(q, err, errlen, "at most 32 words");
        quoted = !quoted;
        i += ql;
        part = i;
    }
    /* An unbalanced quote runs to the end: the last part is still quoted. */
    if (query_add_part(q, s + part, len - part, quoted, &words) < 0)
        return query_fail(q, err, errlen, "at most 32 words");
    if (!words)
        return query_fail(q, err, errlen, "no words to search for");
    return 0;
}

/* ---- matching ---- */

/* The last TERMS_SEQ_WORDS words of the string being scanned, enough to hold
 * the longest sequence: word t of the string is in slot t % TERMS_SEQ_WORDS. */
typedef struct {
    char word[TERMS_SEQ_WORDS][TERM_WORD_MAX + 1];
    size_t len[TERMS_SEQ_WORDS];
} word_ring;

/* A search for several sequences at once in the strings each_text gives. */
typedef struct {
    const terms_seq *seq;                  /* nseq sequences, back to back */
    unsigned nseq;
    unsigned left;                         /* how many are not found yet */
    unsigned char found[TERMS_Q_CLAUSES];
    int any_role;                          /* q: every string of the text */
    enum text_role role;                   /* otherwise, only these strings */
    word_ring ring;
} seq_search;

/* Whether seq's words are the last seq->n words read, t words having been
 * read from the current string. Compared last word first, where a miss is
 * most likely. */
static int seq_ends_at(const word_ring *ring, size_t t, const terms_seq *seq)
{
    size_t n = seq->n;
    if (n == 0 || n > t)
        return 0;
    for (size_t k = n; k-- > 0;) {
        size_t slot = (t - n + k) % TERMS_SEQ_WORDS;
        if (ring->len[slot] != seq->wlen[k] || memcmp(ring->word[slot], seq->w[k], seq->wlen[k]) != 0)
            return 0;
    }
    return 1;
}

/* Read one string word by word, marking every sequence that ends at some
 * word. Returns 1 (stop the walk) once all are found. The string is
 * tokenised once, whatever the number of sequences, and nothing is
 * allocated. */
static int search_text(void *ud, enum text_role role, const char *s, size_t len)
{
    seq_search *ss = ud;
    size_t pos = 0, t = 0;
    if (!ss->any_role && role != ss->role)
        return 0;
    while (ss->left) {
        size_t slot = t % TERMS_SEQ_WORDS;
        size_t wl = textnorm_next_token(s, len, &pos, ss->ring.word[slot], sizeof ss->ring.word[slot]);
        if (!wl)
            break;
        ss->ring.len[slot] = wl;
        t++;
        for (unsigned i = 0; i < ss->nseq; i++) {
            if (!ss->found[i] && seq_ends_at(&ss->ring, t, &ss->seq[i])) {
                ss->found[i] = 1;
                ss->left--;
            }
        }
    }
    return ss->left == 0;
}

/* Whether every one of the nseq sequences at seq appears in the strings of
 * body that search_text reads (all of them when any_role, else those of
 * role). An empty sequence never matches. */
static int search(const msgpack_object *body, const terms_seq *seq, unsigned nseq,
                  int any_role, enum text_role role)
{
    seq_search ss;
    assert(nseq <= TERMS_Q_CLAUSES);
    if (!body || body->type != MSGPACK_OBJECT_MAP)
        return 0;
    ss.seq = seq;
    ss.nseq = nseq;
    ss.left = nseq;
    memset(ss.found, 0, sizeof ss.found);
    ss.any_role = any_role;
    ss.role = role;
    if (nseq == 0)
        return 1;
    return each_text(body, search_text, &ss);
}

int terms_match_participant(const msgpack_object *body, const terms_seq *seq)
{
    return seq && seq->n > 0 && search(body, seq, 1, 0, TEXT_PARTICIPANT);
}

/* ASCII case-insensitive equality of s[0..len) and the NUL-terminated c. */
static int ascii_case_eq(const char *s, size_t len, const char *c)
{
    if (strlen(c) != len)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char a = (unsigned char)s[i], b = (unsigned char)c[i];
        if (a >= 'A' && a <= 'Z')
            a = (unsigned char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z')
            b = (unsigned char)(b - 'A' + 'a');
        if (a != b)
            return 0;
    }
    return 1;
}

int terms_match_place(const msgpack_object *body, const char *code, const terms_seq *seq)
{
    if (code) {
        const msgpack_object *c = terms_field(terms_field(body, "place"), "country");
        if (is_str(c) && ascii_case_eq(c->via.str.ptr, c->via.str.size, code))
            return 1;
    }
    return seq && seq->n > 0 && search(body, seq, 1, 0, TEXT_PLACE);
}

int terms_match_query(const msgpack_object *body, const terms_query *q)
{
    return search(body, q->clause, q->n, 1, TEXT_ONLY);
}
