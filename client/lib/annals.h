/** @file annals.h
 * @brief libannals: the C client library of annalsd, the timeline-event
 * database.
 *
 * libannals speaks the annals protocol (PROTOCOL.md, installed with the
 * documentation): msgpack-RPC over TCP or a Unix socket. It offers
 *
 *  - a connection (#annals_conn) made with a timeout, over TCP
 *    (#annals_connect_tcp) or a Unix socket (#annals_connect_unix);
 *  - a synchronous call for every method of the protocol (#annals_get,
 *    #annals_range, #annals_count, ...), and #annals_call for any method by
 *    name, including methods added to the protocol after this library;
 *  - pipelining: #annals_send sends a request and returns its msgid without
 *    waiting, #annals_recv waits for the reply of one msgid;
 *  - the change feed: #annals_subscribe registers a callback, and
 *    #annals_follow hands it every change, heartbeat, overflow and gone.
 *
 * Build with `pkg-config --cflags --libs annals`; the shared library's
 * SONAME is libannals.so.0. A whole program is client/examples/follow.c;
 * in short:
 *
 * @code
 *     annals_conn *conn;
 *     annals_reply rep;
 *     const msgpack_object *event;
 *     annals_new(&conn);
 *     if (annals_connect_unix(conn, "/run/annalsd.sock") != ANNALS_OK)
 *         die(annals_errmsg(conn));
 *     int rc = annals_get(conn, "evt-42", &rep, &event);
 *     if (rc == ANNALS_OK)
 *         use(annals_map_get(event, "title"));   // valid until annals_reply_free
 *     else if (rc == ANNALS_NOTFOUND)
 *         puts("no such event");
 *     else
 *         fprintf(stderr, "%s: %s\n", annals_strerror(rc), annals_errmsg(conn));
 *     annals_reply_free(&rep);
 *     annals_free(conn);
 * @endcode
 *
 * @par Data
 * Results and events are MessagePack objects of msgpack-c
 * (`msgpack_object`), as the server sent them: maps with string keys
 * (#annals_map_get finds a key). They live in the #annals_reply that a call
 * fills, and stay valid until that reply is given to #annals_reply_free.
 * Events go in as MessagePack bytes, one packed map per event (pack them
 * with msgpack-c's `msgpack_packer`). Strings given to the library are
 * NUL-terminated UTF-8; the server judges their contents (dates, filter
 * values) and answers a bad one with `bad_request`.
 *
 * @par Errors
 * Every function that can fail returns an #annals_status: #ANNALS_OK, or a
 * negative code. The codes are few on purpose, so that a caller can act on
 * them: #ANNALS_NOTFOUND and #ANNALS_ESERVER are answers of the server (the
 * connection stays usable, unless the server said it is closing it);
 * #ANNALS_ECONN, #ANNALS_ETIMEDOUT, #ANNALS_EPROTO and #ANNALS_EINTR end
 * the connection (every later call returns the same code; free it and
 * connect again); #ANNALS_EINVAL is a mistake of the caller and changes
 * nothing. After a failure, #annals_errmsg says what happened in an English
 * sentence, and for an answer of the server #annals_error_code gives its
 * wire code ("bad_request", "gone", ...: PROTOCOL.md section 4) and
 * #annals_error the whole error, details included. #annals_strerror names
 * a status.
 *
 * @par Threads
 * A connection belongs to one thread at a time: the library keeps no global
 * state, so threads may each use their own connections freely, but two
 * threads must not use one connection at once. Only the wake fd
 * (#annals_set_wake_fd) is meant to be poked from elsewhere: another thread
 * or a signal handler writes a byte to a pipe whose read end it is, and the
 * connection's current and later waits end with #ANNALS_EINTR.
 *
 * @par Memory
 * Out of memory aborts the process with a message, as annalsd and the
 * annals client do: a half-handled allocation failure is worse than a clean
 * exit. The library never raises SIGPIPE (it sends with MSG_NOSIGNAL).
 */
#ifndef ANNALS_H
#define ANNALS_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The symbols of the library's interface; everything else in the shared
 * library is hidden, so it cannot clash with the program's names. */
