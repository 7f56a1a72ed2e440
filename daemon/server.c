/* server.c: listeners, accept, signals and the shutdown sequence. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/conn.h"
#include "daemon/feed.h"
#include "daemon/log.h"
#include "daemon/rpc.h"
#include "daemon/server.h"

uint64_t server_clock_ms(void)
{
    return uv_hrtime() / 1000000;
}

static void on_connection(uv_stream_t *listener, int status)
{
    server_t *srv = listener->data;
    if (status < 0) {
        log_warn("accept: %s", uv_strerror(status));
        return;
    }
    conn_accept(srv, listener);
}

/* Split "host:port" or "[v6]:port" into an address. Returns 0, or -1 with
 * the reason in err. */
static int server_parse_listen(const char *spec, struct sockaddr_storage *ss,
                               char *err, size_t errlen)
{
    char host[CONFIG_PATH_MAX];
    const char *colon;

    memset(ss, 0, sizeof *ss);
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (!close || close[1] != ':') {
            snprintf(err, errlen, "listen: '%s' is not [address]:port", spec);
            return -1;
        }
        snprintf(host, sizeof host, "%.*s", (int)(close - spec - 1), spec + 1);
        colon = close + 1;
    } else {
        colon = strrchr(spec, ':');
        if (!colon) {
            snprintf(err, errlen, "listen: '%s' is not address:port", spec);
            return -1;
        }
        snprintf(host, sizeof host, "%.*s", (int)(colon - spec), spec);
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535 || colon[1] == '\0') {
        snprintf(err, errlen, "listen: '%s' has no valid port", spec);
        return -1;
    }
    if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss) != 0 &&
        uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)ss) != 0) {
        snprintf(err, errlen, "listen: '%s' is not a numeric IPv4 or IPv6 address", host);
        return -1;
    }
    return 0;
}

/* Whether only this host can reach ss: 127.0.0.0/8, ::1, or 127.0.0.0/8
 * mapped into IPv6. */
static int server_is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
    const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(a))
        return 1;
    return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
}

int server_check_exposure(const config_t *cfg, int have_tokens, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    if (!cfg->listen[0] || have_tokens)
        return 0;
    if (server_parse_listen(cfg->listen, &ss, err, errlen) < 0)
        return -1;
    if (server_is_loopback(&ss))
        return 0;
    snprintf(err, errlen, "listen = %s is reachable from other hosts, and no token is "
             "configured: anyone who can connect could read and change every event. "
             "Set auth_token_file (a file of 'rw TOKEN' / 'ro TOKEN' lines, mode 0600) or "
             "auth_token_rw_sha256 (see annalsd --hash-token), or listen on a loopback "
             "address such as 127.0.0.1", cfg->listen);
    return -1;
}

