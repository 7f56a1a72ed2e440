/* timeline.c: the document annals render embeds in its page: events and
 * where to draw them (timeline.h). */
#include <stdio.h>
#include <string.h>

#include "client/timeline.h"
#include "proto/edtf.h"

static const char *const timeline_precisions[] = {
    [EDTF_YEAR] = "year", [EDTF_MONTH] = "month", [EDTF_DAY] = "day",
    [EDTF_MINUTE] = "minute", [EDTF_SECOND] = "second"
};

/* The instant (ms) a window's date opens (hi unset) or closes (hi set) at:
 * the date's earliest start or latest end, as the server reads it. NULL when
 * the date is absent or not one the client can read. */
static json_t *timeline_window_edge(const char *date, int hi)
{
    char err[128];
    if (!date)
        return NULL;
    json_t *draw = timeline_draw(date, NULL, err, sizeof err);
    if (!draw)
        return NULL;
    json_t *t = json_incref(json_object_get(draw, hi ? "hi" : "lo"));
    json_decref(draw);
    return t;
}

json_t *timeline_new(const char *title, const char *from, const char *to)
{
    return json_pack("{s:s, s:s?, s:s?, s:o*, s:o*, s:[]}", "title", title, "from", from,
                     "to", to, "window_lo", timeline_window_edge(from, 0),
                     "window_hi", timeline_window_edge(to, 1), "events");
}

/* An instant as JavaScript wants it: milliseconds. */
static json_t *timeline_ms(edtf_time t)
{
    return json_integer((json_int_t)t * 1000);
}

/* Parse s as a date of the profile; when plain is set, as if it had no
 * qualifier (a qualifier is always the last character). */
static int timeline_parse(const char *s, int plain, edtf_date *d, char *err, size_t errlen)
{
    size_t len = strlen(s);
    if (plain && len && strchr("?~%", s[len - 1]))
        len--;
    return edtf_parse(s, len, d, err, errlen);
}

json_t *timeline_draw(const char *start, const char *end, char *err, size_t errlen)
{
    edtf_date s, e, ps, pe;
    edtf_bounds_t b;
    char why[128];

    if (!start) {
        snprintf(err, errlen, "no start");
        return NULL;
    }
    if (timeline_parse(start, 0, &s, why, sizeof why) < 0 ||
        timeline_parse(start, 1, &ps, why, sizeof why) < 0) {
        snprintf(err, errlen, "start: %s", why);
        return NULL;
    }
    if (end && (timeline_parse(end, 0, &e, why, sizeof why) < 0 ||
                timeline_parse(end, 1, &pe, why, sizeof why) < 0)) {
        snprintf(err, errlen, "end: %s", why);
        return NULL;
    }
    if (!end) {
        e = s;
        pe = ps;
    }
    if (edtf_bounds(&s, &e, &b, why, sizeof why) < 0) {
        snprintf(err, errlen, "end: %s", why);
        return NULL;
    }
    /* The qualifier-free extent, kept inside the bounds: an end before its
     * start is clamped there as edtf_bounds clamps. */
    edtf_time core_lo = ps.lo, core_hi = pe.hi < core_lo ? core_lo : pe.hi;
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:s}",
                     "lo", timeline_ms(b.start_lo),
                     "start_hi", timeline_ms(b.start_hi + 1),
                     "end_lo", timeline_ms(b.end_lo),
                     "hi", timeline_ms(b.end_hi + 1),
                     "core_lo", timeline_ms(core_lo),
                     "core_hi", timeline_ms(core_hi + 1),
                     "start_precision", timeline_precisions[s.precision],
                     "end_precision", timeline_precisions[e.precision]);
}

int timeline_add(json_t *doc, json_t *ev, char *err, size_t errlen)
{
    json_t *draw = timeline_draw(json_string_value(json_object_get(ev, "start")),
                                 json_string_value(json_object_get(ev, "end")), err, errlen);
    if (!draw)
        return -1;
    json_array_append_new(json_object_get(doc, "events"),
                          json_pack("{s:O, s:o}", "event", ev, "draw", draw));
    return 0;
}

void timeline_set_total(json_t *doc, size_t total)
{
    json_object_set_new(doc, "total", json_integer((json_int_t)total));
}

size_t timeline_count(const json_t *doc)
{
    return json_array_size(json_object_get(doc, "events"));
}
