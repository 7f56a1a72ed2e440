/* test_client_stats_view.c: the summary of `annals stats --watch` formats
 * sizes, latencies and uptimes readably, computes rates per second from two
 * samples (a counter that went down counts from 0), and draws the traffic
 * line, the methods that were called (not the others) and the
 * subscriptions. */
#include <stdlib.h>
#include <string.h>

#include "client/stats_view.h"
#include "tests/unit/tap.h"

static json_t *sample(int requests, int in, int out, int put_requests)
{
    json_t *s = json_pack("{s:i, s:i, s:i, s:{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}, "
                          "s:{s:i, s:i, s:f, s:i, s:i}, s:{s:i, s:i}, s:{s:i}, "
                          "s:{s:{s:i, s:i, s:{}, s:{s:i, s:i, s:i, s:i}, s:{s:i, s:i, s:i, s:i, s:i}}, "
                          "s:{s:i, s:i, s:{}, s:{s:i, s:i, s:i, s:i}}}, "
                          "s:[{s:i, s:i, s:s, s:b, s:i, s:i, s:i, s:i}]}",
                          "events", 10, "seq", 12, "changes", 12,
                          "server", "version", "9.9.9", "pid", 4242, "uptime", 3723, "connections", 2,
                          "connections_total", 7, "requests", requests, "bytes_in", in, "bytes_out", out,
                          "subscriptions", 1,
                          "db", "used_bytes", 65536, "map_size", 1 << 30, "map_use", 65536.0 / (1 << 30),
                          "file_bytes", 65536, "disk_bytes", 65536,
                          "changelog", "first", 3, "last", 12,
                          "index", "waiting", 0,
                          "methods",
                          "put", "requests", put_requests, "errors", 1, "errors_by_code",
                          "latency_us", "p50", 120, "p90", 900, "p99", 15000, "max", 2500000,
                          "recent_latency_us", "p50", 777, "p90", 1500, "p99", 9000, "max", 31000,
                          "window_s", 60,
                          "ping", "requests", 0, "errors", 0, "errors_by_code",
                          "latency_us", "p50", 0, "p90", 0, "p99", 0, "max", 0,
                          "subscriptions", "sub", 5, "conn", 3, "peer", "unix", "live", 0,
                          "checked", 7, "lag", 5, "queued_bytes", 300000, "age", 65);
    if (!s)
        abort();
    return s;
}

int main(void)
{
    char b[64];
    stats_view_bytes(b, sizeof b, 512);
    is_str(b, "512 B", "bytes below 1 KiB");
    stats_view_bytes(b, sizeof b, 1536);
    is_str(b, "1.5 KiB", "KiB");
    stats_view_bytes(b, sizeof b, 3.0 * 1024 * 1024 * 1024);
    is_str(b, "3.0 GiB", "GiB");
    stats_view_us(b, sizeof b, 850);
    is_str(b, "850us", "microseconds");
    stats_view_us(b, sizeof b, 1234);
    is_str(b, "1.23ms", "milliseconds");
    stats_view_us(b, sizeof b, 4560000);
    is_str(b, "4.56s", "seconds");
    stats_view_uptime(b, sizeof b, 42);
    is_str(b, "42s", "uptime in seconds");
    stats_view_uptime(b, sizeof b, 303);
    is_str(b, "5m03s", "uptime in minutes");
    stats_view_uptime(b, sizeof b, 3723);
    is_str(b, "1h02m03s", "uptime in hours");
    stats_view_uptime(b, sizeof b, 3 * 86400 + 4 * 3600 + 5 * 60 + 9);
    is_str(b, "3d04h05m", "uptime in days");

    json_t *a = sample(100, 1000, 5000, 40), *c = sample(150, 3000, 5000, 60);
    ok(stats_view_rates(c, NULL, 1) == NULL, "no rates without a previous sample");
    ok(stats_view_rates(c, a, 0) == NULL, "no rates over no time");
    json_t *r = stats_view_rates(c, a, 2);
    ok(r && json_real_value(json_object_get(r, "requests")) == 24.5,
       "requests per second, less the watcher's own stats call");
    ok(r && json_real_value(json_object_get(r, "bytes_in")) == 1000.0, "bytes in per second");
    ok(r && json_real_value(json_object_get(r, "bytes_out")) == 0.0, "bytes out per second");
    ok(r && json_real_value(json_object_get(r, "seconds")) == 2.0, "the interval");
    json_decref(r);
    r = stats_view_rates(a, c, 2);
    ok(r && json_real_value(json_object_get(r, "requests")) == 49.5,
       "a counter that went down (a restart) counts from 0");
    json_decref(r);

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    stats_view_render(f, c, a, 2, 100);
    fclose(f);
    ok(strstr(text, "annalsd 9.9.9  pid 4242  up 1h02m03s  seq 12  events 10\n") != NULL, "the server line");
    ok(strstr(text, "requests 150 (24.5/s)  in 2.9 KiB (1000 B/s)  out 4.9 KiB (0 B/s)\n") != NULL,
       "the traffic line with rates");
    ok(strstr(text, ", ignored 0\n") != NULL, "the protocol errors, ignored messages included");
    ok(strstr(text, "change log: seq 3..12 (12 entries)") != NULL, "the change log's range");
    ok(strstr(text, "METHOD") && strstr(text, "\nput ") && strstr(text, "777us") && strstr(text, "31.00ms"),
       "the methods table lists put with its recent latencies");
    ok(!strstr(text, "120us") && !strstr(text, "2.50s"), "not the lifetime ones");
    ok(strstr(text, "(latency over the last 60 s; request rates leave out this watcher's own stats calls)"),
       "the table says what its latencies and rates are");
    ok(strstr(text, "10.0") != NULL, "put's rate per second");
    ok(strstr(text, "\nping") == NULL, "a method never called is not listed");
    ok(strstr(text, "catching up") && strstr(text, "293.0 KiB") && strstr(text, "1m05s"),
       "the subscription with its state, queued bytes and age");
    free(text);

    f = open_memstream(&text, &len);
    stats_view_render(f, c, NULL, 0, 100);
    fclose(f);
    ok(strstr(text, "requests 150  in 2.9 KiB  out 4.9 KiB\n") != NULL, "no rates on the first sample");
    free(text);
    json_decref(a);
    json_decref(c);
    return done_testing();
}
