/*
 * tokenmeter count | encode | decode.
 *
 * count and encode stream their input through tm_stream in CHUNK-sized
 * reads, so memory stays bounded whatever the input size (see
 * include/tokenmeter/tokenize.h for the exact bound). count --request is in
 * cmd_request.c.
 *
 * With -m MODEL for a model whose tokenizer the registry marks as an
 * approximation, the counts are estimates: count --json says so in each
 * object ("estimate": true); the plain outputs keep their format and a note
 * on stderr says so once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

#define CHUNK (1u << 20)

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int open_input(const char *cmd, const char *name)
{
    int fd;

    if (strcmp(name, "-") == 0)
        return STDIN_FILENO;
    fd = open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        cli_error(cmd, "%s: cannot open: %s", name, strerror(errno));
    return fd;
}

/* Feed a whole input into st; returns 0, or prints an error and returns -1.
 * OUT: *bytes read. */
static int stream_input(const char *cmd, const char *name, int fd, tm_stream *st,
                        char *buf, uint64_t *bytes)
{
    *bytes = 0;
    for (;;) {
        ssize_t got = read(fd, buf, CHUNK);
        int rc;
        if (got < 0) {
            if (errno == EINTR)
                continue;
            cli_error(cmd, "%s: read error: %s", name, strerror(errno));
            return -1;
        }
        if (got == 0)
            return 0;
        *bytes += (uint64_t)got;
        rc = tm_stream_feed(st, buf, (size_t)got);
        if (rc) {
            cli_error(cmd, "%s: %s", name, tm_strerror(rc));
            return -1;
        }
    }
}

/* Write s as a JSON string; each byte that is not part of valid UTF-8
 * becomes U+FFFD, so the output is always valid UTF-8 JSON. */
void cli_json_string(FILE *f, const char *s)
{
    size_t len = strlen(s), i = 0;

    fputc('"', f);
    while (i < len) {
        size_t valid = tm_utf8_valid_prefix(s + i, len - i);
        for (size_t k = i; k < i + valid; k++) {
            unsigned char c = (unsigned char)s[k];
            if (c == '"' || c == '\\')
                fprintf(f, "\\%c", c);
            else if (c < 0x20)
                fprintf(f, "\\u%04x", c);
            else
                fputc(c, f);
        }
        i += valid;
        if (i < len) {
            fputs("\\ufffd", f);
            i++;
        }
    }
    fputc('"', f);
}

int cmd_count(int argc, char **argv)
{
    struct cli_args a;
    struct cli_encoding_opts eo = {0};
    struct cli_selection sel;
    const char *opt, *api = NULL;
    bool json = false, timing = false, request = false;
    unsigned flags = 0;
    int exit_code = CLI_OK, h;
    tm_encoding *enc;
    char *buf;
    char *stdin_only[] = {"-"};
    char **inputs;
    int n_inputs;

    cli_args_init(&a, "count", argc, argv);
    while ((opt = cli_args_next(&a)) != NULL) {
        if ((h = cli_encoding_option(&a, opt, &eo)) != 0)
            continue;
        if (strcmp(opt, "--json") == 0)
            json = true;
        else if (strcmp(opt, "--allow-special") == 0)
            flags |= TM_ENCODE_ALLOW_SPECIAL;
        else if (strcmp(opt, "--time") == 0)
            timing = true;
        else if (strcmp(opt, "--request") == 0)
            request = true;
        else if (strcmp(opt, "--api") == 0) {
            api = cli_args_value(&a);
            if (api == NULL)
                a.bad = true;
        }
        else {
            cli_error("count", "unknown option '%s' (see 'tokenmeter help')", opt);
            a.bad = true;
        }
    }
    if (!a.bad && api && !request) {
        cli_error("count", "--api NAME goes with --request");
        a.bad = true;
    }
    if (!a.bad && request && (flags || timing)) {
        cli_error("count", "--request counts a whole API request body; --allow-special "
                           "and --time do not apply to it");
        a.bad = true;
    }
    if (a.bad) {
        cli_args_free(&a);
        return CLI_USAGE;
    }
    if (request) {
        exit_code = cli_count_requests(&a, &eo, api, json);
        cli_args_free(&a);
        return exit_code;
    }
    enc = cli_open_encoding("count", &eo, &sel, &exit_code);
    if (enc == NULL) {
        cli_args_free(&a);
        return exit_code;
    }
    if (!json)
        cli_estimate_note("count", &sel, enc);
    buf = malloc(CHUNK);
    if (buf == NULL) {
        cli_error("count", "out of memory");
        tm_encoding_free(enc);
        cli_args_free(&a);
        return CLI_RUNTIME;
    }
    inputs = a.n_operands ? a.operands : stdin_only;
    n_inputs = a.n_operands ? a.n_operands : 1;
    for (int i = 0; i < n_inputs; i++) {
        const char *name = inputs[i];
        struct tm_error err = {0};
        uint64_t tokens = 0, bytes = 0;
        double t0 = now_seconds();
        int fd = open_input("count", name);
        tm_stream *st;
        int rc;

        if (fd < 0) {
            exit_code = CLI_RUNTIME;
            continue;
        }
        st = tm_stream_new(enc, flags, NULL, NULL, &err);
        rc = st ? stream_input("count", name, fd, st, buf, &bytes) : -1;
        if (st == NULL)
            cli_error("count", "%s: %s", name, err.message);
        if (rc == 0 && tm_stream_finish(st, &tokens) != 0) {
            cli_error("count", "%s: tokenizing failed", name);
            rc = -1;
        }
        tm_stream_free(st);
        if (fd != STDIN_FILENO)
            close(fd);
        if (rc != 0) {
            exit_code = CLI_RUNTIME;
            continue;
        }
        if (json) {
            fputs("{\"name\": ", stdout);
            cli_json_string(stdout, name);
            printf(", \"tokens\": %llu, \"bytes\": %llu, \"encoding\": ",
                   (unsigned long long)tokens, (unsigned long long)bytes);
            cli_json_string(stdout, tm_encoding_name(enc));
            printf(", \"estimate\": %s}\n", sel.estimate ? "true" : "false");
        } else {
            printf("%llu\t%s\n", (unsigned long long)tokens, name);
        }
        if (timing) {
            double dt = now_seconds() - t0;
            fprintf(stderr, "%s: %s: %llu tokens, %llu bytes, %.1f ms, %.1f MB/s\n",
                    tm_encoding_name(enc), name, (unsigned long long)tokens,
                    (unsigned long long)bytes, dt * 1e3,
                    dt > 0 ? (double)bytes / dt / 1e6 : 0.0);
        }
    }
    if (fflush(stdout) != 0) {
        cli_error("count", "cannot write output: %s", strerror(errno));
        exit_code = CLI_RUNTIME;
    }
    free(buf);
    tm_encoding_free(enc);
    cli_args_free(&a);
    return exit_code;
}

