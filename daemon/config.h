/* config.h: annalsd's settings: built-in defaults, the config file
 * (key = value lines, '#' comments) and command-line overrides. */
#ifndef ANNALS_CONFIG_H
#define ANNALS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/log.h"
#include "daemon/sha256.h"

#define CONFIG_PATH_MAX 1024

typedef struct {
    char listen[CONFIG_PATH_MAX];   /* "host:port", "[v6]:port"; "" = no TCP */
    char socket[CONFIG_PATH_MAX];   /* Unix socket path; "" = none */
    unsigned socket_mode;           /* permission bits of the socket file */
    char data[CONFIG_PATH_MAX];     /* data directory */
    uint64_t map_size;              /* LMDB map size, bytes */
    uint64_t max_message_size;      /* bytes */
    uint64_t max_record_size;       /* bytes of one encoded event */
    unsigned max_depth;             /* msgpack nesting */
    uint64_t max_array_length;      /* elements of one msgpack array */
    uint64_t max_map_length;        /* key-value pairs of one msgpack map */
    uint64_t max_string_length;     /* bytes of one msgpack str, bin or ext */
    unsigned max_connections;
    uint64_t output_limit;          /* queued reply bytes before reading pauses */
    uint64_t shutdown_timeout_ms;
    uint64_t request_timeout_ms;    /* a started message must be complete within this; 0 = off */
    uint64_t idle_timeout_ms;       /* close connections idle this long; 0 = never */
    uint64_t output_timeout_ms;     /* close connections whose replies are not taken this long; 0 = never */
    uint64_t changes_max_entries;   /* change-log retention by count; 0 keeps all */
    uint64_t changes_max_age_ms;    /* change-log retention by age; 0 keeps all */
    uint64_t feed_heartbeat_ms;     /* heartbeat interval of quiet subscriptions */
    uint64_t feed_buffer;           /* live feed bytes queued per connection */
    uint64_t index_max_lag;         /* events written but not indexed before indexing goes first */
    uint64_t index_idle_ms;         /* no write for this long: index what waits */
    log_level log_level;
    /* Access tokens (tokens.h); all empty: no token, every connection may
     * read and write. */
    char auth_token_file[CONFIG_PATH_MAX];          /* "rw TOKEN" / "ro TOKEN" lines */
    char auth_token_rw_sha256[SHA256_HEX_SIZE];     /* hex digest of a read-write token */
    char auth_token_ro_sha256[SHA256_HEX_SIZE];     /* hex digest of a read-only token */
} config_t;

/* config_defaults: the built-in settings (the same as config/annalsd.conf). */
void config_defaults(config_t *cfg);

/* config_set: apply one setting by name, as from a config line or a flag.
 * Returns 0, or -1 with a message in err ("unknown key 'x'",
 * "map_size: '12XB' is not a size (e.g. 512MiB, 8GiB)"). */
int config_set(config_t *cfg, const char *key, const char *value, char *err, size_t errlen);

/* config_load: read a config file. Returns 0, or -1 with a message naming the
 * file and line ("annalsd.conf:12: unknown key 'mapsize'"). */
int config_load(config_t *cfg, const char *path, char *err, size_t errlen);

/* config_parse_size: "16MiB", "512 KiB", "1GB", "4096" into bytes. */
int config_parse_size(const char *s, uint64_t *out);

/* config_parse_duration: "10s", "500ms", "2m" into milliseconds. */
int config_parse_duration(const char *s, uint64_t *out_ms);

#endif
