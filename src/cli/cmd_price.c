/*
 * tokenmeter price / prices / prices import (src/cli/cmd_price.h).
 *
 *   tokenmeter price -m MODEL [--provider P] --input N [--output N]
 *       [--cached N] [--cache-write N] [--cache-write-1h N] [--reasoning N]
 *       [--input-audio N] [--output-audio N] [--input-image N]
 *       [--output-image N] [--batch] [--at TIME] [--prices FILE]
 *       [--overrides FILE] [--json]
 *     Rates one request. Plain output is a table of line items and the
 *     total; --json prints one object:
 *       {"model", "provider", "currency", "at", "effective", "batch",
 *        "tier_above_input_tokens", "lines": [{"class", "tokens",
 *        "unit_price_per_mtok", "amount"}], "per_request", "total"}
 *     amounts as exact decimal strings; with --overrides every line also
 *     has "tenant_unit_price_per_mtok" and "tenant_amount", and the object
 *     "tenant_per_request", "tenant_total" and "margin".
 *
 *   tokenmeter prices [--provider P] [--at TIME] [--prices FILE] [--json]
 *     The entries in effect at TIME (default now), in book order; --json
 *     prints a JSON array, one entry per line.
 *
 *   tokenmeter prices import FILE [-o OUT] [--date YYYY-MM-DD]
 *       [--source TEXT]
 *     Converts LiteLLM's model_prices_and_context_window.json into a book
 *     (stdout, or OUT written whole through a temporary file and a rename).
 *     Skipped entries and a summary go to stderr.
 *
 * Exit status: 0 success; 1 a bad or missing price book, overrides or
 * import file, a request the book cannot price (no rate for a class, no
 * price yet at TIME); 2 a usage error, an unknown or ambiguous model.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/cmd_price.h"
#include "tokenmeter/price.h"

#define PRICE_USAGE "usage: tokenmeter price -m MODEL [--provider P] --input N [--output N] " \
                    "[--cached N] [--cache-write N] [--cache-write-1h N] [--reasoning N] "   \
                    "[--batch] [--at TIME] [--prices FILE] [--overrides FILE] [--json]"
#define PRICES_USAGE "usage: tokenmeter prices [--provider P] [--at TIME] [--prices FILE] " \
                     "[--json] | tokenmeter prices import FILE [-o OUT] [--date YYYY-MM-DD]"

/* Token options of `price` and the class each sets. */
static const struct {
    const char *opt;
    enum tm_token_class cls;
} token_opts[] = {
    {"--input", TM_CLASS_INPUT},
    {"--output", TM_CLASS_OUTPUT},
    {"--cached", TM_CLASS_CACHED_INPUT},
    {"--cache-write", TM_CLASS_CACHE_WRITE_5M},
    {"--cache-write-1h", TM_CLASS_CACHE_WRITE_1H},
    {"--reasoning", TM_CLASS_REASONING},
    {"--input-audio", TM_CLASS_INPUT_AUDIO},
    {"--output-audio", TM_CLASS_OUTPUT_AUDIO},
    {"--input-image", TM_CLASS_INPUT_IMAGE},
    {"--output-image", TM_CLASS_OUTPUT_IMAGE},
};
#define N_TOKEN_OPTS (sizeof(token_opts) / sizeof(token_opts[0]))

/* A token count: decimal digits only, 0..TM_PRICE_MAX_TOKENS. */
static bool parse_tokens(const char *s, int64_t *out)
{
    int64_t v = 0;

    if (*s == '\0' || strlen(s) > 16)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (*s - '0');
    }
    if (v > TM_PRICE_MAX_TOKENS)
        return false;
    *out = v;
    return true;
}

/* --at TIME, or now. false (usage error reported) on a bad time. */
static bool parse_at(const char *cmd, const char *text, int64_t *at)
{
    struct tm_error err = {0};

    if (text == NULL) {
        *at = (int64_t)time(NULL);
        return true;
    }
    if (tm_price_parse_time(text, "--at", at, &err) != TM_OK) {
        cli_error(cmd, "%s", err.message);
        return false;
    }
    return true;
}

