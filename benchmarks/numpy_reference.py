#!/usr/bin/env python3
"""The morphic Life model (docs/model.md, version 1) in plain numpy, as a researcher would
write it: one run at a time, each step vectorised over the grid's cells (windows packed into
integers by shifted slices, crystals compared by popcount on whole arrays, draws made for
every cell at once). It is the yardstick `scripts/numpy-figures.sh` times `morphic sweep`
against, and it computes the same model: every model vector and every run of a sweep are
checked against it (`vectors`, `compare`, and Tests/benchmarks/test_numpy_reference.py).

    python3 benchmarks/numpy_reference.py sweep Config/sweeps/seed.json [--output runs.json]
    python3 benchmarks/numpy_reference.py vectors Tests/MorphicDataTests/ModelVectors
    python3 benchmarks/numpy_reference.py compare DATASET_FOLDER --runs runs.json

Covered: classical and morphic modes, every rule, both boundaries, forms of 3, 5 and 7,
Hamming and Jaccard similarity, decay, crystallization and eviction, every series of the
model, and sweeps of grid points and replicates. Not covered (refused by name): coupled
runs (cross_system_coupling > 0), llm_control, and sampled or listed sweep points.

Exactness: integers are exact; each floating-point value is computed by the operations the
model names, in its order (Python floats and numpy float64 are IEEE doubles, `math.exp` and
`math.pow` are the C library's, as docs/model.md asks), and the complexity's sums are
sequential (`np.cumsum`) rather than numpy's pairwise `np.sum`, so results match morphic's
bit for bit. The model vectors' complexity was added pairwise (`np.std`), up to 8 ulp away:
`vectors --pairwise-complexity` matches them bit for bit too.
"""
import argparse
import itertools
import json
import math
import os
import sys
import time

import numpy as np

if not hasattr(np, "bitwise_count"):
    sys.exit(f"numpy_reference: numpy 2.0 or later is needed (np.bitwise_count); this is {np.__version__}")

MASK = (1 << 64) - 1
INIT, STRENGTH, INFLUENCE = 1, 2, 3
MODEL_VERSION = "morphic-life/1"

# docs/model.md section 1, in its order (the order grid axes combine in), with defaults.
DEFAULTS = {
    "mode": "classical", "grid_size": 25, "generations": 200, "initial_density": 0.4,
    "rule": "B3/S23", "boundary": "dead", "crystal_count": 5, "field_strength": 0.6,
    "temporal_decay": 0.1, "similarity_threshold": 0.7, "influence_exponent": 2.0,
    "cross_system_coupling": 0.0, "form_size": 5, "similarity": "hamming",
    "crystallization_interval": 10, "min_form_cells": 3, "reinforcement": 0.1,
    "resonance_threshold": 0.8, "seed": None,
}
SERIES = ["population", "complexity", "volatility", "pattern_diversity", "morphic_influence_rate",
          "override_rate", "resonance_events", "crystal_count"]


# --- Randomness (section 2) -------------------------------------------------------------

