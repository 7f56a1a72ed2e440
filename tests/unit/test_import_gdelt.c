/* test_import_gdelt.c: GDELT rows, taken from the real files in
 * ../shared/data/gdelt, mapped to events: id, kind and cameo, title,
 * start, countries through both code tables, place, participants, source
 * and extra; 1.0 rows of 57 and 58 columns and 2.0 rows of 61; and rows
 * refused with a reason naming the column. */
#include <stdlib.h>
#include <string.h>

#include "client/import_gdelt.h"
#include "client/jsonmp.h"
#include "tests/unit/tap.h"

/* gdelt2-20191024143000.export.CSV line 3: a 057 with Actor2 only (THE EU,
 * CAMEO country EUR: a region, no country) in Minsk (FIPS BO). */
static const char *const row_v2_057 =
    "881990834\t20181024\t201810\t2018\t2018.8055\t\t\t\t\t\t\t\t\t\t\tIGOEUREEC\tTHE EU\tEUR\tEEC\t\t\t\tIGO\t\t\t0\t057\t057\t05\t1\t8.0\t7\t1\t7\t0.63492063492064\t0\t\t\t\t\t\t\t\t4\tMinsk, Belarus (general), Belarus\tBO\tBO00\t5840\t53.9\t27.5667\t-1946324\t4\tMinsk, Belarus (general), Belarus\tBO\tBO00\t5840\t53.9\t27.5667\t-1946324\t20191024143000\thttps://belsat.eu/en/news/10-years-of-belarus-participating-in-eastern-partnership-what-is-to-come/";
/* line 37: a 042, UNITED KINGDOM visits SAUDI ARABIA, in Riyadh (FIPS SA). */
static const char *const row_v2_042 =
    "881990868\t20190924\t201909\t2019\t2019.7233\tGBR\tUNITED KINGDOM\tGBR\t\t\t\t\t\t\t\tSAU\tSAUDI ARABIA\tSAU\t\t\t\t\t\t\t\t0\t042\t042\t04\t1\t1.9\t2\t1\t2\t2.8604118993135\t1\tUnited Kingdom\tUK\tUK\t\t54\t-4\tUK\t4\tRiyadh, Ar Riya?, Saudi Arabia\tSA\tSA10\t25316\t24.6408\t46.7728\t-3093009\t4\tRiyadh, Ar Riya?, Saudi Arabia\tSA\tSA10\t25316\t24.6408\t46.7728\t-3093009\t20191024143000\thttps://www.fltimes.com/business/business-of-the-week-b-c-auto-restoration-and-paint/article_ff1fc682-03ea-551c-b71b-d3e6c0bfd4d3.html";
/* gdelt1-sample-events.csv line 34: 58 columns, a 043 in Pottstown. */
static const char *const row_v1_043 =
    "564122980\t20160728\t201607\t2016\t2016.5699\tUSAEDU\tPENNSYLVANIA\tUSA\t\t\t\t\tEDU\t\t\tUSA\tPENNSYLVANIA\tUSA\t\t\t\t\t\t\t\t1\t043\t043\t04\t1\t2.8\t2\t1\t2\t-0.44444444444445\t3\tPottstown, Pennsylvania, United States\tUS\tUSPA\t40.2454\t-75.6496\t1214003\t2\tIndiana, United States\tUS\tUSIN\t39.8647\t-86.2604\tIN\t3\tPottstown, Pennsylvania, United States\tUS\tUSPA\t40.2454\t-75.6496\t1214003\t20160728\thttp://www.pennlive.com/news/2016/07/trumps_three_messages_for_pa_i.html";
/* line 511: 57 columns (no SOURCEURL), a 1312 from Canada to Poland. */
static const char *const row_v1_old =
    "1552839\t19820102\t198201\t1982\t1982.0055\tCAN\tCANADA\tCAN\t\t\t\t\t\t\t\tPOL\tPOLAND\tPOL\t\t\t\t\t\t\t\t1\t1312\t131\t13\t3\t-5.8\t2\t1\t2\t2.53807106598985\t1\tCanada\tCA\tCA\t60\t-95\t0\t1\tUnited States\tUS\tUS\t38\t-97\t0\t1\tCanada\tCA\tCA\t60\t-95\t0\t20130203";

/* Map row; NULL with the reason in reason. */
static json_t *map(const char *row, char *reason)
{
    reason[0] = '\0';
    return import_gdelt_row(row, strlen(row), reason, 256);
}

