/*
 * Unit tests of the money module (include/tokenmeter/money.h).
 *
 * What a user of the money type relies on:
 *  - every public per-token price is exact: $0.0375/M and $0.01875/M are
 *    whole picounits per token, and a rate finer than that is refused, not
 *    rounded;
 *  - decimal text parses and prints exactly, both ways, with no float drift
 *    (0.1 + 0.2 is 0.3, never 0.30000000000000004);
 *  - overflow is an error, never a wrap, at every operation;
 *  - rounding happens only when asked, to the currency's minor unit, by the
 *    documented rule (half-to-even unless another mode is chosen);
 *  - percentages and multipliers apply exactly, with one rounding at the
 *    picounit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tokenmeter/money.h"

/* Parse text that must be valid. */
static tm_money money(const char *text)
{
    tm_money m = 0;
    struct tm_error err = {0};
    int rc = tm_money_parse(text, strlen(text), "test", &m, &err);
    if (rc != TM_OK)
        fail_msg("parse \"%s\": %s", text, err.message);
    return m;
}

/* Assert that a formats as `expect` with min_frac fractional digits. */
static void assert_text(tm_money m, int min_frac, const char *expect)
{
    char buf[TM_MONEY_TEXT_MAX];
    size_t len = tm_money_format(m, min_frac, buf);
    assert_string_equal(buf, expect);
    assert_int_equal(len, strlen(expect));
}

/* Deterministic generator for the property tests (xorshift64*). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static void test_parse_format(void **state)
{
    (void)state;
    assert_true(money("1") == TM_MONEY_SCALE);
    assert_true(money("0.000000000001") == 1);
    assert_true(money("-2.5") == -(TM_MONEY_SCALE * 5 / 2));
    assert_true(money("+0.25") == TM_MONEY_SCALE / 4);
    assert_true(money("3.75e-08") == 37500);
    assert_true(money("375E-10") == 37500);
    assert_true(money("1.5e3") == 1500 * TM_MONEY_SCALE);
    assert_true(money("0.100000000000000000000") == TM_MONEY_SCALE / 10);
    assert_true(money("0e99999999") == 0);
    assert_true(money("007.50") == money("7.5"));

    assert_text(money("2.50"), 0, "2.5");
    assert_text(money("2.50"), 2, "2.50");
    assert_text(money("3"), 2, "3.00");
    assert_text(money("0.0000000375"), 0, "0.0000000375");
    assert_text(money("-0.000000000001"), 0, "-0.000000000001");
    assert_text(money("-0"), 2, "0.00");
    assert_text(0, 0, "0");
    assert_text(TM_MONEY_MAX, 0, "170141183460469231731687303.715884105727");
    assert_text(TM_MONEY_MIN, 0, "-170141183460469231731687303.715884105727");
    assert_true(money("170141183460469231731687303.715884105727") == TM_MONEY_MAX);
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int code;
        const char *fragment;
    } bad[] = {
        {"", TM_EINVAL, "is not a decimal number"},
        {"1.", TM_EINVAL, "is not a decimal number"},
        {".5", TM_EINVAL, "is not a decimal number"},
        {"1,5", TM_EINVAL, "is not a decimal number"},
        {" 1", TM_EINVAL, "is not a decimal number"},
        {"1e", TM_EINVAL, "is not a decimal number"},
        {"$1", TM_EINVAL, "is not a decimal number"},
        {"NaN", TM_EINVAL, "is not a decimal number"},
        {"0.0000000000001", TM_ERANGE, "finer than 1e-12"},
        {"1e-13", TM_ERANGE, "finer than 1e-12"},
        {"170141183460469231731687303.715884105728", TM_ERANGE, "out of range"},
        {"1e400", TM_ERANGE, "out of range"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tm_money m = 12345;
        struct tm_error err = {0};
        int rc = tm_money_parse(bad[i].text, strlen(bad[i].text),
                                "prices[3].per_mtok.input", &m, &err);
        if (rc != bad[i].code || !strstr(err.message, bad[i].fragment) ||
            !strstr(err.message, "prices[3].per_mtok.input"))
            fail_msg("\"%s\": rc %d, message \"%s\"", bad[i].text, rc,
                     err.message);
        assert_true(m == 12345); /* output untouched on error */
    }
    /* A long bad input is quoted only in part. */
    char long_text[400];
    memset(long_text, '9', sizeof(long_text));
    long_text[10] = 'x';
    struct tm_error err = {0};
    tm_money m;
    assert_int_equal(tm_money_parse(long_text, sizeof(long_text), "x", &m, &err),
                     TM_EINVAL);
    assert_true(strlen(err.message) < 120);
}

