#!/usr/bin/env bash
# Does `lorahpo simulate` predict real MPI campaigns? Runs real `mpirun` campaigns on this machine
# (scripts/mpirun.sh: 1 master + P workers, P = 1, 2, 4, 8) of lora_surrogate with time_scale
# chosen so that one evaluation sleeps 0.65-0.85 s, with lhs and bo_gp async, then simulates the
# same config and P with the same time scale, and compares each makespan (summary.json
# wall_seconds): relative error = (simulated - real) / real, target within 10%.
#
#   bench/scaling_mpi_check.sh [--budget 24] [--workers "1 2 4 8"] [--time-scale 0.75]
#
# Environment: BUILD_DIR (default <repo>/build-bench; built in Release if needed), RESULTS_DIR
# (default bench/results). Writes RESULTS_DIR/scaling_mpi_check.{csv,md}. About 2 minutes.
# On a 2-core machine P = 8 sleeping workers are fine, but the master's compute (the GP of
# bo_gp) competes for the cores with the workers' polling and with the surrogate fit every
# worker does at setup: both are part of the real makespan and only the first is simulated.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$repo/build-bench}"
results_dir="${RESULTS_DIR:-$repo/bench/results}"
budget=24
workers="1 2 4 8"
time_scale=0.75
methods="lhs bo_gp_async"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --budget) budget="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --time-scale) time_scale="$2"; shift 2 ;;
    --methods) methods="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

if [[ ! -x "$build_dir/lorahpo" ]]; then
  echo "== build ($build_dir)" >&2
  cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DLORAHPO_BUILD_TESTS=OFF \
    -DLORAHPO_BUILD_BENCH=ON >/dev/null
  cmake --build "$build_dir" -j "$(nproc)" --target lorahpo
fi
lorahpo="$build_dir/lorahpo"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$results_dir"
csv="$results_dir/scaling_mpi_check.csv"
echo "method,workers,budget,time_scale,real_wall_seconds,simulated_wall_seconds,relative_error,real_setup_seconds,simulated_with_setup_seconds,relative_error_with_setup,real_mean_eval_seconds,simulated_master_seconds_per_decision" >"$csv"

optimizer_of() {
  case "$1" in
    lhs) echo "{name: lhs}" ;;
    bo_gp_async) echo "{name: bo_gp, n_init: 10, mode: async}" ;;
    bo_gp_sync) echo "{name: bo_gp, n_init: 10, mode: sync, batch_size: 0}" ;;
    soo) echo "{name: soo}" ;;
    *) echo "unknown method $1" >&2; exit 2 ;;
  esac
}

for method in $methods; do
  config="$work/$method.yaml"
  cat >"$config" <<EOF
campaign: {name: mpi_check_$method, budget: $budget, direction: maximize, seed: 1}
optimizer: $(optimizer_of "$method")
objective: {kind: builtin, function: lora_surrogate, metric: acc_norm, noise: 0.0044, time_scale: $time_scale}
EOF
  for p in $workers; do
    real_dir="$work/$method-P$p-real"
    sim_dir="$work/$method-P$p-sim"
    "$repo/scripts/mpirun.sh" -np $((p + 1)) "$lorahpo" run "$config" --out "$real_dir" \
      >"$work/real.log" 2>&1 || { cat "$work/real.log" >&2; exit 1; }
    "$lorahpo" simulate "$config" --workers "$p" --time-scale "$time_scale" --out "$sim_dir" \
      >"$work/sim.log" 2>&1 || { cat "$work/sim.log" >&2; exit 1; }
    # The workers' start-up as measured in the real run: mean over workers of the time from the
    # campaign's start to their first evaluation (each one fits lora_surrogate's GP at setup).
    setup=$(python3 - "$real_dir" <<'PY'
import json, sys
from datetime import datetime, timezone
def t(s): return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
lines = [json.loads(l) for l in open(f"{sys.argv[1]}/journal.jsonl")]
created = t(next(l for l in lines if l.get("event") == "campaign")["created"])
first = {}
for l in lines:
    if "event" not in l: first[l["worker"]] = min(first.get(l["worker"], 1e300), t(l["start"]))
print(f"{sum(v - created for v in first.values()) / len(first):.3f}")
PY
)
    "$lorahpo" simulate "$config" --workers "$p" --time-scale "$time_scale" --setup-seconds "$setup" \
      --out "$sim_dir-setup" >"$work/sim.log" 2>&1 || { cat "$work/sim.log" >&2; exit 1; }
    python3 - "$method" "$p" "$budget" "$time_scale" "$real_dir" "$sim_dir" "$setup" >>"$csv" <<'PY'
import json, sys
method, p, budget, scale, real_dir, sim_dir, setup = sys.argv[1:]
real = json.load(open(f"{real_dir}/summary.json"))["wall_seconds"]
sim = json.load(open(f"{sim_dir}/summary.json"))["wall_seconds"]
sim_setup = json.load(open(f"{sim_dir}-setup/summary.json"))["wall_seconds"]
stats = json.load(open(f"{sim_dir}/simulation.json"))
trials = [json.loads(l) for l in open(f"{real_dir}/journal.jsonl") if '"event"' not in l]
mean = sum(t["duration"] for t in trials) / len(trials)
print(f"{method},{p},{budget},{scale},{real:.3f},{sim:.3f},{(sim - real) / real:.4f},{setup},"
      f"{sim_setup:.3f},{(sim_setup - real) / real:.4f},{mean:.3f},"
      f"{stats['master_seconds_per_decision']:.5f}")
PY
    tail -1 "$csv" >&2
  done
done

python3 - "$csv" "$results_dir/scaling_mpi_check.md" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
worst = max(abs(float(r["relative_error"])) for r in rows)
worst_setup = max(abs(float(r["relative_error_with_setup"])) for r in rows)
lines = [
    "Real `mpirun` campaigns (scripts/mpirun.sh, 1 master + P workers on this machine) against "
    "`lorahpo simulate` of the same config, P and time scale: makespan = summary.json "
    "wall_seconds; error = (simulated - real) / real. `simulate` alone models no worker "
    "start-up; `+ setup` passes the start-up measured in the real run (`--setup-seconds`: mean "
    "time from the campaign's start to a worker's first evaluation, i.e. its lora_surrogate fit, "
    f"P of them sharing this machine's cores). Worst |error|: {100 * worst:.1f}% without, "
    f"{100 * worst_setup:.1f}% with the start-up (target 10%).",
    "",
    "| method | P | budget | time_scale | real (s) | simulated (s) | error | real start-up (s) | simulated + setup (s) | error | real mean eval (s) | sim master s/decision |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
]
for r in rows:
    lines.append(f"| {r['method']} | {r['workers']} | {r['budget']} | {r['time_scale']} | "
                 f"{float(r['real_wall_seconds']):.2f} | {float(r['simulated_wall_seconds']):.2f} | "
                 f"{100 * float(r['relative_error']):+.1f}% | {float(r['real_setup_seconds']):.2f} | "
                 f"{float(r['simulated_with_setup_seconds']):.2f} | "
                 f"{100 * float(r['relative_error_with_setup']):+.1f}% | "
                 f"{float(r['real_mean_eval_seconds']):.3f} | "
                 f"{float(r['simulated_master_seconds_per_decision']):.4f} |")
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
