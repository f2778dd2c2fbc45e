#!/usr/bin/env node
'use strict';
/*
 * tiktoken-diff.js: differential test of tokenmeter's encoder against the
 * reference, npm `tiktoken` (pinned in package.json), id for id.
 *
 * Usage:
 *   tiktoken-diff.js --bin PATH --workdir DIR [--enc LIST] [--seed N]
 *                    [--mbytes M] [--jobs J] [--timeout S] [--no-codepoints]
 *                    [--stream N]   (the binary feeds each doc in N-byte chunks)
 *   tiktoken-diff.js --bin PATH --workdir DIR --replay FILE [--enc LIST]
 *                    [--allow-special]
 *
 * PATH is tm_encode_batch (contract: `PATH -e ENCODING [--allow-special] IN
 * OUT`, IN a docs file, OUT per doc u32le n + n u32le ids, exit 0). For
 * each encoding (default all six) it runs three comparisons:
 *   ENC:            the generated corpus (gen-corpus.js, --seed/--mbytes),
 *                   ordinary encoding vs encode_ordinary(buf.toString('utf8'))
 *   ENC codepoints: every scalar value in context (codepoints.js), same
 *   ENC special:    the corpus docs containing "<|", --allow-special vs
 *                   encode(text, "all")
 * Corpora are generated into DIR unless already there for the same seed and
 * size. Reference results are cached in DIR as per-doc SHA-1 digests keyed
 * by the corpus digest and the tiktoken version, so a second run only runs
 * the binary. The reference is computed in worker threads while the binary
 * runs, so both cores stay busy.
 *
 * On a mismatch it prints the encoding, doc, first differing token, the
 * text around it and both id sequences, saves the doc as
 * DIR/fail-ENC-DOC.bin (fail-ENC-special-DOC.bin, fail-ENC-codepoints-DOC.bin),
 * shrinks it to a small failing input by running the binary on batches of
 * candidates, and exits 1. For the codepoints corpus it lists every failing
 * code point. The last line is always "N passed, M failed" (N + M =
 * encodings x comparisons).
 *
 * --replay FILE compares one raw doc (e.g. a saved fail-*.bin) and shrinks
 * it, for debugging.
 */

const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { spawn, spawnSync } = require('child_process');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
const lib = require('./lib');

const MAX_DETAILED = 3;       /* docs shown in detail per comparison */
const MAX_SHRUNK = 2;         /* of those, docs shrunk to a minimal input */
const CP_FORMAT_VERSION = 1;  /* bump when codepoints.js output changes */
const REF_FORMAT_VERSION = 1; /* bump when how reference ids are computed changes (drops the cache) */
const LITTLE_ENDIAN = os.endianness() === 'LE';

/* ------------------------------------------------------------ shared */

/* Bytes of an ids array in the wire format (u32 little-endian). */
function idsBytes(ids) {
    if (LITTLE_ENDIAN) return Buffer.from(ids.buffer, ids.byteOffset, ids.byteLength);
    const b = Buffer.alloc(ids.length * 4);
    for (let i = 0; i < ids.length; i++) b.writeUInt32LE(ids[i], i * 4);
    return b;
}

function sha1(buf) {
    return crypto.createHash('sha1').update(buf).digest();
}

/* Reference ids of one raw doc. */
function refEncode(enc, doc, allowSpecial) {
    const text = doc.toString('utf8');
    return allowSpecial ? enc.encode(text, 'all') : enc.encode_ordinary(text);
}

/* ------------------------------------------------------------ worker */

/*
 * Worker thread: computes reference digests for one job at a time.
 * Message in: {id, enc, file, allowSpecial}. Message out: {id, counts,
 * digests, tokens, ms} with counts a Uint32Array per doc and digests the
 * concatenated 20-byte SHA-1 of each doc's ids bytes.
 */