/* Open --prices FILE or the default book; NULL (error reported) on
 * failure. */
static tm_price_book *open_book(const char *cmd, const char *path)
{
    struct tm_error err = {0};
    tm_price_book *book = tm_price_book_open(path, &err);

    if (book == NULL)
        cli_error(cmd, "%s", err.message);
    return book;
}

/* An amount as exact decimal text in buf (TM_MONEY_TEXT_MAX bytes). */
static const char *money_text(tm_money a, int min_frac, char *buf)
{
    tm_money_format(a, min_frac, buf);
    return buf;
}

/* A per-token rate as exact decimal text per million tokens. */
static const char *mtok_text(tm_money per_token, int min_frac, char *buf)
{
    tm_money_format_per_mtok(per_token, min_frac, buf);
    return buf;
}

/* ---- price ---- */

/* The rating as one JSON object on one line. */
static int print_rating_json(const tm_price_book *book, const struct tm_price_rating *r,
                             int64_t at, bool tenant)
{
    json_t *obj = json_object(), *lines = json_array();
    char when[40], buf[TM_MONEY_TEXT_MAX], *text = NULL;
    int rc = -1;

    if (obj == NULL || lines == NULL)
        goto out;
    tm_price_format_time(at, false, when, sizeof(when));
    if (json_object_set_new(obj, "model", json_string(r->entry->model)) ||
        json_object_set_new(obj, "provider", json_string(r->entry->provider)) ||
        json_object_set_new(obj, "currency", json_string(tm_price_book_currency(book))) ||
        json_object_set_new(obj, "at", json_string(when)) ||
        json_object_set_new(obj, "effective", json_string(r->entry->effective_text)) ||
        json_object_set_new(obj, "batch", json_boolean(r->batch)) ||
        json_object_set_new(obj, "tier_above_input_tokens",
                            r->tier ? json_integer(r->tier->above_input_tokens) : json_null()))
        goto out;
    for (size_t i = 0; i < r->n_lines; i++) {
        const struct tm_price_line *l = &r->lines[i];
        json_t *lo = json_object();
        if (lo == NULL || json_array_append_new(lines, lo) ||
            json_object_set_new(lo, "class", json_string(tm_price_class_name(l->cls))) ||
            json_object_set_new(lo, "tokens", json_integer(l->tokens)) ||
            json_object_set_new(lo, "unit_price_per_mtok", json_string(mtok_text(l->unit_cost, 0, buf))) ||
            json_object_set_new(lo, "amount", json_string(money_text(l->cost, 0, buf))))
            goto out;
        if (tenant &&
            (json_object_set_new(lo, "tenant_unit_price_per_mtok",
                                 json_string(mtok_text(l->unit_price, 0, buf))) ||
             json_object_set_new(lo, "tenant_amount", json_string(money_text(l->price, 0, buf)))))
            goto out;
    }
    if (json_object_set(obj, "lines", lines) ||
        json_object_set_new(obj, "per_request", json_string(money_text(r->request_cost, 0, buf))) ||
        json_object_set_new(obj, "total", json_string(money_text(r->total_cost, 0, buf))))
        goto out;
    if (tenant) {
        tm_money margin;
        if (tm_money_sub(r->total_price, r->total_cost, &margin) != TM_OK ||
            json_object_set_new(obj, "tenant_per_request",
                                json_string(money_text(r->request_price, 0, buf))) ||
            json_object_set_new(obj, "tenant_total", json_string(money_text(r->total_price, 0, buf))) ||
            json_object_set_new(obj, "margin", json_string(money_text(margin, 0, buf))))
            goto out;
    }
    text = json_dumps(obj, JSON_PRESERVE_ORDER);
    if (text == NULL)
        goto out;
    printf("%s\n", text);
    rc = 0;
out:
    free(text);
    json_decref(lines);
    json_decref(obj);
    return rc;
}

