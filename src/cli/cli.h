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

#include "tokenmeter/registry.h"
#include "tokenmeter/request.h"
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
    const char *model;      /* -m, resolved through the model registry */
    const char *vocab;      /* --vocab FILE */
    const char *base;       /* --base E (for --vocab FILE.tiktoken) */
    const char *tokenizer;  /* -t FILE: any tokenizer file */
    const char *models;     /* --models FILE: the model registry to use */
};

/* What cli_open_encoding selected. */
struct cli_selection {
    const char *model;      /* -m MODEL, or NULL */
    bool estimate;          /* the registry marks the model's tokenizer as an
                               approximation */
};

/* Handle an encoding option if `opt` is one; returns 1 if handled, 0 if
 * not an encoding option, -1 on a usage error (already reported). */
int cli_encoding_option(struct cli_args *a, const char *opt,
                        struct cli_encoding_opts *o);
/* Check the combination of encoding options (usage error reported). */
bool cli_encoding_opts_valid(const char *cmd, const struct cli_encoding_opts *o);
/* Open the selected encoding; NULL (error reported) on failure, with
 * *exit_code set. sel (may be NULL) receives what was selected. */
tm_encoding *cli_open_encoding(const char *cmd, const struct cli_encoding_opts *o,
                               struct cli_selection *sel, int *exit_code);
/* Tell stderr once that counts for sel's model are estimates. */
void cli_estimate_note(const char *cmd, const struct cli_selection *sel,
                       const tm_encoding *enc);

/* Open the model registry: `path` (--models), or the default file. NULL
 * (error reported, *exit_code set) on failure. */
tm_registry *cli_open_registry(const char *cmd, const char *path, int *exit_code);

/* Write s as a JSON string (invalid UTF-8 bytes become U+FFFD). */
void cli_json_string(FILE *f, const char *s);

/* count --request: count each operand as an API request body. */
int cli_count_requests(struct cli_args *a, const struct cli_encoding_opts *eo,
                       const char *api, bool json);

/* Read the whole input `name` ("-": stdin) of at most cap_bytes bytes into
 * a malloc'd buffer (*len bytes); NULL (error reported for cmd) on failure. */
char *cli_read_input(const char *cmd, const char *name, size_t cap_bytes, size_t *len);

int cmd_count(int argc, char **argv);
int cmd_encode(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_vocab(int argc, char **argv);
int cmd_models(int argc, char **argv);
int cmd_compare(int argc, char **argv);

#endif
