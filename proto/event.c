/* event.c: validation of an event received as a msgpack map, and its
 * canonical body (see event.h and PROTOCOL.md section 7). Every message
 * starts with the path of the offending field so a client can point at it. */
#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "proto/error.h"
#include "proto/event.h"
#include "proto/utf8.h"

#define EVENT_TEXT_MAX 1024         /* bytes of a title, name, role, ... */
#define EVENT_SUMMARY_MAX 65536
#define EVENT_URL_MAX 4096
#define EVENT_COUNTRIES_MAX 300
#define EVENT_PARTICIPANTS_MAX 1000
#define EVENT_ALIASES_MAX 32
#define EVENT_TAGS_MAX 256
#define EVENT_SOURCES_MAX 256
#define EVENT_EXTRA_DEPTH 16        /* containers nested below extra */
#define EVENT_PATH_MAX 256          /* a longer path is cut in the message */
#define EVENT_QUOTE_MAX 64          /* bytes of input quoted in a message */
#define EVENT_QUOTE_SIZE (EVENT_QUOTE_MAX + 4)

/* One validation: the packer appending to ev->body, and where the message of
 * the first error goes. */
typedef struct {
    msgpack_packer pk;
    event_t *ev;
    char *err;
    size_t errlen;
} event_ctx;

static int event_vfail(char *err, size_t errlen, const char *fmt, va_list ap)
{
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    return ERROR_BAD_REQUEST;
}

__attribute__((format(printf, 3, 4)))
static int event_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = event_vfail(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

__attribute__((format(printf, 2, 3)))
static int event_failx(event_ctx *cx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = event_vfail(cx->err, cx->errlen, fmt, ap);
    va_end(ap);
    return rc;
}

/* event_path: a field path for messages into out; a path too long for it
 * is cut, which only shortens a message. */
__attribute__((format(printf, 2, 3)))
static void event_path(char out[EVENT_PATH_MAX], const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, EVENT_PATH_MAX, fmt, ap);
    va_end(ap);
}

const char *event_type_name(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return "nil";
    case MSGPACK_OBJECT_BOOLEAN: return "a boolean";
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "an integer";
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return "a number";
    case MSGPACK_OBJECT_STR: return "a string";
    case MSGPACK_OBJECT_BIN: return "binary data";
    case MSGPACK_OBJECT_ARRAY: return "an array";
    case MSGPACK_OBJECT_MAP: return "a map";
    default: return "an extension value";
    }
}

/* Copy at most EVENT_QUOTE_MAX bytes of s into out for quoting in a message.
 * Invalid bytes and control characters become '?', since the message goes
 * back as a msgpack string that must be valid UTF-8 and printable; a cut
 * input ends in "...". */
static const char *event_quote(const char *s, size_t len, char out[EVENT_QUOTE_SIZE])
{
    size_t i = 0, o = 0;
    while (i < len) {
        uint32_t cp = 0;
        int n = utf8_decode(s + i, len - i, &cp);
        int plain = n > 0 && cp >= 0x20 && !(cp >= 0x7f && cp <= 0x9f);
        size_t outn = plain ? (size_t)n : 1;
        if (o + outn > EVENT_QUOTE_MAX) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (plain)
            memcpy(out + o, s + i, outn);
        else
            out[o] = '?';
        o += outn;
        i += n > 0 ? (size_t)n : 1;
    }
    out[o] = '\0';
    return out;
}

static int event_check_utf8(const char *path, const char *s, size_t len, char *err, size_t errlen)
{
    size_t bad = 0;
    if (!utf8_valid(s, len, &bad))
        return event_fail(err, errlen, "%s: invalid UTF-8 at byte %zu", path, bad);
    return 0;
}

/* event_text: o as a string of at most max bytes of valid UTF-8, borrowed
 * from o into *s and *len. */
static int event_text(event_ctx *cx, const msgpack_object *o, const char *path, size_t max,
                      const char **s, size_t *len)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return event_failx(cx, "%s: expected a string, got %s", path, event_type_name(o));
    if (o->via.str.size > max)
        return event_failx(cx, "%s: at most %zu bytes, got %" PRIu32, path, max, o->via.str.size);
    *s = o->via.str.ptr;
    *len = o->via.str.size;
    return event_check_utf8(path, *s, *len, cx->err, cx->errlen);
}

/* event_array: o as an array of at most max elements. */
static int event_array(event_ctx *cx, const msgpack_object *o, const char *path, uint32_t max)
{
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return event_failx(cx, "%s: expected an array, got %s", path, event_type_name(o));
    if (o->via.array.size > max)
        return event_failx(cx, "%s: at most %" PRIu32 " entries, got %" PRIu32,
                           path, max, o->via.array.size);
    return 0;
}

