/*
 * tokenmeter money: exact fixed-point amounts.
 *
 * The unit. Every amount and every rate is a whole number of picounits:
 * 1e-12 of the currency's major unit (for USD, 1 picounit = $0.000000000001).
 * Public prices are quoted per million tokens with at most six decimals of
 * the major unit ($0.0375/M, $0.01875/M: Google's Gemini 2.0 Flash-Lite
 * cached input), so a per-token rate in picounits is a whole number for every
 * such price: $0.0375/M = 37,500 picounits per token, $0.000001/M = 1.
 * A rate finer than that is refused, not rounded.
 *
 * The type. tm_money is a signed 128-bit integer, so one type serves rates,
 * line items, invoices and ledger totals: it holds +-(2^127 - 1) picounits,
 * about +-1.7e26 major units. TM_MONEY_MAX / TM_MONEY_MIN are
 * the bounds. Every operation here checks for overflow and returns TM_ERANGE
 * instead of wrapping; no floating point is used anywhere.
 *
 * Rounding. Amounts stay exact in picounits through rating, summing and
 * plans. Rounding to the currency's minor unit (cents for USD, none for JPY)
 * happens once, at the edge: on invoice totals and displays, with
 * tm_money_round, half-to-even unless the caller asks for another mode.
 * The one other rounding is a percentage or ratio (markup, discount,
 * multiplier) that leaves a fraction of a picounit: tm_money_muldiv rounds
 * it, half-to-even, at the picounit, which is 1e-10 of a cent.
 *
 * Text. Amounts print and parse as exact decimal strings in major units
 * ("2.5", "0.0000000375", "-12.34"); the parser also takes a JSON-style
 * exponent ("3.75e-08") so number text from other price lists converts
 * exactly.
 *
 * All functions are pure and thread-safe.
 */
#ifndef TOKENMETER_MONEY_H
#define TOKENMETER_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokenmeter/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An amount or a rate in picounits (1e-12 of the major unit). A scalar
 * typedef, unlike the rest of the API, because it is an arithmetic value. */
typedef __int128 tm_money;

#define TM_MONEY_DIGITS 12                     /* decimals of a picounit */
#define TM_MONEY_SCALE ((tm_money)1000000000000LL) /* picounits per major unit */
#define TM_MONEY_MAX ((tm_money)(((unsigned __int128)1 << 127) - 1))
#define TM_MONEY_MIN (-TM_MONEY_MAX)  /* symmetric: negation never overflows */

/* Longest text tm_money_format writes, including the NUL
 * ("-170141183460469231731687303.715884105727" is 41 bytes). */
#define TM_MONEY_TEXT_MAX 48

/* How a value that falls between two representable ones is rounded. */
enum tm_round {
    TM_ROUND_HALF_EVEN = 0, /* to nearest, ties to even (banker's) */
    TM_ROUND_HALF_UP = 1,   /* to nearest, ties away from zero */
    TM_ROUND_DOWN = 2,      /* toward zero (truncate) */
    TM_ROUND_UP = 3,        /* away from zero */
    TM_ROUND_FLOOR = 4,     /* toward -infinity */
    TM_ROUND_CEILING = 5,   /* toward +infinity */
};

/* Checked arithmetic: *out = a + b, a - b, a * n. TM_ERANGE (and *out
 * untouched) when the result is outside [TM_MONEY_MIN, TM_MONEY_MAX]. */
int tm_money_add(tm_money a, tm_money b, tm_money *out);
int tm_money_sub(tm_money a, tm_money b, tm_money *out);
int tm_money_mul(tm_money a, int64_t n, tm_money *out);

/* *out = a * num / den, the quotient rounded by `mode`; den > 0.
 * TM_EINVAL for den <= 0, TM_ERANGE on overflow. */
int tm_money_muldiv(tm_money a, int64_t num, int64_t den, enum tm_round mode,
                    tm_money *out);

/* Round a to `digits` decimals of the major unit (0..12; 2 = cents) by
 * `mode`. TM_EINVAL for digits out of range, TM_ERANGE on overflow. */
int tm_money_round(tm_money a, int digits, enum tm_round mode, tm_money *out);

/* Parse an exact decimal amount in major units: optional '-' or '+', digits,
 * optional '.' and digits, optional exponent ('e' or 'E', sign, digits).
 * The whole of s[0..len) must be the number. A value with a nonzero digit
 * finer than a picounit, or outside the range, is an error; `what` names the
 * input in the message ("prices[3].per_mtok.input"). */
int tm_money_parse(const char *s, size_t len, const char *what, tm_money *out,
                   struct tm_error *err);

/* Write a as a decimal in major units, with at least min_frac (0..12)
 * fractional digits and no trailing zeros beyond them ("2.5" with 0,
 * "2.50" with 2). buf must hold TM_MONEY_TEXT_MAX bytes. Returns the length. */
size_t tm_money_format(tm_money a, int min_frac, char *buf);

/* A rate per million tokens (major units, decimal text) as a per-token rate
 * in picounits: "2.50" -> 2,500,000. A rate finer than one picounit per token
 * ($0.000001/M) is an error naming `what`; so is a negative rate. */
int tm_money_parse_per_mtok(const char *s, size_t len, const char *what,
                            tm_money *per_token, struct tm_error *err);
/* The inverse: a per-token rate written per million tokens ("2.5"), with at
 * least min_frac fractional digits. Returns the length. */
size_t tm_money_format_per_mtok(tm_money per_token, int min_frac, char *buf);

/* An exact non-negative ratio num/den, for multipliers and percentages. */
struct tm_ratio {
    int64_t num;
    int64_t den; /* > 0; a power of ten from tm_ratio_parse */
};

/* Parse a non-negative decimal ("0.5", "1.15", "20") into a ratio, at most
 * 12 fractional digits and 1e6 as the largest value. If `percent` is true
 * the value is a percentage ("20" -> 20/100). Errors name `what`. */
int tm_ratio_parse(const char *s, size_t len, bool percent, const char *what,
                   struct tm_ratio *out, struct tm_error *err);

/* Decimals in the minor unit of an ISO 4217 currency code (2 for "USD",
 * 0 for "JPY", 3 for "KWD"); -1 for a code not in the table. */
int tm_currency_minor_digits(const char *code);

#ifdef __cplusplus
}
#endif
#endif
