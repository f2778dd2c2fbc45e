/*
 * Unit tests of the plan module (include/tokenmeter/plan.h, docs/PLANS.md):
 * loading and refusing plans, periods in the tenant's zone across DST,
 * usage pricing (markup, graduated and volume tiers on tokens and spend),
 * allowances and overage, per-task fees, grant draw-down and its ledger,
 * rounding once at the edge, overflow.
 *
 * Expected amounts are worked out by hand in the comments next to them.
 * Expected instants were read off `zdump -v` and `date -u -d` (Debian 12,
 * tzdata 2025b). Property tests use a fixed-seed PRNG.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tokenmeter/plan.h"

#define M(s) money(s)
#define DATA TM_TEST_DATA_DIR "/plans/"

/* An amount from decimal text (test helper; the text is trusted). */
static tm_money money(const char *s)
{
    tm_money m = 0;
    struct tm_error err;
    if (tm_money_parse(s, strlen(s), "test", &m, &err) != TM_OK)
        fail_msg("%s", err.message);
    return m;
}

/* Assert an amount equals decimal text, printing both on failure. */
#define assert_money(got, want) assert_money_at((got), (want), __FILE__, __LINE__)
static void assert_money_at(tm_money got, const char *want, const char *file, int line)
{
    char a[TM_MONEY_TEXT_MAX];
    if (got != money(want)) {
        tm_money_format(got, 0, a);
        fail_msg("%s:%d: amount %s, want %s", file, line, a, want);
    }
}

/* Parse a plan from text or fail with the message. */
static tm_plan *plan_text(const char *json)
{
    struct tm_error err = {0};
    tm_plan *p = tm_plan_parse(json, strlen(json), "test-plan", &err);
    if (p == NULL)
        fail_msg("%s", err.message);
    return p;
}

/* An instant from RFC 3339 text. */
static int64_t at(const char *s)
{
    int64_t t;
    struct tm_error err;
    if (tm_time_parse(s, strlen(s), "test", &t, NULL, &err) != TM_OK)
        fail_msg("%s", err.message);
    return t;
}

/* The period of a plan containing an instant. */
static struct tm_plan_period period_of(const tm_plan *p, int64_t t)
{
    struct tm_plan_period pp;
    struct tm_error err;
    if (tm_plan_period_at(p, t, &pp, &err) != TM_OK)
        fail_msg("%s", err.message);
    return pp;
}

/* Compute an invoice or fail. */
static struct tm_plan_invoice *invoice(const tm_plan *p, const struct tm_plan_period *pp,
                                       const struct tm_plan_charge *c, size_t n,
                                       tm_plan_ledger *l, unsigned flags)
{
    struct tm_plan_invoice *inv = NULL;
    struct tm_error err = {0};
    if (tm_plan_invoice_compute(p, pp, c, n, l, flags, &inv, &err) != TM_OK)
        fail_msg("%s", err.message);
    return inv;
}

/* The sum of an invoice's lines must be its subtotal minus grants. */
static void check_sums(const struct tm_plan_invoice *inv)
{
    tm_money sum = 0, grants = 0;
    for (size_t i = 0; i < inv->nlines; i++) {
        sum += inv->lines[i].amount;
        if (inv->lines[i].kind == TM_PLAN_LINE_GRANT)
            grants -= inv->lines[i].amount;
    }
    assert_true(sum == inv->total_exact);
    assert_true(grants == inv->grants_applied);
    assert_true(inv->total - inv->total_exact == inv->rounding);
}

