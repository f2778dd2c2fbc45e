#!/usr/bin/env node
'use strict';
/*
 * gen-corpus.js: a deterministic, seeded corpus of varied text for the
 * tokenizer differential test, written as a docs file (per doc: u32le byte
 * length + bytes; see lib.js).
 *
 * Usage: gen-corpus.js --seed N --out FILE [--mbytes M]
 *
 * Writes docs until at least M MiB (default 6) of doc bytes exist. Docs are
 * from a few bytes to 64 KiB and each has a theme: prose in one of ~50
 * scripts or a mix of them, source code (C, Python, JS, JSON, YAML, shell,
 * HTML, SQL, Markdown), e-mail, logs and data, emoji, combining marks,
 * whitespace of every kind, digits of many scripts, English contractions,
 * special-token text, invalid UTF-8, or random strings drawn from character
 * classes (letters of each case, marks, numbers, White_Space, random code
 * points of every plane, private use, noncharacters). A few docs are long
 * runs (10-20 KB) of a single character or pair.
 *
 * The same seed and size give the same bytes on every machine: all choices
 * come from lib.js's Rng, the text lists below are fixed, and the only
 * library transforms used (NFD/NFC normalization, case mapping of the fixed
 * words) are stable for the characters involved.
 */

const path = require('path');
const { Rng, DocsWriter, parseArgs } = require('./lib');

/* Bump when the generator's output for a given seed changes. */
const GENERATOR_VERSION = 1;
const MAX_DOC = 65536;

/* ------------------------------------------------------------ prose */

/*
 * Per script: words (space separated in the source), how words are joined
 * (sep), sentence ends, and an optional clause separator. Words were written
 * for this test; they are real words or names in each language where the
 * author knew them, and plausible letter sequences of the script otherwise.
 */
const SCRIPTS = {
    english: {
        words: `the quick brown fox jumps over a lazy dog meter token tokens billing request
            response stream budget ledger invoice customer latency throughput model context window
            prompt completion cached input output price per million usage limit account gateway
            server client retry timeout error warning HTTP JSON API SDK GPU CPU OpenAI Anthropic
            tokenizer byte pair encoding merges vocabulary ranks Unicode UTF-8 naïve café résumé
            façade coöperate email address it is we are they have you will she would can not
            hello world London Paris Tuesday November McDonald iPhone eBay YouTube JavaScript`,
        contractions: true, ends: ['.', '.', '!', '?', '...', ':', ';'], comma: ', ',
    },
    french: {
        words: `Bonjour le monde français être déjà très où garçon cœur œuvre naïve Noël façade élève
            préféré à côté s'il vous plaît aujourd'hui l'été qu'il c'est n'est jusqu'à hôpital
            forêt Ça va Où est la bibliothèque Élise Œdipe ÉCOLE crème brûlée naïveté Ève
            d'accord l'hôtel lorsqu'on presqu'île Île-de-France Besançon`,
        ends: ['\u00a0!', '\u202f?', '.', ' !', ' ?', '\u00a0:'], comma: ', ',
        quotes: ['«\u00a0', '\u00a0»'],
    },
    german: {
        words: `Straße Größe Übung Äpfel öffnen über schön Fußgänger Mädchen Bäckerei zwölf
            Weißwürste Grüße \u1e9e GROẞ Donaudampfschifffahrtsgesellschaft
            Rechtsschutzversicherungsgesellschaften und der die das nicht Käse Brötchen Ärger Öl
            Übermut heißen Abrechnung Zählerstand Schlüssel`,
        ends: ['.', '!', '?'], comma: ', ', quotes: ['„', '“'],
    },
    vietnamese: {
        words: `Tiếng Việt là ngôn ngữ chính thức của Việt Nam người đẹp quá trời ơi không được phở
            bò bánh mì Hà Nội Thành phố Hồ Chí Minh cảm ơn xin chào nghiêng ngả ướt sũng Đà Nẵng
            hướng dẫn thuế tiền đồng ĐỒNG Ưu tiên ảnh hưởng giữ gìn khuỷu tay người ngưỡng mộ`,
        ends: ['.', '!', '?'], comma: ', ', nfd: 0.5,
    },
    turkish: {
        words: `İstanbul ılık ışık Iğdır şeker çocuk öğretmen güzel teşekkür ederim İyi günler Ağaç
            KIRMIZI kırmızı İSTİKLAL istiklal Türkçe dağ Çığ ŞEHİR şehir Öğün ÜNİVERSİTE
            İzmir Diyarbakır ıspanak`,
        ends: ['.', '!', '?'], comma: ', ',
    },
    spanish: {
        words: `Dónde está la biblioteca Qué bueno niño año corazón mañana pingüino España AÑO
            acción información Perú señor ¿Cómo estás? ¡Olé! cigüeña`,
        ends: ['.', '!', '?'], comma: ', ',
    },
    polish_czech: {
        words: `Zażółć gęślą jaźń źdźbło Łódź ŻÓŁW Kraków cześć dziękuję się Příliš žluťoučký kůň
            úpěl ďábelské ódy Bună ziua mulțumesc țară Știință Þetta reddast Þórður Ångström
            Ærøskøbing Øresund`,
        ends: ['.', '!', '?'], comma: ', ',
    },
    russian: {
        words: `Привет мир как дела спасибо пожалуйста хорошо сегодня завтра счёт токен запрос ответ
            ЁЛКА ёлка Москва учёт стоимость модель ПРИВЕТ подъезд объявление съешь же ещё этих
            мягких французских булок да выпей чаю`,
        ends: ['.', '!', '?', '…'], comma: ', ', quotes: ['«', '»'],
    },
    cyrillic_other: {
        words: `їжак ґанок Євген інший Україна дякую ЇЖАК м\u2019ята пам'ять Љубав Њива Џеп Ђак
            Ћерка Қазақстан әлем Ұлы ғылым өнер үй һәм Ӏ ӏ Беларусь ў`,
        ends: ['.', '!', '?'], comma: ', ',
    },
    greek: {
        words: `Καλημέρα κόσμε ευχαριστώ παρακαλώ ΑΘΗΝΑ Αθήνα ψυχή ΣΊΣΥΦΟΣ σίσυφος ὁ ἄνθρωπος ᾠδή
            Ὀδυσσεύς ᾈδης λόγος ΛΌΓΟΣ ϊ ΐ ϋ ΰ Ελλάδα γλώσσα τιμή ᾼ ῼ ς ϐ ϑ ϕ`,
        ends: ['.', '\u037e', '!', '\u0387'], comma: ', ', nfd: 0.15,
    },
    arabic: {
        words: `مرحبا بالعالم شكرا جزيلا كيف حالك اللغة العربية كتاب مدرسة السلام عليكم الحمد لله
            كَتَبَ مُحَمَّدٌ الرَّحْمَٰنِ ـــ الذكاء الاصطناعي رمز ﻻ ﷲ ﷺ سعر`,
        ends: ['.', '؟', '!', '۔'], comma: '، ',
    },
    persian_urdu: {
        words: `سلام دنیا خیلی ممنون می\u200cخواهم فارسی کتاب‌ها گ پ چ ژ اردو شکریہ ہے میں ں ۱۴۰۳
            تهران`,
        ends: ['.', '؟', '۔'], comma: '، ',
    },
    hebrew: {
        words: `שלום עולם תודה רבה בוקר טוב ספר ילד שָׁלוֹם בְּרֵאשִׁית צ׳יפס מחיר עברית ירושלים
            ״ ־ ײַ`,
        ends: ['.', '!', '?', '׃'], comma: ', ',
    },
    syriac_thaana_nko: {
        words: `ܫܠܡܐ ܣܘܪܝܝܐ ދިވެހި ރާއްޖެ ߒߞߏ ߓߊ߲ߓߊ߲ ߁߂߃`,
        ends: ['.', '܀', '߹'], comma: ' ',
    },
    devanagari: {
        words: `नमस्ते दुनिया धन्यवाद भारत हिन्दी भाषा क्षत्रिय श्री ज्ञान कृपया क़ीमत ज़िंदगी मॉडल टोकन
            गणना है और का में ॐ १२३ नेपाल मराठी`,
        ends: [' ।', '।', ' ॥', '?'], comma: ', ',
    },
    bengali: {
        words: `আমি বাংলায় গান গাই ধন্যবাদ বাংলাদেশ ভালোবাসা কলকাতা ভাষা জ্ঞান ৳ ১২৩ ঢাকা`,
        ends: ['।', '?', '!'], comma: ', ',
    },
    tamil: {
        words: `வணக்கம் உலகம் நன்றி தமிழ் மொழி கணினி சென்னை இந்தியா ஸ்ரீ ௧௨௩ ௰`,
        ends: ['.', '?', '!'], comma: ', ',
    },
    south_indian: {
        words: `నమస్కారం తెలుగు భాష ధన్యవాదాలు ನಮಸ್ಕಾರ ಕನ್ನಡ നമസ്കാരം മലയാളം ൺ ൻ നന്ദി`,
        ends: ['.', '?'], comma: ', ',
    },
    north_indian: {
        words: `નમસ્તે ગુજરાતી ਸਤ ਸ੍ਰੀ ਅਕਾਲ ਪੰਜਾਬੀ ଓଡ଼ିଆ ଭାଷା ආයුබෝවන් සිංහල ශ්\u200dරී`,
        ends: ['.', '।', '෴'], comma: ', ',
    },
    thai: {
        words: `สวัสดี ครับ ค่ะ ภาษาไทย ขอบคุณ มาก ประเทศไทย กรุงเทพมหานคร โทเค็น ราคา น้ำ ไม่ เป็นไร
            ๑๒๓ ฯ ๆ`,
        sep: '', phraseSep: ' ', ends: ['', '฿', ' '], comma: ' ',
    },
    lao: {
        words: `ສະບາຍດີ ພາສາລາວ ຂອບໃຈ ປະເທດລາວ ວຽງຈັນ ໜ້າ ໆ ໑໒໓`,
        sep: '', phraseSep: ' ', ends: ['', ' '], comma: ' ',
    },
    khmer: {
        words: `សួស្តី ភាសាខ្មែរ អរគុណ កម្ពុជា ភ្នំពេញ ១២៣ ៘`,
        sep: '', phraseSep: ' ', ends: ['។', ' '], comma: ' ',
    },
    myanmar: {
        words: `မင်္ဂလာပါ မြန်မာ ကျေးဇူးတင်ပါတယ် ၁၂၃ ရန်ကုန်`,
        sep: '', phraseSep: ' ', ends: ['။', '၊'], comma: '၊ ',
    },
    georgian: {
        words: `გამარჯობა მსოფლიო საქართველო მადლობა თბილისი ენა ქართული ანბანი`,
        ends: ['.', '!', '?'], comma: ', ', mtavruli: 0.2,
    },
    armenian: {
        words: `Բարեւ աշխարհ Հայաստան շնորհակալություն Երևան և ԵՐԵՎԱՆ հայերեն`,
        ends: ['։', '՞', '՛', '։'], comma: ', ',
    },
    ethiopic: {
        words: `ሰላም ዓለም አመሰግናለሁ ኢትዮጵያ አማርኛ አዲስ አበባ ፩፪፫ ትግርኛ`,
        sep: '፡', ends: ['።', '፧'], comma: '፣ ',
    },
    chinese: {
        words: `你好 世界 谢谢 中华人民共和国 计算机 语言模型 令牌 计费 今天 天气 很好 我们 繁體中文 資料庫
            人工智能 北京 上海 数据 价格 输入 输出 〇 龘 \u{20000} \u{2A6A5} \u3400 \u{30000}`,
        sep: '', ends: ['。', '！', '？', '…'], comma: '，', quotes: ['「', '」'],
    },
    japanese: {
        words: `こんにちは 世界 ありがとうございます 日本語 東京 カタカナ ひらがな 漢字 トークン 計量
            ｶﾀｶﾅ ｺﾝﾆﾁﾊ ﾃﾞｰﾀ ー 々 ゝ ヽ ヾ ゞ 〃 ㍿ ㌔ がぎぐげご パ プ`,
        sep: '', ends: ['。', '！', '？'], comma: '、', nfd: 0.1, quotes: ['「', '」'],
    },
    korean: {
        words: `안녕하세요 세계 감사합니다 한국어 서울 토큰 가격 모델 인공지능 대한민국 ㄱㄴㄷ ㅋㅋㅋ ㅠㅠ`,
        ends: ['.', '!', '?'], comma: ', ', nfd: 0.2,
    },
    tibetan: {
        words: `བཀྲ ཤིས བདེ ལེགས བོད སྐད ཐུགས རྗེ ཆེ ལྷ ས ༡༢༣`,
        sep: '་', ends: ['།', '༎', '༄༅'], comma: '་',
    },
    mongolian: {
        words: `ᠮᠣᠩᠭᠣᠯ ᠪᠢᠴᠢᠭ ᠰᠠᠢᠨ ᠪᠠᠢᠨ\u180eᠠ ᠤᠯᠠᠭᠠᠨᠪᠠᠭᠠᠲᠤᠷ ᠠ\u180b ᠑᠒᠓`,
        ends: ['᠃', '᠉'], comma: '᠂ ',
    },
    cased_other: {
        words: `ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ ᎣᏏᏲ ꮳꮃꭹ ᏩᏙ \u{10414}\u{1042F}\u{10445}\u{10428}\u{10449}
            \u{1E900}\u{1E923}\u{1E924}\u{1E922}\u{1E925} ⰀⰁⰂ ⰰⰱⰲ Ա ա ǅemal ǈubav ǋ ǲ`,
        ends: ['.', '!'], comma: ', ',
    },
    historic: {
        words: `ᚠᚢᚦᚨᚱᚲ ᐃᓄᒃᑎᑐᑦ ꕙꔤ ꆈꌠꁱꂷ ꦧꦱꦗꦮ \u{10330}\u{10331}\u{10332} \u{12000}\u{12001}
            \u{13000}\u{13001} \u{1D400}\u{1D401}\u{1D402} \u{1D44E}\u{1D44F} \u{1D7D9}\u{1D7DA}`,
        ends: ['.', ':'], comma: ' ',
    },
    ogham: {
        words: `ᚁᚂᚃ ᚄᚅ ᚆᚇᚈ ᚉᚊ`,
        sep: '\u1680', ends: ['᚜'], start: '᚛', comma: '\u1680',
    },
};
const SCRIPT_NAMES = Object.keys(SCRIPTS);
for (const s of SCRIPT_NAMES) SCRIPTS[s].list = SCRIPTS[s].words.trim().split(/\s+/);

