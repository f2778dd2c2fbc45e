/*
 * Exact fixed-point money (include/tokenmeter/money.h).
 *
 * Values are signed 128-bit counts of picounits (1e-12 of a major unit),
 * kept in [-(2^127 - 1), 2^127 - 1]. Arithmetic works on the unsigned
 * magnitude with the sign carried beside it: unsigned 128-bit arithmetic is
 * defined on wrap, so every bound is checked explicitly before it could be
 * reached, and the compiler never needs a signed 128-bit overflow helper
 * (which clang would take from compiler-rt, not libgcc).
 */
#include "tokenmeter/money.h"

#include <string.h>

typedef unsigned __int128 u128;

#define MAG_MAX ((u128)TM_MONEY_MAX)
#define INPUT_SHOWN 48 /* longest piece of a bad input quoted in a message */

/* |a| for any a in range. */
static u128 magnitude(tm_money a)
{
    return a < 0 ? (u128)0 - (u128)a : (u128)a;
}

/* The value with sign `negative` and magnitude m, or TM_ERANGE. */
static int make(bool negative, u128 m, tm_money *out)
{
    if (m > MAG_MAX)
        return TM_ERANGE;
    *out = negative ? -(tm_money)m : (tm_money)m;
    return TM_OK;
}

static bool in_range(tm_money a)
{
    return a >= TM_MONEY_MIN;
}

/* 10^n for n in 0..38 (10^38 < 2^127). */
static u128 pow10_u128(int n)
{
    u128 p = 1;
    while (n-- > 0)
        p *= 10;
    return p;
}

int tm_money_add(tm_money a, tm_money b, tm_money *out)
{
    if (!in_range(a) || !in_range(b))
        return TM_ERANGE;
    bool na = a < 0, nb = b < 0;
    u128 ma = magnitude(a), mb = magnitude(b);
    if (na == nb)
        return make(na, ma + mb, out); /* each < 2^127: no unsigned wrap */
    if (ma >= mb)
        return make(na, ma - mb, out);
    return make(nb, mb - ma, out);
}

int tm_money_sub(tm_money a, tm_money b, tm_money *out)
{
    if (!in_range(b))
        return TM_ERANGE;
    return tm_money_add(a, -b, out);
}

int tm_money_mul(tm_money a, int64_t n, tm_money *out)
{
    if (!in_range(a))
        return TM_ERANGE;
    u128 ma = magnitude(a);
    u128 mn = n < 0 ? (u128)(-(__int128)n) : (u128)n;
    if (mn != 0 && ma > MAG_MAX / mn)
        return TM_ERANGE;
    return make((a < 0) != (n < 0), ma * mn, out);
}

/* Whether a magnitude quotient q with remainder rem (0 <= rem < den) moves
 * one step away from zero under `mode`, for a value of sign `negative`. */
static bool round_away(u128 q, u128 rem, u128 den, bool negative,
                       enum tm_round mode)
{
    if (rem == 0)
        return false;
    switch (mode) {
    case TM_ROUND_HALF_EVEN:
        if (2 * rem != den)
            return 2 * rem > den;
        return (q & 1) != 0;
    case TM_ROUND_HALF_UP:
        return 2 * rem >= den;
    case TM_ROUND_DOWN:
        return false;
    case TM_ROUND_UP:
        return true;
    case TM_ROUND_FLOOR:
        return negative;
    case TM_ROUND_CEILING:
        return !negative;
    }
    return false;
}

static bool mode_valid(enum tm_round mode)
{
    return (int)mode >= TM_ROUND_HALF_EVEN && (int)mode <= TM_ROUND_CEILING;
}

