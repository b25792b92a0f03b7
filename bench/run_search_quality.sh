#!/usr/bin/env bash
# The fair search-quality benchmark in one command (issue 15): builds lorahpo_bench_search
# (Release), runs lorahpo's optimizers and the references (bench/references.py: Optuna's
# multivariate TPE and CMA-ES, a scikit-learn GP-EI loop) on the shifted test functions
# (--shift: a random box translation and axis flips per (function, seed), the same for every
# method) on held-out seeds, re-checks bo_gp's trust-region and liar defaults on tuning seeds no
# table reports, and writes bench/results/search_quality_tables.md (the tables that
# bench/results/search_quality.md quotes and discusses).
#
#   bench/run_search_quality.sh                            # the full benchmark (~1.5 h on 2 cores)
#   SEEDS=3 H6_SEEDS=0 TUNE_SEEDS=2 bench/run_search_quality.sh    # a quick run
#
# Environment (defaults in brackets): BUILD_DIR [<repo>/build-bench], RESULTS_DIR
# [bench/results], JOBS [nproc], BUDGET [50], N_INIT [10], FIRST_SEED [101], SEEDS [30],
# FUNCTIONS [branin,hartmann6,levy5,styblinski_tang5,michalewicz5], METHODS (lorahpo's)
# [bo_gp,bo_gp_async8,bo_gp_sync8,lhs,random,soo,bamsoo], REFERENCES
# [optuna_tpe_mv,sklearn_gp_ei,optuna_cmaes], H6_SEEDS [100: Hartmann6, bimodal, gets seeds
# FIRST_SEED..FIRST_SEED+H6_SEEDS-1 for every method; 0 or <= SEEDS: no extra seeds],
# TUNE_FIRST_SEED [201], TUNE_SEEDS [20], TUNE_FUNCTIONS [FUNCTIONS plus ackley5,rosenbrock5,
# which no table reports], SKIP_REFERENCES=1, SKIP_TUNE=1, SKIP_EXTRAS=1 (bo_gp's ask() time and
# the worker utilization tables, ask_time.md and worker_utilization.md, are not redone),
# TABLES_ONLY=1 (no build, no run: the tables again from the CSVs already in RESULTS_DIR).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$repo/build-bench}"
results_dir="${RESULTS_DIR:-$repo/bench/results}"
jobs="${JOBS:-$(nproc)}"
budget="${BUDGET:-50}"
n_init="${N_INIT:-10}"
first_seed="${FIRST_SEED:-101}"
seeds="${SEEDS:-30}"
functions="${FUNCTIONS:-branin,hartmann6,levy5,styblinski_tang5,michalewicz5}"
methods="${METHODS:-bo_gp,bo_gp_async8,bo_gp_sync8,lhs,random,soo,bamsoo}"
references="${REFERENCES:-optuna_tpe_mv,sklearn_gp_ei,optuna_cmaes}"
h6_seeds="${H6_SEEDS:-100}"
tune_first_seed="${TUNE_FIRST_SEED:-201}"
tune_seeds="${TUNE_SEEDS:-20}"
tune_functions="${TUNE_FUNCTIONS:-$functions,ackley5,rosenbrock5}"
# The defaults under test (bo_gp_sync8: 4 trust-region points of 8, first side 0.3, liar best;
# bo_gp_async8: liar kriging believer) and the alternatives each is checked against; plain bo_gp
# to see what 8 workers cost, and whether the trust region would help one worker too.
tune_methods="bo_gp,bo_gp_sync8,bo_gp_sync8%local_points=0,bo_gp_sync8%length_init=0.8"
tune_methods+=",bo_gp_sync8@kriging_believer,bo_gp_sync8@mean,bo_gp_sync8@worst"
tune_methods+=",bo_gp_async8,bo_gp_async8@best,bo_gp_async8@mean,bo_gp_async8@worst"

