# Waiting on conditions, for the shell tests: source it, then
#   wait_until SECONDS CONDITION...   polls CONDITION (a command) every 0.1 s until it succeeds
#                                     (returns 0) or SECONDS have passed (returns 1, after a line
#                                     on stderr naming what was awaited);
#   is_dead PID                       PID no longer runs: gone, or a zombie nobody reaps yet.
# A test synchronises on what it waits for (a journal line, a lock holder, a process's end),
# never on a fixed sleep: under `ctest -j` and sanitizers on two cores, start-up alone can take
# longer than any sleep chosen on an idle machine. The deadline is generous (a failure's bound,
# not a tuning knob); the poll stops as soon as the condition holds.

# Microseconds since the epoch from bash's EPOCHREALTIME (bash >= 5.0), whatever the decimal
# separator of the locale.
wait_now_us() {
  local t="${EPOCHREALTIME/[.,]/}"
  echo "$((10#$t))"
}

wait_until() {  # wait_until SECONDS CONDITION...
  local seconds="$1"; shift
  local deadline
  # SECONDS may be fractional: awk turns it into microseconds.
  deadline=$(( $(wait_now_us) + $(awk -v s="$seconds" 'BEGIN { printf "%d", s * 1000000 }') ))
  until "$@"; do
    if [ "$(wait_now_us)" -ge "$deadline" ]; then
      echo "wait_until: gave up after ${seconds} s waiting for: $*" >&2
      return 1
    fi
    sleep 0.1
  done
}

# Gone, or a zombie nobody reaps (a container's init may not): either way it no longer runs.
is_dead() {  # is_dead PID
  ! kill -0 "$1" 2>/dev/null || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]
}
