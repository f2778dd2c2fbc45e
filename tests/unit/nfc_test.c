/*
 * Unit tests of NFC normalization (src/tokenize/nfc.h), the normalizer of
 * qwen3's tokenizer.json.
 *
 * What a user relies on: text normalized exactly as Hugging Face
 * tokenizers 0.23.2 normalizes it, i.e. NFC with Unicode 9.0 data
 * (docs/TOKENIZER-FAMILIES.md section 4). Every expected value here was
 * produced by that library (npm tokenizers, qwen3's normalizer); the full
 * comparison is tests/diff/nfc-diff.js. Checked:
 *  - the cases the doc records: "e\u0301" composes, U+11935 U+11930 (a
 *    Unicode 13 composition) does not, a Unicode 10 mark is not reordered;
 *  - canonical ordering (stable), blocking, composition exclusions and
 *    singletons, Hangul arithmetic (U+11A7 is not a trailing consonant);
 *  - the quick check: true for plain prose in many scripts, false for text
 *    NFC changes, and never true for text NFC changes;
 *  - linear time on hostile input: 1 MiB of combining marks after one
 *    letter, with the exact expected result.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tokenize/nfc.h"

/* ---- helpers ---- */

/* UTF-8 of code points cps[0..n) into a malloc'd buffer. */
static uint8_t *utf8_of(const uint32_t *cps, size_t n, size_t *len)
{
    uint8_t *b = malloc(4 * n + 1);
    size_t o = 0;

    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        uint32_t c = cps[i];
        if (c < 0x80) {
            b[o++] = (uint8_t)c;
        } else if (c < 0x800) {
            b[o++] = (uint8_t)(0xC0 | c >> 6);
            b[o++] = (uint8_t)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            b[o++] = (uint8_t)(0xE0 | c >> 12);
            b[o++] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
            b[o++] = (uint8_t)(0x80 | (c & 0x3F));
        } else {
            b[o++] = (uint8_t)(0xF0 | c >> 18);
            b[o++] = (uint8_t)(0x80 | (c >> 12 & 0x3F));
            b[o++] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
            b[o++] = (uint8_t)(0x80 | (c & 0x3F));
        }
    }
    *len = o;
    return b;
}

static void print_cps(const char *label, const uint8_t *s, size_t n)
{
    fprintf(stderr, "  %s:", label);
    for (size_t i = 0; i < n && i < 64; i++)
        fprintf(stderr, " %02x", s[i]);
    fprintf(stderr, n > 64 ? " ...\n" : "\n");
}

/* Assert NFC(in) == want, both given as code points, and that the quick
 * check never calls a string unchanged that NFC changes. */
static void check_nfc(const uint32_t *in, size_t n_in, const uint32_t *want, size_t n_want)
{
    size_t in_len, want_len, out_len;
    uint8_t *in_b = utf8_of(in, n_in, &in_len), *want_b = utf8_of(want, n_want, &want_len);
    uint8_t *out = NULL;

    assert_int_equal(tm__nfc(in_b, in_len, &out, &out_len), TM_OK);
    assert_non_null(out);
    if (out_len != want_len || memcmp(out, want_b, want_len) != 0) {
        fprintf(stderr, "NFC mismatch\n");
        print_cps("input", in_b, in_len);
        print_cps("want ", want_b, want_len);
        print_cps("got  ", out, out_len);
        fail();
    }
    if (tm__nfc_unchanged(in_b, in_len))
        assert_true(in_len == want_len && memcmp(in_b, want_b, in_len) == 0);
    free(in_b);
    free(want_b);
    free(out);
}

#define CPS(...) ((const uint32_t[]){__VA_ARGS__})
#define NCPS(...) (sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t))
/* NFC(in) == want; arguments are parenthesized code point lists. */
#define CHECK(in, want) check_nfc(CPS in, NCPS in, CPS want, NCPS want)
#define SAME(in) CHECK(in, in)

static bool unchanged_str(const char *s)
{
    return tm__nfc_unchanged((const uint8_t *)s, strlen(s));
}

/* ---- tests ---- */

/* docs/TOKENIZER-FAMILIES.md section 4's cases. */
static void test_doc_cases(void **state)
{
    (void)state;
    CHECK((0x65, 0x301), (0xE9));
    SAME((0x11935, 0x11930));           /* composes to U+11938 only from Unicode 13 */
    SAME((0x61, 0x1DF6, 0x316));        /* U+1DF6 (10.0) has ccc 0 in 9.0 */
    CHECK((0x61, 0x301, 0x316), (0xE1, 0x316)); /* a 9.0 mark is reordered */
    SAME((0x61, 0x1DFA, 0x301));        /* 1DFA (10.0): blocks like a starter */
    CHECK((0x1E944, 0x1E94A, 0x61), (0x1E94A, 0x1E944, 0x61)); /* Adlam, 9.0 */
}