/* xorshift64*. */
static uint64_t rng(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

/* ---------------------------------------------------------------- */

/* The example plan of docs/PLANS.md loads; its March 2026 invoice:
 * rated 45.00 -> usage 54.00 (+20%), allowance covers 40.00, fee 49.00,
 * two successful tasks (one task appears twice) 1.00: subtotal 64.00;
 * "welcome" (priority 1) draws 25.00, then "topup" 39.00. */
static void test_example_plan(void **state)
{
    struct tm_error err = {0};
    tm_plan *p = tm_plan_load(DATA "team-pro.json", &err);
    tm_plan_ledger *l;
    struct tm_plan_invoice *inv;
    struct tm_plan_period pp;
    tm_money bal;
    struct tm_plan_charge c[] = {
        {at("2026-03-01T00:30:00+01:00"), "gpt-4o", 1000, 200, M("10"), M("20"), "t1", true},
        {at("2026-03-15T12:00:00Z"), "gpt-4o", 1000, 200, M("10"), M("15"), "t1", false},
        {at("2026-03-31T23:59:59+02:00"), "gpt-4o", 500, 100, M("5"), M("10"), "t2", true},
        {at("2026-03-20T12:00:00Z"), "gpt-4o", 0, 0, M("0"), M("0"), "t3", false},
    };

    (void)state;
    if (p == NULL)
        fail_msg("%s", err.message);
    assert_string_equal(tm_plan_id(p), "team-pro");
    assert_string_equal(tm_plan_currency(p), "EUR");
    assert_string_equal(tm_tz_name(tm_plan_tz(p)), "Europe/Berlin");
    l = tm_plan_ledger_new(p, &err);
    assert_non_null(l);
    pp = period_of(p, at("2026-03-10T00:00:00Z"));
    assert_int_equal(pp.start, at("2026-02-28T23:00:00Z"));
    assert_int_equal(pp.end, at("2026-03-31T22:00:00Z"));
    inv = invoice(p, &pp, c, 4, l, 0);
    check_sums(inv);
    assert_money(inv->rated, "45");
    assert_money(inv->usage, "54");
    assert_money(inv->allowance_used, "40");
    assert_money(inv->overage, "14");
    assert_int_equal(inv->tasks_billed, 2);
    assert_money(inv->subtotal, "64");
    assert_money(inv->grants_applied, "64");
    assert_money(inv->total, "0");
    assert_int_equal(inv->nlines, 6);
    assert_int_equal(inv->lines[0].kind, TM_PLAN_LINE_FEE);
    assert_int_equal(inv->lines[1].kind, TM_PLAN_LINE_USAGE);
    assert_int_equal(inv->lines[2].kind, TM_PLAN_LINE_ALLOWANCE);
    assert_money(inv->lines[2].amount, "-40");
    assert_int_equal(inv->lines[3].kind, TM_PLAN_LINE_TASK_FEE);
    assert_int_equal(inv->lines[4].kind, TM_PLAN_LINE_GRANT);
    assert_string_equal(inv->lines[4].grant_id, "welcome");
    assert_money(inv->lines[4].amount, "-25");
    assert_string_equal(inv->lines[5].grant_id, "topup-2026-02");
    assert_money(inv->lines[5].amount, "-39");
    assert_string_equal(tm_plan_line_kind_name(inv->lines[3].kind), "task_fee");
    /* topup: 100 - 39 = 61 left, above its rollover cap of 60: 1 forfeited. */
    assert_int_equal(tm_plan_ledger_balance(l, "topup-2026-02", &bal), TM_OK);
    assert_money(bal, "60");
    assert_int_equal(tm_plan_ledger_balance(l, "welcome", &bal), TM_OK);
    assert_money(bal, "0");
    assert_int_equal(tm_plan_ledger_balance(l, "nope", &bal), TM_ENOENT);
    assert_int_equal(tm_plan_ledger_count(l), 5); /* 2 grants, 2 draws, 1 forfeit */
    assert_int_equal(tm_plan_ledger_entry(l, 4)->kind, TM_PLAN_ENTRY_FORFEIT);
    assert_money(tm_plan_ledger_entry(l, 4)->amount, "-1");
    assert_null(tm_plan_ledger_entry(l, 5));
    tm_plan_invoice_free(inv);
    tm_plan_ledger_free(l);
    tm_plan_free(p);
}

/* Bad plans: each refused, naming the field and the cause. */
static void test_bad_plans(void **state)
{
    static const struct { const char *json; const char *field; const char *cause; } bad[] = {
        {"[]", "test-plan", "must be a JSON object"},
        {"{\"format\":\"tokenmeter-plan/2\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\"}",
         "format", "tokenmeter-plan/1"},
        {"{\"format\":\"tokenmeter-plan/1\",\"currency\":\"USD\",\"timezone\":\"UTC\"}",
         "id", "missing"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"XYZ\",\"timezone\":\"UTC\"}",
         "currency", "ISO 4217"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"Mars/Olympus\"}",
         "timezone", "Mars/Olympus"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"colour\":1}", "colour", "unknown field"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"period\":{\"anchor_day\":32}}", "period.anchor_day", "out of range"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"period\":{\"unit\":\"week\"}}", "period.unit", "week"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"rounding\":\"bankers\"}", "rounding", "half_even"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"usage\":{\"markup_percent\":20}}", "usage.markup_percent", "binary float"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"usage\":{\"markup_percent\":\"-5\"}}", "usage.markup_percent", ""},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"usage\":{\"discount_percent\":\"120\"}}", "usage.discount_percent", "negative"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"usage\":{\"basis\":\"list\"}}", "usage.basis", "\"rated\""},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"usage\":{\"markup_percent\":\"5\",\"tiers\":{\"mode\":\"volume\",\"on\":\"tokens\","
         "\"bands\":[{\"per_mtok\":\"1\"}]}}}", "usage", "cannot be combined with tiers"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"usage\":{\"tiers\":{\"mode\":\"stepped\",\"on\":\"tokens\",\"bands\":[]}}}",
         "usage.tiers.mode", "graduated"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"usage\":{\"tiers\":{\"mode\":\"volume\",\"on\":\"tokens\",\"bands\":[]}}}",
         "usage.tiers.bands", "at least one"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"usage\":{\"tiers\":{\"mode\":\"volume\",\"on\":\"tokens\",\"bands\":["
         "{\"up_to\":100,\"per_mtok\":\"1\"},{\"up_to\":100,\"per_mtok\":\"1\"},"
         "{\"per_mtok\":\"1\"}]}}}", "usage.tiers.bands[1].up_to", "not above"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"usage\":{\"tiers\":{\"mode\":\"volume\",\"on\":\"tokens\",\"bands\":["
         "{\"up_to\":100,\"per_mtok\":\"1\"}]}}}", "usage.tiers.bands[0].up_to", "last band"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"usage\":{\"tiers\":{\"mode\":\"volume\",\"on\":\"tokens\",\"bands\":["
         "{\"per_mtok\":\"1\"},{\"per_mtok\":\"1\"}]}}}", "usage.tiers.bands[0].up_to",
         "only the last band"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"usage\":{\"tiers\":{\"mode\":\"volume\",\"on\":\"tokens\",\"bands\":["
         "{\"per_mtok\":\"0.0000001\"}]}}}", "usage.tiers.bands[0].per_mtok", ""},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"usage\":{\"tiers\":{\"mode\":\"volume\",\"on\":\"spend\",\"bands\":["
         "{\"per_mtok\":\"1\"}]}}}", "usage.tiers.bands[0]", "not a per_mtok"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"subscription\":{\"fee\":\"1.5\",\"allowance\":{\"money\":\"10\"}}}",
         "subscription.allowance", "add \"usage\""},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"subscription\":{\"allowance\":{\"money\":\"10\",\"tokens\":5}}}",
         "subscription.allowance", "exactly one"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"usage\":{},\"subscription\":{\"allowance\":{\"tokens\":5,\"overage_per_mtok\":\"1\"}}}",
         "subscription.allowance.overage_per_mtok", "remove \"usage\""},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"subscription\":{\"fee\":\"-1\"}}", "subscription.fee", "negative"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"subscription\":{\"fee\":\"1.5x\"}}", "subscription.fee", ""},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"task_fee\":{\"only_successful\":true}}", "task_fee.amount", "missing"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"grants\":[{\"id\":\"a\",\"amount\":\"5\",\"effective\":\"2026-01-01\"},"
         "{\"id\":\"a\",\"amount\":\"5\",\"effective\":\"2026-01-01\"}]}", "grants[1].id",
         "also grants[0]"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"grants\":[{\"id\":\"a\",\"amount\":\"0\",\"effective\":\"2026-01-01\"}]}",
         "grants[0].amount", "above 0"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"grants\":[{\"id\":\"a\",\"amount\":\"5\",\"effective\":\"2026-02-30\"}]}",
         "grants[0].effective", "not a calendar date"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"grants\":[{\"id\":\"a\",\"amount\":\"5\",\"effective\":\"2026-02-01\","
         "\"expires\":\"2026-01-01T00:00:00Z\"}]}", "grants[0].expires", "not after effective"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"grants\":[{\"id\":\"a\",\"amount\":\"5\"}]}", "grants[0].effective", "missing"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"currency\":\"USD\",\"timezone\":\"UTC\","
         "\"grants\":[{\"id\":\"a\",\"amount\":\"5\",\"effective\":\"2026-01-01\","
         "\"priority\":1.5}]}", "grants[0].priority", "must be an integer"},
        {"{\"format\":\"tokenmeter-plan/1\",\"id\":\"x\",\"id\":\"y\"}", "test-plan",
         "duplicate"},
        {"{\"format\":", "test-plan", "line 1"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tm_error err = {0};
        tm_plan *p = tm_plan_parse(bad[i].json, strlen(bad[i].json), "test-plan", &err);
        if (p != NULL)
            fail_msg("case %zu loaded", i);
        if (err.code >= 0 || strstr(err.message, "test-plan") == NULL ||
            strstr(err.message, bad[i].field) == NULL || strstr(err.message, bad[i].cause) == NULL)
            fail_msg("case %zu: %d \"%s\" (want field \"%s\", cause \"%s\")", i, err.code,
                     err.message, bad[i].field, bad[i].cause);
    }
    {
        struct tm_error err = {0};
        assert_null(tm_plan_load(DATA "no-such-plan.json", &err));
        assert_non_null(strstr(err.message, "no-such-plan.json"));
    }
}

/* 1,000 requests rated 0.004 each are 4.00 (rounding each to cents would
 * give 0.00), plus 20% = 4.80: amounts stay exact until the total. */
