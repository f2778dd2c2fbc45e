/*
 * Unicode properties the split patterns need, per code point, from the
 * generated two-stage table in unicode_tables.c (scripts/gen-unicode-tables).
 */
#ifndef TM_TOKENIZE_UNICODE_H
#define TM_TOKENIZE_UNICODE_H

#include <stdint.h>

enum {
    TM_UCD_OTHER = 0,
    TM_UCD_LU = 1,
    TM_UCD_LL = 2,
    TM_UCD_LT = 3,
    TM_UCD_LM = 4,
    TM_UCD_LO = 5,
    TM_UCD_M = 6,
    TM_UCD_N = 7,
    TM_UCD_P = 8,
    TM_UCD_S = 9,
    TM_UCD_GROUP_MASK = 15,
    TM_UCD_WS = 16,
};

extern const uint16_t tm__ucd_stage1[0x110000 >> 8];
extern const uint8_t tm__ucd_stage2[][256];

/* The class byte of code point cp (cp < 0x110000). */
static inline uint8_t tm__ucd_class(uint32_t cp)
{
    return tm__ucd_stage2[tm__ucd_stage1[cp >> 8]][cp & 0xff];
}

#endif
