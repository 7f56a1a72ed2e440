/* test_edtf.c: the EDTF profile of proto/edtf.h: every accepted form, the
 * rejections and their messages, bounds and their widening, UTC
 * normalisation, canonical formatting, event bounds, windows and certainty. */
#include <stdlib.h>
#include <string.h>

#include "proto/edtf.h"
#include "tests/unit/tap.h"

static int parse(const char *s, edtf_date *d)
{
    char err[256] = "";
    int rc = edtf_parse(s, strlen(s), d, err, sizeof err);
    if (rc != 0)
        diag("'%s' was rejected: %s", s, err);
    return rc;
}

static edtf_date must_parse(const char *s)
{
    edtf_date d;
    memset(&d, 0, sizeof d);
    parse(s, &d);
    return d;
}

/* Results of the formatters live in rotating buffers so that two of them can
 * sit in one assertion. */
static const char *instant(edtf_time t)
{
    static char buf[4][EDTF_INSTANT_MAX];
    static int i;
    i = (i + 1) % 4;
    edtf_format_instant(t, buf[i]);
    return buf[i];
}

static const char *canon(const char *s)
{
    static char buf[4][EDTF_FORMAT_MAX];
    static int i;
    i = (i + 1) % 4;
    edtf_date d = must_parse(s);
    edtf_format(&d, buf[i]);
    return buf[i];
}

static edtf_time at(const char *s)
{
    return must_parse(s).lo;
}

static void accepts(const char *s, edtf_precision prec, unsigned qual, const char *why)
{
    edtf_date d;
    memset(&d, 0, sizeof d);
    int rc = parse(s, &d);
    ok(rc == 0 && d.precision == prec && d.qualifier == qual,
       "%s: '%s' is accepted with its precision and qualifier", why, s);
}

static void rejects_n(const char *s, size_t len, const char *want, const char *why)
{
    char err[256] = "";
    edtf_date d;
    memset(&d, 0x5a, sizeof d);
    edtf_date before = d;
    int rc = edtf_parse(s, len, &d, err, sizeof err);
    ok(rc == -1 && memcmp(&d, &before, sizeof d) == 0,
       "%s: rejected, output left untouched", why);
    is_str(err, want, "%s: message names the problem", why);
}

static void rejects(const char *s, const char *want, const char *why)
{
    rejects_n(s, strlen(s), want, why);
}

static void bounds_are(const char *s, const char *lo, const char *hi, const char *why)
{
    edtf_date d = must_parse(s);
    is_str(instant(d.lo), lo, "%s: '%s' starts at %s", why, s, lo);
    is_str(instant(d.hi), hi, "%s: '%s' ends at %s", why, s, hi);
}

static void utc_is(const char *s, const char *want, const char *why)
{
    is_str(canon(s), want, "%s: '%s' is stored as %s", why, s, want);
}

static edtf_bounds_t event(const char *start, const char *end)
{
    edtf_date a = must_parse(start), b;
    edtf_bounds_t bb;
    char err[256] = "";
    memset(&bb, 0, sizeof bb);
    if (end)
        b = must_parse(end);
    if (edtf_bounds(&a, end ? &b : NULL, &bb, err, sizeof err) != 0)
        diag("event %s..%s rejected: %s", start, end ? end : "", err);
    return bb;
}

static void window(const char *from, const char *to, edtf_time *lo, edtf_time *hi)
{
    edtf_date a, b;
    char err[256] = "";
    if (from)
        a = must_parse(from);
    if (to)
        b = must_parse(to);
    if (edtf_window(from ? &a : NULL, to ? &b : NULL, lo, hi, err, sizeof err) != 0)
        diag("window %s..%s rejected: %s", from ? from : "", to ? to : "", err);
}

