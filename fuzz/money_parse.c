/*
 * Fuzz target: the money text parsers and formatters
 * (include/tokenmeter/money.h): tm_money_parse, tm_money_format,
 * tm_money_parse_per_mtok, tm_money_format_per_mtok, tm_ratio_parse.
 *
 * Input: the whole input is the text for every parser; its first 17 bytes
 * (zero-padded) also give a raw amount (16 bytes, brought into range) and
 * a min_frac (0..12) for the formatters. Checks:
 *  - a parser accepts only text of the grammar [+-]?D+(.D+)?([eE][+-]?D+)?
 *    (checked here by hand, no strtod), and refuses text of it only for
 *    range or precision (TM_ERANGE), or, for rates and ratios, a negative
 *    value (TM_EINVAL), never as "not a number"; every refusal has a
 *    message naming `what`;
 *  - for plain text (no exponent, at most 12 decimals, 25 integer digits)
 *    the value is the one computed here digit by digit;
 *  - an accepted amount formats (every min_frac) to text that parses back
 *    to the same value and has at least min_frac and at most 12 decimals;
 *  - the parsers agree with each other: a per-token rate is the amount /
 *    10^6, a ratio num/den is the amount (or the amount / 100 for a
 *    percentage), and each accepts exactly what the others say it should;
 *  - a ratio's den is a power of ten > 0 and num/den is in lowest terms
 *    with respect to 10;
 *  - the raw amount formats and parses back to itself (money and per-token
 *    rate), and tm_money_round of it is a multiple of the step, less than
 *    one step away.
 */
#include "tokenmeter/money.h"
#include "fuzz_common.h"

#define WHAT "fuzz.amount"
#define MAX_TEXT 4096

typedef unsigned __int128 u128;

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Whether s[0..len) is [+-]?D+(.D+)?([eE][+-]?D+)?; *plain when it has no
 * exponent, with n_int / n_frac digits before / after the point. */
static bool grammar(const char *s, size_t len, bool *plain, size_t *n_int, size_t *n_frac)
{
    size_t i = 0, k;

    *plain = true;
    *n_int = *n_frac = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    for (k = i; i < len && is_digit(s[i]); i++)
        ;
    *n_int = i - k;
    if (*n_int == 0)
        return false;
    if (i < len && s[i] == '.') {
        i++;
        for (k = i; i < len && is_digit(s[i]); i++)
            ;
        *n_frac = i - k;
        if (*n_frac == 0)
            return false;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        *plain = false;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        for (k = i; i < len && is_digit(s[i]); i++)
            ;
        if (i == k)
            return false;
    }
    return i == len;
}

/* The value of plain text in picounits, computed digit by digit; false
 * when it does not fit (the caller keeps to 25 integer digits). */
static bool plain_value(const char *s, size_t len, tm_money *out)
{
    bool negative = s[0] == '-';
    size_t i = s[0] == '-' || s[0] == '+';
    u128 m = 0;
    int frac = -1;

    for (; i < len; i++) {
        if (s[i] == '.') {
            frac = 0;
            continue;
        }
        if (frac >= 0)
            frac++;
        m = m * 10 + (u128)(s[i] - '0');
    }
    if (frac < 0)
        frac = 0;
    for (; frac < TM_MONEY_DIGITS; frac++)
        m *= 10;
    if (m > (u128)TM_MONEY_MAX)
        return false;
    *out = negative ? -(tm_money)m : (tm_money)m;
    return true;
}

/* A refusal: TM_EINVAL exactly for text outside the grammar, or (when
 * `negative_refused`) a negative value; TM_ERANGE otherwise. */
static void check_refusal(int rc, const struct tm_error *err, bool in_grammar,
                          bool negative_refused, const char *parser)
{
    FUZZ_CHECK(rc == TM_EINVAL || rc == TM_ERANGE, "%s: rc %d", parser, rc);
    FUZZ_CHECK(err->code == rc && starts_with(err->message, WHAT ": "),
               "%s: the error does not name the input: %s", parser, err->message);
    if (!in_grammar)
        FUZZ_CHECK(rc == TM_EINVAL, "%s: text outside the grammar refused with %d", parser, rc);
    else if (!negative_refused)
        FUZZ_CHECK(rc == TM_ERANGE, "%s: a number refused as not one: %s", parser,
                   err->message);
}

/* Whether grammatical text is negative and not zero: a '-' sign and a
 * nonzero digit before any exponent. */
