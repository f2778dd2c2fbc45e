/*
 * Fuzz target: the price module's parsers of outside input
 * (include/tokenmeter/price.h, docs/PRICEBOOK.md).
 *
 * Input: a selector byte, then the file's bytes. The selector picks the
 * parser:
 *   'o'  tenant overrides (tm_price_overrides_parse, currency "USD"),
 *        rated against data/prices.json (FUZZ_PRICES_FILE);
 *   'l'  LiteLLM's community price list (tm_price_import_litellm);
 *   else a price book (tm_price_book_parse).
 *
 * Checks:
 *  - a refused book, overrides file or price list gives NULL (or an error
 *    code) of the documented kinds, with a message that starts with the
 *    file's name (an import that writes a book it cannot load fails this:
 *    that error names "imported book", not the list);
 *  - an accepted book keeps the promises of price.h for every entry: its
 *    index, a valid provider and model, valid distinct aliases, an
 *    effective time that its effective_text parses to, a source, an as_of
 *    date, a note, input and output rates, every rate non-negative, a batch
 *    multiplier in (0, 1], at most 16 tiers with strictly ascending
 *    positive thresholds and at least one rate each, a non-negative fee;
 *  - tm_price_book_find of each entry's provider and model (and of each
 *    alias, in upper case too) at its effective time gives that very entry
 *    (no two entries of a model share an effective time), which is in
 *    effect then; just before it, find gives an earlier entry of the same
 *    model or TM_ERANGE; without a provider, that entry again or
 *    TM_EINVAL (several providers price the name);
 *  - rating a few small usages (plain, every class, batch, above the
 *    highest tier) against each entry either fails with TM_EINVAL or
 *    TM_ERANGE and a message, or gives input and output lines and the other
 *    classes with tokens in class order, each line tokens x unit rate, the
 *    lines plus the fee summing exactly (tm_money_add) to total_cost and
 *    total_price, and the tier applied the highest one below the input;
 *  - with overrides, the provider's side of each rating is the same as
 *    without them, and every tenant rate and fee is non-negative;
 *  - an accepted price list yields a book that loads with
 *    tm_price_book_parse, holds `imported` entries, all with the import's
 *    date and source, and passes every check above.
 */
#include <ctype.h>

#include "tokenmeter/price.h"
#include "fuzz_common.h"

#define BOOK_NAME "fuzz-prices.json"
#define OV_NAME "fuzz-overrides.json"
#define LIST_NAME "fuzz-litellm.json"
#define IMPORT_SOURCE "fuzz-source"
#define IMPORT_DATE "2026-01-01"
#define MAX_FILE (1u << 18)

#ifndef FUZZ_PRICES_FILE
#define FUZZ_PRICES_FILE "data/prices.json"
#endif

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool name_equal(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
    return *a == *b;
}

static bool provider_ok(const char *s)
{
    size_t len = strlen(s);
    return len > 0 && len <= TM_PRICE_MAX_NAME &&
           strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == len && s[0] != '.' &&
           s[0] != '_' && s[0] != '-';
}

static bool model_ok(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > TM_PRICE_MAX_NAME)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

static bool is_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static void check_rates(const struct tm_price_rates *r, size_t i, const char *what)
{
    FUZZ_CHECK((r->set >> TM_CLASS_COUNT) == 0, "prices[%zu].%s: set 0x%x has unknown classes",
               i, what, r->set);
    for (int c = 0; c < TM_CLASS_COUNT; c++)
        if (r->set & (1u << c))
            FUZZ_CHECK(r->per_token[c] >= 0, "prices[%zu].%s.%s is negative", i, what,
                       tm_price_class_name((enum tm_token_class)c));
}

