/* cli.c: the plumbing the annals commands share (cli.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli.h"
#include "client/jsonmp.h"
#include "proto/error.h"
#include "proto/xalloc.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("annals: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_usage_error(const cli_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    if (ctx && ctx->name)
        fprintf(stderr, "annals %s: ", ctx->name);
    else
        fputs("annals: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (ctx && ctx->name)
        fprintf(stderr, "\nTry 'annals %s --help' for more information.\n", ctx->name);
    else
        fputs("\nTry 'annals --help' for more information.\n", stderr);
    return CLI_USAGE;
}

int cli_connect(cli_ctx *ctx, char *err, size_t errlen, json_t **error)
{
    annals_conn *c;
    json_t *result;

    *error = NULL;
    annals_new(&c);
    annals_set_timeout(c, ctx->timeout_ms);
    if (ctx->has_wake_fd)
        annals_set_wake_fd(c, ctx->wake_fd);
    int rc = ctx->addr.socket_path ? annals_connect_unix(c, ctx->addr.socket_path)
                                   : annals_connect_tcp(c, ctx->addr.host, ctx->addr.port);
    /* auth goes first, before the command's requests, so that none of
     * them meets a connection without rights. */
    if (rc == ANNALS_OK && ctx->token)
        rc = annals_auth(c, ctx->token, NULL);
    if (rc != ANNALS_OK) {
        rc = cli_reply(c, rc, NULL, &result, error);
        if (rc == CLI_CONN)
            snprintf(err, errlen, "%s", annals_errmsg(c));
        else
            rc = CLI_SERVER;
        annals_free(c);
        return rc;
    }
    ctx->conn = c;
    return 0;
}

int cli_remote(cli_ctx *ctx, annals_conn **c)
{
    char err[640];
    json_t *error;
    if (!ctx->conn) {
        int rc = cli_connect(ctx, err, sizeof err, &error);
        if (rc == CLI_CONN)
            cli_error("%s", err);
        if (rc == CLI_SERVER) {
            cli_report(error);
            json_decref(error);
        }
        if (rc)
            return rc;
    }
    *c = ctx->conn;
    return 0;
}

void cli_close(cli_ctx *ctx)
{
    annals_free(ctx->conn);
    ctx->conn = NULL;
}

int cli_reply(const annals_conn *conn, int status, const annals_reply *rep,
              json_t **result, json_t **error)
{
    *result = NULL;
    *error = NULL;
    if (status == ANNALS_OK) {
        *result = jsonmp_to_json(rep->result);
        return 0;
    }
    if (status != ANNALS_NOTFOUND && status != ANNALS_ESERVER)
        return CLI_CONN;
    const msgpack_object *e = annals_error(conn);
    *error = e ? jsonmp_to_json(e)
               : json_pack("[ss]", annals_error_code(conn), annals_errmsg(conn));
    return status == ANNALS_NOTFOUND ? CLI_NOT_FOUND : CLI_SERVER;
}

int cli_request(cli_ctx *ctx, const char *method, const json_t *params,
                json_t **result, json_t **error)
{
    annals_reply rep;
    char err[640];
    int rc;

    *result = *error = NULL;
    /* Not cli_remote: a refused token is returned like any server error,
     * unreported, with *error set. */
    if (!ctx->conn && (rc = cli_connect(ctx, err, sizeof err, error)) != 0) {
        if (rc == CLI_CONN)
            cli_error("%s", err);
        return rc;
    }
    buf_t b;
    msgpack_packer pk;
    buf_init(&b);
    if (params) {
        buf_packer_init(&pk, &b);
        jsonmp_pack(&pk, params);
    }
    rc = annals_call(ctx->conn, method, b.data, b.len, &rep);
    buf_release(&b);
    rc = cli_reply(ctx->conn, rc, &rep, result, error);
    if (rc == CLI_CONN)
        cli_error("%s", annals_errmsg(ctx->conn));
    annals_reply_free(&rep);
    return rc;
}

int cli_call(cli_ctx *ctx, const char *method, const json_t *params, json_t **result)
{
    json_t *error;
    int rc = cli_request(ctx, method, params, result, &error);
    if (rc == CLI_NOT_FOUND || rc == CLI_SERVER) {
        rc = cli_report(error);
        json_decref(error);
        return rc;
    }
    if (rc == 0 && !json_is_object(*result)) {
        cli_error("protocol error: the result of %s is not a map", method);
        json_decref(*result);
        *result = NULL;
        return CLI_CONN;
    }
    return rc;
}

const char *cli_error_code(const json_t *error)
{
    const char *s = json_string_value(json_array_get(error, 0));
    return s && *s ? s : "internal";
}

const char *cli_error_message(const json_t *error)
{
    const char *s = json_string_value(json_array_get(error, 1));
    return s ? s : "";
}

int cli_report(const json_t *error)
{
    const char *code = cli_error_code(error);
    const char *msg = cli_error_message(error);
    if (*msg)
        cli_error("%s: %s", code, msg);
    else
        cli_error("%s: %s", code, error_message(error_from_wire(code, strlen(code))));
    if (error_from_wire(code, strlen(code)) == ERROR_UNAUTHENTICATED)
        cli_error("the server requires a valid token: set ANNALS_TOKEN, or name a file "
                  "that holds it with --token-file");
    return error_from_wire(code, strlen(code)) == ERROR_NOT_FOUND ? CLI_NOT_FOUND : CLI_SERVER;
}

void cli_print_json(const json_t *v)
{
    buf_t b;
    buf_init(&b);
    jsonmp_dump(v, &b);
    buf_append(&b, "\n", 1);
    fwrite(b.data, 1, b.len, stdout);
    buf_release(&b);
}

int cli_flush_stdout(void)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return 0;
    int e = errno;
    if (e == EPIPE)
        return CLI_STOP;
    cli_error("cannot write the output: %s", strerror(e));
    return CLI_INPUT;
}

json_t *cli_parse_json_object(const char *text, size_t len, char *err, size_t errlen)
{
    json_error_t je;
    /* JSON_ALLOW_NUL: a "\u0000" is the server's to judge, not jansson's. */
    json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!v) {
        if (je.line > 1)
            snprintf(err, errlen, "line %d column %d: %s", je.line, je.column, je.text);
        else
            snprintf(err, errlen, "column %d: %s", je.column, je.text);
        return NULL;
    }
    if (!json_is_object(v)) {
        snprintf(err, errlen, "expected a JSON object, got %s",
                 json_is_array(v) ? "an array" : json_is_string(v) ? "a string" :
                 json_is_number(v) ? "a number" : json_is_null(v) ? "null" : "a boolean");
        json_decref(v);
        return NULL;
    }
    return v;
}
