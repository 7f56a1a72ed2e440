/* cmd_event.c: the commands on one event: put, get, delete. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client/cmd.h"
#include "client/render.h"
#include "proto/buf.h"

/* Read all of f into b; returns 0 or -1 with errno set. */
static int cmd_event_slurp(FILE *f, buf_t *b)
{
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(b, chunk, n);
    return ferror(f) ? -1 : 0;
}

static int cmd_event_put_run(cli_ctx *ctx, const opts_result *o)
{
    const char *arg = o->nargs ? o->args[0] : "-";
    char err[256];
    json_t *ev, *res;
    int rc;

    if (strcmp(arg, "-") == 0) {
        buf_t in;
        buf_init(&in);
        if (cmd_event_slurp(stdin, &in) < 0) {
            cli_error("cannot read stdin: %s", strerror(errno));
            buf_release(&in);
            return CLI_INPUT;
        }
        ev = cli_parse_json_object(in.data ? in.data : "", in.len, err, sizeof err);
        buf_release(&in);
        if (!ev) {
            cli_error("stdin: %s", err);
            return CLI_INPUT;
        }
    } else {
        ev = cli_parse_json_object(arg, strlen(arg), err, sizeof err);
        if (!ev) {
            cli_error("the event argument: %s", err);
            return CLI_INPUT;
        }
    }
    /* put's one parameter map is {event: {...}} (PROTOCOL.md: [{event}]). */
    json_t *params = json_pack("{s:o}", "event", ev);
    rc = cli_call(ctx, "put", params, &res);
    json_decref(params);
    if (rc)
        return rc;
    if (ctx->json) {
        cli_print_json(res);
    } else {
        const char *id = json_string_value(json_object_get(res, "id"));
        printf("put %s seq %" JSON_INTEGER_FORMAT "\n", id ? id : "?",
               json_integer_value(json_object_get(res, "seq")));
    }
    json_decref(res);
    return cli_flush_stdout();
}

static int cmd_event_get_run(cli_ctx *ctx, const opts_result *o)
{
    json_t *params = json_pack("{s:s}", "id", o->args[0]);
    json_t *res;
    int rc = cli_call(ctx, "get", params, &res);
    json_decref(params);
    if (rc)
        return rc;
    /* PROTOCOL.md writes the result as {event}; accept the event map itself
     * and a map holding it under "event" alike. */
    json_t *ev = json_object_get(res, "event");
    if (!json_is_object(ev) || json_object_get(res, "title"))
        ev = res;
    if (ctx->json)
        cli_print_json(ev);
    else
        render_listing(stdout, ev, 0, 0);
    json_decref(res);
    return cli_flush_stdout();
}

static int cmd_event_delete_run(cli_ctx *ctx, const opts_result *o)
{
    json_t *params = json_pack("{s:s}", "id", o->args[0]);
    json_t *res;
    int rc = cli_call(ctx, "delete", params, &res);
    json_decref(params);
    if (rc)
        return rc;
    if (ctx->json)
        cli_print_json(res);
    else
        printf("deleted %s seq %" JSON_INTEGER_FORMAT "\n", o->args[0],
               json_integer_value(json_object_get(res, "seq")));
    json_decref(res);
    return cli_flush_stdout();
}

const cli_command cmd_event_put = {
    "put", "put [JSON|-]", "store an event given as a JSON object",
    "Store the event given as a JSON object in the argument, or read from stdin\n"
    "when the argument is absent or '-'. An event with the id of an existing\n"
    "one replaces it; without an id the server makes one. Prints the id and the\n"
    "change sequence number (JSON: {\"id\":...,\"seq\":...}).\n"
    "Exit 5 when the JSON does not parse or is not an object, 4 when the server\n"
    "rejects the event.\n",
    NULL, 0, 1, cmd_event_put_run
};

const cli_command cmd_event_get = {
    "get", "get ID", "show one event",
    "Print the event with this id: on a terminal as \"key: value\" lines (nested\n"
    "values as compact JSON), otherwise as one JSON line. Exit 1 when there is\n"
    "no such event.\n",
    NULL, 1, 1, cmd_event_get_run
};

const cli_command cmd_event_delete = {
    "delete", "delete ID", "delete one event",
    "Delete the event with this id and print the change sequence number of the\n"
    "deletion (JSON: {\"seq\":N}). Exit 1 when there is no such event.\n",
    NULL, 1, 1, cmd_event_delete_run
};
