#!/usr/bin/env bash
# mpirun with the flags a single machine needs: --oversubscribe (more ranks than cores: rank 0
# mostly waits) and, only when running as root (containers, CI), Open MPI's explicit permission.
set -euo pipefail
flags=(--oversubscribe)
if [ "$(id -u)" -eq 0 ]; then flags+=(--allow-run-as-root); fi
exec mpirun "${flags[@]}" "$@"
