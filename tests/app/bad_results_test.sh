#!/usr/bin/env bash
# Bad results at evaluation time get a clean stop. Each campaign of
# tests/fixtures/bad_inputs/results/ runs a command whose every result is unusable (no value at
# the pointer, a string, NaN, Infinity, a 3 GiB sparse file, a binary file, NaN or text on stdout).
# Under `mpirun -np 2 lorahpo run` (one worker), with budget 6 and failures.stop_after 2, each must:
# exit with code 2 within 60 s; journal exactly 2 evaluations, both `failed`, with the reason;
# print an error line naming the reason (the fixture's `# expect-reason:`); show no trace of a
# crash (Abort, terminate called, Sanitizer, runtime error).
# Usage: bad_results_test.sh path/to/lorahpo. Prints one PASS/FAIL line per case and a total.
set -uo pipefail
lorahpo="${1:?usage: $0 path/to/lorahpo}"
lorahpo="$(cd "$(dirname "$lorahpo")" && pwd)/$(basename "$lorahpo")"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fixtures="$repo/tests/fixtures/bad_inputs/results"
mpirun_sh="$repo/scripts/mpirun.sh"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# shellcheck source=tests/app/report_case.sh
source "$repo/tests/app/report_case.sh"
stop_after=2
crash_pattern='Abort|terminate called|Sanitizer|runtime error|Segmentation|core dumped'


for file in "$fixtures"/*.yaml; do
  name="$(basename "$file" .yaml)"
  reason="$(grep -m 1 '^# expect-reason:' "$file" | sed 's/^# expect-reason: *//')"
  out="$work/run_$name"
  problems=()
  start=$(date +%s)
  timeout 60 "$mpirun_sh" -np 2 "$lorahpo" run "$file" --out "$out" > "$work/stdout" 2> "$work/stderr"
  rc=$?
  elapsed=$(( $(date +%s) - start ))
  [ "$rc" = 124 ] && problems+=("did not finish within 60 s")
  [ "$rc" = 2 ] || problems+=("exit code $rc, expected 2")
  # An error line (spdlog's `[error]`/`[critical]`, or `error:`) that names the reason.
  if ! grep -iE 'error|critical' "$work/stderr" | grep -qF "$reason"; then
    problems+=("no error line naming '$reason': $(tail -n 3 "$work/stderr" | cut -c 1-200 | tr '\n' '|')")
  fi
  if [ -f "$out/journal.jsonl" ]; then
    summary="$(python3 - "$out/journal.jsonl" "$reason" <<'PY'
import json, sys
# Evaluations only: the journal also holds events ({"event": "campaign" | "ask" | ...}).
rows = [r for r in (json.loads(line) for line in open(sys.argv[1]) if line.strip())
        if "event" not in r and "status" in r]
bad = [r.get("status") for r in rows if r.get("status") != "failed" or sys.argv[2] not in str(r.get("reason", ""))]
print(len(rows), "ok" if not bad else "wrong: " + ", ".join(map(str, bad)))
PY
)"
    read -r rows verdict <<< "$summary"
    [ "$rows" = "$stop_after" ] || problems+=("journal has $rows evaluations, expected $stop_after")
    [ "$verdict" = ok ] || problems+=("journal rows not all failed with the reason: $verdict")
  else
    problems+=("no journal.jsonl in the run directory")
  fi
  if grep -qE "$crash_pattern" "$work/stdout" "$work/stderr"; then problems+=("crash text in the output"); fi
  rm -rf "$out"
  if [ ${#problems[@]} -eq 0 ]; then report "$name (${elapsed} s)"; else report "$name (${elapsed} s)" "${problems[@]}"; fi
done

echo "$((passed + failed)) cases: $passed passed, $failed failed"
[ "$failed" = 0 ]
