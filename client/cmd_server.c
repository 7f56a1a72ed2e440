/* cmd_server.c: the commands about the server itself: ping, hello, stats,
 * backup. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/cmd.h"
#include "client/render.h"
#include "client/stats_view.h"

static int cmd_server_ping_run(cli_ctx *ctx, const opts_result *o)
{
    json_t *res;
    (void)o;
    int rc = cli_call(ctx, "ping", NULL, &res);
    if (rc)
        return rc;
    if (ctx->json)
        cli_print_json(res);
    else
        puts(json_is_true(json_object_get(res, "pong")) ? "pong" : "no pong");
    json_decref(res);
    return cli_flush_stdout();
}

/* hello and stats print the result map as it came. */
static int cmd_server_show(cli_ctx *ctx, const char *method)
{
    json_t *res;
    int rc = cli_call(ctx, method, NULL, &res);
    if (rc)
        return rc;
    if (ctx->json)
        cli_print_json(res);
    else
        render_listing(stdout, res, 0, 1);
    json_decref(res);
    return cli_flush_stdout();
}

static int cmd_server_hello_run(cli_ctx *ctx, const opts_result *o)
{
    (void)o;
    return cmd_server_show(ctx, "hello");
}

/* --watch: the interval's bounds, in seconds. */
#define CMD_STATS_INTERVAL_MIN 0.1
#define CMD_STATS_INTERVAL_MAX 86400.0

/* Set by SIGINT and SIGTERM, which stay blocked except while --watch sleeps
 * (ppoll unblocks them atomically), so a signal never cuts a call short and
 * never slips in between the check and the sleep. */
static volatile sig_atomic_t cmd_stats_stop;

static void cmd_stats_on_signal(int sig)
{
    (void)sig;
    cmd_stats_stop = 1;
}

static double cmd_stats_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep until the monotonic time until, or until a signal, with the signal
 * mask run_mask in force meanwhile. */
static void cmd_stats_sleep(double until, const sigset_t *run_mask)
{
    double left;
    while (!cmd_stats_stop && (left = until - cmd_stats_now()) > 0) {
        struct timespec ts = { (time_t)left, (long)((left - (double)(time_t)left) * 1e9) };
        ppoll(NULL, 0, &ts, run_mask);
    }
}

/* One sample: on a terminal the summary, redrawn from the top of a cleared
 * screen; otherwise the stats map as one JSON line, with "rates" from the
 * second sample on. */
static int cmd_stats_sample(int tty, const json_t *res, const json_t *prev, double dt)
{
    if (tty) {
        fputs("\033[H\033[2J", stdout);
        stats_view_render(stdout, res, prev, dt, render_terminal_width(STDOUT_FILENO));
    } else {
        json_t *line = json_deep_copy(res);
        json_t *rates = stats_view_rates(res, prev, dt);
        if (rates)
            json_object_set_new(line, "rates", rates);
        cli_print_json(line);
        json_decref(line);
    }
    return cli_flush_stdout();
}

static int cmd_stats_watch(cli_ctx *ctx, double interval, long count)
{
    struct sigaction sa, old_int, old_term;
    sigset_t block, run_mask;
    int tty = !ctx->json && isatty(STDOUT_FILENO);
    json_t *prev = NULL;
    double prev_at = 0, next = cmd_stats_now();
    int rc = 0;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cmd_stats_on_signal;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &run_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    for (long n = 0; !cmd_stats_stop && (count == 0 || n < count); n++) {
        json_t *res;
        if (n > 0)
            cmd_stats_sleep(next, &run_mask);
        if (cmd_stats_stop)
            break;
        double at = cmd_stats_now();
        /* The next sample is due one interval after this one was, however
         * long this one took, so the samples keep their pace. */
        next += interval;
        if (next < at)
            next = at + interval;
        if ((rc = cli_call(ctx, "stats", NULL, &res)) != 0)
            break;
        rc = cmd_stats_sample(tty, res, prev, at - prev_at);
        json_decref(prev);
        prev = res;
        prev_at = at;
        if (rc)
            break;
    }
    json_decref(prev);
    /* Unblock first: a signal still pending then reaches our handler. */
    sigprocmask(SIG_SETMASK, &run_mask, NULL);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return rc;
}

/* stats on a terminal: the summary --watch draws (the full map runs to
 * hundreds of lines, one section per method), and where the rest is. */
static int cmd_server_stats_summary(cli_ctx *ctx)
{
    json_t *res;
    int rc = cli_call(ctx, "stats", NULL, &res);
    if (rc)
        return rc;
    stats_view_render(stdout, res, NULL, 0, render_terminal_width(STDOUT_FILENO));
    puts("(every figure: annals stats --json)");
    json_decref(res);
    return cli_flush_stdout();
}