static void test_compose_and_block(void **state)
{
    (void)state;
    CHECK((0x41, 0x308, 0x304), (0x1DE));     /* composes twice */
    CHECK((0x61, 0x302, 0x323), (0x1EAD));    /* reordered, then composes */
    CHECK((0x65, 0x301, 0x301), (0xE9, 0x301)); /* the second is blocked */
    CHECK((0xC5, 0x301), (0x1FA));            /* a precomposed letter composes on */
    CHECK((0x1E0B, 0x323), (0x1E0D, 0x307));  /* decomposes, reorders, recomposes */
    CHECK((0x61, 0x334, 0x5B0, 0x316, 0x301, 0x308, 0x301),
          (0xE1, 0x334, 0x5B0, 0x316, 0x308, 0x301));
    CHECK((0xB47, 0xB3E), (0xB4B));           /* two starters compose */
    SAME((0xB47, 0x300, 0xB3E));              /* ... not across a mark */
    SAME((0x61, 0x346, 0x301));               /* blocked by an equal ccc */
    SAME((0x301, 0x65));                      /* a leading mark stays */
    CHECK((0x5D0, 0x5B4, 0x5B0), (0x5D0, 0x5B0, 0x5B4));
    CHECK((0xF73, 0xF71), (0xF71, 0xF71, 0xF72)); /* stable among equal ccc */
    CHECK((0x74, 0x65, 0x301, 0x20, 0x6E, 0x303, 0x6F, 0x308, 0x20, 0x212B, 0x21),
          (0x74, 0xE9, 0x20, 0xF1, 0xF6, 0x20, 0xC5, 0x21));
}

/* Composition exclusions, singletons and non-starter decompositions
 * decompose and stay decomposed. */
static void test_exclusions(void **state)
{
    (void)state;
    CHECK((0x958), (0x915, 0x93C));           /* CompositionExclusions.txt */
    SAME((0x915, 0x93C));
    CHECK((0x2126), (0x3A9));                 /* singleton */
    CHECK((0x212B), (0xC5));
    CHECK((0x344), (0x308, 0x301));           /* non-starter decomposition */
    CHECK((0x1D15E), (0x1D157, 0x1D165));     /* post composition version */
    CHECK((0xFB2C), (0x5E9, 0x5BC, 0x5C1));
    CHECK((0x2ADC), (0x2ADD, 0x338));
}

static void test_hangul(void **state)
{
    (void)state;
    CHECK((0x1100, 0x1161), (0xAC00));
    CHECK((0x1100, 0x1161, 0x11A8), (0xAC01));
    CHECK((0xAC00, 0x11A8), (0xAC01));
    SAME((0xAC00, 0x11A7));                   /* U+11A7 is T_BASE, not a T */
    SAME((0xAC00, 0x11A7, 0x11A8));
    SAME((0xAC01, 0x11A8));                   /* LVT takes no second T */
    SAME((0xAC00, 0x11C3));                   /* past the last T */
    SAME((0x1113, 0x1161));                   /* past the last L */
    CHECK((0x1100, 0x1161, 0x1100, 0x1161, 0x11C2), (0xAC00, 0xAC1B));
    SAME((0xD7A3));
    SAME((0xD7A4, 0x11A8));
}

static void test_outside_tables(void **state)
{
    (void)state;
    SAME((0xE0100, 0x10FFFF, 0xF0000, 0x2FFFF, 0x30000));
    CHECK((0x2F800), (0x4E3D));               /* CJK compatibility, last plane stored */
    SAME((0x7F, 0x80, 0x7FF, 0x800, 0xFFFF, 0x10000));
}

static void test_empty(void **state)
{
    uint8_t *out = NULL;
    size_t len = 99;

    (void)state;
    assert_true(tm__nfc_unchanged((const uint8_t *)"", 0));
    assert_int_equal(tm__nfc((const uint8_t *)"", 0, &out, &len), TM_OK);
    assert_non_null(out);
    assert_int_equal(len, 0);
    free(out);
}

