/*
 * The price book (include/tokenmeter/price.h): loading, validation, the
 * name index and the lookup of the entry in effect at a time.
 *
 * File format "tokenmeter-prices/1" (docs/PRICEBOOK.md is the reference):
 *   { "format": "tokenmeter-prices/1", "version": "...", "currency": "USD",
 *     "doc": "...",                                  optional
 *     "prices": [ ENTRY, ... ] }                     1..TM_PRICE_MAX_ENTRIES
 *   ENTRY = { "provider", "model", "aliases"?, "effective", "source",
 *             "as_of", "per_mtok", "batch_multiplier"?, "batch_per_mtok"?,
 *             "tiers"?, "per_request"?, "note"? }
 *
 * Invariants once loaded: every money field was a JSON string holding an
 * exact decimal a picounit-per-token rate can represent; every entry has
 * input and output rates; tiers ascend; no two entries of one provider
 * and model share an effective time; within a provider every name (model
 * or alias, ignoring case) belongs to one model. The parsed JSON tree is
 * kept and the entries' strings point into it.
 *
 * The index: entries are grouped into series (one provider and model),
 * each sorted by effective time; a sorted array of (lower-case name,
 * provider, series) answers a lookup by binary search.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "price/price_int.h"

/* One provider and model: its entries, ascending by effective time. */
struct series {
    const char *provider;
    const char *model;
    size_t *entries; /* indices into book->entries, a slice of book->order */
    size_t n;
};

/* One name a lookup can use. */
struct name_ref {
    char lower[TM_PRICE_MAX_NAME + 1];
    const char *provider;
    size_t series;
    size_t entry; /* the entry that introduced the name, for messages */
};

struct tm_price_book {
    char *name;
    json_t *root;
    const char *version;
    const char *currency;
    struct tm_price_entry *entries;
    size_t n;
    size_t *entry_series; /* series of each entry */
    const char **aliases; /* all entries' aliases */
    struct tm_price_tier *tiers; /* all entries' tiers */
    size_t *order;
    struct series *series;
    size_t n_series;
    struct name_ref *names;
    size_t n_names;
};

static const char *const entry_fields[] = {
    "provider", "model", "aliases", "effective", "source", "as_of", "per_mtok",
    "batch_multiplier", "batch_per_mtok", "tiers", "per_request", "note", NULL,
};

#define ENTRY_FIELD_LIST "provider, model, aliases, effective, source, as_of, " \
                         "per_mtok, batch_multiplier, batch_per_mtok, tiers, "  \
                         "per_request, note"
#define CLASS_LIST "input, cached_input, cache_write_5m, cache_write_1h, output, " \
                   "reasoning, input_audio, output_audio, input_image, output_image"

/* Longest source and note accepted. */
#define SOURCE_MAX 2000
#define NOTE_MAX 4000
/* Largest tier threshold accepted. */
#define TIER_MAX_TOKENS 1000000000000LL

struct check {
    const char *name; /* file name for messages */
    struct tm_error *err;
};

/* "prices[3] (openai/gpt-4o)" for entry i, as far as it can be told. */
static void entry_label(const struct check *c, size_t i, const json_t *entry, char *out,
                        size_t cap)
{
    const json_t *p = json_is_object(entry) ? json_object_get(entry, "provider") : NULL;
    const json_t *m = json_is_object(entry) ? json_object_get(entry, "model") : NULL;
    char qp[72] = "?", qm[72] = "?";

    if (json_is_string(p))
        tm__price_quote(json_string_value(p), qp, sizeof(qp));
    if (json_is_string(m))
        tm__price_quote(json_string_value(m), qm, sizeof(qm));
    if (json_is_string(p) || json_is_string(m))
        snprintf(out, cap, "%s: prices[%zu] (%s/%s)", c->name, i, qp, qm);
    else
        snprintf(out, cap, "%s: prices[%zu]", c->name, i);
}

/* Report a problem with `field` of entry i (NULL: the entry as a whole).
 * Returns TM_EFORMAT. */