int tm_money_muldiv(tm_money a, int64_t num, int64_t den, enum tm_round mode,
                    tm_money *out)
{
    if (den <= 0 || !mode_valid(mode))
        return TM_EINVAL;
    if (!in_range(a))
        return TM_ERANGE;
    u128 ma = magnitude(a);
    u128 mnum = num < 0 ? (u128)(-(__int128)num) : (u128)num;
    u128 d = (u128)den;
    bool negative = (a < 0) != (num < 0) && ma != 0 && mnum != 0;

    /* a*num/den = (q1*den + r1)*num/den = q1*num + r1*num/den, where
     * r1*num < 2^63 * 2^63 cannot wrap. */
    u128 q1 = ma / d, r1 = ma % d;
    if (mnum != 0 && q1 > MAG_MAX / mnum)
        return TM_ERANGE;
    u128 whole = q1 * mnum;
    u128 part = r1 * mnum;
    u128 q = whole + part / d, rem = part % d;
    if (q > MAG_MAX)
        return TM_ERANGE;
    if (round_away(q, rem, d, negative, mode))
        q++;
    return make(negative, q, out);
}

int tm_money_round(tm_money a, int digits, enum tm_round mode, tm_money *out)
{
    if (digits < 0 || digits > TM_MONEY_DIGITS || !mode_valid(mode))
        return TM_EINVAL;
    if (!in_range(a))
        return TM_ERANGE;
    u128 step = pow10_u128(TM_MONEY_DIGITS - digits);
    u128 ma = magnitude(a);
    u128 q = ma / step, rem = ma % step;
    if (round_away(q, rem, step, a < 0, mode))
        q++;
    if (q > MAG_MAX / step)
        return TM_ERANGE;
    return make(a < 0, q * step, out);
}

/* ---- text ---- */

enum parse_fail { PARSE_OK = 0, PARSE_SYNTAX, PARSE_TOO_FINE, PARSE_RANGE };

/*
 * Parse s[0..len) as a decimal (sign, digits, optional fraction, optional
 * exponent) scaled by 10^scale, into a sign and an exact magnitude.
 * PARSE_TOO_FINE when the scaled value has a nonzero fractional part.
 */
static enum parse_fail parse_decimal(const char *s, size_t len, int scale,
                                     bool *negative, u128 *out)
{
    size_t i = 0;
    *negative = false;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        *negative = s[i++] == '-';

    /* The significant digits, without leading zeros, and the position of
     * the decimal point relative to their end. */
    const char *digits = NULL;
    size_t n_digits = 0, n_int = 0, n_frac = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        if (s[i] != '0' || digits) {
            if (!digits)
                digits = s + i;
            n_digits++;
        }
        n_int++;
        i++;
    }
    if (n_int == 0)
        return PARSE_SYNTAX;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (s[i] != '0' || digits) {
                if (!digits)
                    digits = s + i;
                n_digits++;
            }
            n_frac++;
            i++;
        }
        if (n_frac == 0)
            return PARSE_SYNTAX;
    }
    size_t significand_end = i;
    long exp = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool exp_negative = false;
        if (i < len && (s[i] == '-' || s[i] == '+'))
            exp_negative = s[i++] == '-';
        size_t n_exp = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (exp < 100000)
                exp = exp * 10 + (s[i] - '0');
            n_exp++;
            i++;
        }
        if (n_exp == 0)
            return PARSE_SYNTAX;
        if (exp_negative)
            exp = -exp;
    }
    if (i != len)
        return PARSE_SYNTAX;
    if (!digits) {
        *out = 0;
        return PARSE_OK;
    }

    /* value = D * 10^power, D the significant digits as an integer. The
     * digit string may contain the '.', which is skipped. */
    long power = (long)scale + exp - (long)n_frac;
    const char *p = s + significand_end;
    /* Trailing zeros of D raise the power instead. */
    while (p > digits && (p[-1] == '0' || p[-1] == '.')) {
        if (p[-1] == '0')
            power++;
        p--;
    }
    if (power < 0)
        return PARSE_TOO_FINE;
    u128 d = 0;
    for (const char *q = digits; q < p; q++) {
        if (*q == '.')
            continue;
        if (d > (MAG_MAX - (u128)(*q - '0')) / 10)
            return PARSE_RANGE;
        d = d * 10 + (u128)(*q - '0');
    }
    for (long k = 0; k < power; k++) {
        if (d > MAG_MAX / 10)
            return PARSE_RANGE;
        d *= 10;
    }
    *out = d;
    return PARSE_OK;
}

