/*
 * tm_encode_batch: encode many documents in one process, for the
 * differential tests (tests/diff/).
 *
 *   tm_encode_batch (-e ENCODING | -t FILE) [--allow-special] [--add-special]
 *                   [--stream N] IN OUT [IN OUT]...
 *
 * -e opens a built-in encoding by name (tm_encoding_open); -t opens a
 * tokenizer file directly (tm_encoding_open_file: a .tmv, or a Hugging Face
 * tokenizer.json compiled in memory at open), as `tokenmeter -t FILE` does.
 * --allow-special sets TM_ENCODE_ALLOW_SPECIAL, --add-special sets
 * TM_ENCODE_ADD_SPECIAL (the post-processor template's tokens, such as the
 * BOS of llama2 and gemma3).
 *
 * IN holds documents as {u32 little-endian length, bytes}; OUT receives,
 * per document, {u32 count, count x u32 id}. Several IN OUT pairs share one
 * open encoding (opening a tokenizer.json costs up to 1.5 s for gemma3, so the
 * harness batches its corpora this way). With --stream N every
 * document is fed through tm_stream in N-byte chunks instead of one
 * tm_encoding_encode_append call, so chunk boundaries are tested too.
 * A document longer than MAX_DOC_BYTES is refused (IN is outside input).
 *
 * Exit status: 0 success, 1 runtime error (named on stderr), 2 usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenmeter/tokenize.h"

/* Largest document accepted: the harness's largest docs are ~20 MB corpora
 * split into documents of a few MB at most. */
#define MAX_DOC_BYTES (256u << 20)

/* Largest --stream chunk size. */
#define MAX_STREAM_CHUNK (1u << 30)

/* encode_doc's result when a stream's final count differs from its ids. */
#define STREAM_COUNT_MISMATCH (-100)

/* Write v as four little-endian bytes; -1 on a write error. */
static int put_u32(FILE *f, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8),
                          (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    return fwrite(b, 1, 4, f) == 4 ? 0 : -1;
}

/* Print the usage line and return the usage exit status. */
static int usage(const char *why)
{
    if (why)
        fprintf(stderr, "tm_encode_batch: %s\n", why);
    fprintf(stderr, "usage: tm_encode_batch (-e ENCODING | -t FILE) [--allow-special] "
                    "[--add-special] [--stream N] IN OUT [IN OUT]...\n");
    return 2;
}

/* Encode doc[0..len) into toks (emptied first), whole or through tm_stream
 * in stream_chunk-byte chunks. Returns 0 or a TM_E* code; a stream whose
 * final count disagrees with the ids it emitted is STREAM_COUNT_MISMATCH. */
static int encode_doc(const tm_encoding *enc, const char *doc, size_t len,
                      unsigned flags, size_t stream_chunk, struct tm_tokens *toks,
                      struct tm_error *err)
{
    tm_stream *st;
    uint64_t count = 0;
    int rc = 0;

    toks->len = 0;
    if (stream_chunk == 0)
        return tm_encoding_encode_append(enc, doc, len, flags, toks);
    st = tm_stream_new(enc, flags, tm_tokens_sink, toks, err);
    if (st == NULL)
        return err->code ? err->code : TM_ENOMEM;
    for (size_t o = 0; rc == 0 && o < len; o += stream_chunk)
        rc = tm_stream_feed(st, doc + o, len - o < stream_chunk ? len - o : stream_chunk);
    if (rc == 0)
        rc = tm_stream_finish(st, &count);
    if (rc == 0 && count != toks->len)
        rc = STREAM_COUNT_MISMATCH;
    tm_stream_free(st);
    return rc;
}

/*
 * Encode every document of the docs file in_path into the ids file
 * out_path. Returns 0, or 1 after naming the file, the document and the
 * cause on stderr (OUT is then incomplete).
 */
