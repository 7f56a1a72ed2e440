/* import_gdelt.c: a GDELT event row (the column order of the GDELT 1.0 and
 * 2.0 codebooks) mapped to an annals event. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cameo_codes.h"
#include "client/country_codes.h"
#include "client/import_gdelt.h"
#include "proto/edtf.h"
#include "proto/event.h"

#define GDELT_MAX_COLUMNS IMPORT_GDELT_V2_COLUMNS

/* The columns every version shares, by index (the codebook's order). */
enum {
    GD_GLOBALEVENTID = 0, GD_SQLDATE = 1,
    GD_ACTOR1 = 5, GD_ACTOR2 = 15,    /* Code, Name, CountryCode, KnownGroupCode,
                                         EthnicCode, Religion1Code, Religion2Code,
                                         Type1Code, Type2Code, Type3Code */
    GD_ISROOTEVENT = 25, GD_EVENTCODE = 26, GD_EVENTBASECODE = 27,
    GD_EVENTROOTCODE = 28, GD_QUADCLASS = 29, GD_GOLDSTEIN = 30,
    GD_NUMMENTIONS = 31, GD_NUMSOURCES = 32, GD_NUMARTICLES = 33, GD_AVGTONE = 34,
    GD_GEOS = 35                      /* Actor1Geo, Actor2Geo, ActionGeo */
};

/* Offsets within an actor's ten columns. */
enum { GD_A_CODE, GD_A_NAME, GD_A_COUNTRY, GD_A_GROUP, GD_A_ETHNIC, GD_A_RELIGION1,
       GD_A_RELIGION2, GD_A_TYPE1, GD_A_TYPE2, GD_A_TYPE3 };

typedef struct {
    const char *s[GDELT_MAX_COLUMNS];
    size_t len[GDELT_MAX_COLUMNS];
    int n;
    int version;        /* 1 or 2 */
    int geo_width;      /* 7 in 1.0, 8 in 2.0 (ADM2Code) */
    char *reason;
    size_t reasonlen;
} gdelt_row;

/* A geography's columns, located for the row's version. */
typedef struct {
    int type, fullname, country, adm1, adm2, lat, lon, feature;  /* adm2: -1 in 1.0 */
} gdelt_geo;

static const char *const gdelt_actor_cols[] = {
    "Code", "Name", "CountryCode", "KnownGroupCode", "EthnicCode", "Religion1Code",
    "Religion2Code", "Type1Code", "Type2Code", "Type3Code"
};

static const char *const gdelt_geo_prefix[] = { "Actor1Geo", "Actor2Geo", "ActionGeo" };

static int gdelt_fail(gdelt_row *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int gdelt_fail(gdelt_row *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, r->reasonlen, fmt, ap);
    va_end(ap);
    return -1;
}

static gdelt_geo gdelt_geo_at(const gdelt_row *r, int which)
{
    int b = GD_GEOS + which * r->geo_width;
    gdelt_geo g = { b, b + 1, b + 2, b + 3, -1, b + 4, b + 5, b + 6 };
    if (r->geo_width == 8) {
        g.adm2 = b + 4;
        g.lat = b + 5;
        g.lon = b + 6;
        g.feature = b + 7;
    }
    return g;
}

/* Split line into r's columns and tell the version by their number. */
static int gdelt_split(gdelt_row *r, const char *line, size_t len)
{
    size_t start = 0, count = 1;
    for (size_t i = 0; i < len; i++)
        count += line[i] == '\t';
    if (count != IMPORT_GDELT_V1_OLD_COLUMNS && count != IMPORT_GDELT_V1_COLUMNS &&
        count != IMPORT_GDELT_V2_COLUMNS)
        return gdelt_fail(r, "%zu tab-separated columns; a GDELT event row has %d or %d "
                          "(GDELT 1.0) or %d (GDELT 2.0)", count, IMPORT_GDELT_V1_OLD_COLUMNS,
                          IMPORT_GDELT_V1_COLUMNS, IMPORT_GDELT_V2_COLUMNS);
    r->n = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || line[i] == '\t') {
            r->s[r->n] = line + start;
            r->len[r->n] = i - start;
            r->n++;
            start = i + 1;
        }
    }
    r->version = r->n == IMPORT_GDELT_V2_COLUMNS ? 2 : 1;
    r->geo_width = r->version == 2 ? 8 : 7;
    return 0;
}

