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
 * - Harness pieces any differential test needs, whatever its reference
 *   (used by hf-diff.js): digests, a pool of reference worker threads,
 *   running tm_encode_batch (async, or sync on a batch of candidates),
 *   comparing its output with cached per-doc digests, the reference cache
 *   files, and shrinking a failing doc to a small input.
 */

const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { spawn, spawnSync } = require('child_process');

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

/* ------------------------------------------------------ harness pieces */

const LITTLE_ENDIAN = os.endianness() === 'LE';

/* Bytes of an ids array (Uint32Array) in the wire format (u32 little-endian). */
function idsBytes(ids) {
    if (LITTLE_ENDIAN) return Buffer.from(ids.buffer, ids.byteOffset, ids.byteLength);
    const b = Buffer.alloc(ids.length * 4);
    for (let i = 0; i < ids.length; i++) b.writeUInt32LE(ids[i], i * 4);
    return b;
}

function sha1(buf) {
    return crypto.createHash('sha1').update(buf).digest();
}

/* Hex sha256 of a file's bytes. */
function fileSha256(file) {
    return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/* Parsed JSON of a file, or null when it is missing or unreadable. */
function readJson(file) {
    try {
        return JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
        return null;
    }
}

/* Index of the first position where a and b differ (or the shorter
 * length when one is a prefix of the other); -1 when equal. */
function firstDiff(a, b) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
    return a.length === b.length ? -1 : n;
}

/* Split doc into units that never cut a UTF-8 sequence (a lead byte and
 * its continuation bytes; stray continuation bytes stay with what precedes). */
function units(doc) {
    const cuts = [0];
    for (let i = 1; i < doc.length; i++) if ((doc[i] & 0xc0) !== 0x80) cuts.push(i);
    cuts.push(doc.length);
    const out = [];
    for (let i = 0; i + 1 < cuts.length; i++) out.push(doc.subarray(cuts[i], cuts[i + 1]));
    return out;
}

/*
 * Raw byte offset in doc where the decoded text reaches byte `at` (an
 * offset into the UTF-8 of doc.toString('utf8')); approximate across
 * invalid sequences, which is enough to centre a window.
 */
function rawOffset(doc, at) {
    let lo = 0, hi = doc.length;
    while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (Buffer.byteLength(doc.subarray(0, mid).toString('utf8')) <= at) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

/*
 * A pool of reference worker threads running `script` with `data` as
 * workerData. A worker answers each message {id, ...job} with
 * {id, ...result} or {id, error}. run(job) resolves with the answer;
 * cancel(id) drops a job that has not started (its promise rejects with
 * err.cancelled set). A worker that dies fails its job and leaves the pool;
 * when none is left, every queued job fails.
 */
class RefPool {
    constructor(n, script, data) {
        this.idle = [];
        this.queue = [];
        this.pending = new Map();   /* job id -> {resolve, reject, worker} */
        this.workers = new Set();
        this.nextId = 1;
        for (let i = 0; i < n; i++) this.spawn(script, data);
    }

    spawn(script, data) {
        const { Worker } = require('worker_threads');
        const w = new Worker(script, { workerData: data });
        w.on('message', (msg) => {
            const p = this.pending.get(msg.id);
            this.pending.delete(msg.id);
            this.idle.push(w);
            this.pump();
            if (!p) return;
            if (msg.error) p.reject(new Error(msg.error));
            else p.resolve(msg);
        });
        const dead = (err) => {
            if (!this.workers.has(w)) return;
            this.workers.delete(w);
            this.idle = this.idle.filter((x) => x !== w);
            for (const [id, p] of this.pending) {
                if (p.worker === w) {
                    this.pending.delete(id);
                    p.reject(err instanceof Error ? err : new Error(`reference worker exited (${err})`));
                }
            }
            if (!this.workers.size) {
                for (const q of this.queue.splice(0)) q.reject(new Error('no reference worker left'));
            }
        };
        w.on('error', dead);
        w.on('exit', (code) => dead(`exit code ${code}`));
        this.workers.add(w);
        this.idle.push(w);
    }

    /* Queue job; returns {id, promise}. */
    run(job) {
        const id = this.nextId++;
        const promise = new Promise((resolve, reject) => {
            if (!this.workers.size) {
                reject(new Error('no reference worker left'));
                return;
            }
            this.queue.push({ job: Object.assign({ id }, job), resolve, reject });
            this.pump();
        });
        return { id, promise };
    }

    /* Drop a queued job; true when it had not started. */
    cancel(id) {
        const k = this.queue.findIndex((q) => q.job.id === id);
        if (k < 0) return false;
        const [q] = this.queue.splice(k, 1);
        const err = new Error('cancelled');
        err.cancelled = true;
        q.reject(err);
        return true;
    }

    pump() {
        while (this.idle.length && this.queue.length) {
            const w = this.idle.shift();
            const { job, resolve, reject } = this.queue.shift();
            this.pending.set(job.id, { resolve, reject, worker: w });
            w.postMessage(job);
        }
    }

    close() {
        const ws = [...this.workers];
        this.workers.clear();
        for (const w of ws) w.terminate();
    }
}

/*
 * Run a binary once with args (which name its IN and OUT files). stdout and
 * stderr go to logFile so a chatty binary cannot block on a full pipe
 * (stdout to stdoutFile instead when given). Resolves with {code, signal,
 * ms, log (first 4000 chars of logFile), timedOut}; a binary that cannot be
 * started resolves with code -1 and the reason.
 */
function runBinary(bin, args, logFile, timeoutSec, stdoutFile) {
    const logFd = fs.openSync(logFile, 'w');
    const outFd = stdoutFile ? fs.openSync(stdoutFile, 'w') : logFd;
    const t0 = Date.now();
    return new Promise((resolve) => {
        let timedOut = false;
        let child;
        let done = false;
        const finish = (code, signal, extra) => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            fs.closeSync(logFd);
            if (outFd !== logFd) fs.closeSync(outFd);
            let log = fs.readFileSync(logFile, 'utf8');
            if (extra) log += extra;
            resolve({ code, signal, ms: Date.now() - t0, log: log.slice(0, 4000), timedOut });
        };
        const timer = setTimeout(() => {
            timedOut = true;
            if (child) child.kill('SIGKILL');
        }, timeoutSec * 1000);
        try {
            child = spawn(bin, args, { stdio: ['ignore', outFd, logFd] });
        } catch (err) {
            finish(-1, null, String(err));
            return;
        }
        child.on('error', (err) => finish(-1, null, String(err)));
        child.on('exit', (code, signal) => finish(code, signal));
    });
}