static int entry_error(const struct check *c, size_t i, const json_t *entry,
                       const char *field, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static int entry_error(const struct check *c, size_t i, const json_t *entry,
                       const char *field, const char *fmt, ...)
{
    char what[400], label[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    entry_label(c, i, entry, label, sizeof(label));
    return tm_error_set(c->err, TM_EFORMAT, "%s: %s%s%s", label, field ? field : "",
                        field ? ": " : "", what);
}

/* A money error from tm_money_* already names `what`; keep its message
 * but report TM_EFORMAT, as every other problem in a file. */
static int money_error(const struct check *c)
{
    if (c->err != NULL)
        c->err->code = TM_EFORMAT;
    return TM_EFORMAT;
}

/* A required string field. NULL (err filled) when missing or not a string. */
static const char *string_field(const struct check *c, size_t i, const json_t *entry,
                                const char *field, bool required)
{
    const json_t *v = json_object_get(entry, field);

    if (v == NULL) {
        if (required)
            entry_error(c, i, entry, field, "missing (required: provider, model, "
                        "effective, source, as_of, per_mtok)");
        return NULL;
    }
    if (!json_is_string(v)) {
        entry_error(c, i, entry, field, "expected a string, got %s",
                    tm__price_json_kind(v));
        return NULL;
    }
    return json_string_value(v);
}

/* A rates object (per_mtok, batch_per_mtok, a tier's per_mtok): class ->
 * decimal string per million tokens. `field` is its path for messages. */
static int parse_rates(const struct check *c, size_t i, const json_t *entry,
                       const json_t *obj, const char *field, struct tm_price_rates *out)
{
    const char *key;
    json_t *v;

    memset(out, 0, sizeof(*out));
    if (!json_is_object(obj))
        return entry_error(c, i, entry, field, "expected an object of rates per million "
                           "tokens by token class, got %s", tm__price_json_kind(obj));
    json_object_foreach((json_t *)obj, key, v) {
        enum tm_token_class cls;
        char path[120], what[600], label[400];
        if (!tm_price_class_from_name(key, &cls)) {
            char q[72];
            tm__price_quote(key, q, sizeof(q));
            return entry_error(c, i, entry, field, "unknown token class \"%s\" (known: "
                               CLASS_LIST ")", q);
        }
        snprintf(path, sizeof(path), "%s.%s", field, key);
        if (json_is_number(v))
            return entry_error(c, i, entry, path, "expected a decimal string such as "
                               "\"2.50\", got a number (money is written as a JSON "
                               "string so it stays exact)");
        if (!json_is_string(v))
            return entry_error(c, i, entry, path, "expected a decimal string such as "
                               "\"2.50\", got %s", tm__price_json_kind(v));
        entry_label(c, i, entry, label, sizeof(label));
        snprintf(what, sizeof(what), "%s: %s", label, path);
        if (tm_money_parse_per_mtok(json_string_value(v), json_string_length(v), what,
                                    &out->per_token[cls], c->err) != TM_OK)
            return money_error(c);
        out->set |= 1u << cls;
    }
    return TM_OK;
}

/* The optional tiers array of entry i, into tiers[0..*n). */
static int parse_tiers(const struct check *c, size_t i, const json_t *entry,
                       const json_t *arr, struct tm_price_tier *tiers, size_t *n)
{
    size_t count;

    if (!json_is_array(arr))
        return entry_error(c, i, entry, "tiers", "expected an array of tiers, got %s",
                           tm__price_json_kind(arr));
    count = json_array_size(arr);
    if (count > TM_PRICE_MAX_TIERS)
        return entry_error(c, i, entry, "tiers", "%zu tiers; at most %d are allowed",
                           count, TM_PRICE_MAX_TIERS);
    for (size_t t = 0; t < count; t++) {
        const json_t *tier = json_array_get(arr, t), *v;
        const char *key;
        char path[64], sub[96];
        int rc;

        snprintf(path, sizeof(path), "tiers[%zu]", t);
        if (!json_is_object(tier))
            return entry_error(c, i, entry, path, "expected an object, got %s",
                               tm__price_json_kind(tier));
        json_object_foreach((json_t *)tier, key, v) {
            if (strcmp(key, "above_input_tokens") != 0 && strcmp(key, "per_mtok") != 0 &&
                strcmp(key, "batch_per_mtok") != 0) {
                char q[72];
                tm__price_quote(key, q, sizeof(q));
                return entry_error(c, i, entry, path, "unknown field \"%s\" (known: "
                                   "above_input_tokens, per_mtok, batch_per_mtok)", q);
            }
        }
        memset(&tiers[t], 0, sizeof(tiers[t]));
        v = json_object_get(tier, "above_input_tokens");
        snprintf(sub, sizeof(sub), "%s.above_input_tokens", path);
        if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
            json_integer_value(v) > TIER_MAX_TOKENS)
            return entry_error(c, i, entry, sub, "expected a positive integer (tokens, at "
                               "most %lld), got %s", TIER_MAX_TOKENS,
                               v == NULL ? "nothing (field missing)" : json_is_integer(v)
                                   ? "an integer out of range" : tm__price_json_kind(v));
        tiers[t].above_input_tokens = (int64_t)json_integer_value(v);
        if (t > 0 && tiers[t].above_input_tokens <= tiers[t - 1].above_input_tokens)
            return entry_error(c, i, entry, sub, "%lld does not exceed the previous "
                               "tier's %lld; tiers must ascend",
                               (long long)tiers[t].above_input_tokens,
                               (long long)tiers[t - 1].above_input_tokens);
        snprintf(sub, sizeof(sub), "%s.per_mtok", path);
        v = json_object_get(tier, "per_mtok");
        if (v == NULL)
            return entry_error(c, i, entry, sub, "missing");
        if ((rc = parse_rates(c, i, entry, v, sub, &tiers[t].rates)) != TM_OK)
            return rc;
        if (tiers[t].rates.set == 0)
            return entry_error(c, i, entry, sub, "names no token class");
        v = json_object_get(tier, "batch_per_mtok");
        snprintf(sub, sizeof(sub), "%s.batch_per_mtok", path);
        if (v != NULL && (rc = parse_rates(c, i, entry, v, sub, &tiers[t].batch_rates)) != TM_OK)
            return rc;
    }
    *n = count;
    return TM_OK;
}

/* Validate entry i and fill e; aliases go to alias_out (room for
 * TM_PRICE_MAX_ALIASES), tiers to tier_out (TM_PRICE_MAX_TIERS). */
static int check_entry(const struct check *c, size_t i, const json_t *entry,
                       struct tm_price_entry *e, const char **alias_out,
                       struct tm_price_tier *tier_out)
{
    const char *key, *s;
    const json_t *v;
    char label[400], what[600];
    int rc;

    if (!json_is_object(entry))
        return entry_error(c, i, entry, NULL, "expected an object, got %s",
                           tm__price_json_kind(entry));
    json_object_foreach((json_t *)entry, key, v) {
        bool known = false;
        for (int k = 0; entry_fields[k]; k++)
            known = known || strcmp(entry_fields[k], key) == 0;
        if (!known) {
            char q[72];
            tm__price_quote(key, q, sizeof(q));
            return entry_error(c, i, entry, NULL, "unknown field \"%s\" (known: "
                               ENTRY_FIELD_LIST ")", q);
        }
    }
    memset(e, 0, sizeof(*e));
    e->index = i;
    e->note = "";

    if ((s = string_field(c, i, entry, "provider", true)) == NULL)
        return TM_EFORMAT;
    if (!tm__price_provider_valid(s))
        return entry_error(c, i, entry, "provider", "expected a lower-case name such as "
                           "\"openai\" (letters, digits, '.', '_', '-'; at most %d)",
                           TM_PRICE_MAX_NAME);
    e->provider = s;

    if ((s = string_field(c, i, entry, "model", true)) == NULL)
        return TM_EFORMAT;
    if (!tm__price_model_valid(s))
        return entry_error(c, i, entry, "model", "expected 1 to %d printable ASCII "
                           "characters without spaces", TM_PRICE_MAX_NAME);
    e->model = s;

    v = json_object_get(entry, "aliases");
    if (v != NULL) {
        if (!json_is_array(v))
            return entry_error(c, i, entry, "aliases", "expected an array of names, got %s",
                               tm__price_json_kind(v));
        if (json_array_size(v) > TM_PRICE_MAX_ALIASES)
            return entry_error(c, i, entry, "aliases", "%zu names; at most %d are allowed",
                               json_array_size(v), TM_PRICE_MAX_ALIASES);
        for (size_t a = 0; a < json_array_size(v); a++) {
            const json_t *al = json_array_get(v, a);
            char path[40];
            snprintf(path, sizeof(path), "aliases[%zu]", a);
            if (!json_is_string(al))
                return entry_error(c, i, entry, path, "expected a string, got %s",
                                   tm__price_json_kind(al));
            if (!tm__price_model_valid(json_string_value(al)))
                return entry_error(c, i, entry, path, "expected 1 to %d printable ASCII "
                                   "characters without spaces", TM_PRICE_MAX_NAME);
            for (size_t b = 0; b < a; b++)
                if (tm__price_name_equal(alias_out[b], json_string_value(al)))
                    return entry_error(c, i, entry, path, "repeats aliases[%zu] (names "
                                       "ignore case)", b);
            if (tm__price_name_equal(e->model, json_string_value(al)))
                return entry_error(c, i, entry, path, "repeats the model name");
            alias_out[a] = json_string_value(al);
        }
        e->aliases = alias_out;
        e->n_aliases = json_array_size(v);
    }

    if ((s = string_field(c, i, entry, "effective", true)) == NULL)
        return TM_EFORMAT;
    entry_label(c, i, entry, label, sizeof(label));
    snprintf(what, sizeof(what), "%s: effective", label);
    if (tm_price_parse_time(s, what, &e->effective, c->err) != TM_OK)
        return money_error(c);
    e->effective_text = s;

    if ((s = string_field(c, i, entry, "source", true)) == NULL)
        return TM_EFORMAT;
    if (s[0] == '\0' || strlen(s) > SOURCE_MAX || strpbrk(s, "\n\r\t") != NULL)
        return entry_error(c, i, entry, "source", "expected the https URL (or, for an "
                           "imported entry, the file) the price was read from: 1 to %d "
                           "characters on one line", SOURCE_MAX);
    e->source = s;

    if ((s = string_field(c, i, entry, "as_of", true)) == NULL)
        return TM_EFORMAT;
    if (!tm__price_date_valid(s)) {
        char q[72];
        tm__price_quote(s, q, sizeof(q));
        return entry_error(c, i, entry, "as_of", "expected a date YYYY-MM-DD, got \"%s\"", q);
    }
    e->as_of = s;

    v = json_object_get(entry, "note");
    if (v != NULL) {
        if ((s = string_field(c, i, entry, "note", false)) == NULL)
            return TM_EFORMAT;
        if (strlen(s) > NOTE_MAX)
            return entry_error(c, i, entry, "note", "longer than %d bytes", NOTE_MAX);
        e->note = s;
    }

    v = json_object_get(entry, "per_mtok");
    if (v == NULL)
        return entry_error(c, i, entry, "per_mtok", "missing (rates per million tokens, "
                           "at least input and output)");
    if ((rc = parse_rates(c, i, entry, v, "per_mtok", &e->rates)) != TM_OK)
        return rc;
    if (!(e->rates.set & (1u << TM_CLASS_INPUT)))
        return entry_error(c, i, entry, "per_mtok.input", "missing (every entry prices "
                           "input and output)");
    if (!(e->rates.set & (1u << TM_CLASS_OUTPUT)))
        return entry_error(c, i, entry, "per_mtok.output", "missing (every entry prices "
                           "input and output; write \"0\" for a model without output)");

    v = json_object_get(entry, "batch_multiplier");
    if (v != NULL) {
        if (!json_is_string(v))
            return entry_error(c, i, entry, "batch_multiplier", "expected a decimal string "
                               "such as \"0.5\", got %s", tm__price_json_kind(v));
        snprintf(what, sizeof(what), "%s: batch_multiplier", label);
        if (tm_ratio_parse(json_string_value(v), json_string_length(v), false, what,
                           &e->batch_multiplier, c->err) != TM_OK)
            return money_error(c);
        if (e->batch_multiplier.num <= 0 || e->batch_multiplier.num > e->batch_multiplier.den)
            return entry_error(c, i, entry, "batch_multiplier", "must be more than 0 and at "
                               "most 1 (a batch discount), got \"%s\"", json_string_value(v));
        e->has_batch_multiplier = true;
    }
    v = json_object_get(entry, "batch_per_mtok");
    if (v != NULL && (rc = parse_rates(c, i, entry, v, "batch_per_mtok", &e->batch_rates)) != TM_OK)
        return rc;

    v = json_object_get(entry, "tiers");
    if (v != NULL) {
        if ((rc = parse_tiers(c, i, entry, v, tier_out, &e->n_tiers)) != TM_OK)
            return rc;
        e->tiers = tier_out;
    }

    v = json_object_get(entry, "per_request");
    if (v != NULL) {
        if (json_is_number(v))
            return entry_error(c, i, entry, "per_request", "expected a decimal string such "
                               "as \"0.01\", got a number (money is written as a JSON "
                               "string so it stays exact)");
        if (!json_is_string(v))
            return entry_error(c, i, entry, "per_request", "expected a decimal string, got %s",
                               tm__price_json_kind(v));
        snprintf(what, sizeof(what), "%s: per_request", label);
        if (tm_money_parse(json_string_value(v), json_string_length(v), what,
                           &e->per_request, c->err) != TM_OK)
            return money_error(c);
        if (e->per_request < 0)
            return entry_error(c, i, entry, "per_request", "is negative");
    }
    return TM_OK;
}

/* ---- the index ---- */

static void lower_copy(const char *s, char *out)
{
    size_t i = 0;
    for (; s[i] && i < TM_PRICE_MAX_NAME; i++)
        out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + ('a' - 'A') : s[i]);
    out[i] = '\0';
}

