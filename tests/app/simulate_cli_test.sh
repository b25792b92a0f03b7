#!/usr/bin/env bash
# `lorahpo simulate`: the CLI runs a campaign on simulated workers without MPI (exit 0, a run
# directory with summary.json, simulation.json and a journal `lorahpo report` reads), and
# refuses what it cannot simulate with exit 2.
set -euo pipefail
lorahpo=$1
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$work/quick
"$lorahpo" simulate "$source_dir/configs/quickstart.yaml" --workers 8 --out "$out" \
  >"$work/stdout" 2>"$work/stderr" || fail "simulate exited $?: $(tail -5 "$work/stderr")"
grep -q "simulated 50 evaluations on 8 workers" "$work/stdout" || fail "summary line: $(cat "$work/stdout")"
# The surrogate's noise: the true value of the recommendation beside the best observation's
# (HellaSwag acc_norm: the plateau of the real runs is near 0.73).
grep -Eq "^recommended evaluation #[0-9]+: noiseless value 0\.7[0-9]*; best observed score 0\.7[0-9]* \(evaluation #[0-9]+\): noiseless value 0\.7" "$work/stdout" \
  || fail "recommendation line: $(cat "$work/stdout")"
for f in summary.json simulation.json journal.jsonl results.csv config.yaml; do
  [ -s "$out/$f" ] || fail "no $f"
done
python3 - "$out" <<'PY'
import json, sys
run = sys.argv[1]
summary = json.load(open(f"{run}/summary.json"))
sim = json.load(open(f"{run}/simulation.json"))
trials = [json.loads(l) for l in open(f"{run}/journal.jsonl") if '"event"' not in l]
assert summary["workers"] == 8 and summary["evaluations"]["ok"] == 50, summary
# 50 evaluations of 52-68 real minutes on 8 workers: 7 rounds, about 6-8 hours of virtual time.
assert 6 * 3000 < summary["wall_seconds"] < 9 * 4200, summary["wall_seconds"]
assert len(trials) == 50
assert all(3000 < t["duration"] < 4200 for t in trials), [t["duration"] for t in trials]
assert 0.5 < sim["utilization"] <= 1.0 and sim["decisions"] >= 50, sim
rec = summary["recommended"]
assert rec["rule"] == "gp_posterior_mean" and 0.7 < rec["noiseless"] < 0.76, rec
assert any(t["id"] == rec["id"] and t["status"] == "ok" for t in trials), rec
PY
"$lorahpo" report "$out" >/dev/null || fail "report of a simulated run"
[ -s "$out/report/worker_timeline.svg" ] || fail "no worker timeline"

# Fixed evaluation times: 20 lhs evaluations of 2 s on 5 workers, a master that takes no time.
cat >"$work/lhs.yaml" <<'YAML'
campaign: {name: lhs, budget: 20, direction: minimize, seed: 1}
optimizer: {name: lhs}
objective: {kind: builtin, function: branin}
YAML
"$lorahpo" simulate "$work/lhs.yaml" --workers 5 --eval-seconds 2 --master-time-scale 0 \
  --out "$work/lhs" >/dev/null 2>&1 || fail "lhs simulate"
python3 -c "import json,sys; w=json.load(open('$work/lhs/summary.json'))['wall_seconds']; sys.exit(0 if abs(w-8.0)<1e-6 else 1)" \
  || fail "lhs makespan is not 4 rounds of 2 s"

expect_usage() {
  local rc=0
  "$@" >"$work/out" 2>&1 || rc=$?
  [ "$rc" -eq 2 ] || fail "expected exit 2, got $rc: $*: $(cat "$work/out")"
  grep -q "error" "$work/out" || fail "no error line: $*"
}
expect_usage "$lorahpo" simulate "$work/lhs.yaml" --workers 2 --out "$out"          # not empty
expect_usage "$lorahpo" simulate "$source_dir/tests/fixtures/command_campaign.yaml" --workers 2 \
  --out "$work/command"                                                              # a command
expect_usage "$lorahpo" simulate "$work/lhs.yaml" --workers 0 --out "$work/zero"
expect_usage "$lorahpo" simulate "$work/lhs.yaml" --workers 2 --eval-seconds -1 --out "$work/neg"
expect_usage "$lorahpo" simulate "$work/missing.yaml" --workers 2 --out "$work/missing"
echo "simulate CLI: ok"
