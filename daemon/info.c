/* info.c: hello, ping and stats. */
#include <stdio.h>
#include <unistd.h>

#include "daemon/auth.h"
#include "daemon/info.h"
#include "daemon/tokens.h"
#include "proto/error.h"
#include "proto/version.h"

static void info_kv_uint(msgpack_packer *pk, const char *key, uint64_t v)
{
    buf_pack_cstr(pk, key);
    msgpack_pack_uint64(pk, v);
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

    msgpack_pack_map(pk, 8);
    info_kv_uint(pk, "events", st.events);
    info_kv_uint(pk, "seq", st.seq);
    info_kv_uint(pk, "changes", st.changes);
    info_kv_uint(pk, "trimmed", store_trimmed(srv->store));

    buf_pack_cstr(pk, "server");
    msgpack_pack_map(pk, 7);
    buf_pack_cstr(pk, "version");
    buf_pack_cstr(pk, ANNALS_VERSION);
    info_kv_uint(pk, "pid", (uint64_t)getpid());
    info_kv_uint(pk, "uptime", (server_now_ms() - srv->started_ms) / 1000);
    info_kv_uint(pk, "connections", srv->nconns);
    info_kv_uint(pk, "connections_total", srv->connections_total);
    info_kv_uint(pk, "requests", srv->requests);
    info_kv_uint(pk, "subscriptions", srv->nsubs);

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
    msgpack_pack_map(pk, 5);
    buf_pack_cstr(pk, "path");
    buf_pack_cstr(pk, store_path(srv->store));
    info_kv_uint(pk, "map_size", st.map_size);
    info_kv_uint(pk, "used_bytes", st.used_bytes);
    info_kv_uint(pk, "page_size", st.page_size);
    info_kv_uint(pk, "format", STORE_FORMAT);
    return 0;
}
