#!/usr/bin/env bash
# README command (2): install, build, run the whole test suite through CTest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh"
cd "$build"
# Two cores: two tests at a time; the mpirun tests oversubscribe on their own.
ctest --output-on-failure -j2 --timeout 900
