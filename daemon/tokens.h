/* tokens.h: the access tokens annalsd accepts, gathered once at start-up
 * from the config (as SHA-256 digests) and from the token file (as tokens),
 * kept only as digests, and the check of a presented token against them. */
#ifndef ANNALS_TOKENS_H
#define ANNALS_TOKENS_H

#include <stddef.h>

#include "daemon/config.h"
#include "daemon/sha256.h"

/* What a token lets a connection do. Bits, so that a token listed both ways
 * is read-write (tokens_check ORs what matched). */
enum { TOKENS_NONE = 0, TOKENS_RO = 1, TOKENS_RW = 2 };

#define TOKENS_MAX 64           /* tokens in all: room for rotation */
#define TOKENS_MIN_LEN 16       /* characters; see tokens_valid */
#define TOKENS_MAX_LEN 1024

typedef struct {
    unsigned n;
    unsigned char digest[TOKENS_MAX][SHA256_SIZE];
    int access[TOKENS_MAX];     /* TOKENS_RO or TOKENS_RW */
} tokens_t;

/* tokens_load: the tokens cfg configures: auth_token_rw_sha256,
 * auth_token_ro_sha256 and the lines of auth_token_file. The file must be a
 * regular file owned by annalsd's user and neither readable nor writable by
 * group or others (as ssh demands of a private key); its plain tokens are
 * hashed and the bytes read wiped. Returns 0 (t->n may be 0: no token is
 * configured), or -1 with a message naming the file and line in err. The
 * message never holds a token. */
int tokens_load(tokens_t *t, const config_t *cfg, char *err, size_t errlen);

/* tokens_any: whether any token is configured, i.e. whether connections
 * must authenticate. */
int tokens_any(const tokens_t *t);

/* tokens_check: what the token token[0..len) allows: TOKENS_RW, TOKENS_RO or
 * TOKENS_NONE. Its digest is compared with every configured one in
 * constant time; the time taken depends on the number of tokens configured
 * and on len, not on which token matched or where a digest differed. */
int tokens_check(const tokens_t *t, const void *token, size_t len);

/* tokens_valid: whether token[0..len) is a token annalsd accepts in its
 * token file and hashes with --hash-token: TOKENS_MIN_LEN to TOKENS_MAX_LEN
 * printable ASCII characters without spaces. The minimum length is the
 * defence against guessing: a random token of 16 or more characters cannot
 * be found by trying. Returns 0, or -1 with the reason in err (which does
 * not repeat the token). */
int tokens_valid(const char *token, size_t len, char *err, size_t errlen);

/* tokens_access_name: "none", "ro" or "rw". */
const char *tokens_access_name(int access);

#endif
