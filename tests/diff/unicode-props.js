#!/usr/bin/env node
'use strict';
/*
 * unicode-props.js: checks src/tokenize/unicode_tables.c against the
 * reference tokenizer's own view of every code point's properties, exactly.
 *
 * Usage: unicode-props.js [--tables PATH]
 *
 * The split patterns use \p{L} \p{Lu} \p{Ll} \p{Lt} \p{Lm} \p{Lo} \p{M}
 * \p{N}, \p{P}, \p{S} and \s, evaluated by the regex engine inside npm tiktoken (the Rust
 * regex crate compiled to WASM), whose Unicode version is whatever that
 * crate shipped. To read that view out, this builds a tiktoken encoder with
 * the pattern `a\p{X}|(?s:.)` and a vocabulary of the 256 single bytes plus
 * the 256 pairs "a"+byte, then encodes "a"c for every scalar value c: when
 * c has property X the piece is "a"c and BPE merges "a" with c's first
 * byte into one of the pair tokens; otherwise "a" stands alone. Comparing
 * with the class bytes of unicode_tables.c (bits 0-3 group: 1 Lu, 2 Ll,
 * 3 Lt, 4 Lm, 5 Lo, 6 M, 7 N, 8 P, 9 S; bit 4 White_Space) gives every difference,
 * including the letter cases o200k's pattern uses, which token ids in the
 * codepoints corpus can only partly show.
 *
 * Prints differing code point ranges and "N passed, M failed" over the
 * eleven properties; exits 1 on any difference.
 */

const fs = require('fs');
const path = require('path');
const { parseArgs } = require('./lib');

const PROPS = ['L', 'Lu', 'Ll', 'Lt', 'Lm', 'Lo', 'M', 'N', 'P', 'S', 's'];
const GROUP = { 1: 'Lu', 2: 'Ll', 3: 'Lt', 4: 'Lm', 5: 'Lo', 6: 'M', 7: 'N', 8: 'P', 9: 'S' };

/* Membership (Uint8Array over 0..0x10FFFF) of each property per the reference. */
function referenceProperties() {
    const { Tiktoken } = require('tiktoken/lite');
    const tokens = [];
    for (let b = 0; b < 256; b++) tokens.push(Buffer.from([b]).toString('base64'));
    for (let b = 0; b < 256; b++) tokens.push(Buffer.from([0x61, b]).toString('base64'));
    const ranks = '! 0 ' + tokens.join(' ') + '\n';
    const scalars = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) if (cp < 0xd800 || cp > 0xdfff) scalars.push(cp);
    const text = scalars.map((cp) => 'a' + String.fromCodePoint(cp)).join('');
    const out = {};
    for (const p of PROPS) {
        const esc = p === 's' ? '\\s' : `\\p{${p}}`;
        const enc = new Tiktoken(ranks, {}, `a${esc}|(?s:.)`);
        const ids = enc.encode_ordinary(text);
        enc.free();
        const member = new Uint8Array(0x110000);
        let k = 0;
        for (const cp of scalars) {
            const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (ids[k] >= 256) {
                member[cp] = 1;
                k += n;          /* pair token, then n-1 continuation bytes */
            } else {
                k += 1 + n;      /* "a", then c's n bytes */
            }
        }
        if (k !== ids.length) throw new Error(`cannot parse the probe output for \\p{${p}}`);
        out[p] = member;
    }
    return out;
}

/* Class byte per code point from the generated C tables. */
function tableClasses(file) {
    const src = fs.readFileSync(file, 'utf8');
    const s1 = src.match(/tm__ucd_stage1\s*\[[^\]]*\]\s*=\s*\{([^}]*)\}/);
    const s2at = src.indexOf('tm__ucd_stage2');
    if (!s1 || s2at < 0) throw new Error(`${file}: no tm__ucd_stage1/tm__ucd_stage2 tables`);
    const stage1 = s1[1].split(',').map((x) => x.trim()).filter(Boolean).map(Number);
    const body = src.slice(src.indexOf('=', s2at));
    const blocks = [...body.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1].split(',').map((x) => x.trim()).filter(Boolean).map(Number));
    if (stage1.length !== 0x1100 || blocks.some((b) => b.length !== 256)) throw new Error(`${file}: unexpected table shape`);
    const cls = new Uint8Array(0x110000);
    for (let cp = 0; cp < 0x110000; cp++) cls[cp] = blocks[stage1[cp >> 8]][cp & 0xff];
    return cls;
}

function main() {
    const args = parseArgs(process.argv.slice(2));
    const file = path.resolve(args.tables || path.join(__dirname, '..', '..', 'src', 'tokenize', 'unicode_tables.c'));
    const ref = referenceProperties();
    const cls = tableClasses(file);
    const u = (cp) => 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
    let failed = 0;
    for (const p of PROPS) {
        const ranges = [];
        for (let cp = 0; cp <= 0x10ffff; cp++) {
            if (cp >= 0xd800 && cp <= 0xdfff) continue;
            const g = GROUP[cls[cp] & 15];
            const ours = p === 's' ? (cls[cp] & 16) !== 0 : p === 'L' ? /^L/.test(g || '') : g === p;
            if (ours === !!ref[p][cp]) continue;
            const last = ranges[ranges.length - 1];
            if (last && last.hi === cp - 1 && last.ours === ours) last.hi = cp;
            else ranges.push({ lo: cp, hi: cp, ours });
        }
        const name = p === 's' ? '\\s' : `\\p{${p}}`;
        if (!ranges.length) {
            process.stdout.write(`${name}: tables agree with the reference\n`);
            continue;
        }
        failed++;
        const count = ranges.reduce((s, r) => s + r.hi - r.lo + 1, 0);
        process.stdout.write(`${name}: ${count} code points differ in ${ranges.length} ranges\n`);
        for (const r of ranges.slice(0, 30)) {
            process.stdout.write(`  ${u(r.lo)}${r.hi > r.lo ? '..' + u(r.hi) : ''}: tables say ${r.ours ? 'yes' : 'no'}, reference ${r.ours ? 'no' : 'yes'}\n`);
        }
        if (ranges.length > 30) process.stdout.write(`  ... ${ranges.length - 30} more ranges\n`);
    }
    process.stdout.write(`${PROPS.length - failed} passed, ${failed} failed\n`);
    process.exit(failed ? 1 : 0);
}

main();
