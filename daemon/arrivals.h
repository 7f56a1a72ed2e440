/* arrivals.h: when each request of a connection arrived, for its latency.
 *
 * A request arrives when the socket read that completes it returns, not when
 * the server gets round to framing it: requests pipelined behind a slow one
 * (a big put_many) sit in the input buffer, and their latency must include
 * that wait. So each read leaves a record (the stream offset its bytes end
 * at, the time), and a request ending at offset E arrived with the first
 * read that ends at or after E. Records of reads whose bytes were all
 * handled are dropped as requests are timed, so only reads still in the
 * input buffer are kept: few, since reading stops while more than one
 * maximal message waits.
 *
 * At most ARRIVALS_MAX reads are recorded; further ones extend the newest
 * record, keeping its time, so a request they complete is timed from an
 * earlier read: its latency is overstated by at most the time between those
 * reads, and only on a connection with that many reads already waiting. */
#ifndef ANNALS_ARRIVALS_H
#define ANNALS_ARRIVALS_H

#include <stdint.h>

#define ARRIVALS_MAX 16

typedef struct {
    struct {
        uint64_t end;           /* stream offset just past the read's bytes */
        uint64_t ns;            /* when the read returned */
    } reads[ARRIVALS_MAX];
    unsigned n;
} arrivals;

/* arrivals_read: a read returned at ns, its bytes ending at stream offset
 * end (offsets only grow). */
void arrivals_read(arrivals *a, uint64_t end, uint64_t ns);

/* arrivals_time: when the message ending at stream offset end arrived; the
 * records of reads ending before it are dropped (messages are timed in
 * order; the same one may be asked again). 0 when no read covers end: the
 * caller then reads the clock, which a request framed from its reads never
 * needs. */
uint64_t arrivals_time(arrivals *a, uint64_t end);

#endif
