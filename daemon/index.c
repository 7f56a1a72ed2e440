/* index.c: key and value encodings of the LMDB databases (see index.h). */
#include <string.h>

#include "daemon/index.h"

#define DAY 86400LL

unsigned index_class_of(const edtf_bounds_t *b)
{
    int64_t span = b->end_hi - b->start_lo + 1;
    for (unsigned c = 0; c < INDEX_CLASSES - 1; c++)
        if (span <= ((int64_t)1 << c) * DAY)
            return c;
    return INDEX_CLASSES - 1;
}

int64_t index_class_span(unsigned c)
{
    if (c >= INDEX_CLASSES - 1)
        return INT64_MAX;
    return ((int64_t)1 << c) * DAY;
}

int64_t index_class_min_span(unsigned c)
{
    return c == 0 ? 1 : index_class_span(c - 1) + 1;
}

static void index_put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)v;
        v >>= 8;
    }
}

static uint64_t index_get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Flipping the sign bit makes signed times sort as unsigned bytes do. */
static uint64_t index_bias(edtf_time t)
{
    return (uint64_t)t ^ (1ULL << 63);
}

void index_slot(unsigned cls, edtf_time start_lo, uint64_t doc, unsigned char slot[INDEX_SLOT_SIZE])
{
    slot[0] = (unsigned char)cls;
    index_put_be64(slot + 1, index_bias(start_lo));
    index_put_be64(slot + 9, doc);
}

void index_slot_parse(const unsigned char slot[INDEX_SLOT_SIZE], unsigned *cls, edtf_time *start_lo,
                      uint64_t *doc)
{
    *cls = slot[0];
    *start_lo = (edtf_time)(index_get_be64(slot + 1) ^ (1ULL << 63));
    *doc = index_get_be64(slot + 9);
}

void index_doc_key(uint64_t doc, unsigned char key[INDEX_DOC_SIZE])
{
    index_put_be64(key, doc);
}

uint64_t index_doc_parse(const unsigned char key[INDEX_DOC_SIZE])
{
    return index_get_be64(key);
}

int64_t index_day_of(edtf_time t)
{
    return t >= 0 ? t / DAY : -((-t + DAY - 1) / DAY);
}

int index_term_counted(int field)
{
    return field == 'k' || field == 'c' || field == 't' || field == 'r' || field == 'L';
}

size_t index_count_key(const char *term, size_t len, int64_t day, unsigned char *key)
{
    uint32_t d = (uint32_t)(day + 0x80000000LL);
    memcpy(key, term, len);
    key[len] = 0;
    key[len + 1] = (unsigned char)(d >> 24);
    key[len + 2] = (unsigned char)(d >> 16);
    key[len + 3] = (unsigned char)(d >> 8);
    key[len + 4] = (unsigned char)d;
    return len + 5;
}

void index_time_val(const edtf_bounds_t *b, unsigned char val[INDEX_TIME_VAL_SIZE])
{
    memcpy(val, &b->start_hi, 8);
    memcpy(val + 8, &b->end_lo, 8);
    memcpy(val + 16, &b->end_hi, 8);
}

void index_time_val_parse(const unsigned char *val, edtf_time start_lo, edtf_bounds_t *b)
{
    b->start_lo = start_lo;
    memcpy(&b->start_hi, val, 8);
    memcpy(&b->end_lo, val + 8, 8);
    memcpy(&b->end_hi, val + 16, 8);
}

size_t index_record_size(const index_record *r)
{
    return INDEX_RECORD_HEADER + r->idlen + r->body_len;
}

/* Header: version (1 byte), 0, id length (2 bytes), body length (4 bytes),
 * the four bounds, seq, created, updated (8 bytes each, host order: the file
 * is not portable across byte orders, as LMDB's own is not). */