static bool negative_nonzero(const char *s, size_t len)
{
    if (len == 0 || s[0] != '-')
        return false;
    for (size_t i = 1; i < len && s[i] != 'e' && s[i] != 'E'; i++)
        if (s[i] >= '1' && s[i] <= '9')
            return true;
    return false;
}

/* Format a (money or per-token) every way and parse it back. */
static void check_format(tm_money a)
{
    char buf[TM_MONEY_TEXT_MAX + 8];
    struct tm_error err = {0};

    for (int min_frac = 0; min_frac <= TM_MONEY_DIGITS; min_frac++) {
        tm_money back = 0;
        size_t len;
        const char *dot;

        memset(buf, 'x', sizeof(buf));
        len = tm_money_format(a, min_frac, buf);
        FUZZ_CHECK(len < TM_MONEY_TEXT_MAX && buf[len] == '\0' && strlen(buf) == len,
                   "format wrote %zu bytes", len);
        FUZZ_CHECK(tm_money_parse(buf, len, WHAT, &back, &err) == TM_OK && back == a,
                   "format(%d) gives \"%s\", which parses %s", min_frac, buf,
                   err.message[0] ? err.message : "to another value");
        dot = strchr(buf, '.');
        FUZZ_CHECK(dot ? (int)strlen(dot + 1) >= min_frac && strlen(dot + 1) <= 12 &&
                             (strlen(dot + 1) == (size_t)min_frac || buf[len - 1] != '0')
                       : min_frac == 0,
                   "format(%d) gives \"%s\"", min_frac, buf);
        FUZZ_CHECK(buf[0] != '-' || a < 0, "format of a non-negative amount: \"%s\"", buf);
        if (a >= 0) {
            len = tm_money_format_per_mtok(a, min_frac > 6 ? 6 : min_frac, buf);
            FUZZ_CHECK(len < TM_MONEY_TEXT_MAX && strlen(buf) == len, "per_mtok length");
            FUZZ_CHECK(tm_money_parse_per_mtok(buf, len, WHAT, &back, &err) == TM_OK &&
                           back == a,
                       "format_per_mtok gives \"%s\", which parses %s", buf,
                       err.message[0] ? err.message : "to another value");
        }
    }
}

