#!/usr/bin/env python3
"""Reference baselines on a MorphicLab dataset: can the field be detected, and its strength
estimated, from what an observer of the grid could see?

    python3 baseline.py --dataset timeseries_data                 # a dataset folder
    python3 baseline.py --server http://127.0.0.1:8080 --sweep ID  # download from a server

Reads features.csv (observable series only: population, complexity, volatility, pattern
diversity; never the influence, override, resonance or crystal series), then trains

- a classifier, morphic vs classical control, and
- a regressor of field strength on the morphic runs,

both evaluated with grouped cross-validation: the replicates of one parameter point share a
group, so a model is never tested on a run whose twin it was trained on. It prints accuracy,
ROC AUC and MAE overall and by field strength, temporal decay and similarity threshold,
saves a plot of predicted vs true field strength, and ends with one RESULT line of JSON.
"""
import argparse, io, json, os, sys, tarfile, tempfile, urllib.request

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.metrics import accuracy_score, mean_absolute_error, roc_auc_score
from sklearn.model_selection import GroupKFold, cross_val_predict

PARAMETERS = ["field_strength", "temporal_decay", "similarity_threshold"]


def load(args):
    """features.csv of a folder, or of the archive a server serves."""
    if args.dataset:
        return pd.read_csv(os.path.join(args.dataset, "features.csv"))
    url = f"{args.server.rstrip('/')}/api/sweeps/{args.sweep}/dataset.tar.gz"
    with urllib.request.urlopen(url) as response:
        archive = tarfile.open(fileobj=io.BytesIO(response.read()))
    return pd.read_csv(archive.extractfile(f"{args.sweep}/features.csv"))


def feature_columns(frame):
    """Every column after the ground-truth parameters: the observable features."""
    start = list(frame.columns).index("seed") + 1
    return list(frame.columns[start:])


def groups_of(frame):
    """Runs with the same swept parameters (replicates) share a group; controls each their own."""
    key = frame[PARAMETERS].astype(str).agg("/".join, axis=1)
    return np.where(frame["label"] == "morphic", "point:" + key, "run:" + frame["run_id"])


def folds(groups, wanted=5):
    return max(2, min(wanted, len(set(groups))))


def breakdown(frame, column, truth, predicted, metric):
    rows = []
    for value, part in frame.groupby(column):
        index = part.index
        rows.append((value, len(index), metric(truth[index], predicted[index])))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", help="dataset folder holding features.csv")
    parser.add_argument("--server", help="server URL, with --sweep")
    parser.add_argument("--sweep", help="sweep id on the server")
    parser.add_argument("--plot", default="field_strength.png", help="where to save the regression plot")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not args.dataset and not (args.server and args.sweep):
        parser.error("give --dataset DIR, or --server URL and --sweep ID")

    frame = load(args)
    frame = frame[frame["label"].isin(["morphic", "classical"])].reset_index(drop=True)
    features = feature_columns(frame)
    X = frame[features].fillna(0).to_numpy()
    result = {"runs": len(frame)}

    # Morphic vs control.
    y = (frame["label"] == "morphic").to_numpy().astype(int)
    groups = groups_of(frame)
    classifier = RandomForestClassifier(n_estimators=300, random_state=args.seed, class_weight="balanced")
    cv = GroupKFold(n_splits=folds(groups))
    probability = cross_val_predict(classifier, X, y, cv=cv, groups=groups, method="predict_proba")[:, 1]
    predicted = (probability >= 0.5).astype(int)
    result["accuracy"] = accuracy_score(y, predicted)
    result["chance"] = max(y.mean(), 1 - y.mean())
    result["roc_auc"] = roc_auc_score(y, probability) if len(set(y)) == 2 else None
    print(f"Morphic vs control ({len(frame)} runs, grouped {cv.get_n_splits()}-fold CV)")
    print(f"  accuracy {result['accuracy']:.3f} (majority class {result['chance']:.3f}), ROC AUC {result['roc_auc']:.3f}")
    morphic = frame["label"] == "morphic"
    for column in PARAMETERS:
        print(f"  detection rate of morphic runs by {column}:")
        for value, part in frame[morphic].groupby(column):
            print(f"    {value:>6}: {predicted[part.index].mean():.2f} of {len(part)} runs")

    # Field strength, on the morphic runs.
    m = frame[morphic].reset_index(drop=True)
    Xm = m[features].fillna(0).to_numpy()
    ym = m["field_strength"].to_numpy()
    gm = groups_of(m)
    regressor = RandomForestRegressor(n_estimators=300, random_state=args.seed)
    cvm = GroupKFold(n_splits=folds(gm))
    estimate = cross_val_predict(regressor, Xm, ym, cv=cvm, groups=gm)
    result["mae"] = mean_absolute_error(ym, estimate)
    # The constant predictor, fitted out of fold like the model.
    constant = np.empty_like(ym)
    for train, test in cvm.split(Xm, ym, gm):
        constant[test] = ym[train].mean()
    result["mae_constant"] = mean_absolute_error(ym, constant)
    result["within_0_15"] = float(np.mean(np.abs(estimate - ym) <= 0.15))
    print(f"Field strength on {len(m)} morphic runs (grouped {cvm.get_n_splits()}-fold CV)")
    print(f"  MAE {result['mae']:.3f} (constant predictor {result['mae_constant']:.3f}); within ±0.15: {result['within_0_15']:.2f}")
    for column in PARAMETERS:
        print(f"  MAE by {column}:")
        for value, count, error in breakdown(m, column, ym, estimate, mean_absolute_error):
            print(f"    {value:>6}: {error:.3f} ({count} runs)")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(figsize=(5, 5))
    axes.scatter(ym + np.random.default_rng(args.seed).uniform(-0.02, 0.02, len(ym)), estimate, s=12, alpha=0.6)
    axes.plot([0, 1], [0, 1], color="grey", linewidth=1)
    axes.set_xlabel("true field strength (jittered)")
    axes.set_ylabel("predicted field strength")
    axes.set_title(f"MAE {result['mae']:.3f}")
    figure.tight_layout()
    figure.savefig(args.plot, dpi=100)
    print(f"  plot saved to {args.plot}")
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
