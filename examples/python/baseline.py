#!/usr/bin/env python3
"""Reference baselines on MorphicLab datasets: can the field be detected, and its strength
estimated, from what an observer of the grid could see?

    python3 baseline.py --dataset data                               # a dataset folder (or dataset.tar.gz)
    python3 baseline.py --dataset seed1 --dataset seed2 ...          # several: mean ± sd across them
    python3 baseline.py --server http://127.0.0.1:8080 --sweep ID    # from a server, with its posterior

Columns are picked by the role the manifest gives them, never by position: the features
are the `feature` columns of features.csv (observable series only), the target is the
`label`, the ground truth the `true_*` columns. Two random-forest baselines are evaluated
with grouped, stratified cross-validation (replicates of one parameter point never
straddle train and test; controls are independent runs):

- morphic vs classical control: balanced accuracy, false-positive rate (controls called
  morphic), ROC AUC, detection rate by similarity threshold, with θ = 0.9 reported apart;
- field strength on the runs whose field acts: MAE against a constant guess, and the
  share within ±0.15.

Each figure is given as mean ± sd over the folds; with several datasets, as mean ± sd over
the datasets. It warns when controls and field runs differ in grid size or length (a
classifier would learn the grid, not the field), saves a plot of predicted vs true field
strength, and ends with one RESULT line of JSON.

Datasets are read with the `morphiclab` client (`pip install ./clients/python`). From a
server, the server's own posterior is shown next to the baselines: its calibration on the
sweep's test split (coverage of the 50/80/95 % intervals, median MAE against a constant
guess, p_field's ROC AUC) and the posterior of one test run.
"""
import argparse, json, os, sys, warnings

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

import morphiclab

FOLDS = 5


def load(source):
    """features.csv and its columns' roles, from a dataset folder or archive, or a server's sweep
    (`URL#ID`, downloaded once and checked). The dtypes come from the manifest, so seeds stay
    uint64 and ids text. Also the server's sweep, or None."""
    sweep = None
    if os.path.exists(source):
        data = morphiclab.load(source)
    else:
        server, sweep_id = source.split("#", 1)
        sweep = morphiclab.Client(server).sweep(sweep_id)
        data = sweep.dataset()
    roles = {c["name"]: c["role"] for c in data.manifest["columns"]["features.csv"]}
    return data.features, roles, sweep


def server_posterior(sweep, frame):
    """The server's calibration of its posterior on this sweep, and the posterior of one test run."""
    try:
        calibration = sweep.calibration()
    except morphiclab.MorphicError as error:
        print(f"  server posterior: not available ({error.message})")
        return {"available": False, "reason": error.message}
    result = {"available": True, "parameters": {}}
    for name, figures in calibration["parameters"].items():
        coverage = figures["coverage"]
        result["parameters"][name] = {"coverage": coverage, "median_mae": figures["median_mae"],
                                      "constant_mae": figures["constant_mae"]}
        print(f"  server posterior of {name} on {figures['test_runs']} test runs: 50/80/95 % intervals cover "
              f"{coverage['0.5']:.2f}/{coverage['0.8']:.2f}/{coverage['0.95']:.2f}, median MAE "
              f"{figures['median_mae']:.3f} (constant guess {figures['constant_mae']:.3f})")
    if calibration.get("p_field"):
        result["p_field_roc_auc"] = calibration["p_field"]["roc_auc"]
        print(f"  server p_field: ROC AUC {calibration['p_field']['roc_auc']:.3f} on the test split")
    test = frame[(frame["split"] == "test") & (frame["label"] == "morphic")]
    if len(test):
        run = test.iloc[0]
        posterior = sweep.posterior({"sweep": sweep.id, "run": run["run_id"]})
        result["example"] = {"run_id": run["run_id"], "p_field": posterior["p_field"]}
        for name, marginal in posterior["parameters"].items():
            low, high = marginal["quantiles"]["0.025"], marginal["quantiles"]["0.975"]
            print(f"    {run['run_id']}: {name} {marginal['mean']:.3f} (95 % {low:.3f}-{high:.3f}), "
                  f"true {run.get('true_' + name, float('nan'))}")
    return result


def columns(roles, role):
    return [name for name, r in roles.items() if r == role]


def groups_of(frame):
    """Replicates of one parameter point share a group; each control is a group of its own."""
    return np.where(frame["label"] == "classical", "run:" + frame["run_id"], "point:" + frame["point"].astype(str))


