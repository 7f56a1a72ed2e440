/* metrics.c: request accounting for stats (see metrics.h). */
#include <stdlib.h>
#include <uv.h>

#include "daemon/metrics.h"
#include "proto/xalloc.h"

void metrics_init(metrics_t *m, size_t nmethods)
{
    *m = (metrics_t){ 0 };
    m->methods = xcalloc(nmethods, sizeof *m->methods);
    m->nmethods = nmethods;
    for (size_t i = 0; i < nmethods; i++) {
        latency_init(&m->methods[i].latency);
        latency_window_init(&m->methods[i].recent);
    }
}

void metrics_release(metrics_t *m)
{
    free(m->methods);
    m->methods = NULL;
    m->nmethods = 0;
}

uint64_t metrics_now_ns(void)
{
    return uv_hrtime();
}

void metrics_reply(metrics_t *m, int method, int rc, uint64_t arrived_ns)
{
    if (method < 0 || (size_t)method >= m->nmethods)
        return;
    metrics_method *mm = &m->methods[method];
    m->requests++;
    mm->requests++;
    if (rc) {
        mm->errors++;
        /* A code outside the table would be answered as internal (error.c). */
        int k = rc < 0 && -rc < METRICS_CODES ? -rc : -ERROR_INTERNAL;
        mm->errors_by_code[k]++;
    }
    uint64_t now = metrics_now_ns();
    uint64_t us = now > arrived_ns ? (now - arrived_ns) / 1000 : 0;
    latency_record(&mm->latency, us);
    latency_window_record(&mm->recent, now / 1000000, us);
}

void metrics_dropped(metrics_t *m, int method)
{
    if (method < 0 || (size_t)method >= m->nmethods)
        return;
    m->requests++;
    m->methods[method].dropped++;
}

void metrics_unknown_method(metrics_t *m)
{
    m->requests++;
    m->unknown_method++;
}

void metrics_malformed(metrics_t *m)
{
    m->requests++;
    m->malformed++;
}
