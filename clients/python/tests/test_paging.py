"""A sweep of the most runs the server allows: paging through all of them, and its dataset."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import morphiclab
from conftest import Server

RUNS = 100_000  # the server's max_runs_per_sweep


@pytest.fixture(scope="module")
def largest(server: Server) -> morphiclab.Sweep:
    client = morphiclab.Client(server.url)
    sweep = client.submit({
        "name": "largest", "seed": 5, "defaults": {"generations": 2, "grid_size": 4},
        "groups": [{"prefix": "control", "mode": "classical", "replicates": RUNS // 2},
                   {"prefix": "morphic", "mode": "morphic", "replicates": RUNS // 4,
                    "grid": {"field_strength": [0.2, 0.8]}}],
    })
    sweep.wait(progress=False, timeout=1800)
    return sweep


def test_paging_reaches_every_run_once(largest: morphiclab.Sweep) -> None:
    seen = [run["run_id"] for run in largest.runs(fields=["field_strength"])]
    assert len(seen) == RUNS and len(set(seen)) == RUNS
    assert set(seen) == {f"control_{i}" for i in range(1, RUNS // 2 + 1)} | {
        f"morphic_{i}" for i in range(1, RUNS // 2 + 1)}


def test_paging_keeps_the_filter_and_sort_across_pages(largest: morphiclab.Sweep) -> None:
    runs = list(largest.runs(filter="mode = morphic", sort="-field_strength", fields="field_strength",
                             page_size=9_999))
    assert len(runs) == RUNS // 2 and len({run["run_id"] for run in runs}) == RUNS // 2
    strengths = [run["config"]["field_strength"] for run in runs]
    assert strengths == sorted(strengths, reverse=True) and strengths[0] == 0.8 and strengths[-1] == 0.2


def test_the_largest_dataset_downloads_and_loads(largest: morphiclab.Sweep, tmp_path: Any) -> None:
    data = largest.dataset(cache=False)
    assert data.runs.shape[0] == RUNS and data.features.shape[0] == RUNS
    assert data.series("population").shape == (RUNS, 2)
    theta, x = data.theta_x()
    assert theta.shape == (RUNS, 2) and data.theta_names == ["crystal_count", "field_strength"]
    assert x.shape == (RUNS, len(data.feature_names))
    assert np.array_equal(np.unique(theta[:, 1]), [0.0, 0.2, 0.8])
