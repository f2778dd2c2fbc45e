#!/usr/bin/env node
// Convert an encoder file of the npm package `tiktoken` (JSON with a
// compressed "bpe_ranks" string) into the standard .tiktoken rank format:
// one "BASE64 RANK" line per token, in rank order.
//
// The compressed format: lines of "PREFIX OFFSET TOKEN TOKEN ...", where the
// i-th base64 TOKEN on a line has rank OFFSET + i (the PREFIX field is not
// needed). Written for scripts/fetch-vocab; the output is verified there
// against the sha256 OpenAI publishes for its .tiktoken files.
'use strict';
const fs = require('fs');

function main() {
  const [src, dst] = process.argv.slice(2);
  if (!src || !dst) {
    process.stderr.write('usage: tiktoken-json-to-ranks.js ENCODER.json OUT.tiktoken\n');
    process.exit(2);
  }
  let doc;
  try {
    doc = JSON.parse(fs.readFileSync(src, 'utf8'));
  } catch (e) {
    process.stderr.write(`${src}: cannot read encoder JSON: ${e.message}\n`);
    process.exit(1);
  }
  if (typeof doc.bpe_ranks !== 'string') {
    process.stderr.write(`${src}: no "bpe_ranks" string\n`);
    process.exit(1);
  }
  const ranks = [];
  const lines = doc.bpe_ranks.split('\n');
  for (let n = 0; n < lines.length; n++) {
    if (!lines[n]) continue;
    const fields = lines[n].split(' ');
    const offset = Number.parseInt(fields[1], 10);
    if (!Number.isInteger(offset) || offset < 0) {
      process.stderr.write(`${src}: bpe_ranks line ${n + 1}: bad offset\n`);
      process.exit(1);
    }
    for (let i = 2; i < fields.length; i++) ranks.push([offset + i - 2, fields[i]]);
  }
  ranks.sort((a, b) => a[0] - b[0]);
  fs.writeFileSync(dst, ranks.map(([r, t]) => `${t} ${r}\n`).join(''));
}

main();
