#!/usr/bin/env python3
"""Runs examples/python/baseline.py on small sweeps and checks what it reports: detection
better than chance, field strength better than a constant guess, figures with their spread
over folds, a warning when controls and field runs are not matched, and, from a live server,
the same figures with the server's posterior beside them.

    python3 Tests/examples/test_baseline.py MORPHIC_BINARY

The example reads datasets with the morphiclab client of this checkout (clients/python).
"""
import json, os, signal, subprocess, sys, tempfile, time, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.dirname(os.path.dirname(HERE))
BASELINE = os.path.join(PACKAGE, "examples/python/baseline.py")
CLIENT = os.path.join(PACKAGE, "clients/python/src")
ENVIRONMENT = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [CLIENT, os.environ.get("PYTHONPATH")])))


def run_baseline(*arguments):
    output = subprocess.run([sys.executable, BASELINE, *arguments], check=True, capture_output=True, text=True,
                            env=ENVIRONMENT).stdout
    print(output)
    return output, json.loads(next(line for line in output.splitlines() if line.startswith("RESULT "))[len("RESULT "):])


def baseline(binary, folder, name, *extra):
    data = os.path.join(folder, name)
    subprocess.run([binary, "sweep", os.path.join(HERE, name + ".json"), "--output", data, "--quiet"], check=True)
    return run_baseline("--dataset", data, *extra)


def from_server(binary, folder):
    """A sweep fit to be a reference (controls and field runs drawn as points of their own, so
    every split holds both) submitted to a live server and read from it by the example."""
    config = os.path.join(folder, "server.json")
    with open(config, "w") as file:
        json.dump({"api_token": None}, file)
    server = subprocess.Popen([binary, "serve", "--config", config, "--host", "127.0.0.1", "--port", "0",
                               "--data-dir", os.path.join(folder, "server"), "--workers", "2"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = server.stdout.readline().split("listening on ", 1)[1].split()[0]
        with open(os.path.join(HERE, "reference-sweep.json"), "rb") as file:
            request = urllib.request.Request(url + "/api/sweeps", data=file.read(), method="POST",
                                             headers={"Content-Type": "application/json"})
        sweep = json.load(urllib.request.urlopen(request, timeout=30))["id"]
        for _ in range(1200):
            if json.load(urllib.request.urlopen(f"{url}/api/sweeps/{sweep}", timeout=30))["status"] == "completed":
                break
            time.sleep(0.5)
        return run_baseline("--server", url, "--sweep", sweep, "--plot", os.path.join(folder, "server.png"))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as folder:
        plot = os.path.join(folder, "plot.png")
        output, result = baseline(binary, folder, "small-sweep", "--plot", plot)
        each = result["each"][0]
        unmatched_output, _ = baseline(binary, folder, "unmatched-sweep", "--plot", os.path.join(folder, "other.png"))
        _, local = baseline(binary, folder, "reference-sweep", "--plot", os.path.join(folder, "local.png"))
        served_output, served = from_server(binary, folder)
        posterior = served["each"][0].get("server_posterior", {})
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
            # (up to the last bits: the forests sum their trees' votes in whichever order threads end)
            "the same figures from a server as from the folder": all(
                abs(served[k] - local[k]) < 1e-9 for k in ("balanced_accuracy", "roc_auc", "mae", "mae_constant")),
            "the server's posterior beside them: calibration and one test run": posterior.get("available") is True
                and set(posterior["parameters"]) >= {"field_strength"} and "example" in posterior
                and "server posterior of field_strength" in served_output,
        }
    if not checks["the same figures from a server as from the folder"]:
        print("folder:", {k: local[k] for k in ("balanced_accuracy", "roc_auc", "mae", "mae_constant")})
        print("server:", {k: served[k] for k in ("balanced_accuracy", "roc_auc", "mae", "mae_constant")})
    for name, ok in checks.items():
        print(("ok   " if ok else "FAIL ") + name)
    print(f"{sum(checks.values())} passed, {len(checks) - sum(checks.values())} failed")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