/* Random exact decimals survive parse -> format -> parse unchanged. */
static void test_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < 20000; i++) {
        unsigned __int128 a = rng() >> (1 + rng() % 63), b = rng() >> (rng() % 64);
        tm_money m = (tm_money)(a * b); /* < 2^127 */
        if (rng() & 1)
            m = -m;
        char buf[TM_MONEY_TEXT_MAX];
        size_t len = tm_money_format(m, (int)(rng() % 13), buf);
        tm_money back = 0;
        assert_int_equal(tm_money_parse(buf, len, "t", &back, NULL), TM_OK);
        assert_true(back == m);
    }
}

/* The float-drift lesson: sums of decimal prices are exact. */
static void test_no_float_drift(void **state)
{
    (void)state;
    tm_money sum;
    assert_int_equal(tm_money_add(money("0.1"), money("0.2"), &sum), TM_OK);
    assert_true(sum == money("0.3"));
    /* 25 = 0.0000025 * 10,000,000 tokens, summed token by token in blocks. */
    tm_money total = 0, block;
    assert_int_equal(tm_money_mul(money("0.0000025"), 1000, &block), TM_OK);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(tm_money_add(total, block, &total), TM_OK);
    assert_text(total, 0, "25");
}

static void test_overflow(void **state)
{
    (void)state;
    tm_money out = 7;
    assert_int_equal(tm_money_add(TM_MONEY_MAX, 1, &out), TM_ERANGE);
    assert_int_equal(tm_money_add(TM_MONEY_MIN, -1, &out), TM_ERANGE);
    assert_int_equal(tm_money_sub(TM_MONEY_MIN, 1, &out), TM_ERANGE);
    assert_int_equal(tm_money_sub(-2, TM_MONEY_MAX, &out), TM_ERANGE);
    assert_true(out == 7);
    assert_int_equal(tm_money_add(TM_MONEY_MAX, TM_MONEY_MIN, &out), TM_OK);
    assert_true(out == 0);
    assert_int_equal(tm_money_mul(TM_MONEY_MAX / 2 + 1, 2, &out), TM_ERANGE);
    assert_int_equal(tm_money_mul(TM_MONEY_MAX / 3, -3, &out), TM_OK);
    assert_true(out == -(TM_MONEY_MAX / 3) * 3);
    assert_int_equal(tm_money_mul(1, INT64_MIN, &out), TM_OK);
    assert_true(out == (tm_money)INT64_MIN);
    assert_int_equal(tm_money_mul(TM_MONEY_MAX, 0, &out), TM_OK);
    assert_true(out == 0);
    assert_int_equal(tm_money_muldiv(TM_MONEY_MAX, 2, 1, TM_ROUND_HALF_EVEN, &out),
                     TM_ERANGE);
    /* The product overflows 128 bits but the quotient does not. */
    assert_int_equal(tm_money_muldiv(TM_MONEY_MAX, 3, 4, TM_ROUND_DOWN, &out),
                     TM_OK);
    assert_true(out == TM_MONEY_MAX / 4 * 3 + (TM_MONEY_MAX % 4) * 3 / 4);
    assert_int_equal(tm_money_round(TM_MONEY_MAX, 2, TM_ROUND_UP, &out), TM_ERANGE);
    assert_int_equal(tm_money_muldiv(1, 1, 0, TM_ROUND_DOWN, &out), TM_EINVAL);
    assert_int_equal(tm_money_round(1, 13, TM_ROUND_DOWN, &out), TM_EINVAL);

    /* Random products: overflow reported exactly when the true product
     * leaves the range (checked against a 128-bit division). */
    for (int i = 0; i < 20000; i++) {
        tm_money a = (tm_money)(rng() >> 1) << (rng() % 65);
        int64_t n = (int64_t)(rng() >> (1 + rng() % 63));
        bool fits = n == 0 || a <= TM_MONEY_MAX / n;
        int rc = tm_money_mul(a, n, &out);
        assert_int_equal(rc, fits ? TM_OK : TM_ERANGE);
        if (fits)
            assert_true(out / (n ? n : 1) == (n ? a : 0));
    }
}

