/*
 * Shared pieces of the tokenmeter command line: exit codes, error
 * reporting, and the option scanner every subcommand uses.
 *
 * Exit status: 0 success, 1 runtime error (a file, a vocabulary, bad data),
 * 2 usage error (unknown option, missing argument, unknown model).
 */
#ifndef TM_CLI_H
#define TM_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "tokenmeter/tokenize.h"

enum { CLI_OK = 0, CLI_RUNTIME = 1, CLI_USAGE = 2 };

/* Print "tokenmeter CMD: message" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Option scanner: walks argv; options may be given as "-e X", "--opt X" or
 * "--opt=X"; "--" ends options; "-" alone is an operand (stdin). */
struct cli_args {
    int argc;
    char **argv;
    int i;
    const char *cmd;
    const char *opt;   /* the option being looked at, e.g. "--model" */
    const char *inline_value;
    char **operands;
    int n_operands;
    bool bad;
};

void cli_args_init(struct cli_args *a, const char *cmd, int argc, char **argv);
/* Next option name (e.g. "-e", "--json"), or NULL at the end; operands are
 * collected into a->operands. */
const char *cli_args_next(struct cli_args *a);
/* The value of the current option; NULL (and an error printed) if absent. */
const char *cli_args_value(struct cli_args *a);
void cli_args_free(struct cli_args *a);

/* Encoding selection shared by count, encode and decode. */
struct cli_encoding_opts {
    const char *encoding;   /* -e */
    const char *model;      /* -m */
    const char *vocab;      /* --vocab FILE */
    const char *base;       /* --base E (for --vocab FILE.tiktoken) */
};

/* Handle an encoding option if `opt` is one; returns 1 if handled, 0 if
 * not an encoding option, -1 on a usage error (already reported). */
int cli_encoding_option(struct cli_args *a, const char *opt,
                        struct cli_encoding_opts *o);
/* Open the selected encoding; NULL (error reported) on failure, with
 * *exit_code set. */
tm_encoding *cli_open_encoding(const char *cmd, const struct cli_encoding_opts *o,
                               int *exit_code);

int cmd_count(int argc, char **argv);
int cmd_encode(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_vocab(int argc, char **argv);

#endif
