/*
 * UTF-8 validation and sanitizing.
 *
 * Invalid input is repaired exactly as the WHATWG Encoding Standard's UTF-8
 * decoder does (https://encoding.spec.whatwg.org/#utf-8-decoder), which is
 * what Node's Buffer.toString('utf8') and browsers do: each maximal subpart
 * of an ill-formed sequence becomes one U+FFFD, and the byte that broke a
 * sequence is examined again as the start of the next one. Matching it
 * byte for byte lets token counts be compared with the reference
 * tokenizers, which receive the decoded string.
 */
#include "tokenize/tokenize_int.h"

static const uint8_t replacement[3] = {0xEF, 0xBF, 0xBD};

/* The valid range of the second byte after lead byte b (WHATWG's "lower
 * boundary" and "upper boundary"), and the sequence length; 0 = invalid. */
static inline int lead_info(uint8_t b, uint8_t *lower, uint8_t *upper)
{
    *lower = 0x80;
    *upper = 0xBF;
    if (b >= 0xC2 && b <= 0xDF)
        return 2;
    if (b >= 0xE0 && b <= 0xEF) {
        if (b == 0xE0)
            *lower = 0xA0;
        else if (b == 0xED)
            *upper = 0x9F;
        return 3;
    }
    if (b >= 0xF0 && b <= 0xF4) {
        if (b == 0xF0)
            *lower = 0x90;
        else if (b == 0xF4)
            *upper = 0x8F;
        return 4;
    }
    return 0;
}

size_t tm__utf8_valid_prefix(const uint8_t *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        uint8_t lower, upper;
        int len, k;

        if (i + 8 <= n && (tm__core_load64(s + i) & 0x8080808080808080ull) == 0) {
            i += 8;
            continue;
        }
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        len = lead_info(s[i], &lower, &upper);
        if (len == 0 || i + (size_t)len > n)
            return i;
        if (s[i + 1] < lower || s[i + 1] > upper)
            return i;
        for (k = 2; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
        i += (size_t)len;
    }
    return i;
}

void tm__utf8_fixer_init(struct tm__utf8_fixer *f)
{
    memset(f, 0, sizeof(*f));
    f->lower = 0x80;
    f->upper = 0xBF;
}

static void fixer_reset(struct tm__utf8_fixer *f)
{
    f->needed = 0;
    f->seen = 0;
    f->n_pending = 0;
    f->lower = 0x80;
    f->upper = 0xBF;
}

size_t tm__utf8_fix(struct tm__utf8_fixer *f, const uint8_t *in, size_t n,
                    uint8_t *out)
{
    size_t i = 0, o = 0;

    while (i < n) {
        uint8_t b;

        if (f->needed == 0) {
            size_t k = tm__utf8_valid_prefix(in + i, n - i);
            memcpy(out + o, in + i, k);
            o += k;
            i += k;
            if (i == n)
                break;
            b = in[i];
            {
                int len = lead_info(b, &f->lower, &f->upper);
                if (len == 0) {
                    memcpy(out + o, replacement, 3);
                    o += 3;
                } else {
                    f->needed = (uint32_t)len - 1;
                    f->pending[0] = b;
                    f->n_pending = 1;
                }
            }
            i++;
            continue;
        }
        b = in[i];
        if (b < f->lower || b > f->upper) {
            /* Ill-formed: one U+FFFD for what was seen; b starts afresh. */
            fixer_reset(f);
            memcpy(out + o, replacement, 3);
            o += 3;
            continue;
        }
        f->lower = 0x80;
        f->upper = 0xBF;
        f->pending[f->n_pending++] = b;
        i++;
        if (++f->seen == f->needed) {
            memcpy(out + o, f->pending, f->n_pending);
            o += f->n_pending;
            fixer_reset(f);
        }
    }
    return o;
}

size_t tm__utf8_fixer_end(struct tm__utf8_fixer *f, uint8_t *out)
{
    if (f->needed == 0)
        return 0;
    fixer_reset(f);
    memcpy(out, replacement, 3);
    return 3;
}

size_t tm_utf8_valid_prefix(const char *s, size_t len)
{
    return tm__utf8_valid_prefix((const uint8_t *)s, len);
}
