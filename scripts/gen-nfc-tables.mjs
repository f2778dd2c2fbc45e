#!/usr/bin/env node
// Generate src/tokenize/nfc_tables.c: the Unicode 9.0 data NFC needs, as
// the normalization crate inside Hugging Face tokenizers 0.23.2 has it
// (unicode-normalization-alignments 0.1.12, whose tables are Unicode 9.0;
// docs/TOKENIZER-FAMILIES.md section 4). nfc.c runs the algorithm.
//
// Input: Debian's unicode-data package, /usr/share/unicode/ (or UCD_DIR):
// UnicodeData.txt, CompositionExclusions.txt and DerivedAge.txt. The package
// holds a later Unicode version (15.0 on Debian 12); every datum is
// restricted to code points whose DerivedAge is 9.0 or earlier. Canonical
// decompositions and combining classes never change once a character is
// assigned, and no character is ever added to or removed from the
// composition exclusions (Unicode Character Encoding Stability Policy), so
// the result is exactly Unicode 9.0's data: code points assigned later are
// treated as unassigned (ccc 0, no decomposition, compose with nothing).
//
// Derived as UAX #15 and UAX #44 define them:
//   Full_Composition_Exclusion = CompositionExclusions.txt + singleton
//     decompositions + non-starter decompositions (UAX #44, DerivedNormalizationProps)
//   primary composites = canonical decompositions of length 2 that are not
//     Full_Composition_Exclusion
//   NFC_Quick_Check = No for Full_Composition_Exclusion characters, Maybe
//     for characters that are the second of a primary composite (Hangul
//     vowel and trailing jamo included), else Yes (UAX #15 section 9)
//
// Tables written (all two-stage lookups: stage1[cp >> SHIFT] picks a block
// of stage2, cp & (2^SHIFT - 1) indexes it; identical blocks are stored
// once; SHIFT = 6 (TM_NFC_SHIFT in nfc.h) gives the smallest tables, 33 KB
// (58 KB with the lists below); code points from LIMIT = U+30000
// (TM_NFC_LIMIT) on have value 0 in every table and are not stored):
//   tm__nfc_qc      a byte per code point, the fast scan's view of it:
//                   0   a starter that is a normalization boundary and NFC
//                       leaves alone (ccc 0, quick check Yes, its canonical
//                       decomposition starts with a starter that is not the
//                       second of any composite), so nothing before it
//                       interacts with anything after it
//                   1..254  the ccc of a mark whose quick check is Yes
//                   255 anything else (quick check No or Maybe)
//   tm__nfc_ccc     the canonical combining class of each code point
//   tm__nfc_decomp  0, or (offset << 2 | (length - 1)) of the code point's
//                   full canonical decomposition in tm__nfc_decomp_pool
//                   (Hangul syllables are done arithmetically, not here)
//   tm__nfc_comp_key/_val  primary composites sorted by (first << 21 |
//                   second) (Hangul excluded)
//
// The output is committed; scripts/check-nfc-tables (ctest nfc_tables)
// regenerates it and fails on any difference.
// Usage: node scripts/gen-nfc-tables.mjs [UCD_DIR] > src/tokenize/nfc_tables.c
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2] || '/usr/share/unicode';
const NCP = 0x110000;
const SHIFT = 6;
const BLOCK = 1 << SHIFT;
const LIMIT = 0x30000; // every code point from here on is a plain starter

function die(msg) {
  process.stderr.write(`gen-nfc-tables: ${msg}\n`);
  process.exit(1);
}

function read(file) {
  try {
    return fs.readFileSync(path.join(dir, file), 'utf8');
  } catch (e) {
    die(`cannot read ${file} in ${dir} (apt-get install unicode-data, or ` +
        `scripts/install-deps): ${e.message}`);
  }
}

