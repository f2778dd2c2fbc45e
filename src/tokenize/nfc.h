/*
 * Unicode NFC with Unicode 9.0 data, as the normalization crate inside
 * Hugging Face tokenizers applies it (qwen3's normalizer;
 * docs/TOKENIZER-FAMILIES.md section 4). Tables: nfc_tables.c, generated
 * by scripts/gen-nfc-tables.mjs.
 */
#ifndef TM_TOKENIZE_NFC_H
#define TM_TOKENIZE_NFC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokenmeter/core.h"

extern const uint8_t tm__nfc_stage1[0x1100];
extern const uint8_t tm__nfc_stage2[][256];
extern const uint32_t tm__nfc_decomp_key[], tm__nfc_decomp_off[], tm__nfc_decomp_data[];
extern const uint64_t tm__nfc_comp_key[];
extern const uint32_t tm__nfc_comp_val[];
extern const size_t tm__nfc_n_decomp, tm__nfc_n_comp;

/* True when valid UTF-8 s[0..n) is certainly unchanged by NFC: no
 * character in it decomposes, combines or composes. A fast scan; it may
 * say false for text NFC leaves as it is. */
bool tm__nfc_unchanged(const uint8_t *s, size_t n);

/* NFC of valid UTF-8 s[0..n) into a malloc'd *out of *out_len bytes.
 * Returns TM_OK or TM_ENOMEM. Linear in n, also for long runs of marks. */
int tm__nfc(const uint8_t *s, size_t n, uint8_t **out, size_t *out_len);

#endif
