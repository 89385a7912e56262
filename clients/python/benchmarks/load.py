#!/usr/bin/env python3
"""Seconds to load a dataset with morphiclab: open it (an archive: one pass that checks every
run record's sha256), then runs.csv and features.csv into pandas, one series and theta_x
into numpy. Best of `--repeat` (3).

    python3 clients/python/benchmarks/load.py DATASET.tar.gz-or-FOLDER [--repeat 3]
"""
import argparse
import time

import morphiclab


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    best: dict = {}
    for _ in range(args.repeat):
        times = {}
        start = time.perf_counter()
        data = morphiclab.load(args.dataset)
        times["open and check"] = time.perf_counter() - start
        step = time.perf_counter()
        runs, features = data.runs, data.features
        times["runs.csv and features.csv (pandas)"] = time.perf_counter() - step
        step = time.perf_counter()
        population = data.series("population")
        theta, x = data.theta_x()
        times["a series and theta_x (numpy)"] = time.perf_counter() - step
        times["total"] = time.perf_counter() - start
        best = {k: min(v, best.get(k, v)) for k, v in times.items()}
    print(f"{args.dataset}: {len(runs)} runs, {features.shape[1]} features columns, "
          f"series {population.shape}, theta {theta.shape}, x {x.shape}")
    for name, seconds in best.items():
        print(f"  {name}: {seconds:.2f} s")


if __name__ == "__main__":
    main()
