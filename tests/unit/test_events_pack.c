/* test_events_pack.c: events_pack_record packs the fields the server adds by
 * hand; its bytes must be exactly those the msgpack packer writes, for every
 * width of seq, times before 1970 and past the representable years, and
 * with and without certainty. */
#include <stdio.h>
#include <string.h>

#include "daemon/events.h"
#include "proto/buf.h"
#include "tap.h"

/* The reference: every token through msgpack_pack_*, timestamps through
 * snprintf, as events_pack_record did before it packed by hand. */
static void ref_pack_ms(msgpack_packer *pk, int64_t ms)
{
    char buf[EDTF_INSTANT_MAX + 8];
    edtf_time secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int frac = (int)(ms - secs * 1000);
    size_t n = edtf_format_instant(secs, buf);
    snprintf(buf + n - 1, sizeof buf - (n - 1), ".%03dZ", frac);
    buf_pack_cstr(pk, buf);
}

static void ref_pack_pair(msgpack_packer *pk, edtf_time lo, edtf_time hi)
{
    char a[EDTF_INSTANT_MAX], b[EDTF_INSTANT_MAX];
    msgpack_pack_array(pk, 2);
    buf_pack_str(pk, a, edtf_format_instant(lo, a));
    buf_pack_str(pk, b, edtf_format_instant(hi, b));
}

static void ref_pack_record(msgpack_packer *pk, const char *id, size_t idlen,
                            const index_record *rec, int certainty, uint32_t nbody)
{
    msgpack_pack_map(pk, nbody + 5 + (certainty >= 0));
    buf_pack_cstr(pk, "id");
    buf_pack_str(pk, id, idlen);
    pk->callback(pk->data, rec->body + 1, rec->body_len - 1);
    buf_pack_cstr(pk, "seq");
    msgpack_pack_uint64(pk, rec->seq);
    buf_pack_cstr(pk, "created");
    ref_pack_ms(pk, rec->created_ms);
    buf_pack_cstr(pk, "updated");
    ref_pack_ms(pk, rec->updated_ms);
    buf_pack_cstr(pk, "bounds");
    msgpack_pack_map(pk, 2);
    buf_pack_cstr(pk, "start");
    ref_pack_pair(pk, rec->bounds.start_lo, rec->bounds.start_hi);
    buf_pack_cstr(pk, "end");
    ref_pack_pair(pk, rec->bounds.end_lo, rec->bounds.end_hi);
    if (certainty >= 0) {
        buf_pack_cstr(pk, "certainty");
        buf_pack_cstr(pk, certainty == EDTF_CERTAIN ? "certain" : "possible");
    }
}

int main(void)
{
    static const uint64_t seqs[] = { 0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295u,
                                     4294967296u, UINT64_MAX };
    static const int64_t times[] = { 0, 1, 999, 1000, -1, -999, -1000, -1001,
                                     1700000000123, -62167219200000, /* 0000-01-01 */
                                     253402300799999,                /* 9999-12-31T23:59:59.999 */
                                     INT64_MAX / 2, -INT64_MAX / 2 };
    /* A body of two entries: {"title": "t", "kind": "meeting"}. */
    static const char body[] = "\x82\xa5title\xa1t\xa4kind\xa7meeting";
    int same = 0, total = 0;
    for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++)
        for (size_t j = 0; j < sizeof times / sizeof times[0]; j++)
            for (int certainty = -1; certainty <= 1; certainty++) {
                index_record rec;
                memset(&rec, 0, sizeof rec);
                rec.seq = seqs[i];
                rec.created_ms = times[j];
                rec.updated_ms = times[(j + 3) % (sizeof times / sizeof times[0])];
                rec.bounds.start_lo = times[j] / 1000;
                rec.bounds.start_hi = times[j] / 1000 + 59;
                rec.bounds.end_lo = times[j] / 1000 + 86399;
                rec.bounds.end_hi = times[j] / 1000 + 86400 * 31;
                rec.body = body;
                rec.body_len = sizeof body - 1;
                buf_t got, want;
                msgpack_packer pk;
                buf_init(&got);
                buf_init(&want);
                buf_packer_init(&pk, &got);
                events_pack_record(&pk, "ev-1", 4, &rec, certainty);
                buf_packer_init(&pk, &want);
                ref_pack_record(&pk, "ev-1", 4, &rec, certainty, 2);
                total++;
                if (got.len == want.len && memcmp(got.data, want.data, got.len) == 0)
                    same++;
                else
                    diag("differs: seq %llu, time %lld, certainty %d",
                         (unsigned long long)rec.seq, (long long)times[j], certainty);
                buf_release(&got);
                buf_release(&want);
            }
    is_int(same, total, "events_pack_record writes the packer's bytes (%d records)", total);
    return done_testing();
}