def spread(values):
    values = [v for v in values if v is not None and not np.isnan(v)]
    return (float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else 0.0) if values else (None, None)


def show(value):
    mean, sd = value
    return "n/a" if mean is None else f"{mean:.3f} ± {sd:.3f}"


def warn_if_unmatched(frame):
    controls, field = frame[frame["label"] == "classical"], frame[frame["label"] == "morphic"]
    for column, what in (("true_grid_size", "grid size"), ("true_generations", "length (generations)")):
        a, b = sorted(controls[column].unique()), sorted(field[column].unique())
        if a != b:
            print(f"WARNING: controls and field runs differ in {what} ({a} vs {b}): a classifier can tell them "
                  f"apart by the {what} alone. Give controls the same grid and length (Config/sweeps/detection.json).")
    if len(controls) and len(field) and not 0.5 <= len(controls) / len(field) <= 2:
        print(f"WARNING: {len(controls)} controls against {len(field)} field runs; balanced accuracy is reported for this reason.")


def detection(frame, X, seed):
    """Out-of-fold probabilities and per-fold figures of morphic vs control."""
    y = (frame["label"] == "morphic").to_numpy().astype(int)
    groups = groups_of(frame)
    splitter = StratifiedGroupKFold(n_splits=min(FOLDS, int(min(np.bincount(y)))), shuffle=True, random_state=seed)
    probability = np.zeros(len(y))
    per_fold = {"balanced_accuracy": [], "false_positive_rate": [], "roc_auc": []}
    for train, test in splitter.split(X, y, groups):
        model = RandomForestClassifier(n_estimators=300, random_state=seed, class_weight="balanced", n_jobs=-1)
        model.fit(X[train], y[train])
        probability[test] = model.predict_proba(X[test])[:, 1]
        truth, called = y[test], probability[test] >= 0.5
        tpr = called[truth == 1].mean() if (truth == 1).any() else np.nan
        fpr = called[truth == 0].mean() if (truth == 0).any() else np.nan
        per_fold["balanced_accuracy"].append((tpr + 1 - fpr) / 2)
        per_fold["false_positive_rate"].append(fpr)
        per_fold["roc_auc"].append(roc_auc_score(truth, probability[test]) if len(set(truth)) == 2 else np.nan)
    return y, probability, {k: spread(v) for k, v in per_fold.items()}


def regression(frame, X, seed):
    """Field strength on the runs whose field acts: MAE, constant guess, share within ±0.15."""
    acting = (frame["label"] == "morphic").to_numpy() & (frame["true_field_strength"] > 0).to_numpy()
    Xm, ym = X[acting], frame["true_field_strength"].to_numpy()[acting]
    groups = groups_of(frame[acting])
    estimate = np.zeros(len(ym))
    per_fold = {"mae": [], "mae_constant": [], "within_0_15": []}
    for train, test in GroupKFold(n_splits=min(FOLDS, len(set(groups)))).split(Xm, ym, groups):
        model = RandomForestRegressor(n_estimators=300, random_state=seed, n_jobs=-1).fit(Xm[train], ym[train])
        estimate[test] = model.predict(Xm[test])
        per_fold["mae"].append(np.abs(estimate[test] - ym[test]).mean())
        per_fold["mae_constant"].append(np.abs(ym[train].mean() - ym[test]).mean())
        per_fold["within_0_15"].append((np.abs(estimate[test] - ym[test]) <= 0.15).mean())
    return ym, estimate, {k: spread(v) for k, v in per_fold.items()}


