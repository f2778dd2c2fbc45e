/*
 * Pre-tokenization: splitting text into pieces by an encoding's split
 * pattern, with hand-written scanners that never backtrack.
 *
 * The patterns (tiktoken's tiktoken_ext/openai_public.py; the npm tiktoken
 * 1.0.22 encoder files carry the same strings):
 *
 *  r50k  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+
 *        |\s+(?!\S)|\s+
 *  cl100k (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
 *        | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 *  o200k [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*
 *          [\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
 *        |[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+
 *          [\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
 *        |\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
 *
 * and, for Hugging Face tokenizer.json families (docs/TOKENIZER-FAMILIES.md
 * section 5.1; the strings are in the files' pre_tokenizer Split entries):
 *
 *  llama3 the cl100k pattern above, exactly (scanned as cl100k)
 *  qwen   the cl100k pattern with \p{N} in place of \p{N}{1,3}
 *  deepseek_v3  three Splits applied in sequence, each keeping matches and
 *        the gaps between them: \p{N}{1,3}, then [一-龥぀-ゟ゠-ヿ]+, then
 *        [!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+
 *        |[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*
 *        |\s*[\r\n]+|\s+(?!\S)|\s+
 *        Every digit run and CJK run therefore stands apart, and the last
 *        pattern sees only the text between them (a segment), whose end
 *        acts as the end of the text. Characters where none of its
 *        alternatives matches form pieces of their own (the gaps).
 *
 * The reference runs them with a backtracking engine (leftmost-first
 * alternation, greedy quantifiers). Each alternative below computes the
 * match that engine finds, directly:
 *  - `\s+(?!\S)`: a whitespace run followed by a non-space gives back its
 *    last character (and fails if that leaves nothing); at the end of text
 *    it takes the whole run.
 *  - `\s*[\r\n]+`: the run up to and including its last CR or LF.
 *  - `U*L+` (o200k, U = Lu Lt Lm Lo M, L = Ll Lm Lo M): the maximal U run,
 *    then the L run after it; if none follows, the engine gives back U
 *    characters until one that is also in L (Lm Lo M) can stand as L+, so
 *    the match ends after the last such character of the run.
 *  - an optional prefix `[^\r\n\p{L}\p{N}]?` is tried first; without it
 *    the letters part is tried from the prefix character itself (which can
 *    succeed only when it is a mark).
 *  - `(?i:'s...)`: case-insensitive under Unicode simple case folding, so
 *    's' also matches U+017F LATIN SMALL LETTER LONG S.
 * \s is White_Space, \p{..} are general categories (unicode_tables.c).
 *
 * Every alternative examines characters at most once more than its match
 * consumes, so a scan is linear in the input. In streaming mode (final ==
 * false) a piece whose extent depends on text not yet seen is not emitted.
 */
#include "tokenize/tokenize_int.h"
#include "tokenize/unicode.h"

/* Character flags. */
enum {
    F_L = 1 << 0,     /* \p{L} */
    F_N = 1 << 1,     /* \p{N} */
    F_WS = 1 << 2,    /* \s */
    F_UP = 1 << 3,    /* [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] */
    F_LOW = 1 << 4,   /* [\p{Ll}\p{Lm}\p{Lo}\p{M}] */
    F_CRLF = 1 << 5,  /* \r or \n */
    F_END = 1 << 6,   /* past the end of the text */
    F_PS = 1 << 7,    /* \p{P} or \p{S} */
};

/* [^\s\p{L}\p{N}] */
#define IS_OTHER(f) (((f) & (F_L | F_N | F_WS | F_END)) == 0)
/* [^\r\n\p{L}\p{N}] */
#define IS_PREFIX(f) (((f) & (F_L | F_N | F_CRLF | F_END)) == 0)

static const uint8_t group_flags[16] = {
    [TM_UCD_OTHER] = 0,
    [TM_UCD_LU] = F_L | F_UP,
    [TM_UCD_LL] = F_L | F_LOW,
    [TM_UCD_LT] = F_L | F_UP,
    [TM_UCD_LM] = F_L | F_UP | F_LOW,
    [TM_UCD_LO] = F_L | F_UP | F_LOW,
    [TM_UCD_M] = F_UP | F_LOW,
    [TM_UCD_N] = F_N,
    [TM_UCD_P] = F_PS,
    [TM_UCD_S] = F_PS,
};