function workerMain() {
    const encoders = new Map();
    parentPort.on('message', (job) => {
        const t0 = Date.now();
        if (!encoders.has(job.enc)) encoders.set(job.enc, lib.referenceEncoding(job.enc).enc);
        const enc = encoders.get(job.enc);
        const docs = lib.readDocs(job.file);
        const counts = new Uint32Array(docs.length);
        const digests = Buffer.alloc(docs.length * 20);
        let tokens = 0;
        for (let i = 0; i < docs.length; i++) {
            const ids = refEncode(enc, docs[i], job.allowSpecial);
            counts[i] = ids.length;
            tokens += ids.length;
            sha1(idsBytes(ids)).copy(digests, i * 20);
        }
        parentPort.postMessage({ id: job.id, counts, digests, tokens, ms: Date.now() - t0 });
    });
}

/* A pool of reference workers; run(job) resolves with the worker's reply. */
class RefPool {
    constructor(n) {
        this.idle = [];
        this.queue = [];
        this.pending = new Map();
        this.workers = [];
        this.nextId = 1;
        for (let i = 0; i < n; i++) {
            const w = new Worker(__filename, { workerData: { role: 'reference' } });
            w.on('message', (msg) => {
                const p = this.pending.get(msg.id);
                this.pending.delete(msg.id);
                this.idle.push(w);
                this.pump();
                p.resolve(msg);
            });
            w.on('error', (err) => {
                for (const p of this.pending.values()) p.reject(err);
                this.pending.clear();
            });
            this.workers.push(w);
            this.idle.push(w);
        }
    }

    run(job) {
        return new Promise((resolve, reject) => {
            job.id = this.nextId++;
            this.queue.push({ job, resolve, reject });
            this.pump();
        });
    }

    pump() {
        while (this.idle.length && this.queue.length) {
            const w = this.idle.shift();
            const { job, resolve, reject } = this.queue.shift();
            this.pending.set(job.id, { resolve, reject });
            w.postMessage(job);
        }
    }

    close() {
        for (const w of this.workers) w.terminate();
    }
}

/* ------------------------------------------------------- the binary */

/*
 * Run the binary once: BIN -e ENC [--allow-special] IN OUT. stdout and
 * stderr go to OUT.log so a chatty binary cannot block on a full pipe.
 * Resolves with {code, signal, ms, log, timedOut}.
 */
/* Extra arguments for every run of the binary (--stream N). */
const binExtraArgs = [];

function runBinary(bin, enc, allowSpecial, inFile, outFile, timeoutSec) {
    const args = ['-e', enc, ...binExtraArgs];
    if (allowSpecial) args.push('--allow-special');
    args.push(inFile, outFile);
    const logFile = outFile + '.log';
    const logFd = fs.openSync(logFile, 'w');
    const t0 = Date.now();
    return new Promise((resolve) => {
        let timedOut = false;
        let child;
        try {
            child = spawn(bin, args, { stdio: ['ignore', logFd, logFd] });
        } catch (err) {
            fs.closeSync(logFd);
            resolve({ code: -1, signal: null, ms: 0, log: String(err), timedOut });
            return;
        }
        const timer = setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
        }, timeoutSec * 1000);
        const finish = (code, signal, extra) => {
            clearTimeout(timer);
            fs.closeSync(logFd);
            let log = fs.readFileSync(logFile, 'utf8');
            if (extra) log += extra;
            resolve({ code, signal, ms: Date.now() - t0, log: log.slice(0, 4000), timedOut });
        };
        child.on('error', (err) => finish(-1, null, String(err)));
        child.on('exit', (code, signal) => finish(code, signal));
    });
}

/*
 * Run the binary synchronously on docs (Buffers) and parse its output.
 * Returns {ids: [Uint32Array] | null, error}.
 */
