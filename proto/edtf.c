/* edtf.c: the EDTF date profile of edtf.h: a strict parser with precise
 * messages, bounds at each precision, certainty against windows, and the
 * canonical text form. Pure: no allocation, no locale, no time zone data. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proto/edtf.h"

#define SECS_PER_DAY 86400

/* How much of the input an error message quotes: enough to recognise a date
 * (the longest valid one is 25 bytes), short enough that a hostile megabyte
 * of text does not travel back in an error. */
#define QUOTE_BYTES 40
/* Each quoted byte may become "\xNN"; then "..." and the NUL. */
#define QUOTE_MAX (QUOTE_BYTES * 4 + 4)

static const char *const month_names[12] = {
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December"
};

/* ---- calendar ---------------------------------------------------------- */

static int is_leap(int year)
{
    return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

static int days_in_month(int year, int month)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

/* Howard Hinnant's algorithm: count in 400-year eras starting on March 1st,
 * so the leap day is the last day of its year and the month lengths from
 * March repeat in a pattern (153 days per 5 months) a division can express. */
int64_t edtf_days_from_civil(int year, int month, int day)
{
    int64_t y = (int64_t)year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                   /* [0, 399] */
    int64_t mp = month > 2 ? month - 3 : month + 9;                /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + day - 1;                    /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

void edtf_civil_from_days(int64_t days, int *year, int *month, int *day)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                      /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)m;
    *year = (int)(yoe + era * 400 + (m <= 2));
}

/* The first instant of month index idx = year * 12 + (month - 1); idx may
 * step outside 0000-9999 when a qualifier widens, and the caller clamps. */
static edtf_time month_start(int64_t idx)
{
    int64_t y = idx >= 0 ? idx / 12 : (idx - 11) / 12;
    int m = (int)(idx - y * 12) + 1;
    return edtf_days_from_civil((int)y, m, 1) * SECS_PER_DAY;
}

static edtf_time clamp_time(edtf_time t)
{
    return t < EDTF_TIME_MIN ? EDTF_TIME_MIN : t > EDTF_TIME_MAX ? EDTF_TIME_MAX : t;
}

/* Fill d->lo and d->hi from its fields: the first and last instant at its
 * precision, one unit wider on each side when qualified. Years and months
 * are not a fixed number of seconds, so they step through month indices. */
static void set_bounds(edtf_date *d)
{
    int64_t w = d->qualifier ? 1 : 0;
    if (d->precision == EDTF_YEAR || d->precision == EDTF_MONTH) {
        int64_t step = d->precision == EDTF_YEAR ? 12 : 1;
        int64_t idx = (int64_t)d->year * 12 + (d->precision == EDTF_MONTH ? d->month - 1 : 0);
        d->lo = month_start(idx - w * step);
        d->hi = month_start(idx + step + w * step) - 1;
    } else {
        edtf_time unit = d->precision == EDTF_DAY ? SECS_PER_DAY
                       : d->precision == EDTF_MINUTE ? 60 : 1;
        edtf_time base = edtf_days_from_civil(d->year, d->month, d->day) * SECS_PER_DAY
                       + d->hour * 3600 + d->minute * 60 + d->second;
        d->lo = base - w * unit;
        d->hi = base + unit - 1 + w * unit;
    }
    d->lo = clamp_time(d->lo);
    d->hi = clamp_time(d->hi);
}

/* ---- formatting -------------------------------------------------------- */

/* Two digits at a time: every reply carries half a dozen instants per
 * event, and a division per digit showed in the profile of get. */
static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