static void test_round_once_at_the_edge(void **state)
{
    tm_plan *p = plan_text("{\"format\":\"tokenmeter-plan/1\",\"id\":\"payg\",\"currency\":\"USD\","
                           "\"timezone\":\"UTC\",\"usage\":{\"markup_percent\":\"20\"}}");
    struct tm_plan_charge *c = calloc(1000, sizeof(*c));
    struct tm_plan_period pp = period_of(p, at("2026-05-01T00:00:00Z"));
    struct tm_plan_invoice *inv;

    (void)state;
    for (int i = 0; i < 1000; i++) {
        c[i].at = pp.start + i * 60;
        c[i].input_tokens = 100;
        c[i].output_tokens = 60;
        c[i].rated = M("0.004");
        c[i].cost = M("0.003");
    }
    inv = invoice(p, &pp, c, 1000, NULL, 0);
    check_sums(inv);
    assert_int_equal(inv->tokens, 160000);
    assert_money(inv->rated, "4");
    assert_money(inv->provider_cost, "3");
    assert_money(inv->total, "4.80");
    assert_money(inv->rounding, "0");
    assert_int_equal(inv->minor_digits, 2);
    tm_plan_invoice_free(inv);
    free(c);
    tm_plan_free(p);
}

/* The total is rounded once, by the plan's mode (half-to-even by default),
 * and the difference is shown: 0.125 -> 0.12 (half_even), 0.13 (half_up);
 * 0.135 -> 0.14 both; JPY has no minor unit: 12.5 -> 12. */
static void test_rounding_modes(void **state)
{
    static const struct { const char *cur, *mode, *rated, *total, *diff; } cases[] = {
        {"USD", NULL, "0.125", "0.12", "-0.005"},
        {"USD", "half_up", "0.125", "0.13", "0.005"},
        {"USD", NULL, "0.135", "0.14", "0.005"},
        {"USD", "down", "0.139999999999", "0.13", "-0.009999999999"},
        {"USD", "ceiling", "0.130000000001", "0.14", "0.009999999999"},
        {"JPY", NULL, "12.5", "12", "-0.5"},
        {"JPY", NULL, "13.5", "14", "0.5"},
        {"KWD", NULL, "1.0005", "1.000", "-0.0005"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char json[512];
        tm_plan *p;
        struct tm_plan_period pp;
        struct tm_plan_invoice *inv;
        struct tm_plan_charge c = {0};

        snprintf(json, sizeof(json), "{\"format\":\"tokenmeter-plan/1\",\"id\":\"r\","
                 "\"currency\":\"%s\",\"timezone\":\"UTC\"%s%s%s,\"usage\":{}}", cases[i].cur,
                 cases[i].mode ? ",\"rounding\":\"" : "", cases[i].mode ? cases[i].mode : "",
                 cases[i].mode ? "\"" : "");
        p = plan_text(json);
        pp = period_of(p, at("2026-05-01T00:00:00Z"));
        c.at = pp.start;
        c.rated = M(cases[i].rated);
        inv = invoice(p, &pp, &c, 1, NULL, 0);
        check_sums(inv);
        assert_money(inv->total_exact, cases[i].rated);
        assert_money(inv->total, cases[i].total);
        assert_money(inv->rounding, cases[i].diff);
        tm_plan_invoice_free(inv);
        tm_plan_free(p);
    }
}

/* Token tiers, bands up to 1M at 2.00/M, up to 10M at 1.50/M, then 1.00/M
 * (tests/data/plans/reseller-tiers.json). Graduated 12.5M tokens:
 * 1M x 2 + 9M x 1.5 + 2.5M x 1 = 2 + 13.5 + 2.5 = 18.00. Volume: every
 * token at the band the total falls in, bounds inclusive (Stripe's up_to,
 * https://docs.stripe.com/products-prices/pricing-models#volume-tiers):
 * 12.5M -> 12.50; 1M -> 2.00; 1,000,001 -> 1.5000015. */
static void test_token_tiers(void **state)
{
    static const struct { bool volume; uint64_t tokens; const char *usage; size_t lines; } cases[] = {
        {false, 12500000, "18", 3}, {false, 1000000, "2", 1}, {false, 1000001, "2.0000015", 2},
        {false, 0, "0", 0},         {true, 12500000, "12.5", 1}, {true, 1000000, "2", 1},
        {true, 1000001, "1.5000015", 1}, {true, 10000000, "15", 1}, {true, 0, "0", 0},
    };
    struct tm_error err = {0};
    tm_plan *grad = tm_plan_load(DATA "reseller-tiers.json", &err);
    tm_plan *vol;

    (void)state;
    if (grad == NULL)
        fail_msg("%s", err.message);
    vol = plan_text("{\"format\":\"tokenmeter-plan/1\",\"id\":\"v\",\"currency\":\"USD\","
                    "\"timezone\":\"America/New_York\",\"usage\":{\"tiers\":{\"mode\":\"volume\","
                    "\"on\":\"tokens\",\"bands\":[{\"up_to\":1000000,\"per_mtok\":\"2.00\"},"
                    "{\"up_to\":10000000,\"per_mtok\":\"1.50\"},{\"per_mtok\":\"1.00\"}]}}}");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tm_plan *p = cases[i].volume ? vol : grad;
        struct tm_plan_period pp = period_of(p, at("2026-02-10T00:00:00Z"));
        /* Split the tokens over two charges: tiers apply to the period. */
        struct tm_plan_charge c[2] = {
            {pp.start, "m", cases[i].tokens / 3, 0, 0, M("999"), NULL, false},
            {pp.end - 1, "m", 0, cases[i].tokens - cases[i].tokens / 3, 0, M("1"), NULL, false},
        };
        struct tm_plan_invoice *inv = invoice(p, &pp, c, 2, NULL, 0);

        check_sums(inv);
        assert_int_equal(inv->tokens, cases[i].tokens);
        assert_money(inv->usage, cases[i].usage);
        assert_int_equal(inv->nlines, cases[i].lines);
        for (size_t k = 0; k < inv->nlines; k++)
            assert_int_equal(inv->lines[k].kind, TM_PLAN_LINE_TIER);
        tm_plan_invoice_free(inv);
    }
    tm_plan_free(grad);
    tm_plan_free(vol);
}

/* Spend tiers on the provider's cost: up to 100 at +20%, up to 1000 at
 * +10%, above at -5% (a discount). Graduated cost 1500: 100 x 1.2 +
 * 900 x 1.1 + 500 x 0.95 = 120 + 990 + 475 = 1585. Volume: 1500 x 0.95 =
 * 1425; cost 100 (inclusive bound) -> 120. */
