#!/usr/bin/env bash
# The whole test suite; CI runs exactly this (.ci/run), on 2 cores, as root, from a fresh clone.
#  1. the dependencies: scripts/install_deps.sh, and for the checks below clang-format 14 and
#     debootstrap;
#  2. the format check (scripts/check_format.sh, .clang-format);
#  3. one build with warnings as errors, and every test on it: unit, MPI at several rank counts,
#     end to end under mpirun (ctest);
#  4. the Debian 11 check (scripts/check_debian.sh bullseye): g++ 10, yaml-cpp 0.6.3, Eigen 3.3.9
#     ... build lorahpo (Release) and the unit tests, run them and a campaign in a fresh bullseye
#     root, Grid'5000's standard environment. Its root is bootstrapped in the background while
#     step 3 builds: debootstrap and apt wait on the network and the disk, not on the CPU.
# CI has 45 minutes on 2 cores and each build of the whole tree takes 13 to 25 of them (25 with
# AddressSanitizer), so the sanitized suite is not part of it: run it with LORAHPO_SANITIZERS=1.
#
# LORAHPO_SANITIZERS=1   build with AddressSanitizer + UBSan (build-asan/) instead (~25 min build)
# LORAHPO_SKIP_DEBIAN_CHECK=1   leave step 4 out (it needs root and the Debian mirror)
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
stamp() { echo "== scripts/test.sh: $1 ($((SECONDS - started)) s)"; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

scripts/install_deps.sh
extra=()
command -v debootstrap >/dev/null || extra+=(debootstrap)
if ! command -v clang-format-14 >/dev/null &&
   apt-cache policy clang-format-14 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  extra+=(clang-format-14)
fi
if [ "${#extra[@]}" -gt 0 ]; then
  $SUDO apt-get install -y -qq --no-install-recommends "${extra[@]}" >/dev/null
fi
stamp "dependencies installed"

debian_check=0
if [ "${LORAHPO_SKIP_DEBIAN_CHECK:-0}" != "1" ]; then
  debian_check=1
  debian_root="$(mktemp -d "${TMPDIR:-/var/tmp}/lorahpo-ci-bullseye-XXXXXX")"
  $SUDO env CHECK_DEBIAN_ROOT="$debian_root" scripts/check_debian.sh bullseye --prepare \
    >"$debian_root.prepare.log" 2>&1 &
  prepare_pid=$!
  cleanup_root() {
    # The check unmounts what it mounted; --one-file-system keeps rm out of anything left.
    if [ -n "${prepare_pid:-}" ]; then kill "$prepare_pid" 2>/dev/null || true; wait "$prepare_pid" 2>/dev/null || true; fi
    grep -q " $debian_root/" /proc/mounts || $SUDO rm -rf --one-file-system "$debian_root"
    rm -f "$debian_root.prepare.log"
  }
  trap cleanup_root EXIT
fi

scripts/check_format.sh
stamp "format checked"

jobs="$(nproc)"
if [ "${LORAHPO_SANITIZERS:-0}" = "1" ]; then
  # -O2 with line tables only (-g1): the sanitizers' reports name file and line. A Debug build
  # runs the GP fits ~10x slower.
  BUILD_DIR=build-asan BUILD_TYPE=RelWithDebInfo scripts/build.sh \
    -DLORAHPO_SANITIZE=ON -DLORAHPO_WERROR=ON '-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG'
  build_dir=build-asan
else
  # -O2 without debug information: the code the tests check, the shortest build.
  BUILD_DIR=build BUILD_TYPE=Release scripts/build.sh -DLORAHPO_WERROR=ON \
    '-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG'
  build_dir=build
fi
stamp "built in $build_dir"
# (cd build && ctest): `ctest --test-dir` needs CMake 3.20, Debian 11 has 3.18.
(cd "$build_dir" && ctest --output-on-failure -j "$jobs")
stamp "tests passed"

if [ "$debian_check" = 1 ]; then
  if ! wait "$prepare_pid"; then
    prepare_pid=""
    cat "$debian_root.prepare.log" >&2
    echo "scripts/test.sh: preparing the bullseye root failed" >&2
    exit 1
  fi
  prepare_pid=""
  sed -n 's/^\(== .*: [0-9]* s\)$/\1/p' "$debian_root.prepare.log"
  $SUDO env CHECK_DEBIAN_ROOT="$debian_root" scripts/check_debian.sh bullseye
  stamp "Debian 11 check passed"
fi