const CONTRACTION_WORDS = [
    "don't", "it's", "I'm", "we're", "they've", "you'll", "she'd", "can't", "won't", "isn't",
    "Let's", "O'Brien", "rock'n'roll", "'90s", "y'all", "ma'am", "o'clock", "DON'T", "IT'S",
    "WE'RE", "THEY'VE", "YOU'LL", "SHE'D", "I'M", "We'Re", "tHeY'rE", "It'S", "you'Ll", "I'D",
    "don\u2019t", "it\u2019s", "we\u2019re", "that\u02bcs", "it\uff07s", "it'\u017f", "IT'\u017f",
    "x'\u017ft", "John's", "JOHN'S", "the '80s", "'tis", "'twas", "'em", "'round",
];
const APOSTROPHES = ["'", "'", "'", '\u2019', '\u2018', '\u02bc', '\uff07', '`', '\u00b4'];
const CONTRACTION_SUFFIXES = ['s', 'S', 't', 'T', 're', 'RE', 'Re', 'rE', 've', 'VE', 'Ve',
                              'm', 'M', 'll', 'LL', 'Ll', 'lL', 'd', 'D', '\u017f', '\u017ft',
                              'sa', 'tt', 'rex', 'vex', 'mm', 'lll', 'dd', 'x', '', 'S\u0301',
                              's1', 'ss'];

/* Capitalize the first letter of s (stable for the fixed word lists). */
function capitalize(s) {
    const first = String.fromCodePoint(s.codePointAt(0));
    return first.toUpperCase() + s.slice(first.length);
}

/* Georgian Mkhedruli (U+10D0..10FA) to Mtavruli capitals (U+1C90..1CBA). */
function mtavruli(s) {
    return Array.from(s, (ch) => {
        const cp = ch.codePointAt(0);
        return cp >= 0x10d0 && cp <= 0x10fa ? String.fromCodePoint(cp - 0x10d0 + 0x1c90) : ch;
    }).join('');
}

/* One sentence of script `name`. */
function sentence(rng, name) {
    const sc = SCRIPTS[name];
    const sep = sc.sep === undefined ? ' ' : sc.sep;
    const n = rng.range(2, 14);
    let s = sc.start || '';
    for (let i = 0; i < n; i++) {
        let w = rng.pick(sc.list);
        if (sc.contractions && rng.chance(0.15)) w = rng.pick(CONTRACTION_WORDS);
        s += w;
        if (i + 1 < n) {
            if (rng.chance(0.1)) s += sc.comma;
            else if (sc.phraseSep && rng.chance(0.25)) s += sc.phraseSep;
            else s += sep;
        }
    }
    if (sep === ' ' && rng.chance(0.6)) s = capitalize(s);
    if (sc.quotes && rng.chance(0.15)) s = sc.quotes[0] + s + sc.quotes[1];
    s += rng.pick(sc.ends);
    const style = rng.float();
    if (style < 0.05) s = s.toUpperCase();
    else if (style < 0.08) s = s.toLowerCase();
    else if (style < 0.11) s = s.split(' ').map((w) => (w ? capitalize(w) : w)).join(' ');
    if (sc.mtavruli && rng.chance(sc.mtavruli)) s = mtavruli(s);
    if (sc.nfd && rng.chance(sc.nfd)) s = s.normalize('NFD');
    return s;
}

