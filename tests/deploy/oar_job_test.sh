#!/usr/bin/env bash
# Tests the logic of deploy/oar/lorahpo.oar without OAR: a fake $OAR_NODEFILE (one line per
# core, as OAR writes it) and a fake mpirun that records its arguments and behaves like a
# campaign (finishes, or waits for SIGUSR2 and exits 99 as lorahpo does on OAR's checkpoint
# signal). Prints one line per check and "N passed, N failed".
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work" "$repo/runs/hostfile.test$$"' EXIT
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

echo "$passed passed, $failed failed"
test "$failed" = 0