/* The column names of messages: the codebook's, e.g. "ActionGeo_Lat". */
static void gdelt_geo_name(char *out, size_t outlen, int which, const char *col)
{
    snprintf(out, outlen, "%s_%s", gdelt_geo_prefix[which], col);
}

/* A JSON string of s[0..len), or NULL with a reason when it is not UTF-8. */
static json_t *gdelt_text(gdelt_row *r, const char *column, const char *s, size_t len)
{
    json_t *v = json_stringn(s, len);
    if (!v)
        gdelt_fail(r, "%s: not valid UTF-8", column);
    return v;
}

/* Set obj[key] to the text of column c when it is not empty. */
static int gdelt_set_text(gdelt_row *r, json_t *obj, const char *key, const char *column, int c)
{
    if (c < 0 || r->len[c] == 0)
        return 0;
    json_t *v = gdelt_text(r, column, r->s[c], r->len[c]);
    if (!v)
        return -1;
    json_object_set_new(obj, key, v);
    return 0;
}

/* Copy column c (NUL-terminated) into buf of size n; 0, or -1 when it does
 * not fit (no number we read is that long). */
static int gdelt_copy(const gdelt_row *r, int c, char *buf, size_t n)
{
    if (r->len[c] >= n)
        return -1;
    memcpy(buf, r->s[c], r->len[c]);
    buf[r->len[c]] = '\0';
    return 0;
}

/* Column c as an integer, when it is one (*ok = 1). */
static long long gdelt_int(const gdelt_row *r, int c, int *ok)
{
    char buf[32], *end;
    *ok = 0;
    if (r->len[c] == 0 || gdelt_copy(r, c, buf, sizeof buf) < 0)
        return 0;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    *ok = *end == '\0' && errno == 0;
    return v;
}

/* Column c as a finite real, when it is one (*ok = 1). */
static double gdelt_real(const gdelt_row *r, int c, int *ok)
{
    char buf[64], *end;
    *ok = 0;
    if (r->len[c] == 0 || gdelt_copy(r, c, buf, sizeof buf) < 0)
        return 0;
    double v = strtod(buf, &end);
    *ok = *end == '\0' && isfinite(v);
    return v;
}

/* Set obj[key] to column c as an integer or a real when it reads as one;
 * GDELT leaves these empty where it has no figure, and a figure that does
 * not read is left out rather than failing the row: none of them is part
 * of the event annals stores, only of what extra keeps. */
static void gdelt_set_number(const gdelt_row *r, json_t *obj, const char *key, int c, int real)
{
    int ok;
    if (real) {
        double v = gdelt_real(r, c, &ok);
        if (ok)
            json_object_set_new(obj, key, json_real(v));
    } else {
        long long v = gdelt_int(r, c, &ok);
        if (ok)
            json_object_set_new(obj, key, json_integer(v));
    }
}

/* "gdelt-<GLOBALEVENTID>". */
static int gdelt_id(gdelt_row *r, json_t *ev, json_t *gd)
{
    const char *s = r->s[GD_GLOBALEVENTID];
    size_t len = r->len[GD_GLOBALEVENTID];
    char id[64];
    if (len == 0 || len > 20)
        goto bad;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            goto bad;
    snprintf(id, sizeof id, "gdelt-%.*s", (int)len, s);
    json_object_set_new(ev, "id", json_string(id));
    json_object_set_new(gd, "globaleventid", json_stringn(s, len));
    return 0;
bad:
    return gdelt_fail(r, "GLOBALEVENTID: '%.*s' is not a number", len > 40 ? 40 : (int)len, s);
}

/* Column c's first eight characters as the day YYYYMMDD they spell, when
 * they are digits (DATEADDED is YYYYMMDDHHMMSS in 2.0, YYYYMMDD in 1.0);
 * 0 otherwise. */