/* The compact JSON of ev's field at path "a" or "a.b" (NULL when absent);
 * the caller frees it. */
static char *field(const json_t *ev, const char *path)
{
    char key[64];
    const char *dot = strchr(path, '.');
    const json_t *v = ev;
    while (v && dot) {
        snprintf(key, sizeof key, "%.*s", (int)(dot - path), path);
        v = json_object_get(v, key);
        path = dot + 1;
        dot = strchr(path, '.');
    }
    v = v ? json_object_get(v, path) : NULL;
    return v ? jsonmp_dumps(v) : NULL;
}

static void is_field(const json_t *ev, const char *path, const char *want, const char *name)
{
    char *got = field(ev, path);
    is_str(got, want, "%s: %s", name, path);
    free(got);
}

/* Replace column col (0-based) of row with value; the caller frees. */
static char *with_column(const char *row, int col, const char *value)
{
    size_t n = strlen(row), vn = strlen(value);
    char *out = malloc(n + vn + 1);
    const char *s = row;
    for (int i = 0; i < col; i++)
        s = strchr(s, '\t') + 1;
    const char *e = strchr(s, '\t');
    if (!e)
        e = row + n;
    size_t head = (size_t)(s - row);
    memcpy(out, row, head);
    memcpy(out + head, value, vn);
    strcpy(out + head + vn, e);
    return out;
}

static void refused(const char *row, const char *want, const char *name)
{
    char reason[256];
    json_t *ev = map(row, reason);
    ok(ev == NULL, "%s: refused", name);
    ok(strstr(reason, want) != NULL, "%s: the reason says '%s'", name, want);
    if (!strstr(reason, want))
        diag("reason: %s", reason);
    json_decref(ev);
}

