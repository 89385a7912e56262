#!/usr/bin/env python3
"""Checks a dataset's numpy arrays against its CSV tables, from outside, with numpy and
pandas: timeseries.npz equals timeseries.csv (runs of different lengths padded with NaN),
frames.npz holds states whose live cells are the population series, theta_x.npz holds
features.csv's rows (theta its varied true_* columns, x its features, split its split),
and the manifest's dtypes keep seeds above 2^63 exact when two datasets are concatenated.

    python3 Tests/examples/test_arrays.py MORPHIC_BINARY
"""
import json, os, subprocess, sys, tempfile

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))


def read(folder, table, manifest):
    """A table read with the dtypes its manifest names."""
    dtypes = {c["name"]: c["dtype"] for c in manifest["columns"][table]}
    return pd.read_csv(os.path.join(folder, table), dtype=dtypes, keep_default_na=False,
                       na_values={n: [""] for n, t in dtypes.items() if t != "string"})


MASK = (1 << 64) - 1


def mix64(z):
    """docs/model.md section 2."""
    z ^= z >> 30
    z = (z * 0xBF58476D1CE4E5B9) & MASK
    z ^= z >> 27
    z = (z * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def fnv1a64(text):
    value = 0xCBF29CE484222325
    for byte in text.encode():
        value = ((value ^ byte) * 0x100000001B3) & MASK
    return value


def documented_split(seed, point):
    """The rule docs/datasets.md ("Splits") states."""
    u = (mix64(mix64(mix64(seed) ^ fnv1a64("split")) ^ point) >> 11) * 2.0 ** -53
    return "train" if u < 0.8 else "validation" if u < 0.9 else "test"


def main():
    binary = sys.argv[1]
    checks = {}
    with tempfile.TemporaryDirectory() as root:
        data = os.path.join(root, "data")
        subprocess.run([binary, "sweep", os.path.join(HERE, "arrays-sweep.json"), "--output", data, "--quiet"], check=True)
        manifest = json.load(open(os.path.join(data, "manifest.json")))
        series = read(data, "timeseries.csv", manifest)
        arrays = np.load(os.path.join(data, "timeseries.npz"), allow_pickle=False)
        names = [c["name"] for c in manifest["columns"]["timeseries.npz"]]
        checks["npz holds the arrays the manifest lists"] = sorted(arrays.files) == sorted(names)
        ids = list(arrays["run_id"])
        runs = read(data, "runs.csv", manifest)
        checks["npz runs are runs.csv's, in order"] = ids == list(runs["run_id"])
        checks["npz generations are each run's"] = list(arrays["generations"]) == list(runs["generations"])
        width = int(arrays["generations"].max())
        equal = True
        for name in names[2:]:
            table = series.pivot(index="run_id", columns="generation", values=name).reindex(index=ids, columns=range(width))
            array = arrays[name]
            equal &= array.shape == (len(ids), width) and array.dtype == np.float64
            equal &= bool(np.array_equal(table.to_numpy(dtype=np.float64), array, equal_nan=True))
        checks["every npz series equals timeseries.csv (NaN past a run's end)"] = equal
        checks["hidden series are marked"] = [c["name"] for c in manifest["columns"]["timeseries.csv"] if c["role"] == "hidden"] == \
            ["hidden_morphic_influence_rate", "hidden_override_rate", "hidden_resonance_events", "hidden_crystal_count"]

        frames = np.load(os.path.join(data, "frames.npz"), allow_pickle=False)
        every = int(frames["every"])
        consistent = every == 7
        for run_id, generations in zip(ids, arrays["generations"]):
            packed = frames[run_id]
            cells = np.unpackbits(packed, axis=-1)[..., :13]
            consistent &= packed.shape == (generations // every + 1, 13, 2)
            population = series[series["run_id"] == run_id]["population"].to_numpy()
            # Entry t of a series describes the state after step t, S_{t+1}.
            for index in range(1, cells.shape[0]):
                consistent &= int(cells[index].sum()) == int(population[index * every - 1])
        checks["frames.npz states have the population series' live cells"] = bool(consistent)

        features = read(data, "features.csv", manifest)
        roles = {c["name"]: c["role"] for c in manifest["columns"]["features.csv"]}
        feature_columns = [n for n, r in roles.items() if r == "feature"]
        checks["features by role hold no truth or identifier"] = all(not n.startswith("true_") and n not in ("run_id", "point", "split", "label") for n in feature_columns)
        checks["controls carry no field"] = bool((features[features["label"] == "classical"][["true_field_strength", "true_crystal_count"]] == 0).all().all())

        theta_x = np.load(os.path.join(data, "theta_x.npz"), allow_pickle=False)
        checks["theta_x.npz holds the arrays the manifest lists"] = \
            sorted(theta_x.files) == sorted(c["name"] for c in manifest["columns"]["theta_x.npz"])
        checks["theta_x rows are features.csv's, in order"] = list(theta_x["run_id"]) == list(features["run_id"])
        x = theta_x["x"]
        checks["x is float64 [runs, features] named as features.csv's feature columns"] = \
            x.dtype == np.float64 and list(theta_x["x_names"]) == feature_columns and x.shape == (len(features), len(feature_columns))
        checks["x equals features.csv's features"] = bool(np.array_equal(
            features[feature_columns].to_numpy(dtype=np.float64), x, equal_nan=True))
        names = list(theta_x["theta_names"])
        theta = theta_x["theta"]
        checks["theta names the varied parameters, in the model's order"] = names == [
            "generations", "rule", "crystal_count", "field_strength", "similarity_threshold"]
        levels = {name: sorted(manifest["parameters"][name]) for name in names if features["true_" + name].dtype == "string"}
        expected = np.column_stack([
            features["true_" + n].map(levels[n].index).to_numpy(dtype=np.float64) if n in levels
            else features["true_" + n].to_numpy(dtype=np.float64) for n in names])
        checks["theta equals features.csv's true_* (names as their rank among the sweep's values)"] = \
            theta.dtype == np.float64 and bool(np.array_equal(expected, theta, equal_nan=True))
        checks["split equals features.csv's"] = list(theta_x["split"]) == list(features["split"])
        checks["split follows the rule docs/datasets.md states"] = \
            [documented_split(int(manifest["seed"]), int(p)) for p in features["point"]] == list(features["split"])
        by_point = features.groupby("point")["split"].nunique()
        checks["replicates of a point share a split"] = bool((by_point == 1).all())
        checks["split counts are the manifest's"] = features["split"].value_counts().to_dict() == \
            {k: v for k, v in manifest["counts"]["by_split"].items() if v}

        both = pd.concat([runs, read(data, "runs.csv", manifest)])
        checks["seeds above 2^63 stay exact uint64 across datasets"] = both["seed"].dtype == np.uint64 and \
            int(both[both["run_id"] == "seeded_1"]["seed"].iloc[0]) == 18446744073709551000
    for name, ok in checks.items():
        print(("ok   " if ok else "FAIL ") + name)
    print(f"{sum(checks.values())} passed, {len(checks) - sum(checks.values())} failed")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