/* Bind the TCP listener. */
static int server_listen_tcp(server_t *srv)
{
    const char *spec = srv->cfg->listen;
    struct sockaddr_storage ss;
    char err[CONFIG_PATH_MAX + 128];
    int rc;

    if (server_parse_listen(spec, &ss, err, sizeof err) < 0) {
        log_error("%s", err);
        return -1;
    }
    uv_tcp_init(srv->loop, &srv->tcp);
    srv->tcp.data = srv;
    srv->has_tcp = 1;
    if ((rc = uv_tcp_bind(&srv->tcp, (struct sockaddr *)&ss, 0)) < 0 ||
        (rc = uv_listen((uv_stream_t *)&srv->tcp, 511, on_connection)) < 0) {
        log_error("cannot listen on %s: %s", spec, uv_strerror(rc));
        return -1;
    }
    /* Report the port actually bound: with port 0 the kernel picks it. */
    int len = sizeof ss;
    uv_tcp_getsockname(&srv->tcp, (struct sockaddr *)&ss, &len);
    char name[64] = "?";
    if (ss.ss_family == AF_INET) {
        uv_ip4_name((struct sockaddr_in *)&ss, name, sizeof name);
        snprintf(srv->tcp_addr, sizeof srv->tcp_addr, "%s:%d", name,
                 ntohs(((struct sockaddr_in *)&ss)->sin_port));
    } else {
        uv_ip6_name((struct sockaddr_in6 *)&ss, name, sizeof name);
        snprintf(srv->tcp_addr, sizeof srv->tcp_addr, "[%s]:%d", name,
                 ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
    }
    log_info("listening on tcp %s", srv->tcp_addr);
    return 0;
}

/* A socket file left by a daemon that died is removed; one that answers
 * belongs to a live server, which we must not steal it from. */
static int server_socket_in_use(const char *path)
{
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa.sun_path) {
        close(fd);
        return 0;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int live = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return live;
}

static int server_listen_unix(server_t *srv)
{
    const char *path = srv->cfg->socket;
    struct stat st;
    int rc;

    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            log_error("socket: %s exists and is not a socket", path);
            return -1;
        }
        if (server_socket_in_use(path)) {
            log_error("socket: another server is listening on %s", path);
            return -1;
        }
        unlink(path);
    }
    uv_pipe_init(srv->loop, &srv->pipe, 0);
    srv->pipe.data = srv;
    srv->has_pipe = 1;
    /* Create the socket file with the configured mode from the start, so it
     * is never reachable with looser permissions. */
    mode_t old = umask(~srv->cfg->socket_mode & 0777);
    rc = uv_pipe_bind(&srv->pipe, path);
    umask(old);
    if (rc < 0 || (rc = uv_listen((uv_stream_t *)&srv->pipe, 511, on_connection)) < 0) {
        log_error("cannot listen on %s: %s", path, uv_strerror(rc));
        return -1;
    }
    chmod(path, srv->cfg->socket_mode);
    log_info("listening on unix %s", path);
    return 0;
}

static void on_sweep(uv_timer_t *t)
{
    server_t *srv = t->data;
    uint64_t now = uv_now(srv->loop);
    conn_t *next;
    for (conn_t *c = srv->conns; c; c = next) {
        next = c->next;     /* a timeout may close (and unlink) c */
        conn_check_timeouts(c, now);
    }
}

/* Each connection takes a descriptor, and the store, the listeners and the
 * loop a few more: raise the soft limit of open files (up to the hard one)
 * so that max_connections can be reached, as Redis does for maxclients, and
 * say so when it cannot be. */
#define SERVER_FDS_RESERVED 64

static void server_raise_fd_limit(unsigned max_connections)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)max_connections + SERVER_FDS_RESERVED;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
        return;
    rlim_t old = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ? rl.rlim_max : want;
    if (rl.rlim_cur > old && setrlimit(RLIMIT_NOFILE, &rl) == 0)
        log_info("raised the open files limit from %llu to %llu for max_connections",
                 (unsigned long long)old, (unsigned long long)rl.rlim_cur);
    else
        rl.rlim_cur = old;
    if (rl.rlim_cur < want)
        log_warn("the open files limit (%llu) is below max_connections + %d: past about %llu "
                 "connections, accepting fails until some close",
                 (unsigned long long)rl.rlim_cur, SERVER_FDS_RESERVED,
                 (unsigned long long)(rl.rlim_cur > SERVER_FDS_RESERVED ? rl.rlim_cur - SERVER_FDS_RESERVED : 0));
}

