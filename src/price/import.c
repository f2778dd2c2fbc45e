/*
 * Import of the community price list kept by LiteLLM,
 * model_prices_and_context_window.json (https://github.com/BerriAI/litellm),
 * into a tokenmeter-prices/1 book.
 *
 * That file is one JSON object: model key -> entry, with rates in US
 * dollars per token as JSON numbers. The fields read here (names as in the
 * file and in litellm/litellm_core_utils/llm_cost_calc/utils.py):
 *   litellm_provider, mode,
 *   input_cost_per_token, output_cost_per_token,
 *   cache_read_input_token_cost, cache_creation_input_token_cost,
 *   cache_creation_input_token_cost_above_1hr,
 *   output_cost_per_reasoning_token,
 *   input_cost_per_audio_token, output_cost_per_audio_token,
 *   input_cost_per_image_token, output_cost_per_image_token,
 *   input_cost_per_token_batches, output_cost_per_token_batches,
 *   and any of the rate keys above with "_above_<N>k_tokens" (a tier over
 *   N x 1000 input tokens; LiteLLM's _parse_above_token_threshold reads
 *   "k" as 1000 and its _is_above_128k compares with ">", which is the
 *   book's above_input_tokens), optionally followed by "_batches".
 * Other keys (max_tokens, supports_*, per-image, per-second, per-character
 * prices, priority and flex service tiers) are not token prices of a
 * standard request and are ignored; an entry without input_cost_per_token
 * is counted as not token-priced and left out. An entry with a
 * "tiered_pricing" table (a list of {"range": [start, end], rates...},
 * LiteLLM's litellm/litellm_core_utils/llm_cost_calc/tiered_pricing.py) is
 * skipped and reported rather than imported without its tiers. The key "sample_spec" is
 * the file's own documentation.
 *
 * Exactness. A rate is a binary double once jansson has read it; the
 * decimal the file's author wrote is recovered as the shortest decimal
 * text that reads back to the same double (tried with 1 to 17 significant
 * digits, as every double has one of at most 17), and that text is parsed
 * by tm_money_parse. No arithmetic is done on the double. A rate whose
 * text has a digit finer than a picounit per token is refused: the entry
 * is left out and reported (a reported skip, not an error, so one odd
 * entry in a list of thousands does not block the import).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "price/price_int.h"

/* LiteLLM rate key -> token class. */
static const struct {
    const char *key;
    enum tm_token_class cls;
} rate_keys[] = {
    {"input_cost_per_token", TM_CLASS_INPUT},
    {"cache_read_input_token_cost", TM_CLASS_CACHED_INPUT},
    {"cache_creation_input_token_cost", TM_CLASS_CACHE_WRITE_5M},
    {"cache_creation_input_token_cost_above_1hr", TM_CLASS_CACHE_WRITE_1H},
    {"output_cost_per_token", TM_CLASS_OUTPUT},
    {"output_cost_per_reasoning_token", TM_CLASS_REASONING},
    {"input_cost_per_audio_token", TM_CLASS_INPUT_AUDIO},
    {"output_cost_per_audio_token", TM_CLASS_OUTPUT_AUDIO},
    {"input_cost_per_image_token", TM_CLASS_INPUT_IMAGE},
    {"output_cost_per_image_token", TM_CLASS_OUTPUT_IMAGE},
};
#define N_RATE_KEYS (sizeof(rate_keys) / sizeof(rate_keys[0]))

/* Modes whose entries have no output tokens: a missing output rate is 0. */
static bool no_output_mode(const char *mode)
{
    return mode != NULL && (strcmp(mode, "embedding") == 0 || strcmp(mode, "rerank") == 0 ||
                            strcmp(mode, "moderation") == 0);
}

/* ---- numbers ---- */

/*
 * The shortest decimal text (significant digits 1..17, "%.Ne") that reads
 * back as exactly the double jansson parsed; integers as they are. This is
 * the one place a double appears in the price module: it is only read, to
 * recover the decimal text, never computed with.
 */
static void number_text(const json_t *v, char *buf, size_t cap)
{
    if (json_is_integer(v)) {
        snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
        return;
    }
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(buf, cap, "%.*e", digits - 1, json_real_value(v));
        if (strtod(buf, NULL) == json_real_value(v))
            return;
    }
}

