/* feed.h: the change feed: subscriptions that stream the change log to a
 * connection (first the backlog read from LMDB as fast as the socket
 * drains, then live changes as the writer commits them, with no gap and no
 * duplicate across the switch), heartbeats, overflow, and the pull-style
 * changes method. PROTOCOL.md section 9 is the contract. */
#ifndef ANNALS_FEED_H
#define ANNALS_FEED_H

#include "daemon/rpc.h"
#include "daemon/writer.h"

#define FEED_CHANGES_LIMIT_DEFAULT 100
#define FEED_CHANGES_LIMIT_MAX 10000

/* Handlers. */
int feed_subscribe(rpc_call *call);
int feed_unsubscribe(rpc_call *call);
int feed_changes(rpc_call *call);

/* feed_start / feed_stop: the heartbeat timer (and periodic retention). */
void feed_start(server_t *srv);
void feed_stop(server_t *srv);

/* feed_publish: queue the changes of a committed job for live
 * subscriptions (loop thread, in commit order); feed_flush sends them. */
void feed_publish(server_t *srv, const writer_job *job);

/* feed_flush: hand the feed output queued on connections to uv_write
 * (called once per batch of writer completions; ud is the server). */
void feed_flush(void *ud);

/* feed_pump: deliver more backlog to c's catching-up subscriptions while its
 * output queue is short. */
void feed_pump(conn_t *c);

/* feed_pack_list: pack an array describing the first max subscriptions
 * (newest first) for stats; seq is the current seq their lag is counted
 * from (PROTOCOL.md, stats). */
void feed_pack_list(server_t *srv, msgpack_packer *pk, uint64_t seq, size_t max);

/* feed_conn_closed: end c's subscriptions. */
void feed_conn_closed(conn_t *c);

#endif