/* Sort key of an entry while grouping into series. */
struct entry_key {
    const char *provider;
    char lower[TM_PRICE_MAX_NAME + 1];
    int64_t effective;
    size_t index;
};

/* Order: provider, lower-case model, effective, file position. */
static int cmp_entry_key(const void *pa, const void *pb)
{
    const struct entry_key *a = pa, *b = pb;
    int r = strcmp(a->provider, b->provider);

    if (r == 0)
        r = strcmp(a->lower, b->lower);
    if (r == 0)
        r = (a->effective > b->effective) - (a->effective < b->effective);
    if (r == 0)
        r = (a->index > b->index) - (a->index < b->index);
    return r;
}

/* Order: lower-case name, provider, series. */
static int cmp_name_ref(const void *pa, const void *pb)
{
    const struct name_ref *a = pa, *b = pb;
    int r = strcmp(a->lower, b->lower);

    if (r == 0)
        r = strcmp(a->provider, b->provider);
    if (r == 0)
        r = (a->series > b->series) - (a->series < b->series);
    return r;
}

/* Group entries into series and build the name index; reports duplicate
 * effective times and names shared by two models of one provider. */
static int build_index(const struct check *c, tm_price_book *book, const json_t *prices)
{
    struct entry_key *keys = calloc(book->n, sizeof(*keys));
    size_t n_names = 0, s = 0;
    int rc = TM_ENOMEM;

    book->order = calloc(book->n, sizeof(*book->order));
    book->entry_series = calloc(book->n, sizeof(*book->entry_series));
    book->series = calloc(book->n, sizeof(*book->series));
    if (keys == NULL || book->order == NULL || book->entry_series == NULL ||
        book->series == NULL)
        goto oom;
    for (size_t i = 0; i < book->n; i++) {
        keys[i].provider = book->entries[i].provider;
        lower_copy(book->entries[i].model, keys[i].lower);
        keys[i].effective = book->entries[i].effective;
        keys[i].index = i;
        n_names += 1 + book->entries[i].n_aliases;
    }
    qsort(keys, book->n, sizeof(*keys), cmp_entry_key);
    for (size_t k = 0; k < book->n; k++) {
        size_t i = keys[k].index;
        bool same = k > 0 && strcmp(keys[k].provider, keys[k - 1].provider) == 0 &&
                    strcmp(keys[k].lower, keys[k - 1].lower) == 0;
        if (same && keys[k].effective == keys[k - 1].effective) {
            size_t first = keys[k - 1].index < i ? keys[k - 1].index : i;
            size_t later = keys[k - 1].index < i ? i : keys[k - 1].index;
            rc = entry_error(c, later, json_array_get(prices, later), "effective",
                             "prices[%zu] prices the same provider and model from the "
                             "same time (\"%s\")", first, book->entries[later].effective_text);
            goto out;
        }
        if (!same) {
            book->series[book->n_series].provider = book->entries[i].provider;
            book->series[book->n_series].model = book->entries[i].model;
            book->series[book->n_series].entries = &book->order[k];
            book->n_series++;
        }
        book->series[book->n_series - 1].n++;
        book->order[k] = i;
        book->entry_series[i] = book->n_series - 1;
    }

    book->names = calloc(n_names, sizeof(*book->names));
    if (book->names == NULL)
        goto oom;
    for (size_t i = 0; i < book->n; i++) {
        const struct tm_price_entry *e = &book->entries[i];
        for (size_t a = 0; a <= e->n_aliases; a++) {
            struct name_ref *r = &book->names[book->n_names++];
            lower_copy(a == 0 ? e->model : e->aliases[a - 1], r->lower);
            r->provider = e->provider;
            r->series = book->entry_series[i];
            r->entry = i;
        }
    }
    qsort(book->names, book->n_names, sizeof(*book->names), cmp_name_ref);
    /* Drop repeats of a name within a series (every dated entry of a model
     * names it); a name in two series of one provider is an error. */
    for (size_t k = 0; k < book->n_names; k++) {
        struct name_ref *r = &book->names[k];
        if (s > 0 && strcmp(book->names[s - 1].lower, r->lower) == 0 &&
            strcmp(book->names[s - 1].provider, r->provider) == 0) {
            const struct name_ref *prev = &book->names[s - 1];
            if (prev->series == r->series)
                continue;
            {
                size_t later = prev->entry > r->entry ? prev->entry : r->entry;
                size_t other = prev->entry > r->entry ? r->entry : prev->entry;
                char qo[72];
                tm__price_quote(book->entries[other].model, qo, sizeof(qo));
                rc = entry_error(c, later, json_array_get(prices, later),
                                 tm__price_name_equal(book->entries[later].model, r->lower)
                                     ? "model" : "aliases",
                                 "the name \"%s\" also names prices[%zu] (%s/%s), another "
                                 "model of the same provider (names ignore case)", r->lower,
                                 other, book->entries[other].provider, qo);
                goto out;
            }
        }
        book->names[s++] = *r;
    }
    book->n_names = s;
    rc = TM_OK;
    goto out;
oom:
    rc = tm_error_set(c->err, TM_ENOMEM, "%s: out of memory", c->name);
out:
    free(keys);
    return rc;
}

