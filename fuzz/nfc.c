/*
 * Fuzz target: the NFC normalizer (src/tokenize/nfc.h, Unicode 9.0 data),
 * which qwen3's tokenizer.json runs on every stretch of outside text.
 *
 * Input: byte 0 picks how the rest becomes text.
 *  - bit 0 clear: the rest as UTF-8, invalid sequences repaired with
 *    U+FFFD (tm__nfc takes valid UTF-8 only, as its callers guarantee);
 *  - bit 0 set: every two bytes pick one code point from a block where
 *    normalization does something (combining marks of many classes, Hangul
 *    jamo and syllables, precomposed Latin/Greek, Indic and Tibetan vowel
 *    signs, composition exclusions, CJK compatibility ideographs, marks and
 *    compositions added after Unicode 9.0, ...), so short inputs reach the
 *    reordering and composition paths that random bytes almost never do.
 * Checks, for the text x:
 *  - tm__nfc succeeds and its output is valid UTF-8 of at most 3 times the
 *    input's length: the Unicode stability policy limits canonical
 *    mappings so that "no string when normalized to NFC expands to more
 *    than 3x in length (measured in code units)"
 *    (https://www.unicode.org/policies/stability_policy.html);
 *  - NFC is idempotent: NFC(NFC(x)) == NFC(x) (UAX #15);
 *  - the output's combining marks are in canonical order: within a run of
 *    non-starters the combining class never decreases (UAX #15, canonical
 *    ordering; a composition never reorders marks);
 *  - tm__nfc_unchanged(x) true implies NFC(x) == x (its promise), and
 *    tm__nfc_unchanged(x) is true for ASCII;
 *  - cutting x before a character of quick-check class 0 (a starter NFC
 *    leaves alone and before which text can be cut, nfc.h) and normalizing
 *    the halves gives NFC(x): the cut rule the normalizer relies on.
 */
#include "tokenize/nfc.h"
#include "fuzz_common.h"

#define MAX_TEXT (1u << 14)

/* Blocks the code-point mode draws from: first code point and length. */
static const struct {
    uint32_t first, len;
} blocks[16] = {
    {0x0041, 0x1BF},  /* Latin letters, Latin-1, Latin Extended-A/B */
    {0x0300, 0x070},  /* combining diacritical marks (ccc 220, 230, 232, 240, ...) */
    {0x0370, 0x100},  /* Greek and Coptic with tonos/dialytika */
    {0x1E00, 0x200},  /* Latin Extended Additional, Greek Extended */
    {0x1100, 0x100},  /* Hangul jamo: L, V, T */
    {0xAC00, 0x2BA4}, /* Hangul syllables: LV and LVT */
    {0x0900, 0x180},  /* Devanagari, Bengali: nukta, vowel signs, composites */
    {0x0B00, 0x200},  /* Oriya .. Malayalam: two-part vowel signs */
    {0x0F00, 0x100},  /* Tibetan: composition exclusions, ccc 129-132 */
    {0x3040, 0x0C0},  /* kana and the voicing marks U+3099/U+309A */
    {0xF900, 0x200},  /* CJK compatibility ideographs (singletons), FB1D.. */
    {0x1D15E, 0x080}, /* musical symbols: excluded composites, ccc 216/226 */
    {0x11000, 0x200}, /* Brahmi .. Chakma, Grantha: supplementary composites */
    {0x1DC0, 0x040},  /* combining marks supplement (U+1DF6.. after 9.0) */
    {0x11900, 0x060}, /* Dives Akuru: a composition added after 9.0 */
    {0x20D0, 0x030},  /* combining marks for symbols; also U+2126, U+212B near */
};

/* Append code point cp as UTF-8 to out (room for 4 bytes); returns bytes. */
static size_t put_utf8(uint32_t cp, uint8_t *out)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decode the valid UTF-8 character at s[*i] and advance *i past it. */
static uint32_t get_utf8(const uint8_t *s, size_t *i)
{
    uint32_t c = s[*i];
    int extra = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;

    if (extra)
        c &= 0x3Fu >> extra;
    (*i)++;
    while (extra-- > 0)
        c = (c << 6) | (s[(*i)++] & 0x3F);
    return c;
}

/* The text of an input: valid UTF-8 into out (room for 3 * n + 4 bytes).
 * Raw mode keeps each valid character and turns each invalid byte into
 * U+FFFD; code-point mode maps byte pairs through `blocks`. */
