/*
 * Unit tests of tokenizer.json encodings (src/tokenize/hf*.c).
 *
 * Expected ids are what the reference, Hugging Face tokenizers 0.23.2
 * (npm `tokenizers`), returns for encode(text, null, {addSpecialTokens})
 * on the same files; docs/TOKENIZER-FAMILIES.md records each rule with the
 * observation it came from. The differential test (tests/diff/hf-diff.js)
 * compares whole corpora; these cases pin the rules one by one:
 *  - a small hand-written tokenizer.json exercising the generic pipeline
 *    (a Replace regex, Digits, Metaspace "first", added tokens with
 *    single_word, lstrip and rstrip, fused unknown characters, the
 *    template's BOS), opened directly with tm_encoding_open_file;
 *  - the five built-in families: added tokens in text, Prepend once per
 *    stretch, byte fallback, NFC with Unicode 9.0 data, ignore_merges,
 *    deepseek's three splits, gemma3's whitespace tokens, the BOS;
 *  - decoding of character-level tokens;
 *  - long words (the bucketed merge queue) against a plain implementation
 *    of the merge rule;
 *  - bad files rejected with a message naming the part and the cause.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tokenmeter/tokenize.h"

#ifndef TM_TEST_DATA_DIR
#define TM_TEST_DATA_DIR "tests/data"
#endif

struct hf_case {
    const char *enc;
    const char *text;
    unsigned flags;
    const tm_token ids[8];
    size_t n;
};

#define C(e, t, f, ...)                                                     \
    {e, t, f, {__VA_ARGS__}, sizeof((tm_token[]){__VA_ARGS__}) / sizeof(tm_token)}
#define C0(e, t, f) {e, t, f, {0}, 0}

static const struct hf_case cases[] = {
    /* the generic pipeline */
    C("tiny", "ab ab", 0, 8, 8),
    C("tiny", "a1b 11", 0, 6, 5, 3, 1, 5, 5),
    C("tiny", "xxxab<s>ab", 0, 4, 7, 9, 7),
    C("tiny", "xab", 0, 1, 4, 7),
    C("tiny", "1ab", 0, 1, 5, 7),
    C("tiny", "a<W>b", 0, 6, 0, 3),
    C("tiny", "a <W> b", 0, 6, 1, 10, 1, 3),
    C("tiny", "a  <L>  b", 0, 6, 11, 3),
    C("tiny", "cq ab", 0, 1, 0, 8),
    C("tiny", " ab", 0, 8),
    C0("tiny", "", 0),
    C("tiny", "", TM_ENCODE_ADD_SPECIAL, 9),
    C("tiny", "ab", TM_ENCODE_ADD_SPECIAL, 9, 8),
    /* llama3: added tokens always recognised, ignore_merges */
    C("llama3", " jeho", 0, 101503),
    C("llama3", "<|begin_of_text|>hi", 0, 128000, 6151),
    C("llama3", "<|begin_of_text|", 0, 27, 91, 7413, 3659, 4424, 91),
    C("llama3", "a <|eot_id|>b", 0, 64, 220, 128009, 65),
    C("llama3", "Hi", TM_ENCODE_ADD_SPECIAL, 13347),
    /* llama2 (Mistral vocabulary): Prepend per stretch, byte fallback */
    C("llama2", "hi<s>there", 0, 12014, 1, 736),
    C("llama2", " hi", 0, 28705, 12014),
    C("llama2", "<s> x", 0, 1, 28705, 1318),
    C0("llama2", "", 0),
    C("llama2", "a\nb", 0, 264, 13, 28726),
    C("llama2", "\xf4\x8f\xbf\xbd", 0, 28705, 247, 146, 194, 192),
    C("llama2", "\xef\xbd\xb1", 0, 28705, 242, 192, 180),
    C("llama2", "\xf0\x9f\x98\x80", 0, 28705, 30575),
    C("llama2", "Hi", TM_ENCODE_ADD_SPECIAL, 1, 15359),
    C("llama2", "", TM_ENCODE_ADD_SPECIAL, 1),
    /* qwen3: one digit per word, NFC from Unicode 9.0 */
    C("qwen3", "ggg", 0, 14398, 70),
    C("qwen3", "xxxxx", 0, 18516, 87),
    C("qwen3", "12345", 0, 16, 17, 18, 19, 20),
    C("qwen3", "e\xcc\x81", 0, 963),
    C("qwen3", "\xc3\xa9", 0, 963),
    C("qwen3", "\xf0\x91\xa4\xb5\xf0\x91\xa4\xb0", 0, 128240, 97, 113, 128240, 97, 108),
    /* deepseek_v3: digit runs and CJK runs split first, gaps kept */
    C("deepseek_v3", "abc1234def", 0, 32372, 6895, 22, 3465),
    C("deepseek_v3", "\xe4\xbb\xb7\xe6\xa0\xbc\xe6\x98\xaf" "1234\xe5\x85\x83" "abc", 0,
      5820, 389, 6895, 22, 1673, 32372),
    C("deepseek_v3", "x\x01\x02y", 0, 90, 192, 193, 91),
    C("deepseek_v3", "I'm fine,ok", 0, 43, 4571, 8209, 14, 633),
    C("deepseek_v3", "a  1", 0, 67, 262, 19),
    C("deepseek_v3", "<\xef\xbd\x9cUser\xef\xbd\x9c>hi", 0, 128803, 6366),
    /* gemma3: whitespace runs and HTML tags are added tokens; no split */
    C("gemma3", "a\n\n\nb", 0, 236746, 109, 236763),
    C("gemma3", "<table>x", 0, 168, 236781),
    C("gemma3", "\t\tx", 0, 255969, 236781),
    C("gemma3", "hi", 0, 2202),
    C("gemma3", " hi", 0, 5631),
    C("gemma3", "hi there", 0, 2202, 993),
    C("gemma3", "\xc4\xb2", 0, 434, 416),
    C("gemma3", "Hi", TM_ENCODE_ADD_SPECIAL, 2, 10979),
};

