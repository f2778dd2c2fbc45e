/*
 * tokenmeter vocab compile: .tiktoken rank file -> .tmv.
 */
#include <string.h>

#include "cli/cli.h"

int cmd_vocab(int argc, char **argv)
{
    struct cli_args a;
    const char *opt, *base = NULL, *name = NULL;
    struct tm_error err = {0};
    int rc = CLI_OK;

    if (argc < 2 || strcmp(argv[1], "compile") != 0) {
        cli_error("vocab", "usage: tokenmeter vocab compile --base ENCODING "
                           "[--name NAME] SRC.tiktoken OUT.tmv");
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
    if (a.bad || a.n_operands != 2 || base == NULL) {
        if (!a.bad)
            cli_error("vocab compile", "usage: tokenmeter vocab compile --base "
                                       "ENCODING [--name NAME] SRC.tiktoken OUT.tmv");
        cli_args_free(&a);
        return CLI_USAGE;
    }
    if (tm_vocab_compile_tiktoken(a.operands[0], base, name, a.operands[1], &err) != 0) {
        cli_error("vocab compile", "%s", err.message);
        rc = err.code == TM_EINVAL ? CLI_USAGE : CLI_RUNTIME;
    }
    cli_args_free(&a);
    return rc;
}
