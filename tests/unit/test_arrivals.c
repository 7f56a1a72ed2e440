/* test_arrivals.c: a message is timed from the read that completed it, the
 * records of reads already handled are dropped, and past ARRIVALS_MAX reads
 * the newest record grows and keeps its time. */
#include "daemon/arrivals.h"
#include "tap.h"

int main(void)
{
    /* arrivals: three reads; messages ending in each are timed by it. */
    arrivals a = { .n = 0 };
    arrivals_read(&a, 100, 1000);
    arrivals_read(&a, 250, 2000);
    arrivals_read(&a, 400, 3000);
    ok(arrivals_time(&a, 60) == 1000, "a message inside the first read arrived with it");
    ok(arrivals_time(&a, 100) == 1000, "one ending at its last byte too");
    ok(arrivals_time(&a, 180) == 2000, "one that the second read completed, with the second");
    ok(arrivals_time(&a, 180) == 2000 && a.n == 2, "asked again, the same (the first read dropped)");
    ok(arrivals_time(&a, 400) == 3000 && a.n == 1, "the last, with the last");
    ok(arrivals_time(&a, 500) == 0 && a.n == 0, "beyond every read: 0 (the caller reads the clock)");
    for (unsigned i = 1; i <= ARRIVALS_MAX + 4; i++)
        arrivals_read(&a, 1000 + i * 10, 10000 + i);
    ok(a.n == ARRIVALS_MAX, "at most ARRIVALS_MAX reads are kept");
    ok(arrivals_time(&a, 1000 + (ARRIVALS_MAX + 4) * 10) == 10000 + ARRIVALS_MAX,
       "later reads extend the newest record, keeping its (earlier) time");
    return done_testing();
}
