#!/usr/bin/env bash
# SOO's and BaMSOO's parallel strategies at 8 emulated workers against the one-worker sweep, at
# equal evaluations (issue 14: "search quality does not collapse"), in one command: builds
# lorahpo_bench_search (Release, its own build dir), runs every (function, method, seed) on the
# shifted functions (--shift: a random box translation and axis flips per (function, seed), the
# same for every method) on held-out seeds, and writes bench/results/partition_parallel.md.
#
#   bench/run_partition_parallel.sh                 # 30 seeds (101-130), budget 50
#   BUDGETS="50 100" bench/run_partition_parallel.sh
#   SEEDS=5 FUNCTIONS=branin bench/run_partition_parallel.sh   # a quick run
#
# Environment: BUILD_DIR (default <repo>/build-partition), RESULTS_DIR (default bench/results),
# JOBS (default nproc), SEEDS (30), FIRST_SEED (101), BUDGETS ("50"), FUNCTIONS, METHODS,
# WORKERS (8), EXTRA (more lorahpo_bench_search arguments, e.g. --scramble-returns), TAG (a
# suffix of the output names, so a variant run does not overwrite the main one).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$repo/build-partition}"
results_dir="${RESULTS_DIR:-$repo/bench/results}"
jobs="${JOBS:-$(nproc)}"
seeds="${SEEDS:-30}"
first_seed="${FIRST_SEED:-101}"
budgets="${BUDGETS:-50}"
workers="${WORKERS:-8}"
functions="${FUNCTIONS:-branin,hartmann6,levy5,styblinski_tang5,michalewicz5,ackley5,rosenbrock5}"
q="$workers"
methods="${METHODS:-soo,soo_async$q,soo_wide$q,soo_sweep$q,bamsoo,bamsoo_async$q,bamsoo_wide$q,bamsoo_sweep$q}"
extra="${EXTRA:-}"
tag="${TAG:-}"

echo "== build ($build_dir)" >&2
cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DLORAHPO_BUILD_TESTS=OFF \
  -DLORAHPO_BUILD_BENCH=ON >/dev/null
cmake --build "$build_dir" -j "$jobs" --target lorahpo_bench_search
bin="$build_dir/bench/lorahpo_bench_search"

mkdir -p "$results_dir"
csvs=()
start=$SECONDS
for budget in $budgets; do
  csv="$results_dir/partition_parallel${tag}_b$budget.csv"
  echo "== budget $budget" >&2
  # shellcheck disable=SC2086  # EXTRA is a list of arguments
  "$bin" --shift --first-seed "$first_seed" --seeds "$seeds" --budget "$budget" \
    --functions "$functions" --methods "$methods" --jobs "$jobs" --out "$csv" $extra
  csvs+=("$csv")
done

echo "== summary" >&2
command="SEEDS=$seeds FIRST_SEED=$first_seed BUDGETS=\"$budgets\" WORKERS=$workers"
[[ -n "$extra" ]] && command+=" EXTRA=\"$extra\""
[[ -n "${METHODS:-}" ]] && command+=" METHODS=$methods"
[[ -n "${FUNCTIONS:-}" ]] && command+=" FUNCTIONS=$functions"
[[ -n "$tag" ]] && command+=" TAG=$tag"
command+=" bench/run_partition_parallel.sh"
python3 "$repo/bench/partition_parallel.py" --command "$command" "${csvs[@]}" \
  > "$results_dir/partition_parallel$tag.md"
cat "$results_dir/partition_parallel$tag.md"
echo "== done in $((SECONDS - start)) s (after the build); results in $results_dir" >&2
