/*
 * The option scanner and the encoding options shared by subcommands.
 */
#include <stdlib.h>
#include <string.h>

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
    else if (strcmp(opt, "--vocab") == 0)
        slot = &o->vocab;
    else if (strcmp(opt, "--base") == 0)
        slot = &o->base;
    else
        return 0;
    *slot = cli_args_value(a);
    return *slot ? 1 : -1;
}

tm_encoding *cli_open_encoding(const char *cmd, const struct cli_encoding_opts *o,
                               int *exit_code)
{
    struct tm_error err = {0};
    const char *name = o->encoding;
    tm_encoding *enc;

    if (o->encoding && o->model) {
        cli_error(cmd, "give either -e ENCODING or -m MODEL, not both");
        *exit_code = CLI_USAGE;
        return NULL;
    }
    if (o->vocab) {
        enc = tm_encoding_open_file(o->vocab, o->base ? o->base : o->encoding, &err);
        if (enc == NULL) {
            cli_error(cmd, "%s", err.message);
            *exit_code = err.code == TM_EINVAL ? CLI_USAGE : CLI_RUNTIME;
        }
        return enc;
    }
    if (o->model) {
        name = tm_model_encoding(o->model);
        if (name == NULL) {
            cli_error(cmd,
                      "unknown model '%s': choose an encoding with -e "
                      "(r50k_base, p50k_base, p50k_edit, cl100k_base, "
                      "o200k_base, o200k_harmony)", o->model);
            *exit_code = CLI_USAGE;
            return NULL;
        }
    }
    if (name == NULL)
        name = "o200k_base";
    {
        bool known = false;
        for (int i = 0; tm_encoding_names[i]; i++)
            known = known || strcmp(tm_encoding_names[i], name) == 0;
        if (!known) {
            cli_error(cmd,
                      "unknown encoding '%s' (known: r50k_base, p50k_base, "
                      "p50k_edit, cl100k_base, o200k_base, o200k_harmony; "
                      "--vocab FILE opens a vocabulary file)", name);
            *exit_code = CLI_USAGE;
            return NULL;
        }
    }
    enc = tm_encoding_open(name, &err);
    if (enc == NULL) {
        cli_error(cmd, "%s", err.message);
        *exit_code = CLI_RUNTIME;
    }
    return enc;
}
