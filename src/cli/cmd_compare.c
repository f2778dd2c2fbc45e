/*
 * tokenmeter compare [-m MODEL ...] [--provider P] [--request] [--output N]
 *                    [--at DATE] [--prices FILE] [--models FILE] [--json] FILE
 *
 * What the same prompt costs on each model: FILE (a text, or with
 * --request an API request body) is counted with each model's own
 * tokenizer (the model registry says which, and whether that count is only
 * an estimate) and priced with the price book entry in effect at --at
 * (default: now), with --output N assumed output tokens. Without -m every
 * model the book prices at that time (of --provider P, if given) is
 * compared; models the registry cannot tokenize are listed as left out.
 * Rows are sorted by total cost, cheapest first.
 *
 * Output:
 *   plain:  a table MODEL PROVIDER TOKENIZER INPUT_TOKENS INPUT_COST
 *           OUTPUT_COST TOTAL, estimates marked with '~', then the notes;
 *   --json: {"name": FILE, "at": DATE, "currency": C, "output_tokens": N,
 *            "models": [{"model", "provider", "encoding", "estimate",
 *                        "input_tokens", "input_cost", "output_cost",
 *                        "total"}],
 *            "unpriced": [{"model", "reason"}],
 *            "left_out": [{"model", "provider", "reason"}]}
 *           amounts as exact decimal strings.
 * Exit: 0, 1 (a file, the book, a body), 2 (usage, unknown -m MODEL).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "tokenmeter/money.h"
#include "tokenmeter/price.h"

/* Largest input compared (text or request body). */
#define COMPARE_MAX_BYTES (64u << 20)
/* Most -m options. */
#define COMPARE_MAX_MODELS 256

struct row {
    const char *model;
    const char *provider;
    const char *encoding;
    bool estimate;
    uint64_t input_tokens;
    bool priced;
    struct tm_price_rating rating;
    char reason[TM_ERROR_MESSAGE_MAX]; /* why unpriced / left out */
};

/* Open encodings, reused across rows that share a tokenizer. */
struct encodings {
    tm_encoding *open[32];
    size_t n;
};

static const tm_encoding *encoding_get(struct encodings *e, const char *name,
                                       struct tm_error *err)
{
    for (size_t i = 0; i < e->n; i++)
        if (strcmp(tm_encoding_name(e->open[i]), name) == 0)
            return e->open[i];
    tm_encoding *enc = tm_encoding_open(name, err);
    if (enc == NULL)
        return NULL;
    if (e->n == sizeof(e->open) / sizeof(e->open[0])) {
        tm_encoding_free(e->open[0]);
        memmove(e->open, e->open + 1, (e->n - 1) * sizeof(e->open[0]));
        e->n--;
    }
    e->open[e->n++] = enc;
    return enc;
}

static void encodings_free(struct encodings *e)
{
    for (size_t i = 0; i < e->n; i++)
        tm_encoding_free(e->open[i]);
}

struct compare_opts {
    const char *models[COMPARE_MAX_MODELS];
    size_t n_models;
    const char *provider;
    bool request;
    int64_t output_tokens;
    int64_t at;
    bool at_given;
    const char *prices;
    const char *registry;
    bool json;
};

/* Count `input` for row r's model: the prompt of a request body, or the
 * text. Returns 0, or an error code with err filled. */
static int count_row(struct row *r, const struct compare_opts *o, const tm_registry *reg,
                     struct encodings *encs, const char *name, const char *input,
                     size_t len, struct tm_error *err)
{
    struct tm_model_resolution res;
    int rc = tm_request_resolve_model(reg, r->model, &res, err);
    if (rc != TM_OK)
        return rc;
    const tm_encoding *enc = encoding_get(encs, res.tokenizer, err);
    if (enc == NULL)
        return err->code ? err->code : TM_ENOENT;
    r->encoding = tm_encoding_name(enc);
    r->estimate = res.estimate;
    if (!o->request)
        return tm_encoding_count(enc, input, len, 0, &r->input_tokens);

    struct tm_request_options ropt = {.model = r->model, .encoding = enc};
    tm_request *req = tm_request_count(input, len, name, reg, &ropt, err);
    if (req == NULL)
        return err->code ? err->code : TM_EINVAL;
    r->input_tokens = tm_request_prompt_tokens(req);
    r->estimate = tm_request_is_estimate(req);
    tm_request_free(req);
    return TM_OK;
}

