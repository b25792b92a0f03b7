#!/usr/bin/env bash
# deploy/oar/lorahpo.oar as OAR runs it, with the real lorahpo: usage oar_job_test.sh LORAHPO.
# tests/fixtures/oarexec starts the job the way OAR's oarexec does (bare environment, -O/-E opened
# first, checkpoint signal to the main process only, kill -9 of the whole tree for oardel,
# resubmission only on exit 99 of an idempotent job). The only stand-in inside the job is an
# `mpirun` adapter, put first in PATH by the user's ~/.bashrc (which OAR's batch jobs source via
# BASH_ENV): this machine is the only node, so it drops the hostfile and oarsh and runs the same
# command line locally with the real Open MPI. Prints one line per check and "N passed, N failed".
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
binary="${1:-$repo/build/lorahpo}"
[ -x "$binary" ] || { echo "usage: $0 LORAHPO_BINARY (no executable at $binary)"; exit 2; }
binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"
real_mpirun="$(command -v mpirun)" || { echo "no mpirun in PATH"; exit 2; }
work="$(mktemp -d)"
fakes=()
cleanup() {
  local pid
  for pid in "${fakes[@]}"; do
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null  # the fake kills its job's tree
  done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
# KEEP_WORK=1 keeps the work folder (and the fakes' logs) to look at a failure.
[ -n "${KEEP_WORK:-}" ] && trap 'echo "kept $work"' EXIT
# shellcheck source=tests/support/checks.sh
source "$repo/tests/support/checks.sh"
# shellcheck source=tests/support/wait.sh
source "$repo/tests/support/wait.sh"
# shellcheck source=tests/support/fake_tool.sh
source "$repo/tests/support/fake_tool.sh"
ok_count() { local n; n=$(grep -c '"status":"ok"' "$1" 2>/dev/null); echo "${n:-0}"; }
at_least_ok() { [ "$(ok_count "$1")" -ge "$2" ]; }
# Evaluation lines (no "event" key): each id at most once, and COUNT ids in all.
ids_once() {  # ids_once JOURNAL COUNT
  local ids
  ids=$(grep -v '"event"' "$1" | grep -o '"id":[0-9]*' | sort | uniq -c)
  [ "$(echo "$ids" | grep -c .)" = "$2" ] && [ "$(echo "$ids" | awk '$1 > 1' | grep -c .)" = 0 ]
}

# --- A checkout as the user has it on the frontend: deploy/, configs/, build/lorahpo.
ck="$work/checkout"
mkdir -p "$ck/build" "$ck/configs/test" "$work/home" "$work/bin"
cp -r "$repo/deploy" "$ck/deploy"
# build/lorahpo: the real binary. `lorahpo preflight` (branch preflight) is used as its contract
# says when the binary has it; a binary without it gets the same contract from this wrapper
# (exit 0 and a table, or exit 2 and one line per failing host and check), so the job's logic is
# tested either way.
fake_tool "$ck/build/lorahpo" <<WRAP
#!/usr/bin/env bash
if [ "\${1:-}" = preflight ] && ! "$binary" --help 2>&1 | grep -q preflight; then
  config="\$2"; dir="\$(dirname "\$config")"
  ckpt="\$(sed -n 's/^ *checkpoint_dir: *"\\(.*\\)".*/\\1/p' "\$config" | sed "s|{config_dir}|\$dir|")"
  if [ -n "\$ckpt" ] && [ ! -d "\$ckpt" ]; then
    [ "\${OMPI_COMM_WORLD_RANK:-0}" = 0 ] && echo "preflight: \$(hostname): checkpoint: no \$ckpt" >&2
    exit 2
  fi
  [ "\${OMPI_COMM_WORLD_RANK:-0}" = 0 ] && echo "preflight: \$(hostname): ok"
  exit 0
fi
exec "$binary" "\$@"
WRAP
for name in oar_resume oar_kill; do
  cat > "$ck/configs/test/$name.yaml" <<YAML
campaign: {name: $name, budget: 30, seed: 3}
optimizer: {name: bo_gp, n_init: 6}
objective: {kind: builtin, function: branin, cost: {base: 0.3}}
workers: {stop_grace_seconds: 5}
YAML
done
# A LitGPT campaign whose base checkpoint is missing: the preflight must stop it.
sed 's|checkpoint_dir: .*|checkpoint_dir: "{config_dir}/no-such-model"|' \
  "$repo/configs/llama32_3b/first_try.yaml" > "$ck/configs/test/preflight_fail.yaml"

# --- The user's ~/.bashrc (sourced by the batch job through OAR's BASH_ENV): the mpirun adapter
# first in PATH; Open MPI's permission to run as root and the sanitizer options of this test's
# own environment (CTest's), which env -i would otherwise drop.
{
  echo "export PATH=\"$work/bin:\$PATH\""
  if [ "$(id -u)" = 0 ]; then echo "export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"; fi
  for v in ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS; do
    [ -n "${!v:-}" ] && printf 'export %s=%q\n' "$v" "${!v}"
  done
} > "$work/home/.bashrc"
# The adapter records each call (arguments, hostfile, environment, pid), then either runs the
# command line locally with the real mpirun (mode "real"), or, in mode "race", stands in for a
# campaign: the preflight passes, and the campaign waits for the checkpoint signal and exits 99,
# with one more checkpoint signal landing on the job script (oarexec's USER_CMD_PID) as it exits
# -- what OAR's Sarko does when it repeats the signal on its next pass (sarko.pl).
fake_tool "$work/bin/mpirun" <<ADAPT
#!/usr/bin/env bash
echo "\$*" >> "$work/mpirun.calls"
echo \$\$ > "$work/mpirun.pid"
env > "$work/mpirun.env"
args=()
while [ \$# -gt 0 ]; do
  case "\$1" in
    --hostfile) cp "\$2" "$work/hostfile.seen"; shift 2 ;;
    --mca) if [ "\$2" = plm_rsh_agent ]; then shift 3; else args+=("\$1" "\$2" "\$3"); shift 3; fi ;;
    *) args+=("\$1"); shift ;;
  esac
