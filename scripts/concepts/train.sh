#!/usr/bin/env bash
# Trains the bundled concept model from the official MONET scores of the MILK10k layouts and writes
# activities/concepts/model/monet-distilled/ (model.onnx, manifest.json, MODEL_CARD.md).
#   scripts/concepts/train.sh [LAYOUT_DIR...]   (default: ../shared/milk10k-sample ../shared/milk10k-extra)
# CONCEPTS_CACHE (default /work/data/concepts-cache, outside the repo) keeps the preprocessed inputs.
# Extra arguments for train.py go in TRAIN_ARGS (e.g. TRAIN_ARGS="--epochs 2 --out /tmp/m").
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$repo/.tools/concepts-venv"
cache="${CONCEPTS_CACHE:-/work/data/concepts-cache}"
layouts=("$@")
[ ${#layouts[@]} -gt 0 ] || layouts=("$repo/../shared/milk10k-sample" "$repo/../shared/milk10k-extra")

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$repo/scripts/concepts/requirements.txt"
fi
# The inputs exactly as the pipeline makes them: de-identification, then the QC decode's concept input.
if [ ! -f "$cache/index-64.csv" ]; then
  (cd "$repo" && nice -n 15 npx tsx scripts/concepts/prepare-inputs.ts "$cache" "${layouts[@]}")
fi
# CPU only, on a shared machine: low priority, two threads, fixed seed.
cd "$repo" && nice -n 15 "$venv/bin/python" scripts/concepts/train.py --cache "$cache" ${TRAIN_ARGS:-}
