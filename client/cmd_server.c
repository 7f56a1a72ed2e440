/* cmd_server.c: the commands about the server itself: ping, hello, stats. */
#include "client/cmd.h"
#include "client/render.h"

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

static int cmd_server_stats_run(cli_ctx *ctx, const opts_result *o)
{
    (void)o;
    return cmd_server_show(ctx, "stats");
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

const cli_command cmd_server_stats = {
    "stats", "stats", "show server and database statistics",
    "Print the stats map: events, seq, changes, and the server, writes and db\n"
    "sections.\n",
    NULL, 0, 0, cmd_server_stats_run
};