static size_t make_text(const uint8_t *data, size_t n, bool codepoints, uint8_t *out)
{
    size_t o = 0;

    if (codepoints) {
        for (size_t i = 0; i + 1 < n; i += 2) {
            unsigned b = data[i] >> 4;
            uint32_t off = ((uint32_t)(data[i] & 15) << 8 | data[i + 1]) % blocks[b].len;
            o += put_utf8(blocks[b].first + off, out + o);
        }
        return o;
    }
    for (size_t i = 0; i < n;) {
        size_t len = n - i < 4 ? n - i : 4;
        size_t ok = tm_utf8_valid_prefix((const char *)data + i, len);
        size_t step;
        if (ok == 0) {
            o += put_utf8(0xFFFD, out + o);
            i++;
            continue;
        }
        /* The first whole character of the valid prefix. */
        step = data[i] < 0x80 ? 1 : data[i] < 0xE0 ? 2 : data[i] < 0xF0 ? 3 : 4;
        memcpy(out + o, data + i, step);
        o += step;
        i += step;
    }
    return o;
}

/* Canonical combining class of cp (Unicode 9.0, nfc_tables.c). */
static unsigned ccc_of(uint32_t cp)
{
    if (cp >= TM_NFC_LIMIT)
        return 0;
    return tm__nfc_ccc_stage2[tm__nfc_ccc_stage1[cp >> TM_NFC_SHIFT]]
                             [cp & ((1u << TM_NFC_SHIFT) - 1)];
}

/* Quick-check class of cp (nfc.h: 0 a starter the text can be cut before). */
static unsigned qc_of(uint32_t cp)
{
    if (cp >= TM_NFC_LIMIT)
        return 0;
    return tm__nfc_qc_stage2[tm__nfc_qc_stage1[cp >> TM_NFC_SHIFT]]
                            [cp & ((1u << TM_NFC_SHIFT) - 1)];
}

/* NFC of s[0..n); aborts on failure (the inputs are valid UTF-8). */
static uint8_t *nfc_or_die(const uint8_t *s, size_t n, size_t *out_len)
{
    uint8_t *out = NULL;
    int rc = tm__nfc(s, n, &out, out_len);

    FUZZ_CHECK(rc == TM_OK && out != NULL, "tm__nfc of %zu bytes: rc %d", n, rc);
    return out;
}

static bool same(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na) == 0);
}

static void check_text(const uint8_t *x, size_t n)
{
    size_t n1 = 0, n2 = 0, na = 0, nb = 0, cut = 0;
    uint8_t *once, *twice, *left = NULL, *right = NULL;
    bool ascii = true;
    unsigned prev_ccc = 0;

    for (size_t i = 0; i < n; i++)
        ascii = ascii && x[i] < 0x80;
    once = nfc_or_die(x, n, &n1);
    FUZZ_CHECK(tm_utf8_valid_prefix((const char *)once, n1) == n1,
               "NFC output (%zu bytes) is not valid UTF-8", n1);
    FUZZ_CHECK(n1 <= 3 * n, "NFC expanded %zu bytes to %zu (more than 3x)", n, n1);
    if (tm__nfc_unchanged(x, n))
        FUZZ_CHECK(same(x, n, once, n1), "tm__nfc_unchanged said yes, NFC changed the text");
    if (ascii)
        FUZZ_CHECK(tm__nfc_unchanged(x, n), "tm__nfc_unchanged said no to ASCII");

    twice = nfc_or_die(once, n1, &n2);
    FUZZ_CHECK(same(once, n1, twice, n2), "NFC is not idempotent (%zu then %zu bytes)", n1,
               n2);

    for (size_t i = 0; i < n1;) {
        size_t at = i;
        uint32_t cp = get_utf8(once, &i);
        unsigned c = ccc_of(cp);
        FUZZ_CHECK(c == 0 || prev_ccc <= c,
                   "marks out of canonical order at byte %zu: U+%04X (ccc %u) after ccc %u",
                   at, (unsigned)cp, c, prev_ccc);
        prev_ccc = c;
    }

    /* The last position of x before a quick-check-0 starter, if any. */
    for (size_t i = 0; i < n;) {
        size_t at = i;
        if (qc_of(get_utf8(x, &i)) == 0 && at > 0)
            cut = at;
    }
    if (cut > 0) {
        left = nfc_or_die(x, cut, &na);
        right = nfc_or_die(x + cut, n - cut, &nb);
        FUZZ_CHECK(na + nb == n1 && memcmp(left, once, na) == 0 &&
                       (nb == 0 || memcmp(right, once + na, nb) == 0),
                   "NFC(x) differs from NFC(x[..%zu]) + NFC(x[%zu..]) at a quick-check "
                   "starter", cut, cut);
    }
    free(left);
    free(right);
    free(twice);
    free(once);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *text;
    size_t n;

    if (size == 0)
        return 0;
    if (size - 1 > MAX_TEXT)
        size = MAX_TEXT + 1;
    text = malloc(3 * size + 4);
    FUZZ_CHECK(text != NULL, "out of memory");
    n = make_text(data + 1, size - 1, data[0] & 1, text);
    check_text(text, n);
    free(text);
    return 0;
}
