/*
 * Fuzz target: loading vocabulary files (.tmv and .tiktoken), the parsers
 * of outside files in the tokenize module.
 *
 * The public API opens files, so each input is written to one scratch file
 * per process and opened with tm_encoding_open_file; the base encoding for
 * .tiktoken input is chosen by the input's length. A file that loads must
 * then work: count equals the number of ids encode gives, streaming in small
 * chunks gives the same ids, every id decodes, and decode(encode(x)) == x on
 * a small valid UTF-8 text, with special tokens allowed and not. A file
 * that does not load must say why (a non-empty message and a TM_E* code).
 *
 * A random change to a .tmv file almost always breaks its checksum, which
 * stops the loader early. So when a .tmv input has bit 0 of its (unused)
 * reserved header byte 36 set, the target first clears that bit and
 * rewrites the file_size and checksum fields (offsets 88 and 96, see
 * src/tokenize/vocab.c) to match, letting mutations reach the section and
 * index checks behind them.
 */
#include <unistd.h>

#include "tokenize/tokenize_int.h"
#include "fuzz_common.h"

static char scratch[4096];

static void remove_scratch(void)
{
    if (scratch[0])
        unlink(scratch);
}

static const char *scratch_path(void)
{
    if (!scratch[0]) {
        const char *dir = getenv("TMPDIR");
        int fd;
        snprintf(scratch, sizeof(scratch), "%s/tm-fuzz-vocab.XXXXXX",
                 dir && *dir ? dir : "/tmp");
        fd = mkstemp(scratch);
        FUZZ_CHECK(fd >= 0, "cannot create %s", scratch);
        close(fd);
        atexit(remove_scratch);
    }
    return scratch;
}

static void exercise(const tm_encoding *enc, unsigned flags)
{
    static const char text[] =
        "Hello, world! It's 2024: caf\xc3\xa9 \xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x98\x80"
        "  <|endoftext|>\r\n\tabcd 12345 <|fim_prefix|> aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc5\xbf'S end   ";
    const size_t len = sizeof(text) - 1;
    struct tm_tokens ids = {0}, streamed = {0};
    uint64_t count = 0;
    char out[4 * sizeof(text)];
    size_t n = 0;
    int rc;

    rc = tm_encoding_encode_append(enc, text, len, flags, &ids);
    FUZZ_CHECK(rc == TM_OK, "encode rc %d", rc);
    rc = tm_encoding_count(enc, text, len, flags, &count);
    FUZZ_CHECK(rc == TM_OK && count == ids.len, "count %llu, encode %zu (rc %d)",
               (unsigned long long)count, ids.len, rc);
    {
        struct tm_error err = {0};
        tm_stream *st = tm_stream_new(enc, flags, tm_tokens_sink, &streamed, &err);
        FUZZ_CHECK(st != NULL, "tm_stream_new: %s", err.message);
        for (size_t o = 0; o < len; o += 7) {
            rc = tm_stream_feed(st, text + o, len - o < 7 ? len - o : 7);
            FUZZ_CHECK(rc == TM_OK, "feed rc %d", rc);
        }
        rc = tm_stream_finish(st, &count);
        FUZZ_CHECK(rc == TM_OK && count == ids.len && streamed.len == ids.len &&
                       memcmp(streamed.ids, ids.ids, ids.len * sizeof(tm_token)) == 0,
                   "stream differs from whole text (%zu vs %zu ids)", streamed.len,
                   ids.len);
        tm_stream_free(st);
    }
    rc = tm_encoding_decode(enc, ids.ids, ids.len, out, sizeof(out), &n, NULL);
    FUZZ_CHECK(rc == TM_OK, "decode rc %d", rc);
    FUZZ_CHECK(n == len && memcmp(out, text, len) == 0, "decode(encode(x)) != x");
    tm_tokens_free(&ids);
    tm_tokens_free(&streamed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = scratch_path();
    const char *base = tm_encoding_names[size % FUZZ_N_ENCODINGS];
    struct tm_error err = {0};
    tm_encoding *enc;
    FILE *f = fopen(path, "wb");
    uint8_t *fixed = NULL;

    FUZZ_CHECK(f != NULL, "cannot write %s", path);
    if (size >= 104 && memcmp(data, "TMVOCAB1", 8) == 0 && (data[36] & 1)) {
        uint64_t v;
        fixed = malloc(size);
        FUZZ_CHECK(fixed != NULL, "out of memory");
        memcpy(fixed, data, size);
        fixed[36] &= (uint8_t)~1u;
        v = (uint64_t)size;
        memcpy(fixed + 88, &v, 8);
        v = tm__vocab_checksum(fixed, size);
        memcpy(fixed + 96, &v, 8);
        data = fixed;
    }
    FUZZ_CHECK(fwrite(data, 1, size, f) == size && fclose(f) == 0, "cannot write %s",
               path);
    free(fixed);
    enc = tm_encoding_open_file(path, base, &err);
    if (enc == NULL) {
        FUZZ_CHECK(err.code < 0 && err.message[0] != '\0',
                   "rejected without a reason (code %d)", err.code);
        return 0;
    }
    FUZZ_CHECK(tm_encoding_name(enc)[0] != '\0', "loaded without a name");
    exercise(enc, 0);
    exercise(enc, TM_ENCODE_ALLOW_SPECIAL);
    tm_encoding_free(enc);
    return 0;
}
