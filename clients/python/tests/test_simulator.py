"""The simulator: θ batches in, observable features out, as `morphic sweep` computes them."""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import pickle
import signal
import sys
import time
import urllib.request
from concurrent.futures import ProcessPoolExecutor
import types
from typing import Any, Dict, List

import numpy as np
import pytest

import morphiclab
from conftest import morphic_sweep

BASE: Dict[str, Any] = {
    "name": "simulated", "seed": 11, "defaults": {"generations": 40, "grid_size": 14},
    "groups": [{"prefix": "sim", "mode": "morphic", "params": {"crystal_count": 4},
                "grid": {"field_strength": [0.5]}}],
}


def test_x_equals_the_features_morphic_sweep_computes(client: morphiclab.Client, binary: str, tmp_path: Any) -> None:
    base = tmp_path / "base.json"
    base.write_text(json.dumps(BASE))
    simulate = client.simulator(base=str(base), parameters=["field_strength", "temporal_decay", "crystal_count"])
    rng = np.random.default_rng(5)
    theta = np.column_stack([rng.uniform(0, 1, 9), rng.uniform(0, 1, 9), rng.integers(1, 6, 9)])
    x = simulate(theta)
    assert isinstance(x, np.ndarray) and x.dtype == np.float64
    definition = simulate.definition(theta, call=0)
    # The call's sweep seed, drawn from the simulator's seed (the base's), the call's number
    # and θ's values.
    digest = hashlib.sha256(theta.astype("<f8").tobytes()).digest()
    words = [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 32, 4)]
    low, high = np.random.SeedSequence([11, 0, *words]).generate_state(2, dtype=np.uint32).tolist()
    assert definition["name"] == "simulated" and definition["seed"] == low | high << 32
    assert simulate.definition(theta, call=1)["seed"] != definition["seed"]
    group = definition["groups"][0]
    assert group["prefix"] == "sim" and "grid" not in group and "params" not in group
    assert group["points"][0] == {"field_strength": theta[0, 0], "temporal_decay": theta[0, 1],
                                  "crystal_count": int(theta[0, 2])}
    local = morphiclab.load(morphic_sweep(binary, definition, str(tmp_path / "local")))
    assert simulate.x_names == local.feature_names
    features = local.features
    assert list(features["run_id"]) == [f"sim_{i}" for i in range(1, 10)]
    expected = features[local.feature_names].to_numpy(dtype=np.float64, na_value=np.nan)
    assert x.shape == (9, len(local.feature_names))
    assert np.array_equal(x, expected, equal_nan=True)
    # Row i of x is θ's row i: the truth recorded for run sim_{i+1} is θ's row.
    truth = features[["true_field_strength", "true_temporal_decay", "true_crystal_count"]].to_numpy(dtype=np.float64)
    assert np.array_equal(truth, theta)
    # The same θ called again is a new draw of the model's noise: other seeds, another sweep,
    # and the last call's sweep deleted once this one's x is read.
    first = simulate.last_sweep
    again = simulate(theta)
    assert simulate.calls == 2 and simulate.last_sweep.id != first.id  # type: ignore[union-attr]
    assert not np.array_equal(again, x, equal_nan=True)
    with pytest.raises(morphiclab.NotFound):
        first.status()  # type: ignore[union-attr]
    # A new simulator with the same seed makes the same calls: the same x.
    replay = client.simulator(base=str(base), parameters=["field_strength", "temporal_decay", "crystal_count"])
    assert np.array_equal(replay(theta), x, equal_nan=True)
    # A seed the caller fixes in the base group is kept: the same θ, the same x.
    fixed_base = json.loads(json.dumps(BASE))
    fixed_base["groups"][0]["params"]["seed"] = 7
    fixed = client.simulator(base=fixed_base, parameters=["field_strength"], keep=True)
    assert np.array_equal(fixed([[0.5], [0.5]]), fixed([[0.5], [0.5]]), equal_nan=True)
    # A float32 θ (each value rounded to float32: its own runs) gets float32 x.
    x32 = simulate(theta.astype(np.float32))
    assert x32.dtype == np.float32 and x32.shape == x.shape


class ArrayLike:
    """Reads as an array through __array__, as a CPU torch tensor does."""

    def __init__(self, values: Any) -> None:
        self.values = np.asarray(values)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.values if dtype is None else self.values.astype(dtype)