struct id_writer {
    bool first;
    int error;
};

static int write_ids(void *ctx, const tm_token *ids, size_t n)
{
    struct id_writer *w = ctx;

    for (size_t i = 0; i < n; i++) {
        if (printf(w->first ? "%u" : " %u", (unsigned)ids[i]) < 0) {
            w->error = errno ? errno : EIO;
            return TM_EIO;
        }
        w->first = false;
    }
    return 0;
}

int cmd_encode(int argc, char **argv)
{
    struct cli_args a;
    struct cli_encoding_opts eo = {0};
    struct cli_selection sel;
    struct id_writer w = {true, 0};
    struct tm_error err = {0};
    const char *opt, *name;
    unsigned flags = 0;
    int exit_code = CLI_OK, fd, h;
    uint64_t bytes = 0, tokens = 0;
    tm_encoding *enc;
    tm_stream *st = NULL;
    char *buf = NULL;

    cli_args_init(&a, "encode", argc, argv);
    while ((opt = cli_args_next(&a)) != NULL) {
        if ((h = cli_encoding_option(&a, opt, &eo)) != 0)
            continue;
        if (strcmp(opt, "--allow-special") == 0)
            flags |= TM_ENCODE_ALLOW_SPECIAL;
        else {
            cli_error("encode", "unknown option '%s' (see 'tokenmeter help')", opt);
            a.bad = true;
        }
    }
    if (!a.bad && a.n_operands > 1) {
        cli_error("encode", "takes at most one FILE (got %d)", a.n_operands);
        a.bad = true;
    }
    if (a.bad) {
        cli_args_free(&a);
        return CLI_USAGE;
    }
    enc = cli_open_encoding("encode", &eo, &sel, &exit_code);
    if (enc == NULL) {
        cli_args_free(&a);
        return exit_code;
    }
    cli_estimate_note("encode", &sel, enc);
    name = a.n_operands ? a.operands[0] : "-";
    fd = open_input("encode", name);
    buf = malloc(CHUNK);
    if (fd >= 0 && buf)
        st = tm_stream_new(enc, flags, write_ids, &w, &err);
    if (fd < 0 || buf == NULL || st == NULL) {
        if (fd >= 0)
            cli_error("encode", "out of memory");
        exit_code = CLI_RUNTIME;
    } else if (stream_input("encode", name, fd, st, buf, &bytes) != 0 ||
               tm_stream_finish(st, &tokens) != 0) {
        if (w.error)
            cli_error("encode", "cannot write output: %s", strerror(w.error));
        exit_code = CLI_RUNTIME;
    } else if (printf("\n") < 0 || fflush(stdout) != 0) {
        cli_error("encode", "cannot write output: %s", strerror(errno));
        exit_code = CLI_RUNTIME;
    }
    if (fd > STDIN_FILENO)
        close(fd);
    tm_stream_free(st);
    free(buf);
    tm_encoding_free(enc);
    cli_args_free(&a);
    return exit_code;
}

