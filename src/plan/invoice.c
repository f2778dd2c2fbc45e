/*
 * One period's invoice (include/tokenmeter/plan.h, docs/PLANS.md).
 *
 * Order of computation, every step exact in picounits with checked
 * arithmetic (TM_ERANGE on overflow, never a wrapped total):
 *   1. check and sum the charges: tokens, provider cost, rated amount,
 *      distinct task ids;
 *   2. subscription fee;
 *   3. usage at plan prices U: pay-as-you-go (basis x multiplier) or tiers
 *      (graduated: each band's slice at its price; volume: everything at
 *      the price of the band the total falls in);
 *   4. allowance: the part of U it covers (money: up to the allowance;
 *      tokens: the included share of U, or, with an overage rate, the
 *      tokens beyond it at that rate);
 *   5. per-task fees;
 *   6. grants drawn against the subtotal in the order priority, expiry,
 *      effective, id;
 *   7. the total rounded once to the currency's minor unit.
 * The only roundings before step 7 are ratios (a markup, a prorated share)
 * that leave a fraction of a picounit: tm_money_muldiv rounds those
 * half-to-even at the picounit (1e-10 of a cent), once per line.
 * The invoice and the ledger entries are built completely before the
 * ledger is touched, so a failure changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan_int.h"

/* Lines an invoice can have besides grants: fee, tiers (or usage),
 * allowance, overage, task fee. */
#define FIXED_LINES (TM_PLAN_TIERS_MAX + 4)

/* Text of an amount in major units. */
static const char *money_text(tm_money m, char buf[TM_MONEY_TEXT_MAX])
{
    tm_money_format(m, 2, buf);
    return buf;
}

/* A multiplier num/den as decimal text ("1.2"); den is a power of ten when
 * it came from tm_ratio_parse. */
static void mult_text(const struct tm__plan_mult *m, char *buf, size_t cap)
{
    tm_money v;

    if (tm_money_muldiv(TM_MONEY_SCALE, m->num, m->den, TM_ROUND_HALF_EVEN, &v) != TM_OK) {
        snprintf(buf, cap, "%lld/%lld", (long long)m->num, (long long)m->den);
        return;
    }
    {
        char t[TM_MONEY_TEXT_MAX];
        tm_money_format(v, 0, t);
        snprintf(buf, cap, "%s", t);
    }
}

/* Add a line. */
static struct tm_plan_line *add_line(struct tm_plan_invoice *inv, enum tm_plan_line_kind kind,
                                     tm_money amount)
{
    struct tm_plan_line *l = &inv->lines[inv->nlines++];

    memset(l, 0, sizeof(*l));
    l->kind = kind;
    l->amount = amount;
    return l;
}

/* Compare two task id pointers. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The draw order of grants: priority (lower first), earliest expiry,
 * oldest effective, then id, a total order that does not depend on the
 * order grants were added. Lower priority numbers first as in OpenMeter
 * ("a priority of 1 is more urgent than a priority of 2",
 * https://openmeter.io/docs/monetize/entitlements/credit-grant) and Kong
 * Metering & Billing ("priority asc, expires_at asc, stable order asc",
 * https://developer.konghq.com/metering-and-billing/credits/consumption-and-expiration/).
 */
