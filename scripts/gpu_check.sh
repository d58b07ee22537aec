#!/usr/bin/env bash
# The GPU check: one call on a single-GPU machine (H200, torch 2.11 + CUDA in
# python3) builds tandem and checks it there; `--cpu` runs the same steps at
# tiny sizes on the CPU (a CTest test, so the script cannot rot).
#
#   scripts/gpu_check.sh [--cpu]
#
# Environment:
#   OUT           results folder (default: a new folder under /tmp, printed)
#   BUILD_DIR     GPU mode: build folder to configure and build (default build-gpu/);
#                 --cpu: an existing build to use as is (default build/), not rebuilt
#   WORK          scratch folder for data, checkpoints and models (default: a new folder
#                 under /tmp, removed at the end unless GPU_CHECK_KEEP=1)
#   GPU_CHECK_BUDGET_S   wall-clock budget (default 540 s GPU, 300 s CPU): a step that
#                 would start with less than 20 s left fails as not run, and every
#                 command's timeout is cut to what is left.
#
# Each step is recorded in $OUT/summary.json (pass, fail or skipped, seconds,
# detail, output tail; the full output is $OUT/logs/<step>.log) and printed as
# one line. A failed step does not stop the others. The exit status is 1 when
# any step failed. Benchmark results: $OUT/benchmark.json.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mode=gpu
case "${1:-}" in
  --cpu) mode=cpu ;;
  "") ;;
  -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
  *) echo "usage: $0 [--cpu]" >&2; exit 2 ;;
esac

if [ "$mode" = gpu ]; then
  build=${BUILD_DIR:-$root/build-gpu}; dev=cuda; budget=${GPU_CHECK_BUDGET_S:-540}
else
  build=${BUILD_DIR:-$root/build}; dev=cpu; budget=${GPU_CHECK_BUDGET_S:-300}
fi
OUT=${OUT:-$(mktemp -d /tmp/gpu_check.XXXXXX)}
rm -rf "$OUT/logs" "$OUT/runs" "$OUT/summary.json" "$OUT/benchmark.json"  # this script's files of an earlier call
mkdir -p "$OUT/logs" "$OUT/runs"
OUT=$(cd "$OUT" && pwd)
own_work=0
[ -n "${WORK:-}" ] || { WORK=$(mktemp -d /tmp/gpu_check_work.XXXXXX); own_work=1; }
mkdir -p "$WORK"
summary=$OUT/summary.json
tandem=$build/tandem
tool=$root/scripts/gpu_check_tool.py
peer=$root/benchmarks/peer/torch_gpt2_step.py
start=$(date +%s)
deadline=$((start + budget))

py=$(bash "$root/scripts/torch_python.sh" 2>/dev/null) || py=""
jpy=${py:-$(command -v python3)}  # the JSON helpers need no torch
if [ -z "$jpy" ]; then echo "gpu_check: no python3" >&2; exit 1; fi

