#!/usr/bin/env python3
"""Keeps the numpy reference (benchmarks/numpy_reference.py) the model `morphic` computes, so
that timing one against the other compares the same work: the model vectors within their
1e-12 (bit for bit with the complexity added pairwise, as they were made); runs `morphic run`
made with every option the reference covers (both boundaries, forms of 3, 5 and 7, Hamming
and Jaccard, other rules, evictions, a resonance threshold of 0, crystallization every step,
and random options) computed again from their records' configurations, bit for bit, crystals
included; a small sweep through both, run by run; and what the reference does not compute
refused by name. A few seconds.

    python3 Tests/benchmarks/test_numpy_reference.py MORPHIC_BINARY [--random N]
"""
import json
import os
import random
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REFERENCE = os.path.join(ROOT, "benchmarks", "numpy_reference.py")
VECTORS = os.path.join(ROOT, "Tests", "MorphicDataTests", "ModelVectors")

# (run id, flags): each a corner of the model the reference must compute exactly as morphic.
RUNS = [
    ("classical-torus", ["--mode=classical", "--grid-size=17", "--generations=60", "--boundary=torus"]),
    ("highlife", ["--mode=classical", "--grid-size=20", "--generations=40", "--rule=B36/S23",
                  "--initial-density=0.3"]),
    ("morphic-default", ["--mode=morphic", "--grid-size=25", "--generations=80"]),
    ("torus-jaccard-7", ["--mode=morphic", "--grid-size=19", "--generations=50", "--boundary=torus",
                         "--form-size=7", "--similarity=jaccard", "--similarity-threshold=0.3",
                         "--field-strength=1", "--crystallization-interval=3", "--crystal-count=2"]),
    ("form-3-evicting", ["--mode=morphic", "--grid-size=14", "--generations=60", "--form-size=3",
                         "--crystal-count=1", "--crystallization-interval=1", "--min-form-cells=1",
                         "--temporal-decay=0.9", "--reinforcement=1", "--influence-exponent=0.5"]),
    ("always-resonant", ["--mode=morphic", "--grid-size=12", "--generations=40", "--resonance-threshold=0",
                         "--similarity-threshold=0", "--temporal-decay=0", "--crystal-count=64",
                         "--crystallization-interval=2", "--field-strength=1"]),
    ("smallest", ["--mode=morphic", "--grid-size=3", "--generations=30", "--boundary=torus",
                  "--min-form-cells=1", "--crystallization-interval=1", "--rule=B1/S012345678",
                  "--initial-density=0.5"]),
    ("odd-density", ["--mode=morphic", "--grid-size=31", "--generations=30", "--initial-density=0.07",
                     "--field-strength=0", "--seed=18446744073709551615"]),
]

SWEEP = {"name": "reference-check", "seed": 9, "defaults": {"generations": 40, "grid_size": 16},
         "groups": [{"prefix": "control", "mode": "classical", "replicates": 3},
                    {"prefix": "morphic", "mode": "morphic", "replicates": 2, "params": {"crystal_count": 3},
                     "grid": {"similarity_threshold": [0.5, 0.9], "field_strength": [0.3, 1.0]}}]}


def random_runs(count, seed=1):
    """`count` runs of random options within what the reference covers, half of them leaning
    toward fields that act (live soups, crystals, strong fields), so that influences,
    resonances and evictions are common rather than rare."""
    rng = random.Random(seed)
    runs = []
    for i in range(count):
        acting = i % 2 == 1
        k = rng.choice([3, 5, 7])
        options = {
            "mode": "morphic" if acting else rng.choice(["classical", "morphic", "morphic"]),
            "grid-size": rng.choice([8, 9, 13, 16, 25, 31, 40] if acting else [3, 4, 5, 7, 9, 13, 25, 31, 64, 65]),
            "generations": rng.randint(20, 80) if acting else rng.randint(1, 80),
            "initial-density": round(rng.uniform(0.2, 0.5) if acting else rng.random(), 3),
            "rule": rng.choice(["B3/S23", "B36/S23"] if acting else ["B3/S23", "B36/S23", "B2/S", "B3678/S34678",
                                                                    "B1/S012345678", "B/S"]),
            "boundary": rng.choice(["dead", "torus"]),
            "crystal-count": rng.choice([1, 2, 5, 64] if acting else [0, 1, 2, 5, 64]),
            "field-strength": rng.choice([0.8 if acting else 0, 0.2, 0.6, 1.0, round(rng.random(), 4)]),
            "temporal-decay": rng.choice([0, 0.1, 0.9, 5, round(rng.random() * 2, 4)]),
            "similarity-threshold": rng.choice([0, 0.5, 0.7, 0.9, round(rng.random(), 4)]),
            "influence-exponent": rng.choice([2.0, 0.1, 1.5, 10, round(rng.uniform(0.1, 10), 3)]),
            "form-size": k,
            "similarity": rng.choice(["hamming", "jaccard"]),
            "crystallization-interval": rng.choice([1, 2, 3, 10, 25]),
            "min-form-cells": rng.randint(1, 6),
            "reinforcement": rng.choice([0, 0.1, 0.5, 1]),
            "resonance-threshold": rng.choice([0, 0.3, 0.8, 1]),
            "seed": rng.getrandbits(64),
        }
        runs.append((f"random-{i + 1}", [f"--{key}={value}" for key, value in options.items()]))
    return runs