static int cmd_server_stats_run(cli_ctx *ctx, const opts_result *o)
{
    const char *count_s = opts_value(o, "count");
    int watch = opts_count(o, "watch") > 0;
    double interval = 1;
    long count = 0;
    char *end;

    if (!watch && (o->nargs > 0 || count_s))
        return cli_usage_error(ctx, "%s is only for --watch", o->nargs > 0 ? "SECONDS" : "--count");
    if (!watch && ctx->json)
        return cmd_server_show(ctx, "stats");
    if (!watch)
        return cmd_server_stats_summary(ctx);
    if (o->nargs > 0) {
        errno = 0;
        interval = strtod(o->args[0], &end);
        if (errno || end == o->args[0] || *end || !(interval >= CMD_STATS_INTERVAL_MIN) ||
            interval > CMD_STATS_INTERVAL_MAX)
            return cli_usage_error(ctx, "SECONDS must be a number from %g to %g, not '%s'",
                                   CMD_STATS_INTERVAL_MIN, CMD_STATS_INTERVAL_MAX, o->args[0]);
    }
    if (count_s) {
        errno = 0;
        count = strtol(count_s, &end, 10);
        if (errno || end == count_s || *end || count < 1)
            return cli_usage_error(ctx, "--count must be a positive whole number, not '%s'", count_s);
    }
    return cmd_stats_watch(ctx, interval, count);
}

static int cmd_server_backup_run(cli_ctx *ctx, const opts_result *o)
{
    const char *path = o->args[0];
    annals_conn *c;
    json_t *res;
    int rc = cli_remote(ctx, &c);
    if (rc)
        return rc;
    /* Copying a large database takes as long as it takes: once connected,
     * wait for the reply without a limit unless --timeout says otherwise. */
    if (!opts_value(o, "timeout"))
        annals_set_timeout(c, 0);
    json_t *params = json_pack("{s:s}", "path", path);
    if (!params)
        return cli_usage_error(ctx, "PATH is not valid UTF-8");
    rc = cli_call(ctx, "backup", params, &res);
    json_decref(params);
    if (rc)
        return rc;
    if (ctx->json) {
        cli_print_json(res);
    } else {
        const char *where = json_string_value(json_object_get(res, "path"));
        printf("backup %s: seq %" JSON_INTEGER_FORMAT ", %" JSON_INTEGER_FORMAT " bytes\n",
               where ? where : path, json_integer_value(json_object_get(res, "seq")),
               json_integer_value(json_object_get(res, "bytes")));
    }
    json_decref(res);
    return cli_flush_stdout();
}

const cli_command cmd_server_ping = {
    "ping", "ping", "check that the server answers (a readiness probe)",
    "Print \"pong\" (JSON: {\"pong\":true}) when the server answers.\n",
    NULL, 0, 0, cmd_server_ping_run
};

const cli_command cmd_server_hello = {
    "hello", "hello", "show the server's name, version, protocol and seq",
    "Print the server's hello map: server, version, protocol and the current\n"
    "change sequence number seq.\n",
    NULL, 0, 0, cmd_server_hello_run
};

static const opts_spec cmd_server_stats_opts[] = {
    { "watch", 0, 0 }, { "count", 0, 1 }, { NULL, 0, 0 }
};

const cli_command cmd_server_stats = {
    "stats", "stats [--watch [SECONDS] [--count N]]", "show server and database statistics",
    "Print the stats map: events, seq, changes, trimmed, and the server, writes,\n"
    "index, db, changelog, methods and subscriptions sections (PROTOCOL.md, stats),\n"
    "as one JSON line; on a terminal (without --json), the summary --watch draws.\n"
    "\n"
    "--watch        take a sample every SECONDS (default 1; 0.1 to 86400) until\n"
    "               interrupted (Ctrl-C or SIGTERM: exit status 0). On a terminal,\n"
    "               clear it and draw a summary each time: traffic with rates per\n"
    "               second from successive samples, database and change log, the\n"
    "               methods called (requests, errors, latency percentiles) and the\n"
    "               subscriptions with their lag. Otherwise (piped, or --json) print\n"
    "               each sample as one JSON line: the stats map, plus from the second\n"
    "               sample on \"rates\": {seconds, requests, bytes_in, bytes_out}, the\n"
    "               growth per second since the sample before, seconds apart.\n"
    "--count N      stop after N samples.\n",
    cmd_server_stats_opts, 0, 1, cmd_server_stats_run
};

const cli_command cmd_server_backup = {
    "backup", "backup PATH", "copy the database, while it serves, to a new directory",
    "Make a consistent, compacted copy of the database while annalsd keeps\n"
    "serving reads and writes, in the new directory PATH (created with mode\n"
    "0700; an existing PATH is refused). PATH is on the server's machine and\n"
    "must be absolute. The copy holds exactly the writes up to the seq printed;\n"
    "to restore it, start annalsd on it: annalsd --data PATH.\n"
    "\n"
    "Prints \"backup PATH: seq N, B bytes\" (JSON: {\"path\", \"seq\", \"bytes\"}).\n"
    "Once connected, waits for the copy however long it takes, unless\n"
    "--timeout is given. Exit status 4 when the server refuses (bad_request: PATH\n"
    "exists, is relative or cannot be made; busy: another backup is running)\n"
    "or the copy fails.\n",
    NULL, 1, 1, cmd_server_backup_run
};
