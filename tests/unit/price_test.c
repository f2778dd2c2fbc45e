/*
 * Unit tests of the price module (include/tokenmeter/price.h).
 *
 * What a user of the price book and the rating engine relies on:
 *  - line items sum exactly to the total, for the provider's cost and the
 *    tenant's price, whatever the usage;
 *  - rating N + M tokens costs exactly rating N plus rating M within a tier
 *    (many random N, M; batch and tenant overrides included);
 *  - a price change at a timestamp: usage before it is rated at the old
 *    rate, usage from it on at the new one; before the first entry is an
 *    error naming the date;
 *  - cached tokens are rated at the cached rate, never at the input rate;
 *    Anthropic's 5-minute and 1-hour cache writes at their own rates;
 *    reasoning always on its own line; long-context tiers for the whole
 *    request; batch multipliers and batch rates; per-request fees;
 *  - lookup by name or alias ignoring case, with ambiguity across
 *    providers reported with the providers;
 *  - bad price books and overrides (tests/data/prices/bad-*.json,
 *    overrides-bad-*.json) are refused whole, each with a message naming
 *    the file, the entry and the field (the expected fragments are in the
 *    .tsv files beside them);
 *  - the LiteLLM importer converts per-token numbers exactly and reports
 *    what it refuses.
 * Book data: tests/data/prices/book.json (TM_TEST_DATA_DIR).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tokenmeter/money.h"
#include "tokenmeter/price.h"

#define PRICES_DIR TM_TEST_DATA_DIR "/prices"
#define BOOK PRICES_DIR "/book.json"

/* Picounits per token of a rate of D dollars per million tokens, written
 * as D * 1e6 (so "2.50" is PER_MTOK(2500000)): integers only. */
#define PER_MTOK(micro_dollars) ((tm_money)(micro_dollars))
/* An amount in picounits from dollars * 1e12 as an integer literal. */
#define PICO(x) ((tm_money)(x))

static tm_price_book *book;

static int setup(void **state)
{
    struct tm_error err = {0};

    (void)state;
    book = tm_price_book_open(BOOK, &err);
    if (book == NULL)
        fprintf(stderr, "%s\n", err.message);
    return book == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    tm_price_book_free(book);
    return 0;
}

static int64_t when(const char *text)
{
    int64_t t = 0;
    struct tm_error err = {0};
    assert_int_equal(tm_price_parse_time(text, "test", &t, &err), TM_OK);
    return t;
}

static struct tm_price_usage usage_at(const char *at)
{
    struct tm_price_usage u;
    memset(&u, 0, sizeof(u));
    u.at = when(at);
    return u;
}

static const struct tm_price_line *line_of(const struct tm_price_rating *r,
                                           enum tm_token_class cls)
{
    for (size_t i = 0; i < r->n_lines; i++)
        if (r->lines[i].cls == cls)
            return &r->lines[i];
    return NULL;
}

static void rate_ok(const char *provider, const char *model, const struct tm_price_usage *u,
                    const tm_price_overrides *ov, struct tm_price_rating *r)
{
    struct tm_error err = {0};
    int rc = tm_price_rate(book, provider, model, u, ov, r, &err);
    if (rc != TM_OK)
        fail_msg("rating %s: %s", model, err.message);
}

/* Sum of lines plus the fee equals the total, for cost and price. */
static void assert_sums(const struct tm_price_rating *r)
{
    tm_money cost = r->request_cost, price = r->request_price;

    for (size_t i = 0; i < r->n_lines; i++) {
        const struct tm_price_line *l = &r->lines[i];
        tm_money c, p;
        assert_int_equal(tm_money_mul(l->unit_cost, l->tokens, &c), TM_OK);
        assert_int_equal(tm_money_mul(l->unit_price, l->tokens, &p), TM_OK);
        assert_true(c == l->cost);
        assert_true(p == l->price);
        assert_int_equal(tm_money_add(cost, l->cost, &cost), TM_OK);
        assert_int_equal(tm_money_add(price, l->price, &price), TM_OK);
    }
    assert_true(cost == r->total_cost);
    assert_true(price == r->total_price);
}

static void assert_money(tm_money got, const char *want)
{
    char buf[TM_MONEY_TEXT_MAX];
    tm_money_format(got, 0, buf);
    assert_string_equal(buf, want);
}

/* ---- loading and lookup ---- */

static void test_book_loads(void **state)
{
    const struct tm_price_entry *e;

    (void)state;
    assert_int_equal(tm_price_book_count(book), 11);
    assert_string_equal(tm_price_book_currency(book), "USD");
    assert_string_equal(tm_price_book_version(book), "2026-11-25-test");
    e = tm_price_book_entry(book, 5);
    assert_string_equal(e->provider, "anthropic");
    assert_string_equal(e->model, "claude-sonnet-4");
    assert_int_equal(e->n_aliases, 1);
    assert_string_equal(e->aliases[0], "claude-sonnet-4-20250514");
    assert_true(e->rates.per_token[TM_CLASS_CACHE_WRITE_1H] == PER_MTOK(6000000));
    assert_int_equal(e->n_tiers, 1);
    assert_int_equal(e->tiers[0].above_input_tokens, 200000);
    assert_int_equal(e->effective, when("2025-05-22T00:00:00Z"));
    assert_null(tm_price_book_entry(book, 11));
}

