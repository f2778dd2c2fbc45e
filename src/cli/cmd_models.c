/*
 * tokenmeter models [--json] [--models FILE]: list the model registry.
 *
 * Plain output is a table in registry order (the order lookups try the
 * patterns in), one entry per line:
 *   PATTERN  PROVIDER  FAMILY  TOKENIZER  COUNTS  CONTEXT  MAX_OUTPUT
 * COUNTS is "exact" or "estimate"; a limit the source does not give is "-".
 * --json prints a JSON array of the entries, one entry object per line,
 * with every field of the registry file (null for a missing limit).
 */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"

static void limit_text(int64_t v, char *out, size_t cap)
{
    if (v < 0)
        snprintf(out, cap, "-");
    else
        snprintf(out, cap, "%lld", (long long)v);
}

static void print_table(const tm_registry *reg)
{
    size_t n = tm_registry_count(reg);
    int wp = 7, wv = 8, wf = 6, wt = 9;

    for (size_t i = 0; i < n; i++) {
        const struct tm_model_info *e = tm_registry_entry(reg, i);
        if ((int)strlen(e->pattern) > wp)
            wp = (int)strlen(e->pattern);
        if ((int)strlen(e->provider) > wv)
            wv = (int)strlen(e->provider);
        if ((int)strlen(e->family) > wf)
            wf = (int)strlen(e->family);
        if ((int)strlen(e->tokenizer) > wt)
            wt = (int)strlen(e->tokenizer);
    }
    printf("%-*s  %-*s  %-*s  %-*s  %-8s  %10s  %10s\n", wp, "PATTERN", wv, "PROVIDER", wf,
           "FAMILY", wt, "TOKENIZER", "COUNTS", "CONTEXT", "MAX_OUTPUT");
    for (size_t i = 0; i < n; i++) {
        const struct tm_model_info *e = tm_registry_entry(reg, i);
        char ctx[24], out[24];
        limit_text(e->context_window, ctx, sizeof(ctx));
        limit_text(e->max_output_tokens, out, sizeof(out));
        printf("%-*s  %-*s  %-*s  %-*s  %-8s  %10s  %10s\n", wp, e->pattern, wv, e->provider,
               wf, e->family, wt, e->tokenizer, e->estimate ? "estimate" : "exact", ctx, out);
    }
}

static json_t *limit_json(int64_t v)
{
    return v < 0 ? json_null() : json_integer((json_int_t)v);
}

static int print_json(const tm_registry *reg)
{
    size_t n = tm_registry_count(reg);

    fputs("[\n", stdout);
    for (size_t i = 0; i < n; i++) {
        const struct tm_model_info *e = tm_registry_entry(reg, i);
        json_t *obj = json_pack("{s:s, s:s, s:s, s:s, s:b, s:o, s:o, s:s, s:s, s:s}",
                                "pattern", e->pattern, "provider", e->provider, "family",
                                e->family, "tokenizer", e->tokenizer, "estimate",
                                e->estimate, "context_window",
                                limit_json(e->context_window), "max_output_tokens",
                                limit_json(e->max_output_tokens), "source", e->source,
                                "as_of", e->as_of, "notes", e->notes);
        char *text = obj ? json_dumps(obj, JSON_PRESERVE_ORDER) : NULL;
        json_decref(obj);
        if (text == NULL) {
            cli_error("models", "out of memory");
            return -1;
        }
        printf("%s%s\n", text, i + 1 < n ? "," : "");
        free(text);
    }
    fputs("]\n", stdout);
    return 0;
}

int cmd_models(int argc, char **argv)
{
    struct cli_args a;
    const char *opt, *path = NULL;
    bool json = false;
    int exit_code = CLI_OK;
    tm_registry *reg;

    cli_args_init(&a, "models", argc, argv);
    while ((opt = cli_args_next(&a)) != NULL) {
        if (strcmp(opt, "--json") == 0) {
            json = true;
        } else if (strcmp(opt, "--models") == 0) {
            path = cli_args_value(&a);
            if (path == NULL)
                a.bad = true;
        } else {
            cli_error("models", "unknown option '%s' (usage: tokenmeter models [--json] "
                                "[--models FILE])", opt);
            a.bad = true;
        }
    }
    if (!a.bad && a.n_operands > 0) {
        cli_error("models", "takes no operands (got '%s'); usage: tokenmeter models "
                            "[--json] [--models FILE]", a.operands[0]);
        a.bad = true;
    }
    if (a.bad) {
        cli_args_free(&a);
        return CLI_USAGE;
    }
    reg = cli_open_registry("models", path, &exit_code);
    if (reg != NULL) {
        if (json) {
            if (print_json(reg) != 0)
                exit_code = CLI_RUNTIME;
        } else {
            print_table(reg);
        }
        if (fflush(stdout) != 0) {
            cli_error("models", "cannot write output: %s", strerror(errno));
            exit_code = CLI_RUNTIME;
        }
        tm_registry_free(reg);
    }
    cli_args_free(&a);
    return exit_code;
}