/* ---- loading ---- */

void tm_price_book_free(tm_price_book *book)
{
    if (book == NULL)
        return;
    json_decref(book->root);
    free(book->entries);
    free(book->entry_series);
    free(book->aliases);
    free(book->tiers);
    free(book->order);
    free(book->series);
    free(book->names);
    free(book->name);
    free(book);
}

/* The top level: format, version, currency, doc, prices. */
static int check_top(const struct check *c, tm_price_book *book, json_t *root,
                     json_t **prices_out)
{
    const char *key;
    json_t *v, *prices;
    char q[72] = "";

    if (!json_is_object(root))
        return tm_error_set(c->err, TM_EFORMAT, "%s: expected a JSON object with \"format\", "
                            "\"version\", \"currency\" and \"prices\", got %s", c->name,
                            tm__price_json_kind(root));
    json_object_foreach(root, key, v) {
        if (strcmp(key, "format") != 0 && strcmp(key, "version") != 0 &&
            strcmp(key, "currency") != 0 && strcmp(key, "doc") != 0 &&
            strcmp(key, "prices") != 0) {
            tm__price_quote(key, q, sizeof(q));
            return tm_error_set(c->err, TM_EFORMAT, "%s: unknown top-level field \"%s\" "
                                "(known: format, version, currency, doc, prices)", c->name, q);
        }
    }
    v = json_object_get(root, "format");
    if (!json_is_string(v) || strcmp(json_string_value(v), TM_PRICE_FORMAT) != 0) {
        if (json_is_string(v))
            tm__price_quote(json_string_value(v), q, sizeof(q));
        return tm_error_set(c->err, TM_EFORMAT, "%s: format: expected \"" TM_PRICE_FORMAT
                            "\", got %s%s%s", c->name, json_is_string(v) ? "\"" : "",
                            v == NULL ? "nothing (field missing)"
                                      : json_is_string(v) ? q : tm__price_json_kind(v),
                            json_is_string(v) ? "\"" : "");
    }
    v = json_object_get(root, "version");
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 100)
        return tm_error_set(c->err, TM_EFORMAT, "%s: version: expected a non-empty string of "
                            "at most 100 characters (such as the date of the book), got %s",
                            c->name, v == NULL ? "nothing (field missing)"
                                               : tm__price_json_kind(v));
    book->version = json_string_value(v);
    v = json_object_get(root, "currency");
    if (!json_is_string(v) || tm_currency_minor_digits(json_string_value(v)) < 0) {
        if (json_is_string(v))
            tm__price_quote(json_string_value(v), q, sizeof(q));
        return tm_error_set(c->err, TM_EFORMAT, "%s: currency: expected an ISO 4217 code "
                            "such as \"USD\", got %s%s%s", c->name,
                            json_is_string(v) ? "\"" : "",
                            v == NULL ? "nothing (field missing)"
                                      : json_is_string(v) ? q : tm__price_json_kind(v),
                            json_is_string(v) ? "\"" : "");
    }
    book->currency = json_string_value(v);
    v = json_object_get(root, "doc");
    if (v != NULL && !json_is_string(v))
        return tm_error_set(c->err, TM_EFORMAT, "%s: doc: expected a string, got %s",
                            c->name, tm__price_json_kind(v));
    prices = json_object_get(root, "prices");
    if (!json_is_array(prices))
        return tm_error_set(c->err, TM_EFORMAT, "%s: prices: expected an array of entries, "
                            "got %s", c->name, prices ? tm__price_json_kind(prices)
                                                      : "nothing (field missing)");
    if (json_array_size(prices) == 0)
        return tm_error_set(c->err, TM_EFORMAT, "%s: prices: the array is empty", c->name);
    if (json_array_size(prices) > TM_PRICE_MAX_ENTRIES)
        return tm_error_set(c->err, TM_ELIMIT, "%s: prices: %zu entries; at most %d are "
                            "allowed", c->name, json_array_size(prices),
                            TM_PRICE_MAX_ENTRIES);
    *prices_out = prices;
    return TM_OK;
}