static tm_encoding *open_named(const char *name)
{
    static tm_encoding *cache[8];
    static const char *names[8];
    struct tm_error err = {0};
    char path[512];

    for (int i = 0; i < 8 && names[i]; i++)
        if (strcmp(names[i], name) == 0)
            return cache[i];
    for (int i = 0; i < 8; i++) {
        if (names[i])
            continue;
        if (strcmp(name, "tiny") == 0) {
            snprintf(path, sizeof(path), "%s/hf/tiny-generic.json", TM_TEST_DATA_DIR);
            cache[i] = tm_encoding_open_file(path, NULL, &err);
        } else {
            cache[i] = tm_encoding_open(name, &err);
        }
        if (cache[i] == NULL)
            fail_msg("%s: %s", name, err.message);
        names[i] = name;
        return cache[i];
    }
    fail_msg("too many encodings");
    return NULL;
}

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct hf_case *c = &cases[i];
        tm_encoding *enc = open_named(c->enc);
        tm_token ids[64];
        size_t n = 0;
        uint64_t count = 0;
        int rc = tm_encoding_encode(enc, c->text, strlen(c->text), c->flags, ids, 64, &n);

        if (rc != TM_OK || n != c->n || memcmp(ids, c->ids, n * sizeof(tm_token)) != 0) {
            fprintf(stderr, "case %zu (%s, \"%s\"): got", i, c->enc, c->text);
            for (size_t k = 0; k < n && k < 64; k++)
                fprintf(stderr, " %u", (unsigned)ids[k]);
            fprintf(stderr, "\n");
            fail_msg("case %zu differs from the reference", i);
        }
        assert_int_equal(tm_encoding_count(enc, c->text, strlen(c->text), c->flags, &count),
                         TM_OK);
        assert_int_equal(count, c->n);
    }
}

/* A stream gives what one call gives, whatever the chunking. */
static void test_stream(void **state)
{
    static const char text[] = "hi<s>there  a\n\n\nb \xc3\xa9 1234 <|eot_id|> <table>";
    static const char *const encs[] = {"llama3", "llama2", "qwen3", "deepseek_v3", "gemma3"};

    (void)state;
    for (size_t e = 0; e < 5; e++) {
        tm_encoding *enc = open_named(encs[e]);
        struct tm_tokens whole = {0}, got = {0};
        assert_int_equal(tm_encoding_encode_append(enc, text, sizeof(text) - 1, 0, &whole),
                         TM_OK);
        for (size_t chunk = 1; chunk < 8; chunk++) {
            struct tm_error err = {0};
            tm_stream *st = tm_stream_new(enc, 0, tm_tokens_sink, &got, &err);
            uint64_t count = 0;
            assert_non_null(st);
            for (size_t o = 0; o < sizeof(text) - 1; o += chunk) {
                size_t n = sizeof(text) - 1 - o < chunk ? sizeof(text) - 1 - o : chunk;
                assert_int_equal(tm_stream_feed(st, text + o, n), TM_OK);
            }
            assert_int_equal(tm_stream_finish(st, &count), TM_OK);
            assert_int_equal(count, whole.len);
            assert_int_equal(got.len, whole.len);
            assert_memory_equal(got.ids, whole.ids, whole.len * sizeof(tm_token));
            tm_stream_free(st);
            got.len = 0;
        }
        tm_tokens_free(&whole);
        tm_tokens_free(&got);
    }
}

