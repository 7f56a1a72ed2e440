/* metrics.h: the request accounting behind stats: for each method, the
 * requests answered, their errors by code and a latency histogram; the
 * messages that were not requests of a known method; the bytes read and
 * written. Counts are cumulative since the daemon started. Every reply is
 * queued on the loop thread, which alone touches these, so there is no lock. */
#ifndef ANNALS_METRICS_H
#define ANNALS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/latency.h"
#include "proto/error.h"

#define METRICS_COUNT_(name, value, wire, msg) + 1
/* Error codes run from 0 down to -(METRICS_CODES - 1) (error.h). */
enum { METRICS_CODES = 0 ERROR_TABLE(METRICS_COUNT_) };
#undef METRICS_COUNT_

typedef struct {
    uint64_t requests;                      /* answered, errors included */
    uint64_t errors;
    uint64_t errors_by_code[METRICS_CODES]; /* indexed by -code */
    latency_hist latency;                   /* microseconds from framing to reply */
} metrics_method;

typedef struct {
    metrics_method *methods;   /* owned; one per method, in rpc's table order */
    size_t nmethods;
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
 * when the request was framed (metrics_now_ns). */
void metrics_reply(metrics_t *m, int method, int rc, uint64_t arrived_ns);

#endif
