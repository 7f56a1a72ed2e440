/* import_csv.c: RFC 4180 records read from a file, and a header that maps
 * their columns to event fields. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/cameo_codes.h"
#include "client/import_csv.h"
#include "proto/event.h"
#include "proto/utf8.h"
#include "proto/xalloc.h"

void import_csv_reader_init(import_csv_reader *r, FILE *f)
{
    memset(r, 0, sizeof *r);
    r->f = f;
    buf_init(&r->text);
}

void import_csv_reader_release(import_csv_reader *r)
{
    buf_release(&r->text);
    free(r->offs);
    free(r->lens);
    memset(r, 0, sizeof *r);
}

static int import_csv_fail(char *reason, size_t reasonlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int import_csv_fail(char *reason, size_t reasonlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, reasonlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* The next byte of the file: first those import_csv_read looked at for a
 * byte order mark that was not one. */
static int import_csv_getc(import_csv_reader *r)
{
    if (r->npending > 0) {
        int c = r->pending[0];
        memmove(r->pending, r->pending + 1, (size_t)--r->npending);
        return c;
    }
    return getc_unlocked(r->f);
}

/* End the field being read: it runs from start to the end of r->text. */
static void import_csv_end_field(import_csv_reader *r, size_t start)
{
    if (r->nfields == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 32;
        r->offs = xrealloc(r->offs, r->cap * sizeof *r->offs);
        r->lens = xrealloc(r->lens, r->cap * sizeof *r->lens);
    }
    r->offs[r->nfields] = start;
    r->lens[r->nfields] = r->text.len - start;
    r->nfields++;
    buf_append(&r->text, "", 1);
}

/* Skip the rest of a malformed record: to the next line end outside
 * quotes, as the record would have run had it been well formed. */
static void import_csv_skip_record(import_csv_reader *r, int quoted)
{
    int c;
    while ((c = import_csv_getc(r)) != EOF) {
        if (c == '"')
            quoted = !quoted;
        else if (c == '\n') {
            r->line++;
            if (!quoted)
                return;
        }
    }
}

int import_csv_read(import_csv_reader *r, char *reason, size_t reasonlen)
{
    for (;;) {
        int c = import_csv_getc(r);
        size_t start;
        int quoted = 0, after_quote = 0, any = 0;

        if (!r->started) {
            r->started = 1;
            if (c == 0xEF) {
                int c2 = import_csv_getc(r), c3 = c2 == 0xBB ? import_csv_getc(r) : EOF;
                if (c2 == 0xBB && c3 == 0xBF) {
                    c = import_csv_getc(r);
                } else {
                    /* Not a byte order mark: read those bytes again. */
                    if (c2 != EOF)
                        r->pending[r->npending++] = (unsigned char)c2;
                    if (c3 != EOF)
                        r->pending[r->npending++] = (unsigned char)c3;
                }
            }
        }
        buf_reset(&r->text);
        r->nfields = 0;
        r->record_line = r->line + 1;
        start = 0;
        for (;; c = import_csv_getc(r)) {
            if (r->text.len > IMPORT_CSV_MAX_RECORD) {
                import_csv_skip_record(r, quoted);
                return import_csv_fail(reason, reasonlen, "record longer than %u bytes",
                                       IMPORT_CSV_MAX_RECORD);
            }
            if (c == EOF) {
                if (ferror(r->f))
                    return -2;
                if (quoted) {
                    r->line++;
                    return import_csv_fail(reason, reasonlen,
                                           "a quoted field is still open at the end of the file");
                }
                if (!any && r->nfields == 0)
                    return 0;
                r->line++;
                import_csv_end_field(r, start);
                return 1;
            }
            any = 1;
            if (quoted) {
                if (c == '"') {
                    int n = import_csv_getc(r);
                    if (n == '"') {
                        buf_append(&r->text, "\"", 1);
                        continue;
                    }
                    quoted = 0;
                    after_quote = 1;
                    if (n != EOF)
                        r->pending[r->npending++] = (unsigned char)n;
                    continue;
                }
                if (c == '\n')
                    r->line++;
                buf_append(&r->text, &(char){ (char)c }, 1);
            } else if (c == ',') {
                import_csv_end_field(r, start);
                start = r->text.len;
                after_quote = 0;
                continue;
            } else if (c == '\n' || c == '\r') {
                if (c == '\r') {
                    int n = import_csv_getc(r);
                    if (n != '\n' && n != EOF)
                        r->pending[r->npending++] = (unsigned char)n;
                }
                r->line++;
                if (r->nfields == 0 && r->text.len == start && !after_quote)
                    break;           /* an empty line: no record */
                import_csv_end_field(r, start);
                return 1;
            } else if (after_quote) {
                import_csv_skip_record(r, 0);
                return import_csv_fail(reason, reasonlen,
                                       "field %zu: text after its closing quote",
                                       r->nfields + 1);
            } else if (c == '"' && r->text.len == start) {
                quoted = 1;
                continue;
            } else {
                /* A quote inside an unquoted field is kept as it is, as
                 * most writers and readers of CSV do. */
                buf_append(&r->text, &(char){ (char)c }, 1);
            }
        }
    }
}

