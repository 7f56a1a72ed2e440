/* test_terms.c: the index terms of an event body and the participant, place
 * and q checks of daemon/terms.h, on bodies built by event_validate from
 * JSON, as PROTOCOL.md sections 6 and 10 describe them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/jsonmp.h"
#include "daemon/terms.h"
#include "proto/buf.h"
#include "proto/event.h"
#include "proto/utf8.h"
#include "tests/unit/tap.h"

/* ---- bodies from JSON ---- */

/* The body under test: its bytes and their unpacked form. */
static buf_t body;
static msgpack_unpacked body_u;

/* Pack the JSON text json into out. A malformed description is a bug in the
 * test and aborts. */
static void pack_json(const char *json, buf_t *out)
{
    json_error_t je;
    json_t *v = json_loads(json, 0, &je);
    if (!v) {
        fprintf(stderr, "test_terms: bad JSON '%s': %s\n", json, je.text);
        abort();
    }
    msgpack_packer pk;
    buf_reset(out);
    buf_packer_init(&pk, out);
    jsonmp_pack(&pk, v);
    json_decref(v);
}

static const msgpack_object *unpack_body(void)
{
    size_t off = 0;
    if (msgpack_unpack_next(&body_u, body.data, body.len, &off) != MSGPACK_UNPACK_SUCCESS)
        abort();
    return &body_u.data;
}

/* event: make the canonical body event_validate builds from the event json
 * the body under test, and return it unpacked (valid until the next call). */
static const msgpack_object *event(const char *json)
{
    buf_t in;
    event_t ev;
    char err[256];
    msgpack_unpacked u;
    size_t off = 0;
    buf_init(&in);
    pack_json(json, &in);
    msgpack_unpacked_init(&u);
    msgpack_unpack_next(&u, in.data, in.len, &off);
    event_init(&ev);
    if (event_validate(&u.data, EVENT_DEFAULT_MAX_RECORD, &ev, err, sizeof err) != 0) {
        fprintf(stderr, "test_terms: invalid event '%s': %s\n", json, err);
        abort();
    }
    buf_reset(&body);
    buf_append(&body, ev.body.data, ev.body.len);
    event_release(&ev);
    msgpack_unpacked_destroy(&u);
    buf_release(&in);
    return unpack_body();
}

/* raw: make json packed as it is, without validation, the body under test. */
static const msgpack_object *raw(const char *json)
{
    pack_json(json, &body);
    return unpack_body();
}

/* Every term of the set joined by '|', each as its field byte then its
 * value, in a buffer that lives until the next call. */
static const char *joined(const term_set *ts)
{
    static char all[4096];
    size_t n = 0;
    all[0] = '\0';
    for (size_t i = 0; i < ts->n; i++) {
        if (n + ts->len[i] + 2 > sizeof all)
            break;
        if (i)
            all[n++] = '|';
        memcpy(all + n, ts->data + ts->off[i], ts->len[i]);
        n += ts->len[i];
        all[n] = '\0';
    }
    return all;
}

/* The terms of the body under test, joined. */
static const char *terms(void)
{
    static term_set ts;
    msgpack_unpacked scratch;
    msgpack_unpacked_init(&scratch);
    term_set_init(&ts);
    terms_of_body(body.data, body.len, &scratch, &ts);
    const char *s = joined(&ts);
    term_set_release(&ts);
    msgpack_unpacked_destroy(&scratch);
    return s;
}

/* Whether the set holds the term field + value. */
static int has_term(const term_set *ts, int field, const char *value)
{
    size_t n = strlen(value);
    for (size_t i = 0; i < ts->n; i++)
        if (ts->len[i] == n + 1 && ts->data[ts->off[i]] == field &&
            memcmp(ts->data + ts->off[i] + 1, value, n) == 0)
            return 1;
    return 0;
}

/* ---- filter values ---- */

static terms_seq seq;
static terms_query query;
static char qerr[128];

static int participant(const msgpack_object *b, const char *value)
{
    if (terms_seq_parse(value, strlen(value), &seq) < 0)
        abort();
    return terms_match_participant(b, &seq);
}

