#!/usr/bin/env node
/*
 * bench/tokenize/report.js: turns the raw result lines of one
 * bench/tokenize/run (build/bench/results.txt) into the tables it prints.
 *
 * Input: lines "TYPE key=value ..." written by tm_bench, peers.js and the run
 * script (types: machine, corpus, throughput, load, hostile, stream). Values
 * with spaces are JSON strings. Nothing here measures anything; it only
 * arranges what was measured and checks it against the targets of the issue:
 *   - count >= 100 MB/s and encode >= 60 MB/s on English prose, one thread,
 *     for cl100k_base and o200k_base;
 *   - count >= 10x the fastest peer on the same corpus in the same run;
 *   - tokenizer.json families: count on English prose >= 50 MB/s (llama3,
 *     qwen3, deepseek_v3) or >= 20 MB/s (llama2, gemma3), and >= 10x HF
 *     tokenizers (hf-tokenizers) on it in the same run;
 *   - a vocabulary loads (open + free) in under 20 ms;
 *   - hostile inputs: t(8 MiB)/t(1 MiB) <= 10 and t(1 MiB) < 100 ms
 *     (< 50 ms for the tokenizer.json families);
 *   - counting a 1 GB file through the stream API peaks at <= 64 MB RSS.
 * Each target prints PASS or MISS; a family tokenmeter could not open
 * ("skip" record) prints SKIP. The exit status is 0 either way.
 */
'use strict';

const fs = require('fs');

const PROSE = 'prose-en.txt';
const TARGET_ENCODINGS = ['cl100k_base', 'o200k_base'];
/* tokenizer.json families: count target on prose (MB/s); also >= 10x HF. */
const FAMILY_TARGET_MBPS = { llama3: 50, qwen3: 50, deepseek_v3: 50, llama2: 20, gemma3: 20 };
const FAMILY_PEER_RATIO = 10;
/* Every peer column there can be; a table shows those with records for its encoding. */
const ALL_PEER_COLUMNS = [
  ['tiktoken', 'encode', 'tiktoken'],
  ['js-tiktoken', 'encode', 'js-tiktoken'],
  ['gpt-tokenizer', 'encode', 'gpt-tok enc'],
  ['gpt-tokenizer', 'count', 'gpt-tok cnt'],
  ['hf-tokenizers', 'encode', 'hf-tok'],
  ['lenml', 'encode', 'lenml'],
];
const ALL_HOSTILE_PEERS = ['tiktoken', 'js-tiktoken', 'gpt-tokenizer', 'hf-tokenizers', 'lenml'];
const HOSTILE_LABEL = { a: "'a'", caret: "'^'", dash: "'-'", space: "' '", newline: "'\\n'",
                        cjk: 'CJK', random: 'random', zero: "'0'", 'e-acute': "'é'",
                        han: "'中'", metaspace: "'▁'" };
/* t(1 MiB) limit of a hostile input, ms: the tokenizer.json families have
 * the tighter target of their issue. */
const hostileLimitMs = (enc) => (enc in FAMILY_TARGET_MBPS ? 50 : 100);

function parseLine(line) {
  const m = /^(\w[\w-]*)\s*(.*)$/.exec(line.trim());
  if (!m) return null;
  const rec = { type: m[1] };
  const re = /([\w-]+)=("(?:[^"\\]|\\.)*"|\S+)/g;
  let kv;
  while ((kv = re.exec(m[2])) !== null) {
    rec[kv[1]] = kv[2].startsWith('"') ? JSON.parse(kv[2]) : kv[2];
  }
  return rec;
}

function pad(s, w, left) {
  s = String(s);
  return left ? s.padEnd(w) : s.padStart(w);
}

function row(cells, widths, leftCols = 1) {
  return cells.map((c, i) => pad(c, widths[i], i < leftCols)).join('  ').trimEnd();
}

function fmt(x, digits = 1) {
  return Number.isFinite(x) ? x.toFixed(digits) : '-';
}

