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
    msgpack_packer pk;
    remote_reply rep;
    json_t *result = NULL;

    *error = NULL;
    if (remote_open(&ctx->addr, ctx->timeout_ms, &ctx->remote, err, errlen) < 0)
        return CLI_CONN;
    if (!ctx->token)
        return 0;
    /* auth goes first, before the command's requests, so that none of
     * them meets a connection without rights. */
    uint32_t id = remote_begin(ctx->remote, "auth", &pk);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 1);
    buf_pack_cstr(&pk, "token");
    buf_pack_cstr(&pk, ctx->token);
    int rc = remote_flush(ctx->remote, err, errlen);
    if (rc == 0)
        rc = remote_recv(ctx->remote, id, &rep, err, errlen);
    else
        msgpack_unpacked_init(&rep.msg);
    if (rc < 0) {
        rc = CLI_CONN;
    } else if ((rc = cli_reply(&rep, &result, error)) == 0 && !json_is_object(result)) {
        snprintf(err, errlen, "protocol error: the result of auth is not a map");
        rc = CLI_CONN;
    } else if (rc) {
        rc = CLI_SERVER;
    }
    json_decref(result);
    remote_reply_release(&rep);
    if (rc) {
        remote_close(ctx->remote);
        ctx->remote = NULL;
    }
    return rc;
}

int cli_remote(cli_ctx *ctx, remote_t **r)
{
    char err[512];
    json_t *error;
    if (!ctx->remote) {
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
    *r = ctx->remote;
    return 0;
}

void cli_close(cli_ctx *ctx)
{
    remote_close(ctx->remote);
    ctx->remote = NULL;
}

int cli_reply(const remote_reply *rep, json_t **result, json_t **error)
{
    *result = NULL;
    *error = NULL;
    if (rep->error) {
        *error = jsonmp_to_json(rep->error);
        const char *code = cli_error_code(*error);
        return error_from_wire(code, strlen(code)) == ERROR_NOT_FOUND
            ? CLI_NOT_FOUND : CLI_SERVER;
    }
    *result = jsonmp_to_json(rep->result);
    return 0;
}

int cli_request(cli_ctx *ctx, const char *method, const json_t *params,
                json_t **result, json_t **error)
{
    remote_t *r;
    msgpack_packer pk;
    remote_reply rep;
    char err[512];
    int rc;

    *result = *error = NULL;
    /* Not cli_remote: a refused token is returned like any server error,
     * unreported, with *error set. */
    if (!ctx->remote && (rc = cli_connect(ctx, err, sizeof err, error)) != 0) {
        if (rc == CLI_CONN)
            cli_error("%s", err);
        return rc;
    }
    r = ctx->remote;
    uint32_t id = remote_begin(r, method, &pk);
    if (params) {
        msgpack_pack_array(&pk, 1);
        jsonmp_pack(&pk, params);
    } else {
        msgpack_pack_array(&pk, 0);
    }
    if (remote_flush(r, err, sizeof err) < 0) {
        cli_error("%s", err);
        return CLI_CONN;
    }
    rc = remote_recv(r, id, &rep, err, sizeof err);
    if (rc == 0) {
        rc = cli_reply(&rep, result, error);
    } else {
        cli_error("%s", err);
        rc = CLI_CONN;
    }
    remote_reply_release(&rep);
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
