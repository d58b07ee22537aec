#!/usr/bin/env bash
# The multi-host demo: a SageMaker job on two instances emulated on this
# machine (network namespaces with sshd, each with its own /opt/ml), through
# the container path: `tandem launch` as every host's entry point, the
# toolkit's mpirun reaching the worker over ssh, ranks talking over TCP.
# It makes the hosts, runs the job, shows the master's log, metrics and model
# archive, and removes the hosts. Needs root (namespaces, veth, mounts).
#
#   scripts/multi_host_demo.sh [JOB.json] [flags of build/tests/multi_host_demo]
#
# Default: the seed's model-parallel job (examples/jobs/model-parallel.json:
# 4 partitions, spread, interleaved, ddp) on 2 hosts x 2 processes, 20 steps.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ "$(id -u)" -eq 0 ] || { echo "multi_host_demo: run as root (it makes network namespaces)" >&2; exit 1; }

build=${BUILD_DIR:-$root/build}
bash scripts/setup.sh
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target tandem multi_host_demo >/dev/null
examples/prepare_fortunes.sh >/dev/null   # data/fortunes, read by the example jobs

if [ $# -eq 0 ]; then
  set -- examples/jobs/model-parallel.json --processes_per_host 2 --max_steps 20
fi
exec "$build/tests/multi_host_demo" "$@"
