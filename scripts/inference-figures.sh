#!/usr/bin/env bash
# The README's inference figures: a 5,000-run prior-like reference (Config/sweeps/reference.json)
# at several sweep seeds, each calibrated by `morphic calibrate`, compared with the baseline's
# random forests on the same split (examples/python/forest_reference.py), and timed
# (`morphic bench --infer`). Needs a release build and scikit-learn.
set -euo pipefail
cd "$(dirname "$0")/.."
morphic=.build/release/morphic
work=${WORK:-$(mktemp -d)}
for seed in ${SEEDS:-1 2 3 4 5}; do
    sed "s/\"seed\": 1,/\"seed\": $seed,/" Config/sweeps/reference.json > "$work/reference-$seed.json"
    "$morphic" sweep "$work/reference-$seed.json" --output "$work/reference-$seed" --quiet
    "$morphic" calibrate "$work/reference-$seed" --json --quiet > "$work/calibration-$seed.json"
    python3 examples/python/forest_reference.py "$work/reference-$seed" > "$work/forest-$seed.json"
    "$morphic" bench --infer "$work/reference-$seed" --repeats 1
done
# The README's one-seed figures of Config/sweeps/prior.json (six parameters from their priors).
"$morphic" sweep Config/sweeps/prior.json --output "$work/prior" --quiet
"$morphic" calibrate "$work/prior" --quiet
python3 - "$work" ${SEEDS:-1 2 3 4 5} <<'PY'
import json, sys
import numpy as np
work, seeds = sys.argv[1], sys.argv[2:]
cal = [json.load(open(f"{work}/calibration-{s}.json")) for s in seeds]
forest = [json.load(open(f"{work}/forest-{s}.json")) for s in seeds]
show = lambda v: f"{np.mean(v):.3f} ± {np.std(v, ddof=1) if len(v) > 1 else 0:.3f}"
print(f"| parameter | 50 % | 80 % | 95 % | median MAE | forest MAE | constant MAE |")
for name in cal[0]["parameters"]:
    p = [c["parameters"][name] for c in cal]
    print(f"| {name} | " + " | ".join(show([x["coverage"][l] for x in p]) for l in ("0.5", "0.8", "0.95"))
          + f" | {show([x['median_mae'] for x in p])} | {show([f[name]['forest_mae'] for f in forest])}"
          + f" | {show([x['constant_mae'] for x in p])} |")
print("p_field AUC", show([c["p_field"]["roc_auc"] for c in cal]), "forest classifier AUC",
      show([f["p_field"]["roc_auc"] for f in forest]), "false-positive rate at 0.5",
      show([c["p_field"]["false_positive_rate"] for c in cal]))
PY
