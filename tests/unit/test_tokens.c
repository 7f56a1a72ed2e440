/* test_tokens.c: access tokens load from the config's digests and from a
 * private token file, a presented token is recognised as read-write,
 * read-only or neither, and files that others could read, lines that are not
 * "rw TOKEN" / "ro TOKEN" and short tokens are refused without the token
 * ever appearing in the message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/tokens.h"
#include "tap.h"

#define RW_TOKEN "rw-0123456789abcdef-secret"
#define RO_TOKEN "ro-fedcba9876543210-secret"
#define FILE_TOKEN "file-token-aaaaaaaaaaaaaaaa"

static char path[128];

static void write_tokens(const char *text, mode_t mode)
{
    unlink(path);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

static int check(const tokens_t *t, const char *token)
{
    return tokens_check(t, token, strlen(token));
}

static void hex_of(const char *token, char hex[SHA256_HEX_SIZE])
{
    unsigned char d[SHA256_SIZE];
    sha256(token, strlen(token), d);
    sha256_to_hex(d, hex);
}

int main(void)
{
    config_t cfg;
    tokens_t t;
    char err[512], hex[SHA256_HEX_SIZE];
    snprintf(path, sizeof path, "/tmp/annals-test-tokens-%ld", (long)getpid());

    config_defaults(&cfg);
    ok(tokens_load(&t, &cfg, err, sizeof err) == 0 && !tokens_any(&t),
       "the defaults configure no token");
    is_int(check(&t, RW_TOKEN), TOKENS_NONE, "... and no token is accepted by the check itself");

    /* Digests in the config. */
    hex_of(RW_TOKEN, hex);
    ok(config_set(&cfg, "auth_token_rw_sha256", hex, err, sizeof err) == 0,
       "auth_token_rw_sha256 takes a hex digest");
    hex_of(RO_TOKEN, hex);
    for (char *p = hex; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    ok(config_set(&cfg, "auth_token_ro_sha256", hex, err, sizeof err) == 0,
       "auth_token_ro_sha256 takes one in upper case");
    ok(config_set(&cfg, "auth_token_rw_sha256", RW_TOKEN, err, sizeof err) < 0,
       "a token where a digest belongs is refused");
    ok(!strstr(err, RW_TOKEN) && strstr(err, "--hash-token"),
       "... without repeating it, pointing to --hash-token: %s", err);
    ok(tokens_load(&t, &cfg, err, sizeof err) == 0 && t.n == 2, "two digests load");
    is_int(check(&t, RW_TOKEN), TOKENS_RW, "the read-write token gives rw");
    is_int(check(&t, RO_TOKEN), TOKENS_RO, "the read-only token gives ro");
    is_int(check(&t, "rw-0123456789abcdef-secreT"), TOKENS_NONE, "a token one letter off gives nothing");
    is_int(check(&t, "rw-0123456789abcdef-secret "), TOKENS_NONE, "... and one with a trailing space");
    is_int(check(&t, ""), TOKENS_NONE, "... and the empty token");
    char longer[2000];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    is_int(check(&t, longer), TOKENS_NONE, "... and a token longer than any allowed");

    /* Both ways: rw wins. */
    hex_of(RW_TOKEN, hex);
    config_set(&cfg, "auth_token_ro_sha256", hex, err, sizeof err);
    tokens_load(&t, &cfg, err, sizeof err);
    is_int(check(&t, RW_TOKEN), TOKENS_RW, "a token listed as rw and as ro gives rw");
    config_set(&cfg, "auth_token_rw_sha256", "", err, sizeof err);
    config_set(&cfg, "auth_token_ro_sha256", "", err, sizeof err);
    ok(tokens_load(&t, &cfg, err, sizeof err) == 0 && !tokens_any(&t),
       "an empty value takes a digest away again");

    /* A token file. */
    config_set(&cfg, "auth_token_file", path, err, sizeof err);
    write_tokens("# tokens of annalsd\n\nrw " RW_TOKEN "\n  ro\t" RO_TOKEN "  \r\n"
                 "ro " FILE_TOKEN, 0600);
    ok(tokens_load(&t, &cfg, err, sizeof err) == 0, "a 0600 token file loads: %s", err);
    is_int(t.n, 3, "... with its three tokens (comments, blank lines, CRLF, no final newline)");
    is_int(check(&t, RW_TOKEN), TOKENS_RW, "its rw token gives rw");
    is_int(check(&t, RO_TOKEN), TOKENS_RO, "its ro token (tab, trailing blanks) gives ro");
    is_int(check(&t, FILE_TOKEN), TOKENS_RO, "the last line counts without a newline");
    is_int(check(&t, "# tokens of annalsd"), TOKENS_NONE, "a comment is not a token");
    write_tokens("rw " RW_TOKEN "\n", 0400);
    ok(tokens_load(&t, &cfg, err, sizeof err) == 0 && t.n == 1, "a 0400 token file loads");

    static const mode_t loose[] = { 0640, 0604, 0620, 0602, 0644, 0660, 0666, 0610 };
    for (size_t i = 0; i < sizeof loose / sizeof loose[0]; i++) {
        write_tokens("rw " RW_TOKEN "\n", loose[i]);
        char want[16];
        snprintf(want, sizeof want, "%04o", (unsigned)loose[i]);
        ok(tokens_load(&t, &cfg, err, sizeof err) < 0 && strstr(err, want) && strstr(err, "chmod 600"),
           "a token file of mode %s is refused: %s", want, err);
    }
    write_tokens("rw " RW_TOKEN "\nrx " RO_TOKEN "\n", 0600);
    ok(tokens_load(&t, &cfg, err, sizeof err) < 0 && strstr(err, ":2:") && !strstr(err, RO_TOKEN),
       "a line that is not rw/ro is refused with its number, not its text: %s", err);
    write_tokens("rw" RW_TOKEN "\n", 0600);
    ok(tokens_load(&t, &cfg, err, sizeof err) < 0 && strstr(err, ":1:") && !strstr(err, RW_TOKEN),
       "a token glued to its level is refused: %s", err);
    write_tokens("ro short-token\n", 0600);
    ok(tokens_load(&t, &cfg, err, sizeof err) < 0 && strstr(err, "16") && !strstr(err, "short-token"),
       "a token under 16 characters is refused: %s", err);
    write_tokens("ro " RW_TOKEN " and more\n", 0600);
    ok(tokens_load(&t, &cfg, err, sizeof err) < 0 && !strstr(err, RW_TOKEN),
       "a token with a space inside is refused: %s", err);
    write_tokens("# nothing here\n\n", 0600);
    ok(tokens_load(&t, &cfg, err, sizeof err) < 0 && strstr(err, "no token"),
       "a file with no token is refused: %s", err);
    unlink(path);
    ok(tokens_load(&t, &cfg, err, sizeof err) < 0 && strstr(err, path),
       "a missing token file is refused, naming it: %s", err);
    config_set(&cfg, "auth_token_file", "/tmp", err, sizeof err);
    ok(tokens_load(&t, &cfg, err, sizeof err) < 0 && strstr(err, "regular"),
       "a directory is refused: %s", err);

    /* The file adds to the config's digests. */
    hex_of(RO_TOKEN, hex);
    config_set(&cfg, "auth_token_ro_sha256", hex, err, sizeof err);
    config_set(&cfg, "auth_token_file", path, err, sizeof err);
    write_tokens("rw " FILE_TOKEN "\n", 0600);
    ok(tokens_load(&t, &cfg, err, sizeof err) == 0 && t.n == 2, "digests and a file load together");
    is_int(check(&t, RO_TOKEN), TOKENS_RO, "... the config's token gives ro");
    is_int(check(&t, FILE_TOKEN), TOKENS_RW, "... the file's token gives rw");
    unlink(path);

    /* tokens_valid, the rule for the file and --hash-token. */
    ok(tokens_valid("0123456789abcdef", 16, err, sizeof err) == 0, "16 characters make a token");
    ok(tokens_valid("0123456789abcde", 15, err, sizeof err) < 0, "15 do not");
    ok(tokens_valid("0123456789abcdef\x7f", 17, err, sizeof err) < 0, "DEL is refused");
    ok(tokens_valid("0123456789abcdef\xc3\xa9", 18, err, sizeof err) < 0, "non-ASCII is refused");
    is_str(tokens_access_name(TOKENS_RW), "rw", "access names: rw");
    is_str(tokens_access_name(TOKENS_RO), "ro", "access names: ro");
    is_str(tokens_access_name(TOKENS_NONE), "none", "access names: none");
    return done_testing();
}
