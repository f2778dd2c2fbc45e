'use strict';
/*
 * Shared pieces of the tokenizer differential test (tests/diff/).
 *
 * - Docs files: the format tm_encode_batch reads, a sequence of docs, each a
 *   u32 little-endian byte length followed by that many bytes.
 * - Ids files: the format tm_encode_batch writes, per doc a u32le count n
 *   followed by n u32le token ids.
 * - A small seeded PRNG (xoshiro128** seeded through splitmix32), so the
 *   generated corpora are identical for the same seed on every machine.
 * - The reference encoders: npm `tiktoken` (WASM build of OpenAI's Rust
 *   tiktoken), plus o200k_harmony assembled from o200k_base's ranks and
 *   pattern and the special tokens tiktoken's openai_public.py gives it.
 */

const fs = require('fs');

const ENCODINGS = ['r50k_base', 'p50k_base', 'p50k_edit', 'cl100k_base',
                   'o200k_base', 'o200k_harmony'];

/* ---------------------------------------------------------------- PRNG */

/*
 * xoshiro128** (Blackman & Vigna) over 32-bit integers, its state seeded by
 * splitmix32 from one integer. Deterministic across platforms because it only
 * uses Math.imul and 32-bit shifts.
 */
class Rng {
    constructor(seed) {
        let x = (seed >>> 0) ^ 0x9e3779b9;
        const mix = () => {
            x = (x + 0x9e3779b9) >>> 0;
            let z = x;
            z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
            z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
            return (z ^ (z >>> 16)) >>> 0;
        };
        this.s = new Uint32Array([mix(), mix(), mix(), mix()]);
        if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
    }

    /* The next 32 random bits as an unsigned integer. */
    u32() {
        const s = this.s;
        const r = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
        const t = (s[1] << 9) >>> 0;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 11);
        return r;
    }

    /* A float in [0, 1). */
    float() { return this.u32() / 4294967296; }

    /* An integer in [0, n). n may exceed 2^32 only slightly in practice. */
    int(n) { return Math.floor(this.float() * n); }

    /* An integer in [lo, hi] inclusive. */
    range(lo, hi) { return lo + this.int(hi - lo + 1); }

    /* True with probability p. */
    chance(p) { return this.float() < p; }

    /* A uniformly chosen element of arr. */
    pick(arr) { return arr[this.int(arr.length)]; }

    /* An element of items ([[weight, value], ...]) chosen by weight. */
    weighted(items) {
        let total = 0;
        for (const [w] of items) total += w;
        let r = this.float() * total;
        for (const [w, v] of items) {
            r -= w;
            if (r < 0) return v;
        }
        return items[items.length - 1][1];
    }

    /* An integer in [lo, hi] drawn log-uniformly (small values common). */
    logInt(lo, hi) {
        const a = Math.log(lo + 1), b = Math.log(hi + 1);
        return Math.min(hi, Math.max(lo, Math.floor(Math.exp(a + this.float() * (b - a))) - 1));
    }
}

function rotl(x, k) { return ((x << k) | (x >>> (32 - k))) >>> 0; }

/* ---------------------------------------------------------- docs files */

/*
 * Buffered writer of a docs file. add() takes a Buffer or a string (written
 * as UTF-8). Keeps count and byte totals for the caller's summary.
 */
class DocsWriter {
    constructor(path) {
        this.fd = fs.openSync(path, 'w');
        this.chunks = [];
        this.pending = 0;
        this.docs = 0;
        this.bytes = 0;
    }

    add(doc) {
        const buf = Buffer.isBuffer(doc) ? doc : Buffer.from(doc, 'utf8');
        const len = Buffer.alloc(4);
        len.writeUInt32LE(buf.length, 0);
        this.chunks.push(len, buf);
        this.pending += 4 + buf.length;
        this.docs++;
        this.bytes += buf.length;
        if (this.pending >= 1 << 20) this.flush();
    }

    flush() {
        if (this.chunks.length) fs.writeSync(this.fd, Buffer.concat(this.chunks));
        this.chunks = [];
        this.pending = 0;
    }

    close() {
        this.flush();
        fs.closeSync(this.fd);
    }
}

/* Write docs (Buffers or strings) to path in the docs format. */
function writeDocs(path, docs) {
    const w = new DocsWriter(path);
    for (const d of docs) w.add(d);
    w.close();
}

/*
 * Read a docs file into an array of Buffers (views into one file buffer).
 * Throws naming the file and offset when the framing is broken.
 */
function readDocs(path) {
    const data = fs.readFileSync(path);
    const docs = [];
    let off = 0;
    while (off < data.length) {
        if (off + 4 > data.length) throw new Error(`${path}: truncated length at byte ${off}`);
        const n = data.readUInt32LE(off);
        off += 4;
        if (off + n > data.length) throw new Error(`${path}: doc ${docs.length} runs past end of file`);
        docs.push(data.subarray(off, off + n));
        off += n;
    }
    return docs;
}

/*
 * Parse an ids file (tm_encode_batch's OUT) into an array of Uint32Arrays.
 * Returns {ids, error}: error is a string when the framing is broken, and
 * ids then holds the docs that parsed.
 */