/* The rating as a table. */
static void print_rating_table(const tm_price_book *book, const struct tm_price_rating *r,
                               int64_t at, bool tenant)
{
    const char *cur = tm_price_book_currency(book);
    char when[40], b1[TM_MONEY_TEXT_MAX], b2[TM_MONEY_TEXT_MAX], b3[TM_MONEY_TEXT_MAX],
        b4[TM_MONEY_TEXT_MAX], unit[24];

    tm_price_format_time(at, false, when, sizeof(when));
    printf("%s (%s), price effective %s, at %s%s", r->entry->model, r->entry->provider,
           r->entry->effective_text, when, r->batch ? ", batch" : "");
    if (r->tier)
        printf(", long-context tier (input above %lld tokens)",
               (long long)r->tier->above_input_tokens);
    printf("\n");
    snprintf(unit, sizeof(unit), "%s/MTOK", cur);
    if (tenant)
        printf("%-16s %16s %14s %22s %14s %22s\n", "CLASS", "TOKENS", unit, "COST",
               "TENANT/MTOK", "PRICE");
    else
        printf("%-16s %16s %14s %22s\n", "CLASS", "TOKENS", unit, "AMOUNT");
    for (size_t i = 0; i < r->n_lines; i++) {
        const struct tm_price_line *l = &r->lines[i];
        if (tenant)
            printf("%-16s %16lld %14s %22s %14s %22s\n", tm_price_class_name(l->cls),
                   (long long)l->tokens, mtok_text(l->unit_cost, 2, b1),
                   money_text(l->cost, 2, b2), mtok_text(l->unit_price, 2, b3),
                   money_text(l->price, 2, b4));
        else
            printf("%-16s %16lld %14s %22s\n", tm_price_class_name(l->cls),
                   (long long)l->tokens, mtok_text(l->unit_cost, 2, b1),
                   money_text(l->cost, 2, b2));
    }
    if (r->request_cost != 0 || r->request_price != 0) {
        if (tenant)
            printf("%-16s %16s %14s %22s %14s %22s\n", "per request", "", "",
                   money_text(r->request_cost, 2, b1), "", money_text(r->request_price, 2, b2));
        else
            printf("%-16s %16s %14s %22s\n", "per request", "", "",
                   money_text(r->request_cost, 2, b1));
    }
    if (tenant) {
        tm_money margin = 0;
        tm_money_sub(r->total_price, r->total_cost, &margin);
        printf("%-16s %16s %14s %22s %14s %22s %s\n", "total", "", "",
               money_text(r->total_cost, 2, b1), "", money_text(r->total_price, 2, b2), cur);
        printf("%-16s %16s %14s %22s %14s %22s %s\n", "margin", "", "", "", "",
               money_text(margin, 2, b3), cur);
    } else {
        printf("%-16s %16s %14s %22s %s\n", "total", "", "", money_text(r->total_cost, 2, b1),
               cur);
    }
}

/* tokenmeter price: parse the options, open the book (and overrides),
 * find the entry in effect at --at, rate, print. */
