/*
 * Fuzz target: encode/decode round trips, special tokens allowed and not.
 *
 * Input: byte 0 picks the encoding (low 3 bits, mod 6) and whether the
 * input is text or ids (bit 3); the rest is the payload.
 *
 * Text: for flags 0 and TM_ENCODE_ALLOW_SPECIAL,
 *  - decode(encode(x)) equals x repaired by an independent implementation
 *    of the WHATWG UTF-8 decoder below (x itself when x is valid UTF-8);
 *  - encoding that repaired text again gives the same ids (the repair is
 *    idempotent and invisible to the tokenizer);
 *  - with special tokens allowed, every special id decodes to special text
 *    that occurs in x, and without them no special id appears.
 * Ids: the payload as little-endian u32 ids; decoding either succeeds with
 * the bytes tm_encoding_token_bytes gives, or fails with TM_ENOENT on an
 * id that is not in the vocabulary.
 */
#include "fuzz_common.h"

#define MAX_TEXT (1u << 16)

/*
 * The WHATWG Encoding Standard's UTF-8 decoder
 * (https://encoding.spec.whatwg.org/#utf-8-decoder), written from the spec:
 * out must hold 3 * n bytes. Returns the output length.
 */
static size_t whatwg_utf8(const uint8_t *in, size_t n, uint8_t *out)
{
    uint32_t cp = 0, seen = 0, needed = 0;
    uint8_t lower = 0x80, upper = 0xBF;
    size_t o = 0, i = 0;

    while (i < n) {
        uint8_t b = in[i];
        if (needed == 0) {
            i++;
            if (b <= 0x7F) {
                out[o++] = b;
            } else if (b >= 0xC2 && b <= 0xDF) {
                needed = 1;
                cp = b & 0x1F;
            } else if (b >= 0xE0 && b <= 0xEF) {
                if (b == 0xE0)
                    lower = 0xA0;
                if (b == 0xED)
                    upper = 0x9F;
                needed = 2;
                cp = b & 0xF;
            } else if (b >= 0xF0 && b <= 0xF4) {
                if (b == 0xF0)
                    lower = 0x90;
                if (b == 0xF4)
                    upper = 0x8F;
                needed = 3;
                cp = b & 0x7;
            } else {
                out[o++] = 0xEF, out[o++] = 0xBF, out[o++] = 0xBD;
            }
            continue;
        }
        if (b < lower || b > upper) {
            /* Error; the byte is processed again (not consumed). */
            cp = needed = seen = 0;
            lower = 0x80;
            upper = 0xBF;
            out[o++] = 0xEF, out[o++] = 0xBF, out[o++] = 0xBD;
            continue;
        }
        i++;
        lower = 0x80;
        upper = 0xBF;
        cp = (cp << 6) | (b & 0x3F);
        if (++seen != needed)
            continue;
        if (cp < 0x800) {
            out[o++] = (uint8_t)(0xC0 | (cp >> 6));
        } else if (cp < 0x10000) {
            out[o++] = (uint8_t)(0xE0 | (cp >> 12));
            out[o++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        } else {
            out[o++] = (uint8_t)(0xF0 | (cp >> 18));
            out[o++] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
            out[o++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        }
        out[o++] = (uint8_t)(0x80 | (cp & 0x3F));
        cp = needed = seen = 0;
    }
    if (needed)
        out[o++] = 0xEF, out[o++] = 0xBF, out[o++] = 0xBD;
    return o;
}

static bool contains(const uint8_t *hay, size_t n, const char *needle, size_t m)
{
    for (size_t i = 0; m <= n && i <= n - m; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

/* A special token: its text encodes to it only when specials are allowed. */
static bool is_special(const tm_encoding *enc, tm_token id)
{
    size_t blen = 0, n = 0;
    const char *b = tm_encoding_token_bytes(enc, id, &blen);
    tm_token one[2];

    if (b == NULL || blen < 2 || b[0] != '<' || b[1] != '|')
        return false;
    if (tm_encoding_encode(enc, b, blen, TM_ENCODE_ALLOW_SPECIAL, one, 2, &n) != TM_OK ||
        n != 1 || one[0] != id)
        return false;
    return tm_encoding_encode(enc, b, blen, 0, one, 2, &n) != TM_OK || n != 1 ||
           one[0] != id;
}

static void check_text(const tm_encoding *enc, const uint8_t *text, size_t len,
                       unsigned flags)
{
    const char *name = tm_encoding_name(enc);
    struct tm_tokens ids = {0}, again = {0};
    uint8_t *fixed = malloc(3 * len + 4);
    char *out;
    size_t n_fixed, n = 0;
    int rc;

    FUZZ_CHECK(fixed != NULL, "out of memory");
    n_fixed = whatwg_utf8(text, len, fixed);
    rc = tm_encoding_encode_append(enc, (const char *)text, len, flags, &ids);
    FUZZ_CHECK(rc == TM_OK, "%s: encode rc %d", name, rc);

    rc = tm_encoding_decode(enc, ids.ids, ids.len, NULL, 0, &n, NULL);
    FUZZ_CHECK(rc == TM_OK || rc == TM_ENOSPC, "%s: decode sizing rc %d", name, rc);
    FUZZ_CHECK(n == n_fixed, "%s: decode(encode(x)) is %zu bytes, WHATWG repair %zu",
               name, n, n_fixed);
    out = malloc(n + 1);
    FUZZ_CHECK(out != NULL, "out of memory");
    rc = tm_encoding_decode(enc, ids.ids, ids.len, out, n, &n, NULL);
    FUZZ_CHECK(rc == TM_OK, "%s: decode rc %d", name, rc);
    FUZZ_CHECK(memcmp(out, fixed, n) == 0,
               "%s: decode(encode(x)) differs from the WHATWG repair of x", name);

    rc = tm_encoding_encode_append(enc, (const char *)fixed, n_fixed, flags, &again);
    FUZZ_CHECK(rc == TM_OK, "%s: encode (repaired) rc %d", name, rc);
    FUZZ_CHECK(again.len == ids.len &&
                   (ids.len == 0 ||
                    memcmp(again.ids, ids.ids, ids.len * sizeof(tm_token)) == 0),
               "%s: encoding the repaired text gives other ids (%zu vs %zu)", name,
               again.len, ids.len);

    for (size_t i = 0; i < ids.len; i++) {
        size_t blen = 0;
        const char *b = tm_encoding_token_bytes(enc, ids.ids[i], &blen);
        if (!is_special(enc, ids.ids[i]))
            continue;
        FUZZ_CHECK(flags & TM_ENCODE_ALLOW_SPECIAL,
                   "%s: special id %u without TM_ENCODE_ALLOW_SPECIAL", name,
                   (unsigned)ids.ids[i]);
        FUZZ_CHECK(contains(fixed, n_fixed, b, blen),
                   "%s: special id %u whose text is not in the input", name,
                   (unsigned)ids.ids[i]);
    }
    tm_tokens_free(&ids);
    tm_tokens_free(&again);
    free(out);
    free(fixed);
}

static void check_ids(const tm_encoding *enc, const uint8_t *data, size_t size)
{
    size_t n_ids = size / 4, total = 0, n = 0;
    tm_token *ids = calloc(n_ids ? n_ids : 1, sizeof(*ids));
    bool known = true;
    struct tm_error err = {0};
    char *out;
    int rc;

    FUZZ_CHECK(ids != NULL, "out of memory");
    for (size_t i = 0; i < n_ids; i++) {
        size_t blen = 0;
        /* Mostly ids near the vocabulary, sometimes anything. */
        uint32_t v = (uint32_t)data[4 * i] | (uint32_t)data[4 * i + 1] << 8 |
                     (uint32_t)data[4 * i + 2] << 16 | (uint32_t)data[4 * i + 3] << 24;
        ids[i] = (v >> 31) ? v : v % (tm_encoding_n_vocab(enc) + 16);
        if (tm_encoding_token_bytes(enc, ids[i], &blen) == NULL)
            known = false;
        total += blen;
    }
    out = malloc(total + 1);
    FUZZ_CHECK(out != NULL, "out of memory");
    rc = tm_encoding_decode(enc, ids, n_ids, out, total, &n, &err);
    if (known) {
        FUZZ_CHECK(rc == TM_OK && n == total, "decode of known ids: rc %d, %zu of %zu",
                   rc, n, total);
        for (size_t i = 0, o = 0; i < n_ids; i++) {
            size_t blen = 0;
            const char *b = tm_encoding_token_bytes(enc, ids[i], &blen);
            FUZZ_CHECK(memcmp(out + o, b, blen) == 0, "decode: id %u at %zu differs",
                       (unsigned)ids[i], i);
            o += blen;
        }
    } else {
        FUZZ_CHECK(rc == TM_ENOENT && err.code == TM_ENOENT,
                   "decode of an unknown id: rc %d", rc);
    }
    free(out);
    free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const tm_encoding *enc;

    if (size == 0)
        return 0;
    enc = fuzz_encoding((data[0] & 7) % FUZZ_N_ENCODINGS);
    if (data[0] & 8) {
        check_ids(enc, data + 1, size - 1 > MAX_TEXT ? MAX_TEXT : size - 1);
        return 0;
    }
    data++;
    size--;
    if (size > MAX_TEXT)
        size = MAX_TEXT;
    check_text(enc, data, size, 0);
    check_text(enc, data, size, TM_ENCODE_ALLOW_SPECIAL);
    return 0;
}