/* A paragraph (1-6 sentences) in one script. */
function paragraph(rng, name) {
    const sc = SCRIPTS[name];
    const n = rng.range(1, 6);
    const parts = [];
    for (let i = 0; i < n; i++) parts.push(sentence(rng, name));
    const joiner = sc.sep === '' ? rng.pick(['', '', ' ']) : ' ';
    return parts.join(joiner);
}

/* Prose in one script, paragraphs separated by blank lines or newlines. */
function genProse(rng, name) {
    name = name || rng.pick(SCRIPT_NAMES);
    const n = rng.range(1, 5);
    const out = [];
    for (let i = 0; i < n; i++) out.push(paragraph(rng, name));
    return out.join(rng.pick(['\n\n', '\n', '\r\n\r\n', ' \n', '\n\n\n']));
}

/* Several scripts mixed sentence by sentence or word by word. */
function genMixedProse(rng) {
    const n = rng.range(2, 8);
    const out = [];
    for (let i = 0; i < n; i++) {
        const name = rng.pick(SCRIPT_NAMES);
        if (rng.chance(0.5)) out.push(sentence(rng, name));
        else out.push(rng.pick(SCRIPTS[name].list));
    }
    return out.join(rng.pick([' ', ' ', '', '\n', ', ', ' - ']));
}

/* ------------------------------------------------------- code and data */

const IDENTS = `count buf len size ptr next prev node tree key value result err ctx opts config
    parse_header tokenize encode decode merge rank vocab piece bytes text out items index
    userId orderTotal maxTokens HTTPServer getURL parseJSON XMLHttpRequest _private __dunder
    snake_case kebab camelCase PascalCase SCREAMING_CASE i j k n x y z tmp data2 naïve_var
    größe π Δt`.trim().split(/\s+/);
const C_TYPES = ['int', 'size_t', 'uint32_t', 'const char *', 'struct tm_encoding *', 'double',
                 'unsigned long long', 'bool', 'void *', 'int64_t'];
const STRINGS = () => [
    'hello, world', 'Grüße aus München', 'naïve café', '日本語テキスト', 'emoji 🚀 launch',
    'path/to/file.txt', 'C:\\\\Users\\\\admin', 'tab\\there', 'quote \\"inner\\"', '%s: %d',
    "it's fine", 'SELECT * FROM t', '<|endoftext|>', 'Привет', 'مرحبا', '   padded   ',
];

function ident(rng) {
    return rng.pick(IDENTS);
}

function indentUnit(rng) {
    return rng.pick(['\t', '    ', '  ', '        ']);
}

function num(rng) {
    return rng.weighted([
        [4, () => String(rng.int(10))], [4, () => String(rng.int(1000))],
        [2, () => String(rng.int(4294967296))], [1, () => '0x' + rng.u32().toString(16)],
        [1, () => (rng.float() * 1000).toFixed(rng.range(1, 6))], [1, () => '1e-' + rng.range(1, 30)],
        [1, () => '-' + rng.int(100000)], [1, () => String(rng.u32()) + String(rng.u32())],
    ])();
}

function genC(rng) {
    const I = indentUnit(rng);
    const fn = ident(rng), a = ident(rng), b = ident(rng);
    const lines = [
        `/*`,
        ` * ${sentence(rng, 'english')}`,
        ` * ${rng.chance(0.3) ? sentence(rng, rng.pick(SCRIPT_NAMES)) : 'Returns 0 or a negative TM_E* code.'}`,
        ` */`,
        `#include <${rng.pick(['stdio', 'stdint', 'string', 'errno', 'tokenmeter/tokenize'])}.h>`,
        `#define ${ident(rng).toUpperCase()}_MAX ${num(rng)}`,
        ``,
        `static ${rng.pick(C_TYPES)} ${fn}(${rng.pick(C_TYPES)} ${a}, size_t ${b})`,
        `{`,
        `${I}if (${a} == NULL || ${b} == 0)`,
        `${I}${I}return -EINVAL;`,
        `${I}for (size_t i = 0; i < ${b}; i++) {`,
        `${I}${I}if (${a}[i] == '\\n' && i + 1 < ${b}) {`,
        `${I}${I}${I}${ident(rng)} += ${num(rng)}; // ${sentence(rng, 'english')}`,
        `${I}${I}} else if ((${a}[i] & 0xC0) != 0x80) {`,
        `${I}${I}${I}goto out;`,
        `${I}${I}}`,
        `${I}}`,
        `${I}printf("${rng.pick(STRINGS())}\\n", __func__, ${b});`,
        `out:`,
        `${I}return ${a}->${ident(rng)} ? ${a}->${ident(rng)}[${num(rng)}] : 0;`,
        `}`,
    ];
    return lines.join(rng.chance(0.2) ? '\r\n' : '\n') + '\n';
}

function genPython(rng) {
    const I = rng.pick(['    ', '  ', '\t']);
    const lines = [
        `#!/usr/bin/env python3`,
        `# -*- coding: utf-8 -*-`,
        `"""${sentence(rng, rng.pick(['english', 'french', 'chinese', 'russian']))}"""`,
        `import os, sys, json`,
        `from typing import Dict, List`,
        ``,
        `@dataclass(frozen=True)`,
        `class ${capitalize(ident(rng).replace(/[^A-Za-z]/g, '') || 'Meter')}:`,
        `${I}${ident(rng)}: int = ${num(rng)}`,
        ``,
        `${I}def ${ident(rng)}(self, ${ident(rng)}: str, *args, **kwargs) -> List[int]:`,
        `${I}${I}'''Docstring with 'quotes' and it's contractions.'''`,
        `${I}${I}${ident(rng)} = [x ** 2 for x in range(${num(rng)}) if x % 3 != 0]`,
        `${I}${I}return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}`,
        ``,
        `def main(argv=None):`,
        `${I}name = f"{argv[0]!r:>10} — ${rng.pick(STRINGS())} {{literal}}"`,
        `${I}if name and len(name) >= ${num(rng)}:  # ${sentence(rng, 'english')}`,
        `${I}${I}print(name, end="\\n", file=sys.stderr)`,
        `${I}elif not name:`,
        `${I}${I}raise ValueError('bad value: %s' % name)`,
        `${I}return 0`,
        ``,
        `if __name__ == "__main__":`,
        `${I}sys.exit(main(sys.argv))`,
    ];
    return lines.join('\n') + '\n';
}

function genJs(rng) {
    const I = rng.pick(['  ', '    ', '\t']);
    const lines = [
        `'use strict';`,
        `// ${sentence(rng, 'english')}`,
        `const ${ident(rng)} = require('${rng.pick(['fs', 'path', 'tiktoken', './lib'])}');`,
        `export async function ${ident(rng)}(${ident(rng)}, { ${ident(rng)} = ${num(rng)}, ...rest } = {}) {`,
        `${I}const re = /^(?:[a-z]+|\\d{1,3})\\s*$/giu;`,
        `${I}let total = 0n;`,
        `${I}for (const [k, v] of Object.entries(rest ?? {})) {`,
        `${I}${I}if (v?.length !== undefined && v.length >= ${num(rng)}) total += BigInt(v.length);`,
        `${I}${I}else if (typeof v === 'string') console.log(\`\${k}: \${v} — ${rng.pick(STRINGS())}\`);`,
        `${I}}`,
        `${I}const res = await fetch(\`https://api.example.com/v1/\${encodeURIComponent(k)}?q=%E2%9C%93&n=${num(rng)}\`);`,
        `${I}return res.ok ? JSON.stringify({ total: String(total), ok: true }, null, 2) : null;`,
        `}`,
        `module.exports = { ${ident(rng)}, ${ident(rng)}: () => void 0 };`,
    ];
    return lines.join('\n') + '\n';
}

function jsonValue(rng, depth) {
    const r = rng.float();
    if (depth > 3 || r < 0.45) {
        return rng.weighted([
            [3, () => JSON.stringify(rng.chance(0.5) ? sentence(rng, rng.pick(SCRIPT_NAMES)) : rng.pick(STRINGS()))],
            [1, () => JSON.stringify(sentence(rng, rng.pick(SCRIPT_NAMES))).replace(/[^\x00-\x7f]/g,
                (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))],
            [2, () => num(rng)], [1, () => 'true'], [1, () => 'false'], [1, () => 'null'],
        ])();
    }
    if (r < 0.7) {
        const n = rng.range(0, 5);
        const items = [];
        for (let i = 0; i < n; i++) items.push(jsonValue(rng, depth + 1));
        return '[' + items.join(', ') + ']';
    }
    const n = rng.range(0, 6);
    const items = [];
    for (let i = 0; i < n; i++) items.push(JSON.stringify(ident(rng)) + ': ' + jsonValue(rng, depth + 1));
    return '{' + items.join(', ') + '}';
}

function genJson(rng) {
    const v = jsonValue(rng, 0);
    if (rng.chance(0.5)) return v;
    try {
        return JSON.stringify(JSON.parse(v), null, rng.pick([2, 4, '\t']));
    } catch (e) {
        return v;
    }
}

