#!/usr/bin/env bash
# The pipeline bubble measured against theory, as a markdown table: pipeline_bench
# (one pipeline of P uniform stages of real transformer blocks, timed on the
# real executor) under `mpirun -np 2` and `-np 4` (oversubscribed), for every
# schedule — simple, 1F1B (interleaved), virtual v=2, ZB-H1, the V-shaped ZB —
# at m = 4 and 8. Per row: the measured bubble (median over steps), the unit-cost
# theory, their ratio and whether it is within 1.2x, and the simulator's bubble
# for this run's own F, B, b and w times (what the schedule gives for the cost
# profile of these layers).
#
# usage: benchmarks/bubble_table.sh [--quick] [BUILD_DIR]
#   --quick   tiny sizes and one step (the CTest smoke run): checks that every
#             schedule runs and the table is complete, not the numbers
# Exits 1 when a run fails or a row is missing.
set -euo pipefail
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
build=${1:-build}
bench="$build/benchmarks/pipeline_bench"
if [ ! -x "$bench" ]; then
  echo "bubble_table.sh: no $bench (build the pipeline_bench target)" >&2
  exit 1
fi
mpirun=${MPIRUN:-mpirun}
root_flag=()
if [ "$(id -u)" = 0 ]; then root_flag=(--allow-run-as-root); fi

if [ "$quick" = 1 ]; then
  sizes=(--layers 8 --d 32 --heads 2 --T 16 --microbatch 1 --steps 1 --warmup 0)
else
  sizes=(--layers 8 --d 256 --heads 4 --T 128 --microbatch 2 --steps 5 --warmup 1)
fi
traces=$(mktemp -d)
trap 'rm -rf "$traces"' EXIT

runs=()
for np in 2 4; do
  out="$traces/np$np.jsonl"
  "$mpirun" --oversubscribe "${root_flag[@]}" -np "$np" "$bench" "${sizes[@]}" --trace_dir "$traces/np$np" > "$out"
  runs+=("$out")
done

python3 - "$quick" "${sizes[*]}" "${runs[@]}" <<'PY'
import json, sys

quick, sizes, files = sys.argv[1] == "1", sys.argv[2], sys.argv[3:]
names = {"simple": "simple (GPipe)", "interleaved": "1F1B (interleaved)", "interleaved_virtual": "virtual v=2",
         "zb_h1": "ZB-H1", "zb_v": "ZB-V (V-shaped)"}
rows = []
for path in files:
    with open(path) as f:
        rows += [json.loads(line) for line in f if line.startswith("{")]
expected = {(k, p, m) for k in names for p in (2, 4) for m in (4, 8)}
missing = expected - {(r["schedule"], r["p"], r["m"]) for r in rows}
if missing:
    print("bubble_table.sh: rows missing from pipeline_bench: " + ", ".join(f"{k} p={p} m={m}" for k, p, m in sorted(missing)),
          file=sys.stderr)
    sys.exit(1)
bad = [r for r in rows if not (0 <= r["bubble_theory"] < 1 and -0.05 < r["bubble_measured"] < 1)]
if bad:
    print(f"bubble_table.sh: bubble outside [0, 1) in {bad[0]}", file=sys.stderr)
    sys.exit(1)

print(f"pipeline_bench {sizes}{' (quick: sizes too small for the numbers to mean anything)' if quick else ''}\n")
print("| schedule | p | m | theory | measured | measured/theory | within 1.2x | simulated (run's F/B/b/w) | F ms | b ms | w ms | B ms |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
order = list(names)
for r in sorted(rows, key=lambda r: (r["p"], order.index(r["schedule"]), r["m"])):
    ratio = r["bubble_measured"] / r["bubble_theory"] if r["bubble_theory"] > 0 else float("nan")
    print(f"| {names[r['schedule']]} | {r['p']} | {r['m']} | {100 * r['bubble_theory']:.1f}% | "
          f"{100 * r['bubble_measured']:.1f}% | {ratio:.2f}x | {'yes' if ratio <= 1.2 else 'no'} | "
          f"{100 * r['bubble_simulated']:.1f}% | {r['F_ms']:.2f} | {r['b_ms']:.2f} | {r['w_ms']:.2f} | {r['B_ms']:.2f} |")
PY
