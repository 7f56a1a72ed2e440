/* metrics.h: the request accounting behind stats: for each method, the
 * requests answered, their errors by code, the requests dropped with their
 * connection, and latency histograms (since the start, and over the last
 * minute); the messages that were not requests of a known method; the bytes
 * read and written. Counts are cumulative since the daemon started. Every
 * outcome is settled on the loop thread, which alone touches these, so there
 * is no lock.
 *
 * A request is counted once, when its outcome is settled: answered (its
 * reply queued), dropped (its connection closed first), or refused before a
 * method was known (unknown_method, malformed). `requests` is the sum of all
 * of these, so a request still being worked on is in none of them. */
#ifndef ANNALS_METRICS_H
#define ANNALS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/latency.h"
#include "daemon/latency_window.h"
#include "proto/error.h"

#define METRICS_COUNT_(name, value, wire, msg) + 1
/* Error codes run from 0 down to -(METRICS_CODES - 1) (error.h). */
enum { METRICS_CODES = 0 ERROR_TABLE(METRICS_COUNT_) };
#undef METRICS_COUNT_

typedef struct {
    uint64_t requests;                      /* answered, errors included */
    uint64_t errors;
    uint64_t errors_by_code[METRICS_CODES]; /* indexed by -code */
    uint64_t dropped;                       /* taken, connection closed before the reply */
    latency_hist latency;                   /* microseconds from arrival to reply */
    latency_window recent;                  /* the same, over the last minute */
} metrics_method;

typedef struct {
    metrics_method *methods;   /* owned; one per method, in rpc's table order */
    size_t nmethods;
    uint64_t requests;         /* every request settled (see above) */
    uint64_t unknown_method;   /* requests naming a method we do not have */
    uint64_t malformed;        /* messages that are not a well-formed request */
    uint64_t framing;          /* framing or MessagePack errors (the connection is closed) */
    uint64_t ignored;          /* responses and notifications sent by clients */
    uint64_t bytes_in;         /* read from clients */
    uint64_t bytes_out;        /* taken by the kernel for clients */
} metrics_t;

/* metrics_init / metrics_release: counters for nmethods methods, all zero. */
void metrics_init(metrics_t *m, size_t nmethods);
void metrics_release(metrics_t *m);

/* metrics_now_ns: the monotonic clock requests are timed with (ns). */
uint64_t metrics_now_ns(void);

/* metrics_reply: the reply to a request of method (an index into the
 * table) was queued with result rc (0 or an ERROR_ code); arrived_ns is
 * when the request arrived (metrics_now_ns of the read that completed it). */
void metrics_reply(metrics_t *m, int method, int rc, uint64_t arrived_ns);

/* metrics_dropped: a request of method was taken (handed to the writer or
 * the backup thread, or decoded and kept waiting for writes or the index)
 * and its connection closed before its reply could be queued. */
void metrics_dropped(metrics_t *m, int method);

/* metrics_unknown_method / metrics_malformed: a request naming no method of
 * ours, or a message that is not a well-formed request, was answered. */
void metrics_unknown_method(metrics_t *m);
void metrics_malformed(metrics_t *m);

#endif