static void test_lookup(void **state)
{
    const struct tm_price_entry *e = NULL;
    struct tm_error err = {0};
    int64_t t = when("2025-08-01");

    (void)state;
    assert_int_equal(tm_price_book_find(book, NULL, "GPT-4o", t, &e, &err), TM_OK);
    assert_string_equal(e->model, "gpt-4o");
    assert_int_equal(tm_price_book_find(book, NULL, "gpt-4o-2024-08-06", t, &e, &err), TM_OK);
    assert_string_equal(e->model, "gpt-4o");
    /* a dated snapshot priced on its own is not the alias of another */
    assert_int_equal(tm_price_book_find(book, NULL, "gpt-4o-2024-05-13", t, &e, &err), TM_OK);
    assert_string_equal(e->model, "gpt-4o-2024-05-13");
    assert_true(e->rates.per_token[TM_CLASS_INPUT] == PER_MTOK(5000000));
    assert_int_equal(tm_price_book_find(book, "anthropic", "Claude-Sonnet-4-20250514", t, &e,
                                        &err), TM_OK);
    assert_string_equal(e->model, "claude-sonnet-4");

    /* ambiguous across providers: the message lists them */
    assert_int_equal(tm_price_book_find(book, NULL, "llama-3.3-70b", t, &e, &err), TM_EINVAL);
    assert_non_null(strstr(err.message, "groq"));
    assert_non_null(strstr(err.message, "together"));
    assert_non_null(strstr(err.message, "llama-3.3-70b"));
    assert_int_equal(tm_price_book_find(book, "together", "llama-3.3-70b", t, &e, &err), TM_OK);
    assert_true(e->rates.per_token[TM_CLASS_INPUT] == PER_MTOK(880000));
    /* an alias only one provider uses is not ambiguous */
    assert_int_equal(tm_price_book_find(book, NULL, "llama-3.3-70b-versatile", t, &e, &err),
                     TM_OK);
    assert_string_equal(e->provider, "groq");

    assert_int_equal(tm_price_book_find(book, NULL, "no-such-model", t, &e, &err), TM_ENOENT);
    assert_non_null(strstr(err.message, "no-such-model"));
    assert_int_equal(tm_price_book_find(book, "openai", "claude-sonnet-4", t, &e, &err),
                     TM_ENOENT);
    assert_non_null(strstr(err.message, "openai"));

    /* before the first entry: an error naming the first effective date */
    assert_int_equal(tm_price_book_find(book, NULL, "gpt-4o", when("2024-01-01"), &e, &err),
                     TM_ERANGE);
    assert_non_null(strstr(err.message, "2024-05-13"));
    assert_non_null(strstr(err.message, "openai/gpt-4o"));
}

/* The book as of a date: one entry per provider and model. */
static void test_in_effect(void **state)
{
    size_t n = 0;
    int64_t t = when("2024-06-01");

    (void)state;
    for (size_t i = 0; i < tm_price_book_count(book); i++)
        if (tm_price_book_in_effect(book, tm_price_book_entry(book, i), t))
            n++;
    assert_int_equal(n, 2); /* gpt-4o's launch price and its snapshot */
    assert_true(tm_price_book_in_effect(book, tm_price_book_entry(book, 0), t));
    t = when("2025-08-01");
    assert_false(tm_price_book_in_effect(book, tm_price_book_entry(book, 0), t));
    assert_true(tm_price_book_in_effect(book, tm_price_book_entry(book, 1), t));
}

/* ---- rating ---- */

/* A price change: the second before uses the old rate, the change's first
 * second the new one. */
static void test_price_change(void **state)
{
    struct tm_price_usage u = usage_at("2024-10-01T23:59:59Z");
    struct tm_price_rating r;

    (void)state;
    u.tokens[TM_CLASS_INPUT] = 1000000;
    u.tokens[TM_CLASS_OUTPUT] = 1000000;
    rate_ok(NULL, "gpt-4o", &u, NULL, &r);
    assert_string_equal(r.entry->effective_text, "2024-05-13");
    assert_money(r.total_cost, "20"); /* $5 + $15 */
    u.at = when("2024-10-02T00:00:00Z");
    rate_ok(NULL, "gpt-4o", &u, NULL, &r);
    assert_string_equal(r.entry->effective_text, "2024-10-02");
    assert_money(r.total_cost, "12.5"); /* $2.50 + $10 */
    /* an offset time is the same instant in UTC */
    u.at = when("2024-10-01T20:00:00-04:00");
    rate_ok(NULL, "gpt-4o", &u, NULL, &r);
    assert_string_equal(r.entry->effective_text, "2024-10-02");
    u.at = when("2024-10-02T01:59:59+02:00");
    rate_ok(NULL, "gpt-4o", &u, NULL, &r);
    assert_string_equal(r.entry->effective_text, "2024-05-13");
}

/* Cached tokens at the cached rate (gateways that billed cached tokens at
 * the full input rate overcharged by the difference). */
static void test_cached_rate(void **state)
{
    struct tm_price_usage u = usage_at("2025-08-01");
    struct tm_price_rating r;
    const struct tm_price_line *l;

    (void)state;
    u.tokens[TM_CLASS_INPUT] = 200;
    u.tokens[TM_CLASS_CACHED_INPUT] = 800;
    rate_ok(NULL, "gpt-4o", &u, NULL, &r);
    l = line_of(&r, TM_CLASS_CACHED_INPUT);
    assert_non_null(l);
    assert_true(l->unit_cost == PER_MTOK(1250000));
    assert_true(l->unit_cost != line_of(&r, TM_CLASS_INPUT)->unit_cost);
    assert_money(l->cost, "0.001");   /* 800 x $1.25/M */
    assert_money(r.total_cost, "0.0015"); /* + 200 x $2.50/M */
    /* gemini-2.0-flash-lite: $0.01875/M is 18,750 picounits per token */
    rate_ok(NULL, "gemini-2.0-flash-lite", &u, NULL, &r);
    assert_true(line_of(&r, TM_CLASS_CACHED_INPUT)->unit_cost == PER_MTOK(18750));
    assert_money(line_of(&r, TM_CLASS_CACHED_INPUT)->cost, "0.000015");
    /* no cached rate in the entry: the documented fallback is input */
    rate_ok("groq", "llama-3.3-70b", &u, NULL, &r);
    assert_true(line_of(&r, TM_CLASS_CACHED_INPUT)->unit_cost == PER_MTOK(590000));
}

/* Anthropic's cache writes: 5-minute and 1-hour at their own rates, on
 * their own lines. */
