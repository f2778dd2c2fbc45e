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
const { isMainThread, parentPort, workerData } = require('worker_threads');
const lib = require('./lib');

const MAX_DETAILED = 3;       /* docs shown in detail per comparison */
const MAX_SHRUNK = 2;         /* of those, docs shrunk to a minimal input */
const CP_FORMAT_VERSION = 1;  /* bump when codepoints.js output changes */
const REF_FORMAT_VERSION = 1; /* bump when how reference ids are computed changes (drops the cache) */

/* ------------------------------------------------------------ shared */

/* Reference ids of one raw doc. */
function refEncode(enc, doc, allowSpecial) {
    const text = doc.toString('utf8');
    return allowSpecial ? enc.encode(text, 'all') : enc.encode_ordinary(text);
}

/* ------------------------------------------------------------ worker */

/*
 * Worker thread of a lib.RefPool: computes reference digests for one job
 * at a time. Message in: {id, enc, file, allowSpecial}. Message out: {id,
 * counts, digests, tokens, ms} with counts a Uint32Array per doc and
 * digests the concatenated 20-byte SHA-1 of each doc's ids bytes, or {id,
 * error}.
 */
function workerMain() {
    const encoders = new Map();
    parentPort.on('message', (job) => {
        try {
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
                lib.sha1(lib.idsBytes(ids)).copy(digests, i * 20);
            }
            parentPort.postMessage({ id: job.id, counts, digests, tokens, ms: Date.now() - t0 });
        } catch (e) {
            parentPort.postMessage({ id: job.id, error: String((e && e.stack) || e) });
        }
    });
}

/* ------------------------------------------------------- the binary */

/* Extra arguments for every run of the binary (--stream N). */
const binExtraArgs = [];

/* The binary's arguments before IN OUT: -e ENC [--stream N] [--allow-special]. */
function binArgs(enc, allowSpecial) {
    const args = ['-e', enc, ...binExtraArgs];
    if (allowSpecial) args.push('--allow-special');
    return args;
}

/*
 * Run the binary synchronously on docs (Buffers) and parse its output.
 * Returns {ids: [Uint32Array] | null, error}.
 */
function runBatchSync(ctx, enc, allowSpecial, docs) {
    return lib.runBatchSync(ctx.bin, binArgs(enc, allowSpecial), docs, ctx.dir, ctx.timeout);
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

/*
 * Shrink a failing doc to a small input that still fails (lib.shrinkDoc:
 * windows around the first difference, then delta debugging on whole
 * characters, each round one batch of candidates through the binary). A
 * batch the binary fails as a whole is retried candidate by candidate.
 */
async function shrink(ctx, enc, refEnc, allowSpecial, doc, budgetMs = 30000) {
    const fails = (cands) => {
        let r = runBatchSync(ctx, enc, allowSpecial, cands);
        if (r.ids) {
            return cands.map((c, i) => lib.firstDiff(refEncode(refEnc, c, allowSpecial), r.ids[i]) >= 0);
        }
        return cands.map((c) => {
            r = runBatchSync(ctx, enc, allowSpecial, [c]);
            return !r.ids || lib.firstDiff(refEncode(refEnc, c, allowSpecial), r.ids[0]) >= 0;
        });
    };
    /* The window centre: where the first differing token starts in doc. */
    let centre = null;
    if (doc.length > 256) {
        const expected = refEncode(refEnc, doc, allowSpecial);
        const r = runBatchSync(ctx, enc, allowSpecial, [doc]);
        if (r.ids) {
            const p = lib.firstDiff(expected, r.ids[0]);
            centre = lib.rawOffset(doc, tokenOffset(refEnc, expected, Math.min(Math.max(p, 0), expected.length)));
        }
    }
    return lib.shrinkDoc(doc, fails, { centre, budgetMs });
}

/* Print the first difference of one doc: position, text, both id lists. */
function reportDoc(ctx, cmp, doc, refEnc, expected, got, label) {
    const p = lib.firstDiff(expected, got);
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
async function explainMismatches(ctx, cmp, res) {
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
        const min = await shrink(ctx, cmp.enc, refEnc, cmp.allowSpecial, doc);
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
        if (lib.firstDiff(exp, r.ids[i]) >= 0) bad.push([segs[i][0], segs[i][1], exp, r.ids[i]]);
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
    let m = lib.readJson(meta);
    if (!m || m.generator !== want.generator || m.seed !== seed || m.mbytes !== mbytes ||
        !fs.existsSync(corpus) || lib.fileSha256(corpus) !== m.sha256) {
        const t0 = Date.now();
        const r = gen.writeCorpus(corpus, seed, mbytes);
        m = Object.assign({}, want, { sha256: lib.fileSha256(corpus) });
        fs.writeFileSync(meta, JSON.stringify(m) + '\n');
        ctx.log(`generated ${corpus}: ${r.docs} docs, ${(r.bytes / 1e6).toFixed(1)} MB in ${Date.now() - t0} ms`);
    }
    out.corpusSha = m.sha256;
    if (withCodepoints) {
        const cpFile = path.join(ctx.dir, 'codepoints.bin');
        const cpMeta = path.join(ctx.dir, 'codepoints.json');
        const tk = lib.referenceVersion();
        let c = lib.readJson(cpMeta);
        if (!c || c.format !== CP_FORMAT_VERSION || c.tiktoken !== tk || !fs.existsSync(cpFile) ||
            lib.fileSha256(cpFile) !== c.sha256) {
            const t0 = Date.now();
            const r = require('./codepoints').writeCodepoints(cpFile);
            c = { format: CP_FORMAT_VERSION, tiktoken: tk, sha256: lib.fileSha256(cpFile) };
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
    const hit = lib.readRefCache(cache, cmp.docs.length);
    if (hit) return Object.assign(hit, { ms: 0, cached: true });
    const r = await pool.run({ enc: cmp.enc, file: cmp.inFile, allowSpecial: cmp.allowSpecial }).promise;
    const counts = new Uint32Array(r.counts);
    const digests = Buffer.from(r.digests);
    lib.writeRefCache(cache, counts, digests);
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
async function replay(ctx, args, encs) {
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
        } else if (lib.firstDiff(expected, r.ids[0]) >= 0) {
            reportDoc(ctx, cmp, doc, refEnc, expected, r.ids[0], path.basename(args.replay));
            const min = await shrink(ctx, enc, refEnc, allowSpecial, doc);
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
    if (args.replay) process.exit(await replay(ctx, args, encs));

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
    const pool = new lib.RefPool(jobs, __filename, { role: 'reference' });
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
        const run = await lib.runBinary(ctx.bin, [...binArgs(cmp.enc, cmp.allowSpecial), cmp.inFile, outFile],
                                        outFile + '.log', ctx.timeout);
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
        const res = lib.compareIdsFile(outFile, ref, cmp.docs.length, MAX_DETAILED);
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
            await explainMismatches(ctx, cmp, res);
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

module.exports = { shrink };
