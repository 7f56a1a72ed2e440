/* test_event.c: event validation accepts what PROTOCOL.md section 7 allows,
 * refuses everything else with a message naming the field, and builds the
 * canonical body (field order, canonical dates, bounds, size limit). */
#include <msgpack.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/buf.h"
#include "proto/edtf.h"
#include "proto/error.h"
#include "proto/event.h"
#include "proto/xalloc.h"
#include "tap.h"

/* ---- a compact notation for msgpack values ----
 * {k: v, ...} maps (bare or quoted keys, or any value as a key), [a, b]
 * arrays, 'text' strings (escapes \' \\ \n \xNN), integers, decimals (always
 * float64), nil, true, false, inf, -inf, nan, bin'..', ext'..'. It lets each
 * test state its input on one line. A malformed description is a bug in the
 * test and aborts. */

static const char *mp_p;

static void mp_die(const char *what)
{
    fprintf(stderr, "test_event: bad description at '%.20s': %s\n", mp_p, what);
    abort();
}

static void mp_skip(void)
{
    while (*mp_p == ' ' || *mp_p == '\n')
        mp_p++;
}

static int mp_hex(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    mp_die("bad \\x escape");
    return 0;
}

/* Read a quoted string (mp_p at the opening quote) into out. */
static void mp_quoted(buf_t *out)
{
    mp_p++;
    while (*mp_p != '\'') {
        char c = *mp_p++;
        if (!c)
            mp_die("unterminated string");
        if (c == '\\') {
            c = *mp_p++;
            if (c == 'n') {
                c = '\n';
            } else if (c == 'x') {
                c = (char)(mp_hex(mp_p[0]) * 16 + mp_hex(mp_p[1]));
                mp_p += 2;
            }
        }
        buf_append(out, &c, 1);
    }
    mp_p++;
}

static void mp_string(msgpack_packer *pk, int kind)
{
    buf_t s;
    buf_init(&s);
    mp_quoted(&s);
    if (kind == 's') {
        buf_pack_str(pk, s.data, s.len);
    } else if (kind == 'b') {
        msgpack_pack_bin(pk, s.len);
        msgpack_pack_bin_body(pk, s.data, s.len);
    } else {
        msgpack_pack_ext(pk, s.len, 1);
        msgpack_pack_ext_body(pk, s.data, s.len);
    }
    buf_release(&s);
}

static int mp_word(const char *w)
{
    size_t n = strlen(w);
    if (strncmp(mp_p, w, n) != 0)
        return 0;
    mp_p += n;
    return 1;
}

static void mp_number(msgpack_packer *pk)
{
    char *end;
    size_t n = strspn(mp_p, "+-0123456789.eE");
    if (memchr(mp_p, '.', n) || memchr(mp_p, 'e', n) || memchr(mp_p, 'E', n))
        msgpack_pack_double(pk, strtod(mp_p, &end));
    else if (*mp_p == '-')
        msgpack_pack_int64(pk, strtoll(mp_p, &end, 10));
    else
        msgpack_pack_uint64(pk, strtoull(mp_p, &end, 10));
    if (end != mp_p + n)
        mp_die("bad number");
    mp_p = end;
}

static void mp_value(msgpack_packer *pk);

