#!/usr/bin/env bash
# `lorahpo preflight CONFIG` under mpirun, as the OAR and Slurm jobs run it before a campaign.
# All four ranks run on this machine, so each worker rank gets its own "node" through Open MPI's
# MPMD syntax (`-np 1 -x VAR=... lorahpo ... : -np 1 ...`): its own PATH (a virtual environment
# with litgpt's and lm_eval's dist-info, pip's console-script `litgpt`) and its own GPU count for
# the stand-in nvidia-smi (tests/fixtures/nvidia-smi). The trial environment drops OMPI_*
# variables, so nothing per rank travels through them.
#   1. every node good: exit 0, a table with one row per host/rank, nothing on stderr;
#   2. rank 2 with 3 GPUs, rank 3 with litgpt 0.5.9: exit 2, one stderr line for each, naming
#      host/rank and check, the others not named; the table still printed;
#   3. a bad config: exit 2, the loader's file:line: key message, the same as `lorahpo validate`;
#   4. offline mode with an MMLU cache made with config "all" only: the datasets check fails;
#   5. a command objective: its executable is checked; a builtin one passes.
# Usage: preflight_test.sh path/to/lorahpo. Prints one PASS/FAIL line per case and a total.
set -uo pipefail
lorahpo="${1:?usage: $0 path/to/lorahpo}"
lorahpo="$(cd "$(dirname "$lorahpo")" && pwd)/$(basename "$lorahpo")"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# shellcheck source=tests/app/report_case.sh
source "$repo/tests/app/report_case.sh"
mpirun_sh="$repo/scripts/mpirun.sh"
host="$(hostname)"

# make_venv DIR LITGPT_VERSION: a virtual environment as `pip install litgpt` leaves it.
make_venv() {
  local dir="$1" version="$2" site
  python3 -m venv --without-pip "$dir" || return 1
  site="$(echo "$dir"/lib/python*/site-packages)"
  mkdir -p "$site/litgpt-$version.dist-info" "$site/lm_eval-0.4.8.dist-info"
  printf 'Metadata-Version: 2.1\nName: litgpt\nVersion: %s\n' "$version" > "$site/litgpt-$version.dist-info/METADATA"
  printf 'Metadata-Version: 2.1\nName: lm_eval\nVersion: 0.4.8\n' > "$site/lm_eval-0.4.8.dist-info/METADATA"
  # pip's console script for litgpt's pyproject.toml `scripts.litgpt = "litgpt.__main__:main"`;
  # it runs the stand-in (the real module is not installed here).
  printf '#!%s\nimport os, sys\nos.execv(sys.executable, [sys.executable, "%s"] + sys.argv[1:])\n' \
    "$dir/bin/python" "$repo/tests/fixtures/litgpt" > "$dir/bin/litgpt"
  chmod +x "$dir/bin/litgpt"
}
make_venv "$work/good" 0.5.13 || { echo "FAIL setup: python3 -m venv"; exit 1; }
make_venv "$work/old" 0.5.9 || { echo "FAIL setup: python3 -m venv"; exit 1; }
mkdir -p "$work/r0bin"
mkdir -p "$work/gpubin" "$work/checkpoint"
cp "$repo/tests/fixtures/nvidia-smi" "$work/gpubin/"
for f in lit_model.pth model_config.yaml tokenizer.json tokenizer_config.json; do echo x > "$work/checkpoint/$f"; done
cache="$work/hf/datasets"
mkdir -p "$cache/Rowan___hellaswag/default/0.0.0/h"
subjects="$(sed -n '/kSubjects = {/,/};/p' "$repo/worker/node_check.cpp" | grep -o '"[a-z_]*"' | tr -d '"')"
for s in $subjects; do mkdir -p "$cache/cais___mmlu/$s/0.0.0/h"; done
[ "$(echo "$subjects" | wc -w)" = 57 ] || echo "FAIL setup: $(echo "$subjects" | wc -w) MMLU subjects read, expected 57"

# The production config with only paths changed (as tests/e2e/litgpt_campaign_e2e_test.cpp does).
sed -e "s|checkpoint_dir: .*|checkpoint_dir: \"$work/checkpoint\"|" \
    -e "s|work_dir: .*|work_dir: \"$work/scratch/lorahpo-{trial_id}\"\n  env: {HF_HOME: \"$work/hf\", HF_DATASETS_OFFLINE: \"1\"}|" \
    "$repo/configs/llama32_3b/soo.yaml" > "$work/soo.yaml"
PATH="$work/good/bin:$PATH" "$lorahpo" validate "$work/soo.yaml" > /dev/null || echo "FAIL setup: $work/soo.yaml does not validate"

base_path="$work/gpubin:/usr/bin:/bin"
# rank ARGS...: one MPMD app context (a rank) with its PATH and GPU count.
rank() {  # rank VENV GPUS
  echo "-np 1 -x PATH=$work/$1/bin:$base_path -x NVIDIA_SMI_STANDIN_GPUS=$2 $lorahpo preflight $config"
}
run_preflight() {  # run_preflight CONFIG CONTEXTS...: ranks 1.. from the contexts; rank 0 first
  config="$1"; shift
  # Rank 0 has litgpt too (the loader checks objective.executable there, as for `run`), and a
  # bin/ of its own: a program found on rank 0's node only.
  local contexts="-np 1 -x PATH=$work/r0bin:$work/good/bin:$base_path $lorahpo preflight $config"
  for c in "$@"; do contexts+=" : $(rank $c)"; done
  # shellcheck disable=SC2086
  (cd "$work" && timeout 120 "$mpirun_sh" $contexts > "$work/out" 2> "$work/err")
  echo $?
}

