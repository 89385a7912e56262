#!/usr/bin/env python3
"""Runs examples/python/baseline.py on small sweeps and checks what it reports: detection
better than chance, field strength better than a constant guess, figures with their spread
over folds, and a warning when controls and field runs are not matched.

    python3 Tests/examples/test_baseline.py MORPHIC_BINARY
"""
import json, os, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.dirname(os.path.dirname(HERE))
BASELINE = os.path.join(PACKAGE, "examples/python/baseline.py")


def baseline(binary, folder, name, *extra):
    data = os.path.join(folder, name)
    subprocess.run([binary, "sweep", os.path.join(HERE, name + ".json"), "--output", data, "--quiet"], check=True)
    output = subprocess.run([sys.executable, BASELINE, "--dataset", data, *extra], check=True,
                            capture_output=True, text=True).stdout
    print(output)
    return output, json.loads(next(line for line in output.splitlines() if line.startswith("RESULT "))[len("RESULT "):])


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as folder:
        plot = os.path.join(folder, "plot.png")
        output, result = baseline(binary, folder, "small-sweep", "--plot", plot)
        each = result["each"][0]
        unmatched_output, _ = baseline(binary, folder, "unmatched-sweep", "--plot", os.path.join(folder, "other.png"))
        checks = {
            "balanced accuracy above chance": result["balanced_accuracy"] > 0.5,
            "false-positive rate reported, below one half": 0 <= result["false_positive_rate"] < 0.5,
            "ROC AUC above 0.5": result["roc_auc"] > 0.5,
            "MAE below the constant guess's": result["mae"] < result["mae_constant"],
            "spread over folds reported": all(len(each["folds"][k]) == 2 and each["folds"][k][1] >= 0
                                              for k in ("balanced_accuracy", "false_positive_rate", "mae")),
            "no warning for matched controls": "WARNING" not in output,
            "a warning for controls of another grid size": "differ in grid size" in unmatched_output,
            "plot written": os.path.getsize(plot) > 0,
        }
    for name, ok in checks.items():
        print(("ok   " if ok else "FAIL ") + name)
    print(f"{sum(checks.values())} passed, {len(checks) - sum(checks.values())} failed")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