static int place(const msgpack_object *b, const char *code, const char *value)
{
    if (terms_seq_parse(value, strlen(value), &seq) < 0)
        abort();
    return terms_match_place(b, code, &seq);
}

/* Parse q; returns what terms_query_parse does, the message in qerr. */
static int parse_q(const char *q)
{
    qerr[0] = '\0';
    return terms_query_parse(q, strlen(q), &query, qerr, sizeof qerr);
}

/* The parsed query written back: clauses joined by '|', the words of a
 * phrase by '+'. */
static const char *clauses(void)
{
    static char all[2048];
    size_t n = 0;
    all[0] = '\0';
    for (unsigned c = 0; c < query.n; c++) {
        for (unsigned w = 0; w < query.clause[c].n; w++) {
            n += (size_t)snprintf(all + n, sizeof all - n, "%s%s",
                                  c && !w ? "|" : w ? "+" : "", query.clause[c].w[w]);
        }
    }
    return all;
}

static int q_matches(const msgpack_object *b, const char *q)
{
    if (parse_q(q) != 0) {
        diag("q '%s' refused: %s", q, qerr);
        return 0;
    }
    return terms_match_query(b, &query);
}

/* n words "w1 w2 ..." in a buffer that lives until the next call. */
static const char *words(unsigned n)
{
    static char s[512];
    size_t len = 0;
    s[0] = '\0';
    for (unsigned i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, sizeof s - len, "%sw%u", i ? " " : "", i);
    return s;
}

/* ---- the tests ---- */

static void test_terms_of_event(void)
{
    event("{\"kind\": \"meeting\", \"title\": \"Hammouchi meets Interpol\","
          " \"start\": \"2024-11-05\","
          " \"place\": {\"name\": \"Palais des Congrès\", \"city\": \"Marrakech\", \"country\": \"MA\"},"
          " \"countries\": [\"MA\", \"FR\"],"
          " \"participants\": [{\"name\": \"Abdellatif Hammouchi\", \"aliases\": [\"حموشي\"],"
          " \"role\": \"DGSN director\", \"org\": \"DGSN\"}],"
          " \"tags\": [\"interpol-ga\"], \"parent\": \"ga-2024\"}");
    is_str(terms(),
           "LMA|cFR|cMA|kmeeting|lcongres|ldes|lmarrakech|lpalais|"
           "pabdellatif|phammouchi|pحموش|rga-2024|tinterpol-ga|"
           "wabdellatif|wcongres|wdes|wdgsn|wdirector|wga|whammouchi|winterpol|"
           "wmarrakech|wmeets|wpalais|wحموش",
           "a full event yields its kind, countries, tag, place, parent, participant "
           "and text terms, sorted and unique");

    event("{\"title\": \"Untyped\", \"start\": \"2024\"}");
    is_str(terms(), "kother|wuntyped", "an event without a kind is indexed as kind other");
    raw("{\"title\": \"Untyped\"}");
    is_str(terms(), "kother|wuntyped", "a body without a kind field still yields kother");

    raw("{\"kind\": \"visit\", \"summary\": \"Rabat\", \"tags\": [\"rabat\"],"
        " \"place\": {\"city\": \"Rabat\", \"name\": \"Rabat\"}}");
    is_str(terms(), "kvisit|lrabat|trabat|wrabat",
           "a word in several fields is one term per field byte");

    raw("[1, 2]");
    term_set ts;
    msgpack_unpacked scratch;
    term_set_init(&ts);
    msgpack_unpacked_init(&scratch);
    term_set_add(&ts, TERM_WORD, "left over", 9);
    is_int(terms_of_body(body.data, body.len, &scratch, &ts), -1, "a body that is not a map is refused");
    is_int(ts.n, 0, "and its term set is empty");
    msgpack_unpacked_destroy(&scratch);
    term_set_release(&ts);

    char parent[301], json[400];
    memset(parent, 'p', 200);
    parent[200] = '\0';
    snprintf(json, sizeof json, "{\"parent\": \"%s\"}", parent);
    raw(json);
    is_int(strlen(terms()), strlen("kother|r") + 200, "a 200-byte parent is one term, kept whole");
    for (int i = 0; i < 150; i++)
        memcpy(parent + 2 * i, "\xc3\xa9", 2); /* é */
    parent[300] = '\0';
    snprintf(json, sizeof json, "{\"parent\": \"%s\"}", parent);
    raw(json);
    is_int(strlen(terms()), strlen("kother|r") + 254,
           "a 300-byte parent of 2-byte characters is cut to 254 bytes, on a character boundary");
}

