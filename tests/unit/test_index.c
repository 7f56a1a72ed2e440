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

    unsigned char k1[INDEX_SLOT_SIZE], k2[INDEX_SLOT_SIZE];
    index_slot(0, -5, 9, k1);
    index_slot(0, 3, 1, k2);
    ok(memcmp(k1, k2, INDEX_SLOT_SIZE) < 0, "a negative start sorts before a positive one");
    index_slot(0, 3, 1, k1);
    index_slot(0, 3, 256, k2);
    ok(memcmp(k1, k2, INDEX_SLOT_SIZE) < 0, "equal starts sort by doc, numerically");
    index_slot(0, 1000, 1, k1);
    index_slot(1, -1000, 1, k2);
    ok(memcmp(k1, k2, INDEX_SLOT_SIZE) < 0, "classes sort before starts");
    unsigned cls;
    edtf_time start;
    uint64_t doc;
    index_slot(7, EDTF_TIME_MIN, UINT64_MAX, k1);
    index_slot_parse(k1, &cls, &start, &doc);
    ok(cls == 7 && start == EDTF_TIME_MIN && doc == UINT64_MAX, "a slot parses back");

    char cur[INDEX_CURSOR_MAX];
    size_t clen = index_cursor_encode(-62135596800LL, 123456789012ULL, cur);
    ok(strspn(cur, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == clen,
       "a cursor is URL-safe text");
    ok(index_cursor_decode(cur, clen, &start, &doc) == 0 && start == -62135596800LL &&
       doc == 123456789012ULL, "a cursor round-trips");
    ok(index_cursor_decode("not a cursor!", 13, &start, &doc) < 0, "garbage is refused");
    ok(index_cursor_decode("Ag", 2, &start, &doc) < 0, "a truncated cursor is refused");
    ok(index_cursor_decode(cur, clen - 1, &start, &doc) < 0, "a cursor missing a character is refused");

    index_record r = { bounds_of(10, 20), 42, 1000, 2000, "id-\xd8\xa7", 5, "\x80", 1 }, back;
    unsigned char rec[INDEX_RECORD_HEADER + 6];
    is_int(index_record_size(&r), sizeof rec, "a record is header, id and body");
    index_record_write(&r, rec);
    ok(index_record_parse(rec, sizeof rec, &back) == 0 && back.seq == 42 && back.created_ms == 1000 &&
       back.updated_ms == 2000 && back.bounds.end_hi == 20 && back.idlen == 5 &&
       memcmp(back.id, "id-\xd8\xa7", 5) == 0 && back.body_len == 1 && back.body[0] == (char)0x80,
       "a record round-trips");
    ok(index_record_parse(rec, sizeof rec - 1, &back) < 0, "a record with a wrong length is refused");
    return done_testing();
}
