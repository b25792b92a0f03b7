#!/usr/bin/env bash
# scripts/check_debian.sh SUITE [--prepare]   (SUITE: bullseye | bookworm | trixie; run as root)
#
# Proves that lorahpo builds and runs on a Debian release the way a user's node would: makes a
# fresh minimal Debian root of SUITE with debootstrap, from the Debian mirror this machine's apt
# already uses, copies the repository into it (the files `git ls-files` lists: what a fresh
# clone has), and inside it (chroot) runs the project's own scripts/install_deps.sh, builds
# lorahpo and the unit tests (Release, no benchmarks), runs the unit and MPI unit tests (ctest
# label `unit`) and a small campaign under mpirun. Last, the proof that a build ships what
# the node lacks: scripts/bundle.sh copies the non-base libraries next to the binary, their
# Debian packages (runtime and -dev) are purged from the root, and `lorahpo --version` and the
# campaign run again.
#
# Nothing is cached between runs: the root is made and deleted each time (CI runs it fresh).
# Environment:
#   CHECK_DEBIAN_ROOT=DIR    make the root there (an empty or absent directory; default: a new
#                            directory under ${TMPDIR:-/var/tmp}). A root kept by an earlier
#                            run (CHECK_DEBIAN_KEEP=1 or --prepare) is reused as it is: no
#                            debootstrap, an incremental build, and kept.
#   --prepare                stop after debootstrap and install_deps.sh and keep the root: the
#                            test command prepares the root this way in the background while it
#                            builds (waiting on the network and disk, not the CPU), then runs
#                            the check on it with CHECK_DEBIAN_ROOT and deletes it.
#   CHECK_DEBIAN_KEEP=1      keep the root afterwards (to look around; unmounted all the same)
#   CHECK_DEBIAN_MIRROR=URL  the Debian mirror (default: the first one of this machine's apt)
#   CHECK_DEBIAN_JOBS=N      build jobs (default: nproc)
set -euo pipefail
# The whole script is one function, called on the last line: bash has read all of it before
# anything runs, so editing this file while a check runs cannot derail that check.
main() {

suite="${1:-}"
mode="${2:-}"
case "$mode" in "" | --prepare) ;; *) echo "usage: $0 SUITE [--prepare]" >&2; exit 2 ;; esac
case "$suite" in
  bullseye | bookworm | trixie) ;;
  *) echo "usage: $0 bullseye|bookworm|trixie" >&2; exit 2 ;;
esac
if [ "$(id -u)" -ne 0 ]; then echo "check_debian.sh: debootstrap and chroot need root" >&2; exit 2; fi
repo="$(cd "$(dirname "$0")/.." && pwd)"
jobs="${CHECK_DEBIAN_JOBS:-$(nproc)}"
export DEBIAN_FRONTEND=noninteractive LC_ALL=C

started=$SECONDS
phase_started=$SECONDS
phase_name=""
timings=()
phase() {  # phase NAME: ends the previous phase (printing its time) and starts NAME
  local now=$SECONDS
  if [ -n "$phase_name" ]; then
    timings+=("$(printf '%-28s %4d s' "$phase_name" $((now - phase_started)))")
    echo "== [$suite] $phase_name: $((now - phase_started)) s"
  fi
  phase_name="$1"
  phase_started=$now
  [ -z "$phase_name" ] || echo "== [$suite] $phase_name ..."
}

# The mirror: the first Debian archive URI in this machine's apt sources (deb822 or one-line
# format), not the security archive.
mirror="${CHECK_DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
  mirror="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs: *//p' | tr ' ' '\n' |
            grep -v -- '-security' | grep . | head -n 1 || true)"
fi
if [ -z "$mirror" ]; then
  mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
            sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([a-z]*:[^ ]*\) .*/\2/p' | grep -v -- '-security' |
            head -n 1 || true)"
fi
if [ -z "$mirror" ]; then echo "check_debian.sh: no Debian mirror in /etc/apt (set CHECK_DEBIAN_MIRROR)" >&2; exit 2; fi