static void test_term_set(void)
{
    term_set ts;
    term_set_init(&ts);
    term_set_add(&ts, TERM_WORD, "wb", 2);
    term_set_add(&ts, TERM_WORD, "wab", 3);
    term_set_add(&ts, TERM_TAG, "z", 1);
    term_set_add(&ts, TERM_WORD, "wa", 2);
    term_set_add(&ts, TERM_WORD, "wab", 3);
    term_set_add(&ts, TERM_WORD, "wb", 2);
    term_set_sort_unique(&ts);
    is_str(joined(&ts), "tz|wwa|wwab|wwb", "duplicates are dropped, and a prefix sorts first");

    term_set_reset(&ts);
    is_int(ts.n, 0, "reset empties the set");
    for (int i = 999; i >= 0; i--) {
        char v[8];
        int n = snprintf(v, sizeof v, "%03d", i % 500);
        term_set_add(&ts, TERM_COUNTRY, v, (size_t)n);
    }
    term_set_sort_unique(&ts);
    int sorted = ts.n == 500;
    for (size_t i = 0; sorted && i < ts.n; i++) {
        char want[32];
        snprintf(want, sizeof want, "c%03zu", i);
        sorted = ts.len[i] == 4 && memcmp(ts.data + ts.off[i], want, 4) == 0;
    }
    ok(sorted, "1000 terms in reverse with each twice sort to 500 in order");

    char v[300];
    term_set_reset(&ts);
    memset(v, 'a', sizeof v);
    term_set_add(&ts, TERM_PARENT, v, sizeof v);
    is_int(ts.len[0], TERM_MAX, "a 300-byte ASCII value is cut to TERM_MAX bytes with its field byte");

    term_set_reset(&ts);
    for (size_t i = 0; i + 1 < sizeof v; i += 2)
        memcpy(v + i, "\xc3\xa9", 2); /* é */
    term_set_add(&ts, TERM_PARENT, v, sizeof v);
    is_int(ts.len[0], TERM_MAX - 1, "a value of 2-byte characters is cut before the one that would split");
    ok(utf8_valid(ts.data + ts.off[0] + 1, ts.len[0] - 1u, NULL), "and the cut value is valid UTF-8");

    term_set_reset(&ts);
    v[0] = 'x';
    for (size_t i = 1; i + 2 < sizeof v; i += 3)
        memcpy(v + i, "\xe2\x80\x94", 3); /* — */
    term_set_add(&ts, TERM_PARENT, v + 1, 256);
    is_int(ts.len[0], TERM_MAX, "a value whose 255th byte ends a 3-byte character is cut right after it");
    term_set_reset(&ts);
    term_set_add(&ts, TERM_PARENT, v, 256);
    is_int(ts.len[0], TERM_MAX - 2, "a 3-byte character across byte 255 is left out whole");
    ok(utf8_valid(ts.data + ts.off[0] + 1, ts.len[0] - 1u, NULL), "and the cut value is valid UTF-8");
    term_set_release(&ts);
}