void index_record_write(const index_record *r, void *out)
{
    unsigned char *hdr = out;
    uint16_t idlen = (uint16_t)r->idlen;
    uint32_t body_len = (uint32_t)r->body_len;
    memset(hdr, 0, INDEX_RECORD_HEADER);
    hdr[0] = INDEX_RECORD_VERSION;
    memcpy(hdr + 2, &idlen, 2);
    memcpy(hdr + 4, &body_len, 4);
    memcpy(hdr + 8, &r->bounds.start_lo, 8);
    memcpy(hdr + 16, &r->bounds.start_hi, 8);
    memcpy(hdr + 24, &r->bounds.end_lo, 8);
    memcpy(hdr + 32, &r->bounds.end_hi, 8);
    memcpy(hdr + 40, &r->seq, 8);
    memcpy(hdr + 48, &r->created_ms, 8);
    memcpy(hdr + 56, &r->updated_ms, 8);
    memcpy(hdr + INDEX_RECORD_HEADER, r->id, r->idlen);
    memcpy(hdr + INDEX_RECORD_HEADER + r->idlen, r->body, r->body_len);
}

int index_record_parse(const void *data, size_t len, index_record *r)
{
    const unsigned char *p = data;
    uint16_t idlen;
    uint32_t body_len;
    /* Version 1 records (format 1, still in old change-log entries) have the
     * same header with no id. */
    if (len < INDEX_RECORD_HEADER || (p[0] != INDEX_RECORD_VERSION && p[0] != 1))
        return -1;
    memcpy(&idlen, p + 2, 2);
    memcpy(&body_len, p + 4, 4);
    if ((size_t)idlen + body_len != len - INDEX_RECORD_HEADER)
        return -1;
    memcpy(&r->bounds.start_lo, p + 8, 8);
    memcpy(&r->bounds.start_hi, p + 16, 8);
    memcpy(&r->bounds.end_lo, p + 24, 8);
    memcpy(&r->bounds.end_hi, p + 32, 8);
    memcpy(&r->seq, p + 40, 8);
    memcpy(&r->created_ms, p + 48, 8);
    memcpy(&r->updated_ms, p + 56, 8);
    r->id = (const char *)p + INDEX_RECORD_HEADER;
    r->idlen = idlen;
    r->body = (const char *)p + INDEX_RECORD_HEADER + idlen;
    r->body_len = body_len;
    return 0;
}

void index_seq_key(uint64_t seq, unsigned char key[8])
{
    index_put_be64(key, seq);
}

uint64_t index_seq_key_parse(const unsigned char key[8])
{
    return index_get_be64(key);
}

void index_record_summary(const index_record *rec, buf_t *out, msgpack_unpacked *scratch)
{
    static const char *const keep[] = { "kind", "title", "countries", "tags", "place", "parent", "participants" };
    buf_t body;
    msgpack_packer pk;
    size_t off = 0;
    buf_init(&body);
    buf_packer_init(&pk, &body);
    if (msgpack_unpack_next(scratch, rec->body, rec->body_len, &off) == MSGPACK_UNPACK_SUCCESS &&
        scratch->data.type == MSGPACK_OBJECT_MAP) {
        const msgpack_object_map *m = &scratch->data.via.map;
        uint32_t n = 0;
        for (int pass = 0; pass < 2; pass++) {
            if (pass)
                msgpack_pack_map(&pk, n);
            for (uint32_t i = 0; i < m->size; i++) {
                const msgpack_object *k = &m->ptr[i].key;
                int kept = 0;
                for (size_t j = 0; j < sizeof keep / sizeof keep[0] && k->type == MSGPACK_OBJECT_STR; j++)
                    if (strlen(keep[j]) == k->via.str.size && memcmp(keep[j], k->via.str.ptr, k->via.str.size) == 0)
                        kept = 1;
                if (!kept)
                    continue;
                if (!pass) {
                    n++;
                } else {
                    msgpack_pack_object(&pk, *k);
                    msgpack_pack_object(&pk, m->ptr[i].val);
                }
            }
        }
    } else {
        msgpack_pack_map(&pk, 0);
    }
    index_record r = *rec;
    r.body = body.data;
    r.body_len = body.len;
    buf_reserve(out, index_record_size(&r));
    index_record_write(&r, out->data + out->len);
    out->len += index_record_size(&r);
    buf_release(&body);
}

size_t index_change_size(size_t idlen, size_t prev_len, size_t new_len)
{
    return INDEX_CHANGE_HEADER + idlen + prev_len + new_len;
}

