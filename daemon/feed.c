/* feed.c: subscriptions, the backlog/live switch, heartbeats, overflow and
 * the changes method (see feed.h).
 *
 * Every subscription keeps `checked`, the seq up to which every change has
 * been evaluated against its filter. While catching up it reads the change
 * log after `checked` in chunks, only while its connection's output queue is
 * short; when a chunk reaches the end of the log it turns live. Live changes
 * are published by the writer's completions in seq order, after their
 * commit, and a subscription takes only those above `checked`: whatever
 * committed before it turned live was in the log it read, and whatever
 * commits after is published to it, so the switch has neither gap nor
 * duplicate. All of this runs on the loop thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/conn.h"
#include "daemon/events.h"
#include "daemon/feed.h"
#include "daemon/filter.h"
#include "daemon/log.h"
#include "daemon/params.h"
#include "daemon/store.h"
#include "proto/error.h"
#include "proto/xalloc.h"

/* Backlog is read in chunks of this many entries, and only while the
 * connection has less than this many reply bytes queued. */
#define FEED_CHUNK 256
#define FEED_BACKLOG_WATERMARK (256 * 1024)
/* changes examines at most this many entries per call, so a filter that
 * matches little cannot hold the loop; next tells where it stopped. */
#define FEED_CHANGES_SCAN_MAX 100000
#define FEED_TRIM_INTERVAL_MS 1000

struct feed_sub {
    feed_sub *next;          /* in the server's list */
    feed_sub *conn_next;     /* in the connection's list */
    conn_t *conn;
    uint64_t id;
    filter_t filter;
    uint64_t checked;        /* every change <= this was evaluated */
    uint64_t delivered;      /* the last seq sent (or the starting point) */
    int live;
    uint64_t quiet_since_ms; /* when it was last sent anything */
    /* for stats */
    uint64_t since;          /* the seq it started after */
    uint64_t created_ms;     /* loop time of the subscribe */
    int filtered;            /* a window or field filter was given */
};

/* Bytes queued for c and not yet taken by the kernel. (out_inflight would
 * also count bytes already written whose callbacks have not run yet.) */
static size_t feed_queued(const conn_t *c)
{
    return c->out.len + uv_stream_get_write_queue_size(&c->h.stream);
}

static int feed_matches(const feed_sub *s, const index_change *ch, msgpack_unpacked *scratch)
{
    if (ch->has_new && filter_record(&s->filter, &ch->rec, scratch))
        return 1;
    /* A put that moves an event out of the filter, and the delete of an
     * event that matched, concern a consumer that holds the old version. */
    return ch->has_prev && filter_record(&s->filter, &ch->prev, scratch);
}

/* [2, method, [{sub, seq}]] for heartbeat and overflow. */
static void feed_pack_marker(conn_t *c, const char *method, uint64_t sub, uint64_t seq)
{
    msgpack_packer pk;
    buf_packer_init(&pk, &c->out);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_uint8(&pk, 2);
    buf_pack_cstr(&pk, method);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 2);
    buf_pack_cstr(&pk, "sub");
    msgpack_pack_uint64(&pk, sub);
    buf_pack_cstr(&pk, "seq");
    msgpack_pack_uint64(&pk, seq);
}

/* The entries of a change map after "sub": seq, op, id and, for a put, the
 * event (3 or 4 entries). */
static void feed_pack_entries(msgpack_packer *pk, const index_change *ch)
{
    buf_pack_cstr(pk, "seq");
    msgpack_pack_uint64(pk, ch->seq);
    buf_pack_cstr(pk, "op");
    buf_pack_cstr(pk, ch->op == INDEX_OP_PUT ? "put" : "delete");
    buf_pack_cstr(pk, "id");
    buf_pack_str(pk, ch->id, ch->idlen);
    if (ch->has_new) {
        buf_pack_cstr(pk, "event");
        events_pack_record(pk, ch->id, ch->idlen, &ch->rec, -1);
    }
}

/* Pack a change notification for s. The entries after sub are the same for
 * every subscriber, so they are packed once per change into *shared (when
 * given) and copied. */
static void feed_send_change(feed_sub *s, const index_change *ch, buf_t *shared)
{
    msgpack_packer pk;
    buf_t local;
    buf_t *rest = shared ? shared : &local;
    if (!shared)
        buf_init(&local);
    if (rest->len == 0) {
        buf_packer_init(&pk, rest);
        feed_pack_entries(&pk, ch);
    }
    buf_packer_init(&pk, &s->conn->out);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_uint8(&pk, 2);
    buf_pack_cstr(&pk, "change");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, ch->has_new ? 5 : 4);
    buf_pack_cstr(&pk, "sub");
    msgpack_pack_uint64(&pk, s->id);
    buf_append(&s->conn->out, rest->data, rest->len);
    if (!shared)
        buf_release(&local);
    s->delivered = ch->seq;
    s->quiet_since_ms = uv_now(s->conn->srv->loop);
}