static int event_given(const msgpack_object *o)
{
    return o && o->type != MSGPACK_OBJECT_NIL;
}

static size_t event_name_index(const char *const *names, size_t n, const msgpack_object *key)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(names[i]) == key->via.str.size &&
            memcmp(names[i], key->via.str.ptr, key->via.str.size) == 0)
            return i;
    return n;
}

/* event_collect: sort the entries of the map o into slots by name (slots[i]
 * for names[i], NULL when absent), so fields are checked and packed in the
 * canonical order whatever order they came in. path is the map's field path,
 * or NULL for the event itself. */
static int event_collect(event_ctx *cx, const msgpack_object *o, const char *path,
                         const char *const *names, size_t n, const msgpack_object **slots)
{
    const char *where = path ? path : "event";
    if (o->type != MSGPACK_OBJECT_MAP)
        return event_failx(cx, "%s: expected a map, got %s", where, event_type_name(o));
    for (size_t i = 0; i < n; i++)
        slots[i] = NULL;
    for (uint32_t k = 0; k < o->via.map.size; k++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[k];
        if (kv->key.type != MSGPACK_OBJECT_STR)
            return event_failx(cx, "%s: field names must be strings", where);
        size_t i = event_name_index(names, n, &kv->key);
        if (i == n) {
            char q[EVENT_QUOTE_SIZE];
            event_quote(kv->key.via.str.ptr, kv->key.via.str.size, q);
            if (!path)
                return event_failx(cx, "unknown field '%s' (custom data belongs in extra)", q);
            return event_failx(cx, "%s: unknown field '%s'", path, q);
        }
        if (slots[i]) {
            if (!path)
                return event_failx(cx, "%s: given twice", names[i]);
            return event_failx(cx, "%s.%s: given twice", path, names[i]);
        }
        slots[i] = &kv->val;
    }
    return 0;
}

/* ---- standalone checks (also used for query parameters) ---- */

int event_check_id(const char *field, const char *s, size_t len, char *err, size_t errlen)
{
    if (len == 0)
        return event_fail(err, errlen, "%s: must not be empty", field);
    if (len > EVENT_ID_MAX)
        return event_fail(err, errlen, "%s: at most %d bytes, got %zu", field, EVENT_ID_MAX, len);
    int rc = event_check_utf8(field, s, len, err, errlen);
    if (rc)
        return rc;
    if (utf8_has_control(s, len))
        return event_fail(err, errlen, "%s: must not contain control characters", field);
    return 0;
}

static int event_is_token_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int event_check_token(const char *field, const char *s, size_t len, char *err, size_t errlen)
{
    char q[EVENT_QUOTE_SIZE];
    if (len == 0)
        return event_fail(err, errlen, "%s: must not be empty", field);
    if (len > EVENT_TOKEN_MAX)
        return event_fail(err, errlen, "%s: at most %d bytes, got %zu", field, EVENT_TOKEN_MAX, len);
    for (size_t i = 0; i < len; i++)
        if (!event_is_token_char(s[i]))
            return event_fail(err, errlen, "%s: '%s' is not a lowercase token ([a-z0-9_-])",
                              field, event_quote(s, len, q));
    if (s[0] == '_' || s[0] == '-')
        return event_fail(err, errlen, "%s: '%s' must start with a letter or a digit",
                          field, event_quote(s, len, q));
    return 0;
}

/* The second letters of the officially assigned ISO 3166-1 alpha-2 codes,
 * by first letter (249 codes), plus XK: user-assigned, but what the EU, the
 * IMF and most news sources use for Kosovo, which an event database of
 * diplomatic visits cannot leave out. */
static const char *const event_iso3166[26] = {
    "DEFGILMOQRSTUWXZ",          /* A */
    "ABDEFGHIJLMNOQRSTVWYZ",     /* B */
    "ACDFGHIKLMNORUVWXYZ",       /* C */
    "EJKMOZ",                    /* D */
    "CEGHRST",                   /* E */
    "IJKMOR",                    /* F */
    "ABDEFGHILMNPQRSTUWY",       /* G */
    "KMNRTU",                    /* H */
    "DELMNOQRST",                /* I */
    "EMOP",                      /* J */
    "EGHIMNPRWYZ",               /* K */
    "ABCIKRSTUVY",               /* L */
    "ACDEFGHKLMNOPQRSTUVWXYZ",   /* M */
    "ACEFGILOPRUZ",              /* N */
    "M",                         /* O */
    "AEFGHKLMNRSTWY",            /* P */
    "A",                         /* Q */
    "EOSUW",                     /* R */
    "ABCDEGHIJKLMNORSTVXYZ",     /* S */
    "CDFGHJKLMNORTVWZ",          /* T */
    "AGMSYZ",                    /* U */
    "ACEGINU",                   /* V */
    "FS",                        /* W */
    "K",                         /* X: XK only */
    "ET",                        /* Y */
    "AMW",                       /* Z */
};