/* Flags of the ASCII characters, the hot path, as a constant table:
 * letters are Lu/Ll, digits Nd, TAB..CR plus SPACE are White_Space
 * (Unicode PropList.txt), and every other printable character is P or S;
 * no other ASCII character is L, N or M.
 * tm__pretok_selfcheck compares it with the generated tables. */
#define AF(c)                                                               \
    ((c) >= 'A' && (c) <= 'Z'   ? F_L | F_UP                                \
     : (c) >= 'a' && (c) <= 'z' ? F_L | F_LOW                               \
     : (c) >= '0' && (c) <= '9' ? F_N                                       \
     : (c) == '\n' || (c) == '\r' ? F_WS | F_CRLF                           \
     : (c) == ' ' || ((c) >= 9 && (c) <= 13) ? F_WS                         \
     : (c) > ' ' && (c) < 0x7F ? F_PS                                       \
                                             : 0)
#define AF4(c) AF(c), AF(c + 1), AF(c + 2), AF(c + 3)
#define AF16(c) AF4(c), AF4(c + 4), AF4(c + 8), AF4(c + 12)
#define AF64(c) AF16(c), AF16(c + 16), AF16(c + 32), AF16(c + 48)
static const uint8_t ascii_flags[128] = {AF64(0), AF64(64)};

static uint8_t flags_of(uint32_t cp)
{
    uint8_t cls = tm__ucd_class(cp), f = group_flags[cls & TM_UCD_GROUP_MASK];
    if (cls & TM_UCD_WS)
        f |= F_WS;
    if (cp == '\r' || cp == '\n')
        f |= F_CRLF;
    return f;
}

bool tm__pretok_selfcheck(void)
{
    for (uint32_t c = 0; c < 128; c++)
        if (ascii_flags[c] != flags_of(c))
            return false;
    return true;
}

struct scan {
    const uint8_t *s;
    size_t len;
    bool hit_end; /* something looked at or past len */
    bool segments; /* deepseek: digits and CJK runs end a segment */
};

struct ch {
    uint32_t cp;
    uint8_t f;
    uint8_t n; /* bytes */
};

/* Decode the character at i (valid UTF-8). */
static inline struct ch ch_at(struct scan *sc, size_t i)
{
    struct ch c;
    const uint8_t *p;

    if (i >= sc->len) {
        sc->hit_end = true;
        c.cp = 0;
        c.f = F_END;
        c.n = 0;
        return c;
    }
    p = sc->s + i;
    if (p[0] < 0x80) {
        c.cp = p[0];
        c.f = ascii_flags[p[0]];
        c.n = 1;
        return c;
    }
    if (p[0] < 0xE0) {
        c.cp = ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
        c.n = 2;
    } else if (p[0] < 0xF0) {
        c.cp = ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) |
               (p[2] & 0x3F);
        c.n = 3;
    } else {
        c.cp = ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
               ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
        c.n = 4;
    }
    c.f = flags_of(c.cp);
    return c;
}

/* deepseek's CJK split: [一-龥぀-ゟ゠-ヿ], U+4E00..U+9FA5, U+3040..U+30FF. */
static inline bool is_cjk_run(uint32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FA5) || (cp >= 0x3040 && cp <= 0x30FF);
}

/* The character at i as the last split pattern sees it: in deepseek's
 * segments a digit or CJK-run character ends the text (without setting
 * hit_end: the segment ends there whatever follows). */
static inline struct ch seg_ch(struct scan *sc, size_t i)
{
    struct ch c = ch_at(sc, i);
    if (sc->segments && ((c.f & F_N) || is_cjk_run(c.cp))) {
        c.f = F_END;
        c.n = 0;
    }
    return c;
}

/* End of the run of characters from i that have any of `want` flags. */
static inline size_t run_end(struct scan *sc, size_t i, uint8_t want)
{
    for (;;) {
        struct ch c;
        if (i < sc->len && sc->s[i] < 0x80) {
            if (!(ascii_flags[sc->s[i]] & want))
                return i;
            i++;
            continue;
        }
        c = ch_at(sc, i);
        if (!(c.f & want))
            return i;
        i += c.n;
    }
}

