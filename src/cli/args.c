/*
 * The option scanner and the encoding options shared by subcommands.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

void cli_args_init(struct cli_args *a, const char *cmd, int argc, char **argv)
{
    memset(a, 0, sizeof(*a));
    a->argc = argc;
    a->argv = argv;
    a->i = 1;
    a->cmd = cmd;
    a->operands = calloc((size_t)argc + 1, sizeof(char *));
    if (a->operands == NULL) {
        cli_error(cmd, "out of memory");
        a->bad = true;
    }
}

void cli_args_free(struct cli_args *a)
{
    free(a->operands);
    a->operands = NULL;
}

const char *cli_args_next(struct cli_args *a)
{
    static char name[64];

    if (a->bad)
        return NULL;
    while (a->i < a->argc) {
        char *arg = a->argv[a->i++];
        if (strcmp(arg, "--") == 0) {
            while (a->i < a->argc)
                a->operands[a->n_operands++] = a->argv[a->i++];
            return NULL;
        }
        if (arg[0] != '-' || arg[1] == '\0') {
            a->operands[a->n_operands++] = arg;
            continue;
        }
        a->inline_value = NULL;
        if (arg[1] == '-') {
            const char *eq = strchr(arg, '=');
            if (eq) {
                size_t n = (size_t)(eq - arg);
                if (n >= sizeof(name))
                    n = sizeof(name) - 1;
                memcpy(name, arg, n);
                name[n] = '\0';
                a->inline_value = eq + 1;
                a->opt = name;
                return name;
            }
        }
        a->opt = arg;
        return arg;
    }
    return NULL;
}

const char *cli_args_value(struct cli_args *a)
{
    if (a->inline_value)
        return a->inline_value;
    if (a->i >= a->argc) {
        cli_error(a->cmd, "option %s needs a value", a->opt);
        a->bad = true;
        return NULL;
    }
    return a->argv[a->i++];
}

int cli_encoding_option(struct cli_args *a, const char *opt,
                        struct cli_encoding_opts *o)
{
    const char **slot = NULL;

    if (strcmp(opt, "-e") == 0 || strcmp(opt, "--encoding") == 0)
        slot = &o->encoding;
    else if (strcmp(opt, "-m") == 0 || strcmp(opt, "--model") == 0)
        slot = &o->model;
    else if (strcmp(opt, "-t") == 0 || strcmp(opt, "--tokenizer") == 0)
        slot = &o->tokenizer;
    else if (strcmp(opt, "--vocab") == 0)
        slot = &o->vocab;
    else if (strcmp(opt, "--base") == 0)
        slot = &o->base;
    else if (strcmp(opt, "--models") == 0)
        slot = &o->models;
    else
        return 0;
    *slot = cli_args_value(a);
    return *slot ? 1 : -1;
}

bool cli_encoding_opts_valid(const char *cmd, const struct cli_encoding_opts *o)
{
    if (o->encoding && o->model) {
        cli_error(cmd, "give either -e ENCODING or -m MODEL, not both");
        return false;
    }
    if (o->model && o->vocab) {
        cli_error(cmd, "give either -m MODEL or --vocab FILE, not both");
        return false;
    }
    if (o->tokenizer && (o->encoding || o->model || o->vocab || o->base)) {
        cli_error(cmd, "-t FILE opens a tokenizer file on its own: do not combine it "
                       "with -e, -m, --vocab or --base");
        return false;
    }
    if (o->base && !o->vocab) {
        cli_error(cmd, "--base ENCODING goes with --vocab FILE.tiktoken");
        return false;
    }
    if (o->models && !o->model) {
        cli_error(cmd, "--models FILE names the registry that -m MODEL is looked up in; "
                       "give -m MODEL too");
        return false;
    }
    return true;
}

tm_registry *cli_open_registry(const char *cmd, const char *path, int *exit_code)
{
    struct tm_error err = {0};
    tm_registry *reg = tm_registry_open(path, &err);

    if (reg == NULL) {
        cli_error(cmd, "%s", err.message);
        *exit_code = CLI_RUNTIME;
    }
    return reg;
}

static bool builtin_encoding(const char *name)
{
    for (int i = 0; tm_encoding_names[i]; i++)
        if (strcmp(tm_encoding_names[i], name) == 0)
            return true;
    return false;
}

/* "r50k_base, p50k_base, ..." for messages. */
static void encoding_list(char *out, size_t cap)
{
    out[0] = '\0';
    for (int i = 0; tm_encoding_names[i]; i++) {
        if (i > 0)
            strncat(out, ", ", cap - strlen(out) - 1);
        strncat(out, tm_encoding_names[i], cap - strlen(out) - 1);
    }
}