/* Price row r: input tokens and the assumed output at o->at. */
static void price_row(struct row *r, const struct compare_opts *o, const tm_price_book *book)
{
    struct tm_price_usage usage = {.at = o->at};
    struct tm_error err = {0};
    usage.tokens[TM_CLASS_INPUT] = (int64_t)r->input_tokens;
    usage.tokens[TM_CLASS_OUTPUT] = o->output_tokens;
    if (tm_price_rate(book, r->provider, r->model, &usage, NULL, &r->rating, &err) != TM_OK) {
        snprintf(r->reason, sizeof(r->reason), "%s", err.message);
        return;
    }
    r->priced = true;
    if (r->provider == NULL)
        r->provider = r->rating.entry->provider;
}

/* The line of class cls in a rating, or 0. */
static tm_money line_cost(const struct tm_price_rating *rt, enum tm_token_class cls)
{
    for (size_t i = 0; i < rt->n_lines; i++)
        if (rt->lines[i].cls == cls)
            return rt->lines[i].cost;
    return 0;
}

static int row_order(const void *pa, const void *pb)
{
    const struct row *a = pa, *b = pb;
    if (a->priced != b->priced)
        return a->priced ? -1 : 1;
    if (a->priced && a->rating.total_cost != b->rating.total_cost)
        return a->rating.total_cost < b->rating.total_cost ? -1 : 1;
    int c = strcmp(a->model, b->model);
    if (c != 0)
        return c;
    return strcmp(a->provider ? a->provider : "", b->provider ? b->provider : "");
}

static void print_money_json(const char *key, tm_money m)
{
    char buf[TM_MONEY_TEXT_MAX];
    tm_money_format(m, 0, buf);
    printf(", \"%s\": \"%s\"", key, buf);
}

static void print_json(const char *name, const struct compare_opts *o, const char *at_text,
                       const char *currency, const struct row *rows, size_t n_rows,
                       const struct row *left_out, size_t n_left)
{
    fputs("{\"name\": ", stdout);
    cli_json_string(stdout, name);
    printf(", \"at\": \"%s\", \"currency\": ", at_text);
    cli_json_string(stdout, currency);
    printf(", \"output_tokens\": %" PRId64 ", \"models\": [", o->output_tokens);
    bool first = true;
    for (size_t i = 0; i < n_rows; i++) {
        const struct row *r = &rows[i];
        if (!r->priced)
            continue;
        fputs(first ? "\n  {\"model\": " : ",\n  {\"model\": ", stdout);
        first = false;
        cli_json_string(stdout, r->model);
        fputs(", \"provider\": ", stdout);
        cli_json_string(stdout, r->provider);
        fputs(", \"encoding\": ", stdout);
        cli_json_string(stdout, r->encoding);
        printf(", \"estimate\": %s, \"input_tokens\": %" PRIu64, r->estimate ? "true" : "false",
               r->input_tokens);
        print_money_json("input_cost", line_cost(&r->rating, TM_CLASS_INPUT));
        print_money_json("output_cost", line_cost(&r->rating, TM_CLASS_OUTPUT));
        print_money_json("total", r->rating.total_cost);
        fputs("}", stdout);
    }
    fputs(first ? "], \"unpriced\": [" : "\n], \"unpriced\": [", stdout);
    first = true;
    for (size_t i = 0; i < n_rows; i++) {
        const struct row *r = &rows[i];
        if (r->priced)
            continue;
        fputs(first ? "\n  {\"model\": " : ",\n  {\"model\": ", stdout);
        first = false;
        cli_json_string(stdout, r->model);
        printf(", \"encoding\": ");
        cli_json_string(stdout, r->encoding);
        printf(", \"estimate\": %s, \"input_tokens\": %" PRIu64 ", \"reason\": ",
               r->estimate ? "true" : "false", r->input_tokens);
        cli_json_string(stdout, r->reason);
        fputs("}", stdout);
    }
    fputs(first ? "], \"left_out\": [" : "\n], \"left_out\": [", stdout);
    for (size_t i = 0; i < n_left; i++) {
        fputs(i ? ",\n  {\"model\": " : "\n  {\"model\": ", stdout);
        cli_json_string(stdout, left_out[i].model);
        fputs(", \"provider\": ", stdout);
        cli_json_string(stdout, left_out[i].provider);
        fputs(", \"reason\": ", stdout);
        cli_json_string(stdout, left_out[i].reason);
        fputs("}", stdout);
    }
    fputs(n_left ? "\n]}\n" : "]}\n", stdout);
}

