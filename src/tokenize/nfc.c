/*
 * NFC (Unicode Standard Annex #15): canonical decomposition, canonical
 * ordering of combining marks, canonical composition, with the Unicode 9.0
 * tables of nfc_tables.c and the Hangul syllable arithmetic of the Unicode
 * Standard, section 3.12.
 */
#include <stdlib.h>
#include <string.h>

#include "tokenize/nfc.h"

#define S_BASE 0xAC00u
#define L_BASE 0x1100u
#define V_BASE 0x1161u
#define T_BASE 0x11A7u
#define L_COUNT 19u
#define V_COUNT 21u
#define T_COUNT 28u
#define N_COUNT (V_COUNT * T_COUNT)
#define S_COUNT (L_COUNT * N_COUNT)

/* The table byte: combining class, or 255 for a starter NFC may change. */
static inline uint8_t flag_of(uint32_t cp)
{
    return tm__nfc_stage2[tm__nfc_stage1[cp >> 8]][cp & 0xFF];
}

static inline uint8_t ccc_of(uint32_t cp)
{
    uint8_t f = flag_of(cp);
    return f == 255 ? 0 : f;
}

static uint32_t utf8_decode(const uint8_t *s, size_t *i)
{
    uint8_t b = s[*i];
    if (b < 0x80) {
        *i += 1;
        return b;
    }
    if (b < 0xE0) {
        *i += 2;
        return ((uint32_t)(b & 0x1F) << 6) | (s[*i - 1] & 0x3F);
    }
    if (b < 0xF0) {
        *i += 3;
        return ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(s[*i - 2] & 0x3F) << 6) |
               (s[*i - 1] & 0x3F);
    }
    *i += 4;
    return ((uint32_t)(b & 0x07) << 18) | ((uint32_t)(s[*i - 3] & 0x3F) << 12) |
           ((uint32_t)(s[*i - 2] & 0x3F) << 6) | (s[*i - 1] & 0x3F);
}

bool tm__nfc_unchanged(const uint8_t *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        if (flag_of(utf8_decode(s, &i)) != 0)
            return false;
    }
    return true;
}

/* The full canonical decomposition of cp into out (room for 4); returns
 * its length. */
static size_t decompose(uint32_t cp, uint32_t *out)
{
    size_t lo = 0, hi = tm__nfc_n_decomp;

    if (cp >= S_BASE && cp < S_BASE + S_COUNT) {
        uint32_t si = cp - S_BASE;
        out[0] = L_BASE + si / N_COUNT;
        out[1] = V_BASE + (si % N_COUNT) / T_COUNT;
        if (si % T_COUNT) {
            out[2] = T_BASE + si % T_COUNT;
            return 3;
        }
        return 2;
    }
    if (flag_of(cp) == 0)
        goto self;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (tm__nfc_decomp_key[mid] == cp) {
            uint32_t off = tm__nfc_decomp_off[mid];
            size_t len = off & 7;
            memcpy(out, tm__nfc_decomp_data + (off >> 3), len * sizeof(*out));
            return len;
        }
        if (tm__nfc_decomp_key[mid] < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
self:
    out[0] = cp;
    return 1;
}

/* The primary composite of a then b, or 0. */
static uint32_t compose(uint32_t a, uint32_t b)
{
    uint64_t key = (uint64_t)a << 21 | b;
    size_t lo = 0, hi = tm__nfc_n_comp;

    if (a >= L_BASE && a < L_BASE + L_COUNT && b >= V_BASE && b < V_BASE + V_COUNT)
        return S_BASE + ((a - L_BASE) * V_COUNT + (b - V_BASE)) * T_COUNT;
    if (a >= S_BASE && a < S_BASE + S_COUNT && (a - S_BASE) % T_COUNT == 0 &&
        b > T_BASE && b < T_BASE + T_COUNT)
        return a + (b - T_BASE);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (tm__nfc_comp_key[mid] == key)
            return tm__nfc_comp_val[mid];
        if (tm__nfc_comp_key[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* Stable sort of a run of marks by combining class: insertion sort for
 * short runs, a counting sort (linear) for long ones. */
static void sort_marks(uint32_t *cp, size_t n, uint32_t *tmp)
{
    if (n < 32) {
        for (size_t i = 1; i < n; i++) {
            uint32_t x = cp[i];
            uint8_t c = ccc_of(x);
            size_t j = i;
            while (j > 0 && ccc_of(cp[j - 1]) > c) {
                cp[j] = cp[j - 1];
                j--;
            }
            cp[j] = x;
        }
        return;
    }
    {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++)
            count[ccc_of(cp[i]) + 1]++;
        for (int c = 1; c < 257; c++)
            count[c] += count[c - 1];
        for (size_t i = 0; i < n; i++)
            tmp[count[ccc_of(cp[i])]++] = cp[i];
        memcpy(cp, tmp, n * sizeof(*cp));
    }
}

static size_t utf8_encode(uint32_t cp, uint8_t *o)
{
    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (uint8_t)(0xC0 | cp >> 6);
        o[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xE0 | cp >> 12);
        o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (uint8_t)(0xF0 | cp >> 18);
    o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

int tm__nfc(const uint8_t *s, size_t n, uint8_t **out, size_t *out_len)
{
    /* A character decomposes into at most 4 (18 in later Unicode, 4 in
     * 9.0's canonical data), so 4n code points bound the decomposition. */
    uint32_t *cp = malloc((4 * n + 1) * sizeof(*cp)), *tmp = malloc((4 * n + 1) * sizeof(*tmp));
    uint8_t *o = malloc(4 * n + 4);
    size_t m = 0, i = 0, w = 0;
    ptrdiff_t starter = -1;
    int last_cc = -1;

    if (cp == NULL || tmp == NULL || o == NULL) {
        free(cp);
        free(tmp);
        free(o);
        return TM_ENOMEM;
    }
    while (i < n)
        m += decompose(utf8_decode(s, &i), cp + m);
    for (size_t k = 0; k < m;) {
        size_t e = k;
        while (e < m && ccc_of(cp[e]) != 0)
            e++;
        if (e - k > 1)
            sort_marks(cp + k, e - k, tmp);
        k = e > k ? e : k + 1;
    }
    /* compose in place: w is the output length */
    for (size_t k = 0; k < m; k++) {
        uint32_t c = cp[k];
        int cc = ccc_of(c);
        if (starter >= 0 && (last_cc == -1 || (last_cc != 0 && last_cc < cc))) {
            uint32_t p = compose(cp[starter], c);
            if (p) {
                cp[starter] = p;
                continue;
            }
        }
        if (cc == 0) {
            starter = (ptrdiff_t)w;
            last_cc = -1;
        } else {
            last_cc = cc;
        }
        cp[w++] = c;
    }
    m = 0;
    for (size_t k = 0; k < w; k++)
        m += utf8_encode(cp[k], o + m);
    free(cp);
    free(tmp);
    *out = o;
    *out_len = m;
    return TM_OK;
}