/* End of the run of [^\s\p{L}\p{N}] characters from i. */
static inline size_t other_run_end(struct scan *sc, size_t i)
{
    for (;;) {
        struct ch c = ch_at(sc, i);
        if (!IS_OTHER(c.f))
            return i;
        i += c.n;
    }
}

/* A contraction at i: 's 't 're 've 'm 'll 'd, case-insensitive or not.
 * Returns its length in bytes, or 0. */
static size_t contraction(struct scan *sc, size_t i, bool fold)
{
    struct ch c1, c2;
    uint32_t a, b;

    if (i >= sc->len) {
        sc->hit_end = true;
        return 0;
    }
    if (sc->s[i] != '\'')
        return 0;
    c1 = ch_at(sc, i + 1);
    a = c1.cp;
    if (fold) {
        if (a == 0x17F) /* long s folds to s */
            a = 's';
        else if (a >= 'A' && a <= 'Z')
            a += 'a' - 'A';
    }
    if (a == 's' || a == 't' || a == 'm' || a == 'd')
        return 1 + c1.n;
    if (a != 'r' && a != 'v' && a != 'l')
        return 0;
    c2 = ch_at(sc, i + 1 + c1.n);
    b = c2.cp;
    if (fold && b >= 'A' && b <= 'Z')
        b += 'a' - 'A';
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
        return 2 + c2.n;
    return 0;
}

/* Whitespace alternatives at i (the character there is \s):
 * [\s*[\r\n]+ |] \s+(?!\S) | \s+ */
static size_t whitespace(struct scan *sc, size_t i, bool newline_alt)
{
    size_t j = i, last_nl_end = 0, last_start = i;

    struct ch c;

    for (;;) {
        c = seg_ch(sc, j);
        if (!(c.f & F_WS))
            break;
        if (c.f & F_CRLF)
            last_nl_end = j + c.n;
        last_start = j;
        j += c.n;
    }
    if (newline_alt && last_nl_end)
        return last_nl_end - i;
    if (c.f & F_END)           /* the run reaches the end of the text */
        return j - i;
    if (last_start > i)        /* give back the last whitespace character */
        return last_start - i;
    return j - i;              /* \s+ */
}

/* The alternatives cl100k, qwen and o200k share after their letter ones:
 * \p{N}{1,3} (qwen: \p{N}) | ?[^\s\p{L}\p{N}]+[\r\n]* (o200k: [\r\n/]*)
 * | \s*[\r\n]+ | \s+(?!\S) | \s+. c is the character at i. */
static size_t tail_alternatives(struct scan *sc, size_t i, struct ch c,
                                bool slash, int max_digits)
{
    size_t j;

    if (c.f & F_N) {
        j = i + c.n;
        for (int k = 1; k < max_digits; k++) {
            struct ch d = ch_at(sc, j);
            if (!(d.f & F_N))
                break;
            j += d.n;
        }
        return j - i;
    }
    j = i;
    if (c.cp == ' ') {
        struct ch d = ch_at(sc, i + 1);
        if (IS_OTHER(d.f))
            j = i + 1;
    }
    if (IS_OTHER(ch_at(sc, j).f)) {
        j = other_run_end(sc, j);
        while (j < sc->len && (sc->s[j] == '\r' || sc->s[j] == '\n' ||
                               (slash && sc->s[j] == '/')))
            j++;
        if (j >= sc->len)
            sc->hit_end = true;
        return j - i;
    }
    return whitespace(sc, i, true);
}

