#!/usr/bin/env bash
# Integration test of `tokenmeter compare`: the same text or request counted
# with each model's own tokenizer and priced with the price book.
#
#   tests/integration/compare_test.sh [PATH/TO/tokenmeter]
#
# What a user relies on, checked against independent computations:
#  - each model's count equals `tokenmeter count -m MODEL` (and
#    `count --request -m MODEL` for a request body), so models with different
#    tokenizers get different counts;
#  - each cost is tokens x the book's rate, exactly (checked with BigInt);
#  - the price in effect at --at is used (a price change splits by date);
#  - estimates are marked; unpriced and untokenizable models are reported,
#    not dropped silently; rows are sorted cheapest first;
#  - bad options, files and books give errors naming them.
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
tm=${1:-$root/build/tokenmeter}
[ -x "$tm" ] || { echo "compare_test: $tm is not an executable (build first)" >&2; exit 2; }
command -v node >/dev/null || { echo "compare_test: node is needed to check JSON" >&2; exit 2; }
unset TOKENMETER_MODELS TOKENMETER_PRICES

work=$(mktemp -d "${TMPDIR:-/tmp}/compare_test.XXXXXX")
trap 'rm -rf "$work"' EXIT
. "$root/tests/integration/lib.sh"

book="$work/book.json"
cat >"$book" <<'EOF'
{
  "format": "tokenmeter-prices/1",
  "version": "test-1",
  "currency": "USD",
  "prices": [
    {"provider": "openai", "model": "gpt-4o", "effective": "2024-05-13",
     "source": "https://example.test/old", "as_of": "2024-05-13",
     "per_mtok": {"input": "5.00", "output": "15.00"}},
    {"provider": "openai", "model": "gpt-4o", "effective": "2024-10-02",
     "source": "https://example.test/new", "as_of": "2024-10-02",
     "per_mtok": {"input": "2.50", "cached_input": "1.25", "output": "10.00"}},
    {"provider": "openai", "model": "gpt-4", "effective": "2023-03-14",
     "source": "https://example.test/gpt4", "as_of": "2023-03-14",
     "per_mtok": {"input": "30", "output": "60"}},
    {"provider": "anthropic", "model": "claude-sonnet-4-5", "effective": "2025-09-29",
     "source": "https://example.test/claude", "as_of": "2025-09-29",
     "per_mtok": {"input": "3", "output": "15"}},
    {"provider": "groq", "model": "llama-3.3-70b-versatile", "effective": "2024-12-06",
     "source": "https://example.test/groq", "as_of": "2024-12-06",
     "per_mtok": {"input": "0.59", "output": "0.79"}},
    {"provider": "example", "model": "no-such-tokenizer-model", "effective": "2024-01-01",
     "source": "https://example.test/x", "as_of": "2024-01-01",
     "per_mtok": {"input": "1", "output": "1"}}
  ]
}
EOF
text="$work/prompt.txt"
printf 'Summarise the attached quarterly report in three bullet points, citing figures. 数字 1234567 ñandú\n' >"$text"
count_m() { "$tm" count -m "$1" "$text" 2>/dev/null | cut -f1; }

# ---- counts with each model's tokenizer, costs exact ----
run compare -m gpt-4o -m gpt-4 -m llama-3.3-70b-versatile -m claude-sonnet-4-5 \
  --prices "$book" --at 2025-11-01 --output 1000 --json "$text"
printf '%s\n' "$out" >"$work/c.json"
n_4o=$(count_m gpt-4o) n_4=$(count_m gpt-4) n_llama=$(count_m llama-3.3-70b-versatile) n_claude=$(count_m claude-sonnet-4-5)
if [ "$rc" = 0 ] && [ "$n_4o" != "$n_4" ] && [ "$n_4o" != "$n_llama" ]; then pass; else
  fail "compare: ran, and the tokenizers differ on the sample" "exit $rc, counts $n_4o $n_4 $n_llama" "$err"
fi
json_check "compare --json: counts equal count -m, costs are tokens x rate" "$work/c.json" '
  (() => {
    const want = {"gpt-4o": ['"$n_4o"', 2.5e6, 10e6], "gpt-4": ['"$n_4"', 30e6, 60e6],
                  "llama-3.3-70b-versatile": ['"$n_llama"', 0.59e6, 0.79e6],
                  "claude-sonnet-4-5": ['"$n_claude"', 3e6, 15e6]};
    /* picounits -> exact decimal dollars */
    const dec = (p) => { const s = p.toString().padStart(13, "0");
      return (s.slice(0, -12) + "." + s.slice(-12)).replace(/0+$/, "").replace(/\.$/, ""); };
    if (doc.models.length !== 4 || doc.currency !== "USD" || doc.output_tokens !== 1000) return false;
    let prev = -1n;
    for (const m of doc.models) {
      const w = want[m.model]; if (!w || m.input_tokens !== w[0]) return false;
      const inCost = BigInt(w[0]) * BigInt(w[1]), outCost = 1000n * BigInt(w[2]);
      if (m.input_cost !== dec(inCost) || m.output_cost !== dec(outCost) ||
          m.total !== dec(inCost + outCost)) return false;
      if (inCost + outCost < prev) return false; /* cheapest first */
      prev = inCost + outCost;
      if (m.estimate !== (m.model === "claude-sonnet-4-5")) return false;
    }
    return doc.unpriced.length === 0;
  })()' whole

