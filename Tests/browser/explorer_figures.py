#!/usr/bin/env python3
"""The explorer's figures at scale, printed, never asserted:

    python3 Tests/browser/explorer_figures.py MORPHIC_BINARY [--sizes 100000,1000000] [--rounds 3]
        [--grid-size 8] [--generations 10] [--keep DIR]

For each size, a finished sweep of that many tiny runs (10 × 10 grid points of size/100
replicates) computed by `morphic sweep` (records packed from 1,000,000 runs on; with --keep,
kept and used again by the next call), served by
`morphic serve` alone, and its sweep view opened afresh in headless Chromium, light then dark,
`--rounds` times (cold browser cache, warm server), after two openings of its own: the first,
which asks for the run map and the calibration, and one made at once, while the server computes
the map and trains the reference. Printed for each opening: when the table's
rows, the chart, the parameter space, the heatmap and the importance table were drawn (ms
after navigation), elements, bytes transferred, long tasks and console errors, when the run
map was asked (and the charts' last answer came) and drawn, and the long tasks from the
map's answers to its drawing (the rounds wait for it); for each size:
the seconds and peak resident memory of computing the sweep, the seconds until the server
first answers an aggregate (its reading of the sweep's runs index, `runs-index.bin`, which
`morphic sweep` writes; every run's record for a folder made before it did) and the server's peak resident
memory (VmHWM) after that reading and after all the openings; then the median and range of
each time over the rounds. Give it a release build (scripts/explorer-figures.sh does).
"""
import argparse, json, os, shutil, signal, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sweep_view import (PACKAGE, GoalProbe, api, browser, describe, finished_sweep, measure_sweep_view,  # noqa: E402
                        peak_resident_kb, start_server, wait_until_indexed)

PARTS = [("rows", "table rows"), ("chart", "chart"), ("parallel", "parameter space"), ("heatmap", "heatmap"),
         ("importance", "importance")]


def stop(server):
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def spread(values):
    return f"median {statistics.median(values):.0f}, {min(values):.0f}-{max(values):.0f}"


def kept_sweep(data):
    """The id of the finished sweep a kept data directory holds, or None."""
    folder = os.path.join(data, "sweeps")
    found = [name for name in os.listdir(folder) if os.path.exists(os.path.join(folder, name, "status.json"))] if os.path.isdir(folder) else []
    return found[0] if len(found) == 1 else None


def measure(binary, size, rounds, grid_size, generations, keep):
    if keep:
        data = os.path.join(keep, f"runs-{size}-grid-{grid_size}-generations-{generations}")
        os.makedirs(data, exist_ok=True)
    else:
        data = tempfile.mkdtemp(prefix=f"morphic-figures-{size}-")
    server = driver = None
    try:
        sweep_id = kept_sweep(data)
        if sweep_id:
            print(f"{size:,} runs: the sweep kept in {data}", flush=True)
        else:
            print(f"{size:,} runs: computing (grid {grid_size}, {generations} generations)…", flush=True)
            sweep_id, seconds, computing_kb = finished_sweep(binary, data, replicates=size // 100, grid_size=grid_size,
                                                             generations=generations, name=f"runs-{size}",
                                                             packed=size >= 1_000_000)
            print(f"{size:,} runs: computed and assembled by morphic sweep in {seconds:.1f} s, "
                  f"peak resident {computing_kb / 1024:.0f} MB", flush=True)
        # The usual configuration, with room for the sweep's runs.
        with open(os.path.join(PACKAGE, "Config", "server.json")) as file:
            settings = json.load(file)
        settings["limits"]["max_runs_per_sweep"] = max(size, settings["limits"]["max_runs_per_sweep"])
        config = os.path.join(data, "server.json")
        with open(config, "w") as file:
            json.dump(settings, file)
        server, url = start_server(binary, data, config=config)
        indexing = wait_until_indexed(url, sweep_id)
        indexed_kb = peak_resident_kb(server.pid)
        print(f"{size:,} runs: first aggregate answered after {indexing:.1f} s (the runs index read); "
              f"server peak resident {indexed_kb / 1024:.0f} MB", flush=True)
        downloads = tempfile.mkdtemp(prefix="morphic-downloads-")
        driver = browser(downloads)
        openings = {"light": [], "dark": []}
        with GoalProbe(driver):
            # The first opening asks for the run map and the reference's calibration, which the
            # server then computes and trains (minutes at 100,000 runs); the second is opened
            # at once, while it does: its queries compete with that work.
            for first in [True, False]:
                if first:
                    name = "first opening (asks the map and the calibration)"
                else:
                    status = api(url, f"/api/sweeps/{sweep_id}/calibration", timeout=60)[0]
                    name = f"opening while the reference {'trains' if status == 202 else f'is trained ({status})'}"
                figures = measure_sweep_view(driver, url, sweep_id, "light", timeout=300)
                print(f"{size:,} runs, {name}: " + describe(figures) + f"; load {os.getloadavg()[0]:.2f}", flush=True)
                for error in figures["errors"]:
                    print("     console: " + error)
            for round in range(1, rounds + 1):
                for scheme in ["light", "dark"]:
                    figures = measure_sweep_view(driver, url, sweep_id, scheme, timeout=300, map=True)
                    openings[scheme].append(figures)
                    print(f"{size:,} runs, {scheme}, round {round}: " + describe(figures), flush=True)
                    for error in figures["errors"]:
                        print("     console: " + error)
        queried_kb = peak_resident_kb(server.pid)
        print(f"{size:,} runs: server peak resident after {2 * rounds} openings {queried_kb / 1024:.0f} MB")
        for scheme, taken in openings.items():
            print(f"{size:,} runs, {scheme}, {len(taken)} rounds: "
                  + "; ".join(f"{name} {spread([f['marks'][key] for f in taken])} ms" for key, name in PARTS)
                  + f"; elements {spread([f['elements'] for f in taken])}"
                  + f"; transferred {spread([f['transferred'] / 1e3 for f in taken])} KB"
                  + f"; longest task {spread([max(f['tasks'], default=0) for f in taken])} ms"
                  + (f"; map drawn {spread([f['marks']['map'] for f in taken])} ms, longest task from its answers on "
                     f"{spread([max(f['map_tasks'], default=0) for f in taken])} ms" if all(f['marks'].get('map') for f in taken) else "")
                  + f"; console errors {sum(len(f['errors']) for f in taken)}", flush=True)
        shutil.rmtree(downloads, ignore_errors=True)
    finally:
        if driver:
            driver.quit()
        if server:
            stop(server)
        if not keep:
            shutil.rmtree(data, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary")
    parser.add_argument("--sizes", default="100000,1000000", help="run counts, multiples of 100")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--grid-size", type=int, default=8)
    parser.add_argument("--generations", type=int, default=10)
    parser.add_argument("--keep", help="keep the sweeps' data directories here, and use those already there")
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    if any(size < 100 or size % 100 for size in sizes):
        parser.error("--sizes must be multiples of 100")
    print("load: " + subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(), flush=True)
    for size in sizes:
        measure(os.path.abspath(options.binary), size, options.rounds, options.grid_size, options.generations, options.keep)
        print("load: " + subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
