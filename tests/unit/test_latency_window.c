/* test_latency_window.c: the recent latency window holds the values of the
 * last six ten-second periods and forgets older ones, reports percentiles
 * within 1/8 of the true value (never above max). */
#include "daemon/latency_window.h"
#include "tap.h"

static const double PS[] = { 50, 90, 99 };
#define NPS (sizeof PS / sizeof PS[0])

/* Whether got is want or above it by at most 1/8 of it. */
static int within8(uint64_t got, uint64_t want)
{
    return got >= want && (got - want) * 8 <= want;
}

int main(void)
{
    static latency_window w;
    uint64_t out[NPS], count, max;

    latency_window_init(&w);
    latency_window_percentiles(&w, 5000, PS, NPS, out, &count, &max);
    ok(count == 0 && max == 0 && out[0] == 0 && out[2] == 0, "an empty window reports zeros");

    /* 1..1000 us over the first ten seconds. */
    for (uint64_t v = 1; v <= 1000; v++)
        latency_window_record(&w, v * 9, v);
    latency_window_percentiles(&w, 9999, PS, NPS, out, &count, &max);
    ok(count == 1000 && max == 1000, "1000 values, max exact");
    ok(within8(out[0], 500) && within8(out[1], 900) && within8(out[2], 990) && out[2] <= max,
       "p50 %llu, p90 %llu, p99 %llu within 1/8", (unsigned long long)out[0],
       (unsigned long long)out[1], (unsigned long long)out[2]);

    /* A spike now: 100 values of 50 ms in the sixth period. */
    for (int i = 0; i < 100; i++)
        latency_window_record(&w, 55000, 50000);
    latency_window_percentiles(&w, 59999, PS, NPS, out, &count, &max);
    ok(count == 1100 && max == 50000, "the sixth period still sees the first");
    ok(within8(out[2], 50000), "p99 is the spike");

    /* The seventh period drops the first: only the spike is left. */
    latency_window_percentiles(&w, 60000, PS, NPS, out, &count, &max);
    ok(count == 100 && within8(out[0], 50000), "a period more than a minute old is not counted");
    /* Recording into the slot the first period used clears it first. */
    latency_window_record(&w, 60001, 7);
    latency_window_percentiles(&w, 60001, PS, NPS, out, &count, &max);
    ok(count == 101 && max == 50000, "a reused slot starts empty");
    latency_window_percentiles(&w, 200000, PS, NPS, out, &count, &max);
    ok(count == 0 && max == 0, "long after, the window is empty");

    return done_testing();
}