/* Items of an array or map up to close; returns how many. */
static unsigned mp_items(msgpack_packer *pk, char close, int pairs)
{
    unsigned n = 0;
    mp_skip();
    while (*mp_p != close) {
        if (pairs) {
            size_t id = strspn(mp_p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");
            if (id && !(*mp_p >= '0' && *mp_p <= '9') && mp_p[id] == ':') {
                buf_pack_str(pk, mp_p, id);      /* a bare key */
                mp_p += id;
            } else {
                mp_value(pk);
            }
            mp_skip();
            if (*mp_p++ != ':')
                mp_die("expected ':'");
        }
        mp_value(pk);
        n++;
        mp_skip();
        if (*mp_p == ',')
            mp_p++;
        else if (*mp_p != close)
            mp_die("expected ',' or a closing bracket");
        mp_skip();
    }
    mp_p++;
    return n;
}

/* A container: its items are packed into a scratch buffer first, since the
 * header needs their count. */
static void mp_container(msgpack_packer *pk, int map)
{
    buf_t inner;
    msgpack_packer ipk;
    buf_init(&inner);
    buf_packer_init(&ipk, &inner);
    mp_p++;
    unsigned n = mp_items(&ipk, map ? '}' : ']', map);
    if (map)
        msgpack_pack_map(pk, n);
    else
        msgpack_pack_array(pk, n);
    buf_append(pk->data, inner.data, inner.len);
    buf_release(&inner);
}

static void mp_value(msgpack_packer *pk)
{
    mp_skip();
    if (*mp_p == '{' || *mp_p == '[')
        mp_container(pk, *mp_p == '{');
    else if (*mp_p == '\'')
        mp_string(pk, 's');
    else if (mp_word("bin"))
        mp_string(pk, 'b');
    else if (mp_word("ext"))
        mp_string(pk, 'e');
    else if (mp_word("nil"))
        msgpack_pack_nil(pk);
    else if (mp_word("true"))
        msgpack_pack_true(pk);
    else if (mp_word("false"))
        msgpack_pack_false(pk);
    else if (mp_word("inf"))
        msgpack_pack_double(pk, 1.0 / 0.0);
    else if (mp_word("-inf"))
        msgpack_pack_double(pk, -1.0 / 0.0);
    else if (mp_word("nan"))
        msgpack_pack_double(pk, 0.0 / 0.0);
    else if (*mp_p == '-' || (*mp_p >= '0' && *mp_p <= '9'))
        mp_number(pk);
    else
        mp_die("unexpected character");
}

/* mp_pack: the msgpack bytes of desc into b (reset first). */
static void mp_pack(buf_t *b, const char *desc)
{
    msgpack_packer pk;
    buf_reset(b);
    buf_packer_init(&pk, b);
    mp_p = desc;
    mp_value(&pk);
    mp_skip();
    if (*mp_p)
        mp_die("trailing characters");
}

/* ---- helpers over event_validate ---- */

static buf_t input;             /* the packed input; objects point into it */
static msgpack_unpacked input_obj;
static event_t ev;
static char err[512];
static size_t max_record = EVENT_DEFAULT_MAX_RECORD;

/* validate: run event_validate on desc; ev and err hold the outcome. */
static int validate(const char *desc)
{
    size_t off = 0;
    mp_pack(&input, desc);
    msgpack_unpacked_destroy(&input_obj);
    msgpack_unpacked_init(&input_obj);
    if (msgpack_unpack_next(&input_obj, input.data, input.len, &off) != MSGPACK_UNPACK_SUCCESS)
        mp_die("unpack failed");
    event_release(&ev);
    event_init(&ev);
    strcpy(err, "(no message)");
    return event_validate(&input_obj.data, max_record, &ev, err, sizeof err);
}

/* strf: a formatted, malloc'd string (for inputs too long to write out). */
__attribute__((format(printf, 1, 2)))
static char *strf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* repeat: n copies of piece joined by sep, malloc'd. */
static char *repeat(const char *piece, int n, const char *sep)
{
    buf_t b;
    buf_init(&b);
    for (int i = 0; i < n; i++) {
        if (i)
            buf_append(&b, sep, strlen(sep));
        buf_append(&b, piece, strlen(piece));
    }
    buf_append(&b, "", 1);
    return buf_take(&b, NULL);
}

static void accepts(const char *name, const char *desc)
{
    int rc = validate(desc);
    if (!ok(rc == 0, "%s", name))
        diag("rc %d: %s", rc, err);
}

/* rejects: one test point, the exact message and ERROR_BAD_REQUEST. */
static void rejects(const char *name, const char *desc, const char *want)
{
    int rc = validate(desc);
    if (!ok(rc == ERROR_BAD_REQUEST && strcmp(err, want) == 0, "%s", name)) {
        diag("rc %d, message: '%s'", rc, err);
        diag("expected message: '%s'", want);
    }
}

static void diag_msgpack(const char *label, const char *data, size_t len)
{
    msgpack_unpacked u;
    size_t off = 0;
    char text[4096];
    msgpack_unpacked_init(&u);
    if (msgpack_unpack_next(&u, data, len, &off) == MSGPACK_UNPACK_SUCCESS) {
        msgpack_object_print_buffer(text, sizeof text, u.data);
        diag("%s: %s", label, text);
    } else {
        diag("%s: not msgpack", label);
    }
    msgpack_unpacked_destroy(&u);
}

/* body_is: whether ev.body is byte for byte the encoding of desc. */
static void body_is(const char *name, const char *desc)
{
    buf_t want;
    buf_init(&want);
    mp_pack(&want, desc);
    int same = want.len == ev.body.len && memcmp(want.data, ev.body.data, want.len) == 0;
    if (!ok(same, "%s", name)) {
        diag_msgpack("got", ev.body.data, ev.body.len);
        diag_msgpack("expected", want.data, want.len);
    }
    buf_release(&want);
}

/* body_scan: the value of top-level key in ev.body as a NUL-terminated
 * string (a static copy), or NULL when absent or not a string; with keys
 * set, the comma-joined key list instead. */
static const char *body_scan(const char *key, int keys)
{
    static char out[1024];
    msgpack_unpacked u;
    size_t off = 0;
    const char *res = NULL;
    out[0] = '\0';
    msgpack_unpacked_init(&u);
    if (msgpack_unpack_next(&u, ev.body.data, ev.body.len, &off) == MSGPACK_UNPACK_SUCCESS &&
        u.data.type == MSGPACK_OBJECT_MAP) {
        for (uint32_t i = 0; i < u.data.via.map.size; i++) {
            const msgpack_object *k = &u.data.via.map.ptr[i].key;
            const msgpack_object *v = &u.data.via.map.ptr[i].val;
            if (keys) {
                snprintf(out + strlen(out), sizeof out - strlen(out), "%s%.*s", i ? "," : "",
                         (int)k->via.str.size, k->via.str.ptr);
                res = out;
            } else if (k->via.str.size == strlen(key) &&
                       memcmp(k->via.str.ptr, key, k->via.str.size) == 0 &&
                       v->type == MSGPACK_OBJECT_STR) {
                snprintf(out, sizeof out, "%.*s", (int)v->via.str.size, v->via.str.ptr);
                res = out;
            }
        }
    }
    msgpack_unpacked_destroy(&u);
    return res;
}

static const char *body_get(const char *key)
{
    return body_scan(key, 0);
}

static const char *body_keys(void)
{
    return body_scan(NULL, 1);
}

/* ---- the tests ---- */

#define MINIMAL "{title: 'Talks', start: '2024-04-08'}"
#define MINIMAL_BODY "{kind: 'other', title: 'Talks', start: '2024-04-08'}"

static void test_minimal_event(void)
{
    accepts("a title and a start make a valid event", MINIMAL);
    body_is("the body of a minimal event has kind 'other', title and start", MINIMAL_BODY);
    is_int(ev.body_fields, 3, "body_fields counts the three entries of a minimal body");
    is_int(ev.id_len, 0, "an event without id leaves id_len 0");
    is_str(ev.id, "", "an event without id leaves id empty");
    is_int(ev.has_end, 0, "an event without end has has_end 0");
}

static const char full_input[] =
    "{extra: {source: {weight: 0.5, name: 'GDELT'}, ids: [1, -2, true, nil, 2.5]},"
    " tags: ['diplomacy', 'state-visit'],"
    " title: 'Royal visit to Rabat',"
    " participants: [{country: 'MA', role: 'King', aliases: ['M6', 'Mohammed VI of Morocco'],"
    "                 name: 'Mohammed VI', org: 'Royal Cabinet'},"
    "                {role: 'President of France'}],"
    " id: 'ev-2024-0001',"
    " start: '2024-04-08T10:30:00+02:00',"
    " end: '2024-04-10',"
    " countries: ['MA', 'FR'],"
    " kind: 'visit',"
    " cameo: '042',"
    " summary: 'A state visit.',"
    " lang: 'en-GB',"
    " place: {lon: -6.8498, lat: 34, country: 'MA', city: 'Rabat', name: 'Royal Palace'},"
    " sources: [{published: '2024-04-08T12:00+01:00', title: 'The visit', author: 'A. Writer',"
    "            publisher: 'Reuters', url: 'https://example.org/a'}, {publisher: 'MAP'}],"
    " parent: 'ev-2024-0000',"
    " seq: 7, created: '2024-04-08T00:00:00.000Z', updated: 'x', certainty: 'certain',"
    " bounds: {start: ['2024-04-08T08:30:00Z', '2024-04-08T08:30:00Z']}}";

static const char full_body[] =
    "{kind: 'visit', cameo: '042', title: 'Royal visit to Rabat', summary: 'A state visit.',"
    " lang: 'en-GB', start: '2024-04-08T08:30:00Z', end: '2024-04-10',"
    " place: {name: 'Royal Palace', city: 'Rabat', country: 'MA', lat: 34.0, lon: -6.8498},"
    " countries: ['MA', 'FR'],"
    " participants: [{name: 'Mohammed VI', aliases: ['M6', 'Mohammed VI of Morocco'],"
    "                 role: 'King', org: 'Royal Cabinet', country: 'MA'},"
    "                {role: 'President of France'}],"
    " tags: ['diplomacy', 'state-visit'],"
    " sources: [{url: 'https://example.org/a', publisher: 'Reuters', author: 'A. Writer',"
    "            title: 'The visit', published: '2024-04-08T11:00Z'}, {publisher: 'MAP'}],"
    " parent: 'ev-2024-0000',"
    " extra: {source: {weight: 0.5, name: 'GDELT'}, ids: [1, -2, true, nil, 2.5]}}";

static void test_full_event(void)
{
    accepts("an event with every field is valid", full_input);
    body_is("every field comes back in canonical order with canonical dates and extra as given",
            full_body);
    is_str(body_keys(),
           "kind,cameo,title,summary,lang,start,end,place,countries,participants,tags,sources,parent,extra",
           "body keys follow the canonical order whatever the input order");
    is_int(ev.body_fields, 14, "body_fields counts every body entry");
    is_str(ev.id, "ev-2024-0001", "the id goes to ev->id");
    is_int(ev.id_len, 12, "id_len is the id's length");
    ok(body_get("id") == NULL, "the id is not in the body");
    is_int(ev.has_end, 1, "an event with end has has_end 1");
}

static void test_event_shape(void)
{
    rejects("an event that is not a map is refused", "['title']",
            "event: expected a map, got an array");
    rejects("an event that is a string is refused", "'title'",
            "event: expected a map, got a string");
    rejects("a field name that is not a string is refused",
            "{title: 'Talks', start: '2024', 1: 'x'}", "event: field names must be strings");
    rejects("a field given twice is refused", "{title: 'Talks', start: '2024', title: 'Again'}",
            "title: given twice");
    rejects("a field given twice is refused even when the first is nil",
            "{title: nil, start: '2024', title: 'Again'}", "title: given twice");
    rejects("an unknown field is refused and pointed to extra",
            "{title: 'Talks', start: '2024', foo: 1}",
            "unknown field 'foo' (custom data belongs in extra)");
    rejects("an unknown field name is quoted without its control characters",
            "{title: 'Talks', start: '2024', 'a\\x01b': 1}",
            "unknown field 'a?b' (custom data belongs in extra)");
}

static void test_nil_is_absent(void)
{
    accepts("nil optional fields are accepted",
            "{id: nil, kind: nil, cameo: nil, title: 'Talks', summary: nil, lang: nil,"
            " start: '2024-04-08', end: nil, place: nil, countries: nil, participants: nil,"
            " tags: nil, sources: nil, parent: nil, extra: nil}");
    body_is("nil fields are left out of the body as absent ones are", MINIMAL_BODY);
    is_int(ev.has_end, 0, "a nil end is no end");
    accepts("a nil field inside a place is accepted",
            "{title: 'Talks', start: '2024', place: {city: 'Rabat', lat: nil}}");
    body_is("a nil field inside a place is left out",
            "{kind: 'other', title: 'Talks', start: '2024', place: {city: 'Rabat'}}");
    rejects("a nil title is a missing title", "{title: nil, start: '2024'}", "title: required");
    rejects("a nil start is a missing start", "{title: 'Talks', start: nil}", "start: required");
}

static void test_server_fields_ignored(void)
{
    accepts("server-set fields of any type are accepted",
            "{title: 'Talks', start: '2024-04-08', seq: 'seven', created: [1, 2],"
            " updated: bin'\\x00', bounds: {a: ext'x'}, certainty: 3}");
    body_is("server-set fields are left out of the body", MINIMAL_BODY);
    rejects("a server-set field given twice is refused",
            "{title: 'Talks', start: '2024', seq: 1, seq: 2}", "seq: given twice");
}

static void test_id(void)
{
    char *id128 = repeat("a", 128, "");
    char *desc = strf("{id: '%s', title: 'Talks', start: '2024'}", id128);
    accepts("an id of 128 bytes is accepted", desc);
    is_str(ev.id, id128, "a 128-byte id is copied whole and NUL-terminated");
    free(desc);
    desc = strf("{id: '%sa', title: 'Talks', start: '2024'}", id128);
    rejects("an id of 129 bytes is refused", desc, "id: at most 128 bytes, got 129");
    free(desc);
    free(id128);
    rejects("an empty id is refused", "{id: '', title: 'Talks', start: '2024'}",
            "id: must not be empty");
    rejects("an id with a control character is refused",
            "{id: 'a\\nb', title: 'Talks', start: '2024'}",
            "id: must not contain control characters");
    rejects("an id with a C1 control character is refused",
            "{id: 'a\\xc2\\x85b', title: 'Talks', start: '2024'}",
            "id: must not contain control characters");
    rejects("an id that is not a string is refused", "{id: 12, title: 'Talks', start: '2024'}",
            "id: expected a string, got an integer");
    rejects("an id with invalid UTF-8 is refused", "{id: 'ab\\xc0', title: 'Talks', start: '2024'}",
            "id: invalid UTF-8 at byte 2");
    accepts("an id in Arabic is accepted", "{id: 'حدث-١', title: 'Talks', start: '2024'}");
}

static void test_kind(void)
{
    accepts("a kind outside the documented vocabulary is accepted",
            "{kind: 'state_visit-2', title: 'Talks', start: '2024'}");
    is_str(body_get("kind"), "state_visit-2", "the given kind is kept");
    rejects("a kind with upper case is refused", "{kind: 'Visit', title: 'Talks', start: '2024'}",
            "kind: 'Visit' is not a lowercase token ([a-z0-9_-])");
    rejects("a kind starting with '-' is refused", "{kind: '-visit', title: 'Talks', start: '2024'}",
            "kind: '-visit' must start with a letter or a digit");
    rejects("an empty kind is refused", "{kind: '', title: 'Talks', start: '2024'}",
            "kind: must not be empty");
    char *tok = repeat("k", 65, "");
    char *desc = strf("{kind: '%s', title: 'Talks', start: '2024'}", tok);
    rejects("a kind of 65 bytes is refused", desc, "kind: at most 64 bytes, got 65");
    free(desc);
    free(tok);
    rejects("a kind that is not a string is refused", "{kind: true, title: 'Talks', start: '2024'}",
            "kind: expected a string, got a boolean");
    rejects("a kind with a control character is quoted with '?' for it",
            "{kind: 'a\\x01b', title: 'Talks', start: '2024'}",
            "kind: 'a?b' is not a lowercase token ([a-z0-9_-])");
}

static void test_cameo(void)
{
    accepts("a four-digit CAMEO code is accepted", "{cameo: '0421', title: 'Talks', start: '2024'}");
    is_str(body_get("cameo"), "0421", "the CAMEO code is kept with its leading zero");
    rejects("a CAMEO code with a letter is refused", "{cameo: '4a', title: 'Talks', start: '2024'}",
            "cameo: '4a' is not a CAMEO code (2-4 digits)");
    rejects("a one-digit CAMEO code is refused", "{cameo: '4', title: 'Talks', start: '2024'}",
            "cameo: '4' is not a CAMEO code (2-4 digits)");
    rejects("a five-digit CAMEO code is refused", "{cameo: '04211', title: 'Talks', start: '2024'}",
            "cameo: '04211' is not a CAMEO code (2-4 digits)");
    rejects("a CAMEO code given as an integer is refused", "{cameo: 42, title: 'Talks', start: '2024'}",
            "cameo: expected a string, got an integer");
}

static void test_title(void)
{
    rejects("an event without a title is refused", "{start: '2024'}", "title: required");
    rejects("an empty title is refused", "{title: '', start: '2024'}", "title: must not be empty");
    rejects("a title of spaces and tabs is refused", "{title: ' \\x09 ', start: '2024'}",
            "title: must not be only white space");
    rejects("a title of ideographic and no-break spaces is refused",
            "{title: '\\xe3\\x80\\x80\\xc2\\xa0', start: '2024'}",
            "title: must not be only white space");
    rejects("a title that is not a string is refused", "{title: ['a'], start: '2024'}",
            "title: expected a string, got an array");
    rejects("a title with invalid UTF-8 is refused", "{title: 'abc\\xff', start: '2024'}",
            "title: invalid UTF-8 at byte 3");
    rejects("a title with a UTF-16 surrogate is refused", "{title: 'a\\xed\\xa0\\x80', start: '2024'}",
            "title: invalid UTF-8 at byte 1");
    char *t = repeat("t", 1024, "");
    char *desc = strf("{title: '%s', start: '2024'}", t);
    accepts("a title of 1024 bytes is accepted", desc);
    free(desc);
    desc = strf("{title: '%st', start: '2024'}", t);
    rejects("a title of 1025 bytes is refused", desc, "title: at most 1024 bytes, got 1025");
    free(desc);
    free(t);
}

static void test_summary_and_lang(void)
{
    char *s = repeat("s", 65536, "");
    char *desc = strf("{title: 'Talks', summary: '%s', start: '2024'}", s);
    accepts("a summary of 64 KiB is accepted", desc);
    free(desc);
    desc = strf("{title: 'Talks', summary: '%ss', start: '2024'}", s);
    rejects("a summary over 64 KiB is refused", desc, "summary: at most 65536 bytes, got 65537");
    free(desc);
    free(s);
    rejects("a summary that is not a string is refused",
            "{title: 'Talks', summary: 1.5, start: '2024'}", "summary: expected a string, got a number");
    accepts("lang 'ar' is accepted", "{title: 'Talks', lang: 'ar', start: '2024'}");
    accepts("lang 'zh-Hant-TW' is accepted", "{title: 'Talks', lang: 'zh-Hant-TW', start: '2024'}");
    rejects("lang in upper case is refused", "{title: 'Talks', lang: 'EN', start: '2024'}",
            "lang: 'EN' is not a language tag (e.g. 'ar', 'en-GB')");
    rejects("lang as a word is refused", "{title: 'Talks', lang: 'english', start: '2024'}",
            "lang: 'english' is not a language tag (e.g. 'ar', 'en-GB')");
    rejects("lang with an empty subtag is refused", "{title: 'Talks', lang: 'en-', start: '2024'}",
            "lang: 'en-' is not a language tag (e.g. 'ar', 'en-GB')");
    rejects("lang with a subtag over 8 characters is refused",
            "{title: 'Talks', lang: 'en-123456789', start: '2024'}",
            "lang: 'en-123456789' is not a language tag (e.g. 'ar', 'en-GB')");
}

/* The message edtf gives for s, so these tests check the prefix event.c adds
 * without depending on edtf's wording. */
static const char *edtf_message(const char *s)
{
    static char msg[256];
    edtf_date d;
    if (edtf_parse(s, strlen(s), &d, msg, sizeof msg) == 0)
        return "(valid)";
    return msg;
}

static void test_dates(void)
{
    char want[512];
    rejects("an event without a start is refused", "{title: 'Talks'}", "start: required");
    snprintf(want, sizeof want, "start: %s", edtf_message("2024-13"));
    rejects("a start with month 13 is refused with edtf's message", "{title: 'Talks', start: '2024-13'}",
            want);
    rejects("a start that is not a string is refused", "{title: 'Talks', start: 2024}",
            "start: expected a string, got an integer");
    snprintf(want, sizeof want, "end: %s", edtf_message("2024-02-30"));
    rejects("an invalid end is refused with edtf's message",
            "{title: 'Talks', start: '2024', end: '2024-02-30'}", want);

    accepts("an offset date-time start is accepted",
            "{title: 'Talks', start: '2024-04-08T10:30:00+02:00', end: '2024-04-08T23:30-01:00'}");
    is_str(body_get("start"), "2024-04-08T08:30:00Z", "an offset date-time start is stored in UTC");
    is_str(body_get("end"), "2024-04-09T00:30Z", "an offset end at minute precision is stored in UTC");
    accepts("an approximate start is accepted", "{title: 'Talks', start: '2020~', end: '2021?'}");
    is_str(body_get("start"), "2020~", "an approximate start keeps its qualifier");
    is_str(body_get("end"), "2021?", "an uncertain end keeps its qualifier");

    /* The message for an end before the start is edtf_bounds's, after "end: ". */
    edtf_date s, e;
    edtf_bounds_t b;
    char msg[256];
    edtf_parse("2024-04-08", 10, &s, msg, sizeof msg);
    edtf_parse("2024-03", 7, &e, msg, sizeof msg);
    edtf_bounds(&s, &e, &b, msg, sizeof msg);
    snprintf(want, sizeof want, "end: %s", msg);
    rejects("an end before the start is refused", "{title: 'Talks', start: '2024-04-08', end: '2024-03'}",
            want);
}

static void test_bounds(void)
{
    accepts("an event known to the month with an end day is accepted",
            "{title: 'Talks', start: '2024-04', end: '2024-05-03'}");
    is_int(ev.bounds.start_lo, 1711929600, "the earliest start is the first instant of the month");
    is_int(ev.bounds.start_hi, 1714521599, "the latest start is the last instant of the month");
    is_int(ev.bounds.end_lo, 1714694400, "the earliest end is the first instant of the end day");
    is_int(ev.bounds.end_hi, 1714780799, "the latest end is the last instant of the end day");
    is_int(ev.start.precision, EDTF_MONTH, "ev->start holds the parsed start");
    is_int(ev.end.precision, EDTF_DAY, "ev->end holds the parsed end");

    accepts("an event without end is accepted", "{title: 'Talks', start: '2024-04-08'}");
    ok(body_get("end") == NULL, "an event without end has no end in the body");
    is_int(ev.end.lo, ev.start.lo, "without end, ev->end is the start");
    is_int(ev.bounds.start_lo, 1712534400, "without end, the earliest start is the day's first instant");
    is_int(ev.bounds.end_hi, 1712620799, "without end, the latest end is the start day's last instant");
    is_int(ev.bounds.end_lo, ev.bounds.start_lo, "without end, the end bounds are the start bounds");
}

static void test_place(void)
{
    accepts("a place with integer coordinates is accepted",
            "{title: 'Talks', start: '2024', place: {lat: -90, lon: 180}}");
    body_is("integer coordinates are stored as float64",
            "{kind: 'other', title: 'Talks', start: '2024', place: {lat: -90.0, lon: 180.0}}");
    rejects("a place that is not a map is refused", "{title: 'Talks', start: '2024', place: 'Rabat'}",
            "place: expected a map, got a string");
    rejects("an unknown field in a place is refused",
            "{title: 'Talks', start: '2024', place: {city: 'Rabat', x: 1}}",
            "place: unknown field 'x'");
    rejects("a place field given twice is refused",
            "{title: 'Talks', start: '2024', place: {city: 'Rabat', city: 'Fes'}}",
            "place.city: given twice");
    rejects("a place with a non-string field name is refused",
            "{title: 'Talks', start: '2024', place: {1: 2}}", "place: field names must be strings");
    rejects("a latitude over 90 is refused", "{title: 'Talks', start: '2024', place: {lat: 90.5}}",
            "place.lat: 90.5 is out of range (-90..90)");
    rejects("a longitude under -180 is refused", "{title: 'Talks', start: '2024', place: {lon: -181}}",
            "place.lon: -181 is out of range (-180..180)");
    rejects("a latitude that is NaN is refused", "{title: 'Talks', start: '2024', place: {lat: nan}}",
            "place.lat: must be a finite number");
    rejects("a latitude given as a string is refused",
            "{title: 'Talks', start: '2024', place: {lat: '34'}}",
            "place.lat: expected a number, got a string");
    rejects("a place country in lower case is refused",
            "{title: 'Talks', start: '2024', place: {country: 'ma'}}",
            "place.country: 'ma' is not an ISO 3166-1 alpha-2 code (upper case, e.g. 'MA')");
    char *n = repeat("n", 1025, "");
    char *desc = strf("{title: 'Talks', start: '2024', place: {name: '%s'}}", n);
    rejects("a place name over 1024 bytes is refused", desc, "place.name: at most 1024 bytes, got 1025");
    free(desc);
    free(n);
}

static void test_countries(void)
{
    accepts("countries with XK are accepted", "{title: 'Talks', start: '2024', countries: ['XK', 'RS']}");
    body_is("countries keep their order",
            "{kind: 'other', title: 'Talks', start: '2024', countries: ['XK', 'RS']}");
    rejects("a country in lower case is refused",
            "{title: 'Talks', start: '2024', countries: ['ma']}",
            "countries[0]: 'ma' is not an ISO 3166-1 alpha-2 code (upper case, e.g. 'MA')");
    rejects("a three-letter country code is refused",
            "{title: 'Talks', start: '2024', countries: ['MA', 'FRA']}",
            "countries[1]: 'FRA' is not an ISO 3166-1 alpha-2 code (upper case, e.g. 'MA')");
    rejects("an unassigned country code is refused",
            "{title: 'Talks', start: '2024', countries: ['MA', 'ZZ']}",
            "countries[1]: 'ZZ' is not an assigned ISO 3166-1 alpha-2 code");
    rejects("a country listed twice is refused",
            "{title: 'Talks', start: '2024', countries: ['MA', 'FR', 'MA']}",
            "countries: 'MA' is listed twice");
    rejects("countries that are not an array are refused",
            "{title: 'Talks', start: '2024', countries: 'MA'}",
            "countries: expected an array, got a string");
    rejects("a country that is not a string is refused",
            "{title: 'Talks', start: '2024', countries: [nil]}",
            "countries[0]: expected a string, got nil");
    char *many = repeat("'MA'", 301, ", ");
    char *desc = strf("{title: 'Talks', start: '2024', countries: [%s]}", many);
    rejects("more than 300 countries are refused", desc, "countries: at most 300 entries, got 301");
    free(desc);
    free(many);

    int assigned = 0;
    for (char a = 'A'; a <= 'Z'; a++)
        for (char b = 'A'; b <= 'Z'; b++) {
            char code[2] = { a, b };
            assigned += event_check_country("c", code, 2, err, sizeof err) == 0;
        }
    is_int(assigned, 250, "exactly the 249 assigned codes and XK are accepted");
    ok(event_check_country("c", "EU", 2, err, sizeof err) != 0, "EU (exceptionally reserved) is refused");
    ok(event_check_country("c", "SS", 2, err, sizeof err) == 0, "SS (South Sudan) is accepted");
}

static void test_participants(void)
{
    rejects("a participant without name or role is refused",
            "{title: 'Talks', start: '2024', participants: [{org: 'UN'}]}",
            "participants[0]: needs a name or a role");
    rejects("a participant with an empty name and no role is refused",
            "{title: 'Talks', start: '2024', participants: [{name: ''}]}",
            "participants[0]: needs a name or a role");
    rejects("an unknown participant field is refused",
            "{title: 'Talks', start: '2024', participants: [{name: 'A', age: 3}]}",
            "participants[0]: unknown field 'age'");
    rejects("a participant that is not a map is refused",
            "{title: 'Talks', start: '2024', participants: [{name: 'A'}, 'B']}",
            "participants[1]: expected a map, got a string");
    rejects("a participant's unassigned country is refused",
            "{title: 'Talks', start: '2024', participants: [{name: 'A'}, {role: 'B', country: 'QQ'}]}",
            "participants[1].country: 'QQ' is not an assigned ISO 3166-1 alpha-2 code");
    rejects("invalid UTF-8 in a participant's role is refused",
            "{title: 'Talks', start: '2024', participants: [{name: 'A'}, {role: 'Mi\\x80ster'}]}",
            "participants[1].role: invalid UTF-8 at byte 2");
    rejects("a participant's name that is not a string is refused",
            "{title: 'Talks', start: '2024', participants: [{role: 'R'}, {role: 'R'}, {name: 5}]}",
            "participants[2].name: expected a string, got an integer");
    rejects("an empty alias is refused",
            "{title: 'Talks', start: '2024', participants: [{name: 'A', aliases: ['B', '']}]}",
            "participants[0].aliases[1]: must not be empty");
    rejects("aliases that are not an array are refused",
            "{title: 'Talks', start: '2024', participants: [{name: 'A', aliases: 'B'}]}",
            "participants[0].aliases: expected an array, got a string");
    char *al = repeat("'x'", 33, ", ");
    char *desc = strf("{title: 'Talks', start: '2024', participants: [{name: 'A', aliases: [%s]}]}", al);
    rejects("more than 32 aliases are refused", desc, "participants[0].aliases: at most 32 entries, got 33");
    free(desc);
    free(al);
    char *ps = repeat("{role: 'r'}", 1001, ", ");
    desc = strf("{title: 'Talks', start: '2024', participants: [%s]}", ps);
    rejects("more than 1000 participants are refused", desc, "participants: at most 1000 entries, got 1001");
    free(desc);
    free(ps);
}

static void test_tags(void)
{
    accepts("tags are accepted", "{title: 'Talks', start: '2024', tags: ['un-ga', 'g20_2024']}");
    rejects("a tag listed twice is refused",
            "{title: 'Talks', start: '2024', tags: ['a', 'b', 'a']}", "tags: 'a' is listed twice");
    rejects("a tag with a space is refused", "{title: 'Talks', start: '2024', tags: ['a', 'b c']}",
            "tags[1]: 'b c' is not a lowercase token ([a-z0-9_-])");
    rejects("a tag starting with '_' is refused", "{title: 'Talks', start: '2024', tags: ['_a']}",
            "tags[0]: '_a' must start with a letter or a digit");
    buf_t b;
    buf_init(&b);
    for (int i = 0; i < 257; i++) {
        char t[16];
        int n = snprintf(t, sizeof t, "%s't%d'", i ? ", " : "", i);
        buf_append(&b, t, (size_t)n);
    }
    buf_append(&b, "", 1);
    char *desc = strf("{title: 'Talks', start: '2024', tags: [%s]}", b.data);
    rejects("more than 256 tags are refused", desc, "tags: at most 256 entries, got 257");
    free(desc);
    buf_release(&b);
}

static void test_sources(void)
{
    rejects("a source URL that is not http or https is refused",
            "{title: 'Talks', start: '2024', sources: [{url: 'ftp://example.org/a'}]}",
            "sources[0].url: 'ftp://example.org/a' is not an http:// or https:// URL");
    rejects("a source URL of the scheme alone is refused",
            "{title: 'Talks', start: '2024', sources: [{url: 'https://'}]}",
            "sources[0].url: 'https://' is not an http:// or https:// URL");
    accepts("a source URL with an upper-case scheme is accepted",
            "{title: 'Talks', start: '2024', sources: [{url: 'HTTP://example.org/'}]}");
    rejects("an unknown source field is refused",
            "{title: 'Talks', start: '2024', sources: [{url: 'http://a.b', lang: 'en'}]}",
            "sources[0]: unknown field 'lang'");
    char want[512];
    snprintf(want, sizeof want, "sources[1].published: %s", edtf_message("yesterday"));
    rejects("an invalid publication date is refused with edtf's message",
            "{title: 'Talks', start: '2024', sources: [{publisher: 'A'}, {published: 'yesterday'}]}",
            want);
    rejects("a source that is not a map is refused",
            "{title: 'Talks', start: '2024', sources: ['http://a.b']}",
            "sources[0]: expected a map, got a string");
    char *u = repeat("u", 4097 - 8, "");
    char *desc = strf("{title: 'Talks', start: '2024', sources: [{url: 'https://%s'}]}", u);
    rejects("a source URL over 4096 bytes is refused", desc, "sources[0].url: at most 4096 bytes, got 4097");
    free(desc);
    free(u);
}

static void test_parent(void)
{
    accepts("a parent id is accepted", "{title: 'Talks', start: '2024', parent: 'unga-79'}");
    is_str(body_get("parent"), "unga-79", "the parent is kept in the body");
    rejects("an empty parent is refused", "{title: 'Talks', start: '2024', parent: ''}",
            "parent: must not be empty");
    rejects("a parent with a control character is refused",
            "{title: 'Talks', start: '2024', parent: 'a\\x7f'}",
            "parent: must not contain control characters");
}

static void test_extra(void)
{
    rejects("extra that is not a map is refused", "{title: 'Talks', start: '2024', extra: [1]}",
            "extra: expected a map, got an array");
    rejects("a non-string key inside extra is refused",
            "{title: 'Talks', start: '2024', extra: {source: {1: 'x'}}}",
            "extra.source: field names must be strings");
    rejects("invalid UTF-8 in an extra key is refused",
            "{title: 'Talks', start: '2024', extra: {source: {'r\\xffle': 'x'}}}",
            "extra.source: invalid UTF-8 at byte 1 of a field name");
    rejects("invalid UTF-8 in an extra string is refused",
            "{title: 'Talks', start: '2024', extra: {notes: ['ok', '\\xc3']}}",
            "extra.notes[1]: invalid UTF-8 at byte 0");
    rejects("binary data in extra is refused",
            "{title: 'Talks', start: '2024', extra: {blob: bin'abc'}}",
            "extra.blob: binary data is not allowed");
    rejects("an extension value in extra is refused",
            "{title: 'Talks', start: '2024', extra: {t: [ext'abcd']}}",
            "extra.t[0]: extension values are not allowed");
    rejects("an infinite number in extra is refused",
            "{title: 'Talks', start: '2024', extra: {source: {weight: inf}}}",
            "extra.source.weight: must be a finite number");

    /* 16 containers below extra are allowed; a 17th is refused. */
    char *open16 = repeat("{a: ", 16, ""), *close16 = repeat("}", 16, "");
    char *desc = strf("{title: 'Talks', start: '2024', extra: {a: %s1%s}}", open16, close16);
    accepts("16 levels of nesting below extra are accepted", desc);
    free(desc);
    desc = strf("{title: 'Talks', start: '2024', extra: {a: [%s1%s]}}", open16, close16);
    rejects("a 17th level of nesting below extra is refused", desc,
            "extra.a[0].a.a.a.a.a.a.a.a.a.a.a.a.a.a.a: nested deeper than 16 levels");
    free(desc);
    free(open16);
    free(close16);

    accepts("extra with keys in any order and every plain type is accepted",
            "{title: 'Talks', start: '2024',"
            " extra: {z: 1, a: -1, m: [true, false, nil, 0.25, 'ن'], e: {}, 'with space': ''}}");
    body_is("extra is kept exactly as given",
            "{kind: 'other', title: 'Talks', start: '2024',"
            " extra: {z: 1, a: -1, m: [true, false, nil, 0.25, 'ن'], e: {}, 'with space': ''}}");
}

static void test_too_large(void)
{
    char want[256];
    accepts("an event is accepted under the default record limit", MINIMAL);
    size_t len = ev.body.len;
    max_record = len;
    accepts("an event exactly at the record limit is accepted", MINIMAL);
    max_record = len - 1;
    int rc = validate(MINIMAL);
    is_int(rc, ERROR_TOO_LARGE, "an event over the record limit is refused with ERROR_TOO_LARGE");
    snprintf(want, sizeof want,
             "event is %zu bytes encoded; the limit is %zu bytes (max_record_size)", len, len - 1);
    is_str(err, want, "the too-large message gives the size and the limit");
    max_record = EVENT_DEFAULT_MAX_RECORD;
}

static void test_arabic(void)
{
    accepts("an event written in Arabic is accepted",
            "{title: 'مباحثات أمنية مغربية إسبانية', lang: 'ar', start: '2024-04-08',"
            " summary: 'اجتماع وزراء الداخلية في الرباط.',"
            " place: {name: 'وزارة الداخلية', city: 'الرباط', country: 'MA'},"
            " participants: [{name: 'عبد الوافي لفتيت', role: 'وزير الداخلية', country: 'MA',"
            "                 aliases: ['لفتيت']}],"
            " extra: {'مصدر': 'وكالة المغرب العربي للأنباء'}}");
    is_str(body_get("title"), "مباحثات أمنية مغربية إسبانية", "an Arabic title is stored unchanged");
    accepts("an Arabic title with harakat and a right-to-left mark is accepted",
            "{title: '\\xe2\\x80\\x8fمُبَاحَثَات', start: '2024'}");
}

static void test_standalone_checks(void)
{
    is_int(event_check_token("tag", "visit", 5, err, sizeof err), 0, "event_check_token accepts a token");
    is_int(event_check_token("tag", "Visit", 5, err, sizeof err), ERROR_BAD_REQUEST,
           "event_check_token refuses upper case");
    is_str(err, "tag: 'Visit' is not a lowercase token ([a-z0-9_-])",
           "event_check_token prefixes the caller's field name");
    is_int(event_check_country("country", "fr", 2, err, sizeof err), ERROR_BAD_REQUEST,
           "event_check_country refuses lower case");
    is_str(err, "country: 'fr' is not an ISO 3166-1 alpha-2 code (upper case, e.g. 'MA')",
           "event_check_country prefixes the caller's field name");
    is_int(event_check_country("country", "", 0, err, sizeof err), ERROR_BAD_REQUEST,
           "event_check_country refuses an empty code");
    is_int(event_check_id("id", "a\xff", 2, err, sizeof err), ERROR_BAD_REQUEST,
           "event_check_id refuses invalid UTF-8");
    is_str(err, "id: invalid UTF-8 at byte 1", "event_check_id names the bad byte");
    is_int(event_check_token("tag", "a\xff", 2, err, sizeof err), ERROR_BAD_REQUEST,
           "event_check_token refuses invalid UTF-8");
    is_str(err, "tag: 'a?' is not a lowercase token ([a-z0-9_-])",
           "event_check_token quotes invalid bytes as '?' so its message stays UTF-8");
    is_int(event_check_token("tag", "x", 1, NULL, 0), 0, "the checks accept a NULL message buffer");
    is_int(event_check_token("tag", "X", 1, NULL, 0), ERROR_BAD_REQUEST,
           "the checks still refuse with a NULL message buffer");
}

static void test_reuse(void)
{
    event_t e;
    event_init(&e);
    validate(full_input);
    int rc = event_validate(&input_obj.data, max_record, &e, err, sizeof err);
    rc |= event_validate(&input_obj.data, max_record, &e, err, sizeof err);
    validate(full_input);
    ok(rc == 0 && e.body.len == ev.body.len && memcmp(e.body.data, ev.body.data, e.body.len) == 0,
       "validating twice into one event_t gives the same body, not twice the body");
    event_release(&e);
    is_int(e.body.len, 0, "event_release leaves an empty body");
}

int main(void)
{
    buf_init(&input);
    msgpack_unpacked_init(&input_obj);
    event_init(&ev);

    test_minimal_event();
    test_full_event();
    test_event_shape();
    test_nil_is_absent();
    test_server_fields_ignored();
    test_id();
    test_kind();
    test_cameo();
    test_title();
    test_summary_and_lang();
    test_dates();
    test_bounds();
    test_place();
    test_countries();
    test_participants();
    test_tags();
    test_sources();
    test_parent();
    test_extra();
    test_too_large();
    test_arabic();
    test_standalone_checks();
    test_reuse();

    event_release(&ev);
    msgpack_unpacked_destroy(&input_obj);
    buf_release(&input);
    return done_testing();
}