bin="$build_dir/bench/lorahpo_bench_search"
csvs=("$results_dir/sq_lorahpo.csv")
h6_csv=""
for m in ${references//,/ }; do
  [[ "${SKIP_REFERENCES:-0}" == 1 ]] || csvs+=("$results_dir/sq_ref_$m.csv")
done
if [[ ",$functions," == *",hartmann6,"* && "$h6_seeds" -gt "$seeds" ]]; then
  h6_csv="$results_dir/sq_h6_lorahpo.csv"
  csvs+=("$h6_csv")
  for m in ${references//,/ }; do
    [[ "${SKIP_REFERENCES:-0}" == 1 ]] || csvs+=("$results_dir/sq_h6_ref_$m.csv")
  done
fi
start=$SECONDS

# The runs (TABLES_ONLY=1 skips them). Each writes its own CSV; the list above is what the
# tables read.
run_references() {  # FUNCTIONS FIRST_SEED SEEDS TAG: one CSV per reference method
  local m
  for m in ${references//,/ }; do
    echo "== reference $m ($1, seeds $2..$(($2 + $3 - 1)))" >&2
    # Debian's python3-optuna etc. live in /usr/bin/python3; a pyenv python3 earlier in PATH
    # lacks them.
    /usr/bin/python3 "$repo/bench/references.py" --bin "$bin" --shift --functions "$1" \
      --first-seed "$2" --seeds "$3" --budget "$budget" --n-init "$n_init" --methods "$m" \
      --jobs "$jobs" --out "$results_dir/sq_${4}ref_$m.csv"
  done
}
if [[ "${TABLES_ONLY:-0}" != 1 ]]; then
  echo "== build ($build_dir)" >&2
  cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DLORAHPO_BUILD_TESTS=OFF \
    -DLORAHPO_BUILD_BENCH=ON >/dev/null
  cmake --build "$build_dir" -j "$jobs" --target lorahpo_bench_search lorahpo_bench_utilization
  mkdir -p "$results_dir"
  start=$SECONDS

  echo "== lorahpo (seeds $first_seed..$((first_seed + seeds - 1)))" >&2
  "$bin" --shift --first-seed "$first_seed" --seeds "$seeds" --budget "$budget" \
    --n-init "$n_init" --functions "$functions" --methods "$methods" --jobs "$jobs" \
    --out "$results_dir/sq_lorahpo.csv"
  [[ "${SKIP_REFERENCES:-0}" == 1 ]] || run_references "$functions" "$first_seed" "$seeds" ""
  if [[ -n "$h6_csv" ]]; then
    h6_first=$((first_seed + seeds))
    h6_more=$((h6_seeds - seeds))
    echo "== hartmann6, seeds $h6_first..$((h6_first + h6_more - 1))" >&2
    "$bin" --shift --first-seed "$h6_first" --seeds "$h6_more" --budget "$budget" \
      --n-init "$n_init" --functions hartmann6 --methods "$methods" --jobs "$jobs" \
      --out "$h6_csv"
    [[ "${SKIP_REFERENCES:-0}" == 1 ]] || run_references hartmann6 "$h6_first" "$h6_more" "h6_"
  fi
  if [[ "${SKIP_TUNE:-0}" != 1 ]]; then
    echo "== bo_gp defaults, tuning seeds $tune_first_seed..$((tune_first_seed + tune_seeds - 1))" >&2
    "$bin" --shift --first-seed "$tune_first_seed" --seeds "$tune_seeds" --budget "$budget" \
      --n-init "$n_init" --functions "$tune_functions" --methods "$tune_methods" --jobs "$jobs" \
      --out "$results_dir/sq_tune.csv"
  fi
fi

echo "== tables" >&2
tables="$results_dir/search_quality_tables.md"
# A CSV that is not there (a run skipped or stopped) is named in the tables, not fatal.
present=()
missing=()
for csv in "${csvs[@]}"; do
  if [[ -f "$csv" ]]; then present+=("$csv"); else missing+=("$(basename "$csv")"); fi
done
csvs=("${present[@]}")
lorahpo_compare=()
for b in ${references//,/ } lhs soo bamsoo; do
  lorahpo_compare+=(--compare "bo_gp:$b")
done
# The production mode (8 asynchronous workers) against the sequential references: a handicap
# for lorahpo (the references see every result before their next point).
for b in ${references//,/ }; do
  lorahpo_compare+=(--compare "bo_gp_async8:$b")
done
{
  echo "# Search quality: generated tables"
  echo
  echo "Written by \`bench/run_search_quality.sh\` (bench/search_quality.py); discussed in"
  echo "\`search_quality.md\`. Simple regret f(best) - f* at the budget on the shifted, noiseless"
  echo "test functions (lower is better). A = the row's first method, B = the second."
  echo
  if [[ ${#missing[@]} -gt 0 ]]; then
    echo "Not run (absent): ${missing[*]}."
    echo
  fi
  python3 "$repo/bench/search_quality.py" --wide --pooled --basin hartmann6=0.1 "${csvs[@]}" \
    --title "Held-out seeds: every method, and BO-GP against each" "${lorahpo_compare[@]}"
  if [[ ",$methods," == *",bo_gp_async8,"* ]]; then
    python3 "$repo/bench/search_quality.py" --no-method-table \
      --title "BO-GP's batch modes against one worker (held-out seeds)" \
      --compare bo_gp_async8:bo_gp --compare bo_gp_sync8:bo_gp --compare bo_gp_async8:bo_gp_sync8 \
      "$results_dir/sq_lorahpo.csv" ${h6_csv:+"$h6_csv"}
  fi
  if [[ "${SKIP_TUNE:-0}" != 1 ]]; then
    python3 "$repo/bench/search_quality.py" --pooled --basin hartmann6=0.1 \
      "$results_dir/sq_tune.csv" \
      --title "bo_gp defaults re-checked on tuning seeds (not reported above)" \
      --compare "bo_gp_sync8:bo_gp_sync8%local_points=0" \
      --compare "bo_gp_sync8:bo_gp_sync8%length_init=0.8" \
      --compare "bo_gp_sync8:bo_gp_sync8@kriging_believer" \
      --compare "bo_gp_sync8:bo_gp_sync8@mean" \
      --compare "bo_gp_sync8:bo_gp_sync8@worst" \
      --compare "bo_gp_async8:bo_gp_async8@best" \
      --compare "bo_gp_async8:bo_gp_async8@mean" \
      --compare "bo_gp_async8:bo_gp_async8@worst" \
      --compare "bo_gp_sync8:bo_gp" \
      --compare "bo_gp_sync8%local_points=0:bo_gp" \
      --compare "bo_gp_async8:bo_gp"
  fi
} > "$tables"
cat "$tables"

if [[ "${SKIP_EXTRAS:-0}" != 1 && "${TABLES_ONLY:-0}" != 1 ]]; then
  echo "== time of one bo_gp ask() at n = 50, 200, 1000 (5-d)" >&2
  "$bin" --time-ask | tee "$results_dir/ask_time.md"
  echo "== worker utilization on the real cost model (P = 4, 8)" >&2
  "$build_dir/bench/lorahpo_bench_utilization" --seeds 20 | tee "$results_dir/worker_utilization.md"
fi
echo "== done in $((SECONDS - start)) s (after the build); results in $results_dir" >&2