static int event_is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

int event_check_country(const char *field, const char *s, size_t len, char *err, size_t errlen)
{
    char q[EVENT_QUOTE_SIZE];
    if (len != 2 || !event_is_upper(s[0]) || !event_is_upper(s[1]))
        return event_fail(err, errlen,
                          "%s: '%s' is not an ISO 3166-1 alpha-2 code (upper case, e.g. 'MA')",
                          field, event_quote(s, len, q));
    if (!strchr(event_iso3166[s[0] - 'A'], s[1]))
        return event_fail(err, errlen, "%s: '%s' is not an assigned ISO 3166-1 alpha-2 code",
                          field, event_quote(s, len, q));
    return 0;
}

/* ---- checks of single values ---- */

static int event_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int event_is_cameo(const char *s, size_t len)
{
    if (len < 2 || len > 4)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!event_is_digit(s[i]))
            return 0;
    return 1;
}

static int event_is_alnum(char c)
{
    return event_is_digit(c) || event_is_upper(c) || (c >= 'a' && c <= 'z');
}

/* Whether s is a tag of the form [a-z]{2,3}(-[A-Za-z0-9]{1,8})*: the shape of
 * BCP 47 without its registry, enough to keep free text out of lang. */
static int event_is_lang(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && s[i] >= 'a' && s[i] <= 'z')
        i++;
    if (i < 2 || i > 3)
        return 0;
    while (i < len) {
        if (s[i++] != '-')
            return 0;
        size_t n = 0;
        while (i < len && event_is_alnum(s[i])) {
            i++;
            n++;
        }
        if (n < 1 || n > 8)
            return 0;
    }
    return 1;
}

/* Whether cp has the Unicode White_Space property. */
static int event_is_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* Whether s (valid UTF-8) holds nothing but white space. */
static int event_is_blank(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint32_t cp = 0;
        int n = utf8_decode(s + i, len - i, &cp);
        if (n <= 0 || !event_is_space(cp))
            return 0;
        i += (size_t)n;
    }
    return 1;
}

static int event_is_url(const char *s, size_t len)
{
    if (len > 7 && strncasecmp(s, "http://", 7) == 0)
        return 1;
    return len > 8 && strncasecmp(s, "https://", 8) == 0;
}

/* event_number: o (an integer or a finite float) within [-limit, limit]. */
static int event_number(event_ctx *cx, const msgpack_object *o, const char *path, double limit,
                        double *out)
{
    double v;
    switch (o->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER: v = (double)o->via.u64; break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: v = (double)o->via.i64; break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: v = o->via.f64; break;
    default:
        return event_failx(cx, "%s: expected a number, got %s", path, event_type_name(o));
    }
    if (!isfinite(v))
        return event_failx(cx, "%s: must be a finite number", path);
    if (v < -limit || v > limit)
        return event_failx(cx, "%s: %g is out of range (%g..%g)", path, v, -limit, limit);
    *out = v;
    return 0;
}

/* event_date: o as an EDTF date string parsed into *d. */
static int event_date(event_ctx *cx, const msgpack_object *o, const char *path, edtf_date *d)
{
    const char *s = NULL;
    size_t len = 0;
    char msg[256];
    int rc = event_text(cx, o, path, SIZE_MAX, &s, &len);
    if (rc)
        return rc;
    if (edtf_parse(s, len, d, msg, sizeof msg))
        return event_failx(cx, "%s: %s", path, msg);
    return 0;
}

static void event_pack_date(event_ctx *cx, const edtf_date *d)
{
    char canon[EDTF_FORMAT_MAX];
    size_t n = edtf_format(d, canon);
    buf_pack_str(&cx->pk, canon, n);
}

/* event_id_value: o as an id, for id and parent. */
static int event_id_value(event_ctx *cx, const msgpack_object *o, const char *path,
                          const char **s, size_t *len)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return event_failx(cx, "%s: expected a string, got %s", path, event_type_name(o));
    *s = o->via.str.ptr;
    *len = o->via.str.size;
    return event_check_id(path, *s, *len, cx->err, cx->errlen);
}