/* Shown form of a bad input: at most INPUT_SHOWN bytes. */
static int shown_len(size_t len)
{
    return (int)(len > INPUT_SHOWN ? INPUT_SHOWN : len);
}

static const char *ellipsis(size_t len)
{
    return len > INPUT_SHOWN ? "..." : "";
}

int tm_money_parse(const char *s, size_t len, const char *what, tm_money *out,
                   struct tm_error *err)
{
    bool negative;
    u128 m;
    if (!what)
        what = "amount";
    switch (parse_decimal(s, len, TM_MONEY_DIGITS, &negative, &m)) {
    case PARSE_OK:
        return make(negative, m, out);
    case PARSE_SYNTAX:
        return tm_error_set(err, TM_EINVAL,
                            "%s: \"%.*s%s\" is not a decimal number", what,
                            shown_len(len), s, ellipsis(len));
    case PARSE_TOO_FINE:
        return tm_error_set(err, TM_ERANGE,
                            "%s: \"%.*s%s\" has a digit finer than 1e-12, the "
                            "smallest amount tokenmeter represents", what,
                            shown_len(len), s, ellipsis(len));
    case PARSE_RANGE:
        break;
    }
    return tm_error_set(err, TM_ERANGE,
                        "%s: \"%.*s%s\" is out of range (largest amount "
                        "170141183460469231731687303.715884105727)", what,
                        shown_len(len), s, ellipsis(len));
}

/* Write sign and magnitude m scaled by 10^scale as a decimal with at least
 * min_frac fractional digits. buf holds TM_MONEY_TEXT_MAX bytes. */
static size_t format_scaled(bool negative, u128 m, int scale, int min_frac,
                            char *buf)
{
    char digits[48];
    int n = 0;
    do {
        digits[n++] = (char)('0' + (int)(m % 10));
        m /= 10;
    } while (m != 0);
    while (n <= scale)
        digits[n++] = '0'; /* at least one integer digit */
    if (min_frac < 0)
        min_frac = 0;
    if (min_frac > scale)
        min_frac = scale;
    int frac = scale;
    while (frac > min_frac && digits[scale - frac] == '0')
        frac--;

    size_t len = 0;
    bool zero = true;
    for (int k = 0; k < n; k++)
        if (digits[k] != '0')
            zero = false;
    if (negative && !zero)
        buf[len++] = '-';
    for (int k = n - 1; k >= scale; k--)
        buf[len++] = digits[k];
    if (frac > 0) {
        buf[len++] = '.';
        for (int k = scale - 1; k >= scale - frac; k--)
            buf[len++] = digits[k];
    }
    buf[len] = '\0';
    return len;
}

size_t tm_money_format(tm_money a, int min_frac, char *buf)
{
    return format_scaled(a < 0, magnitude(a), TM_MONEY_DIGITS, min_frac, buf);
}

/* Per-token picounits = (major units per million tokens) * 10^6. */
#define PER_MTOK_SCALE 6

int tm_money_parse_per_mtok(const char *s, size_t len, const char *what,
                            tm_money *per_token, struct tm_error *err)
{
    bool negative;
    u128 m;
    if (!what)
        what = "rate";
    switch (parse_decimal(s, len, PER_MTOK_SCALE, &negative, &m)) {
    case PARSE_OK:
        if (negative && m != 0)
            return tm_error_set(err, TM_EINVAL,
                                "%s: \"%.*s%s\" is negative; a rate per million "
                                "tokens must be zero or more", what,
                                shown_len(len), s, ellipsis(len));
        return make(false, m, per_token);
    case PARSE_SYNTAX:
        return tm_error_set(err, TM_EINVAL,
                            "%s: \"%.*s%s\" is not a decimal number", what,
                            shown_len(len), s, ellipsis(len));
    case PARSE_TOO_FINE:
        return tm_error_set(err, TM_ERANGE,
                            "%s: \"%.*s%s\" per million tokens has a digit "
                            "finer than 0.000001 (1e-12 per token), the "
                            "smallest rate tokenmeter represents", what,
                            shown_len(len), s, ellipsis(len));
    case PARSE_RANGE:
        break;
    }
    return tm_error_set(err, TM_ERANGE, "%s: \"%.*s%s\" is out of range", what,
                        shown_len(len), s, ellipsis(len));
}