static void test_spend_tiers(void **state)
{
    const char *fmt = "{\"format\":\"tokenmeter-plan/1\",\"id\":\"s\",\"currency\":\"USD\","
                      "\"timezone\":\"UTC\",\"usage\":{\"basis\":\"cost\",\"tiers\":{\"mode\":"
                      "\"%s\",\"on\":\"spend\",\"bands\":[{\"up_to\":\"100\",\"markup_percent\":"
                      "\"20\"},{\"up_to\":\"1000\",\"markup_percent\":\"10\"},"
                      "{\"discount_percent\":\"5\"}]}}}";
    static const struct { const char *mode, *cost, *usage; size_t lines; } cases[] = {
        {"graduated", "1500", "1585", 3}, {"graduated", "100", "120", 1},
        {"graduated", "0.000000000001", "0.000000000001", 1},
        {"volume", "1500", "1425", 1},    {"volume", "100", "120", 1},
        {"volume", "100.000000000001", "110.000000000001", 1},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char json[1024];
        tm_plan *p;
        struct tm_plan_period pp;
        struct tm_plan_charge c = {0};
        struct tm_plan_invoice *inv;

        snprintf(json, sizeof(json), fmt, cases[i].mode);
        p = plan_text(json);
        pp = period_of(p, at("2026-05-01T00:00:00Z"));
        c.at = pp.start;
        c.cost = M(cases[i].cost);
        c.rated = M("123456");
        inv = invoice(p, &pp, &c, 1, NULL, 0);
        check_sums(inv);
        assert_money(inv->usage, cases[i].usage);
        assert_int_equal(inv->nlines, cases[i].lines);
        tm_plan_invoice_free(inv);
        tm_plan_free(p);
    }
}

/* Allowances. Money: fee 49, allowance 40, usage 52.50 -> -40 and 12.50
 * overage, total 61.50; usage 10 -> -10, 30 left, total 49.
 * Tokens with an overage rate: 1M included, 3.00/M beyond: 1.5M tokens ->
 * 0.5M x 3 = 1.50. Tokens without: usage 10.00 for 2M tokens, 1.5M
 * included -> 7.50 covered, 2.50 overage. */
static void test_allowances(void **state)
{
    tm_plan *money_plan = plan_text(
        "{\"format\":\"tokenmeter-plan/1\",\"id\":\"a\",\"currency\":\"USD\",\"timezone\":\"UTC\","
        "\"usage\":{},\"subscription\":{\"fee\":\"49\",\"allowance\":{\"money\":\"40\"}}}");
    tm_plan *rate_plan = plan_text(
        "{\"format\":\"tokenmeter-plan/1\",\"id\":\"b\",\"currency\":\"USD\",\"timezone\":\"UTC\","
        "\"subscription\":{\"fee\":\"20\",\"allowance\":{\"tokens\":1000000,"
        "\"overage_per_mtok\":\"3.00\"}}}");
    tm_plan *share_plan = plan_text(
        "{\"format\":\"tokenmeter-plan/1\",\"id\":\"c\",\"currency\":\"USD\",\"timezone\":\"UTC\","
        "\"usage\":{},\"subscription\":{\"allowance\":{\"tokens\":1500000}}}");
    struct tm_plan_period pp = period_of(money_plan, at("2026-05-01T00:00:00Z"));
    struct tm_plan_charge c = {pp.start, "m", 1000000, 500000, M("1"), M("52.50"), NULL, false};
    struct tm_plan_invoice *inv;

    (void)state;
    inv = invoice(money_plan, &pp, &c, 1, NULL, 0);
    check_sums(inv);
    assert_money(inv->allowance_used, "40");
    assert_money(inv->overage, "12.5");
    assert_money(inv->total, "61.5");
    tm_plan_invoice_free(inv);
    c.rated = M("10");
    inv = invoice(money_plan, &pp, &c, 1, NULL, 0);
    assert_money(inv->allowance_used, "10");
    assert_money(inv->allowance_left, "30");
    assert_money(inv->overage, "0");
    assert_money(inv->total, "49");
    tm_plan_invoice_free(inv);

    inv = invoice(rate_plan, &pp, &c, 1, NULL, 0);
    check_sums(inv);
    assert_int_equal(inv->allowance_tokens_used, 1000000);
    assert_int_equal(inv->allowance_tokens_left, 0);
    assert_int_equal(inv->lines[2].kind, TM_PLAN_LINE_OVERAGE);
    assert_int_equal(inv->lines[2].quantity, 500000);
    assert_money(inv->overage, "1.5");
    assert_money(inv->total, "21.5");
    tm_plan_invoice_free(inv);

    c.output_tokens = 1000000; /* 2M tokens */
    inv = invoice(share_plan, &pp, &c, 1, NULL, 0);
    check_sums(inv);
    assert_money(inv->usage, "10");
    assert_money(inv->lines[1].amount, "-7.5");
    assert_money(inv->overage, "2.5");
    assert_money(inv->total, "2.5");
    tm_plan_invoice_free(inv);
    tm_plan_free(money_plan);
    tm_plan_free(rate_plan);
    tm_plan_free(share_plan);
}

/* Per-task fees: each distinct task id once; outcome-based counts a task
 * when any of its charges is marked successful. Usage need not be billed. */
static void test_task_fees(void **state)
{
    tm_plan *all = plan_text("{\"format\":\"tokenmeter-plan/1\",\"id\":\"t\",\"currency\":\"USD\","
                             "\"timezone\":\"UTC\",\"task_fee\":{\"amount\":\"0.25\"}}");
    tm_plan *ok = plan_text("{\"format\":\"tokenmeter-plan/1\",\"id\":\"o\",\"currency\":\"USD\","
                            "\"timezone\":\"UTC\",\"task_fee\":{\"amount\":\"0.25\","
                            "\"only_successful\":true}}");
    struct tm_plan_period pp = period_of(all, at("2026-05-01T00:00:00Z"));
    struct tm_plan_charge c[] = {
        {pp.start, "m", 1, 1, M("1"), M("1"), "a", false},
        {pp.start, "m", 1, 1, M("1"), M("1"), "a", true},
        {pp.start, "m", 1, 1, M("1"), M("1"), "b", false},
        {pp.start, "m", 1, 1, M("1"), M("1"), "c", true},
        {pp.start, "m", 1, 1, M("1"), M("1"), "", true},
        {pp.start, "m", 1, 1, M("1"), M("1"), NULL, true},
    };
    struct tm_plan_invoice *inv;

    (void)state;
    inv = invoice(all, &pp, c, 6, NULL, 0);
    assert_int_equal(inv->tasks_billed, 3);
    assert_money(inv->total, "0.75");
    assert_int_equal(inv->nlines, 1);
    tm_plan_invoice_free(inv);
    inv = invoice(ok, &pp, c, 6, NULL, 0);
    assert_int_equal(inv->tasks_billed, 2);
    assert_money(inv->total, "0.5");
    tm_plan_invoice_free(inv);
    tm_plan_free(all);
    tm_plan_free(ok);
}

/* Periods in the tenant's zone: boundaries at local midnight, months of
 * uneven hours, anchor days clamped to short months, a boundary on a DST
 * day, midnight skipped (Santiago, Beirut), Lord_Howe's 30 minutes. */
