/*
 * Rating and plans together (include/tokenmeter/price.h + plan.h): the
 * promise a tenant relies on when a price changes at midnight in their
 * zone. A usage record is rated with the price in effect at its instant,
 * and falls into the billing period of the tenant's local calendar, so a
 * change effective at local midnight on the 1st splits the months exactly:
 * the last second of the old month is billed at the old price on the old
 * invoice, the first second of the new month at the new price on the new
 * one, in winter (UTC+1) and in summer time (UTC+2) alike, even though both
 * instants fall on the same UTC date.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tokenmeter/money.h"
#include "tokenmeter/plan.h"
#include "tokenmeter/price.h"

static const char book_json[] =
    "{\"format\": \"tokenmeter-prices/1\", \"version\": \"t\", \"currency\": \"EUR\","
    " \"prices\": ["
    "  {\"provider\": \"p\", \"model\": \"m\", \"effective\": \"2026-01-01T00:00:00+01:00\","
    "   \"source\": \"https://example.test/a\", \"as_of\": \"2026-01-01\","
    "   \"per_mtok\": {\"input\": \"2.00\", \"output\": \"8.00\"}},"
    "  {\"provider\": \"p\", \"model\": \"m\", \"effective\": \"2026-03-01T00:00:00+01:00\","
    "   \"source\": \"https://example.test/b\", \"as_of\": \"2026-03-01\","
    "   \"per_mtok\": {\"input\": \"1.00\", \"output\": \"4.00\"}},"
    "  {\"provider\": \"p\", \"model\": \"m\", \"effective\": \"2026-04-01T00:00:00+02:00\","
    "   \"source\": \"https://example.test/c\", \"as_of\": \"2026-04-01\","
    "   \"per_mtok\": {\"input\": \"0.50\", \"output\": \"2.00\"}}]}";

static const char plan_json[] =
    "{\"format\": \"tokenmeter-plan/1\", \"id\": \"payg\", \"currency\": \"EUR\","
    " \"timezone\": \"Europe/Berlin\", \"period\": {\"unit\": \"month\", \"anchor_day\": 1},"
    " \"usage\": {\"basis\": \"rated\"}}";

static int64_t parse_time(const char *text)
{
    int64_t t;
    struct tm_error err = {0};
    if (tm_time_parse(text, strlen(text), "test", &t, NULL, &err) != TM_OK)
        fail_msg("%s", err.message);
    return t;
}

/* Rate 1M input + 1M output tokens at `at` into a plan charge. */
static struct tm_plan_charge rate_at(const tm_price_book *book, int64_t at)
{
    struct tm_price_usage usage = {.at = at};
    struct tm_price_rating r;
    struct tm_error err = {0};
    usage.tokens[TM_CLASS_INPUT] = 1000000;
    usage.tokens[TM_CLASS_OUTPUT] = 1000000;
    if (tm_price_rate(book, "p", "m", &usage, NULL, &r, &err) != TM_OK)
        fail_msg("%s", err.message);
    struct tm_plan_charge c = {.at = at, .model = "m", .input_tokens = 1000000,
                               .output_tokens = 1000000, .cost = r.total_cost,
                               .rated = r.total_price};
    return c;
}

static tm_money euros(const char *text)
{
    tm_money m;
    assert_int_equal(tm_money_parse(text, strlen(text), "test", &m, NULL), TM_OK);
    return m;
}

/* Invoice the period holding charge c alone; returns its total. */
static tm_money invoice_alone(const tm_plan *plan, const struct tm_plan_charge *c,
                              struct tm_plan_period *period)
{
    struct tm_plan_invoice *inv = NULL;
    struct tm_error err = {0};
    assert_int_equal(tm_plan_period_at(plan, c->at, period, &err), TM_OK);
    if (tm_plan_invoice_compute(plan, period, c, 1, NULL, TM_PLAN_PREVIEW, &inv, &err) != TM_OK)
        fail_msg("%s", err.message);
    tm_money total = inv->total;
    tm_plan_invoice_free(inv);
    return total;
}

static void check_split(const tm_price_book *book, const tm_plan *plan, const char *last_old,
                        const char *first_new, int old_month, const char *old_total,
                        const char *new_total)
{
    struct tm_plan_charge before = rate_at(book, parse_time(last_old));
    struct tm_plan_charge after = rate_at(book, parse_time(first_new));
    struct tm_plan_period p_before, p_after;

    assert_int_equal(after.at - before.at, 1);
    assert_true(invoice_alone(plan, &before, &p_before) == euros(old_total));
    assert_true(invoice_alone(plan, &after, &p_after) == euros(new_total));
    /* Adjacent periods, split exactly at the new price's instant. */
    assert_int_equal(p_before.end, after.at);
    assert_int_equal(p_after.start, after.at);
    assert_int_equal(p_before.start_date.month, old_month);
    assert_int_equal(p_after.start_date.month, old_month + 1);
    assert_int_equal(p_after.start_date.day, 1);

    /* Both instants are on the same UTC date: a UTC-only split would have
     * put them in one period. */
    struct tm_civil u1, u2;
    assert_int_equal(tm_time_to_civil(before.at, 0, &u1), TM_OK);
    assert_int_equal(tm_time_to_civil(after.at, 0, &u2), TM_OK);
    assert_int_equal(u1.month, u2.month);
    assert_int_equal(u1.day, u2.day);
}

static void test_price_change_at_local_midnight(void **state)
{
    (void)state;
    struct tm_error err = {0};
    tm_price_book *book = tm_price_book_parse(book_json, strlen(book_json), "book", &err);
    if (book == NULL)
        fail_msg("%s", err.message);
    tm_plan *plan = tm_plan_parse(plan_json, strlen(plan_json), "plan", &err);
    if (plan == NULL)
        fail_msg("%s", err.message);

    /* Winter time: Berlin is UTC+1, March begins at 2026-02-28T23:00:00Z. */
    check_split(book, plan, "2026-02-28T22:59:59Z", "2026-02-28T23:00:00Z", 2, "10.00",
                "5.00");
    /* Summer time (from 2026-03-29): April begins at 2026-03-31T22:00:00Z. */
    check_split(book, plan, "2026-03-31T21:59:59Z", "2026-03-31T22:00:00Z", 3, "5.00",
                "2.50");
    /* March is 31 days less the hour lost to DST. */
    struct tm_plan_period march;
    assert_int_equal(tm_plan_period_at(plan, parse_time("2026-03-15T12:00:00Z"), &march, &err),
                     TM_OK);
    assert_int_equal(march.end - march.start, 31 * 86400 - 3600);

    tm_plan_free(plan);
    tm_price_book_free(book);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_price_change_at_local_midnight),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