def test_array_likes_and_tensors_are_accepted(client: morphiclab.Client, monkeypatch: Any) -> None:
    # Each kind of θ is a first call of a simulator of the same seed: the same runs.
    def simulate(theta: Any) -> Any:
        return client.simulator(base=BASE, parameters=["field_strength"])(theta)

    theta = [[0.2], [0.7]]
    x = simulate(np.array(theta))
    assert np.array_equal(simulate(ArrayLike(theta)), x, equal_nan=True)
    assert np.array_equal(simulate(theta), x, equal_nan=True)
    # A 1-D θ is a batch of one row; x is that row's.
    single = simulate(np.array([0.2]))
    assert single.shape == (x.shape[1],) and np.array_equal(single, simulate([[0.2]])[0], equal_nan=True)

    # A tensor gets a tensor back, made by its own module (torch is not imported by the client),
    # on θ's device; θ is read detached from its graph, on the CPU, as float64.
    made = []
    steps = []

    class Tensor(ArrayLike):
        dtype = "float32"
        device = "meta:0"

        def is_floating_point(self) -> bool:
            return True

        def detach(self) -> "Tensor":
            steps.append("detach")
            return self

        def cpu(self) -> "Tensor":
            steps.append("cpu")
            return self

        def double(self) -> "Tensor":
            steps.append("double")
            return self

    class Converted:
        def __init__(self, array: np.ndarray) -> None:
            self.array = array

        def to(self, *, device: Any, dtype: Any) -> Any:
            made.append((self.array, device, dtype))
            return self

    Tensor.__module__ = "torch"
    fake = types.ModuleType("torch")
    fake.from_numpy = Converted  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch", fake)
    result = simulate(Tensor(theta))
    assert isinstance(result, Converted) and np.array_equal(result.array, x, equal_nan=True)
    assert made[0][1:] == ("meta:0", "float32") and steps == ["detach", "cpu", "double"]


def test_bad_batches_and_bases_are_refused(client: morphiclab.Client) -> None:
    simulate = client.simulator(base=BASE, parameters=["field_strength", "crystal_count"])
    for theta, message in (
        (np.zeros((3, 3)), r"\[N, 2\]"), (np.zeros((0, 2)), "N ≥ 1"), ([[0.5, 2.5]], "whole numbers"),
        ([[np.nan, 2]], "field_strength is nan"),
    ):
        with pytest.raises(ValueError, match=message):
            simulate(theta)
    assert simulate.calls == 0, "a θ refused before it is sent takes no call number"
    with pytest.raises(morphiclab.DefinitionError) as caught:
        simulate([[1.5, 2]])
    assert caught.value.field is not None and "points[0].field_strength" in caught.value.field
    with pytest.raises(morphiclab.MorphicError, match="fewer rows") as too_large:
        simulate(np.column_stack([np.linspace(0, 1, 30_000), np.ones(30_000)]))
    assert too_large.value.status == 413
    for seed in (-1, 2 ** 64, 1.5, "7", True):
        with pytest.raises(ValueError, match="seed is a whole number"):
            client.simulator(base=BASE, parameters=["field_strength"], seed=seed)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="call's number"):
        simulate.definition([[0.5, 2]], call=-1)
    two = dict(BASE, groups=BASE["groups"] * 2)
    with pytest.raises(ValueError, match="one group"):
        client.simulator(base=two, parameters=["field_strength"])
    replicated = dict(BASE, groups=[dict(BASE["groups"][0], replicates=3)])
    with pytest.raises(ValueError, match="replicate"):
        client.simulator(base=replicated, parameters=["field_strength"])
    # A parameter of the field, simulated without one, would leave x unchanged.
    for classical in (dict(BASE, groups=[dict(BASE["groups"][0], mode="classical")]),
                      dict(BASE, defaults={"mode": "classical"}, groups=[{"prefix": "c"}]),
                      dict(BASE, groups=[{"prefix": "c", "params": {"mode": "classical"}}])):
        with pytest.raises(ValueError, match="temporal_decay cannot act in the base group's classical runs"):
            client.simulator(base=classical, parameters=["initial_density", "temporal_decay"])
        client.simulator(base=classical, parameters=["initial_density"])


def seeded_call(simulate: morphiclab.Simulator, theta: Any, seed: int) -> Any:
    """A pool's task as sbi runs it: numpy's global state seeded for the batch, then the call."""
    np.random.seed(seed)
    return simulate(theta)


