/* test_client_render_html.c: the page of annals render: event text cannot
 * break out of the JSON block or the title (</script>, <!--, <img onerror>,
 * U+2028/U+2029), the embedded JSON parses back to the document, the page
 * names no network resource, and every event is drawn over what its dates
 * allow (timeline_draw). */
#include <stdlib.h>
#include <string.h>

#include "client/render_html.h"
#include "client/timeline.h"
#include "proto/edtf.h"
#include "tests/unit/tap.h"

#define HOSTILE "</script><script>alert(1)</script><!-- <img src=x onerror=alert(2)> " \
                "& \xe2\x80\xa8|\xe2\x80\xa9"
#define DATA_OPEN "<script type=\"application/json\" id=\"annals-data\">"

static size_t count(const char *hay, size_t len, const char *needle)
{
    size_t n = 0, nl = strlen(needle);
    for (size_t i = 0; i + nl <= len; i++)
        if (strncasecmp(hay + i, needle, nl) == 0)
            n++;
    return n;
}

static char *text_of(const char *s)
{
    buf_t b;
    buf_init(&b);
    render_html_text(&b, s, strlen(s));
    buf_append(&b, "", 1);
    return buf_take(&b, NULL);
}

static void test_text(void)
{
    char *t = text_of("a&b<c>d\"e'f");
    is_str(t, "a&amp;b&lt;c&gt;d&quot;e&#39;f", "HTML text escapes & < > \" '");
    free(t);
    t = text_of("\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7");
    is_str(t, "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7", "Arabic text passes as it is");
    free(t);
}

static void test_json(void)
{
    json_t *v = json_pack("{s:s, s:[s, s], s:s}", "title", HOSTILE, "list", "<!--", "-->",
                          "ar", "\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a");
    buf_t b;
    buf_init(&b);
    render_html_json(&b, v);
    buf_append(&b, "", 1);
    ok(!strpbrk(b.data, "<>&"), "no < > & is left in the embedded JSON");
    ok(!strstr(b.data, "\xe2\x80\xa8") && !strstr(b.data, "\xe2\x80\xa9"),
       "U+2028 and U+2029 are escaped");
    ok(strstr(b.data, "\\u2028") && strstr(b.data, "\\u2029"), "as \\u2028 and \\u2029");
    ok(strstr(b.data, "\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a") != NULL,
       "Arabic stays UTF-8 (not \\u-escaped)");
    json_error_t err;
    json_t *back = json_loads(b.data, 0, &err);
    ok(back && json_equal(back, v), "the escaped JSON parses back to the same value");
    json_decref(back);
    json_decref(v);
    buf_release(&b);
}

static void test_page(void)
{
    const char *tpl = (const char *)render_html_template;
    size_t tlen = render_html_template_len;
    ok(tlen > 1000 && strlen(tpl) == tlen, "the template is compiled in (%zu bytes)", tlen);
    ok(count(tpl, tlen, RENDER_HTML_DATA) == 1, "the template has one data placeholder");
    ok(strstr(tpl, "'sha256-") != NULL, "the template's policy names its script's hash");
    ok(!strstr(tpl, "@ANNALS_SCRIPT_SHA256@"), "the hash placeholder was filled in at build time");

    json_t *doc = timeline_new(HOSTILE, "2024", "2025");
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:{s:s}}", "id", "x</script>", "kind", "meeting",
                           "title", HOSTILE, "start", "2024-04", "extra", "note", "<!--");
    char err[128];
    ok(timeline_add(doc, ev, err, sizeof err) == 0, "a hostile event is added to the document");
    buf_t b;
    buf_init(&b);
    render_html_page(&b, HOSTILE, doc);
    ok(count(b.data, b.len, "</script") == count(tpl, tlen, "</script"),
       "the page has no </script beyond the template's own");
    ok(count(b.data, b.len, "<script") == count(tpl, tlen, "<script"),
       "nor any <script of the data's");
    ok(count(b.data, b.len, "<!--") == count(tpl, tlen, "<!--"), "nor any <!--");
    ok(count(b.data, b.len, "<img") == count(tpl, tlen, "<img"), "nor any <img");
    ok(count(b.data, b.len, "@ANNALS_") == 0, "every placeholder is filled");
    ok(count(b.data, b.len, "http://") == 0 && count(b.data, b.len, "https://") == 0,
       "the page names no http:// or https:// resource");
    ok(count(b.data, b.len, "&lt;/script&gt;&lt;script&gt;alert(1)") == 2,
       "the title is written as text, twice (<title> and <h1>)");

    /* The JSON block, cut out as a browser would (up to the first </script>). */
    buf_append(&b, "", 1);
    char *open = strstr(b.data, DATA_OPEN);
    ok(open != NULL, "the page has the data block");
    if (open) {
        open += strlen(DATA_OPEN);
        char *close = strstr(open, "</script>");
        json_error_t jerr;
        json_t *back = close ? json_loadb(open, (size_t)(close - open), 0, &jerr) : NULL;
        ok(back && json_equal(back, doc), "the data block parses back to the document");
        ok(back && strcmp(json_string_value(json_object_get(json_object_get(json_array_get(
               json_object_get(back, "events"), 0), "event"), "title")), HOSTILE) == 0,
           "with the hostile title intact");
        json_decref(back);
    }
    buf_release(&b);
    json_decref(ev);
    json_decref(doc);
}

static int64_t ms(int y, int m, int d)
{
    return edtf_days_from_civil(y, m, d) * 86400000;
}

