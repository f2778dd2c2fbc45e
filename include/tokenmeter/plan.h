/*
 * tokenmeter plan: what a tenant pays for a billing period.
 *
 * A plan (docs/PLANS.md, JSON format "tokenmeter-plan/1") combines:
 *  - usage pricing: pay-as-you-go at the price book's rated amount (or the
 *    provider's cost) with a markup or discount, or graduated/volume tiers
 *    on the period's tokens (a price per million tokens per band) or spend
 *    (a markup per band);
 *  - a subscription: a fee per period with an included allowance in money
 *    or tokens, usage beyond it billed at the usage price or, for a token
 *    allowance, at its own overage rate;
 *  - per-task fees: a flat price per distinct task id, optionally only for
 *    tasks marked successful (outcome-based pricing);
 *  - prepaid credit grants, kept in an append-only ledger
 *    (tm_plan_ledger) and drawn down in a fixed order: priority (lower
 *    first), earliest expiry, oldest effective date, then grant id.
 *
 * Periods follow the tenant's time zone: a month runs from local midnight
 * of the anchor day to local midnight of the anchor day of the next month
 * (clamped to the month's last day), so a period is not a whole number of
 * 24-hour days when DST changes inside it.
 *
 * The plan module takes already-rated charges (struct tm_plan_charge); it
 * does not look at the price book. Amounts stay exact in picounits on every
 * line; only the invoice total is rounded, once, to the currency's minor
 * unit, and the rounding difference is shown.
 *
 * Thread safety: a tm_plan is immutable after loading and may be shared.
 * A ledger is not locked: one writer at a time.
 */
#ifndef TOKENMETER_PLAN_H
#define TOKENMETER_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokenmeter/core.h"
#include "tokenmeter/money.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tm_plan tm_plan;
typedef struct tm_plan_ledger tm_plan_ledger;

/* Hard caps on outside input. */
#define TM_PLAN_FILE_MAX (1u << 20) /* bytes of a plan file */
#define TM_PLAN_ID_MAX 128          /* plan, grant and task ids, including the NUL */
#define TM_PLAN_TIERS_MAX 64        /* tier bands */
#define TM_PLAN_GRANTS_MAX 10000    /* grants in a ledger */
#define TM_PLAN_CHARGES_MAX 50000000u /* charges in one invoice */
#define TM_PLAN_LINE_TEXT_MAX 224   /* a line's description, including the NUL */

/* An instant that never comes: a grant without expiry. */
#define TM_PLAN_NEVER INT64_MAX

/* Load a plan from a file / from JSON text. `name` names the text in
 * errors (a file name). NULL on failure with err naming the file, the field
 * ("tiers.bands[2].up_to") and the cause; nothing is half-loaded. */
tm_plan *tm_plan_load(const char *path, struct tm_error *err);
tm_plan *tm_plan_parse(const char *json, size_t len, const char *name, struct tm_error *err);
void tm_plan_free(tm_plan *plan);

/* The plan's id, ISO 4217 currency, zone and rounding mode. Borrowed. */
const char *tm_plan_id(const tm_plan *plan);
const char *tm_plan_currency(const tm_plan *plan);
const tm_tz *tm_plan_tz(const tm_plan *plan);
enum tm_round tm_plan_rounding(const tm_plan *plan);

/* One billing period: [start, end) in UTC seconds, and the local dates its
 * boundaries fall on in the plan's zone (end_date is the next period's
 * start_date). */
struct tm_plan_period {
    int64_t start, end;
    struct tm_date start_date, end_date;
};

/* The period containing instant `at`. TM_ERANGE outside supported years. */
int tm_plan_period_at(const tm_plan *plan, int64_t at, struct tm_plan_period *out,
                      struct tm_error *err);

/* One rated charge: what the price module made of one usage record. */
struct tm_plan_charge {
    int64_t at;             /* when it happened, UTC seconds */
    const char *model;      /* may be NULL; named in errors */
    uint64_t input_tokens;  /* every input class (uncached, cached, cache writes) */
    uint64_t output_tokens; /* every output class (including reasoning) */
    tm_money cost;          /* what the provider charges (>= 0) */
    tm_money rated;         /* the price book amount (>= 0) */
    const char *task_id;    /* NULL or "" when not part of a task */
    bool success;           /* the task's outcome, for outcome-based fees */
};

/* A prepaid credit grant. */
struct tm_plan_grant {
    const char *id;          /* unique in the ledger, 1..TM_PLAN_ID_MAX-1 bytes */
    tm_money amount;         /* > 0 */
    int32_t priority;        /* lower is drawn first (0 if unsure) */
    int64_t effective;       /* usable from this instant */
    int64_t expires;         /* not usable from this instant; TM_PLAN_NEVER */
    bool has_rollover_cap;   /* false: everything left rolls over */
    tm_money rollover_cap;   /* most that carries into the next period (>= 0) */
};

/* What happened to a grant. Amounts are signed: + adds credit, - removes. */
enum tm_plan_entry_kind {
    TM_PLAN_ENTRY_GRANT = 0,   /* the grant was added (+amount) */
    TM_PLAN_ENTRY_DRAW = 1,    /* drawn to pay an invoice (-) */
    TM_PLAN_ENTRY_FORFEIT = 2, /* above the rollover cap at a period's end (-) */
    TM_PLAN_ENTRY_EXPIRE = 3,  /* what was left when it expired (-) */
};