/* The promises of struct tm_price_entry. */
static void check_entry(const tm_price_book *book, size_t i)
{
    const struct tm_price_entry *e = tm_price_book_entry(book, i);
    int64_t t;

    FUZZ_CHECK(e != NULL && e->index == i, "entry %zu missing or misnumbered", i);
    FUZZ_CHECK(provider_ok(e->provider), "prices[%zu]: provider \"%s\"", i, e->provider);
    FUZZ_CHECK(model_ok(e->model), "prices[%zu]: model \"%s\"", i, e->model);
    FUZZ_CHECK(e->n_aliases <= TM_PRICE_MAX_ALIASES, "prices[%zu]: %zu aliases", i,
               e->n_aliases);
    for (size_t a = 0; a < e->n_aliases; a++) {
        FUZZ_CHECK(model_ok(e->aliases[a]), "prices[%zu]: alias \"%s\"", i, e->aliases[a]);
        FUZZ_CHECK(!name_equal(e->aliases[a], e->model), "prices[%zu]: alias repeats model", i);
        for (size_t b = 0; b < a; b++)
            FUZZ_CHECK(!name_equal(e->aliases[a], e->aliases[b]),
                       "prices[%zu]: aliases %zu and %zu repeat", i, a, b);
    }
    FUZZ_CHECK(e->effective_text != NULL &&
                   tm_price_parse_time(e->effective_text, "effective", &t, NULL) == TM_OK &&
                   t == e->effective,
               "prices[%zu]: effective %lld does not come from \"%s\"", i,
               (long long)e->effective, e->effective_text ? e->effective_text : "(null)");
    FUZZ_CHECK(e->effective >= 0 && e->effective <= TM_TIME_MAX,
               "prices[%zu]: effective %lld out of range", i, (long long)e->effective);
    FUZZ_CHECK(e->source != NULL && e->source[0] && strpbrk(e->source, "\r\n") == NULL,
               "prices[%zu]: source", i);
    FUZZ_CHECK(e->as_of != NULL && is_date(e->as_of), "prices[%zu]: as_of \"%s\"", i,
               e->as_of ? e->as_of : "(null)");
    FUZZ_CHECK(e->note != NULL, "prices[%zu]: note is NULL", i);
    check_rates(&e->rates, i, "per_mtok");
    FUZZ_CHECK((e->rates.set & (1u << TM_CLASS_INPUT)) && (e->rates.set & (1u << TM_CLASS_OUTPUT)),
               "prices[%zu]: per_mtok without input or output", i);
    if (e->has_batch_multiplier)
        FUZZ_CHECK(e->batch_multiplier.den > 0 && e->batch_multiplier.num > 0 &&
                       e->batch_multiplier.num <= e->batch_multiplier.den,
                   "prices[%zu]: batch_multiplier %lld/%lld", i,
                   (long long)e->batch_multiplier.num, (long long)e->batch_multiplier.den);
    check_rates(&e->batch_rates, i, "batch_per_mtok");
    FUZZ_CHECK(e->n_tiers <= TM_PRICE_MAX_TIERS, "prices[%zu]: %zu tiers", i, e->n_tiers);
    for (size_t k = 0; k < e->n_tiers; k++) {
        FUZZ_CHECK(e->tiers[k].above_input_tokens > 0, "prices[%zu].tiers[%zu]: threshold %lld",
                   i, k, (long long)e->tiers[k].above_input_tokens);
        FUZZ_CHECK(k == 0 || e->tiers[k].above_input_tokens > e->tiers[k - 1].above_input_tokens,
                   "prices[%zu].tiers[%zu]: does not ascend", i, k);
        FUZZ_CHECK(e->tiers[k].rates.set != 0, "prices[%zu].tiers[%zu]: no rate", i, k);
        check_rates(&e->tiers[k].rates, i, "tiers.per_mtok");
        check_rates(&e->tiers[k].batch_rates, i, "tiers.batch_per_mtok");
    }
    FUZZ_CHECK(e->per_request >= 0, "prices[%zu]: per_request is negative", i);
}

/* Lookups of entry i by its names at and just before its effective time. */
static void check_find(const tm_price_book *book, size_t i)
{
    const struct tm_price_entry *e = tm_price_book_entry(book, i), *hit = NULL;
    struct tm_error err = {0};
    char upper[TM_PRICE_MAX_NAME + 1];
    int rc;

    rc = tm_price_book_find(book, e->provider, e->model, e->effective, &hit, &err);
    FUZZ_CHECK(rc == TM_OK && hit == e, "find %s/%s at its effective gives %s (rc %d: %s)",
               e->provider, e->model, hit ? "another entry" : "nothing", rc, err.message);
    FUZZ_CHECK(tm_price_book_in_effect(book, e, e->effective),
               "prices[%zu] is not in effect at its own effective time", i);
    for (size_t a = 0; a < e->n_aliases; a++) {
        size_t k = 0;
        for (; e->aliases[a][k]; k++)
            upper[k] = (char)toupper((unsigned char)e->aliases[a][k]);
        upper[k] = '\0';
        hit = NULL;
        rc = tm_price_book_find(book, e->provider, upper, e->effective, &hit, &err);
        FUZZ_CHECK(rc == TM_OK && hit == e, "find alias %s/%s gives %s (rc %d: %s)",
                   e->provider, upper, hit ? "another entry" : "nothing", rc, err.message);
    }
    if (e->effective > 0) {
        hit = NULL;
        rc = tm_price_book_find(book, e->provider, e->model, e->effective - 1, &hit, &err);
        if (rc == TM_OK)
            FUZZ_CHECK(hit != e && name_equal(hit->model, e->model) &&
                           strcmp(hit->provider, e->provider) == 0 &&
                           hit->effective < e->effective,
                       "find %s/%s just before prices[%zu] gives prices[%zu]", e->provider,
                       e->model, i, hit->index);
        else
            FUZZ_CHECK(rc == TM_ERANGE && err.message[0],
                       "find %s/%s before its effective: rc %d", e->provider, e->model, rc);
    }
    /* Without a provider: within a provider a name belongs to one model,
     * so the name finds this very entry unless other providers price it. */
    hit = NULL;
    rc = tm_price_book_find(book, NULL, e->model, e->effective, &hit, &err);
    if (rc == TM_OK)
        FUZZ_CHECK(hit == e, "find %s without provider gives prices[%zu] (%s/%s), not "
                   "prices[%zu]", e->model, hit->index, hit->provider, hit->model, i);
    else
        FUZZ_CHECK(rc == TM_EINVAL && err.message[0],
                   "find %s without provider: rc %d: %s", e->model, rc, err.message);
}

