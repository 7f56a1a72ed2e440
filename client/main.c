/* main.c: the annals command-line client: global options, the command
 * table, help, and where the server is (options, then environment, then
 * the default 127.0.0.1:7411). */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/cmd.h"
#include "client/token.h"
#include "proto/xalloc.h"

#define MAIN_DEFAULT_HOST "127.0.0.1"
#define MAIN_DEFAULT_PORT "7411"
#define MAIN_DEFAULT_TIMEOUT 10.0

static const cli_command *const main_commands[] = {
    &cmd_server_ping, &cmd_server_hello, &cmd_server_stats,
    &cmd_event_put, &cmd_event_get, &cmd_event_delete,
    &cmd_range_range, &cmd_range_count, &cmd_query_search, &cmd_query_hist, &cmd_query_top,
    &cmd_render_render, &cmd_import_import, &cmd_range_export, &cmd_watch_watch,
    &cmd_server_backup,
    NULL
};

static const opts_spec main_opts[] = {
    { "host", 0, 1 }, { "port", 0, 1 }, { "socket", 0, 1 }, { "timeout", 0, 1 },
    { "token-file", 0, 1 }, { "token", 0, 1 },
    { "json", 0, 0 }, { "help", 'h', 0 }, { "version", 0, 0 },
    { NULL, 0, 0 }
};

static const char main_global_help[] =
    "Options (anywhere on the command line):\n"
    "  --host HOST        annalsd's TCP host (default " MAIN_DEFAULT_HOST ")\n"
    "  --port PORT        annalsd's TCP port (default " MAIN_DEFAULT_PORT ")\n"
    "  --socket PATH      connect to annalsd's Unix socket PATH instead\n"
    "  --timeout SECONDS  wait at most this long to connect and, for each reply,\n"
    "                     for the server to send something (default 10;\n"
    "                     decimals allowed; 0 waits forever)\n"
    "  --token-file FILE  present the token in FILE (its only line; the file must\n"
    "                     not be readable by group or others) to a server that\n"
    "                     requires one; a token is never given on the command\n"
    "                     line, where ps and shell history would show it\n"
    "  --json             JSON lines output (the default when stdout is not a\n"
    "                     terminal; on a terminal the default is a table)\n"
    "  -h, --help         show help; 'annals COMMAND --help' for a command\n"
    "  --version          show the version\n"
    "\n"
    "Environment:\n"
    "  ANNALS_HOST, ANNALS_PORT, ANNALS_SOCKET\n"
    "                     where the server is when no option says; options win,\n"
    "                     and at the same level a socket wins over host/port\n"
    "  ANNALS_TOKEN       the token to present when --token-file is not given\n"
    "\n"
    "Exit status:\n"
    "  0  success\n"
    "  1  not found (get or delete of a missing id)\n"
    "  2  usage error (bad options or arguments)\n"
    "  3  connection failure (cannot connect, connection lost, timeout)\n"
    "  4  the server returned an error (bad_request, too_large, db_full,\n"
    "     unauthenticated, forbidden, ...)\n"
    "  5  bad input (unreadable file, JSON that does not parse, import lines\n"
    "     rejected) or output that cannot be written\n";

static void main_help(FILE *out)
{
    fputs("Usage: annals [OPTIONS] COMMAND [ARGS]\n"
          "\n"
          "The command-line client of annalsd, the timeline-event database.\n"
          "\n"
          "Commands:\n", out);
    for (const cli_command *const *c = main_commands; *c; c++)
        fprintf(out, "  %-35s %s\n", (*c)->synopsis, (*c)->summary);
    fprintf(out, "  %-35s %s\n\n", "help [COMMAND]", "show help for a command");
    fputs(main_global_help, out);
}

static void main_command_help(const cli_command *c, FILE *out)
{
    fprintf(out, "Usage: annals %s\n\n%s\n", c->synopsis, c->help);
    fputs(main_global_help, out);
}

static const cli_command *main_find(const char *name)
{
    for (const cli_command *const *c = main_commands; *c; c++)
        if (strcmp((*c)->name, name) == 0)
            return *c;
    return NULL;
}

/* The index of the command word: the first argument that is neither a
 * global option nor the value of one; argc when there is none. */
static int main_command_index(int argc, char **argv)
{
    const opts_spec *const tables[] = { main_opts, NULL };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            return i + 1 < argc ? i + 1 : argc;
        if (a[0] != '-' || a[1] == '\0')
            return i;
        if (a[1] == '-') {
            const opts_spec *s = opts_find(tables, a + 2);
            if (s && s->takes_value && !strchr(a, '='))
                i++;
        }
    }
    return argc;
}

static const char *main_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static int main_check_port(const char *port, const char *from)
{
    char *end;
    long n = strtol(port, &end, 10);
    if (!*port || *end || n < 1 || n > 65535 || port[0] == '+' || port[0] == '-')
        return cli_usage_error(NULL, "%s: invalid port '%s'", from, port);
    return 0;
}

/* Fill ctx->addr: options first, then the environment, then the default;
 * at one level a socket wins over host and port. */
