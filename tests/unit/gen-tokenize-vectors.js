#!/usr/bin/env node
'use strict';
/*
 * Generate tests/unit/tokenize_vectors.inc: the expected token ids of a set
 * of tricky inputs, for every built-in encoding, as computed by the
 * reference tokenizer, npm tiktoken 1.0.22:
 *
 *   - flags 0:                  Encoding.encode_ordinary(text)
 *   - TM_ENCODE_ALLOW_SPECIAL:  Encoding.encode(text, "all")
 *
 * o200k_harmony is not built into npm tiktoken; it is assembled with
 * tiktoken/lite's Tiktoken from o200k_base's ranks and split pattern and the
 * special tokens tiktoken's openai_public.py gives o200k_harmony.
 *
 * Inputs given as bytes (invalid UTF-8) are decoded as the reference sees
 * them, with Node's Buffer.toString('utf8') (the WHATWG decoder); the C test
 * feeds the raw bytes, so the vectors also check tokenmeter's U+FFFD repair.
 *
 * The output is committed; the C test never runs node. Regenerate with
 *   node tests/unit/gen-tokenize-vectors.js > tests/unit/tokenize_vectors.inc
 * (from the repository root, after `npm ci`).
 */
const path = require('path');
const root = path.resolve(__dirname, '..', '..');
const req = (m) => require(require.resolve(m, { paths: [root] }));

const ENCODINGS = ['r50k_base', 'p50k_base', 'p50k_edit', 'cl100k_base',
                   'o200k_base', 'o200k_harmony'];

/* o200k_harmony's specials: tiktoken_ext/openai_public.py (openai/tiktoken). */
function harmonySpecials(base) {
    const sp = Object.assign({}, base, {
        '<|startoftext|>': 199998, '<|endoftext|>': 199999,
        '<|reserved_200000|>': 200000, '<|reserved_200001|>': 200001,
        '<|return|>': 200002, '<|constrain|>': 200003,
        '<|reserved_200004|>': 200004, '<|channel|>': 200005,
        '<|start|>': 200006, '<|end|>': 200007, '<|message|>': 200008,
        '<|reserved_200009|>': 200009, '<|reserved_200010|>': 200010,
        '<|reserved_200011|>': 200011, '<|call|>': 200012,
    });
    for (let i = 200013; i <= 201087; i++) sp[`<|reserved_${i}|>`] = i;
    return sp;
}

function reference(name) {
    if (name === 'o200k_harmony') {
        const json = req('tiktoken/encoders/o200k_base.json');
        const { Tiktoken } = req('tiktoken/lite');
        return new Tiktoken(json.bpe_ranks, harmonySpecials(json.special_tokens),
                            json.pat_str);
    }
    return req('tiktoken').get_encoding(name);
}

/*
 * The vectors. `text` is a JS string (encoded as UTF-8), or `bytes` an array
 * of byte values. `special: true` encodes with all special tokens allowed.
 * `only` restricts the encodings.
 */
const S = (label, text, extra) => Object.assign({ label, text }, extra || {});
const B = (label, bytes, extra) => Object.assign({ label, bytes }, extra || {});