static void on_signal(uv_signal_t *h, int signum)
{
    server_t *srv = h->data;
    log_info("received %s; shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
    server_stop(srv);
}

/* SIGHUP conventionally asks a daemon to reload. annalsd reads its
 * configuration and tokens once, at start (a reload that half-applied new
 * limits to open connections would be worse than none), so it says so and
 * keeps serving rather than dying, as the default action would. */
static void on_hangup(uv_signal_t *h, int signum)
{
    (void)h;
    (void)signum;
    log_warn("received SIGHUP; ignored: the configuration and tokens are read only at "
             "start, restart annalsd to apply changes");
}

int server_start(server_t *srv, uv_loop_t *loop, const config_t *cfg, const tokens_t *tokens,
                 store_t *store)
{
    memset(srv, 0, sizeof *srv);
    srv->loop = loop;
    srv->cfg = cfg;
    srv->tokens = tokens;
    srv->store = store;
    srv->started_ms = server_clock_ms();
    metrics_init(&srv->metrics, rpc_method_count());
    srv->limits = (frame_limits){ cfg->max_message_size, cfg->max_depth, cfg->max_array_length,
                                  cfg->max_map_length, cfg->max_string_length };
    if (!msgpack_zone_init(&srv->zone, MSGPACK_ZONE_CHUNK_SIZE)) {
        log_error("out of memory");
        abort();
    }
    writer_retention retention = { cfg->changes_max_entries, cfg->changes_max_age_ms };
    writer_index_policy index = { cfg->index_max_lag, cfg->index_idle_ms };
    srv->writer = writer_new(loop, store, &retention, &index, feed_flush, srv);
    feed_start(srv);

    uv_signal_init(loop, &srv->sigint);
    uv_signal_init(loop, &srv->sigterm);
    srv->sigint.data = srv->sigterm.data = srv;
    uv_signal_start(&srv->sigint, on_signal, SIGINT);
    uv_signal_start(&srv->sigterm, on_signal, SIGTERM);
    uv_signal_init(loop, &srv->sighup);
    uv_signal_start(&srv->sighup, on_hangup, SIGHUP);
    uv_timer_init(loop, &srv->shutdown_timer);
    srv->shutdown_timer.data = srv;
    uv_timer_init(loop, &srv->sweep_timer);
    srv->sweep_timer.data = srv;
    /* Check often enough that a timeout fires within a tenth of itself. */
    uint64_t t = 0;
    const uint64_t timeouts[] = { cfg->request_timeout_ms, cfg->idle_timeout_ms, cfg->output_timeout_ms };
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++)
        if (timeouts[i] && (!t || timeouts[i] < t))
            t = timeouts[i];
    if (t) {
        t = t / 10 < 10 ? 10 : (t / 10 > 1000 ? 1000 : t / 10);
        uv_timer_start(&srv->sweep_timer, on_sweep, t, t);
    }

    server_raise_fd_limit(cfg->max_connections);
    if (!cfg->listen[0] && !cfg->socket[0]) {
        log_error("neither listen nor socket is set: nothing to serve on");
        return -1;
    }
    if (cfg->listen[0] && server_listen_tcp(srv) < 0)
        return -1;
    if (cfg->socket[0] && server_listen_unix(srv) < 0)
        return -1;
    return 0;
}

static void server_finish(server_t *srv)
{
    log_info("all connections closed; stopping the writer");
    uv_close((uv_handle_t *)&srv->shutdown_timer, NULL);
    uv_close((uv_handle_t *)&srv->sweep_timer, NULL);
    uv_close((uv_handle_t *)&srv->sigint, NULL);
    uv_close((uv_handle_t *)&srv->sigterm, NULL);
    uv_close((uv_handle_t *)&srv->sighup, NULL);
    writer_stop(srv->writer);
    srv->writer = NULL;
    feed_stop(srv);
    msgpack_zone_destroy(&srv->zone);
    metrics_release(&srv->metrics);
}

static void on_shutdown_timeout(uv_timer_t *t)
{
    server_t *srv = t->data;
    log_warn("shutdown_timeout reached; closing %u connection(s) still open", srv->nconns);
    while (srv->conns)
        conn_close(srv->conns);
}

void server_stop(server_t *srv)
{
    if (srv->stopping)
        return;
    srv->stopping = 1;
    if (srv->has_tcp)
        uv_close((uv_handle_t *)&srv->tcp, NULL);
    if (srv->has_pipe) {
        uv_close((uv_handle_t *)&srv->pipe, NULL);
        unlink(srv->cfg->socket);
    }
    srv->has_tcp = srv->has_pipe = 0;
    /* Answer what each connection already sent, then close it. */
    conn_t *c = srv->conns;
    while (c) {
        conn_t *next = c->next;
        conn_shutdown(c);
        c = next;
    }
    if (srv->nconns == 0) {
        server_finish(srv);
        return;
    }
    uv_timer_start(&srv->shutdown_timer, on_shutdown_timeout, srv->cfg->shutdown_timeout_ms, 0);
}

void server_conn_gone(server_t *srv)
{
    srv->nconns--;
    if (srv->stopping && srv->nconns == 0 && srv->writer)
        server_finish(srv);
}