static void test_participant(void)
{
    const msgpack_object *b =
        event("{\"title\": \"Ahmed Hammouchi's visit\", \"start\": \"2024-11-05\","
              " \"participants\": [{\"name\": \"Abdellatif Hammouchi\", \"aliases\": [\"عبد اللطيف حموشي\"]},"
              " {\"name\": \"Jürgen Stock\", \"role\": \"Secretary General\"}]}");
    ok(participant(b, "Hammouchi"), "participant: one word of the name");
    ok(participant(b, "abdellatif hammouchi"), "participant: the whole name in another case");
    ok(participant(b, "حموشي"), "participant: one word of the alias");
    ok(participant(b, "عبد اللطيف حموشي"), "participant: the whole alias");
    ok(participant(b, "juergen stock") == 0 && participant(b, "jurgen stock"),
       "participant: accents fold (ü -> u), no other respelling");
    ok(!participant(b, "Abdellatif Ahmed"), "participant: words not consecutive in one name do not match");
    ok(!participant(b, "hammouchi abdellatif"), "participant: words in another order do not match");
    ok(!participant(b, "hammouchi عبد"), "participant: a sequence across the name and the alias does not match");
    ok(!participant(b, "hammouchi jurgen"), "participant: a sequence across two participants does not match");
    ok(!participant(b, "Ahmed"), "participant: a word of the title is not a participant");
    ok(!participant(b, "secretary"), "participant: a word of a role is not a participant");
    ok(!participant(b, "!!"), "participant: a value with no word matches nothing");
    seq.n = 0;
    ok(!terms_match_participant(b, &seq), "participant: an empty sequence matches nothing");
}

static void test_place(void)
{
    const msgpack_object *b =
        event("{\"title\": \"General assembly\", \"start\": \"2024-11-05\","
              " \"place\": {\"name\": \"Palais des Congrès\", \"city\": \"Marrakech\", \"country\": \"MA\"},"
              " \"participants\": [{\"name\": \"Rabat\"}]}");
    ok(place(b, "MA", "MA"), "place: the country code as stored");
    ok(place(b, "ma", "ma"), "place: the country code in lower case");
    ok(place(b, "Ma", ""), "place: the country code in mixed case, with no words");
    ok(!place(b, "FR", "FR"), "place: another country code does not match");
    ok(place(b, NULL, "marrakech"), "place: a word of the city");
    ok(place(b, NULL, "MARRAKECH"), "place: the city in upper case");
    ok(place(b, NULL, "palais des congres"), "place: the whole place name, accents folded");
    ok(place(b, NULL, "des Congrès"), "place: consecutive words of the place name");
    ok(!place(b, NULL, "palais congres"), "place: words not consecutive do not match");
    ok(!place(b, NULL, "congres marrakech"), "place: a sequence across name and city does not match");
    ok(!place(b, NULL, "assembly"), "place: a word of the title is not a place");
    ok(!place(b, NULL, "rabat"), "place: a participant's name is not a place");
    ok(!terms_match_place(b, NULL, NULL), "place: no code and no sequence match nothing");

    const msgpack_object *nocountry = event("{\"title\": \"t\", \"start\": \"2024\", \"place\": {\"city\": \"Ma\"}}");
    ok(place(nocountry, "MA", "MA"), "place: a 2-letter value can match as a word of the city");
    ok(!place(nocountry, "MA", "!!"), "place: a code does not match a city that is not the country");
}

