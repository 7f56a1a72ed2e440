/* test_index.c: key encodings sort as the queries need, span classes bound
 * their events, and cursors round-trip and reject garbage. */
#include <string.h>

#include "daemon/index.h"
#include "tap.h"

static edtf_bounds_t bounds_of(edtf_time lo, edtf_time hi)
{
    edtf_bounds_t b = { lo, lo, hi, hi };
    return b;
}

int main(void)
{
    const int64_t day = 86400;
    edtf_bounds_t b;

    b = bounds_of(0, day - 1);
    is_int(index_class_of(&b), 0, "a one-day event is class 0");
    b = bounds_of(0, day);
    is_int(index_class_of(&b), 1, "one second over a day is class 1");
    b = bounds_of(0, 4 * day - 1);
    is_int(index_class_of(&b), 2, "a four-day event is class 2");
    b = bounds_of(0, 366 * day - 1);
    is_int(index_class_of(&b), 9, "a leap year is class 9 (<= 512 days)");
    b = bounds_of(EDTF_TIME_MIN, EDTF_TIME_MAX);
    is_int(index_class_of(&b), INDEX_CLASSES - 1, "ten thousand years is the last class");
    int bounded = 1;
    for (unsigned c = 0; c + 1 < INDEX_CLASSES; c++)
        if (index_class_min_span(c + 1) != index_class_span(c) + 1)
            bounded = 0;
    ok(bounded, "class spans tile without gaps");

    unsigned char k1[INDEX_TIME_KEY_MAX], k2[INDEX_TIME_KEY_MAX];
    size_t n1 = index_time_key(0, -5, "a", 1, k1), n2 = index_time_key(0, 3, "a", 1, k2);
    ok(memcmp(k1, k2, n1 < n2 ? n1 : n2) < 0, "a negative start sorts before a positive one");
    n1 = index_time_key(0, 3, "a", 1, k1);
    n2 = index_time_key(0, 3, "b", 1, k2);
    ok(memcmp(k1, k2, n1) < 0, "equal starts sort by id");
    unsigned cls;
    edtf_time start;
    const char *id;
    size_t idlen;
    n1 = index_time_key(7, EDTF_TIME_MIN, "xyz", 3, k1);
    index_time_key_parse(k1, n1, &cls, &start, &id, &idlen);
    ok(cls == 7 && start == EDTF_TIME_MIN && idlen == 3 && memcmp(id, "xyz", 3) == 0,
       "a time key parses back");

    char cur[INDEX_CURSOR_MAX], idbuf[EVENT_ID_MAX + 1];
    const char *arabic = "حدث-١";
    size_t clen = index_cursor_encode(-62135596800LL, arabic, strlen(arabic), cur);
    ok(strspn(cur, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == clen,
       "a cursor is URL-safe text");
    ok(index_cursor_decode(cur, clen, &start, idbuf, &idlen) == 0 && start == -62135596800LL &&
       idlen == strlen(arabic) && memcmp(idbuf, arabic, idlen) == 0, "a cursor round-trips");
    ok(index_cursor_decode("not a cursor!", 13, &start, idbuf, &idlen) < 0, "garbage is refused");
    ok(index_cursor_decode("AQ", 2, &start, idbuf, &idlen) < 0, "a truncated cursor is refused");
    ok(index_cursor_decode(cur, clen - 1, &start, idbuf, &idlen) < 0 ||
       idlen != strlen(arabic), "a cursor missing a character does not decode to the same id");

    index_record r = { bounds_of(10, 20), 42, 1000, 2000, "\x80", 1 }, back;
    unsigned char rec[INDEX_RECORD_HEADER + 1];
    index_record_header(&r, rec);
    rec[INDEX_RECORD_HEADER] = (char)0x80;
    ok(index_record_parse(rec, sizeof rec, &back) == 0 && back.seq == 42 && back.created_ms == 1000 &&
       back.updated_ms == 2000 && back.bounds.end_hi == 20 && back.body_len == 1, "a record header round-trips");
    ok(index_record_parse(rec, sizeof rec - 1, &back) < 0, "a record with a wrong length is refused");
    return done_testing();
}