echo "gpu_check: $mode mode, build $build, results in $OUT, scratch in $WORK, budget ${budget}s"
"$jpy" - "$summary" "$mode" "$build" "$WORK" "$budget" <<'EOF'
import json, sys, time
summary, mode, build, work, budget = sys.argv[1:]
json.dump({"mode": mode, "build_dir": build, "work_dir": work, "budget_s": int(budget),
           "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "steps": []}, open(summary, "w"), indent=2)
EOF

now() { date +%s; }
# Every command runs under `t`: a timeout of its own limit, cut to what is left of the step.
t() {
  local limit=$1; shift
  local left=$((step_end - $(now)))
  ((limit > left)) && limit=$left
  ((limit < 1)) && limit=1
  timeout -k 5 "$limit" "$@"
  local rc=$?
  ((rc == 124 || rc == 137)) && echo "gpu_check: timed out after ${limit}s: $*" >&2
  return $rc
}
record() {  # name status seconds [--reason R | --detail F]...
  local name=$1 status=$2 secs=$3; shift 3
  "$jpy" "$tool" record "$summary" "$name" "$status" "$secs" "$OUT/logs/$name.log" "$@"
}
skip() { record "$1" skipped 0 --reason "$2"; }
# run_step NAME LIMIT_S FUNCTION [ARGS]: FUNCTION's output goes to logs/NAME.log;
# it may write a detail object to $detail. Its status is pass when it returns 0.
run_step() {
  local name=$1 limit=$2; shift 2
  local left=$((deadline - $(now)))
  if ((left < 20)); then record "$name" fail 0 --reason "not run: the time budget of ${budget}s is spent"; return; fi
  ((limit > left - 10)) && limit=$((left - 10))
  step_end=$(($(now) + limit))
  detail=$OUT/logs/$name.detail.json
  rm -f "$detail"
  local t0 rc
  t0=$(date +%s.%N)
  ("$@") >"$OUT/logs/$name.log" 2>&1
  rc=$?
  local secs
  secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}')
  local args=()
  [ -s "$detail" ] && args+=(--detail "$detail")
  if ((rc == 0)); then record "$name" pass "$secs" "${args[@]}"; else record "$name" fail "$secs" "${args[@]}"; fi
}
need_tandem() {
  [ -x "$tandem" ] && return 0
  echo "no tandem binary at $tandem"
  "$jpy" -c 'import json,sys; json.dump({"reason": sys.argv[2]}, open(sys.argv[1], "w"))' "$detail" "no tandem binary at $tandem"
  return 1
}

# ---- tandem runs -----------------------------------------------------------
text=$WORK/data/text
threads=()
omp=()
if [ "$mode" = cpu ]; then threads=(--num_threads 1); omp=(-x OMP_NUM_THREADS=1); export OMP_NUM_THREADS=1; fi
tiny=(--model_name_or_path gpt-tiny --training_dir "$text" --do_eval False --device "$dev" --block_size 32
      --per_device_train_batch_size 4 --logging_steps 1 --save_steps 0 --learning_rate 0.003
      --lr_scheduler_type constant --seed 42 --progress_bar False "${threads[@]}")
# train RUN NP LIMIT FLAGS...: tandem train on NP processes (mpirun when NP > 1), outputs in
# $WORK/RUN (checkpoints in $TRAIN_CKPT when set); of a flag given twice, the last wins.
# metrics.jsonl is copied to $OUT/runs/RUN.jsonl.
train() {
  local run=$1 np=$2 limit=$3; shift 3
  local dirs=(--output_dir "${TRAIN_CKPT:-$WORK/$run/checkpoints}" --output_data_dir "$WORK/$run/output"
              --model_dir "$WORK/$run/model")
  local rc
  rm -f "$OUT/runs/$run.jsonl"
  echo "+ [np=$np] tandem train ${dirs[*]} $*"
  if ((np == 1)); then
    t "$limit" "$tandem" train "${dirs[@]}" "$@"
  else
    t "$limit" mpirun --allow-run-as-root --oversubscribe -np "$np" "${omp[@]}" "$tandem" train "${dirs[@]}" "$@"
  fi
  rc=$?
  cp "$WORK/$run/output/metrics.jsonl" "$OUT/runs/$run.jsonl" 2>/dev/null
  echo "+ exit $rc"
  return $rc
}
check() { "$jpy" "$tool" check-run "$@"; }

# ---- the steps -----------------------------------------------------------
step_env() {
  echo "host $(hostname) nproc $(nproc) mode $mode"
  echo "python with torch: ${py:-none}"
  [ -n "$py" ] && "$py" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")'
  command -v nvidia-smi >/dev/null && t 20 nvidia-smi --query-gpu=name,memory.total,driver_version,mig.mode.current --format=csv
  command -v nvcc >/dev/null && nvcc --version | tail -2 || echo "nvcc: not on PATH (/usr/local/cuda/bin/nvcc: $(ls /usr/local/cuda/bin/nvcc 2>&1))"
  command -v mpirun >/dev/null && mpirun --version 2>&1 | head -1 || echo "mpirun: not found"
  command -v cmake >/dev/null && cmake --version | head -1 || echo "cmake: not found"
  git -C "$root" rev-parse HEAD 2>/dev/null && git -C "$root" status --short 2>/dev/null | head -20
  [ -n "$py" ]
}

step_build() {
  if [ "$mode" = cpu ]; then
    echo "cpu mode: using $build as it is"
    ls -l "$tandem" "$build/tests/comm_tests"
    return
  fi
  # Only the targets the check runs: the test binaries other than comm_tests
  # and the benchmark drivers would take minutes of the budget.
  t 120 env TANDEM_PYTHON="$py" cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release | tee "$WORK/configure.log" || return 1
  local cuda nccl
  cuda=$(sed -n 's/.*CUDA \(ON\|OFF\), NCCL.*/\1/p' "$WORK/configure.log" | tail -1)
  nccl=$(sed -n 's/.*CUDA .*, NCCL \(ON\|OFF\).*/\1/p' "$WORK/configure.log" | tail -1)
  t 400 cmake --build "$build" -j"$(nproc)" --target tandem comm_tests || return 1
  "$jpy" -c 'import json,sys; json.dump({"cuda": sys.argv[2], "nccl": sys.argv[3]} | ({} if sys.argv[2] == "ON" else {"reason": "built without CUDA (no nvcc or CUDA toolkit found?)"}), open(sys.argv[1], "w"))' "$detail" "${cuda:-?}" "${nccl:-?}"
  [ "$cuda" = ON ]
}

step_comm() {
  [ -x "$build/tests/comm_tests" ] || { echo "no $build/tests/comm_tests"; return 1; }
  t 120 mpirun --allow-run-as-root --oversubscribe -np 1 "$build/tests/comm_tests" > "$WORK/comm_tests.log" 2>&1
  local rc=$?
  cat "$WORK/comm_tests.log"
  "$jpy" - "$WORK/comm_tests.log" "$detail" <<'EOF'
import json, re, sys
text = re.sub(r"\x1b\[[0-9;]*m", "", open(sys.argv[1], errors="replace").read())
d = {}
for key, pat in (("tests_passed", r"\[  PASSED  \] (\d+) test"), ("tests_skipped", r"\[  SKIPPED \] (\d+) test"),
                 ("tests_failed", r"\[  FAILED  \] (\d+) test")):
    m = re.search(pat, text)
    d[key] = int(m.group(1)) if m else 0
d["skipped_tests"] = sorted(set(re.findall(r"\[  SKIPPED \] (\S+\.\S+)", text)))
d["failed_tests"] = sorted(set(re.findall(r"\[  FAILED  \] (\S+\.\S+)", text)))
json.dump(d, open(sys.argv[2], "w"))
EOF
  return $rc
}

step_resume() {
  need_tandem || return 1
  rm -rf "$WORK/resume" "$WORK/resume2" "$WORK/straight"
  train resume 1 90 "${tiny[@]}" --max_steps 5 --save_steps 5 || return 1
  ls "$WORK/resume/checkpoints"
  # Same --output_dir: the checkpoint of step 5 is resumed.
  TRAIN_CKPT=$WORK/resume/checkpoints train resume2 1 90 "${tiny[@]}" --max_steps 8 > "$WORK/resume2.log" 2>&1
  local rc=$?
  cat "$WORK/resume2.log"
  ((rc == 0)) || return 1
  # An uninterrupted 8-step run (constant learning rate) to compare steps 6..8 with.
  train straight 1 90 "${tiny[@]}" --max_steps 8 || return 1
  local resumed=False
  grep -q "resumed from" "$WORK/resume2.log" && resumed=True
  check "$OUT/runs/resume2.jsonl" 8 "$detail" --from-step 6 --ref "$OUT/runs/straight.jsonl" --tol 1e-4
  rc=$?
  "$jpy" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["resumed"]=sys.argv[2]=="True"; d["reason"]=d.get("reason") or (None if d["resumed"] else "the second run does not say \"resumed from\""); json.dump(d, open(sys.argv[1], "w"))' "$detail" "$resumed"
  [ "$resumed" = True ] && ((rc == 0))
}

step_precision() {  # bf16 | fp16
  need_tandem || return 1
  local p=$1 needs=()
  [ "$p" = fp16 ] && needs=(--need loss_scale)
  rm -rf "$WORK/$p"
  train "$p" 1 90 "${tiny[@]}" --max_steps 5 --save_steps 5 "--$p" True || return 1
  # Loose: reduced-precision losses stay near the float32 run's (the first 5 steps of "resume").
  check "$OUT/runs/$p.jsonl" 5 "$detail" --ref "$OUT/runs/resume.jsonl" --tol 0.05 "${needs[@]}"
}

# Steps 2-5 of 6 neither log nor save: under TANDEM_CUDA_SYNC_DEBUG=error any
# host synchronisation in them fails the run (engine/train/sync_debug.h).
step_sync_debug() {
  need_tandem || return 1
  rm -rf "$WORK/sync_debug"
  TANDEM_CUDA_SYNC_DEBUG=error train sync_debug 1 90 "${tiny[@]}" --max_steps 6 --logging_steps 6 --save_steps 0 \
    --bf16 True || return 1
}

step_reference() {
  need_tandem || return 1
  rm -rf "$WORK/ref_b8"
  train ref_b8 1 90 "${tiny[@]}" --max_steps 5 --per_device_train_batch_size 8 || return 1
  check "$OUT/runs/ref_b8.jsonl" 5 "$detail"
}

step_dp2() {
  need_tandem || return 1
  rm -rf "$WORK/dp2"
  train dp2 2 120 "${tiny[@]}" --max_steps 5 --per_device_train_batch_size 4 --comm_backend mpi || return 1
  check "$OUT/runs/dp2.jsonl" 5 "$detail" --ref "$OUT/runs/ref_b8.jsonl" --tol 1e-4
}

step_pp2() {
  need_tandem || return 1
  rm -rf "$WORK/pp2"
  train pp2 2 120 "${tiny[@]}" --max_steps 5 --per_device_train_batch_size 8 --comm_backend mpi \
    --mp_parameters partitions=2,microbatches=2 || return 1
  check "$OUT/runs/pp2.jsonl" 5 "$detail" --ref "$OUT/runs/ref_b8.jsonl" --tol 1e-4
}

# Benchmark shape: GPT-2 124M (vocab 50257, which the engine pads to 50304 as the peer does) at B16 x T1024 in bf16 on
# the GPU; a tiny float32 model on the CPU.
if [ "$mode" = gpu ]; then
  L=12 D=768 H=12 V=50257 T=1024 B=16 bsteps=30 blog=10 bdtype=bf16 peer_steps=20 peer_warmup=5
else
  L=2 D=64 H=2 V=256 T=32 B=4 bsteps=6 blog=2 bdtype=fp32 peer_steps=6 peer_warmup=2
fi
step_bench_tandem() {
  need_tandem || return 1
  rm -rf "$WORK/bench"
  "$jpy" "$tool" gpt2-config "$WORK/bench_model" "$L" "$D" "$H" "$V" "$T" || return 1
  "$jpy" "$tool" make-shard "$WORK/data/shard" "$V" $(((bsteps + 1) * B * T + T + 1)) || return 1
  local prec=()
  [ "$bdtype" = bf16 ] && prec=(--bf16 True)
  train bench 1 180 --model_name_or_path "$WORK/bench_model" --training_dir "$WORK/data/shard" --do_eval False \
    --device "$dev" --block_size "$T" --per_device_train_batch_size "$B" --max_steps "$bsteps" \
    --logging_steps "$blog" --save_steps 0 --learning_rate 3e-4 --weight_decay 0.1 --lr_scheduler_type constant \
    --max_grad_norm 0 --seed 42 --progress_bar False "${prec[@]}" "${threads[@]}" || return 1
  "$jpy" "$tool" tandem-tps "$OUT/runs/bench.jsonl" "$detail"
}
step_bench_peer() {  # 0 | 1 (compile)
  [ -n "$py" ] || { echo "no Python with torch"; return 1; }
  local c=$1 name=eager thr=()
  ((c)) && name=compile
  [ "$mode" = cpu ] && thr=(--threads 1)
  local limit=120
  ((c)) && limit=240
  t "$limit" "$py" "$peer" --layers "$L" --d "$D" --heads "$H" --vocab "$(((V + 63) / 64 * 64))" --T "$T" --batch "$B" \
    --steps "$peer_steps" --warmup "$peer_warmup" --device "$dev" --dtype "$bdtype" --compile "$c" "${thr[@]}" \
    | tee "$WORK/peer_$name.out"
  local rc=${PIPESTATUS[0]}
  ((rc == 0)) || return $rc
  tail -1 "$WORK/peer_$name.out" > "$OUT/runs/peer_$name.json"
  cp "$OUT/runs/peer_$name.json" "$detail"
}
step_bench_ratios() {
  local args=(--tandem "$OUT/logs/g_bench_tandem.detail.json" --eager "$OUT/runs/peer_eager.json")
  [ "$mode" = gpu ] && args+=(--compile "$OUT/runs/peer_compile.json")
  "$jpy" "$tool" benchmark "$OUT/benchmark.json" "${args[@]}" --mode "$mode" --shape "$L,$D,$H,$V,$T,$B" --detail "$detail"
}

# a. build, b. comm tests, c. train + resume, d. mixed precision, e. sync debug,
# f. 2 ranks (data parallel, pipeline) vs 1 process, g. benchmark, h. profile.
run_step a_env 60 step_env
run_step a_build 540 step_build
run_step b_comm_tests_np1 130 step_comm
mkdir -p "$WORK/data" && "$jpy" "$tool" make-text "$text"
run_step c_train_resume 200 step_resume
run_step d_train_bf16 90 step_precision bf16
run_step d_train_fp16 90 step_precision fp16
if [ "$mode" = gpu ]; then
  run_step e_cuda_sync_debug 90 step_sync_debug
else
  skip e_cuda_sync_debug "GPU mode only (CUDA's sync-debug mode has no CPU counterpart)"
fi
run_step f_reference_1proc 90 step_reference
run_step f_mpi_dp2 120 step_dp2
run_step f_mpi_pp2 120 step_pp2
run_step g_bench_tandem 200 step_bench_tandem
run_step g_bench_peer_eager 130 step_bench_peer 0
if [ "$mode" = gpu ]; then
  run_step g_bench_peer_compile 250 step_bench_peer 1
else
  skip g_bench_peer_compile "GPU mode only (torch.compile takes minutes on 2 cores)"
fi
run_step g_benchmark 30 step_bench_ratios
if [ "$mode" = gpu ]; then
  skip h_peer_profile "optional per-op profile of the peer step: not run, to keep the check within its time budget"
else
  skip h_peer_profile "GPU mode only (optional)"
fi

echo "gpu_check: wall time $(($(now) - start)) s; summary $summary"
if [ "$own_work" = 1 ] && [ "${GPU_CHECK_KEEP:-0}" != 1 ]; then rm -rf "$WORK"; else echo "gpu_check: scratch kept in $WORK"; fi
"$jpy" "$tool" finish "$summary"