root="${CHECK_DEBIAN_ROOT:-}"
reuse=0
if [ -z "$root" ]; then
  root="$(mktemp -d "${TMPDIR:-/var/tmp}/lorahpo-$suite-XXXXXX")"
else
  mkdir -p "$root"
  if [ -f "$root/etc/debian_version" ] && grep -q "$suite" "$root/etc/apt/sources.list" 2>/dev/null; then
    reuse=1
    CHECK_DEBIAN_KEEP=1
  elif [ -n "$(ls -A "$root")" ]; then
    echo "check_debian.sh: $root is neither empty nor a $suite root" >&2; exit 2
  fi
fi
root="$(cd "$root" && pwd -P)"
chmod 755 "$root"  # mktemp's 0700 would keep apt's sandbox user _apt out of the root

mounted=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  # Processes still running inside the root (an mpirun that outlived a failure, its orted)
  # would keep the mounts busy: stop them first, by pid, those whose root is ours only.
  for proc in /proc/[0-9]*; do
    [ "$(readlink "$proc/root" 2>/dev/null)" = "$root" ] && kill -9 "${proc#/proc/}" 2>/dev/null
  done
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}"
  done
  if grep -q " $root/" /proc/mounts; then
    echo "check_debian.sh: something is still mounted under $root; not deleting it" >&2
    [ "$rc" -ne 0 ] || rc=1
  elif [ "${CHECK_DEBIAN_KEEP:-0}" = "1" ]; then
    echo "check_debian.sh: kept the root $root"
  else
    rm -rf --one-file-system "$root"
  fi
  phase ""
  echo "== [$suite] timings (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)):"
  printf '   %s\n' "${timings[@]}"
  printf '   %-28s %4d s\n' total $((SECONDS - started))
  if [ "$rc" -eq 0 ]; then echo "== [$suite] PASSED"; else echo "== [$suite] FAILED (exit $rc)" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

phase "debootstrap $suite"
if ! command -v debootstrap >/dev/null; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi
echo "   mirror $mirror, root $root"
if [ "$reuse" = 1 ]; then
  echo "   reusing the $suite root in $root"
else
  debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.debootstrap.log" 2>&1 || {
    tail -n 30 "$root.debootstrap.log" >&2; rm -f "$root.debootstrap.log"; exit 1; }
  rm -f "$root.debootstrap.log"
fi
# Open MPI reads /proc and /sys (hwloc) and opens /dev/shm; apt wants /dev/pts.
for fs in proc sys dev dev/pts; do
  mount --bind "/$fs" "$root/$fs"
  mounted+=("$root/$fs")
done
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

in_root() {  # in_root COMMAND...: runs bash -c COMMAND in the root, at /src/lorahpo
  chroot "$root" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root \
    LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive CI="${CI:-}" \
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    /bin/bash -euo pipefail -c "cd /src/lorahpo && $1"
}

phase "copy the repository"
mkdir -p "$root/src/lorahpo"
(cd "$repo" && git ls-files -z | tar --null --no-recursion -T - -cf -) | tar -xf - -C "$root/src/lorahpo"

phase "scripts/install_deps.sh"
in_root "bash scripts/install_deps.sh"
in_root 'echo "   $(. /etc/os-release; echo "$PRETTY_NAME"); $(g++ --version | head -n 1); $(cmake --version | head -n 1)"'
if [ "$mode" = --prepare ]; then
  CHECK_DEBIAN_KEEP=1
  echo "   prepared; CHECK_DEBIAN_ROOT=$root $0 $suite builds and tests in it"
  exit 0
fi

# Release at -O2 (CMake's Release is -O3): the same code the tests check, a shorter build on CI's
# 2 cores.
phase "build (Release, -O2)"
in_root "cmake -S . -B build -DCMAKE_BUILD_TYPE=Release '-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG' \\
           -DLORAHPO_BUILD_BENCH=OFF >/dev/null &&
         cmake --build build -j $jobs --target lorahpo common_test worker_test optimizers_test journal_test config_test campaign_test simulation_test report_test mpi_transport_test"

