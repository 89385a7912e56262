#!/usr/bin/env python3
"""The morphic Life model (docs/model.md, version 1) in plain numpy, as a researcher would
write it: one run at a time, each step vectorised over the grid's cells (windows packed into
integers by shifted slices, crystals compared by popcount on whole arrays, draws made for
every cell at once). It is the yardstick `scripts/numpy-figures.sh` times `morphic sweep`
against, and it computes the same model: every model vector and every run of a sweep are
checked against it (`vectors`, `compare`, and Tests/benchmarks/test_numpy_reference.py).

    python3 benchmarks/numpy_reference.py sweep Config/sweeps/seed.json [--output runs.json]
    python3 benchmarks/numpy_reference.py vectors Tests/MorphicDataTests/ModelVectors
    python3 benchmarks/numpy_reference.py compare runs.json DATASET_FOLDER

Covered: classical and morphic modes, every rule, both boundaries, forms of 3, 5 and 7,
Hamming and Jaccard similarity, decay, crystallization and eviction, every series of the
model, and sweeps of grid points and replicates. Not covered (refused by name): coupled
runs (cross_system_coupling > 0), llm_control, and sampled or listed sweep points.

Exactness: integers are exact; each floating-point value is computed by the operations the
model names, in its order (Python floats and numpy float64 are IEEE doubles, `math.exp` and
`math.pow` are the C library's, as docs/model.md asks), and the complexity's sums are
sequential (`np.cumsum`) rather than numpy's pairwise `np.sum`, so results match bit for bit.
"""
import argparse
import itertools
import json
import math
import os
import sys
import time

import numpy as np

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
    return np.pad(state, r, mode="wrap" if torus else "constant")


def windows(state, k, torus):
    """Each cell's k×k window packed into a uint64: bit (dy+r)*k + (dx+r) is the cell at
    (x+dx, y+dy). Packed a row at a time (k shifted slices), then the rows (k more)."""
    n = state.shape[0]
    r = (k - 1) // 2
    p = padded(state.astype(np.uint64), r, torus)
    rows = np.zeros((n + 2 * r, n), dtype=np.uint64)
    for dx in range(k):
        rows |= p[:, dx:dx + n] << np.uint64(dx)
    w = np.zeros((n, n), dtype=np.uint64)
    for dy in range(k):
        w |= rows[dy:dy + n, :] << np.uint64(dy * k)
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


def simulate(config, run_id="run", sweep_seed=0):
    """One run of docs/model.md: its seed, initial population, series, convergence and
    final crystals (the shape of a model vector's `expected`)."""
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
    w3 = windows(state, 3, torus)

    for t in range(generations):
        conway = rule[w3]
        applied_count = overrides = resonance = 0
        if morphic:
            wk = w3 if k == 3 else windows(state, k, torus)
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
        if morphic and capacity > 0 and (t + 1) % interval == 0:
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
        w3 = windows(state, 3, torus)
        population = int(state.sum())
        terms = state[:3 * blocks, :3 * blocks].reshape(blocks, 3, blocks, 3).sum(axis=(1, 3)).ravel() / 9
        if terms.size:
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

def same(produced, wanted, tolerance=0.0):
    """Integers and null exactly; floating-point values within `tolerance` (0: bit for bit)."""
    if isinstance(produced, float) or isinstance(wanted, float):
        return produced is not None and wanted is not None and abs(float(produced) - float(wanted)) <= tolerance
    return produced == wanted


def differences(produced, expected, tolerance=0.0):
    """What differs between a run and a vector's `expected`, first generation of each series."""
    found = []
    for key in ("seed", "initial_population", "convergence_generation"):
        if produced[key] != expected[key]:
            found.append(f"{key}: {produced[key]} vs {expected[key]}")
    for name in SERIES:
        mine, theirs = produced["timeseries"][name], expected["timeseries"][name]
        if len(mine) != len(theirs):
            found.append(f"{name}: {len(mine)} generations vs {len(theirs)}")
        for t, (a, b) in enumerate(zip(mine, theirs)):
            if not same(a, b, tolerance):
                found.append(f"{name} differs first at generation {t}: {a!r} vs {b!r}")
                break
    if len(produced["crystals"]) != len(expected["crystals"]):
        found.append(f"crystals: {len(produced['crystals'])} vs {len(expected['crystals'])}")
    for mine, theirs in zip(produced["crystals"], expected["crystals"]):
        for key, value in theirs.items():
            if not same(mine[key], value, tolerance):
                found.append(f"crystal {theirs.get('id')}: {key} {mine[key]!r} vs {value!r}")
    return found


def check_vectors(folder, tolerance=0.0):
    """Every model vector in `folder`; returns (matched, total)."""
    files = sorted(f for f in os.listdir(folder) if f.endswith(".json"))
    matched = 0
    for name in files:
        vector = json.load(open(os.path.join(folder, name)))
        config = dict(vector["config"])
        run_id = config.pop("run_id", "run")
        sweep_seed = int(config.pop("sweep_seed", 0))
        found = differences(simulate(config, run_id, sweep_seed), vector["expected"], tolerance)
        print(f"{name}: {'matches bit for bit' if not found and tolerance == 0 else 'matches' if not found else 'DIFFERS'}")
        for line in found:
            print("    " + line)
        matched += not found
    return matched, len(files)


def compare_dataset(runs, folder):
    """Every run's series against a `morphic sweep` dataset's timeseries.npz, bit for bit;
    returns (runs matched, runs)."""
    arrays = np.load(os.path.join(folder, "timeseries.npz"), allow_pickle=False)
    ids = [str(i) for i in arrays["run_id"]]
    matched = 0
    for row, run_id in enumerate(ids):
        mine = runs.get(run_id)
        if mine is None:
            print(f"{run_id}: not in the reference's runs")
            continue
        bad = []
        for name in SERIES:
            # The series an observer cannot see carry the prefix hidden_ in a dataset.
            stored = name if name in arrays.files else "hidden_" + name
            if stored not in arrays.files:
                bad.append(name + " (absent)")
                continue
            theirs = arrays[stored][row]
            theirs = theirs[~np.isnan(theirs)] if theirs.dtype.kind == "f" else theirs
            ours = np.asarray(mine["timeseries"][name], dtype=np.float64)
            if theirs.shape != ours.shape or not np.array_equal(theirs.astype(np.float64), ours):
                bad.append(name)
        if bad:
            print(f"{run_id}: differs in {', '.join(bad)}")
        matched += not bad
    missing = set(runs) - set(ids)
    for run_id in sorted(missing):
        print(f"{run_id}: not in the dataset")
    return matched, len(ids) + len(missing)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("sweep", help="every run of a sweep definition; CPU seconds on stderr")
    run.add_argument("definition")
    run.add_argument("--output", help="the runs as JSON (run_id: seed, series, crystals)")
    vectors = commands.add_parser("vectors", help="check against every model vector in a folder")
    vectors.add_argument("folder")
    vectors.add_argument("--tolerance", type=float, default=0.0)
    compare = commands.add_parser("compare", help="check runs.json against a morphic dataset folder")
    compare.add_argument("runs")
    compare.add_argument("dataset")
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
            matched, total = check_vectors(arguments.folder, arguments.tolerance)
            print(f"{matched} of {total} model vectors match")
            return 0 if matched == total else 1
        else:
            matched, total = compare_dataset(json.load(open(arguments.runs)), arguments.dataset)
            print(f"{matched} of {total} runs match the dataset bit for bit")
            return 0 if matched == total else 1
    except (ValueError, KeyError, OSError) as error:
        print(f"numpy_reference: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