static int main_address(const opts_result *o, cli_ctx *ctx)
{
    const char *host = opts_value(o, "host"), *port = opts_value(o, "port");
    const char *sock = opts_value(o, "socket");
    int rc;

    if (!sock && !host && !port) {
        sock = main_env("ANNALS_SOCKET");
        if (!sock) {
            host = main_env("ANNALS_HOST");
            port = main_env("ANNALS_PORT");
        }
    } else if (!sock) {
        /* --host alone still takes ANNALS_PORT, and --port ANNALS_HOST. */
        if (!host)
            host = main_env("ANNALS_HOST");
        if (!port)
            port = main_env("ANNALS_PORT");
    }
    if (sock) {
        if (!*sock)
            return cli_usage_error(NULL, "--socket: empty path");
        ctx->addr.socket_path = sock;
        return 0;
    }
    host = host ? host : MAIN_DEFAULT_HOST;
    port = port ? port : MAIN_DEFAULT_PORT;
    if (!*host)
        return cli_usage_error(NULL, "--host: empty host");
    if ((rc = main_check_port(port, opts_value(o, "port") ? "--port" : "ANNALS_PORT")))
        return rc;
    ctx->addr.host = host;
    ctx->addr.port = port;
    return 0;
}

/* ctx->token from --token-file or ANNALS_TOKEN. --token is an option only
 * to say why it is refused: a token in argv is visible to every user of
 * the machine (ps, /proc) and lands in shell history. */
static int main_token(const opts_result *o, cli_ctx *ctx)
{
    char err[512];
    if (opts_count(o, "token"))
        return cli_usage_error(NULL, "--token: a token on the command line is visible to "
                               "every user (ps) and stays in shell history; set ANNALS_TOKEN "
                               "or use --token-file FILE");
    if (token_load(opts_value(o, "token-file"), &ctx->token, err, sizeof err) < 0) {
        cli_error("%s", err);
        return CLI_INPUT;
    }
    return 0;
}

static int main_timeout(const opts_result *o, cli_ctx *ctx)
{
    const char *t = opts_value(o, "timeout");
    double secs = MAIN_DEFAULT_TIMEOUT;
    if (t) {
        char *end;
        secs = strtod(t, &end);
        if (!*t || *end || !isfinite(secs) || secs < 0 || secs > 86400.0 * 365)
            return cli_usage_error(NULL, "--timeout: invalid number of seconds '%s'", t);
    }
    /* Round up, so that a tiny timeout is not 0, which means none; no ceil():
     * the client does not link libm. */
    double ms = secs * 1000;
    ctx->timeout_ms = (int)ms;
    if (ctx->timeout_ms < ms)
        ctx->timeout_ms++;
    return 0;
}

int main(int argc, char **argv)
{
    char err[256];
    opts_result o;
    cli_ctx ctx;
    int rc;

    /* A server that goes away must be an error return, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    memset(&ctx, 0, sizeof ctx);

    int ci = main_command_index(argc, argv);
    const cli_command *cmd = NULL;
    if (ci < argc && strcmp(argv[ci], "help") != 0) {
        cmd = main_find(argv[ci]);
        if (!cmd)
            return cli_usage_error(NULL, "unknown command '%s'", argv[ci]);
        ctx.name = cmd->name;
    }

    /* Parse everything but the command word, with the global options and
     * the command's own. */
    char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    for (int i = 1; i < argc; i++)
        if (i != ci)
            rest[nrest++] = argv[i];
    const opts_spec *const tables[] = { main_opts, cmd ? cmd->opts : NULL, NULL };
    rc = opts_parse(nrest, rest, tables, &o, err, sizeof err);
    if (rc < 0) {
        rc = cli_usage_error(&ctx, "%s", err);
        goto out;
    }
    if (opts_count(&o, "version")) {
        printf("annals %s\n", ANNALS_VERSION);
        goto out;
    }
    if (ci < argc && !cmd) {
        /* annals help [COMMAND] */
        const cli_command *c = o.nargs ? main_find(o.args[0]) : NULL;
        if (o.nargs > 1 || (o.nargs && !c))
            rc = cli_usage_error(NULL, "unknown command '%s'", o.args[0]);
        else if (c)
            main_command_help(c, stdout);
        else
            main_help(stdout);
        goto out;
    }
    if (opts_count(&o, "help")) {
        if (cmd)
            main_command_help(cmd, stdout);
        else
            main_help(stdout);
        goto out;
    }
    if (!cmd) {
        rc = cli_usage_error(NULL, "no command given");
        goto out;
    }
    if (o.nargs < cmd->min_args) {
        rc = cli_usage_error(&ctx, "missing argument (usage: annals %s)", cmd->synopsis);
        goto out;
    }
    if (o.nargs > cmd->max_args) {
        rc = cli_usage_error(&ctx, "unexpected argument '%s'", o.args[cmd->max_args]);
        goto out;
    }
    if ((rc = main_address(&o, &ctx)) != 0 || (rc = main_timeout(&o, &ctx)) != 0 ||
        (rc = main_token(&o, &ctx)) != 0)
        goto out;
    ctx.json = opts_count(&o, "json") > 0 || !isatty(STDOUT_FILENO);
    rc = cmd->run(&ctx, &o);
    cli_close(&ctx);
out:
    token_free(ctx.token);
    opts_release(&o);
    free(rest);
    if (rc == 0)
        rc = cli_flush_stdout();
    /* Whoever read our output stopped reading: not an error of ours. */
    return rc == CLI_STOP ? CLI_OK : rc;
}