/* One rate of entry `key`: its picounits per token, or a skip reason in
 * why. Returns false when the entry must be skipped. */
static bool read_rate(const char *key, const char *field, const json_t *v, tm_money *out,
                      char *why, size_t cap)
{
    char text[40], qk[72];
    struct tm_error err = {0};
    int rc;

    tm__price_quote(key, qk, sizeof(qk));
    if (!json_is_number(v)) {
        snprintf(why, cap, "%s: %s: expected a number, got %s", qk, field,
                 tm__price_json_kind(v));
        return false;
    }
    number_text(v, text, sizeof(text));
    rc = tm_money_parse(text, strlen(text), field, out, &err);
    if (rc == TM_ERANGE && strstr(err.message, "finer") != NULL) {
        snprintf(why, cap, "%s: %s: %s dollars per token is finer than one picounit "
                 "(1e-12) per token, the smallest rate tokenmeter represents", qk, field,
                 text);
        return false;
    }
    if (rc != TM_OK) {
        snprintf(why, cap, "%s: %s", qk, err.message);
        return false;
    }
    if (*out < 0) {
        snprintf(why, cap, "%s: %s: %s is negative", qk, field, text);
        return false;
    }
    return true;
}

/* ---- one entry ---- */

struct tier_acc {
    int64_t above;
    struct tm_price_rates rates;
    struct tm_price_rates batch;
};

/* If `k` is "<rate key>_above_<N>[k]_tokens[_batches]", the class, the
 * threshold and whether it is a batch rate. */
static bool tier_key(const char *k, enum tm_token_class *cls, int64_t *above, bool *batch)
{
    const char *p = NULL, *s;

    for (s = strstr(k, "_above_"); s != NULL; s = strstr(s + 1, "_above_"))
        p = s;
    if (p == NULL)
        return false;
    for (size_t r = 0; r < N_RATE_KEYS; r++) {
        size_t bl = strlen(rate_keys[r].key);
        const char *q = p + 7;
        int64_t n = 0;
        int nd = 0;
        if ((size_t)(p - k) != bl || strncmp(k, rate_keys[r].key, bl) != 0)
            continue;
        while (*q >= '0' && *q <= '9' && nd < 12) {
            n = n * 10 + (*q++ - '0');
            nd++;
        }
        if (nd == 0 || n == 0)
            return false;
        if (*q == 'k') {
            n *= 1000;
            q++;
        }
        if (strcmp(q, "_tokens") == 0)
            *batch = false;
        else if (strcmp(q, "_tokens_batches") == 0)
            *batch = true;
        else
            return false;
        *cls = rate_keys[r].cls;
        *above = n;
        return true;
    }
    return false;
}