/* ---- top-level fields: each checks o and packs its value ---- */

static int event_do_id(event_ctx *cx, const char *path, const msgpack_object *o)
{
    const char *s = NULL;
    size_t len = 0;
    int rc = event_id_value(cx, o, path, &s, &len);
    if (rc)
        return rc;
    memcpy(cx->ev->id, s, len);
    cx->ev->id[len] = '\0';
    cx->ev->id_len = len;
    return 0;
}

static int event_do_kind(event_ctx *cx, const char *path, const msgpack_object *o)
{
    const char *s = NULL;
    size_t len = 0;
    int rc = event_text(cx, o, path, SIZE_MAX, &s, &len);
    if (rc || (rc = event_check_token(path, s, len, cx->err, cx->errlen)))
        return rc;
    buf_pack_str(&cx->pk, s, len);
    return 0;
}

static int event_do_cameo(event_ctx *cx, const char *path, const msgpack_object *o)
{
    const char *s = NULL;
    size_t len = 0;
    char q[EVENT_QUOTE_SIZE];
    int rc = event_text(cx, o, path, SIZE_MAX, &s, &len);
    if (rc)
        return rc;
    if (!event_is_cameo(s, len))
        return event_failx(cx, "%s: '%s' is not a CAMEO code (2-4 digits)", path,
                           event_quote(s, len, q));
    buf_pack_str(&cx->pk, s, len);
    return 0;
}

static int event_do_title(event_ctx *cx, const char *path, const msgpack_object *o)
{
    const char *s = NULL;
    size_t len = 0;
    int rc = event_text(cx, o, path, EVENT_TEXT_MAX, &s, &len);
    if (rc)
        return rc;
    if (len == 0)
        return event_failx(cx, "%s: must not be empty", path);
    if (event_is_blank(s, len))
        return event_failx(cx, "%s: must not be only white space", path);
    buf_pack_str(&cx->pk, s, len);
    return 0;
}

static int event_do_summary(event_ctx *cx, const char *path, const msgpack_object *o)
{
    const char *s = NULL;
    size_t len = 0;
    int rc = event_text(cx, o, path, EVENT_SUMMARY_MAX, &s, &len);
    if (rc)
        return rc;
    buf_pack_str(&cx->pk, s, len);
    return 0;
}

static int event_do_lang(event_ctx *cx, const char *path, const msgpack_object *o)
{
    const char *s = NULL;
    size_t len = 0;
    char q[EVENT_QUOTE_SIZE];
    int rc = event_text(cx, o, path, SIZE_MAX, &s, &len);
    if (rc)
        return rc;
    if (!event_is_lang(s, len))
        return event_failx(cx, "%s: '%s' is not a language tag (e.g. 'ar', 'en-GB')", path,
                           event_quote(s, len, q));
    buf_pack_str(&cx->pk, s, len);
    return 0;
}

static int event_do_start(event_ctx *cx, const char *path, const msgpack_object *o)
{
    int rc = event_date(cx, o, path, &cx->ev->start);
    if (rc)
        return rc;
    event_pack_date(cx, &cx->ev->start);
    return 0;
}

/* The start has been parsed: start precedes end in the canonical order and
 * is required, so an error there has already stopped the walk. */
static int event_do_end(event_ctx *cx, const char *path, const msgpack_object *o)
{
    event_t *ev = cx->ev;
    char msg[256];
    int rc = event_date(cx, o, path, &ev->end);
    if (rc)
        return rc;
    ev->has_end = 1;
    if (edtf_bounds(&ev->start, &ev->end, &ev->bounds, msg, sizeof msg))
        return event_failx(cx, "%s: %s", path, msg);
    event_pack_date(cx, &ev->end);
    return 0;
}

static const char *const event_place_names[] = { "name", "city", "country", "lat", "lon" };
enum { PLACE_NAME, PLACE_CITY, PLACE_COUNTRY, PLACE_LAT, PLACE_LON, PLACE_FIELDS };

