#!/usr/bin/env bash
# The whole test suite: install the dependencies, build, run every test (unit, MPI at several
# rank counts, end to end under mpirun), then the same again built with AddressSanitizer and
# UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
jobs="$(nproc)"
BUILD_DIR=build scripts/build.sh
ctest --test-dir build --output-on-failure -j "$jobs"
if [ "${LORAHPO_SKIP_SANITIZERS:-0}" != "1" ]; then
  # Optimized (-O2) with the sanitizers: a Debug build is ~10x slower and the GP fits dominate.
  BUILD_DIR=build-asan BUILD_TYPE=RelWithDebInfo scripts/build.sh -DLORAHPO_SANITIZE=ON -DLORAHPO_BUILD_BENCH=OFF
  ctest --test-dir build-asan --output-on-failure -j "$jobs"
fi
