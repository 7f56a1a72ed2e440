/* config.c: parsing of annalsd.conf and of the settings flags override. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "proto/frame.h"

void config_defaults(config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->listen, sizeof cfg->listen, "127.0.0.1:7411");
    snprintf(cfg->socket, sizeof cfg->socket, "var/annalsd.sock");
    cfg->socket_mode = 0600;
    snprintf(cfg->data, sizeof cfg->data, "var/data");
    cfg->map_size = 8ULL << 30;
    cfg->max_message_size = 16ULL << 20;
    cfg->max_record_size = 1ULL << 20;
    cfg->max_depth = 32;
    cfg->max_array_length = 100000;
    cfg->max_map_length = 100000;
    cfg->max_string_length = 1ULL << 20;
    cfg->max_connections = 1024;
    cfg->output_limit = 8ULL << 20;
    cfg->shutdown_timeout_ms = 10000;
    cfg->request_timeout_ms = 30000;
    cfg->idle_timeout_ms = 0;
    cfg->output_timeout_ms = 60000;
    cfg->changes_max_entries = 0;
    cfg->changes_max_age_ms = 0;
    cfg->feed_heartbeat_ms = 10000;
    cfg->index_max_lag = 50000;
    cfg->index_idle_ms = 20;
    cfg->feed_buffer = 4ULL << 20;
    cfg->log_level = LOG_INFO;
}

int config_parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)*s))
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return -1;
    while (*end == ' ')
        end++;
    static const struct { const char *unit; uint64_t mult; } units[] = {
        { "", 1 }, { "B", 1 },
        { "K", 1ULL << 10 }, { "KB", 1000ULL }, { "KiB", 1ULL << 10 },
        { "M", 1ULL << 20 }, { "MB", 1000000ULL }, { "MiB", 1ULL << 20 },
        { "G", 1ULL << 30 }, { "GB", 1000000000ULL }, { "GiB", 1ULL << 30 },
        { "T", 1ULL << 40 }, { "TB", 1000000000000ULL }, { "TiB", 1ULL << 40 },
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].unit) == 0) {
            if (v > UINT64_MAX / units[i].mult)
                return -1;
            *out = v * units[i].mult;
            return 0;
        }
    return -1;
}

int config_parse_duration(const char *s, uint64_t *out_ms)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)*s))
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || v > 1000000000ULL)
        return -1;
    if (strcmp(end, "ms") == 0)
        *out_ms = v;
    else if (strcmp(end, "s") == 0 || *end == '\0')
        *out_ms = v * 1000;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
        *out_ms = v * 60000;
    else if (strcmp(end, "h") == 0)
        *out_ms = v * 3600000;
    else if (strcmp(end, "d") == 0)
        *out_ms = v * 86400000;
    else
        return -1;
    return 0;
}

static int config_parse_uint(const char *s, unsigned long long max, unsigned long long *out, int base)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)*s))
        return -1;
    unsigned long long v = strtoull(s, &end, base);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

static int config_copy_path(char *dst, const char *value, const char *key, char *err, size_t errlen)
{
    if (strlen(value) >= CONFIG_PATH_MAX) {
        snprintf(err, errlen, "%s: value is longer than %d bytes", key, CONFIG_PATH_MAX - 1);
        return -1;
    }
    strcpy(dst, value);
    return 0;
}

int config_set(config_t *cfg, const char *key, const char *value, char *err, size_t errlen)
{
    unsigned long long u;
    uint64_t size;

    if (strcmp(key, "listen") == 0) {
        if (strcmp(value, "off") == 0 || strcmp(value, "none") == 0)
            value = "";
        return config_copy_path(cfg->listen, value, key, err, errlen);
    }
    if (strcmp(key, "socket") == 0) {
        if (strcmp(value, "off") == 0 || strcmp(value, "none") == 0)
            value = "";
        if (strlen(value) >= 108) {
            snprintf(err, errlen, "socket: path is longer than a Unix socket allows (107 bytes)");
            return -1;
        }
        return config_copy_path(cfg->socket, value, key, err, errlen);
    }
    if (strcmp(key, "data") == 0) {
        if (!*value) {
            snprintf(err, errlen, "data: a directory is required");
            return -1;
        }
        return config_copy_path(cfg->data, value, key, err, errlen);
    }
    if (strcmp(key, "socket_mode") == 0) {
        if (config_parse_uint(value, 0777, &u, 8) < 0) {
            snprintf(err, errlen, "socket_mode: '%s' is not an octal mode (e.g. 0600)", value);
            return -1;
        }
        cfg->socket_mode = (unsigned)u;
        return 0;
    }
    if (strcmp(key, "map_size") == 0 || strcmp(key, "max_message_size") == 0 ||
        strcmp(key, "max_record_size") == 0 || strcmp(key, "output_limit") == 0) {
        if (config_parse_size(value, &size) < 0) {
            snprintf(err, errlen, "%s: '%s' is not a size (e.g. 512KiB, 16MiB, 8GiB)", key, value);
            return -1;
        }
        if (strcmp(key, "map_size") == 0) {
            if (size < (1ULL << 20)) {
                snprintf(err, errlen, "map_size: %s is below the minimum of 1MiB", value);
                return -1;
            }
            cfg->map_size = size;
        } else if (strcmp(key, "max_message_size") == 0) {
            if (size < 1024 || size > (1ULL << 30)) {
                snprintf(err, errlen, "max_message_size: %s is outside 1KiB..1GiB", value);
                return -1;
            }
            cfg->max_message_size = size;
        } else if (strcmp(key, "max_record_size") == 0) {
            if (size < 1024 || size > (256ULL << 20)) {
                snprintf(err, errlen, "max_record_size: %s is outside 1KiB..256MiB", value);
                return -1;
            }
            cfg->max_record_size = size;
        } else {
            if (size < 4096) {
                snprintf(err, errlen, "output_limit: %s is below the minimum of 4KiB", value);
                return -1;
            }
            cfg->output_limit = size;
        }
        return 0;
    }
    if (strcmp(key, "max_depth") == 0) {
        if (config_parse_uint(value, FRAME_DEPTH_MAX, &u, 10) < 0 || u < 4) {
            snprintf(err, errlen, "max_depth: '%s' is not a depth between 4 and %d", value, FRAME_DEPTH_MAX);
            return -1;
        }
        cfg->max_depth = (unsigned)u;
        return 0;
    }
    if (strcmp(key, "max_array_length") == 0 || strcmp(key, "max_map_length") == 0) {
        /* At least 16: the request envelope and its params must fit. */
        if (config_parse_uint(value, UINT32_MAX, &u, 10) < 0 || u < 16) {
            snprintf(err, errlen, "%s: '%s' is not a count between 16 and %lu", key, value,
                     (unsigned long)UINT32_MAX);
            return -1;
        }
        if (strcmp(key, "max_array_length") == 0)
            cfg->max_array_length = u;
        else
            cfg->max_map_length = u;
        return 0;
    }
    if (strcmp(key, "max_string_length") == 0) {
        if (config_parse_size(value, &size) < 0 || size < 1024 || size > (1ULL << 30)) {
            snprintf(err, errlen, "max_string_length: '%s' is not a size between 1KiB and 1GiB", value);
            return -1;
        }
        cfg->max_string_length = size;
        return 0;
    }
    if (strcmp(key, "max_connections") == 0) {
        if (config_parse_uint(value, 1000000, &u, 10) < 0 || u < 1) {
            snprintf(err, errlen, "max_connections: '%s' is not a number between 1 and 1000000", value);
            return -1;
        }
        cfg->max_connections = (unsigned)u;
        return 0;
    }
    if (strcmp(key, "request_timeout") == 0 || strcmp(key, "idle_timeout") == 0 ||
        strcmp(key, "output_timeout") == 0) {
        uint64_t ms;
        if (config_parse_duration(value, &ms) < 0) {
            snprintf(err, errlen, "%s: '%s' is not a duration (e.g. 30s, 5m; 0 turns it off)", key, value);
            return -1;
        }
        if (key[0] == 'r')
            cfg->request_timeout_ms = ms;
        else if (key[0] == 'i')
            cfg->idle_timeout_ms = ms;
        else
            cfg->output_timeout_ms = ms;
        return 0;
    }
    if (strcmp(key, "shutdown_timeout") == 0) {
        if (config_parse_duration(value, &cfg->shutdown_timeout_ms) < 0) {
            snprintf(err, errlen, "shutdown_timeout: '%s' is not a duration (e.g. 10s, 500ms)", value);
            return -1;
        }
        return 0;
    }
    if (strcmp(key, "changes_max_entries") == 0) {
        if (config_parse_uint(value, UINT64_MAX, &u, 10) < 0) {
            snprintf(err, errlen, "changes_max_entries: '%s' is not a count (0 keeps everything)", value);
            return -1;
        }
        cfg->changes_max_entries = u;
        return 0;
    }
    if (strcmp(key, "index_max_lag") == 0) {
        if (config_parse_uint(value, UINT64_MAX, &u, 10) < 0 || u == 0) {
            snprintf(err, errlen, "index_max_lag: '%s' is not a count of at least 1", value);
            return -1;
        }
        cfg->index_max_lag = u;
        return 0;
    }
    if (strcmp(key, "index_idle") == 0) {
        if (config_parse_duration(value, &cfg->index_idle_ms) < 0) {
            snprintf(err, errlen, "index_idle: '%s' is not a duration (e.g. 20ms, 1s)", value);
            return -1;
        }
        return 0;
    }
    if (strcmp(key, "changes_max_age") == 0 || strcmp(key, "feed_heartbeat") == 0) {
        uint64_t ms;
        if (config_parse_duration(value, &ms) < 0) {
            snprintf(err, errlen, "%s: '%s' is not a duration (e.g. 10s, 500ms, 30d)", key, value);
            return -1;
        }
        if (key[0] == 'c') {
            cfg->changes_max_age_ms = ms;
        } else {
            if (ms < 10) {
                snprintf(err, errlen, "feed_heartbeat: %s is below the minimum of 10ms", value);
                return -1;
            }
            cfg->feed_heartbeat_ms = ms;
        }
        return 0;
    }
    if (strcmp(key, "feed_buffer") == 0) {
        if (config_parse_size(value, &size) < 0 || size < 4096) {
            snprintf(err, errlen, "feed_buffer: '%s' is not a size of at least 4KiB", value);
            return -1;
        }
        cfg->feed_buffer = size;
        return 0;
    }
    if (strcmp(key, "log_level") == 0) {
        if (log_parse_level(value, &cfg->log_level) < 0) {
            snprintf(err, errlen, "log_level: '%s' is not one of debug, info, warn, error", value);
            return -1;
        }
        return 0;
    }
    if (strcmp(key, "auth_token_file") == 0)
        return config_copy_path(cfg->auth_token_file, value, key, err, errlen);
    if (strcmp(key, "auth_token_rw_sha256") == 0 || strcmp(key, "auth_token_ro_sha256") == 0) {
        unsigned char d[SHA256_SIZE];
        /* The value is not repeated in the message: it may be a token put
         * here by mistake, and messages end up in logs. */
        if (*value && sha256_from_hex(value, d) < 0) {
            snprintf(err, errlen, "%s: the value is not 64 hex digits (a SHA-256 digest: "
                     "'annalsd --hash-token' prints the one of a token)", key);
            return -1;
        }
        snprintf(strstr(key, "_rw_") ? cfg->auth_token_rw_sha256 : cfg->auth_token_ro_sha256,
                 SHA256_HEX_SIZE, "%s", value);
        return 0;
    }
    snprintf(err, errlen, "unknown key '%s'", key);
    return -1;
}

static char *config_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

int config_load(config_t *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[4096];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(err, errlen, "%s:%d: line is too long", path, lineno);
            rc = -1;
            break;
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = config_trim(line);
        if (!*s)
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected 'key = value', got '%s'", path, lineno, s);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *key = config_trim(s), *value = config_trim(eq + 1);
        /* Quotes are optional around values, for paths with spaces. */
        size_t vl = strlen(value);
        if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
            value[vl - 1] = '\0';
            value++;
        }
        char msg[512];
        if (config_set(cfg, key, value, msg, sizeof msg) < 0) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        rc = -1;
    }
    fclose(f);
    return rc;
}
