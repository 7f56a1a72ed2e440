/* cmd.h: the commands of the annals client, one cli_command each, defined in
 * the cmd_*.c files and listed by main.c. */
#ifndef ANNALS_CLIENT_CMD_H
#define ANNALS_CLIENT_CMD_H

#include "client/cli.h"

extern const cli_command cmd_server_ping;
extern const cli_command cmd_server_hello;
extern const cli_command cmd_server_stats;
extern const cli_command cmd_event_put;
extern const cli_command cmd_event_get;
extern const cli_command cmd_event_delete;
extern const cli_command cmd_range_range;
extern const cli_command cmd_range_count;
extern const cli_command cmd_range_export;
extern const cli_command cmd_import_import;
extern const cli_command cmd_watch_watch;

/* cmd_range_params: add to params the filter of range, count and watch:
 * from and to (the positional FROM and TO) and the --mode, --kind, --country
 * and --tag options (a string when given once, an array when repeated).
 * Returns 0, or CLI_USAGE after reporting. Dates go to the server as given:
 * it is the one that knows EDTF. */
int cmd_range_params(cli_ctx *ctx, const opts_result *o, json_t *params);

/* The options cmd_range_params reads, for a command's help text. */
#define CMD_RANGE_FILTER_HELP \
    "  --mode overlap|within  overlap (default): events that may meet the window;\n" \
    "                         within: events certainly inside it\n" \
    "  --kind KIND            only this kind (repeat for any of several)\n" \
    "  --country CC           only events involving this country (repeatable)\n" \
    "  --tag TAG              only events with this tag (repeatable)\n"

#endif