const vectors = [
    /* contractions: cl100k/o200k match them case-insensitively, r50k not */
    S('contractions', "it's we're they've I'm you'll he'd don't"),
    S('contractions upper', "IT'S WE'RE THEY'VE I'M YOU'LL HE'D DON'T"),
    S('IT\'S', "IT'S"),
    S('\'S alone', "'S"),
    S('mixed case contraction', "It'S it'S IT's"),
    S('apostrophe runs', "''s ''' 'x 'll've"),
    /* U+017F LATIN SMALL LETTER LONG S folds to s under (?i) */
    S('long s after apostrophe', "'\u017f"),
    S('long s in words', "It'\u017f a'\u017f HE'\u017f x'\u017ft"),
    S('long s word', "\u017ftra\u017fse"),
    /* whitespace: \s+(?!\S) gives back the last character */
    S('spaces before word', '    hello'),
    S('spaces at end', 'hello    '),
    S('only spaces', '     '),
    S('tabs and spaces', 'a \t \t b\t\tc'),
    S('space then newline', 'word \n\n  next  \n'),
    S('nbsp and ideographic space', 'a\u00a0\u00a0b\u3000\u3000c \u2003d'),
    /* \r\n runs */
    S('crlf runs', 'line1\r\nline2\r\n\r\n\r\nline3\r\n'),
    S('crlf only', '\r\n\r\n\r\n'),
    S('crlf with spaces', ' \r\n  x \r \n\ty\n\r'),
    S('punct then newlines', 'end.\n\n\nfoo;\r\n\r\nbar/\n/x'),
    /* digits */
    S('digit groups', '1234567 12345678901 1 22 333 4444'),
    S('decimal', '3.14159265358979 -0.5e-10 1,000,000'),
    S('digits in words', 'x2024y abc123def 007bond'),
    S('non-ASCII digits', '\u0661\u0662\u0663\u0664\u0665 \u096a\u096b \uff11\uff12\uff13\uff14 \u216b \u00b2\u00b3 \u2460\u2461'),
    /* CJK and other scripts */
    S('CJK', '\u4f60\u597d\uff0c\u4e16\u754c\uff01\u8fd9\u662f\u4e00\u4e2a\u6d4b\u8bd5\u3002'),
    S('Japanese', '\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059'),
    S('Korean', '\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8'),
    S('Arabic Hebrew Devanagari', '\u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd \u0928\u092e\u0938\u094d\u0924\u0947'),
    S('Vietnamese', 'Ti\u1ebfng Vi\u1ec7t c\u00f3 d\u1ea5u'),
    /* combining marks: \p{M} is a letter-like class only in o200k */
    S('combining after space', ' \u0301a'),
    S('combining marks', 'e\u0301 \u0301\u0302 a \u0308b \u0301'),
    S('combining at start', '\u0301\u0301x'),
    S('decomposed word', 'cafe\u0301 re\u0301sume\u0301 CAFE\u0301'),
    /* emoji */
    S('emoji ZWJ', '\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67\u200d\ud83d\udc66 family'),
    S('emoji modifiers', '\ud83d\udc4d\ud83c\udffd \ud83c\udff3\ufe0f\u200d\ud83c\udf08 \u2764\ufe0f'),
    S('emoji run', '\ud83d\ude00\ud83d\ude03\ud83d\ude04\ud83d\ude01\ud83d\ude06 ok'),
    /* o200k case splitting */
    S('camelCase', 'camelCaseString getHTTPResponseCode'),
    S('ALLCAPS', 'HTTPServerError XMLHttpRequest ALLCAPS WORDS'),
    S('mixed case words', 'iPhone McDonald\'s O\'NEIL\'S \u00c9COLE \u00e9cole'),
    S('title case', 'Hello World This Is Title Case'),
    /* punctuation and code */
    S('code', 'def f(x):\n    return x**2  # square\n'),
    S('path and url', 'see https://example.com/a/b?c=1 or /usr/local/bin/'),
    S('symbols', '!!! ??? ... --- *** ### $$$ %%% ^^^ &&&'),
    S('space punct', ' !x  ?y   .z'),
    /* whole pieces that are tokens */
    S('common words', ' the and of to in is'),
    S('long known words', ' internationalization antidisestablishmentarianism'),
    /* special tokens: ordinary text by default ... */
    S('specials as text', '<|endoftext|> and <|fim_prefix|><|fim_middle|><|fim_suffix|><|endofprompt|>'),
    S('harmony specials as text', '<|start|>user<|message|>hi<|end|><|reserved_201087|>'),
    S('partial special', '<|endoftext|'),
    /* ... and their ids when allowed */
    S('specials allowed', 'hello<|endoftext|>world', { special: true }),
    S('specials adjacent', '<|endoftext|><|endoftext|> <|endoftext|>', { special: true }),
    S('partial special allowed', 'x<|endoftext| <|endoftext', { special: true }),
    S('fim specials', '<|fim_prefix|>def f():<|fim_suffix|>\n<|fim_middle|>',
      { special: true, only: ['p50k_edit', 'cl100k_base'] }),
    S('endofprompt', 'question<|endofprompt|>answer',
      { special: true, only: ['cl100k_base', 'o200k_base', 'o200k_harmony'] }),
    S('harmony chat', '<|start|>user<|message|>Hi there<|end|><|start|>assistant<|channel|>final<|message|>Hello!<|return|>',
      { special: true, only: ['o200k_harmony'] }),
    S('harmony reserved', '<|reserved_201087|><|reserved_200013|>x<|reserved_201088|><|startoftext|><|call|><|constrain|>',
      { special: true, only: ['o200k_harmony'] }),
    S('specials between newlines', '\n\n<|endoftext|>\n\n', { special: true }),
    /* invalid UTF-8, replaced as WHATWG / Node do */
    B('lone continuation', [0x61, 0x80, 0x62]),
    B('overlong', [0xc0, 0xaf, 0x20, 0xe0, 0x80, 0xaf]),
    B('surrogate', [0xed, 0xa0, 0x80, 0x78]),
    B('above U+10FFFF', [0xf4, 0x90, 0x80, 0x80, 0x21]),
    B('truncated emoji then letter', [0xf0, 0x9f, 0x98, 0x61]),
    B('truncated at end', [0x68, 0x69, 0x20, 0xe2, 0x82]),
    B('0xFF 0xFE', [0xff, 0xfe, 0x41, 0x42]),
    B('broken inside word', [0x68, 0xc3, 0x6c, 0x6c, 0x6f]),
    B('mixed valid and invalid', [0xe4, 0xbd, 0xa0, 0xe5, 0xa5, 0xe4, 0xb8, 0x96, 0x80, 0x80, 0x20, 0x31]),
    B('invalid then special', [0xc3, 0x3c, 0x7c, 0x65, 0x6e, 0x64, 0x6f, 0x66, 0x74,
                               0x65, 0x78, 0x74, 0x7c, 0x3e, 0xbf], { special: true }),
    /* long pieces (the heap merge path) */
    S('1000 a', 'a'.repeat(1000)),
    S('1000 spaces then x', ' '.repeat(1000) + 'x'),
    S('300 dashes', '-'.repeat(300)),
    S('ab x 400', 'ab'.repeat(400)),
    S('500 digits', '9'.repeat(500)),
    S('200 emoji', '\ud83d\ude00'.repeat(200)),
    S('long word', 'Pneumonoultramicroscopicsilicovolcanoconiosis'.repeat(8)),
    S('400 newlines', '\n'.repeat(400)),
];

