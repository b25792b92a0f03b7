#!/usr/bin/env bash
# Tests the logic of deploy/oar/lorahpo.oar without OAR: a fake $OAR_NODEFILE (one line per
# core, as OAR writes it) and a fake mpirun that records its arguments and behaves like a
# campaign (finishes, or waits for SIGUSR2 and exits 99 as lorahpo does on OAR's checkpoint
# signal). Prints one line per check and "N passed, N failed".
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work" "$repo/runs/hostfile.test$$" "$repo/runs/hostfile.real$$"' EXIT
passed=0
failed=0
check() {  # check NAME CONDITION...
  local name="$1"; shift
  if "$@"; then echo "ok: $name"; passed=$((passed + 1)); else echo "FAILED: $name"; failed=$((failed + 1)); fi
}

for host in chuc-1 chuc-2 chuc-3; do for _ in $(seq 32); do echo "$host.lille.grid5000.fr"; done; done > "$work/nodefile"
cat > "$work/mpirun" <<'FAKE'
#!/usr/bin/env bash
echo "$@" > "$FAKE_DIR/args"
hostfile=""
while [ $# -gt 0 ]; do [ "$1" = --hostfile ] && hostfile="$2"; shift; done
cp "$hostfile" "$FAKE_DIR/hostfile"
echo $$ > "$FAKE_DIR/pid"
if [ "${FAKE_MODE:-finish}" = wait_signal ]; then
  trap 'echo got USR2 > "$FAKE_DIR/signal"; exit 99' USR2
  for _ in $(seq 600); do sleep 0.1; done
  exit 1
fi
exit 0
FAKE
chmod +x "$work/mpirun"

job() {  # runs the job script as OAR would
  (cd "$repo" && FAKE_DIR="$work" OAR_NODEFILE="$work/nodefile" OAR_JOB_ID="test$$" \
     LORAHPO_MPIRUN="$work/mpirun" LORAHPO_INSTALL_ON_NODES=0 LORAHPO_VENV="$work/novenv" \
     LORAHPO_CONFIG=configs/llama32_3b/bo_gp.yaml LORAHPO_RUN_DIR="$work/run" \
     bash deploy/oar/lorahpo.oar) 2> "$work/stderr"
}

# 1. nodefile -> hostfile; master beside worker 1 on the first node.
job
status=$?
check "a finished campaign exits 0" test "$status" = 0
printf 'chuc-1.lille.grid5000.fr slots=2\nchuc-2.lille.grid5000.fr slots=1\nchuc-3.lille.grid5000.fr slots=1\n' > "$work/expected"
check "hostfile: one line per node, 2 slots on the first" diff -u "$work/expected" "$work/hostfile"
args="$(cat "$work/args")"
check "4 ranks: the master and one worker per node" grep -q -- "-np 4 " <<< "$args"
check "ranks fill slots in order: 0 and 1 on the first node" grep -q -- "--map-by slot" <<< "$args"
check "no binding of training processes to one core" grep -q -- "--bind-to none" <<< "$args"
check "oarsh starts the remote ranks" grep -q -- "--mca plm_rsh_agent oarsh" <<< "$args"
check "a new campaign: run CONFIG --out RUN_DIR" grep -q -- "run configs/llama32_3b/bo_gp.yaml --out $work/run" <<< "$args"

# 2. OAR's checkpoint signal reaches the campaign and the job exits 99 (resubmission).
(FAKE_MODE=wait_signal job; echo $? > "$work/status") &
for _ in $(seq 100); do [ -s "$work/pid" ] && [ "$(cat "$work/pid")" != "" ] && [ -f "$work/args" ] && break; sleep 0.1; done
rm -f "$work/pid"
for _ in $(seq 100); do [ -s "$work/pid" ] && break; sleep 0.1; done
script_pid=$(pgrep -f "bash deploy/oar/lorahpo.oar" | head -n 1)
kill -USR2 "$script_pid"
wait
check "SIGUSR2 forwarded to mpirun" test -s "$work/signal"
check "checkpointed job exits 99 so OAR resubmits it" test "$(cat "$work/status")" = 99

# 3. The resubmitted job resumes the campaign from its journal.
mkdir -p "$work/run" && echo '{"id":0}' > "$work/run/journal.jsonl"
job
check "a resubmitted job passes --resume RUN_DIR" grep -q -- "run configs/llama32_3b/bo_gp.yaml --resume $work/run" "$work/args"

# 4. The whole loop with the real lorahpo and Open MPI (oarsh and the hostfile left out, as this
#    machine is the only node): OAR's checkpoint signal stops the campaign cleanly, the job exits
#    99, and the resubmitted job resumes it to its budget without running an evaluation twice.
binary="${1:-$repo/build/lorahpo}"
if [ -x "$binary" ]; then
  cat > "$work/mpirun-local" <<LOCAL
#!/usr/bin/env bash
args=()
while [ \$# -gt 0 ]; do
  case "\$1" in
    --hostfile) shift 2 ;;
    --mca) [ "\$2" = plm_rsh_agent ] && shift 3 || { args+=("\$1"); shift; } ;;
    *) args+=("\$1"); shift ;;
  esac
done
exec "$repo/scripts/mpirun.sh" "\${args[@]}"
LOCAL
  chmod +x "$work/mpirun-local"
  cat > "$work/campaign.yaml" <<'YAML'
campaign: {name: oar_resume, budget: 30, seed: 3}
optimizer: {name: bo_gp, n_init: 6}
objective: {kind: builtin, function: branin, cost: {base: 0.3}}
workers: {stop_grace_seconds: 5}
YAML
  printf 'node-1\nnode-2\nnode-3\n' > "$work/nodefile3"
  real_job() {
    (cd "$repo" && OAR_NODEFILE="$work/nodefile3" OAR_JOB_ID="real$$" LORAHPO_MPIRUN="$work/mpirun-local" \
       LORAHPO_INSTALL_ON_NODES=0 LORAHPO_VENV="$work/novenv" LORAHPO_BINARY="$binary" \
       LORAHPO_CONFIG="$work/campaign.yaml" LORAHPO_RUN_DIR="$work/real-run" \
       bash deploy/oar/lorahpo.oar) >> "$work/real.log" 2>&1
  }
  real_job &
  job_pid=$!
  sleep 2
  kill -USR2 "$(pgrep -f "bash deploy/oar/lorahpo.oar" | head -n 1)"
  wait "$job_pid"
  check "real campaign: the checkpoint signal ends the job with 99" test "$?" = 99
  done_first=$(grep -c '"status":"ok"' "$work/real-run/journal.jsonl")
  check "real campaign: some evaluations done before the stop" test "$done_first" -gt 0 -a "$done_first" -lt 30
  real_job
  check "real campaign: the resubmitted job finishes with 0" test "$?" = 0
  check "real campaign: resumed with --resume" grep -q "resumed from the journal" "$work/real.log"
  ids=$(grep -v '"event"' "$work/real-run/journal.jsonl" | grep -o '"id":[0-9]*' | sort | uniq -c)
  check "real campaign: 30 evaluations, none twice" test "$(echo "$ids" | grep -c .)" = 30 -a "$(echo "$ids" | awk '$1 > 1' | grep -c .)" = 0
  rm -f "$repo/runs/hostfile.real$$"
else
  echo "skipped: no lorahpo binary at $binary (the real campaign checks)"
fi

echo "$passed passed, $failed failed"
test "$failed" = 0
