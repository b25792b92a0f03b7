# A job's processes found by its session, for the shell tests: source it after starting the job
# with `setsid COMMAND &` (the session id is then $!), and
#   session_pids SID          the live processes of session SID (zombies left out), one a line;
#   signal_session SIG SID    sends SIG to each of them (no-op when none is left);
#   end_session SID           SIGKILL to the whole session, repeated until none is alive (30 s
#                             at most: returns 1 with a line on stderr if one survives).
# Why the session and not the process group: Open MPI 4.1's mpirun puts each rank it starts in a
# process group of its own (`kill -- -PGID` of mpirun's group misses them), but the ranks stay in
# mpirun's session. Why not `pgrep -f PATTERN`: under `ctest -j` other tests' processes can match
# the same pattern; a session holds only this job's processes.
# shellcheck source=tests/support/wait.sh
source "$(dirname "${BASH_SOURCE[0]}")/wait.sh"

session_pids() {  # session_pids SID
  ps -e -o pid=,sid=,stat= | awk -v sid="$1" '$2 == sid && $3 !~ /^Z/ { print $1 }'
}

signal_session() {  # signal_session SIG SID
  local pid
  for pid in $(session_pids "$2"); do kill -s "$1" "$pid" 2>/dev/null; done
  return 0
}

session_empty() { [ -z "$(session_pids "$1")" ]; }

# A process forked between the listing and the kill is caught by the next pass; the lock a
# killed rank held (flock) is released once it no longer runs, so a --resume after end_session
# never finds the old job still holding it.
end_session() {  # end_session SID
  local deadline=$((SECONDS + 30))
  while ! session_empty "$1"; do
    signal_session KILL "$1"
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "end_session: session $1 still has live processes after 30 s: $(session_pids "$1" | tr '\n' ' ')" >&2
      return 1
    fi
    sleep 0.05
  done
}