function genYaml(rng) {
    const I = rng.pick(['  ', '    ']);
    return [
        `# ${sentence(rng, 'english')}`,
        `version: "3.${rng.int(10)}"`,
        `services:`,
        `${I}${ident(rng)}:`,
        `${I}${I}image: "registry.example.com/${ident(rng)}:${num(rng)}"`,
        `${I}${I}environment:`,
        `${I}${I}${I}- TOKENMETER_VOCAB_DIR=/var/lib/tokenmeter`,
        `${I}${I}${I}- GREETING=${sentence(rng, rng.pick(SCRIPT_NAMES))}`,
        `${I}${I}ports: [ "8080:80", '443:443' ]`,
        `anchors: &defaults`,
        `${I}retries: ${num(rng)}`,
        `${I}description: |`,
        `${I}${I}${sentence(rng, 'english')}`,
        `${I}${I}${sentence(rng, rng.pick(SCRIPT_NAMES))}`,
        `other: *defaults`,
        `empty: ~`,
        `---`,
    ].join('\n') + '\n';
}

function genShell(rng) {
    return [
        `#!/bin/sh`,
        `set -euo pipefail`,
        `# ${sentence(rng, 'english')}`,
        `VOCAB_DIR="\${TOKENMETER_VOCAB_DIR:-$HOME/.cache/tokenmeter}"`,
        `for f in "$VOCAB_DIR"/*.tiktoken; do`,
        `\tn=$(wc -l < "$f" | tr -d ' ')`,
        `\tprintf '%s\\t%d\\n' "$(basename "$f" .tiktoken)" "$n"`,
        `done | sort -k2 -n | awk '{ sum += $2 } END { print sum }' 2>&1 >/dev/null`,
        `cat <<'EOF' | sed -e 's/a/b/g' -e "s|/usr|/opt|"`,
        sentence(rng, rng.pick(SCRIPT_NAMES)),
        `EOF`,
        `[ -x ./build/tokenmeter ] && ./build/tokenmeter count --model gpt-4o < input.txt || exit ${rng.int(128)}`,
    ].join('\n') + '\n';
}

function genHtml(rng) {
    const lang = rng.pick(['en', 'fr', 'ja', 'ar', 'he', 'zh-Hans', 'ru']);
    return [
        `<!DOCTYPE html>`,
        `<html lang="${lang}" dir="${lang === 'ar' || lang === 'he' ? 'rtl' : 'ltr'}">`,
        `<head><meta charset="utf-8"><title>${sentence(rng, rng.pick(SCRIPT_NAMES))}</title>`,
        `<style>body{font:14px/1.4 system-ui}.x>p::before{content:"\\201C"}</style></head>`,
        `<body>`,
        `  <p class="x" data-n="${num(rng)}">${sentence(rng, 'english')} &amp; &lt;tag&gt; &#x1F600; &nbsp;&copy;</p>`,
        `  <!-- ${sentence(rng, rng.pick(SCRIPT_NAMES))} -->`,
        `  <a href="https://example.com/search?q=%E6%97%A5%E6%9C%AC&amp;lang=${lang}">${sentence(rng, rng.pick(SCRIPT_NAMES))}</a>`,
        `  <script>document.querySelectorAll('p').forEach(p => p.textContent += " ✓");</script>`,
        `</body></html>`,
    ].join(rng.chance(0.3) ? '\r\n' : '\n');
}

function genSql(rng) {
    return `SELECT u.id, u.name, SUM(t.input_tokens) AS input_tokens, COUNT(*) AS n\n` +
        `FROM usage t JOIN users u ON u.id = t.user_id\n` +
        `WHERE t.created_at >= '2025-0${rng.range(1, 9)}-01' AND u.name LIKE '%${rng.pick(SCRIPTS.french.list)}%'\n` +
        `GROUP BY 1, 2 HAVING n > ${num(rng)} ORDER BY input_tokens DESC LIMIT ${rng.int(100)};\n`;
}

function genMarkdown(rng) {
    return [
        `# ${sentence(rng, 'english')}`,
        ``,
        `| model | input | output |`,
        `|-------|------:|-------:|`,
        `| gpt-4o | $${(rng.float() * 10).toFixed(2)} | $${(rng.float() * 20).toFixed(2)} |`,
        ``,
        `* **bold** _italic_ \`code\` ~~strike~~ [link](http://example.com/a_b_(c))`,
        `1. ${sentence(rng, rng.pick(SCRIPT_NAMES))}`,
        `> ${sentence(rng, 'english')}`,
        '```diff',
        `--- a/src/tokenize/bpe.c`,
        `+++ b/src/tokenize/bpe.c`,
        `@@ -${rng.int(500)},7 +${rng.int(500)},8 @@ static int merge(struct piece *p)`,
        `-    if (rank < best) {`,
        `+    if (rank <= best && rank != UINT32_MAX) {`,
        '```',
    ].join('\n') + '\n';
}

function genLog(rng) {
    const lines = [];
    const n = rng.range(3, 30);
    for (let i = 0; i < n; i++) {
        const ts = `2025-${String(rng.range(1, 12)).padStart(2, '0')}-${String(rng.range(1, 28)).padStart(2, '0')}T` +
            `${String(rng.int(24)).padStart(2, '0')}:${String(rng.int(60)).padStart(2, '0')}:` +
            `${String(rng.int(60)).padStart(2, '0')}.${String(rng.int(1000000)).padStart(6, '0')}Z`;
        const ip = `${rng.int(256)}.${rng.int(256)}.${rng.int(256)}.${rng.int(256)}`;
        const uuid = [8, 4, 4, 4, 12].map((k) => Array.from({ length: k }, () => rng.int(16).toString(16)).join('')).join('-');
        lines.push(rng.weighted([
            [3, () => `${ts} ${rng.pick(['INFO', 'WARN', 'ERROR', 'DEBUG'])} [${ident(rng)}] req=${uuid} ip=${ip} tokens=${num(rng)} ms=${(rng.float() * 900).toFixed(3)}`],
            [1, () => `${ip} - - [24/Nov/2025:23:${rng.int(60)}:00 +0000] "POST /v1/chat/completions HTTP/1.1" ${rng.pick([200, 400, 429, 500])} ${rng.int(99999)} "-" "curl/8.5.0"`],
            [1, () => `${ident(rng)},${num(rng)},"${sentence(rng, rng.pick(SCRIPT_NAMES)).replace(/"/g, '""')}",${num(rng)}`],
            [1, () => Buffer.from(sentence(rng, rng.pick(SCRIPT_NAMES))).toString('base64')],
            [1, () => Array.from({ length: 16 }, () => rng.int(256).toString(16).padStart(2, '0')).join(' ')],
        ])());
    }
    return lines.join(rng.chance(0.2) ? '\r\n' : '\n') + '\n';
}

/* Base64 of UTF-8 text as an RFC 2047 encoded word. */
function encodedWord(s) {
    return '=?UTF-8?B?' + Buffer.from(s, 'utf8').toString('base64') + '?=';
}

/* Quoted-printable encoding of UTF-8 text, soft line breaks at 76. */
function quotedPrintable(s) {
    let out = '', line = '';
    for (const b of Buffer.from(s, 'utf8')) {
        const t = (b >= 33 && b <= 126 && b !== 61) || b === 32 ? String.fromCharCode(b)
            : '=' + b.toString(16).toUpperCase().padStart(2, '0');
        if (line.length + t.length > 75) {
            out += line + '=\r\n';
            line = '';
        }
        line += t;
    }
    return out + line;
}

function genEmail(rng) {
    const names = ['Zoë Müller', 'José Álvarez', '山田太郎', 'Иван Петров', 'O\'Neil, Sean', 'Ana-María',
                   'François Lefèvre', 'محمد علي', 'Jane Doe'];
    const domains = ['example.com', 'mail.example.org', 'xn--mnchen-3ya.de', '例え.jp', 'tokenmeter.dev'];
    const user = () => ident(rng).toLowerCase().replace(/[^a-z0-9_.]/g, '') || 'user';
    const subj = sentence(rng, rng.pick(SCRIPT_NAMES));
    const body = [];
    const n = rng.range(1, 4);
    body.push(`Hi ${rng.pick(names)},`, '');
    for (let i = 0; i < n; i++) body.push(paragraph(rng, rng.pick(['english', 'english', 'french', 'german', 'japanese', 'russian'])), '');
    body.push(`> ${sentence(rng, 'english')}`, `>> ${sentence(rng, 'english')}`, '> ', '-- ', rng.pick(names),
              `Tel: +${rng.range(1, 99)} ${rng.int(1000)} ${rng.int(10000000)}`);
    const qp = rng.chance(0.4);
    const headers = [
        `Return-Path: <${user()}@${rng.pick(domains)}>`,
        `Received: from mx${rng.int(10)}.${rng.pick(domains)} ([10.${rng.int(256)}.${rng.int(256)}.${rng.int(256)}])`,
        `\tby smtp.example.com with ESMTPS id ${rng.u32().toString(36)}; Mon, 24 Nov 2025 23:${rng.int(60)}:01 +0100`,
        `From: "${rng.pick(names)}" <${user()}@${rng.pick(domains)}>`,
        `To: ${user()}@${rng.pick(domains)}, ${encodedWord(rng.pick(names))} <${user()}@${rng.pick(domains)}>`,
        `Subject: ${rng.pick(['', 'Re: ', 'Fwd: ', 'RE: AW: '])}${rng.chance(0.5) ? encodedWord(subj) : subj}`,
        `Date: Mon, 24 Nov 2025 23:29:01 +0100`,
        `Message-ID: <${rng.u32().toString(16)}.${rng.u32().toString(16)}@${rng.pick(domains)}>`,
        `MIME-Version: 1.0`,
        `Content-Type: text/plain; charset="utf-8"; format=flowed`,
        `Content-Transfer-Encoding: ${qp ? 'quoted-printable' : '8bit'}`,
        `X-Spam-Score: ${(rng.float() * 10 - 5).toFixed(1)}`,
    ];
    const text = body.join('\r\n');
    return headers.join('\r\n') + '\r\n\r\n' + (qp ? quotedPrintable(text) : text) + '\r\n';
}