tm_encoding *cli_open_encoding(const char *cmd, const struct cli_encoding_opts *o,
                               struct cli_selection *sel, int *exit_code)
{
    struct tm_error err = {0};
    struct cli_selection dummy;
    char name[64] = "o200k_base";
    tm_encoding *enc;

    if (sel == NULL)
        sel = &dummy;
    memset(sel, 0, sizeof(*sel));
    if (!cli_encoding_opts_valid(cmd, o)) {
        *exit_code = CLI_USAGE;
        return NULL;
    }
    if (o->tokenizer || o->vocab) {
        const char *path = o->tokenizer ? o->tokenizer : o->vocab;
        enc = tm_encoding_open_file(path, o->tokenizer ? NULL : o->base ? o->base : o->encoding,
                                    &err);
        if (enc == NULL) {
            cli_error(cmd, "%s", err.message);
            *exit_code = err.code == TM_EINVAL ? CLI_USAGE : CLI_RUNTIME;
        }
        return enc;
    }
    if (o->model) {
        struct tm_model_resolution res;
        tm_registry *reg = cli_open_registry(cmd, o->models, exit_code);
        if (reg == NULL)
            return NULL;
        if (tm_request_resolve_model(reg, o->model, &res, &err) != TM_OK) {
            cli_error(cmd, "%s, or choose an encoding with -e", err.message);
            tm_registry_free(reg);
            *exit_code = CLI_USAGE;
            return NULL;
        }
        snprintf(name, sizeof(name), "%s", res.tokenizer);
        sel->model = o->model;
        sel->estimate = res.estimate;
        tm_registry_free(reg);
        enc = tm_encoding_open(name, &err);
        if (enc == NULL) {
            cli_error(cmd, "model %s counts with tokenizer %s: %s", o->model, name,
                      err.message);
            *exit_code = CLI_RUNTIME;
        }
        return enc;
    }
    if (o->encoding)
        snprintf(name, sizeof(name), "%s", o->encoding);
    enc = tm_encoding_open(name, &err);
    if (enc == NULL) {
        if (err.code == TM_ENOENT && !builtin_encoding(name) &&
            !tm_registry_tokenizer_known(name)) {
            char known[256];
            encoding_list(known, sizeof(known));
            cli_error(cmd, "unknown encoding '%s' (known: %s; -t FILE or --vocab FILE "
                           "opens a tokenizer file)", o->encoding, known);
            *exit_code = CLI_USAGE;
        } else {
            cli_error(cmd, "%s", err.message);
            *exit_code = CLI_RUNTIME;
        }
    }
    return enc;
}

void cli_estimate_note(const char *cmd, const struct cli_selection *sel,
                       const tm_encoding *enc)
{
    if (sel->model && sel->estimate)
        fprintf(stderr, "tokenmeter %s: note: %s has no public tokenizer; these counts "
                        "use %s and are estimates (see 'tokenmeter models')\n",
                cmd, sel->model, tm_encoding_name(enc));
}

/* Read the whole input `name` ("-": stdin) of at most cap_bytes bytes; NULL
 * (error reported for `cmd`) on failure. */
char *cli_read_input(const char *cmd, const char *name, size_t cap_bytes, size_t *len)
{
    size_t cap = cap_bytes < (1 << 16) ? cap_bytes + 1 : (1 << 16), n = 0;
    char *buf = NULL;
    int fd = strcmp(name, "-") == 0 ? STDIN_FILENO : open(name, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        cli_error(cmd, "%s: cannot open: %s", name, strerror(errno));
        return NULL;
    }
    buf = malloc(cap);
    while (buf != NULL) {
        ssize_t got;
        if (n == cap) {
            char *nb;
            size_t want = cap * 2 > cap_bytes + 1 ? cap_bytes + 1 : cap * 2;
            if (n > cap_bytes) {
                cli_error(cmd, "%s: larger than the %zu-byte limit", name, cap_bytes);
                goto fail;
            }
            nb = realloc(buf, want);
            if (nb == NULL)
                break;
            buf = nb;
            cap = want;
        }
        got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            cli_error(cmd, "%s: read error: %s", name, strerror(errno));
            goto fail;
        }
        if (got == 0) {
            if (fd != STDIN_FILENO)
                close(fd);
            *len = n;
            return buf;
        }
        n += (size_t)got;
    }
    cli_error(cmd, "%s: out of memory", name);
fail:
    free(buf);
    if (fd != STDIN_FILENO)
        close(fd);
    return NULL;
}
