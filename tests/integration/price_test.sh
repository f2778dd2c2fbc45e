#!/usr/bin/env bash
# Integration test of the price commands: `tokenmeter price`, `tokenmeter
# prices` and `tokenmeter prices import`, against the test book and the
# LiteLLM excerpt in tests/data/prices/ (never the shipped data/prices.json,
# whose rates change).
#
#   tests/integration/price_test.sh [PATH/TO/tokenmeter]
#
# Default binary: <repo>/build/tokenmeter. JSON output is checked with
# node: amounts are exact decimal strings, added up as BigInt picounits.
# Bad books and overrides come with the fragment their message must carry
# (tests/data/prices/*expected.tsv). Also checks that the price module's
# sources use no floating point (the importer's reading of a LiteLLM
# number is the one, commented, exception).
# Prints one line per failed check and a closing "N passed, M failed".
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
tm=${1:-$root/build/tokenmeter}
[ -x "$tm" ] || { echo "price_test: $tm is not an executable (build first)" >&2; exit 2; }
command -v node >/dev/null || { echo "price_test: node is needed to check JSON" >&2; exit 2; }
unset TOKENMETER_PRICES
data="$root/tests/data/prices"
book="$data/book.json"

work=$(mktemp -d "${TMPDIR:-/tmp}/price_test.XXXXXX")
trap 'rm -rf "$work"' EXIT
. "$root/tests/integration/lib.sh"

# json_check with `pico`, a function from an exact decimal string to BigInt
# picounits (it throws on anything else, such as a float's text).
picofn='(s) => { const m = /^(-?)(\d+)(?:\.(\d{1,12}))?$/.exec(s); if (!m) throw new Error("not an exact decimal: " + s); const v = BigInt(m[2] + (m[3] || "").padEnd(12, "0")); return m[1] ? -v : v; }'
pico_check() { json_check "$1" "$2" "((pico) => ($3))($picofn)"; }

# ---- price: JSON ----
run price --prices "$book" -m gpt-4o --input 1000 --output 500 --cached 2000 --at 2025-01-01 --json
expect_err "price --json: exit 0" 0
printf '%s\n' "$out" >"$work/p1.json"
pico_check "price --json: the documented object, lines sum to the total" "$work/p1.json" '
  rows.length === 1 && (() => { const d = rows[0];
    const sum = d.lines.reduce((a, l) => a + pico(l.amount), 0n) + pico(d.per_request);
    return d.model === "gpt-4o" && d.provider === "openai" && d.currency === "USD" &&
      d.at === "2025-01-01T00:00:00Z" && d.effective === "2024-10-02" &&
      JSON.stringify(d.lines.map((l) => [l.class, l.tokens, l.unit_price_per_mtok, l.amount])) ===
      JSON.stringify([["input", 1000, "2.5", "0.0025"], ["cached_input", 2000, "1.25", "0.0025"],
                      ["output", 500, "10", "0.005"]]) &&
      d.total === "0.01" && sum === pico(d.total); })()'

# the price in effect: before and after the change of 2024-10-02
run price --prices "$book" -m gpt-4o --input 1000000 --output 1000000 --at 2024-10-01T23:59:59Z --json
printf '%s\n' "$out" >"$work/p2.json"
json_check "price: old rate the second before a change" "$work/p2.json" 'rows[0].total === "20" && rows[0].effective === "2024-05-13"'
run price --prices "$book" -m GPT-4O-2024-08-06 --input 1000000 --output 1000000 --at 2024-10-02 --json
printf '%s\n' "$out" >"$work/p3.json"
json_check "price: new rate from the change on, by alias, any case" "$work/p3.json" 'rows[0].total === "12.5" && rows[0].model === "gpt-4o"'

# Anthropic cache writes, reasoning on its own line, batch, the tier
run price --prices "$book" -m claude-sonnet-4 --input 250000 --cache-write 1000000 --cache-write-1h 1000000 --output 1000 --reasoning 1000 --batch --at 2025-08-01 --json
printf '%s\n' "$out" >"$work/p4.json"
pico_check "price: 5m/1h cache writes, reasoning line, batch within the tier" "$work/p4.json" '
  (() => { const d = rows[0], by = Object.fromEntries(d.lines.map((l) => [l.class, l]));
    return d.batch === true && d.tier_above_input_tokens === 200000 &&
      by.cache_write_5m.unit_price_per_mtok === "3.75" && by.cache_write_1h.unit_price_per_mtok === "6" &&
      by.reasoning.tokens === 1000 && by.reasoning.unit_price_per_mtok === by.output.unit_price_per_mtok &&
      by.input.unit_price_per_mtok === "3" &&
      d.lines.reduce((a, l) => a + pico(l.amount), 0n) === pico(d.total); })()'

