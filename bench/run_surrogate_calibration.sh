#!/usr/bin/env bash
# The lora_surrogate's calibration in one command (issue 15): builds
# lorahpo_bench_surrogate_calibration (Release) and writes bench/results/surrogate_calibration.md:
# near-replicates in the 150 real runs (how large the run-to-run noise is, against lm_eval's
# standard error), and the standardized leave-one-out residuals of the surrogate and of three
# alternatives on held-out seeds (default 101-120; the unit tests use 515 and 1-4).
#
#   bench/run_surrogate_calibration.sh            # about 2 min on 2 idle cores
#   bench/run_surrogate_calibration.sh 101 5      # first seed, number of seeds
#
# Environment: BUILD_DIR (default <repo>/build-bench), RESULTS_DIR (default bench/results).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$repo/build-bench}"
results_dir="${RESULTS_DIR:-$repo/bench/results}"

echo "== build ($build_dir)" >&2
cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DLORAHPO_BUILD_TESTS=OFF \
  -DLORAHPO_BUILD_BENCH=ON >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target lorahpo_bench_surrogate_calibration

start=$SECONDS
mkdir -p "$results_dir"
"$build_dir/bench/lorahpo_bench_surrogate_calibration" "${1:-101}" "${2:-20}" \
  >"$results_dir/surrogate_calibration.md"
echo "== wrote $results_dir/surrogate_calibration.md in $((SECONDS - start)) s" >&2