static int event_do_place(event_ctx *cx, const char *path, const msgpack_object *o)
{
    const msgpack_object *f[PLACE_FIELDS];
    const char *s[PLACE_LAT] = { 0 };
    size_t len[PLACE_LAT] = { 0 };
    double deg[PLACE_FIELDS] = { 0 };
    char sub[EVENT_PATH_MAX];
    unsigned given = 0;
    int rc = event_collect(cx, o, path, event_place_names, PLACE_FIELDS, f);
    for (int i = 0; !rc && i < PLACE_FIELDS; i++) {
        if (!event_given(f[i]))
            continue;
        given++;
        event_path(sub, "%s.%s", path, event_place_names[i]);
        if (i == PLACE_LAT || i == PLACE_LON)
            rc = event_number(cx, f[i], sub, i == PLACE_LAT ? 90 : 180, &deg[i]);
        else if ((rc = event_text(cx, f[i], sub, EVENT_TEXT_MAX, &s[i], &len[i])) == 0 &&
                 i == PLACE_COUNTRY)
            rc = event_check_country(sub, s[i], len[i], cx->err, cx->errlen);
    }
    if (rc)
        return rc;
    msgpack_pack_map(&cx->pk, given);
    for (int i = 0; i < PLACE_FIELDS; i++) {
        if (!event_given(f[i]))
            continue;
        buf_pack_cstr(&cx->pk, event_place_names[i]);
        if (i == PLACE_LAT || i == PLACE_LON)
            msgpack_pack_double(&cx->pk, deg[i]);
        else
            buf_pack_str(&cx->pk, s[i], len[i]);
    }
    return 0;
}

typedef int (*event_check_fn)(const char *field, const char *s, size_t len, char *err,
                              size_t errlen);

/* event_string_set: o as an array of at most max distinct strings, each
 * passing check; packed in the order given. */
static int event_string_set(event_ctx *cx, const msgpack_object *o, const char *path,
                            uint32_t max, event_check_fn check)
{
    char sub[EVENT_PATH_MAX], q[EVENT_QUOTE_SIZE];
    int rc = event_array(cx, o, path, max);
    if (rc)
        return rc;
    const msgpack_object *v = o->via.array.ptr;
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        const char *s = NULL;
        size_t len = 0;
        event_path(sub, "%s[%" PRIu32 "]", path, i);
        if ((rc = event_text(cx, &v[i], sub, SIZE_MAX, &s, &len)) ||
            (rc = check(sub, s, len, cx->err, cx->errlen)))
            return rc;
        /* Quadratic, but max keeps it to a few thousand comparisons. */
        for (uint32_t j = 0; j < i; j++)
            if (v[j].via.str.size == len && memcmp(v[j].via.str.ptr, s, len) == 0)
                return event_failx(cx, "%s: '%s' is listed twice", path, event_quote(s, len, q));
    }
    msgpack_pack_array(&cx->pk, o->via.array.size);
    for (uint32_t i = 0; i < o->via.array.size; i++)
        buf_pack_str(&cx->pk, v[i].via.str.ptr, v[i].via.str.size);
    return 0;
}

static int event_do_countries(event_ctx *cx, const char *path, const msgpack_object *o)
{
    return event_string_set(cx, o, path, EVENT_COUNTRIES_MAX, event_check_country);
}

static int event_do_tags(event_ctx *cx, const char *path, const msgpack_object *o)
{
    return event_string_set(cx, o, path, EVENT_TAGS_MAX, event_check_token);
}

/* event_aliases: o as an array of non-empty strings; packed when pack. */
static int event_aliases(event_ctx *cx, const msgpack_object *o, const char *path, int pack)
{
    char sub[EVENT_PATH_MAX];
    int rc = event_array(cx, o, path, EVENT_ALIASES_MAX);
    if (rc)
        return rc;
    if (pack)
        msgpack_pack_array(&cx->pk, o->via.array.size);
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        const char *s = NULL;
        size_t len = 0;
        event_path(sub, "%s[%" PRIu32 "]", path, i);
        if ((rc = event_text(cx, &o->via.array.ptr[i], sub, EVENT_TEXT_MAX, &s, &len)))
            return rc;
        if (len == 0)
            return event_failx(cx, "%s: must not be empty", sub);
        if (pack)
            buf_pack_str(&cx->pk, s, len);
    }
    return 0;
}

static const char *const event_participant_names[] = { "name", "aliases", "role", "org", "country" };
enum { PART_NAME, PART_ALIASES, PART_ROLE, PART_ORG, PART_COUNTRY, PART_FIELDS };

