/* idgen.c: ULID-style ids (see idgen.h). Called on the loop thread only. */
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "daemon/idgen.h"

static const char idgen_alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static uint64_t idgen_last_ms;
static unsigned char idgen_last_rand[10];

void idgen_next(char *out)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    unsigned char rnd[10];

    if (ms <= idgen_last_ms) {
        /* Same (or an earlier, if the clock stepped back) millisecond: keep
         * the time and count up, so ids stay strictly increasing. */
        ms = idgen_last_ms;
        memcpy(rnd, idgen_last_rand, sizeof rnd);
        for (int i = 9; i >= 0 && ++rnd[i] == 0; i--)
            ;
    } else {
        size_t got = 0;
        while (got < sizeof rnd) {
            ssize_t n = getrandom(rnd + got, sizeof rnd - got, 0);
            if (n > 0)
                got += (size_t)n;
        }
    }
    idgen_last_ms = ms;
    memcpy(idgen_last_rand, rnd, sizeof rnd);

    /* 128 bits: 48 of time then 80 of randomness, written as 26 digits of 5
     * bits (the first digit carries only 3). */
    unsigned char raw[16];
    for (int i = 0; i < 6; i++)
        raw[i] = (unsigned char)(ms >> (8 * (5 - i)));
    memcpy(raw + 6, rnd, 10);
    for (int d = 25; d >= 0; d--) {
        int bit = 128 - 5 * (26 - d);   /* first bit of digit d (may be < 0) */
        unsigned v = 0;
        for (int b = 0; b < 5; b++) {
            int pos = bit + b;
            v <<= 1;
            if (pos >= 0)
                v |= (raw[pos / 8] >> (7 - pos % 8)) & 1;
        }
        out[d] = idgen_alphabet[v];
    }
    out[IDGEN_LEN] = '\0';
}
