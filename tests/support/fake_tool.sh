# Stand-in executables for the shell tests of deploy/: source it, then
#   fake_tool PATH <<'EOF' ... EOF       writes the script on stdin to PATH, executable;
#   recording_tool PATH CALLS [NAME]     a tool that only appends "NAME ARGS" to the file CALLS
#                                        (NAME defaults to PATH's base name); more behaviour can
#                                        be appended to PATH after it.
# The tests put the folder of their fakes first in PATH and check the calls in order.

fake_tool() {  # fake_tool PATH < SCRIPT
  mkdir -p "$(dirname "$1")"
  cat > "$1"
  chmod +x "$1"
}

recording_tool() {  # recording_tool PATH CALLS [NAME]
  local name="${3:-$(basename "$1")}"
  printf '#!/usr/bin/env bash\necho "%s $*" >> "%s"\n' "$name" "$2" | fake_tool "$1"
}