static size_t next_r50k(struct scan *sc, size_t i)
{
    struct ch c = ch_at(sc, i);
    size_t n, j;

    if (c.cp == '\'' && (n = contraction(sc, i, false)) != 0)
        return n;
    j = i;
    if (c.cp == ' ') {
        struct ch d = ch_at(sc, i + 1);
        if (d.f & F_L)
            return run_end(sc, i + 1, F_L) - i;
        if (d.f & F_N)
            return run_end(sc, i + 1, F_N) - i;
        if (IS_OTHER(d.f))
            return other_run_end(sc, i + 1) - i;
        return whitespace(sc, i, false);
    }
    if (c.f & F_L)
        return run_end(sc, j, F_L) - i;
    if (c.f & F_N)
        return run_end(sc, j, F_N) - i;
    if (c.f & F_WS)
        return whitespace(sc, i, false);
    return other_run_end(sc, i) - i;
}

static inline size_t cl100k_like(struct scan *sc, size_t i, int max_digits)
{
    struct ch c = ch_at(sc, i);
    size_t n;

    if (c.cp == '\'' && (n = contraction(sc, i, true)) != 0)
        return n;
    /* [^\r\n\p{L}\p{N}]?\p{L}+ */
    if (c.f & F_L)
        return run_end(sc, i, F_L) - i;
    if (IS_PREFIX(c.f)) {
        struct ch d = ch_at(sc, i + c.n);
        if (d.f & F_L)
            return run_end(sc, i + c.n, F_L) - i;
    }
    return tail_alternatives(sc, i, c, false, max_digits);
}

static size_t next_cl100k(struct scan *sc, size_t i)
{
    return cl100k_like(sc, i, 3);
}

static size_t next_qwen(struct scan *sc, size_t i)
{
    return cl100k_like(sc, i, 1);
}

/* o200k's letter alternatives from q (after an optional prefix). `lower_first`
 * selects U*L+ (alternative 1); otherwise U+L* (alternative 2). Returns the
 * end of the letters part, or 0 when the alternative fails there. */
static size_t o200k_letters(struct scan *sc, size_t q, bool lower_first)
{
    size_t a = q, last_both_end = 0;

    for (;;) {
        struct ch c = ch_at(sc, a);
        if (!(c.f & F_UP))
            break;
        if (c.f & F_LOW)
            last_both_end = a + c.n;
        a += c.n;
    }
    if (lower_first) {
        struct ch c = ch_at(sc, a);
        if (c.f & F_LOW)
            return run_end(sc, a, F_LOW);
        return last_both_end; /* 0 when nothing can stand as L+ */
    }
    if (a == q)
        return 0;
    return run_end(sc, a, F_LOW);
}

static size_t next_o200k(struct scan *sc, size_t i)
{
    struct ch c = ch_at(sc, i);
    size_t end;

    for (int alt = 1; alt <= 2; alt++) {
        bool lower_first = alt == 1;
        end = 0;
        if (IS_PREFIX(c.f))
            end = o200k_letters(sc, i + c.n, lower_first);
        if (end == 0 && (c.f & (F_UP | F_LOW)))
            end = o200k_letters(sc, i, lower_first);
        if (end != 0)
            return end + contraction(sc, end, true) - i;
    }
    return tail_alternatives(sc, i, c, true, 3);
}

/* ---- deepseek_v3 ---- */

/* [\p{L}\p{M}]: F_UP and F_LOW are set only for letters and marks. */
#define IS_LM(f) (((f) & (F_L | F_UP | F_LOW)) != 0)

/* End of the segment run, from i, of characters with any of `want`. */
static size_t seg_run_end(struct scan *sc, size_t i, uint8_t want)
{
    for (;;) {
        struct ch c = seg_ch(sc, i);
        if (!(c.f & want))
            return i;
        i += c.n;
    }
}

/* The last pattern's match at i inside a segment, or 0 when none of its
 * alternatives matches there. c is the character at i. */