static void test_periods(void **state)
{
    static const struct {
        const char *zone;
        const char *unit;  /* "month" or "day" */
        int anchor;
        const char *when;  /* an instant inside */
        const char *start, *end; /* expected, UTC */
    } cases[] = {
        /* March in Berlin: 31 days minus the hour lost on the 29th. */
        {"Europe/Berlin", "month", 1, "2026-03-15T12:00:00Z", "2026-02-28T23:00:00Z",
         "2026-03-31T22:00:00Z"},
        /* 00:30 local on April 1 is still March 31 in UTC, but April here. */
        {"Europe/Berlin", "month", 1, "2026-03-31T22:30:00Z", "2026-03-31T22:00:00Z",
         "2026-04-30T22:00:00Z"},
        /* Anchor on the DST day itself: the period starts at local midnight
         * of March 29 (still CET), the next at midnight CEST. */
        {"Europe/Berlin", "month", 29, "2026-03-29T00:30:00Z", "2026-03-28T23:00:00Z",
         "2026-04-28T22:00:00Z"},
        /* February has no 29th in 2026: the period before starts Feb 28. */
        {"Europe/Berlin", "month", 29, "2026-03-28T22:59:59Z", "2026-02-27T23:00:00Z",
         "2026-03-28T23:00:00Z"},
        /* New York, November: 30 days plus the hour gained on the 1st. */
        {"America/New_York", "month", 1, "2026-11-01T05:30:00Z", "2026-11-01T04:00:00Z",
         "2026-12-01T05:00:00Z"},
        /* Anchor 31: February ends on the 28th, March returns to the 31st. */
        {"America/New_York", "month", 31, "2026-02-10T00:00:00Z", "2026-01-31T05:00:00Z",
         "2026-02-28T05:00:00Z"},
        {"America/New_York", "month", 31, "2026-03-01T00:00:00Z", "2026-02-28T05:00:00Z",
         "2026-03-31T04:00:00Z"},
        /* Leap February: anchor 30 clamps to the 29th. */
        {"America/New_York", "month", 30, "2024-02-29T04:59:59Z", "2024-01-30T05:00:00Z",
         "2024-02-29T05:00:00Z"},
        /* Santiago: the month anchored on the 6th starts when 2026-09-06
         * begins, at 01:00 -03 (midnight does not exist). */
        {"America/Santiago", "month", 6, "2026-09-20T00:00:00Z", "2026-09-06T04:00:00Z",
         "2026-10-06T03:00:00Z"},
        {"America/Santiago", "day", 0, "2026-09-06T12:00:00Z", "2026-09-06T04:00:00Z",
         "2026-09-07T03:00:00Z"},
        /* The repeated hour 23:00-24:00 on 2026-04-04 belongs to the 4th. */
        {"America/Santiago", "day", 0, "2026-04-05T03:30:00Z", "2026-04-04T03:00:00Z",
         "2026-04-05T04:00:00Z"},
        /* Beirut: March 29 starts at 01:00 EEST; month anchored on the 29th. */
        {"Asia/Beirut", "month", 29, "2026-04-01T00:00:00Z", "2026-03-28T22:00:00Z",
         "2026-04-28T21:00:00Z"},
        {"Asia/Beirut", "day", 0, "2026-03-29T10:00:00Z", "2026-03-28T22:00:00Z",
         "2026-03-29T21:00:00Z"},
        /* Lord Howe: 24.5 h on 2026-04-05, 23.5 h on 2026-10-04. */
        {"Australia/Lord_Howe", "day", 0, "2026-04-05T00:00:00Z", "2026-04-04T13:00:00Z",
         "2026-04-05T13:30:00Z"},
        {"Australia/Lord_Howe", "day", 0, "2026-10-04T00:00:00Z", "2026-10-03T13:30:00Z",
         "2026-10-04T13:00:00Z"},
        {"Australia/Lord_Howe", "month", 1, "2026-04-15T00:00:00Z", "2026-03-31T13:00:00Z",
         "2026-04-30T13:30:00Z"},
        /* A fixed offset: no DST, months of whole days. */
        {"+05:30", "month", 1, "2026-03-31T20:00:00Z", "2026-03-31T18:30:00Z",
         "2026-04-30T18:30:00Z"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char json[512];
        tm_plan *p;
        struct tm_plan_period pp;

        if (strcmp(cases[i].unit, "day") == 0)
            snprintf(json, sizeof(json), "{\"format\":\"tokenmeter-plan/1\",\"id\":\"p\","
                     "\"currency\":\"USD\",\"timezone\":\"%s\",\"period\":{\"unit\":\"day\"}}",
                     cases[i].zone);
        else
            snprintf(json, sizeof(json), "{\"format\":\"tokenmeter-plan/1\",\"id\":\"p\","
                     "\"currency\":\"USD\",\"timezone\":\"%s\",\"period\":{\"anchor_day\":%d}}",
                     cases[i].zone, cases[i].anchor);
        p = plan_text(json);
        pp = period_of(p, at(cases[i].when));
        if (pp.start != at(cases[i].start) || pp.end != at(cases[i].end)) {
            char a[TM_TIME_TEXT_MAX], b[TM_TIME_TEXT_MAX];
            tm_time_format(pp.start, 0, 0, a);
            tm_time_format(pp.end, 0, 0, b);
            fail_msg("case %zu (%s %s %d at %s): [%s, %s), want [%s, %s)", i, cases[i].zone,
                     cases[i].unit, cases[i].anchor, cases[i].when, a, b, cases[i].start,
                     cases[i].end);
        }
        tm_plan_free(p);
    }
}

/* Property: in every zone and anchor, periods tile time: the period of t
 * contains t, the next period starts where it ends, each starts on its
 * anchor date (clamped) at the first instant of that local day. */
static void test_periods_tile(void **state)
{
    static const char *const zones[] = {"Europe/Berlin", "America/New_York",
                                        "Australia/Lord_Howe", "America/Santiago",
                                        "Asia/Beirut", "Pacific/Apia", "UTC", "Pacific/Chatham"};
    static const int anchors[] = {0, 1, 6, 28, 29, 30, 31};
    uint64_t seed = 7;

    (void)state;
    for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
        for (size_t a = 0; a < sizeof(anchors) / sizeof(anchors[0]); a++) {
            char json[512];
            tm_plan *p;
            struct tm_error err;

            snprintf(json, sizeof(json), "{\"format\":\"tokenmeter-plan/1\",\"id\":\"p\","
                     "\"currency\":\"USD\",\"timezone\":\"%s\",\"period\":%s%d}}", zones[z],
                     anchors[a] ? "{\"anchor_day\":" : "{\"unit\":\"day\"", anchors[a]);
            if (anchors[a] == 0)
                snprintf(json, sizeof(json), "{\"format\":\"tokenmeter-plan/1\",\"id\":\"p\","
                         "\"currency\":\"USD\",\"timezone\":\"%s\",\"period\":{\"unit\":"
                         "\"day\"}}", zones[z]);
            p = plan_text(json);
            for (int i = 0; i < 3000; i++) {
                int64_t t = at("2000-01-01T00:00:00Z") +
                            (int64_t)(rng(&seed) % (uint64_t)(40LL * 366 * 86400));
                struct tm_plan_period pp, next, prev;
                struct tm_local l;
                int64_t s;

                pp = period_of(p, t);
                assert_true(pp.start <= t && t < pp.end);
                next = period_of(p, pp.end);
                assert_int_equal(next.start, pp.end);
                assert_memory_equal(&next.start_date, &pp.end_date, sizeof(pp.end_date));
                prev = period_of(p, pp.start - 1);
                assert_int_equal(prev.end, pp.start);
                assert_int_equal(tm_tz_day_start(tm_plan_tz(p), &pp.start_date, &s, &err),
                                 TM_OK);
                assert_int_equal(s, pp.start);
                if (anchors[a] != 0) {
                    /* Starts at the clamped anchor day (or the day after, when
                     * that date was skipped: Apia 2011-12-30). */
                    int dim = tm_days_in_month(pp.start_date.year, pp.start_date.month);
                    struct tm_date ad = pp.start_date;
                    ad.day = anchors[a] < dim ? anchors[a] : dim;
                    assert_int_equal(tm_tz_day_start(tm_plan_tz(p), &ad, &s, &err), TM_OK);
                    if (s != pp.start)
                        fail_msg("%s anchor %d: period starts %04d-%02d-%02d", zones[z],
                                 anchors[a], (int)pp.start_date.year, pp.start_date.month,
                                 pp.start_date.day);
                    assert_true(pp.end - pp.start >= 27 * 86400 &&
                                pp.end - pp.start <= 31 * 86400 + 2 * 3600);
                } else {
                    assert_true(pp.end - pp.start >= 22 * 3600 &&
                                pp.end - pp.start <= 26 * 3600);
                }
                assert_int_equal(tm_tz_to_local(tm_plan_tz(p), pp.start, &l), TM_OK);
                assert_true(l.civil.year == pp.start_date.year &&
                            l.civil.month == pp.start_date.month &&
                            l.civil.day == pp.start_date.day);
            }
            tm_plan_free(p);
        }
    }
}