/* Parse and validate a whole book; nothing is kept unless all of it is
 * valid. */
static tm_price_book *parse(const char *text, size_t len, const char *name,
                            struct tm_error *err)
{
    struct check c = {name, err};
    json_error_t jerr;
    json_t *prices = NULL;
    tm_price_book *book = calloc(1, sizeof(*book));
    size_t n_alias = 0, n_tier = 0;

    if (book == NULL || (book->name = strdup(name)) == NULL) {
        tm_error_set(err, TM_ENOMEM, "%s: out of memory", name);
        goto fail;
    }
    book->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (book->root == NULL) {
        tm_error_set(err, TM_EFORMAT, "%s: not valid JSON: line %d, column %d: %s", name,
                     jerr.line, jerr.column, jerr.text);
        goto fail;
    }
    if (check_top(&c, book, book->root, &prices) != TM_OK)
        goto fail;
    book->n = json_array_size(prices);
    /* Room for every alias and tier an entry may have is counted first, so
     * the entries' pointers into these arrays never move. */
    for (size_t i = 0; i < book->n; i++) {
        const json_t *e = json_array_get(prices, i);
        const json_t *a = json_object_get(e, "aliases"), *t = json_object_get(e, "tiers");
        if (json_is_array(a))
            n_alias += json_array_size(a) < TM_PRICE_MAX_ALIASES ? json_array_size(a)
                                                                 : TM_PRICE_MAX_ALIASES;
        if (json_is_array(t))
            n_tier += json_array_size(t) < TM_PRICE_MAX_TIERS ? json_array_size(t)
                                                              : TM_PRICE_MAX_TIERS;
    }
    book->entries = calloc(book->n, sizeof(*book->entries));
    book->aliases = calloc(n_alias + 1, sizeof(*book->aliases));
    book->tiers = calloc(n_tier + 1, sizeof(*book->tiers));
    if (book->entries == NULL || book->aliases == NULL || book->tiers == NULL) {
        tm_error_set(err, TM_ENOMEM, "%s: out of memory", name);
        goto fail;
    }
    n_alias = n_tier = 0;
    for (size_t i = 0; i < book->n; i++) {
        struct tm_price_entry *e = &book->entries[i];
        if (check_entry(&c, i, json_array_get(prices, i), e, book->aliases + n_alias,
                        book->tiers + n_tier) != TM_OK)
            goto fail;
        n_alias += e->n_aliases;
        n_tier += e->n_tiers;
    }
    if (build_index(&c, book, prices) != TM_OK)
        goto fail;
    return book;
fail:
    tm_price_book_free(book);
    return NULL;
}

