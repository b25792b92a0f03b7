#!/usr/bin/env bash
# The whole test suite: install the dependencies, build, run every test (unit, MPI at several
# rank counts, end to end under mpirun), then the same again built with AddressSanitizer and
# UndefinedBehaviorSanitizer, then the Debian 11 check (scripts/check_debian.sh bullseye: build,
# unit tests and a campaign in a fresh bullseye root, Grid'5000's standard environment).
# LORAHPO_SKIP_SANITIZERS=1 / LORAHPO_SKIP_DEBIAN_CHECK=1 leave those parts out.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
jobs="$(nproc)"
BUILD_DIR=build scripts/build.sh
# (cd build && ctest): `ctest --test-dir` needs CMake 3.20, Debian 11 has 3.18.
(cd build && ctest --output-on-failure -j "$jobs")
if [ "${LORAHPO_SKIP_SANITIZERS:-0}" != "1" ]; then
  # Optimized (-O2) with the sanitizers: a Debug build is ~10x slower and the GP fits dominate.
  BUILD_DIR=build-asan BUILD_TYPE=RelWithDebInfo scripts/build.sh -DLORAHPO_SANITIZE=ON -DLORAHPO_BUILD_BENCH=OFF
  (cd build-asan && ctest --output-on-failure -j "$jobs")
fi
if [ "${LORAHPO_SKIP_DEBIAN_CHECK:-0}" != "1" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    scripts/check_debian.sh bullseye
  else
    sudo scripts/check_debian.sh bullseye
  fi
fi