int cmd_price(int argc, char **argv)
{
    struct cli_args a;
    const char *opt, *model = NULL, *provider = NULL, *at_text = NULL, *prices = NULL,
                     *overrides = NULL;
    struct tm_price_usage usage;
    struct tm_price_rating rating;
    struct tm_error err = {0};
    tm_price_book *book = NULL;
    tm_price_overrides *ov = NULL;
    const struct tm_price_entry *entry;
    bool json = false, have_input = false;
    int exit_code = CLI_OK;

    memset(&usage, 0, sizeof(usage));
    cli_args_init(&a, "price", argc, argv);
    while ((opt = cli_args_next(&a)) != NULL) {
        const char **slot = NULL;
        size_t t;
        if (strcmp(opt, "--json") == 0) {
            json = true;
            continue;
        }
        if (strcmp(opt, "--batch") == 0) {
            usage.batch = true;
            continue;
        }
        for (t = 0; t < N_TOKEN_OPTS; t++) {
            if (strcmp(opt, token_opts[t].opt) == 0) {
                const char *v = cli_args_value(&a);
                if (v == NULL)
                    break;
                if (!parse_tokens(v, &usage.tokens[token_opts[t].cls])) {
                    cli_error("price", "%s: expected a whole number of tokens (0 to %lld), "
                              "got '%s'", opt, TM_PRICE_MAX_TOKENS, v);
                    a.bad = true;
                }
                have_input = have_input || token_opts[t].cls == TM_CLASS_INPUT;
                break;
            }
        }
        if (t < N_TOKEN_OPTS)
            continue;
        if (strcmp(opt, "-m") == 0 || strcmp(opt, "--model") == 0)
            slot = &model;
        else if (strcmp(opt, "--provider") == 0)
            slot = &provider;
        else if (strcmp(opt, "--at") == 0)
            slot = &at_text;
        else if (strcmp(opt, "--prices") == 0)
            slot = &prices;
        else if (strcmp(opt, "--overrides") == 0)
            slot = &overrides;
        if (slot == NULL) {
            cli_error("price", "unknown option '%s' (" PRICE_USAGE ")", opt);
            a.bad = true;
            continue;
        }
        *slot = cli_args_value(&a);
    }
    if (!a.bad && a.n_operands > 0) {
        cli_error("price", "takes no operands (got '%s'); " PRICE_USAGE, a.operands[0]);
        a.bad = true;
    }
    if (!a.bad && model == NULL) {
        cli_error("price", "give the model with -m MODEL; " PRICE_USAGE);
        a.bad = true;
    }
    if (!a.bad && !have_input) {
        cli_error("price", "give the input tokens with --input N (0 when there are "
                           "none); " PRICE_USAGE);
        a.bad = true;
    }
    if (a.bad || !parse_at("price", at_text, &usage.at)) {
        cli_args_free(&a);
        return CLI_USAGE;
    }
    cli_args_free(&a);

    if ((book = open_book("price", prices)) == NULL) {
        exit_code = CLI_RUNTIME;
        goto out;
    }
    if (overrides != NULL &&
        (ov = tm_price_overrides_open(overrides, tm_price_book_currency(book), &err)) == NULL) {
        cli_error("price", "%s", err.message);
        exit_code = CLI_RUNTIME;
        goto out;
    }
    if (tm_price_book_find(book, provider, model, usage.at, &entry, &err) != TM_OK) {
        cli_error("price", "%s", err.message);
        exit_code = err.code == TM_ERANGE ? CLI_RUNTIME : CLI_USAGE;
        goto out;
    }
    if (tm_price_rate_entry(entry, &usage, ov, &rating, &err) != TM_OK) {
        cli_error("price", "%s", err.message);
        exit_code = CLI_RUNTIME;
        goto out;
    }
    if (json) {
        if (print_rating_json(book, &rating, usage.at, ov != NULL) != 0) {
            cli_error("price", "out of memory");
            exit_code = CLI_RUNTIME;
        }
    } else {
        print_rating_table(book, &rating, usage.at, ov != NULL);
    }
    if (fflush(stdout) != 0) {
        cli_error("price", "cannot write output: %s", strerror(errno));
        exit_code = CLI_RUNTIME;
    }
out:
    tm_price_overrides_free(ov);
    tm_price_book_free(book);
    return exit_code;
}

/* ---- prices ---- */