static void test_cache_writes(void **state)
{
    struct tm_price_usage u = usage_at("2025-08-01");
    struct tm_price_rating r;

    (void)state;
    u.tokens[TM_CLASS_INPUT] = 10;
    u.tokens[TM_CLASS_CACHE_WRITE_5M] = 50000;
    u.tokens[TM_CLASS_CACHE_WRITE_1H] = 50000;
    u.tokens[TM_CLASS_OUTPUT] = 10;
    rate_ok(NULL, "claude-sonnet-4", &u, NULL, &r);
    assert_null(r.tier);
    assert_non_null(line_of(&r, TM_CLASS_CACHE_WRITE_5M));
    assert_non_null(line_of(&r, TM_CLASS_CACHE_WRITE_1H));
    assert_money(line_of(&r, TM_CLASS_CACHE_WRITE_5M)->cost, "0.1875"); /* $3.75/M */
    assert_money(line_of(&r, TM_CLASS_CACHE_WRITE_1H)->cost, "0.3");    /* $6.00/M */
    assert_money(r.total_cost, "0.48768"); /* + 10 x $3/M + 10 x $15/M */
    assert_sums(&r);
    /* without a 1h rate, 1h writes fall back to the 5m rate, then input */
    rate_ok("groq", "llama-3.3-70b", &u, NULL, &r);
    assert_true(line_of(&r, TM_CLASS_CACHE_WRITE_1H)->unit_cost == PER_MTOK(590000));
}

/* Reasoning tokens are always their own line, even priced as output. */
static void test_reasoning_line(void **state)
{
    struct tm_price_usage u = usage_at("2025-08-01");
    struct tm_price_rating r;
    const struct tm_price_line *l;

    (void)state;
    u.tokens[TM_CLASS_INPUT] = 1000;
    u.tokens[TM_CLASS_OUTPUT] = 300;
    u.tokens[TM_CLASS_REASONING] = 700;
    rate_ok(NULL, "o3-mini", &u, NULL, &r);
    assert_int_equal(r.n_lines, 3);
    l = line_of(&r, TM_CLASS_REASONING);
    assert_non_null(l);
    assert_int_equal(l->tokens, 700);
    assert_true(l->unit_cost == line_of(&r, TM_CLASS_OUTPUT)->unit_cost);
    assert_int_equal(line_of(&r, TM_CLASS_OUTPUT)->tokens, 300);
    assert_money(r.total_cost, "0.0055"); /* 1000 x 1.10 + 1000 x 4.40 per M */
    /* input and output lines appear even with no tokens; others do not */
    memset(u.tokens, 0, sizeof(u.tokens));
    rate_ok(NULL, "o3-mini", &u, NULL, &r);
    assert_int_equal(r.n_lines, 2);
    assert_int_equal(r.lines[0].cls, TM_CLASS_INPUT);
    assert_int_equal(r.lines[1].cls, TM_CLASS_OUTPUT);
    assert_true(r.total_cost == 0);
}

/* Long-context tiers: chosen by all input classes, applied to the whole
 * request; a class the tier does not name keeps the base rate. */
static void test_tiers(void **state)
{
    struct tm_price_usage u = usage_at("2025-08-01");
    struct tm_price_rating r;

    (void)state;
    u.tokens[TM_CLASS_INPUT] = 200000;
    u.tokens[TM_CLASS_OUTPUT] = 1000;
    rate_ok(NULL, "claude-sonnet-4", &u, NULL, &r);
    assert_null(r.tier);
    assert_true(line_of(&r, TM_CLASS_OUTPUT)->unit_cost == PER_MTOK(15000000));
    u.tokens[TM_CLASS_INPUT] = 200001; /* above, not at, the threshold */
    rate_ok(NULL, "claude-sonnet-4", &u, NULL, &r);
    assert_non_null(r.tier);
    assert_true(line_of(&r, TM_CLASS_INPUT)->unit_cost == PER_MTOK(6000000));
    assert_true(line_of(&r, TM_CLASS_OUTPUT)->unit_cost == PER_MTOK(22500000));
    /* cached and cache-write tokens count toward the threshold */
    u.tokens[TM_CLASS_INPUT] = 100000;
    u.tokens[TM_CLASS_CACHED_INPUT] = 60000;
    u.tokens[TM_CLASS_CACHE_WRITE_5M] = 40001;
    rate_ok(NULL, "claude-sonnet-4", &u, NULL, &r);
    assert_non_null(r.tier);
    assert_true(line_of(&r, TM_CLASS_CACHED_INPUT)->unit_cost == PER_MTOK(600000));
    assert_true(line_of(&r, TM_CLASS_CACHE_WRITE_5M)->unit_cost == PER_MTOK(7500000));
    assert_sums(&r);
    /* gemini: cached tokens count toward the threshold too, and the tier's
     * cached rate applies */
    memset(u.tokens, 0, sizeof(u.tokens));
    u.tokens[TM_CLASS_INPUT] = 150000;
    u.tokens[TM_CLASS_CACHED_INPUT] = 60000;
    rate_ok(NULL, "gemini-2.5-pro", &u, NULL, &r);
    assert_non_null(r.tier);
    assert_true(line_of(&r, TM_CLASS_INPUT)->unit_cost == PER_MTOK(2500000));
    assert_true(line_of(&r, TM_CLASS_CACHED_INPUT)->unit_cost == PER_MTOK(625000));
}

/* Batch: a multiplier on every class, or batch rates, tier-aware; a
 * batch request for an entry without a batch price is refused. */