/* One line describing how a runBinary result failed ("" when it did not). */
function describeRun(r, timeoutSec) {
    if (r.timedOut) return `timed out after ${timeoutSec} s`;
    if (r.code === -1) return 'could not be started';
    if (r.signal) return `killed by signal ${r.signal}`;
    if (r.code !== 0) return `exited with status ${r.code}`;
    return '';
}

/*
 * Run tm_encode_batch synchronously on docs (Buffers): BIN ...args IN OUT
 * with IN and OUT in dir. Returns {ids: [Uint32Array] | null, error}.
 */
function runBatchSync(bin, args, docs, dir, timeoutSec) {
    const inFile = path.join(dir, 'shrink-in.bin');
    const outFile = path.join(dir, 'shrink-out.bin');
    writeDocs(inFile, docs);
    try {
        fs.unlinkSync(outFile);
    } catch (e) { /* not there */ }
    const r = spawnSync(bin, [...args, inFile, outFile], {
        stdio: ['ignore', 'ignore', 'pipe'], timeout: timeoutSec * 1000,
    });
    if (r.error || r.status !== 0) {
        const why = r.error ? String(r.error.message || r.error) : `exit ${r.status}${r.signal ? ' signal ' + r.signal : ''}`;
        return { ids: null, error: `${why} ${r.stderr ? r.stderr.toString().trim().slice(0, 300) : ''}`.trim() };
    }
    let parsed;
    try {
        parsed = readIds(outFile);
    } catch (e) {
        return { ids: null, error: String(e) };
    }
    if (parsed.error) return { ids: null, error: parsed.error };
    if (parsed.ids.length !== docs.length) return { ids: null, error: `${parsed.ids.length} docs out for ${docs.length} in` };
    return { ids: parsed.ids, error: null };
}

/*
 * Compare an ids file (tm_encode_batch's OUT) with reference digests
 * ref = {counts: Uint32Array, digests: Buffer of 20-byte SHA-1 per doc}.
 * Returns {error, mismatches: [doc index], got: Map(doc -> Uint32Array)
 * for the first maxDetailed mismatches, tokens}.
 */
function compareIdsFile(outFile, ref, nDocs, maxDetailed) {
    let data;
    try {
        data = fs.readFileSync(outFile);
    } catch (e) {
        return { error: `cannot read ${outFile}: ${e.message}`, mismatches: [], got: new Map(), tokens: 0 };
    }
    const mismatches = [];
    const got = new Map();
    let off = 0;
    let tokens = 0;
    for (let i = 0; i < nDocs; i++) {
        if (off + 4 > data.length) return { error: `output has ${i} docs, input ${nDocs}`, mismatches, got, tokens };
        const n = data.readUInt32LE(off);
        off += 4;
        if (off + 4 * n > data.length) {
            return { error: `doc ${i}: count ${n} runs past the end of the output`, mismatches, got, tokens };
        }
        const bytes = data.subarray(off, off + 4 * n);
        off += 4 * n;
        tokens += n;
        if (n !== ref.counts[i] || !sha1(bytes).equals(ref.digests.subarray(i * 20, i * 20 + 20))) {
            mismatches.push(i);
            if (got.size < maxDetailed) {
                const arr = new Uint32Array(n);
                for (let k = 0; k < n; k++) arr[k] = bytes.readUInt32LE(4 * k);
                got.set(i, arr);
            }
        }
    }
    if (off !== data.length) {
        return { error: `output has ${data.length - off} bytes after doc ${nDocs - 1}`, mismatches, got, tokens };
    }
    return { error: null, mismatches, got, tokens };
}

