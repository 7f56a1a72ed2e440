/* cmd.h: the commands of the annals client, one cli_command each, defined in
 * the cmd_*.c files and listed by main.c. */
#ifndef ANNALS_CLIENT_CMD_H
#define ANNALS_CLIENT_CMD_H

#include "client/cli.h"

extern const cli_command cmd_server_ping;
extern const cli_command cmd_server_hello;
extern const cli_command cmd_server_stats;
extern const cli_command cmd_server_backup;
extern const cli_command cmd_event_put;
extern const cli_command cmd_event_get;
extern const cli_command cmd_event_delete;
extern const cli_command cmd_range_range;
extern const cli_command cmd_range_count;
extern const cli_command cmd_range_export;
extern const cli_command cmd_render_render;
extern const cli_command cmd_import_import;
extern const cli_command cmd_watch_watch;
extern const cli_command cmd_query_hist;
extern const cli_command cmd_query_top;
extern const cli_command cmd_query_search;

/* cmd_range_list: print the events params selects as range does: a table
 * on a terminal, else JSON lines, paging with the cursor, honouring the
 * --limit and --order options of o (which the caller's opts_spec must
 * list). params is the caller's; the paging keys are set in it. Returns 0 or
 * an exit code, after reporting. */
int cmd_range_list(cli_ctx *ctx, const opts_result *o, json_t *params);

/* cmd_range_page_fn: given each page of a selection: events (borrowed, valid
 * during the call), of which the first n are to be taken (fewer than the
 * page holds when a limit is reached). Returns 0 to go on, or an exit code
 * that stops the walk and is returned by cmd_range_each. */
typedef int (*cmd_range_page_fn)(void *arg, const json_t *events, size_t n);

/* cmd_range_each: call the range method page by page with params (the
 * caller's; the paging keys are set in it) until the selection is exhausted
 * or want events (0: no limit) have been given to page. Returns 0, the
 * first non-zero return of page, or an exit code after reporting a server
 * or connection error. This is the one place the selecting commands call
 * range. */
int cmd_range_each(cli_ctx *ctx, json_t *params, size_t want, cmd_range_page_fn page,
                   void *arg);

#endif
