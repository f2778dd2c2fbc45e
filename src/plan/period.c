/*
 * Billing periods in the tenant's zone (include/tokenmeter/plan.h).
 *
 * A daily period is one local day, [start(d), start(d+1)), where start is
 * tm_tz_day_start: local midnight, or the end of a gap that skips it. A
 * monthly period anchored on day A runs from the start of local day A of a
 * month to the start of day A of the next month; a month shorter than A
 * uses its last day, and the anchor returns to A in longer months (Stripe's
 * billing-cycle rule: "a subscription anchored on the 31st bills on the last
 * day of shorter months", https://docs.stripe.com/billing/subscriptions/billing-cycle).
 *
 * Periods are found from instants, never from wall-clock readings alone, so
 * an hour repeated across midnight (America/Santiago, clocks back from
 * 24:00 to 23:00) belongs to the period its instant falls in.
 */
#include "plan/plan_int.h"

/* The anchor date of a month: the anchor day, or the month's last day. */
static void month_anchor(const tm_plan *p, int32_t year, int month, struct tm_date *out)
{
    int dim = tm_days_in_month(year, month);

    out->year = year;
    out->month = month;
    out->day = p->anchor_day < dim ? p->anchor_day : dim;
}

/* Step a (year, month) by delta months. */
static void month_step(int32_t *year, int *month, int delta)
{
    int m = *month - 1 + delta;

    *year += m >= 0 ? m / 12 : -((11 - m) / 12);
    *month = ((m % 12) + 12) % 12 + 1;
}

/* The period whose first local date is `d` (a period start date). */
static int period_from(const tm_plan *p, const struct tm_date *d, struct tm_plan_period *out,
                       struct tm_error *err)
{
    struct tm_date next;
    int rc;

    if (p->daily) {
        tm_date_from_days(tm_date_to_days(d) + 1, &next);
    } else {
        int32_t y = d->year;
        int m = d->month;
        month_step(&y, &m, 1);
        month_anchor(p, y, m, &next);
    }
    if (!tm_date_valid(d) || !tm_date_valid(&next))
        return tm_error_set(err, TM_ERANGE, "plan %s: period outside the years 0001-9999",
                            p->id);
    rc = tm_tz_day_start(p->tz, d, &out->start, err);
    if (rc == TM_OK)
        rc = tm_tz_day_start(p->tz, &next, &out->end, err);
    if (rc != TM_OK)
        return rc;
    /* The dates are those the boundaries read in the zone: the same as d
     * and next unless a date was skipped (Pacific/Apia, 2011-12-30). */
    {
        struct tm_local a, b;
        if (tm_tz_to_local(p->tz, out->start, &a) != TM_OK ||
            tm_tz_to_local(p->tz, out->end, &b) != TM_OK)
            return tm_error_set(err, TM_ERANGE, "plan %s: period outside the years 0001-9999",
                                p->id);
        out->start_date = (struct tm_date){a.civil.year, a.civil.month, a.civil.day};
        out->end_date = (struct tm_date){b.civil.year, b.civil.month, b.civil.day};
    }
    return TM_OK;
}

/* The start date of the period before or after the one starting on d. */
static void period_step(const tm_plan *p, struct tm_date *d, int delta)
{
    if (p->daily) {
        tm_date_from_days(tm_date_to_days(d) + delta, d);
    } else {
        int32_t y = d->year;
        int m = d->month;
        month_step(&y, &m, delta);
        month_anchor(p, y, m, d);
    }
}

/* The period containing `at`. */
int tm_plan_period_at(const tm_plan *plan, int64_t at, struct tm_plan_period *out,
                      struct tm_error *err)
{
    struct tm_local l;
    struct tm_date d;
    struct tm_plan_period pp;
    int rc;

    if (tm_tz_to_local(plan->tz, at, &l) != TM_OK)
        return tm_error_set(err, TM_ERANGE, "plan %s: instant %lld is outside the years "
                            "0001-9999", plan->id, (long long)at);
    d.year = l.civil.year;
    d.month = l.civil.month;
    d.day = l.civil.day;
    if (!plan->daily) {
        /* The anchor of this month, or of the previous one if not reached. */
        struct tm_date a;
        month_anchor(plan, d.year, d.month, &a);
        if (d.day < a.day)
            period_step(plan, &a, -1);
        d = a;
    }
    /* Local dates can run backwards across a clock change at midnight, so
     * settle by instants: at most a step either way. */
    for (int guard = 0; guard < 4; guard++) {
        rc = period_from(plan, &d, &pp, err);
        if (rc != TM_OK)
            return rc;
        if (at < pp.start)
            period_step(plan, &d, -1);
        else if (at >= pp.end)
            period_step(plan, &d, 1);
        else {
            *out = pp;
            return TM_OK;
        }
    }
    return tm_error_set(err, TM_ERANGE, "plan %s: no period contains instant %lld", plan->id,
                        (long long)at);
}