done
if [ "\$(cat "$work/mpirun.mode" 2>/dev/null)" = race ]; then
  case " \${args[*]} " in *" preflight "*) exit 0 ;; esac
  job_script=\$(cat "$work"/*/job.\$OAR_JOB_ID.user_pid)
  trap 'kill -USR2 \$job_script; exit 99' USR2
  touch "$work/race.started"
  for _ in \$(seq 400); do sleep 0.05; done
  exit 1
fi
exec "$real_mpirun" --oversubscribe "\${args[@]}"
ADAPT
for host in chuc-1 chuc-2 chuc-3; do for _ in $(seq 32); do echo "$host.lille.grid5000.fr"; done; done > "$work/nodefile"

submit() {  # submit STATE [oarexec options] -- "COMMAND": as oarsub from the checkout's root
  local state="$1"; shift
  # Variables a user might set on the frontend: OAR never passes them to the job.
  LORAHPO_CONFIG=configs/llama32_3b/bo_gp.yaml LORAHPO_RUN_DIR=/nonexistent \
    "$repo/tests/fixtures/oarexec" --state "$work/$state" --nodefile "$work/nodefile" \
    --workdir "$ck" --user-home "$work/home" --name lorahpo \
    --stdout 'runs/oar.%jobid%.out' --stderr 'runs/oar.%jobid%.err' "$@" \
    > "$work/$state.oarexec.log" 2>&1 &
  fake_pid=$!
  fakes+=("$fake_pid")
}
finish() {  # finish SECONDS: waits for the fake oarexec; sets fake_rc (124 after the deadline)
  if wait_until "$1" is_dead "$fake_pid"; then
    wait "$fake_pid"; fake_rc=$?
  else
    kill -TERM "$fake_pid" 2>/dev/null; wait "$fake_pid"; fake_rc=124
  fi
}
idempotent=(--idempotent --signal 12 --checkpoint 900 --walltime 36000 --resubmit-min-seconds 0)

# 1. -O/-E: oarexec opens them before the script starts; without runs/ the job never runs.
submit no_runs "${idempotent[@]}" -- "./deploy/oar/lorahpo.oar configs/test/oar_resume.yaml"
finish 30
check "no runs/: oarexec ends the job with 20 (cannot create STDOUT and STDERR files)" test "$fake_rc" = 20
check "no runs/: the job script never ran" test ! -e "$work/mpirun.calls"
mkdir -p "$ck/runs"   # what deploy/g5k_setup.sh does

# 2. oardel -c: checkpoint signal -> exit 99 -> resubmitted with the same argument -> resumed.
run_dir="$ck/runs/test_oar_resume"
submit resume "${idempotent[@]}" -- "./deploy/oar/lorahpo.oar configs/test/oar_resume.yaml"
wait_until 90 at_least_ok "$run_dir/journal.jsonl" 6
kill -USR2 "$fake_pid"   # oardel -c: Sarko/oardel -> signal_oarexec SIGUSR2
finish 120
log="$work/resume/jobs.log"
check "checkpoint: the signal went to the job's main process" grep -q "^checkpoint 1000 signal 12 pid $(cat "$work/resume/job.1000.user_pid")\$" "$log"
check "checkpoint: the first job exited 99" grep -q "^end 1000 exit 99 " "$log"
check "checkpoint: OAR resubmitted it (idempotent, 99)" grep -q "^resubmit 1000 -> 1001\$" "$log"
check "resubmitted: same command and argument" cmp -s "$work/resume/job.1000.command" "$work/resume/job.1001.command"
check "resubmitted job: finished with 0, not resubmitted again" grep -q "^end 1001 exit 0 " "$log"
check "oarexec: exit 0" test "$fake_rc" = 0
check "the run directory comes from the config's name" test -s "$run_dir/journal.jsonl"
check "the resubmitted job passed --resume" grep -q -- "lorahpo run $ck/configs/test/oar_resume.yaml --resume $run_dir\$" "$work/mpirun.calls"
check "resumed to the budget, no evaluation twice" ids_once "$run_dir/journal.jsonl" 30
check "the job's environment: OAR's, not the submitter's" \
  bash -c "grep -q '^OAR_JOB_ID=1001\$' '$work/mpirun.env' && ! grep -q '^LORAHPO_' '$work/mpirun.env'"
check "ranks get the offline Hugging Face switches" grep -q '^HF_HUB_OFFLINE=1$' "$work/mpirun.env"
printf 'chuc-1.lille.grid5000.fr slots=2\nchuc-2.lille.grid5000.fr slots=1\nchuc-3.lille.grid5000.fr slots=1\n' > "$work/expected"
check "hostfile: one line per node, 2 slots on the first" diff -u "$work/expected" "$work/hostfile.seen"
first_call="$(head -n 1 "$work/mpirun.calls")"
check "the preflight runs first, on the same mpirun line" grep -q "lorahpo preflight $ck/configs/test/oar_resume.yaml\$" <<< "$first_call"
for want in "-np 4 " "--map-by slot" "--bind-to none" "--mca plm_rsh_agent oarsh" "--mca pml ob1" \
            "--mca btl tcp,vader,self" "-x HF_HUB_OFFLINE -x HF_DATASETS_OFFLINE"; do
  check "mpirun line has $want" grep -q -- "$want" <<< "$first_call"
done
check "stderr: oarexec's checkpoint line" grep -q "Job 1000 CHECKPOINTED with signal 12" "$ck/runs/oar.1000.err"

# 3. Plain oardel: oarexec kills the whole tree with -9; no resubmission; resumable by hand.
rm -f "$work/mpirun.calls"
run_dir="$ck/runs/test_oar_kill"
submit kill "${idempotent[@]}" --job-id 2000 -- "./deploy/oar/lorahpo.oar configs/test/oar_kill.yaml"
wait_until 90 at_least_ok "$run_dir/journal.jsonl" 4
mpirun_pid="$(cat "$work/mpirun.pid")"
kill -TERM "$fake_pid"   # oardel: Leon -> signal_oarexec TERM -> kill_children
finish 60
log="$work/kill/jobs.log"
check "oardel: oarexec ends with 3 (killed by Leon)" test "$fake_rc" = 3
check "oardel: not resubmitted" bash -c "! grep -q '^resubmit' '$log'"
check "oardel: mpirun is gone (killed with the tree)" is_dead "$mpirun_pid"
ok_before="$(grep '"status":"ok"' "$run_dir/journal.jsonl" | grep -o '"id":[0-9]*' | sort)"
# Resume by hand: submit the same command again (README); the journal makes it --resume.
submit kill_resume "${idempotent[@]}" --job-id 2001 -- "./deploy/oar/lorahpo.oar configs/test/oar_kill.yaml"
finish 120
check "by hand: the new job finishes with 0" grep -q "^end 2001 exit 0 " "$work/kill_resume/jobs.log"
check "by hand: it passed --resume" grep -q -- "--resume $run_dir\$" "$work/mpirun.calls"
ok_after="$(grep '"status":"ok"' "$run_dir/journal.jsonl" | grep -o '"id":[0-9]*' | sort)"
check "by hand: nothing lost (every evaluation done before the kill is still there)" \
  test -z "$(comm -23 <(echo "$ok_before") <(echo "$ok_after"))"
check "by hand: to the budget, no evaluation twice" ids_once "$run_dir/journal.jsonl" 30

# 4. The wait-loop race: Sarko repeats the checkpoint signal (every 0.1 s here from 1 s after the
#    start), and one more lands on the script as mpirun exits 99: the job must still exit 99.
echo race > "$work/mpirun.mode"
race_ok=0
for i in 1 2 3 4 5; do
  rm -f "$work/race.started"
  submit "race$i" --signal 12 --walltime 60 --checkpoint 59 --sarko-period 0.1 --job-id $((3000 + i)) \
    -- "./deploy/oar/lorahpo.oar configs/test/oar_resume.yaml"
  finish 30
  if grep -q "^end $((3000 + i)) exit 99 " "$work/race$i/jobs.log" && [ -e "$work/race.started" ]; then
    race_ok=$((race_ok + 1))
  else
    tail -n 3 "$work/race$i/jobs.log"
  fi
done
check "race: 5 of 5 jobs exit 99 with repeated checkpoint signals" test "$race_ok" = 5
rm -f "$work/mpirun.mode"

# 5. A failed preflight: exit 2, no campaign, no resubmission.
rm -f "$work/mpirun.calls"
submit preflight "${idempotent[@]}" --job-id 4000 -- "./deploy/oar/lorahpo.oar configs/test/preflight_fail.yaml"
finish 60
check "preflight failure: the job exits 2" grep -q "^end 4000 exit 2 " "$work/preflight/jobs.log"
check "preflight failure: not resubmitted" bash -c "! grep -q '^resubmit' '$work/preflight/jobs.log'"
check "preflight failure: only the preflight ran" test "$(grep -c . "$work/mpirun.calls")" = 1
check "preflight failure: no campaign journal" test ! -e "$ck/runs/test_preflight_fail/journal.jsonl"
check "preflight failure: the job's stderr says why" grep -q "preflight failed" "$ck/runs/oar.4000.err"

checks_summary
