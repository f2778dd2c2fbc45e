/*
 * Fuzz target: the plan parser (tm_plan_parse, include/tokenmeter/plan.h,
 * docs/PLANS.md), and what a parsed plan promises to periods and invoices.
 *
 * Input: the plan file's bytes. Checks:
 *  - a refused plan gives NULL and a negative code with a message that
 *    names the plan (starts with its name);
 *  - an accepted plan has an id, a currency tokenmeter knows the minor unit
 *    of, a zone and a rounding mode; a ledger seeded from its grants can be
 *    made;
 *  - tm_plan_period_at for a few instants (fixed ones around DST changes
 *    and month ends, one derived from the input's hash, the ends of the
 *    supported range) either fails with TM_ERANGE and a message or gives a
 *    period with start <= instant < end and valid boundary dates; the
 *    period of its start is itself and the period of its end starts there
 *    (periods tile time);
 *  - a preview invoice of that period with two fixed charges inside it
 *    either fails with TM_ERANGE (overflow) or TM_ENOMEM and a message, or
 *    has lines other than grants summing exactly to subtotal, grant lines
 *    summing to -grants_applied (0 <= grants_applied <= max(subtotal, 0)),
 *    total_exact = subtotal - grants_applied, total rounded to the
 *    currency's minor unit with total - total_exact == rounding less than
 *    one minor unit, and the charges' sums; a preview appends nothing, and
 *    the same invoice computed for real gives the same total and leaves
 *    every grant's balance non-negative.
 */
#include "tokenmeter/plan.h"
#include "fuzz_common.h"

#define PLAN_NAME "fuzz-plan.json"
#define MAX_FILE (1u << 18)

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* 10^(12 - digits): one minor unit in picounits. */
static tm_money minor_unit(int digits)
{
    tm_money step = 1;
    for (int k = digits; k < TM_MONEY_DIGITS; k++)
        step *= 10;
    return step;
}

static void check_invoice(const tm_plan *plan, const struct tm_plan_period *period)
{
    struct tm_plan_charge charges[2];
    struct tm_plan_invoice *inv = NULL, *real = NULL;
    struct tm_error err = {0};
    tm_plan_ledger *ledger = tm_plan_ledger_new(plan, &err);
    tm_money sum = 0, grants = 0, step, total_exact, abs_rounding;
    size_t entries;
    int rc;

    if (ledger == NULL) {
        FUZZ_CHECK(err.code == TM_ENOMEM, "no ledger for an accepted plan: %s", err.message);
        return;
    }
    memset(charges, 0, sizeof(charges));
    charges[0].at = period->start;
    charges[0].model = "gpt-4o";
    charges[0].input_tokens = 1234567;
    charges[0].output_tokens = 89012;
    charges[0].cost = (tm_money)1500000000000LL;  /* 1.5 */
    charges[0].rated = (tm_money)1725000000005LL; /* 1.725000000005 */
    charges[0].task_id = "task-1";
    charges[0].success = true;
    charges[1].at = period->end - 1;
    charges[1].model = NULL;
    charges[1].input_tokens = 3;
    charges[1].output_tokens = 0;
    charges[1].cost = 7;
    charges[1].rated = 0;
    charges[1].task_id = "task-2";
    charges[1].success = false;

    entries = tm_plan_ledger_count(ledger);
    rc = tm_plan_invoice_compute(plan, period, charges, 2, ledger, TM_PLAN_PREVIEW, &inv, &err);
    FUZZ_CHECK(tm_plan_ledger_count(ledger) == entries, "a preview appended to the ledger");
    if (rc != TM_OK) {
        FUZZ_CHECK((rc == TM_ERANGE || rc == TM_ENOMEM) && err.code == rc && err.message[0],
                   "invoice of a plan period with charges inside it failed: rc %d: %s", rc,
                   err.message);
        FUZZ_CHECK(inv == NULL, "a failed invoice was returned");
        tm_plan_ledger_free(ledger);
        return;
    }
    FUZZ_CHECK(inv != NULL, "no invoice");
    FUZZ_CHECK(strcmp(inv->plan_id, tm_plan_id(plan)) == 0 &&
                   strcmp(inv->currency, tm_plan_currency(plan)) == 0,
               "invoice names another plan or currency");
    FUZZ_CHECK(inv->period.start == period->start && inv->period.end == period->end,
               "invoice of another period");
    FUZZ_CHECK(inv->charges == 2 && inv->tokens == 1234567 + 89012 + 3,
               "charges %zu, tokens %llu", inv->charges, (unsigned long long)inv->tokens);
    FUZZ_CHECK(inv->provider_cost == charges[0].cost + charges[1].cost &&
                   inv->rated == charges[0].rated + charges[1].rated,
               "cost or rated sum wrong");
    for (size_t k = 0; k < inv->nlines; k++) {
        const struct tm_plan_line *l = &inv->lines[k];
        if (l->kind == TM_PLAN_LINE_GRANT) {
            FUZZ_CHECK(l->amount < 0 && l->grant_id[0], "grant line %zu: amount or id", k);
            FUZZ_CHECK(tm_money_add(grants, l->amount, &grants) == TM_OK, "grant sum overflow");
        } else {
            FUZZ_CHECK(tm_money_add(sum, l->amount, &sum) == TM_OK, "line sum overflow");
        }
        FUZZ_CHECK(l->kind != TM_PLAN_LINE_ALLOWANCE || l->amount <= 0,
                   "allowance line %zu is positive", k);
    }
    FUZZ_CHECK(sum == inv->subtotal, "lines do not sum to the subtotal");
    FUZZ_CHECK(grants == -inv->grants_applied, "grant lines do not sum to grants_applied");
    FUZZ_CHECK(inv->grants_applied >= 0 &&
                   inv->grants_applied <= (inv->subtotal > 0 ? inv->subtotal : 0),
               "grants_applied out of [0, subtotal]");
    FUZZ_CHECK(tm_money_sub(inv->subtotal, inv->grants_applied, &total_exact) == TM_OK &&
                   total_exact == inv->total_exact,
               "total_exact is not subtotal - grants_applied");
    FUZZ_CHECK(inv->total - inv->total_exact == inv->rounding,
               "rounding is not total - total_exact");
    FUZZ_CHECK(inv->minor_digits >= 0 && inv->minor_digits <= 3, "minor digits %d",
               inv->minor_digits);
    step = minor_unit(inv->minor_digits);
    abs_rounding = inv->rounding < 0 ? -inv->rounding : inv->rounding;
    FUZZ_CHECK(inv->total % step == 0 && abs_rounding < step,
               "total is not rounded once to the minor unit");
    FUZZ_CHECK(inv->rounding_mode == tm_plan_rounding(plan), "rounding mode");

    rc = tm_plan_invoice_compute(plan, period, charges, 2, ledger, 0, &real, &err);
    FUZZ_CHECK(rc == TM_OK || rc == TM_ENOMEM, "the real invoice failed after the preview: %s",
               err.message);
    if (rc == TM_OK) {
        FUZZ_CHECK(real->total == inv->total && real->grants_applied == inv->grants_applied,
                   "the real invoice differs from its preview");
        for (size_t k = 0; k < real->nlines; k++) {
            tm_money bal;
            if (real->lines[k].kind != TM_PLAN_LINE_GRANT)
                continue;
            FUZZ_CHECK(tm_plan_ledger_balance(ledger, real->lines[k].grant_id, &bal) == TM_OK &&
                           bal >= 0,
                       "grant %s: balance after the invoice", real->lines[k].grant_id);
        }
    }
    tm_plan_invoice_free(real);
    tm_plan_invoice_free(inv);
    tm_plan_ledger_free(ledger);
}