// The data lines of a UCD file: fields split at ';' and trimmed, comments dropped.
function* records(file) {
  for (const line of read(file).split('\n')) {
    const data = line.replace(/#.*/, '').trim();
    if (data) yield data.split(';').map((f) => f.trim());
  }
}

const hexOf = (s) => parseInt(s, 16);

// ---- DerivedAge: which code points exist in Unicode 9.0 ----
const inV9 = new Uint8Array(NCP);
let ucdVersion = '';
{
  const m = read('DerivedAge.txt').match(/^# DerivedAge-([0-9.]+)\.txt/m);
  if (!m) die('DerivedAge.txt has no version line');
  ucdVersion = m[1];
}
for (const [range, age] of records('DerivedAge.txt')) {
  const [major, minor] = age.split('.').map(Number);
  if (major > 9 || (major === 9 && minor > 0)) continue;
  const [lo, hi] = range.split('..').map(hexOf);
  inV9.fill(1, lo, (hi ?? lo) + 1);
}

// ---- UnicodeData: ccc and canonical decompositions ----
const ccc = new Uint8Array(NCP);
const decomp = new Map(); // cp -> canonical decomposition mapping (one level)
for (const f of records('UnicodeData.txt')) {
  const cp = hexOf(f[0]);
  if (!inV9[cp]) continue;
  // Ranges (<CJK Ideograph, First> ...) all have ccc 0 and no mapping.
  ccc[cp] = Number(f[3]);
  if (f[5] !== '' && !f[5].startsWith('<')) decomp.set(cp, f[5].split(' ').map(hexOf));
}
for (const [cp, d] of decomp) {
  for (const c of d) if (!inV9[c]) die(`U+${cp.toString(16)} decomposes to later U+${c.toString(16)}`);
}

// ---- Hangul (Unicode Standard section 3.12) ----
const S_BASE = 0xAC00, S_COUNT = 11172, L_BASE = 0x1100, L_COUNT = 19;
const V_BASE = 0x1161, V_COUNT = 21, T_BASE = 0x11A7, T_COUNT = 28;
const isSyllable = (c) => c >= S_BASE && c < S_BASE + S_COUNT;
for (const c of decomp.keys()) if (isSyllable(c)) die('UnicodeData.txt lists a Hangul decomposition');

// ---- composition exclusions and primary composites ----
const listedExclusions = new Set();
for (const [c] of records('CompositionExclusions.txt')) listedExclusions.add(hexOf(c));
const fullExclusion = (cp) => {
  const d = decomp.get(cp);
  return d !== undefined && (listedExclusions.has(cp) || d.length === 1 ||
                             ccc[cp] !== 0 || ccc[d[0]] !== 0);
};
const comps = []; // [first, second, composite]
const second = new Uint8Array(NCP);
for (const [cp, d] of decomp) {
  if (d.length !== 2 || fullExclusion(cp)) continue;
  comps.push([d[0], d[1], cp]);
  second[d[1]] = 1;
}
second.fill(1, V_BASE, V_BASE + V_COUNT);
second.fill(1, T_BASE + 1, T_BASE + T_COUNT);
comps.sort((a, b) => (a[0] - b[0]) || (a[1] - b[1]));

const full = (cp) => (decomp.has(cp) ? decomp.get(cp).flatMap(full) : [cp]);

// ---- the per-code-point tables ----
const qc = new Uint8Array(NCP);
const pool = [0]; // offset 0 unused, so a table value of 0 means "none"
const decompVal = new Uint16Array(NCP);
let maxLen = 0;
for (let cp = 0; cp < NCP; cp++) {
  const d = decomp.has(cp) ? full(cp) : null;
  if (d) {
    if (d.length > 4) die(`U+${cp.toString(16)}: decomposition longer than 4`);
    maxLen = Math.max(maxLen, d.length);
    decompVal[cp] = pool.length << 2 | (d.length - 1);
    pool.push(...d);
  }
  const head = isSyllable(cp) ? L_BASE : d ? d[0] : cp;
  if (fullExclusion(cp) || second[cp])
    qc[cp] = 255;
  else if (ccc[cp] !== 0)
    qc[cp] = d ? 255 : ccc[cp];
  else
    qc[cp] = ccc[head] !== 0 || second[head] ? 255 : 0;
}
if (pool.length >= 1 << 14) die('decomposition pool too large for 14-bit offsets');
for (let c = 0; c < 0x80; c++) if (qc[c] !== 0) die('an ASCII character is not a plain starter');

// Two-stage table of arr: blocks of BLOCK values, identical blocks shared.
function twoStage(arr) {
  const index = new Map(), blocks = [], stage1 = [];
  if (arr.subarray(LIMIT).some((v) => v !== 0)) die(`data above U+${LIMIT.toString(16)}`);
  for (let b = 0; b < LIMIT / BLOCK; b++) {
    const block = arr.subarray(b * BLOCK, (b + 1) * BLOCK);
    const key = block.join(',');
    if (!index.has(key)) {
      index.set(key, blocks.length);
      blocks.push(Array.from(block));
    }
    stage1.push(index.get(key));
  }
  if (blocks.length > 256) die('more than 256 distinct blocks: stage1 no longer fits a byte');
  return { stage1, blocks };
}

// ---- output ----
const out = [];
const emitList = (values, perLine, indent = '    ') => {
  for (let i = 0; i < values.length; i += perLine)
    out.push(indent + values.slice(i, i + perLine).join(', ') + ',');
};
const hex = (v) => '0x' + v.toString(16).toUpperCase();

function emitTwoStage(name, type, arr, perLine) {
  const { stage1, blocks } = twoStage(arr);
  out.push(`const uint8_t ${name}_stage1[TM_NFC_LIMIT >> TM_NFC_SHIFT] = {`);
  emitList(stage1, 16);
  out.push('};');
  out.push('');
  out.push(`const ${type} ${name}_stage2[][1 << TM_NFC_SHIFT] = {`);
  for (const b of blocks) {
    out.push('    {');
    emitList(b, perLine, '        ');
    out.push('    },');
  }
  out.push('};');
  out.push('');
}

out.push('/*');
out.push(' * Generated by scripts/gen-nfc-tables.mjs from the Unicode Character');
out.push(` * Database files of Debian's unicode-data package (Unicode ${ucdVersion}):`);
out.push(' * UnicodeData.txt, CompositionExclusions.txt and DerivedAge.txt, restricted');
out.push(' * to the code points assigned in Unicode 9.0. Do not edit; regenerate with');
out.push(' *   node scripts/gen-nfc-tables.mjs > src/tokenize/nfc_tables.c');
out.push(' * (scripts/check-nfc-tables checks it). The generator describes the tables.');
out.push(' *');
out.push(` * ${decomp.size} canonical decompositions (longest ${maxLen}), ${comps.length} primary`);
out.push(' * composites, plus the Hangul syllables done arithmetically in nfc.c.');
out.push(' */');
out.push('#include "tokenize/nfc.h"');
out.push('');
out.push(`_Static_assert(TM_NFC_SHIFT == ${SHIFT} && TM_NFC_LIMIT == ${hex(LIMIT)},`);
out.push('               "nfc.h and scripts/gen-nfc-tables.mjs disagree on the table shape");');
out.push('');
emitTwoStage('tm__nfc_qc', 'uint8_t', qc, 16);
emitTwoStage('tm__nfc_ccc', 'uint8_t', ccc, 16);
emitTwoStage('tm__nfc_decomp', 'uint16_t', decompVal, 8);
out.push(`const uint32_t tm__nfc_decomp_pool[${pool.length}] = {`);
emitList(pool.map(hex), 8);
out.push('};');
out.push('');
out.push(`const uint64_t tm__nfc_comp_key[${comps.length}] = {`);
emitList(comps.map(([a, b]) => hex(a * 2 ** 21 + b) + 'ull'), 4);
out.push('};');
out.push('');
out.push(`const uint32_t tm__nfc_comp_val[${comps.length}] = {`);
emitList(comps.map((c) => hex(c[2])), 8);
out.push('};');
out.push('');
out.push('const size_t tm__nfc_n_comp = sizeof(tm__nfc_comp_key) / sizeof(tm__nfc_comp_key[0]);');
process.stdout.write(out.join('\n') + '\n');
