# Shared checks of the integration tests (sourced, not run). The sourcing
# script sets $tm (the binary) and $work (a scratch directory), and ends
# with report_and_exit.

passed=0 failed=0

pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $1" >&2; shift; for l in "$@"; do echo "      $l" >&2; done; }

# run ARGS...: runs tokenmeter; sets $out, $err, $rc (stdin is inherited).
run() {
  "$tm" "$@" >"$work/out" 2>"$work/err"
  rc=$?
  out=$(cat "$work/out")
  err=$(cat "$work/err")
}

# expect NAME WANT_RC WANT_STDOUT: after run.
expect() {
  if [ "$rc" = "$2" ] && [ "$out" = "$3" ]; then pass; else
    fail "$1" "exit $rc (want $2)" "stdout: $(printf '%q' "$out")" "want:   $(printf '%q' "$3")" "stderr: $err"
  fi
}

# expect_err NAME WANT_RC PATTERN...: exit status and stderr containing each
# fixed string; stdout not checked.
expect_err() {
  local name=$1 want=$2 ok=1 p
  shift 2
  [ "$rc" = "$want" ] || ok=0
  for p in "$@"; do
    case "$err" in *"$p"*) ;; *) ok=0 ;; esac
  done
  if [ $ok = 1 ]; then pass; else
    fail "$name" "exit $rc (want $want)" "stderr: $err" "want stderr to contain: $*"
  fi
}

# json_check NAME FILE JS [MODE]: FILE is strict UTF-8; with MODE "lines"
# (the default) every line parses with JSON.parse and `rows` holds them,
# with "whole" the file is one document in `doc`; JS must evaluate to true.
json_check() {
  local msg
  if msg=$(node -e '
    const fs = require("fs");
    const buf = fs.readFileSync(process.argv[1]);
    let text;
    try { text = new TextDecoder("utf-8", { fatal: true }).decode(buf); }
    catch (e) { console.log("output is not valid UTF-8: " + JSON.stringify(buf.toString("latin1")).slice(0, 600)); process.exit(1); }
    const rows = [];
    let doc = null;
    if (process.argv[2] === "whole") {
      try { doc = JSON.parse(text); } catch (e) { console.log("not JSON: " + e.message); process.exit(1); }
    } else {
      for (const line of text.split("\n").filter((l) => l.length)) {
        try { rows.push(JSON.parse(line)); }
        catch (e) { console.log("not JSON: " + line.slice(0, 200)); process.exit(1); }
      }
    }
    if (!('"$3"')) { console.log("unexpected: " + JSON.stringify(doc || rows).slice(0, 600)); process.exit(1); }
  ' "$2" "${4:-lines}" 2>&1); then pass; else fail "$1" "$msg"; fi
}

# The closing line, and the exit status: 0 only when every check passed.
report_and_exit() {
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ]
}
