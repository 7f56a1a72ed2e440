/* test_config.c: config files and flags parse into settings, and every bad
 * line is refused with its file and line number. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "tap.h"

static int load_text(config_t *cfg, const char *text, char *err, size_t errlen)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/annals-test-config-%ld.conf", (long)getpid());
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    config_defaults(cfg);
    int rc = config_load(cfg, path, err, errlen);
    unlink(path);
    return rc;
}

int main(void)
{
    config_t cfg;
    char err[512];
    uint64_t v;

    config_defaults(&cfg);
    is_str(cfg.listen, "127.0.0.1:7411", "the default TCP address is loopback port 7411");
    is_int(cfg.max_message_size, 16 << 20, "the default message limit is 16 MiB");
    is_int(cfg.max_record_size, 1 << 20, "the default record limit is 1 MiB");
    is_int(cfg.socket_mode, 0600, "the default socket mode is 0600");

    ok(config_parse_size("16MiB", &v) == 0 && v == 16 << 20, "16MiB parses");
    ok(config_parse_size("512 KiB", &v) == 0 && v == 512 << 10, "512 KiB parses");
    ok(config_parse_size("1GB", &v) == 0 && v == 1000000000, "1GB is decimal");
    ok(config_parse_size("12XB", &v) < 0, "an unknown unit is refused");
    ok(config_parse_size("-1", &v) < 0, "a negative size is refused");
    ok(config_parse_duration("500ms", &v) == 0 && v == 500, "500ms parses");
    ok(config_parse_duration("2m", &v) == 0 && v == 120000, "2m parses");

    is_int(load_text(&cfg, "# comment\n\nlisten = 127.0.0.1:0  # inline\nsocket = \"/tmp/a b.sock\"\n"
                           "map_size = 64MiB\nlog_level = debug\n", err, sizeof err), 0,
           "a valid file loads");
    is_str(cfg.listen, "127.0.0.1:0", "values are trimmed and comments stripped");
    is_str(cfg.socket, "/tmp/a b.sock", "quoted values keep their spaces");
    is_int(cfg.map_size, 64 << 20, "sizes are read");
    is_int(cfg.log_level, LOG_DEBUG, "log levels are read");

    ok(load_text(&cfg, "listen = 127.0.0.1:1\nmapsize = 1GiB\n", err, sizeof err) < 0 &&
       strstr(err, ":2: unknown key 'mapsize'"), "an unknown key is refused with its line: %s", err);
    ok(load_text(&cfg, "\n\nmax_depth = 99\n", err, sizeof err) < 0 && strstr(err, ":3: max_depth"),
       "an out-of-range depth is refused with its line: %s", err);
    ok(load_text(&cfg, "just words\n", err, sizeof err) < 0 && strstr(err, ":1: expected 'key = value'"),
       "a line without '=' is refused: %s", err);
    ok(load_text(&cfg, "socket_mode = 0999\n", err, sizeof err) < 0, "a non-octal mode is refused");

    /* The limits of abuse: defaults, and out-of-range values named by key. */
    config_defaults(&cfg);
    is_int(cfg.max_array_length, 100000, "the default array length limit is 100000");
    is_int(cfg.max_map_length, 100000, "the default map length limit is 100000");
    is_int(cfg.max_string_length, 1 << 20, "the default string length limit is 1 MiB");
    is_int(cfg.output_timeout_ms, 60000, "the default output timeout is 60 s");
    is_int(load_text(&cfg, "max_array_length = 16\nmax_map_length = 4294967295\n"
                           "max_string_length = 2KiB\noutput_timeout = 500ms\n", err, sizeof err), 0,
           "the length limits and output_timeout load");
    ok(cfg.max_array_length == 16 && cfg.max_map_length == 4294967295ULL &&
       cfg.max_string_length == 2048 && cfg.output_timeout_ms == 500, "... with their values");
    ok(load_text(&cfg, "max_array_length = 15\n", err, sizeof err) < 0 && strstr(err, ":1: max_array_length"),
       "an array length under 16 is refused, naming the key: %s", err);
    ok(load_text(&cfg, "max_map_length = 4294967296\n", err, sizeof err) < 0 && strstr(err, "max_map_length"),
       "a map length over 2^32-1 is refused, naming the key: %s", err);
    ok(load_text(&cfg, "max_string_length = 100\n", err, sizeof err) < 0 && strstr(err, "max_string_length"),
       "a string length under 1KiB is refused, naming the key: %s", err);
    ok(load_text(&cfg, "output_timeout = soon\n", err, sizeof err) < 0 && strstr(err, "output_timeout"),
       "an output_timeout that is not a duration is refused, naming the key: %s", err);
    config_defaults(&cfg);
    ok(config_load(&cfg, "/nonexistent/annalsd.conf", err, sizeof err) < 0 && strstr(err, "No such file"),
       "a missing file is reported: %s", err);
    ok(config_set(&cfg, "listen", "off", err, sizeof err) == 0 && cfg.listen[0] == '\0',
       "listen = off disables TCP");
    return done_testing();
}