def mix64(z):
    """SplitMix64's finalizer on a Python int."""
    z ^= z >> 30
    z = (z * 0xBF58476D1CE4E5B9) & MASK
    z ^= z >> 27
    z = (z * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def mix64_array(z):
    """The same on a uint64 array (numpy's unsigned products wrap, as the model's do)."""
    z = z ^ (z >> np.uint64(30))
    z = z * np.uint64(0xBF58476D1CE4E5B9)
    z = z ^ (z >> np.uint64(27))
    z = z * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def unit(seed, stream, a, b):
    return (mix64(mix64(mix64(mix64(seed) ^ stream) ^ a) ^ b) >> 11) * 2.0 ** -53


def units(seed, stream, a, cells):
    """unit(seed, stream, a, i) for i = 0 … cells−1, as float64."""
    base = np.uint64(mix64(mix64(mix64(seed) ^ stream) ^ a))
    r = mix64_array(base ^ np.arange(cells, dtype=np.uint64))
    # Exact: a 53-bit integer converts to a double without rounding, and 2^-53 is a power of two.
    return (r >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def fnv1a64(text):
    value = 0xCBF29CE484222325
    for byte in text.encode():
        value = ((value ^ byte) * 0x100000001B3) & MASK
    return value


def run_seed(config, run_id, sweep_seed):
    if config.get("seed") is not None:
        return int(config["seed"])
    return mix64((sweep_seed ^ fnv1a64(run_id)) & MASK)


# --- Windows ----------------------------------------------------------------------------

def padded(state, r, torus):
    """The grid as uint64 with a margin of r cells: dead, or the grid's other side on a torus."""
    n = state.shape[0]
    if torus:
        around = np.arange(-r, n + r) % n
        return state.astype(np.uint64)[around][:, around]
    p = np.zeros((n + 2 * r, n + 2 * r), dtype=np.uint64)
    p[r:r + n, r:r + n] = state
    return p


SHIFTS = [np.uint64(b) for b in range(64)]


def windows(p, n, k, margin):
    """Each cell's k×k window packed into a uint64, from the grid padded by `margin` ≥ r:
    bit (dy+r)*k + (dx+r) is the cell at (x+dx, y+dy). Packed a row at a time (k shifted
    slices), then the rows (k more)."""
    r = (k - 1) // 2
    o = margin - r
    rows = p[o:o + n + 2 * r, o:o + n] << SHIFTS[0]
    for dx in range(1, k):
        rows |= p[o:o + n + 2 * r, o + dx:o + dx + n] << SHIFTS[dx]
    w = rows[0:n].copy()
    for dy in range(1, k):
        w |= rows[dy:dy + n] << SHIFTS[dy * k]
    return w.ravel()


def rule_table(rule):
    """A 512-entry table: the rule's answer for each 3×3 window (centre bit 4)."""
    text = rule.upper()
    if "/" not in text:
        raise ValueError(f"rule: {rule!r} is not of the form B…/S…")
    born, survive = text.split("/", 1)
    if not born.startswith("B") or not survive.startswith("S") or \
            not all(c in "012345678" for c in born[1:] + survive[1:]):
        raise ValueError(f"rule: {rule!r} is not of the form B…/S…")
    birth = {int(c) for c in born[1:]}
    stay = {int(c) for c in survive[1:]}
    table = np.zeros(512, dtype=np.uint8)
    for w in range(512):
        alive = (w >> 4) & 1
        neighbours = bin(w & ~(1 << 4)).count("1")
        table[w] = neighbours in (stay if alive else birth)
    return table


# --- One run ----------------------------------------------------------------------------

class Crystal:
    __slots__ = ("id", "form", "outcome", "strength", "generation_created", "last_used",
                 "activations", "overrides")

    def __init__(self, id, form, outcome, strength, generation_created):
        self.id, self.form, self.outcome, self.strength = id, form, outcome, strength
        self.generation_created, self.last_used = generation_created, None
        self.activations = self.overrides = 0

    def record(self):
        return {"id": self.id, "form": self.form, "outcome": self.outcome, "strength": self.strength,
                "generation_created": self.generation_created, "last_used": self.last_used,
                "activations": self.activations, "overrides": self.overrides}


def check(config):
    """Refuses, by name, what this reference does not compute."""
    mode = "classical" if config["mode"] == "control" else config["mode"]
    if mode not in ("classical", "morphic"):
        raise ValueError(f"mode: {config['mode']!r} is not computed by the numpy reference")
    if mode == "morphic" and float(config["cross_system_coupling"]) > 0:
        raise ValueError("cross_system_coupling: coupled runs are not computed by the numpy reference")
    if int(config["form_size"]) not in (3, 5, 7):
        raise ValueError("form_size: must be 3, 5 or 7")
    if config["boundary"] not in ("dead", "torus"):
        raise ValueError(f"boundary: {config['boundary']!r} is neither dead nor torus")
    if config["similarity"] not in ("hamming", "jaccard"):
        raise ValueError(f"similarity: {config['similarity']!r} is neither hamming nor jaccard")
    return mode


def simulate(config, run_id="run", sweep_seed=0, pairwise=False):
    """One run of docs/model.md: its seed, initial population, series, convergence and
    final crystals (the shape of a model vector's `expected`). `pairwise` adds the
    complexity's terms as `np.std` does (pairwise) rather than one at a time in row-major
    order as morphic does: the model vectors were made that way."""
    unknown = sorted(set(config) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"{unknown[0]}: not a parameter of the model")
    config = {**DEFAULTS, **config}
    mode = check(config)
    n = int(config["grid_size"])
    generations = int(config["generations"])
    torus = config["boundary"] == "torus"
    seed = run_seed(config, run_id, sweep_seed)
    cells = n * n
    rule = rule_table(config["rule"])

    state = (units(seed, INIT, 0, cells) < float(config["initial_density"])).astype(np.uint8).reshape(n, n)
    initial_population = int(state.sum())

    morphic = mode == "morphic"
    k = int(config["form_size"])
    kk = k * k
    phi = float(config["field_strength"])
    delta = float(config["temporal_decay"])
    theta = float(config["similarity_threshold"])
    exponent = float(config["influence_exponent"])
    capacity = int(config["crystal_count"])
    interval = int(config["crystallization_interval"])
    min_cells = int(config["min_form_cells"])
    eta = float(config["reinforcement"])
    resonance_threshold = float(config["resonance_threshold"])
    jaccard = config["similarity"] == "jaccard"
    # sim and sim^e for every popcount (Hamming) or pair of popcounts (Jaccard): the same
    # divisions and C-library pow the model names, made once rather than once a cell.
    if jaccard:
        sim_table = np.array([[a / b if b else 0.0 for b in range(kk + 1)] for a in range(kk + 1)])
        pow_table = np.array([[math.pow(a / b, exponent) if b else 0.0 for b in range(kk + 1)] for a in range(kk + 1)])
    else:
        sim_table = np.array([(kk - d) / kk for d in range(kk + 1)])
        pow_table = np.array([math.pow((kk - d) / kk, exponent) for d in range(kk + 1)])
    crystals = []
    next_id = 1

    # Blocks of the complexity: top-left (3a, 3b), inside the grid.
    blocks = n // 3
    interior = slice(None) if torus else slice(1, n - 1)

    series = {name: [] for name in SERIES}
    history = [state.tobytes()]  # S_{t-7} … S_t for the convergence test
    convergence = None
    previous_population = initial_population
    margin = max(1, (k - 1) // 2) if morphic else 1
    pad = padded(state, margin, torus)
    w3 = windows(pad, n, 3, margin)

    for t in range(generations):
        conway = rule[w3]
        applied_count = overrides = resonance = 0
        crystallizing = morphic and capacity > 0 and (t + 1) % interval == 0
        if morphic:
            # The crystals' windows are needed only to compare with crystals or to crystallize.
            wk = w3 if k == 3 or not (crystals or crystallizing) else windows(pad, n, k, margin)
            nxt = conway
            if crystals:
                forms = np.array([c.form for c in crystals], dtype=np.uint64)
                outcomes = np.array([c.outcome for c in crystals], dtype=np.uint8)
                # φ · weight · strength first, then · sim^e, then · exp(−δ·age): left to right.
                scale = np.array([phi * 1.0 * c.strength for c in crystals])
                decay = np.array([math.exp(-delta * float(t - c.generation_created)) for c in crystals])
                if jaccard:
                    both = np.bitwise_count(wk[None, :] & forms[:, None])
                    either = np.bitwise_count(wk[None, :] | forms[:, None])
                    sim, power = sim_table[both, either], pow_table[both, either]
                else:
                    distance = np.bitwise_count(wk[None, :] ^ forms[:, None])
                    sim, power = sim_table[distance], pow_table[distance]
                influence = scale[:, None] * power * decay[:, None]
                influence = np.where((sim > theta) & (wk != 0)[None, :], influence, -np.inf)
                winner = np.argmax(influence, axis=0)  # the first on ties
                best = influence[winner, np.arange(cells)]
                has = best > -np.inf
                resonance = int(np.count_nonzero(has & (best > resonance_threshold)))
                applied = has & (units(seed, INFLUENCE, t, cells) < best)
                taken = winner[applied]
                if taken.size:
                    nxt = conway.copy()
                    nxt[applied] = outcomes[taken]
                    differs = outcomes[taken] != conway[applied]
                    activations = np.bincount(taken, minlength=len(crystals))
                    overridden = np.bincount(taken[differs], minlength=len(crystals))
                    for c, a, o in zip(crystals, activations, overridden):
                        if a:
                            c.activations += int(a)
                            c.overrides += int(o)
                            c.last_used = t
                    applied_count = int(taken.size)
                    overrides = int(np.count_nonzero(differs))
        else:
            nxt = conway
        new_state = nxt.reshape(n, n)

        # Crystallization after step t, from the windows of S_t and the cells of S_{t+1}.
        if crystallizing:
            candidates = (state.ravel() == 1) & (np.bitwise_count(wk) >= min_cells)
            if candidates.any():
                habits = (wk[candidates] << np.uint64(1)) | nxt[candidates].astype(np.uint64)
                values, counts = np.unique(habits, return_counts=True)
                habit = int(values[np.argmax(counts)])  # ascending: ties to the smallest form, then outcome
                form, outcome = habit >> 1, habit & 1
                same = next((c for c in crystals if c.form == form and c.outcome == outcome), None)
                if same is not None:
                    same.strength += eta * (1 - same.strength)
                else:
                    if len(crystals) >= capacity:
                        weakest = min(crystals, key=lambda c: (
                            c.strength * math.exp(-delta * float(t + 1 - c.generation_created)), c.id))
                        crystals.remove(weakest)
                    strength = 0.1 + 0.7 * unit(seed, STRENGTH, next_id, 0)
                    crystals.append(Crystal(next_id, form, outcome, strength, t + 1))
                    next_id += 1

        state = new_state
        pad = padded(state, margin, torus)
        w3 = windows(pad, n, 3, margin)
        population = int(state.sum())
        terms = state[:3 * blocks, :3 * blocks].reshape(blocks, 3, blocks, 3).sum(axis=(1, 3)).ravel() / 9
        if pairwise:
            complexity = np.std(terms)
        elif terms.size:
            mean = np.cumsum(terms)[-1] / terms.size
            complexity = math.sqrt(np.cumsum((terms - mean) * (terms - mean))[-1] / terms.size)
        else:
            complexity = 0.0
        seen = np.zeros(512, dtype=bool)
        seen[w3.reshape(n, n)[interior, interior].ravel()] = True
        series["population"].append(population)
        series["complexity"].append(float(complexity))
        series["volatility"].append(abs(population - previous_population) / max(1, previous_population))
        series["pattern_diversity"].append(int(np.count_nonzero(seen)))
        series["morphic_influence_rate"].append(applied_count / cells)
        series["override_rate"].append(overrides / cells)
        series["resonance_events"].append(resonance)
        series["crystal_count"].append(len(crystals))
        previous_population = population

        current = state.tobytes()
        if convergence is None and current in history:
            convergence = t
        history.append(current)
        if len(history) > 8:
            del history[0]

    return {"seed": seed, "initial_population": initial_population, "convergence_generation": convergence,
            "timeseries": series, "crystals": [c.record() for c in crystals]}


# --- Sweeps -----------------------------------------------------------------------------

def expand(definition):
    """(run_id, config) of every run of a sweep definition with grids and replicates."""
    runs = []
    for group in definition["groups"]:
        unknown = sorted(set(group) - {"prefix", "mode", "replicates", "params", "grid", "sample", "points"})
        if unknown:
            raise ValueError(f"groups.{unknown[0]}: not a key of a group")
        for refused in ("sample", "points"):
            if refused in group:
                raise ValueError(f"groups.{refused}: not expanded by the numpy reference")
        base = {**definition.get("defaults", {}), **group.get("params", {})}
        if "mode" in group:
            base["mode"] = group["mode"]
        grid = group.get("grid", {})
        for key in grid:
            if key not in DEFAULTS:
                raise ValueError(f"grid.{key}: unknown parameter")
        axes = [key for key in DEFAULTS if key in grid]
        number = 1
        for point in itertools.product(*(grid[key] for key in axes)):
            for _ in range(int(group.get("replicates", 1))):
                runs.append((f"{group['prefix']}_{number}", {**base, **dict(zip(axes, point))}))
                number += 1
    return runs


def sweep(definition):
    seed = int(definition.get("seed", 0))
    return {run_id: simulate(config, run_id, seed) for run_id, config in expand(definition)}


# --- Checks -----------------------------------------------------------------------------

def ulps(a, b):
    """How many doubles apart two finite values are."""
    x, y = np.array([a, b], dtype=np.float64).view(np.int64)
    x, y = (x if x >= 0 else -(x & 0x7FFFFFFFFFFFFFFF)), (y if y >= 0 else -(y & 0x7FFFFFFFFFFFFFFF))
    return abs(int(x) - int(y))


def differences(produced, expected, tolerance):
    """(faults, inexact): what differs beyond `tolerance` between a run and a vector's
    `expected`, and, of the floating-point values within it, which are not bit for bit."""
    faults, inexact = [], []
    for key in ("seed", "initial_population", "convergence_generation"):
        if produced[key] != expected[key]:
            faults.append(f"{key}: {produced[key]} vs {expected[key]}")
    pairs = []
    for name in SERIES:
        mine, theirs = produced["timeseries"][name], expected["timeseries"][name]
        if len(mine) != len(theirs):
            faults.append(f"{name}: {len(mine)} generations vs {len(theirs)}")
        pairs.append((name, list(zip(mine, theirs))))
    if len(produced["crystals"]) != len(expected["crystals"]):
        faults.append(f"crystals: {len(produced['crystals'])} vs {len(expected['crystals'])}")
    for mine, theirs in zip(produced["crystals"], expected["crystals"]):
        pairs.append((f"crystal {theirs.get('id')} ", [(mine[key], value) for key, value in theirs.items()]))
    for name, values in pairs:
        apart = []
        for t, (a, b) in enumerate(values):
            if isinstance(a, float) or isinstance(b, float):
                if a is None or b is None or not abs(float(a) - float(b)) <= tolerance:
                    faults.append(f"{name} differs first at {t}: {a!r} vs {b!r}")
                    break
                if float(a) != float(b):
                    apart.append(ulps(float(a), float(b)))
            elif a != b:
                faults.append(f"{name} differs first at {t}: {a!r} vs {b!r}")
                break
        if apart:
            inexact.append(f"{name}: {len(apart)} of {len(values)} values differ, by at most {max(apart)} ulp")
    return faults, inexact


def check_vectors(folder, tolerance=1e-12, pairwise=False):
    """Every model vector in `folder` (integers exactly, floating-point values within
    `tolerance`, the vectors' own); returns (matched, bit for bit, total)."""
    files = sorted(f for f in os.listdir(folder) if f.endswith(".json"))
    matched = exact = 0
    for name in files:
        vector = json.load(open(os.path.join(folder, name)))
        config = dict(vector["config"])
        run_id = config.pop("run_id", "run")
        sweep_seed = int(config.pop("sweep_seed", 0))
        faults, inexact = differences(simulate(config, run_id, sweep_seed, pairwise), vector["expected"], tolerance)
        verdict = "DIFFERS" if faults else f"matches within {tolerance:g}" if inexact else "matches bit for bit"
        print(f"{name}: {verdict}")
        for line in faults + inexact:
            print("    " + line)
        matched += not faults
        exact += not faults and not inexact
    return matched, exact, len(files)


def expected_of(record):
    """A morphic run record (`<run_id>.json`) in the shape of a vector's `expected`."""
    return {"seed": record["config"]["seed"], "initial_population": record["metadata"]["initial_population"],
            "convergence_generation": record["summary_stats"]["convergence_generation"],
            "timeseries": {name: record["timeseries"][name] for name in SERIES},
            "crystals": [{"form" if key == "form_bits" else key: value for key, value in c.items() if key != "form"}
                         for c in record["crystals"]]}


def record_files(path):
    """A record file, or every run record of a dataset folder (as its manifest lists them)."""
    if not os.path.isdir(path):
        return [path]
    manifest = os.path.join(path, "manifest.json")
    if os.path.exists(manifest):
        runs = json.load(open(manifest)).get("runs")
        if isinstance(runs, list) and runs and "file" in runs[0]:
            return [os.path.join(path, run["file"]) for run in runs]
    return sorted(os.path.join(path, f) for f in os.listdir(path)
                  if f.endswith(".json") and f != "manifest.json")


def compare_records(paths, runs=None):
    """Each morphic record against the reference, bit for bit: against `runs` (the output
    of `sweep`) when given, else against the record's own configuration computed again.
    Returns (matched, total)."""
    matched = total = 0
    for path in paths:
        record = json.load(open(path))
        run_id = record["run_id"]
        if runs is not None:
            mine = runs.pop(run_id, None)
            if mine is None:
                print(f"{run_id}: not among the reference's runs")
                total += 1
                continue
        else:
            # The record's configuration holds the seed it used, so no sweep seed is needed.
            config = {key: value for key, value in record["config"].items() if key in DEFAULTS}
            mine = simulate(config, run_id)
        faults, inexact = differences(mine, expected_of(record), 0.0)
        for line in faults:
            print(f"{run_id}: {line}")
        matched += not faults
        total += 1
    for run_id in sorted(runs or ()):
        print(f"{run_id}: computed by the reference but absent from the records")
        total += 1
    return matched, total


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("sweep", help="every run of a sweep definition; CPU seconds on stderr")
    run.add_argument("definition")
    run.add_argument("--output", help="the runs as JSON (run_id: seed, series, crystals)")
    vectors = commands.add_parser("vectors", help="check against every model vector in a folder")
    vectors.add_argument("folder")
    vectors.add_argument("--tolerance", type=float, default=1e-12,
                         help="for floating-point values [1e-12, the vectors' own]; 0: bit for bit")
    vectors.add_argument("--pairwise-complexity", action="store_true",
                         help="add the complexity's terms pairwise, as np.std (and the vectors) do")
    compare = commands.add_parser("compare", help="check morphic records bit for bit: a record file or a dataset folder, "
                                  "against runs.json from `sweep`, or else each against its own configuration")
    compare.add_argument("records", nargs="+")
    compare.add_argument("--runs", help="the output of `sweep`")
    arguments = parser.parse_args()
    try:
        if arguments.command == "sweep":
            started = time.process_time()
            runs = sweep(json.load(open(arguments.definition)))
            if arguments.output:
                with open(arguments.output + ".partial", "w") as out:
                    json.dump(runs, out)
                os.replace(arguments.output + ".partial", arguments.output)
            print(f"{len(runs)} runs in {time.process_time() - started:.3f} s CPU", file=sys.stderr)
        elif arguments.command == "vectors":
            matched, exact, total = check_vectors(arguments.folder, arguments.tolerance, arguments.pairwise_complexity)
            print(f"{matched} of {total} model vectors match ({exact} bit for bit)")
            return 0 if matched == total else 1
        else:
            runs = json.load(open(arguments.runs)) if arguments.runs else None
            paths = [f for path in arguments.records for f in record_files(path)]
            matched, total = compare_records(paths, runs)
            print(f"{matched} of {total} runs match bit for bit")
            return 0 if matched == total else 1
    except (ValueError, KeyError, OSError) as error:
        print(f"numpy_reference: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