static void test_n_vocab(void **state)
{
    static const struct { const char *name; uint32_t n; } want[] = {
        {"llama3", 128256}, {"llama2", 32000}, {"qwen3", 151669},
        {"deepseek_v3", 128815}, {"gemma3", 262145},
    };
    (void)state;
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(tm_encoding_n_vocab(open_named(want[i].name)), want[i].n);
}

/* Character-level ids decode to text: the metaspace character is a space
 * and "<0xHH>" tokens are bytes. Byte-level ids decode to their bytes. */
static void test_decode(void **state)
{
    static const tm_token hello[] = {1, 22557, 1526};
    static const tm_token fallback[] = {28705, 247, 146, 194, 192};
    static const tm_token spaces[] = {138, 2202};
    static const tm_token llama3[] = {128000, 6151};
    char out[64];
    size_t n = 0;

    (void)state;
    assert_int_equal(tm_encoding_decode(open_named("llama2"), hello, 3, out, sizeof(out), &n,
                                        NULL), TM_OK);
    assert_int_equal(n, 15);
    assert_memory_equal(out, "<s> Hello world", 15);
    assert_int_equal(tm_encoding_decode(open_named("llama2"), fallback, 5, out, sizeof(out),
                                        &n, NULL), TM_OK);
    assert_int_equal(n, 5);
    assert_memory_equal(out, " \xf4\x8f\xbf\xbd", 5);
    assert_int_equal(tm_encoding_decode(open_named("gemma3"), spaces, 2, out, sizeof(out), &n,
                                        NULL), TM_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(out, "  hi", 4);
    assert_int_equal(tm_encoding_decode(open_named("llama3"), llama3, 2, out, sizeof(out), &n,
                                        NULL), TM_OK);
    assert_int_equal(n, 19);
    assert_memory_equal(out, "<|begin_of_text|>hi", 19);
}

/* Bad files: the message names the file, the part and the cause. */
static void test_bad_files(void **state)
{
    static const struct { const char *file; const char *msg; } bad[] = {
        {"bad-merge.json", "model.merges[0]: \"ab\" is not in the vocabulary"},
        {"bad-type.json", "model.type \"WordPiece\" is not supported"},
        {"bad-normalizer.json", "normalizer \"NFKC\" is not supported"},
        {"bad-regex.json", "pre_tokenizer.pattern.Regex: regex does not compile"},
        {"bad-json.json", "line 1, column"},
        {"no-such-file.json", "no-such-file.json"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tm_error err = {0};
        char path[512];
        snprintf(path, sizeof(path), "%s/hf/%s", TM_TEST_DATA_DIR, bad[i].file);
        assert_null(tm_encoding_open_file(path, NULL, &err));
        if (strstr(err.message, bad[i].msg) == NULL || strstr(err.message, bad[i].file) == NULL)
            fail_msg("%s: message \"%s\" lacks \"%s\"", bad[i].file, err.message, bad[i].msg);
    }
}

/* ---- long words against a plain implementation of HF's merge rule ----
 *
 * Words longer than 64 symbols take hf_bpe.c's bucketed queue (and from
 * 16384 symbols its by-rank directory). This file's merges make results
 * that two different pairs produce ("ab c" and "a bc" both give "abc"),
 * ranks that a merge makes lower again ("c a" after "ab c"), and runs of
 * one letter; each word's ids must equal what the rule of
 * docs/TOKENIZER-FAMILIES.md section 6 gives, computed here the slow way:
 * merge the pair with the lowest merge index, the leftmost on a tie. */

static const char *const long_vocab[] = {"a", "b", "c", "ab", "bc", "ca", "abc", "bca",
                                         "aa", "aaa", "aaaa", "cab", "aaaaaaaa", "abca"};
static const char *const long_merges[][2] = {
    {"a", "b"}, {"b", "c"}, {"ab", "c"}, {"a", "bc"}, {"c", "a"}, {"bc", "a"},
    {"a", "a"}, {"aa", "a"}, {"aa", "aa"}, {"c", "ab"}, {"ca", "b"}, {"aaaa", "aaaa"},
    {"abc", "a"}, {"ab", "ca"},
};
#define LONG_NV (sizeof(long_vocab) / sizeof(long_vocab[0]))
#define LONG_NM (sizeof(long_merges) / sizeof(long_merges[0]))

static int long_id(const char *s, size_t n)
{
    for (size_t i = 0; i < LONG_NV; i++)
        if (strlen(long_vocab[i]) == n && memcmp(long_vocab[i], s, n) == 0)
            return (int)i;
    return -1;
}

/* The reference rule on ids[0..n) in place; returns the new count. */
static size_t slow_merge(int *ids, size_t n)
{
    for (;;) {
        size_t best_at = 0, best_rank = LONG_NM;
        int result = -1;
        for (size_t i = 0; i + 1 < n; i++)
            for (size_t r = 0; r < best_rank; r++)
                if (strcmp(long_merges[r][0], long_vocab[ids[i]]) == 0 &&
                    strcmp(long_merges[r][1], long_vocab[ids[i + 1]]) == 0) {
                    char cat[32];
                    snprintf(cat, sizeof(cat), "%s%s", long_merges[r][0], long_merges[r][1]);
                    best_rank = r;
                    best_at = i;
                    result = long_id(cat, strlen(cat));
                    break;
                }
        if (result < 0)
            return n;
        ids[best_at] = result;
        memmove(ids + best_at + 1, ids + best_at + 2, (n - best_at - 2) * sizeof(*ids));
        n--;
    }
}

static void test_long_words(void **state)
{
    static const size_t lengths[] = {65, 100, 257, 1000, 4099, 17000};
    char path[] = "/tmp/tm-hf-test-XXXXXX";
    int fd = mkstemp(path);
    FILE *f;
    tm_encoding *enc;
    struct tm_error err = {0};
    uint32_t x = 12345;
    (void)state;

    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "{\"model\": {\"type\": \"BPE\", \"vocab\": {");
    for (size_t i = 0; i < LONG_NV; i++)
        fprintf(f, "%s\"%s\": %zu", i ? ", " : "", long_vocab[i], i);
    fprintf(f, "}, \"merges\": [");
    for (size_t i = 0; i < LONG_NM; i++)
        fprintf(f, "%s[\"%s\", \"%s\"]", i ? ", " : "", long_merges[i][0], long_merges[i][1]);
    fprintf(f, "]}}\n");
    fclose(f);
    enc = tm_encoding_open_file(path, NULL, &err);
    unlink(path);
    if (enc == NULL)
        fail_msg("%s", err.message);
    for (size_t k = 0; k < sizeof(lengths) / sizeof(lengths[0]); k++) {
        size_t n = lengths[k], want_n;
        char *text = malloc(n);
        int *want = malloc(n * sizeof(*want));
        tm_token *got = malloc(n * sizeof(*got));
        size_t got_n = 0;
        uint64_t count = 0;

        assert_true(text && want && got);
        /* Runs of a (up to 20 long) between random letters. */
        for (size_t i = 0; i < n;) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            if (x % 4 == 0)
                for (size_t run = x % 21; run > 0 && i < n; run--)
                    text[i++] = 'a';
            else
                text[i++] = "abc"[(x >> 8) % 3];
        }
        for (size_t i = 0; i < n; i++)
            want[i] = text[i] - 'a';
        want_n = slow_merge(want, n);
        assert_int_equal(tm_encoding_encode(enc, text, n, 0, got, n, &got_n), TM_OK);
        assert_int_equal(tm_encoding_count(enc, text, n, 0, &count), TM_OK);
        assert_int_equal(got_n, want_n);
        assert_int_equal(count, want_n);
        for (size_t i = 0; i < want_n; i++)
            if (got[i] != (tm_token)want[i])
                fail_msg("length %zu: id %zu is %u, the rule gives %d (%s)", n, i,
                         (unsigned)got[i], want[i], long_vocab[want[i]]);
        free(text);
        free(want);
        free(got);
    }
    tm_encoding_free(enc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_n_vocab),
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_long_words),
    };
    return cmocka_run_group_tests_name("hf", tests, NULL, NULL);
}
