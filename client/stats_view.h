/* stats_view.h: the compact summary `annals stats --watch` redraws on a
 * terminal, and the per-second rates it computes from two successive stats
 * samples. Pure functions of the samples (no connection), unit-tested. */
#ifndef ANNALS_CLIENT_STATS_VIEW_H
#define ANNALS_CLIENT_STATS_VIEW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

/* stats_view_bytes: n bytes as "512 B", "1.5 KiB", "3.2 MiB", ... into out. */
void stats_view_bytes(char *out, size_t size, double n);

/* stats_view_us: a latency of us microseconds as "850us", "1.23ms" or "4.56s". */
void stats_view_us(char *out, size_t size, uint64_t us);

/* stats_view_uptime: secs as "42s", "5m03s", "1h02m03s" or "3d04h05m". */
void stats_view_uptime(char *out, size_t size, uint64_t secs);

/* stats_view_rates: a new object {seconds, requests, bytes_in, bytes_out}:
 * how much each of server's requests, bytes_in and bytes_out grew per second
 * from prev to cur, dt seconds apart (a counter that went down, as after a
 * restart, counts from 0). requests leaves out the watcher's own stats call
 * of the sample prev, which the server counts between the two. NULL when
 * prev is NULL or dt is not positive. */
json_t *stats_view_rates(const json_t *cur, const json_t *prev, double dt);

/* stats_view_render: the summary of the stats sample cur for a terminal
 * width columns wide: server, traffic (with rates when prev, the sample dt
 * seconds before, is given, less the watcher's own stats calls), protocol
 * errors, database, change log, then a table of the methods that were
 * called, with their latency over the server's recent window (since the
 * start from a server without one), and one of the subscriptions listed. */
void stats_view_render(FILE *out, const json_t *cur, const json_t *prev, double dt, size_t width);

#endif
