/*
 * Unicode Normalization Form C with Unicode 9.0 data, exactly as Hugging
 * Face tokenizers 0.23.2 applies it for a tokenizer.json whose normalizer
 * is NFC (qwen3): that library normalizes with the crate
 * unicode-normalization-alignments 0.1.12, whose tables are Unicode 9.0
 * (docs/TOKENIZER-FAMILIES.md section 4). So compositions added after 9.0
 * are not made (U+11935 U+11930 stays two characters) and marks assigned
 * after 9.0 have combining class 0 (U+1DF6 is not reordered).
 *
 * The algorithm is UAX #15's (canonical decomposition, canonical ordering,
 * canonical composition); nfc.c runs it over the spans the quick check
 * cannot pass and copies the rest. The data is in nfc_tables.c, generated
 * by scripts/gen-nfc-tables.mjs from the Unicode Character Database (its
 * header describes the tables); tests/diff/nfc-diff.js compares the result
 * with the reference library's.
 *
 * Both functions are pure and thread-safe.
 */
#ifndef TM_TOKENIZE_NFC_H
#define TM_TOKENIZE_NFC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokenmeter/core.h"

/* True when valid UTF-8 s[0..n) is certainly unchanged by NFC (Unicode
 * 9.0): every character passes the NFC quick check as Yes with the marks
 * in canonical order, or is a quick check Maybe character of ccc 0 (an
 * Indic vowel sign, a Hangul jamo) that does not compose with the starter
 * before it. A fast scan, ASCII at memory speed; it may return false for
 * some text that is in fact unchanged (e.g. U+0301 after a letter it has no
 * composite with), never true for text NFC changes. */
bool tm__nfc_unchanged(const uint8_t *s, size_t n);

/* NFC of valid UTF-8 s[0..n) with Unicode 9.0 data (decompose canonically,
 * reorder by ccc, compose, composition exclusions honoured; code points not
 * assigned in 9.0 have ccc 0 and no decomposition). Writes a malloc'd
 * buffer (never NULL on success, even for n == 0) to *out and its length
 * to *out_len; the caller frees it. Returns 0 or TM_ENOMEM (then *out is
 * NULL). Linear time in n, also for long runs of combining marks. */
int tm__nfc(const uint8_t *s, size_t n, uint8_t **out, size_t *out_len);

/* ---- tables (nfc_tables.c), for nfc.c and its tests ----
 * Two-stage lookups: value(cp) = stage2[stage1[cp >> TM_NFC_SHIFT]]
 * [cp & (2^TM_NFC_SHIFT - 1)] for cp < TM_NFC_LIMIT, 0 above. */
#define TM_NFC_SHIFT 6
#define TM_NFC_LIMIT 0x30000u

/* tm__nfc_qc values: 0 a starter NFC leaves alone and before which the
 * text can be cut; 1..254 the ccc of a mark NFC leaves alone (if in
 * order); TM_NFC_QC_OTHER a character the quick check says No or Maybe to
 * (it decomposes for good, or may compose with what precedes it). */
#define TM_NFC_QC_OTHER 255

extern const uint8_t tm__nfc_qc_stage1[TM_NFC_LIMIT >> TM_NFC_SHIFT];
extern const uint8_t tm__nfc_qc_stage2[][1 << TM_NFC_SHIFT];
/* Canonical combining class. */
extern const uint8_t tm__nfc_ccc_stage1[TM_NFC_LIMIT >> TM_NFC_SHIFT];
extern const uint8_t tm__nfc_ccc_stage2[][1 << TM_NFC_SHIFT];
/* 0, or (offset << 2 | (length - 1)) of the full canonical decomposition
 * in tm__nfc_decomp_pool; Hangul syllables are not in it. */
extern const uint8_t tm__nfc_decomp_stage1[TM_NFC_LIMIT >> TM_NFC_SHIFT];
extern const uint16_t tm__nfc_decomp_stage2[][1 << TM_NFC_SHIFT];
extern const uint32_t tm__nfc_decomp_pool[];
/* Primary composites (Hangul excluded): tm__nfc_comp_key sorted ascending,
 * key first << 21 | second, composite in tm__nfc_comp_val. */
extern const uint64_t tm__nfc_comp_key[];
extern const uint32_t tm__nfc_comp_val[];
extern const size_t tm__nfc_n_comp;

#endif