static void print_table(const char *name, const struct compare_opts *o, const char *at_text,
                        const char *currency, const struct row *rows, size_t n_rows,
                        size_t n_left)
{
    int wm = 5, wp = 8, we = 9;
    bool any_estimate = false;
    for (size_t i = 0; i < n_rows; i++) {
        if ((int)strlen(rows[i].model) > wm)
            wm = (int)strlen(rows[i].model);
        if (rows[i].provider && (int)strlen(rows[i].provider) > wp)
            wp = (int)strlen(rows[i].provider);
        if ((int)strlen(rows[i].encoding) > we)
            we = (int)strlen(rows[i].encoding);
    }
    printf("%s at %s, %s, %" PRId64 " output tokens assumed\n", name, at_text, currency,
           o->output_tokens);
    printf("%-*s  %-*s  %-*s  %13s  %16s  %16s  %16s\n", wm, "MODEL", wp, "PROVIDER", we,
           "TOKENIZER", "INPUT_TOKENS", "INPUT_COST", "OUTPUT_COST", "TOTAL");
    for (size_t i = 0; i < n_rows; i++) {
        const struct row *r = &rows[i];
        char tokens[32];
        snprintf(tokens, sizeof(tokens), "%s%" PRIu64, r->estimate ? "~" : "", r->input_tokens);
        any_estimate |= r->estimate;
        if (!r->priced) {
            printf("%-*s  %-*s  %-*s  %13s  (no price: %s)\n", wm, r->model, wp, "-", we,
                   r->encoding, tokens, r->reason);
            continue;
        }
        char in[TM_MONEY_TEXT_MAX], out[TM_MONEY_TEXT_MAX], total[TM_MONEY_TEXT_MAX];
        tm_money_format(line_cost(&r->rating, TM_CLASS_INPUT), 2, in);
        tm_money_format(line_cost(&r->rating, TM_CLASS_OUTPUT), 2, out);
        tm_money_format(r->rating.total_cost, 2, total);
        printf("%-*s  %-*s  %-*s  %13s  %16s  %16s  %16s\n", wm, r->model, wp, r->provider,
               we, r->encoding, tokens, in, out, total);
    }
    if (any_estimate)
        printf("~ the model's tokenizer is not public: the count is an estimate\n");
    if (n_left)
        printf("%zu priced model(s) left out: the model registry has no tokenizer for them "
               "(--json lists them)\n", n_left);
}

static int usage_error(const char *fmt, const char *arg)
{
    cli_error("compare", fmt, arg);
    fprintf(stderr, "usage: tokenmeter compare [-m MODEL ...] [--provider P] [--request] "
                    "[--output N] [--at DATE] [--prices FILE] [--models FILE] [--json] FILE\n");
    return CLI_USAGE;
}

/* Parse the options into o; returns CLI_OK or CLI_USAGE (reported). */
static int parse_options(struct cli_args *a, struct compare_opts *o)
{
    const char *opt, *v;
    while ((opt = cli_args_next(a)) != NULL) {
        if (strcmp(opt, "--json") == 0) {
            o->json = true;
        } else if (strcmp(opt, "--request") == 0) {
            o->request = true;
        } else if (strcmp(opt, "-m") == 0 || strcmp(opt, "--model") == 0) {
            if ((v = cli_args_value(a)) == NULL)
                return CLI_USAGE;
            if (o->n_models == COMPARE_MAX_MODELS)
                return usage_error("more than 256 -m options (at '%s')", v);
            o->models[o->n_models++] = v;
        } else if (strcmp(opt, "--provider") == 0) {
            if ((o->provider = cli_args_value(a)) == NULL)
                return CLI_USAGE;
        } else if (strcmp(opt, "--prices") == 0) {
            if ((o->prices = cli_args_value(a)) == NULL)
                return CLI_USAGE;
        } else if (strcmp(opt, "--models") == 0) {
            if ((o->registry = cli_args_value(a)) == NULL)
                return CLI_USAGE;
        } else if (strcmp(opt, "--output") == 0) {
            char *end;
            if ((v = cli_args_value(a)) == NULL)
                return CLI_USAGE;
            errno = 0;
            long long n = strtoll(v, &end, 10);
            if (*v < '0' || *v > '9' || *end || errno || n > TM_PRICE_MAX_TOKENS)
                return usage_error("--output: '%s' is not a token count (a whole number "
                                   "from 0 to 10^15)", v);
            o->output_tokens = n;
        } else if (strcmp(opt, "--at") == 0) {
            struct tm_error err = {0};
            if ((v = cli_args_value(a)) == NULL)
                return CLI_USAGE;
            if (tm_price_parse_time(v, "--at", &o->at, &err) != TM_OK)
                return usage_error("%s", err.message);
            o->at_given = true;
        } else {
            return usage_error("unknown option '%s'", opt);
        }
    }
    if (a->bad)
        return CLI_USAGE;
    if (a->n_operands != 1)
        return usage_error("takes exactly one FILE (or - for stdin)%s", "");
    return CLI_OK;
}