/* {class: "per mtok"} of the classes r sets. */
static json_t *rates_json(const struct tm_price_rates *r)
{
    json_t *o = json_object();
    char buf[TM_MONEY_TEXT_MAX];

    for (int c = 0; o != NULL && c < TM_CLASS_COUNT; c++) {
        if (!(r->set & (1u << c)))
            continue;
        if (json_object_set_new(o, tm_price_class_name((enum tm_token_class)c),
                                json_string(mtok_text(r->per_token[c], 0, buf)))) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* A book entry as JSON, with the book's field names and canonical
 * decimals. */
static json_t *entry_json(const struct tm_price_entry *e)
{
    json_t *o = json_object(), *aliases = json_array();
    char buf[TM_MONEY_TEXT_MAX];

    if (o == NULL || aliases == NULL)
        goto fail;
    for (size_t i = 0; i < e->n_aliases; i++)
        if (json_array_append_new(aliases, json_string(e->aliases[i])))
            goto fail;
    if (json_object_set_new(o, "provider", json_string(e->provider)) ||
        json_object_set_new(o, "model", json_string(e->model)) ||
        json_object_set(o, "aliases", aliases) ||
        json_object_set_new(o, "effective", json_string(e->effective_text)) ||
        json_object_set_new(o, "source", json_string(e->source)) ||
        json_object_set_new(o, "as_of", json_string(e->as_of)) ||
        json_object_set_new(o, "per_mtok", rates_json(&e->rates)))
        goto fail;
    if (e->has_batch_multiplier) {
        /* num/den with den a power of ten: print it as a decimal. */
        tm_money m;
        if (tm_money_muldiv(TM_MONEY_SCALE, e->batch_multiplier.num, e->batch_multiplier.den,
                            TM_ROUND_HALF_EVEN, &m) != TM_OK ||
            json_object_set_new(o, "batch_multiplier", json_string(money_text(m, 0, buf))))
            goto fail;
    }
    if (e->batch_rates.set &&
        json_object_set_new(o, "batch_per_mtok", rates_json(&e->batch_rates)))
        goto fail;
    if (e->n_tiers > 0) {
        json_t *tiers = json_array();
        if (tiers == NULL || json_object_set_new(o, "tiers", tiers))
            goto fail;
        for (size_t t = 0; t < e->n_tiers; t++) {
            json_t *to = json_object();
            if (to == NULL || json_array_append_new(tiers, to) ||
                json_object_set_new(to, "above_input_tokens",
                                    json_integer(e->tiers[t].above_input_tokens)) ||
                json_object_set_new(to, "per_mtok", rates_json(&e->tiers[t].rates)))
                goto fail;
            if (e->tiers[t].batch_rates.set &&
                json_object_set_new(to, "batch_per_mtok", rates_json(&e->tiers[t].batch_rates)))
                goto fail;
        }
    }
    if (json_object_set_new(o, "per_request", json_string(money_text(e->per_request, 0, buf))) ||
        json_object_set_new(o, "note", json_string(e->note)))
        goto fail;
    json_decref(aliases);
    return o;
fail:
    json_decref(aliases);
    json_decref(o);
    return NULL;
}

/* One rate of the table, or "-" when the class has no rate of its own. */
static const char *rate_cell(const struct tm_price_rates *r, enum tm_token_class c, char *buf)
{
    if (!(r->set & (1u << c)))
        return "-";
    return mtok_text(r->per_token[c], 2, buf);
}

/* The listing: entries in effect at `at`, optionally of one provider. */
static int list_prices(const tm_price_book *book, const char *provider, int64_t at, bool json)
{
    size_t n = tm_price_book_count(book), shown = 0;
    int wp = 8, wm = 5;

    for (size_t i = 0; i < n; i++) {
        const struct tm_price_entry *e = tm_price_book_entry(book, i);
        if ((provider && strcmp(e->provider, provider) != 0) ||
            !tm_price_book_in_effect(book, e, at))
            continue;
        if ((int)strlen(e->provider) > wp)
            wp = (int)strlen(e->provider);
        if ((int)strlen(e->model) > wm)
            wm = (int)strlen(e->model);
    }
    if (json)
        fputs("[\n", stdout);
    else
        printf("%-*s  %-*s  %-10s  %10s  %10s  %10s  %10s  %10s  %s\n", wp, "PROVIDER", wm,
               "MODEL", "EFFECTIVE", "INPUT", "CACHED", "WRITE_5M", "WRITE_1H", "OUTPUT",
               "NOTES");
    for (size_t i = 0; i < n; i++) {
        const struct tm_price_entry *e = tm_price_book_entry(book, i);
        char b[5][TM_MONEY_TEXT_MAX], eff[16];
        if ((provider && strcmp(e->provider, provider) != 0) ||
            !tm_price_book_in_effect(book, e, at))
            continue;
        if (json) {
            json_t *o = entry_json(e);
            char *text = o ? json_dumps(o, JSON_PRESERVE_ORDER) : NULL;
            json_decref(o);
            if (text == NULL)
                return -1;
            printf("%s%s\n", shown ? "," : "", text);
            free(text);
        } else {
            char notes[80] = "";
            tm_price_format_time(e->effective, true, eff, sizeof(eff));
            if (e->has_batch_multiplier || e->batch_rates.set)
                strcat(notes, "batch ");
            if (e->n_tiers)
                snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes),
                         "tiers>%lld ", (long long)e->tiers[0].above_input_tokens);
            if (e->per_request)
                strcat(notes, "per-request ");
            printf("%-*s  %-*s  %-10s  %10s  %10s  %10s  %10s  %10s  %s\n", wp, e->provider,
                   wm, e->model, eff, rate_cell(&e->rates, TM_CLASS_INPUT, b[0]),
                   rate_cell(&e->rates, TM_CLASS_CACHED_INPUT, b[1]),
                   rate_cell(&e->rates, TM_CLASS_CACHE_WRITE_5M, b[2]),
                   rate_cell(&e->rates, TM_CLASS_CACHE_WRITE_1H, b[3]),
                   rate_cell(&e->rates, TM_CLASS_OUTPUT, b[4]), notes);
        }
        shown++;
    }
    if (json)
        fputs("]\n", stdout);
    return 0;
}

