#!/usr/bin/env bash
# scripts/bundle.sh [BUILD_DIR]: copies next to BUILD_DIR/lorahpo, into BUILD_DIR/lib/, every
# shared library it loads that a Debian node with Open MPI does not already have, so that the
# binary built on one node (or in a Debian 11 root, see scripts/check_debian.sh) runs on
# Grid'5000's standard image without installing anything in the job. lorahpo finds them through
# its RPATH $ORIGIN/lib (app/CMakeLists.txt).
#
# The rule: a library is left out when its Debian package is in the dependency closure of the
# packages of priority required or important (the Debian base every image has: libc6,
# libstdc++6, libgcc-s1, ...) and of openmpi-bin (Open MPI is in Grid'5000's standard images,
# and its libraries must come from the node to match its mpirun). Every other library ldd
# resolves (yaml-cpp, spdlog, fmt, NLopt, ...) is copied. BUILD_DIR/lib/BUNDLED lists
# "file package version" per copied library.
set -euo pipefail
build_dir="${1:-build}"
binary="$build_dir/lorahpo"
if [ ! -x "$binary" ]; then echo "bundle.sh: no executable $binary (build first)" >&2; exit 2; fi

# The package owning a library path; dpkg may know it under /lib or /usr/lib (merged /usr).
owner() {
  local path="$1" real alt
  real="$(readlink -f "$path")"
  for candidate in "$path" "$real" "${path#/usr}" "/usr$path" "${real#/usr}" "/usr$real"; do
    dpkg-query -S "$candidate" 2>/dev/null | sed -n '1s/:.*//p' | grep . && return 0
  done
  return 1
}

mapfile -t roots < <(dpkg-query -W -f='${Package} ${Priority} ${db:Status-Status}\n' |
                     awk '($2 == "required" || $2 == "important") && $3 == "installed" {print $1}')
roots+=(openmpi-bin)
declare -A base=()
while read -r package; do
  base["${package%%:*}"]=1
done < <(apt-cache depends --recurse --installed --no-recommends --no-suggests --no-conflicts \
           --no-breaks --no-replaces --no-enhances "${roots[@]}" 2>/dev/null | grep -v '^[ <]')

lib_dir="$build_dir/lib"
rm -rf "$lib_dir"
mkdir -p "$lib_dir"
: >"$lib_dir/BUNDLED"
status=0
while read -r name _ path _; do
  if [ "$path" = "not" ]; then echo "bundle.sh: $name not found by ldd" >&2; status=2; continue; fi
  case "$path" in /*) ;; *) continue ;; esac  # linux-vdso, the loader itself
  if ! package="$(owner "$path")"; then
    echo "bundle.sh: $path belongs to no Debian package; bundling it" >&2
    package="-"
  fi
  package="${package%%:*}"
  if [ -n "${base[$package]:-}" ]; then continue; fi
  cp -L "$path" "$lib_dir/$name"
  version="$(dpkg-query -W -f='${Version}' "$package" 2>/dev/null || echo -)"
  echo "$name $package $version" >>"$lib_dir/BUNDLED"
done < <(ldd "$binary" | sed -n 's/^[[:space:]]*\([^ ]*\) => \([^ ]*\).*/\1 => \2 x/p')
[ "$status" -eq 0 ] || exit "$status"
echo "bundled into $lib_dir:"
sed 's/^/  /' "$lib_dir/BUNDLED"