function genCode(rng) {
    return rng.weighted([[3, genC], [3, genPython], [3, genJs], [2, genJson], [2, genYaml],
                         [2, genShell], [2, genHtml], [1, genSql], [1, genMarkdown]])(rng);
}

/* ---------------------------------------------------------------- emoji */

const cps = (...a) => String.fromCodePoint(...a);
const ZWJ = '\u200d', VS16 = '\ufe0f', VS15 = '\ufe0e';
const EMOJI_BASE = [0x1f600, 0x1f602, 0x1f923, 0x2764, 0x1f44d, 0x1f525, 0x2728, 0x1f389, 0x1f64f,
                    0x1f4af, 0x1f680, 0x1f30d, 0x1f355, 0x2615, 0x26a1, 0x2705, 0x274c, 0x2b50,
                    0x1f914, 0x1f9d1, 0x1f468, 0x1f469, 0x1f466, 0x1f467, 0x1f44b, 0x1f91d,
                    0x1fae0, 0x1f972, 0x263a, 0x00a9, 0x2122, 0x2194, 0x1f1e6];
const SKIN = [0x1f3fb, 0x1f3fc, 0x1f3fd, 0x1f3fe, 0x1f3ff];
const EMOJI_SEQ = [
    cps(0x1f468) + ZWJ + cps(0x1f469) + ZWJ + cps(0x1f467) + ZWJ + cps(0x1f466),
    cps(0x1f469) + ZWJ + cps(0x1f4bb),
    cps(0x1f9d1, 0x1f3fd) + ZWJ + cps(0x1f680),
    cps(0x1f3f3) + VS16 + ZWJ + cps(0x1f308),
    cps(0x1f3f3) + VS16 + ZWJ + cps(0x26a7) + VS16,
    cps(0x2764) + VS16 + ZWJ + cps(0x1f525),
    cps(0x1f441) + VS16 + ZWJ + cps(0x1f5e8) + VS16,
    cps(0x1f9d4) + ZWJ + cps(0x2640) + VS16,
    cps(0x1f469, 0x1f3fe) + ZWJ + cps(0x2764) + VS16 + ZWJ + cps(0x1f48b) + ZWJ + cps(0x1f468, 0x1f3fb),
    cps(0x1f3f4, 0xe0067, 0xe0062, 0xe0073, 0xe0063, 0xe0074, 0xe007f),
    cps(0x1f3f4, 0xe0067, 0xe0062, 0xe0065, 0xe006e, 0xe0067, 0xe007f),
    '1' + VS16 + '\u20e3', '#' + VS16 + '\u20e3', '*' + VS16 + '\u20e3', '7\u20e3', '0' + VS16 + '\u20e3',
    cps(0x263a) + VS15, cps(0x2764) + VS15, '\u00a9' + VS16, '\u2122' + VS16,
];
const FLAGS = ['US', 'FR', 'DE', 'JP', 'BR', 'IN', 'UA', 'ZA', 'KR', 'EU', 'UN', 'XK'];

function flag(code) {
    return Array.from(code, (c) => cps(0x1f1e6 + c.charCodeAt(0) - 65)).join('');
}

function emoji(rng) {
    return rng.weighted([
        [4, () => cps(rng.pick(EMOJI_BASE))],
        [2, () => cps(rng.pick([0x1f44d, 0x1f44b, 0x1f64f, 0x1f9d1, 0x1f469, 0x270c, 0x1f91d]), rng.pick(SKIN))],
        [3, () => rng.pick(EMOJI_SEQ)],
        [2, () => flag(rng.pick(FLAGS))],
        [1, () => cps(0x1f1e6 + rng.int(26))],
        [1, () => cps(rng.pick(SKIN))],
        [1, () => ZWJ],
        [1, () => cps(rng.range(0x1f300, 0x1faff))],
    ])();
}

function genEmoji(rng) {
    const n = rng.range(3, 60);
    let s = '';
    for (let i = 0; i < n; i++) {
        s += rng.weighted([
            [4, () => emoji(rng)],
            [2, () => ' '],
            [2, () => rng.pick(SCRIPTS.english.list) + ' '],
            [1, () => rng.pick(CONTRACTION_WORDS)],
            [1, () => '\n'],
            [1, () => String(rng.int(100))],
            [1, () => emoji(rng) + "'s"],
        ])();
    }
    return s;
}

/* ------------------------------------------------------ character pools */

/*
 * Hand-picked code point ranges per general category, as [lo, hi] pairs
 * (inclusive). They need not be exhaustive: they feed the random string
 * generator with characters of each class the split patterns care about.
 */