static void test_rounding(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        enum tm_round mode;
        const char *expect;
    } cases[] = {
        {"0.125", TM_ROUND_HALF_EVEN, "0.12"},  {"0.135", TM_ROUND_HALF_EVEN, "0.14"},
        {"-0.125", TM_ROUND_HALF_EVEN, "-0.12"}, {"0.1250001", TM_ROUND_HALF_EVEN, "0.13"},
        {"0.125", TM_ROUND_HALF_UP, "0.13"},    {"-0.125", TM_ROUND_HALF_UP, "-0.13"},
        {"0.129", TM_ROUND_DOWN, "0.12"},       {"-0.129", TM_ROUND_DOWN, "-0.12"},
        {"0.121", TM_ROUND_UP, "0.13"},         {"-0.121", TM_ROUND_UP, "-0.13"},
        {"-0.121", TM_ROUND_FLOOR, "-0.13"},    {"0.129", TM_ROUND_FLOOR, "0.12"},
        {"-0.129", TM_ROUND_CEILING, "-0.12"},  {"0.121", TM_ROUND_CEILING, "0.13"},
        {"0.000000000001", TM_ROUND_HALF_EVEN, "0.00"},
        {"0.005", TM_ROUND_HALF_EVEN, "0.00"},  {"0.015", TM_ROUND_HALF_EVEN, "0.02"},
        {"7.00", TM_ROUND_UP, "7.00"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tm_money out;
        assert_int_equal(tm_money_round(money(cases[i].value), 2, cases[i].mode, &out),
                         TM_OK);
        char buf[TM_MONEY_TEXT_MAX];
        tm_money_format(out, 2, buf);
        if (strcmp(buf, cases[i].expect) != 0)
            fail_msg("round(%s, mode %d) = %s, expected %s", cases[i].value,
                     (int)cases[i].mode, buf, cases[i].expect);
    }
    /* Yen have no minor unit; Kuwaiti dinar have three decimals. */
    assert_int_equal(tm_currency_minor_digits("USD"), 2);
    assert_int_equal(tm_currency_minor_digits("JPY"), 0);
    assert_int_equal(tm_currency_minor_digits("KWD"), 3);
    assert_int_equal(tm_currency_minor_digits("usd"), -1);
    assert_int_equal(tm_currency_minor_digits("XXX"), -1);
    tm_money yen;
    assert_int_equal(tm_money_round(money("1234.5"), tm_currency_minor_digits("JPY"),
                                    TM_ROUND_HALF_EVEN, &yen), TM_OK);
    assert_text(yen, 0, "1234");

    /* Rounding once at the edge differs from rounding each line: 1000
     * requests of $0.004 each are $4.00, not 1000 x $0.00. */
    tm_money sum = 0, rounded_each = 0, r;
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(tm_money_add(sum, money("0.004"), &sum), TM_OK);
        assert_int_equal(tm_money_round(money("0.004"), 2, TM_ROUND_HALF_EVEN, &r), TM_OK);
        assert_int_equal(tm_money_add(rounded_each, r, &rounded_each), TM_OK);
    }
    assert_int_equal(tm_money_round(sum, 2, TM_ROUND_HALF_EVEN, &r), TM_OK);
    assert_text(r, 2, "4.00");
    assert_text(rounded_each, 2, "0.00");
}

static void test_muldiv(void **state)
{
    (void)state;
    tm_money out;
    /* A 15% markup on $0.0000025 per token. */
    assert_int_equal(tm_money_muldiv(money("0.0000025"), 115, 100, TM_ROUND_HALF_EVEN, &out),
                     TM_OK);
    assert_text(out, 0, "0.000002875");
    /* One third of a picounit rounds at the picounit: 10/3 -> 3, 11/3 -> 4 half-up. */
    assert_int_equal(tm_money_muldiv(10, 1, 3, TM_ROUND_HALF_EVEN, &out), TM_OK);
    assert_true(out == 3);
    assert_int_equal(tm_money_muldiv(-11, 1, 3, TM_ROUND_HALF_EVEN, &out), TM_OK);
    assert_true(out == -4);
    assert_int_equal(tm_money_muldiv(5, 1, 2, TM_ROUND_HALF_EVEN, &out), TM_OK);
    assert_true(out == 2);
    assert_int_equal(tm_money_muldiv(7, 1, 2, TM_ROUND_HALF_EVEN, &out), TM_OK);
    assert_true(out == 4);
    assert_int_equal(tm_money_muldiv(7, -1, 2, TM_ROUND_FLOOR, &out), TM_OK);
    assert_true(out == -4);
    /* Against exact small-number arithmetic for every mode. */
    for (int i = 0; i < 20000; i++) {
        int64_t a = (int64_t)(rng() % 2000001) - 1000000;
        int64_t num = (int64_t)(rng() % 2001) - 1000, den = (int64_t)(rng() % 999) + 1;
        enum tm_round mode = (enum tm_round)(rng() % 6);
        assert_int_equal(tm_money_muldiv(a, num, den, mode, &out), TM_OK);
        int64_t p = a * num, q = p / den, rem = p % den; /* C: toward zero */
        int64_t away = p < 0 ? -1 : 1, twice = 2 * (rem < 0 ? -rem : rem);
        int64_t expect = q;
        if (rem != 0) {
            switch (mode) {
            case TM_ROUND_HALF_EVEN:
                if (twice > den || (twice == den && (q & 1)))
                    expect += away;
                break;
            case TM_ROUND_HALF_UP: if (twice >= den) expect += away; break;
            case TM_ROUND_DOWN: break;
            case TM_ROUND_UP: expect += away; break;
            case TM_ROUND_FLOOR: if (p < 0) expect--; break;
            case TM_ROUND_CEILING: if (p > 0) expect++; break;
            }
        }
        if (out != expect)
            fail_msg("%lld * %lld / %lld mode %d: got %lld, expected %lld",
                     (long long)a, (long long)num, (long long)den, (int)mode,
                     (long long)out, (long long)expect);
    }
}