#if defined(ANNALS_BUILDING) && defined(__GNUC__)
#define ANNALS_API __attribute__((visibility("default")))
#else
#define ANNALS_API
#endif

/** The version of libannals, and of annalsd it was released with. */
#define ANNALS_LIB_VERSION "0.1.0"
/** The protocol version it speaks (PROTOCOL.md; `hello` reports it). The
 * library does not compare it with the server's: call #annals_hello and
 * check `protocol` where that matters. */
#define ANNALS_LIB_PROTOCOL 1

/** @defgroup status Status codes
 * In a range of their own, below errno values, as lmdb's are.
 * @{ */
typedef enum annals_status {
    ANNALS_OK = 0,            /**< success */
    ANNALS_NOTFOUND = -30900, /**< the server answered `not_found`: no event with that id,
                                   no subscription with that sub */
    ANNALS_ESERVER = -30901,  /**< the server answered another error (#annals_error_code) */
    ANNALS_ECONN = -30902,    /**< cannot connect, or the connection was lost or closed */
    ANNALS_ETIMEDOUT = -30903,/**< connecting, sending or a reply took longer than the timeout */
    ANNALS_EPROTO = -30904,   /**< the peer sent something that is not the annals protocol */
    ANNALS_EINVAL = -30905,   /**< an invalid argument (NULL, unknown msgid, ...) */
    ANNALS_EINTR = -30906     /**< the wake fd became readable (#annals_set_wake_fd) */
} annals_status;
/** @} */

/** @brief A connection to annalsd. Opaque; made by #annals_new, freed by
 * #annals_free. */
typedef struct annals_conn annals_conn;

/** @par Structures and the ABI
 * #annals_filter and #annals_query are allocated by the caller, and
 * #annals_reply and #annals_page too, so their sizes are part of the ABI.
 * Each ends with reserved space that later versions take new fields from
 * without changing the size: it must be zero. Start every one from zero
 * (#ANNALS_FILTER_INIT, #ANNALS_QUERY_INIT, or memset) and set only the
 * named fields; a filter or query whose reserved space is not zero is
 * #ANNALS_EINVAL. */
#define ANNALS_RESERVED_WORDS 8

/** @brief What a call brought back.
 *
 * Emptied first by every call that takes one, even when conn is NULL or an
 * argument is refused, and filled on success; always give it to
 * #annals_reply_free afterwards. */
typedef struct annals_reply {
    /** On #ANNALS_OK: the result (the typed calls check it is the map of
     * PROTOCOL.md section 6; #annals_call hands over what came); else
     * NULL. Valid until #annals_reply_free. */
    const msgpack_object *result;
    msgpack_zone *zone_;      /**< private: owns result */
    char *scratch_;           /**< private: copies made for typed fields */
    void *reserved_[ANNALS_RESERVED_WORDS]; /**< private: zero */
} annals_reply;

/** @brief A list of filter values: any of them matches (PROTOCOL.md,
 * Filters). n == 0 is no filter. One value is sent as a string, several as
 * an array. */
typedef struct annals_values {
    const char *const *v;     /**< n NUL-terminated strings */
    size_t n;
} annals_values;

/** @brief The window and filters of range, count, histogram, top, changes
 * and subscribe. A NULL string or an empty list is left out of the
 * request. Start from #ANNALS_FILTER_INIT (all zero) and set what you
 * need. */
typedef struct annals_filter {
    const char *from;         /**< EDTF date: the window's start, or NULL for open */
    const char *to;           /**< EDTF date: the window's end, or NULL for open */
    const char *mode;         /**< "overlap" (the server's default) or "within", or NULL */
    annals_values kind, country, tag, participant, place, parent;
    const char *q;            /**< text search (words and "quoted phrases"), or NULL */
    const void *reserved_[ANNALS_RESERVED_WORDS]; /**< for later fields: must be zero */
} annals_filter;

/** An #annals_filter with no filter: every event. */
#define ANNALS_FILTER_INIT { 0 }

/** @brief The parameters of #annals_range: a filter and paging. */
typedef struct annals_query {
    annals_filter filter;
    unsigned limit;           /**< events per page, 1..10000; 0: the server's default (100) */
    const char *order;        /**< "asc" (default) or "desc", or NULL */
    const char *cursor;       /**< the #annals_page next of the previous page, or NULL */
    const void *reserved_[ANNALS_RESERVED_WORDS]; /**< for later fields: must be zero */
} annals_query;