static void test_batch(void **state)
{
    struct tm_price_usage u = usage_at("2025-08-01");
    struct tm_price_rating r;
    struct tm_error err = {0};

    (void)state;
    u.batch = true;
    u.tokens[TM_CLASS_INPUT] = 1000000;
    u.tokens[TM_CLASS_CACHED_INPUT] = 1000000;
    u.tokens[TM_CLASS_OUTPUT] = 1000000;
    rate_ok(NULL, "gpt-4o", &u, NULL, &r);
    assert_true(r.batch);
    assert_money(line_of(&r, TM_CLASS_INPUT)->cost, "1.25");
    assert_money(line_of(&r, TM_CLASS_CACHED_INPUT)->cost, "0.625");
    assert_money(line_of(&r, TM_CLASS_OUTPUT)->cost, "5");
    /* batch rates (gemini), below and above the tier */
    u.tokens[TM_CLASS_CACHED_INPUT] = 0;
    u.tokens[TM_CLASS_INPUT] = 1000;
    rate_ok(NULL, "gemini-2.5-pro", &u, NULL, &r);
    assert_true(line_of(&r, TM_CLASS_INPUT)->unit_cost == PER_MTOK(625000));
    u.tokens[TM_CLASS_INPUT] = 300000;
    rate_ok(NULL, "gemini-2.5-pro", &u, NULL, &r);
    assert_true(line_of(&r, TM_CLASS_INPUT)->unit_cost == PER_MTOK(1250000));
    assert_true(line_of(&r, TM_CLASS_OUTPUT)->unit_cost == PER_MTOK(7500000));
    /* gemini's batch table names no cached rate and there is no
     * multiplier: batch cached tokens cannot be priced */
    u.tokens[TM_CLASS_CACHED_INPUT] = 5;
    assert_int_equal(tm_price_rate(book, NULL, "gemini-2.5-pro", &u, NULL, &r, &err),
                     TM_EINVAL);
    assert_non_null(strstr(err.message, "batch"));
    assert_non_null(strstr(err.message, "cached_input"));
    assert_non_null(strstr(err.message, "google/gemini-2.5-pro"));
    /* no batch price at all */
    u.tokens[TM_CLASS_CACHED_INPUT] = 0;
    assert_int_equal(tm_price_rate(book, NULL, "o3-mini", &u, NULL, &r, &err), TM_EINVAL);
    assert_non_null(strstr(err.message, "openai/o3-mini"));
    assert_non_null(strstr(err.message, "batch_multiplier"));
}

/* Audio and image tokens need a rate of their own. */
static void test_audio(void **state)
{
    struct tm_price_usage u = usage_at("2025-08-01");
    struct tm_price_rating r;
    struct tm_error err = {0};

    (void)state;
    u.tokens[TM_CLASS_INPUT_AUDIO] = 1000;
    u.tokens[TM_CLASS_OUTPUT_AUDIO] = 500;
    rate_ok(NULL, "gpt-4o-realtime-preview", &u, NULL, &r);
    assert_money(line_of(&r, TM_CLASS_INPUT_AUDIO)->cost, "0.04");
    assert_money(line_of(&r, TM_CLASS_OUTPUT_AUDIO)->cost, "0.04");
    assert_int_equal(tm_price_rate(book, NULL, "gpt-4o", &u, NULL, &r, &err), TM_EINVAL);
    assert_non_null(strstr(err.message, "input_audio"));
    assert_non_null(strstr(err.message, "openai/gpt-4o"));
    /* token counts are checked */
    memset(u.tokens, 0, sizeof(u.tokens));
    u.tokens[TM_CLASS_OUTPUT] = -1;
    assert_int_equal(tm_price_rate(book, NULL, "gpt-4o", &u, NULL, &r, &err), TM_EINVAL);
    assert_non_null(strstr(err.message, "output"));
    u.tokens[TM_CLASS_OUTPUT] = TM_PRICE_MAX_TOKENS + 1;
    assert_int_equal(tm_price_rate(book, NULL, "gpt-4o", &u, NULL, &r, &err), TM_EINVAL);
}

static void test_per_request_fee(void **state)
{
    struct tm_price_usage u = usage_at("2025-08-01");
    struct tm_price_rating r;

    (void)state;
    u.tokens[TM_CLASS_INPUT] = 1000;
    u.tokens[TM_CLASS_OUTPUT] = 1000;
    rate_ok(NULL, "sonar", &u, NULL, &r);
    assert_money(r.request_cost, "0.005");
    assert_money(r.total_cost, "0.007");
    assert_sums(&r);
}

/* ---- properties over random usage ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* A token count: mostly small, sometimes large. */
static int64_t rnd_tokens(int64_t max)
{
    switch (rnd() % 4) {
    case 0: return 0;
    case 1: return (int64_t)(rnd() % 100);
    default: return (int64_t)(rnd() % (uint64_t)(max + 1));
    }
}

static const char *const models[] = {
    "gpt-4o", "o3-mini", "claude-sonnet-4", "gemini-2.5-pro", "gemini-2.0-flash-lite",
    "sonar", "gpt-4o-realtime-preview",
};

/* Random usage the model can price (text classes; audio for realtime). */
static void random_usage(const char *model, struct tm_price_usage *u, int64_t max)
{
    static const enum tm_token_class text[] = {
        TM_CLASS_INPUT, TM_CLASS_CACHED_INPUT, TM_CLASS_CACHE_WRITE_5M,
        TM_CLASS_CACHE_WRITE_1H, TM_CLASS_OUTPUT, TM_CLASS_REASONING,
    };
    memset(u->tokens, 0, sizeof(u->tokens));
    for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
        u->tokens[text[i]] = rnd_tokens(max);
    if (strcmp(model, "gpt-4o-realtime-preview") == 0) {
        u->tokens[TM_CLASS_INPUT_AUDIO] = rnd_tokens(max);
        u->tokens[TM_CLASS_OUTPUT_AUDIO] = rnd_tokens(max);
    }
    /* batch where the entry prices every class in batch */
    u->batch = (strcmp(model, "gpt-4o") == 0 || strcmp(model, "claude-sonnet-4") == 0) &&
               rnd() % 2;
}

static tm_price_overrides *load_overrides(void)
{
    struct tm_error err = {0};
    tm_price_overrides *ov = tm_price_overrides_open(PRICES_DIR "/overrides.json", "USD", &err);
    if (ov == NULL)
        fail_msg("%s", err.message);
    return ov;
}

/* Line items sum exactly to the total, over many random records. */
static void test_lines_sum_property(void **state)
{
    tm_price_overrides *ov = load_overrides();
    struct tm_price_usage u = usage_at("2025-08-01");
    struct tm_price_rating r;

    (void)state;
    for (int i = 0; i < 5000; i++) {
        const char *m = models[rnd() % (sizeof(models) / sizeof(models[0]))];
        random_usage(m, &u, i % 2 ? 2000000 : 1000000000000LL);
        rate_ok(NULL, m, &u, i % 3 ? ov : NULL, &r);
        assert_sums(&r);
        if (i % 3 == 0)
            assert_true(r.total_price == r.total_cost);
    }
    tm_price_overrides_free(ov);
}