static void test_per_mtok(void **state)
{
    (void)state;
    static const struct {
        const char *per_mtok;
        int64_t per_token;
    } rates[] = {
        {"2.50", 2500000},  {"0.0375", 37500}, {"0.01875", 18750},
        {"15", 15000000},   {"0.000001", 1},   {"0", 0},
        {"3.75e-2", 37500}, {"600", 600000000},
    };
    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        tm_money r = -1;
        struct tm_error err = {0};
        assert_int_equal(tm_money_parse_per_mtok(rates[i].per_mtok,
                                                 strlen(rates[i].per_mtok), "r", &r, &err),
                         TM_OK);
        assert_true(r == rates[i].per_token);
        /* A million tokens at the rate cost exactly the quoted price. */
        tm_money million;
        assert_int_equal(tm_money_mul(r, 1000000, &million), TM_OK);
        assert_true(million == money(rates[i].per_mtok));
    }
    char buf[TM_MONEY_TEXT_MAX];
    tm_money_format_per_mtok(37500, 0, buf);
    assert_string_equal(buf, "0.0375");
    tm_money_format_per_mtok(2500000, 2, buf);
    assert_string_equal(buf, "2.50");
    tm_money_format_per_mtok(1, 0, buf);
    assert_string_equal(buf, "0.000001");

    tm_money r;
    struct tm_error err = {0};
    assert_int_equal(tm_money_parse_per_mtok("0.0000001", 9, "per_mtok.input", &r, &err),
                     TM_ERANGE);
    assert_non_null(strstr(err.message, "per_mtok.input"));
    assert_non_null(strstr(err.message, "finer than 0.000001"));
    assert_int_equal(tm_money_parse_per_mtok("-1", 2, "per_mtok.output", &r, &err),
                     TM_EINVAL);
    assert_non_null(strstr(err.message, "negative"));
    assert_int_equal(tm_money_parse_per_mtok("abc", 3, "per_mtok.output", &r, &err),
                     TM_EINVAL);
}

static void test_ratio(void **state)
{
    (void)state;
    struct tm_ratio q;
    assert_int_equal(tm_ratio_parse("0.5", 3, false, "batch", &q, NULL), TM_OK);
    assert_true(q.num * 10 == 5 * q.den);
    assert_int_equal(tm_ratio_parse("20", 2, true, "markup", &q, NULL), TM_OK);
    assert_true(q.num * 100 == 20 * q.den);
    assert_int_equal(tm_ratio_parse("12.5", 4, true, "discount", &q, NULL), TM_OK);
    assert_true(q.num * 1000 == 125 * q.den);
    assert_int_equal(tm_ratio_parse("0", 1, false, "x", &q, NULL), TM_OK);
    assert_true(q.num == 0 && q.den == 1);
    assert_int_equal(tm_ratio_parse("1000000", 7, false, "x", &q, NULL), TM_OK);
    struct tm_error err = {0};
    assert_int_equal(tm_ratio_parse("1000000.1", 9, false, "x", &q, &err), TM_ERANGE);
    assert_int_equal(tm_ratio_parse("1e30", 4, false, "x", &q, &err), TM_ERANGE);
    assert_int_equal(tm_ratio_parse("-0.5", 4, false, "batch_multiplier", &q, &err),
                     TM_EINVAL);
    assert_non_null(strstr(err.message, "batch_multiplier"));
    assert_int_equal(tm_ratio_parse("0.5x", 4, false, "x", &q, &err), TM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_format),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_no_float_drift),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_rounding),
        cmocka_unit_test(test_muldiv),
        cmocka_unit_test(test_per_mtok),
        cmocka_unit_test(test_ratio),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