static int gdelt_day(const gdelt_row *r, int c, int *y, int *m, int *d)
{
    if (c >= r->n || r->len[c] < 8)
        return 0;
    const char *s = r->s[c];
    for (int i = 0; i < 8; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    *y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    *m = (s[4] - '0') * 10 + (s[5] - '0');
    *d = (s[6] - '0') * 10 + (s[7] - '0');
    return 1;
}

/* Whether SQLDATE y-m-d is exactly one month or one year, to the day of
 * the month, before DATEADDED. Real exports hold many such rows about
 * news of the day they were added (a known artefact of GDELT's dating),
 * so the day is kept but cannot be trusted. */
static int gdelt_date_suspect(const gdelt_row *r, int dateadded, int y, int m, int d)
{
    int ay, am, ad;
    if (!gdelt_day(r, dateadded, &ay, &am, &ad) || ad != d)
        return 0;
    if (y == ay - 1 && m == am)
        return 1;
    return am == 1 ? (y == ay - 1 && m == 12) : (y == ay && m == am - 1);
}

/* SQLDATE, YYYYMMDD, as an EDTF day that must exist; uncertain ("?") and
 * *suspect set when gdelt_date_suspect says so. */
static int gdelt_start(gdelt_row *r, json_t *ev, int dateadded, int *suspect)
{
    const char *s = r->s[GD_SQLDATE];
    size_t len = r->len[GD_SQLDATE];
    char day[12], err[128];
    edtf_date d;
    int y, m, dd;
    *suspect = 0;
    if (len != 8 || !gdelt_day(r, GD_SQLDATE, &y, &m, &dd))
        return gdelt_fail(r, "SQLDATE: '%.*s' is not a date YYYYMMDD", len > 40 ? 40 : (int)len, s);
    snprintf(day, sizeof day, "%.4s-%.2s-%.2s", s, s + 4, s + 6);
    if (edtf_parse(day, 10, &d, err, sizeof err) < 0)
        return gdelt_fail(r, "SQLDATE: '%.8s' is not a valid date (%s)", s, err);
    *suspect = gdelt_date_suspect(r, dateadded, y, m, dd);
    if (*suspect)
        strcat(day, "?");
    json_object_set_new(ev, "start", json_string(day));
    return 0;
}

/* Add code to the countries array unless it is there. */
static void gdelt_add_country(json_t *countries, const char *code)
{
    size_t i;
    json_t *v;
    json_array_foreach(countries, i, v)
        if (strcmp(json_string_value(v), code) == 0)
            return;
    json_array_append_new(countries, json_string(code));
}

/* extra.gdelt.actorN, the participant and the actor's country. */
static int gdelt_actor(gdelt_row *r, int base, const char *which, json_t *gd,
                       json_t *participants, json_t *countries)
{
    json_t *a = json_object();
    char column[64];
    for (int k = 0; k < 10; k++) {
        static const char *const keys[] = {
            "code", "name", "country", "known_group", "ethnic", "religion1",
            "religion2", "type1", "type2", "type3"
        };
        snprintf(column, sizeof column, "%s%s", which, gdelt_actor_cols[k]);
        if (gdelt_set_text(r, a, keys[k], column, base + k) < 0) {
            json_decref(a);
            return -1;
        }
    }
    const char *iso = country_codes_from_alpha3(r->s[base + GD_A_COUNTRY],
                                                r->len[base + GD_A_COUNTRY]);
    if (iso)
        gdelt_add_country(countries, iso);
    json_t *name = json_object_get(a, "name");
    if (name) {
        json_t *p = json_object();
        json_object_set(p, "name", name);
        if (iso)
            json_object_set_new(p, "country", json_string(iso));
        json_array_append_new(participants, p);
    }
    if (json_object_size(a) > 0) {
        char key[16];
        snprintf(key, sizeof key, "%s", which);
        key[0] = 'a';                 /* "Actor1" -> "actor1" */
        json_object_set_new(gd, key, a);
    } else {
        json_decref(a);
    }
    return 0;
}

/* A latitude or longitude column, in [-limit, limit]; *has = 0 when empty. */
static int gdelt_coord(gdelt_row *r, int which, const char *col, int c, double limit,
                       double *out, int *has)
{
    char column[64];
    int ok;
    *has = 0;
    if (r->len[c] == 0)
        return 0;
    *out = gdelt_real(r, c, &ok);
    gdelt_geo_name(column, sizeof column, which, col);
    if (!ok)
        return gdelt_fail(r, "%s: '%.*s' is not a number", column,
                          r->len[c] > 40 ? 40 : (int)r->len[c], r->s[c]);
    if (*out < -limit || *out > limit)
        return gdelt_fail(r, "%s: %.*s is outside -%g..%g", column, (int)r->len[c], r->s[c],
                          limit, limit);
    *has = 1;
    return 0;
}

/* ActionGeo as the event's place, and the raw codes of every geography in
 * extra.gdelt (actor1_geo, actor2_geo, action_geo). */
static int gdelt_geos(gdelt_row *r, json_t *ev, json_t *gd, json_t *countries)
{
    static const char *const keys[] = { "actor1_geo", "actor2_geo", "action_geo" };
    for (int which = 0; which < 3; which++) {
        gdelt_geo g = gdelt_geo_at(r, which);
        json_t *raw = json_object();
        char column[64];
        static const struct { const char *key, *col; } texts[] = {
            { "full_name", "FullName" }, { "country", "CountryCode" },
            { "adm1", "ADM1Code" }, { "adm2", "ADM2Code" }, { "feature_id", "FeatureID" },
        };
        const int cols[] = { g.fullname, g.country, g.adm1, g.adm2, g.feature };
        gdelt_set_number(r, raw, "type", g.type, 0);
        for (int k = 0; k < 5; k++) {
            gdelt_geo_name(column, sizeof column, which, texts[k].col);
            if (gdelt_set_text(r, raw, texts[k].key, column, cols[k]) < 0)
                goto fail;
        }
        double lat, lon;
        int has_lat, has_lon;
        if (gdelt_coord(r, which, "Lat", g.lat, 90, &lat, &has_lat) < 0 ||
            gdelt_coord(r, which, "Long", g.lon, 180, &lon, &has_lon) < 0)
            goto fail;
        if (which == 2 && json_object_get(raw, "full_name")) {
            json_t *place = json_object();
            const char *full = json_string_value(json_object_get(raw, "full_name"));
            int ok;
            long long type = gdelt_int(r, g.type, &ok);
            const char *iso = country_codes_from_fips(r->s[g.country], r->len[g.country]);
            json_object_set(place, "name", json_object_get(raw, "full_name"));
            /* 3 = USCITY, 4 = WORLDCITY: "City, State, Country". */
            if (ok && (type == 3 || type == 4)) {
                const char *comma = strchr(full, ',');
                size_t n = comma ? (size_t)(comma - full) : strlen(full);
                if (n > 0)
                    json_object_set_new(place, "city", json_stringn(full, n));
            }
            if (iso) {
                json_object_set_new(place, "country", json_string(iso));
                gdelt_add_country(countries, iso);
            }
            if (has_lat && has_lon) {
                json_object_set_new(place, "lat", json_real(lat));
                json_object_set_new(place, "lon", json_real(lon));
            }
            json_object_set_new(ev, "place", place);
        }
        if (has_lat)
            json_object_set_new(raw, "lat", json_real(lat));
        if (has_lon)
            json_object_set_new(raw, "lon", json_real(lon));
        if (json_object_size(raw) > 0 && !(json_object_size(raw) == 1 && json_object_get(raw, "type")))
            json_object_set_new(gd, keys[which], raw);
        else
            json_decref(raw);
        continue;
    fail:
        json_decref(raw);
        return -1;
    }
    return 0;
}

/* The title: who did what to whom, in the codebook's words. */
static void gdelt_title(const gdelt_row *r, json_t *ev, const char *code, size_t codelen)
{
    const char *what = cameo_codes_name(code, codelen);
    char fallback[32], *title = NULL;
    const json_t *place = json_object_get(ev, "place");
    size_t n1 = r->len[GD_ACTOR1 + GD_A_NAME], n2 = r->len[GD_ACTOR2 + GD_A_NAME];
    const char *a1 = r->s[GD_ACTOR1 + GD_A_NAME], *a2 = r->s[GD_ACTOR2 + GD_A_NAME];
    int len;
    if (!what) {
        snprintf(fallback, sizeof fallback, "CAMEO event %.*s", (int)codelen, code);
        what = fallback;
    }
    if (n1 && n2)
        len = asprintf(&title, "%.*s \u2192 %.*s: %s", (int)n1, a1, (int)n2, a2, what);
    else if (n1)
        len = asprintf(&title, "%.*s: %s", (int)n1, a1, what);
    else if (n2)   /* Actor2 is the one acted upon: say the actor is unknown. */
        len = asprintf(&title, "? \u2192 %.*s: %s", (int)n2, a2, what);
    else if (place)
        len = asprintf(&title, "%s in %s", what,
                       json_string_value(json_object_get(place, "name")));
    else
        len = asprintf(&title, "%s", what);
    if (len < 0) {
        fputs("annals: out of memory\n", stderr);
        abort();
    }
    /* The parts are UTF-8 already checked, so the title is too. */
    json_object_set_new(ev, "title", json_stringn(title, (size_t)len));
    free(title);
}

json_t *import_gdelt_row(const char *line, size_t len, char *reason, size_t reasonlen)
{
    gdelt_row r = { .reason = reason, .reasonlen = reasonlen };
    if (gdelt_split(&r, line, len) < 0)
        return NULL;

    json_t *ev = json_object(), *gd = json_object();
    json_t *countries = json_array(), *participants = json_array();
    const char *code = r.s[GD_EVENTCODE];
    size_t codelen = r.len[GD_EVENTCODE];
    int dateadded = GD_GEOS + 3 * r.geo_width, suspect = 0;

    json_object_set_new(gd, "version", json_integer(r.version));
    if (gdelt_id(&r, ev, gd) < 0)
        goto fail;
    if (!event_is_cameo(code, codelen)) {
        gdelt_fail(&r, "EventCode: '%.*s' is not a CAMEO event code (2-4 digits)",
                   codelen > 40 ? 40 : (int)codelen, code);
        goto fail;
    }
    json_object_set_new(ev, "kind", json_string(cameo_codes_kind(code, codelen)));
    json_object_set_new(ev, "cameo", json_stringn(code, codelen));
    if (gdelt_start(&r, ev, dateadded, &suspect) < 0 ||
        gdelt_actor(&r, GD_ACTOR1, "Actor1", gd, participants, countries) < 0 ||
        gdelt_actor(&r, GD_ACTOR2, "Actor2", gd, participants, countries) < 0 ||
        gdelt_geos(&r, ev, gd, countries) < 0)
        goto fail;
    gdelt_title(&r, ev, code, codelen);
    if (json_array_size(countries) > 0)
        json_object_set(ev, "countries", countries);
    if (json_array_size(participants) > 0)
        json_object_set(ev, "participants", participants);
    json_object_set_new(ev, "tags", suspect ? json_pack("[ss]", "gdelt", "gdelt-date-suspect")
                                            : json_pack("[s]", "gdelt"));

    if (r.n > dateadded + 1 && r.len[dateadded + 1] > 0) {
        const char *url = r.s[dateadded + 1];
        size_t ulen = r.len[dateadded + 1];
        if ((ulen > 7 && strncasecmp(url, "http://", 7) == 0) ||
            (ulen > 8 && strncasecmp(url, "https://", 8) == 0)) {
            json_t *u = gdelt_text(&r, "SOURCEURL", url, ulen);
            if (!u)
                goto fail;
            json_object_set_new(ev, "sources", json_pack("[{so}]", "url", u));
        } else if (gdelt_set_text(&r, gd, "source", "SOURCEURL", dateadded + 1) < 0) {
            goto fail;
        }
    }
    if (gdelt_set_text(&r, gd, "date_added", "DATEADDED", dateadded) < 0 ||
        gdelt_set_text(&r, gd, "event_code", "EventCode", GD_EVENTCODE) < 0 ||
        gdelt_set_text(&r, gd, "event_base_code", "EventBaseCode", GD_EVENTBASECODE) < 0 ||
        gdelt_set_text(&r, gd, "event_root_code", "EventRootCode", GD_EVENTROOTCODE) < 0)
        goto fail;
    gdelt_set_number(&r, gd, "is_root_event", GD_ISROOTEVENT, 0);
    gdelt_set_number(&r, gd, "quad_class", GD_QUADCLASS, 0);
    gdelt_set_number(&r, gd, "goldstein", GD_GOLDSTEIN, 1);
    gdelt_set_number(&r, gd, "num_mentions", GD_NUMMENTIONS, 0);
    gdelt_set_number(&r, gd, "num_sources", GD_NUMSOURCES, 0);
    gdelt_set_number(&r, gd, "num_articles", GD_NUMARTICLES, 0);
    gdelt_set_number(&r, gd, "avg_tone", GD_AVGTONE, 1);
    json_object_set_new(ev, "extra", json_pack("{so}", "gdelt", gd));
    json_decref(countries);
    json_decref(participants);
    return ev;
fail:
    json_decref(ev);
    json_decref(gd);
    json_decref(countries);
    json_decref(participants);
    return NULL;
}