int main(void)
{
    char reason[256];
    json_t *ev;

    ev = map(row_v2_057, reason);
    ok(ev != NULL, "a GDELT 2.0 row maps (%s)", reason);
    is_field(ev, "id", "\"gdelt-881990834\"", "2.0 057");
    is_field(ev, "kind", "\"agreement\"", "2.0 057");
    is_field(ev, "cameo", "\"057\"", "2.0 057");
    is_field(ev, "title", "\"? \u2192 THE EU: Sign formal agreement\"", "2.0 057");
    is_field(ev, "start", "\"2018-10-24?\"", "2.0 057 (a year before DATEADDED: uncertain)");
    is_field(ev, "countries", "[\"BY\"]", "2.0 057 (EUR is no country; Minsk is)");
    is_field(ev, "place", "{\"name\":\"Minsk, Belarus (general), Belarus\",\"city\":\"Minsk\","
             "\"country\":\"BY\",\"lat\":53.9,\"lon\":27.5667}", "2.0 057");
    is_field(ev, "participants", "[{\"name\":\"THE EU\"}]", "2.0 057");
    is_field(ev, "tags", "[\"gdelt\",\"gdelt-date-suspect\"]", "2.0 057");
    is_field(ev, "sources", "[{\"url\":\"https://belsat.eu/en/news/10-years-of-belarus-"
             "participating-in-eastern-partnership-what-is-to-come/\"}]", "2.0 057");
    is_field(ev, "extra.gdelt.version", "2", "2.0 057");
    is_field(ev, "extra.gdelt.globaleventid", "\"881990834\"", "2.0 057");
    is_field(ev, "extra.gdelt.actor2.country", "\"EUR\"", "2.0 057 keeps the raw code");
    is_field(ev, "extra.gdelt.actor2.known_group", "\"EEC\"", "2.0 057");
    is_field(ev, "extra.gdelt.action_geo.adm2", "\"5840\"", "2.0 057");
    is_field(ev, "extra.gdelt.date_added", "\"20191024143000\"", "2.0 057");
    is_field(ev, "extra.gdelt.num_mentions", "7", "2.0 057");
    is_field(ev, "extra.gdelt.goldstein", "8.0", "2.0 057");
    is_field(ev, "extra.gdelt.avg_tone", "0.63492063492064", "2.0 057");
    ok(json_object_get(json_object_get(json_object_get(ev, "extra"), "gdelt"), "actor1") == NULL,
       "2.0 057: no actor1 in extra when its columns are empty");
    json_decref(ev);

    ev = map(row_v2_042, reason);
    ok(ev != NULL, "a 042 row maps (%s)", reason);
    is_field(ev, "kind", "\"visit\"", "2.0 042");
    is_field(ev, "title", "\"UNITED KINGDOM \u2192 SAUDI ARABIA: Make a visit\"", "2.0 042");
    is_field(ev, "start", "\"2019-09-24?\"", "2.0 042 (SQLDATE, a month before DATEADDED)");
    is_field(ev, "tags", "[\"gdelt\",\"gdelt-date-suspect\"]", "2.0 042");
    is_field(ev, "countries", "[\"GB\",\"SA\"]", "2.0 042 (GBR, SAU; FIPS SA is Saudi Arabia)");
    is_field(ev, "participants", "[{\"name\":\"UNITED KINGDOM\",\"country\":\"GB\"},"
             "{\"name\":\"SAUDI ARABIA\",\"country\":\"SA\"}]", "2.0 042");
    is_field(ev, "place.city", "\"Riyadh\"", "2.0 042");
    is_field(ev, "extra.gdelt.actor1_geo.country", "\"UK\"", "2.0 042 keeps FIPS UK raw");
    json_decref(ev);

    ev = map(row_v1_043, reason);
    ok(ev != NULL, "a GDELT 1.0 row of 58 columns maps (%s)", reason);
    is_field(ev, "id", "\"gdelt-564122980\"", "1.0 043");
    is_field(ev, "kind", "\"visit\"", "1.0 043");
    is_field(ev, "title", "\"PENNSYLVANIA \u2192 PENNSYLVANIA: Host a visit\"", "1.0 043");
    is_field(ev, "countries", "[\"US\"]", "1.0 043 (once)");
    is_field(ev, "place", "{\"name\":\"Pottstown, Pennsylvania, United States\",\"city\":"
             "\"Pottstown\",\"country\":\"US\",\"lat\":40.2454,\"lon\":-75.6496}", "1.0 043");
    is_field(ev, "sources", "[{\"url\":\"http://www.pennlive.com/news/2016/07/"
             "trumps_three_messages_for_pa_i.html\"}]", "1.0 043");
    is_field(ev, "extra.gdelt.version", "1", "1.0 043");
    is_field(ev, "extra.gdelt.date_added", "\"20160728\"", "1.0 043");
    is_field(ev, "start", "\"2016-07-28\"", "1.0 043 (the day it was added: certain)");
    is_field(ev, "tags", "[\"gdelt\"]", "1.0 043");
    is_field(ev, "extra.gdelt.actor1.type1", "\"EDU\"", "1.0 043");
    json_decref(ev);

    ev = map(row_v1_old, reason);
    ok(ev != NULL, "a GDELT 1.0 row of 57 columns maps (%s)", reason);
    is_field(ev, "kind", "\"other\"", "1.0 1312");
    is_field(ev, "cameo", "\"1312\"", "1.0 1312");
    is_field(ev, "title", "\"CANADA \u2192 POLAND: Threaten non-force\"", "1.0 1312 (named by 131)");
    is_field(ev, "start", "\"1982-01-02\"", "1.0 1312");
    is_field(ev, "countries", "[\"CA\",\"PL\"]", "1.0 1312");
    is_field(ev, "place", "{\"name\":\"Canada\",\"country\":\"CA\",\"lat\":60.0,\"lon\":-95.0}",
             "1.0 1312 (a country match has no city)");
    ok(json_object_get(ev, "sources") == NULL, "1.0 1312: no sources without SOURCEURL");
    json_decref(ev);

    /* SQLDATE exactly a month or a year before DATEADDED (YYYYMMDDHHMMSS
     * in 2.0, YYYYMMDD in 1.0) is kept as an uncertain day; any other gap,
     * or a DATEADDED that is no date, leaves the day certain. */
    static const struct { int v2; const char *sqldate, *added, *start; } dates[] = {
        { 1, "20191024", "20191024143000", "\"2019-10-24\"" },
        { 1, "20191023", "20191024143000", "\"2019-10-23\"" },
        { 1, "20190923", "20191024143000", "\"2019-09-23\"" },
        { 1, "20181025", "20191024143000", "\"2018-10-25\"" },
        { 1, "20171024", "20191024143000", "\"2017-10-24\"" },
        { 1, "20190824", "20191024143000", "\"2019-08-24\"" },
        { 1, "20191224", "20200124000000", "\"2019-12-24?\"" },
        { 1, "20190124", "20200124000000", "\"2019-01-24?\"" },
        { 1, "20191024", "2019x024143000", "\"2019-10-24\"" },
        { 1, "20181024", "", "\"2018-10-24\"" },
        { 0, "20160628", "20160728", "\"2016-06-28?\"" },
        { 0, "20150728", "20160728", "\"2015-07-28?\"" },
        { 0, "20160627", "20160728", "\"2016-06-27\"" },
    };
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        const char *row = dates[i].v2 ? row_v2_057 : row_v1_043;
        char *t = with_column(row, 1, dates[i].sqldate);
        char *u = with_column(t, dates[i].v2 ? 59 : 56, dates[i].added);
        char name[96];
        snprintf(name, sizeof name, "SQLDATE %s, DATEADDED '%s'", dates[i].sqldate,
                 dates[i].added);
        ev = map(u, reason);
        is_field(ev, "start", dates[i].start, name);
        int suspect = strchr(dates[i].start, '?') != NULL;
        is_field(ev, "tags", suspect ? "[\"gdelt\",\"gdelt-date-suspect\"]" : "[\"gdelt\"]", name);
        char added[32];
        snprintf(added, sizeof added, "\"%s\"", dates[i].added);
        is_field(ev, "extra.gdelt.date_added", dates[i].added[0] ? added : NULL, name);
        json_decref(ev);
        free(t);
        free(u);
    }

    /* Rows refused, each with the column it is about. */
    char *bad;
    refused("1\t2\t3", "3 tab-separated columns", "a short row");
    bad = malloc(strlen(row_v2_057) + 2);
    strcpy(bad, row_v2_057);
    strcat(bad, "\t");
    refused(bad, "62 tab-separated columns", "a row of 62 columns");
    free(bad);
    bad = with_column(row_v2_057, 0, "88199x");
    refused(bad, "GLOBALEVENTID: '88199x' is not a number", "a bad GLOBALEVENTID");
    free(bad);
    bad = with_column(row_v2_057, 0, "");
    refused(bad, "GLOBALEVENTID", "an empty GLOBALEVENTID");
    free(bad);
    bad = with_column(row_v2_057, 1, "20190231");
    refused(bad, "SQLDATE: '20190231' is not a valid date", "February 31st");
    free(bad);
    bad = with_column(row_v2_057, 1, "2019-10-24");
    refused(bad, "SQLDATE: '2019-10-24' is not a date YYYYMMDD", "a dashed SQLDATE");
    free(bad);
    bad = with_column(row_v2_057, 1, "20191324");
    refused(bad, "SQLDATE: '20191324' is not a valid date", "month 13");
    free(bad);
    bad = with_column(row_v2_057, 26, "05x");
    refused(bad, "EventCode: '05x' is not a CAMEO event code", "a bad EventCode");
    free(bad);
    bad = with_column(row_v2_057, 56, "91.5");
    refused(bad, "ActionGeo_Lat: 91.5 is outside -90..90", "a latitude out of range");
    free(bad);
    bad = with_column(row_v2_057, 57, "east");
    refused(bad, "ActionGeo_Long: 'east' is not a number", "a longitude that is no number");
    free(bad);
    bad = with_column(row_v2_057, 16, "TH\xff EU");
    refused(bad, "Actor2Name: not valid UTF-8", "an actor name that is not UTF-8");
    free(bad);
    bad = with_column(row_v1_old, 54, "-200");
    refused(bad, "ActionGeo_Long: -200 is outside -180..180", "a 1.0 longitude out of range");
    free(bad);

    /* An unknown actor country and an unknown FIPS code add no country. */
    bad = with_column(row_v2_042, 7, "WST");
    char *bad2 = with_column(bad, 53, "OS");
    ev = map(bad2, reason);
    is_field(ev, "countries", "[\"SA\"]", "WST (the West) and FIPS OS (oceans) name no country");
    is_field(ev, "place.country", NULL, "no place.country for FIPS OS");
    is_field(ev, "extra.gdelt.action_geo.country", "\"OS\"", "FIPS OS is kept raw in extra");
    json_decref(ev);
    free(bad2);
    /* YI, Serbia and Montenegro (dissolved in 2006), has no ISO code today. */
    bad2 = with_column(bad, 53, "YI");
    ev = map(bad2, reason);
    is_field(ev, "place.country", NULL, "no place.country for FIPS YI");
    is_field(ev, "extra.gdelt.action_geo.country", "\"YI\"", "FIPS YI is kept raw in extra");
    json_decref(ev);
    free(bad);
    free(bad2);

    return done_testing();
}
