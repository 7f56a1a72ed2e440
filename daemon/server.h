/* server.h: the daemon's shared state: listeners, the list of connections,
 * the store and the writer, counters, and the shutdown sequence. */
#ifndef ANNALS_SERVER_H
#define ANNALS_SERVER_H

#include <stdint.h>
#include <uv.h>
#include <msgpack.h>

#include "daemon/config.h"
#include "daemon/metrics.h"
#include "daemon/store.h"
#include "daemon/tokens.h"
#include "daemon/writer.h"
#include "proto/frame.h"

typedef struct conn conn_t;
typedef struct feed_sub feed_sub;

typedef struct server {
    uv_loop_t *loop;
    const config_t *cfg;
    frame_limits limits;          /* what one message may be, from cfg */
    const tokens_t *tokens;       /* the access tokens; none: no auth */
    store_t *store;
    writer_t *writer;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
    int has_tcp, has_pipe;
    char tcp_addr[128];           /* as bound, e.g. "127.0.0.1:7411" */
    uv_signal_t sigint, sigterm, sighup;
    uv_timer_t shutdown_timer;
    uv_timer_t sweep_timer;       /* request, idle and output timeouts */
    conn_t *conns;                /* intrusive list of open connections */
    unsigned nconns;
    int stopping;
    msgpack_zone zone;            /* the message being handled is decoded into it; cleared after */
    /* change feed */
    feed_sub *subs;               /* every subscription */
    unsigned nsubs;
    uint64_t next_sub_id;
    uv_timer_t feed_timer;
    msgpack_unpacked feed_scratch;
    uint64_t last_trim_ms;
    conn_t **dirty;               /* connections with feed output to flush */
    unsigned ndirty, dirty_cap;
    int backup_running;           /* a backup is being made (backup.c) */
    /* counters for stats */
    uint64_t started_ms;          /* server_clock_ms of the start (for uptime) */
    uint64_t connections_total;
    uint64_t next_conn_id;
    metrics_t metrics;            /* per method, protocol errors, bytes */
} server_t;

/* server_start: listen as configured and install signal handlers; tokens
 * (which must outlive the server) says who may connect. Returns 0, or -1
 * after logging why. */
int server_start(server_t *srv, uv_loop_t *loop, const config_t *cfg, const tokens_t *tokens,
                 store_t *store);

/* server_check_exposure: refuse (-1, with the reason and the settings that
 * would fix it in err) a TCP listener that other hosts can reach when no
 * token is configured; 0 when listen is off, loopback (127.0.0.0/8, ::1) or
 * tokens are configured. Also -1 when listen does not parse. */
int server_check_exposure(const config_t *cfg, int have_tokens, char *err, size_t errlen);

/* server_stop: begin the shutdown: stop accepting, answer what is in flight,
 * close connections (forcibly after shutdown_timeout), stop the writer. The
 * loop ends once everything is closed. */
void server_stop(server_t *srv);

/* server_conn_gone: a connection was freed; finishes a shutdown in progress
 * once the last one is. */
void server_conn_gone(server_t *srv);

/* server_clock_ms: a monotonic clock in milliseconds, for durations
 * (uptime, how long a backup took): unlike the wall clock, it does not jump
 * when the system time is set, so a difference of two readings is never
 * negative. Not a date: times shown to people as dates use the wall clock. */
uint64_t server_clock_ms(void);

#endif
