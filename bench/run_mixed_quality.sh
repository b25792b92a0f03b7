#!/usr/bin/env bash
# The seed's next comparison in one command (issue 16): BO-GP vs SOO vs BaMSOO vs LHS, and the
# references at their strongest (bench/references.py: Optuna's multivariate TPE, CMA-ES with
# margin, a scikit-learn GP-EI loop), on mixed continuous/integer/categorical test functions in
# 10 and 20 dimensions (worker/test_function.cpp: ackley_mixed, the Ackley-53 construction of
# MVRSM and Casmopolitan; rosenbrock_mixed, MVRSM's dim10Rosenbrock), with the fair protocol of
# bench/run_search_quality.sh: a per-seed box shift and flips of the continuous and integer
# axes and a per-seed shuffle of every categorical's labels, the same for every method, on
# held-out seeds. Writes bench/results/mixed_quality_tables.md (quoted and discussed in
# bench/results/mixed_quality.md), at the budget and after the first 50 evaluations (the ~50 GPU
# hours a campaign of the seed's users buys).
#
#   bench/run_mixed_quality.sh                     # the full benchmark (~45 min on 2 cores)
#   SEEDS=2 bench/run_mixed_quality.sh             # a quick run
#
# Environment (defaults in brackets): BUILD_DIR [<repo>/build-bench], BIN (a built
# lorahpo_bench_search: no build), RESULTS_DIR [bench/results], JOBS [nproc], BUDGET [100],
# AT [50], N_INIT [20], FIRST_SEED [101], SEEDS [30], FUNCTIONS [ackley_mixed10,
# rosenbrock_mixed10,ackley_mixed20,rosenbrock_mixed20], METHODS [bo_gp,soo,bamsoo,lhs],
# REFERENCES [optuna_tpe_mv,optuna_cmaes,sklearn_gp_ei], TABLES_ONLY=1 (the tables again from
# the CSVs already in RESULTS_DIR).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$repo/build-bench}"
results_dir="${RESULTS_DIR:-$repo/bench/results}"
jobs="${JOBS:-$(nproc)}"
budget="${BUDGET:-100}"
at="${AT:-50}"
n_init="${N_INIT:-20}"
first_seed="${FIRST_SEED:-101}"
seeds="${SEEDS:-30}"
functions="${FUNCTIONS:-ackley_mixed10,rosenbrock_mixed10,ackley_mixed20,rosenbrock_mixed20}"
methods="${METHODS:-bo_gp,soo,bamsoo,lhs}"
references="${REFERENCES:-optuna_tpe_mv,optuna_cmaes,sklearn_gp_ei}"
bin="${BIN:-$build_dir/bench/lorahpo_bench_search}"

csvs=("$results_dir/mq_lorahpo.csv")
for m in ${references//,/ }; do csvs+=("$results_dir/mq_ref_$m.csv"); done
start=$SECONDS
if [[ "${TABLES_ONLY:-0}" != 1 ]]; then
  if [[ -z "${BIN:-}" ]]; then
    echo "== build ($build_dir)" >&2
    cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DLORAHPO_BUILD_TESTS=OFF \
      -DLORAHPO_BUILD_BENCH=ON >/dev/null
    cmake --build "$build_dir" -j "$jobs" --target lorahpo_bench_search
  fi
  mkdir -p "$results_dir"
  start=$SECONDS
  echo "== lorahpo (seeds $first_seed..$((first_seed + seeds - 1)))" >&2
  "$bin" --shift --first-seed "$first_seed" --seeds "$seeds" --budget "$budget" \
    --n-init "$n_init" --functions "$functions" --methods "$methods" --jobs "$jobs" \
    --out "$results_dir/mq_lorahpo.csv"
  for m in ${references//,/ }; do
    echo "== reference $m" >&2
    # Debian's python3-optuna etc. live in /usr/bin/python3 (a pyenv python3 may lack them).
    /usr/bin/python3 "$repo/bench/references.py" --bin "$bin" --shift --functions "$functions" \
      --first-seed "$first_seed" --seeds "$seeds" --budget "$budget" --n-init "$n_init" \
      --methods "$m" --jobs "$jobs" --out "$results_dir/mq_ref_$m.csv"
  done
fi

echo "== tables" >&2
tables="$results_dir/mixed_quality_tables.md"
compare=()
for b in soo bamsoo lhs ${references//,/ }; do compare+=(--compare "bo_gp:$b"); done
compare+=(--compare "bamsoo:soo" --compare "soo:lhs" --compare "bamsoo:lhs")
command="bench/run_mixed_quality.sh  # BUDGET=$budget AT=$at N_INIT=$n_init FIRST_SEED=$first_seed SEEDS=$seeds"
{
  echo "# Mixed 10-d and 20-d search quality: generated tables"
  echo
  echo "Made by \`bench/run_mixed_quality.sh\` ($(date -u +%Y-%m-%d)); discussed in"
  echo "\`bench/results/mixed_quality.md\`. Regret = best value found - the known minimum (0)."
  echo
  /usr/bin/python3 "$repo/bench/search_quality.py" "${csvs[@]}" --wide --pooled \
    --title "At the budget ($budget evaluations, $n_init of them the initial design)" \
    --command "$command" "${compare[@]}"
  echo
  /usr/bin/python3 "$repo/bench/search_quality.py" "${csvs[@]}" --wide --pooled --at "$at" \
    --no-method-table --title "After the first $at evaluations of the same runs" "${compare[@]}"
} >"$tables"
echo "wrote $tables ($((SECONDS - start)) s of runs and tables)" >&2