/* Grant draw-down: order by priority, then expiry, then effective, then
 * id; expired grants and grants not yet effective are not drawn; the
 * ledger records draws, forfeits above the rollover cap, and expiries. */
static void test_grants(void **state)
{
    tm_plan *p = plan_text(
        "{\"format\":\"tokenmeter-plan/1\",\"id\":\"g\",\"currency\":\"USD\","
        "\"timezone\":\"Europe/Berlin\",\"usage\":{},\"grants\":["
        "{\"id\":\"late\",\"amount\":\"50\",\"priority\":0,\"effective\":\"2026-06-01\"},"
        "{\"id\":\"zeta\",\"amount\":\"10\",\"priority\":2,\"effective\":\"2026-01-01\"},"
        "{\"id\":\"alpha\",\"amount\":\"10\",\"priority\":2,\"effective\":\"2026-01-01\"},"
        "{\"id\":\"soon\",\"amount\":\"10\",\"priority\":2,\"effective\":\"2026-01-01\","
        "\"expires\":\"2026-06-01\"},"
        "{\"id\":\"old\",\"amount\":\"10\",\"priority\":2,\"effective\":\"2025-01-01\"},"
        "{\"id\":\"first\",\"amount\":\"5\",\"priority\":1,\"effective\":\"2026-01-01\","
        "\"rollover_cap\":\"0\"},"
        "{\"id\":\"gone\",\"amount\":\"99\",\"priority\":0,\"effective\":\"2026-01-01\","
        "\"expires\":\"2026-04-15T00:00:00Z\"}]}");
    struct tm_error err = {0};
    tm_plan_ledger *l = tm_plan_ledger_new(p, &err);
    struct tm_plan_period apr = period_of(p, at("2026-04-10T00:00:00Z"));
    struct tm_plan_period may = period_of(p, at("2026-05-10T00:00:00Z"));
    struct tm_plan_charge c = {apr.start, "m", 10, 10, M("1"), M("27.5"), NULL, false};
    struct tm_plan_invoice *inv;
    tm_money bal;
    size_t n0;
    static const char *const order[] = {"first", "soon", "old", "alpha"};
    static const char *const amounts[] = {"-5", "-10", "-10", "-2.5"};

    (void)state;
    assert_non_null(l);
    n0 = tm_plan_ledger_count(l);
    /* A preview computes the same lines but appends nothing. */
    inv = invoice(p, &apr, &c, 1, l, TM_PLAN_PREVIEW);
    assert_int_equal(tm_plan_ledger_count(l), n0);
    tm_plan_invoice_free(inv);
    /* April: "gone" expires mid-April (before the period's end): not drawn.
     * "late" is not yet effective. 27.50 is drawn from: first (priority 1)
     * 5, then priority 2 by expiry: soon 10, then by effective: old 10,
     * then by id: alpha 2.50 (zeta untouched). */
    inv = invoice(p, &apr, &c, 1, l, 0);
    check_sums(inv);
    assert_int_equal(inv->nlines, 1 + 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(inv->lines[1 + i].kind, TM_PLAN_LINE_GRANT);
        assert_string_equal(inv->lines[1 + i].grant_id, order[i]);
        assert_money(inv->lines[1 + i].amount, amounts[i]);
    }
    assert_money(inv->total, "0");
    tm_plan_invoice_free(inv);
    assert_int_equal(tm_plan_ledger_balance(l, "alpha", &bal), TM_OK);
    assert_money(bal, "7.5");
    assert_int_equal(tm_plan_ledger_balance(l, "zeta", &bal), TM_OK);
    assert_money(bal, "10");
    assert_int_equal(tm_plan_ledger_balance(l, "gone", &bal), TM_OK);
    assert_money(bal, "0"); /* expired: the whole 99 written off */
    /* Entries: 4 draws, then "gone" expired (first had nothing left to
     * forfeit under its cap of 0). */
    assert_int_equal(tm_plan_ledger_count(l), n0 + 5);
    assert_int_equal(tm_plan_ledger_entry(l, n0 + 4)->kind, TM_PLAN_ENTRY_EXPIRE);
    assert_string_equal(tm_plan_ledger_entry(l, n0 + 4)->grant_id, "gone");
    assert_money(tm_plan_ledger_entry(l, n0 + 4)->amount, "-99");
    assert_int_equal(tm_plan_ledger_entry(l, n0)->period_start, apr.start);

    /* The same period again is refused, and changes nothing. */
    n0 = tm_plan_ledger_count(l);
    assert_int_equal(tm_plan_invoice_compute(p, &apr, &c, 1, l, 0, &inv, &err), TM_EINVAL);
    assert_non_null(strstr(err.message, "already drawn"));
    assert_int_equal(tm_plan_ledger_count(l), n0);

    /* May: 12.00 due. "soon" expired on June 1 local = the period's end:
     * it is still usable; its 0 left. alpha 7.50, zeta 4.50. */
    c.at = may.start;
    c.rated = M("12");
    inv = invoice(p, &may, &c, 1, l, 0);
    check_sums(inv);
    assert_int_equal(inv->nlines, 3);
    assert_string_equal(inv->lines[1].grant_id, "alpha");
    assert_money(inv->lines[1].amount, "-7.5");
    assert_string_equal(inv->lines[2].grant_id, "zeta");
    assert_money(inv->lines[2].amount, "-4.5");
    tm_plan_invoice_free(inv);
    tm_plan_ledger_free(l);
    tm_plan_free(p);
}

/* A grant with a rollover cap: what is left after each period's draws
 * carries over only up to the cap. 100, cap 30: use 20 -> 80 left, 50
 * forfeited -> 30; next period use 5 -> 25 (under the cap). */