/* rate(N + M) = rate(N) + rate(M) when N, M and N + M fall in one tier. */
static void test_additive_property(void **state)
{
    tm_price_overrides *ov = load_overrides();
    struct tm_price_usage a = usage_at("2025-08-01"), b = a, s = a;
    struct tm_price_rating ra, rb, rs;
    int checked = 0;

    (void)state;
    for (int i = 0; i < 5000; i++) {
        const char *m = models[rnd() % (sizeof(models) / sizeof(models[0]))];
        const tm_price_overrides *o = i % 2 ? ov : NULL;
        tm_money sum;
        random_usage(m, &a, 30000);
        random_usage(m, &b, 30000);
        b.batch = a.batch;
        s = a;
        for (int c = 0; c < TM_CLASS_COUNT; c++)
            s.tokens[c] = a.tokens[c] + b.tokens[c];
        rate_ok(NULL, m, &a, o, &ra);
        rate_ok(NULL, m, &b, o, &rb);
        rate_ok(NULL, m, &s, o, &rs);
        if (ra.tier != rs.tier || rb.tier != rs.tier)
            continue; /* the sum crossed a tier threshold */
        checked++;
        /* totals, less the per-request fee each rating carries once */
        assert_int_equal(tm_money_add(ra.total_cost, rb.total_cost, &sum), TM_OK);
        assert_int_equal(tm_money_sub(sum, rs.request_cost, &sum), TM_OK);
        assert_true(sum == rs.total_cost);
        assert_int_equal(tm_money_add(ra.total_price, rb.total_price, &sum), TM_OK);
        assert_int_equal(tm_money_sub(sum, rs.request_price, &sum), TM_OK);
        assert_true(sum == rs.total_price);
        /* and line by line */
        for (size_t l = 0; l < rs.n_lines; l++) {
            const struct tm_price_line *la = line_of(&ra, rs.lines[l].cls);
            const struct tm_price_line *lb = line_of(&rb, rs.lines[l].cls);
            tm_money ca = la ? la->cost : 0, cb = lb ? lb->cost : 0;
            assert_true(ca + cb == rs.lines[l].cost);
        }
    }
    assert_true(checked > 4000);
    tm_price_overrides_free(ov);
}

/* ---- tenant overrides ---- */

static void test_overrides(void **state)
{
    tm_price_overrides *ov = load_overrides();
    struct tm_price_usage u = usage_at("2025-08-01");
    struct tm_price_rating r;

    (void)state;
    u.tokens[TM_CLASS_INPUT] = 100000;
    u.tokens[TM_CLASS_CACHED_INPUT] = 100000;
    u.tokens[TM_CLASS_OUTPUT] = 100000;
    /* claude: custom input $4.00 less 10%; other classes +20% less 10% */
    rate_ok(NULL, "claude-sonnet-4", &u, ov, &r);
    assert_null(r.tier);
    assert_money(line_of(&r, TM_CLASS_INPUT)->cost, "0.3");
    assert_money(line_of(&r, TM_CLASS_INPUT)->price, "0.36");
    assert_money(line_of(&r, TM_CLASS_CACHED_INPUT)->price, "0.0324");
    assert_money(line_of(&r, TM_CLASS_OUTPUT)->price, "1.62");
    assert_money(r.total_cost, "1.83");
    assert_money(r.total_price, "2.0124");
    /* openai/gpt-4o: +$0.10/M on every class, its own 0% discount */
    rate_ok(NULL, "gpt-4o", &u, ov, &r);
    assert_true(line_of(&r, TM_CLASS_INPUT)->unit_price == PER_MTOK(2600000));
    assert_true(line_of(&r, TM_CLASS_CACHED_INPUT)->unit_price == PER_MTOK(1350000));
    assert_true(line_of(&r, TM_CLASS_OUTPUT)->unit_price == PER_MTOK(10100000));
    assert_money(r.total_price, "1.405"); /* 0.26 + 0.135 + 1.01 */
    /* the fee: a custom fee, discounted */
    rate_ok(NULL, "sonar", &u, ov, &r);
    assert_money(r.request_cost, "0.005");
    assert_money(r.request_price, "0.009");
    assert_sums(&r);
    /* a rate a percentage leaves between picounits rounds half to even per
     * token: $0.01875/M = 18,750 x 1.2 x 0.9 = 20,250 exactly; and
     * $0.075/M = 75,000 -> 81,000 */
    rate_ok(NULL, "gemini-2.0-flash-lite", &u, ov, &r);
    assert_true(line_of(&r, TM_CLASS_CACHED_INPUT)->unit_price == 20250);
    assert_true(line_of(&r, TM_CLASS_INPUT)->unit_price == 81000);
    tm_price_overrides_free(ov);
}

/* Rounding of a fractional picounit: 1 picounit x 1.5 = 1.5 -> 2 (even),
 * 3 x 1.5 = 4.5 -> 4 (even). */
static void test_override_rounding(void **state)
{
    static const char text[] =
        "{\"format\":\"tokenmeter-prices/1\",\"version\":\"t\",\"currency\":\"USD\","
        "\"prices\":[{\"provider\":\"x\",\"model\":\"a\",\"effective\":\"2025-01-01\","
        "\"source\":\"https://example.com\",\"as_of\":\"2025-01-01\","
        "\"per_mtok\":{\"input\":\"0.000001\",\"output\":\"0.000003\"}}]}";
    static const char otext[] = "{\"markup\": {\"percent\": \"50\"}}";
    struct tm_error err = {0};
    tm_price_book *b = tm_price_book_parse(text, strlen(text), "inline", &err);
    tm_price_overrides *ov = tm_price_overrides_parse(otext, strlen(otext), "inline-ov", "USD",
                                                      &err);
    const struct tm_price_entry *e;
    struct tm_price_usage u = usage_at("2025-02-01");
    struct tm_price_rating r;

    (void)state;
    assert_non_null(b);
    assert_non_null(ov);
    assert_int_equal(tm_price_book_find(b, NULL, "a", u.at, &e, &err), TM_OK);
    u.tokens[TM_CLASS_INPUT] = 10;
    u.tokens[TM_CLASS_OUTPUT] = 10;
    assert_int_equal(tm_price_rate_entry(e, &u, ov, &r, &err), TM_OK);
    assert_true(r.lines[0].unit_price == 2);
    assert_true(r.lines[1].unit_price == 4);
    assert_true(r.total_price == 60);
    tm_price_overrides_free(ov);
    tm_price_book_free(b);
}

