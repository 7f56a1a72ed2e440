/* info.c: hello, ping and stats. */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/auth.h"
#include "daemon/feed.h"
#include "daemon/info.h"
#include "daemon/tokens.h"
#include "proto/error.h"
#include "proto/version.h"

static void info_kv_uint(msgpack_packer *pk, const char *key, uint64_t v)
{
    buf_pack_cstr(pk, key);
    msgpack_pack_uint64(pk, v);
}

/* How many subscriptions stats lists (server.subscriptions counts them all). */
#define INFO_SUBS_LISTED 100

/* The latency percentiles stats reports, and their keys. */
static const double info_percentiles[] = { 50, 90, 99 };
static const char *const info_percentile_keys[] = { "p50", "p90", "p99" };
#define INFO_NPERCENTILES (sizeof info_percentiles / sizeof info_percentiles[0])

/* {p50, p90, p99, max} of percentiles p (INFO_NPERCENTILES of them). */
static void info_pack_percentiles(msgpack_packer *pk, const uint64_t *p, uint64_t max)
{
    for (size_t j = 0; j < INFO_NPERCENTILES; j++)
        info_kv_uint(pk, info_percentile_keys[j], p[j]);
    info_kv_uint(pk, "max", max);
}

/* methods: {name: {requests, errors, errors_by_code, dropped, latency_us,
 * recent_latency_us}} */
static void info_pack_methods(msgpack_packer *pk, const metrics_t *m)
{
    uint64_t now_ms = metrics_now_ns() / 1000000;
    msgpack_pack_map(pk, (uint32_t)m->nmethods);
    for (size_t i = 0; i < m->nmethods; i++) {
        const metrics_method *mm = &m->methods[i];
        buf_pack_cstr(pk, rpc_method_name(i));
        msgpack_pack_map(pk, 6);
        info_kv_uint(pk, "requests", mm->requests);
        info_kv_uint(pk, "errors", mm->errors);
        uint32_t ncodes = 0;
        for (int k = 1; k < METRICS_CODES; k++)
            ncodes += mm->errors_by_code[k] > 0;
        buf_pack_cstr(pk, "errors_by_code");
        msgpack_pack_map(pk, ncodes);
        for (int k = 1; k < METRICS_CODES; k++)
            if (mm->errors_by_code[k])
                info_kv_uint(pk, error_wire_name(-k), mm->errors_by_code[k]);
        info_kv_uint(pk, "dropped", mm->dropped);
        uint64_t p[INFO_NPERCENTILES], count, max;
        latency_percentiles(&mm->latency, info_percentiles, INFO_NPERCENTILES, p);
        buf_pack_cstr(pk, "latency_us");
        msgpack_pack_map(pk, INFO_NPERCENTILES + 1);
        info_pack_percentiles(pk, p, mm->latency.max);
        latency_window_percentiles(&mm->recent, now_ms, info_percentiles, INFO_NPERCENTILES, p,
                                   &count, &max);
        buf_pack_cstr(pk, "recent_latency_us");
        msgpack_pack_map(pk, INFO_NPERCENTILES + 3);
        info_pack_percentiles(pk, p, max);
        info_kv_uint(pk, "requests", count);
        info_kv_uint(pk, "window_s", LATENCY_WINDOW_S);
    }
}

/* db's figures of the data file on disk: its size, and the bytes its
 * blocks take (less for a sparse file: LMDB's map is allocated as used). */
static void info_pack_file(msgpack_packer *pk, const char *dir)
{
    char path[4096];
    struct stat sb;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    if (stat(path, &sb) != 0)
        sb = (struct stat){ 0 };
    info_kv_uint(pk, "file_bytes", (uint64_t)sb.st_size);
    info_kv_uint(pk, "disk_bytes", (uint64_t)sb.st_blocks * 512);
}

int info_hello(rpc_call *call)
{
    msgpack_packer *pk = &call->pk;
    msgpack_pack_map(pk, 6);
    buf_pack_cstr(pk, "server");
    buf_pack_cstr(pk, "annalsd");
    buf_pack_cstr(pk, "version");
    buf_pack_cstr(pk, ANNALS_VERSION);
    info_kv_uint(pk, "protocol", ANNALS_PROTOCOL);
    info_kv_uint(pk, "seq", store_seq(call->srv->store));
    /* Whether a client must call auth, and what this connection may do. */
    buf_pack_cstr(pk, "auth");
    if (tokens_any(call->srv->tokens))
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
    buf_pack_cstr(pk, "access");
    buf_pack_cstr(pk, tokens_access_name(auth_access(call->conn)));
    return 0;
}