def test_copies_in_other_processes_draw_their_own_noise_reproducibly(client: morphiclab.Client) -> None:
    # Tools that spread calls over processes pickle the simulator: each copy counts its calls
    # from the same number, and draws from numpy's global state, which they seed a batch.
    simulate = client.simulator(base=BASE, parameters=["field_strength"])
    simulate([[0.3]])
    copy = pickle.loads(pickle.dumps(simulate))
    assert copy.calls == simulate.calls == 1 and copy.last_sweep is None
    assert copy.definition([[0.2]]) == simulate.definition([[0.2]])
    same = [[0.25], [0.25]]
    stored = {sweep.id for sweep in client.sweeps()}
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        spread = list(pool.map(seeded_call, [simulate] * 3, [same] * 3, [1, 2, 1]))
    # The same θ in two batches: two draws; seeded alike: the same draw, here as there.
    assert not np.array_equal(spread[0], spread[1], equal_nan=True)
    assert np.array_equal(spread[0], spread[2], equal_nan=True)
    here = seeded_call(pickle.loads(pickle.dumps(simulate)), same, 1)
    assert np.array_equal(spread[0], here, equal_nan=True)
    # Which calls a copy makes depends on the pool: its call number is not in its seed.
    later = pickle.loads(pickle.dumps(simulate))
    later.calls = 5
    assert np.array_equal(seeded_call(later, same, 1), here, equal_nan=True)
    # A copy deletes its sweeps (no one else would).
    assert {sweep.id for sweep in client.sweeps()} == stored


def test_a_simulator_deletes_only_its_own_sweeps_and_none_it_abandons_is_left(
        client: morphiclab.Client, monkeypatch: Any) -> None:
    base = dict(BASE, seed=4242)
    theta = [[0.2], [0.4]]
    # Sweeps kept by one simulator are not deleted by another making the same calls.
    keeper = client.simulator(base=base, parameters=["field_strength"], keep=True)
    keeper(theta)
    kept = keeper.last_sweep
    assert kept is not None and kept.created
    follower = client.simulator(base=base, parameters=["field_strength"])
    x = follower(theta)
    assert follower.last_sweep is not None and not follower.last_sweep.created
    follower([[0.9]])
    follower.close()
    assert kept.status().state == "completed", "a kept sweep survives another simulator"
    kept.delete()
    # The owner deletes a sweep another simulator is reading: that one submits it again.
    owner = client.simulator(base=base, parameters=["field_strength"])
    owner(theta)
    reader = client.simulator(base=base, parameters=["field_strength"])
    original_wait = morphiclab.Sweep.wait
    deleted = []

    def wait_then_lose_it(self: morphiclab.Sweep, *args: Any, **kwargs: Any) -> Any:
        status = original_wait(self, *args, **kwargs)
        if not deleted:
            deleted.append(self.id)
            owner.close()
        return status

    monkeypatch.setattr(morphiclab.Sweep, "wait", wait_then_lose_it)
    again = reader(theta)
    monkeypatch.setattr(morphiclab.Sweep, "wait", original_wait)
    assert deleted and np.array_equal(again, x, equal_nan=True)
    assert reader.last_sweep is not None and reader.last_sweep.id == deleted[0] and reader.last_sweep.created
    # Leaving a with block deletes the last sweep.
    with reader:
        pass
    with pytest.raises(morphiclab.NotFound):
        reader.last_sweep.status()
    # A call that ends without its x (Ctrl-C while it waits, or while the server takes the
    # sweep; a timeout) cancels and deletes its sweep.
    original_submit = morphiclab.Client._submit

    def submitted_then_interrupted(self: morphiclab.Client, *args: Any, **kwargs: Any) -> Any:
        sweep = original_submit(self, *args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)  # held back until the answer is read
        return sweep

    def interrupted(self: morphiclab.Sweep, *args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    slow = dict(base, defaults={"generations": 400, "grid_size": 64})
    for ending, seed, patch in (
            ("Ctrl-C while waiting", 77, (morphiclab.Sweep, "wait", interrupted)),
            ("Ctrl-C while submitting", 79, (morphiclab.Client, "_submit", submitted_then_interrupted)),
            ("a timeout", 78, None)):
        simulate = client.simulator(base=slow, parameters=["field_strength"], seed=seed,
                                    timeout=0.01 if patch is None else None)
        before = {sweep.id for sweep in client.sweeps()}
        if patch is not None:
            monkeypatch.setattr(*patch)
        with pytest.raises(TimeoutError if patch is None else KeyboardInterrupt):
            simulate(np.linspace(0, 1, 40)[:, None])
        monkeypatch.undo()
        assert {sweep.id for sweep in client.sweeps()} == before, f"{ending} left its sweep"


#: A simulator a forked pool's workers inherit rather than receive pickled.
FORKED: Any = None


def forked_call(theta: Any, seed: int) -> Any:
    np.random.seed(seed)
    return FORKED(theta)


def test_a_simulator_inherited_by_forked_workers_acts_as_a_copy(client: morphiclab.Client) -> None:
    global FORKED
    FORKED = client.simulator(base=dict(BASE, seed=4343), parameters=["field_strength"])
    same = [[0.35], [0.35]]
    stored = {sweep.id for sweep in client.sweeps()}
    try:
        with multiprocessing.get_context("fork").Pool(2) as pool:
            spread = pool.starmap(forked_call, [(same, 1), (same, 2), (same, 1)], chunksize=1)
    finally:
        FORKED = None
    assert not np.array_equal(spread[0], spread[1], equal_nan=True), "seeded apart, drawn apart"
    assert np.array_equal(spread[0], spread[2], equal_nan=True), "seeded alike, drawn alike"
    assert {sweep.id for sweep in client.sweeps()} == stored, "each worker deletes its sweeps"


def test_ctrl_c_while_submitting_to_a_server_that_cannot_be_reached_is_not_lost() -> None:
    # Five retries over some 30 s of waits: a refused connection reached nothing, so the
    # Ctrl-C ends them at once.
    unreachable = morphiclab.Client("http://127.0.0.1:1", retries=5, backoff=1.0)
    simulate = unreachable.simulator(base=BASE, parameters=["field_strength"])
    original = urllib.request.urlopen
    sent = []

    def interrupted_then_refused(*args: Any, **kwargs: Any) -> Any:
        if not sent:  # one Ctrl-C, held back until the submission ends (a second is not)
            os.kill(os.getpid(), signal.SIGINT)
        sent.append(True)
        return original(*args, **kwargs)

    urllib.request.urlopen = interrupted_then_refused  # type: ignore[assignment]
    start = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt) as caught:
            simulate([[0.5]])
    finally:
        urllib.request.urlopen = original  # type: ignore[assignment]
    assert isinstance(caught.value.__cause__, morphiclab.ServerUnavailable), "raised once the submission failed"
    assert len(sent) == 1, "no retry after the Ctrl-C: nothing reached the server"
    assert time.monotonic() - start < 5, "the Ctrl-C does not wait out the retries"