static int encode_file(const tm_encoding *enc, unsigned flags, size_t stream_chunk,
                       const char *in_path, const char *out_path)
{
    struct tm_error err = {0};
    struct tm_tokens toks = {0};
    FILE *in = NULL, *out = NULL;
    char *doc = NULL;
    size_t doc_cap = 0;
    long n_docs = 0;
    int status = 1;

    in = fopen(in_path, "rb");
    if (in == NULL) {
        fprintf(stderr, "tm_encode_batch: %s: %s\n", in_path, strerror(errno));
        goto out;
    }
    out = fopen(out_path, "wb");
    if (out == NULL) {
        fprintf(stderr, "tm_encode_batch: %s: %s\n", out_path, strerror(errno));
        goto out;
    }
    for (;;) {
        unsigned char lb[4];
        size_t got = fread(lb, 1, 4, in);
        uint32_t len;
        int rc;

        if (got == 0)
            break;
        if (got != 4) {
            fprintf(stderr, "tm_encode_batch: %s: document %ld: truncated length\n",
                    in_path, n_docs);
            goto out;
        }
        len = lb[0] | (uint32_t)lb[1] << 8 | (uint32_t)lb[2] << 16 | (uint32_t)lb[3] << 24;
        if (len > MAX_DOC_BYTES) {
            fprintf(stderr, "tm_encode_batch: %s: document %ld: length %lu is over the "
                            "%u-byte limit\n", in_path, n_docs, (unsigned long)len,
                    MAX_DOC_BYTES);
            goto out;
        }
        if (len > doc_cap) {
            char *grown = realloc(doc, len);
            if (grown == NULL) {
                fprintf(stderr, "tm_encode_batch: %s: document %ld: out of memory\n",
                        in_path, n_docs);
                goto out;
            }
            doc = grown;
            doc_cap = len;
        }
        if (fread(doc, 1, len, in) != len) {
            fprintf(stderr, "tm_encode_batch: %s: document %ld: truncated (%lu bytes "
                            "announced)\n", in_path, n_docs, (unsigned long)len);
            goto out;
        }
        err.code = 0;
        err.message[0] = '\0';
        rc = encode_doc(enc, doc, len, flags, stream_chunk, &toks, &err);
        if (rc) {
            fprintf(stderr, "tm_encode_batch: %s: document %ld: %s (error %d)\n", in_path,
                    n_docs,
                    rc == STREAM_COUNT_MISMATCH ? "the stream's count differs from its ids"
                    : err.message[0]            ? err.message
                                                : tm_strerror(rc),
                    rc);
            goto out;
        }
        if (toks.len > UINT32_MAX) {
            fprintf(stderr, "tm_encode_batch: %s: document %ld: too many ids\n", in_path,
                    n_docs);
            goto out;
        }
        rc = put_u32(out, (uint32_t)toks.len);
        for (size_t k = 0; rc == 0 && k < toks.len; k++)
            rc = put_u32(out, toks.ids[k]);
        if (rc) {
            fprintf(stderr, "tm_encode_batch: %s: write error\n", out_path);
            goto out;
        }
        n_docs++;
    }
    if (ferror(in)) {
        fprintf(stderr, "tm_encode_batch: %s: read error\n", in_path);
        goto out;
    }
    status = 0;
out:
    if (out && fclose(out) != 0 && status == 0) {
        fprintf(stderr, "tm_encode_batch: %s: write error\n", out_path);
        status = 1;
    }
    if (in)
        fclose(in);
    free(doc);
    tm_tokens_free(&toks);
    return status;
}

int main(int argc, char **argv)
{
    const char *name = NULL, *file = NULL;
    unsigned flags = 0;
    size_t stream_chunk = 0;
    struct tm_error err = {0};
    tm_encoding *enc = NULL;
    int first_path = 0, n_paths = 0;
    int status = 0;

    for (int i = 1; i < argc; i++) {
        if (n_paths > 0) {
            /* Options come first; everything after the first path is a path. */
            if (argv[i][0] == '-' && argv[i][1] != '\0') {
                fprintf(stderr, "tm_encode_batch: %s: options go before the IN OUT pairs\n",
                        argv[i]);
                return usage(NULL);
            }
            n_paths++;
        } else if (strcmp(argv[i], "-e") == 0 && i + 1 < argc) {
            name = argv[++i];
        } else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
            file = argv[++i];
        } else if (strcmp(argv[i], "--allow-special") == 0) {
            flags |= TM_ENCODE_ALLOW_SPECIAL;
        } else if (strcmp(argv[i], "--add-special") == 0) {
            flags |= TM_ENCODE_ADD_SPECIAL;
        } else if (strcmp(argv[i], "--stream") == 0 && i + 1 < argc) {
            char *end;
            unsigned long n;
            errno = 0;
            n = strtoul(argv[++i], &end, 10);
            if (errno || *end || end == argv[i] || n == 0 || n > MAX_STREAM_CHUNK)
                return usage("--stream takes a chunk size from 1 to 2^30 bytes");
            stream_chunk = n;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "tm_encode_batch: unknown option or missing value: %s\n", argv[i]);
            return usage(NULL);
        } else {
            first_path = i;
            n_paths = 1;
        }
    }
    if ((name == NULL) == (file == NULL))
        return usage("give exactly one of -e ENCODING and -t FILE");
    if (n_paths == 0 || n_paths % 2 != 0)
        return usage("IN OUT pairs are required (options go before them)");

    enc = name ? tm_encoding_open(name, &err) : tm_encoding_open_file(file, NULL, &err);
    if (enc == NULL) {
        fprintf(stderr, "tm_encode_batch: %s\n", err.message);
        return 1;
    }
    for (int k = 0; status == 0 && k < n_paths; k += 2)
        status = encode_file(enc, flags, stream_chunk, argv[first_path + k],
                             argv[first_path + k + 1]);
    tm_encoding_free(enc);
    return status;
}