function main() {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: report.js RESULTS\n');
    process.exit(2);
  }
  const recs = fs.readFileSync(file, 'utf8').split('\n').map(parseLine).filter(Boolean);
  const of = (type) => recs.filter((r) => r.type === type);
  const targets = [];
  const target = (ok, text) => targets.push(`${ok ? 'PASS' : 'MISS'}  ${text}`);
  const skipped = of('skip');
  for (const sk of skipped) targets.push(`SKIP  ${sk.enc}: not measured, tokenmeter cannot open it (${sk.reason})`);
  const out = [];

  const machine = of('machine')[0];
  if (machine) {
    out.push(`machine: ${machine.cpu}, ${machine.cores} cores; node ${machine.node}; ` +
             'every measurement on one thread');
  }
  const end = of('end')[0];
  if (machine && end) {
    out.push(`1-minute load average: ${machine.loadavg_start} at the start, ${end.loadavg} at the end ` +
             `(${end.seconds} s); anything else running shares the same cores`);
  }
  out.push('corpora:');
  for (const c of of('corpus')) out.push(`  ${pad(c.file, 17, true)} ${c.source}`);
  out.push('');

  const tput = of('throughput');
  const crashNotesTput = new Map();
  const encodings = [...new Set(tput.filter((r) => r.impl === 'tokenmeter').map((r) => r.enc))];
  const corpora = [...new Set(tput.filter((r) => r.impl === 'tokenmeter').map((r) => r.file))];
  const find = (impl, enc, mode, f) =>
    tput.find((r) => r.impl === impl && r.enc === enc && r.mode === mode && r.file === f);
  const mbps = (r) => (r && r.mbps !== undefined ? Number(r.mbps) : NaN);

  if (skipped.length) {
    out.push('skipped (tokenmeter cannot open them):');
    for (const sk of skipped) out.push(`  ${pad(sk.enc, 12, true)} ${sk.reason}`);
    out.push('');
  }

  /* ---- throughput, one table per encoding ---- */
  for (const enc of encodings) {
    const PEER_COLUMNS = ALL_PEER_COLUMNS.filter(([impl, mode]) =>
      tput.some((r) => r.impl === impl && r.enc === enc && (r.mode === mode || (r.mode === undefined && mode === 'encode'))));
    const hasPeers = PEER_COLUMNS.length > 0;
    const family = FAMILY_TARGET_MBPS[enc] !== undefined;
    out.push(`${enc}: MB/s (1 MB = 10^6 bytes), fastest timed pass of >= ${machine ? machine.min_seconds : '1'} s ` +
             'after one warm-up pass' + (hasPeers ? '' : ' (tokenmeter only)') +
             (family && hasPeers ? `; peers on ${PROSE} only, killed after ${machine && machine.hf_peer_timeout_s ? machine.hf_peer_timeout_s : '?'} s` : ''));
    const head = ['corpus', 'MB', 'tm count', 'tm encode'];
    if (hasPeers) head.push(...PEER_COLUMNS.map((c) => c[2]), 'fastest peer', 'count/peer', 'encode/peer', 'token counts');
    const widths = [17, 6, 9, 9, ...PEER_COLUMNS.map((c) => Math.max(8, c[2].length)), 24, 10, 11, 12];
    out.push(row(head, widths));
    for (const f of corpora) {
      const tc = find('tokenmeter', enc, 'count', f);
      const te = find('tokenmeter', enc, 'encode', f);
      const cells = [f, fmt(Number(tc && tc.bytes) / 1e6, 2), fmt(mbps(tc)), fmt(mbps(te))];
      if (hasPeers) {
        let best = null;
        let bestEncode = null;
        const differ = [];
        for (const [impl, mode] of PEER_COLUMNS) {
          const r = find(impl, enc, mode, f);
          const v = mbps(r);
          cells.push(r ? (Number.isFinite(v) ? fmt(v) : r.status || 'error') : 'n/a');
          if (r && !Number.isFinite(v) && r.detail) crashNotesTput.set(`${impl} ${enc} ${f}: ${r.status} (${r.detail})`, true);
          if (Number.isFinite(v)) {
            if (!best || v > best.v) best = { impl, mode, v };
            if (mode === 'encode' && (!bestEncode || v > bestEncode.v)) bestEncode = { impl, mode, v };
            if (tc && r.tokens !== tc.tokens) differ.push(`${impl} ${r.tokens}`);
          }
        }
        if (te && tc && te.tokens !== tc.tokens) differ.push(`tm encode ${te.tokens}`);
        const countRatio = best ? mbps(tc) / best.v : NaN;
        const encodeRatio = bestEncode ? mbps(te) / bestEncode.v : NaN;
        cells.push(best ? `${best.impl} ${best.mode} ${fmt(best.v)}` : '-',
                   `${fmt(countRatio, 2)}x`, `${fmt(encodeRatio, 2)}x`,
                   differ.length ? `DIFFER: ${differ.join(', ')}` : `agree (${tc.tokens})`);
        if (f === PROSE && TARGET_ENCODINGS.includes(enc)) {
          target(countRatio >= 10, `${enc} count on ${f}: ${fmt(countRatio, 2)}x the fastest peer ` +
                 `(${best ? `${best.impl} ${best.mode} ${fmt(best.v)} MB/s` : 'none'}), target >= 10x`);
        }
        if (f === PROSE && family) {
          const hf = find('hf-tokenizers', enc, 'encode', f);
          const hfRatio = mbps(tc) / mbps(hf);
          target(hfRatio >= FAMILY_PEER_RATIO, `${enc} count on ${f}: ${fmt(hfRatio, 2)}x HF tokenizers ` +
                 `(${hf ? (Number.isFinite(mbps(hf)) ? fmt(mbps(hf)) + ' MB/s' : hf.status) : 'not run'}), target >= ${FAMILY_PEER_RATIO}x`);
        }
      }
      if (f === PROSE && family) {
        target(mbps(tc) >= FAMILY_TARGET_MBPS[enc], `${enc} count on ${f}: ${fmt(mbps(tc))} MB/s, ` +
               `target >= ${FAMILY_TARGET_MBPS[enc]}`);
      }
      if (f === PROSE && TARGET_ENCODINGS.includes(enc)) {
        target(mbps(tc) >= 100, `${enc} count on ${f}: ${fmt(mbps(tc))} MB/s, target >= 100`);
        target(mbps(te) >= 60, `${enc} encode on ${f}: ${fmt(mbps(te))} MB/s, target >= 60`);
      }
      out.push(row(cells, widths));
    }
    out.push('');
  }
  out.push('count/peer = tokenmeter count / the fastest peer in any mode; encode/peer = tokenmeter ' +
           'encode / the fastest peer encode.');
  if (crashNotesTput.size) out.push('peers without a number: ' + [...crashNotesTput.keys()].join('; '));
  out.push('');

  /* ---- load ---- */
  out.push('vocabulary load (tm_encoding_open + tm_encoding_free, file in page cache):');
  for (const r of of('load')) {
    out.push(`  ${pad(r.enc, 12, true)} first ${r.first_ms} ms, best ${r.best_ms}, median ${r.median_ms}, ` +
             `worst ${r.worst_ms} of ${r.runs}`);
    target(Number(r.worst_ms) < 20, `${r.enc} load: worst ${r.worst_ms} ms of ${r.runs}, target < 20 ms`);
  }
  out.push('');

  /* ---- hostile inputs ---- */
  const hostile = of('hostile');
  const hostileEncodings = [...new Set(hostile.filter((r) => r.impl === 'tokenmeter').map((r) => r.enc))];
  const timeout = machine ? machine.peer_timeout_s : '?';
  const crashNotes = new Map();
  for (const enc of hostileEncodings) {
    const peerRecs = hostile.filter((r) => r.impl !== 'tokenmeter' && r.enc === enc);
    const HOSTILE_PEERS = ALL_HOSTILE_PEERS.filter((p) => peerRecs.some((r) => r.impl === p));
    const hasPeers = peerRecs.length > 0;
    out.push(`hostile inputs, ${enc}: tokenmeter count, fastest of 5` +
             (hasPeers ? `; peers one encode of 1 MiB, killed after ${timeout} s` : ''));
    const head = ['input', 'tm 1 MiB ms', 'tm 8 MiB ms', 't8/t1', 'target'];
    if (hasPeers) head.push(...HOSTILE_PEERS.map((p) => `${p} ms`), 'token counts');
    const widths = [8, 11, 11, 6, 6, ...HOSTILE_PEERS.map((p) => Math.max(10, p.length + 3)), 12];
    out.push(row(head, widths));
    for (const r of hostile.filter((x) => x.impl === 'tokenmeter' && x.enc === enc)) {
      const ms1 = Number(r.ms_1);
      const ratio = Number(r.ratio);
      const limit = hostileLimitMs(enc);
      const ok = ms1 < limit && ratio <= 10;
      const cells = [HOSTILE_LABEL[r.input] || r.input, fmt(ms1), r.ms_8 === 'skipped' ? 'skipped' : fmt(Number(r.ms_8)),
                     fmt(ratio, 2), ok ? 'PASS' : 'MISS'];
      target(ok, `${enc} hostile ${HOSTILE_LABEL[r.input] || r.input}: t(1 MiB) ${fmt(ms1)} ms (< ${limit}), ` +
             `t(8 MiB)/t(1 MiB) ${fmt(ratio, 2)} (<= 10)`);
      if (hasPeers) {
        const differ = [];
        for (const p of HOSTILE_PEERS) {
          const pr = peerRecs.find((x) => x.impl === p && x.input === r.input);
          if (!pr) cells.push('n/a');
          else if (pr.status === 'ok') {
            cells.push(fmt(Number(pr.ms)));
            if (pr.tokens !== r.tokens_1) differ.push(`${p} ${pr.tokens}`);
          } else {
            cells.push(pr.status === 'timeout' ? `>${timeout} s` : pr.status);
            if (pr.status === 'crash' && pr.detail) crashNotes.set(`${p}: ${pr.detail}`, true);
          }
        }
        cells.push(differ.length ? `DIFFER (tm ${r.tokens_1}): ${differ.join(', ')}` : 'agree');
      }
      out.push(row(cells, widths));
    }
    out.push('');
  }
  if (crashNotes.size) {
    out.push('peer crashes: ' + [...crashNotes.keys()].join('; '));
    out.push('');
  }

  /* ---- streaming memory ---- */
  for (const s of of('stream')) {
    if (s.status === 'skipped') {
      out.push(`stream-rss: not measured (${s.reason})`);
      continue;
    }
    const peakBytes = Number(s.peak_rss_mib) * 1048576;
    out.push(`stream-rss: ${s.enc}, ${fmt(Number(s.bytes) / 1e9, 3)} GB file counted through tm_stream in ` +
             `${Number(s.chunk) / 1048576} MiB chunks: ${s.tokens} tokens in ${s.seconds} s (${s.mbps} MB/s); ` +
             `peak RSS ${s.peak_rss_mib} MiB (${s.rss_after_open_mib} MiB after opening the encoding)`);
    target(peakBytes <= 64e6, `stream ${fmt(Number(s.bytes) / 1e9, 3)} GB: peak RSS ${fmt(peakBytes / 1e6)} MB, target <= 64 MB`);
  }
  out.push('');

  out.push('targets:');
  for (const t of targets) out.push(`  ${t}`);
  const missed = targets.filter((t) => t.startsWith('MISS')).length;
  out.push(`  ${targets.length - missed} PASS, ${missed} MISS`);
  process.stdout.write(out.join('\n') + '\n');
}

main();