/* A book held in memory: the size cap, then the same checks as a file. */
tm_price_book *tm_price_book_parse(const char *text, size_t len, const char *name,
                                   struct tm_error *err)
{
    if (name == NULL)
        name = "price book";
    if (len > TM_PRICE_MAX_BYTES) {
        tm_error_set(err, TM_ELIMIT, "%s: larger than the %u-byte limit for a price book",
                     name, TM_PRICE_MAX_BYTES);
        return NULL;
    }
    return parse(text, len, name, err);
}

/* Read and parse one file. */
static void *open_path(const char *path, struct tm_error *err)
{
    size_t len = 0;
    char *text = tm__core_read_file(path, TM_PRICE_MAX_BYTES, "price book", &len, err);
    tm_price_book *book;

    if (text == NULL)
        return NULL;
    book = parse(text, len, path, err);
    free(text);
    return book;
}

/* The default book: $TOKENMETER_PRICES, the source tree's data, the
 * install's data (the model registry's order). */
tm_price_book *tm_price_book_open(const char *path, struct tm_error *err)
{
    return tm__core_open_default(path, TM_PRICE_ENV, "prices.json", "price book",
                                 "set $" TM_PRICE_ENV " or pass --prices FILE", open_path, err);
}

/* ---- access ---- */

const char *tm_price_book_name(const tm_price_book *book)
{
    return book->name;
}

