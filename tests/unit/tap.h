/* tap.h: a minimal Test Anything Protocol emitter for the unit-test binaries.
 * Each binary prints "ok N - name" lines and a trailing plan; prove reads them. */
#ifndef ANNALS_TAP_H
#define ANNALS_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count_;
static int tap_failed_;

static inline int tap_ok_(int cond, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    tap_count_++;
    printf("%sok %d - ", cond ? "" : "not ", tap_count_);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!cond) {
        tap_failed_++;
        printf("#   Failed test at %s line %d\n", file, line);
    }
    fflush(stdout);
    return cond;
}

/* ok(cond, "name %s", ...): one test point. */
#define ok(cond, ...) tap_ok_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* is_int(got, want, name...): integers compared as int64. */
#define is_int(got, want, ...) do { \
        int64_t g_ = (int64_t)(got), w_ = (int64_t)(want); \
        if (!ok(g_ == w_, __VA_ARGS__)) \
            printf("#          got: %" PRId64 "\n#     expected: %" PRId64 "\n", g_, w_); \
    } while (0)

/* is_str(got, want, name...): NUL-terminated strings; NULL is shown as (null). */
#define is_str(got, want, ...) do { \
        const char *g_ = (got), *w_ = (want); \
        int same_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_; \
        if (!ok(same_, __VA_ARGS__)) \
            printf("#          got: '%s'\n#     expected: '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
    } while (0)

#define diag(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)

/* done_testing(): print the plan; the exit status is the number of failures. */
static inline int done_testing(void)
{
    printf("1..%d\n", tap_count_);
    return tap_failed_ > 255 ? 255 : tap_failed_;
}

#endif