/* Read all of fd into a NUL-terminated buffer. */
static char *slurp(const char *cmd, const char *name, int fd, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);

    while (buf) {
        ssize_t got;
        if (cap - n < 2) {
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL)
                break;
            buf = nb;
            cap *= 2;
        }
        got = read(fd, buf + n, cap - n - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            cli_error(cmd, "%s: read error: %s", name, strerror(errno));
            free(buf);
            return NULL;
        }
        if (got == 0) {
            buf[n] = '\0';
            *len = n;
            return buf;
        }
        n += (size_t)got;
    }
    free(buf);
    cli_error(cmd, "%s: out of memory", name);
    return NULL;
}

int cmd_decode(int argc, char **argv)
{
    struct cli_args a;
    struct cli_encoding_opts eo = {0};
    struct cli_selection sel;
    struct tm_error err = {0};
    const char *opt, *name;
    int exit_code = CLI_OK, fd, h;
    tm_encoding *enc;
    char *text = NULL, *out = NULL;
    tm_token *ids = NULL;
    size_t len = 0, n_ids = 0, cap_ids = 0, n_bytes = 0;

    cli_args_init(&a, "decode", argc, argv);
    while ((opt = cli_args_next(&a)) != NULL) {
        if ((h = cli_encoding_option(&a, opt, &eo)) != 0)
            continue;
        cli_error("decode", "unknown option '%s' (see 'tokenmeter help')", opt);
        a.bad = true;
    }
    if (!a.bad && a.n_operands > 1) {
        cli_error("decode", "takes at most one FILE (got %d)", a.n_operands);
        a.bad = true;
    }
    if (a.bad) {
        cli_args_free(&a);
        return CLI_USAGE;
    }
    enc = cli_open_encoding("decode", &eo, &sel, &exit_code);
    if (enc == NULL) {
        cli_args_free(&a);
        return exit_code;
    }
    cli_estimate_note("decode", &sel, enc);
    name = a.n_operands ? a.operands[0] : "-";
    fd = open_input("decode", name);
    if (fd < 0 || (text = slurp("decode", name, fd, &len)) == NULL) {
        exit_code = CLI_RUNTIME;
        goto out;
    }
    for (char *p = text; *p || (size_t)(p - text) < len;) {
        char *end;
        unsigned long v;
        size_t wlen;
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\v' ||
            *p == '\f') {
            p++;
            continue;
        }
        wlen = strcspn(p, " \t\n\r\v\f");
        errno = 0;
        v = strtoul(p, &end, 10);
        if (*p < '0' || *p > '9' || end != p + wlen || errno || v > UINT32_MAX) {
            cli_error("decode", "%s: '%.*s' (token %zu) is not a token id", name,
                      (int)(wlen > 40 ? 40 : wlen), p, n_ids + 1);
            exit_code = CLI_RUNTIME;
            goto out;
        }
        if (n_ids == cap_ids) {
            size_t ncap = cap_ids ? cap_ids * 2 : 1024;
            tm_token *n = realloc(ids, ncap * sizeof(*n));
            if (n == NULL) {
                cli_error("decode", "out of memory");
                exit_code = CLI_RUNTIME;
                goto out;
            }
            ids = n;
            cap_ids = ncap;
        }
        ids[n_ids++] = (tm_token)v;
        p = end;
    }
    /* First pass sizes the output, second fills it. */
    if (tm_encoding_decode(enc, ids, n_ids, NULL, 0, &n_bytes, &err) == TM_ENOENT) {
        cli_error("decode", "%s: %s", name, err.message);
        exit_code = CLI_RUNTIME;
        goto out;
    }
    out = malloc(n_bytes ? n_bytes : 1);
    if (out == NULL ||
        tm_encoding_decode(enc, ids, n_ids, out, n_bytes, &n_bytes, &err) != 0) {
        cli_error("decode", "out of memory");
        exit_code = CLI_RUNTIME;
        goto out;
    }
    if (fwrite(out, 1, n_bytes, stdout) != n_bytes || fflush(stdout) != 0) {
        cli_error("decode", "cannot write output: %s", strerror(errno));
        exit_code = CLI_RUNTIME;
    }
out:
    if (fd > STDIN_FILENO)
        close(fd);
    free(text);
    free(out);
    free(ids);
    tm_encoding_free(enc);
    cli_args_free(&a);
    return exit_code;
}