static void test_calendar(void)
{
    is_int(edtf_days_from_civil(1970, 1, 1), 0, "the epoch is day 0");
    is_int(edtf_days_from_civil(2000, 3, 1), 11017, "2000-03-01 is day 11017");
    is_int(edtf_days_from_civil(1969, 12, 31), -1, "the day before the epoch is day -1");
    is_int(edtf_days_from_civil(0, 1, 1) * 86400, EDTF_TIME_MIN,
           "0000-01-01 starts at EDTF_TIME_MIN");
    is_int(edtf_days_from_civil(9999, 12, 31) * 86400 + 86399, EDTF_TIME_MAX,
           "9999-12-31 ends at EDTF_TIME_MAX");

    /* Every day of the supported range, in order: the two conversions are
     * inverse and the days are consecutive across every month and leap day. */
    int bad = 0;
    int64_t expect = edtf_days_from_civil(0, 1, 1);
    for (int y = 0; y <= 9999 && !bad; y++) {
        for (int m = 1; m <= 12 && !bad; m++) {
            int len = m == 2 ? ((y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28)
                    : (m == 4 || m == 6 || m == 9 || m == 11) ? 30 : 31;
            for (int d = 1; d <= len; d++) {
                int64_t n = edtf_days_from_civil(y, m, d);
                int yy, mm, dd;
                edtf_civil_from_days(n, &yy, &mm, &dd);
                if (n != expect || yy != y || mm != m || dd != d) {
                    diag("%04d-%02d-%02d -> %lld -> %04d-%02d-%02d", y, m, d,
                         (long long)n, yy, mm, dd);
                    bad = 1;
                    break;
                }
                expect++;
            }
        }
    }
    ok(!bad, "every day of 0000-9999 converts to consecutive day numbers and back");

    int y, m, d;
    edtf_civil_from_days(-719529, &y, &m, &d);
    ok(y == -1 && m == 12 && d == 31, "the day before 0000-01-01 is -0001-12-31");
}

static void test_forms(void)
{
    accepts("2024", EDTF_YEAR, 0, "year");
    accepts("2024-04", EDTF_MONTH, 0, "month");
    accepts("2024-04-08", EDTF_DAY, 0, "day");
    accepts("2024?", EDTF_YEAR, EDTF_UNCERTAIN, "? marks a year uncertain");
    accepts("2024~", EDTF_YEAR, EDTF_APPROXIMATE, "~ marks a year approximate");
    accepts("2024%", EDTF_YEAR, EDTF_UNCERTAIN | EDTF_APPROXIMATE, "% marks a year both");
    accepts("2024-04?", EDTF_MONTH, EDTF_UNCERTAIN, "? on a month");
    accepts("2024-04~", EDTF_MONTH, EDTF_APPROXIMATE, "~ on a month");
    accepts("2024-04%", EDTF_MONTH, EDTF_UNCERTAIN | EDTF_APPROXIMATE, "% on a month");
    accepts("2024-04-08?", EDTF_DAY, EDTF_UNCERTAIN, "? on a day");
    accepts("2024-04-08~", EDTF_DAY, EDTF_APPROXIMATE, "~ on a day");
    accepts("2024-04-08%", EDTF_DAY, EDTF_UNCERTAIN | EDTF_APPROXIMATE, "% on a day");
    accepts("2024-04-08T10:30Z", EDTF_MINUTE, 0, "date-time to the minute in UTC");
    accepts("2024-04-08T10:30:15Z", EDTF_SECOND, 0, "date-time to the second in UTC");
    accepts("2024-04-08T10:30+02:00", EDTF_MINUTE, 0, "offset +hh:mm");
    accepts("2024-04-08T10:30-02:00", EDTF_MINUTE, 0, "offset -hh:mm");
    accepts("2024-04-08T10:30:15+0200", EDTF_SECOND, 0, "offset +hhmm");
    accepts("2024-04-08T10:30:15-0200", EDTF_SECOND, 0, "offset -hhmm");
    accepts("2024-04-08T10:30+02", EDTF_MINUTE, 0, "offset +hh");
    accepts("2024-04-08T10:30-02", EDTF_MINUTE, 0, "offset -hh");
    accepts("2024-04-08T10:30+23:59", EDTF_MINUTE, 0, "the largest offset east");
    accepts("2024-04-08T10:30-23:59", EDTF_MINUTE, 0, "the largest offset west");
    accepts("2024-04-08T00:00:00Z", EDTF_SECOND, 0, "midnight");
    accepts("2024-04-08T23:59:59Z", EDTF_SECOND, 0, "the last second of a day");

    edtf_date d = must_parse("2024-04");
    ok(d.year == 2024 && d.month == 4 && d.day == 0 && d.hour == 0,
       "a month leaves the day at 0");
    d = must_parse("2024");
    ok(d.year == 2024 && d.month == 0 && d.day == 0, "a year leaves month and day at 0");
    d = must_parse("2024-04-08T10:30:15Z");
    ok(d.year == 2024 && d.month == 4 && d.day == 8 && d.hour == 10 && d.minute == 30
       && d.second == 15, "a date-time fills every field");

    /* The input is s[0..len): neither a NUL nor what follows len is read. */
    char raw[4] = { '2', '0', '2', '4' };
    memset(&d, 0, sizeof d);
    ok(edtf_parse(raw, sizeof raw, &d, NULL, 0) == 0 && d.year == 2024,
       "an input without a NUL terminator is parsed from its length");
    memset(&d, 0, sizeof d);
    ok(edtf_parse("2024-04-08", 7, &d, NULL, 0) == 0 && d.precision == EDTF_MONTH,
       "only len bytes are parsed");
}

static void test_leap_years(void)
{
    accepts("2024-02-29", EDTF_DAY, 0, "leap year divisible by 4");
    accepts("2000-02-29", EDTF_DAY, 0, "leap year divisible by 400");
    accepts("0000-02-29", EDTF_DAY, 0, "year 0000 is a leap year");
    accepts("2024-01-31", EDTF_DAY, 0, "January has 31 days");
    accepts("2024-04-30", EDTF_DAY, 0, "April has 30 days");
    accepts("2024-12-31", EDTF_DAY, 0, "December has 31 days");
    rejects("2023-02-29", "'2023-02-29' is not a valid day (February 2023 has 28 days)",
            "no 29 February in a common year");
    rejects("1900-02-29", "'1900-02-29' is not a valid day (February 1900 has 28 days)",
            "no 29 February in a century not divisible by 400");
    rejects("2024-02-30", "'2024-02-30' is not a valid day (February 2024 has 29 days)",
            "no 30 February even in a leap year");
    rejects("2024-04-31", "'2024-04-31' is not a valid day (April 2024 has 30 days)",
            "no 31 April");
    rejects("2024-01-32", "'2024-01-32' is not a valid day (January 2024 has 31 days)",
            "no 32 January");
    rejects("2024-01-00", "'2024-01-00' is not a valid day (January 2024 has 31 days)",
            "no day 00");
    bounds_are("2024-02", "2024-02-01T00:00:00Z", "2024-02-29T23:59:59Z",
               "February of a leap year has 29 days");
    bounds_are("2023-02", "2023-02-01T00:00:00Z", "2023-02-28T23:59:59Z",
               "February of a common year has 28 days");
    bounds_are("2024", "2024-01-01T00:00:00Z", "2024-12-31T23:59:59Z",
               "a leap year runs to 31 December");
}

static void test_rejections(void)
{
    rejects("", "'' is empty", "empty input");
    rejects("2024-13", "'2024-13' is not a valid month", "month 13");
    rejects("2024-00", "'2024-00' is not a valid month", "month 00");
    rejects("2024-21", "'2024-21' is not a valid month", "EDTF seasons are not months");
    rejects("24-01-01", "'24-01-01' is not an EDTF date: the year needs 4 digits",
            "two-digit year");
    rejects("20240", "'20240' is not an EDTF date: the year needs 4 digits", "five-digit year");
    rejects("2024-4", "'2024-4' is not an EDTF date: the month needs 2 digits",
            "one-digit month");
    rejects("2024-", "'2024-' is not an EDTF date: the month needs 2 digits",
            "dash without a month");
    rejects("2024-04-8", "'2024-04-8' is not an EDTF date: the day needs 2 digits",
            "one-digit day");
    rejects("2024-04-081", "'2024-04-081' is not an EDTF date: the day needs 2 digits",
            "three-digit day");
    rejects("abc", "'abc' is not an EDTF date: it must start with a 4-digit year",
            "text that is no date");
    rejects(" 2024", "' 2024' is not an EDTF date: it must start with a 4-digit year",
            "leading space");
    rejects("2024 ", "'2024 ' has unexpected text after the date", "trailing space");
    rejects("2024-04-08x", "'2024-04-08x' has unexpected text after the date",
            "trailing garbage after a day");
    rejects("2024-04x", "'2024-04x' has unexpected text after the date",
            "trailing garbage after a month");
    rejects("2024~x", "'2024~x' has unexpected text after the date",
            "trailing garbage after a qualifier");
    rejects("2024.04.08", "'2024.04.08' has unexpected text after the date",
            "dots as separators");
    rejects("2020~~", "'2020~~' has more than one qualifier (use % for uncertain and approximate)",
            "doubled qualifier");
    rejects("2020?~", "'2020?~' has more than one qualifier (use % for uncertain and approximate)",
            "two different qualifiers");
    rejects("2020/2021", "'2020/2021' is an interval: give its start and its end as separate dates",
            "EDTF interval");
    rejects("-0100", "'-0100' is not a supported date: years before 0000 are not supported",
            "negative year");
    rejects("Y12345", "'Y12345' is not a supported date: years after 9999 are not supported",
            "EDTF long year");
    rejects("19XX", "'19XX' is not a supported date: unspecified digits (X) are not supported",
            "unspecified year digits");
    rejects("2024-XX", "'2024-XX' is not a supported date: unspecified digits (X) are not supported",
            "unspecified month");

    rejects("2024-04-08T10:30",
            "'2024-04-08T10:30' needs a zone designator (Z for UTC or an offset such as +01:00)",
            "date-time to the minute without a zone");
    rejects("2024-04-08T10:30:00",
            "'2024-04-08T10:30:00' needs a zone designator (Z for UTC or an offset such as +01:00)",
            "date-time to the second without a zone");
    rejects("2024-04-08T10:30UTC",
            "'2024-04-08T10:30UTC' has an unknown zone designator: use Z for UTC or an offset such as +01:00",
            "zone abbreviation");
    rejects("2024-04-08T24:00Z", "'2024-04-08T24:00Z' is not a valid hour", "hour 24");
    rejects("2024-04-08T10:60Z", "'2024-04-08T10:60Z' is not a valid minute", "minute 60");
    rejects("2024-04-08T10:30:60Z",
            "'2024-04-08T10:30:60Z' is not a valid second (leap seconds are not supported)",
            "leap second");
    rejects("2024-04-08T10:30:61Z", "'2024-04-08T10:30:61Z' is not a valid second",
            "second 61");
    rejects("2024-04-08T10:30:00.5Z",
            "'2024-04-08T10:30:00.5Z' has fractional seconds, which are not supported",
            "fractional seconds");
    rejects("2024-04-08T10Z",
            "'2024-04-08T10Z' is not a valid date-time: expected hh:mm or hh:mm:ss after the T",
            "hour without minutes");
    rejects("2024-04-08T1030Z",
            "'2024-04-08T1030Z' is not a valid date-time: expected hh:mm or hh:mm:ss after the T",
            "basic-format time");
    rejects("2024-04-08T10:30:0Z",
            "'2024-04-08T10:30:0Z' is not a valid date-time: expected hh:mm or hh:mm:ss after the T",
            "one-digit seconds");
    rejects("2024-04-08T",
            "'2024-04-08T' is not a valid date-time: expected hh:mm or hh:mm:ss after the T",
            "T without a time");
    rejects("2024-04T10:30Z",
            "'2024-04T10:30Z' is not an EDTF date-time: a time needs a full date (YYYY-MM-DD) before the T",
            "time after a month");
    rejects("2024-04-08 10:30Z",
            "'2024-04-08 10:30Z' is not an EDTF date-time: separate the date and the time with T",
            "space between date and time");
    rejects("2024-04-08T10:30+24:00",
            "'2024-04-08T10:30+24:00' is not a valid zone offset: it must lie between -23:59 and +23:59",
            "offset of 24 hours");
    rejects("2024-04-08T10:30-01:60",
            "'2024-04-08T10:30-01:60' is not a valid zone offset: it must lie between -23:59 and +23:59",
            "offset minutes of 60");
    rejects("2024-04-08T10:30+1",
            "'2024-04-08T10:30+1' is not a valid zone offset: expected Z, +hh:mm, +hhmm or +hh (or with -)",
            "one-digit offset");
    rejects("2024-04-08T10:30+01:",
            "'2024-04-08T10:30+01:' is not a valid zone offset: expected Z, +hh:mm, +hhmm or +hh (or with -)",
            "offset cut after the colon");
    rejects("2024-04-08T10:30+013",
            "'2024-04-08T10:30+013' is not a valid zone offset: expected Z, +hh:mm, +hhmm or +hh (or with -)",
            "three-digit offset");
    rejects("2024-04-08T10:30Zjunk", "'2024-04-08T10:30Zjunk' has unexpected text after the date-time",
            "trailing garbage after a date-time");
    rejects("2024-04-08T10:30Z~",
            "'2024-04-08T10:30Z~' is a date-time, which cannot take a qualifier (? ~ % apply to dates only)",
            "qualifier after a zone");
    rejects("2024-04-08T10:30?",
            "'2024-04-08T10:30?' is a date-time, which cannot take a qualifier (? ~ % apply to dates only)",
            "qualifier instead of a zone");
    rejects("2024-04-08T10:30:00+01:00%",
            "'2024-04-08T10:30:00+01:00%' is a date-time, which cannot take a qualifier (? ~ % apply to dates only)",
            "qualifier after an offset");
}

static void test_messages(void)
{
    char long_input[200];
    memcpy(long_input, "2024-04-08", 10);
    memset(long_input + 10, 'x', sizeof long_input - 10);
    rejects_n(long_input, sizeof long_input,
              "'2024-04-08xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' has unexpected text after the date",
              "a long input is quoted to 40 bytes then ...");
    rejects_n("2024\x01", 5, "'2024\\x01' has unexpected text after the date",
              "a control byte is quoted as \\xNN");
    rejects_n("2024\0", 5, "'2024\\x00' has unexpected text after the date",
              "a NUL inside the input is quoted as \\x00");
    rejects_n("2024\xff\xfe", 6, "'2024\\xFF\\xFE' has unexpected text after the date",
              "invalid UTF-8 is quoted as \\xNN");
    rejects_n("2024-\xd9\xa1", 7,
              "'2024-\\xD9\\xA1' is not an EDTF date: the month needs 2 digits",
              "non-ASCII digits are not digits");
    rejects_n("2024\\", 5, "'2024\\x5C' has unexpected text after the date",
              "a backslash is escaped so escapes stay unambiguous");

    char small[8];
    edtf_date d;
    memset(small, '#', sizeof small);
    ok(edtf_parse("2024-13", 7, &d, small, sizeof small) == -1
       && strlen(small) == sizeof small - 1 && strncmp(small, "'2024-1", 7) == 0,
       "a short error buffer gets a truncated, NUL-terminated message");
    ok(edtf_parse("2024-13", 7, &d, NULL, 0) == -1, "no error buffer still fails cleanly");
    small[0] = 'z';
    ok(edtf_parse("2024-13", 7, &d, small, 0) == -1 && small[0] == 'z',
       "an error buffer of length 0 is not written");
}

static void test_utc(void)
{
    utc_is("2024-04-08T10:30:00+02:00", "2024-04-08T08:30:00Z", "an offset east is subtracted");
    utc_is("2024-04-08T10:30:00-05:30", "2024-04-08T16:00:00Z", "an offset west is added");
    utc_is("2024-04-08T10:30+0530", "2024-04-08T05:00Z", "+hhmm offsets");
    utc_is("2024-04-08T10:30-07", "2024-04-08T17:30Z", "+hh offsets");
    utc_is("2024-04-08T10:30:00+00:00", "2024-04-08T10:30:00Z", "+00:00 is UTC");
    utc_is("2024-04-08T10:30:00-00:00", "2024-04-08T10:30:00Z", "-00:00 is UTC");
    utc_is("2024-04-08T01:30:00+03:00", "2024-04-07T22:30:00Z",
           "an offset east can move the date back a day");
    utc_is("2024-04-08T22:30:00-03:00", "2024-04-09T01:30:00Z",
           "an offset west can move the date forward a day");
    utc_is("2024-01-01T00:15+01:00", "2023-12-31T23:15Z", "crossing back over a new year");
    utc_is("2023-12-31T23:30:00-01:00", "2024-01-01T00:30:00Z", "crossing forward over a new year");
    utc_is("2024-03-01T00:30+01:00", "2024-02-29T23:30Z", "back onto a leap day");
    utc_is("2024-02-28T23:00-02:00", "2024-02-29T01:00Z", "forward onto a leap day");
    utc_is("2023-02-28T23:00-02:00", "2023-03-01T01:00Z", "forward past February in a common year");
    utc_is("2024-05-01T00:00+23:59", "2024-04-30T00:01Z", "the largest offset crosses a month");
    utc_is("2024-04-30T23:59:59-23:59", "2024-05-01T23:58:59Z", "the largest west offset");
    utc_is("0000-01-01T00:30-01:00", "0000-01-01T01:30Z", "the first year with an offset west");
    utc_is("9999-12-31T23:30+01:00", "9999-12-31T22:30Z", "the last year with an offset east");
    utc_is("0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z", "the first instant");
    utc_is("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z", "the last instant");
    rejects("0000-01-01T00:30+01:00", "'0000-01-01T00:30+01:00' is before 0000-01-01T00:00:00Z in UTC",
            "UTC before year 0000");
    rejects("9999-12-31T23:30-01:00", "'9999-12-31T23:30-01:00' is after 9999-12-31T23:59:59Z in UTC",
            "UTC after year 9999");
    rejects("9999-12-31T23:59:59-00:01",
            "'9999-12-31T23:59:59-00:01' is after 9999-12-31T23:59:59Z in UTC",
            "one minute past the last instant");

    edtf_date d = must_parse("2024-04-08T01:30:00+03:00");
    ok(d.year == 2024 && d.month == 4 && d.day == 7 && d.hour == 22 && d.minute == 30
       && d.second == 0, "the fields of a date-time hold its UTC time");
    is_int(d.lo, at("2024-04-07T22:30:00Z"), "an offset date-time is the same instant in UTC");
}

static void test_bounds(void)
{
    bounds_are("2024", "2024-01-01T00:00:00Z", "2024-12-31T23:59:59Z", "a year");
    bounds_are("2024-04", "2024-04-01T00:00:00Z", "2024-04-30T23:59:59Z", "a month");
    bounds_are("2024-12", "2024-12-01T00:00:00Z", "2024-12-31T23:59:59Z", "December");
    bounds_are("2024-04-08", "2024-04-08T00:00:00Z", "2024-04-08T23:59:59Z", "a day");
    bounds_are("2024-04-08T10:30Z", "2024-04-08T10:30:00Z", "2024-04-08T10:30:59Z",
               "a minute");
    bounds_are("2024-04-08T10:30:15Z", "2024-04-08T10:30:15Z", "2024-04-08T10:30:15Z",
               "a second is a single instant");
    bounds_are("1969-12-31", "1969-12-31T00:00:00Z", "1969-12-31T23:59:59Z",
               "a day before the epoch");
    bounds_are("1970", "1970-01-01T00:00:00Z", "1970-12-31T23:59:59Z", "the epoch year");
    is_int(must_parse("1970").lo, 0, "1970 starts at instant 0");

    bounds_are("2020~", "2019-01-01T00:00:00Z", "2021-12-31T23:59:59Z",
               "an approximate year widens by a year each side");
    bounds_are("2020?", "2019-01-01T00:00:00Z", "2021-12-31T23:59:59Z",
               "an uncertain year widens by a year each side");
    bounds_are("2020%", "2019-01-01T00:00:00Z", "2021-12-31T23:59:59Z",
               "% widens like the others");
    bounds_are("2024-04?", "2024-03-01T00:00:00Z", "2024-05-31T23:59:59Z",
               "an uncertain month widens by a month each side");
    bounds_are("2024-01~", "2023-12-01T00:00:00Z", "2024-02-29T23:59:59Z",
               "widening January reaches back into the previous year");
    bounds_are("2024-12~", "2024-11-01T00:00:00Z", "2025-01-31T23:59:59Z",
               "widening December reaches into the next year");
    bounds_are("2024-03-01%", "2024-02-29T00:00:00Z", "2024-03-02T23:59:59Z",
               "a qualified day widens by a day each side, over a leap day");
    bounds_are("2024-12-31?", "2024-12-30T00:00:00Z", "2025-01-01T23:59:59Z",
               "widening 31 December crosses the year");

    bounds_are("0000", "0000-01-01T00:00:00Z", "0000-12-31T23:59:59Z", "the first year");
    bounds_are("9999", "9999-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "the last year");
    is_int(must_parse("0000").lo, EDTF_TIME_MIN, "0000 starts at EDTF_TIME_MIN");
    is_int(must_parse("9999").hi, EDTF_TIME_MAX, "9999 ends at EDTF_TIME_MAX");
    bounds_are("0000~", "0000-01-01T00:00:00Z", "0001-12-31T23:59:59Z",
               "widening 0000 is clamped to the first instant");
    bounds_are("9999~", "9998-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
               "widening 9999 is clamped to the last instant");
    bounds_are("0000-01?", "0000-01-01T00:00:00Z", "0000-02-29T23:59:59Z",
               "widening January 0000 is clamped (and 0000 is leap)");
    bounds_are("9999-12?", "9999-11-01T00:00:00Z", "9999-12-31T23:59:59Z",
               "widening December 9999 is clamped");
    bounds_are("0000-01-01~", "0000-01-01T00:00:00Z", "0000-01-02T23:59:59Z",
               "widening the first day is clamped");
    bounds_are("9999-12-31%", "9999-12-30T00:00:00Z", "9999-12-31T23:59:59Z",
               "widening the last day is clamped");
    bounds_are("9999-12-31T23:59Z", "9999-12-31T23:59:00Z", "9999-12-31T23:59:59Z",
               "the last minute");
}

static void test_format(void)
{
    is_str(canon("2024"), "2024", "a year is formatted as a year");
    is_str(canon("2024-04"), "2024-04", "a month keeps its precision");
    is_str(canon("2024-04-08"), "2024-04-08", "a day keeps its precision");
    is_str(canon("2020~"), "2020~", "~ is kept");
    is_str(canon("2024-04?"), "2024-04?", "? is kept");
    is_str(canon("2024-04-08%"), "2024-04-08%", "% is kept");
    is_str(canon("0000"), "0000", "year 0000 keeps its four digits");
    is_str(canon("0042-01"), "0042-01", "a small year is zero-padded");
    is_str(canon("2024-04-08T10:30Z"), "2024-04-08T10:30Z", "minute precision has no seconds");
    is_str(canon("2024-04-08T10:30:00Z"), "2024-04-08T10:30:00Z",
           "second precision keeps :00");
    is_str(canon("2024-04-08T10:30:00+02:00"), "2024-04-08T08:30:00Z",
           "a date-time is formatted in UTC");

    edtf_date d = must_parse("2024-04-08T10:30:00Z");
    char buf[EDTF_FORMAT_MAX];
    size_t n = edtf_format(&d, buf);
    ok(n == strlen(buf) && n == 20, "edtf_format returns the length written");

    static const char *const round[] = {
        "2024", "2024-04", "2024-04-08", "2020~", "2020?", "2020%", "2024-04?",
        "2024-01~", "2024-12%", "2024-03-01%", "2024-02-29", "0000", "9999", "0000~",
        "9999~", "9999-12-31%", "2024-04-08T10:30Z", "2024-04-08T10:30:15Z",
        "2024-04-08T01:30:00+03:00", "2023-12-31T23:30-01:00", "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z", "2024-04-08T10:30+0530",
    };
    for (size_t i = 0; i < sizeof round / sizeof round[0]; i++) {
        edtf_date a = must_parse(round[i]), b;
        char s[EDTF_FORMAT_MAX];
        edtf_format(&a, s);
        memset(&b, 0, sizeof b);
        int rc = parse(s, &b);
        ok(rc == 0 && a.lo == b.lo && a.hi == b.hi && a.precision == b.precision
           && a.qualifier == b.qualifier && strcmp(canon(s), s) == 0,
           "'%s' -> '%s' parses back to the same date and is a fixed point", round[i], s);
    }

    char ibuf[EDTF_INSTANT_MAX];
    n = edtf_format_instant(0, ibuf);
    ok(n == 20 && strcmp(ibuf, "1970-01-01T00:00:00Z") == 0,
       "instant 0 is the epoch, and the length is returned");
    is_str(instant(-1), "1969-12-31T23:59:59Z", "instant -1 is the second before the epoch");
    is_str(instant(EDTF_TIME_MIN), "0000-01-01T00:00:00Z", "EDTF_TIME_MIN is 0000-01-01");
    is_str(instant(EDTF_TIME_MAX), "9999-12-31T23:59:59Z", "EDTF_TIME_MAX is 9999-12-31");
    is_str(instant(1712572200), "2024-04-08T10:30:00Z", "an instant in 2024");
    is_str(instant(EDTF_TIME_MAX + 1), "9999-12-31T23:59:59Z",
           "an instant after the range is written as the last one");
    is_str(instant(EDTF_TIME_MIN - 1), "0000-01-01T00:00:00Z",
           "an instant before the range is written as the first one");
    is_str(instant(must_parse("2024-04-08").lo), "2024-04-08T00:00:00Z",
           "a day's first instant formats with seconds");
}

static void test_event_bounds(void)
{
    edtf_bounds_t b = event("2024-04-08", NULL);
    ok(b.start_lo == at("2024-04-08") && b.start_hi == must_parse("2024-04-08").hi
       && b.end_lo == b.start_lo && b.end_hi == b.start_hi,
       "without an end the event ends within its start");

    b = event("2024", "2024-03-15");
    is_str(instant(b.start_hi), "2024-03-15T23:59:59Z",
           "the latest start is clamped to the latest end");
    is_str(instant(b.end_lo), "2024-03-15T00:00:00Z", "the earliest end is the end's own");

    b = event("2024-04-08", "2024");
    is_str(instant(b.start_hi), "2024-04-08T23:59:59Z", "the latest start is the start's own");
    is_str(instant(b.end_lo), "2024-04-08T00:00:00Z",
           "the earliest end is clamped to the earliest start");
    is_str(instant(b.end_hi), "2024-12-31T23:59:59Z", "the latest end is the end's own");

    b = event("2020~", "2019");
    ok(b.start_lo == at("2019") && b.start_hi == must_parse("2019").hi
       && b.end_lo == at("2019") && b.end_hi == must_parse("2019").hi,
       "an approximate start may end in the year before it");

    b = event("2024-04-08T10:30:00Z", "2024-04-08T10:30:00Z");
    ok(b.start_lo == b.start_hi && b.end_lo == b.end_hi && b.start_lo == b.end_lo,
       "an event of a single second has four equal bounds");

    static const char *const pairs[][2] = {
        { "2024", "2024-03-15" }, { "2024-04-08", "2024" }, { "2020~", "2019" },
        { "2024-04", "2024-04-08T10:30Z" }, { "2024-04-08%", "2024-04-09" },
        { "0000~", "0000" }, { "9999", "9999~" }, { "2024-04-07", "2024-04-08T01:30:00+03:00" },
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        b = event(pairs[i][0], pairs[i][1]);
        ok(b.start_lo <= b.start_hi && b.end_lo <= b.end_hi && b.start_lo <= b.end_lo
           && b.start_hi <= b.end_hi,
           "bounds of %s..%s keep start_lo <= start_hi, end_lo <= end_hi, start <= end",
           pairs[i][0], pairs[i][1]);
    }

    char err[256] = "";
    edtf_date s = must_parse("2024-04-08"), e = must_parse("2024-03");
    edtf_bounds_t out;
    is_int(edtf_bounds(&s, &e, &out, err, sizeof err), -1, "an end wholly before the start fails");
    is_str(err, "'2024-03' is before start '2024-04-08'",
           "the message names end and start in canonical form");
    s = must_parse("2024-04-08T10:30:00+02:00");
    e = must_parse("2024-04-08T08:00Z");
    edtf_bounds(&s, &e, &out, err, sizeof err);
    is_str(err, "'2024-04-08T08:00Z' is before start '2024-04-08T08:30:00Z'",
           "the message gives date-times in UTC");
    s = must_parse("2024-04-08T10:30:00Z");
    e = must_parse("2024-04-08T10:29Z");
    is_int(edtf_bounds(&s, &e, &out, err, sizeof err), -1,
           "an end minute entirely before the start second fails");
    e = must_parse("2024-04-08T10:30Z");
    is_int(edtf_bounds(&s, &e, &out, err, sizeof err), 0,
           "an end minute containing the start second is fine");
    s = must_parse("2020~");
    e = must_parse("2019");
    is_int(edtf_bounds(&s, &e, &out, err, sizeof err), 0,
           "an end inside the widened start is fine");
    e = must_parse("2018");
    is_int(edtf_bounds(&s, &e, &out, NULL, 0), -1, "an error without a buffer still fails");
}

static void test_window(void)
{
    edtf_time lo = 1, hi = 1;
    char err[256] = "";
    is_int(edtf_window(NULL, NULL, &lo, &hi, err, sizeof err), 0, "an open window is valid");
    ok(lo == EDTF_TIME_MIN && hi == EDTF_TIME_MAX, "an open window spans every instant");

    window("2024-04-10", NULL, &lo, &hi);
    ok(lo == at("2024-04-10") && hi == EDTF_TIME_MAX, "a window open at its end");
    window(NULL, "2025", &lo, &hi);
    ok(lo == EDTF_TIME_MIN && hi == must_parse("2025").hi,
       "a window open at its start runs through the end of 'to'");
    window("2024-04-10", "2024-04-20", &lo, &hi);
    is_str(instant(lo), "2024-04-10T00:00:00Z", "a window starts at the first instant of from");
    is_str(instant(hi), "2024-04-20T23:59:59Z", "a window ends at the last instant of to");
    window("2025-11-25", "2025-11-25", &lo, &hi);
    ok(hi - lo == 86399, "from and to on the same day make a one-day window");
    window("2020~", "2020~", &lo, &hi);
    ok(lo == at("2019") && hi == must_parse("2021").hi, "qualified dates widen the window");

    edtf_date from = must_parse("2024-04"), to = must_parse("2024-03");
    lo = hi = 7;
    is_int(edtf_window(&from, &to, &lo, &hi, err, sizeof err), -1,
           "to ending before from begins fails");
    is_str(err, "to '2024-03' is before from '2024-04'",
           "the window error names both sides in canonical form");
    from = must_parse("2024-04-08T10:30:00+02:00");
    to = must_parse("2024-04-08T08:29:59Z");
    is_int(edtf_window(&from, &to, &lo, &hi, err, sizeof err), -1,
           "to one second before from fails");
    to = must_parse("2024-04-08T08:30Z");
    is_int(edtf_window(&from, &to, &lo, &hi, err, sizeof err), 0,
           "to overlapping from by its minute is fine");
    from = must_parse("2024-04-08");
    to = must_parse("2024");
    is_int(edtf_window(&from, &to, &lo, &hi, err, sizeof err), 0,
           "to ending after from begins is fine even if it begins earlier");
}

/* The worked examples of PROTOCOL.md section 5. */
static void test_examples(void)
{
    edtf_time lo, hi;
    edtf_bounds_t april = event("2024-04", "2024-04");

    window("2024-04-10", "2024-04-20", &lo, &hi);
    ok(edtf_overlaps(&april, lo, hi), "April 2024 overlaps 2024-04-10..2024-04-20");
    is_int(edtf_certainty_of(&april, lo, hi), EDTF_POSSIBLE,
           "April 2024 against 2024-04-10..2024-04-20 is possible");
    ok(!edtf_within(&april, lo, hi), "April 2024 is not within 2024-04-10..2024-04-20");

    window("2024-04-01", "2024-04-30", &lo, &hi);
    ok(edtf_overlaps(&april, lo, hi), "April 2024 overlaps 2024-04-01..2024-04-30");
    is_int(edtf_certainty_of(&april, lo, hi), EDTF_CERTAIN,
           "April 2024 against the whole of April is certain");
    ok(edtf_within(&april, lo, hi), "April 2024 is within 2024-04-01..2024-04-30");

    window("2024", "2024", &lo, &hi);
    ok(edtf_within(&april, lo, hi), "April 2024 is within 2024");
    window("2024-04-01", "2024-04-20", &lo, &hi);
    ok(!edtf_within(&april, lo, hi), "April 2024 is not within 2024-04-01..2024-04-20");
    ok(edtf_overlaps(&april, lo, hi), "but April 2024 overlaps 2024-04-01..2024-04-20");

    edtf_bounds_t days = event("2025-11-24", "2025-11-27");
    window("2025-11-25", "2025-11-25", &lo, &hi);
    ok(edtf_overlaps(&days, lo, hi), "2025-11-24..2025-11-27 overlaps 2025-11-25");
    is_int(edtf_certainty_of(&days, lo, hi), EDTF_CERTAIN,
           "2025-11-24..2025-11-27 against 2025-11-25 is certain");
    ok(!edtf_within(&days, lo, hi), "2025-11-24..2025-11-27 is not within 2025-11-25");

    edtf_bounds_t about = event("2020~", NULL);
    window("2024", "2024", &lo, &hi);
    ok(!edtf_overlaps(&about, lo, hi), "2020~ does not overlap 2024");
    ok(!edtf_within(&about, lo, hi), "2020~ is not within 2024");
    window("2019", "2019", &lo, &hi);
    ok(edtf_overlaps(&about, lo, hi), "2020~ overlaps 2019");
    is_int(edtf_certainty_of(&about, lo, hi), EDTF_POSSIBLE, "2020~ against 2019 is possible");
    ok(!edtf_within(&about, lo, hi), "2020~ is not within 2019");
    window("2018", "2022", &lo, &hi);
    ok(edtf_within(&about, lo, hi), "2020~ is within 2018..2022");
    is_int(edtf_certainty_of(&about, lo, hi), EDTF_CERTAIN, "2020~ against 2018..2022 is certain");

    edtf_bounds_t sec = event("2024-04-08T10:30:00Z", NULL);
    window("2024-04-08T10:30:00Z", NULL, &lo, &hi);
    ok(edtf_overlaps(&sec, lo, hi), "an event at a window's first instant overlaps (inclusive)");
    window(NULL, "2024-04-08T10:30:00Z", &lo, &hi);
    ok(edtf_overlaps(&sec, lo, hi) && edtf_within(&sec, lo, hi),
       "an event at a window's last instant overlaps and is within (inclusive)");
    window("2024-04-08T10:30:01Z", NULL, &lo, &hi);
    ok(!edtf_overlaps(&sec, lo, hi), "an event a second before the window does not overlap");

    window(NULL, NULL, &lo, &hi);
    edtf_bounds_t edge = event("0000~", "9999~");
    ok(edtf_within(&edge, lo, hi) && edtf_certainty_of(&edge, lo, hi) == EDTF_CERTAIN,
       "an event spanning every year is within the open window, certainly");
}

/* Every prefix of a full date-time, each in a buffer of exactly its length so
 * the sanitizers catch any read past len: only the complete forms parse, and
 * every other prefix fails with a quoted message. */
static void test_truncation(void)
{
    static const char full[] = "2024-04-08T10:30:15+02:00";
    size_t len = sizeof full - 1;
    int bad = 0;
    for (size_t n = 0; n <= len; n++) {
        char *copy = malloc(n ? n : 1);
        char err[256];
        edtf_date d;
        memcpy(copy, full, n);
        err[0] = '\0';
        int rc = edtf_parse(copy, n, &d, err, sizeof err);
        int want = n == 4 || n == 7 || n == 10 || n == 22 || n == len ? 0 : -1;
        if (rc != want || (rc < 0 && err[0] != '\'')) {
            diag("prefix of %zu bytes: rc %d, err '%s'", n, rc, err);
            bad = 1;
        }
        free(copy);
    }
    ok(!bad, "every truncation of a date-time parses only at a complete form");
}

/* Random strings over the characters dates are made of: the parser never
 * misbehaves, and whatever it accepts is well-formed and formats to a string
 * that parses back to the same date. */
static void test_random(void)
{
    static const char alphabet[] = "0123456789-T:Z+~?%0123456789012";
    uint32_t seed = 12345;
    int bad = 0, accepted = 0;
    for (int i = 0; i < 200000 && !bad; i++) {
        char s[32];
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 16) % 28;
        for (size_t j = 0; j < n; j++) {
            seed = seed * 1103515245u + 12345u;
            s[j] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        /* Start most strings with a plausible date so the deeper states are
         * reached, not only the year check. */
        if (i % 4 != 0 && n >= 10)
            memcpy(s, (i & 1) ? "2024-02-29" : "1999-12-31", 10);
        char err[64];
        edtf_date d;
        if (edtf_parse(s, n, &d, err, sizeof err) != 0) {
            if (err[0] != '\'' || strlen(err) >= sizeof err)
                bad = 1;
            continue;
        }
        accepted++;
        char f[EDTF_FORMAT_MAX];
        edtf_date b;
        edtf_format(&d, f);
        if (d.lo > d.hi || d.lo < EDTF_TIME_MIN || d.hi > EDTF_TIME_MAX
            || edtf_parse(f, strlen(f), &b, err, sizeof err) != 0 || b.lo != d.lo || b.hi != d.hi) {
            diag("'%.*s' -> '%s' misbehaves", (int)n, s, f);
            bad = 1;
        }
    }
    diag("%d random strings accepted", accepted);
    ok(!bad, "random date-like strings are rejected cleanly or round-trip");
}

int main(void)
{
    test_calendar();
    test_forms();
    test_leap_years();
    test_rejections();
    test_messages();
    test_utc();
    test_bounds();
    test_format();
    test_event_bounds();
    test_window();
    test_examples();
    test_truncation();
    test_random();
    return done_testing();
}