/* One rating of entry e; `plain` is the same usage rated without overrides
 * when ov is given (NULL otherwise). */
static void check_rating(const struct tm_price_entry *e, const struct tm_price_usage *u,
                         const tm_price_overrides *ov)
{
    struct tm_price_rating r, base;
    struct tm_error err = {0}, berr = {0};
    tm_money cost = 0, price = 0, x;
    int64_t input = 0;
    int rc = tm_price_rate_entry(e, u, ov, &r, &err), brc = TM_OK;
    int prev = -1;

    if (ov != NULL)
        brc = tm_price_rate_entry(e, u, NULL, &base, &berr);
    if (rc != TM_OK) {
        FUZZ_CHECK((rc == TM_EINVAL || rc == TM_ERANGE) && err.code == rc && err.message[0],
                   "rating prices[%zu] failed with rc %d, message \"%s\"", e->index, rc,
                   err.message);
        /* Overrides only add tenant prices: they cannot make a cost ratable
         * that is not (the other way, a tenant price can overflow). */
        FUZZ_CHECK(ov == NULL || brc != TM_OK || rc == TM_ERANGE,
                   "prices[%zu] rates without overrides but not with them: %s", e->index,
                   err.message);
        return;
    }
    FUZZ_CHECK(ov == NULL || brc == TM_OK, "prices[%zu] rates with overrides only: %s",
               e->index, berr.message);
    FUZZ_CHECK(r.entry == e && r.batch == u->batch, "rating names another entry");
    FUZZ_CHECK(r.n_lines >= 2 && r.n_lines <= TM_CLASS_COUNT, "%zu lines", r.n_lines);
    for (int c = 0; c < TM_CLASS_COUNT; c++)
        if (c == TM_CLASS_INPUT || c == TM_CLASS_CACHED_INPUT || c == TM_CLASS_CACHE_WRITE_5M ||
            c == TM_CLASS_CACHE_WRITE_1H || c == TM_CLASS_INPUT_AUDIO ||
            c == TM_CLASS_INPUT_IMAGE)
            input += u->tokens[c];
    if (r.tier == NULL) {
        for (size_t k = 0; k < e->n_tiers; k++)
            FUZZ_CHECK(input <= e->tiers[k].above_input_tokens,
                       "prices[%zu]: %lld input tokens but no tier applied", e->index,
                       (long long)input);
    } else {
        size_t k = (size_t)(r.tier - e->tiers);
        FUZZ_CHECK(k < e->n_tiers && input > r.tier->above_input_tokens &&
                       (k + 1 == e->n_tiers || input <= e->tiers[k + 1].above_input_tokens),
                   "prices[%zu]: tier %zu applied to %lld input tokens", e->index, k,
                   (long long)input);
    }
    for (size_t k = 0; k < r.n_lines; k++) {
        const struct tm_price_line *l = &r.lines[k];
        FUZZ_CHECK((int)l->cls > prev && (int)l->cls < TM_CLASS_COUNT,
                   "line %zu: class %d out of order", k, (int)l->cls);
        prev = (int)l->cls;
        FUZZ_CHECK(l->tokens == u->tokens[l->cls], "line %zu: %lld tokens, usage has %lld", k,
                   (long long)l->tokens, (long long)u->tokens[l->cls]);
        FUZZ_CHECK(l->unit_cost >= 0 && l->unit_price >= 0, "line %zu: negative rate", k);
        FUZZ_CHECK(tm_money_mul(l->unit_cost, l->tokens, &x) == TM_OK && x == l->cost,
                   "line %zu: cost is not tokens x unit cost", k);
        FUZZ_CHECK(tm_money_mul(l->unit_price, l->tokens, &x) == TM_OK && x == l->price,
                   "line %zu: price is not tokens x unit price", k);
        FUZZ_CHECK(tm_money_add(cost, l->cost, &cost) == TM_OK &&
                       tm_money_add(price, l->price, &price) == TM_OK,
                   "line sums overflow although the total did not");
        if (ov == NULL)
            FUZZ_CHECK(l->unit_price == l->unit_cost && l->price == l->cost,
                       "line %zu: tenant price differs without overrides", k);
        else
            FUZZ_CHECK(k < base.n_lines && base.lines[k].cls == l->cls &&
                           base.lines[k].unit_cost == l->unit_cost &&
                           base.lines[k].cost == l->cost,
                       "line %zu: overrides changed the provider's cost", k);
    }
    FUZZ_CHECK(r.lines[0].cls == TM_CLASS_INPUT, "the first line is not input");
    for (int c = 0; c < TM_CLASS_COUNT; c++) {
        bool want = c == TM_CLASS_INPUT || c == TM_CLASS_OUTPUT || u->tokens[c] != 0;
        bool have = false;
        for (size_t k = 0; k < r.n_lines; k++)
            have = have || (int)r.lines[k].cls == c;
        FUZZ_CHECK(want == have, "class %s: line %s", tm_price_class_name((enum tm_token_class)c),
                   have ? "present without tokens" : "missing");
    }
    FUZZ_CHECK(r.request_cost == e->per_request, "request cost is not the entry's fee");
    FUZZ_CHECK(r.request_price >= 0, "negative tenant fee");
    if (ov == NULL)
        FUZZ_CHECK(r.request_price == r.request_cost, "tenant fee differs without overrides");
    FUZZ_CHECK(tm_money_add(cost, r.request_cost, &cost) == TM_OK && cost == r.total_cost,
               "prices[%zu]: lines and fee do not sum to total_cost", e->index);
    FUZZ_CHECK(tm_money_add(price, r.request_price, &price) == TM_OK && price == r.total_price,
               "prices[%zu]: lines and fee do not sum to total_price", e->index);
    if (ov != NULL)
        FUZZ_CHECK(base.total_cost == r.total_cost, "overrides changed total_cost");
}

