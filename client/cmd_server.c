/* cmd_server.c: the commands about the server itself: ping, hello, stats,
 * backup. */
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

const cli_command cmd_server_stats = {
    "stats", "stats", "show server and database statistics",
    "Print the stats map: events, seq, changes, and the server, writes and db\n"
    "sections.\n",
    NULL, 0, 0, cmd_server_stats_run
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