static void feed_unlink(feed_sub *s)
{
    server_t *srv = s->conn->srv;
    feed_sub **pp;
    for (pp = &srv->subs; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    for (pp = &s->conn->subs; *pp; pp = &(*pp)->conn_next)
        if (*pp == s) {
            *pp = s->conn_next;
            break;
        }
    srv->nsubs--;
    filter_release(&s->filter);
    free(s);
}

static feed_sub *feed_find(conn_t *c, uint64_t id)
{
    for (feed_sub *s = c->subs; s; s = s->conn_next)
        if (s->id == id)
            return s;
    return NULL;
}

/* Read `since` (default: the current seq, also returned in *current, read
 * once so the reply and the starting point agree) and check it against what
 * the change log still holds. */
static int feed_since(rpc_call *call, uint64_t *since, int *given, uint64_t *current)
{
    uint64_t seq = store_seq(call->srv->store), trimmed = store_trimmed(call->srv->store);
    *current = seq;
    *since = seq;
    *given = params_get(call, "since") != NULL;
    int rc = params_uint(call, "since", 0, UINT64_MAX, since);
    if (rc)
        return rc;
    if (*since > seq) {
        snprintf(call->err, sizeof call->err, "since: %llu is beyond the current seq %llu",
                 (unsigned long long)*since, (unsigned long long)seq);
        return ERROR_BAD_REQUEST;
    }
    if (*since < trimmed) {
        snprintf(call->err, sizeof call->err,
                 "since: changes up to seq %llu were trimmed from the change log; the oldest "
                 "available is %llu: resynchronise (e.g. with export) and resume from a newer seq",
                 (unsigned long long)trimmed, (unsigned long long)trimmed + 1);
        call->err_detail = "oldest";
        call->err_detail_value = trimmed + 1;
        return ERROR_GONE;
    }
    return 0;
}

int feed_subscribe(rpc_call *call)
{
    server_t *srv = call->srv;
    uint64_t since, current;
    int given;
    feed_sub *s = xcalloc(1, sizeof *s);
    int rc = filter_parse(call, &s->filter);
    if (rc == 0)
        rc = feed_since(call, &since, &given, &current);
    if (rc) {
        filter_release(&s->filter);
        free(s);
        return rc;
    }
    s->conn = call->conn;
    s->id = ++srv->next_sub_id;
    s->checked = s->delivered = since;
    s->live = !given;          /* from now on: nothing to catch up on */
    s->quiet_since_ms = s->created_ms = uv_now(s->conn->srv->loop);
    s->since = since;
    s->filtered = call->params && call->params->via.map.size > (uint32_t)(given ? 1 : 0);
    s->next = srv->subs;
    srv->subs = s;
    s->conn_next = call->conn->subs;
    call->conn->subs = s;
    srv->nsubs++;

    msgpack_pack_map(&call->pk, 2);
    buf_pack_cstr(&call->pk, "sub");
    msgpack_pack_uint64(&call->pk, s->id);
    buf_pack_cstr(&call->pk, "seq");
    msgpack_pack_uint64(&call->pk, current);
    log_debug("conn %llu: subscription %llu since %llu", (unsigned long long)call->conn->id,
              (unsigned long long)s->id, (unsigned long long)since);
    /* The reply is complete in the output buffer: the backlog follows it. */
    if (!s->live)
        feed_pump(call->conn);
    return 0;
}

int feed_unsubscribe(rpc_call *call)
{
    uint64_t id = 0;
    if (!params_get(call, "sub")) {
        snprintf(call->err, sizeof call->err, "sub: required");
        return ERROR_BAD_REQUEST;
    }
    int rc = params_uint(call, "sub", 1, UINT64_MAX, &id);
    if (rc)
        return rc;
    feed_sub *s = feed_find(call->conn, id);
    if (!s) {
        snprintf(call->err, sizeof call->err, "no subscription %llu on this connection",
                 (unsigned long long)id);
        return ERROR_NOT_FOUND;
    }
    msgpack_pack_map(&call->pk, 2);
    buf_pack_cstr(&call->pk, "sub");
    msgpack_pack_uint64(&call->pk, id);
    buf_pack_cstr(&call->pk, "seq");
    msgpack_pack_uint64(&call->pk, s->checked);
    feed_unlink(s);
    return 0;
}

/* ---- backlog ---- */

/* A catching-up subscription whose next changes were trimmed before it read
 * them: say so, with where the log now starts, and end it. */
static void feed_gone(feed_sub *s, uint64_t oldest)
{
    conn_t *c = s->conn;
    msgpack_packer pk;
    log_info("conn %llu: subscription %llu fell behind retention at seq %llu",
             (unsigned long long)c->id, (unsigned long long)s->id, (unsigned long long)s->checked);
    buf_packer_init(&pk, &c->out);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_uint8(&pk, 2);
    buf_pack_cstr(&pk, "gone");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 3);
    buf_pack_cstr(&pk, "sub");
    msgpack_pack_uint64(&pk, s->id);
    buf_pack_cstr(&pk, "seq");
    msgpack_pack_uint64(&pk, s->delivered);
    buf_pack_cstr(&pk, "oldest");
    msgpack_pack_uint64(&pk, oldest);
    feed_unlink(s);
}

