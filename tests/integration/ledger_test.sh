#!/usr/bin/env bash
# Integration test of the ledger commands: `tokenmeter ingest` and
# `tokenmeter db check`, with the test price book tests/data/prices/book.json.
#
#   tests/integration/ledger_test.sh [PATH/TO/tokenmeter]
#
# Bad lines are reported with their line number and skipped, the rest is
# recorded; ingesting a file again records nothing twice; prices are rated
# at each event's time; `db check` passes on a good ledger and (when the
# sqlite3 shell is installed) fails on a damaged one.
# Prints one line per failed check and a closing "N passed, M failed".
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
tm=${1:-$root/build/tokenmeter}
[ -x "$tm" ] || { echo "ledger_test: $tm is not an executable (build first)" >&2; exit 2; }
unset TOKENMETER_PRICES
book="$root/tests/data/prices/book.json"

work=$(mktemp -d "${TMPDIR:-/tmp}/ledger_test.XXXXXX")
trap 'rm -rf "$work"' EXIT
. "$root/tests/integration/lib.sh"
db="$work/t.db"

cat >"$work/a.jsonl" <<'JSONL'
{"id": "r1", "tenant": "acme", "provider": "openai", "model": "gpt-4o", "started_at": "2026-03-23T10:00:00Z", "usage": {"input": 1000, "cached_input": 2000, "output": 300}, "tags": {"team": "search"}}
{"id": "r2", "tenant": "acme", "provider": "openai", "model": "gpt-4o", "started_at": "2024-06-01T00:00:00Z", "usage": {"input": 1000000}}

{"id": "r3", "tenant": "acme", "provider": "openai", "model": "nope", "started_at": "2026-03-23T10:00:00Z", "usage": {"input": 1}}
{"id": "r4", "tenant": "acme", "provider": "openai", "model": "gpt-4o", "started_at": "2026-03-23T10:00:00Z", "usage": {"inptu": 1}}
{"tenant": "acme", "provider": "openai", "model": "gpt-4o", "started_at": "2026-03-23T10:00:00Z", "usage": {"input": 1}}
{"id": "r6", "tenant": "acme", "provider": "openai", "model": "gpt-4o", "started_at": "2026-03-23T10:00:00Z", "usage": {"input": 1}, "cost": 0.5}
JSONL

run ingest --db "$db" --prices "$book" "$work/a.jsonl"
expect "ingest: good lines recorded, bad lines counted" 1 "6 lines: 2 recorded, 0 duplicates, 0 conflicts, 4 bad"
expect_err "ingest: bad lines named with file, line and cause" 1 \
  "a.jsonl:4: " 'no price for model "nope"' "a.jsonl:5: usage.inptu: not a token class" \
  "a.jsonl:6: id is required" 'a.jsonl:7: unknown field "cost"'

run ingest --db "$db" --prices "$book" --json "$work/a.jsonl"
expect "ingest again: nothing recorded twice" 1 '{"lines": 6, "recorded": 0, "duplicates": 2, "conflicts": 0, "bad": 4}'

# The same id with other facts: a conflict, named, nothing changed.
printf '%s\n' '{"id": "r1", "tenant": "acme", "provider": "openai", "model": "gpt-4o", "started_at": "2026-03-23T10:00:00Z", "usage": {"input": 5}}' >"$work/conflict.jsonl"
run ingest --db "$db" --prices "$book" "$work/conflict.jsonl"
expect "ingest: a reused id" 1 "1 lines: 0 recorded, 0 duplicates, 1 conflicts, 0 bad"
expect_err "ingest: a reused id is named" 1 "conflict.jsonl:1: id r1 was recorded before with different facts"

run db check --db "$db"
expect "db check: a good ledger" 0 "$db: 2 events, 2 rollup rows, 0 mismatches"

# 2,500 lines: more than one commit batch.
for i in $(seq 1 2500); do
  printf '{"id": "b%d", "tenant": "t%d", "provider": "openai", "model": "gpt-4o", "started_at": "2026-03-%02dT%02d:%02d:00Z", "usage": {"input": %d, "output": 7}}\n' \
    "$i" $((i % 3)) $((1 + i % 28)) $((i % 24)) $((i % 60)) "$i"
done >"$work/b.jsonl"
run ingest --db "$db" --prices "$book" "$work/b.jsonl"
expect "ingest 2,500 lines" 0 "2500 lines: 2500 recorded, 0 duplicates, 0 conflicts, 0 bad"
run db check --db "$db"
expect_err "db check after 2,500 more" 0
case "$out" in *": 2502 events, "*", 0 mismatches") pass ;; *) fail "db check counts" "$out" ;; esac

if command -v sqlite3 >/dev/null; then
  # Rated at each event's time: r1 at 2026 prices (2.50/1.25/10 per M),
  # r2 at the launch price in effect in June 2024 (5.00 per M).
  got=$(sqlite3 "$db" "SELECT id || '=' || cost_hi || ':' || cost_lo FROM events WHERE id IN ('r1', 'r2') ORDER BY id")
  want=$'r1=0:8000000000\nr2=0:5000000000000'
  if [ "$got" = "$want" ]; then pass; else fail "ingest rates at the event's time" "$got"; fi
  sqlite3 "$db" "UPDATE rollups SET requests = requests + 1 WHERE tenant = 'acme'"
  run db check --db "$db"
  expect_err "db check: a damaged rollup" 1 "check failed: rollup acme/openai/gpt-4o@"