const POOLS = {
    Lu: [[0x41, 0x5a], [0xc0, 0xd6], [0xd8, 0xde], [0x391, 0x3a1], [0x3a3, 0x3a9], [0x400, 0x42f],
         [0x531, 0x556], [0x10a0, 0x10c5], [0x13a0, 0x13f5], [0x1c90, 0x1cba], [0xff21, 0xff3a],
         [0x1d400, 0x1d419], [0x10400, 0x10427], [0x1e900, 0x1e921], [0x2c00, 0x2c2f],
         [0x1f08, 0x1f0f], [0x100, 0x100], [0x102, 0x102], [0x1e9e, 0x1e9e], [0x2102, 0x2102]],
    Ll: [[0x61, 0x7a], [0xdf, 0xf6], [0xf8, 0xff], [0x3b1, 0x3c9], [0x430, 0x45f], [0x561, 0x587],
         [0x2d00, 0x2d25], [0xab70, 0xabbf], [0xff41, 0xff5a], [0x1d41a, 0x1d433],
         [0x10428, 0x1044f], [0x1e922, 0x1e943], [0x2c30, 0x2c5f], [0x1d00, 0x1d2b],
         [0x250, 0x2af], [0x17f, 0x17f], [0x101, 0x101], [0xfb00, 0xfb06]],
    Lt: [[0x1c5, 0x1c5], [0x1c8, 0x1c8], [0x1cb, 0x1cb], [0x1f2, 0x1f2], [0x1f88, 0x1f8f],
         [0x1f98, 0x1f9f], [0x1fa8, 0x1faf], [0x1fbc, 0x1fbc], [0x1fcc, 0x1fcc], [0x1ffc, 0x1ffc]],
    Lm: [[0x2b0, 0x2c1], [0x2c6, 0x2d1], [0x2e0, 0x2e4], [0x2ec, 0x2ec], [0x2ee, 0x2ee],
         [0x374, 0x374], [0x37a, 0x37a], [0x559, 0x559], [0x640, 0x640], [0x6e5, 0x6e6],
         [0x7f4, 0x7f5], [0xe46, 0xe46], [0xec6, 0xec6], [0x10fc, 0x10fc], [0x17d7, 0x17d7],
         [0x1843, 0x1843], [0x1d2c, 0x1d6a], [0x2071, 0x2071], [0x207f, 0x207f],
         [0x2090, 0x209c], [0x3005, 0x3005], [0x3031, 0x3035], [0x309d, 0x309e],
         [0x30fc, 0x30fe], [0xa015, 0xa015], [0xff70, 0xff70], [0xff9e, 0xff9f],
         [0x16f93, 0x16f9f]],
    Lo: [[0x5d0, 0x5ea], [0x620, 0x63f], [0x641, 0x64a], [0x905, 0x939], [0x985, 0x98c],
         [0xb85, 0xb8a], [0xe01, 0xe30], [0xe81, 0xe82], [0x1780, 0x17b3], [0x1200, 0x1248],
         [0x4e00, 0x9fff], [0x3041, 0x3096], [0x30a1, 0x30fa], [0xac00, 0xd7a3], [0x1100, 0x115f],
         [0xf40, 0xf47], [0x1820, 0x1878], [0x20000, 0x2a6df], [0x10000, 0x1000b],
         [0xa000, 0xa48c], [0x1e800, 0x1e8c4], [0x30000, 0x3134a], [0xaa, 0xaa], [0xba, 0xba],
         [0x1bc0, 0x1be5], [0xa840, 0xa873]],
    M: [[0x300, 0x36f], [0x483, 0x489], [0x591, 0x5bd], [0x610, 0x61a], [0x64b, 0x65f],
        [0x93a, 0x93c], [0x93e, 0x94f], [0x981, 0x983], [0xe31, 0xe31], [0xe34, 0xe3a],
        [0xe47, 0xe4e], [0x17b4, 0x17d3], [0x1ab0, 0x1ace], [0x1dc0, 0x1dff], [0x20d0, 0x20f0],
        [0xfe00, 0xfe0f], [0xfe20, 0xfe2f], [0x1d165, 0x1d169], [0xe0100, 0xe01ef],
        [0x302a, 0x302f], [0x3099, 0x309a], [0x1f3b, 0x1f3b], [0x180b, 0x180d], [0x34f, 0x34f]],
    Nd: [[0x30, 0x39], [0x660, 0x669], [0x6f0, 0x6f9], [0x7c0, 0x7c9], [0x966, 0x96f],
         [0x9e6, 0x9ef], [0xa66, 0xa6f], [0xae6, 0xaef], [0xb66, 0xb6f], [0xbe6, 0xbef],
         [0xc66, 0xc6f], [0xce6, 0xcef], [0xd66, 0xd6f], [0xe50, 0xe59], [0xed0, 0xed9],
         [0xf20, 0xf29], [0x1040, 0x1049], [0x17e0, 0x17e9], [0x1810, 0x1819], [0xff10, 0xff19],
         [0x104a0, 0x104a9], [0x1d7ce, 0x1d7ff], [0x1e950, 0x1e959], [0x1fbf0, 0x1fbf9]],
    Nl: [[0x16ee, 0x16f0], [0x2160, 0x2182], [0x2185, 0x2188], [0x3007, 0x3007], [0x3021, 0x3029],
         [0x3038, 0x303a], [0xa6e6, 0xa6ef], [0x10140, 0x10174], [0x10341, 0x10341],
         [0x1034a, 0x1034a], [0x103d1, 0x103d5], [0x12400, 0x1246e]],
    No: [[0xb2, 0xb3], [0xb9, 0xb9], [0xbc, 0xbe], [0x9f4, 0x9f9], [0xbf0, 0xbf2], [0xf2a, 0xf33],
         [0x1369, 0x137c], [0x2070, 0x2070], [0x2074, 0x2079], [0x2080, 0x2089], [0x2150, 0x215f],
         [0x2460, 0x249b], [0x24ea, 0x24ff], [0x2776, 0x2793], [0x3192, 0x3195], [0x3220, 0x3229],
         [0x3248, 0x324f], [0x3251, 0x325f], [0x3280, 0x3289], [0x10107, 0x10133],
         [0x1f100, 0x1f10c]],
    P: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e], [0xa1, 0xbf], [0xd7, 0xd7],
        [0xf7, 0xf7], [0x2010, 0x2027], [0x2030, 0x205e], [0x2190, 0x21ff], [0x2200, 0x22ff],
        [0x2500, 0x257f], [0x3001, 0x3003], [0x300c, 0x3011], [0xff01, 0xff0f], [0x1f300, 0x1f5ff],
        [0x2600, 0x26ff], [0x55a, 0x55f], [0x60c, 0x60d], [0x964, 0x965], [0x2e80, 0x2e99]],
    Cf: [[0x200b, 0x200f], [0x2060, 0x2064], [0xfeff, 0xfeff], [0xad, 0xad], [0x180e, 0x180e],
         [0x61c, 0x61c], [0x202a, 0x202e], [0x2066, 0x2069], [0xe0001, 0xe0001], [0xe0020, 0xe007f],
         [0xfff9, 0xfffb], [0x110bd, 0x110bd]],
    Cc: [[0x0, 0x8], [0xe, 0x1f], [0x7f, 0x84], [0x86, 0x9f]],
    PUA: [[0xe000, 0xf8ff], [0xf0000, 0xffffd], [0x100000, 0x10fffd]],
    Nonchar: [[0xfdd0, 0xfdef], [0xfffe, 0xffff], [0x1fffe, 0x1ffff], [0x2fffe, 0x2ffff],
              [0x10fffe, 0x10ffff], [0xefffe, 0xeffff]],
    Unassigned: [[0x378, 0x379], [0x380, 0x383], [0x2fe0, 0x2fef], [0x40000, 0xdffff],
                 [0x2ebf0, 0x2ee5d], [0x31350, 0x323af], [0xa7cb, 0xa7cf], [0x10d40, 0x10d8f],
                 [0x1fa70, 0x1faff], [0x11f00, 0x11f5f], [0x1e4d0, 0x1e4f9], [0x16d40, 0x16d79]],
};
const WHITE_SPACE = ['\t', '\n', '\v', '\f', '\r', ' ', '\u0085', '\u00a0', '\u1680', '\u2000',
                     '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007',
                     '\u2008', '\u2009', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000'];
/* Format and separator characters that look like space but are not White_Space. */
const NOT_WHITE_SPACE = ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u180e', '\u00ad',
                         '\u034f', '\u061c', '\u2061', '\u001c', '\u001d', '\u001e', '\u001f'];

/* A random code point from one of the ranges of pool name. */
function fromPool(rng, name) {
    const ranges = POOLS[name];
    const [lo, hi] = rng.pick(ranges);
    return cps(rng.range(lo, hi));
}

/* A random scalar value from a random plane (0..16), any assignment. */
function anyPlane(rng) {
    for (;;) {
        const plane = rng.weighted([[6, 0], [3, 1], [2, 2], [2, 3], [1, 14], [1, 15], [1, 16],
                                    [2, rng.range(4, 13)]]);
        const cp = plane * 0x10000 + rng.int(0x10000);
        if (cp < 0xd800 || cp > 0xdfff) return cps(cp);
    }
}

/* ----------------------------------------------------- targeted themes */

function genCombining(rng) {
    const n = rng.range(2, 40);
    let s = '';
    const mark = () => fromPool(rng, 'M');
    const stack = () => {
        let t = '';
        for (let i = rng.range(1, rng.chance(0.2) ? 30 : 5); i > 0; i--) t += mark();
        return t;
    };
    for (let i = 0; i < n; i++) {
        s += rng.weighted([
            [4, () => rng.pick(SCRIPTS.english.list) + stack()],
            [2, () => ' ' + stack()],
            [2, () => String(rng.int(1000)) + stack()],
            [2, () => rng.pick(['.', ',', '!', '"', '(', '-', '/', '<', '|', '$']) + stack()],
            [1, () => '\n' + stack()],
            [1, () => "'" + stack() + 's'],
            [1, () => "'s" + stack()],
            [1, () => emoji(rng) + stack()],
            [1, () => stack()],
            [1, () => fromPool(rng, 'Lu') + stack() + fromPool(rng, 'Ll')],
            [1, () => fromPool(rng, 'Ll') + stack() + fromPool(rng, 'Lu')],
            [1, () => 'A\u20dd B\u20de 1\u20e3'],
            [1, () => '\t' + stack() + '\u3000' + stack()],
            [1, () => sentence(rng, rng.pick(SCRIPT_NAMES)).normalize('NFD')],
        ])();
        s += rng.pick(['', ' ', '  ', '\n']);
    }
    return s;
}

function wsRun(rng, max) {
    let s = '';
    const n = rng.range(1, max);
    const kind = rng.int(4);
    for (let i = 0; i < n; i++) {
        if (kind === 0) s += ' ';
        else if (kind === 1) s += rng.pick(['\n', '\r\n', ' ', '\t']);
        else s += rng.pick(WHITE_SPACE);
    }
    return s;
}

function genWhitespace(rng) {
    const n = rng.range(2, 40);
    let s = rng.chance(0.3) ? wsRun(rng, 10) : '';
    for (let i = 0; i < n; i++) {
        s += rng.weighted([
            [4, () => rng.pick(SCRIPTS.english.list)],
            [1, () => rng.pick(SCRIPTS[rng.pick(SCRIPT_NAMES)].list)],
            [2, () => String(rng.int(100000))],
            [2, () => rng.pick(['.', ',', '!', '?', '"', '(', ')', '-', '/', '{', '}', '<|endoftext|>'])],
            [1, () => rng.pick(NOT_WHITE_SPACE)],
            [1, () => "'s"],
            [1, () => fromPool(rng, 'M')],
        ])();
        s += rng.weighted([
            [3, () => wsRun(rng, 6)],
            [1, () => wsRun(rng, 40)],
            [1, () => rng.pick(['\r\n', '\r\n\r\n', '\n\n', '\r', '\n\r', ' \n', '\n ', '\t\n', ' \r\n  '])],
            [1, () => rng.pick(WHITE_SPACE) + rng.pick(NOT_WHITE_SPACE) + rng.pick(WHITE_SPACE)],
            [1, () => ''],
        ])();
    }
    if (rng.chance(0.6)) s += wsRun(rng, rng.chance(0.3) ? 60 : 8);
    return s;
}