function runBatchSync(ctx, enc, allowSpecial, docs) {
    const inFile = path.join(ctx.dir, 'shrink-in.bin');
    const outFile = path.join(ctx.dir, 'shrink-out.bin');
    lib.writeDocs(inFile, docs);
    try {
        fs.unlinkSync(outFile);
    } catch (e) { /* not there */ }
    const args = ['-e', enc, ...binExtraArgs];
    if (allowSpecial) args.push('--allow-special');
    args.push(inFile, outFile);
    const r = spawnSync(ctx.bin, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: ctx.timeout * 1000 });
    if (r.error || r.status !== 0) {
        return { ids: null, error: `exit ${r.status}${r.signal ? ' signal ' + r.signal : ''} ${r.stderr ? r.stderr.toString().slice(0, 300) : ''}` };
    }
    let parsed;
    try {
        parsed = lib.readIds(outFile);
    } catch (e) {
        return { ids: null, error: String(e) };
    }
    if (parsed.error) return { ids: null, error: parsed.error };
    if (parsed.ids.length !== docs.length) return { ids: null, error: `${parsed.ids.length} docs out for ${docs.length} in` };
    return { ids: parsed.ids, error: null };
}

/* ----------------------------------------------------------- compare */

/*
 * Compare the binary's OUT file with the reference digests. Returns
 * {error, mismatches: [doc index], got: Map(doc -> Uint32Array) for the
 * first MAX_DETAILED mismatches, tokens}.
 */
function compareOutput(outFile, ref, nDocs) {
    let data;
    try {
        data = fs.readFileSync(outFile);
    } catch (e) {
        return { error: `cannot read ${outFile}: ${e.message}`, mismatches: [], got: new Map() };
    }
    const mismatches = [];
    const got = new Map();
    let off = 0;
    let tokens = 0;
    for (let i = 0; i < nDocs; i++) {
        if (off + 4 > data.length) {
            return { error: `output has ${i} docs, input ${nDocs}`, mismatches, got };
        }
        const n = data.readUInt32LE(off);
        off += 4;
        if (off + 4 * n > data.length) {
            return { error: `doc ${i}: count ${n} runs past the end of the output`, mismatches, got };
        }
        const bytes = data.subarray(off, off + 4 * n);
        off += 4 * n;
        tokens += n;
        if (n !== ref.counts[i] || !sha1(bytes).equals(ref.digests.subarray(i * 20, i * 20 + 20))) {
            mismatches.push(i);
            if (got.size < MAX_DETAILED) {
                const arr = new Uint32Array(n);
                for (let k = 0; k < n; k++) arr[k] = bytes.readUInt32LE(4 * k);
                got.set(i, arr);
            }
        }
    }
    if (off !== data.length) return { error: `output has ${data.length - off} bytes after doc ${nDocs - 1}`, mismatches, got };
    return { error: null, mismatches, got, tokens };
}

/* Index of the first position where a and b differ (or the shorter length). */
function firstDiff(a, b) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
    return a.length === b.length ? -1 : n;
}

/* "id(text)" list of ids[from..to) for a report line. */
function showIds(enc, ids, from, to) {
    const out = [];
    for (let i = Math.max(0, from); i < Math.min(ids.length, to); i++) {
        let t;
        try {
            t = Buffer.from(enc.decode_single_token_bytes(ids[i])).toString('latin1');
        } catch (e) {
            t = '?';
        }
        out.push(`${ids[i]}(${JSON.stringify(t).slice(1, -1)})`);
    }
    return out.join(' ');
}