static int event_participant(event_ctx *cx, const msgpack_object *o, const char *path)
{
    const msgpack_object *f[PART_FIELDS];
    const char *s[PART_FIELDS] = { 0 };
    size_t len[PART_FIELDS] = { 0 };
    char sub[EVENT_PATH_MAX];
    unsigned given = 0;
    int rc = event_collect(cx, o, path, event_participant_names, PART_FIELDS, f);
    for (int i = 0; !rc && i < PART_FIELDS; i++) {
        if (!event_given(f[i]))
            continue;
        given++;
        event_path(sub, "%s.%s", path, event_participant_names[i]);
        if (i == PART_ALIASES)
            rc = event_aliases(cx, f[i], sub, 0);
        else if ((rc = event_text(cx, f[i], sub, EVENT_TEXT_MAX, &s[i], &len[i])) == 0 &&
                 i == PART_COUNTRY)
            rc = event_check_country(sub, s[i], len[i], cx->err, cx->errlen);
    }
    if (rc)
        return rc;
    /* An empty name says no more than a missing one. */
    if (len[PART_NAME] == 0 && len[PART_ROLE] == 0)
        return event_failx(cx, "%s: needs a name or a role", path);
    msgpack_pack_map(&cx->pk, given);
    for (int i = 0; i < PART_FIELDS; i++) {
        if (!event_given(f[i]))
            continue;
        buf_pack_cstr(&cx->pk, event_participant_names[i]);
        event_path(sub, "%s.%s", path, event_participant_names[i]);
        if (i == PART_ALIASES)
            (void)event_aliases(cx, f[i], sub, 1);     /* checked above */
        else
            buf_pack_str(&cx->pk, s[i], len[i]);
    }
    return 0;
}

static int event_do_participants(event_ctx *cx, const char *path, const msgpack_object *o)
{
    char sub[EVENT_PATH_MAX];
    int rc = event_array(cx, o, path, EVENT_PARTICIPANTS_MAX);
    if (rc)
        return rc;
    msgpack_pack_array(&cx->pk, o->via.array.size);
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        event_path(sub, "%s[%" PRIu32 "]", path, i);
        if ((rc = event_participant(cx, &o->via.array.ptr[i], sub)))
            return rc;
    }
    return 0;
}

static const char *const event_source_names[] = { "url", "publisher", "author", "title", "published" };
enum { SRC_URL, SRC_PUBLISHER, SRC_AUTHOR, SRC_TITLE, SRC_PUBLISHED, SRC_FIELDS };

/* event_source_field: check field i of a source into s/len (the published
 * date into *d). */
static int event_source_field(event_ctx *cx, int i, const msgpack_object *o, const char *path,
                              const char **s, size_t *len, edtf_date *d)
{
    char q[EVENT_QUOTE_SIZE];
    if (i == SRC_PUBLISHED)
        return event_date(cx, o, path, d);
    int rc = event_text(cx, o, path, i == SRC_URL ? EVENT_URL_MAX : EVENT_TEXT_MAX, s, len);
    if (rc)
        return rc;
    if (i == SRC_URL && !event_is_url(*s, *len))
        return event_failx(cx, "%s: '%s' is not an http:// or https:// URL", path,
                           event_quote(*s, *len, q));
    return 0;
}

static int event_source(event_ctx *cx, const msgpack_object *o, const char *path)
{
    const msgpack_object *f[SRC_FIELDS];
    const char *s[SRC_FIELDS] = { 0 };
    size_t len[SRC_FIELDS] = { 0 };
    edtf_date published;
    char sub[EVENT_PATH_MAX];
    unsigned given = 0;
    int rc = event_collect(cx, o, path, event_source_names, SRC_FIELDS, f);
    for (int i = 0; !rc && i < SRC_FIELDS; i++) {
        if (!event_given(f[i]))
            continue;
        given++;
        event_path(sub, "%s.%s", path, event_source_names[i]);
        rc = event_source_field(cx, i, f[i], sub, &s[i], &len[i], &published);
    }
    if (rc)
        return rc;
    msgpack_pack_map(&cx->pk, given);
    for (int i = 0; i < SRC_FIELDS; i++) {
        if (!event_given(f[i]))
            continue;
        buf_pack_cstr(&cx->pk, event_source_names[i]);
        if (i == SRC_PUBLISHED)
            event_pack_date(cx, &published);
        else
            buf_pack_str(&cx->pk, s[i], len[i]);
    }
    return 0;
}

static int event_do_sources(event_ctx *cx, const char *path, const msgpack_object *o)
{
    char sub[EVENT_PATH_MAX];
    int rc = event_array(cx, o, path, EVENT_SOURCES_MAX);
    if (rc)
        return rc;
    msgpack_pack_array(&cx->pk, o->via.array.size);
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        event_path(sub, "%s[%" PRIu32 "]", path, i);
        if ((rc = event_source(cx, &o->via.array.ptr[i], sub)))
            return rc;
    }
    return 0;
}