/* ---- bad files ---- */

/* Run `check` on every (file, fragment) row of a .tsv; every file matching
 * `prefix`*.json in the directory must have a row. */
static void check_bad_files(const char *tsv, const char *prefix,
                            void (*check)(const char *path, const char *fragment))
{
    char line[1024], path[2048];
    FILE *f = fopen(tsv, "r");
    int rows = 0, files = 0;
    DIR *d;
    struct dirent *de;

    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        char *tab, *nl;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        tab = strchr(line, '\t');
        assert_non_null(tab);
        *tab = '\0';
        if ((nl = strchr(tab + 1, '\n')) != NULL)
            *nl = '\0';
        snprintf(path, sizeof(path), "%s/%s", PRICES_DIR, line);
        check(path, tab + 1);
        rows++;
    }
    fclose(f);
    d = opendir(PRICES_DIR);
    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 && n > 5 &&
            strcmp(de->d_name + n - 5, ".json") == 0)
            files++;
    }
    closedir(d);
    assert_int_equal(rows, files);
    assert_true(rows >= 7);
}

static void check_bad_book(const char *path, const char *fragment)
{
    struct tm_error err = {0};
    tm_price_book *b = tm_price_book_open(path, &err);

    if (b != NULL)
        fail_msg("%s loaded", path);
    assert_int_equal(err.code, TM_EFORMAT);
    if (strncmp(err.message, path, strlen(path)) != 0 || strstr(err.message, fragment) == NULL)
        fail_msg("%s:\n  got:  %s\n  want: %s", path, err.message, fragment);
}

static void test_bad_books(void **state)
{
    (void)state;
    check_bad_files(PRICES_DIR "/bad-expected.tsv", "bad-", check_bad_book);
}

static void check_bad_overrides(const char *path, const char *fragment)
{
    struct tm_error err = {0};
    tm_price_overrides *ov = tm_price_overrides_open(path, "USD", &err);

    if (ov != NULL)
        fail_msg("%s loaded", path);
    assert_int_equal(err.code, TM_EFORMAT);
    if (strncmp(err.message, path, strlen(path)) != 0 || strstr(err.message, fragment) == NULL)
        fail_msg("%s:\n  got:  %s\n  want: %s", path, err.message, fragment);
}

static void test_bad_overrides(void **state)
{
    (void)state;
    check_bad_files(PRICES_DIR "/overrides-bad-expected.tsv", "overrides-bad-",
                    check_bad_overrides);
}

/* Caps and the default location. */
static void test_caps_and_default(void **state)
{
    char dir[] = "/tmp/price_test.XXXXXX", path[256];
    struct tm_error err = {0};
    tm_price_book *b;
    int fd;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/huge.json", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)TM_PRICE_MAX_BYTES + 1), 0);
    close(fd);
    assert_null(tm_price_book_open(path, &err));
    assert_int_equal(err.code, TM_ELIMIT);
    assert_non_null(strstr(err.message, "huge.json"));
    unlink(path);

    assert_int_equal(setenv(TM_PRICE_ENV, BOOK, 1), 0);
    b = tm_price_book_open(NULL, &err);
    assert_non_null(b);
    assert_string_equal(tm_price_book_name(b), BOOK);
    tm_price_book_free(b);
    snprintf(path, sizeof(path), "%s/missing.json", dir);
    assert_int_equal(setenv(TM_PRICE_ENV, path, 1), 0);
    assert_null(tm_price_book_open(NULL, &err));
    assert_int_equal(err.code, TM_ENOENT);
    assert_non_null(strstr(err.message, "TOKENMETER_PRICES"));
    unsetenv(TM_PRICE_ENV);
    rmdir(dir);
}

/* The per-token rate of class cls in e, or -1 when the entry sets none. */
static tm_money shipped_rate(const struct tm_price_entry *e, enum tm_token_class cls)
{
    return (e->rates.set & (1u << cls)) ? e->rates.per_token[cls] : -1;
}

/* The rate of `model` at `at` in the shipped book, per million tokens. */
static void assert_shipped(const tm_price_book *b, const char *provider, const char *model,
                           const char *at, enum tm_token_class cls, const char *per_mtok)
{
    const struct tm_price_entry *e;
    struct tm_error err = {0};
    tm_money want;
    if (tm_price_book_find(b, provider, model, when(at), &e, &err) != TM_OK)
        fail_msg("%s", err.message);
    assert_int_equal(tm_money_parse_per_mtok(per_mtok, strlen(per_mtok), "want", &want, NULL),
                     TM_OK);
    if (shipped_rate(e, cls) != want) {
        char got[TM_MONEY_TEXT_MAX];
        tm_money_format_per_mtok(shipped_rate(e, cls), 2, got);
        fail_msg("%s/%s at %s: %s is %s per million tokens, expected %s", provider, model,
                 at, tm_price_class_name(cls), got, per_mtok);
    }
}

/*
 * The shipped book loads, covers the providers the project promises, and
 * is free of the data mistakes price lists are known for: a rate off by
 * 1000x or priced at $0 (Helicone #5701, #5067), a cached rate above the
 * input rate, a cache write below it. Spot checks of list prices cite the
 * providers' pages.
 */
