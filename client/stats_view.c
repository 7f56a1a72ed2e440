/* stats_view.c: the summary of `annals stats --watch` (see stats_view.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "client/render.h"
#include "client/stats_view.h"

/* obj.key (obj.key.key2 when key2 is given) as an unsigned count; 0 when absent. */
static uint64_t sv_count(const json_t *obj, const char *key, const char *key2)
{
    const json_t *v = json_object_get(obj, key);
    if (key2)
        v = json_object_get(v, key2);
    json_int_t n = json_integer_value(v);
    return n > 0 ? (uint64_t)n : 0;
}

static const char *sv_string(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "?";
}

void stats_view_bytes(char *out, size_t size, double n)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
    size_t u = 0;
    while (n >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        n /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(out, size, "%.0f B", n);
    else
        snprintf(out, size, "%.1f %s", n, units[u]);
}

void stats_view_us(char *out, size_t size, uint64_t us)
{
    if (us < 1000)
        snprintf(out, size, "%" PRIu64 "us", us);
    else if (us < 1000000)
        snprintf(out, size, "%.2fms", (double)us / 1e3);
    else
        snprintf(out, size, "%.2fs", (double)us / 1e6);
}

void stats_view_uptime(char *out, size_t size, uint64_t s)
{
    if (s < 60)
        snprintf(out, size, "%" PRIu64 "s", s);
    else if (s < 3600)
        snprintf(out, size, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
    else if (s < 86400)
        snprintf(out, size, "%" PRIu64 "h%02" PRIu64 "m%02" PRIu64 "s", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(out, size, "%" PRIu64 "d%02" PRIu64 "h%02" PRIu64 "m", s / 86400, s / 3600 % 24,
                 s / 60 % 60);
}

/* The growth per second of a counter from was to now. */
static double sv_rate(uint64_t now, uint64_t was, double dt)
{
    return (double)(now >= was ? now - was : now) / dt;
}

/* The same for a count of requests, less the watcher's own: its stats call
 * of the previous sample is counted between the two (a stats request is
 * counted once its reply is queued), so one request is not the traffic
 * being watched. */
static double sv_request_rate(uint64_t now, uint64_t was, double dt)
{
    uint64_t grew = now >= was ? now - was : now;
    return (double)(grew > 0 ? grew - 1 : 0) / dt;
}

json_t *stats_view_rates(const json_t *cur, const json_t *prev, double dt)
{
    if (!prev || !(dt > 0))
        return NULL;
    const json_t *a = json_object_get(cur, "server"), *b = json_object_get(prev, "server");
    return json_pack("{s:f, s:f, s:f, s:f}", "seconds", dt,
                     "requests", sv_request_rate(sv_count(a, "requests", NULL), sv_count(b, "requests", NULL), dt),
                     "bytes_in", sv_rate(sv_count(a, "bytes_in", NULL), sv_count(b, "bytes_in", NULL), dt),
                     "bytes_out", sv_rate(sv_count(a, "bytes_out", NULL), sv_count(b, "bytes_out", NULL), dt));
}

/* "N (R/s)" for a count of requests, or just "N" without a previous sample. */
static void sv_count_rate(char *out, size_t size, uint64_t now, uint64_t was, int have_prev, double dt)
{
    if (have_prev)
        snprintf(out, size, "%" PRIu64 " (%.1f/s)", now, sv_request_rate(now, was, dt));
    else
        snprintf(out, size, "%" PRIu64, now);
}

/* "SIZE (RATE/s)" for a byte counter. */
static void sv_bytes_rate(char *out, size_t size, uint64_t now, uint64_t was, int have_prev, double dt)
{
    char total[32], rate[32];
    stats_view_bytes(total, sizeof total, (double)now);
    if (!have_prev) {
        snprintf(out, size, "%s", total);
        return;
    }
    stats_view_bytes(rate, sizeof rate, sv_rate(now, was, dt));
    snprintf(out, size, "%s (%s/s)", total, rate);
}

static void sv_methods(FILE *out, const json_t *cur, const json_t *prev, double dt, size_t width)
{
    static const render_col cols[] = {
        { "METHOD", 0, 0 }, { "REQUESTS", 0, 0 }, { "PER S", 0, 0 }, { "ERRORS", 0, 0 },
        { "P50", 0, 0 }, { "P90", 0, 0 }, { "P99", 0, 0 }, { "MAX", 0, 0 },
    };
    render_table *t = render_table_new(cols, sizeof cols / sizeof cols[0]);
    const json_t *methods = json_object_get(cur, "methods"), *was = json_object_get(prev, "methods");
    const char *name;
    const json_t *m;
    /* What happens now, not since the start: the recent window, from
     * servers that keep one. */
    const char *latency_key = "latency_us";
    uint64_t window = 0;
    json_object_foreach((json_t *)methods, name, m) {
        if (json_object_get(m, "recent_latency_us")) {
            latency_key = "recent_latency_us";
            window = sv_count(m, "recent_latency_us", "window_s");
            break;
        }
    }
    json_object_foreach((json_t *)methods, name, m) {
        uint64_t n = sv_count(m, "requests", NULL);
        if (n == 0)
            continue;
        char req[24], rate[24], err[24], p[4][24];
        snprintf(req, sizeof req, "%" PRIu64, n);
        uint64_t n_was = sv_count(json_object_get(was, name), "requests", NULL);
        if (prev && dt > 0)
            snprintf(rate, sizeof rate, "%.1f", strcmp(name, "stats") == 0
                     ? sv_request_rate(n, n_was, dt) : sv_rate(n, n_was, dt));
        else
            snprintf(rate, sizeof rate, "-");
        snprintf(err, sizeof err, "%" PRIu64, sv_count(m, "errors", NULL));
        static const char *const keys[] = { "p50", "p90", "p99", "max" };
        for (int i = 0; i < 4; i++)
            stats_view_us(p[i], sizeof p[i], sv_count(m, latency_key, keys[i]));
        const char *cells[] = { name, req, rate, err, p[0], p[1], p[2], p[3] };
        render_table_add(t, cells);
    }
    if (render_table_rows(t)) {
        render_table_print(t, out, width);
        if (window)
            fprintf(out, "(latency over the last %" PRIu64 " s", window);
        else
            fputs("(latency since the start", out);
        fputs(prev && dt > 0 ? "; request rates leave out this watcher's own stats calls)\n"
                             : ")\n", out);
    } else {
        fputs("no requests yet\n", out);
    }
    render_table_free(t);
}

static void sv_subscriptions(FILE *out, const json_t *cur, size_t width)
{
    static const render_col cols[] = {
        { "SUB", 0, 0 }, { "CONN", 0, 0 }, { "PEER", RENDER_SHRINK, 0 }, { "LIVE", 0, 0 },
        { "CHECKED", 0, 0 }, { "LAG", 0, 0 }, { "QUEUED", 0, 0 }, { "AGE", 0, 0 },
    };
    const json_t *subs = json_object_get(cur, "subscriptions");
    uint64_t total = sv_count(cur, "server", "subscriptions");
    if (json_array_size(subs) == 0) {
        fputs("no subscriptions\n", out);
        return;
    }
    render_table *t = render_table_new(cols, sizeof cols / sizeof cols[0]);
    size_t i;
    const json_t *s;
    json_array_foreach(subs, i, s) {
        char sub[24], conn[24], checked[24], lag[24], queued[32], age[32];
        snprintf(sub, sizeof sub, "%" PRIu64, sv_count(s, "sub", NULL));
        snprintf(conn, sizeof conn, "%" PRIu64, sv_count(s, "conn", NULL));
        snprintf(checked, sizeof checked, "%" PRIu64, sv_count(s, "checked", NULL));
        snprintf(lag, sizeof lag, "%" PRIu64, sv_count(s, "lag", NULL));
        stats_view_bytes(queued, sizeof queued, (double)sv_count(s, "queued_bytes", NULL));
        stats_view_uptime(age, sizeof age, sv_count(s, "age", NULL));
        const char *cells[] = { sub, conn, sv_string(s, "peer"),
                                json_is_true(json_object_get(s, "live")) ? "yes" : "catching up",
                                checked, lag, queued, age };
        render_table_add(t, cells);
    }
    render_table_print(t, out, width);
    render_table_free(t);
    if (total > json_array_size(subs))
        fprintf(out, "(%zu of %" PRIu64 " subscriptions shown)\n", json_array_size(subs), total);
}

void stats_view_render(FILE *out, const json_t *cur, const json_t *prev, double dt, size_t width)
{
    const json_t *srv = json_object_get(cur, "server"), *psrv = json_object_get(prev, "server");
    const json_t *db = json_object_get(cur, "db"), *log = json_object_get(cur, "changelog");
    const json_t *perr = json_object_get(srv, "protocol_errors");
    int have_prev = prev && dt > 0;
    char up[32], req[64], in[80], outb[80], used[32], map[32], file[32], disk[32];

    stats_view_uptime(up, sizeof up, sv_count(srv, "uptime", NULL));
    fprintf(out, "annalsd %s  pid %" PRIu64 "  up %s  seq %" PRIu64 "  events %" PRIu64 "\n",
            sv_string(srv, "version"), sv_count(srv, "pid", NULL), up, sv_count(cur, "seq", NULL),
            sv_count(cur, "events", NULL));
    fprintf(out, "connections %" PRIu64 " (%" PRIu64 " since start)  subscriptions %" PRIu64 "\n",
            sv_count(srv, "connections", NULL), sv_count(srv, "connections_total", NULL),
            sv_count(srv, "subscriptions", NULL));
    sv_count_rate(req, sizeof req, sv_count(srv, "requests", NULL), sv_count(psrv, "requests", NULL),
                  have_prev, dt);
    sv_bytes_rate(in, sizeof in, sv_count(srv, "bytes_in", NULL), sv_count(psrv, "bytes_in", NULL),
                  have_prev, dt);
    sv_bytes_rate(outb, sizeof outb, sv_count(srv, "bytes_out", NULL), sv_count(psrv, "bytes_out", NULL),
                  have_prev, dt);
    fprintf(out, "requests %s  in %s  out %s\n", req, in, outb);
    fprintf(out, "protocol errors: unknown method %" PRIu64 ", malformed %" PRIu64 ", framing %" PRIu64
            ", ignored %" PRIu64 "\n", sv_count(perr, "unknown_method", NULL), sv_count(perr, "malformed", NULL),
            sv_count(perr, "framing", NULL), sv_count(perr, "ignored", NULL));
    stats_view_bytes(used, sizeof used, (double)sv_count(db, "used_bytes", NULL));
    stats_view_bytes(map, sizeof map, (double)sv_count(db, "map_size", NULL));
    stats_view_bytes(file, sizeof file, (double)sv_count(db, "file_bytes", NULL));
    stats_view_bytes(disk, sizeof disk, (double)sv_count(db, "disk_bytes", NULL));
    fprintf(out, "database %s used of a %s map (%.1f%%); file %s, %s on disk\n", used, map,
            json_number_value(json_object_get(db, "map_use")) * 100, file, disk);
    if (sv_count(cur, "changes", NULL))
        fprintf(out, "change log: seq %" PRIu64 "..%" PRIu64 " (%" PRIu64 " entries)",
                sv_count(log, "first", NULL), sv_count(log, "last", NULL), sv_count(cur, "changes", NULL));
    else
        fputs("change log: empty", out);
    fprintf(out, "  index waiting %" PRIu64 "\n\n", sv_count(cur, "index", "waiting"));
    sv_methods(out, cur, prev, dt, width);
    fputc('\n', out);
    sv_subscriptions(out, cur, width);
}