/** An #annals_query of every event, first page, the server's defaults. */
#define ANNALS_QUERY_INIT { 0 }

/** @brief One page of #annals_range. */
typedef struct annals_page {
    const msgpack_object *events; /**< the n events (maps), in order */
    size_t n;
    /** NULL after the last page; else the cursor of the next page, to put
     * in #annals_query cursor (with the same filter). NUL-terminated. */
    const char *next;
    annals_reply reply;       /**< owns the above: free with #annals_reply_free(&page.reply) */
    void *reserved_[ANNALS_RESERVED_WORDS]; /**< private: zero */
} annals_page;

/** @brief What a connection may do (PROTOCOL.md, Access). */
typedef enum annals_access {
    ANNALS_ACCESS_NONE = 0,   /**< it must call #annals_auth first */
    ANNALS_ACCESS_RO = 1,     /**< read-only token */
    ANNALS_ACCESS_RW = 2      /**< read-write token, or a server without tokens */
} annals_access;

/** The largest event id is 128 bytes; with its NUL, an id fits this. */
#define ANNALS_ID_SIZE 129

/** @defgroup conn The connection
 * @{ */

/** @brief Make a connection object, not yet connected.
 *
 * Its timeout is 10 s (#annals_set_timeout) and it watches no wake fd.
 * @param[out] conn the new connection, to free with #annals_free.
 * @return #ANNALS_OK, or #ANNALS_EINVAL when conn is NULL.
 */
ANNALS_API int annals_new(annals_conn **conn);

/** @brief Close the socket (if any) and free the connection, with the
 * replies and notifications it kept. NULL is ignored.
 *
 * Subscriptions end with the connection (the server sees it close).
 * Replies already handed out (#annals_reply) stay valid until freed. */
ANNALS_API void annals_free(annals_conn *conn);

/** @brief Bound every later wait by timeout_ms milliseconds: connecting,
 * sending, and each wait for the next bytes of a reply (a server that keeps
 * sending notifications keeps a wait alive). 0: no limit.
 *
 * #annals_follow has its own limit instead: a subscriber may rightly wait
 * long for a change. A call known to take long (a #annals_backup of a large
 * database) may lift the limit first.
 * @return #ANNALS_OK, or #ANNALS_EINVAL for a negative timeout. */
ANNALS_API int annals_set_timeout(annals_conn *conn, int timeout_ms);

/** @brief Also watch fd in every later wait of this connection (connecting
 * included): once fd is readable, the wait ends and the call returns
 * #ANNALS_EINTR, which ends the connection. -1 (the default) watches
 * nothing.
 *
 * This is how a signal handler or another thread stops a blocked client
 * without a race: make a pipe, give its read end here, and write a byte to
 * its write end. The library never reads fd: it stays readable, so every
 * later wait ends at once too, until the caller drains it.
 * @return #ANNALS_OK. */
ANNALS_API int annals_set_wake_fd(annals_conn *conn, int fd);

/** @brief Refuse any message from the server larger than bytes (default 64
 * MiB; a range page holds at most 16 MiB of events, PROTOCOL.md). A larger
 * message ends the connection with #ANNALS_EPROTO before it is read whole.
 * Every message is also checked before it is decoded: arrays and maps of
 * more than 2^20 entries and containers nested deeper than 32 are
 * #ANNALS_EPROTO too.
 * @return #ANNALS_OK, or #ANNALS_EINVAL below 1024 bytes. */
ANNALS_API int annals_set_max_reply(annals_conn *conn, size_t bytes);

/** @brief Connect over TCP to host (a name, an IPv4 address, or an IPv6
 * address with or without brackets: "[::1]") and port (decimal), trying
 * each address the name has, within the timeout.
 *
 * Resolving the name (getaddrinfo) is not bounded by the timeout nor ended
 * by the wake fd: a slow DNS server can hold this call as long as the
 * system resolver allows (see resolv.conf's timeout and attempts). Give an
 * address to avoid it.
 *
 * A connection connects once; to reconnect, make a new one.
 * @return #ANNALS_OK, #ANNALS_ECONN (refused, unknown host, ...),
 * #ANNALS_ETIMEDOUT (no answer within the timeout), #ANNALS_EINTR, or
 * #ANNALS_EINVAL (NULL, or already connected). */
