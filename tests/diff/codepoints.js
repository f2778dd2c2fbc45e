#!/usr/bin/env node
'use strict';
/*
 * codepoints.js: a docs file that puts every Unicode scalar value
 * (0..0x10FFFF without the surrogates D800..DFFF) into contexts where the
 * pre-tokenizer's character classes decide the token ids, so that comparing
 * tokenmeter with tiktoken on it checks our Unicode property tables
 * (letter / mark / number / White_Space, and o200k's letter cases) against
 * the reference's own view of every code point.
 *
 * Usage: codepoints.js --out FILE [--per-doc N]
 *
 * Each code point c gets a segment of one or more lines:
 *
 *   "x  " c "'s 1" c "23\n"      then, for code points that occur in
 *   T "\n" ...                   multi-letter o200k_base tokens, up to four
 *                                such tokens T
 *
 * Why these contexts (measured by mutating the reference's own split pattern
 * so that sample code points change class, and counting changed ids):
 * - "  " c: when c is White_Space the two spaces stay one piece ("  "), when
 *   it is not, one space is split off to prefix c. Detects White_Space.
 * - c "'s": when c is punctuation-like it swallows the apostrophe
 *   (" ?[^\s\p{L}\p{N}]+"), when c is a letter (or a number) "'s" stays the
 *   contraction token. Detects letter and mark vs other.
 * - "1" c "23": when c is a number, \p{N}{1,3} groups "1c2" and "3"; when
 *   not, "23" stays whole. Detects \p{N} (cl100k_base, o200k_base).
 * - o200k_base splits words at lowercase-to-uppercase changes; whether such
 *   a split is visible in ids depends on the vocabulary, so code points that
 *   occur in o200k_base's multi-letter tokens are also shown inside those
 *   tokens (chosen so c is followed by an uppercase letter, preceded by a
 *   lowercase one, preceded by anything, followed by anything).
 * Every segment ends in "\n" and the next starts with a letter or a space
 * before a letter, so no piece crosses segments: a doc's ids are the
 * concatenation of its segments' ids, and a failing doc can be re-checked
 * code point by code point (tiktoken-diff.js does).
 */

const path = require('path');
const { DocsWriter, parseArgs } = require('./lib');

const DEFAULT_PER_DOC = 4096;

/*
 * Map from code point to the o200k_base tokens (as strings) chosen as its
 * vocabulary contexts. A token qualifies when its bytes are valid UTF-8 and
 * it is an optional space followed by at least two letters or marks.
 */
function vocabContexts() {
    const json = require('tiktoken/encoders/o200k_base.json');
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const letterish = /^ ?[\p{L}\p{M}]+$/u;
    const upper = /^[\p{Lu}\p{Lt}]$/u;
    const lower = /^\p{Ll}$/u;
    const ctx = new Map();
    for (const line of json.bpe_ranks.split('\n')) {
        const fields = line.split(' ');
        for (let i = 2; i < fields.length; i++) {
            let s;
            try {
                s = decoder.decode(Buffer.from(fields[i], 'base64'));
            } catch (e) {
                continue;
            }
            if (!letterish.test(s)) continue;
            const chars = Array.from(s.startsWith(' ') ? s.slice(1) : s);
            if (chars.length < 2) continue;
            chars.forEach((ch, k) => {
                const cp = ch.codePointAt(0);
                let roles = ctx.get(cp);
                if (!roles) ctx.set(cp, (roles = [null, null, null, null]));
                const has = [
                    k + 1 < chars.length && upper.test(chars[k + 1]),
                    k > 0 && lower.test(chars[k - 1]),
                    k > 0,
                    k + 1 < chars.length,
                ];
                for (let r = 0; r < has.length; r++) {
                    if (has[r] && (roles[r] === null || s.length < roles[r].length ||
                                   (s.length === roles[r].length && s < roles[r]))) {
                        roles[r] = s;
                    }
                }
            });
        }
    }
    const out = new Map();
    for (const [cp, roles] of ctx) out.set(cp, Array.from(new Set(roles.filter((t) => t !== null))));
    return out;
}

/* The segment (lines) for code point cp, as a string. */
function segment(cp, contexts) {
    const c = String.fromCodePoint(cp);
    let s = 'x  ' + c + "'s 1" + c + '23\n';
    const extra = contexts.get(cp);
    if (extra) for (const t of extra) s += t + '\n';
    return s;
}

/*
 * Build the docs: perDoc consecutive scalar values each. Calls
 * onDoc(buffer, cps) per doc, where cps is an array of
 * [code point, segment start byte, segment end byte].
 */
function buildDocs(perDoc, onDoc) {
    const contexts = vocabContexts();
    let parts = [];
    let index = [];
    let bytes = 0;
    const flush = () => {
        if (!parts.length) return;
        onDoc(Buffer.from(parts.join(''), 'utf8'), index);
        parts = [];
        index = [];
        bytes = 0;
    };
    for (let cp = 0; cp <= 0x10ffff; cp++) {
        if (cp >= 0xd800 && cp <= 0xdfff) continue;
        const s = segment(cp, contexts);
        const len = Buffer.byteLength(s, 'utf8');
        parts.push(s);
        index.push([cp, bytes, bytes + len]);
        bytes += len;
        if (index.length === perDoc) flush();
    }
    flush();
}

/*
 * Write the codepoints docs file to out. Returns {docs, bytes, index} where
 * index[d] lists the code point segments of doc d (see buildDocs).
 */
function writeCodepoints(out, perDoc = DEFAULT_PER_DOC) {
    const w = new DocsWriter(out);
    const index = [];
    buildDocs(perDoc, (buf, cps) => {
        w.add(buf);
        index.push(cps);
    });
    w.close();
    return { docs: w.docs, bytes: w.bytes, index };
}

function main() {
    const args = parseArgs(process.argv.slice(2));
    if (!args.out) {
        process.stderr.write('usage: codepoints.js --out FILE [--per-doc N]\n');
        process.exit(2);
    }
    const perDoc = args['per-doc'] ? parseInt(args['per-doc'], 10) : DEFAULT_PER_DOC;
    const r = writeCodepoints(path.resolve(args.out), perDoc);
    process.stdout.write(`${args.out}: ${r.docs} docs, ${(r.bytes / 1e6).toFixed(1)} MB\n`);
}

module.exports = { writeCodepoints, buildDocs, segment, vocabContexts, DEFAULT_PER_DOC };

if (require.main === module) main();
