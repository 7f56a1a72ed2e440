/* log.h: the daemon's log: one line per event on stderr, with UTC time and
 * level. Safe to call from the writer thread (one fprintf per line). */
#ifndef ANNALS_LOG_H
#define ANNALS_LOG_H

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

/* log_set_level: lines below level are dropped. */
void log_set_level(log_level level);

/* log_parse_level: "debug", "info", "warn" or "error" into *out; 0 or -1. */
int log_parse_level(const char *s, log_level *out);

int log_enabled(log_level level);

void log_msg(log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_debug(...) do { if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