/* ---- output ---- */

function cString(buf) {
    const chunks = [];
    for (let i = 0; i < buf.length; i += 48) {
        let s = '';
        for (const b of buf.subarray(i, i + 48)) {
            const c = String.fromCharCode(b);
            if (b >= 0x20 && b < 0x7f && c !== '"' && c !== '\\' && c !== '?')
                s += c;
            else
                s += '\\' + b.toString(8).padStart(3, '0');
        }
        chunks.push(`"${s}"`);
    }
    return chunks.length ? chunks.join('\n     ') : '""';
}

function main() {
    const refs = {};
    for (const name of ENCODINGS) refs[name] = reference(name);
    const version = JSON.parse(require('fs').readFileSync(
        path.join(root, 'node_modules', 'tiktoken', 'package.json'), 'utf8')).version;
    const out = [];
    out.push('/* Generated by tests/unit/gen-tokenize-vectors.js; do not edit.');
    out.push(` * Expected ids: npm tiktoken ${version}, encode_ordinary (flags 0) or`);
    out.push(' * encode(text, "all") (TM_ENCODE_ALLOW_SPECIAL). */');
    const rows = [];
    let k = 0;
    for (const v of vectors) {
        const bytes = v.bytes ? Buffer.from(v.bytes) : Buffer.from(v.text, 'utf8');
        const text = v.bytes ? bytes.toString('utf8') : v.text;
        out.push(`static const char text_${k}[] =\n    ${cString(bytes)};`);
        for (const name of v.only || ENCODINGS) {
            const enc = refs[name];
            const ids = Array.from(v.special ? enc.encode(text, 'all')
                                             : enc.encode_ordinary(text));
            const id = `ids_${k}_${name}`;
            const lines = [];
            for (let i = 0; i < ids.length; i += 12)
                lines.push('    ' + ids.slice(i, i + 12).join(', ') + ',');
            out.push(`static const tm_token ${id}[] = {\n${lines.join('\n')}\n};`);
            rows.push(`    {${JSON.stringify(v.label)}, "${name}", text_${k}, ` +
                      `sizeof(text_${k}) - 1, ${v.special ? 'TM_ENCODE_ALLOW_SPECIAL' : '0'}, ` +
                      `${id}, ${ids.length}},`);
        }
        k++;
    }
    out.push('static const struct vector vectors[] = {');
    out.push(...rows);
    out.push('};');
    for (const e of Object.values(refs)) e.free();
    process.stdout.write(out.join('\n') + '\n');
}

main();