static void test_shipped_book(void **state)
{
    static const char *const providers[] = {"openai", "anthropic", "google", "mistral",
                                            "deepseek", "xai", "together", "fireworks",
                                            "groq"};
    struct tm_error err = {0};
    tm_price_book *b;
    tm_money max_input, max_output;

    (void)state;
    b = tm_price_book_open(TM_SOURCE_DATA_DIR "/prices.json", &err);
    if (b == NULL)
        fail_msg("%s", err.message);
    assert_true(tm_price_book_count(b) >= 50);
    assert_int_equal(tm_money_parse_per_mtok("200", 3, "max", &max_input, NULL), TM_OK);
    assert_int_equal(tm_money_parse_per_mtok("1000", 4, "max", &max_output, NULL), TM_OK);
    for (size_t p = 0; p < sizeof(providers) / sizeof(providers[0]); p++) {
        bool found = false;
        for (size_t i = 0; i < tm_price_book_count(b); i++)
            found |= strcmp(tm_price_book_entry(b, i)->provider, providers[p]) == 0;
        if (!found)
            fail_msg("the shipped book prices no model of %s", providers[p]);
    }
    for (size_t i = 0; i < tm_price_book_count(b); i++) {
        const struct tm_price_entry *e = tm_price_book_entry(b, i);
        tm_money in = shipped_rate(e, TM_CLASS_INPUT), out = shipped_rate(e, TM_CLASS_OUTPUT);
        tm_money cached = shipped_rate(e, TM_CLASS_CACHED_INPUT);
        tm_money w5 = shipped_rate(e, TM_CLASS_CACHE_WRITE_5M);
        tm_money w1 = shipped_rate(e, TM_CLASS_CACHE_WRITE_1H);
        bool embedding = strstr(e->model, "embed") != NULL;
        if (in <= 0 || in > max_input || out > max_output || (out <= 0 && !embedding) ||
            (!embedding && out < in) || cached > in || (w5 >= 0 && w5 < in) ||
            (w1 >= 0 && w1 < (w5 >= 0 ? w5 : in)) || strncmp(e->source, "https://", 8) != 0)
            fail_msg("prices[%zu] (%s/%s): implausible rates or source", e->index, e->provider,
                     e->model);
    }
    /* https://platform.openai.com/docs/pricing: gpt-4o $2.50/$10, cached $1.25. */
    assert_shipped(b, "openai", "gpt-4o", "2025-06-01", TM_CLASS_INPUT, "2.50");
    assert_shipped(b, "openai", "gpt-4o", "2025-06-01", TM_CLASS_CACHED_INPUT, "1.25");
    assert_shipped(b, "openai", "gpt-4o", "2025-06-01", TM_CLASS_OUTPUT, "10");
    /* o3 from $10/$40 to $2/$8 on 2025-06-10 (OpenAI's o3 price cut). */
    assert_shipped(b, "openai", "o3", "2025-05-01", TM_CLASS_INPUT, "10");
    assert_shipped(b, "openai", "o3", "2025-07-01", TM_CLASS_INPUT, "2");
    assert_shipped(b, "openai", "o3", "2025-07-01", TM_CLASS_OUTPUT, "8");
    /* https://docs.anthropic.com/en/docs/about-claude/pricing: Sonnet 4.5
     * $3 input, $0.30 cache read, $3.75 5-minute write, $6 1-hour write. */
    assert_shipped(b, "anthropic", "claude-sonnet-4-5", "2025-11-01", TM_CLASS_INPUT, "3");
    assert_shipped(b, "anthropic", "claude-sonnet-4-5", "2025-11-01", TM_CLASS_CACHED_INPUT,
                   "0.30");
    assert_shipped(b, "anthropic", "claude-sonnet-4-5", "2025-11-01", TM_CLASS_CACHE_WRITE_5M,
                   "3.75");
    assert_shipped(b, "anthropic", "claude-sonnet-4-5", "2025-11-01", TM_CLASS_CACHE_WRITE_1H,
                   "6");
    assert_shipped(b, "anthropic", "claude-sonnet-4-5", "2025-11-01", TM_CLASS_OUTPUT, "15");
    tm_price_book_free(b);
}

/* ---- time ---- */

static void test_time(void **state)
{
    struct tm_error err = {0};
    int64_t t;
    char buf[40];

    (void)state;
    assert_int_equal(when("1970-01-01"), 0);
    assert_int_equal(when("2000-03-01T00:00:00Z"), 951868800);
    assert_int_equal(when("2024-02-29T12:30:15.999Z"), 1709209815);
    assert_int_equal(when("2024-02-29T14:30:15+02:00"), 1709209815);
    tm_price_format_time(1709209815, false, buf, sizeof(buf));
    assert_string_equal(buf, "2024-02-29T12:30:15Z");
    tm_price_format_time(1709209815, true, buf, sizeof(buf));
    assert_string_equal(buf, "2024-02-29");
    assert_int_equal(tm_price_parse_time("2023-02-29", "--at", &t, &err), TM_EINVAL);
    assert_non_null(strstr(err.message, "--at"));
    assert_non_null(strstr(err.message, "2023-02-29"));
    assert_int_equal(tm_price_parse_time("2024-01-01T10:00:00", "x", &t, &err), TM_EINVAL);
    assert_int_equal(tm_price_parse_time("2024-01-01 10:00", "x", &t, &err), TM_EINVAL);
    assert_int_equal(tm_price_parse_time("", "x", &t, &err), TM_EINVAL);
    assert_int_equal(tm_price_parse_time("2024-01-01Z", "x", &t, &err), TM_EINVAL);
}

/* ---- import ---- */

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static bool skipped_has(const struct tm_price_import *imp, const char *a, const char *b)
{
    for (size_t i = 0; i < imp->n_skipped; i++)
        if (strstr(imp->skipped[i], a) && strstr(imp->skipped[i], b))
            return true;
    return false;
}

