#!/usr/bin/env bash
# Prints the Python whose torch tandem builds against, or nothing (exit 1) when
# none qualifies. One rule, used by setup.sh and by CMake:
#   1. $TANDEM_PYTHON, when set (it must have torch >= 2.4, else exit 1);
#   2. python3 on PATH, when it has torch >= 2.4 (a GPU machine, a SageMaker
#      PyTorch container, or an activated virtualenv);
#   3. the project's own virtualenv, .venv/, which setup.sh fills from PyPI.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

has_torch() {
  "$1" - <<'EOF' 2>/dev/null
import sys
import torch
major, minor = (int(x) for x in torch.__version__.split("+")[0].split(".")[:2])
sys.exit(0 if (major, minor) >= (2, 4) else 1)
EOF
}

if [ -n "${TANDEM_PYTHON:-}" ]; then
  if has_torch "$TANDEM_PYTHON"; then echo "$TANDEM_PYTHON"; exit 0; fi
  echo "TANDEM_PYTHON=$TANDEM_PYTHON: expected a Python with torch >= 2.4" >&2
  exit 1
fi
for candidate in "$(command -v python3 || true)" "$root/.venv/bin/python3"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && has_torch "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done
exit 1
