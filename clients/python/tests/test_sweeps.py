"""Submitting, following, cancelling and querying sweeps through the client."""
from __future__ import annotations

import io
import json
from typing import Any

import pytest

import morphiclab
from morphiclab import _progress
from conftest import tiny


def test_submit_takes_a_path_a_dict_or_json_text(client: morphiclab.Client, tmp_path: Any) -> None:
    definition = tiny("submit-forms")
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(definition))
    by_dict = client.submit(definition)
    by_path = client.submit(path)
    by_name = client.submit(str(path))
    by_text = client.submit(json.dumps(definition, indent=2))
    assert by_dict.id.startswith("submit-forms-")
    # The id derives from the normalized definition: one sweep, whatever the form.
    assert {by_path.id, by_name.id, by_text.id} == {by_dict.id}
    assert by_dict.last_status is not None and by_dict.last_status.runs_total == 4 + 2 * 4
    assert client.sweep(by_dict.id).id == by_dict.id
    assert by_dict.id in [status.id for status in client.sweeps()]


def test_a_missing_definition_file_is_named(client: morphiclab.Client, tmp_path: Any) -> None:
    with pytest.raises(FileNotFoundError, match="no-such.json"):
        client.submit(str(tmp_path / "no-such.json"))


def test_an_invalid_definition_is_refused_naming_the_field(client: morphiclab.Client) -> None:
    before = sum(1 for _ in client.sweeps())
    bad = tiny("refused")
    bad["groups"][1]["grid"]["field_strength"] = [0.3, 1.5]
    with pytest.raises(morphiclab.DefinitionError) as caught:
        client.submit(bad)
    assert caught.value.status == 422
    assert caught.value.field == "groups[1].grid.field_strength[1]"
    assert "field_strength" in caught.value.message and "1.5" in caught.value.message
    unknown = tiny("refused")
    unknown["groups"][0]["replicatess"] = 2
    with pytest.raises(morphiclab.DefinitionError) as caught:
        client.submit(unknown)
    assert "replicatess" in (caught.value.field or "") + caught.value.message
    with pytest.raises(morphiclab.BadRequest):
        client.submit('{"name": ')
    assert sum(1 for _ in client.sweeps()) == before


def test_numpy_values_are_taken_and_nan_is_named(client: morphiclab.Client) -> None:
    np = pytest.importorskip("numpy")
    plain = tiny("numpy-values")
    with_numpy = tiny("numpy-values")
    with_numpy["seed"] = np.int64(7)
    with_numpy["groups"][0]["replicates"] = np.int32(4)
    with_numpy["groups"][1]["grid"]["field_strength"] = np.array([0.3, 0.9])
    assert client.submit(with_numpy).id == client.submit(plain).id
    before = sum(1 for _ in client.sweeps())
    # A long double is the number it holds; a complex number is none.
    with_numpy["groups"][1]["grid"]["field_strength"] = [np.longdouble(0.3), np.float64(0.9)]
    assert client.submit(with_numpy).id == client.submit(plain).id
    definition = tiny("refused-complex")
    definition["groups"][1]["grid"]["temporal_decay"] = [np.complex128(0.5)]
    with pytest.raises(ValueError, match=r"temporal_decay\[0\] is the complex number"):
        client.submit(definition)
    for bad in (float("nan"), np.float64("inf"), -np.inf):
        definition = tiny("refused-nan")
        definition["groups"][1]["grid"]["temporal_decay"] = [0.0, bad]
        with pytest.raises(ValueError, match=r"definition\.groups\[1\]\.grid\.temporal_decay\[1\] is -?(nan|inf)"):
            client.submit(definition)
    assert sum(1 for _ in client.sweeps()) == before


def test_unknown_sweeps_and_runs_are_not_found(client: morphiclab.Client) -> None:
    with pytest.raises(morphiclab.NotFound) as caught:
        client.sweep("no-such-sweep-0000000000000000")
    assert caught.value.status == 404 and caught.value.message == "no such sweep"
    sweep = client.submit(tiny("not-found"))
    sweep.wait(progress=False)
    with pytest.raises(morphiclab.NotFound):
        sweep.record("morphic_999")
    assert sweep.record("morphic_1")["run_id"] == "morphic_1"