ANNALS_API int annals_connect_tcp(annals_conn *conn, const char *host, const char *port);

/** @brief Connect to annalsd's Unix socket at path, within the timeout.
 * @return #ANNALS_OK, #ANNALS_ECONN (no such socket, nobody listening, a
 * path too long for a socket address, ...), #ANNALS_ETIMEDOUT,
 * #ANNALS_EINTR or #ANNALS_EINVAL. */
ANNALS_API int annals_connect_unix(annals_conn *conn, const char *path);

/** @brief Where the connection goes, for messages: "host:port" or the
 * socket path ("" before connecting). Owned by conn. */
ANNALS_API const char *annals_label(const annals_conn *conn);

/** @brief Whether the connection can still be used: 1 once connected and
 * until a failure ended it or the server said (an `error` notification:
 * `busy`, `timeout`, ...) that it closes it; else 0. */
ANNALS_API int annals_alive(const annals_conn *conn);

/** @} */

/** @defgroup errors Errors
 * @{ */

/** @brief A static English name of a status: "not found", "connection
 * failed", ... (like mdb_strerror). Unknown values give "unknown status". */
ANNALS_API const char *annals_strerror(int status);

/** @brief What the last failed call on conn said: for an error of the
 * server, its message (its code's usual text when it sent none); for any
 * other failure, what went wrong ("cannot connect to /run/annalsd.sock: No
 * such file or directory (is annalsd running?)"). "" when nothing failed.
 * Owned by conn; valid until the next call on conn. */
ANNALS_API const char *annals_errmsg(const annals_conn *conn);

/** @brief The wire code of the server's error in the last failed call on
 * conn ("not_found", "bad_request", "gone", ...; PROTOCOL.md section 4), or
 * NULL when the last call did not fail with an error of the server. A code
 * this library does not know is given as the server sent it (treat it as
 * "internal"). Owned by conn; valid until the next call on conn. */
ANNALS_API const char *annals_error_code(const annals_conn *conn);

/** @brief The whole error of the server in the last failed call on conn:
 * the array [code, message] or [code, message, details] (details is a map,
 * such as {index} for put_many or {oldest} for gone), or NULL (also when
 * the server sent an error that is not an array). Owned by conn; valid
 * until the next call on conn. */
ANNALS_API const msgpack_object *annals_error(const annals_conn *conn);

/** @} */

/** @defgroup calls Generic calls and pipelining
 * @{ */

/** @brief Send the request `[0, msgid, method, params]` without waiting for
 * its reply.
 *
 * Several requests may be sent before any reply is read; the server answers
 * them in the order it received them (PROTOCOL.md section 2). Replies that
 * arrive while we send are kept, so a server answering while we write never
 * blocks us.
 * @param[in] method the method's name, e.g. "get".
 * @param[in] params the one map of named parameters, packed (for example
 *   with msgpack_pack_map); NULL (and len 0) for a method without
 *   parameters, which sends `[]`. The bytes are copied; bytes that are
 *   not exactly one map of len bytes are #ANNALS_EINVAL.
 * @param[in] len the length of params.
 * @param[out] msgid the request's msgid, for #annals_recv or
 *   #annals_discard. Every request sent must be given to one of them, or
 *   its reply is kept until #annals_free.
 * @return #ANNALS_OK (also when the server had closed the connection:
 *   #annals_recv then reports it, after any reply the server did send),
 *   #ANNALS_ECONN, #ANNALS_ETIMEDOUT, #ANNALS_EINTR or #ANNALS_EINVAL.
 */
ANNALS_API int annals_send(annals_conn *conn, const char *method, const void *params,
                           size_t len, uint32_t *msgid);