def reference(*arguments):
    return subprocess.run([sys.executable, REFERENCE, *arguments], capture_output=True, text=True, timeout=120)


def main():
    binary = sys.argv[1]
    # More random runs than the suite's 24 when asked: --random N.
    count = int(sys.argv[sys.argv.index("--random") + 1]) if "--random" in sys.argv else 24
    checks = {}
    vectors = reference("vectors", VECTORS)
    checks["every model vector matches within 1e-12"] = vectors.returncode == 0 and "3 of 3 model vectors match" in vectors.stdout
    # Their complexity alone differs in the last bits, because they added its terms pairwise.
    pairwise = reference("vectors", VECTORS, "--tolerance", "0", "--pairwise-complexity")
    checks["every model vector bit for bit with the complexity added pairwise"] = \
        pairwise.returncode == 0 and "3 of 3 model vectors match (3 bit for bit)" in pairwise.stdout
    with tempfile.TemporaryDirectory(prefix="morphic-numpy-") as root:
        records = []
        for run_id, flags in RUNS + random_runs(count):
            path = os.path.join(root, run_id + ".json")
            with open(path, "w") as out:
                subprocess.run([binary, "run", f"--run-id={run_id}", *flags], stdout=out, check=True, timeout=60)
            records.append(path)
        runs = reference("compare", *records)
        checks[f"{len(records)} varied runs ({count} of random options) computed again bit for bit"] = \
            runs.returncode == 0 and f"{len(records)} of {len(records)} runs match bit for bit" in runs.stdout

        definition = os.path.join(root, "sweep.json")
        json.dump(SWEEP, open(definition, "w"))
        dataset = os.path.join(root, "dataset")
        subprocess.run([binary, "sweep", definition, "--output", dataset, "--quiet"], check=True, timeout=120,
                       stderr=subprocess.DEVNULL)
        computed = os.path.join(root, "runs.json")
        swept = reference("sweep", definition, "--output", computed)
        matched = reference("compare", dataset, "--runs", computed)
        checks["a sweep's 11 runs, named and computed as morphic's"] = \
            swept.returncode == 0 and matched.returncode == 0 and "11 of 11 runs match bit for bit" in matched.stdout

        # A record changed in one bit of one series is told apart: the comparison can fail.
        record = json.load(open(records[2]))  # morphic-default
        record["timeseries"]["complexity"][7] = float.fromhex(
            (lambda h: h[:-1] + format(int(h[-1], 16) ^ 1, "x"))(record["timeseries"]["complexity"][7].hex()))
        altered = os.path.join(root, "altered.json")
        json.dump(record, open(altered, "w"))
        told = reference("compare", altered)
        checks["one bit changed in a record is found"] = told.returncode == 1 and "complexity differs first at 7" in told.stdout

        coupled = dict(SWEEP, groups=[{"prefix": "c", "mode": "morphic", "replicates": 2,
                                       "params": {"cross_system_coupling": 0.5}}])
        json.dump(coupled, open(definition, "w"))
        refused = reference("sweep", definition)
        checks["coupled runs refused by name"] = refused.returncode == 2 and "cross_system_coupling" in refused.stderr

    for name, ok in checks.items():
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    if not all(checks.values()):
        print(vectors.stdout, runs.stdout, matched.stdout, told.stdout, refused.stderr, sep="\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
