/* main.c: annalsd's entry point: arguments, configuration, the store, the
 * event loop, and an orderly exit. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <uv.h>

#include "daemon/config.h"
#include "daemon/log.h"
#include "daemon/server.h"
#include "daemon/store.h"
#include "daemon/tokens.h"
#include "proto/version.h"

static void main_usage(FILE *f)
{
    fprintf(f,
        "Usage: annalsd [OPTIONS]\n"
        "\n"
        "annalsd keeps dated events in LMDB and serves them over msgpack-RPC\n"
        "(TCP and a Unix socket). See proto/PROTOCOL.md for the protocol.\n"
        "\n"
        "Options (flags override the config file):\n"
        "  --config FILE        read settings from FILE (key = value lines)\n"
        "  --listen ADDR:PORT   TCP address (default 127.0.0.1:7411; 'off' to disable;\n"
        "                       port 0 picks a free port, logged at start)\n"
        "  --socket PATH        Unix socket (default var/annalsd.sock; 'off' to disable)\n"
        "  --data DIR           data directory (default var/data)\n"
        "  --log-level LEVEL    debug, info, warn or error (default info)\n"
        "  --KEY VALUE          any other config key, with - for _, e.g.\n"
        "                       --map-size 16GiB, --max-message-size 1MiB,\n"
        "                       --auth-token-file FILE\n"
        "  --hash-token         read a token from stdin and print its SHA-256, the\n"
        "                       value of auth_token_rw_sha256 / auth_token_ro_sha256\n"
        "  --version            print the version and exit\n"
        "  --help               print this help and exit\n"
        "\n"
        "Access: with no token configured, annalsd listens only on loopback\n"
        "addresses and anyone who can connect may read and write; with tokens,\n"
        "clients call auth first (see PROTOCOL.md and config/annalsd.conf).\n"
        "\n"
        "Signals: SIGINT and SIGTERM stop accepting, answer what is in flight,\n"
        "and close the database cleanly. SIGHUP is logged and ignored: the\n"
        "configuration and tokens are read only at start.\n"
        "Exit status: 0 after a clean shutdown, 1 on a start-up error, 2 on a usage error.\n");
}

/* --hash-token: read one token from stdin (its first line; without echo on
 * a terminal) and print the hex SHA-256 that auth_token_rw_sha256 and
 * auth_token_ro_sha256 take. The token is checked as the token file's are,
 * so that a digest of a guessable token is never made. Exit status 0, or 1
 * when no acceptable token was read. */
static int main_hash_token(void)
{
    char line[TOKENS_MAX_LEN + 3], why[256];
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        fputs("token (not echoed): ", stderr);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    size_t len = 0;
    int c;
    while ((c = getchar()) != EOF && c != '\n')
        if (len < sizeof line - 1)
            line[len++] = (char)c;
        else
            len = sizeof line;   /* too long: refused below */
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (len > 0 && len < sizeof line && line[len - 1] == '\r')
        len--;
    int rc = 1;
    if (len >= sizeof line - 1)
        fprintf(stderr, "annalsd: --hash-token: the token is longer than %d characters\n",
                TOKENS_MAX_LEN);
    else if (tokens_valid(line, len, why, sizeof why) < 0)
        fprintf(stderr, "annalsd: --hash-token: %s\n", why);
    else
        rc = 0;
    if (rc == 0) {
        unsigned char d[SHA256_SIZE];
        char hex[SHA256_HEX_SIZE];
        sha256(line, len, d);
        sha256_to_hex(d, hex);
        printf("%s\n", hex);
    }
    explicit_bzero(line, sizeof line);
    return rc;
}

/* Turn "--max-message-size" into "max_message_size". */
static void main_flag_key(const char *flag, char *key, size_t len)
{
    snprintf(key, len, "%s", flag + 2);
    for (char *p = key; *p; p++)
        if (*p == '-')
            *p = '_';
}

int main(int argc, char **argv)
{
    config_t cfg;
    char err[1024];
    const char *config_path = NULL;

    config_defaults(&cfg);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            main_usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("annalsd %s (protocol %d)\n", ANNALS_VERSION, ANNALS_PROTOCOL);
            return 0;
        }
        if (strcmp(argv[i], "--hash-token") == 0)
            return main_hash_token();
        if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "annalsd: --config needs a file\n");
                return 2;
            }
            config_path = argv[++i];
        }
    }
    if (config_path && config_load(&cfg, config_path, err, sizeof err) < 0) {
        fprintf(stderr, "annalsd: %s\n", err);
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        char key[128];
        const char *value;
        if (strcmp(argv[i], "--config") == 0) {
            i++;
            continue;
        }
        if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0') {
            fprintf(stderr, "annalsd: unexpected argument '%s' (see --help)\n", argv[i]);
            return 2;
        }
        const char *eq = strchr(argv[i], '=');
        if (eq) {
            snprintf(key, sizeof key, "--%.*s", (int)(eq - argv[i] - 2), argv[i] + 2);
            main_flag_key(key, key, sizeof key);
            value = eq + 1;
        } else {
            main_flag_key(argv[i], key, sizeof key);
            if (i + 1 >= argc) {
                fprintf(stderr, "annalsd: %s needs a value (see --help)\n", argv[i]);
                return 2;
            }
            value = argv[++i];
        }
        if (config_set(&cfg, key, value, err, sizeof err) < 0) {
            if (strncmp(err, "unknown key", 11) == 0)
                fprintf(stderr, "annalsd: unknown option '%s' (see --help)\n", argv[i - (eq ? 0 : 1)]);
            else
                fprintf(stderr, "annalsd: %s\n", err);
            return 2;
        }
    }
    log_set_level(cfg.log_level);
    signal(SIGPIPE, SIG_IGN);

    /* Tokens and exposure before the store: a bad token file, or a
     * listener open to other hosts with nothing to guard it, stops us
     * before anything is opened or listened on. */
    static tokens_t tokens;
    if (tokens_load(&tokens, &cfg, err, sizeof err) < 0 ||
        server_check_exposure(&cfg, tokens_any(&tokens), err, sizeof err) < 0) {
        fprintf(stderr, "annalsd: %s\n", err);
        return 1;
    }

    log_info("annalsd %s starting (pid %ld)", ANNALS_VERSION, (long)getpid());
    store_t *store;
    if (store_open(&store, cfg.data, cfg.map_size, err, sizeof err) < 0) {
        log_error("%s", err);
        return 1;
    }
    log_info("database %s open (format %d, seq %llu)", cfg.data, STORE_FORMAT,
             (unsigned long long)store_seq(store));

    uv_loop_t loop;
    uv_loop_init(&loop);
    server_t srv;
    int rc = 0;
    if (server_start(&srv, &loop, &cfg, &tokens, store) < 0) {
        rc = 1;
        server_stop(&srv);
    } else {
        if (tokens_any(&tokens))
            log_info("clients must authenticate: %u token(s) configured", tokens.n);
        log_info("ready");
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0)
        log_warn("event loop closed with handles still open");
    store_close(store);
    log_info("stopped");
    return rc;
}