static size_t deepseek_match(struct scan *sc, size_t i, struct ch c)
{
    struct ch d = seg_ch(sc, i + c.n);
    size_t j;

    /* one ASCII punctuation character, then [A-Za-z]+ */
    if (c.cp < 0x80 && (c.f & F_PS) && d.cp < 0x80 && (d.f & F_L)) {
        j = i + 2;
        while (j < sc->len && ((sc->s[j] | 0x20) >= 'a' && (sc->s[j] | 0x20) <= 'z'))
            j++;
        if (j >= sc->len)
            sc->hit_end = true;
        return j - i;
    }
    /* [^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+ */
    if (!(c.f & (F_L | F_PS | F_CRLF | F_END)) && IS_LM(d.f))
        return seg_run_end(sc, i + c.n, F_L | F_UP | F_LOW) - i;
    if (IS_LM(c.f))
        return seg_run_end(sc, i, F_L | F_UP | F_LOW) - i;
    /*  ?[\p{P}\p{S}]+[\r\n]* */
    j = i;
    if (c.cp == ' ' && (d.f & F_PS))
        j = i + 1;
    if (j > i || (c.f & F_PS)) {
        j = seg_run_end(sc, j, F_PS);
        while (j < sc->len && (sc->s[j] == '\r' || sc->s[j] == '\n'))
            j++;
        if (j >= sc->len)
            sc->hit_end = true;
        return j - i;
    }
    if (c.f & F_WS)
        return whitespace(sc, i, true);
    return 0;
}

static size_t next_deepseek(struct scan *sc, size_t i)
{
    struct ch c = ch_at(sc, i);
    size_t j, n;

    if (c.f & F_N) { /* \p{N}{1,3} */
        j = i + c.n;
        for (int k = 1; k < 3; k++) {
            struct ch d = ch_at(sc, j);
            if (!(d.f & F_N))
                break;
            j += d.n;
        }
        return j - i;
    }
    if (is_cjk_run(c.cp)) {
        j = i + c.n;
        for (;;) {
            struct ch d = ch_at(sc, j);
            if (!is_cjk_run(d.cp) || (d.f & F_END))
                return j - i;
            j += d.n;
        }
    }
    sc->segments = true;
    n = deepseek_match(sc, i, c);
    if (n)
        return n;
    /* a gap: up to the next position where an alternative matches */
    j = i + c.n;
    for (;;) {
        struct ch d = seg_ch(sc, j);
        if ((d.f & F_END) || deepseek_match(sc, j, d))
            return j - i;
        j += d.n;
    }
}

/* ---- ASCII fast paths ----
 *
 * Most pieces of English text and code are ASCII words, optionally led by
 * one space or punctuation character, and runs of ASCII punctuation. The
 * fast paths recognise exactly those shapes and return the piece's end;
 * anything else (a non-ASCII byte anywhere the answer could depend on it,
 * an apostrophe, the end of the text) returns 0 and the general scanner
 * decides. So they never change a result, only how fast common pieces are
 * found.
 *
 * They work on a window of 64 bytes whose classes are bit masks (bit b:
 * byte base+b), so a word's end is one bit scan. With SSE2 (every x86-64)
 * the masks come from vector compares, elsewhere from the byte table. The
 * window is refilled when a piece starts in its last 16 bytes; near the
 * end of the text it holds a copy padded with non-ASCII bytes, so a piece
 * that reaches the end of the text is left to the general scanner.
 */
enum {
    B_LET = 1, B_UP = 2, B_LOW = 4,
    B_OTH = 16,    /* ASCII [^\s\p{L}\p{N}] */
    B_PRE = 32,    /* ASCII [^\r\n\p{L}\p{N}] other than the apostrophe */
    B_NA = 64,     /* not ASCII */
};
#define BF(c)                                                               \
    ((c) >= 0x80 ? B_NA                                                     \
     : (c) >= 'A' && (c) <= 'Z' ? B_LET | B_UP                              \
     : (c) >= 'a' && (c) <= 'z' ? B_LET | B_LOW                             \
     : (c) >= '0' && (c) <= '9' ? 0                                         \
     : (c) == '\r' || (c) == '\n' ? 0                                       \
     : (c) == ' ' || ((c) >= 9 && (c) <= 13) ? B_PRE                        \
     : (c) == '\'' ? B_OTH                                                  \
                   : B_OTH | B_PRE)
#define BF4(c) BF(c), BF(c + 1), BF(c + 2), BF(c + 3)
#define BF16(c) BF4(c), BF4(c + 4), BF4(c + 8), BF4(c + 12)
#define BF64(c) BF16(c), BF16(c + 16), BF16(c + 32), BF16(c + 48)
static const uint8_t byte_class[256] = {BF64(0), BF64(64), BF64(128), BF64(192)};

