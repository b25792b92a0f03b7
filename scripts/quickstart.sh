#!/usr/bin/env bash
# One command on a fresh Debian 12 machine: install the dependencies, build, and run the
# quickstart campaign (built-in objective, no GPU, no download) with 1 master + 4 workers.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
scripts/mpirun.sh -np 5 build/lorahpo run configs/quickstart.yaml "$@"
