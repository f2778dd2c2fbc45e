#!/usr/bin/env node
'use strict';
/*
 * stand-in-encode-batch.js: implements tm_encode_batch's command line with
 * JavaScript tokenizers, to check tiktoken-diff.js itself (that it passes a
 * correct encoder, and that it catches, reports and shrinks a wrong one).
 * It is not part of the product.
 *
 * Usage: stand-in-encode-batch.js -e ENCODING [--allow-special] IN OUT
 *
 * TM_STANDIN_IMPL selects the encoder:
 *   tiktoken     (default) the reference itself: must pass everything
 *   js-tiktoken  the pure-JS port: its split pattern runs on JavaScript's
 *                regex engine, whose Unicode tables and \s differ from the
 *                Rust regex crate's (e.g. U+0085, U+FEFF, newer code points),
 *                and it spells out (?i:'s|...) without U+017F, so it is
 *                expected to fail in a few places
 * TM_STANDIN_CLASS=HEX:CLASS[,HEX:CLASS...] (tiktoken only) moves code
 *   points to another character class in the split pattern (CLASS one of
 *   Lu Ll Lt Lm Lo M N WS O), simulating a wrong Unicode table entry.
 */

const fs = require('fs');
const lib = require('./lib');

/* Escapes of the split patterns and the classes each is true for. */
const PROPS = { L: ['Lu', 'Ll', 'Lt', 'Lm', 'Lo'], Lu: ['Lu'], Ll: ['Ll'], Lt: ['Lt'], Lm: ['Lm'],
                Lo: ['Lo'], M: ['M'], N: ['N'], s: ['WS'] };

/*
 * Rewrite a split pattern (Rust regex syntax) so that each code point of
 * moves ({cp: class}) belongs to exactly the properties of its new class.
 */
function moveClasses(pat, moves) {
    const inProp = (prop) => Object.keys(moves).filter((cp) => PROPS[prop].includes(moves[cp]));
    const outProp = (prop) => Object.keys(moves).filter((cp) => !PROPS[prop].includes(moves[cp]));
    const set = (list) => list.map((cp) => `\\x{${cp}}`).join('');
    const rewrite = (esc, prop, negated) => {
        const add = inProp(prop), del = outProp(prop);
        let cls = esc;
        if (negated) {
            /* \S: not White_Space. Points moved into WS leave it, out of WS join it. */
            if (add.length) cls = `[${cls}--[${set(add)}]]`;
            if (del.length) cls = `[${cls}${set(del)}]`;
            return cls;
        }
        if (del.length) cls = `[${cls}--[${set(del)}]]`;
        if (add.length) cls = `[${cls}${set(add)}]`;
        return cls;
    };
    return pat.replace(/\\p\{(L[ultmo]?|M|N)\}|\\s|\\S/g, (m, p) => {
        if (m === '\\s') return rewrite(m, 's', false);
        if (m === '\\S') return rewrite(m, 's', true);
        return rewrite(m, p, false);
    });
}

/* An object with encode(text, allowSpecial) -> array of ids. */
function openEncoder(name) {
    const impl = process.env.TM_STANDIN_IMPL || 'tiktoken';
    const base = name === 'o200k_harmony' ? 'o200k_base' : name;
    if (impl === 'js-tiktoken') {
        const { Tiktoken } = require('js-tiktoken/lite');
        const ranks = require(`js-tiktoken/ranks/${base}`);
        const extra = name === 'o200k_harmony' ? lib.harmonySpecials(ranks.special_tokens) : undefined;
        const enc = new Tiktoken(ranks, extra);
        return { encode: (t, sp) => (sp ? enc.encode(t, 'all') : enc.encode(t, [], [])) };
    }
    if (impl !== 'tiktoken') throw new Error(`unknown TM_STANDIN_IMPL ${impl}`);
    if (process.env.TM_STANDIN_CLASS) {
        const moves = {};
        for (const item of process.env.TM_STANDIN_CLASS.split(',')) {
            const [hex, cls] = item.split(':');
            moves[parseInt(hex, 16).toString(16)] = cls;
        }
        const { Tiktoken } = require('tiktoken/lite');
        const json = require(`tiktoken/encoders/${base}.json`);
        const specials = name === 'o200k_harmony' ? lib.harmonySpecials(json.special_tokens) : json.special_tokens;
        const enc = new Tiktoken(json.bpe_ranks, specials, moveClasses(json.pat_str, moves));
        return { encode: (t, sp) => (sp ? enc.encode(t, 'all') : enc.encode_ordinary(t)) };
    }
    const { enc } = lib.referenceEncoding(name);
    return { encode: (t, sp) => (sp ? enc.encode(t, 'all') : enc.encode_ordinary(t)) };
}

function main() {
    const argv = process.argv.slice(2);
    let name = null;
    let allowSpecial = false;
    const files = [];
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === '-e') name = argv[++i];
        else if (argv[i] === '--allow-special') allowSpecial = true;
        else files.push(argv[i]);
    }
    if (!name || files.length !== 2) {
        process.stderr.write('usage: stand-in-encode-batch.js -e ENCODING [--allow-special] IN OUT\n');
        process.exit(2);
    }
    const enc = openEncoder(name);
    const docs = lib.readDocs(files[0]);
    const out = fs.openSync(files[1], 'w');
    let chunk = [];
    for (const doc of docs) {
        chunk.push(Uint32Array.from(enc.encode(doc.toString('utf8'), allowSpecial)));
        if (chunk.length >= 256) {
            fs.writeSync(out, lib.encodeIds(chunk));
            chunk = [];
        }
    }
    fs.writeSync(out, lib.encodeIds(chunk));
    fs.closeSync(out);
}

main();