typedef struct {
    feed_sub *s;
    msgpack_unpacked *scratch;
    unsigned seen;
    uint64_t gap_at;         /* first seq found after a hole, or 0 */
} feed_pump_state;

static int feed_on_backlog(void *ud, const index_change *ch)
{
    feed_pump_state *st = ud;
    feed_sub *s = st->s;
    /* Every seq has an entry, so a jump means retention trimmed entries this
     * subscription had not read yet. */
    if (ch->seq != s->checked + 1) {
        st->gap_at = ch->seq;
        return 1;
    }
    if (feed_matches(s, ch, st->scratch))
        feed_send_change(s, ch, NULL);
    s->checked = ch->seq;
    return ++st->seen >= FEED_CHUNK || feed_queued(s->conn) >= FEED_BACKLOG_WATERMARK;
}

void feed_pump(conn_t *c)
{
    server_t *srv = c->srv;
    int progress = 1;
    while (progress && !c->closing && feed_queued(c) < FEED_BACKLOG_WATERMARK) {
        progress = 0;
        for (feed_sub *s = c->subs; s && feed_queued(c) < FEED_BACKLOG_WATERMARK; s = s->conn_next) {
            if (s->live)
                continue;
            store_reader *r;
            char err[256];
            feed_pump_state st = { s, &srv->feed_scratch, 0, 0 };
            /* Read the committed seq before the snapshot, so everything up
             * to it is in what the snapshot shows. */
            uint64_t end = store_seq(srv->store);
            if (store_read_begin(srv->store, &r, err, sizeof err) != 0) {
                log_error("feed: %s", err);
                return;
            }
            int rc = store_changes(r, s->checked, feed_on_backlog, &st);
            store_read_end(r);
            if (rc) {
                log_error("feed: the change log could not be read");
                return;
            }
            if (st.gap_at || (st.seen == 0 && s->checked < end)) {
                /* Entries up to end must be in the snapshot: none means trimmed. */
                feed_gone(s, st.gap_at ? st.gap_at : end + 1);
                progress = 1;
                break;              /* the list changed: start the walk again */
            }
            /* The log was read to its end (a chunk that stopped early because
             * the output filled up is not the end). */
            if (st.seen < FEED_CHUNK && feed_queued(c) < FEED_BACKLOG_WATERMARK)
                s->live = 1;
            progress = 1;
        }
    }
    conn_flush(c);
}

/* ---- live ---- */

/* Remember that c has feed output to flush. */
static void feed_mark_dirty(conn_t *c)
{
    server_t *srv = c->srv;
    if (c->feed_dirty)
        return;
    c->feed_dirty = 1;
    c->feed_backlog = feed_queued(c);
    if (srv->ndirty == srv->dirty_cap) {
        srv->dirty_cap = srv->dirty_cap ? srv->dirty_cap * 2 : 16;
        srv->dirty = xrealloc(srv->dirty, srv->dirty_cap * sizeof *srv->dirty);
    }
    srv->dirty[srv->ndirty++] = c;
}

/* Hand what the feed queued to uv_write, once per connection. Walks the
 * connections, not the subscriptions: one that overflowed has none left. */
void feed_flush(void *ud)
{
    server_t *srv = ud;
    /* Connections on the list are alive: a closing one removes itself. */
    for (unsigned i = 0; i < srv->ndirty; i++) {
        conn_t *c = srv->dirty[i];
        c->feed_dirty = 0;
        conn_flush(c);
    }
    srv->ndirty = 0;
}

