/* sha256.h: SHA-256 (FIPS 180-4), its hex form, and a constant-time
 * comparison of digests: what the daemon needs to check access tokens
 * without keeping them (auth.c). */
#ifndef ANNALS_SHA256_H
#define ANNALS_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_SIZE 32          /* bytes of a digest */
#define SHA256_HEX_SIZE 65      /* hex digits of a digest, and the NUL */

typedef struct {
    uint32_t h[8];
    uint64_t bytes;             /* message length so far */
    unsigned char block[64];    /* bytes of the current block not yet compressed */
    size_t fill;
} sha256_ctx;

/* sha256_init, sha256_update, sha256_final: hash a message given in any
 * number of pieces. sha256_final writes the digest and wipes ctx, since
 * what it held were the last bytes of a secret. */
void sha256_init(sha256_ctx *ctx);
void sha256_update(sha256_ctx *ctx, const void *data, size_t len);
void sha256_final(sha256_ctx *ctx, unsigned char out[SHA256_SIZE]);

/* sha256: the digest of data[0..len) in one call. */
void sha256(const void *data, size_t len, unsigned char out[SHA256_SIZE]);

/* sha256_to_hex: the digest as 64 lower-case hex digits and a NUL. */
void sha256_to_hex(const unsigned char d[SHA256_SIZE], char out[SHA256_HEX_SIZE]);

/* sha256_from_hex: parse exactly 64 hex digits (either case) followed by the
 * end of the string. Returns 0, or -1 when s is anything else. */
int sha256_from_hex(const char *s, unsigned char out[SHA256_SIZE]);

/* sha256_equal: whether two digests are equal, in a time that does not
 * depend on where they differ (no early exit). Returns 1 or 0. */
int sha256_equal(const unsigned char a[SHA256_SIZE], const unsigned char b[SHA256_SIZE]);

#endif
