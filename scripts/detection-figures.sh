#!/usr/bin/env bash
# The README's detection figures: Config/sweeps/detection.json computed with five sweep
# seeds (1-5) by a release build, then examples/python/baseline.py over the five datasets,
# which prints every figure as mean ± sd over them.
#
#   bash scripts/detection-figures.sh [FOLDER]     # datasets go to FOLDER (default: data/detection)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
folder=${1:-data/detection}
swift build -c release --product morphic
morphic="$(swift build -c release --show-bin-path)/morphic"
python3 -c 'import pandas, sklearn, matplotlib' 2>/dev/null || pip install -q -r examples/python/requirements.txt
datasets=()
for seed in 1 2 3 4 5; do
    mkdir -p "$folder"
    definition="$folder/detection-seed-$seed.json"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["seed"]=int(sys.argv[2]); json.dump(d, open(sys.argv[3], "w"), indent=1)' \
        Config/sweeps/detection.json "$seed" "$definition"
    "$morphic" sweep "$definition" --output "$folder/seed-$seed" --quiet
    datasets+=(--dataset "$folder/seed-$seed")
done
python3 examples/python/baseline.py "${datasets[@]}" --plot "$folder/field_strength.png"