void feed_publish(server_t *srv, const writer_job *job)
{
    if (!srv->subs || job->rc != 0)
        return;
    buf_t shared;
    buf_init(&shared);
    for (size_t i = 0; i < job->nitems; i++) {
        const writer_item *it = &job->items[i];
        index_change ch;
        if (!it->change || index_change_parse(it->seq, it->change, it->change_len, &ch) < 0)
            continue;
        buf_reset(&shared);
        feed_sub *s = srv->subs;
        while (s) {
            feed_sub *next = s->next;
            conn_t *c = s->conn;
            if (s->live && ch.seq > s->checked && !c->closing) {
                if (feed_matches(s, &ch, &srv->feed_scratch)) {
                    /* What counts is what the client left unread before this
                     * batch of commits: a reader that keeps up is not
                     * punished for one large commit. */
                    size_t behind = c->feed_dirty ? c->feed_backlog : feed_queued(c);
                    if (behind > srv->cfg->feed_buffer) {
                        /* Never a silent skip: say where to resume, and end it. */
                        log_info("conn %llu: subscription %llu overflowed at seq %llu",
                                 (unsigned long long)c->id, (unsigned long long)s->id,
                                 (unsigned long long)s->delivered);
                        feed_pack_marker(c, "overflow", s->id, s->delivered);
                        feed_unlink(s);
                        feed_mark_dirty(c);
                        s = next;
                        continue;
                    }
                    feed_mark_dirty(c);
                    feed_send_change(s, &ch, &shared);
                }
                s->checked = ch.seq;
            }
            s = next;
        }
    }
    buf_release(&shared);
}

void feed_conn_closed(conn_t *c)
{
    server_t *srv = c->srv;
    while (c->subs)
        feed_unlink(c->subs);
    if (c->feed_dirty) {
        for (unsigned i = 0; i < srv->ndirty; i++)
            if (srv->dirty[i] == c) {
                srv->dirty[i] = srv->dirty[--srv->ndirty];
                break;
            }
        c->feed_dirty = 0;
    }
}

/* ---- stats ---- */

static void feed_pack_bool(msgpack_packer *pk, const char *key, int v)
{
    buf_pack_cstr(pk, key);
    if (v)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
}

void feed_pack_list(server_t *srv, msgpack_packer *pk, uint64_t seq, size_t max)
{
    uint64_t now = uv_now(srv->loop);
    size_t n = 0;
    for (feed_sub *s = srv->subs; s && n < max; s = s->next)
        n++;
    msgpack_pack_array(pk, (uint32_t)n);
    feed_sub *s = srv->subs;
    for (size_t i = 0; i < n; i++, s = s->next) {
        msgpack_pack_map(pk, 11);
        buf_pack_cstr(pk, "sub");
        msgpack_pack_uint64(pk, s->id);
        buf_pack_cstr(pk, "conn");
        msgpack_pack_uint64(pk, s->conn->id);
        buf_pack_cstr(pk, "peer");
        buf_pack_cstr(pk, s->conn->peer);
        feed_pack_bool(pk, "live", s->live);
        feed_pack_bool(pk, "filtered", s->filtered);
        buf_pack_cstr(pk, "since");
        msgpack_pack_uint64(pk, s->since);
        buf_pack_cstr(pk, "checked");
        msgpack_pack_uint64(pk, s->checked);
        buf_pack_cstr(pk, "delivered");
        msgpack_pack_uint64(pk, s->delivered);
        buf_pack_cstr(pk, "lag");
        msgpack_pack_uint64(pk, seq > s->checked ? seq - s->checked : 0);
        buf_pack_cstr(pk, "queued_bytes");
        msgpack_pack_uint64(pk, s->conn->closing ? 0 : feed_queued(s->conn));
        buf_pack_cstr(pk, "age");
        msgpack_pack_uint64(pk, (now - s->created_ms) / 1000);
    }
}

/* ---- heartbeat and retention ---- */

static void feed_on_trim_done(writer_job *job)
{
    writer_job_free(job);
}

static void on_feed_tick(uv_timer_t *t)
{
    server_t *srv = t->data;
    uint64_t now = uv_now(srv->loop);   /* monotonic: a clock step does not fire heartbeats */
    for (feed_sub *s = srv->subs; s; s = s->next) {
        if (!s->live || s->conn->closing || now - s->quiet_since_ms < srv->cfg->feed_heartbeat_ms)
            continue;
        feed_pack_marker(s->conn, "heartbeat", s->id, s->checked);
        s->quiet_since_ms = now;
        feed_mark_dirty(s->conn);
    }
    feed_flush(srv);
    /* Retention by age must also happen when nobody writes. */
    if (srv->cfg->changes_max_age_ms && now - srv->last_trim_ms >= FEED_TRIM_INTERVAL_MS && srv->writer) {
        srv->last_trim_ms = now;
        writer_job *job = writer_job_new(WRITER_TRIM, 0);
        job->done = feed_on_trim_done;
        writer_submit(srv->writer, job);
    }
}