/* ---- the header ---- */

typedef enum {
    CSV_TEXT,          /* a top-level string field */
    CSV_PLACE_TEXT,    /* place.name, place.city, place.country */
    CSV_PLACE_NUMBER,  /* place.lat, place.lon */
    CSV_TOKENS,        /* countries, tags: a list of strings */
    CSV_SOURCES,       /* a list of {url} */
    CSV_PARTICIPANTS,  /* a list of {name} */
    CSV_EXTRA          /* extra.KEY[.KEY...] */
} import_csv_type;

typedef struct {
    import_csv_type type;
    char *name;        /* owned: the header's text */
    const char *key;   /* into name: the key in the event, place or extra */
} import_csv_column;

struct import_csv_columns {
    import_csv_column *cols;
    size_t n;
};

static const struct {
    const char *name;
    import_csv_type type;
} import_csv_fields[] = {
    { "id", CSV_TEXT }, { "kind", CSV_TEXT }, { "cameo", CSV_TEXT }, { "title", CSV_TEXT },
    { "summary", CSV_TEXT }, { "lang", CSV_TEXT }, { "start", CSV_TEXT }, { "end", CSV_TEXT },
    { "parent", CSV_TEXT }, { "place.name", CSV_PLACE_TEXT }, { "place.city", CSV_PLACE_TEXT },
    { "place.country", CSV_PLACE_TEXT }, { "place.lat", CSV_PLACE_NUMBER },
    { "place.lon", CSV_PLACE_NUMBER }, { "countries", CSV_TOKENS }, { "tags", CSV_TOKENS },
    { "sources", CSV_SOURCES }, { "participants", CSV_PARTICIPANTS },
};

void import_csv_columns_free(import_csv_columns *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->cols[i].name);
    free(c->cols);
    free(c);
}

/* Whether extra.KEY... is well formed: no empty part. */
static int import_csv_extra_ok(const char *path)
{
    size_t n = strlen(path);
    return n > 0 && path[0] != '.' && path[n - 1] != '.' && !strstr(path, "..");
}