def evaluate(source, seed, plot):
    frame, roles, sweep = load(source)
    frame = frame[frame["label"].isin(["morphic", "classical"])].reset_index(drop=True)
    features = columns(roles, "feature")
    assert not any(n.startswith("true_") or roles[n] != "feature" for n in features)
    warn_if_unmatched(frame)
    X = frame[features].fillna(0).to_numpy()
    y, probability, figures = detection(frame, X, seed)
    called = probability >= 0.5
    result = {"runs": len(frame), "controls": int((y == 0).sum()), "field_runs": int((y == 1).sum())}
    result.update({k: v[0] for k, v in figures.items()})
    result["folds"] = {k: v for k, v in figures.items()}
    theta = frame["true_similarity_threshold"].to_numpy()
    high = (y == 1) & np.isclose(theta, 0.9)
    rest = (y == 1) & ~high
    result["detection_rate_theta_0_9"] = float(called[high].mean()) if high.any() else None
    result["detection_rate_theta_below_0_9"] = float(called[rest].mean()) if rest.any() else None
    # Without the θ = 0.9 runs, a classifier trained again on what is left: re-scoring the one
    # above would keep what it learned from those runs.
    result["balanced_accuracy_without_theta_0_9"] = None
    if high.any() and rest.any():
        keep = ~high
        _, _, without = detection(frame[keep].reset_index(drop=True), X[keep], seed)
        result["balanced_accuracy_without_theta_0_9"] = without["balanced_accuracy"][0]
    print(f"{source}: {len(frame)} runs ({result['controls']} controls, {result['field_runs']} field runs), "
          f"{len(features)} observable features")
    print(f"  detection, mean ± sd over folds: balanced accuracy {show(figures['balanced_accuracy'])}, "
          f"false-positive rate {show(figures['false_positive_rate'])}, ROC AUC {show(figures['roc_auc'])}")
    values = sorted(set(theta[y == 1]))
    if len(values) <= 12:
        for value in values:
            part = (y == 1) & np.isclose(theta, value)
            print(f"    θ = {value}: {called[part].mean():.2f} of {part.sum()} field runs detected")
    else:
        # θ drawn from a range (a sampled sweep): ten bins of equal width, not a line a value.
        edges = np.linspace(values[0], values[-1], 11)
        for low, high in zip(edges[:-1], edges[1:]):
            part = (y == 1) & (theta >= low) & ((theta < high) | (high == edges[-1]) & (theta <= high))
            if part.any():
                print(f"    θ in [{low:.3g}, {high:.3g}{']' if high == edges[-1] else ')'}: "
                      f"{called[part].mean():.2f} of {part.sum()} field runs detected")
    ym, estimate, regression_figures = regression(frame, X, seed)
    result.update({k: v[0] for k, v in regression_figures.items()})
    result["folds"].update(regression_figures)
    print(f"  field strength on {len(ym)} runs, mean ± sd over folds: MAE {show(regression_figures['mae'])} "
          f"(constant guess {show(regression_figures['mae_constant'])}), within ±0.15 {show(regression_figures['within_0_15'])}")
    if sweep is not None:
        result["server_posterior"] = server_posterior(sweep, frame)
    if plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        figure, axes = plt.subplots(figsize=(5, 5))
        axes.scatter(ym + np.random.default_rng(seed).uniform(-0.02, 0.02, len(ym)), estimate, s=12, alpha=0.6)
        axes.plot([0, 1], [0, 1], color="grey", linewidth=1)
        axes.set_xlabel("true field strength (jittered)")
        axes.set_ylabel("predicted field strength")
        axes.set_title(f"{os.path.basename(source.rstrip('/'))}: MAE {result['mae']:.3f}")
        figure.tight_layout()
        figure.savefig(plot, dpi=100)
        print(f"  plot saved to {plot}")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", action="append", default=[], help="dataset folder (repeat for several)")
    parser.add_argument("--server", help="server URL, with --sweep")
    parser.add_argument("--sweep", action="append", default=[], help="sweep id on the server (repeat for several)")
    parser.add_argument("--plot", default="field_strength.png", help="where to save the regression plot (first dataset)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the folds and forests")
    args = parser.parse_args()
    sources = args.dataset + [f"{args.server}#{sweep}" for sweep in args.sweep if args.server]
    if not sources or (args.sweep and not args.server):
        parser.error("give --dataset DIR, or --server URL and --sweep ID")
    warnings.filterwarnings("ignore", category=UserWarning)
    results = [evaluate(source, args.seed, args.plot if index == 0 else None) for index, source in enumerate(sources)]
    keys = ["balanced_accuracy", "false_positive_rate", "roc_auc", "detection_rate_theta_0_9",
            "detection_rate_theta_below_0_9", "balanced_accuracy_without_theta_0_9", "mae", "mae_constant", "within_0_15"]
    summary = {key: spread([r[key] for r in results if r[key] is not None]) for key in keys}
    if len(results) > 1:
        print(f"Over {len(results)} datasets, mean ± sd:")
        for key in keys:
            print(f"  {key}: {show(summary[key])}")
    print("RESULT " + json.dumps({"datasets": len(results), **{k: v[0] for k, v in summary.items()},
                                  "sd": {k: v[1] for k, v in summary.items()}, "each": results}))


if __name__ == "__main__":
    sys.exit(main())