void feed_start(server_t *srv)
{
    uint64_t tick = srv->cfg->feed_heartbeat_ms / 2;
    if (tick < 10)
        tick = 10;
    if (srv->cfg->changes_max_age_ms && tick > FEED_TRIM_INTERVAL_MS)
        tick = FEED_TRIM_INTERVAL_MS;
    msgpack_unpacked_init(&srv->feed_scratch);
    uv_timer_init(srv->loop, &srv->feed_timer);
    srv->feed_timer.data = srv;
    uv_timer_start(&srv->feed_timer, on_feed_tick, tick, tick);
}

void feed_stop(server_t *srv)
{
    free(srv->dirty);
    srv->dirty = NULL;
    srv->ndirty = srv->dirty_cap = 0;
    uv_close((uv_handle_t *)&srv->feed_timer, NULL);
    msgpack_unpacked_destroy(&srv->feed_scratch);
}

/* ---- changes ---- */

typedef struct {
    rpc_call *call;
    filter_t *f;
    msgpack_unpacked *scratch;
    uint64_t limit, count, scanned, next;
    buf_t items;
    uint64_t gap_at;
} feed_changes_state;

static int feed_on_change(void *ud, const index_change *ch)
{
    feed_changes_state *st = ud;
    if (ch->seq != st->next + 1) {   /* trimmed under us: see feed_on_backlog */
        st->gap_at = ch->seq;
        return 1;
    }
    int match = (ch->has_new && filter_record(st->f, &ch->rec, st->scratch)) ||
                (ch->has_prev && filter_record(st->f, &ch->prev, st->scratch));
    if (match) {
        msgpack_packer pk;
        buf_packer_init(&pk, &st->items);
        /* The same map as a change notification, without sub. */
        msgpack_pack_map(&pk, ch->has_new ? 4 : 3);
        feed_pack_entries(&pk, ch);
        st->count++;
    }
    st->next = ch->seq;
    st->scanned++;
    return st->count >= st->limit || st->scanned >= FEED_CHANGES_SCAN_MAX;
}

int feed_changes(rpc_call *call)
{
    server_t *srv = call->srv;
    filter_t f;
    uint64_t since, current;
    int given;
    int rc = filter_parse(call, &f);
    if (rc == 0)
        rc = feed_since(call, &since, &given, &current);
    if (rc == 0 && !given) {
        snprintf(call->err, sizeof call->err, "since: required (0 reads the whole change log)");
        rc = ERROR_BAD_REQUEST;
    }
    feed_changes_state st = { call, &f, &srv->feed_scratch, FEED_CHANGES_LIMIT_DEFAULT, 0, 0, 0, { 0 }, 0 };
    buf_init(&st.items);
    if (rc == 0)
        rc = params_uint(call, "limit", 1, FEED_CHANGES_LIMIT_MAX, &st.limit);
    if (rc) {
        filter_release(&f);
        return rc;
    }
    st.next = since;
    store_reader *r;
    uint64_t end = store_seq(srv->store);   /* before the snapshot: see feed_pump */
    if ((rc = store_read_begin(srv->store, &r, call->err, sizeof call->err)) == 0) {
        rc = store_changes(r, since, feed_on_change, &st);
        store_read_end(r);
        if (rc) {
            snprintf(call->err, sizeof call->err, "the change log could not be read");
        } else if (st.gap_at || (st.scanned == 0 && since < end)) {
            uint64_t oldest = st.gap_at ? st.gap_at : end + 1;
            snprintf(call->err, sizeof call->err,
                     "since: changes after %llu were trimmed from the change log; the oldest "
                     "available is %llu", (unsigned long long)since, (unsigned long long)oldest);
            call->err_detail = "oldest";
            call->err_detail_value = oldest;
            rc = ERROR_GONE;
        } else if (st.count < st.limit && st.scanned < FEED_CHANGES_SCAN_MAX && st.next < end)
            st.next = end;      /* read to the end: nothing between next and end */
    }
    if (rc == 0) {
        msgpack_pack_map(&call->pk, 2);
        buf_pack_cstr(&call->pk, "changes");
        msgpack_pack_array(&call->pk, (uint32_t)st.count);
        call->pk.callback(call->pk.data, st.items.data, st.items.len);
        buf_pack_cstr(&call->pk, "next");
        msgpack_pack_uint64(&call->pk, st.next);
    }
    buf_release(&st.items);
    filter_release(&f);
    return rc;
}
