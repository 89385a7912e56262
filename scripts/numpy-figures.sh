#!/usr/bin/env bash
# The seed sweep (Config/sweeps/seed.json, 80 runs) through `morphic sweep` and through the
# numpy reference (benchmarks/numpy_reference.py), side by side on the same machine: rounds
# taken in turn (the first command of a round alternates), each command's CPU time (user +
# system, the child's own rusage, every thread) and wall time printed, then the ratio of
# CPU times with its spread. The last round's runs are compared bit for bit, so both did the
# same work. `morphic sweep` also writes every dataset file and the archive; the reference
# writes its runs' series and crystals as one JSON file.
#   scripts/numpy-figures.sh [rounds, default 5]
# MORPHIC=path chooses the binary (default .build/release/morphic: a release build),
# DEFINITION=path another sweep (of grid points and replicates; default the seed sweep);
# CALLGRIND=1 also counts both sides' instructions once under valgrind (minutes), a figure
# the machine's load does not move. Not part of the test suite: its figures follow the load.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
morphic=${MORPHIC:-.build/release/morphic}
definition=${DEFINITION:-Config/sweeps/seed.json}
[ -x "$morphic" ] || { echo "numpy-figures: no binary at $morphic (swift build -c release, or MORPHIC=path)" >&2; exit 1; }
python3 -c 'import numpy' 2> /dev/null || { echo "numpy-figures: numpy is needed (pip install numpy)" >&2; exit 1; }
work=$(mktemp -d /tmp/morphic-numpy-figures.XXXXXX)
trap 'rm -rf "$work"' EXIT

python3 - "$morphic" "$definition" "$work" "$rounds" <<'PY'
import os, resource, statistics, subprocess, sys, time
morphic, definition, work, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


def timed(command):
    """CPU seconds (user + system, from the child's rusage), wall seconds and standard
    error of a command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          timeout=3600)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, wall, done.stderr


def load():
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


print(f"{definition}: morphic {morphic} against benchmarks/numpy_reference.py (numpy "
      f"{__import__('numpy').__version__}), {rounds} rounds, load {load()}")
print("round | morphic CPU s (wall) | numpy CPU s (wall) | CPU ratio | numpy's runs alone, CPU s | load")
ratios, walls, ours, theirs, alone = [], [], [], [], []
for r in range(1, rounds + 1):
    # A fresh folder each round: `morphic sweep` skips the runs a folder already holds.
    dataset, runs = os.path.join(work, f"dataset-{r}"), os.path.join(work, f"runs-{r}.json")
    sides = {
        "morphic": [morphic, "sweep", definition, "--output", dataset, "--quiet"],
        "numpy": [sys.executable, "benchmarks/numpy_reference.py", "sweep", definition, "--output", runs],
    }
    order = ["morphic", "numpy"] if r % 2 else ["numpy", "morphic"]
    measured = {side: timed(sides[side]) for side in order}
    (m, mw, _), (n, nw, said) = measured["morphic"], measured["numpy"]
    # The reference's own figure: its runs without the interpreter's start and numpy's import.
    a = float(said.split(" runs in ")[1].split()[0])
    ours.append(m); theirs.append(n); ratios.append(n / m); walls.append(nw / mw); alone.append(a)
    print(f"{r} | {m:.3f} ({mw:.2f}) | {n:.3f} ({nw:.2f}) | {n / m:.1f} | {a:.3f} | {load()}", flush=True)
    if r < rounds:
        subprocess.run(["rm", "-rf", dataset, runs], check=True)

print(f"CPU ratio: median {statistics.median(ratios):.1f}, {min(ratios):.1f} to {max(ratios):.1f} over {rounds} rounds; "
      f"morphic {min(ours):.3f}-{max(ours):.3f} s, numpy {min(theirs):.3f}-{max(theirs):.3f} s "
      f"(its runs alone {min(alone):.3f}-{max(alone):.3f} s); wall-time ratio {min(walls):.1f} to {max(walls):.1f}")
check = subprocess.run([sys.executable, "benchmarks/numpy_reference.py", "compare", dataset, "--runs", runs],
                       capture_output=True, text=True, timeout=600)
print("same runs:", check.stdout.strip().splitlines()[-1] if check.stdout.strip() else check.stderr.strip())
if check.returncode != 0:
    print(check.stdout, file=sys.stderr)
    sys.exit(1)
PY

if [ "${CALLGRIND:-0}" = 1 ]; then
    command -v valgrind > /dev/null || { echo "numpy-figures: CALLGRIND=1 needs valgrind" >&2; exit 1; }
    # Whole processes, children and threads included; the total of each side's Ir lines.
    count() {
        valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$work/$1.%p" "${@:2}" > /dev/null 2>&1
        cat "$work/$1".* | sed -n 's/^summary: //p' | awk '{ s += $1 } END { printf "%.3f G\n", s / 1e9 }'
    }
    m=$(count morphic "$morphic" sweep "$definition" --output "$work/callgrind-dataset" --quiet)
    # The interpreter itself, not a launcher in front of it (pyenv's shim is a shell script).
    python=$(python3 -c 'import sys; print(sys.executable)')
    n=$(count numpy "$python" benchmarks/numpy_reference.py sweep "$definition" --output "$work/callgrind-runs.json")
    echo "instructions (callgrind): morphic $m, numpy $n"
fi
