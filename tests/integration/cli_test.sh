#!/usr/bin/env bash
# Integration test of the tokenmeter command line: drives the real binary.
#
#   tests/integration/cli_test.sh [PATH/TO/tokenmeter]
#
# Default binary: <repo>/build/tokenmeter. Vocabularies come from
# $TOKENMETER_VOCAB_DIR or the binary's default. Expected token ids are
# literals computed once with npm tiktoken 1.0.22 (encode_ordinary, or
# encode(text, "all") for --allow-special). JSON output is checked with
# node's JSON.parse after a strict UTF-8 decode.
# Prints one line per failed check and a closing "N passed, M failed".
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
tm=${1:-$root/build/tokenmeter}
[ -x "$tm" ] || { echo "cli_test: $tm is not an executable (build first)" >&2; exit 2; }
command -v node >/dev/null || { echo "cli_test: node is needed to check JSON" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cli_test.XXXXXX")
trap 'rm -rf "$work"' EXIT
. "$root/tests/integration/lib.sh"

# ---- inputs ----
t1="$work/hello.txt"     # "Hello, world!\n"
t2="$work/mixed.txt"     # "It's 2024: café 你好 😀\n" (29 bytes)
t3="$work/special.txt"   # "hello<|endoftext|>world"
printf 'Hello, world!\n' >"$t1"
printf "It's 2024: caf\xc3\xa9 \xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x98\x80\n" >"$t2"
printf 'hello<|endoftext|>world' >"$t3"
: >"$work/empty.txt"

# ---- count ----
run count <"$t1"
expect "count: stdin, default o200k_base" 0 "$(printf '4\t-')"
run count - <"$t1"
expect "count: '-' is stdin" 0 "$(printf '4\t-')"
run count "$t1" "$t2"
expect "count: two files, one line each" 0 "$(printf '4\t%s\n10\t%s' "$t1" "$t2")"
run count "$t1" - "$t2" <"$t2"
expect "count: files and stdin in order" 0 "$(printf '4\t%s\n10\t-\n10\t%s' "$t1" "$t2")"
run count -e cl100k_base "$t2"
expect "count: -e cl100k_base" 0 "$(printf '12\t%s' "$t2")"
run count --encoding=r50k_base "$t1"
expect "count: --encoding=r50k_base" 0 "$(printf '5\t%s' "$t1")"
run count -m gpt-4 "$t2"
expect "count: -m gpt-4 is cl100k_base" 0 "$(printf '12\t%s' "$t2")"
run count "$work/empty.txt"
expect "count: empty file" 0 "$(printf '0\t%s' "$work/empty.txt")"
run count "$t3"
expect "count: special text is ordinary by default" 0 "$(printf '9\t%s' "$t3")"
run count --allow-special "$t3"
expect "count: --allow-special" 0 "$(printf '3\t%s' "$t3")"
run count --vocab "$root/build/vocab/cl100k_base.tmv" "$t2"
expect "count: --vocab FILE.tmv" 0 "$(printf '12\t%s' "$t2")"

# --json
"$tm" count -m gpt-4o --json "$t1" "$t2" >"$work/j1" 2>"$work/err"; rc=$?
[ $rc = 0 ] && pass || fail "count --json: exit $rc" "$(cat "$work/err")"
json_check "count --json -m gpt-4o: fields" "$work/j1" \
  'rows.length === 2 && rows[0].name === "'"$t1"'" && rows[0].tokens === 4 && rows[0].bytes === 14 && rows[0].encoding === "o200k_base" && rows[1].tokens === 10 && rows[1].bytes === 29 && rows[1].encoding === "o200k_base" && Object.keys(rows[0]).join() === "name,tokens,bytes,encoding,estimate" && rows[0].estimate === false'
"$tm" count -m gpt-4 --json - <"$t2" >"$work/j2" 2>"$work/err"
json_check "count --json -m gpt-4: stdin" "$work/j2" \
  'rows.length === 1 && rows[0].name === "-" && rows[0].tokens === 12 && rows[0].encoding === "cl100k_base"'
printf '<|start|>' >"$work/harmony.txt"
"$tm" count -m gpt-oss-120b --allow-special --json "$work/harmony.txt" >"$work/j3" 2>"$work/err"
json_check "count --json -m gpt-oss-120b: o200k_harmony specials" "$work/j3" \
  'rows.length === 1 && rows[0].tokens === 1 && rows[0].encoding === "o200k_harmony"'
# Names that need escaping come back intact through JSON.parse.
odd="$work/"$'q"uote\\back\ttab'
cp "$t1" "$odd"
"$tm" count --json "$odd" >"$work/j4" 2>"$work/err"
json_check "count --json: quote, backslash and tab in a file name" "$work/j4" \
  'rows.length === 1 && rows[0].name === '"$(node -e 'console.log(JSON.stringify(process.argv[1]))' "$odd")"' && rows[0].tokens === 4'
# A file name that is not valid UTF-8 (a UTF-16 surrogate and an overlong
# form) must still give valid UTF-8 JSON (RFC 8259 section 8.1).
bad="$work/"$'\xed\xa0\x80-\xe0\x80\xaf'
cp "$t1" "$bad"
"$tm" count --json "$bad" >"$work/j5" 2>"$work/err"
json_check "count --json: file name with invalid UTF-8" "$work/j5" \
  'rows.length === 1 && rows[0].tokens === 4 && rows[0].name.startsWith("'"$work"'/")'

# A large input crosses the CLI's read chunks: count == number of ids.
node -e 'process.stdout.write("Hello, world! It\u2019s a test.\n".repeat(90000) + "end")' >"$work/big.txt"
run count -e cl100k_base "$work/big.txt"
big_count=${out%%$'\t'*}
n_ids=$("$tm" encode -e cl100k_base "$work/big.txt" | wc -w)
if [ "$rc" = 0 ] && [ "$big_count" = "$n_ids" ] && [ "$n_ids" -gt 500000 ]; then pass; else
  fail "count vs encode on a 3 MB file" "count '$out' (exit $rc), encode gave $n_ids ids"
fi
run count -e cl100k_base - <"$work/big.txt"
expect "count: 3 MB on stdin equals the file" 0 "$(printf '%s\t-' "$n_ids")"

# ---- encode ----
"$tm" encode <"$t1" >"$work/ids" 2>"$work/err"; rc=$?
printf '13225 11 2375 4175\n' >"$work/want"
if [ $rc = 0 ] && cmp -s "$work/ids" "$work/want"; then pass; else
  fail "encode: ids single-space separated, newline" "got $(od -c "$work/ids" | head -3)"
fi
run encode -e cl100k_base "$t2"
expect "encode: -e cl100k_base FILE" 0 "2181 596 220 2366 19 25 53050 220 57668 53901 91416 198"
run encode -e r50k_base "$t2"
expect "encode: r50k_base" 0 "1026 338 48609 25 40304 220 19526 254 25001 121 30325 222 198"
run encode "$t3"
expect "encode: special text as ordinary" 0 "24912 27 91 419 1440 919 91 29 24169"
run encode --allow-special "$t3"
expect "encode: --allow-special" 0 "24912 199999 24169"
run encode -e cl100k_base --allow-special - <"$t3"
expect "encode: --allow-special cl100k_base on stdin" 0 "15339 100257 14957"
"$tm" encode <"$work/empty.txt" >"$work/ids" 2>"$work/err"; rc=$?
if [ $rc = 0 ] && [ "$(od -An -c "$work/ids" | tr -d ' ')" = '\n' ]; then pass; else
  fail "encode: empty input prints an empty line" "exit $rc, got $(od -c "$work/ids")"
fi

# ---- decode ----
for e in r50k_base p50k_base p50k_edit cl100k_base o200k_base o200k_harmony; do
  for f in "$t1" "$t2" "$t3"; do
    "$tm" encode -e $e "$f" | "$tm" decode -e $e >"$work/back" 2>"$work/err"
    if cmp -s "$f" "$work/back"; then pass; else
      fail "decode(encode) round trip: $e $(basename "$f")" "$(cat "$work/err")"
    fi
  done
done
"$tm" encode --allow-special "$t3" | "$tm" decode >"$work/back" 2>"$work/err"
cmp -s "$t3" "$work/back" && pass || fail "decode: special ids give their text back"
printf '9906\n\t 1917  \n' | "$tm" decode -e cl100k_base >"$work/back" 2>"$work/err"; rc=$?
if [ $rc = 0 ] && [ "$(cat "$work/back")" = "Hello world" ]; then pass; else
  fail "decode: any whitespace separates ids" "exit $rc, got '$(cat "$work/back")'"
fi
# A token may be part of a character: bytes are written unchanged.
echo 9468 | "$tm" decode -e cl100k_base >"$work/back" 2>"$work/err"
if [ "$(od -An -tx1 "$work/back" | tr -d ' \n')" = "f09f" ]; then pass; else
  fail "decode: partial UTF-8 bytes written as is" "got $(od -An -tx1 "$work/back")"
fi

# ---- exit status and messages ----
run count --bogus "$t1"
expect_err "unknown option -> 2" 2 "--bogus"
run encode --bogus "$t1"
expect_err "encode: unknown option -> 2" 2 "--bogus"
run frobnicate
expect_err "unknown command -> 2" 2 "frobnicate"
run
expect_err "no command -> 2" 2 "usage"
run count -m no-such-model "$t1"
expect_err "unknown model -> 2, says how to choose an encoding" 2 "no-such-model" "-e"
run count -e no_such_base "$t1"
expect_err "unknown encoding -> 2" 2 "no_such_base"
run count -e cl100k_base -m gpt-4 "$t1"
expect_err "both -e and -m -> 2" 2 "-e"
run count -e
expect_err "option without its value -> 2" 2 "-e"
run count "$work/missing.txt"
expect_err "missing file -> 1, named" 1 "$work/missing.txt"
run count "$t1" "$work/missing.txt" "$t2"
if [ "$rc" = 1 ] && [ "$out" = "$(printf '4\t%s\n10\t%s' "$t1" "$t2")" ] &&
   [[ "$err" == *"$work/missing.txt"* ]]; then pass; else
  fail "missing file among others: others counted, exit 1" "exit $rc" "stdout: $out" "stderr: $err"
fi
run encode "$work/missing.txt"
expect_err "encode: missing file -> 1, named" 1 "$work/missing.txt"
run decode "$work/missing.txt"
expect_err "decode: missing file -> 1, named" 1 "$work/missing.txt"
echo "9906 abc 1917" >"$work/badids"
run decode -e cl100k_base "$work/badids"
expect_err "decode: non-numeric id -> 1, named" 1 "abc"
echo "9906 100256" >"$work/badids"
run decode -e cl100k_base "$work/badids"
expect_err "decode: id not in the vocabulary -> 1, named" 1 "100256"
echo "9906 99999999999" >"$work/badids"
run decode -e cl100k_base "$work/badids"
expect_err "decode: id beyond 32 bits -> 1, named" 1 "99999999999"
run count --vocab /nonexistent/o200k_base.tmv "$t1"
expect_err "missing vocabulary file -> 1, named" 1 "/nonexistent/o200k_base.tmv"
run encode --vocab /nonexistent/o200k_base.tmv "$t1"
expect_err "encode: missing vocabulary file -> 1" 1 "/nonexistent/o200k_base.tmv"
head -c 4096 "$root/build/vocab/r50k_base.tmv" >"$work/cut.tmv"
run count --vocab "$work/cut.tmv" "$t1"
expect_err "truncated vocabulary -> 1, named" 1 "$work/cut.tmv"

# ---- other commands ----
run encodings
expect "encodings lists the OpenAI encodings and the families" 0 "$(printf 'r50k_base\np50k_base\np50k_edit\ncl100k_base\no200k_base\no200k_harmony\nllama3\nllama2\nqwen3\ndeepseek_v3\ngemma3')"
run --version
case "$out" in "tokenmeter "[0-9]*) [ "$rc" = 0 ] && pass || fail "--version: exit $rc" ;;
  *) fail "--version prints 'tokenmeter VERSION'" "got '$out'" ;; esac

report_and_exit