# 1. every node good
config="$work/soo.yaml"
rc=$(run_preflight "$work/soo.yaml" "good 4" "good 4" "good 4")
problems=()
[ "$rc" = 0 ] || problems+=("exit $rc, expected 0: $(tr '\n' '|' < "$work/err" | head -c 600)")
for r in 1 2 3; do grep -q "^$host/$r " "$work/out" || problems+=("no table row for $host/$r"); done
[ "$(grep -c "^$host/" "$work/out")" = 3 ] || problems+=("expected 3 rows: $(cat "$work/out")")
head -n 1 "$work/out" | grep -qE '^host/rank +gpus +litgpt +lm_eval +checkpoint +disk +datasets' ||
  problems+=("table header: $(head -n 1 "$work/out")")
grep -q "ok 4 GPUs visible" "$work/out" || problems+=("no GPU count in the table")
grep -q "ok 0.5.13" "$work/out" || problems+=("no litgpt version in the table")
grep -q "FAIL" "$work/out" && problems+=("a FAIL in the table: $(cat "$work/out")")
[ -s "$work/err" ] && problems+=("stderr not empty: $(head -c 300 "$work/err")")
report "all good: exit 0 and a table" "${problems[@]}"
cp "$work/out" "$work/table_good.txt"

# 2. rank 2: a node with 3 GPUs; rank 3: litgpt 0.5.9
rc=$(run_preflight "$work/soo.yaml" "good 4" "good 3" "old 4")
problems=()
[ "$rc" = 2 ] || problems+=("exit $rc, expected 2")
fails="$(grep '^preflight: FAIL ' "$work/err")"
[ "$(echo "$fails" | grep -c .)" = 2 ] || problems+=("expected 2 FAIL lines: $(tr '\n' '|' < "$work/err")")
echo "$fails" | grep -qx "preflight: FAIL $host/2: gpus: 3 GPUs visible, objective.devices = 4" ||
  problems+=("no gpus line for $host/2: $fails")
echo "$fails" | grep -qx "preflight: FAIL $host/3: litgpt: 0.5.9 unsupported (supported: 0.5.10 to 0.5.13)" ||
  problems+=("no litgpt line for $host/3: $fails")
echo "$fails" | grep -q "$host/1:" && problems+=("the good rank 1 is named: $fails")
[ "$(grep -c "^$host/" "$work/out")" = 3 ] || problems+=("expected 3 table rows: $(cat "$work/out")")
grep "^$host/2 " "$work/out" | grep -q "FAIL 3 GPUs visible" || problems+=("row of rank 2 does not show the failure")
report "3 GPUs on one node and litgpt 0.5.9 on another: exit 2, both named with their check" "${problems[@]}"

# 3. a bad config: the loader's message, as `validate` prints it; the workers end too.
bad="$repo/tests/fixtures/bad_inputs/budget_zero.yaml"
"$lorahpo" validate "$bad" > /dev/null 2> "$work/validate_err"
config="$bad"
rc=$(run_preflight "$bad" "good 4" "good 4" "good 4")
problems=()
[ "$rc" = 2 ] || problems+=("exit $rc, expected 2")
grep -qxF "$(cat "$work/validate_err")" "$work/err" || problems+=("stderr is not validate's message '$(cat "$work/validate_err")': $(head -c 300 "$work/err")")
[ -s "$work/out" ] && problems+=("stdout not empty: $(head -c 200 "$work/out")")
report "bad config: exit 2 with the loader's file:line: key message" "${problems[@]}"

# 4. offline with MMLU cached as config "all" only
mv "$cache/cais___mmlu" "$work/mmlu_subjects"
mkdir -p "$cache/cais___mmlu/all/0.0.0/h"
rc=$(run_preflight "$work/soo.yaml" "good 4")
problems=()
[ "$rc" = 2 ] || problems+=("exit $rc, expected 2")
grep -q "^preflight: FAIL $host/1: datasets: offline, not cached in $cache: mmlu (57 of 57 subject configs missing in cais___mmlu" "$work/err" ||
  problems+=("no datasets failure: $(tr '\n' '|' < "$work/err")")
report "offline with MMLU cached as 'all' only: datasets FAIL" "${problems[@]}"

# 5. a command objective whose program is on rank 0's node only, then the fixture's own; a builtin one
mkdir -p "$work/r0bin"
printf '#!/bin/sh\necho 0.5\n' > "$work/r0bin/train_only_here.sh"
chmod +x "$work/r0bin/train_only_here.sh"
sed -e "s|{config_dir}/fake_lm_eval.py|train_only_here.sh|" "$repo/tests/fixtures/command_campaign.yaml" > "$work/command.yaml"
rc=$(run_preflight "$work/command.yaml" "good 4")
problems=()
[ "$rc" = 2 ] || problems+=("exit $rc, expected 2")
grep -qx "preflight: FAIL $host/1: command: train_only_here.sh: not found in PATH or not executable" "$work/err" ||
  problems+=("no command failure: $(tr '\n' '|' < "$work/err")")
rc=$(run_preflight "$repo/tests/fixtures/command_campaign.yaml" "good 4")
[ "$rc" = 0 ] || problems+=("the fixture's own command: exit $rc: $(head -c 300 "$work/err")")
rc=$(run_preflight "$repo/configs/quickstart.yaml" "good 4" "good 4")
[ "$rc" = 0 ] || problems+=("builtin objective: exit $rc: $(head -c 300 "$work/err")")
report "command objective: its executable checked; builtin: passes" "${problems[@]}"

echo "preflight_test: $passed passed, $failed failed"
echo "the all-good table:"; cat "$work/table_good.txt"
[ "$failed" = 0 ]
