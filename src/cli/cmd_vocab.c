/*
 * tokenmeter vocab compile: a .tiktoken rank file or a Hugging Face
 * tokenizer.json -> .tmv.
 */
#include <string.h>

#include "cli/cli.h"

#define VOCAB_USAGE                                                          \
    "usage: tokenmeter vocab compile --base ENCODING [--name NAME] "         \
    "SRC.tiktoken OUT.tmv\n"                                                 \
    "       tokenmeter vocab compile --name NAME tokenizer.json OUT.tmv"

/* A tokenizer.json is named *.json; anything else is a rank file. */
static bool is_json_path(const char *path)
{
    size_t n = strlen(path);
    return n >= 5 && strcmp(path + n - 5, ".json") == 0;
}

int cmd_vocab(int argc, char **argv)
{
    struct cli_args a;
    const char *opt, *base = NULL, *name = NULL;
    struct tm_error err = {0};
    int rc = CLI_OK, r;

    if (argc < 2 || strcmp(argv[1], "compile") != 0) {
        cli_error("vocab", VOCAB_USAGE);
        return CLI_USAGE;
    }
    cli_args_init(&a, "vocab compile", argc - 1, argv + 1);
    while ((opt = cli_args_next(&a)) != NULL) {
        if (strcmp(opt, "--base") == 0) {
            base = cli_args_value(&a);
        } else if (strcmp(opt, "--name") == 0) {
            name = cli_args_value(&a);
        } else {
            cli_error("vocab compile", "unknown option '%s'", opt);
            a.bad = true;
        }
    }
    if (a.bad || a.n_operands != 2 ||
        (is_json_path(a.operands[0]) ? name == NULL || base != NULL : base == NULL)) {
        if (!a.bad)
            cli_error("vocab compile", VOCAB_USAGE);
        cli_args_free(&a);
        return CLI_USAGE;
    }
    if (is_json_path(a.operands[0]))
        r = tm_vocab_compile_hf(a.operands[0], name, a.operands[1], &err);
    else
        r = tm_vocab_compile_tiktoken(a.operands[0], base, name, a.operands[1], &err);
    if (r != 0) {
        cli_error("vocab compile", "%s", err.message);
        rc = err.code == TM_EINVAL ? CLI_USAGE : CLI_RUNTIME;
    }
    cli_args_free(&a);
    return rc;
}
