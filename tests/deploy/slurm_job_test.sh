#!/usr/bin/env bash
# deploy/slurm/lorahpo.sbatch with stand-ins for srun and scontrol (no Slurm here). The batch
# script runs as slurmd runs it: in the submission directory, with SLURM_* variables as sbatch
# sets them for `--nodes=8 --ntasks=9 --cpus-per-task=16` (sbatch(1), OUTPUT ENVIRONMENT
# VARIABLES). The fake srun checks the step against the allocation as slurmctld does (a step may
# not ask a node for more CPUs than the job holds there: ESLURM_TOO_MANY_REQUESTED_CPUS, "More
# processors requested than permitted", src/common/slurm_errno.c), reads SLURM_HOSTFILE as
# `--distribution=arbitrary` does (task i on line i), takes SLURM_CPUS_PER_TASK as -c unless -c is
# given (srun(1), INPUT ENVIRONMENT VARIABLES), and answers `--mpi=list` like
# src/common/plugrack.c ("MPI plugin types are..."). Read from SchedMD/slurm master 284c3b95
# (25.05 and later). Prints one line per check and "N passed, N failed".
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# shellcheck source=tests/support/checks.sh
source "$repo/tests/support/checks.sh"
# shellcheck source=tests/support/fake_tool.sh
source "$repo/tests/support/fake_tool.sh"

ck="$work/checkout"
mkdir -p "$ck/build" "$ck/configs/test" "$ck/runs" "$work/bin"
cp -r "$repo/deploy" "$ck/deploy"
echo "campaign: {name: t, budget: 2}" > "$ck/configs/test/slurm.yaml"
printf '#!/bin/sh\nexit 0\n' | fake_tool "$ck/build/lorahpo"

fake_tool "$work/bin/scontrol" <<'FAKE'
#!/usr/bin/env bash
# scontrol show hostnames LIST: one host a line (here: chuc-[1-8] style lists only).
case "$1 $2" in
  "show hostnames")
    if [[ "$3" =~ ^(.*)\[([0-9]+)-([0-9]+)\]$ ]]; then
      for ((i = BASH_REMATCH[2]; i <= BASH_REMATCH[3]; i++)); do echo "${BASH_REMATCH[1]}$i"; done
    else echo "$3"; fi ;;
  "requeue "*) echo "$2" >> "$FAKE_DIR/requeued" ;;
  *) echo "fake scontrol: $*" >&2; exit 1 ;;
esac
FAKE
fake_tool "$work/bin/srun" <<'FAKE'
#!/usr/bin/env bash
if [ "$1" = --mpi=list ]; then
  echo "MPI plugin types are..."; echo "	none"; echo "	cray_shasta"; echo "	pmi2"
  [ "${FAKE_PMIX:-1}" = 1 ] && echo "	pmix"
  exit 0
fi
echo "$*" >> "$FAKE_DIR/srun.calls"
ntasks="" cpt="${SLURM_CPUS_PER_TASK:-1}" dist="" cmd=()
while [ $# -gt 0 ]; do
  case "$1" in
    --ntasks=*) ntasks="${1#*=}" ;;
    --cpus-per-task=*) cpt="${1#*=}" ;;
    --distribution=*) dist="${1#*=}" ;;
    --*) ;;
    *) cmd=("$@"); break ;;
  esac
  shift
done
cp "$SLURM_HOSTFILE" "$FAKE_DIR/hostfile.seen"
# The step against the allocation, node by node: tasks placed there x cpus per task must fit
# what the job holds there (SLURM_JOB_CPUS_PER_NODE, same compressed format as the task counts).
[ "$dist" = arbitrary ] || { echo "fake srun: expected --distribution=arbitrary" >&2; exit 1; }
[ "$(grep -c . "$SLURM_HOSTFILE")" = "$ntasks" ] || { echo "srun: error: SLURM_HOSTFILE and --ntasks differ" >&2; exit 1; }
paste -d ' ' <(scontrol show hostnames "$SLURM_JOB_NODELIST") \
  <(source "$FAKE_REPO/deploy/lib/slurm_tasks.sh"; lorahpo_expand_tasks_per_node "$SLURM_JOB_CPUS_PER_NODE") > "$FAKE_DIR/alloc"
if ! awk -v cpt="$cpt" 'FNR == NR { held[$1] = $2; next } { want[$1] += cpt }
     END { for (n in want) if (!(n in held) || want[n] > held[n]) exit 1 }' "$FAKE_DIR/alloc" "$SLURM_HOSTFILE"; then
  echo "srun: error: Unable to create step for job $SLURM_JOB_ID: More processors requested than permitted" >&2
  exit 1
fi
case "${cmd[1]}" in
  preflight) [ "${FAKE_PREFLIGHT:-0}" = 0 ] || echo "preflight: chuc-3: gpus: 3 visible, devices: 4" >&2; exit "${FAKE_PREFLIGHT:-0}" ;;
  run) echo "${cmd[*]}" >> "$FAKE_DIR/campaign"; exit "${FAKE_CAMPAIGN:-0}" ;;
