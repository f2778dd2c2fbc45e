/*
 * tokenmeter count --request [-m MODEL] [--api NAME] [--models FILE]
 *                            [--json] FILE...
 *
 * Each FILE (stdin when none, or "-") is one API request body; its prompt
 * tokens are counted by the request module (include/tokenmeter/request.h,
 * docs/REQUESTS.md). Output per body:
 *   plain:  "TOKENS<TAB>NAME", then the breakdown, indented:
 *             "  model M, encoding E, API A: exact|estimate"
 *             "  PATH  WHAT  TOKENS" per part
 *             "  approximation: PATH: REASON" / "  unknown: PATH: REASON"
 *   --json: one object per line, {"name": NAME, "model": M, "encoding": E,
 *           "prompt_tokens": N, "estimate": B, "breakdown": {...}}.
 * A bad body is reported on stderr naming the body and the field (exit 1);
 * the other bodies are still counted. An unknown -m MODEL or --api NAME is
 * a usage error (exit 2).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static void print_plain(const char *name, const tm_request *r)
{
    size_t wpath = 8, wwhat = 8;

    printf("%llu\t%s\n", (unsigned long long)tm_request_prompt_tokens(r), name);
    printf("  model %s, encoding %s, API %s: %s\n", tm_request_model(r),
           tm_request_encoding(r), tm_request_api_name(tm_request_api(r)),
           tm_request_is_estimate(r) ? "estimate" : "exact");
    for (size_t i = 0; i < tm_request_part_count(r); i++) {
        const struct tm_request_part *p = tm_request_part(r, i);
        if (strlen(p->path) > wpath)
            wpath = strlen(p->path);
        if (strlen(p->what) > wwhat)
            wwhat = strlen(p->what);
    }
    for (size_t i = 0; i < tm_request_part_count(r); i++) {
        const struct tm_request_part *p = tm_request_part(r, i);
        printf("  %-*s  %-*s  %8llu\n", (int)wpath, p->path, (int)wwhat, p->what,
               (unsigned long long)p->tokens);
    }
    for (size_t i = 0; i < tm_request_note_count(r); i++) {
        const struct tm_request_note *n = tm_request_note(r, i);
        printf("  %s: %s%s%s\n", n->kind == TM_REQUEST_UNKNOWN ? "unknown (not counted)"
                                                               : "approximation",
               n->path[0] ? n->path : "", n->path[0] ? ": " : "", n->reason);
    }
}

static int print_json(const char *name, const tm_request *r)
{
    char *text = tm_request_to_json(r);

    if (text == NULL) {
        cli_error("count", "%s: out of memory", name);
        return -1;
    }
    /* The library's object, with the input's name put first. */
    fputs("{\"name\": ", stdout);
    cli_json_string(stdout, name);
    printf(", %s\n", text + 1);
    free(text);
    return 0;
}

int cli_count_requests(struct cli_args *a, const struct cli_encoding_opts *eo,
                       const char *api, bool json)
{
    struct tm_request_options opt = {0};
    char *stdin_only[] = {"-"};
    char **inputs = a->n_operands ? a->operands : stdin_only;
    int n_inputs = a->n_operands ? a->n_operands : 1;
    int exit_code = CLI_OK;
    tm_registry *reg;

    if (eo->encoding || eo->vocab || eo->tokenizer || eo->base) {
        cli_error("count", "--request takes the model from -m MODEL or the body's "
                           "\"model\" (the formulas depend on the model), not -e, -t, "
                           "--vocab or --base");
        return CLI_USAGE;
    }
    if (api != NULL) {
        int v = tm_request_api_from_name(api);
        if (v < 0) {
            cli_error("count", "unknown API '%s' for --api (known: auto, chat, responses, "
                               "completions, embeddings, anthropic)", api);
            return CLI_USAGE;
        }
        opt.api = (enum tm_request_api)v;
    }
    reg = cli_open_registry("count", eo->models, &exit_code);
    if (reg == NULL)
        return exit_code;
    if (eo->model) {
        struct tm_model_resolution res;
        struct tm_error err = {0};
        if (tm_request_resolve_model(reg, eo->model, &res, &err) != TM_OK) {
            cli_error("count", "%s", err.message);
            tm_registry_free(reg);
            return CLI_USAGE;
        }
        opt.model = eo->model;
    }
    for (int i = 0; i < n_inputs; i++) {
        const char *name = inputs[i];
        struct tm_error err = {0};
        size_t len = 0;
        char *body = cli_read_input("count", name, TM_REQUEST_MAX_BYTES, &len);
        tm_request *r;

        if (body == NULL) {
            exit_code = CLI_RUNTIME;
            continue;
        }
        r = tm_request_count(body, len, name, reg, &opt, &err);
        free(body);
        if (r == NULL) {
            cli_error("count", "%s", err.message);
            exit_code = CLI_RUNTIME;
            continue;
        }
        if (json) {
            if (print_json(name, r) != 0)
                exit_code = CLI_RUNTIME;
        } else {
            print_plain(name, r);
        }
        tm_request_free(r);
    }
    if (fflush(stdout) != 0) {
        cli_error("count", "cannot write output: %s", strerror(errno));
        exit_code = CLI_RUNTIME;
    }
    tm_registry_free(reg);
    return exit_code;
}