/** @brief Wait for the reply to the request msgid sent by #annals_send.
 *
 * Replies may be read in any order: a reply for another request that comes
 * first is kept for its own #annals_recv. Notifications that come meanwhile
 * are kept for #annals_follow when the connection has a subscription (up to
 * 4 MiB of them: see #ANNALS_NOTE_OVERFLOW), and dropped otherwise.
 * @param[out] reply on success its result, as the server sent it (for the
 *   methods of PROTOCOL.md a map; this generic call does not check);
 *   free it with #annals_reply_free whatever the status.
 * @return #ANNALS_OK; #ANNALS_NOTFOUND or #ANNALS_ESERVER for an error of
 *   the server (#annals_error); #ANNALS_ECONN, #ANNALS_ETIMEDOUT,
 *   #ANNALS_EPROTO, #ANNALS_EINTR; #ANNALS_EINVAL when reply is NULL
 *   (nothing changes: a kept reply stays kept) or no request with this
 *   msgid awaits its reply (or it was discarded). An `error` notification
 *   does not end the connection by itself (PROTOCOL.md section 3: the
 *   server also sends one for a message whose msgid it could not read, and
 *   serves on); when the server then closes the connection (busy,
 *   timeout), that error is the answer of every request still waiting:
 *   #ANNALS_ESERVER with its code, and the connection is no longer alive. */
ANNALS_API int annals_recv(annals_conn *conn, uint32_t msgid, annals_reply *reply);

/** @brief Drop the reply to the request msgid, which the caller will never
 * take: a kept one is freed now, one still to come is freed when it comes.
 * @return #ANNALS_OK, or #ANNALS_EINVAL when no request with this msgid
 *   awaits its reply. */
ANNALS_API int annals_discard(annals_conn *conn, uint32_t msgid);

/** @brief #annals_send, then #annals_recv: call any method by name.
 * @param[in] params,len as for #annals_send.
 * @param[out] reply as for #annals_recv.
 * @return as #annals_send and #annals_recv. */
ANNALS_API int annals_call(annals_conn *conn, const char *method, const void *params,
                           size_t len, annals_reply *reply);

/** @brief Free what a reply holds; the reply is empty again (free it twice
 * at will). NULL is ignored. */
ANNALS_API void annals_reply_free(annals_reply *reply);

/** @brief The value of key in map, or NULL when map is not a map or has no
 * such string key. Borrowed from map. */
ANNALS_API const msgpack_object *annals_map_get(const msgpack_object *map, const char *key);

/** @} */

/** @defgroup methods The methods (PROTOCOL.md section 6)
 * Each waits for its answer (see #annals_recv for the statuses). Output
 * parameters marked "or NULL" may be NULL when not wanted. A result that
 * lacks what the protocol promises is #ANNALS_EPROTO.
 * @{ */

/** @brief `hello`: the server's name, version, protocol, seq, auth and
 * access, in reply->result. */
ANNALS_API int annals_hello(annals_conn *conn, annals_reply *reply);

/** @brief `auth`: present token; on success *access (or NULL) says the
 * rights the connection now has. A wrong token is #ANNALS_ESERVER
 * (`unauthenticated`); the third on one connection closes it. */
ANNALS_API int annals_auth(annals_conn *conn, const char *token, annals_access *access);

/** @brief `ping`: #ANNALS_OK when the server answers `{pong: true}`. */
ANNALS_API int annals_ping(annals_conn *conn);

/** @brief `stats`: the server's counters, in reply->result. */
ANNALS_API int annals_stats(annals_conn *conn, annals_reply *reply);

/** @brief `put`: store one event, given as len bytes of one packed map.
 * @param[out] id the event's id (generated when the event had none),
 *   NUL-terminated, or NULL.
 * @param[out] seq the seq of the write, or NULL. */
ANNALS_API int annals_put(annals_conn *conn, const void *event, size_t len,
                          char id[ANNALS_ID_SIZE], uint64_t *seq);

/** @brief `put_many`: store n events atomically, given as len bytes of n
 * packed maps one after the other. An invalid event fails the whole call:
 * #ANNALS_ESERVER, whose details hold {index}.
 * @param[out] reply holds *ids.
 * @param[out] ids the array of the events' ids, in order, or NULL.
 * @param[out] seq the seq of the last write, or NULL. */
