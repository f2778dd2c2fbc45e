/*
 * tm_nfc_batch: NFC-normalize many documents in one process with the
 * library's private tm__nfc, for the differential test
 * tests/diff/nfc-diff.js.
 *
 *   tm_nfc_batch IN OUT
 *
 * IN holds documents as {u32 little-endian length, bytes}, each valid
 * UTF-8; OUT receives the normalized documents in the same format. Every
 * document also checks tm__nfc_unchanged: when it says a document is
 * unchanged, NFC must give back the same bytes. Exit 0, or 1 with a message
 * naming the document (invalid UTF-8, a broken promise of
 * tm__nfc_unchanged, out of memory, I/O), 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenize/nfc.h"
#include "tokenize/tokenize_int.h"

static int put_u32(FILE *f, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8),
                          (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    return fwrite(b, 1, 4, f) == 4 ? 0 : -1;
}

int main(int argc, char **argv)
{
    FILE *in, *out;
    uint8_t *doc = NULL;
    size_t doc_cap = 0;
    long n_docs = 0;

    if (argc != 3) {
        fprintf(stderr, "usage: tm_nfc_batch IN OUT\n");
        return 2;
    }
    in = fopen(argv[1], "rb");
    out = fopen(argv[2], "wb");
    if (!in || !out) {
        fprintf(stderr, "tm_nfc_batch: cannot open %s\n", !in ? argv[1] : argv[2]);
        return 1;
    }
    for (;;) {
        unsigned char lb[4];
        size_t got = fread(lb, 1, 4, in), norm_len;
        uint8_t *norm;
        uint32_t len;
        bool unchanged;

        if (got == 0)
            break;
        if (got != 4) {
            fprintf(stderr, "tm_nfc_batch: %s: truncated length\n", argv[1]);
            return 1;
        }
        len = lb[0] | (uint32_t)lb[1] << 8 | (uint32_t)lb[2] << 16 | (uint32_t)lb[3] << 24;
        if (len > doc_cap) {
            doc = realloc(doc, len);
            doc_cap = len;
            if (!doc) {
                fprintf(stderr, "tm_nfc_batch: out of memory\n");
                return 1;
            }
        }
        if (fread(doc, 1, len, in) != len) {
            fprintf(stderr, "tm_nfc_batch: %s: truncated document %ld\n", argv[1], n_docs);
            return 1;
        }
        if (tm__utf8_valid_prefix(doc, len) != len) {
            fprintf(stderr, "tm_nfc_batch: document %ld: invalid UTF-8\n", n_docs);
            return 1;
        }
        unchanged = tm__nfc_unchanged(doc, len);
        if (tm__nfc(doc, len, &norm, &norm_len) != TM_OK) {
            fprintf(stderr, "tm_nfc_batch: document %ld: out of memory\n", n_docs);
            return 1;
        }
        if (unchanged && (norm_len != len || memcmp(norm, doc, len) != 0)) {
            fprintf(stderr, "tm_nfc_batch: document %ld: tm__nfc_unchanged says true "
                            "but NFC changes it\n", n_docs);
            return 1;
        }
        if (put_u32(out, (uint32_t)norm_len) != 0 ||
            fwrite(norm, 1, norm_len, out) != norm_len) {
            fprintf(stderr, "tm_nfc_batch: %s: write error\n", argv[2]);
            return 1;
        }
        free(norm);
        n_docs++;
    }
    if (fclose(out) != 0) {
        fprintf(stderr, "tm_nfc_batch: %s: write error\n", argv[2]);
        return 1;
    }
    fclose(in);
    free(doc);
    return 0;
}