static void test_query_parse(void)
{
    is_int(parse_q("الأنتربول مراكش"), 0, "q: two words parse");
    is_str(clauses(), "انتربول|مراكش", "q: each word outside quotes is a clause, normalised");

    parse_q("\"General Assembly\" Interpol's");
    is_str(clauses(), "general+assembly|interpol", "q: a quoted part is one phrase clause");
    parse_q("\xe2\x80\x9cgeneral assembly\xe2\x80\x9d x");
    is_str(clauses(), "general+assembly|x", "q: typographic quotes make a phrase");
    parse_q("\xc2\xab" "assemblée générale" "\xc2\xbb" " x");
    is_str(clauses(), "assemblee+generale|x", "q: guillemets make a phrase");
    parse_q("a \"b\" c");
    is_str(clauses(), "a|b|c", "q: a quoted part of one word is a word clause");
    is_int(query.clause[1].n, 1, "q: and that clause has one word");
    is_int(parse_q("\"\" x \" !! \""), 0, "q: quoted parts without words parse");
    is_str(clauses(), "x", "q: and are ignored");
    parse_q("interpol \"general assembly");
    is_str(clauses(), "interpol|general+assembly", "q: an unbalanced quote runs to the end");
    parse_q("a\"b c\"d");
    is_str(clauses(), "a|b+c|d", "q: quotes need no spaces around them");

    is_int(parse_q(""), -1, "q: empty is refused");
    is_str(qerr, "q: no words to search for", "q: empty has no words");
    is_int(parse_q("!! \"...\" ،؟"), -1, "q: punctuation alone is refused");
    is_str(qerr, "q: no words to search for", "q: punctuation alone has no words");
    is_int(query.n, 0, "q: a refused q has no clauses");

    is_int(parse_q(words(32)), 0, "q: 32 words parse");
    is_int(query.n, 32, "q: into 32 clauses");
    is_int(parse_q(words(33)), -1, "q: 33 words are refused");
    is_str(qerr, "q: at most 32 words", "q: 33 words: the message");
    char s[600];
    snprintf(s, sizeof s, "\"%s\"", words(33));
    is_int(parse_q(s), -1, "q: a phrase of 33 words is refused");
    snprintf(s, sizeof s, "%s \"a b\"", words(31));
    is_int(parse_q(s), -1, "q: 31 words and a phrase of 2 are refused");
    snprintf(s, sizeof s, "\"a b\" %s", words(31));
    is_int(parse_q(s), -1, "q: a phrase of 2 and 31 words are refused");
    snprintf(s, sizeof s, "%s \"a\" \"\"", words(31));
    is_int(parse_q(s), 0, "q: 31 words, a quoted word and an empty quote parse");
    snprintf(s, sizeof s, "%s \"a\" \"b\"", words(31));
    is_int(parse_q(s), -1, "q: 31 words and two quoted words are refused");

    char big[1100];
    memset(big, 'a', sizeof big);
    for (size_t i = 9; i < sizeof big; i += 10)
        big[i] = ' ';
    qerr[0] = '\0';
    is_int(terms_query_parse(big, 1024, &query, qerr, sizeof qerr), -1,
           "q: 1024 bytes pass the size check (and then hold too many words)");
    is_str(qerr, "q: at most 32 words", "q: 1024 bytes: refused for its words only");
    is_int(terms_query_parse(big, 1025, &query, qerr, sizeof qerr), -1, "q: 1025 bytes are refused");
    is_str(qerr, "q: longer than 1024 bytes", "q: 1025 bytes: the message");

    is_int(terms_seq_parse(words(32), strlen(words(32)), &seq), 32, "seq: 32 words parse");
    is_int(terms_seq_parse(words(33), strlen(words(33)), &seq), -1, "seq: 33 words are refused");
    is_int(terms_seq_parse(" ,, ", 4, &seq), 0, "seq: no words is 0");
}