ANNALS_API int annals_put_many(annals_conn *conn, const void *events, size_t len, size_t n,
                               annals_reply *reply, const msgpack_object **ids,
                               uint64_t *seq);

/** @brief `get`: the event with this id.
 * @param[out] reply holds *event.
 * @param[out] event the event map, or NULL.
 * @return #ANNALS_NOTFOUND when there is none. */
ANNALS_API int annals_get(annals_conn *conn, const char *id, annals_reply *reply,
                          const msgpack_object **event);

/** @brief `delete`: delete the event with this id.
 * @param[out] seq the seq of the deletion, or NULL.
 * @return #ANNALS_NOTFOUND when there is none. */
ANNALS_API int annals_delete(annals_conn *conn, const char *id, uint64_t *seq);

/** @brief `range`: one page of the events that query selects, in order.
 * Page on with page->next as query->cursor until next is NULL.
 * @param[out] page free with #annals_reply_free(&page->reply). */
ANNALS_API int annals_range(annals_conn *conn, const annals_query *query, annals_page *page);

/** @brief `count`: how many events #annals_range would return over all its
 * pages. filter may be NULL (every event). */
ANNALS_API int annals_count(annals_conn *conn, const annals_filter *filter, uint64_t *count);

/** @brief `histogram`: counts per bucket ("day", "week", "month" or "year")
 * of the window filter->from..filter->to (both required by the server).
 * @param[in] spread nonzero: count an event in every bucket its span meets.
 * @param[out] reply holds *buckets.
 * @param[out] buckets the array of [start, count] pairs, or NULL.
 * @param[out] total the events counted, or NULL. */
ANNALS_API int annals_histogram(annals_conn *conn, const annals_filter *filter,
                                const char *bucket, int spread, annals_reply *reply,
                                const msgpack_object **buckets, uint64_t *total);

/** @brief `top`: the most frequent values of field ("country", "kind",
 * "tag", "participant" or "place") among the selected events.
 * @param[in] limit 1..1000, or 0 for the server's default (10).
 * @param[out] reply holds *top.
 * @param[out] top the array of [value, count] pairs, or NULL.
 * @param[out] total the events selected, or NULL. */
ANNALS_API int annals_top(annals_conn *conn, const annals_filter *filter, const char *field,
                          unsigned limit, annals_reply *reply, const msgpack_object **top,
                          uint64_t *total);

/** @brief `changes`: one page of the change log after since, as filtered.
 * @param[in] limit 1..10000, or 0 for the server's default (100).
 * @param[out] reply holds *changes.
 * @param[out] changes the array of changes {seq, op, id, event?}, or NULL.
 * @param[out] next the since of the next page, or NULL.
 * @return #ANNALS_ESERVER with code `gone` when since is older than the
 *   log holds (details {oldest}). */
ANNALS_API int annals_changes(annals_conn *conn, const annals_filter *filter, uint64_t since,
                              unsigned limit, annals_reply *reply,
                              const msgpack_object **changes, uint64_t *next);

/** @brief `backup`: a consistent copy of the database into the new
 * directory path (absolute, on the server's machine). The answer comes once
 * the copy is complete, which may take longer than the timeout: consider
 * #annals_set_timeout(conn, 0) first.
 * @param[out] seq the last change the copy holds, or NULL.
 * @param[out] bytes the size of its data.mdb, or NULL. */
ANNALS_API int annals_backup(annals_conn *conn, const char *path, uint64_t *seq,
                             uint64_t *bytes);

/** @} */

/** @defgroup feed The change feed (PROTOCOL.md section 9)
 * @{ */

/** @brief What a subscription delivers. */
typedef enum annals_note_kind {
    ANNALS_NOTE_CHANGE = 1,   /**< a committed put or delete */
    ANNALS_NOTE_HEARTBEAT,    /**< nothing to send: every change up to seq was sent or
                                   filtered out; a valid checkpoint */
    ANNALS_NOTE_OVERFLOW,     /**< the client read too slowly: the subscription has ended;
                                   subscribe again with since = seq (your checkpoint).
                                   Sent by the server, or by the library itself when
                                   notifications kept while calls waited pass 4 MiB (a
                                   callback that calls methods while a backlog streams):
                                   it then drops them, unsubscribes, and tells an overflow
                                   whose seq is the last change or heartbeat the callback
                                   was handed (params has local: true) */
    ANNALS_NOTE_GONE          /**< retention trimmed changes the subscription had not sent:
                                   it has ended; resynchronise (oldest says from where) */
} annals_note_kind;