/* The period at `at`; with `invoice`, an invoice of it. */
static void check_period(const tm_plan *plan, int64_t at, bool invoice)
{
    struct tm_plan_period p, q;
    struct tm_error err = {0};
    int rc = tm_plan_period_at(plan, at, &p, &err);

    if (rc != TM_OK) {
        FUZZ_CHECK(rc == TM_ERANGE && err.code == rc && err.message[0],
                   "period_at(%lld): rc %d: %s", (long long)at, rc, err.message);
        return;
    }
    FUZZ_CHECK(p.start <= at && at < p.end && p.start < p.end,
               "period_at(%lld) gives [%lld, %lld)", (long long)at, (long long)p.start,
               (long long)p.end);
    FUZZ_CHECK(tm_date_valid(&p.start_date) && tm_date_valid(&p.end_date),
               "period_at(%lld): boundary dates invalid", (long long)at);
    rc = tm_plan_period_at(plan, p.start, &q, &err);
    FUZZ_CHECK(rc == TM_OK && q.start == p.start && q.end == p.end,
               "the period of %lld's start is another (rc %d)", (long long)at, rc);
    rc = tm_plan_period_at(plan, p.end, &q, &err);
    if (rc == TM_OK)
        FUZZ_CHECK(q.start == p.end, "the period after [%lld, %lld) starts at %lld",
                   (long long)p.start, (long long)p.end, (long long)q.start);
    else
        FUZZ_CHECK(rc == TM_ERANGE, "period after [%lld, %lld): rc %d", (long long)p.start,
                   (long long)p.end, rc);
    if (invoice)
        check_invoice(plan, &p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int64_t fixed[] = {
        0,           /* 1970-01-01 */
        1774996200,  /* 2026-03-31T22:30:00Z: April in Berlin */
        1792888200,  /* 2026-10-25T00:30:00Z: around the EU clocks going back */
        951782400,   /* 2000-02-29T00:00:00Z */
        -1,
    };
    struct tm_error err = {0};
    tm_plan *plan;
    uint64_t hash = 1469598103934665603ULL;

    if (size > MAX_FILE)
        size = MAX_FILE;
    plan = tm_plan_parse((const char *)data, size, PLAN_NAME, &err);
    if (plan == NULL) {
        FUZZ_CHECK(err.code < 0, "refused with code %d: %s", err.code, err.message);
        FUZZ_CHECK(starts_with(err.message, PLAN_NAME ": "),
                   "the error does not name the plan: %s", err.message);
        return 0;
    }
    FUZZ_CHECK(tm_plan_id(plan)[0] && strlen(tm_plan_id(plan)) < TM_PLAN_ID_MAX, "plan id");
    FUZZ_CHECK(tm_currency_minor_digits(tm_plan_currency(plan)) >= 0, "currency \"%s\"",
               tm_plan_currency(plan));
    FUZZ_CHECK(tm_plan_tz(plan) != NULL, "no zone");
    FUZZ_CHECK((int)tm_plan_rounding(plan) >= TM_ROUND_HALF_EVEN &&
                   (int)tm_plan_rounding(plan) <= TM_ROUND_CEILING,
               "rounding mode %d", (int)tm_plan_rounding(plan));

    for (size_t i = 0; i < size; i++)
        hash = (hash ^ data[i]) * 1099511628211ULL;
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        check_period(plan, fixed[i], i == 1);
    /* An instant from 1970 to 2100, picked by the input. */
    check_period(plan, (int64_t)(hash % 4102444800ULL), true);
    check_period(plan, TM_TIME_MAX, false);
    check_period(plan, TM_TIME_MIN, false);
    tm_plan_free(plan);
    return 0;
}
