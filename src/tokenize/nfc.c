/*
 * NFC normalization, Unicode 9.0 data (nfc.h says why that version).
 *
 * UAX #15 (https://www.unicode.org/reports/tr15/) and the Unicode Standard
 * section 3.11: decompose every character canonically (Hangul syllables by
 * the arithmetic of section 3.12), sort each run of marks stably by
 * canonical combining class (the Canonical Ordering Algorithm, D109), then
 * compose (the Canonical Composition Algorithm, D117): each character that
 * is not blocked from the last starter (D115: no character between them
 * has ccc 0 or a ccc >= its own) is joined to the starter when the pair
 * has a primary composite (D114).
 *
 * Most text needs none of that. The quick check (UAX #15 section 9) passes
 * text whose characters are all NFC_Quick_Check=Yes with marks in canonical
 * order: it is already NFC (scan_unchanged also passes some Maybe
 * characters, see there). tm__nfc copies such text, and only where the
 * check fails does it go back to the last boundary (a tm__nfc_qc value 0
 * character: nothing before it interacts with anything after it) and run
 * the algorithm up to the next boundary. Each byte is scanned once and
 * normalized at most once, and a run of marks of any length is sorted by
 * counting sort, so the whole is linear in the input.
 *
 * Inside the algorithm a character is a packed uint32: code point in bits
 * 0-20, bit 21 set when it may be the second of a composite, ccc in bits
 * 24-31.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"
#include "tokenize/nfc.h"

/* Hangul syllable arithmetic (Unicode Standard section 3.12). */
#define S_BASE 0xAC00u
#define L_BASE 0x1100u
#define V_BASE 0x1161u
#define T_BASE 0x11A7u
#define L_COUNT 19u
#define V_COUNT 21u
#define T_COUNT 28u
#define N_COUNT (V_COUNT * T_COUNT)
#define S_COUNT (L_COUNT * N_COUNT)

#define CP_MASK 0x1FFFFFu
#define MAY_COMPOSE (1u << 21)
#define CCC_SHIFT 24

/* Runs of marks up to this long are insertion-sorted, longer ones counted. */
#define SHORT_RUN 16

#define BLOCK_MASK ((1u << TM_NFC_SHIFT) - 1)

static inline uint8_t qc_of(uint32_t cp)
{
    if (cp >= TM_NFC_LIMIT)
        return 0;
    return tm__nfc_qc_stage2[tm__nfc_qc_stage1[cp >> TM_NFC_SHIFT]][cp & BLOCK_MASK];
}

static inline uint8_t ccc_of(uint32_t cp)
{
    if (cp >= TM_NFC_LIMIT)
        return 0;
    return tm__nfc_ccc_stage2[tm__nfc_ccc_stage1[cp >> TM_NFC_SHIFT]][cp & BLOCK_MASK];
}

static inline uint16_t decomp_of(uint32_t cp)
{
    if (cp >= TM_NFC_LIMIT)
        return 0;
    return tm__nfc_decomp_stage2[tm__nfc_decomp_stage1[cp >> TM_NFC_SHIFT]][cp & BLOCK_MASK];
}

/* Decode the character of valid UTF-8 at s (lead byte >= 0x80); *len gets
 * its length. */
