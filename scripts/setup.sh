#!/usr/bin/env bash
# Installs what tandem needs from Debian's archive. Idempotent: packages already
# present are left alone, so a second run costs one dpkg query.
set -euo pipefail

packages=(
  libtorch-dev          # libtorch 1.13, CPU
  libopenblas0-pthread  # without it libtorch falls back to the reference BLAS (~18x slower)
  libopenmpi-dev openmpi-bin
  nlohmann-json3-dev
  googletest libgtest-dev
  fortunes              # the default training corpus (/usr/share/games/fortunes)
  python3-torch         # the PyTorch peer of the benchmarks
  cmake g++ make
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