function readIds(path) {
    const data = fs.readFileSync(path);
    const ids = [];
    let off = 0;
    while (off < data.length) {
        if (off + 4 > data.length) return { ids, error: `truncated count at byte ${off}` };
        const n = data.readUInt32LE(off);
        off += 4;
        if (off + 4 * n > data.length) {
            return { ids, error: `doc ${ids.length}: count ${n} runs past end of file (byte ${off})` };
        }
        const arr = new Uint32Array(n);
        for (let i = 0; i < n; i++) arr[i] = data.readUInt32LE(off + 4 * i);
        off += 4 * n;
        ids.push(arr);
    }
    return { ids, error: null };
}

/* Serialise arrays of ids in the ids-file format. */
function encodeIds(list) {
    let total = 0;
    for (const a of list) total += 4 + 4 * a.length;
    const buf = Buffer.alloc(total);
    let off = 0;
    for (const a of list) {
        buf.writeUInt32LE(a.length, off);
        off += 4;
        for (let i = 0; i < a.length; i++, off += 4) buf.writeUInt32LE(a[i], off);
    }
    return buf;
}

/* ----------------------------------------------------------- reference */

/*
 * o200k_harmony's special tokens, as tiktoken's openai_public.py defines
 * them: o200k_base's own (<|endoftext|> 199999, <|endofprompt|> 200018)
 * plus the harmony chat tokens, and <|reserved_N|> = N for 200013..201087.
 * (So both "<|endofprompt|>" and "<|reserved_200018|>" are id 200018.)
 */
function harmonySpecials(baseSpecials) {
    const sp = Object.assign({}, baseSpecials, {
        '<|startoftext|>': 199998,
        '<|endoftext|>': 199999,
        '<|reserved_200000|>': 200000,
        '<|reserved_200001|>': 200001,
        '<|return|>': 200002,
        '<|constrain|>': 200003,
        '<|reserved_200004|>': 200004,
        '<|channel|>': 200005,
        '<|start|>': 200006,
        '<|end|>': 200007,
        '<|message|>': 200008,
        '<|reserved_200009|>': 200009,
        '<|reserved_200010|>': 200010,
        '<|reserved_200011|>': 200011,
        '<|call|>': 200012,
    });
    for (let i = 200013; i <= 201087; i++) sp[`<|reserved_${i}|>`] = i;
    return sp;
}

/*
 * Open the reference encoder for an encoding name. The five built-in
 * encodings come from tiktoken's get_encoding; o200k_harmony is built with
 * tiktoken/lite's Tiktoken from the o200k_base rank file shipped in the
 * package. Returns {enc, specials} where specials maps text to id.
 */
function referenceEncoding(name) {
    if (!ENCODINGS.includes(name)) throw new Error(`unknown encoding ${name}`);
    const base = name === 'o200k_harmony' ? 'o200k_base' : name;
    const json = require(`tiktoken/encoders/${base}.json`);
    if (name === 'o200k_harmony') {
        const { Tiktoken } = require('tiktoken/lite');
        const specials = harmonySpecials(json.special_tokens);
        return { enc: new Tiktoken(json.bpe_ranks, specials, json.pat_str), specials };
    }
    const { get_encoding } = require('tiktoken');
    return { enc: get_encoding(name), specials: Object.assign({}, json.special_tokens) };
}

/* The version of the reference package, recorded with cached results. */
function referenceVersion() {
    const dir = require('path').dirname(require.resolve('tiktoken'));
    return JSON.parse(fs.readFileSync(require('path').join(dir, 'package.json'), 'utf8')).version;
}

/* ------------------------------------------------------------- helpers */

/*
 * Escape text for a one-line report: printable ASCII as is, the rest as
 * \n, \t, \r, \xHH (C0/C1 controls) or \u{HHHH}.
 */
function escapeText(s) {
    let out = '';
    for (const ch of s) {
        const cp = ch.codePointAt(0);
        if (ch === '\\') out += '\\\\';
        else if (ch === '\n') out += '\\n';
        else if (ch === '\r') out += '\\r';
        else if (ch === '\t') out += '\\t';
        else if (cp >= 0x20 && cp < 0x7f) out += ch;
        else if (cp < 0x100) out += '\\x' + cp.toString(16).padStart(2, '0');
        else out += '\\u{' + cp.toString(16).toUpperCase() + '}';
    }
    return out;
}

/* Bytes as a spaced hex string ("e2 80 99"). */
function hex(buf) {
    return Array.from(buf, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/* Simple "--name value" / "--flag" argument parser; flags lists booleans. */
function parseArgs(argv, flags = []) {
    const out = { _: [] };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a.startsWith('--')) {
            const key = a.slice(2);
            if (flags.includes(key)) out[key] = true;
            else {
                if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
                out[key] = argv[++i];
            }
        } else out._.push(a);
    }
    return out;
}

module.exports = {
    ENCODINGS, Rng, DocsWriter, writeDocs, readDocs, readIds, encodeIds,
    harmonySpecials, referenceEncoding, referenceVersion, escapeText, hex,
    parseArgs,
};