/* Bytes of the reference tokens ids[0..k) joined: where token k starts. */
function tokenOffset(enc, ids, k) {
    let off = 0;
    for (let i = 0; i < k; i++) off += enc.decode_single_token_bytes(ids[i]).length;
    return off;
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
 * Shrink a failing doc to a small input that still fails. First tries
 * windows of growing size around the first difference (one batch), then
 * runs delta debugging (Zeller's ddmin) on whole characters: each round
 * builds candidates (each chunk alone and each complement), runs the binary
 * on all of them in one batch, and keeps the smallest that still differs
 * from the reference. A batch the binary fails as a whole is retried
 * candidate by candidate. Bounded by rounds and by budgetMs.
 */
function shrink(ctx, enc, refEnc, allowSpecial, doc, budgetMs = 30000) {
    const deadline = Date.now() + budgetMs;
    const fails = (cands) => {
        let r = runBatchSync(ctx, enc, allowSpecial, cands);
        if (r.ids) {
            return cands.map((c, i) => firstDiff(refEncode(refEnc, c, allowSpecial), r.ids[i]) >= 0);
        }
        return cands.map((c) => {
            r = runBatchSync(ctx, enc, allowSpecial, [c]);
            return !r.ids || firstDiff(refEncode(refEnc, c, allowSpecial), r.ids[0]) >= 0;
        });
    };
    let cur = units(doc);
    if (doc.length > 256) {
        const expected = refEncode(refEnc, doc, allowSpecial);
        const r = runBatchSync(ctx, enc, allowSpecial, [doc]);
        if (r.ids) {
            const p = firstDiff(expected, r.ids[0]);
            const centre = rawOffset(doc, tokenOffset(refEnc, expected, Math.min(Math.max(p, 0), expected.length)));
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
            const verdict = fails(wins.map((w) => Buffer.concat(w)));
            for (let i = 0; i < wins.length; i++) {
                if (verdict[i] && wins[i].length < cur.length) cur = wins[i];
            }
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
        const verdict = fails(cands.map((c) => Buffer.concat(c)));
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

/* Print the first difference of one doc: position, text, both id lists. */
function reportDoc(ctx, cmp, doc, refEnc, expected, got, label) {
    const p = firstDiff(expected, got);
    const text = Buffer.from(doc.toString('utf8'));
    const at = tokenOffset(refEnc, expected, Math.min(p, expected.length));
    const before = text.subarray(Math.max(0, at - 40), at).toString('utf8');
    const after = text.subarray(at, at + 40).toString('utf8');
    ctx.log(`MISMATCH ${cmp.enc} ${cmp.corpus} doc ${label} (${doc.length} bytes): first difference at token ${p}` +
            ` (expected ${expected.length} tokens, got ${got.length})`);
    ctx.log(`  text: "${lib.escapeText(before)}" >>> "${lib.escapeText(after)}"`);
    ctx.log(`  expected [${p}..]: ${showIds(refEnc, expected, p, p + 8)}`);
    ctx.log(`  got      [${p}..]: ${showIds(refEnc, got, p, p + 8)}`);
}

/* Details, saved files and a shrunk repro for the first mismatching docs. */
function explainMismatches(ctx, cmp, res) {
    const refEnc = ctx.reference(cmp.enc);
    const docs = cmp.docs;
    const tag = cmp.corpus === 'corpus' ? '' : cmp.corpus + '-';
    let shrunk = 0;
    for (const [i, got] of res.got) {
        const label = cmp.origIndex ? cmp.origIndex[i] : i;
        const doc = docs[i];
        const expected = refEncode(refEnc, doc, cmp.allowSpecial);
        reportDoc(ctx, cmp, doc, refEnc, expected, got, label);
        const file = path.join(ctx.dir, `fail-${cmp.enc}-${tag}${label}.bin`);
        fs.writeFileSync(file, doc);
        ctx.log(`  saved ${file}`);
        if (cmp.corpus === 'codepoints' || shrunk >= MAX_SHRUNK || Date.now() > ctx.shrinkDeadline) continue;
        shrunk++;
        const min = shrink(ctx, cmp.enc, refEnc, cmp.allowSpecial, doc);
        const minFile = path.join(ctx.dir, `fail-${cmp.enc}-${tag}${label}.min.bin`);
        fs.writeFileSync(minFile, min);
        const r = runBatchSync(ctx, cmp.enc, cmp.allowSpecial, [min]);
        const exp = refEncode(refEnc, min, cmp.allowSpecial);
        ctx.log(`  minimal input (${min.length} bytes, hex): ${lib.hex(min)}`);
        ctx.log(`  minimal input as text: "${lib.escapeText(min.toString('utf8'))}"`);
        ctx.log(`  minimal expected: [${Array.from(exp).join(', ')}]`);
        ctx.log(`  minimal got:      ${r.ids ? '[' + Array.from(r.ids[0]).join(', ') + ']' : r.error}`);
        ctx.log(`  saved ${minFile}`);
    }
    if (cmp.corpus === 'codepoints') explainCodepoints(ctx, cmp, res);
}

/*
 * For the codepoints corpus: re-run every code point segment of the failing
 * docs as its own doc and list the code points whose ids differ, as ranges,
 * into the log (first 40) and DIR/fail-ENC-codepoints.txt (all).
 */
function explainCodepoints(ctx, cmp, res) {
    const refEnc = ctx.reference(cmp.enc);
    const { buildDocs, DEFAULT_PER_DOC } = require('./codepoints');
    const failing = new Set(res.mismatches);
    const segs = [];
    let d = 0;
    buildDocs(DEFAULT_PER_DOC, (buf, cps) => {
        if (failing.has(d)) for (const [cp, a, b] of cps) segs.push([cp, buf.subarray(a, b)]);
        d++;
    });
    const r = runBatchSync(ctx, cmp.enc, false, segs.map((s) => s[1]));
    if (!r.ids) {
        ctx.log(`  (could not re-run code point segments: ${r.error})`);
        return;
    }
    const bad = [];
    for (let i = 0; i < segs.length; i++) {
        const exp = refEncode(refEnc, segs[i][1], false);
        if (firstDiff(exp, r.ids[i]) >= 0) bad.push([segs[i][0], segs[i][1], exp, r.ids[i]]);
    }
    if (!bad.length) {
        ctx.log('  no code point segment fails on its own: the difference needs the surrounding segments');
        return;
    }
    const ranges = [];
    for (const b of bad) {
        const last = ranges[ranges.length - 1];
        if (last && b[0] === last.hi + 1) {
            last.hi = b[0];
            last.n++;
        } else ranges.push({ lo: b[0], hi: b[0], n: 1, first: b });
    }
    const u = (cp) => 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
    const lines = ranges.map((g) => `${u(g.lo)}${g.hi > g.lo ? '..' + u(g.hi) : ''} (${g.n}): ` +
        `"${lib.escapeText(g.first[1].toString('utf8'))}" expected [${Array.from(g.first[2]).join(' ')}] ` +
        `got [${Array.from(g.first[3]).join(' ')}]`);
    const file = path.join(ctx.dir, `fail-${cmp.enc}-codepoints.txt`);
    fs.writeFileSync(file, lines.join('\n') + '\n');
    ctx.log(`  ${bad.length} code points differ in ${ranges.length} ranges (all in ${file}):`);
    for (const l of lines.slice(0, 40)) ctx.log('    ' + l);
    if (lines.length > 40) ctx.log(`    ... ${lines.length - 40} more ranges`);
}

/* ------------------------------------------------------------ corpora */

function fileSha(file) {
    return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function readJson(file) {
    try {
        return JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
        return null;
    }
}

/*
 * Make sure DIR/corpus.bin and DIR/codepoints.bin exist for these
 * parameters (regenerating when the recorded parameters or the file's
 * digest differ). Returns {corpusSha, cpSha}.
 */
function ensureCorpora(ctx, seed, mbytes, withCodepoints) {
    const gen = require('./gen-corpus');
    const out = {};
    const corpus = path.join(ctx.dir, 'corpus.bin');
    const meta = path.join(ctx.dir, 'corpus.json');
    const want = { generator: gen.GENERATOR_VERSION, seed, mbytes };
    let m = readJson(meta);
    if (!m || m.generator !== want.generator || m.seed !== seed || m.mbytes !== mbytes ||
        !fs.existsSync(corpus) || fileSha(corpus) !== m.sha256) {
        const t0 = Date.now();
        const r = gen.writeCorpus(corpus, seed, mbytes);
        m = Object.assign({}, want, { sha256: fileSha(corpus) });
        fs.writeFileSync(meta, JSON.stringify(m) + '\n');
        ctx.log(`generated ${corpus}: ${r.docs} docs, ${(r.bytes / 1e6).toFixed(1)} MB in ${Date.now() - t0} ms`);
    }
    out.corpusSha = m.sha256;
    if (withCodepoints) {
        const cpFile = path.join(ctx.dir, 'codepoints.bin');
        const cpMeta = path.join(ctx.dir, 'codepoints.json');
        const tk = lib.referenceVersion();
        let c = readJson(cpMeta);
        if (!c || c.format !== CP_FORMAT_VERSION || c.tiktoken !== tk || !fs.existsSync(cpFile) ||
            fileSha(cpFile) !== c.sha256) {
            const t0 = Date.now();
            const r = require('./codepoints').writeCodepoints(cpFile);
            c = { format: CP_FORMAT_VERSION, tiktoken: tk, sha256: fileSha(cpFile) };
            fs.writeFileSync(cpMeta, JSON.stringify(c) + '\n');
            ctx.log(`generated ${cpFile}: ${r.docs} docs, ${(r.bytes / 1e6).toFixed(1)} MB in ${Date.now() - t0} ms`);
        }
        out.cpSha = c.sha256;
    }
    return out;
}

/* Reference digests from the cache, or computed by the pool and cached. */
async function referenceFor(ctx, pool, cmp) {
    const key = `${cmp.enc}-${cmp.corpus}-${cmp.sha.slice(0, 16)}-tiktoken${lib.referenceVersion()}-v${REF_FORMAT_VERSION}`;
    const cache = path.join(ctx.dir, 'cache', `ref-${key}.bin`);
    const n = cmp.docs.length;
    if (fs.existsSync(cache)) {
        const b = fs.readFileSync(cache);
        if (b.length === n * 24) {
            const counts = new Uint32Array(n);
            let tokens = 0;
            for (let i = 0; i < n; i++) {
                counts[i] = b.readUInt32LE(i * 4);
                tokens += counts[i];
            }
            return { counts, digests: b.subarray(n * 4), tokens, ms: 0, cached: true };
        }
    }
    const r = await pool.run({ enc: cmp.enc, file: cmp.inFile, allowSpecial: cmp.allowSpecial });
    const counts = new Uint32Array(r.counts);
    const digests = Buffer.from(r.digests);
    fs.mkdirSync(path.dirname(cache), { recursive: true });
    const countBytes = Buffer.alloc(n * 4);
    for (let i = 0; i < n; i++) countBytes.writeUInt32LE(counts[i], i * 4);
    fs.writeFileSync(cache, Buffer.concat([countBytes, digests]));
    return { counts, digests, tokens: r.tokens, ms: r.ms, cached: false };
}

/* ---------------------------------------------------------------- main */

function usage(msg) {
    if (msg) process.stderr.write(`tiktoken-diff.js: ${msg}\n`);
    process.stderr.write('usage: tiktoken-diff.js --bin PATH --workdir DIR [--enc LIST] [--seed N] [--mbytes M]\n' +
                         '                         [--jobs J] [--timeout S] [--no-codepoints] [--stream N]\n' +
                         '       tiktoken-diff.js --bin PATH --workdir DIR --replay FILE [--enc LIST] [--allow-special]\n');
    process.exit(2);
}

function makeContext(args) {
    const dir = path.resolve(args.workdir);
    fs.mkdirSync(dir, { recursive: true });
    const encoders = new Map();
    return {
        dir,
        bin: path.resolve(args.bin),
        timeout: args.timeout ? parseFloat(args.timeout) : 600,
        log: (s) => process.stdout.write(s + '\n'),
        /* Shrinking stops starting new docs after this (keeps a bad run bounded). */
        shrinkDeadline: Date.now() + 180000,
        reference: (name) => {
            if (!encoders.has(name)) encoders.set(name, lib.referenceEncoding(name).enc);
            return encoders.get(name);
        },
    };
}

/* --replay: one raw doc against each encoding; shrink when it differs. */
function replay(ctx, args, encs) {
    const doc = fs.readFileSync(args.replay);
    const allowSpecial = !!args['allow-special'];
    let failed = 0;
    for (const enc of encs) {
        const refEnc = ctx.reference(enc);
        const r = runBatchSync(ctx, enc, allowSpecial, [doc]);
        const expected = refEncode(refEnc, doc, allowSpecial);
        const cmp = { enc, corpus: allowSpecial ? 'special' : 'replay', allowSpecial };
        if (!r.ids) {
            ctx.log(`${enc}: binary failed: ${r.error}`);
            failed++;
        } else if (firstDiff(expected, r.ids[0]) >= 0) {
            reportDoc(ctx, cmp, doc, refEnc, expected, r.ids[0], path.basename(args.replay));
            const min = shrink(ctx, enc, refEnc, allowSpecial, doc);
            const again = runBatchSync(ctx, enc, allowSpecial, [min]);
            ctx.log(`  minimal input (${min.length} bytes, hex): ${lib.hex(min)}`);
            ctx.log(`  minimal expected: [${Array.from(refEncode(refEnc, min, allowSpecial)).join(', ')}]`);
            ctx.log(`  minimal got:      ${again.ids ? '[' + Array.from(again.ids[0]).join(', ') + ']' : again.error}`);
            failed++;
        } else {
            ctx.log(`${enc}: ${expected.length} tokens, match`);
        }
    }
    ctx.log(`${encs.length - failed} passed, ${failed} failed`);
    return failed ? 1 : 0;
}

async function main() {
    const args = lib.parseArgs(process.argv.slice(2), ['no-codepoints', 'allow-special', 'help']);
    if (args.help) usage();
    if (!args.bin) usage('--bin is required');
    if (!args.workdir) usage('--workdir is required');
    const encs = args.enc ? args.enc.split(',').map((s) => s.trim()).filter(Boolean) : lib.ENCODINGS;
    for (const e of encs) if (!lib.ENCODINGS.includes(e)) usage(`unknown encoding ${e} (known: ${lib.ENCODINGS.join(', ')})`);
    const seed = args.seed !== undefined ? parseInt(args.seed, 10) : 1;
    const mbytes = args.mbytes !== undefined ? parseFloat(args.mbytes) : 6;
    if (!Number.isFinite(seed) || !(mbytes > 0)) usage('--seed must be an integer and --mbytes positive');
    const jobs = args.jobs ? Math.max(1, parseInt(args.jobs, 10)) : Math.max(1, Math.min(2, os.cpus().length));
    if (args.stream !== undefined) {
        const n = parseInt(args.stream, 10);
        if (!(n > 0)) usage('--stream takes a positive chunk size');
        binExtraArgs.push('--stream', String(n));
    }
    const ctx = makeContext(args);
    try {
        fs.accessSync(ctx.bin, fs.constants.X_OK);
    } catch (e) {
        process.stderr.write(`tiktoken-diff.js: ${ctx.bin} is not an executable file (build it with make build)\n`);
        process.exit(2);
    }
    if (args.replay) process.exit(replay(ctx, args, encs));

    const t0 = Date.now();
    const withCp = !args['no-codepoints'];
    const shas = ensureCorpora(ctx, seed, mbytes, withCp);
    const corpusFile = path.join(ctx.dir, 'corpus.bin');
    const corpusDocs = lib.readDocs(corpusFile);

    /* The allow-special subset: corpus docs whose text contains "<|". */
    const specialFile = path.join(ctx.dir, 'special.bin');
    const origIndex = [];
    const specialDocs = [];
    corpusDocs.forEach((d, i) => {
        if (d.toString('utf8').includes('<|')) {
            origIndex.push(i);
            specialDocs.push(d);
        }
    });
    lib.writeDocs(specialFile, specialDocs);
    const specialSha = crypto.createHash('sha256').update(shas.corpusSha + ':special').digest('hex');

    const cpFile = path.join(ctx.dir, 'codepoints.bin');
    const cpDocs = withCp ? lib.readDocs(cpFile) : null;
    const cmps = [];
    for (const enc of encs) {
        cmps.push({ enc, corpus: 'corpus', inFile: corpusFile, docs: corpusDocs, sha: shas.corpusSha, allowSpecial: false });
        if (withCp) cmps.push({ enc, corpus: 'codepoints', inFile: cpFile, docs: cpDocs, sha: shas.cpSha, allowSpecial: false });
        cmps.push({ enc, corpus: 'special', inFile: specialFile, docs: specialDocs, sha: specialSha, allowSpecial: true, origIndex });
    }

    /* Reference digests computed by the worker pool (or read from cache)
     * while the binary runs the comparisons one after another. */
    const pool = new RefPool(jobs);
    const refs = cmps.map((c) => {
        const p = referenceFor(ctx, pool, c);
        p.catch(() => {}); /* awaited below; keeps an early failure from being "unhandled" */
        return p;
    });
    let passed = 0;
    let failed = 0;
    let binMs = 0;
    for (let k = 0; k < cmps.length; k++) {
        const cmp = cmps[k];
        const outFile = path.join(ctx.dir, `out-${cmp.enc}-${cmp.corpus}.bin`);
        try {
            fs.unlinkSync(outFile);
        } catch (e) { /* not there */ }
        const run = await runBinary(ctx.bin, cmp.enc, cmp.allowSpecial, cmp.inFile, outFile, ctx.timeout);
        binMs += run.ms;
        const ref = await refs[k];
        const name = cmp.corpus === 'corpus' ? cmp.enc : `${cmp.enc} ${cmp.corpus}`;
        const mb = (cmp.docs.reduce((s, d) => s + d.length, 0) / 1e6).toFixed(1);
        if (run.code !== 0) {
            ctx.log(`FAIL ${name}: ${ctx.bin} ${run.timedOut ? `timed out after ${ctx.timeout} s` : `exited with ${run.signal ? 'signal ' + run.signal : 'status ' + run.code}`}`);
            if (run.log.trim()) ctx.log('  ' + run.log.trim().split('\n').join('\n  '));
            failed++;
            continue;
        }
        const res = compareOutput(outFile, ref, cmp.docs.length);
        if (res.error) {
            ctx.log(`FAIL ${name}: malformed output: ${res.error}`);
            failed++;
            continue;
        }
        ctx.log(`${name}: ${cmp.docs.length} docs, ${mb} MB, ${ref.tokens} tokens, ${res.mismatches.length} mismatches` +
                ` (binary ${run.ms} ms, reference ${ref.cached ? 'cached' : ref.ms + ' ms'})`);
        if (res.mismatches.length) {
            const shown = res.mismatches.slice(0, 20).map((i) => (cmp.origIndex ? cmp.origIndex[i] : i));
            ctx.log(`  mismatching docs: ${shown.join(' ')}${res.mismatches.length > 20 ? ' ...' : ''}`);
            explainMismatches(ctx, cmp, res);
            failed++;
        } else {
            passed++;
            fs.unlinkSync(outFile);
            try {
                fs.unlinkSync(outFile + '.log');
            } catch (e) { /* gone */ }
        }
    }
    pool.close();
    ctx.log(`total ${((Date.now() - t0) / 1000).toFixed(1)} s (binary ${(binMs / 1000).toFixed(1)} s)`);
    ctx.log(`${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
}

if (!isMainThread && workerData && workerData.role === 'reference') {
    workerMain();
} else if (require.main === module) {
    main().catch((err) => {
        process.stderr.write(`tiktoken-diff.js: ${err.stack || err}\n`);
        process.stdout.write('0 passed, 1 failed\n');
        process.exit(1);
    });
}

module.exports = { shrink, units, firstDiff };