/* Rate a few small usages against entry e. */
static void check_ratings(const struct tm_price_entry *e, const tm_price_overrides *ov)
{
    struct tm_price_usage u;

    memset(&u, 0, sizeof(u));
    u.at = e->effective;
    u.tokens[TM_CLASS_INPUT] = 1000;
    u.tokens[TM_CLASS_OUTPUT] = 500;
    check_rating(e, &u, ov);
    u.batch = true;
    check_rating(e, &u, ov);
    u.batch = false;
    for (int c = 0; c < TM_CLASS_COUNT; c++)
        u.tokens[c] = 7 + c;
    check_rating(e, &u, ov);
    u.batch = true;
    check_rating(e, &u, ov);
    if (e->n_tiers > 0) {
        memset(u.tokens, 0, sizeof(u.tokens));
        u.batch = false;
        u.tokens[TM_CLASS_INPUT] = e->tiers[e->n_tiers - 1].above_input_tokens;
        u.tokens[TM_CLASS_CACHED_INPUT] = 1;
        u.tokens[TM_CLASS_REASONING] = 3;
        check_rating(e, &u, ov);
    }
}

static void check_book(const tm_price_book *book, const char *name)
{
    size_t n = tm_price_book_count(book);

    FUZZ_CHECK(n > 0 && n <= TM_PRICE_MAX_ENTRIES, "accepted a book of %zu entries", n);
    FUZZ_CHECK(tm_price_book_entry(book, n) == NULL, "entry past the end is not NULL");
    FUZZ_CHECK(strcmp(tm_price_book_name(book), name) == 0, "book name \"%s\"",
               tm_price_book_name(book));
    FUZZ_CHECK(tm_currency_minor_digits(tm_price_book_currency(book)) >= 0, "currency \"%s\"",
               tm_price_book_currency(book));
    FUZZ_CHECK(tm_price_book_version(book)[0] && strlen(tm_price_book_version(book)) <= 100,
               "version");
    for (size_t i = 0; i < n; i++)
        check_entry(book, i);
    for (size_t i = 0; i < n; i++) {
        check_find(book, i);
        check_ratings(tm_price_book_entry(book, i), NULL);
    }
}

