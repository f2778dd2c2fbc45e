/*
 * tm_encode_batch: encode many documents in one process, for the
 * differential tests (tests/diff/).
 *
 *   tm_encode_batch -e ENCODING [--allow-special] [--stream N] IN OUT
 *
 * IN holds documents as {u32 little-endian length, bytes}; OUT receives,
 * per document, {u32 count, count x u32 id}. With --stream N every
 * document is fed through tm_stream in N-byte chunks instead of one
 * tm_encoding_encode_append call, so chunk boundaries are tested too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenmeter/tokenize.h"


static int put_u32(FILE *f, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8),
                          (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    return fwrite(b, 1, 4, f) == 4 ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *name = NULL, *in_path = NULL, *out_path = NULL;
    unsigned flags = 0;
    size_t stream_chunk = 0;
    struct tm_error err = {0};
    struct tm_tokens toks = {0};
    tm_encoding *enc;
    FILE *in, *out;
    char *doc = NULL;
    size_t doc_cap = 0;
    long n_docs = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-e") == 0 && i + 1 < argc)
            name = argv[++i];
        else if (strcmp(argv[i], "--allow-special") == 0)
            flags |= TM_ENCODE_ALLOW_SPECIAL;
        else if (strcmp(argv[i], "--stream") == 0 && i + 1 < argc)
            stream_chunk = strtoul(argv[++i], NULL, 10);
        else if (!in_path)
            in_path = argv[i];
        else if (!out_path)
            out_path = argv[i];
        else
            in_path = NULL;
    }
    if (!name || !in_path || !out_path) {
        fprintf(stderr, "usage: tm_encode_batch -e ENCODING [--allow-special] "
                        "[--stream N] IN OUT\n");
        return 2;
    }
    enc = tm_encoding_open(name, &err);
    if (enc == NULL) {
        fprintf(stderr, "tm_encode_batch: %s\n", err.message);
        return 1;
    }
    in = fopen(in_path, "rb");
    out = fopen(out_path, "wb");
    if (!in || !out) {
        fprintf(stderr, "tm_encode_batch: cannot open %s\n", !in ? in_path : out_path);
        return 1;
    }
    for (;;) {
        unsigned char lb[4];
        size_t got = fread(lb, 1, 4, in);
        uint32_t len;
        int rc;
        if (got == 0)
            break;
        if (got != 4) {
            fprintf(stderr, "tm_encode_batch: %s: truncated length\n", in_path);
            return 1;
        }
        len = lb[0] | (uint32_t)lb[1] << 8 | (uint32_t)lb[2] << 16 | (uint32_t)lb[3] << 24;
        if (len > doc_cap) {
            doc = realloc(doc, len);
            doc_cap = len;
            if (!doc)
                return 1;
        }
        if (fread(doc, 1, len, in) != len) {
            fprintf(stderr, "tm_encode_batch: %s: truncated document %ld\n", in_path, n_docs);
            return 1;
        }
        toks.len = 0;
        if (stream_chunk) {
            tm_stream *st = tm_stream_new(enc, flags, tm_tokens_sink, &toks, &err);
            uint64_t count = 0;
            rc = st ? 0 : 1;
            for (size_t o = 0; rc == 0 && o < len; o += stream_chunk)
                rc = tm_stream_feed(st, doc + o, len - o < stream_chunk ? len - o : stream_chunk);
            if (rc == 0)
                rc = tm_stream_finish(st, &count);
            if (rc == 0 && count != toks.len)
                rc = -100;
            tm_stream_free(st);
        } else {
            rc = tm_encoding_encode_append(enc, doc, len, flags, &toks);
        }
        if (rc) {
            fprintf(stderr, "tm_encode_batch: document %ld: error %d\n", n_docs, rc);
            return 1;
        }
        put_u32(out, (uint32_t)toks.len);
        for (size_t k = 0; k < toks.len; k++)
            put_u32(out, toks.ids[k]);
        n_docs++;
    }
    if (fclose(out) != 0) {
        fprintf(stderr, "tm_encode_batch: write error\n");
        return 1;
    }
    fclose(in);
    free(doc);
    tm_tokens_free(&toks);
    tm_encoding_free(enc);
    return 0;
}
