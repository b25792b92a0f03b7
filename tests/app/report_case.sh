# Sourced by the tests/app scripts: one PASS/FAIL line per case, counted in $passed and $failed.
passed=0
failed=0

report() {  # report NAME PROBLEM... (no problem: PASS)
  local name="$1"; shift
  if [ $# -eq 0 ]; then
    echo "PASS $name"
    passed=$((passed + 1))
  else
    local IFS=';'
    echo "FAIL $name: $*"
    failed=$((failed + 1))
  fi
}