void index_change_write(unsigned char *out, int op, int64_t time_ms, const char *id, size_t idlen,
                        const void *prev, size_t prev_len, const void *rec, size_t rec_len)
{
    uint16_t il = (uint16_t)idlen;
    uint32_t pl = (uint32_t)prev_len, nl = (uint32_t)rec_len;
    out[0] = (unsigned char)op;
    out[1] = 0;
    memcpy(out + 2, &il, 2);
    memcpy(out + 4, &pl, 4);
    memcpy(out + 8, &nl, 4);
    memcpy(out + 12, &time_ms, 8);
    memcpy(out + INDEX_CHANGE_HEADER, id, idlen);
    if (prev_len)
        memcpy(out + INDEX_CHANGE_HEADER + idlen, prev, prev_len);
    if (rec_len)
        memcpy(out + INDEX_CHANGE_HEADER + idlen + prev_len, rec, rec_len);
}

int index_change_parse(uint64_t seq, const void *data, size_t len, index_change *c)
{
    const unsigned char *p = data;
    uint16_t il;
    uint32_t pl, nl;
    if (len < INDEX_CHANGE_HEADER)
        return -1;
    memcpy(&il, p + 2, 2);
    memcpy(&pl, p + 4, 4);
    memcpy(&nl, p + 8, 4);
    if ((p[0] != INDEX_OP_PUT && p[0] != INDEX_OP_DELETE) ||
        len != (size_t)INDEX_CHANGE_HEADER + il + pl + nl)
        return -1;
    memset(c, 0, sizeof *c);
    c->seq = seq;
    c->op = p[0];
    memcpy(&c->time_ms, p + 12, 8);
    c->id = (const char *)p + INDEX_CHANGE_HEADER;
    c->idlen = il;
    if (pl) {
        if (index_record_parse(p + INDEX_CHANGE_HEADER + il, pl, &c->prev) < 0)
            return -1;
        c->has_prev = 1;
    }
    if (nl) {
        if (index_record_parse(p + INDEX_CHANGE_HEADER + il + pl, nl, &c->rec) < 0)
            return -1;
        c->has_new = 1;
    }
    if ((c->op == INDEX_OP_PUT) != c->has_new || (c->op == INDEX_OP_DELETE && !c->has_prev))
        return -1;
    return 0;
}

static const char index_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The cursor is base64url (no padding) of: version byte 2, start_lo and doc
 * as 8 bytes each. */
size_t index_cursor_encode(edtf_time start_lo, uint64_t doc, char *out)
{
    unsigned char raw[1 + 16];
    size_t n = 0, o = 0;
    raw[n++] = 2;
    index_put_be64(raw + n, index_bias(start_lo));
    n += 8;
    index_put_be64(raw + n, doc);
    n += 8;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)raw[i] << 16;
        if (i + 1 < n) v |= (uint32_t)raw[i + 1] << 8;
        if (i + 2 < n) v |= raw[i + 2];
        out[o++] = index_b64[(v >> 18) & 63];
        out[o++] = index_b64[(v >> 12) & 63];
        if (i + 1 < n) out[o++] = index_b64[(v >> 6) & 63];
        if (i + 2 < n) out[o++] = index_b64[v & 63];
    }
    out[o] = '\0';
    return o;
}

int index_cursor_decode(const char *s, size_t len, edtf_time *start_lo, uint64_t *doc)
{
    unsigned char raw[1 + 16 + 3];
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    if (len % 4 == 1)
        return -1;
    for (size_t i = 0; i < len; i++) {
        const char *q = memchr(index_b64, s[i], 64);
        if (!q || s[i] == '\0')
            return -1;
        acc = (acc << 6) | (uint32_t)(q - index_b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= sizeof raw)
                return -1;
            raw[n++] = (unsigned char)(acc >> bits);
        }
    }
    if (n != 17 || raw[0] != 2)
        return -1;
    *start_lo = (edtf_time)(index_get_be64(raw + 1) ^ (1ULL << 63));
    *doc = index_get_be64(raw + 9);
    return 0;
}