static int event_do_parent(event_ctx *cx, const char *path, const msgpack_object *o)
{
    const char *s = NULL;
    size_t len = 0;
    int rc = event_id_value(cx, o, path, &s, &len);
    if (rc)
        return rc;
    buf_pack_str(&cx->pk, s, len);
    return 0;
}

static int event_extra_value(event_ctx *cx, const msgpack_object *o, const char *path,
                             unsigned depth);

/* A container at depth (extra itself is 0): deeper than EVENT_EXTRA_DEPTH is
 * refused, which also bounds this recursion. */
static int event_extra_array(event_ctx *cx, const msgpack_object *o, const char *path,
                             unsigned depth)
{
    char sub[EVENT_PATH_MAX];
    if (depth > EVENT_EXTRA_DEPTH)
        return event_failx(cx, "%s: nested deeper than %d levels", path, EVENT_EXTRA_DEPTH);
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        event_path(sub, "%s[%" PRIu32 "]", path, i);
        int rc = event_extra_value(cx, &o->via.array.ptr[i], sub, depth + 1);
        if (rc)
            return rc;
    }
    return 0;
}

static int event_extra_map(event_ctx *cx, const msgpack_object *o, const char *path,
                           unsigned depth)
{
    char sub[EVENT_PATH_MAX], q[EVENT_QUOTE_SIZE];
    size_t bad = 0;
    if (depth > EVENT_EXTRA_DEPTH)
        return event_failx(cx, "%s: nested deeper than %d levels", path, EVENT_EXTRA_DEPTH);
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key;
        if (k->type != MSGPACK_OBJECT_STR)
            return event_failx(cx, "%s: field names must be strings", path);
        if (!utf8_valid(k->via.str.ptr, k->via.str.size, &bad))
            return event_failx(cx, "%s: invalid UTF-8 at byte %zu of a field name", path, bad);
        event_path(sub, "%s.%s", path, event_quote(k->via.str.ptr, k->via.str.size, q));
        int rc = event_extra_value(cx, &o->via.map.ptr[i].val, sub, depth + 1);
        if (rc)
            return rc;
    }
    return 0;
}

/* event_extra_value: whether o may be kept in extra: string keys, valid
 * UTF-8, finite numbers, no binary or extension values, bounded depth. */
static int event_extra_value(event_ctx *cx, const msgpack_object *o, const char *path,
                             unsigned depth)
{
    switch (o->type) {
    case MSGPACK_OBJECT_STR:
        return event_check_utf8(path, o->via.str.ptr, o->via.str.size, cx->err, cx->errlen);
    case MSGPACK_OBJECT_BIN:
        return event_failx(cx, "%s: binary data is not allowed", path);
    case MSGPACK_OBJECT_EXT:
        return event_failx(cx, "%s: extension values are not allowed", path);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        if (!isfinite(o->via.f64))
            return event_failx(cx, "%s: must be a finite number", path);
        return 0;
    case MSGPACK_OBJECT_ARRAY:
        return event_extra_array(cx, o, path, depth);
    case MSGPACK_OBJECT_MAP:
        return event_extra_map(cx, o, path, depth);
    default:
        return 0;
    }
}

static int event_do_extra(event_ctx *cx, const char *path, const msgpack_object *o)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return event_failx(cx, "%s: expected a map, got %s", path, event_type_name(o));
    int rc = event_extra_value(cx, o, path, 0);
    if (rc)
        return rc;
    msgpack_pack_object(&cx->pk, *o);
    return 0;
}

/* ---- the event ---- */

enum {
    EVENT_IN_BODY = 1,     /* packed into the body under its name */
    EVENT_REQUIRED = 2
};

typedef int (*event_field_fn)(event_ctx *cx, const char *path, const msgpack_object *o);

/* Every top-level field, body fields in their canonical order, as one table
 * so names, order and checks cannot drift apart. A NULL check marks a
 * server-set field, accepted and ignored whatever it holds. */
#define EVENT_FIELD_TABLE(X) \
    X(id,           0,                              event_do_id) \
    X(kind,         EVENT_IN_BODY,                  event_do_kind) \
    X(cameo,        EVENT_IN_BODY,                  event_do_cameo) \
    X(title,        EVENT_IN_BODY | EVENT_REQUIRED, event_do_title) \
    X(summary,      EVENT_IN_BODY,                  event_do_summary) \
    X(lang,         EVENT_IN_BODY,                  event_do_lang) \
    X(start,        EVENT_IN_BODY | EVENT_REQUIRED, event_do_start) \
    X(end,          EVENT_IN_BODY,                  event_do_end) \
    X(place,        EVENT_IN_BODY,                  event_do_place) \
    X(countries,    EVENT_IN_BODY,                  event_do_countries) \
    X(participants, EVENT_IN_BODY,                  event_do_participants) \
    X(tags,         EVENT_IN_BODY,                  event_do_tags) \
    X(sources,      EVENT_IN_BODY,                  event_do_sources) \
    X(parent,       EVENT_IN_BODY,                  event_do_parent) \
    X(extra,        EVENT_IN_BODY,                  event_do_extra) \
    X(seq,          0,                              NULL) \
    X(created,      0,                              NULL) \
    X(updated,      0,                              NULL) \
    X(bounds,       0,                              NULL) \
    X(certainty,    0,                              NULL)