static inline uint32_t decode(const uint8_t *s, size_t *len)
{
    uint8_t b = s[0];

    if (b < 0xE0) {
        *len = 2;
        return (uint32_t)(b & 0x1F) << 6 | (s[1] & 0x3Fu);
    }
    if (b < 0xF0) {
        *len = 3;
        return (uint32_t)(b & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3Fu);
    }
    *len = 4;
    return (uint32_t)(b & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
           (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3Fu);
}

/* The length of the run of ASCII bytes at s[0..n). */
static inline size_t ascii_run(const uint8_t *s, size_t n)
{
    size_t i = 0;

    while (i + 16 <= n &&
           ((tm__core_load64(s + i) | tm__core_load64(s + i + 8)) & 0x8080808080808080ull) == 0)
        i += 16;
    while (i < n && s[i] < 0x80)
        i++;
    return i;
}

#define NO_STARTER 0xFFFFFFFFu

static uint32_t compose(uint32_t a, uint32_t b);

/*
 * Whether the quick check Maybe character cp at s[i] leaves the text NFC,
 * given that s[start..i) is NFC and prev is the ccc of the character before
 * cp: when cp has ccc 0 and no decomposition (Indic vowel signs such as
 * U+0BBE, Hangul jamo) and does not compose with the starter before it.
 * That is exact: ccc 0 means nothing reorders across it; the text before
 * it is NFC, so the composition step reaches it with that starter composed,
 * and unblocked only if it is the previous character (prev 0); and after it
 * the step goes on with cp as the starter, as at the start of a text.
 */
static bool maybe_stays(const uint8_t *s, size_t start, size_t i, uint32_t cp, uint8_t prev)
{
    size_t j = i, len;

    if (ccc_of(cp) != 0 || decomp_of(cp) != 0)
        return false;
    if (prev != 0 || i == start)
        return true;
    do
        j--;
    while ((s[j] & 0xC0) == 0x80);
    return compose(s[j] < 0x80 ? s[j] : decode(s + j, &len), cp) == 0;
}

/*
 * The quick-check scan shared by both entry points: from s[*pos], which is
 * the start of the text or of a boundary character, pass characters while
 * the text stays certainly NFC: quick check Yes characters with the marks
 * in canonical order (UAX #15 section 9), and the Maybe characters
 * maybe_stays lets through. Returns true at the end of the text; false
 * with *pos at the first character that fails. *boundary is kept at the
 * start of the last boundary character passed.
 */
static inline bool scan_unchanged(const uint8_t *s, size_t n, size_t *pos, size_t *boundary)
{
    size_t start = *pos, i = *pos, b = *boundary;
    uint8_t prev = 0; /* the ccc of the previous character */
    bool done = false;

    for (;;) {
        size_t len;
        uint32_t cp;
        uint8_t q;

        if (i >= n) {
            done = true;
            break;
        }
        if (s[i] < 0x80) {
            /* ASCII characters are all boundaries (the generator checks). */
            i += ascii_run(s + i, n - i);
            b = i - 1;
            prev = 0;
            continue;
        }
        cp = decode(s + i, &len);
        q = qc_of(cp);
        if (q == 0) {
            b = i;
            prev = 0;
        } else if (q != TM_NFC_QC_OTHER) {
            if (q < prev)
                break;
            prev = q;
        } else if (maybe_stays(s, start, i, cp, prev)) {
            prev = 0;
        } else {
            break;
        }
        i += len;
    }
    *pos = i;
    *boundary = b;
    return done;
}

/* True when the character at s (valid UTF-8) is a boundary (qc value 0). */
static inline bool boundary_at(const uint8_t *s)
{
    size_t len;

    return s[0] < 0x80 || qc_of(decode(s, &len)) == 0;
}

bool tm__nfc_unchanged(const uint8_t *s, size_t n)
{
    size_t pos = 0, boundary = 0;

    return scan_unchanged(s, n, &pos, &boundary);
}

/* ---- the algorithm, over one span at a time ---- */

struct nfc_out {
    uint8_t *bytes;
    size_t len, cap;
};

/* The characters of the current segment: from a boundary starter up to
 * (not including) the next one. tmp is scratch for the counting sort. */
struct nfc_seg {
    uint32_t *chars;
    size_t len, cap;
    uint32_t *tmp;
    size_t tmp_cap;
};

/* Make room for extra more bytes of output. */
static int out_reserve(struct nfc_out *o, size_t extra)
{
    size_t cap;
    void *p;

    if (o->cap - o->len >= extra)
        return TM_OK;
    if (extra > SIZE_MAX / 2 - o->len)
        return TM_ENOMEM;
    cap = o->cap ? o->cap : 64;
    while (cap - o->len < extra)
        cap *= 2;
    p = realloc(o->bytes, cap);
    if (p == NULL)
        return TM_ENOMEM;
    o->bytes = p;
    o->cap = cap;
    return TM_OK;
}

static int out_bytes(struct nfc_out *o, const uint8_t *s, size_t n)
{
    int rc = out_reserve(o, n);

    if (rc != TM_OK)
        return rc;
    if (n > 0)
        memcpy(o->bytes + o->len, s, n);
    o->len += n;
    return TM_OK;
}

/* Grow a uint32_t array *arr of capacity *cap to hold need elements. */
static int grow_u32(uint32_t **arr, size_t *cap, size_t need)
{
    size_t ncap = *cap ? *cap : 32;
    void *p;

    if (need <= *cap)
        return TM_OK;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / sizeof(uint32_t))
            return TM_ENOMEM;
        ncap *= 2;
    }
    p = realloc(*arr, ncap * sizeof(uint32_t));
    if (p == NULL)
        return TM_ENOMEM;
    *arr = p;
    *cap = ncap;
    return TM_OK;
}

