/*
 * The rating engine (include/tokenmeter/price.h): a usage record and a
 * price-book entry give line items, a per-request fee and a total, for the
 * provider's cost and the tenant's price.
 *
 * How a class's rate per token is chosen (docs/PRICEBOOK.md):
 *  1. the entry's per_mtok, with the tier's per_mtok laid over it when the
 *     request's input tokens (all input classes) exceed the tier's
 *     above_input_tokens (the highest such tier; the whole request);
 *  2. for a batch request, each rate set in step 1 is replaced by the batch
 *     rate of the same class (the tier's batch_per_mtok when a tier
 *     applies, else the entry's), or else multiplied by batch_multiplier;
 *     with neither, a batch request is refused for that class;
 *  3. a class still without a rate falls back: cached_input and
 *     cache_write_5m to input, cache_write_1h to cache_write_5m (then
 *     input), reasoning to output; audio and image classes have no
 *     fallback (usage with such tokens and no rate is an error).
 * Every amount is tokens x rate in picounits, exact; the lines and the
 * fee sum to the total with checked arithmetic.
 */
#include <stdio.h>
#include <string.h>

#include "price/price_int.h"

/* The class a class without a rate is priced as, or -1. */
static int fallback_of(int cls)
{
    switch (cls) {
    case TM_CLASS_CACHED_INPUT: return TM_CLASS_INPUT;
    case TM_CLASS_CACHE_WRITE_5M: return TM_CLASS_INPUT;
    case TM_CLASS_CACHE_WRITE_1H: return TM_CLASS_CACHE_WRITE_5M;
    case TM_CLASS_REASONING: return TM_CLASS_OUTPUT;
    default: return -1;
    }
}

/* The classes whose tokens count toward a long-context threshold. */
static bool is_input_class(int cls)
{
    return cls == TM_CLASS_INPUT || cls == TM_CLASS_CACHED_INPUT ||
           cls == TM_CLASS_CACHE_WRITE_5M || cls == TM_CLASS_CACHE_WRITE_1H ||
           cls == TM_CLASS_INPUT_AUDIO || cls == TM_CLASS_INPUT_IMAGE;
}

/* "prices[3] (openai/gpt-4o, effective 2024-10-02)" for messages. */
static void entry_label(const struct tm_price_entry *e, char *out, size_t cap)
{
    snprintf(out, cap, "prices[%zu] (%s/%s, effective %s)", e->index, e->provider, e->model,
             e->effective_text);
}

/* The request's rates after tiers and the batch flag (steps 1 and 2);
 * `no_batch` gets the classes a batch request has no price for. */
static int request_rates(const struct tm_price_entry *e, const struct tm_price_usage *u,
                         const struct tm_price_tier **tier_out,
                         struct tm_price_rates *rates, uint32_t *no_batch,
                         struct tm_error *err)
{
    const struct tm_price_tier *tier = NULL;
    const struct tm_price_rates *batch;
    int64_t input = 0;

    for (int c = 0; c < TM_CLASS_COUNT; c++)
        if (is_input_class(c))
            input += u->tokens[c]; /* each <= 1e15: no overflow */
    for (size_t t = 0; t < e->n_tiers; t++)
        if (input > e->tiers[t].above_input_tokens)
            tier = &e->tiers[t];
    *rates = e->rates;
    if (tier != NULL)
        tm__price_overlay(rates, &tier->rates);
    *tier_out = tier;
    *no_batch = 0;
    if (!u->batch)
        return TM_OK;
    batch = tier != NULL ? &tier->batch_rates : &e->batch_rates;
    for (int c = 0; c < TM_CLASS_COUNT; c++) {
        if (batch->set & (1u << c)) {
            rates->per_token[c] = batch->per_token[c];
            rates->set |= 1u << c;
        } else if (rates->set & (1u << c)) {
            if (!e->has_batch_multiplier) {
                *no_batch |= 1u << c;
                continue;
            }
            if (tm_money_muldiv(rates->per_token[c], e->batch_multiplier.num,
                                e->batch_multiplier.den, TM_ROUND_HALF_EVEN,
                                &rates->per_token[c]) != TM_OK) {
                char label[300];
                entry_label(e, label, sizeof(label));
                return tm_error_set(err, TM_ERANGE, "%s: the batch rate of %s overflows",
                                    label, tm_price_class_name((enum tm_token_class)c));
            }
        }
    }
    return TM_OK;
}