enum {
#define EVENT_ENUM_(name, flags, check) EVENT_F_##name,
    EVENT_FIELD_TABLE(EVENT_ENUM_)
#undef EVENT_ENUM_
    EVENT_FIELDS
};

static const char *const event_field_names[EVENT_FIELDS] = {
#define EVENT_NAME_(name, flags, check) #name,
    EVENT_FIELD_TABLE(EVENT_NAME_)
#undef EVENT_NAME_
};

static const unsigned event_field_flags[EVENT_FIELDS] = {
#define EVENT_FLAGS_(name, flags, check) flags,
    EVENT_FIELD_TABLE(EVENT_FLAGS_)
#undef EVENT_FLAGS_
};

static const event_field_fn event_field_checks[EVENT_FIELDS] = {
#define EVENT_CHECK_(name, flags, check) check,
    EVENT_FIELD_TABLE(EVENT_CHECK_)
#undef EVENT_CHECK_
};

/* The number of body entries: the given body fields, and kind always. */
static unsigned event_count_body(const msgpack_object *const *f)
{
    unsigned n = 0;
    for (int i = 0; i < EVENT_FIELDS; i++)
        if ((event_field_flags[i] & EVENT_IN_BODY) && (event_given(f[i]) || i == EVENT_F_kind))
            n++;
    return n;
}

/* event_walk: check every field in canonical order, packing the body. */
static int event_walk(event_ctx *cx, const msgpack_object *const *f)
{
    for (int i = 0; i < EVENT_FIELDS; i++) {
        const char *name = event_field_names[i];
        unsigned flags = event_field_flags[i];
        if (!event_field_checks[i])
            continue;
        if (!event_given(f[i])) {
            if (flags & EVENT_REQUIRED)
                return event_failx(cx, "%s: required", name);
            if (i == EVENT_F_kind) {
                buf_pack_cstr(&cx->pk, "kind");
                buf_pack_cstr(&cx->pk, "other");
            }
            continue;
        }
        if (flags & EVENT_IN_BODY)
            buf_pack_cstr(&cx->pk, name);
        int rc = event_field_checks[i](cx, name, f[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static void event_clear(event_t *ev)
{
    ev->id[0] = '\0';
    ev->id_len = 0;
    memset(&ev->start, 0, sizeof ev->start);
    ev->end = ev->start;
    ev->has_end = 0;
    memset(&ev->bounds, 0, sizeof ev->bounds);
    ev->body_fields = 0;
}

void event_init(event_t *ev)
{
    event_clear(ev);
    buf_init(&ev->body);
}

void event_release(event_t *ev)
{
    buf_release(&ev->body);
    event_clear(ev);
}

int event_validate(const msgpack_object *obj, size_t max_record, event_t *ev,
                   char *err, size_t errlen)
{
    event_ctx cx = { .ev = ev, .err = err, .errlen = errlen };
    const msgpack_object *f[EVENT_FIELDS];
    char msg[256];
    event_clear(ev);
    buf_reset(&ev->body);
    buf_packer_init(&cx.pk, &ev->body);
    int rc = event_collect(&cx, obj, NULL, event_field_names, EVENT_FIELDS, f);
    if (rc)
        return rc;
    ev->body_fields = event_count_body(f);
    msgpack_pack_map(&cx.pk, ev->body_fields);
    if ((rc = event_walk(&cx, f)))
        return rc;
    if (!ev->has_end) {
        ev->end = ev->start;
        /* An end equal to the start cannot precede it. */
        rc = edtf_bounds(&ev->start, NULL, &ev->bounds, msg, sizeof msg);
        assert(rc == 0);
    }
    if (ev->body.len > max_record) {
        event_fail(err, errlen, "event is %zu bytes encoded; the limit is %zu bytes (max_record_size)",
                   ev->body.len, max_record);
        return ERROR_TOO_LARGE;
    }
    return 0;
}
