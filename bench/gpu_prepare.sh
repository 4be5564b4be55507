#!/usr/bin/env bash
# Fill .gpu/ (git-ignored) with what bench/gpu_check.sh needs on the GPU host, which has no internet:
#   .gpu/data/mnist/mnist.npz   the MNIST arrays (11 MB), from $ANOMALIB_TOLL_DATA (default ../shared/data)
#   .gpu/whl/*.whl              Python 3.12 manylinux x86_64 wheels of what the host image lacks (~10 MB)
# The host has Python 3.12, torch 2.11, Lightning, timm, torchmetrics, scikit-learn, numpy, scipy, pandas,
# matplotlib, numba, rich, PyYAML, OpenCV, scikit-image, tifffile, ... (bench/gpu_host_imports.py lists them)
# but not anomalib, PyOD, jsonargparse, nor these core dependencies of anomalib 2.7.0 / jsonargparse[signatures]:
# docstring-parser, FrEIA, kornia (+ kornia-rs), omegaconf, platformdirs, rich-argparse, typeshed-client.
# Left out on purpose: imagecodecs (26 MB; tifffile, its only importer, falls back without it).
# Then checks the size (< 60 MiB) and, with ./.venv, that every import of the check resolves with the host's
# packages plus these wheels (bench/gpu_host_imports.py).
#   bash bench/gpu_prepare.sh     then carry ".gpu" to the device and run: bash bench/gpu_check.sh --out "$OUT"
# GPU_DIR=/elsewhere fills another folder (the test does). Needs the package index (pip download), as CI has.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
DATA="${ANOMALIB_TOLL_DATA:-../shared/data}"
DEST="${GPU_DIR:-.gpu}"
WHEELS=(
    anomalib==2.7.0 pyod==3.6.7 jsonargparse==4.46.0 docstring-parser==0.18.0 freia==0.2 kornia==0.9.0
    kornia-rs==0.2.0 omegaconf==2.4.0 platformdirs==4.14.8 rich-argparse==1.8.0 typeshed-client==2.15.0
)
PLATFORM=(--python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64
          --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64)

quiet() { "$@" 2>&1 | { grep -v "^WARNING: Location" || true; }; }

mkdir -p "$DEST/data/mnist" "$DEST/whl"
cp "$DATA/mnist/mnist.npz" "$DEST"/data/mnist/mnist.npz
rm -f "$DEST"/whl/*.whl  # one version of each: two would stop the install there
for spec in "${WHEELS[@]}"; do
    if ! "$PY" -m pip download -q --no-deps --only-binary=:all: "${PLATFORM[@]}" -d "$DEST"/whl "$spec" >/dev/null 2>&1; then
        # No wheel on the index (FrEIA 0.2 ships only an sdist): build one; the check below accepts it only if pure Python.
        echo "$spec: no wheel on the index, building one from its sdist"
        quiet "$PY" -m pip wheel -q --no-deps -w "$DEST"/whl "$spec"
    fi
done
for whl in "$DEST"/whl/*.whl; do
    case "$whl" in
        *-py3-none-any.whl|*-cp312-*manylinux*x86_64*.whl|*-abi3-manylinux*x86_64*.whl) ;;
        *) echo "not installable on the GPU host (Python 3.12, x86_64): $whl" >&2; exit 1 ;;
    esac
done
[ "$(ls "$DEST"/whl/*.whl | wc -l)" -eq "${#WHEELS[@]}" ] || { echo "expected ${#WHEELS[@]} wheels" >&2; exit 1; }
size_kib=$(du -sk "$DEST" | cut -f1)
ls -l "$DEST"/whl "$DEST"/data/mnist
echo "$DEST: $((size_kib / 1024)) MiB"
[ "$size_kib" -lt $((60 * 1024)) ] || { echo "$DEST is over 60 MiB" >&2; exit 1; }
if [ -x .venv/bin/python ]; then
    .venv/bin/python bench/gpu_host_imports.py "$DEST"/whl
else
    echo "no ./.venv: skipped the import check (bench/gpu_host_imports.py)"
fi