# per-request fee and tenant overrides
run price --prices "$book" -m sonar --input 1000 --output 1000 --at 2025-08-01 --overrides "$data/overrides.json" --json
printf '%s\n' "$out" >"$work/p5.json"
pico_check "price --overrides: cost and tenant price on every line, margin" "$work/p5.json" '
  (() => { const d = rows[0];
    const cost = d.lines.reduce((a, l) => a + pico(l.amount), 0n) + pico(d.per_request);
    const price = d.lines.reduce((a, l) => a + pico(l.tenant_amount), 0n) + pico(d.tenant_per_request);
    return d.per_request === "0.005" && d.total === "0.007" && cost === pico(d.total) &&
      price === pico(d.tenant_total) && d.tenant_total === "0.01116" &&
      pico(d.margin) === pico(d.tenant_total) - pico(d.total) &&
      d.lines.every((l) => "tenant_unit_price_per_mtok" in l); })()'

# ---- price: table ----
run price --prices "$book" -m gemini-2.0-flash-lite --input 1000000 --cached 1000000 --output 0 --at 2025-08-01
if [ "$rc" = 0 ] && [[ "$(printf '%s\n' "$out" | sed -n 2p)" == CLASS*TOKENS*USD/MTOK*AMOUNT ]] &&
   printf '%s\n' "$out" | grep -Eq '^cached_input +1000000 +0\.01875 +0\.01875$' &&
   printf '%s\n' "$out" | grep -Eq '^total +0\.09375 USD$'; then pass; else
  fail "price: table with exact sub-cent rates" "exit $rc" "$out" "$err"
fi

# ---- price: errors ----
run price --prices "$book" -m no-such-model --input 1
expect_err "price: unknown model is a usage error" 2 'no price for model "no-such-model"' 'tokenmeter prices'
run price --prices "$book" -m llama-3.3-70b --input 1
expect_err "price: ambiguous model lists the providers" 2 'groq, together' '--provider'
run price --prices "$book" -m llama-3.3-70b --provider together --input 1000000 --json
printf '%s\n' "$out" >"$work/p6.json"
json_check "price --provider picks one" "$work/p6.json" 'rows[0].provider === "together" && rows[0].total === "0.88"'
run price --prices "$book" -m gpt-4o --input 1 --at 2024-01-01
expect_err "price: before the first entry names its date" 1 'no price for openai/gpt-4o' '2024-05-13'
run price --prices "$book" -m gpt-4o --input 1 --at 2024-02-30
expect_err "price: a bad --at" 2 '--at' '2024-02-30'
run price --prices "$book" -m gpt-4o --output 1
expect_err "price: --input is required" 2 '--input N'
run price --prices "$book" -m gpt-4o --input 1e6
expect_err "price: a bad token count" 2 "--input: expected a whole number of tokens" "'1e6'"
run price --prices "$book" -m gpt-4o --input 1 --frobnicate
expect_err "price: unknown option" 2 "unknown option '--frobnicate'"
run price --prices "$book" -m gpt-4o --input 1 --input-audio 5 --at 2025-08-01
expect_err "price: audio tokens without an audio rate" 1 'openai/gpt-4o' 'input_audio'
run price --prices "$book" -m o3-mini --input 1 --batch --at 2025-08-01
expect_err "price: batch without a batch price" 1 'openai/o3-mini' 'batch'
run price --prices "$work/missing.json" -m gpt-4o --input 1
expect_err "price: a missing book" 1 "$work/missing.json" 'cannot open'
TOKENMETER_PRICES="$work/missing.json" run price -m gpt-4o --input 1
expect_err "price: \$TOKENMETER_PRICES naming a missing file" 1 'TOKENMETER_PRICES'
TOKENMETER_PRICES="$book" run price -m sonar --input 0 --at 2025-08-01 --json
expect_err "price: \$TOKENMETER_PRICES names the book" 0

# every bad book, with the fragment its message must carry
while IFS=$'\t' read -r f frag; do
  case "$f" in '#'*|'') continue ;; esac
  run price --prices "$data/$f" -m gpt-4o --input 1
  expect_err "price: bad book $f" 1 "$data/$f: " "$frag"
  if [ -n "$out" ]; then fail "price: bad book $f printed output" "$out"; else pass; fi
done <"$data/bad-expected.tsv"
while IFS=$'\t' read -r f frag; do
  case "$f" in '#'*|'') continue ;; esac
  run price --prices "$book" -m gpt-4o --input 1 --overrides "$data/$f"
  expect_err "price: bad overrides $f" 1 "$data/$f: " "$frag"
done <"$data/overrides-bad-expected.tsv"

