#!/usr/bin/env bash
# Create ./.venv with everything anomalib-toll, its tests, benchmarks and notebooks need.
# torch/torchvision are pinned first: pip takes them from this machine's local files
# (a looser pin would download a multi-GB CUDA build).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q torch==2.14.1 torchvision==0.29.1
.venv/bin/python -m pip install -q -e ".[anomalib,bench,export,notebooks,ray,test]"
.venv/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
echo "anomalib-toll installed in $(pwd)/.venv"
