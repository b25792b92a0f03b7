#!/usr/bin/env bash
# Re-checks in the idle tail (issue 15), in one command: builds lorahpo (Release, its own build
# dir), simulates each optimizer on the LoRA surrogate (lm_eval-sized noise, the real 52-68 minute
# costs) with and without `rechecks` on the same seeds, and writes
# bench/results/rechecks.md's tables (bench/rechecks.py says what is compared and how).
#
#   bench/run_rechecks.sh                       # 20 seeds (101-120), 8 workers, budget 50
#   SEEDS=3 METHODS=lhs bench/run_rechecks.sh   # a quick run
#
# Environment: BUILD_DIR (default <repo>/build-rechecks), RESULTS_DIR (bench/results), JOBS
# (nproc), SEEDS (20), FIRST_SEED (101), WORKERS (8), BUDGET (50), TOP_K (3), AT_END (wait),
# FITS (true: rechecks.only_if_it_fits),
# METHODS (bo_gp,lhs,soo,bamsoo), OBJECTIVE (the objective section, YAML flow), TAG (a suffix of
# the output names).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$repo/build-rechecks}"
results_dir="${RESULTS_DIR:-$repo/bench/results}"
jobs="${JOBS:-$(nproc)}"
tag="${TAG:-}"
objective="${OBJECTIVE:-{kind: builtin, function: lora_surrogate, metric: acc_norm, noise: 0.0044, time_scale: 0\}}"

echo "== build ($build_dir)" >&2
cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DLORAHPO_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j "$jobs" --target lorahpo

mkdir -p "$results_dir"
out="$(mktemp -d)"
start=$SECONDS
python3 "$repo/bench/rechecks.py" --lorahpo "$build_dir/lorahpo" --out "$out" \
  --seeds "${SEEDS:-20}" --first-seed "${FIRST_SEED:-101}" --workers "${WORKERS:-8}" \
  --budget "${BUDGET:-50}" --top-k "${TOP_K:-3}" --at-end "${AT_END:-wait}" \
  --only-if-it-fits "${FITS:-true}" \
  --methods "${METHODS:-bo_gp,lhs,soo,bamsoo}" --jobs "$jobs" --objective "$objective" >/dev/null
cp "$out/rechecks.csv" "$results_dir/rechecks$tag.csv"
{
  echo "### Re-checks in the idle tail$tag"
  echo
  echo "Command: \`bench/run_rechecks.sh\` ($((SECONDS - start)) s of simulation here)."
  echo
  cat "$out/rechecks_table.md"
} >"$results_dir/rechecks_table$tag.md"
rm -rf "$out"
echo "wrote $results_dir/rechecks_table$tag.md and rechecks$tag.csv" >&2
