#!/usr/bin/env bash
# Lays out the fortunes corpus (Debian's `fortunes` package) as two SageMaker
# channels: OUT/train/*.txt and OUT/test/*.txt. Three collections are held out
# for evaluation; the rest is training data. Idempotent.
set -euo pipefail
src=/usr/share/games/fortunes
out=${1:-data/fortunes}
held_out=(goedel tao wisdom)

[ -d "$src" ] || { echo "prepare_fortunes: $src is missing (install the 'fortunes' package: scripts/setup.sh)" >&2; exit 1; }
mkdir -p "$out/train" "$out/test"
for f in "$src"/*; do
  name=$(basename "$f")
  case "$name" in *.*) continue ;; esac   # skip the .dat indexes and .u8 links
  dest=train
  for h in "${held_out[@]}"; do [ "$name" = "$h" ] && dest=test; done
  cp "$f" "$out/$dest/$name.txt"
done
echo "prepare_fortunes: $(ls "$out/train" | wc -l) training and $(ls "$out/test" | wc -l) test files in $out"
