#!/usr/bin/env bash
# Regenerate the ADBench development-subset results (docs/results.md) and Toll's ADEngine evidence
# (anomalib_toll/detector/toll_profile.json) in one command; both grids resume from their --output folders.
#   bash bench/adbench_dev.sh [ADBENCH_ROOT] [SEEDS]
# Rerun it after a change of Toll's defaults: the cells' keys hold Toll's settings, so only Toll's cells rerun.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="${1:-../shared/data/adbench}"
SEEDS="${2:-3}"
BIN="${BIN:-.venv/bin}"
# The table of docs/results.md: the paper's one-class split (Toll selects its checkpoint on labelled validation rows).
"$BIN/anomalib-toll" benchmark --dataset adbench --data_root "$ROOT" --category classical \
    --models toll,toll_beta0,iforest,ecod,knn,autoencoder,ocsvm --seeds "$SEEDS" --output results/adbench_dev
# ADEngine's evidence: ADBench's unsupervised protocol, the setting ADEngine's users have (no labels, training rows
# contaminated); Toll selects on its training loss. No AutoEncoder: none of PyOD's routing rules names it.
"$BIN/anomalib-toll" benchmark --dataset adbench --data_root "$ROOT" --category classical \
    --models toll,iforest,ecod,knn,ocsvm --seeds "$SEEDS" --protocol adbench \
    --output results/adbench_dev_unsupervised
"$BIN/python" bench/adengine_profile.py --results results/adbench_dev_unsupervised --data_root "$ROOT"
