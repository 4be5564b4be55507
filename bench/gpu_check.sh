#!/usr/bin/env bash
# One GPU check of anomalib-toll (bench/gpu_check.py says what it measures).
# Budget: 8 minutes on the lent GPU; data: .gpu/ from bench/gpu_prepare.sh
# (MNIST .npz + Python 3.12 wheels of anomalib, PyOD, jsonargparse and their missing dependencies).
#   bash bench/gpu_check.sh --out "$OUT"   # on the GPU host; the last line is "RESULT key=value ..."
#   bash bench/gpu_check.sh --smoke        # the same sections tiny, on the CPU, bounded by counts (not seconds)
# Python: $PYTHON, else ./.venv/bin/python when there is one, else python3 (the GPU host's, which holds torch).
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -n "${PYTHON:-}" ]; then PY="$PYTHON"; elif [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
export PYTHONUNBUFFERED=1
exec "$PY" bench/gpu_check.py "$@"
