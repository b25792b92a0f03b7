#!/usr/bin/env bash
# Bad input gets a clean error. Runs `lorahpo validate FILE` on every campaign file of
# tests/fixtures/bad_inputs/ (and on a few made here: a missing file, a directory, a 50 MB file,
# a device, a FIFO, a symlink loop) and checks each answer: exit code exactly 2, stderr exactly
# one line `error: FILE[:LINE]: [KEY ]message` naming the file and, where the fixture's
# `# expect: LINE [KEY]` line gives them, the line and the key; nothing on stdout; no trace of a
# crash (Abort, terminate, Sanitizer, runtime error); done within 20 s. Then runs a handful under
# `mpirun -np 2 lorahpo run FILE --out DIR`: exit code 2, DIR not created, and an existing run
# directory left exactly as it was.
# Usage: bad_input_test.sh path/to/lorahpo. Prints one PASS/FAIL line per case and a total.
set -uo pipefail
lorahpo="${1:?usage: $0 path/to/lorahpo}"
lorahpo="$(cd "$(dirname "$lorahpo")" && pwd)/$(basename "$lorahpo")"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fixtures="$repo/tests/fixtures/bad_inputs"
mpirun_sh="$repo/scripts/mpirun.sh"
work="$(mktemp -d)"
trap 'chmod -R u+rwx "$work" 2>/dev/null; rm -rf "$work"' EXIT
# shellcheck source=tests/app/report_case.sh
source "$repo/tests/app/report_case.sh"
crash_pattern='Abort|terminate|Sanitizer|runtime error|Segmentation|core dumped'
# mpirun's own notice of a non-zero exit says "terminated": under mpirun only the C++ runtime's
# "terminate called" counts.
mpi_crash_pattern='Abort|terminate called|Sanitizer|runtime error|Segmentation|core dumped'


