#!/usr/bin/env bash
# README command (1): install, build, and run the main job: a GPT trained on
# the fortunes corpus, data parallel over 2 processes (one thread each),
# metrics printed as SageMaker parses them, model saved to runs/fortunes/model.
# It ends with one sample of text from the saved model, so that what the model
# learned can be seen.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
run=${RUN_DIR:-$root/runs/fortunes}
bash "$root/scripts/build.sh"
bash "$root/examples/prepare_fortunes.sh" "$run/data"
# A fresh run each time: the checkpoints of an earlier run would be resumed.
rm -rf "$run/checkpoints" "$run/model" "$run/output"
mpirun --oversubscribe --allow-run-as-root -np "${NP:-2}" -x OMP_NUM_THREADS=1 \
  "$build/tandem" train \
  --model_name_or_path gpt-mini \
  --training_dir "$run/data/train" --test_dir "$run/data/test" \
  --model_dir "$run/model" --output_dir "$run/checkpoints" --output_data_dir "$run/output" \
  --block_size 128 --per_device_train_batch_size 8 --max_steps "${MAX_STEPS:-200}" \
  --learning_rate 0.002 --warmup_steps 30 --lr_scheduler_type cosine --weight_decay 0.01 \
  --per_device_eval_batch_size 32 --logging_steps 25 --eval_steps 100 --save_steps 100 --save_total_limit 2 --seed 42

# A fixed prompt and seed: the same trained model always shows the same sample.
# Prompt + 100 new bytes stay within the 128 positions it was trained on (--block_size).
prompt="A wise man once said"
echo
echo "=== sample from $run/model (tandem generate, prompt \"$prompt\", seed 42) ==="
"$build/tandem" generate --model_name_or_path "$run/model" --prompt "$prompt" \
  --max_new_tokens 100 --do_sample True --temperature 0.8 --top_k 40 --seed 42 --num_threads 1
echo "=== end of sample ==="