static void test_query_match(void)
{
    const msgpack_object *b =
        event("{\"title\": \"Talks before the general\", \"start\": \"2024-11-05\","
              " \"summary\": \"Assembly of delegates at the 92nd general assembly of the الأنتربول.\","
              " \"participants\": [{\"name\": \"Abdellatif Hammouchi\", \"aliases\": [\"عبد اللطيف حموشي\"],"
              " \"role\": \"DGSN director\", \"org\": \"Sûreté nationale\"}],"
              " \"place\": {\"name\": \"Palais des Congrès\", \"city\": \"Marrakech\"},"
              " \"tags\": [\"interpol-ga\"]}");
    ok(q_matches(b, "delegates"), "q: a word of the summary");
    ok(q_matches(b, "Delegates TALKS"), "q: words from two fields, any case");
    ok(q_matches(b, "\"general assembly\""), "q: a phrase within the summary");
    ok(q_matches(b, "\"92nd general assembly\" marrakech"), "q: a phrase and a word of the city");
    ok(!q_matches(b, "delegates missing"), "q: every word must be present");
    ok(!q_matches(b, "\"assembly general\""), "q: a phrase's words must be in order");
    ok(q_matches(b, "الأنتربول"), "q: الأنتربول finds الأنتربول");
    ok(q_matches(b, "أنتربول"), "q: أنتربول finds الأنتربول");
    ok(q_matches(b, "للأنتربول"), "q: للأنتربول finds الأنتربول");
    ok(q_matches(b, "حموشي hammouchi"), "q: a participant's name and alias are text");
    ok(q_matches(b, "\"abdellatif hammouchi\""), "q: a phrase within a participant's name");
    ok(q_matches(b, "director"), "q: a participant's role is text");
    ok(!q_matches(b, "surete"), "q: a participant's org is not text");
    ok(q_matches(b, "\"palais des congres\""), "q: a phrase within place.name");
    ok(q_matches(b, "interpol ga"), "q: a tag's words are text");
    ok(q_matches(b, "\"interpol ga\""), "q: a tag is one field for a phrase");
    ok(!q_matches(b, "\"interpol ga\" 2024"), "q: the start date is not text");

    b = event("{\"title\": \"Opening of the general\", \"start\": \"2024-11-05\","
              " \"summary\": \"assembly of Interpol\"}");
    ok(q_matches(b, "general assembly"), "q: two words in two fields match as words");
    ok(!q_matches(b, "\"general assembly\""), "q: a phrase split across title and summary does not match");

    b = raw("[\"general\"]");
    ok(!q_matches(b, "general"), "q: a body that is not a map matches nothing");
    ok(!participant(b, "general") && !place(b, "GE", "general"),
       "participant, place: a body that is not a map matches nothing");

    b = event("{\"title\": \"a b a b a c\", \"start\": \"2024\"}");
    ok(q_matches(b, "\"a b a c\""), "q: a phrase found after a false start");
    ok(!q_matches(b, "\"a b a b a b\""), "q: a phrase longer than the field's run does not match");
    char title[4096], json[4200];
    size_t n = 0;
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(title + n, sizeof title - n, "w%d ", i % 40);
    snprintf(json, sizeof json, "{\"title\": \"%s\", \"start\": \"2024\"}", title);
    b = event(json);
    char q[600];
    n = 0;
    for (int i = 9; i < 40; i++)
        n += (size_t)snprintf(q + n, sizeof q - n, "%sw%d", n ? " " : "\"", i);
    snprintf(q + n, sizeof q - n, " w1\"");
    ok(!q_matches(b, q), "q: a 32-word phrase whose last word differs does not match");
    n = 0;
    for (int i = 8; i < 40; i++)
        n += (size_t)snprintf(q + n, sizeof q - n, "%sw%d", n ? " " : "\"", i);
    snprintf(q + n, sizeof q - n, "\"");
    ok(q_matches(b, q), "q: a 32-word phrase deep in a long field matches");
}

/* The terms of an event hold every word the matchers can find. */
static void test_terms_agree_with_matchers(void)
{
    event("{\"title\": \"وفد مغربي في الجمعية العامة للأنتربول\", \"start\": \"2024-11-05\","
          " \"participants\": [{\"name\": \"Abdellatif Hammouchi\", \"aliases\": [\"عبد اللطيف حموشي\"]}]}");
    term_set ts;
    msgpack_unpacked scratch;
    term_set_init(&ts);
    msgpack_unpacked_init(&scratch);
    terms_of_body(body.data, body.len, &scratch, &ts);
    parse_q("الأنتربول الجمعية");
    ok(has_term(&ts, TERM_WORD, query.clause[0].w[0]) && has_term(&ts, TERM_WORD, query.clause[1].w[0]),
       "the word terms hold the normalised words a q looks up");
    terms_seq_parse("عبد اللطيف حموشي", strlen("عبد اللطيف حموشي"), &seq);
    int all = seq.n == 3;
    for (unsigned i = 0; i < seq.n; i++)
        all = all && has_term(&ts, TERM_PARTICIPANT, seq.w[i]);
    ok(all, "the participant terms hold every word of the alias");
    msgpack_unpacked_destroy(&scratch);
    term_set_release(&ts);
}

int main(void)
{
    buf_init(&body);
    msgpack_unpacked_init(&body_u);
    test_terms_of_event();
    test_term_set();
    test_participant();
    test_place();
    test_query_parse();
    test_query_match();
    test_terms_agree_with_matchers();
    msgpack_unpacked_destroy(&body_u);
    buf_release(&body);
    return done_testing();
}
