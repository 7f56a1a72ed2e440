/* edtf.h: dates in the EDTF profile of ISO 8601 that annals accepts (level 0
 * plus the level-1 qualifiers ? ~ %), their bounds in UTC seconds, the
 * certainty rule, and canonical formatting. Pure functions, no allocation. */
#ifndef ANNALS_EDTF_H
#define ANNALS_EDTF_H

#include <stddef.h>
#include <stdint.h>

/* Seconds since 1970-01-01T00:00:00Z, proleptic Gregorian, years 0000-9999. */
typedef int64_t edtf_time;

typedef enum {
    EDTF_YEAR = 1,   /* 2024 */
    EDTF_MONTH,      /* 2024-04 */
    EDTF_DAY,        /* 2024-04-08 */
    EDTF_MINUTE,     /* 2024-04-08T10:30Z */
    EDTF_SECOND      /* 2024-04-08T10:30:00Z */
} edtf_precision;

enum {
    EDTF_UNCERTAIN   = 1, /* '?' */
    EDTF_APPROXIMATE = 2  /* '~'; '%' sets both */
};

typedef struct {
    int year, month, day;          /* UTC; month/day are 0 when not given */
    int hour, minute, second;      /* UTC; 0 below minute/second precision */
    edtf_precision precision;
    unsigned qualifier;            /* EDTF_UNCERTAIN | EDTF_APPROXIMATE */
    edtf_time lo, hi;              /* earliest and latest instant, inclusive,
                                      widened by one unit of precision on each
                                      side when qualified */
} edtf_date;

/* The four bounds of an event: its start lies in [start_lo, start_hi] and its
 * end in [end_lo, end_hi]. Always start_lo <= start_hi, end_lo <= end_hi,
 * start_lo <= end_lo and start_hi <= end_hi after edtf_bounds(). */
typedef struct {
    edtf_time start_lo, start_hi, end_lo, end_hi;
} edtf_bounds_t;

typedef enum { EDTF_CERTAIN = 0, EDTF_POSSIBLE = 1 } edtf_certainty;

/* Longest canonical string edtf_format() writes, plus the NUL. */
#define EDTF_FORMAT_MAX 32
/* Length of an instant formatted by edtf_format_instant(), plus the NUL. */
#define EDTF_INSTANT_MAX 21

/* edtf_parse: parse s[0..len) (not NUL-terminated) into *out.
 * Accepted: YYYY, YYYY-MM, YYYY-MM-DD, each optionally followed by one of
 * ? ~ %; and YYYY-MM-DDThh:mm[:ss] followed by Z or an offset +hh:mm, -hh:mm,
 * +hhmm or +hh (normalised to UTC; no qualifier allowed on a date-time).
 * Returns 0, or -1 with a message in err (at most errlen bytes, NUL-terminated;
 * err may be NULL when errlen is 0) that quotes the input, e.g. "'2024-13' is
 * not a valid month"; *out is written only on success. */
int edtf_parse(const char *s, size_t len, edtf_date *out, char *err, size_t errlen);

/* edtf_format: the canonical string of d into buf (at least EDTF_FORMAT_MAX
 * bytes): precision and qualifier as parsed, date-times in UTC with 'Z'
 * ("2024-04-08T08:30:00Z", or "2024-04-08T08:30Z" at minute precision).
 * Returns the length written, excluding the NUL. */
size_t edtf_format(const edtf_date *d, char *buf);

/* edtf_format_instant: t as "YYYY-MM-DDThh:mm:ssZ" into buf (at least
 * EDTF_INSTANT_MAX bytes); a t outside [EDTF_TIME_MIN, EDTF_TIME_MAX] is
 * written as the nearest of the two. Returns the length, excluding the NUL. */
size_t edtf_format_instant(edtf_time t, char *buf);

/* edtf_bounds: the event bounds from its start and optional end (NULL means
 * the end is the start). The latest start is clamped to the latest end and
 * the earliest end to the earliest start, since an event cannot end before it
 * starts. Returns 0, or -1 with a message in err when the end lies wholly
 * before the start ("'2024-03' is before start '2024-04-08'"; the caller prefixes "end: "). */
int edtf_bounds(const edtf_date *start, const edtf_date *end, edtf_bounds_t *out,
                char *err, size_t errlen);

/* edtf_window: a query window from optional from/to dates: [from->lo, to->hi];
 * a NULL side is open (the smallest or largest representable instant).
 * Returns 0, or -1 with a message when to ends before from begins
 * ("to '2024-03' is before from '2024-04'"). */
int edtf_window(const edtf_date *from, const edtf_date *to, edtf_time *lo, edtf_time *hi,
                char *err, size_t errlen);

/* edtf_overlaps: whether an event with bounds b may meet [lo, hi]:
 * start_lo <= hi && end_hi >= lo. */
int edtf_overlaps(const edtf_bounds_t *b, edtf_time lo, edtf_time hi);

/* edtf_within: whether the event certainly lies inside [lo, hi]:
 * start_lo >= lo && end_hi <= hi. */
int edtf_within(const edtf_bounds_t *b, edtf_time lo, edtf_time hi);

/* edtf_certainty: for an event that may meet [lo, hi], EDTF_CERTAIN when it
 * meets the window whatever its imprecision (start_hi <= hi && end_lo >= lo),
 * EDTF_POSSIBLE otherwise. */
edtf_certainty edtf_certainty_of(const edtf_bounds_t *b, edtf_time lo, edtf_time hi);

/* The smallest and largest instants any date can have (0000-01-01T00:00:00Z
 * and 9999-12-31T23:59:59Z). */
#define EDTF_TIME_MIN ((edtf_time)-62167219200LL)
#define EDTF_TIME_MAX ((edtf_time)253402300799LL)

/* edtf_days_from_civil: days since 1970-01-01 of a proleptic Gregorian date. */
int64_t edtf_days_from_civil(int year, int month, int day);

/* edtf_civil_from_days: the inverse of edtf_days_from_civil. */
void edtf_civil_from_days(int64_t days, int *year, int *month, int *day);

#endif