static void test_rollover(void **state)
{
    tm_plan *p = plan_text(
        "{\"format\":\"tokenmeter-plan/1\",\"id\":\"r\",\"currency\":\"USD\",\"timezone\":\"UTC\","
        "\"usage\":{},\"grants\":[{\"id\":\"g\",\"amount\":\"100\",\"effective\":\"2026-01-01\","
        "\"rollover_cap\":\"30\"}]}");
    struct tm_error err = {0};
    tm_plan_ledger *l = tm_plan_ledger_new(p, &err);
    struct tm_plan_period jan = period_of(p, at("2026-01-10T00:00:00Z"));
    struct tm_plan_period feb = period_of(p, jan.end);
    struct tm_plan_charge c = {jan.start, "m", 1, 1, M("0"), M("20"), NULL, false};
    struct tm_plan_invoice *inv;
    tm_money bal;

    (void)state;
    inv = invoice(p, &jan, &c, 1, l, 0);
    tm_plan_invoice_free(inv);
    assert_int_equal(tm_plan_ledger_balance(l, "g", &bal), TM_OK);
    assert_money(bal, "30");
    assert_int_equal(tm_plan_ledger_entry(l, 2)->kind, TM_PLAN_ENTRY_FORFEIT);
    assert_money(tm_plan_ledger_entry(l, 2)->amount, "-50");
    c.at = feb.start;
    c.rated = M("5");
    inv = invoice(p, &feb, &c, 1, l, 0);
    assert_money(inv->total, "0");
    tm_plan_invoice_free(inv);
    assert_int_equal(tm_plan_ledger_balance(l, "g", &bal), TM_OK);
    assert_money(bal, "25");
    assert_int_equal(tm_plan_ledger_count(l), 4);
    /* Grants added through the API follow the same checks. */
    {
        struct tm_plan_grant g = {"g", M("1"), 0, 0, TM_PLAN_NEVER, false, 0};
        assert_int_equal(tm_plan_ledger_add_grant(l, &g, &err), TM_EINVAL);
        assert_non_null(strstr(err.message, "already has"));
        g.id = "h";
        g.amount = 0;
        assert_int_equal(tm_plan_ledger_add_grant(l, &g, &err), TM_EINVAL);
        assert_non_null(strstr(err.message, "grant h"));
        assert_int_equal(tm_plan_ledger_count(l), 4);
    }
    tm_plan_ledger_free(l);
    tm_plan_free(p);
}

/* Property: the draw-down does not depend on the order grants were added.
 * Random grants (few distinct priorities, expiries and effective dates, so
 * ties are common) are added in two random orders; three consecutive
 * invoices and every non-GRANT ledger entry must be identical, and the
 * draws must follow the documented order. */
static void test_grant_permutations(void **state)
{
    tm_plan *p = plan_text("{\"format\":\"tokenmeter-plan/1\",\"id\":\"perm\","
                           "\"currency\":\"USD\",\"timezone\":\"America/New_York\","
                           "\"usage\":{}}");
    uint64_t seed = 2026;
    struct tm_plan_period first = period_of(p, at("2026-03-05T00:00:00Z"));

    (void)state;
    for (int iter = 0; iter < 400; iter++) {
        enum { NG = 12 };
        struct tm_plan_grant g[NG];
        char ids[NG][16];
        size_t perm[NG];
        tm_plan_ledger *a, *b;
        struct tm_error err = {0};
        struct tm_plan_period pp = first;
        size_t ng = 1 + rng(&seed) % NG;

        for (size_t i = 0; i < ng; i++) {
            static const char *const exp[] = {"2026-03-20T00:00:00Z", "2026-04-01T04:00:00Z",
                                              "2026-05-01T04:00:00Z", "2026-06-01T00:00:00Z"};
            snprintf(ids[i], sizeof(ids[i]), "g%02zu", (size_t)(rng(&seed) % 100) * NG + i);
            g[i].id = ids[i];
            g[i].amount = (tm_money)(1 + rng(&seed) % 5000) * 10000000000LL; /* 0.01..50 */
            g[i].priority = (int32_t)(rng(&seed) % 3);
            g[i].effective = at("2026-01-01T00:00:00Z") + (int64_t)(rng(&seed) % 3) * 86400 * 40;
            g[i].expires = rng(&seed) % 5 == 4 ? TM_PLAN_NEVER : at(exp[rng(&seed) % 4]);
            if (g[i].expires <= g[i].effective)
                g[i].expires = TM_PLAN_NEVER;
            g[i].has_rollover_cap = rng(&seed) % 2;
            g[i].rollover_cap = (tm_money)(rng(&seed) % 3000) * 10000000000LL;
            perm[i] = i;
        }
        for (size_t i = ng; i > 1; i--) {
            size_t j = rng(&seed) % i, t = perm[i - 1];
            perm[i - 1] = perm[j];
            perm[j] = t;
        }
        a = tm_plan_ledger_new(NULL, &err);
        b = tm_plan_ledger_new(NULL, &err);
        for (size_t i = 0; i < ng; i++) {
            assert_int_equal(tm_plan_ledger_add_grant(a, &g[i], &err), TM_OK);
            assert_int_equal(tm_plan_ledger_add_grant(b, &g[perm[i]], &err), TM_OK);
        }
        for (int k = 0; k < 3; k++) {
            struct tm_plan_charge c = {pp.start + 3600, "m", 5, 5, M("1"),
                                       (tm_money)(rng(&seed) % 80000) * 1000000000LL, NULL,
                                       false};
            struct tm_plan_invoice *ia = invoice(p, &pp, &c, 1, a, 0);
            struct tm_plan_invoice *ib = invoice(p, &pp, &c, 1, b, 0);
            tm_money avail = 0;

            check_sums(ia);
            assert_int_equal(ia->nlines, ib->nlines);
            for (size_t i = 0; i < ia->nlines; i++) {
                assert_true(ia->lines[i].amount == ib->lines[i].amount);
                assert_string_equal(ia->lines[i].grant_id, ib->lines[i].grant_id);
            }
            assert_true(ia->total == ib->total);
            /* Draws: a prefix of the draw order, each grant emptied before
             * the next is touched, and as much as is due or available. */
            for (size_t i = 1; i + 1 < ia->nlines; i++) {
                tm_money left;
                assert_int_equal(tm_plan_ledger_balance(a, ia->lines[i].grant_id, &left),
                                 TM_OK);
                if (ia->lines[i + 1].kind == TM_PLAN_LINE_GRANT)
                    assert_true(left == 0 || ia->lines[i].amount == 0);
            }
            for (size_t i = 0; i < ng; i++) {
                /* Balances before this invoice = after + drawn now. */
                if (g[i].effective < pp.end && g[i].expires >= pp.end) {
                    tm_money bal, drawn = 0;
                    assert_int_equal(tm_plan_ledger_balance(a, g[i].id, &bal), TM_OK);
                    for (size_t j = 0; j < ia->nlines; j++)
                        if (strcmp(ia->lines[j].grant_id, g[i].id) == 0)
                            drawn = -ia->lines[j].amount;
                    /* Forfeits happen after draws, so use the ledger's
                     * entries of this period to rebuild the balance. */
                    for (size_t e = 0; e < tm_plan_ledger_count(a); e++) {
                        const struct tm_plan_ledger_entry *en = tm_plan_ledger_entry(a, e);
                        if (en->kind == TM_PLAN_ENTRY_FORFEIT && en->period_start == pp.start &&
                            strcmp(en->grant_id, g[i].id) == 0)
                            bal -= en->amount;
                    }
                    avail += bal + drawn;
                }
            }
            assert_true(ia->grants_applied == (avail < ia->subtotal ? avail : ia->subtotal));
            tm_plan_invoice_free(ia);
            tm_plan_invoice_free(ib);
            pp = period_of(p, pp.end);
        }
        {
            size_t na = tm_plan_ledger_count(a), nb = tm_plan_ledger_count(b);
            assert_int_equal(na, nb);
            for (size_t e = ng; e < na; e++) {
                const struct tm_plan_ledger_entry *x = tm_plan_ledger_entry(a, e);
                const struct tm_plan_ledger_entry *y = tm_plan_ledger_entry(b, e);
                assert_int_equal(x->kind, y->kind);
                assert_string_equal(x->grant_id, y->grant_id);
                assert_true(x->amount == y->amount);
                assert_int_equal(x->period_start, y->period_start);
            }
            for (size_t i = 0; i < ng; i++) {
                tm_money x, y, sum = 0;
                assert_int_equal(tm_plan_ledger_balance(a, g[i].id, &x), TM_OK);
                assert_int_equal(tm_plan_ledger_balance(b, g[i].id, &y), TM_OK);
                assert_true(x == y && x >= 0);
                /* The balance is the sum of the grant's entries. */
                for (size_t e = 0; e < na; e++)
                    if (strcmp(tm_plan_ledger_entry(a, e)->grant_id, g[i].id) == 0)
                        sum += tm_plan_ledger_entry(a, e)->amount;
                assert_true(sum == x);
                if (g[i].has_rollover_cap && g[i].expires >= pp.start)
                    assert_true(x <= g[i].rollover_cap || g[i].effective >= pp.start);
            }
        }
        tm_plan_ledger_free(a);
        tm_plan_ledger_free(b);
    }
    tm_plan_free(p);
}