/* The fast scan passes prose that is NFC and stops at what NFC changes. */
static void test_unchanged(void **state)
{
    (void)state;
    assert_true(unchanged_str("plain ASCII text, numbers 12345 and symbols ~!@#\n"));
    assert_true(unchanged_str("caf\xC3\xA9 na\xC3\xAFve \xC3\x85ngstr\xC3\xB6m")); /* precomposed */
    assert_true(unchanged_str("\xE6\x9D\xB1\xE4\xBA\xAC\xE3\x81\xA7\xE3\x81\x99")); /* CJK, kana */
    assert_true(unchanged_str("\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4")); /* Hangul syllables */
    assert_true(unchanged_str("\xCE\x95\xCE\xBB\xCE\xBB\xCE\xAC\xCE\xB4\xCE\xB1")); /* Greek */
    assert_true(unchanged_str("\xD7\x90\xD6\xB0\xD6\xB4"));   /* Hebrew marks in order */
    assert_true(unchanged_str("\xF0\x9F\x98\x80\xF0\x9F\x91\x8D")); /* emoji */
    assert_true(unchanged_str("\xE0\xAE\x95\xE0\xAE\xBE"));   /* Tamil U+0B95 U+0BBE: Maybe, stays */
    assert_true(unchanged_str("\xEA\xB0\x81\xE1\x86\xA8"));   /* LVT syllable, T jamo */
    assert_false(unchanged_str("\xE0\xAF\x86\xE0\xAE\xBE"));  /* U+0BC6 U+0BBE compose */
    assert_false(unchanged_str("\xEA\xB0\x80\xE1\x86\xA8"));  /* LV syllable, T jamo */
    assert_false(unchanged_str("o\xCC\x81\xCC\x9B"));           /* U+0301 U+031B reorder */
    assert_false(unchanged_str("e\xCC\x81"));                  /* e U+0301 */
    assert_false(unchanged_str("\xD7\x90\xD6\xB4\xD6\xB0"));   /* marks out of order */
    assert_false(unchanged_str("\xE2\x84\xAB"));               /* U+212B singleton */
    assert_false(unchanged_str("\xE1\x84\x80\xE1\x85\xA1"));   /* L V jamo */
    assert_false(unchanged_str("0123456789abcdef0123456789abcdefe\xCC\x81"));
}

/*
 * Hostile input: one letter then 1 MiB of combining marks of mixed classes.
 * A quadratic canonical ordering would take minutes; the result must also
 * be exact: marks sorted stably by ccc, the first ccc-230 mark composed
 * into the letter, the rest kept.
 */
static void test_long_mark_run(void **state)
{
    /* Three ccc-230 marks, so an unstable sort shows. */
    static const uint32_t cycle[] = {0x301, 0x316, 0x5B0, 0x334, 0x308, 0x30A, 0x327};
    static const uint8_t cccs[] = {230, 220, 10, 1, 230, 230, 202};
    const size_t period = sizeof(cycle) / sizeof(cycle[0]);
    const size_t n_marks = (1u << 20) / 2; /* each mark is 2 bytes */
    uint32_t *in = malloc((n_marks + 1) * sizeof(*in)), *want = malloc((n_marks + 1) * sizeof(*want));
    size_t in_len, want_len, out_len, w = 0;
    uint8_t *in_b, *want_b, *out;
    struct timespec t0, t1;
    double secs;
    bool composed = false;

    (void)state;
    assert_non_null(in);
    assert_non_null(want);
    in[0] = 'a';
    for (size_t i = 0; i < n_marks; i++)
        in[i + 1] = cycle[i % period];
    want[w++] = 0xE1; /* a + U+0301 */
    for (unsigned cls = 1; cls < 256; cls++) {
        for (size_t i = 0; i < n_marks; i++) {
            if (cccs[i % period] != cls)
                continue;
            if (!composed && cycle[i % period] == 0x301) {
                composed = true;
                continue;
            }
            want[w++] = cycle[i % period];
        }
    }
    in_b = utf8_of(in, n_marks + 1, &in_len);
    want_b = utf8_of(want, w, &want_len);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(tm__nfc(in_b, in_len, &out, &out_len), TM_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_int_equal(out_len, want_len);
    assert_memory_equal(out, want_b, want_len);
    /* Linear: a few ms (a second under sanitizers); quadratic: minutes. */
    if (secs > 10.0)
        fail_msg("tm__nfc took %.1f s on 1 MiB of marks", secs);
    free(out);
    free(in_b);
    free(want_b);
    free(in);
    free(want);
}

/* Long text that alternates between copied and normalized stretches. */
static void test_long_mixed(void **state)
{
    const char *piece = "The cafe\xCC\x81 is open. ";   /* e U+0301 */
    const char *norm = "The caf\xC3\xA9 is open. ";
    const size_t reps = 20000;
    size_t pl = strlen(piece), nl = strlen(norm), out_len;
    uint8_t *in = malloc(pl * reps), *out;

    (void)state;
    assert_non_null(in);
    for (size_t i = 0; i < reps; i++)
        memcpy(in + i * pl, piece, pl);
    assert_false(tm__nfc_unchanged(in, pl * reps));
    assert_int_equal(tm__nfc(in, pl * reps, &out, &out_len), TM_OK);
    assert_int_equal(out_len, nl * reps);
    for (size_t i = 0; i < reps; i++)
        assert_memory_equal(out + i * nl, norm, nl);
    free(in);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_cases),
        cmocka_unit_test(test_compose_and_block),
        cmocka_unit_test(test_exclusions),
        cmocka_unit_test(test_hangul),
        cmocka_unit_test(test_outside_tables),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_unchanged),
        cmocka_unit_test(test_long_mark_run),
        cmocka_unit_test(test_long_mixed),
    };

    return cmocka_run_group_tests_name("nfc", tests, NULL, NULL);
}