fi

# A line over the 1 MiB cap is refused (and never held whole); the next
# line is still read; a last line without a newline counts.
{ printf '{"id": "long", "pad": "'; head -c 1100000 /dev/zero | tr '\0' x; printf '"}\n'
  printf '{"id": "after-long", "tenant": "acme", "provider": "openai", "model": "gpt-4o", "started_at": "2026-03-23T10:00:00Z", "usage": {"input": 1}}'
} >"$work/c.jsonl"
run ingest --db "$work/c.db" --prices "$book" "$work/c.jsonl"
expect "ingest: an over-long line" 1 "2 lines: 1 recorded, 0 duplicates, 0 conflicts, 1 bad"
expect_err "ingest: an over-long line is named" 1 "c.jsonl:1: the line is longer than 1048576 bytes"

# Provider usage objects: totals that include their details (OpenAI) and
# inputs that exclude the cache (Anthropic) become disjoint classes.
cat >"$work/p.jsonl" <<'JSONL'
{"id": "oa-chat", "tenant": "pu", "provider": "openai", "model": "gpt-4o", "started_at": "2026-03-23T10:00:00Z", "provider_usage": {"prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500, "prompt_tokens_details": {"cached_tokens": 800, "audio_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 200, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}}
{"id": "oa-resp", "tenant": "pu", "provider": "openai", "model": "gpt-4o", "started_at": "2026-03-23T10:00:00Z", "provider_usage": {"input_tokens": 1000, "input_tokens_details": {"cached_tokens": 1000}, "output_tokens": 10, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 1010}}
{"id": "an-split", "tenant": "pu", "provider": "anthropic", "model": "claude-sonnet-4", "started_at": "2026-03-23T10:00:00Z", "provider_usage": {"input_tokens": 10, "cache_read_input_tokens": 2000, "cache_creation_input_tokens": 3000, "cache_creation": {"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 2000}, "output_tokens": 100, "service_tier": "standard"}}
{"id": "an-plain", "tenant": "pu", "provider": "anthropic", "model": "claude-sonnet-4", "started_at": "2026-03-23T10:00:00Z", "provider_usage": {"input_tokens": 10, "cache_creation_input_tokens": 1000, "output_tokens": 0}}
{"id": "oa-bad", "tenant": "pu", "provider": "openai", "model": "gpt-4o", "started_at": "2026-03-23T10:00:00Z", "provider_usage": {"prompt_tokens": 1000, "completion_tokens": 1, "prompt_tokens_details": {"cached_tokens": 2000}}}
{"id": "an-bad", "tenant": "pu", "provider": "anthropic", "model": "claude-sonnet-4", "started_at": "2026-03-23T10:00:00Z", "provider_usage": {"input_tokens": 10, "cache_creation_input_tokens": 5, "cache_creation": {"ephemeral_5m_input_tokens": 1, "ephemeral_1h_input_tokens": 1}, "output_tokens": 1}}
{"id": "both", "tenant": "pu", "provider": "openai", "model": "gpt-4o", "started_at": "2026-03-23T10:00:00Z", "usage": {"input": 1}, "provider_usage": {"prompt_tokens": 1}}
JSONL
run ingest --db "$work/p.db" --prices "$book" "$work/p.jsonl"
expect "ingest provider usage objects" 1 "7 lines: 4 recorded, 0 duplicates, 0 conflicts, 3 bad"
expect_err "ingest: provider usage errors named" 1 \
  "p.jsonl:5: provider_usage: prompt_tokens: the details (2000) exceed the total (1000)" \
  "p.jsonl:6: provider_usage: cache_creation_input_tokens (5) is not ephemeral_5m + ephemeral_1h (1 + 1)" \
  "p.jsonl:7: usage and provider_usage: give one of them"
if command -v sqlite3 >/dev/null; then
  # gpt-4o 2.50 / 1.25 cached / 10 output; claude-sonnet-4 3 / 0.30 read /
  # 3.75 5m write / 6 1h write / 15 output (tests/data/prices/book.json).
  got=$(sqlite3 "$work/p.db" "SELECT id || ' ' || p_input || ' ' || p_cached_input || ' ' || p_cache_write_5m || ' ' || p_cache_write_1h || ' ' || p_output || ' ' || p_reasoning || ' ' || cost_lo FROM events ORDER BY seq")
  want=$'oa-chat 200 800 0 0 300 200 6500000000\noa-resp 0 1000 0 0 10 0 1350000000\nan-split 10 2000 1000 2000 100 0 17880000000\nan-plain 10 0 1000 0 0 0 3780000000'
  if [ "$got" = "$want" ]; then pass; else fail "provider usage: classes and cost" "$got"; fi
fi

run ingest --db "$db"
expect_err "ingest without a file: usage" 2 "no input file"
run db --db "$db"
expect_err "db without check: usage" 2 "expected the subcommand check"
run db check --db "$work/missing-dir/x.db"
expect_err "db check: an unopenable database" 1 "cannot open"
printf 'not a database at all, just some text long enough for a header\n' >"$work/junk.db"
run db check --db "$work/junk.db"
expect_err "db check: not a database" 1 "junk.db"

report_and_exit