/* A JSON object {class: "per mtok"} of the rates in r. */
static json_t *rates_json(const struct tm_price_rates *r)
{
    json_t *o = json_object();
    char buf[TM_MONEY_TEXT_MAX];

    for (int c = 0; o != NULL && c < TM_CLASS_COUNT; c++) {
        if (!(r->set & (1u << c)))
            continue;
        tm_money_format_per_mtok(r->per_token[c], 0, buf);
        if (json_object_set_new(o, tm_price_class_name((enum tm_token_class)c),
                                json_string(buf)) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* Lower-case provider name from litellm_provider, other bytes as '-'. */
static bool provider_name(const char *lp, char *out, size_t cap)
{
    size_t i = 0;

    for (; lp[i] && i + 1 < cap; i++) {
        char ch = lp[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch + ('a' - 'A'));
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ||
              ch == '_' || ch == '-'))
            ch = '-';
        out[i] = ch;
    }
    out[i] = '\0';
    return lp[i] == '\0' && tm__price_provider_valid(out);
}

enum convert_result { CONVERTED, NOT_TOKEN_PRICED, SKIPPED, FAILED };

/* Convert LiteLLM entry `key` into a book entry (*out), or say why not. */
static enum convert_result convert(const char *key, const json_t *src, const char *source,
                                   const char *date, json_t **out, char *provider,
                                   char *model, char *why, size_t cap)
{
    struct tm_price_rates rates = {0}, batch = {0};
    struct tier_acc tiers[TM_PRICE_MAX_TIERS];
    size_t n_tiers = 0;
    const json_t *lp, *mode_v, *v;
    const char *mode = NULL, *k;
    char qk[72], note[300];
    json_t *e = NULL, *jv;
    size_t pl;

    tm__price_quote(key, qk, sizeof(qk));
    if (!json_is_object(src)) {
        snprintf(why, cap, "%s: expected an object, got %s", qk, tm__price_json_kind(src));
        return SKIPPED;
    }
    v = json_object_get(src, "input_cost_per_token");
    if (v == NULL || json_is_null(v))
        return NOT_TOKEN_PRICED;
    if (json_object_get(src, "tiered_pricing") != NULL) {
        /* A tier table in another shape: importing only the base rates
         * would under-price long requests. */
        snprintf(why, cap, "%s: tiered_pricing is not read by this importer; add the "
                 "entry's tiers by hand", qk);
        return SKIPPED;
    }
    mode_v = json_object_get(src, "mode");
    if (json_is_string(mode_v))
        mode = json_string_value(mode_v);
    lp = json_object_get(src, "litellm_provider");
    if (!json_is_string(lp) || !provider_name(json_string_value(lp), provider, TM_PRICE_MAX_NAME + 1)) {
        snprintf(why, cap, "%s: litellm_provider: expected a provider name, got %s", qk,
                 json_is_string(lp) ? "an unusable name" : tm__price_json_kind(lp));
        return SKIPPED;
    }
    /* "azure/gpt-4o" with provider azure is the model "gpt-4o" of azure. */
    pl = strlen(json_string_value(lp));
    if (strncmp(key, json_string_value(lp), pl) == 0 && key[pl] == '/' && key[pl + 1] != '\0')
        key += pl + 1;
    if (!tm__price_model_valid(key)) {
        snprintf(why, cap, "%s: the name is not 1 to %d printable ASCII characters without "
                 "spaces", qk, TM_PRICE_MAX_NAME);
        return SKIPPED;
    }
    snprintf(model, TM_PRICE_MAX_NAME + 1, "%s", key);

    for (size_t r = 0; r < N_RATE_KEYS; r++) {
        v = json_object_get(src, rate_keys[r].key);
        if (v == NULL || json_is_null(v))
            continue;
        if (!read_rate(qk, rate_keys[r].key, v, &rates.per_token[rate_keys[r].cls], why, cap))
            return SKIPPED;
        rates.set |= 1u << rate_keys[r].cls;
    }
    if (!(rates.set & (1u << TM_CLASS_OUTPUT))) {
        if (!no_output_mode(mode)) {
            snprintf(why, cap, "%s: has input_cost_per_token but no output_cost_per_token "
                     "(mode %s)", qk, mode ? mode : "not given");
            return SKIPPED;
        }
        rates.set |= 1u << TM_CLASS_OUTPUT; /* no output tokens: rate 0 */
    }
    for (int b = 0; b < 2; b++) {
        const char *bk = b == 0 ? "input_cost_per_token_batches" : "output_cost_per_token_batches";
        enum tm_token_class cls = b == 0 ? TM_CLASS_INPUT : TM_CLASS_OUTPUT;
        v = json_object_get(src, bk);
        if (v == NULL || json_is_null(v))
            continue;
        if (!read_rate(qk, bk, v, &batch.per_token[cls], why, cap))
            return SKIPPED;
        batch.set |= 1u << cls;
    }
    json_object_foreach((json_t *)src, k, jv) {
        enum tm_token_class cls;
        int64_t above;
        bool is_batch;
        size_t t;
        tm_money rate;
        if (json_is_null(jv) || !tier_key(k, &cls, &above, &is_batch))
            continue;
        if (!read_rate(qk, k, jv, &rate, why, cap))
            return SKIPPED;
        for (t = 0; t < n_tiers && tiers[t].above != above; t++)
            ;
        if (t == n_tiers) {
            if (n_tiers == TM_PRICE_MAX_TIERS) {
                snprintf(why, cap, "%s: more than %d long-context tiers", qk,
                         TM_PRICE_MAX_TIERS);
                return SKIPPED;
            }
            memset(&tiers[n_tiers], 0, sizeof(tiers[0]));
            tiers[n_tiers++].above = above;
        }
        if (is_batch) {
            tiers[t].batch.per_token[cls] = rate;
            tiers[t].batch.set |= 1u << cls;
        } else {
            tiers[t].rates.per_token[cls] = rate;
            tiers[t].rates.set |= 1u << cls;
        }
    }
    for (size_t t = 0; t < n_tiers; t++) { /* ascending; a tier needs a rate */
        for (size_t u = t + 1; u < n_tiers; u++) {
            if (tiers[u].above < tiers[t].above) {
                struct tier_acc tmp = tiers[t];
                tiers[t] = tiers[u];
                tiers[u] = tmp;
            }
        }
        if (tiers[t].rates.set == 0) {
            snprintf(why, cap, "%s: a batch rate above %lld tokens without the standard "
                     "rate for that tier", qk, (long long)tiers[t].above);
            return SKIPPED;
        }
    }

    e = json_object();
    if (e == NULL)
        return FAILED;
    snprintf(note, sizeof(note), "imported from LiteLLM key \"%s\"%s%s", qk,
             mode ? ", mode " : "", mode ? mode : "");
    if (json_object_set_new(e, "provider", json_string(provider)) != 0 ||
        json_object_set_new(e, "model", json_string(model)) != 0 ||
        json_object_set_new(e, "effective", json_string(date)) != 0 ||
        json_object_set_new(e, "source", json_string(source)) != 0 ||
        json_object_set_new(e, "as_of", json_string(date)) != 0 ||
        json_object_set_new(e, "per_mtok", rates_json(&rates)) != 0)
        goto oom;
    if (batch.set != 0) {
        /* The common case, a flat half price, is kept as a multiplier so
         * that every class (cached input too) has a batch price. */
        bool half = batch.set == ((1u << TM_CLASS_INPUT) | (1u << TM_CLASS_OUTPUT)) &&
                    batch.per_token[TM_CLASS_INPUT] * 2 == rates.per_token[TM_CLASS_INPUT] &&
                    batch.per_token[TM_CLASS_OUTPUT] * 2 == rates.per_token[TM_CLASS_OUTPUT];
        if (half ? json_object_set_new(e, "batch_multiplier", json_string("0.5")) != 0
                 : json_object_set_new(e, "batch_per_mtok", rates_json(&batch)) != 0)
            goto oom;
    }
    if (n_tiers > 0) {
        json_t *arr = json_array();
        if (arr == NULL || json_object_set_new(e, "tiers", arr) != 0)
            goto oom;
        for (size_t t = 0; t < n_tiers; t++) {
            json_t *to = json_object();
            if (to == NULL || json_array_append_new(arr, to) != 0 ||
                json_object_set_new(to, "above_input_tokens", json_integer(tiers[t].above)) != 0 ||
                json_object_set_new(to, "per_mtok", rates_json(&tiers[t].rates)) != 0)
                goto oom;
            if (tiers[t].batch.set != 0 &&
                json_object_set_new(to, "batch_per_mtok", rates_json(&tiers[t].batch)) != 0)
                goto oom;
        }
    }
    if (json_object_set_new(e, "note", json_string(note)) != 0)
        goto oom;
    *out = e;
    return CONVERTED;
oom:
    json_decref(e);
    return FAILED;
}

/* ---- the whole file ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A growable output buffer. */
struct outbuf {
    char *p;
    size_t len, cap;
    bool failed;
};

/* Append s, growing the buffer; a failed allocation is remembered. */
static void put(struct outbuf *b, const char *s)
{
    size_t n = strlen(s);

    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *np;
        while (cap < b->len + n + 1)
            cap *= 2;
        np = realloc(b->p, cap);
        if (np == NULL) {
            b->failed = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

/* Put a JSON value on one line. */
static void put_json(struct outbuf *b, const json_t *v)
{
    char *text = json_dumps(v, JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);

    if (text == NULL) {
        b->failed = true;
        return;
    }
    put(b, text);
    free(text);
}

/* Remember a skip message. */
static int add_skip(struct tm_price_import *out, const char *why)
{
    char **np = realloc(out->skipped, (out->n_skipped + 1) * sizeof(*np));

    if (np == NULL)
        return TM_ENOMEM;
    out->skipped = np;
    if ((np[out->n_skipped] = strdup(why)) == NULL)
        return TM_ENOMEM;
    out->n_skipped++;
    return TM_OK;
}

/* Release what an import produced; the struct is left empty. */
void tm_price_import_free(struct tm_price_import *imp)
{
    if (imp == NULL)
        return;
    for (size_t i = 0; i < imp->n_skipped; i++)
        free(imp->skipped[i]);
    free(imp->skipped);
    free(imp->book);
    memset(imp, 0, sizeof(*imp));
}

/* Seen (provider, lower-case model) pairs, to skip repeats. */
struct seen {
    char provider[TM_PRICE_MAX_NAME + 1];
    char model[TM_PRICE_MAX_NAME + 1];
    const char *key;
    size_t order; /* position in key order */
    json_t *entry; /* the converted entry, until it is placed */
};

/* Provider, model, then key order: repeats end up adjacent, the first
 * key first. */
static int cmp_seen(const void *a, const void *b)
{
    const struct seen *x = a, *y = b;
    int r = strcmp(x->provider, y->provider);
    if (r == 0)
        r = strcmp(x->model, y->model);
    if (r == 0)
        r = (x->order > y->order) - (x->order < y->order);
    return r;
}

/* Key order, to write the book as the keys sort. */
static int cmp_order(const void *a, const void *b)
{
    const struct seen *x = a, *y = b;
    return (x->order > y->order) - (x->order < y->order);
}

/* The import: convert every entry (in sorted key order), drop repeats of a
 * provider and model, write the book, and validate it as any book. */
int tm_price_import_litellm(const char *text, size_t len, const char *name,
                            const char *source, const char *date,
                            struct tm_price_import *out, struct tm_error *err)
{
    json_error_t jerr;
    json_t *root = NULL, *v, *entries = NULL;
    const char **keys = NULL;
    struct seen *seen = NULL;
    struct outbuf b = {0};
    size_t n_keys = 0, n_seen = 0;
    const char *k;
    char why[600];
    int rc = TM_ENOMEM;
    tm_price_book *check;

    memset(out, 0, sizeof(*out));
    if (name == NULL)
        name = "price list";
    if (source == NULL)
        source = name;
    if (date == NULL || !tm__price_date_valid(date)) {
        char q[72] = "";
        if (date)
            tm__price_quote(date, q, sizeof(q));
        return tm_error_set(err, TM_EINVAL, "import date: expected YYYY-MM-DD, got \"%s\"", q);
    }
    if (len > TM_PRICE_IMPORT_MAX_BYTES)
        return tm_error_set(err, TM_ELIMIT, "%s: larger than the %u-byte limit for a price "
                            "list", name, TM_PRICE_IMPORT_MAX_BYTES);
    root = json_loadb(text, len, 0, &jerr);
    if (root == NULL) {
        rc = tm_error_set(err, TM_EFORMAT, "%s: not valid JSON: line %d, column %d: %s", name,
                          jerr.line, jerr.column, jerr.text);
        goto out;
    }
    if (!json_is_object(root)) {
        rc = tm_error_set(err, TM_EFORMAT, "%s: expected LiteLLM's format, a JSON object of "
                          "model name -> prices, got %s", name, tm__price_json_kind(root));
        goto out;
    }
    if (json_object_size(root) > TM_PRICE_MAX_ENTRIES) {
        rc = tm_error_set(err, TM_ELIMIT, "%s: %zu entries; at most %d are allowed", name,
                          json_object_size(root), TM_PRICE_MAX_ENTRIES);
        goto out;
    }
    keys = calloc(json_object_size(root) + 1, sizeof(*keys));
    seen = calloc(json_object_size(root) + 1, sizeof(*seen));
    entries = json_array();
    if (keys == NULL || seen == NULL || entries == NULL)
        goto oom;
    json_object_foreach(root, k, v)
        if (strcmp(k, "sample_spec") != 0)
            keys[n_keys++] = k;
    qsort(keys, n_keys, sizeof(*keys), cmp_str);

    for (size_t i = 0; i < n_keys; i++) {
        struct seen *sn = &seen[n_seen];
        switch (convert(keys[i], json_object_get(root, keys[i]), source, date, &sn->entry,
                        sn->provider, sn->model, why, sizeof(why))) {
        case NOT_TOKEN_PRICED:
            out->not_token_priced++;
            continue;
        case SKIPPED:
            if (add_skip(out, why) != TM_OK)
                goto oom;
            continue;
        case FAILED:
            goto oom;
        case CONVERTED:
            break;
        }
        for (char *p = sn->model; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p + ('a' - 'A'));
        sn->key = keys[i];
        sn->order = n_seen++;
    }
    /* Two keys that name one provider and model ("gpt-4o" and
     * "openai/gpt-4o"): the first in key order is kept. */
    qsort(seen, n_seen, sizeof(*seen), cmp_seen);
    for (size_t i = 1; i < n_seen; i++) {
        if (strcmp(seen[i].provider, seen[i - 1].provider) == 0 &&
            strcmp(seen[i].model, seen[i - 1].model) == 0) {
            char q1[72], q2[72];
            size_t first = i - 1;
            while (seen[first].entry == NULL)
                first--;
            tm__price_quote(seen[i].key, q1, sizeof(q1));
            tm__price_quote(seen[first].key, q2, sizeof(q2));
            snprintf(why, sizeof(why), "%s: the same provider and model (%s/%s) as \"%s\", "
                     "imported already", q1, seen[i].provider, seen[i].model, q2);
            json_decref(seen[i].entry);
            seen[i].entry = NULL;
            if (add_skip(out, why) != TM_OK)
                goto oom;
        }
    }
    qsort(seen, n_seen, sizeof(*seen), cmp_order);
    for (size_t i = 0; i < n_seen; i++) {
        if (seen[i].entry == NULL)
            continue;
        if (json_array_append_new(entries, seen[i].entry) != 0) {
            seen[i].entry = NULL;
            goto oom;
        }
        seen[i].entry = NULL;
    }
    if (json_array_size(entries) == 0) {
        rc = tm_error_set(err, TM_EFORMAT, "%s: no entry with per-token prices to import "
                          "(%zu not token-priced, %zu skipped)", name, out->not_token_priced,
                          out->n_skipped);
        goto out;
    }

    put(&b, "{\n  \"format\": \"" TM_PRICE_FORMAT "\",\n  \"version\": ");
    v = json_string(date);
    put_json(&b, v);
    json_decref(v);
    put(&b, ",\n  \"currency\": \"USD\",\n  \"doc\": ");
    snprintf(why, sizeof(why), "Imported by `tokenmeter prices import` on %s from %s "
             "(LiteLLM's model_prices_and_context_window.json format; rates there are "
             "US dollars per token).", date, source);
    v = json_string(why);
    put_json(&b, v);
    json_decref(v);
    put(&b, ",\n  \"prices\": [\n");
    for (size_t i = 0; i < json_array_size(entries); i++) {
        put(&b, "    ");
        put_json(&b, json_array_get(entries, i));
        put(&b, i + 1 < json_array_size(entries) ? ",\n" : "\n");
    }
    put(&b, "  ]\n}\n");
    if (b.failed)
        goto oom;
    /* The book written must load: the same validation as any book. */
    check = tm_price_book_parse(b.p, b.len, "imported book", err);
    if (check == NULL) {
        rc = err ? err->code : TM_EFORMAT;
        goto out;
    }
    tm_price_book_free(check);
    out->imported = json_array_size(entries);
    out->book = b.p;
    out->book_len = b.len;
    b.p = NULL;
    rc = TM_OK;
    goto out;
oom:
    rc = tm_error_set(err, TM_ENOMEM, "%s: out of memory", name);
out:
    if (rc != TM_OK) {
        char **sk = out->skipped;
        size_t n = out->n_skipped;
        for (size_t i = 0; i < n; i++)
            free(sk[i]);
        free(sk);
        memset(out, 0, sizeof(*out));
    }
    free(b.p);
    free(keys);
    for (size_t i = 0; seen != NULL && i < n_seen; i++)
        json_decref(seen[i].entry);
    free(seen);
    json_decref(entries);
    json_decref(root);
    return rc;
}