/* The rate of class cls after fallbacks (step 3). */
static int class_rate(const struct tm_price_entry *e, const struct tm_price_rates *rates,
                      uint32_t no_batch, int cls, tm_money *out, struct tm_error *err)
{
    int c = cls;
    char label[300];

    while (c >= 0 && !(rates->set & (1u << c)) && !(no_batch & (1u << c)))
        c = fallback_of(c);
    entry_label(e, label, sizeof(label));
    if (c < 0)
        return tm_error_set(err, TM_EINVAL, "%s: no rate for %s tokens (the entry's "
                            "per_mtok has no \"%s\")", label,
                            tm_price_class_name((enum tm_token_class)cls),
                            tm_price_class_name((enum tm_token_class)cls));
    if (no_batch & (1u << c))
        return tm_error_set(err, TM_EINVAL, "%s: a batch request, but the entry has no "
                            "batch price for %s tokens (give batch_multiplier or "
                            "batch_per_mtok.%s)", label,
                            tm_price_class_name((enum tm_token_class)cls),
                            tm_price_class_name((enum tm_token_class)c));
    *out = rates->per_token[c];
    return TM_OK;
}

/* Rate one usage record against one entry: check the counts, choose the
 * rates, then build the lines (input and output always, other classes
 * with tokens) and sum them with checked arithmetic. */
int tm_price_rate_entry(const struct tm_price_entry *e, const struct tm_price_usage *usage,
                        const tm_price_overrides *ov, struct tm_price_rating *out,
                        struct tm_error *err)
{
    struct tm_price_rates rates;
    struct tm_price_rating r;
    uint32_t no_batch;
    char label[300];
    int rc;

    entry_label(e, label, sizeof(label));
    for (int c = 0; c < TM_CLASS_COUNT; c++)
        if (usage->tokens[c] < 0 || usage->tokens[c] > TM_PRICE_MAX_TOKENS)
            return tm_error_set(err, TM_EINVAL, "usage: %s tokens: %lld is out of range "
                                "(0 to %lld)", tm_price_class_name((enum tm_token_class)c),
                                (long long)usage->tokens[c], TM_PRICE_MAX_TOKENS);
    memset(&r, 0, sizeof(r));
    r.entry = e;
    r.batch = usage->batch;
    if ((rc = request_rates(e, usage, &r.tier, &rates, &no_batch, err)) != TM_OK)
        return rc;
    for (int c = 0; c < TM_CLASS_COUNT; c++) {
        struct tm_price_line *l;
        if (usage->tokens[c] == 0 && c != TM_CLASS_INPUT && c != TM_CLASS_OUTPUT)
            continue;
        l = &r.lines[r.n_lines++];
        l->cls = (enum tm_token_class)c;
        l->tokens = usage->tokens[c];
        if ((rc = class_rate(e, &rates, no_batch, c, &l->unit_cost, err)) != TM_OK)
            return rc;
        if ((rc = tm__price_tenant_rate(ov, e, l->cls, l->unit_cost, &l->unit_price, err)) != TM_OK)
            return rc;
        if (tm_money_mul(l->unit_cost, l->tokens, &l->cost) != TM_OK ||
            tm_money_mul(l->unit_price, l->tokens, &l->price) != TM_OK ||
            tm_money_add(r.total_cost, l->cost, &r.total_cost) != TM_OK ||
            tm_money_add(r.total_price, l->price, &r.total_price) != TM_OK)
            return tm_error_set(err, TM_ERANGE, "%s: the amount for %lld %s tokens "
                                "overflows", label, (long long)l->tokens,
                                tm_price_class_name(l->cls));
    }
    r.request_cost = e->per_request;
    if ((rc = tm__price_tenant_fee(ov, e, e->per_request, &r.request_price, err)) != TM_OK)
        return rc;
    if (tm_money_add(r.total_cost, r.request_cost, &r.total_cost) != TM_OK ||
        tm_money_add(r.total_price, r.request_price, &r.total_price) != TM_OK)
        return tm_error_set(err, TM_ERANGE, "%s: the total overflows", label);
    *out = r;
    return TM_OK;
}

/* Find the entry in effect at the usage's time, then rate against it. */
int tm_price_rate(const tm_price_book *book, const char *provider, const char *model,
                  const struct tm_price_usage *usage, const tm_price_overrides *ov,
                  struct tm_price_rating *out, struct tm_error *err)
{
    const struct tm_price_entry *e;
    int rc = tm_price_book_find(book, provider, model, usage->at, &e, err);

    if (rc != TM_OK)
        return rc;
    return tm_price_rate_entry(e, usage, ov, out, err);
}