/* The book's "version" field. */
const char *tm_price_book_version(const tm_price_book *book)
{
    return book->version;
}

/* The book's currency code. */
const char *tm_price_book_currency(const tm_price_book *book)
{
    return book->currency;
}

/* Number of entries in file order. */
size_t tm_price_book_count(const tm_price_book *book)
{
    return book->n;
}

/* The i-th entry in file order. */
const struct tm_price_entry *tm_price_book_entry(const tm_price_book *book, size_t i)
{
    return i < book->n ? &book->entries[i] : NULL;
}

/* The entry of series s in effect at `at`, or NULL before its first. */
static const struct tm_price_entry *series_at(const tm_price_book *book,
                                              const struct series *s, int64_t at)
{
    size_t lo = 0, hi = s->n; /* first entry with effective > at */

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (book->entries[s->entries[mid]].effective <= at)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? NULL : &book->entries[s->entries[lo - 1]];
}

/* Whether e is its series' entry at `at` (listing the book as of a date). */
bool tm_price_book_in_effect(const tm_price_book *book, const struct tm_price_entry *e,
                             int64_t at)
{
    size_t i = e->index;

    if (i >= book->n || &book->entries[i] != e)
        return false; /* not an entry of this book */
    return series_at(book, &book->series[book->entry_series[i]], at) == e;
}