#define WINDOW 64

struct window {
    size_t base;            /* SIZE_MAX: not loaded */
    const uint8_t *p;       /* the window's bytes: text + base, or pad */
    uint64_t let, up, low, oth, na;
    uint8_t pad[WINDOW];
};

#if defined(__SSE2__)
#include <emmintrin.h>

static inline void window_masks(struct window *w)
{
    w->let = w->up = w->low = w->oth = w->na = 0;
    for (int q = 0; q < 4; q++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(w->p + 16 * q));
        __m128i lw = _mm_or_si128(v, _mm_set1_epi8(0x20));
        __m128i up = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)),
                                   _mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)));
        __m128i low = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('a' - 1)),
                                    _mm_cmplt_epi8(v, _mm_set1_epi8('z' + 1)));
        __m128i dig = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                    _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
        __m128i ws = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')),
                                  _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(8)),
                                                _mm_cmplt_epi8(v, _mm_set1_epi8(14))));
        __m128i let = _mm_and_si128(_mm_cmpgt_epi8(lw, _mm_set1_epi8('a' - 1)),
                                    _mm_cmplt_epi8(lw, _mm_set1_epi8('z' + 1)));
        __m128i neg = _mm_cmplt_epi8(v, _mm_setzero_si128()); /* >= 0x80 */
        __m128i oth = _mm_andnot_si128(_mm_or_si128(_mm_or_si128(let, dig),
                                                    _mm_or_si128(ws, neg)),
                                       _mm_set1_epi8(-1));
        int sh = 16 * q;
        w->let |= (uint64_t)(uint16_t)_mm_movemask_epi8(let) << sh;
        w->up |= (uint64_t)(uint16_t)_mm_movemask_epi8(up) << sh;
        w->low |= (uint64_t)(uint16_t)_mm_movemask_epi8(low) << sh;
        w->oth |= (uint64_t)(uint16_t)_mm_movemask_epi8(oth) << sh;
        w->na |= (uint64_t)(uint16_t)_mm_movemask_epi8(neg) << sh;
    }
}
#else
static inline void window_masks(struct window *w)
{
    w->let = w->up = w->low = w->oth = w->na = 0;
    for (unsigned b = 0; b < WINDOW; b++) {
        uint8_t c = byte_class[w->p[b]];
        w->let |= (uint64_t)((c & B_LET) != 0) << b;
        w->up |= (uint64_t)((c & B_UP) != 0) << b;
        w->low |= (uint64_t)((c & B_LOW) != 0) << b;
        w->oth |= (uint64_t)((c & B_OTH) != 0) << b;
        w->na |= (uint64_t)((c & B_NA) != 0) << b;
    }
}
#endif

static inline void window_load(struct window *w, const uint8_t *s, size_t base,
                               size_t len)
{
    w->base = base;
    if (base + WINDOW <= len) {
        w->p = s + base;
    } else {
        memset(w->pad, 0x80, WINDOW);
        memcpy(w->pad, s + base, len - base);
        w->p = w->pad;
    }
    window_masks(w);
}

/* The end (offset in the window) of the run of mask bits from off, or 64
 * when the run reaches the window's end. off < 64. */
static inline unsigned run_off(uint64_t mask, unsigned off)
{
    uint64_t rest = ~mask >> off;
    return rest ? off + (unsigned)__builtin_ctzll(rest) : WINDOW;
}

#define BIT(m, o) (((m) >> (o)) & 1)

/* A piece ends cleanly at offset k when k is inside the window and the byte
 * there is ASCII (so inside the text): nothing beyond can change it. */
#define CLEAN_END(w, k) ((k) < WINDOW && !BIT((w)->na, k))