static char *put_num(char *p, int v, int width)
{
    if (width == 2 && v >= 0 && v < 100) {
        memcpy(p, digit_pairs + 2 * v, 2);
        return p + 2;
    }
    if (width == 4 && v >= 0 && v < 10000) {
        memcpy(p, digit_pairs + 2 * (v / 100), 2);
        memcpy(p + 2, digit_pairs + 2 * (v % 100), 2);
        return p + 4;
    }
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

static char *put_datetime(char *p, int year, int month, int day, int hour, int minute,
                          int second, int with_seconds)
{
    p = put_num(p, year, 4);
    *p++ = '-';
    p = put_num(p, month, 2);
    *p++ = '-';
    p = put_num(p, day, 2);
    *p++ = 'T';
    p = put_num(p, hour, 2);
    *p++ = ':';
    p = put_num(p, minute, 2);
    if (with_seconds) {
        *p++ = ':';
        p = put_num(p, second, 2);
    }
    *p++ = 'Z';
    return p;
}

size_t edtf_format(const edtf_date *d, char *buf)
{
    char *p = buf;
    if (d->precision >= EDTF_MINUTE) {
        /* A date-time never carries a qualifier (edtf_parse rejects one), so
         * none is written: the output must parse back. */
        p = put_datetime(p, d->year, d->month, d->day, d->hour, d->minute, d->second,
                         d->precision == EDTF_SECOND);
    } else {
        p = put_num(p, d->year, 4);
        if (d->precision >= EDTF_MONTH) {
            *p++ = '-';
            p = put_num(p, d->month, 2);
        }
        if (d->precision >= EDTF_DAY) {
            *p++ = '-';
            p = put_num(p, d->day, 2);
        }
        if (d->qualifier == (EDTF_UNCERTAIN | EDTF_APPROXIMATE))
            *p++ = '%';
        else if (d->qualifier == EDTF_UNCERTAIN)
            *p++ = '?';
        else if (d->qualifier == EDTF_APPROXIMATE)
            *p++ = '~';
    }
    *p = '\0';
    return (size_t)(p - buf);
}

size_t edtf_format_instant(edtf_time t, char *buf)
{
    /* The buffer has room for a 4-digit year only, so an instant outside the
     * representable range is written as the nearest one. */
    t = clamp_time(t);
    int64_t days = t >= 0 ? t / SECS_PER_DAY : (t - (SECS_PER_DAY - 1)) / SECS_PER_DAY;
    int secs = (int)(t - days * SECS_PER_DAY);
    int y, m, d;
    edtf_civil_from_days(days, &y, &m, &d);
    char *p = put_datetime(buf, y, m, d, secs / 3600, secs / 60 % 60, secs % 60, 1);
    *p = '\0';
    return (size_t)(p - buf);
}

/* ---- error messages ---------------------------------------------------- */

/* Quote s[0..len) for a message: at most QUOTE_BYTES bytes, then "...";
 * anything but printable ASCII (and the backslash, to keep the escapes
 * unambiguous) as \xNN, so no raw control or invalid UTF-8 byte reaches a
 * terminal or a msgpack string. */
static void quote(char *q, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = len > QUOTE_BYTES ? QUOTE_BYTES : len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            *q++ = (char)c;
        } else {
            *q++ = '\\';
            *q++ = 'x';
            *q++ = hex[c >> 4];
            *q++ = hex[c & 15];
        }
    }
    if (n < len) {
        *q++ = '.';
        *q++ = '.';
        *q++ = '.';
    }
    *q = '\0';
}

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static int fail(char *err, size_t errlen, const char *s, size_t len, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return -1;
    char q[QUOTE_MAX];
    quote(q, s, len);
    int n = snprintf(err, errlen, "'%s' ", q);
    if (n >= 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- parsing ----------------------------------------------------------- */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_qualifier(char c)
{
    return c == '?' || c == '~' || c == '%';
}

static size_t digit_run(const char *s, size_t len, size_t pos)
{
    size_t n = 0;
    while (pos + n < len && is_digit(s[pos + n]))
        n++;
    return n;
}

static int num(const char *s, size_t pos, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[pos + i] - '0');
    return v;
}

/* The message for a field that lacks its digits: EDTF's unspecified digits
 * ("19XX") get their own, since they are valid EDTF that annals does not
 * support rather than a typo. */
static int fail_digits(char *err, size_t errlen, const char *s, size_t len, size_t pos,
                       size_t want, const char *field)
{
    for (size_t i = pos; i < len && i < pos + want; i++)
        if (s[i] == 'X')
            return fail(err, errlen, s, len,
                        "is not a supported date: unspecified digits (X) are not supported");
    return fail(err, errlen, s, len, "is not an EDTF date: the %s needs %zu digits",
                field, want);
}

static int fail_time(char *err, size_t errlen, const char *s, size_t len)
{
    return fail(err, errlen, s, len,
                "is not a valid date-time: expected hh:mm or hh:mm:ss after the T");
}

static int fail_qualified_datetime(char *err, size_t errlen, const char *s, size_t len)
{
    return fail(err, errlen, s, len,
                "is a date-time, which cannot take a qualifier (? ~ %% apply to dates only)");
}

/* Parse the time and zone from s[pos..len) (just after the 'T') into d, then
 * bring d to UTC. d holds the date part already. */
static int parse_time(const char *s, size_t len, size_t pos, edtf_date *d,
                      char *err, size_t errlen)
{
    if (digit_run(s, len, pos) != 2)
        return fail_time(err, errlen, s, len);
    d->hour = num(s, pos, 2);
    pos += 2;
    if (pos >= len || s[pos] != ':' || digit_run(s, len, pos + 1) != 2)
        return fail_time(err, errlen, s, len);
    d->minute = num(s, pos + 1, 2);
    pos += 3;
    d->precision = EDTF_MINUTE;
    if (pos < len && s[pos] == ':') {
        if (digit_run(s, len, pos + 1) != 2)
            return fail_time(err, errlen, s, len);
        d->second = num(s, pos + 1, 2);
        pos += 3;
        d->precision = EDTF_SECOND;
    }
    if (pos < len && (s[pos] == '.' || s[pos] == ','))
        return fail(err, errlen, s, len, "has fractional seconds, which are not supported");
    if (d->hour > 23)
        return fail(err, errlen, s, len, "is not a valid hour");
    if (d->minute > 59)
        return fail(err, errlen, s, len, "is not a valid minute");
    if (d->second == 60)
        return fail(err, errlen, s, len,
                    "is not a valid second (leap seconds are not supported)");
    if (d->second > 59)
        return fail(err, errlen, s, len, "is not a valid second");

    if (pos >= len)
        return fail(err, errlen, s, len,
                    "needs a zone designator (Z for UTC or an offset such as +01:00)");
    int offset = 0; /* minutes east of UTC */
    if (s[pos] == 'Z') {
        pos++;
    } else if (s[pos] == '+' || s[pos] == '-') {
        int sign = s[pos] == '-' ? -1 : 1;
        size_t n = digit_run(s, len, pos + 1);
        int oh, om = 0;
        if (n == 2 && pos + 3 < len && s[pos + 3] == ':') {
            if (digit_run(s, len, pos + 4) != 2)
                goto bad_offset;
            oh = num(s, pos + 1, 2);
            om = num(s, pos + 4, 2);
            pos += 6;
        } else if (n == 4) {
            oh = num(s, pos + 1, 2);
            om = num(s, pos + 3, 2);
            pos += 5;
        } else if (n == 2) {
            oh = num(s, pos + 1, 2);
            pos += 3;
        } else {
            goto bad_offset;
        }
        if (oh > 23 || om > 59)
            return fail(err, errlen, s, len,
                        "is not a valid zone offset: it must lie between -23:59 and +23:59");
        offset = sign * (oh * 60 + om);
    } else if (is_qualifier(s[pos])) {
        return fail_qualified_datetime(err, errlen, s, len);
    } else {
        return fail(err, errlen, s, len,
                    "has an unknown zone designator: use Z for UTC or an offset such as +01:00");
    }
    if (pos < len) {
        if (is_qualifier(s[pos]))
            return fail_qualified_datetime(err, errlen, s, len);
        return fail(err, errlen, s, len, "has unexpected text after the date-time");
    }

    edtf_time t = edtf_days_from_civil(d->year, d->month, d->day) * SECS_PER_DAY
                + d->hour * 3600 + d->minute * 60 + d->second - (edtf_time)offset * 60;
    if (t < EDTF_TIME_MIN)
        return fail(err, errlen, s, len, "is before 0000-01-01T00:00:00Z in UTC");
    if (t > EDTF_TIME_MAX)
        return fail(err, errlen, s, len, "is after 9999-12-31T23:59:59Z in UTC");
    int64_t days = t >= 0 ? t / SECS_PER_DAY : (t - (SECS_PER_DAY - 1)) / SECS_PER_DAY;
    int secs = (int)(t - days * SECS_PER_DAY);
    edtf_civil_from_days(days, &d->year, &d->month, &d->day);
    d->hour = secs / 3600;
    d->minute = secs / 60 % 60;
    d->second = secs % 60;
    return 0;

bad_offset:
    return fail(err, errlen, s, len,
                "is not a valid zone offset: expected Z, +hh:mm, +hhmm or +hh (or with -)");
}

int edtf_parse(const char *s, size_t len, edtf_date *out, char *err, size_t errlen)
{
    edtf_date d = { 0 };
    size_t pos = 0;

    if (len == 0)
        return fail(err, errlen, s, len, "is empty");
    size_t n = digit_run(s, len, 0);
    if (n == 0) {
        if (s[0] == '-' && digit_run(s, len, 1) > 0)
            return fail(err, errlen, s, len,
                        "is not a supported date: years before 0000 are not supported");
        if (s[0] == 'Y')
            return fail(err, errlen, s, len,
                        "is not a supported date: years after 9999 are not supported");
        if (s[0] == 'X')
            return fail_digits(err, errlen, s, len, 0, 4, "year");
        return fail(err, errlen, s, len, "is not an EDTF date: it must start with a 4-digit year");
    }
    if (n != 4)
        return fail_digits(err, errlen, s, len, 0, 4, "year");
    d.year = num(s, 0, 4);
    d.precision = EDTF_YEAR;
    pos = 4;

    if (pos < len && s[pos] == '-') {
        pos++;
        if (digit_run(s, len, pos) != 2)
            return fail_digits(err, errlen, s, len, pos, 2, "month");
        d.month = num(s, pos, 2);
        if (d.month < 1 || d.month > 12)
            return fail(err, errlen, s, len, "is not a valid month");
        pos += 2;
        d.precision = EDTF_MONTH;

        if (pos < len && s[pos] == '-') {
            pos++;
            if (digit_run(s, len, pos) != 2)
                return fail_digits(err, errlen, s, len, pos, 2, "day");
            d.day = num(s, pos, 2);
            int mdays = days_in_month(d.year, d.month);
            if (d.day < 1 || d.day > mdays)
                return fail(err, errlen, s, len, "is not a valid day (%s %04d has %d days)",
                            month_names[d.month - 1], d.year, mdays);
            pos += 2;
            d.precision = EDTF_DAY;

            if (pos < len && s[pos] == 'T') {
                if (parse_time(s, len, pos + 1, &d, err, errlen) < 0)
                    return -1;
                set_bounds(&d);
                *out = d;
                return 0;
            }
            if (pos + 1 < len && (s[pos] == ' ' || s[pos] == 't') && is_digit(s[pos + 1]))
                return fail(err, errlen, s, len,
                            "is not an EDTF date-time: separate the date and the time with T");
        }
    }
    if (pos < len && (s[pos] == 'T' || s[pos] == 't'))
        return fail(err, errlen, s, len,
                    "is not an EDTF date-time: a time needs a full date (YYYY-MM-DD) before the T");

    if (pos < len && is_qualifier(s[pos])) {
        d.qualifier = s[pos] == '?' ? EDTF_UNCERTAIN
                    : s[pos] == '~' ? EDTF_APPROXIMATE
                    : EDTF_UNCERTAIN | EDTF_APPROXIMATE;
        pos++;
        if (pos < len && is_qualifier(s[pos]))
            return fail(err, errlen, s, len,
                        "has more than one qualifier (use %% for uncertain and approximate)");
    }
    if (pos < len) {
        if (s[pos] == '/')
            return fail(err, errlen, s, len,
                        "is an interval: give its start and its end as separate dates");
        return fail(err, errlen, s, len, "has unexpected text after the date");
    }
    set_bounds(&d);
    *out = d;
    return 0;
}

/* ---- events and windows ------------------------------------------------ */

int edtf_bounds(const edtf_date *start, const edtf_date *end, edtf_bounds_t *out,
                char *err, size_t errlen)
{
    if (end == NULL)
        end = start;
    if (end->hi < start->lo) {
        if (err != NULL && errlen > 0) {
            char a[EDTF_FORMAT_MAX], b[EDTF_FORMAT_MAX];
            edtf_format(end, a);
            edtf_format(start, b);
            snprintf(err, errlen, "'%s' is before start '%s'", a, b);
        }
        return -1;
    }
    out->start_lo = start->lo;
    out->start_hi = start->hi < end->hi ? start->hi : end->hi;
    out->end_lo = end->lo > start->lo ? end->lo : start->lo;
    out->end_hi = end->hi;
    return 0;
}

int edtf_window(const edtf_date *from, const edtf_date *to, edtf_time *lo, edtf_time *hi,
                char *err, size_t errlen)
{
    edtf_time l = from ? from->lo : EDTF_TIME_MIN;
    edtf_time h = to ? to->hi : EDTF_TIME_MAX;
    if (h < l) {
        /* Only possible when both sides are given: an open side is the
         * extreme instant, which no date lies beyond. */
        if (err != NULL && errlen > 0) {
            char a[EDTF_FORMAT_MAX], b[EDTF_FORMAT_MAX];
            edtf_format(to, a);
            edtf_format(from, b);
            snprintf(err, errlen, "to '%s' is before from '%s'", a, b);
        }
        return -1;
    }
    *lo = l;
    *hi = h;
    return 0;
}

int edtf_overlaps(const edtf_bounds_t *b, edtf_time lo, edtf_time hi)
{
    return b->start_lo <= hi && b->end_hi >= lo;
}

int edtf_within(const edtf_bounds_t *b, edtf_time lo, edtf_time hi)
{
    return b->start_lo >= lo && b->end_hi <= hi;
}

edtf_certainty edtf_certainty_of(const edtf_bounds_t *b, edtf_time lo, edtf_time hi)
{
    return b->start_hi <= hi && b->end_lo >= lo ? EDTF_CERTAIN : EDTF_POSSIBLE;
}