/* Read a whole file of at most `cap` bytes; NULL (error reported). */
static char *slurp(const char *cmd, const char *path, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, room = 0;

    if (f == NULL) {
        cli_error(cmd, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        size_t got;
        if (n + 1 >= room) {
            char *nb;
            if (room > cap) {
                cli_error(cmd, "%s: larger than the %zu-byte limit", path, cap);
                goto fail;
            }
            room = room ? room * 2 : 65536;
            if ((nb = realloc(buf, room + 1)) == NULL) {
                cli_error(cmd, "%s: out of memory", path);
                goto fail;
            }
            buf = nb;
        }
        got = fread(buf + n, 1, room - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        cli_error(cmd, "%s: read error: %s", path, strerror(errno));
        goto fail;
    }
    if (n > cap) {
        cli_error(cmd, "%s: larger than the %zu-byte limit", path, cap);
        goto fail;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
fail:
    free(buf);
    fclose(f);
    return NULL;
}

/* Write data to path whole: a temporary file beside it, then rename. */
static bool write_whole(const char *cmd, const char *path, const char *data, size_t len)
{
    char tmp[4096];
    FILE *f;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp)) {
        cli_error(cmd, "%s: path too long", path);
        return false;
    }
    f = fopen(tmp, "wb");
    if (f == NULL) {
        cli_error(cmd, "%s: cannot create: %s", tmp, strerror(errno));
        return false;
    }
    if (fwrite(data, 1, len, f) != len || fflush(f) != 0 || fsync(fileno(f)) != 0) {
        cli_error(cmd, "%s: write error: %s", tmp, strerror(errno));
        fclose(f);
        unlink(tmp);
        return false;
    }
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        cli_error(cmd, "%s: cannot write: %s", path, strerror(errno));
        unlink(tmp);
        return false;
    }
    return true;
}