# ---- prices ----
run prices --prices "$book" --at 2025-08-01
n=$(printf '%s\n' "$out" | wc -l)
if [ "$rc" = 0 ] && [ "$n" = 11 ] &&
   [[ "$(printf '%s\n' "$out" | head -1)" == PROVIDER*MODEL*EFFECTIVE*INPUT*CACHED*WRITE_5M*WRITE_1H*OUTPUT* ]] &&
   printf '%s\n' "$out" | grep -Eq '^openai +gpt-4o +2024-10-02 +2\.50 +1\.25 +- +- +10\.00'; then pass; else
  fail "prices: header and one row per model in effect (10)" "exit $rc, $n lines" "$out" "$err"
fi
run prices --prices "$book" --at 2024-06-01 --json
printf '%s\n' "$out" >"$work/l1.json"
json_check "prices --json --at: the entries in effect then" "$work/l1.json" 'doc.length === 2 && doc[0].model === "gpt-4o" && doc[0].per_mtok.input === "5" && doc[0].batch_multiplier === "0.5" && doc[1].model === "gpt-4o-2024-05-13"' whole
run prices --prices "$book" --provider google --at 2025-08-01 --json
printf '%s\n' "$out" >"$work/l2.json"
json_check "prices --provider" "$work/l2.json" 'doc.length === 2 && doc.every((e) => e.provider === "google") && doc[0].tiers[0].above_input_tokens === 200000' whole
run prices --prices "$data/bad-number.json"
expect_err "prices: a bad book" 1 'per_mtok.input' 'got a number'
run prices extra
expect_err "prices: unknown operand" 2 "unknown operand 'extra'"

# ---- prices import ----
run prices import "$data/litellm-excerpt.json" --date 2026-11-25
printf '%s\n' "$out" >"$work/imported.json"
expect_err "prices import: exit 0, skips reported" 0 'skipped tiny-rate-model' 'finer than one picounit' \
  'skipped openai/gpt-4o' 'skipped tiered-pricing-model' '10 entries imported, 7 skipped, 2 without per-token prices'
json_check "prices import: a book with exact rates" "$work/imported.json" '
  doc.format === "tokenmeter-prices/1" && doc.prices.length === 10 &&
  doc.prices.every((e) => e.effective === "2026-11-25" && e.as_of === "2026-11-25") &&
  doc.prices.find((e) => e.model === "gemini-2.0-flash-lite").per_mtok.cached_input === "0.01875" &&
  doc.prices.find((e) => e.model === "o3-mini").per_mtok.input === "1.1" &&
  doc.prices.find((e) => e.provider === "azure").model === "gpt-4o"' whole
run prices import "$data/litellm-excerpt.json" --date 2026-11-25 -o "$work/book2.json"
if [ "$rc" = 0 ] && [ -z "$out" ] && cmp -s "$work/imported.json" "$work/book2.json"; then pass; else
  fail "prices import -o: the same book in the file" "exit $rc" "$err"
fi
run price --prices "$work/book2.json" -m claude-sonnet-4-5 --input 300000 --output 1000 --at 2026-12-01 --json
printf '%s\n' "$out" >"$work/p7.json"
json_check "price with an imported book: the tier applies" "$work/p7.json" 'rows[0].total === "1.8225" && rows[0].tier_above_input_tokens === 200000'
printf '[1, 2]\n' >"$work/array.json"
run prices import "$work/array.json"
expect_err "prices import: not LiteLLM's format" 1 "$work/array.json" 'expected LiteLLM'
run prices import
expect_err "prices import: FILE is required" 2 'expects one FILE'
run prices import "$data/litellm-excerpt.json" --date 25-11-2026
expect_err "prices import: a bad --date" 2 '--date'
run prices import "$work/missing.json" -o "$work/never.json"
expect_err "prices import: a missing file" 1 'cannot open'
if [ -e "$work/never.json" ]; then fail "prices import: no output file on failure"; else pass; fi

# ---- no floating point in the price module ----
bad=$(grep -nE '\b(float|double|strtod|atof|json_real_value)\b' "$root"/src/price/*.[ch] \
        "$root/include/tokenmeter/price.h" "$root/src/cli/cmd_price.c" |
      grep -v '^'"$root"'/src/price/import.c:' || true)
if [ -z "$bad" ]; then pass; else fail "no float or double outside the importer's number reading" "$bad"; fi
# in import.c: only in number_text (reading the double back), never stored or computed with
bad=$(grep -nE '\b(float|double)\b[^;]*[;=]' "$root/src/price/import.c" | grep -vE '^[0-9]+: *(/?\*|//)' || true)
if [ -z "$bad" ]; then pass; else fail "import.c declares a float or double" "$bad"; fi

report_and_exit
