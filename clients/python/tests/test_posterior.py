"""The server's posterior and calibration, asked through the client."""
from __future__ import annotations

import json
import os
import subprocess
from typing import Any, Dict

import pytest

import morphiclab
from conftest import Server

DEFAULTS = {"generations": 40, "grid_size": 12}


@pytest.fixture(scope="module")
def reference(server: Server) -> morphiclab.Sweep:
    client = morphiclab.Client(server.url)
    sweep = client.submit({
        "name": "reference", "seed": 3, "defaults": DEFAULTS,
        "groups": [{"prefix": "ref", "mode": "morphic",
                    "sample": {"count": 240, "method": "latin_hypercube",
                               "params": {"field_strength": {"uniform": [0.0, 1.0]},
                                          "temporal_decay": {"uniform": [0.0, 1.0]}}}},
                   # Controls listed as points of their own, so that they spread over the splits.
                   {"prefix": "control", "mode": "classical", "points": [{"initial_density": 0.4}] * 80}],
    })
    sweep.wait(progress=False)
    return sweep


def observed(client: morphiclab.Client, **defaults: Any) -> morphiclab.Sweep:
    sweep = client.submit({"name": "observed", "seed": 9, "defaults": dict(DEFAULTS, **defaults),
                           "groups": [{"prefix": "obs", "mode": "morphic",
                                       "points": [{"field_strength": 0.9, "temporal_decay": 0.1}]}]})
    sweep.wait(progress=False)
    return sweep


def test_posterior_of_a_run_named_given_or_read_from_a_file(reference: morphiclab.Sweep, server: Server,
                                                            binary: str, tmp_path: Any) -> None:
    client = morphiclab.Client(server.url)
    run = observed(client)
    named = reference.posterior({"sweep": run.id, "run": "obs_1"})
    assert named["run_id"] == "obs_1" and named["reference"] == reference.id
    assert 0.5 < named["p_field"] <= 1.0
    assert sorted(named["parameters"]) == ["field_strength", "temporal_decay"]
    for marginal in named["parameters"].values():
        quantiles = [marginal["quantiles"][k] for k in sorted(marginal["quantiles"], key=float)]
        assert "0.025" in marginal["quantiles"] and "0.975" in marginal["quantiles"]
        assert quantiles == sorted(quantiles) and len(marginal["draws"]) > 0
    record = run.record("obs_1")
    assert reference.posterior(record) == named
    # Its series as numpy arrays, as an analysis holds them: the same question.
    np = pytest.importorskip("numpy")
    as_arrays = dict(record, timeseries={name: np.asarray(values) for name, values in record["timeseries"].items()})
    assert reference.posterior(as_arrays) == named
    path = tmp_path / "obs_1.json"
    path.write_text(json.dumps(record))
    assert reference.posterior(str(path)) == named
    # The command line's answer for the same reference and run.
    folder = os.path.dirname(server.archive(reference.id))
    line = subprocess.run([binary, "infer", folder, str(path)], check=True, capture_output=True, text=True,
                          timeout=600).stdout.splitlines()[0]
    cli: Dict[str, Any] = json.loads(line)
    assert cli["p_field"] == named["p_field"] and cli["parameters"] == named["parameters"]


def test_calibration_and_refusals(reference: morphiclab.Sweep, server: Server) -> None:
    calibration = reference.calibration()
    assert calibration["reference"] == reference.id
    assert set(calibration["parameters"]) == {"field_strength", "temporal_decay"}
    coverage = calibration["parameters"]["field_strength"]["coverage"]
    assert set(coverage) == {"0.5", "0.8", "0.95"} and all(0 <= v <= 1 for v in coverage.values())
    assert calibration["p_field"]["controls"] > 0 and calibration["p_field"]["roc_auc"] > 0.5
    client = morphiclab.Client(server.url)
    other = observed(client, grid_size=16)
    with pytest.raises(morphiclab.DefinitionError) as caught:
        reference.posterior({"sweep": other.id, "run": "obs_1"})
    assert caught.value.field == "grid_size" and "12" in caught.value.message
    with pytest.raises(morphiclab.NotFound):
        reference.posterior({"sweep": other.id, "run": "obs_2"})
    with pytest.raises(morphiclab.DefinitionError):
        reference.posterior({"series": "not series"})
    # A bare run id is not a file: the error says how to name a run instead.
    with pytest.raises(FileNotFoundError, match=r"'sweep': sweep_id, 'run': 'obs_1'"):
        reference.posterior("obs_1")