static void is_draw(const char *start, const char *end, int64_t lo, int64_t start_hi,
                    int64_t end_lo, int64_t hi, int64_t core_lo, int64_t core_hi,
                    const char *prec, const char *name)
{
    char err[128];
    json_t *d = timeline_draw(start, end, err, sizeof err);
    if (!ok(d != NULL, "%s: drawn", name)) {
        diag("%s", err);
        return;
    }
    is_int(json_integer_value(json_object_get(d, "lo")), lo, "%s: lo", name);
    is_int(json_integer_value(json_object_get(d, "start_hi")), start_hi, "%s: start_hi", name);
    is_int(json_integer_value(json_object_get(d, "end_lo")), end_lo, "%s: end_lo", name);
    is_int(json_integer_value(json_object_get(d, "hi")), hi, "%s: hi", name);
    is_int(json_integer_value(json_object_get(d, "core_lo")), core_lo, "%s: core_lo", name);
    is_int(json_integer_value(json_object_get(d, "core_hi")), core_hi, "%s: core_hi", name);
    is_str(json_string_value(json_object_get(d, "start_precision")), prec, "%s: precision", name);
    json_decref(d);
}

static void test_draw(void)
{
    int64_t apr = ms(2024, 4, 1), may = ms(2024, 5, 1);
    is_draw("2024-04", NULL, apr, may, apr, may, apr, may, "month",
            "a month-precision event spans its whole month");
    is_draw("2024", NULL, ms(2024, 1, 1), ms(2025, 1, 1), ms(2024, 1, 1), ms(2025, 1, 1),
            ms(2024, 1, 1), ms(2025, 1, 1), "year", "a year-precision event spans its year");
    is_draw("2024-05-17", NULL, ms(2024, 5, 17), ms(2024, 5, 18), ms(2024, 5, 17), ms(2024, 5, 18),
            ms(2024, 5, 17), ms(2024, 5, 18), "day", "a day-precision event spans its day");
    is_draw("2025-11-24", "2025-11-27", ms(2025, 11, 24), ms(2025, 11, 25), ms(2025, 11, 27),
            ms(2025, 11, 28), ms(2025, 11, 24), ms(2025, 11, 28), "day",
            "an interval is certain between its latest start and earliest end");
    is_draw("2020~", NULL, ms(2019, 1, 1), ms(2022, 1, 1), ms(2019, 1, 1), ms(2022, 1, 1),
            ms(2020, 1, 1), ms(2021, 1, 1), "year",
            "an approximate year is widened a year each side, its core is the year");
    is_draw("2024-04?", "2024-06", ms(2024, 3, 1), ms(2024, 6, 1), ms(2024, 6, 1), ms(2024, 7, 1),
            apr, ms(2024, 7, 1), "month", "an uncertain start month widens the start only");
    int64_t t = ms(2024, 4, 8) + (10 * 60 + 30) * 60000;
    is_draw("2024-04-08T10:30Z", NULL, t, t + 60000, t, t + 60000, t, t + 60000, "minute",
            "a minute-precision event spans its minute");
    is_draw("0000", NULL, (int64_t)EDTF_TIME_MIN * 1000, ms(1, 1, 1), (int64_t)EDTF_TIME_MIN * 1000,
            ms(1, 1, 1), (int64_t)EDTF_TIME_MIN * 1000, ms(1, 1, 1), "year", "year 0000");

    char err[128];
    json_t *d = timeline_draw("2024-13", NULL, err, sizeof err);
    ok(!d && strstr(err, "start: ") == err, "a bad start is refused: %s", err);
    d = timeline_draw("2024-04", "2024-03", err, sizeof err);
    ok(!d && strstr(err, "end: ") == err, "an end before the start is refused: %s", err);
    d = timeline_draw(NULL, NULL, err, sizeof err);
    ok(!d, "an event without a start is refused: %s", err);
    json_t *doc = timeline_new("t", NULL, NULL), *ev = json_pack("{s:s}", "id", "no-start");
    ok(timeline_add(doc, ev, err, sizeof err) < 0 && timeline_count(doc) == 0,
       "timeline_add refuses it and adds nothing");
    ok(json_is_null(json_object_get(doc, "from")) || !json_object_get(doc, "from"),
       "an open window has no from");
    json_decref(ev);
    json_decref(doc);
}

/* The window a document is made for: the instants it opens and closes at,
 * so that a page without events can still show it; and the total of a
 * window cut short by --limit. */
static void test_window(void)
{
    json_t *doc = timeline_new("t", "1900", "1901-06");
    is_int(json_integer_value(json_object_get(doc, "window_lo")), ms(1900, 1, 1),
           "window_lo is where FROM starts");
    is_int(json_integer_value(json_object_get(doc, "window_hi")), ms(1901, 7, 1),
           "window_hi is where TO ends (its whole month)");
    ok(!json_object_get(doc, "total"), "no total until one is set");
    timeline_set_total(doc, 123456);
    is_int(json_integer_value(json_object_get(doc, "total")), 123456, "timeline_set_total records it");
    json_decref(doc);
    doc = timeline_new("t", "2024~", NULL);
    ok(json_is_integer(json_object_get(doc, "window_lo")) && !json_object_get(doc, "window_hi"),
       "FROM alone: window_lo, no window_hi");
    json_decref(doc);
    doc = timeline_new("t", NULL, NULL);
    ok(!json_object_get(doc, "window_lo") && !json_object_get(doc, "window_hi"),
       "an open window: neither");
    json_decref(doc);
}

int main(void)
{
    test_text();
    test_json();
    test_page();
    test_draw();
    test_window();
    return done_testing();
}
