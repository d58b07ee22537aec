#!/usr/bin/env bash
# Lays out fortunes by category as two SageMaker channels for classification:
# OUT/train/fortunes.jsonl and OUT/test/fortunes.jsonl, one
# {"text": ..., "label": <category>} per line. In Debian's fortunes package
# each file of /usr/share/games/fortunes is a category and its fortunes are
# separated by lines holding "%". Six categories of similar size (197-227
# fortunes); every fifth fortune of each is held out for the test channel.
# Idempotent.
set -euo pipefail
src=/usr/share/games/fortunes
out=${1:-data/fortune-categories}
categories=(drugs education food humorists law startrek)

[ -d "$src" ] || { echo "prepare_fortune_categories: $src is missing (install the 'fortunes' package: scripts/setup.sh)" >&2; exit 1; }
for c in "${categories[@]}"; do
  [ -f "$src/$c" ] || { echo "prepare_fortune_categories: $src/$c is missing" >&2; exit 1; }
done
mkdir -p "$out/train" "$out/test"
python3 - "$src" "$out" "${categories[@]}" <<'PY'
import json, os, sys
src, out, categories = sys.argv[1], sys.argv[2], sys.argv[3:]
splits = {"train": [], "test": []}
for category in categories:
    with open(os.path.join(src, category), encoding="utf-8", errors="replace") as f:
        fortunes, current = [], []
        for line in f:
            if line.rstrip("\n") == "%":
                fortunes.append("".join(current))
                current = []
            else:
                current.append(line)
        fortunes.append("".join(current))
    fortunes = [" ".join(t.split()) for t in fortunes if t.strip()]
    for i, text in enumerate(fortunes):
        splits["test" if i % 5 == 4 else "train"].append({"text": text, "label": category})
for split, rows in splits.items():
    with open(os.path.join(out, split, "fortunes.jsonl"), "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
print(f"prepare_fortune_categories: {len(splits['train'])} training and {len(splits['test'])} test fortunes "
      f"in {len(categories)} categories ({', '.join(categories)}) in {out}")
PY