function digitsOf(rng, pool, n) {
    let s = '';
    if (pool === 'ascii') {
        for (let i = 0; i < n; i++) s += String(rng.int(10));
        return s;
    }
    const [lo, hi] = rng.pick(POOLS[pool]);
    for (let i = 0; i < n; i++) s += cps(rng.range(lo, hi));
    return s;
}

function genDigits(rng) {
    const n = rng.range(2, 30);
    let s = '';
    for (let i = 0; i < n; i++) {
        s += rng.weighted([
            [4, () => digitsOf(rng, 'ascii', rng.logInt(1, 60))],
            [1, () => digitsOf(rng, 'ascii', rng.range(100, 600))],
            [3, () => digitsOf(rng, 'Nd', rng.logInt(1, 20))],
            [1, () => digitsOf(rng, 'Nl', rng.range(1, 6))],
            [1, () => digitsOf(rng, 'No', rng.range(1, 6))],
            [1, () => digitsOf(rng, 'ascii', 2) + digitsOf(rng, 'Nd', 2) + digitsOf(rng, 'No', 1) + digitsOf(rng, 'ascii', 3)],
            [2, () => `${rng.pick(['$', '€', '£', '¥', '₹', 'USD '])}${rng.int(100000).toLocaleString('en-US')}.${String(rng.int(100)).padStart(2, '0')}`],
            [1, () => `${rng.int(256)}.${rng.int(256)}.${rng.int(256)}.${rng.int(256)}:${rng.int(65536)}`],
            [1, () => `+1 (${rng.range(200, 999)}) ${rng.range(200, 999)}-${String(rng.int(10000)).padStart(4, '0')}`],
            [1, () => `2025-${String(rng.range(1, 12)).padStart(2, '0')}-${String(rng.range(1, 28)).padStart(2, '0')} 12:34:56`],
            [1, () => `v${rng.int(20)}.${rng.int(100)}.${rng.int(1000)}-rc.${rng.int(10)}`],
            [1, () => `6.022e${rng.int(40)} 0x${rng.u32().toString(16).toUpperCase()} 0b1010 1_000_000 3.14159`],
            [1, () => `${rng.int(100)}${rng.pick(["'s", "'S", "'d", "th", "st", "km", "%", "px", "ms"])}`],
            [1, () => rng.pick(SCRIPTS.english.list) + String(rng.int(1000)) + rng.pick(SCRIPTS.english.list)],
        ])();
        s += rng.pick([' ', ' ', ', ', '\n', '', '.', ' - ', '\t', '\u00a0', '\u2009']);
    }
    return s;
}

function genContractions(rng) {
    const n = rng.range(3, 50);
    let s = '';
    for (let i = 0; i < n; i++) {
        s += rng.weighted([
            [3, () => rng.pick(CONTRACTION_WORDS)],
            [3, () => rng.pick(SCRIPTS.english.list) + rng.pick(APOSTROPHES) + rng.pick(CONTRACTION_SUFFIXES)],
            [1, () => rng.pick(APOSTROPHES) + rng.pick(CONTRACTION_SUFFIXES)],
            [1, () => rng.pick(SCRIPTS[rng.pick(SCRIPT_NAMES)].list) + "'" + rng.pick(CONTRACTION_SUFFIXES)],
            [1, () => String(rng.int(100)) + "'" + rng.pick(CONTRACTION_SUFFIXES)],
            [1, () => rng.pick(['.', '"', '(', ' ', '\n', '-']) + "'" + rng.pick(CONTRACTION_SUFFIXES)],
            [1, () => "''s'S's'" + rng.pick(CONTRACTION_SUFFIXES)],
            [1, () => fromPool(rng, 'M') + "'" + rng.pick(CONTRACTION_SUFFIXES)],
            [1, () => rng.pick(SCRIPTS.english.list).toUpperCase() + "'" + rng.pick(CONTRACTION_SUFFIXES).toUpperCase()],
        ])();
        s += rng.pick([' ', ' ', ' ', '', '\n', ', ', '. ']);
    }
    return s;
}

const SPECIALS = ['<|endoftext|>', '<|fim_prefix|>', '<|fim_middle|>', '<|fim_suffix|>', '<|endofprompt|>',
                  '<|startoftext|>', '<|return|>', '<|constrain|>', '<|channel|>', '<|start|>', '<|end|>',
                  '<|message|>', '<|call|>', '<|reserved_200000|>', '<|reserved_200018|>',
                  '<|reserved_201087|>'];
const NEAR_SPECIALS = ['<|endoftext|', '<|endoftext>', '<endoftext|>', '<|ENDOFTEXT|>', '<| endoftext |>',
                       '<<|endoftext|>>', '<|endoftext|>|>', '<|reserved_201088|>', '<|reserved_199999|>',
                       '<|reserved_200012|>', '<|reserved_00200013|>', '<||>', '<|', '|>', '<|im_start|>',
                       '<|im_end|>', '<|start|><|end|>', '<|end||>', '<|endoftext\u200b|>', '< |end|>',
                       '<|endof\u0000text|>', '＜|endoftext|＞'];

function special(rng) {
    return rng.weighted([
        [5, () => rng.pick(SPECIALS)],
        [2, () => `<|reserved_${rng.range(200013, 201087)}|>`],
        [2, () => rng.pick(NEAR_SPECIALS)],
    ])();
}

function genSpecials(rng) {
    if (rng.chance(0.3)) {
        /* A harmony-format chat transcript. */
        let s = '';
        for (let i = rng.range(1, 6); i > 0; i--) {
            const role = rng.pick(['system', 'developer', 'user', 'assistant', 'functions.get_weather']);
            s += `<|start|>${role}`;
            if (role === 'assistant') s += `<|channel|>${rng.pick(['analysis', 'commentary', 'final'])}`;
            if (rng.chance(0.2)) s += ' to=functions.lookup<|constrain|>json';
            s += `<|message|>${rng.chance(0.2) ? genJson(rng) : paragraph(rng, rng.pick(SCRIPT_NAMES))}`;
            s += rng.pick(['<|end|>', '<|end|>', '<|return|>', '<|call|>']);
        }
        return s;
    }
    const n = rng.range(1, 30);
    let s = '';
    for (let i = 0; i < n; i++) {
        s += rng.weighted([
            [3, () => special(rng)],
            [3, () => rng.pick(SCRIPTS[rng.pick(SCRIPT_NAMES)].list)],
            [2, () => wsRun(rng, 6)],
            [1, () => "'"],
            [1, () => "'s"],
            [1, () => String(rng.int(1000))],
            [1, () => '<|endoftext|><|endoftext|>'],
            [1, () => rng.pick(WHITE_SPACE) + special(rng) + rng.pick(WHITE_SPACE)],
            [1, () => '!!!' + special(rng) + '???'],
        ])();
    }
    return s;
}

/* Byte sequences that are not valid UTF-8. */
const INVALID = [
    [0x80], [0xbf], [0x80, 0x80, 0x80], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xc0, 0x80],
    [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf], [0xf0, 0x80, 0x80, 0x80], [0xf0, 0x8f, 0xbf, 0xbf],
    [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80], [0xf4, 0x90, 0x80, 0x80],
    [0xf5, 0x80, 0x80, 0x80], [0xf7, 0xbf, 0xbf, 0xbf], [0xf8, 0x88, 0x80, 0x80, 0x80],
    [0xfc, 0x84, 0x80, 0x80, 0x80, 0x80], [0xfe], [0xff], [0xfe, 0xff], [0xc3, 0xa9, 0xa9],
    [0xe2, 0x80], [0xe2, 0x28, 0xa1], [0xf0, 0x28, 0x8c, 0xbc], [0xc2, 0x41], [0xe1, 0x80, 0x41],
    [0xf1, 0x80, 0x80, 0x41], [0xef, 0xbf], [0xf4, 0x8f, 0xbf], [0xc2], [0xdf], [0xe0, 0xa0], [0xf0, 0x90, 0x80],
];

function invalidBytes(rng) {
    if (rng.chance(0.25)) {
        const n = rng.range(1, 30);
        const b = Buffer.alloc(n);
        for (let i = 0; i < n; i++) b[i] = rng.chance(0.5) ? 0x80 + rng.int(128) : rng.int(256);
        return b;
    }
    return Buffer.from(rng.pick(INVALID));
}

function genInvalid(rng) {
    const parts = [];
    const n = rng.range(2, 40);
    for (let i = 0; i < n; i++) {
        parts.push(rng.weighted([
            [3, () => invalidBytes(rng)],
            [3, () => Buffer.from(rng.pick(SCRIPTS[rng.pick(SCRIPT_NAMES)].list))],
            [1, () => Buffer.from(' ')],
            [1, () => Buffer.from("'")],
            [1, () => Buffer.from("'s")],
            [1, () => Buffer.from(String(rng.int(1000)))],
            [1, () => Buffer.from(rng.pick(WHITE_SPACE))],
            [1, () => Buffer.from(emoji(rng))],
            [1, () => Buffer.from('<|endoftext|>')],
            [1, () => Buffer.from(fromPool(rng, 'M'))],
        ])());
    }
    /* Half the time, end in the middle of a multi-byte sequence. */
    if (rng.chance(0.5)) {
        const full = Buffer.from(emoji(rng) + rng.pick(['é', '中', '€', '\u{10348}']));
        parts.push(full.subarray(0, Math.max(1, full.length - rng.range(1, 3))));
    }
    return Buffer.concat(parts);
}