import_csv_columns *import_csv_columns_new(const import_csv_reader *r, char *reason,
                                           size_t reasonlen)
{
    import_csv_columns *c = xmalloc(sizeof *c);
    c->n = r->nfields;
    c->cols = xmalloc((r->nfields ? r->nfields : 1) * sizeof *c->cols);
    for (size_t i = 0; i < r->nfields; i++)
        c->cols[i].name = NULL;
    for (size_t i = 0; i < r->nfields; i++) {
        const char *name = r->text.data + r->offs[i];
        import_csv_column *col = &c->cols[i];
        if (r->lens[i] == 0) {
            import_csv_fail(reason, reasonlen, "header: column %zu has no name", i + 1);
            goto fail;
        }
        if (r->lens[i] != strlen(name)) {
            import_csv_fail(reason, reasonlen, "header: column %zu holds a NUL byte", i + 1);
            goto fail;
        }
        if (!utf8_valid(name, r->lens[i], NULL)) {
            import_csv_fail(reason, reasonlen, "header: column %zu is not valid UTF-8", i + 1);
            goto fail;
        }
        col->name = xstrdup(name);
        col->key = NULL;
        for (size_t k = 0; k < sizeof import_csv_fields / sizeof import_csv_fields[0]; k++)
            if (strcmp(name, import_csv_fields[k].name) == 0) {
                col->type = import_csv_fields[k].type;
                const char *dot = strchr(col->name, '.');
                col->key = dot ? dot + 1 : col->name;
            }
        if (!col->key && strncmp(name, "extra.", 6) == 0 && import_csv_extra_ok(name + 6)) {
            col->type = CSV_EXTRA;
            col->key = col->name + 6;
        }
        if (!col->key) {
            import_csv_fail(reason, reasonlen,
                            "header: column %zu, '%.64s', is not an event field (id, kind, "
                            "cameo, title, summary, lang, start, end, parent, place.name, "
                            "place.city, place.country, place.lat, place.lon, countries, tags, "
                            "sources, participants, extra.KEY)", i + 1, name);
            goto fail;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(c->cols[k].name, name) == 0) {
                import_csv_fail(reason, reasonlen, "header: column '%.64s' appears twice", name);
                goto fail;
            }
    }
    return c;
fail:
    import_csv_columns_free(c);
    return NULL;
}

/* ---- a record as an event ---- */

/* A new JSON string of s[0..len), or NULL with a reason naming column. */
static json_t *import_csv_text(const char *column, const char *s, size_t len, char *reason,
                               size_t reasonlen)
{
    json_t *v = json_stringn(s, len);
    if (!v)
        import_csv_fail(reason, reasonlen, "%s: not valid UTF-8", column);
    return v;
}

/* Whether s[0..len), spaces skipped, starts with http:// or https://. */
static int import_csv_starts_url(const char *s, size_t len)
{
    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    return (len >= 7 && strncasecmp(s, "http://", 7) == 0) ||
           (len >= 8 && strncasecmp(s, "https://", 8) == 0);
}

/* The items of a list field, trimmed of spaces, empty ones left out:
 * strings, or {wrap: string} maps when wrap is given. With urls, a ';'
 * separates only when an http:// or https:// URL follows it, since URLs
 * may hold ';' themselves (path parameters such as ";jsessionid=..."). */
static json_t *import_csv_list(const char *column, const char *s, size_t len, const char *wrap,
                               int urls, char *reason, size_t reasonlen)
{
    json_t *list = json_array();
    size_t i = 0;
    while (i <= len) {
        size_t j = i;
        while (j < len && (s[j] != IMPORT_CSV_LIST_SEP ||
                           (urls && !import_csv_starts_url(s + j + 1, len - j - 1))))
            j++;
        size_t a = i, b = j;
        while (a < b && (s[a] == ' ' || s[a] == '\t'))
            a++;
        while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
            b--;
        if (b > a) {
            json_t *v = import_csv_text(column, s + a, b - a, reason, reasonlen);
            if (!v) {
                json_decref(list);
                return NULL;
            }
            json_array_append_new(list, wrap ? json_pack("{so}", wrap, v) : v);
        }
        i = j + 1;
    }
    return list;
}

/* Set extra's value at the dotted path key to v (stolen), making the maps
 * on the way. A path through a key that holds text already is an error. */