phase "unit and MPI unit tests"
# Known failures, left out on bullseye only (both pass on Debian 12 and 13; README "Building on
# Debian 11, 12, 13"):
# - the config fuzz test feeds yaml-cpp 3000 garbled files, and Debian 11's yaml-cpp 0.6.3 never
#   returns on one of them (0.7 raises). A garbled config can hang `lorahpo validate` on Debian 11.
# - the fantasy-average acquisition's analytic gradient differs from its finite difference by
#   ~1.5e-6 relative at three probes with Debian 11's Eigen 3.3.9 (passes with 3.4): not yet
#   investigated.
exclude='^$'
[ "$suite" = bullseye ] &&
  exclude='^(config\.ConfigLoader\.GarbledFilesRaiseOnlyConfigErrors|optimizers\.AcquisitionTest\.FantasyAverageIsTheMeanOverModels)$'
# ctest --test-dir needs CMake 3.20; bullseye has 3.18.
in_root "cd build && ctest -L '^unit\$' -E '$exclude' -j $jobs --output-on-failure"

# A small campaign: the quickstart's objective and optimizer, fewer evaluations, faster clock.
cat >"$root/src/lorahpo/check_campaign.yaml" <<'EOF'
campaign: {name: check_debian, budget: 12, direction: maximize, seed: 1}
optimizer: {name: bo_gp, n_init: 6, mode: async}
objective: {kind: builtin, function: lora_surrogate, noise: 0.005, time_scale: 0.2}
EOF
campaign() {  # campaign OUT_DIR: 1 master + 2 workers; checks exit 0, journal and summary
  in_root "rm -rf $1 $1.log && mkdir -p runs
           scripts/mpirun.sh -np 3 build/lorahpo run check_campaign.yaml --out $1 >$1.log 2>&1 ||
             { tail -n 30 $1.log; exit 1; }
           python3 - $1 <<'PY'
import json, sys
out = sys.argv[1]
trials = [json.loads(l) for l in open(out + '/journal.jsonl') if l.strip()]
trials = [t for t in trials if 'event' not in t]
summary = json.load(open(out + '/summary.json'))
assert len(trials) == 12, len(trials)
assert all(t['status'] == 'ok' for t in trials), [t['status'] for t in trials]
assert summary['evaluations']['ok'] == 12, summary['evaluations']
print('   %d evaluations ok, best score %.4f' % (len(trials), max(t['score'] for t in trials)))
PY"
}
phase "campaign under mpirun -np 3"
campaign runs/check

# A typo that sends Debian 11's yaml-cpp 0.6.3 into its endless loop ("{:", jbeder/yaml-cpp#499):
# `lorahpo validate` must end with exit 2 and one error line within seconds, not hang.
phase "a config yaml-cpp 0.6.3 loops on"
in_root "printf '{:' >check_loop.yaml
         rc=0; timeout 60 build/lorahpo validate check_loop.yaml >check_loop.log 2>&1 || rc=\$?
         cat check_loop.log | sed 's/^/   /'
         [ \$rc -eq 2 ] || { echo \"   exit \$rc, expected 2\"; exit 1; }
         grep -q 'YAML syntax error' check_loop.log"

phase "bundle, purge the libraries, run again"
in_root "bash scripts/bundle.sh build"
in_root "packages=\$(cut -d' ' -f2 build/lib/BUNDLED | grep -vx -- - | sort -u | tr '\n' ' ')
         echo \"   purging \$packages and what depends on them\"
         apt-get purge -y -qq \$packages >/dev/null
         for p in \$packages; do
           if dpkg-query -W -f='\${db:Status-Status}' \$p 2>/dev/null | grep -qx installed; then
             echo \"\$p is still installed\"; exit 1
           fi
         done
         if ldd build/lorahpo | grep -q 'not found'; then ldd build/lorahpo; exit 1; fi
         ldd build/lorahpo | grep '/build/lib/' | sed 's/^[[:space:]]*/   /'
         build/lorahpo --version"
campaign runs/check_bundled

phase ""
}

main "$@"; exit $?  # on one line: bash reads no further, even if this file changed meanwhile
