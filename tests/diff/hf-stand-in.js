#!/usr/bin/env node
'use strict';
/*
 * hf-stand-in.js: tm_encode_batch's and `tokenmeter count`'s command lines
 * implemented with the reference tokenizers, to check hf-diff.js itself:
 * that it passes a correct encoder, and that it catches, reports and
 * shrinks a wrong one. It is not part of the product.
 *
 *   hf-stand-in.js (-e NAME | -t FILE.json) [--allow-special] [--add-special]
 *                  [--stream N] IN OUT [IN OUT]...
 *   hf-stand-in.js count --json (-e NAME | -t FILE.json) [--allow-special] FILE...
 *
 * NAME is a family (llama3, llama2, qwen3, deepseek_v3, gemma3, gptoss:
 * its pinned tokenizer.json through npm tokenizers, added tokens always
 * recognised) or an OpenAI encoding (npm tiktoken, as tiktoken-diff.js's
 * reference: specials only with --allow-special). --add-special encodes with
 * addSpecialTokens true (tiktoken encodings have no template and ignore
 * it). --stream is accepted and ignored.
 *
 * Faults, to see the harness fail (environment):
 *   TM_HF_STANDIN_MAP=HEX:HEX[,...]  replace code point A by B before
 *                                    encoding (like a wrong class table entry)
 *   TM_HF_STANDIN_NFC=js             V8's NFC (Unicode 17) before encoding:
 *                                    the reference's NFC is Unicode 9.0
 *   TM_HF_STANDIN_UNKNOWN=1          family names fail with "unknown
 *                                    encoding", as tokenmeter did before the
 *                                    families existed
 */

const fs = require('fs');
const lib = require('./lib');
const hfc = require('./hf-corpus');

function fault(text) {
    if (process.env.TM_HF_STANDIN_MAP) {
        for (const item of process.env.TM_HF_STANDIN_MAP.split(',')) {
            const [a, b] = item.split(':').map((h) => String.fromCodePoint(parseInt(h, 16)));
            text = text.split(a).join(b);
        }
    }
    if (process.env.TM_HF_STANDIN_NFC === 'js') text = text.normalize('NFC');
    return text;
}

/* An object with async encode(text) -> array of ids; exits 1 on an unknown name. */
function openEncoder(name, file, allowSpecial, addSpecial) {
    if (file || hfc.FAMILIES.includes(name)) {
        if (!file && process.env.TM_HF_STANDIN_UNKNOWN === '1') {
            process.stderr.write(`hf-stand-in: unknown encoding '${name}'\n`);
            process.exit(1);
        }
        const { Tokenizer } = require('tokenizers');
        const tok = Tokenizer.fromFile(file || hfc.tokenizerJsonPath(name));
        return { encode: async (t) => (await tok.encode(fault(t), null, { addSpecialTokens: addSpecial })).getIds() };
    }
    if (!lib.ENCODINGS.includes(name)) {
        process.stderr.write(`hf-stand-in: unknown encoding '${name}'\n`);
        process.exit(1);
    }
    const { enc } = lib.referenceEncoding(name);
    return { encode: async (t) => (allowSpecial ? enc.encode(fault(t), 'all') : enc.encode_ordinary(fault(t))) };
}

async function main() {
    const argv = process.argv.slice(2);
    const count = argv[0] === 'count';
    let name = null, file = null, allowSpecial = false, addSpecial = false;
    const files = [];
    for (let i = count ? 1 : 0; i < argv.length; i++) {
        if (argv[i] === '-e') name = argv[++i];
        else if (argv[i] === '-t') file = argv[++i];
        else if (argv[i] === '--allow-special') allowSpecial = true;
        else if (argv[i] === '--add-special') addSpecial = true;
        else if (argv[i] === '--stream') i++;
        else if (argv[i] === '--json') { /* the only output format here */ }
        else files.push(argv[i]);
    }
    if ((!name && !file) || (!count && (files.length === 0 || files.length % 2 !== 0))) {
        process.stderr.write('usage: hf-stand-in.js (-e NAME | -t FILE) [--allow-special] [--add-special] IN OUT [IN OUT]...\n' +
                             '       hf-stand-in.js count --json (-e NAME | -t FILE) FILE...\n');
        process.exit(2);
    }
    const enc = openEncoder(name, file, allowSpecial, addSpecial);
    if (count) {
        for (const f of files) {
            const buf = fs.readFileSync(f);
            const n = (await enc.encode(buf.toString('utf8'))).length;
            process.stdout.write(JSON.stringify({ name: f, tokens: n, bytes: buf.length, encoding: name || file }) + '\n');
        }
        return;
    }
    for (let k = 0; k < files.length; k += 2) {
        const docs = lib.readDocs(files[k]);
        const out = fs.openSync(files[k + 1], 'w');
        let chunk = [];
        for (const doc of docs) {
            chunk.push(Uint32Array.from(await enc.encode(doc.toString('utf8'))));
            if (chunk.length >= 256) {
                fs.writeSync(out, lib.encodeIds(chunk));
                chunk = [];
            }
        }
        fs.writeSync(out, lib.encodeIds(chunk));
        fs.closeSync(out);
    }
}

main().catch((e) => {
    process.stderr.write(`hf-stand-in: ${e.stack || e}\n`);
    process.exit(1);
});