static inline size_t fast_cl100k(const struct window *w, size_t i)
{
    unsigned off = (unsigned)(i - w->base), j = off, k;
    const uint8_t *p = w->p;

    /* [^\r\n\p{L}\p{N}]?\p{L}+ (an apostrophe could start a contraction) */
    if ((byte_class[p[off]] & B_PRE) && BIT(w->let, off + 1))
        j = off + 1;
    if (BIT(w->let, j)) {
        k = run_off(w->let, j);
        return CLEAN_END(w, k) ? w->base + k : 0;
    }
    /*  ?[^\s\p{L}\p{N}]+[\r\n]* (an apostrophe first could start a
     * contraction) */
    j = off;
    if (p[off] == ' ' && BIT(w->oth, off + 1))
        j = off + 1;
    if (BIT(w->oth, j) && (j > off || p[off] != '\'')) {
        k = run_off(w->oth, j);
        while (k < WINDOW && (p[k] == '\r' || p[k] == '\n'))
            k++;
        return CLEAN_END(w, k) ? w->base + k : 0;
    }
    return 0;
}

static inline size_t fast_o200k(const struct window *w, size_t i)
{
    unsigned off = (unsigned)(i - w->base), j = off, k, u;
    const uint8_t *p = w->p;

    /* prefix, then U*L+ or else U+L*, all ASCII */
    if ((byte_class[p[off]] & (B_PRE | B_OTH)) && BIT(w->let, off + 1))
        j = off + 1;
    if (BIT(w->let, j)) {
        u = run_off(w->up, j);
        k = u < WINDOW ? run_off(w->low, u) : WINDOW;
        if (k >= WINDOW)
            return 0;
        /* Ends at an uppercase letter (after lowercase), or at ASCII that is
         * not a letter and not an apostrophe (no contraction follows). */
        if (k > u && BIT(w->up, k))
            return w->base + k;
        if (CLEAN_END(w, k) && !BIT(w->let, k) && p[k] != '\'')
            return w->base + k;
        return 0;
    }
    /*  ?[^\s\p{L}\p{N}]+[\r\n/]* */
    j = off;
    if (p[off] == ' ' && BIT(w->oth, off + 1))
        j = off + 1;
    if (BIT(w->oth, j)) {
        k = run_off(w->oth, j);
        while (k < WINDOW && (p[k] == '\r' || p[k] == '\n' || p[k] == '/'))
            k++;
        return CLEAN_END(w, k) ? w->base + k : 0;
    }
    return 0;
}

/* The fast path at pos, refilling the window when pos is before it or in
 * its last 16 bytes. */
#define FAST(fast_fn)                                                     \
    ((pos >= win.base + (WINDOW - 16) || pos < win.base                   \
          ? window_load(&win, text, pos, len)                             \
          : (void)0),                                                     \
     fast_fn(&win, pos))

/* One scanner loop per pattern, so the dispatch happens once per batch. */
#define PRETOK_LOOP(next_fn, fast_expr)                                   \
    do {                                                                  \
        while (count < max && pos < len) {                                \
            struct scan sc = {text, len, false, false};                   \
            size_t n, end = (fast_expr);                                  \
            if (end) {                                                    \
                ends[count++] = pos = end;                                \
                continue;                                                 \
            }                                                             \
            n = next_fn(&sc, pos);                                        \
            if (!final && sc.hit_end)                                     \
                return count;                                             \
            pos += n;                                                     \
            ends[count++] = pos;                                          \
        }                                                                 \
    } while (0)


size_t tm__pretok_batch(int pattern, const uint8_t *text, size_t len,
                        size_t pos, bool final, size_t *ends, size_t max)
{
    size_t count = 0;
    struct window win;

    win.base = SIZE_MAX;
    switch (pattern) {
    case TM_PAT_R50K:
        PRETOK_LOOP(next_r50k, 0);
        break;
    case TM_PAT_CL100K:
        PRETOK_LOOP(next_cl100k, FAST(fast_cl100k));
        break;
    case TM_PAT_QWEN:
        PRETOK_LOOP(next_qwen, FAST(fast_cl100k));
        break;
    case TM_PAT_DEEPSEEK:
        PRETOK_LOOP(next_deepseek, 0);
        break;
    default:
        PRETOK_LOOP(next_o200k, FAST(fast_o200k));
        break;
    }
    return count;
}

size_t tm__pretok_next(int pattern, const uint8_t *text, size_t len,
                       size_t pos, bool final)
{
    size_t end;

    if (tm__pretok_batch(pattern, text, len, pos, final, &end, 1) == 0)
        return 0;
    return end - pos;
}