esac
exit 1
FAKE

job() {  # job [VAR=VALUE...]: the batch script as slurmd starts it, with its argument
  (cd "$ck" && env "$@" PATH="$work/bin:$PATH" FAKE_DIR="$work" FAKE_REPO="$repo" \
     SLURM_JOB_ID=77 SLURM_SUBMIT_DIR="$ck" SLURM_JOB_NODELIST='chuc-[1-8]' SLURM_NNODES=8 \
     SLURM_NTASKS=9 SLURM_TASKS_PER_NODE='1(x3),2,1(x4)' SLURM_CPUS_PER_TASK=16 \
     SLURM_JOB_CPUS_PER_NODE='16(x3),32,16(x4)' \
     bash "$ck/deploy/slurm/lorahpo.sbatch" configs/test/slurm.yaml) > "$work/out" 2>&1
}
reset() { rm -f "$work/srun.calls" "$work/campaign" "$work/requeued" "$work/hostfile.seen"; }

reset
job
check "a finished campaign exits 0" test "$?" = 0
printf 'chuc-4\nchuc-4\nchuc-1\nchuc-2\nchuc-3\nchuc-5\nchuc-6\nchuc-7\nchuc-8\n' > "$work/expected"
check "hostfile: the 2-task node twice first (master + worker 1), every other node once" diff -u "$work/expected" "$work/hostfile.seen"
check "the step fits the allocation (the fake srun would refuse it)" grep -q "lorahpo run" "$work/campaign"
check "the preflight runs first on the same srun line" bash -c "head -n 1 '$work/srun.calls' | grep -q 'build/lorahpo preflight $ck/configs/test/slurm.yaml\$'"
check "srun: --mpi=pmix, -c 16 explicit, arbitrary placement" grep -q -- "--mpi=pmix --ntasks=9 --cpus-per-task=16 --distribution=arbitrary" "$work/srun.calls"
check "the run directory comes from the config's name" grep -q -- "--out $ck/runs/test_slurm\$" "$work/campaign"
check "no requeue after a finished campaign" test ! -e "$work/requeued"
check "--open-mode=append and HF_HOME in the script" \
  bash -c "grep -q '^#SBATCH --open-mode=append' '$repo/deploy/slurm/lorahpo.sbatch' && grep -q 'export HF_HOME=' '$repo/deploy/slurm/lorahpo.sbatch'"

# What the old script did: every task inherits -c 16 with the master as a 9th task on 8 x 16.
reset
printf 'chuc-1\nchuc-1\nchuc-2\nchuc-3\nchuc-4\nchuc-5\nchuc-6\nchuc-7\nchuc-8\n' > "$work/old.hostfile"
(cd "$ck" && PATH="$work/bin:$PATH" FAKE_DIR="$work" FAKE_REPO="$repo" SLURM_JOB_ID=77 \
   SLURM_JOB_NODELIST='chuc-[1-8]' SLURM_TASKS_PER_NODE='1(x8)' SLURM_CPUS_PER_TASK=16 SLURM_JOB_CPUS_PER_NODE='16(x8)' \
   SLURM_HOSTFILE="$work/old.hostfile" srun --mpi=pmix --ntasks=9 --distribution=arbitrary x run) 2> "$work/old.err"
check "the fake srun refuses 9 x 16 CPUs on 8 x 16 (as Slurm does)" grep -q "More processors requested than permitted" "$work/old.err"

reset
job FAKE_CAMPAIGN=99
check "stopped on the signal: exit 99" test "$?" = 99
check "stopped on the signal: requeued" grep -q '^77$' "$work/requeued"
reset
job FAKE_CAMPAIGN=1
check "a failed campaign: exit 1, no requeue" bash -c "test $? = 1 && test ! -e '$work/requeued'"
reset
mkdir -p "$ck/runs/test_slurm" && echo '{"event":"campaign"}' > "$ck/runs/test_slurm/journal.jsonl"
job
check "a requeued job resumes: --resume RUN_DIR" grep -q -- "--resume $ck/runs/test_slurm\$" "$work/campaign"
rm -rf "$ck/runs/test_slurm"

reset
job FAKE_PREFLIGHT=2
status=$?
check "preflight failure: exit 2" test "$status" = 2
check "preflight failure: no campaign, no requeue" bash -c "test ! -e '$work/campaign' && test ! -e '$work/requeued'"
check "preflight failure: the reason is in the output" grep -q "chuc-3: gpus" "$work/out"

reset
job FAKE_PMIX=0
status=$?
check "no PMIx plugin: exit 2 before any srun step" bash -c "test $status = 2 && test ! -e '$work/srun.calls'"
check "no PMIx plugin: a clear message" grep -q "no PMIx plugin" "$work/out"

checks_summary
