#!/usr/bin/env bash
# Single-process tokens/s of tandem against PyTorch (the same torch that tandem
# links, from scripts/torch_python.sh; same shape, same thread count), measured in one run,
# alternating the two ROUNDS times; prints each round and the median ratio.
# usage: benchmarks/compare_single_process.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
build=${1:-build}
rounds=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/bench_shape.sh"
peer_python=$(bash "$here/../scripts/torch_python.sh")

tandem_runs=() torch_runs=()
for ((i = 1; i <= rounds; i++)); do
  # One process alone: the run library's single-process training step (no reducer).
  t=$("$build/benchmarks/dp_scaling_bench" "${shape[@]}")
  p=$("$peer_python" "$here/peer/torch_gpt_throughput.py" "${shape[@]}")
  echo "round $i: $t"
  echo "round $i: $p"
  tandem_runs+=("$(echo "$t" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens_per_second"])')")
  torch_runs+=("$(echo "$p" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens_per_second"])')")
done
python3 - "${tandem_runs[*]}" "${torch_runs[*]}" <<'PY'
import statistics, sys
t = [float(x) for x in sys.argv[1].split()]
p = [float(x) for x in sys.argv[2].split()]
mt, mp = statistics.median(t), statistics.median(p)
print(f"single process, 4 layers d=256 T=256 batch 8, 1 thread: tandem {mt:.0f} tok/s, "
      f"PyTorch {mp:.0f} tok/s, ratio {mt / mp:.2f}x (median of {len(t)} rounds)")
PY