# The plain table marks the estimate.
run compare -m claude-sonnet-4-5 -m gpt-4o --prices "$book" --at 2025-11-01 "$text"
if [ "$rc" = 0 ] && [[ "$out" == *"~$n_claude"* ]] && [[ "$out" == *"estimate"* ]] &&
   [[ "$out" == *MODEL*PROVIDER*TOKENIZER*INPUT_TOKENS*TOTAL* ]]; then pass; else
  fail "compare: the table marks estimates with ~" "exit $rc" "$out" "$err"
fi

# ---- the price in effect at --at ----
for at_rate in "2024-06-01:5000000" "2024-10-01T23:59:59Z:5000000" "2024-10-02:2500000" \
               "2024-10-01T20:00:00-04:00:2500000" "2026-01-01:2500000"; do
  at=${at_rate%:*} rate=${at_rate##*:}
  run compare -m gpt-4o --prices "$book" --at "$at" --json "$text"
  printf '%s\n' "$out" >"$work/at.json"
  json_check "compare --at $at: gpt-4o at $rate picounits per token" "$work/at.json" '
    (() => { const m = doc.models[0], p = BigInt(m.input_tokens) * '"$rate"'n;
      const s = p.toString().padStart(13, "0");
      const dec = (s.slice(0, -12) + "." + s.slice(-12)).replace(/0+$/, "").replace(/\.$/, "");
      return doc.models.length === 1 && m.input_cost === dec; })()' whole
done

# ---- a request body: the prompt the provider bills ----
req="$root/tests/data/requests/cookbook_chat.json"
want_req=$("$tm" count --request -m gpt-4o --json "$req" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).prompt_tokens))')
want_req4=$("$tm" count --request -m gpt-4 --json "$req" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).prompt_tokens))')
run compare --request -m gpt-4o -m gpt-4 --prices "$book" --json "$req"
printf '%s\n' "$out" >"$work/r.json"
json_check "compare --request: prompt tokens equal count --request" "$work/r.json" \
  "doc.models.length === 2 && doc.models.every((m) => m.input_tokens === (m.model === \"gpt-4o\" ? $want_req : $want_req4))" whole

# ---- without -m: every priced model the registry can tokenize ----
run compare --prices "$book" --at 2025-11-01 --json "$text"
printf '%s\n' "$out" >"$work/all.json"
json_check "compare without -m: the book's models in effect, the rest left out" "$work/all.json" '
  doc.models.length === 4 && new Set(doc.models.map((m) => m.model)).size === 4 &&
  doc.left_out.length === 1 && doc.left_out[0].model === "no-such-tokenizer-model" &&
  doc.left_out[0].provider === "example"' whole
run compare --prices "$book" --at 2025-11-01 --provider groq --json "$text"
printf '%s\n' "$out" >"$work/groq.json"
json_check "compare --provider: only that provider" "$work/groq.json" \
  'doc.models.length === 1 && doc.models[0].provider === "groq"' whole

# ---- a model the registry knows but the book does not price ----
run compare -m gpt-4o-mini -m gpt-4o --prices "$book" --json "$text"
printf '%s\n' "$out" >"$work/u.json"
json_check "compare: an unpriced model is reported with the reason" "$work/u.json" \
  'doc.models.length === 1 && doc.unpriced.length === 1 && doc.unpriced[0].model === "gpt-4o-mini" && /gpt-4o-mini/.test(doc.unpriced[0].reason)' whole

# ---- errors ----
run compare -m no-such-model-xyz --prices "$book" "$text"
expect_err "compare: unknown -m is a usage error naming the model" 2 "no-such-model-xyz"
run compare -m gpt-4o --prices "$book" "$work/missing.txt"
expect_err "compare: a missing input names the file" 1 "missing.txt"
run compare -m gpt-4o --prices "$book" --at 2024-13-01 "$text"
expect_err "compare: a bad --at names the option" 2 "--at"
run compare -m gpt-4o --prices "$book" --output lots "$text"
expect_err "compare: a bad --output names the value" 2 "--output" "lots"
run compare -m gpt-4o --prices "$book"
expect_err "compare: FILE is required" 2 "FILE"
printf '{"format": "tokenmeter-prices/1", "version": "v", "currency": "USD", "prices": [{"provider": "openai"}]}' >"$work/bad.json"
run compare -m gpt-4o --prices "$work/bad.json" "$text"
expect_err "compare: a bad price book names the file and the entry" 1 "bad.json" "prices[0]"
run compare -m gpt-4o --prices "$book" --at 2020-01-01 --json "$text"
printf '%s\n' "$out" >"$work/early.json"
json_check "compare: before the first price the model is unpriced, with the date" "$work/early.json" \
  'doc.models.length === 0 && doc.unpriced.length === 1 && /2024-05-13/.test(doc.unpriced[0].reason)' whole

report_and_exit
