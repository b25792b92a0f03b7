#!/usr/bin/env bash
# kill -9 of the whole MPI job (mpirun and every rank) at random moments, then --resume, until the
# campaign completes: the journal must end with exactly `budget` evaluations, none twice, and, for
# a deterministic objective and optimizer, the very points and scores of an uninterrupted run.
# Then SIGUSR2 (OAR's checkpoint signal) to mpirun: clean stop, exit 99, resume to the end.
# Usage: kill_resume_test.sh LORAHPO_BINARY [KILLS]
set -u
binary=$1
kills_wanted=${2:-12}
here=$(cd "$(dirname "$0")" && pwd)
mpirun_sh="$here/../../scripts/mpirun.sh"
work=$(mktemp -d /tmp/lorahpo_kill_XXXXXX)
# shellcheck source=tests/support/session.sh
source "$here/../support/session.sh"
# Every MPI job runs in a session of its own (setsid; mpirun's pid is the session id): the job is
# mpirun and all its ranks, found and killed by session, never by a command-line pattern.
sessions=()
start_job() {  # start_job LOG ARGS...: mpirun ARGS in the background, in a new session; sets pid
  local log=$1; shift
  setsid "$mpirun_sh" "$@" >> "$log" 2>&1 &
  pid=$!
  sessions+=("$pid")
}
cleanup() {
  local sid
  disown -a
  for sid in "${sessions[@]}"; do end_session "$sid"; done
  [ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# One evaluation lasts 0.15 s (a simulated cost); the noise is keyed by trial id, so the same
# point gets the same score on every run.
write_config() {  # name optimizer budget
  cat > "$work/$1.yaml" <<YAML
campaign: {name: $1, budget: $3, seed: 17}
optimizer: $2
objective: {kind: builtin, function: branin, noise: 0.01, cost: {base: 0.15}}
workers: {heartbeat_seconds: 1, silent_after_seconds: 30, stop_grace_seconds: 10}
YAML
}

# Final evaluations as "id unit score" lines, sorted: what must match the uninterrupted run.
evaluations() {
  /usr/bin/python3 - "$1" <<'PY'
import json, sys
rows = []
for text in open(sys.argv[1] + "/journal.jsonl"):
    line = json.loads(text)
    if "event" in line or line.get("retried") or line["status"] == "approximated":
        continue
    rows.append(f'{line["id"]} {line["unit"]} {line["score"]} {line["status"]}')
print("\n".join(sorted(rows, key=lambda r: int(r.split()[0]))))
PY
}

# journaled_at_least RUN_DIR N: the journal holds N evaluation lines (lines without "event").
journaled_at_least() {
  local n
  n=$(grep -vc '"event"' "$1/journal.jsonl" 2>/dev/null)
  [ "${n:-0}" -ge "$2" ]
}

# session_ranks SID: "pid rank" for each MPI rank of the job (OMPI_COMM_WORLD_RANK in its
# environment).
session_ranks() {
  local p rank
  for p in $(session_pids "$1"); do
    rank=$(tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')
    [ -n "$rank" ] && echo "$p $rank"
  done
}

run_args() {  # run_dir: --resume once a journal exists, as the OAR job does
  if [ -s "$1/journal.jsonl" ]; then echo "--resume $1"; else echo "--out $1"; fi
}

kill_campaign() {  # name ranks budget
  local name=$1 ranks=$2 budget=$3 dir="$work/$1-killed" kills=0 status
  while :; do
    start_job "$work/$name-killed.log" -np "$ranks" "$binary" run "$work/$name.yaml" $(run_args "$dir")
    if [ "$kills" -lt "$kills_wanted" ]; then
      # A random moment between 0.3 and 1.8 s after the start (start-up included): this sleep
      # is what the test is about (a crash at any moment), not a synchronisation.
      sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 0.3 + 1.5 * r / 32767 }')"
      if kill -0 "$pid" 2>/dev/null; then
        # mpirun and every rank at once; returns when none of them runs (the run lock is free).
        # disown: bash reaps it without a "Killed" notice.
        disown "$pid"
        end_session "$pid"
        kills=$((kills + 1))
        continue
      fi
    fi
    wait "$pid"; status=$?
    if [ "$status" -eq 0 ]; then break; fi
    fail "$name: a resumed run exited $status (see $work/$name-killed.log)"
    tail -20 "$work/$name-killed.log"
    return
  done
  echo "$name: survived $kills kill -9"
  [ "$kills" -ge 10 ] || fail "$name: only $kills kills happened before the campaign ended"

  "$mpirun_sh" -np "$ranks" "$binary" run "$work/$name.yaml" --out "$work/$name-reference" \
    > "$work/$name-reference.log" 2>&1 || fail "$name: the uninterrupted run failed"
  local got expected
  got=$(evaluations "$dir")
  expected=$(evaluations "$work/$name-reference")
  local count unique
  count=$(printf '%s\n' "$got" | grep -c .)
  unique=$(printf '%s\n' "$got" | awk '{print $1}' | sort -u | grep -c .)
  [ "$count" -eq "$budget" ] || fail "$name: $count evaluations journaled, budget $budget"
  [ "$unique" -eq "$count" ] || fail "$name: an evaluation was journaled twice"
  if [ "$got" != "$expected" ]; then
    fail "$name: the killed-and-resumed campaign differs from the uninterrupted one"
    diff <(echo "$expected") <(echo "$got") | head -10
  else
    echo "$name: $count evaluations, none lost or repeated, identical to the uninterrupted run"
  fi
}

# LHS hands out one fixed design whatever the order of results: deterministic on 2 workers.
write_config lhs "{name: lhs}" 120
kill_campaign lhs 3 120
# Asynchronous BO-GP is deterministic with one worker (results come back in ask order).
write_config bo "{name: bo_gp, n_init: 6}" 60
kill_campaign bo 2 60

# SIGUSR2 to mpirun (OAR's checkpoint signal, forwarded to every rank): the running evaluations
# finish within the grace period, exit code 99, the resume command is printed; --resume ends it.
write_config usr2 "{name: lhs}" 40
dir="$work/usr2"
start_job "$work/usr2.log" -np 3 "$binary" run "$work/usr2.yaml" --out "$dir"
# Once an evaluation is journaled, every rank runs the campaign (its signal handlers are set).
wait_until 60 journaled_at_least "$dir" 1 || fail "SIGUSR2: no evaluation within 60 s"
kill -USR2 "$pid"
wait "$pid"; status=$?
[ "$status" -eq 99 ] || fail "SIGUSR2: exit code $status, expected 99"
grep -q "resume with:.*--resume $dir" "$work/usr2.log" || fail "SIGUSR2: no resume command printed"
grep -q '"event":"stop","signal":"SIGUSR2"' "$dir/journal.jsonl" || fail "SIGUSR2: no stop event"
done_before=$(evaluations "$dir" | grep -c .)
[ "$done_before" -gt 0 ] && [ "$done_before" -lt 40 ] || fail "SIGUSR2: $done_before evaluations before the stop"
"$mpirun_sh" -np 3 "$binary" run "$work/usr2.yaml" --resume "$dir" >> "$work/usr2.log" 2>&1 ||
  fail "SIGUSR2: the resume failed"
total=$(evaluations "$dir" | grep -c .)
[ "$total" -eq 40 ] || fail "SIGUSR2: $total evaluations after the resume, budget 40"
echo "SIGUSR2: stopped with 99 after $done_before evaluations, resumed to $total"

# A second master on a running campaign (a resubmitted job while the old one still runs) is
# refused, naming the holder; the running one is not disturbed.
write_config locked "{name: lhs}" 40
start_job "$work/locked.log" -np 3 "$binary" run "$work/locked.yaml" --out "$work/locked"
# The first campaign holds the run lock once rank 0 has written its name into it ("host H, pid
# P"). Rank 0 is held (SIGSTOP) while the second master tries, so that the first is still running
# then however slowly the second starts; it goes on (SIGCONT) as soon as the second has ended.
wait_until 60 grep -qs pid "$work/locked/.lock" || fail "second master: the first never took the lock"
holder=$(sed -n 's/.*, pid \([0-9]*\)$/\1/p' "$work/locked/.lock")
[ -n "$holder" ] && kill -STOP "$holder"
"$mpirun_sh" -np 3 "$binary" run "$work/locked.yaml" --resume "$work/locked" > "$work/locked2.log" 2>&1
status=$?
[ -n "$holder" ] && kill -CONT "$holder"
[ "$status" -eq 2 ] || fail "second master: exit code $status, expected 2"
grep -q "another lorahpo is running this campaign (host" "$work/locked2.log" || fail "second master: no clear message"
wait "$pid" || fail "second master: the first campaign did not finish cleanly"
[ "$(evaluations "$work/locked" | grep -c .)" -eq 40 ] || fail "second master: the first campaign lost evaluations"
echo "second master: refused with exit 2 while the first completed"

# A worker rank that stops answering (SIGSTOP: a hung node, a process stuck in the kernel): rank 0
# gives it up after workers.silent_after_seconds, its evaluation runs on another worker, the
# campaign completes, and the job ends with exit code 3 instead of waiting for it forever.
cat > "$work/silent.yaml" <<YAML
campaign: {name: silent, budget: 12, seed: 1}
optimizer: {name: lhs}
objective: {kind: builtin, function: branin, cost: {base: 0.5}}
workers: {heartbeat_seconds: 0.2, silent_after_seconds: 1.5}
YAML
start_job "$work/silent.log" -np 3 "$binary" run "$work/silent.yaml" --out "$work/silent"
# Rank 2 is stopped in the middle of the campaign: once the first evaluation is journaled.
wait_until 60 journaled_at_least "$work/silent" 1 || fail "silent worker: no evaluation within 60 s"
ranks=$(session_ranks "$pid")
rank2=$(awk '$2 == 2 { print $1 }' <<< "$ranks")
[ -n "$rank2" ] || fail "silent worker: no rank 2 in the job's session"
kill -STOP $rank2
wait "$pid"; status=$?
# Rank 0 ends the job with MPI_Abort(3). Open MPI 4.1's mpirun (Debian 12's 4.1.4) now and then
# crashes itself (SIGSEGV, status 139) while it tears down a job that has a stopped rank: seen in 2
# of 3 runs of this whole script on a 2-core machine, never in 6 runs of this scenario alone. That
# is mpirun's end, not lorahpo's: accept it only when rank 0 said it was aborting a complete
# campaign (checked here and below), and say so.
if [ "$status" -eq 139 ] && grep -q "ending the MPI job with MPI_Abort" "$work/silent.log"; then
  echo "silent worker: mpirun itself crashed (139) while aborting the job; rank 0 had asked for exit 3"
  status=3
fi
[ "$status" -eq 3 ] || fail "silent worker: exit code $status, expected 3"
grep -q "rank 2 has been silent" "$work/silent.log" || fail "silent worker: not noticed"
total=$(evaluations "$work/silent" | grep -c '^.* ok$')
[ "$total" -eq 12 ] || fail "silent worker: $total ok evaluations, budget 12"
for p in $(awk '{ print $1 }' <<< "$ranks"); do is_dead "$p" || fail "silent worker: rank pid $p was left running"; done
echo "silent worker: given up, campaign complete with $total evaluations, exit 3"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "all kill/resume checks passed"