/* One ledger entry. grant_id is owned by the ledger. */
struct tm_plan_ledger_entry {
    enum tm_plan_entry_kind kind;
    const char *grant_id;
    tm_money amount;
    int64_t period_start, period_end; /* the invoice's period; 0, 0 for GRANT */
};

/* A new ledger holding the plan's grants (plan may be NULL: empty).
 * NULL on failure (out of memory). Free with tm_plan_ledger_free. */
tm_plan_ledger *tm_plan_ledger_new(const tm_plan *plan, struct tm_error *err);
void tm_plan_ledger_free(tm_plan_ledger *ledger);

/* Append a grant (the struct is copied). TM_EINVAL naming the grant for a
 * duplicate id, an amount <= 0, a negative cap, expiry not after effective;
 * TM_ELIMIT past TM_PLAN_GRANTS_MAX. The order grants are added in never
 * changes how they are drawn. */
int tm_plan_ledger_add_grant(tm_plan_ledger *ledger, const struct tm_plan_grant *grant,
                             struct tm_error *err);

/* The remaining balance of a grant; TM_ENOENT for an unknown id. */
int tm_plan_ledger_balance(const tm_plan_ledger *ledger, const char *grant_id, tm_money *out);

/* The entries, oldest first. */
size_t tm_plan_ledger_count(const tm_plan_ledger *ledger);
const struct tm_plan_ledger_entry *tm_plan_ledger_entry(const tm_plan_ledger *ledger, size_t i);

/* What a line of an invoice is. */
enum tm_plan_line_kind {
    TM_PLAN_LINE_FEE = 0,       /* subscription fee */
    TM_PLAN_LINE_USAGE = 1,     /* pay-as-you-go usage with markup */
    TM_PLAN_LINE_TIER = 2,      /* one tier band's part of usage */
    TM_PLAN_LINE_ALLOWANCE = 3, /* usage covered by the included allowance (<= 0) */
    TM_PLAN_LINE_OVERAGE = 4,   /* tokens beyond a token allowance at its overage rate */
    TM_PLAN_LINE_TASK_FEE = 5,  /* per-task fees */
    TM_PLAN_LINE_GRANT = 6,     /* credit drawn from one grant (< 0) */
};

/* One invoice line; amounts exact in picounits, signed. */
struct tm_plan_line {
    enum tm_plan_line_kind kind;
    char description[TM_PLAN_LINE_TEXT_MAX];
    uint64_t quantity;       /* tokens (usage, token tiers, token allowance, overage),
                                tasks (task fees); 0 otherwise */
    tm_money quantity_money; /* spend (spend tiers), money allowance used */
    tm_money amount;
    char grant_id[TM_PLAN_ID_MAX]; /* GRANT lines */
};

/* A period's invoice. Lines sum to subtotal; subtotal - grants_applied is
 * total_exact; total is total_exact rounded once to the currency's minor
 * unit by the plan's mode; rounding = total - total_exact. */
struct tm_plan_invoice {
    char plan_id[TM_PLAN_ID_MAX];
    char currency[8];
    struct tm_plan_period period;
    struct tm_plan_line *lines;
    size_t nlines;
    size_t charges;           /* charges in the period */
    uint64_t tokens;          /* input + output tokens */
    tm_money provider_cost;   /* sum of cost */
    tm_money rated;           /* sum of rated */
    tm_money usage;           /* usage at plan prices, before any allowance */
    tm_money allowance_used;  /* money allowance: usage covered */
    tm_money allowance_left;  /* money allowance: not used this period */
    uint64_t allowance_tokens_used, allowance_tokens_left; /* token allowance */
    tm_money overage;         /* usage billed beyond the allowance */
    uint64_t tasks_billed;
    tm_money subtotal;        /* sum of lines other than GRANT */
    tm_money grants_applied;  /* sum drawn from grants (>= 0) */
    tm_money total_exact;
    tm_money total;           /* amount due */
    tm_money rounding;        /* total - total_exact */
    int minor_digits;
    enum tm_round rounding_mode;
};

/* Flags of tm_plan_invoice_compute. */
#define TM_PLAN_PREVIEW 1u /* compute the draws but do not append them */

/*
 * Compute the invoice of one period from its charges (every charge must lie
 * in [period->start, period->end)). Grants usable on the invoice are those
 * in effect at the period's last instant (effective < end <= expires); they
 * are drawn against the amount due in the order priority, expiry,
 * effective, id. Then, unless TM_PLAN_PREVIEW, the ledger gets the draws,
 * the forfeits above each grant's rollover cap, and the balances of grants
 * that expired; a period must start at or after the end of the last one
 * invoiced. ledger may be NULL when no grants are wanted.
 *
 * On error nothing is appended and *out is untouched: TM_EINVAL naming the
 * charge (index, model) or the period, TM_ERANGE on overflow, TM_ELIMIT
 * past a cap. Free the invoice with tm_plan_invoice_free.
 */
int tm_plan_invoice_compute(const tm_plan *plan, const struct tm_plan_period *period,
                            const struct tm_plan_charge *charges, size_t ncharges,
                            tm_plan_ledger *ledger, unsigned flags,
                            struct tm_plan_invoice **out, struct tm_error *err);
void tm_plan_invoice_free(struct tm_plan_invoice *invoice);

/* A short name of a line kind ("fee", "usage", "tier", ...). */
const char *tm_plan_line_kind_name(enum tm_plan_line_kind kind);

#ifdef __cplusplus
}
#endif
#endif