/* Name -> series by binary search over the name index, then the series'
 * entry in effect at `at`; ambiguity and unknown names are reported with
 * what the caller can do about them. */
int tm_price_book_find(const tm_price_book *book, const char *provider,
                       const char *model, int64_t at,
                       const struct tm_price_entry **out, struct tm_error *err)
{
    char lower[TM_PRICE_MAX_NAME + 1], qm[72], qp[72] = "";
    size_t lo = 0, hi = book->n_names, match = SIZE_MAX, n_providers = 0;
    char providers[300] = "";
    const struct tm_price_entry *e;

    tm__price_quote(model, qm, sizeof(qm));
    if (provider != NULL)
        tm__price_quote(provider, qp, sizeof(qp));
    if (strlen(model) > TM_PRICE_MAX_NAME)
        goto unknown;
    lower_copy(model, lower);
    while (lo < hi) { /* first name >= lower */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(book->names[mid].lower, lower) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = lo; k < book->n_names && strcmp(book->names[k].lower, lower) == 0; k++) {
        const struct name_ref *r = &book->names[k];
        if (provider != NULL && strcmp(r->provider, provider) != 0)
            continue;
        if (match == SIZE_MAX)
            match = r->series;
        n_providers++;
        if (strlen(providers) + strlen(r->provider) + 3 < sizeof(providers)) {
            if (providers[0])
                strcat(providers, ", ");
            strcat(providers, r->provider);
        }
    }
    if (match == SIZE_MAX)
        goto unknown;
    if (n_providers > 1)
        return tm_error_set(err, TM_EINVAL, "%s: model \"%s\" is priced by several "
                            "providers (%s); name one with --provider", book->name, qm,
                            providers);
    e = series_at(book, &book->series[match], at);
    if (e == NULL) {
        char when[40], first[40];
        const struct tm_price_entry *f = &book->entries[book->series[match].entries[0]];
        tm_price_format_time(at, false, when, sizeof(when));
        tm_price_format_time(f->effective, false, first, sizeof(first));
        return tm_error_set(err, TM_ERANGE, "%s: no price for %s/%s at %s: its first "
                            "entry (prices[%zu]) takes effect on %s", book->name,
                            f->provider, f->model, when, f->index, first);
    }
    *out = e;
    return TM_OK;
unknown:
    return tm_error_set(err, TM_ENOENT, "%s: no price for model \"%s\"%s%s%s (see "
                        "`tokenmeter prices`)", book->name, qm,
                        provider ? " from provider \"" : "", qp, provider ? "\"" : "");
}