# check_validate NAME FILE LINE [KEY [TEXT]]: LINE 0 means the error names no line; TEXT, if
# given, must be in the message.
check_validate() {
  local name="$1" file="$2" line="$3" key="${4:-}" text="${5:-}"
  local problems=() rc start elapsed prefix
  start=$(date +%s)
  timeout 20 "$lorahpo" validate "$file" > "$work/stdout" 2> "$work/stderr"
  rc=$?
  elapsed=$(( $(date +%s) - start ))
  [ "$rc" = 124 ] && problems+=("timed out after 20 s")
  [ "$rc" = 2 ] || problems+=("exit code $rc, expected 2")
  [ -s "$work/stdout" ] && problems+=("wrote to stdout: $(head -c 200 "$work/stdout")")
  local lines
  lines=$(awk 'END { print NR }' "$work/stderr")
  [ "$lines" = 1 ] || problems+=("stderr has $lines lines, expected 1: $(head -c 300 "$work/stderr" | tr '\n' '|')")
  local first
  first="$(head -n 1 "$work/stderr")"
  prefix="error: $file"
  if [ "$line" != 0 ]; then prefix+=":$line"; fi
  prefix+=": "
  if [ -n "$key" ]; then prefix+="$key "; fi
  [ "${first:0:${#prefix}}" = "$prefix" ] || problems+=("stderr does not start with '$prefix': '${first:0:300}'")
  if [ -n "$text" ] && [[ "$first" != *"$text"* ]]; then problems+=("the message does not say '$text': '${first:0:300}'"); fi
  if grep -qE "$crash_pattern" "$work/stdout" "$work/stderr"; then problems+=("crash text in the output"); fi
  [ "$elapsed" -le 20 ] || problems+=("took $elapsed s")
  if [ ${#problems[@]} -eq 0 ]; then report "validate $name"; else report "validate $name" "${problems[@]}"; fi
}

# --- validate: the fixtures -------------------------------------------------------------------
# Files that cannot carry an `# expect:` comment: LINE [KEY] here.
declare -A no_comment=(
  [empty.yaml]="0|is empty"
  [whitespace_only.yaml]="0|is empty"
  [binary.yaml]="1|binary file"
)
for file in "$fixtures"/*.yaml; do
  base="$(basename "$file")"
  if [ -n "${no_comment[$base]:-}" ]; then
    check_validate "${base%.yaml}" "$file" "${no_comment[$base]%%|*}" "" "${no_comment[$base]#*|}"
    continue
  fi
  expect="$(grep -a -m 1 '^# expect:' "$file" | sed 's/^# expect: *//')"
  if [ -z "$expect" ]; then report "validate ${base%.yaml}" "no '# expect: LINE [KEY]' line in the fixture"; continue; fi
  read -r line key <<< "$expect"
  check_validate "${base%.yaml}" "$file" "$line" "$key"
done

# --- validate: files made here ----------------------------------------------------------------
check_validate missing_file "$work/no_such_campaign.yaml" 0 "" "does not exist"
check_validate missing_directory "$work/no_such_dir/campaign.yaml" 0 "" "does not exist"
check_validate directory "$fixtures" 0 "" "is a directory"
check_validate device /dev/zero 0 "" "not a regular file"
mkfifo "$work/fifo.yaml"
check_validate fifo "$work/fifo.yaml" 0 "" "not a regular file"
ln -s "$work/loop.yaml" "$work/loop.yaml"
check_validate symlink_loop "$work/loop.yaml" 0 "" "cannot be read"
{
  cat "$repo/configs/quickstart.yaml"
  head -c 50000000 /dev/zero | tr '\0' '#'
  echo
} > "$work/huge.yaml"
check_validate huge_file "$work/huge.yaml" 0 "" "too large"
mkdir -p "$work/a dir with spaces"
cp "$fixtures/reversed_bounds.yaml" "$work/a dir with spaces/reversed bounds.yaml"
check_validate path_with_spaces "$work/a dir with spaces/reversed bounds.yaml" 6 search_space.rank.low
pushd "$fixtures" > /dev/null && check_validate relative_path unknown_top_key.yaml 7 optimiser; popd > /dev/null
if [ "$(id -u)" != 0 ]; then  # root reads any file
  cp "$fixtures/../command_campaign.yaml" "$work/unreadable.yaml"
  chmod 000 "$work/unreadable.yaml"
  check_validate unreadable "$work/unreadable.yaml" 0 "" "cannot be read"
fi

# --- run under mpirun: exit 2 before anything is created --------------------------------------
snapshot() {  # every path under $1 with its size, time and checksum (the master's .lock aside)
  find "$1" -mindepth 1 ! -name .lock -printf '%P %y %s %T@\n' | sort
  find "$1" -type f ! -name .lock -exec md5sum {} + | sort
}

# check_run NAME FILE OUT [EXISTING [NAMED]]: with EXISTING, OUT already exists (a run directory,
# or a file) and must be left exactly as it was; without, it must not be created. stderr must
# name NAMED (default: FILE).
check_run() {
  local name="$1" file="$2" out="$3" existing="${4:-}" named="${5:-$2}"
  local problems=() rc before=""
  [ -n "$existing" ] && before="$(snapshot "$out")"
  timeout 60 "$mpirun_sh" -np 2 "$lorahpo" run "$file" --out "$out" > "$work/stdout" 2> "$work/stderr"
  rc=$?
  [ "$rc" = 124 ] && problems+=("timed out after 60 s")
  [ "$rc" = 2 ] || problems+=("exit code $rc, expected 2: $(tail -c 300 "$work/stderr" | tr '\n' '|')")
  if [ -n "$existing" ]; then
    local after
    after="$(snapshot "$out")"
    [ "$before" = "$after" ] || problems+=("$out changed")
  elif [ -e "$out" ]; then
    problems+=("created $out")
  fi
  grep -qF "$named" "$work/stderr" || problems+=("stderr does not name $named")
  if grep -qE "$mpi_crash_pattern" "$work/stdout" "$work/stderr"; then problems+=("crash text in the output"); fi
  if [ ${#problems[@]} -eq 0 ]; then report "run $name"; else report "run $name" "${problems[@]}"; fi
}

for base in reversed_bounds unknown_top_key missing_executable budget_zero failures_stop_after_zero \
            workers_silent_too_short yaml_unclosed_flow empty binary; do
  check_run "$base" "$fixtures/$base.yaml" "$work/run_$base"
done
check_run missing_file "$work/no_such_campaign.yaml" "$work/run_missing_file"

# A bad config aimed at a campaign that already ran: nothing of it may be lost or touched.
mkdir -p "$work/previous/trials/0"
printf '{"id":0,"status":"ok","score":0.5}\n' > "$work/previous/journal.jsonl"
cp "$repo/configs/quickstart.yaml" "$work/previous/config.yaml"
echo "trial output" > "$work/previous/trials/0/stdout.log"
check_run into_existing_run "$fixtures/reversed_bounds.yaml" "$work/previous" existing
# A good config aimed at it is refused too (never overwritten).
check_run good_config_into_existing_run "$repo/configs/quickstart.yaml" "$work/previous" existing "$work/previous"
# --out naming a file.
echo "not a directory" > "$work/out_file"
check_run out_is_a_file "$repo/configs/hartmann6_lhs.yaml" "$work/out_file" existing "$work/out_file"

# --- --resume with a journal that does not fit: exit 2, the journal untouched ------------------
# check_resume NAME CONFIG RUN_DIR TEXT: TEXT must be in the error.
check_resume() {
  local name="$1" file="$2" dir="$3" text="$4" problems=() rc before after
  before="$(snapshot "$dir" 2>/dev/null)"
  timeout 60 "$mpirun_sh" -np 2 "$lorahpo" run "$file" --resume "$dir" > "$work/stdout" 2> "$work/stderr"
  rc=$?
  [ "$rc" = 2 ] || problems+=("exit code $rc, expected 2: $(tail -c 300 "$work/stderr" | tr '\n' '|')")
  after="$(snapshot "$dir" 2>/dev/null)"
  [ "$before" = "$after" ] || problems+=("$dir changed")
  grep -qF -- "$text" "$work/stderr" || problems+=("stderr does not say '$text'")
  if grep -qE "$mpi_crash_pattern" "$work/stdout" "$work/stderr"; then problems+=("crash text in the output"); fi
  if [ ${#problems[@]} -eq 0 ]; then report "resume $name"; else report "resume $name" "${problems[@]}"; fi
}
cat > "$work/small.yaml" <<'YAML'
campaign: {name: small, budget: 3, seed: 1}
optimizer: {name: lhs}
objective: {kind: builtin, function: branin}
YAML
timeout 60 "$mpirun_sh" -np 2 "$lorahpo" run "$work/small.yaml" --out "$work/small" > /dev/null 2>&1
sed 's/name: lhs/name: random/' "$work/small.yaml" > "$work/other_optimizer.yaml"
check_resume journal_of_another_campaign "$work/other_optimizer.yaml" "$work/small" "optimizer.name"
sed 's/seed: 1/seed: 2/' "$work/small.yaml" > "$work/other_seed.yaml"
check_resume journal_with_another_seed "$work/other_seed.yaml" "$work/small" "seed: 1 -> 2"
check_resume journal_without_header "$work/small.yaml" "$work/previous" "no campaign header"
mkdir -p "$work/damaged" && { head -n 2 "$work/small/journal.jsonl"; echo '{"id": 0, "stat'; tail -n 1 "$work/small/journal.jsonl"; } > "$work/damaged/journal.jsonl"
check_resume damaged_journal "$work/small.yaml" "$work/damaged" "journal.jsonl:3"
mkdir -p "$work/binary_journal" && head -c 4096 /dev/urandom > "$work/binary_journal/journal.jsonl" && echo >> "$work/binary_journal/journal.jsonl" && echo '{}' >> "$work/binary_journal/journal.jsonl"
check_resume binary_journal "$work/small.yaml" "$work/binary_journal" "not a JSON object"
check_resume no_run_directory "$work/small.yaml" "$work/nothing_here" "nothing to resume"
mkdir -p "$work/no_journal"
check_resume no_journal "$work/small.yaml" "$work/no_journal" "holds no journal.jsonl"

echo "$((passed + failed)) cases: $passed passed, $failed failed"
[ "$failed" = 0 ]