/** @brief One notification of a subscription, as handed to the callback.
 * Everything it points to is valid only during the callback: copy what you
 * keep. */
typedef struct annals_note {
    annals_note_kind kind;
    uint64_t sub;             /**< the subscription */
    uint64_t seq;             /**< change: its seq; heartbeat: checked up to; overflow,
                                   gone: the last change sent */
    uint64_t oldest;          /**< gone: the oldest seq the log still holds; else 0 */
    int is_delete;            /**< change: 1 for a delete, 0 for a put */
    const char *id;           /**< change: the event's id (not NUL-terminated) */
    size_t id_len;
    const msgpack_object *event;  /**< change: the version written; NULL for a delete */
    const msgpack_object *params; /**< the notification's map as sent ({sub, seq, ...}) */
} annals_note;

/** @brief The callback of a subscription. Return 0 to go on; any positive
 * value stops #annals_follow, which returns it. It may call methods on
 * conn (notifications that arrive meanwhile are kept in order, up to 4 MiB:
 * past that the library ends the subscriptions with #ANNALS_NOTE_OVERFLOW),
 * but must not free it. A subscriber that calls methods while a large
 * backlog streams (subscribe with an old since) should make those calls on
 * a second connection: a call's reply comes after every notification the
 * server sent before it, and all of those are read while the call waits. */
typedef int (*annals_note_cb)(annals_conn *conn, const annals_note *note, void *userdata);

/** @brief `subscribe`: follow the changes that pass filter (NULL: all).
 * @param[in] since NULL: only changes from now on; else every change after
 *   *since (#ANNALS_ESERVER `gone` when the log no longer holds them).
 * @param[in] cb,userdata called by #annals_follow for each notification of
 *   this subscription, until it ends (overflow, gone, #annals_unsubscribe).
 * @param[out] sub the subscription's id on this connection, or NULL.
 * @param[out] seq the current seq when it was made (without since, a valid
 *   checkpoint from the start), or NULL. */
ANNALS_API int annals_subscribe(annals_conn *conn, const annals_filter *filter,
                                const uint64_t *since, annals_note_cb cb, void *userdata,
                                uint64_t *sub, uint64_t *seq);

/** @brief #annals_subscribe with its parameters already packed: the one
 * map {since?, from?, ..., q?} of PROTOCOL.md, len bytes (NULL and 0 for
 * none). For filters this library's #annals_filter does not know yet. */
ANNALS_API int annals_subscribe_packed(annals_conn *conn, const void *params, size_t len,
                                       annals_note_cb cb, void *userdata, uint64_t *sub,
                                       uint64_t *seq);

/** @brief `unsubscribe`: end subscription sub; its callback is not called
 * again. @param[out] seq the latest seq it was checked against, or NULL.
 * @return #ANNALS_NOTFOUND for an unknown sub. */
ANNALS_API int annals_unsubscribe(annals_conn *conn, uint64_t sub, uint64_t *seq);

/** @brief Read notifications and hand each one to its subscription's
 * callback, in the order the server sent them, for timeout_ms milliseconds
 * (-1: without limit; 0: only what has already arrived). The connection's
 * own timeout does not apply. Notifications kept while a call waited for
 * its reply come first. Those of no current subscription (queued before an
 * #annals_unsubscribe) are dropped.
 * @return #ANNALS_OK when the time is up; a callback's positive value when
 *   it asked to stop; #ANNALS_ESERVER when the server closes the connection
 *   with an `error` notification (#annals_error_code: timeout, busy...);
 *   #ANNALS_ECONN, #ANNALS_EPROTO, #ANNALS_EINTR; #ANNALS_EINVAL for a
 *   timeout below -1. A reply that arrives for a request sent with
 *   #annals_send is kept for its #annals_recv. */
ANNALS_API int annals_follow(annals_conn *conn, int timeout_ms);

/** @} */

#ifdef __cplusplus
}
#endif

#endif
