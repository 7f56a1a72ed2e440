/* cli.h: what the annals commands share: exit codes, the invocation context
 * (where the server is, output mode), a lazily opened connection, calling a
 * method and reporting its errors, and writing output lines. */
#ifndef ANNALS_CLIENT_CLI_H
#define ANNALS_CLIENT_CLI_H

#include <stdio.h>
#include <jansson.h>

#include "client/opts.h"
#include "client/lib/annals.h"

#include "proto/version.h"

/* Exit codes; --help lists them, and scripts rely on them staying exact. */
enum {
    CLI_OK = 0,
    CLI_NOT_FOUND = 1,   /* get/delete of a missing id */
    CLI_USAGE = 2,       /* bad flags or arguments */
    CLI_CONN = 3,        /* cannot connect, connection lost, timeout */
    CLI_SERVER = 4,      /* the server returned an error */
    CLI_INPUT = 5,       /* bad input: unreadable file, bad JSON, rejected lines */
    CLI_STOP = 100       /* internal: stop quietly, exit 0 (stdout's reader left) */
};

/* Where annalsd is: a Unix socket when socket_path is set, else TCP. */
typedef struct {
    const char *socket_path;
    const char *host;    /* name or address; "[::1]" is accepted */
    const char *port;    /* decimal */
} cli_addr;

typedef struct {
    cli_addr addr;
    int timeout_ms;      /* 0: wait forever */
    int has_wake_fd;     /* the connection also watches wake_fd */
    int wake_fd;         /* (annals_set_wake_fd), for watch's signals */
    int json;            /* JSON lines instead of tables */
    const char *name;    /* the command's name, for messages */
    char *token;         /* owned (token.h); presented on connecting, or NULL */
    annals_conn *conn;   /* owned; opened by cli_remote */
} cli_ctx;

typedef struct cli_command {
    const char *name;
    const char *synopsis;        /* "range [FROM [TO]] [OPTIONS]" */
    const char *summary;         /* one line for the command list */
    const char *help;            /* the text after the synopsis in COMMAND --help */
    const opts_spec *opts;       /* the command's own options, or NULL */
    size_t min_args, max_args;
    int (*run)(cli_ctx *ctx, const opts_result *o);
} cli_command;

/* cli_error: print "annals: <message>" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* cli_usage_error: print "annals COMMAND: <message>" (just "annals: " when
 * ctx names no command) and a hint to see COMMAND --help; returns CLI_USAGE. */
int cli_usage_error(const cli_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* cli_connect: open ctx->conn and, when ctx has a token, authenticate
 * with it. Returns 0; CLI_CONN with the reason in err (not reported); or
 * CLI_SERVER with *error a new reference to the server's error array (not
 * reported), when the server refused the token. On failure ctx->conn is
 * NULL. */
int cli_connect(cli_ctx *ctx, char *err, size_t errlen, json_t **error);

/* cli_remote: the connection, opened (cli_connect) on first use. Returns 0,
 * or CLI_CONN or CLI_SERVER after reporting why. */
int cli_remote(cli_ctx *ctx, annals_conn **conn);

/* cli_close: close the connection, if any. */
void cli_close(cli_ctx *ctx);

/* cli_request: call method with params (a JSON object, or NULL for []) and
 * wait for the answer. Returns 0 with *result a new reference to the result;
 * CLI_NOT_FOUND or CLI_SERVER with *error a new reference to the error array
 * [code, message, details?] (not reported); or CLI_CONN (reported). */
int cli_request(cli_ctx *ctx, const char *method, const json_t *params,
                json_t **result, json_t **error);

/* cli_call: cli_request that reports a server error with cli_report and
 * requires the result to be an object. */
int cli_call(cli_ctx *ctx, const char *method, const json_t *params, json_t **result);

/* cli_reply: turn the status of a call on conn, and its reply (NULL when
 * the call had none), into *result or *error as cli_request does:
 * CLI_CONN for a failure of the connection, which is not reported
 * (annals_errmsg says why). Releases nothing. */
int cli_reply(const annals_conn *conn, int status, const annals_reply *rep,
              json_t **result, json_t **error);

/* cli_error_code, cli_error_message: the parts of an error array ("internal"
 * and "" when malformed); borrowed from error. */
const char *cli_error_code(const json_t *error);
const char *cli_error_message(const json_t *error);

/* cli_report: print a server error as "annals: code: message" (with a hint
 * about tokens after unauthenticated); returns its exit code (CLI_NOT_FOUND
 * for not_found, else CLI_SERVER). */
int cli_report(const json_t *error);

/* cli_print_json: write v as one compact JSON line on stdout. */
void cli_print_json(const json_t *v);

/* cli_flush_stdout: flush stdout; returns 0, CLI_STOP when the reader of a
 * pipe has gone (annals export | head), or CLI_INPUT after reporting another
 * write error (disk full). */
int cli_flush_stdout(void);

/* cli_parse_json_object: parse text as one JSON object. Returns a new
 * reference, or NULL with the reason ("line 1 column 5: ...") in err. */
json_t *cli_parse_json_object(const char *text, size_t len, char *err, size_t errlen);

#endif