static int cmp_grant(const void *a, const void *b)
{
    const struct tm_plan_grant *x = &(*(const struct tm__plan_grant_state *const *)a)->g;
    const struct tm_plan_grant *y = &(*(const struct tm__plan_grant_state *const *)b)->g;

    if (x->priority != y->priority)
        return x->priority < y->priority ? -1 : 1;
    if (x->expires != y->expires)
        return x->expires < y->expires ? -1 : 1;
    if (x->effective != y->effective)
        return x->effective < y->effective ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Sort indices of ledger grants by cmp_grant (through pointers, so the
 * comparator needs no context). */
static int sort_grants(const tm_plan_ledger *l, size_t *idx, size_t n)
{
    const struct tm__plan_grant_state **ptr = malloc((n ? n : 1) * sizeof(*ptr));

    if (ptr == NULL)
        return TM_ENOMEM;
    for (size_t i = 0; i < n; i++)
        ptr[i] = &l->grants[idx[i]];
    qsort(ptr, n, sizeof(*ptr), cmp_grant);
    for (size_t i = 0; i < n; i++)
        idx[i] = (size_t)(ptr[i] - l->grants);
    free(ptr);
    return TM_OK;
}

/* A checked sum into *acc; names the charge on overflow. */
static int sum_money(tm_money *acc, tm_money v, size_t i, const char *field,
                     struct tm_error *err)
{
    if (tm_money_add(*acc, v, acc) != TM_OK)
        return tm_error_set(err, TM_ERANGE, "charges[%zu].%s: the period's sum overflows",
                            i, field);
    return TM_OK;
}

/* Step 3: usage lines and U. */
static int usage_lines(const tm_plan *p, struct tm_plan_invoice *inv, tm_money base,
                       struct tm_error *err)
{
    char a[TM_MONEY_TEXT_MAX], b[TM_MONEY_TEXT_MAX], m[48];
    const char *basis = p->basis == TM__PLAN_BASIS_COST ? "provider cost" : "price book rates";
    tm_money u = 0;

    if (!p->has_tiers) {
        struct tm_plan_line *l;
        if (tm_money_muldiv(base, p->mult.num, p->mult.den, TM_ROUND_HALF_EVEN, &u) != TM_OK)
            return tm_error_set(err, TM_ERANGE, "plan %s: usage with markup overflows", p->id);
        l = add_line(inv, TM_PLAN_LINE_USAGE, u);
        l->quantity = inv->tokens;
        l->quantity_money = base;
        mult_text(&p->mult, m, sizeof(m));
        snprintf(l->description, sizeof(l->description), "usage at %s (%s) x %s", basis,
                 money_text(base, a), m);
        inv->usage = u;
        return TM_OK;
    }
    for (size_t i = 0; i < p->nbands; i++) {
        const struct tm__plan_band *band = &p->bands[i];
        struct tm_plan_line *l;
        tm_money amount;

        if (p->tier_on == TM__PLAN_ON_TOKENS) {
            uint64_t lo = i == 0 ? 0 : p->bands[i - 1].up_to_tokens, qty;
            bool here = band->unbounded || inv->tokens <= band->up_to_tokens;

            if (p->tier_mode == TM__PLAN_VOLUME) {
                if (!here || (i > 0 && inv->tokens <= lo) || inv->tokens == 0)
                    continue;
                qty = inv->tokens;
            } else {
                if (inv->tokens <= lo)
                    break;
                qty = (here ? inv->tokens : band->up_to_tokens) - lo;
            }
            if (qty > INT64_MAX || tm_money_mul(band->per_token, (int64_t)qty, &amount) != TM_OK)
                return tm_error_set(err, TM_ERANGE, "plan %s: usage.tiers.bands[%zu]: %llu "
                                    "tokens at the band's price overflow", p->id, i,
                                    (unsigned long long)qty);
            l = add_line(inv, TM_PLAN_LINE_TIER, amount);
            l->quantity = qty;
            tm_money_format_per_mtok(band->per_token, 2, b);
            if (band->unbounded)
                snprintf(l->description, sizeof(l->description), "tier %zu (%s %llu tokens)"
                         " at %s/M", i + 1, i == 0 ? "from" : "above", (unsigned long long)lo,
                         b);
            else
                snprintf(l->description, sizeof(l->description), "tier %zu (%llu to %llu "
                         "tokens) at %s/M", i + 1, (unsigned long long)(lo + (i > 0)),
                         (unsigned long long)band->up_to_tokens, b);
        } else {
            tm_money lo = i == 0 ? 0 : p->bands[i - 1].up_to_spend, qty;
            bool here = band->unbounded || base <= band->up_to_spend;

            if (p->tier_mode == TM__PLAN_VOLUME) {
                if (!here || (i > 0 && base <= lo) || base == 0)
                    continue;
                qty = base;
            } else {
                if (base <= lo)
                    break;
                qty = (here ? base : band->up_to_spend) - lo;
            }
            if (tm_money_muldiv(qty, band->mult.num, band->mult.den, TM_ROUND_HALF_EVEN,
                                &amount) != TM_OK)
                return tm_error_set(err, TM_ERANGE, "plan %s: usage.tiers.bands[%zu]: spend "
                                    "with the band's markup overflows", p->id, i);
            l = add_line(inv, TM_PLAN_LINE_TIER, amount);
            l->quantity = p->tier_mode == TM__PLAN_VOLUME ? inv->tokens : 0;
            l->quantity_money = qty;
            mult_text(&band->mult, m, sizeof(m));
            if (band->unbounded)
                snprintf(l->description, sizeof(l->description), "tier %zu (spend above %s) "
                         "x %s", i + 1, money_text(lo, a), m);
            else
                snprintf(l->description, sizeof(l->description), "tier %zu (spend %s to %s) "
                         "x %s", i + 1, money_text(lo, a), money_text(band->up_to_spend, b), m);
        }
        if (tm_money_add(u, amount, &u) != TM_OK)
            return tm_error_set(err, TM_ERANGE, "plan %s: usage overflows", p->id);
    }
    inv->usage = u;
    return TM_OK;
}

/* Step 4: allowance and overage lines. */
static int allowance_lines(const tm_plan *p, struct tm_plan_invoice *inv, struct tm_error *err)
{
    char a[TM_MONEY_TEXT_MAX];
    struct tm_plan_line *l;

    if (p->allowance == TM__PLAN_ALLOW_MONEY) {
        tm_money used = inv->usage < p->allowance_money ? inv->usage : p->allowance_money;
        if (used < 0)
            used = 0;
        l = add_line(inv, TM_PLAN_LINE_ALLOWANCE, -used);
        l->quantity_money = used;
        snprintf(l->description, sizeof(l->description), "usage included in the allowance of "
                 "%s", money_text(p->allowance_money, a));
        inv->allowance_used = used;
        inv->allowance_left = p->allowance_money - used;
        inv->overage = inv->usage - used;
        return TM_OK;
    }
    if (p->allowance == TM__PLAN_ALLOW_TOKENS) {
        uint64_t inc = inv->tokens < p->allowance_tokens ? inv->tokens : p->allowance_tokens;
        uint64_t over = inv->tokens - inc;

        inv->allowance_tokens_used = inc;
        inv->allowance_tokens_left = p->allowance_tokens - inc;
        if (p->has_overage_rate) {
            tm_money amount;
            l = add_line(inv, TM_PLAN_LINE_ALLOWANCE, 0);
            l->quantity = inc;
            snprintf(l->description, sizeof(l->description), "tokens included in the "
                     "allowance of %llu", (unsigned long long)p->allowance_tokens);
            if (over > INT64_MAX ||
                tm_money_mul(p->overage_per_token, (int64_t)over, &amount) != TM_OK)
                return tm_error_set(err, TM_ERANGE, "plan %s: %llu overage tokens at the "
                                    "overage rate overflow", p->id, (unsigned long long)over);
            l = add_line(inv, TM_PLAN_LINE_OVERAGE, amount);
            l->quantity = over;
            tm_money_format_per_mtok(p->overage_per_token, 2, a);
            snprintf(l->description, sizeof(l->description), "tokens beyond the allowance "
                     "at %s/M", a);
            inv->usage = amount;
            inv->overage = amount;
            return TM_OK;
        }
        {
            /* The included tokens' share of usage, prorated. */
            tm_money covered = 0;
            if (inv->tokens > INT64_MAX)
                return tm_error_set(err, TM_ERANGE, "plan %s: %llu tokens in one period are "
                                    "too many to prorate", p->id,
                                    (unsigned long long)inv->tokens);
            if (inv->tokens > 0 &&
                tm_money_muldiv(inv->usage, (int64_t)inc, (int64_t)inv->tokens,
                                TM_ROUND_HALF_EVEN, &covered) != TM_OK)
                return tm_error_set(err, TM_ERANGE, "plan %s: allowance share overflows",
                                    p->id);
            l = add_line(inv, TM_PLAN_LINE_ALLOWANCE, -covered);
            l->quantity = inc;
            l->quantity_money = covered;
            snprintf(l->description, sizeof(l->description), "usage of %llu tokens included "
                     "in the allowance of %llu", (unsigned long long)inc,
                     (unsigned long long)p->allowance_tokens);
            inv->overage = inv->usage - covered;
        }
    }
    return TM_OK;
}

/* The invoice. */
int tm_plan_invoice_compute(const tm_plan *p, const struct tm_plan_period *period,
                            const struct tm_plan_charge *charges, size_t n,
                            tm_plan_ledger *ledger, unsigned flags,
                            struct tm_plan_invoice **out, struct tm_error *err)
{
    struct tm_plan_invoice *inv = NULL;
    struct tm_plan_period check;
    const char **tasks = NULL;
    size_t ntasks = 0, *order = NULL, ngrants = ledger ? ledger->ngrants : 0, neligible = 0;
    tm_money *draw = NULL, base = 0, remaining;
    char s1[TM_TIME_TEXT_MAX], s2[TM_TIME_TEXT_MAX];
    int rc = TM_OK;

    if (p == NULL || period == NULL || out == NULL || (charges == NULL && n > 0))
        return tm_error_set(err, TM_EINVAL, "invoice: missing argument");
    tm_time_format(period->start, 0, 0, s1);
    tm_time_format(period->end, 0, 0, s2);
    rc = tm_plan_period_at(p, period->start, &check, err);
    if (rc != TM_OK)
        return rc;
    if (check.start != period->start || check.end != period->end)
        return tm_error_set(err, TM_EINVAL, "plan %s: [%s, %s) is not one of the plan's "
                            "billing periods (get one from tm_plan_period_at)", p->id, s1, s2);
    if (ledger != NULL && ledger->has_closed && period->start < ledger->closed_until) {
        tm_time_format(ledger->closed_until, 0, 0, s2);
        return tm_error_set(err, TM_EINVAL, "plan %s: period starting %s is before the end of "
                            "the last invoiced period (%s): grants were already drawn for it",
                            p->id, s1, s2);
    }
    if (n > TM_PLAN_CHARGES_MAX)
        return tm_error_set(err, TM_ELIMIT, "plan %s: %zu charges in one invoice (at most %u)",
                            p->id, n, TM_PLAN_CHARGES_MAX);

    inv = calloc(1, sizeof(*inv));
    if (inv != NULL)
        inv->lines = calloc(FIXED_LINES + ngrants, sizeof(*inv->lines));
    if (p->has_task_fee)
        tasks = malloc((n ? n : 1) * sizeof(*tasks));
    order = malloc((ngrants ? ngrants : 1) * sizeof(*order));
    draw = calloc(ngrants ? ngrants : 1, sizeof(*draw));
    if (inv == NULL || inv->lines == NULL || (p->has_task_fee && tasks == NULL) ||
        order == NULL || draw == NULL) {
        rc = tm_error_set(err, TM_ENOMEM, "plan %s: out of memory for the invoice", p->id);
        goto out;
    }
    strcpy(inv->plan_id, p->id);
    strcpy(inv->currency, p->currency);
    inv->period = *period;
    inv->minor_digits = p->minor_digits;
    inv->rounding_mode = p->rounding;

    /* 1. Charges. */
    for (size_t i = 0; i < n; i++) {
        const struct tm_plan_charge *c = &charges[i];
        const char *model = c->model ? c->model : "";
        uint64_t t = c->input_tokens + c->output_tokens;

        if (c->at < period->start || c->at >= period->end) {
            tm_time_format(c->at, 0, 0, s2);
            rc = tm_error_set(err, TM_EINVAL, "charges[%zu] (%.64s): at %s is outside the "
                              "period starting %s", i, model, s2[0] ? s2 : "(out of range)",
                              s1);
            goto out;
        }
        if (c->cost < 0 || c->rated < 0) {
            rc = tm_error_set(err, TM_EINVAL, "charges[%zu] (%.64s): %s is negative", i, model,
                              c->cost < 0 ? "cost" : "rated");
            goto out;
        }
        if (t < c->input_tokens || inv->tokens + t < inv->tokens) {
            rc = tm_error_set(err, TM_ERANGE, "charges[%zu] (%.64s): token count overflows",
                              i, model);
            goto out;
        }
        inv->tokens += t;
        rc = sum_money(&inv->provider_cost, c->cost, i, "cost", err);
        if (rc == TM_OK)
            rc = sum_money(&inv->rated, c->rated, i, "rated", err);
        if (rc != TM_OK)
            goto out;
        if (p->has_task_fee && c->task_id != NULL && c->task_id[0] != '\0') {
            if (strnlen(c->task_id, TM_PLAN_ID_MAX) >= TM_PLAN_ID_MAX) {
                rc = tm_error_set(err, TM_ELIMIT, "charges[%zu] (%.64s): task_id is longer "
                                  "than %d bytes", i, model, TM_PLAN_ID_MAX - 1);
                goto out;
            }
            if (!p->task_only_successful || c->success)
                tasks[ntasks++] = c->task_id;
        }
    }
    inv->charges = n;
    base = p->basis == TM__PLAN_BASIS_COST ? inv->provider_cost : inv->rated;

    /* 2. Fee. */
    if (p->has_fee) {
        struct tm_plan_line *l = add_line(inv, TM_PLAN_LINE_FEE, p->fee);
        snprintf(l->description, sizeof(l->description), "subscription fee");
    }
    /* 3, 4. Usage and allowance. */
    if (p->usage_billed) {
        rc = usage_lines(p, inv, base, err);
        if (rc != TM_OK)
            goto out;
    }
    rc = allowance_lines(p, inv, err);
    if (rc != TM_OK)
        goto out;
    if (p->allowance == TM__PLAN_ALLOW_NONE)
        inv->overage = 0;
    /* 5. Per-task fees: each distinct task id once. */
    if (p->has_task_fee) {
        struct tm_plan_line *l;
        tm_money amount;
        char a[TM_MONEY_TEXT_MAX];
        size_t distinct = 0;

        qsort(tasks, ntasks, sizeof(*tasks), cmp_str);
        for (size_t i = 0; i < ntasks; i++)
            if (i == 0 || strcmp(tasks[i], tasks[i - 1]) != 0)
                distinct++;
        if (distinct > INT64_MAX || tm_money_mul(p->task_fee, (int64_t)distinct, &amount) != TM_OK) {
            rc = tm_error_set(err, TM_ERANGE, "plan %s: task fees overflow", p->id);
            goto out;
        }
        l = add_line(inv, TM_PLAN_LINE_TASK_FEE, amount);
        l->quantity = distinct;
        snprintf(l->description, sizeof(l->description), "%s task fee %s x %zu",
                 p->task_only_successful ? "successful" : "per", money_text(p->task_fee, a),
                 distinct);
        inv->tasks_billed = distinct;
    }
    for (size_t i = 0; i < inv->nlines; i++) {
        if (tm_money_add(inv->subtotal, inv->lines[i].amount, &inv->subtotal) != TM_OK) {
            rc = tm_error_set(err, TM_ERANGE, "plan %s: invoice subtotal overflows", p->id);
            goto out;
        }
    }

    /* 6. Grants usable at the period's last instant, in draw order. */
    remaining = inv->subtotal > 0 ? inv->subtotal : 0;
    for (size_t i = 0; i < ngrants; i++) {
        const struct tm__plan_grant_state *g = &ledger->grants[i];
        if (g->g.effective < period->end && g->g.expires >= period->end)
            order[neligible++] = i;
    }
    if (sort_grants(ledger, order, neligible) != TM_OK) {
        rc = tm_error_set(err, TM_ENOMEM, "plan %s: out of memory for the invoice", p->id);
        goto out;
    }
    for (size_t k = 0; k < neligible; k++) {
        const struct tm__plan_grant_state *g = &ledger->grants[order[k]];
        tm_money d = g->balance < remaining ? g->balance : remaining;
        struct tm_plan_line *l;

        if (d <= 0)
            continue;
        draw[order[k]] = d;
        remaining -= d;
        inv->grants_applied += d;
        l = add_line(inv, TM_PLAN_LINE_GRANT, -d);
        snprintf(l->grant_id, sizeof(l->grant_id), "%s", g->id);
        snprintf(l->description, sizeof(l->description), "credit from grant %.100s", g->id);
    }
    inv->total_exact = inv->subtotal - inv->grants_applied;

    /* 7. Round once. */
    if (tm_money_round(inv->total_exact, p->minor_digits, p->rounding, &inv->total) != TM_OK) {
        rc = tm_error_set(err, TM_ERANGE, "plan %s: invoice total overflows when rounded",
                          p->id);
        goto out;
    }
    inv->rounding = inv->total - inv->total_exact;

    /* Ledger: draws, forfeits above rollover caps, expiries; all or none. */
    if (ledger != NULL && !(flags & TM_PLAN_PREVIEW)) {
        size_t nexp = 0;
        size_t *expired = NULL;

        if (tm__plan_ledger_reserve(ledger, 2 * ngrants) != TM_OK) {
            rc = tm_error_set(err, TM_ENOMEM, "plan %s: out of memory for the ledger", p->id);
            goto out;
        }
        expired = malloc((ngrants ? ngrants : 1) * sizeof(*expired));
        if (expired == NULL) {
            rc = tm_error_set(err, TM_ENOMEM, "plan %s: out of memory for the ledger", p->id);
            goto out;
        }
        /* Expired grants are never drawn: their balances are known now, and
         * sorting them (which can fail) happens before anything is appended. */
        for (size_t i = 0; i < ngrants; i++)
            if (ledger->grants[i].g.expires < period->end && ledger->grants[i].balance > 0)
                expired[nexp++] = i;
        if (sort_grants(ledger, expired, nexp) != TM_OK) {
            free(expired);
            rc = tm_error_set(err, TM_ENOMEM, "plan %s: out of memory for the ledger", p->id);
            goto out;
        }
        for (size_t k = 0; k < neligible; k++)
            if (draw[order[k]] > 0)
                tm__plan_ledger_append(ledger, TM_PLAN_ENTRY_DRAW, order[k], -draw[order[k]],
                                       period->start, period->end);
        for (size_t k = 0; k < neligible; k++) {
            const struct tm__plan_grant_state *g = &ledger->grants[order[k]];
            if (g->g.has_rollover_cap && g->balance > g->g.rollover_cap)
                tm__plan_ledger_append(ledger, TM_PLAN_ENTRY_FORFEIT, order[k],
                                       -(g->balance - g->g.rollover_cap), period->start,
                                       period->end);
        }
        for (size_t k = 0; k < nexp; k++)
            tm__plan_ledger_append(ledger, TM_PLAN_ENTRY_EXPIRE, expired[k],
                                   -ledger->grants[expired[k]].balance, period->start,
                                   period->end);
        free(expired);
        ledger->has_closed = true;
        ledger->closed_until = period->end;
    }
    *out = inv;
    inv = NULL;
out:
    tm_plan_invoice_free(inv);
    free(tasks);
    free(order);
    free(draw);
    return rc;
}

/* Free an invoice; NULL is fine. */
void tm_plan_invoice_free(struct tm_plan_invoice *invoice)
{
    if (invoice == NULL)
        return;
    free(invoice->lines);
    free(invoice);
}

/* Short names of line kinds, for reports. */
const char *tm_plan_line_kind_name(enum tm_plan_line_kind kind)
{
    switch (kind) {
    case TM_PLAN_LINE_FEE: return "fee";
    case TM_PLAN_LINE_USAGE: return "usage";
    case TM_PLAN_LINE_TIER: return "tier";
    case TM_PLAN_LINE_ALLOWANCE: return "allowance";
    case TM_PLAN_LINE_OVERAGE: return "overage";
    case TM_PLAN_LINE_TASK_FEE: return "task_fee";
    case TM_PLAN_LINE_GRANT: return "grant";
    }
    return "unknown";
}
