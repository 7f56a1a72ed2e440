/* timeline.h: the document that annals render embeds in its page: the
 * events as the server returned them, each with where to draw it, worked
 * out here with the protocol's own date rules (proto/edtf.h) so that the
 * page's script need not parse EDTF. */
#ifndef ANNALS_CLIENT_TIMELINE_H
#define ANNALS_CLIENT_TIMELINE_H

#include <stddef.h>
#include <jansson.h>

/* timeline_new: an empty document {"title", "from", "to", "window_lo",
 * "window_hi", "events": []}; from and to are the window as given (NULL:
 * open), window_lo and window_hi the instants (ms) it opens and closes at,
 * present when from or to is (so that a page without events can still show
 * its window). Returns a new reference. */
json_t *timeline_new(const char *title, const char *from, const char *to);

/* timeline_draw: where to draw an event, from its start and optional end
 * (EDTF strings): a new object of instants in milliseconds since
 * 1970-01-01T00:00:00Z, each end exclusive:
 *   lo, hi        the earliest start and the latest end (qualifiers included),
 *   start_hi      the latest start, end_lo the earliest end: between them
 *                 (when start_hi < end_lo) the event certainly went on,
 *   core_lo, core_hi  the same earliest start and latest end as if the
 *                 dates had no ? ~ % qualifier: what lies outside it is the
 *                 qualifier's widening,
 *   start_precision, end_precision  "year", "month", "day", "minute" or
 *                 "second".
 * Returns NULL with the reason in err when a date is not valid EDTF or the
 * end lies before the start. */
json_t *timeline_draw(const char *start, const char *end, char *err, size_t errlen);

/* timeline_add: append {"event": ev, "draw": timeline_draw(...)} to doc's
 * events (ev gains a reference). Returns 0, or -1 with the reason in err
 * when ev has no valid start/end. */
int timeline_add(json_t *doc, json_t *ev, char *err, size_t errlen);

/* timeline_set_total: record in doc ("total") that the window holds total
 * events, of which doc holds only the first ones (a render --limit). */
void timeline_set_total(json_t *doc, size_t total);

/* timeline_count: how many events doc holds. */
size_t timeline_count(const json_t *doc);

#endif