static void fuzz_book(const char *text, size_t len)
{
    struct tm_error err = {0};
    tm_price_book *book = tm_price_book_parse(text, len, BOOK_NAME, &err);

    if (book == NULL) {
        FUZZ_CHECK(err.code == TM_EFORMAT || err.code == TM_ELIMIT || err.code == TM_ENOMEM,
                   "book refused with code %d: %s", err.code, err.message);
        FUZZ_CHECK(starts_with(err.message, BOOK_NAME ": "),
                   "the error does not name the book: %s", err.message);
        return;
    }
    check_book(book, BOOK_NAME);
    tm_price_book_free(book);
}

/* The book overrides are rated against, loaded once. */
static tm_price_book *reference_book(void)
{
    static tm_price_book *book;

    if (book == NULL) {
        struct tm_error err = {0};
        book = tm_price_book_open(FUZZ_PRICES_FILE, &err);
        if (book == NULL) {
            fprintf(stderr, "fuzz: %s\n", err.message);
            abort();
        }
    }
    return book;
}

static void fuzz_overrides(const char *text, size_t len)
{
    struct tm_error err = {0};
    const tm_price_book *book = reference_book();
    tm_price_overrides *ov = tm_price_overrides_parse(text, len, OV_NAME,
                                                      tm_price_book_currency(book), &err);

    if (ov == NULL) {
        FUZZ_CHECK(err.code == TM_EFORMAT || err.code == TM_ELIMIT || err.code == TM_ENOMEM,
                   "overrides refused with code %d: %s", err.code, err.message);
        FUZZ_CHECK(starts_with(err.message, OV_NAME ": "),
                   "the error does not name the overrides file: %s", err.message);
        return;
    }
    for (size_t i = 0; i < tm_price_book_count(book); i++)
        check_ratings(tm_price_book_entry(book, i), ov);
    tm_price_overrides_free(ov);
}

static void fuzz_import(const char *text, size_t len)
{
    struct tm_error err = {0};
    struct tm_price_import imp;
    tm_price_book *book;
    int rc = tm_price_import_litellm(text, len, LIST_NAME, IMPORT_SOURCE, IMPORT_DATE, &imp,
                                     &err);
    int64_t date;

    if (rc != TM_OK) {
        FUZZ_CHECK(rc == TM_EFORMAT || rc == TM_ELIMIT || rc == TM_ENOMEM,
                   "import refused with code %d: %s", rc, err.message);
        FUZZ_CHECK(starts_with(err.message, LIST_NAME ": "),
                   "the error does not name the price list: %s", err.message);
        FUZZ_CHECK(imp.book == NULL && imp.skipped == NULL, "a failed import left output");
        return;
    }
    FUZZ_CHECK(imp.book != NULL && imp.book_len == strlen(imp.book) && imp.imported > 0,
               "import gave %zu entries, book of %zu bytes", imp.imported, imp.book_len);
    for (size_t k = 0; k < imp.n_skipped; k++)
        FUZZ_CHECK(imp.skipped[k] != NULL && imp.skipped[k][0], "skipped[%zu] empty", k);
    book = tm_price_book_parse(imp.book, imp.book_len, "imported.json", &err);
    FUZZ_CHECK(book != NULL, "the imported book does not load: %s", err.message);
    FUZZ_CHECK(tm_price_book_count(book) == imp.imported, "book has %zu entries, import says %zu",
               tm_price_book_count(book), imp.imported);
    FUZZ_CHECK(tm_price_parse_time(IMPORT_DATE, NULL, &date, NULL) == TM_OK, "date");
    for (size_t i = 0; i < tm_price_book_count(book); i++) {
        const struct tm_price_entry *e = tm_price_book_entry(book, i);
        FUZZ_CHECK(e->effective == date && strcmp(e->as_of, IMPORT_DATE) == 0 &&
                       strcmp(e->source, IMPORT_SOURCE) == 0,
                   "imported prices[%zu]: effective, as_of or source not the import's", i);
    }
    check_book(book, "imported.json");
    tm_price_book_free(book);
    tm_price_import_free(&imp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text;

    if (size == 0)
        return 0;
    text = (const char *)data + 1;
    size--;
    if (size > MAX_FILE)
        size = MAX_FILE;
    switch (data[0]) {
    case 'o':
        fuzz_overrides(text, size);
        break;
    case 'l':
        fuzz_import(text, size);
        break;
    default:
        fuzz_book(text, size);
        break;
    }
    return 0;
}
