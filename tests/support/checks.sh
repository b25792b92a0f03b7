# Named checks for the shell tests of deploy/: source it, then
#   check NAME CONDITION...   runs CONDITION; prints "ok: NAME" or "FAILED: NAME" and counts it;
#   checks_summary            prints "N passed, N failed" and returns 1 if any check failed
#                             (the script's last command, so its exit status is the test's).
passed=0
failed=0

check() {  # check NAME CONDITION...
  local name="$1"; shift
  if "$@"; then echo "ok: $name"; passed=$((passed + 1)); else echo "FAILED: $name"; failed=$((failed + 1)); fi
}

checks_summary() {
  echo "$passed passed, $failed failed"
  test "$failed" = 0
}
