# shellcheck shell=bash
# Shared by the OAR and Slurm job scripts (sourced, not run): run mpirun (or srun) in the
# background, relay the scheduler's checkpoint signal to it, and return its exit status.
#
# The scheduler signals the job script only: OAR's oarexec sends the checkpoint signal to the
# user command's pid and to nothing else (OAR 2.5.10 modules/runner/oarexec: `oardodo kill -s
# $checkpoint_signal $user_cmd_pid`), and sends it again on every Sarko pass inside the checkpoint
# window (modules/sarko.pl: `$current >= $start + $walltime - $checkpoint` -> signal_oarexec);
# Slurm's `--signal=B:SIG@T` signals the batch shell only (sbatch(1), --signal, "B:").

# lorahpo_forward_signal SIGNAL PID: relays a scheduler's warning signal to mpirun, which relays
# it to every rank; lorahpo then stops dispatching, lets running trials end (or kills them),
# flushes its journal and exits 99.
lorahpo_forward_signal() {
  echo "lorahpo job: got $1, asking the campaign to stop cleanly" >&2
  kill "-$1" "$2" 2>/dev/null || true
}

# lorahpo_trap_signals SIGNAL: from now on SIGNAL (and SIGTERM) sent to the job script set
# `lorahpo_stop_requested` and are relayed as SIGNAL to the running child, if any. Installed once,
# first thing in the script, and never removed: a checkpoint signal repeated after mpirun has
# ended must not kill the script with the signal's default action (its status would then be
# 128 + SIGNAL, never 99). SIGTERM: mpirun answers it by killing every rank at once, whereas the
# campaign's clean stop (grace period, exit 99) is what the checkpoint signal asks for; a SIGTERM
# sent to the script (kill by hand, scancel without --full) is relayed as the checkpoint signal.
# (OAR's oardel never signals the script: oarexec kills the whole tree with -9.)
lorahpo_stop_requested=0
lorahpo_child_pid=""
lorahpo_signal=USR2
lorahpo_trap_signals() {
  lorahpo_signal="$1"
  # shellcheck disable=SC2064  # the signal name is fixed now, on purpose.
  trap "lorahpo_on_signal $1" "$1" TERM
}
lorahpo_on_signal() {
  lorahpo_stop_requested=1
  if [ -n "$lorahpo_child_pid" ]; then
    lorahpo_forward_signal "$1" "$lorahpo_child_pid"
  else
    echo "lorahpo job: got $1 between steps" >&2
  fi
}

# lorahpo_run_child COMMAND...: runs COMMAND in the background, waits until it has really exited,
# and sets `lorahpo_child_status` to its exit status (signals: lorahpo_trap_signals).
#
# Why not `COMMAND & wait $!`: a trapped signal interrupts `wait`, which then returns 128 + the
# signal number (bash(1), wait builtin) although the child may still run, so the wait must be
# repeated; and the scheduler repeats the checkpoint signal (see above), so one may land while
# mpirun is exiting. The shell then has no reliable status to give: the wait returns 140
# (128 + SIGUSR2), and waiting again for the reaped child returned -1 with bash 5.2
# (tests/deploy/oar_job_test.sh, "race"), never mpirun's 99 -- and OAR resubmits only on 99
# (modules/node_change_state.pl: exit_code >> 8 == 99). So a waiter subshell, which no signal is
# ever sent to, runs COMMAND, waits for it once and writes its status to a file; the script only
# waits for the waiter (repeating while signals interrupt it) and reads that file. Signals are
# relayed to COMMAND itself (its pid, written by the waiter).
lorahpo_run_child() {
  local dir waiter rc
  dir="$(mktemp -d "${TMPDIR:-/tmp}/lorahpo-job.XXXXXX")"
  (
    "$@" &
    echo $! > "$dir/pid.tmp" && mv "$dir/pid.tmp" "$dir/pid"
    wait $! && rc=0 || rc=$?  # (errexit is on in the job scripts)
    echo "$rc" > "$dir/status"
  ) &
  waiter=$!
  while [ ! -s "$dir/pid" ] && kill -0 "$waiter" 2>/dev/null; do sleep 0.01; done
  lorahpo_child_pid="$(cat "$dir/pid" 2>/dev/null || true)"
  # A signal that came before the pid was known: relay it now.
  if [ "$lorahpo_stop_requested" = 1 ] && [ -n "$lorahpo_child_pid" ]; then
    lorahpo_forward_signal "$lorahpo_signal" "$lorahpo_child_pid"
  fi
  while kill -0 "$waiter" 2>/dev/null; do
    wait "$waiter" 2>/dev/null || true
  done
  lorahpo_child_pid=""
  # shellcheck disable=SC2034  # read by the job scripts
  lorahpo_child_status="$(cat "$dir/status" 2>/dev/null || echo 1)"
  rm -rf "$dir"
}