/* Bad charges and overflow: refused with the charge named, and the ledger
 * unchanged (never half-applied). */
static void test_bad_charges_and_overflow(void **state)
{
    tm_plan *p = plan_text(
        "{\"format\":\"tokenmeter-plan/1\",\"id\":\"o\",\"currency\":\"USD\","
        "\"timezone\":\"Europe/Berlin\",\"usage\":{\"markup_percent\":\"50\"},"
        "\"grants\":[{\"id\":\"g\",\"amount\":\"5\",\"effective\":\"2026-01-01\"}]}");
    tm_plan *tiers = plan_text(
        "{\"format\":\"tokenmeter-plan/1\",\"id\":\"t\",\"currency\":\"USD\",\"timezone\":\"UTC\","
        "\"usage\":{\"tiers\":{\"mode\":\"volume\",\"on\":\"tokens\",\"bands\":["
        "{\"per_mtok\":\"100000000000000\"}]}}}");
    struct tm_error err = {0};
    tm_plan_ledger *l = tm_plan_ledger_new(p, &err);
    struct tm_plan_period mar = period_of(p, at("2026-03-10T00:00:00Z"));
    struct tm_plan_charge c[2] = {
        {mar.start, "gpt-4o", 1, 1, M("1"), M("1"), NULL, false},
        {mar.start, "o3", 1, 1, M("1"), M("1"), NULL, false},
    };
    struct tm_plan_invoice *inv = NULL;
    struct tm_plan_period fake = mar;
    size_t n0 = tm_plan_ledger_count(l);

    (void)state;
    /* UTC midnight of April 1 is 02:00 local: April, not this period. */
    c[1].at = at("2026-03-31T22:00:00Z");
    assert_int_equal(tm_plan_invoice_compute(p, &mar, c, 2, l, 0, &inv, &err), TM_EINVAL);
    assert_non_null(strstr(err.message, "charges[1] (o3)"));
    assert_non_null(strstr(err.message, "outside the period"));
    c[1].at = mar.start;
    c[1].rated = -1;
    assert_int_equal(tm_plan_invoice_compute(p, &mar, c, 2, l, 0, &inv, &err), TM_EINVAL);
    assert_non_null(strstr(err.message, "charges[1] (o3): rated is negative"));
    c[1].rated = TM_MONEY_MAX;
    assert_int_equal(tm_plan_invoice_compute(p, &mar, c, 2, l, 0, &inv, &err), TM_ERANGE);
    assert_non_null(strstr(err.message, "charges[1].rated"));
    /* The sum fits but +50% does not. */
    c[0].rated = 0;
    assert_int_equal(tm_plan_invoice_compute(p, &mar, c, 2, l, 0, &inv, &err), TM_ERANGE);
    assert_non_null(strstr(err.message, "markup overflows"));
    c[1].rated = 1;
    c[1].input_tokens = UINT64_MAX;
    assert_int_equal(tm_plan_invoice_compute(p, &mar, c, 2, l, 0, &inv, &err), TM_ERANGE);
    assert_non_null(strstr(err.message, "charges[1] (o3): token count overflows"));
    c[1].input_tokens = 1;
    fake.end += 3600;
    assert_int_equal(tm_plan_invoice_compute(p, &fake, c, 2, l, 0, &inv, &err), TM_EINVAL);
    assert_non_null(strstr(err.message, "not one of the plan's billing periods"));
    assert_null(inv);
    assert_int_equal(tm_plan_ledger_count(l), n0);
    {
        tm_money bal;
        assert_int_equal(tm_plan_ledger_balance(l, "g", &bal), TM_OK);
        assert_money(bal, "5");
    }
    /* tokens x rate beyond the range: 2^62 tokens at 1e20 picounits each
     * (1e14 per million tokens) is 4.6e38 > 2^127 - 1. */
    {
        struct tm_plan_period pp = period_of(tiers, at("2026-03-10T00:00:00Z"));
        struct tm_plan_charge big = {pp.start, "m", (uint64_t)1 << 62, 0, 0, 0, NULL, false};
        assert_int_equal(tm_plan_invoice_compute(tiers, &pp, &big, 1, NULL, 0, &inv, &err),
                         TM_ERANGE);
        assert_non_null(strstr(err.message, "bands[0]"));
        big.input_tokens = (uint64_t)1 << 40;
        inv = invoice(tiers, &pp, &big, 1, NULL, 0);
        assert_true(inv->usage ==
                    (tm_money)((uint64_t)1 << 40) * 100000000000LL * 1000000000LL);
        tm_plan_invoice_free(inv);
    }
    tm_plan_ledger_free(l);
    tm_plan_free(p);
    tm_plan_free(tiers);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_plan),
        cmocka_unit_test(test_bad_plans),
        cmocka_unit_test(test_round_once_at_the_edge),
        cmocka_unit_test(test_rounding_modes),
        cmocka_unit_test(test_token_tiers),
        cmocka_unit_test(test_spend_tiers),
        cmocka_unit_test(test_allowances),
        cmocka_unit_test(test_task_fees),
        cmocka_unit_test(test_periods),
        cmocka_unit_test(test_periods_tile),
        cmocka_unit_test(test_grants),
        cmocka_unit_test(test_rollover),
        cmocka_unit_test(test_grant_permutations),
        cmocka_unit_test(test_bad_charges_and_overflow),
    };
    return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