static void test_import(void **state)
{
    size_t len;
    char *text = read_all(PRICES_DIR "/litellm-excerpt.json", &len);
    struct tm_price_import imp;
    struct tm_error err = {0};
    tm_price_book *b;
    const struct tm_price_entry *e;
    int64_t t = when("2026-11-25");
    struct tm_price_usage u = usage_at("2026-12-01");
    struct tm_price_rating r;

    (void)state;
    assert_int_equal(tm_price_import_litellm(text, len, "excerpt", "litellm-excerpt.json",
                                             "2026-11-25", &imp, &err), TM_OK);
    assert_int_equal(imp.imported, 10);
    assert_int_equal(imp.n_skipped, 7);
    assert_int_equal(imp.not_token_priced, 2);
    assert_true(skipped_has(&imp, "tiny-rate-model", "finer than one picounit"));
    assert_true(skipped_has(&imp, "negative-rate-model", "negative"));
    assert_true(skipped_has(&imp, "string-rate-model", "expected a number"));
    assert_true(skipped_has(&imp, "no-provider-model", "litellm_provider"));
    assert_true(skipped_has(&imp, "chat-without-output", "output_cost_per_token"));
    assert_true(skipped_has(&imp, "openai/gpt-4o", "same provider and model"));
    assert_true(skipped_has(&imp, "tiered-pricing-model", "tiered_pricing"));

    b = tm_price_book_parse(imp.book, imp.book_len, "imported", &err);
    assert_non_null(b);
    assert_string_equal(tm_price_book_version(b), "2026-11-25");
    /* exact conversion: 2.5e-06 $/token = $2.50/M; 1.875e-08 = $0.01875/M;
     * 1.1e-06 (not exact as a double) = $1.10/M */
    assert_int_equal(tm_price_book_find(b, "openai", "gpt-4o", t, &e, &err), TM_OK);
    assert_true(e->rates.per_token[TM_CLASS_INPUT] == PER_MTOK(2500000));
    assert_true(e->rates.per_token[TM_CLASS_CACHED_INPUT] == PER_MTOK(1250000));
    assert_true(e->has_batch_multiplier);
    assert_string_equal(e->source, "litellm-excerpt.json");
    assert_string_equal(e->as_of, "2026-11-25");
    assert_int_equal(e->effective, t);
    assert_int_equal(tm_price_book_find(b, NULL, "gemini-2.0-flash-lite", t, &e, &err), TM_OK);
    assert_true(e->rates.per_token[TM_CLASS_CACHED_INPUT] == PER_MTOK(18750));
    assert_true(e->rates.per_token[TM_CLASS_INPUT] == PER_MTOK(75000));
    assert_int_equal(tm_price_book_find(b, NULL, "o3-mini", t, &e, &err), TM_OK);
    assert_true(e->rates.per_token[TM_CLASS_INPUT] == PER_MTOK(1100000));
    /* "azure/gpt-4o" is azure's gpt-4o; "gemini/gemini-2.5-pro" gemini's */
    assert_int_equal(tm_price_book_find(b, "azure", "gpt-4o", t, &e, &err), TM_OK);
    assert_int_equal(tm_price_book_find(b, NULL, "gpt-4o", t, &e, &err), TM_EINVAL);
    /* cache writes 5m / 1h and the long-context tier */
    assert_int_equal(tm_price_book_find(b, NULL, "claude-sonnet-4-5", t, &e, &err), TM_OK);
    assert_true(e->rates.per_token[TM_CLASS_CACHE_WRITE_5M] == PER_MTOK(3750000));
    assert_true(e->rates.per_token[TM_CLASS_CACHE_WRITE_1H] == PER_MTOK(6000000));
    assert_int_equal(e->n_tiers, 1);
    assert_int_equal(e->tiers[0].above_input_tokens, 200000);
    assert_true(e->tiers[0].rates.per_token[TM_CLASS_OUTPUT] == PER_MTOK(22500000));
    /* embeddings have no output tokens: output rate 0 */
    assert_int_equal(tm_price_book_find(b, NULL, "text-embedding-ada-002", t, &e, &err), TM_OK);
    assert_true(e->rates.per_token[TM_CLASS_OUTPUT] == 0);
    /* the imported book rates */
    u.tokens[TM_CLASS_INPUT] = 1000;
    u.tokens[TM_CLASS_REASONING] = 1000;
    assert_int_equal(tm_price_rate(b, NULL, "deepseek-reasoner", &u, NULL, &r, &err), TM_OK);
    assert_money(r.total_cost, "0.00274");
    /* before the import date there is no price */
    u.at = when("2026-01-01");
    assert_int_equal(tm_price_rate(b, NULL, "deepseek-reasoner", &u, NULL, &r, &err), TM_ERANGE);
    tm_price_book_free(b);
    tm_price_import_free(&imp);
    free(text);
}

static void test_import_bad(void **state)
{
    struct tm_price_import imp;
    struct tm_error err = {0};
    static const char none[] = "{\"dall-e-3\": {\"litellm_provider\": \"openai\", "
                               "\"mode\": \"image_generation\", \"output_cost_per_image\": 0.04}}";

    (void)state;
    assert_int_equal(tm_price_import_litellm("[1]", 3, "list.json", NULL, "2026-11-25", &imp,
                                             &err), TM_EFORMAT);
    assert_non_null(strstr(err.message, "list.json"));
    assert_int_equal(tm_price_import_litellm("{", 1, "list.json", NULL, "2026-11-25", &imp,
                                             &err), TM_EFORMAT);
    assert_non_null(strstr(err.message, "not valid JSON"));
    assert_int_equal(tm_price_import_litellm(none, strlen(none), "list.json", NULL,
                                             "2026-11-25", &imp, &err), TM_EFORMAT);
    assert_non_null(strstr(err.message, "no entry with per-token prices"));
    assert_int_equal(tm_price_import_litellm("{}", 2, "list.json", NULL, "2026-13-01", &imp,
                                             &err), TM_EINVAL);
    assert_null(imp.book);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_book_loads),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_in_effect),
        cmocka_unit_test(test_price_change),
        cmocka_unit_test(test_cached_rate),
        cmocka_unit_test(test_cache_writes),
        cmocka_unit_test(test_reasoning_line),
        cmocka_unit_test(test_tiers),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_audio),
        cmocka_unit_test(test_per_request_fee),
        cmocka_unit_test(test_lines_sum_property),
        cmocka_unit_test(test_additive_property),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_override_rounding),
        cmocka_unit_test(test_bad_books),
        cmocka_unit_test(test_bad_overrides),
        cmocka_unit_test(test_caps_and_default),
        cmocka_unit_test(test_shipped_book),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_import),
        cmocka_unit_test(test_import_bad),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
