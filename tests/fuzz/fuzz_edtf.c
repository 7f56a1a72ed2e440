/* fuzz_edtf.c: the EDTF date parser and the bounds built on it. The input is
 * one or two dates separated by a '\n' (start, end); the first byte, when it
 * is below 0x20, sets the size of the error buffer, which is allocated to the
 * byte so a message written past it is caught. Checked: a parsed date formats
 * to a canonical string that parses back to the same date; lo <= hi within
 * the representable range; edtf_bounds and edtf_window keep their documented
 * orderings; the civil-day conversions are inverse. */
#include <stdlib.h>
#include <string.h>

#include "proto/edtf.h"
#include "tests/fuzz/fuzz.h"

static void fuzz_edtf_same(const edtf_date *a, const edtf_date *b)
{
    fuzz_check(a->year == b->year && a->month == b->month && a->day == b->day);
    fuzz_check(a->hour == b->hour && a->minute == b->minute && a->second == b->second);
    fuzz_check(a->precision == b->precision && a->qualifier == b->qualifier);
    fuzz_check(a->lo == b->lo && a->hi == b->hi);
}

/* Parse s[0..len); on success check the date on its own. */
static int fuzz_edtf_parse(const char *s, size_t len, edtf_date *d, char *err, size_t errlen)
{
    if (edtf_parse(s, len, d, err, errlen) != 0) {
        if (errlen)
            fuzz_check(memchr(err, '\0', errlen) != NULL);
        return -1;
    }
    fuzz_check(d->lo <= d->hi);
    fuzz_check(d->lo >= EDTF_TIME_MIN && d->hi <= EDTF_TIME_MAX);

    char buf[EDTF_FORMAT_MAX];
    size_t n = edtf_format(d, buf);
    fuzz_check(n < EDTF_FORMAT_MAX && buf[n] == '\0' && strlen(buf) == n);
    edtf_date again;
    fuzz_check(edtf_parse(buf, n, &again, NULL, 0) == 0);
    fuzz_edtf_same(d, &again);
    char buf2[EDTF_FORMAT_MAX];
    fuzz_check(edtf_format(&again, buf2) == n && memcmp(buf, buf2, n) == 0);

    int y, m, dd;
    int64_t days = edtf_days_from_civil(d->year, d->month ? d->month : 1, d->day ? d->day : 1);
    edtf_civil_from_days(days, &y, &m, &dd);
    fuzz_check(y == d->year && m == (d->month ? d->month : 1) && dd == (d->day ? d->day : 1));

    char inst[EDTF_INSTANT_MAX];
    fuzz_check(edtf_format_instant(d->lo, inst) == EDTF_INSTANT_MAX - 1);
    fuzz_check(edtf_format_instant(d->hi, inst) == EDTF_INSTANT_MAX - 1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t errlen = 128;
    if (size > 0 && data[0] < 0x20 && data[0] != '\n') {
        errlen = data[0];
        data++;
        size--;
    }
    char *err = errlen ? malloc(errlen) : NULL;
    const char *s = (const char *)data;
    const char *nl = memchr(s, '\n', size);
    size_t len1 = nl ? (size_t)(nl - s) : size;

    edtf_date start, end;
    int have_start = fuzz_edtf_parse(s, len1, &start, err, errlen) == 0;
    int have_end = nl && fuzz_edtf_parse(nl + 1, size - len1 - 1, &end, err, errlen) == 0;

    if (have_start) {
        edtf_bounds_t b;
        if (edtf_bounds(&start, have_end ? &end : NULL, &b, err, errlen) == 0) {
            fuzz_check(b.start_lo <= b.start_hi && b.end_lo <= b.end_hi);
            fuzz_check(b.start_lo <= b.end_lo && b.start_hi <= b.end_hi);
            fuzz_check(edtf_overlaps(&b, b.start_lo, b.end_hi));
            fuzz_check(edtf_within(&b, b.start_lo, b.end_hi));
            (void)edtf_certainty_of(&b, start.lo, start.hi);
        } else {
            fuzz_check(have_end);   /* an event may always end where it starts */
        }
    }
    edtf_time lo, hi;
    if (edtf_window(have_start ? &start : NULL, have_end ? &end : NULL, &lo, &hi, err, errlen) == 0)
        fuzz_check(lo <= hi);
    free(err);
    return 0;
}