/* prices import FILE [-o OUT] [--date D] [--source S] */
static int cmd_import(int argc, char **argv)
{
    struct cli_args a;
    const char *opt, *outpath = NULL, *date = NULL, *source = NULL;
    char today[16], *text = NULL;
    struct tm_price_import imp = {0};
    struct tm_error err = {0};
    size_t len = 0;
    int exit_code = CLI_OK;

    cli_args_init(&a, "prices import", argc, argv);
    while ((opt = cli_args_next(&a)) != NULL) {
        const char **slot = NULL;
        if (strcmp(opt, "-o") == 0 || strcmp(opt, "--output") == 0)
            slot = &outpath;
        else if (strcmp(opt, "--date") == 0)
            slot = &date;
        else if (strcmp(opt, "--source") == 0)
            slot = &source;
        if (slot == NULL) {
            cli_error("prices import", "unknown option '%s' (" PRICES_USAGE ")", opt);
            a.bad = true;
            continue;
        }
        *slot = cli_args_value(&a);
    }
    if (!a.bad && a.n_operands != 1) {
        cli_error("prices import", "expects one FILE (LiteLLM's "
                  "model_prices_and_context_window.json), got %d operands; " PRICES_USAGE,
                  a.n_operands);
        a.bad = true;
    }
    if (a.bad) {
        cli_args_free(&a);
        return CLI_USAGE;
    }
    if (date == NULL) {
        tm_price_format_time((int64_t)time(NULL), true, today, sizeof(today));
        date = today;
    } else {
        int64_t t;
        if (tm_price_parse_time(date, "--date", &t, &err) != TM_OK || strlen(date) != 10) {
            cli_error("prices import", "--date: expected YYYY-MM-DD, got '%s'", date);
            cli_args_free(&a);
            return CLI_USAGE;
        }
    }
    text = slurp("prices import", a.operands[0], TM_PRICE_IMPORT_MAX_BYTES, &len);
    if (text == NULL) {
        exit_code = CLI_RUNTIME;
        goto out;
    }
    if (tm_price_import_litellm(text, len, a.operands[0], source ? source : a.operands[0],
                                date, &imp, &err) != TM_OK) {
        cli_error("prices import", "%s", err.message);
        exit_code = CLI_RUNTIME;
        goto out;
    }
    for (size_t i = 0; i < imp.n_skipped; i++)
        cli_error("prices import", "skipped %s", imp.skipped[i]);
    if (outpath != NULL && strcmp(outpath, "-") != 0) {
        if (!write_whole("prices import", outpath, imp.book, imp.book_len)) {
            exit_code = CLI_RUNTIME;
            goto out;
        }
    } else if (fwrite(imp.book, 1, imp.book_len, stdout) != imp.book_len ||
               fflush(stdout) != 0) {
        cli_error("prices import", "cannot write output: %s", strerror(errno));
        exit_code = CLI_RUNTIME;
        goto out;
    }
    cli_error("prices import", "%zu entries imported, %zu skipped, %zu without per-token "
              "prices left out", imp.imported, imp.n_skipped, imp.not_token_priced);
out:
    tm_price_import_free(&imp);
    free(text);
    cli_args_free(&a);
    return exit_code;
}

/* tokenmeter prices [import]: list the book as of --at, or import. */
int cmd_prices(int argc, char **argv)
{
    struct cli_args a;
    const char *opt, *provider = NULL, *at_text = NULL, *prices = NULL;
    tm_price_book *book;
    bool json = false;
    int64_t at;
    int exit_code = CLI_OK;

    if (argc >= 2 && strcmp(argv[1], "import") == 0)
        return cmd_import(argc - 1, argv + 1);
    cli_args_init(&a, "prices", argc, argv);
    while ((opt = cli_args_next(&a)) != NULL) {
        const char **slot = NULL;
        if (strcmp(opt, "--json") == 0) {
            json = true;
            continue;
        }
        if (strcmp(opt, "--provider") == 0)
            slot = &provider;
        else if (strcmp(opt, "--at") == 0)
            slot = &at_text;
        else if (strcmp(opt, "--prices") == 0)
            slot = &prices;
        if (slot == NULL) {
            cli_error("prices", "unknown option '%s' (" PRICES_USAGE ")", opt);
            a.bad = true;
            continue;
        }
        *slot = cli_args_value(&a);
    }
    if (!a.bad && a.n_operands > 0) {
        cli_error("prices", "unknown operand '%s' (" PRICES_USAGE ")", a.operands[0]);
        a.bad = true;
    }
    if (a.bad || !parse_at("prices", at_text, &at)) {
        cli_args_free(&a);
        return CLI_USAGE;
    }
    cli_args_free(&a);
    if ((book = open_book("prices", prices)) == NULL)
        return CLI_RUNTIME;
    if (list_prices(book, provider, at, json) != 0) {
        cli_error("prices", "out of memory");
        exit_code = CLI_RUNTIME;
    }
    if (fflush(stdout) != 0) {
        cli_error("prices", "cannot write output: %s", strerror(errno));
        exit_code = CLI_RUNTIME;
    }
    tm_price_book_free(book);
    return exit_code;
}