int cmd_compare(int argc, char **argv)
{
    struct cli_args a;
    struct compare_opts o = {0};
    struct encodings encs = {0};
    tm_registry *reg = NULL;
    tm_price_book *book = NULL;
    struct row *rows = NULL, *left = NULL;
    size_t n_rows = 0, n_left = 0;
    char *input = NULL;
    size_t len = 0;
    int exit_code;
    struct tm_error err = {0};

    cli_args_init(&a, "compare", argc, argv);
    exit_code = parse_options(&a, &o);
    if (exit_code != CLI_OK)
        goto out;
    if (!o.at_given)
        o.at = (int64_t)time(NULL);
    const char *name = a.operands[0];

    reg = cli_open_registry("compare", o.registry, &exit_code);
    if (reg == NULL)
        goto out;
    book = tm_price_book_open(o.prices, &err);
    if (book == NULL) {
        cli_error("compare", "%s", err.message);
        exit_code = CLI_RUNTIME;
        goto out;
    }
    size_t cap = o.n_models ? o.n_models : tm_price_book_count(book);
    rows = calloc(cap ? cap : 1, sizeof(*rows));
    left = calloc(cap ? cap : 1, sizeof(*left));
    if (rows == NULL || left == NULL) {
        cli_error("compare", "out of memory");
        exit_code = CLI_RUNTIME;
        goto out;
    }

    /* The models: the -m list, each checked against the registry first (an
     * unknown name is a usage error, as for count -m), or the book's
     * entries in effect at --at. */
    if (o.n_models) {
        for (size_t i = 0; i < o.n_models; i++) {
            struct tm_model_resolution res;
            if (tm_request_resolve_model(reg, o.models[i], &res, &err) != TM_OK) {
                cli_error("compare", "%s", err.message);
                exit_code = CLI_USAGE;
                goto out;
            }
            rows[n_rows].model = o.models[i];
            rows[n_rows++].provider = o.provider;
        }
    } else {
        for (size_t i = 0; i < tm_price_book_count(book); i++) {
            const struct tm_price_entry *e = tm_price_book_entry(book, i);
            if (!tm_price_book_in_effect(book, e, o.at))
                continue;
            if (o.provider && strcmp(o.provider, e->provider) != 0)
                continue;
            struct tm_model_resolution res;
            if (tm_request_resolve_model(reg, e->model, &res, &err) != TM_OK) {
                left[n_left].model = e->model;
                left[n_left].provider = e->provider;
                snprintf(left[n_left++].reason, sizeof(left->reason),
                         "no tokenizer in the model registry");
                continue;
            }
            rows[n_rows].model = e->model;
            rows[n_rows++].provider = e->provider;
        }
        if (n_rows == 0) {
            cli_error("compare", "%s: no model %s%s is priced at that time and known to the "
                                 "model registry", tm_price_book_name(book),
                      o.provider ? "of provider " : "", o.provider ? o.provider : "");
            exit_code = CLI_RUNTIME;
            goto out;
        }
    }

    input = cli_read_input("compare", name, COMPARE_MAX_BYTES, &len);
    if (input == NULL) {
        exit_code = CLI_RUNTIME;
        goto out;
    }
    for (size_t i = 0; i < n_rows; i++) {
        memset(&err, 0, sizeof(err));
        if (count_row(&rows[i], &o, reg, &encs, name, input, len, &err) != TM_OK) {
            cli_error("compare", "%s: %s", rows[i].model, err.message);
            exit_code = CLI_RUNTIME;
            goto out;
        }
        price_row(&rows[i], &o, book);
    }
    qsort(rows, n_rows, sizeof(*rows), row_order);

    char at_text[32];
    tm_price_format_time(o.at, false, at_text, sizeof(at_text));
    if (o.json)
        print_json(name, &o, at_text, tm_price_book_currency(book), rows, n_rows, left, n_left);
    else
        print_table(name, &o, at_text, tm_price_book_currency(book), rows, n_rows, n_left);
    exit_code = CLI_OK;
    if (fflush(stdout) != 0) {
        cli_error("compare", "cannot write output: %s", strerror(errno));
        exit_code = CLI_RUNTIME;
    }
out:
    free(input);
    free(rows);
    free(left);
    encodings_free(&encs);
    tm_price_book_free(book);
    tm_registry_free(reg);
    cli_args_free(&a);
    return exit_code;
}
