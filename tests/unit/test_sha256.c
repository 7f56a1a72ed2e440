/* test_sha256.c: SHA-256 gives the digests of FIPS 180-4's examples (and of
 * the lengths around its padding boundaries), in one piece or fed in any
 * split; hex goes both ways; digests compare equal only when every byte is. */
#include <stdlib.h>
#include <string.h>

#include "daemon/sha256.h"
#include "tap.h"

static const char *hex_of(const void *data, size_t len)
{
    static char hex[SHA256_HEX_SIZE];
    unsigned char d[SHA256_SIZE];
    sha256(data, len, d);
    sha256_to_hex(d, hex);
    return hex;
}

int main(void)
{
    /* The examples of FIPS 180-4 (NIST's "SHA256.pdf" and the SHAVS short
     * and long messages): the empty string, one and two blocks, the
     * 896-bit message and a million 'a'. */
    is_str(hex_of("abc", 3),
           "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "SHA-256(\"abc\")");
    is_str(hex_of("", 0),
           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "SHA-256(\"\")");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    is_str(hex_of(two, strlen(two)),
           "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
           "SHA-256 of the 448-bit message (two blocks after padding)");
    const char *long896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                          "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    is_str(hex_of(long896, strlen(long896)),
           "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
           "SHA-256 of the 896-bit message");
    char *million = malloc(1000000);
    memset(million, 'a', 1000000);
    is_str(hex_of(million, 1000000),
           "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
           "SHA-256 of one million 'a'");
    sha256_ctx ctx;
    unsigned char d[SHA256_SIZE];
    char hex[SHA256_HEX_SIZE];
    sha256_init(&ctx);
    for (int i = 0; i < 1000000; i += 997)
        sha256_update(&ctx, million + i, 1000000 - i < 997 ? 1000000 - i : 997);
    sha256_final(&ctx, d);
    sha256_to_hex(d, hex);
    is_str(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
           "... also fed in pieces of 997 bytes");

    /* Around the padding boundaries: 55 bytes leave room for the length in
     * the block, 56 do not; 64 fill one exactly. (Digests from coreutils
     * sha256sum, an independent implementation.) */
    static const struct { size_t n; const char *hex; } edges[] = {
        { 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
        { 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
        { 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
        { 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
        { 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0" },
        { 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
        { 120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c" },
    };
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        is_str(hex_of(million, edges[i].n), edges[i].hex, "SHA-256 of %zu 'a'", edges[i].n);

    /* Every split of a 130-byte message into two updates gives one digest. */
    unsigned char msg[130], whole[SHA256_SIZE];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (unsigned char)(i * 7 + 3);
    sha256(msg, sizeof msg, whole);
    int splits_ok = 1;
    for (size_t cut = 0; cut <= sizeof msg; cut++) {
        sha256_init(&ctx);
        sha256_update(&ctx, msg, cut);
        sha256_update(&ctx, msg + cut, sizeof msg - cut);
        sha256_final(&ctx, d);
        if (memcmp(d, whole, SHA256_SIZE) != 0) {
            diag("split at %zu differs", cut);
            splits_ok = 0;
        }
    }
    ok(splits_ok, "every split of a 130-byte message into two updates gives the same digest");
    ok(ctx.bytes == 0 && ctx.fill == 0 && ctx.h[0] == 0, "sha256_final wipes the context");

    /* Hex both ways. */
    unsigned char back[SHA256_SIZE];
    sha256_to_hex(whole, hex);
    ok(sha256_from_hex(hex, back) == 0 && memcmp(back, whole, SHA256_SIZE) == 0,
       "a digest survives to_hex and from_hex");
    for (char *p = hex; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    ok(sha256_from_hex(hex, back) == 0 && memcmp(back, whole, SHA256_SIZE) == 0,
       "upper-case hex is read too");
    ok(sha256_from_hex("abc", back) < 0, "3 hex digits are refused");
    char bad[80];
    snprintf(bad, sizeof bad, "%s0", hex);
    ok(sha256_from_hex(bad, back) < 0, "65 hex digits are refused");
    snprintf(bad, sizeof bad, "%s", hex);
    bad[63] = '\0';
    ok(sha256_from_hex(bad, back) < 0, "63 hex digits are refused");
    snprintf(bad, sizeof bad, "%s", hex);
    bad[10] = 'g';
    ok(sha256_from_hex(bad, back) < 0, "a character that is not hex is refused");
    snprintf(bad, sizeof bad, "%s", hex);
    bad[0] = ' ';
    ok(sha256_from_hex(bad, back) < 0, "a space is refused");

    /* Equality: a difference in any byte, any bit, is seen. */
    unsigned char other[SHA256_SIZE];
    ok(sha256_equal(whole, whole), "a digest equals itself");
    memcpy(other, whole, SHA256_SIZE);
    ok(sha256_equal(whole, other), "... and a copy of itself");
    int all_seen = 1;
    for (int i = 0; i < SHA256_SIZE; i++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(other, whole, SHA256_SIZE);
            other[i] ^= (unsigned char)(1 << bit);
            if (sha256_equal(whole, other) || sha256_equal(other, whole))
                all_seen = 0;
        }
    ok(all_seen, "a flipped bit anywhere (first byte, last byte, any bit) makes digests unequal");

    free(million);
    return done_testing();
}
