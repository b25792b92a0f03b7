#!/usr/bin/env bash
# Installs what lorahpo needs to build, run and test, from Debian's own packages: Debian 11
# (bullseye, Grid'5000's standard environment), 12 (bookworm) or 13 (trixie).
# scripts/check_debian.sh SUITE runs this very script in a fresh Debian root of each suite.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
packages=(
  build-essential cmake git ca-certificates
  openmpi-bin libopenmpi-dev
  libeigen3-dev libcereal-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libnlopt-cxx-dev
  libgtest-dev libgmock-dev
  python3 python3-yaml
)
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=()
for p in "${packages[@]}" libcli11-dev; do
  installed "$p" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then exit 0; fi
$SUDO apt-get update -qq

# CLI11 (header only) entered Debian with bookworm; bullseye has no libcli11-dev.
cli11_from_apt=1
if [ -z "$(apt-cache policy libcli11-dev 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '(none)')" ]; then
  cli11_from_apt=0
fi
install_list=()
for p in "${missing[@]}"; do
  if [ "$p" = libcli11-dev ] && [ "$cli11_from_apt" = 0 ]; then continue; fi
  install_list+=("$p")
done
if [ "${#install_list[@]}" -gt 0 ]; then
  $SUDO apt-get install -y -qq --no-install-recommends "${install_list[@]}" >/dev/null
fi

if ! installed libcli11-dev && [ "$cli11_from_apt" = 0 ]; then
  # Take bookworm's libcli11-dev (architecture all, headers and CMake files only, no Depends)
  # from the mirror this system's apt already uses. apt fetches it through bookworm's signed
  # Release file (the bullseye keyring trusts it), in a private list directory, so the
  # system's own sources and package lists stay bullseye only.
  mirror="$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\(https\{0,1\}:[^ ]*\) .*/\2/p' /etc/apt/sources.list 2>/dev/null | head -n 1)"
  if [ -z "$mirror" ]; then
    mirror="$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)"
  fi
  mirror="${mirror:-http://deb.debian.org/debian}"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/lists/partial" "$work/archives/partial"
  echo "deb $mirror bookworm main" >"$work/sources.list"
  apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=-"
            -o "Dir::State::Lists=$work/lists" -o "Dir::Cache::Archives=$work/archives"
            -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o "APT::Sandbox::User=root")
  $SUDO apt-get "${apt_opts[@]}" update -qq
  (cd "$work" && $SUDO apt-get "${apt_opts[@]}" download libcli11-dev >/dev/null)
  $SUDO dpkg -i "$work"/libcli11-dev_*_all.deb >/dev/null
fi
