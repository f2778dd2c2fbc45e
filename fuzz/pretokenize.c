/*
 * Fuzz target: UTF-8 repair and pre-tokenization, through the public API.
 *
 * Input: byte 0 holds options (bit 0: allow special tokens; bits 1-7 seed
 * the chunk sizes), the rest is the text. For each of the six encodings:
 *  - tm_encoding_count equals the number of ids tm_encoding_encode gives;
 *  - tm_encoding_encode into a buffer one id too small reports TM_ENOSPC
 *    and the same count;
 *  - every id is in the vocabulary;
 *  - streaming through tm_stream in chunks of 1..N bytes, sizes drawn from
 *    the input, gives the same ids and count;
 *  - for valid UTF-8 text, decode(encode(text)) == text.
 */
#include "fuzz_common.h"

#define MAX_TEXT (1u << 16)

static uint32_t next_size(uint32_t *state, uint32_t max)
{
    *state = *state * 1103515245u + 12345u;
    return 1 + (*state >> 16) % max;
}

static void check_encoding(const tm_encoding *enc, const uint8_t *text, size_t len,
                           unsigned flags, uint32_t seed)
{
    const char *name = tm_encoding_name(enc);
    struct tm_tokens whole = {0}, streamed = {0};
    uint64_t count = 0, stream_count = 0;
    int rc;

    rc = tm_encoding_encode_append(enc, (const char *)text, len, flags, &whole);
    FUZZ_CHECK(rc == TM_OK, "%s: encode_append rc %d", name, rc);
    rc = tm_encoding_count(enc, (const char *)text, len, flags, &count);
    FUZZ_CHECK(rc == TM_OK, "%s: count rc %d", name, rc);
    FUZZ_CHECK(count == whole.len, "%s: count %llu != %zu ids", name,
               (unsigned long long)count, whole.len);
    for (size_t i = 0; i < whole.len; i++) {
        size_t blen = 0;
        FUZZ_CHECK(whole.ids[i] < tm_encoding_n_vocab(enc) &&
                       tm_encoding_token_bytes(enc, whole.ids[i], &blen) != NULL &&
                       blen > 0,
                   "%s: id %u at %zu is not in the vocabulary", name,
                   (unsigned)whole.ids[i], i);
    }
    if (whole.len > 0) {
        size_t n = 0;
        tm_token *ids = malloc(whole.len * sizeof(*ids));
        FUZZ_CHECK(ids != NULL, "out of memory");
        rc = tm_encoding_encode(enc, (const char *)text, len, flags, ids, whole.len - 1,
                                &n);
        FUZZ_CHECK(rc == TM_ENOSPC && n == whole.len, "%s: short buffer: rc %d, n %zu",
                   name, rc, n);
        FUZZ_CHECK(memcmp(ids, whole.ids, (whole.len - 1) * sizeof(*ids)) == 0,
                   "%s: short buffer: different ids", name);
        free(ids);
    }

    {
        struct tm_error err = {0};
        tm_stream *st = tm_stream_new(enc, flags, tm_tokens_sink, &streamed, &err);
        uint32_t max = 1 + (seed & 63);
        size_t o = 0;
        FUZZ_CHECK(st != NULL, "%s: tm_stream_new: %s", name, err.message);
        while (o < len) {
            size_t n = next_size(&seed, max);
            if (n > len - o)
                n = len - o;
            rc = tm_stream_feed(st, (const char *)text + o, n);
            FUZZ_CHECK(rc == TM_OK, "%s: feed rc %d", name, rc);
            o += n;
        }
        rc = tm_stream_finish(st, &stream_count);
        FUZZ_CHECK(rc == TM_OK, "%s: finish rc %d", name, rc);
        tm_stream_free(st);
    }
    FUZZ_CHECK(stream_count == whole.len && streamed.len == whole.len,
               "%s: stream gave %zu ids (count %llu), whole text %zu", name,
               streamed.len, (unsigned long long)stream_count, whole.len);
    FUZZ_CHECK(whole.len == 0 ||
                   memcmp(streamed.ids, whole.ids, whole.len * sizeof(tm_token)) == 0,
               "%s: stream ids differ from whole-text ids", name);

    if (tm_utf8_valid_prefix((const char *)text, len) == len) {
        char *out = malloc(len + 1);
        size_t n = 0;
        FUZZ_CHECK(out != NULL, "out of memory");
        rc = tm_encoding_decode(enc, whole.ids, whole.len, out, len + 1, &n, NULL);
        FUZZ_CHECK(rc == TM_OK && n == len && memcmp(out, text, len) == 0,
                   "%s: decode(encode(x)) != x (rc %d, %zu bytes of %zu)", name, rc, n,
                   len);
        free(out);
    }
    tm_tokens_free(&whole);
    tm_tokens_free(&streamed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned flags;
    uint32_t seed;

    if (size == 0)
        return 0;
    flags = (data[0] & 1) ? TM_ENCODE_ALLOW_SPECIAL : 0;
    seed = data[0] >> 1;
    data++;
    size--;
    if (size > MAX_TEXT)
        size = MAX_TEXT;
    for (int i = 0; i < FUZZ_N_ENCODINGS; i++)
        check_encoding(fuzz_encoding(i), data, size, flags, seed * 2654435761u + (uint32_t)i);
    return 0;
}