/* Characters drawn from classes with runs, the doc's chaos theme. */
function genRandomClasses(rng) {
    const n = rng.range(5, 200);
    const parts = [];
    for (let i = 0; i < n; i++) {
        const runLen = rng.weighted([[6, 1], [3, rng.range(2, 5)], [1, rng.range(6, 30)]]);
        const cls = rng.weighted([
            [4, 'ascii_lower'], [3, 'ascii_upper'], [3, 'ascii_digit'], [3, 'ascii_punct'], [4, 'space'],
            [3, 'ws'], [2, 'notws'], [2, 'apos'], [2, 'Lu'], [2, 'Ll'], [1, 'Lt'], [2, 'Lm'], [3, 'Lo'],
            [3, 'M'], [2, 'Nd'], [1, 'Nl'], [1, 'No'], [2, 'P'], [1, 'Cf'], [1, 'Cc'], [1, 'PUA'],
            [1, 'Nonchar'], [1, 'Unassigned'], [3, 'anyPlane'], [1, 'special'], [1, 'invalid'],
            [2, 'crlf'], [2, 'emoji'],
        ]);
        let s = '';
        for (let k = 0; k < runLen; k++) {
            switch (cls) {
            case 'ascii_lower': s += cps(rng.range(0x61, 0x7a)); break;
            case 'ascii_upper': s += cps(rng.range(0x41, 0x5a)); break;
            case 'ascii_digit': s += cps(rng.range(0x30, 0x39)); break;
            case 'ascii_punct': s += rng.pick('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'.split('')); break;
            case 'space': s += ' '; break;
            case 'ws': s += rng.pick(WHITE_SPACE); break;
            case 'notws': s += rng.pick(NOT_WHITE_SPACE); break;
            case 'apos': s += rng.pick(APOSTROPHES) + rng.pick(CONTRACTION_SUFFIXES); break;
            case 'anyPlane': s += anyPlane(rng); break;
            case 'special': s += special(rng); break;
            case 'crlf': s += rng.pick(['\r', '\n', '\r\n']); break;
            case 'emoji': s += emoji(rng); break;
            case 'invalid': break;
            default: s += fromPool(rng, cls);
            }
        }
        parts.push(cls === 'invalid' ? invalidBytes(rng) : Buffer.from(s));
    }
    return Buffer.concat(parts);
}

/* ------------------------------------------------------------- docs */

const THEMES = [
    [16, (rng) => genProse(rng)],
    [8, genMixedProse],
    [12, genCode],
    [4, genEmail],
    [4, genLog],
    [5, genEmoji],
    [5, genCombining],
    [6, genWhitespace],
    [6, genDigits],
    [6, genContractions],
    [6, genSpecials],
    [6, genInvalid],
    [12, genRandomClasses],
];
const ALL_GENERATORS = THEMES.map(([, g]) => g);
const JOINERS = ['', ' ', ' ', '\n', '\n', '\n\n', '\r\n', '  ', '\t', '. ', ', ', ' \u2014 '];

function toBuf(x) {
    return Buffer.isBuffer(x) ? x : Buffer.from(x, 'utf8');
}

/* Length of the longest prefix of buf of at most max bytes that ends on a
 * character boundary (not before a UTF-8 continuation byte). */
function charCut(buf, max) {
    let n = Math.min(max, buf.length);
    while (n > 0 && n < buf.length && (buf[n] & 0xc0) === 0x80) n--;
    return n;
}

/* A tiny doc (0..16 bytes): edge cases where a doc is a single unit. */
function tinyDoc(rng) {
    return toBuf(rng.weighted([
        [1, () => ''],
        [2, () => rng.pick(WHITE_SPACE)],
        [2, () => wsRun(rng, 8)],
        [2, () => invalidBytes(rng).subarray(0, 8)],
        [2, () => rng.pick(["'s", "'S", "'", "'ll", "'\u017f", 's', 'a', 'A', '1', '12', '1234', '\u00e9', 'e\u0301'])],
        [2, () => special(rng)],
        [1, () => emoji(rng)],
        [1, () => fromPool(rng, 'M')],
        [1, () => anyPlane(rng)],
        [2, () => genRandomClasses(rng).subarray(0, rng.range(1, 16))],
        [1, () => rng.pick(['\r\n', '\n\n', ' \n', '\r', '\n ', ' a', 'a ', ' 1', '\t\t'])],
    ])());
}

/* A long run (10-20 KB) of one character or a short unit. */
function longRunDoc(rng) {
    const unit = rng.pick(['a', '^', '-', ' ', '\n', '中', '1', '\t', 'é', '\u{1F642}', '\u00a0',
                           '.', 'A', '\r\n', 'ab', ' a', '\u3000', "'s", 'e\u0301', '\u200b', '한']);
    const target = rng.range(10000, 20000);
    const u = Buffer.from(unit);
    const reps = Math.max(1, Math.floor(target / u.length));
    const prefix = rng.pick(['', ' ', 'x', '\n', 'A']);
    const suffix = rng.pick(['', ' ', 'x', '\n', '!', '1']);
    return Buffer.concat([Buffer.from(prefix), Buffer.alloc(u.length * reps, u), Buffer.from(suffix)]);
}

/* One doc of about target bytes (at most MAX_DOC). */
function themedDoc(rng, target) {
    const theme = rng.weighted(THEMES);
    const parts = [];
    let size = 0;
    while (size < target) {
        const gen = rng.chance(0.85) ? theme : rng.pick(ALL_GENERATORS);
        const seg = toBuf(gen(rng));
        if (parts.length) {
            const j = toBuf(rng.pick(JOINERS));
            parts.push(j);
            size += j.length;
        }
        parts.push(seg);
        size += seg.length;
    }
    let doc = Buffer.concat(parts);
    const limit = Math.min(MAX_DOC, rng.chance(0.3) ? MAX_DOC : target);
    if (doc.length > limit) {
        /* Usually cut on a character boundary, sometimes inside one. */
        doc = doc.subarray(0, rng.chance(0.85) ? charCut(doc, limit) : limit);
    }
    if (rng.chance(0.1)) doc = Buffer.concat([doc, toBuf(wsRun(rng, 12))]);
    return doc;
}

/*
 * Generate the corpus: calls onDoc(Buffer) per doc until at least
 * mbytes MiB of doc bytes were produced.
 */
function generate(seed, mbytes, onDoc) {
    const rng = new Rng(seed);
    const total = Math.floor(mbytes * 1048576);
    const longRuns = Math.max(2, Math.round(mbytes * 1.2));
    let bytes = 0;
    let docs = 0;
    const longAt = new Set();
    while (longAt.size < longRuns) longAt.add(rng.int(600));
    while (bytes < total) {
        let doc;
        if (longAt.has(docs)) doc = longRunDoc(rng);
        else {
            const size = rng.weighted([
                [8, () => -1],
                [40, () => rng.logInt(16, 1024)],
                [40, () => rng.logInt(1024, 16384)],
                [12, () => rng.range(16384, MAX_DOC)],
            ])();
            doc = size < 0 ? tinyDoc(rng) : themedDoc(rng, size);
        }
        onDoc(doc);
        bytes += doc.length;
        docs++;
    }
}

/* Write the corpus to out; returns {docs, bytes}. */
function writeCorpus(out, seed, mbytes) {
    const w = new DocsWriter(out);
    generate(seed, mbytes, (doc) => w.add(doc));
    w.close();
    return { docs: w.docs, bytes: w.bytes };
}

function main() {
    const args = parseArgs(process.argv.slice(2));
    if (args.seed === undefined || !args.out) {
        process.stderr.write('usage: gen-corpus.js --seed N --out FILE [--mbytes M]\n');
        process.exit(2);
    }
    const seed = parseInt(args.seed, 10);
    const mbytes = args.mbytes ? parseFloat(args.mbytes) : 6;
    if (!Number.isFinite(seed) || !(mbytes > 0)) {
        process.stderr.write('gen-corpus.js: --seed must be an integer and --mbytes positive\n');
        process.exit(2);
    }
    const r = writeCorpus(path.resolve(args.out), seed, mbytes);
    process.stdout.write(`${args.out}: ${r.docs} docs, ${(r.bytes / 1e6).toFixed(1)} MB (seed ${seed})\n`);
}

module.exports = { generate, writeCorpus, GENERATOR_VERSION, SCRIPTS, SPECIALS };
/* Character and string lists hf-corpus.js reuses for its edge cases (exported
 * only; nothing above depends on this, so the corpus is unchanged). */
Object.assign(module.exports, { WHITE_SPACE, NOT_WHITE_SPACE, INVALID, NEAR_SPECIALS, CONTRACTION_WORDS });

if (require.main === module) main();