/* The full canonical decomposition of cp into d (room for 4, the longest
 * in Unicode 9.0); returns its length. */
static size_t decompose(uint32_t cp, uint32_t d[4])
{
    uint16_t v;

    if (cp - S_BASE < S_COUNT) {
        uint32_t si = cp - S_BASE;
        d[0] = L_BASE + si / N_COUNT;
        d[1] = V_BASE + si % N_COUNT / T_COUNT;
        if (si % T_COUNT == 0)
            return 2;
        d[2] = T_BASE + si % T_COUNT;
        return 3;
    }
    v = decomp_of(cp);
    if (v == 0) {
        d[0] = cp;
        return 1;
    }
    memcpy(d, tm__nfc_decomp_pool + (v >> 2), ((v & 3u) + 1) * sizeof(uint32_t));
    return (v & 3u) + 1;
}

/* The primary composite of starter a followed by b, or 0 (also when a is
 * NO_STARTER). */
static uint32_t compose(uint32_t a, uint32_t b)
{
    uint64_t key = (uint64_t)a << 21 | b;
    size_t lo = 0, hi = tm__nfc_n_comp;

    if (a - L_BASE < L_COUNT && b - V_BASE < V_COUNT)
        return S_BASE + ((a - L_BASE) * V_COUNT + (b - V_BASE)) * T_COUNT;
    /* T_BASE itself is not a trailing consonant (index 0 means none). */
    if (a - S_BASE < S_COUNT && (a - S_BASE) % T_COUNT == 0 && b - T_BASE - 1 < T_COUNT - 1)
        return a + (b - T_BASE);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tm__nfc_comp_key[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < tm__nfc_n_comp && tm__nfc_comp_key[lo] == key ? tm__nfc_comp_val[lo] : 0;
}

/* Sort the marks c[0..n) stably by ccc (canonical ordering, D108). Linear:
 * a counting sort over the 256 classes for long runs. */
static int sort_marks(struct nfc_seg *g, uint32_t *c, size_t n)
{
    if (n <= SHORT_RUN) {
        for (size_t i = 1; i < n; i++) {
            uint32_t x = c[i];
            size_t j = i;
            while (j > 0 && c[j - 1] >> CCC_SHIFT > x >> CCC_SHIFT) {
                c[j] = c[j - 1];
                j--;
            }
            c[j] = x;
        }
        return TM_OK;
    }
    {
        size_t start[257] = {0};
        int rc = grow_u32(&g->tmp, &g->tmp_cap, n);

        if (rc != TM_OK)
            return rc;
        for (size_t i = 0; i < n; i++)
            start[(c[i] >> CCC_SHIFT) + 1]++;
        for (size_t k = 1; k < 257; k++)
            start[k] += start[k - 1];
        for (size_t i = 0; i < n; i++)
            g->tmp[start[c[i] >> CCC_SHIFT]++] = c[i];
        memcpy(c, g->tmp, n * sizeof(*c));
    }
    return TM_OK;
}

/* Write the UTF-8 of code point cp to b; returns its length. */
static inline size_t utf8_put(uint32_t cp, uint8_t *b)
{
    if (cp < 0x80) {
        b[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (uint8_t)(0xC0 | cp >> 6);
        b[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (uint8_t)(0xE0 | cp >> 12);
        b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        b[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    b[0] = (uint8_t)(0xF0 | cp >> 18);
    b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
    b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
    b[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* Reorder, compose and write out the segment, then empty it. */
static int seg_flush(struct nfc_seg *g, struct nfc_out *o)
{
    uint32_t *c = g->chars;
    size_t n = g->len, w = 0, starter = 0;
    bool have_starter = false;
    int last_ccc = -1; /* ccc of the last character kept after the starter; -1: none */
    int rc = TM_OK;

    for (size_t i = 0; i < n;) {
        size_t e = i;
        while (e < n && c[e] >> CCC_SHIFT != 0)
            e++;
        if (e - i > 1) {
            rc = sort_marks(g, c + i, e - i);
            if (rc != TM_OK)
                goto out;
        }
        i = e > i ? e : i + 1;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t x = c[i];
        int cc = (int)(x >> CCC_SHIFT);

        if (have_starter && (x & MAY_COMPOSE) && (last_ccc == -1 || last_ccc < cc)) {
            uint32_t p = compose(c[starter] & CP_MASK, x & CP_MASK);
            if (p != 0) {
                c[starter] = p; /* primary composites are starters: ccc 0 */
                continue;
            }
        }
        if (cc == 0) {
            starter = w;
            have_starter = true;
            last_ccc = -1;
        } else {
            last_ccc = cc;
        }
        c[w++] = x;
    }
    rc = out_reserve(o, 4 * w);
    if (rc != TM_OK)
        goto out;
    for (size_t i = 0; i < w; i++)
        o->len += utf8_put(c[i] & CP_MASK, o->bytes + o->len);
out:
    g->len = 0;
    return rc;
}

/* Add the canonical decomposition of cp to the segment, flushing it first
 * at a boundary. */
static int seg_add(struct nfc_seg *g, struct nfc_out *o, uint32_t cp)
{
    uint32_t d[4];
    size_t k = decompose(cp, d);
    int rc = grow_u32(&g->chars, &g->cap, g->len + k);

    if (rc != TM_OK)
        return rc;
    for (size_t j = 0; j < k; j++) {
        /* d[j] has no decomposition, so its quick check is Yes (value 0 or
         * its ccc) or Maybe (it may compose with what precedes). */
        uint8_t q = qc_of(d[j]);
        uint32_t x = d[j];

        if (q == 0 && g->len > 0) {
            rc = seg_flush(g, o);
            if (rc != TM_OK)
                return rc;
        }
        if (q == TM_NFC_QC_OTHER)
            x |= MAY_COMPOSE | (uint32_t)ccc_of(d[j]) << CCC_SHIFT;
        else
            x |= (uint32_t)q << CCC_SHIFT;
        g->chars[g->len++] = x;
    }
    return TM_OK;
}

int tm__nfc(const uint8_t *s, size_t n, uint8_t **out, size_t *out_len)
{
    struct nfc_out o = {0};
    struct nfc_seg g = {0};
    size_t pos = 0, boundary = 0, copied = 0;
    int rc;

    *out = NULL;
    *out_len = 0;
    rc = out_reserve(&o, n + n / 8 + 16);
    if (rc != TM_OK)
        goto out;
    while (!scan_unchanged(s, n, &pos, &boundary)) {
        /* s[copied..boundary) is NFC and ends at a boundary: copy it, then
         * normalize from the boundary through the character that failed,
         * up to the next boundary. */
        size_t i = boundary;

        rc = out_bytes(&o, s + copied, boundary - copied);
        if (rc != TM_OK)
            goto out;
        do {
            size_t len = 1;
            uint32_t cp = s[i] < 0x80 ? s[i] : decode(s + i, &len);
            rc = seg_add(&g, &o, cp);
            if (rc != TM_OK)
                goto out;
            i += len;
        } while (i < n && !boundary_at(s + i));
        rc = seg_flush(&g, &o);
        if (rc != TM_OK)
            goto out;
        copied = boundary = pos = i;
    }
    rc = out_bytes(&o, s + copied, n - copied);
out:
    free(g.chars);
    free(g.tmp);
    if (rc != TM_OK) {
        free(o.bytes);
        return rc;
    }
    *out = o.bytes;
    *out_len = o.len;
    return TM_OK;
}
