#!/usr/bin/env bash
# The search-quality benchmark in one command: builds lorahpo_bench_search (Release), runs
# lorahpo's optimizers and Optuna's TPE on the builtin test functions and lora_surrogate, times
# bo_gp's ask(), measures worker utilization on the real cost model, and writes the CSVs and
# the Markdown tables under bench/results/.
#
#   bench/run_search_quality.sh                      # 20 seeds, budget 50 (the defaults)
#   bench/run_search_quality.sh --seeds 5            # a quick run
#   bench/run_search_quality.sh --methods random,lhs --functions branin,levy5
#
# --seeds, --budget, --functions and --jobs go to both runners; every other argument goes to
# lorahpo_bench_search only. Environment: BUILD_DIR (default <repo>/build-bench), RESULTS_DIR
# (default bench/results), SKIP_OPTUNA=1 to run lorahpo's methods alone.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$repo/build-bench}"
results_dir="${RESULTS_DIR:-$repo/bench/results}"
jobs="$(nproc)"

cpp_args=()
shared_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seeds|--budget|--functions)
      [[ $# -ge 2 ]] || { echo "$1 needs a value" >&2; exit 2; }
      shared_args+=("$1" "$2"); shift 2 ;;
    --seeds=*|--budget=*|--functions=*)
      shared_args+=("$1"); shift ;;
    --jobs)
      [[ $# -ge 2 ]] || { echo "$1 needs a value" >&2; exit 2; }
      jobs="$2"; shift 2 ;;
    --jobs=*)
      jobs="${1#--jobs=}"; shift ;;
    *)
      cpp_args+=("$1"); shift ;;
  esac
done

echo "== build ($build_dir)" >&2
cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DLORAHPO_BUILD_TESTS=OFF \
  -DLORAHPO_BUILD_BENCH=ON >/dev/null
cmake --build "$build_dir" -j "$jobs" --target lorahpo_bench_search lorahpo_bench_utilization
bin="$build_dir/bench/lorahpo_bench_search"

mkdir -p "$results_dir"
csvs=()
start=$SECONDS

echo "== lorahpo optimizers" >&2
"$bin" --jobs "$jobs" --out "$results_dir/search_lorahpo.csv" \
  ${shared_args[@]+"${shared_args[@]}"} ${cpp_args[@]+"${cpp_args[@]}"}
csvs+=("$results_dir/search_lorahpo.csv")

# Debian's python3-optuna lives in /usr/bin/python3; a pyenv python3 earlier in PATH lacks it.
if [[ "${SKIP_OPTUNA:-0}" == 1 ]]; then
  echo "== optuna: skipped (SKIP_OPTUNA=1)" >&2
  rm -f "$results_dir/search_optuna.csv"
elif /usr/bin/python3 -c 'import optuna' 2>/dev/null; then
  echo "== optuna TPE (reference)" >&2
  /usr/bin/python3 "$repo/bench/optuna_tpe.py" --bin "$bin" --jobs "$jobs" \
    --out "$results_dir/search_optuna.csv" ${shared_args[@]+"${shared_args[@]}"}
  csvs+=("$results_dir/search_optuna.csv")
else
  echo "== optuna: not installed, reference skipped; install it with:" >&2
  echo "     sudo apt-get install python3-optuna" >&2
  rm -f "$results_dir/search_optuna.csv"
fi

echo "== summary" >&2
python3 "$repo/bench/summarize.py" "${csvs[@]}" | tee "$results_dir/search_quality.md"
echo "== time of one bo_gp ask() at n = 50, 200, 1000 (5-d)" >&2
"$bin" --time-ask | tee "$results_dir/ask_time.md"

echo "== worker utilization on the real cost model (P = 4, 8)" >&2
"$build_dir/bench/lorahpo_bench_utilization" --seeds 20 | tee "$results_dir/worker_utilization.md"

echo "== done in $((SECONDS - start)) s (after the build); results in $results_dir" >&2