size_t tm_money_format_per_mtok(tm_money per_token, int min_frac, char *buf)
{
    return format_scaled(per_token < 0, magnitude(per_token), PER_MTOK_SCALE,
                         min_frac, buf);
}

/* The largest ratio tm_ratio_parse accepts, in whole units. */
#define RATIO_MAX 1000000

int tm_ratio_parse(const char *s, size_t len, bool percent, const char *what,
                   struct tm_ratio *out, struct tm_error *err)
{
    bool negative;
    u128 m;
    if (!what)
        what = percent ? "percentage" : "ratio";
    switch (parse_decimal(s, len, TM_MONEY_DIGITS, &negative, &m)) {
    case PARSE_OK:
        break;
    case PARSE_SYNTAX:
        return tm_error_set(err, TM_EINVAL,
                            "%s: \"%.*s%s\" is not a decimal number", what,
                            shown_len(len), s, ellipsis(len));
    case PARSE_TOO_FINE:
        return tm_error_set(err, TM_ERANGE,
                            "%s: \"%.*s%s\" has more than 12 decimals", what,
                            shown_len(len), s, ellipsis(len));
    case PARSE_RANGE:
        m = MAG_MAX;
        break;
    }
    if (negative && m != 0)
        return tm_error_set(err, TM_EINVAL, "%s: \"%.*s%s\" is negative", what,
                            shown_len(len), s, ellipsis(len));
    if (m > (u128)RATIO_MAX * (u128)TM_MONEY_SCALE)
        return tm_error_set(err, TM_ERANGE,
                            "%s: \"%.*s%s\" is larger than %d", what,
                            shown_len(len), s, ellipsis(len), RATIO_MAX);
    int64_t num = (int64_t)m, den = 1000000000000LL;
    if (percent)
        den *= 100;
    while (den > 1 && (num % 10 == 0))
        num /= 10, den /= 10;
    if (num == 0)
        den = 1;
    out->num = num;
    out->den = den;
    return TM_OK;
}

/*
 * Minor-unit decimals of ISO 4217 currencies (ISO 4217 list one, as
 * published by the maintenance agency SIX Group, "E" column).
 */
static const struct {
    char code[4];
    int digits;
} currencies[] = {
    {"AED", 2}, {"AUD", 2}, {"BHD", 3}, {"BRL", 2}, {"CAD", 2}, {"CHF", 2},
    {"CLP", 0}, {"CNY", 2}, {"CZK", 2}, {"DKK", 2}, {"EUR", 2}, {"GBP", 2},
    {"HKD", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2}, {"ISK", 0},
    {"JOD", 3}, {"JPY", 0}, {"KRW", 0}, {"KWD", 3}, {"MXN", 2}, {"NOK", 2},
    {"NZD", 2}, {"OMR", 3}, {"PLN", 2}, {"SAR", 2}, {"SEK", 2}, {"SGD", 2},
    {"THB", 2}, {"TND", 3}, {"TRY", 2}, {"TWD", 2}, {"USD", 2}, {"VND", 0},
    {"ZAR", 2},
};

int tm_currency_minor_digits(const char *code)
{
    if (!code)
        return -1;
    for (size_t i = 0; i < sizeof(currencies) / sizeof(currencies[0]); i++)
        if (strcmp(currencies[i].code, code) == 0)
            return currencies[i].digits;
    return -1;
}