@pytest.mark.parametrize("with_tqdm", [True, False])
def test_wait_shows_finished_runs_with_rate_and_eta(client: morphiclab.Client, monkeypatch: Any,
                                                    with_tqdm: bool) -> None:
    if not with_tqdm:
        monkeypatch.setattr(_progress, "tqdm", None)
    else:
        assert _progress.tqdm is not None, "the test environment installs tqdm"
    sweep = client.submit(tiny(f"progress-{with_tqdm}", defaults={"generations": 200, "grid_size": 48},
                               groups=[{"prefix": "morphic", "mode": "morphic", "replicates": 60}]))
    output = io.StringIO()
    status = sweep.wait(progress=True, poll=0.05, file=output)
    assert status.state == "completed" and status.runs_completed == 60 and status.finished
    text = output.getvalue()
    assert "60/60" in text
    assert ("run/s" in text or "s/run" in text) if with_tqdm else ("runs/s" in text and "ETA" in text)
    # The bar counted runs as they finished, not only at the end.
    counts = [int(part.split("/")[0].split()[-1]) for part in text.replace("\r", "\n").split("\n")
              if "/60" in part and part.split("/")[0].split()]
    assert counts == sorted(counts) and len(set(counts)) >= 2


def test_the_text_bar_says_once_that_the_dataset_is_being_written(monkeypatch: Any) -> None:
    monkeypatch.setattr(_progress, "tqdm", None)
    clock = [100.0]
    monkeypatch.setattr(_progress.time, "monotonic", lambda: clock[0])
    output = io.StringIO()
    bar = _progress.ProgressBar(10, 0, "s", output)
    for done in (4, 10, 10, 10, 10):
        clock[0] += 1.0
        bar.update(done)
    lines = [line for line in output.getvalue().split("\r") if line]
    # One line at the start, one at 4 runs, one when all 10 finished; polls while the server
    # writes the dataset add nothing.
    assert len(lines) == 3, lines
    assert "10/10" in lines[-1] and "writing the dataset" in lines[-1], lines[-1]
    bar.close()
    assert output.getvalue().endswith("\n") and "ETA 00:00" in output.getvalue().split("\r")[-1]


def test_cancel_stops_a_sweep_and_wait_says_so(client: morphiclab.Client) -> None:
    sweep = client.submit(tiny("cancelled", defaults={"generations": 2000, "grid_size": 64},
                               groups=[{"prefix": "morphic", "mode": "morphic", "replicates": 400}]))
    status = sweep.cancel()
    assert status.state in ("cancelled", "cancelling")
    with pytest.raises(morphiclab.SweepFailed, match="cancelled"):
        sweep.wait(progress=False, timeout=60)
    assert sweep.wait(progress=False, check=False).state == "cancelled"
    with pytest.raises(morphiclab.Conflict):
        sweep.dataset()
    sweep.delete()
    with pytest.raises(morphiclab.NotFound):
        sweep.status()


def test_wait_gives_up_at_its_timeout(client: morphiclab.Client) -> None:
    sweep = client.submit(tiny("timeout", defaults={"generations": 2000, "grid_size": 64},
                               groups=[{"prefix": "morphic", "mode": "morphic", "replicates": 400}]))
    try:
        with pytest.raises(TimeoutError, match="still"):
            sweep.wait(progress=False, timeout=0.5)
    finally:
        sweep.cancel()


def test_runs_query_filters_sorts_and_picks_fields(client: morphiclab.Client) -> None:
    sweep = client.submit(tiny("query"))
    sweep.wait(progress=False)
    runs = list(sweep.runs(filter="mode = morphic and field_strength >= 0.5", sort="-avg_influence_rate",
                           fields=["field_strength", "avg_influence_rate"], page_size=3))
    assert len(runs) == 4
    assert all(run["config"]["field_strength"] == 0.9 for run in runs)
    rates = [run["summary_stats"]["avg_influence_rate"] for run in runs]
    assert rates == sorted(rates, reverse=True)
    with pytest.raises(morphiclab.BadRequest) as caught:
        list(sweep.runs(filter="no_such_column = 1"))
    assert caught.value.field == "filter"
    with pytest.raises(ValueError):
        list(sweep.runs(page_size=10_001))