/*
 * Reference cache file: per doc a u32le count, then per doc the 20-byte
 * SHA-1 of its ids bytes. readRefCache returns {counts, digests, tokens}
 * or null when the file is missing or not for n docs.
 */
function readRefCache(file, n) {
    let b;
    try {
        b = fs.readFileSync(file);
    } catch (e) {
        return null;
    }
    if (b.length !== n * 24) return null;
    const counts = new Uint32Array(n);
    let tokens = 0;
    for (let i = 0; i < n; i++) {
        counts[i] = b.readUInt32LE(i * 4);
        tokens += counts[i];
    }
    return { counts, digests: b.subarray(n * 4), tokens };
}

function writeRefCache(file, counts, digests) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const countBytes = Buffer.alloc(counts.length * 4);
    for (let i = 0; i < counts.length; i++) countBytes.writeUInt32LE(counts[i], i * 4);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, Buffer.concat([countBytes, digests]));
    fs.renameSync(tmp, file);
}

/*
 * Shrink a failing doc to a small input that still fails. fails(cands)
 * takes an array of Buffers and resolves to an array of booleans (true:
 * that candidate still fails). With opts.centre (a raw byte offset near the
 * first difference) it first tries windows of growing size around it (one
 * batch); then it runs delta debugging (Zeller's ddmin) on whole
 * characters: each round builds candidates (each chunk alone and each
 * complement), asks fails() about all of them at once, and keeps the
 * smallest that still fails. Bounded by 200 rounds and opts.budgetMs
 * (default 30 s).
 */
async function shrinkDoc(doc, fails, opts = {}) {
    const deadline = Date.now() + (opts.budgetMs || 30000);
    let cur = units(doc);
    if (doc.length > 256 && opts.centre !== undefined && opts.centre !== null) {
        const centre = opts.centre;
        const wins = [];
        for (const half of [16, 64, 256, 1024, 4096]) {
            const a = Math.max(0, centre - half), b = Math.min(doc.length, centre + half);
            let ua = 0, ub = 0, off = 0;
            for (let i = 0; i < cur.length; i++) {
                if (off <= a) ua = i;
                if (off < b) ub = i + 1;
                off += cur[i].length;
            }
            wins.push(cur.slice(ua, ub));
            wins.push(cur.slice(0, ub));
        }
        const verdict = await fails(wins.map((w) => Buffer.concat(w)));
        for (let i = 0; i < wins.length; i++) {
            if (verdict[i] && wins[i].length < cur.length) cur = wins[i];
        }
    }
    let n = 2;
    for (let round = 0; round < 200 && cur.length > 1 && Date.now() < deadline; round++) {
        const size = Math.ceil(cur.length / n);
        const chunks = [];
        for (let i = 0; i < cur.length; i += size) chunks.push([i, Math.min(cur.length, i + size)]);
        const cands = [];
        for (const [a, b] of chunks) cands.push(cur.slice(a, b));
        if (chunks.length > 2) for (const [a, b] of chunks) cands.push(cur.slice(0, a).concat(cur.slice(b)));
        const verdict = await fails(cands.map((c) => Buffer.concat(c)));
        let best = -1;
        for (let i = 0; i < cands.length; i++) {
            if (verdict[i] && (best < 0 || cands[i].length < cands[best].length)) best = i;
        }
        if (best >= 0) {
            cur = cands[best];
            n = best < chunks.length ? 2 : Math.max(n - 1, 2);
        } else if (n >= cur.length) {
            break;
        } else {
            n = Math.min(cur.length, n * 2);
        }
    }
    return Buffer.concat(cur);
}

module.exports = {
    ENCODINGS, Rng, DocsWriter, writeDocs, readDocs, readIds, encodeIds,
    harmonySpecials, referenceEncoding, referenceVersion, escapeText, hex,
    parseArgs,
    idsBytes, sha1, fileSha256, readJson, firstDiff, units, rawOffset, RefPool,
    runBinary, describeRun, runBatchSync, compareIdsFile, readRefCache, writeRefCache,
    shrinkDoc,
};