int info_ping(rpc_call *call)
{
    msgpack_pack_map(&call->pk, 1);
    buf_pack_cstr(&call->pk, "pong");
    msgpack_pack_true(&call->pk);
    return 0;
}

int info_stats(rpc_call *call)
{
    server_t *srv = call->srv;
    msgpack_packer *pk = &call->pk;
    store_reader *r;
    store_stats_t st;
    writer_stats_t ws;

    int rc = store_read_begin(srv->store, &r, call->err, sizeof call->err);
    if (rc)
        return rc;
    rc = store_stats(r, &st);
    store_read_end(r);
    if (rc) {
        snprintf(call->err, sizeof call->err, "cannot read database statistics");
        return rc;
    }
    writer_stats(srv->writer, &ws);

    msgpack_pack_map(pk, 11);
    info_kv_uint(pk, "events", st.events);
    info_kv_uint(pk, "seq", st.seq);
    info_kv_uint(pk, "changes", st.changes);
    info_kv_uint(pk, "trimmed", store_trimmed(srv->store));

    buf_pack_cstr(pk, "server");
    msgpack_pack_map(pk, 10);
    buf_pack_cstr(pk, "version");
    buf_pack_cstr(pk, ANNALS_VERSION);
    info_kv_uint(pk, "pid", (uint64_t)getpid());
    info_kv_uint(pk, "uptime", (server_clock_ms() - srv->started_ms) / 1000);
    info_kv_uint(pk, "connections", srv->nconns);
    info_kv_uint(pk, "connections_total", srv->connections_total);
    info_kv_uint(pk, "requests", srv->metrics.requests);
    info_kv_uint(pk, "subscriptions", srv->nsubs);
    info_kv_uint(pk, "bytes_in", srv->metrics.bytes_in);
    info_kv_uint(pk, "bytes_out", srv->metrics.bytes_out);
    buf_pack_cstr(pk, "protocol_errors");
    msgpack_pack_map(pk, 4);
    info_kv_uint(pk, "unknown_method", srv->metrics.unknown_method);
    info_kv_uint(pk, "malformed", srv->metrics.malformed);
    info_kv_uint(pk, "framing", srv->metrics.framing);
    info_kv_uint(pk, "ignored", srv->metrics.ignored);

    buf_pack_cstr(pk, "writes");
    msgpack_pack_map(pk, 5);
    info_kv_uint(pk, "commits", ws.commits);
    info_kv_uint(pk, "events_written", ws.events_written);
    info_kv_uint(pk, "deletes", ws.deletes);
    info_kv_uint(pk, "largest_batch", ws.largest_batch);
    info_kv_uint(pk, "failed", ws.failed_jobs);

    buf_pack_cstr(pk, "index");
    msgpack_pack_map(pk, 4);
    info_kv_uint(pk, "waiting", store_index_lag(srv->store));
    info_kv_uint(pk, "commits", ws.index_commits);
    info_kv_uint(pk, "events_indexed", ws.events_indexed);
    info_kv_uint(pk, "failures", ws.index_failures);

    buf_pack_cstr(pk, "db");
    msgpack_pack_map(pk, 8);
    buf_pack_cstr(pk, "path");
    buf_pack_cstr(pk, store_path(srv->store));
    info_kv_uint(pk, "map_size", st.map_size);
    info_kv_uint(pk, "used_bytes", st.used_bytes);
    info_kv_uint(pk, "page_size", st.page_size);
    info_kv_uint(pk, "format", STORE_FORMAT);
    buf_pack_cstr(pk, "map_use");
    msgpack_pack_double(pk, st.map_size ? (double)st.used_bytes / (double)st.map_size : 0.0);
    info_pack_file(pk, store_path(srv->store));

    buf_pack_cstr(pk, "changelog");
    msgpack_pack_map(pk, 2);
    info_kv_uint(pk, "first", st.changes_first);
    info_kv_uint(pk, "last", st.changes_last);

    buf_pack_cstr(pk, "methods");
    info_pack_methods(pk, &srv->metrics);

    buf_pack_cstr(pk, "subscriptions");
    feed_pack_list(srv, pk, st.seq, INFO_SUBS_LISTED);
    return 0;
}
