#!/usr/bin/env bash
# FITYMI+Toll on one GPU (~6 min on an H200): the collapse term's scale for a random ViT-B/16 at 224 px, then
# bridge cells in the paper setting (FITYMI's data, epochs, Perlin fakes) for one epoch each.
#   needs: .gpu/whl (bench/gpu_prepare.sh) and a CIFAR-10 .npz under $DATA (default results/gpu_fitymi_data)
#   bash bench/fitymi_gpu.sh "$OUT"      # writes scale_vit_b16.jsonl, bridge.csv, bridge_summary.md, log.txt
set -uo pipefail
cd "$(dirname "$0")/.."
OUT_DIR="${1:-results/fitymi_gpu}"
mkdir -p "$OUT_DIR"
export PYTHONUNBUFFERED=1 ANOMALIB_TOLL_DATA="${DATA:-$PWD/results/gpu_fitymi_data}"
PY="${PYTHON:-python3}"
if ! "$PY" -c "import anomalib" 2>/dev/null; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --upgrade --target /tmp/site .gpu/whl/*.whl || exit 1
    export PYTHONPATH="/tmp/site:$PWD${PYTHONPATH:+:$PYTHONPATH}"
else
    export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
fi
nvidia-smi -L 2>&1 | tee "$OUT_DIR/log.txt"
start=$SECONDS
"$PY" -m studies.fitymi_collapse_scale.measure --model vit_b16 --device cuda --steps "${STEPS:-400}" --log_every 20 \
    --fakes cutpaste --train_weights 0 0.03 0.1 0.3 1 2>>"$OUT_DIR/log.txt" | tee "$OUT_DIR/scale_vit_b16.jsonl"
echo "scale: $((SECONDS - start)) s" | tee -a "$OUT_DIR/log.txt"
start=$SECONDS
ARGS='{"pre_trained": false, "epochs": 1}'
"$PY" -m anomalib_toll.benchmark --dataset cifar10 --classes '[0]' --seeds 1 --device cuda --workers 1 \
    --models fitymi,fitymi_toll_0.1,fitymi_toll_1 --output /tmp/fitymi_bridge \
    --model_args "{\"fitymi\": $ARGS, \"fitymi_toll_0.1\": $ARGS, \"fitymi_toll_1\": $ARGS}" 2>>"$OUT_DIR/log.txt" \
    | tail -40 | tee -a "$OUT_DIR/log.txt"
echo "bridge: $((SECONDS - start)) s" | tee -a "$OUT_DIR/log.txt"
cp /tmp/fitymi_bridge/results.csv "$OUT_DIR/bridge.csv" 2>/dev/null
cp /tmp/fitymi_bridge/summary.md "$OUT_DIR/bridge_summary.md" 2>/dev/null
tail -c 4000 "$OUT_DIR/log.txt"