static void check_round(tm_money a, int digits)
{
    tm_money r, step = 1;

    for (int k = digits; k < TM_MONEY_DIGITS; k++)
        step *= 10;
    for (int mode = TM_ROUND_HALF_EVEN; mode <= TM_ROUND_CEILING; mode++) {
        int rc = tm_money_round(a, digits, (enum tm_round)mode, &r);
        tm_money diff;
        if (rc != TM_OK) {
            FUZZ_CHECK(rc == TM_ERANGE, "round: rc %d", rc);
            continue;
        }
        FUZZ_CHECK(r % step == 0, "round to %d digits: not a multiple", digits);
        FUZZ_CHECK(tm_money_sub(r, a, &diff) == TM_OK && diff > -step && diff < step,
                   "round to %d digits moved more than a step", digits);
        if (mode == TM_ROUND_FLOOR)
            FUZZ_CHECK(r <= a, "floor went up");
        if (mode == TM_ROUND_CEILING)
            FUZZ_CHECK(r >= a, "ceiling went down");
        if (mode == TM_ROUND_DOWN)
            FUZZ_CHECK((r < 0 ? -r : r) <= (a < 0 ? -a : a) && (r == 0 || (r < 0) == (a < 0)),
                       "down went away from zero");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    size_t len = size > MAX_TEXT ? MAX_TEXT : size;
    struct tm_error err = {0};
    tm_money amount = 0, per_token = 0, raw = 0;
    struct tm_ratio ratio, pct;
    bool in_grammar, plain, negative;
    size_t n_int, n_frac;
    int rc_amount, rc_rate, rc_ratio, rc_pct;
    uint8_t head[17] = {0};

    in_grammar = grammar(s, len, &plain, &n_int, &n_frac);
    negative = in_grammar && negative_nonzero(s, len);

    rc_amount = tm_money_parse(s, len, WHAT, &amount, &err);
    if (rc_amount != TM_OK) {
        check_refusal(rc_amount, &err, in_grammar, false, "parse");
    } else {
        FUZZ_CHECK(in_grammar, "parse accepted text outside the grammar");
        FUZZ_CHECK(amount >= TM_MONEY_MIN, "parse gave an amount out of range");
        check_format(amount);
    }
    if (in_grammar && plain && n_frac <= 12 && n_int <= 25) {
        tm_money want;
        FUZZ_CHECK(plain_value(s, len, &want), "plain value");
        FUZZ_CHECK(rc_amount == TM_OK && amount == want, "parse of plain text: rc %d, %s",
                   rc_amount, rc_amount == TM_OK ? "another value" : err.message);
    }

    memset(&err, 0, sizeof(err));
    rc_rate = tm_money_parse_per_mtok(s, len, WHAT, &per_token, &err);
    if (rc_rate != TM_OK) {
        check_refusal(rc_rate, &err, in_grammar, negative, "parse_per_mtok");
        /* An amount that is a whole number of 10^6 picounits and not
         * negative is a rate. */
        FUZZ_CHECK(rc_amount != TM_OK || amount < 0 || amount % 1000000 != 0,
                   "parse_per_mtok refused an amount that is a rate: %s", err.message);
    } else {
        FUZZ_CHECK(in_grammar, "parse_per_mtok accepted text outside the grammar");
        FUZZ_CHECK(per_token >= 0, "parse_per_mtok gave a negative rate");
        /* The amount is the rate x 10^6, when it fits. */
        if (per_token <= TM_MONEY_MAX / 1000000)
            FUZZ_CHECK(rc_amount == TM_OK && amount == per_token * 1000000,
                       "amount and rate disagree");
        else
            FUZZ_CHECK(rc_amount == TM_ERANGE, "a huge rate parsed as an amount");
    }

    memset(&err, 0, sizeof(err));
    rc_ratio = tm_ratio_parse(s, len, false, WHAT, &ratio, &err);
    if (rc_ratio != TM_OK) {
        check_refusal(rc_ratio, &err, in_grammar, negative, "ratio_parse");
        FUZZ_CHECK(rc_amount != TM_OK || amount < 0 ||
                       amount > (tm_money)1000000 * TM_MONEY_SCALE,
                   "ratio_parse refused a ratio: %s", err.message);
    } else {
        FUZZ_CHECK(in_grammar, "ratio_parse accepted text outside the grammar");
        FUZZ_CHECK(rc_amount == TM_OK && amount >= 0, "ratio accepted, amount not");
        FUZZ_CHECK(ratio.num >= 0 && ratio.den > 0, "ratio %lld/%lld", (long long)ratio.num,
                   (long long)ratio.den);
        FUZZ_CHECK((tm_money)ratio.num * TM_MONEY_SCALE == amount * ratio.den,
                   "ratio %lld/%lld is not the amount", (long long)ratio.num,
                   (long long)ratio.den);
    }
    memset(&err, 0, sizeof(err));
    rc_pct = tm_ratio_parse(s, len, true, WHAT, &pct, &err);
    if (rc_pct != TM_OK) {
        check_refusal(rc_pct, &err, in_grammar, negative, "ratio_parse(percent)");
        FUZZ_CHECK(rc_ratio != TM_OK, "a ratio but not a percentage: %s", err.message);
    } else {
        FUZZ_CHECK(rc_ratio == TM_OK, "a percentage but not a ratio");
        FUZZ_CHECK((tm_money)pct.num * TM_MONEY_SCALE * 100 == amount * pct.den,
                   "percentage %lld/%lld is not the amount / 100", (long long)pct.num,
                   (long long)pct.den);
    }
    for (int k = 0; k < 2; k++) {
        const struct tm_ratio *r = k ? &pct : &ratio;
        int64_t den;
        if ((k ? rc_pct : rc_ratio) != TM_OK)
            continue;
        for (den = r->den; den % 10 == 0; den /= 10)
            ;
        FUZZ_CHECK(den == 1, "ratio den %lld is not a power of ten", (long long)r->den);
        FUZZ_CHECK(r->num == 0 ? r->den == 1 : (r->den == 1 || r->num % 10 != 0),
                   "ratio %lld/%lld not reduced", (long long)r->num, (long long)r->den);
    }

    /* The raw amount of the first bytes. */
    memcpy(head, data, size < sizeof(head) ? size : sizeof(head));
    memcpy(&raw, head, sizeof(raw));
    if (raw < TM_MONEY_MIN)
        raw = TM_MONEY_MIN;
    check_format(raw);
    check_round(raw, head[16] % (TM_MONEY_DIGITS + 1));
    if (rc_amount == TM_OK)
        check_round(amount, head[16] % (TM_MONEY_DIGITS + 1));
    return 0;
}
