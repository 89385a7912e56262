#!/usr/bin/env python3
"""Runs examples/python/baseline.py on a small sweep and checks its figures are sane:
detection better than chance, field strength better than a constant guess.

    python3 Tests/examples/test_baseline.py MORPHIC_BINARY
"""
import json, os, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.dirname(os.path.dirname(HERE))


def main():
    binary = sys.argv[1]
    results = []
    with tempfile.TemporaryDirectory() as folder:
        data = os.path.join(folder, "data")
        subprocess.run([binary, "sweep", os.path.join(HERE, "small-sweep.json"), "--output", data, "--quiet"], check=True)
        output = subprocess.run([sys.executable, os.path.join(PACKAGE, "examples/python/baseline.py"), "--dataset", data,
                                 "--plot", os.path.join(folder, "plot.png")], check=True, capture_output=True, text=True).stdout
        print(output)
        result = json.loads(next(line for line in output.splitlines() if line.startswith("RESULT "))[len("RESULT "):])
        checks = {
            "accuracy above chance": result["accuracy"] > result["chance"],
            "ROC AUC above 0.5": result["roc_auc"] > 0.5,
            "MAE below the constant predictor's": result["mae"] < result["mae_constant"],
            "plot written": os.path.getsize(os.path.join(folder, "plot.png")) > 0,
        }
    for name, ok in checks.items():
        print(("ok   " if ok else "FAIL ") + name)
        results.append(ok)
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