def test_ctrl_c_while_a_submission_goes_unanswered_still_waits_for_its_answer(
        client: morphiclab.Client, monkeypatch: Any) -> None:
    # The first attempt reaches the server, whose answer is lost: the retry that learns the
    # sweep's id is still made after a Ctrl-C, so the sweep is known and removed.
    original = urllib.request.urlopen
    attempts: List[str] = []

    def answer_lost(request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.get_method() == "POST" and request.full_url.endswith("/api/sweeps"):
            attempts.append(request.full_url)
            if len(attempts) == 1:
                original(request, *args, **kwargs).close()
                os.kill(os.getpid(), signal.SIGINT)
                raise TimeoutError("timed out")
        return original(request, *args, **kwargs)

    stored = {sweep.id for sweep in client.sweeps()}
    simulate = client.simulator(base=BASE, parameters=["field_strength"], seed=4242)
    monkeypatch.setattr(urllib.request, "urlopen", answer_lost)
    with pytest.raises(KeyboardInterrupt):
        simulate([[0.25]])
    monkeypatch.setattr(urllib.request, "urlopen", original)
    assert len(attempts) == 2, "retried after the Ctrl-C to learn what the server did"
    assert {sweep.id for sweep in client.sweeps()} == stored, "the sweep it took is removed"


def test_a_sweep_whose_submission_went_unanswered_is_still_its_simulators(
        client: morphiclab.Client, monkeypatch: Any) -> None:
    # The server takes the first submission, but its answer is lost: the retry gets 200.
    original = urllib.request.urlopen
    lost = []

    def answer_lost(request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.get_method() == "POST" and request.full_url.endswith("/api/sweeps") and not lost:
            original(request, *args, **kwargs).close()
            lost.append(request.full_url)
            raise TimeoutError("timed out")
        return original(request, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", answer_lost)
    quick = morphiclab.Client(client.url, backoff=0.01)
    simulate = quick.simulator(base=dict(BASE, seed=4444), parameters=["field_strength"])
    simulate([[0.45]])
    assert lost and simulate.last_sweep is not None and simulate.last_sweep.created
    simulate.close()
    with pytest.raises(morphiclab.NotFound):
        simulate.last_sweep.status()


def test_a_previous_sweep_that_cannot_be_deleted_is_named_and_the_call_still_gives_x(
        client: morphiclab.Client, monkeypatch: Any) -> None:
    simulate = client.simulator(base=dict(BASE, seed=4545), parameters=["field_strength"])
    simulate([[0.15]])
    first = simulate.last_sweep
    assert first is not None

    def unavailable(self: morphiclab.Sweep) -> None:
        raise morphiclab.ServerUnavailable("503 unavailable: busy (after 6 attempts)", status=503)

    monkeypatch.setattr(morphiclab.Sweep, "delete", unavailable)
    with pytest.warns(UserWarning, match=f"sweep {first.id} was left on the server: .*busy"):
        x = simulate([[0.25]])
    monkeypatch.undo()
    assert x.shape[0] == 1
    first.delete()
    simulate.close()