static int import_csv_set_extra(json_t *extra, const char *column, const char *key, json_t *v,
                                char *reason, size_t reasonlen)
{
    const char *dot;
    while ((dot = strchr(key, '.')) != NULL) {
        size_t n = (size_t)(dot - key);
        char *part = xmalloc(n + 1);
        memcpy(part, key, n);
        part[n] = '\0';
        json_t *sub = json_object_get(extra, part);
        if (!sub) {
            sub = json_object();
            json_object_set_new(extra, part, sub);
        } else if (!json_is_object(sub)) {
            json_decref(v);
            import_csv_fail(reason, reasonlen, "%s: extra.%.64s is text, not a map", column, part);
            free(part);
            return -1;
        }
        free(part);
        extra = sub;
        key = dot + 1;
    }
    if (json_is_object(json_object_get(extra, key))) {
        json_decref(v);
        return import_csv_fail(reason, reasonlen, "%s: another column makes it a map", column);
    }
    json_object_set_new(extra, key, v);
    return 0;
}

/* Add the value of one non-empty field to ev (whose place and extra are
 * made when first needed). */
static int import_csv_field(const import_csv_column *col, const char *s, size_t len, json_t *ev,
                            char *reason, size_t reasonlen)
{
    json_t *v = NULL;
    switch (col->type) {
    case CSV_TEXT:
    case CSV_PLACE_TEXT:
    case CSV_EXTRA:
        v = import_csv_text(col->name, s, len, reason, reasonlen);
        break;
    case CSV_PLACE_NUMBER: {
        char buf[64], *end;
        double d = 0;
        int ok = len < sizeof buf;
        if (ok) {
            memcpy(buf, s, len);
            buf[len] = '\0';
            errno = 0;
            d = strtod(buf, &end);
            ok = end != buf && *end == '\0' && isfinite(d);
        }
        if (!ok)
            return import_csv_fail(reason, reasonlen, "%s: '%.*s' is not a number", col->name,
                                   len > 40 ? 40 : (int)len, s);
        v = json_real(d);
        break;
    }
    case CSV_TOKENS:
        v = import_csv_list(col->name, s, len, NULL, 0, reason, reasonlen);
        break;
    case CSV_SOURCES:
        v = import_csv_list(col->name, s, len, "url", 1, reason, reasonlen);
        break;
    case CSV_PARTICIPANTS:
        v = import_csv_list(col->name, s, len, "name", 0, reason, reasonlen);
        break;
    }
    if (!v)
        return -1;
    if (col->type == CSV_PLACE_TEXT || col->type == CSV_PLACE_NUMBER) {
        json_t *place = json_object_get(ev, "place");
        if (!place) {
            place = json_object();
            json_object_set_new(ev, "place", place);
        }
        json_object_set_new(place, col->key, v);
    } else if (col->type == CSV_EXTRA) {
        json_t *extra = json_object_get(ev, "extra");
        if (!extra) {
            extra = json_object();
            json_object_set_new(ev, "extra", extra);
        }
        return import_csv_set_extra(extra, col->name, col->key, v, reason, reasonlen);
    } else {
        json_object_set_new(ev, col->key, v);
    }
    return 0;
}

json_t *import_csv_event(const import_csv_columns *c, const import_csv_reader *r,
                         char *reason, size_t reasonlen)
{
    if (r->nfields != c->n) {
        import_csv_fail(reason, reasonlen, "%zu fields; the header has %zu", r->nfields, c->n);
        return NULL;
    }
    json_t *ev = json_object();
    for (size_t i = 0; i < c->n; i++) {
        if (r->lens[i] == 0)
            continue;
        if (import_csv_field(&c->cols[i], r->text.data + r->offs[i], r->lens[i], ev,
                             reason, reasonlen) < 0) {
            json_decref(ev);
            return NULL;
        }
    }
    /* A record with a CAMEO code and no kind gets the kind a GDELT row of
     * that code would; a code of the wrong form is left to the server's
     * refusal, which names the field. */
    const json_t *cameo = json_object_get(ev, "cameo");
    if (cameo && !json_object_get(ev, "kind") &&
        event_is_cameo(json_string_value(cameo), json_string_length(cameo)))
        json_object_set_new(ev, "kind", json_string(cameo_codes_kind(json_string_value(cameo),
                                                                     json_string_length(cameo))));
    return ev;
}
