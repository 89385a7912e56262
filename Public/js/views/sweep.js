// One sweep: its status and actions, and the views of its runs below.
import { api, errorText, notice } from "../api.js";
import { mountCompare, renderCompare } from "../compare.js";
import { $, runCount, shownName } from "../dom.js";
import { loadInference, mountInference } from "../../inference.js";
import { mountHeatmap } from "../heatmap.js";
import { current, poll, view } from "../lifecycle.js";
import { PARAMETERS, STATISTICS } from "../model.js";
import { mountParallel } from "../parallel.js";
import { route } from "../router.js";
import { mountReplay, stopReplay } from "../replay.js";
import { showRun } from "../run.js";
import { clearCharts, loadChart, mountSweepChart, renderSweepChart } from "../sweep-chart.js";
import { sweepState, sweepView, viewState } from "../sweep-state.js";
import { mountTable, refreshTable, resetTable, tryFilter } from "../table.js";
import { progressBlock } from "./list.js";

/// Mounts the sweep view for sweep `id`, with `wanted` what the URL asks for: the view's one
/// state object (sweep-state.js) is made here and dropped when the view is left, and every
/// listener, timer, frame and request of its parts (table, charts, parameter space, heatmap,
/// comparison, replay, map) is the view's, ended with it (lifecycle.js).
export async function showSweep(id, wanted, number) {
  const state = view.state = sweepState(id, wanted), { table } = state;
  mountTable();
  mountSweepChart();
  mountParallel();
  mountHeatmap();
  mountCompare();
  mountReplay();
  mountInference();
  mountSweep(state);
  $("#run-detail").hidden = true;
  $("#view-sweep").hidden = false;
  $("#sweep-title").textContent = id;
  $("#sweep-status").replaceChildren();
  const base = "/api/sweeps/" + id;
  $("#manifest-link").href = base + "/manifest.json";
  $("#archive-link").href = base + "/dataset.tar.gz";
  $("#run-filter").value = viewState.take("filter") || "";
  $("#parallel-stats").replaceChildren();
  clearCharts();
  table.sort = viewState.take("sort") || "";
  const chosen = viewState.take("cols");
  // `cols=` (every column taken out) is a choice too: only the run's identity and status. The
  // identity's columns are always shown, and a column is shown once.
  table.chosen = chosen != null ? [...new Set(chosen.split(","))]
    .filter((key) => (PARAMETERS.includes(key) && key !== "mode") || STATISTICS.includes(key)) : null;
  resetTable();
  const wantedRun = viewState.take("run");
  if (wantedRun) showRun(wantedRun, { push: false });
  state.compare = [...new Set((viewState.take("compare") || "").split(",").filter(Boolean))].slice(0, 4);
  renderCompare(number);
  $("#validation").replaceChildren();
  let last = null, shown = null, down = false;
  // The charts drawn, and for how many finished runs: while the sweep runs they follow its
  // runs as they finish, one drawing at a time, the next at least CHARTS_EVERY ms after the
  // last ended and three times as long as it took (a large sweep's take the server longer).
  const charts = { drawn: false, done: 0, at: 0, took: 0, busy: null };
  const redraw = (done) => {
    const start = Date.now();
    charts.done = done;
    state.chart.columns.clear();
    const drawing = charts.busy = renderSweepChart().finally(() => {
      Object.assign(charts, { at: Date.now(), took: Date.now() - start });
      if (charts.busy === drawing) charts.busy = null;
    });
  };
  // A finished sweep is still asked after now and then (a 304 while nothing changed), so a
  // sweep deleted meanwhile, or a server gone away or back, is noticed without a click; and
  // at once when another of the view's requests finds nothing.
  view.onMissing = poll(number, async () => {
    const result = await api(base);
    if (!current(number)) return null;
    // The server cannot be reached (the outage banner says so): asked again soon.
    if (!result) { down = true; return 3000; }
    if (result.status === 404) { showMissing(id, last !== null); return null; }
    if (result.status !== 200) { notice(errorText(result)); return 3000; }
    // Back after an outage: what was asked meanwhile (a table page, a chart) is asked again,
    // and a filter typed meanwhile is applied.
    if (down && last) {
      refreshTable();
      if (charts.drawn && !charts.busy) redraw(charts.done);
    }
    down = false;
    if (table.filterPending) {
      table.filterPending = false;
      tryFilter($("#run-filter").value.trim()).then((taken) => { if (taken) renderSweepChart(); });
    }
    const sweep = result.json;
    const active = ["queued", "running", "cancelling"].includes(sweep.status);
    const done = sweep.progress.runs_completed + sweep.progress.runs_failed;
    if (last && sweep.status === last.status && done !== charts.done && charts.drawn && !charts.busy
      && Date.now() - charts.at >= Math.max(CHARTS_EVERY, 3 * charts.took)) redraw(done);
    // Nothing changed (the answer a 304 most often): nothing to draw again.
    const text = JSON.stringify(sweep);
    if (text === shown) return active ? 1000 : FINISHED_POLL;
    shown = text;
    document.title = shownName(sweep.name) + " · MorphicLab";
    $("#sweep-title").textContent = shownName(sweep.name);
    const status = document.createElement("p");
    const label = document.createElement("span");
    label.className = "status " + sweep.status;
    label.textContent = sweep.status;
    const idText = document.createElement("code");
    idText.textContent = " " + sweep.id;
    status.append(label, idText);
    $("#sweep-status").replaceChildren(status, progressBlock(sweep));
    if (sweep.waiting) {
      const waiting = document.createElement("p");
      waiting.className = "waiting";
      waiting.textContent = "Waiting: " + sweep.waiting;
      $("#sweep-status").append(waiting);
    }
    if (sweep.error) {
      const error = document.createElement("p");
      error.className = "error";
      error.textContent = sweep.error;
      $("#sweep-status").append(error);
    }
    $("#cancel").disabled = !active || sweep.status === "cancelling";
    // A completed sweep can be retried too: its runs whose records are missing or damaged on
    // disk are computed again (a run's panel says when one is); one whose records are whole
    // is left as it is, and the server says so.
    $("#retry").disabled = !["failed", "cancelled", "completed"].includes(sweep.status);
    $("#retry").textContent = sweep.status === "completed" ? "Check records and retry" : "Retry failed runs";
    $("#delete").disabled = active;
    const ready = sweep.status === "completed" || sweep.status === "failed";
    for (const link of [$("#manifest-link"), $("#archive-link")]) link.setAttribute("aria-disabled", String(!ready));
    // The table follows finished runs; every chart is drawn anew when the sweep's state changes.
    if (!last || done !== last.done || sweep.status !== last.status) refreshTable();
    // The table's first rows come first: the chart's answers may need every run's record read.
    // The reference's calibration and map come last: training one, and the map's every run,
    // would take the server and the page from the charts of a large sweep.
    if (!last || sweep.status !== last.status) {
      charts.done = done;
      const loaded = charts.busy = table.firstPage.then(() => loadChart(id, number)).finally(() => {
        Object.assign(charts, { drawn: true, at: Date.now() });
        if (charts.busy === loaded) charts.busy = null;
      });
      const validation = ready ? loadValidation(id, number) : null;
      if (validation) {
        for (const panel of ["#calibration", "#run-map"]) $(panel).textContent = "Asked once the charts are drawn…";
        loaded.then(() => loadInference(id, number, sweep.progress.runs_total, validation));
      }
    }
    // An action's notice ("Queued again…", "Cancelling…") is cleared once the sweep it
    // started has ended.
    // The status compared is the one the action answered with: a short sweep may have ended
    // before the view is drawn again, with no change of status left to see.
    if (acted && acted.status && !active && sweep.status !== acted.status && $("#notice").textContent === acted.text) {
      notice("");
      acted = null;
    }
    last = { done, status: sweep.status };
    return active ? 1000 : FINISHED_POLL;
  });
}

// How often a finished sweep's status is asked; how often, at most, a running sweep's charts
// are drawn again as its runs finish (each drawing asks the server to summarize every finished run).
const FINISHED_POLL = 5000, CHARTS_EVERY = 3000;

/// The notice the last action on a sweep left, kept while the view is drawn anew, and the
/// sweep's status the action answered with (none for a refusal).
let acted = null;

/// The sweep is not on the server: never was, or (`gone`) deleted while its view was open.
function showMissing(id, gone) {
  if (gone) notice("This sweep no longer exists: it was deleted.");
  // A replay of its run stops: its frames are gone with it.
  stopReplay();
  $("#view-sweep").hidden = true;
  $("#view-missing").hidden = false;
  $("#missing-id").textContent = id;
  document.title = "No such sweep · MorphicLab";
  $("#missing-heading").focus();
}

/// The manifest's data checks as a pass/fail list; the answer (with the runs planned in each
/// split, for the reference), or null.
async function loadValidation(id, number) {
  const result = await api(`/api/sweeps/${id}/validation`);
  if (!current(number) || !result || result.status !== 200) return null;
  const checks = result.json.validation || {};
  const names = {
    controls_zero_influence: "Controls show no influence",
    field_strength_vs_influence_rate: "Influence rises with field strength (Spearman > 0)",
    temporal_decay_vs_influence_rate: "Influence falls with temporal decay (Spearman < 0)",
  };
  const items = Object.entries(checks).map(([key, check]) => {
    const item = document.createElement("li");
    const verdict = check.holds === true ? "pass" : check.holds === false ? "fail" : "not applicable";
    item.className = "check " + verdict.replace(/ /g, "-");
    item.dataset.check = key;
    const detail = check.spearman != null ? `ρ = ${check.spearman.toFixed(3)} over ${runCount(check.runs)}`
      : check.runs_with_influence != null ? `${check.runs_with_influence.toLocaleString()} of ${check.runs.toLocaleString()} with influence` : runCount(check.runs);
    item.textContent = `${verdict.toUpperCase()} · ${names[key] || key} · ${detail}`;
    return item;
  });
  $("#validation").replaceChildren(...items);
  return result.json;
}

/// The filter box and the sweep's actions, for as long as the view is mounted.
function mountSweep(state) {
  view.listen($("#run-filter"), "input", () => {
    view.cancel(state.filterTimer);
    state.filterTimer = view.later(async () => {
      if (await tryFilter($("#run-filter").value.trim())) renderSweepChart();
    }, 150);
  });
  view.listen($("#cancel"), "click", () => act(state, "cancel", "Cancel this sweep? Finished runs are kept.", {
    200: "Cancelled; finished runs are kept.",
    202: "Cancelling: waiting for the cluster to stop the sweep's jobs; finished runs are kept.",
  }));
  view.listen($("#retry"), "click", () => act(state, "retry", null, {
    202: $("#retry").textContent === "Retry failed runs" ? "Queued again: failed and missing runs will be computed."
      : "Queued again: the runs whose records are missing or damaged on disk will be computed again.",
  }));
  view.listen($("#delete"), "click", () => act(state, "delete", "Delete this sweep and all its files? This cannot be undone.", {
    204: "Deleted.",
  }));
}

/// Runs a state-changing action on the shown sweep, saying what came of it. The request is
/// not the view's: leaving the view does not abort a deletion under way.
async function act(state, action, confirmation, messages) {
  if (confirmation && !confirm(confirmation)) return;
  const id = state.sweepID;
  const result = await api(`/api/sweeps/${id}/${action === "delete" ? "" : action}`.replace(/\/$/, ""),
    { method: action === "delete" ? "DELETE" : "POST", signal: new AbortController().signal });
  if (!result) { notice("The server cannot be reached; nothing was changed."); return; }
  const deleted = action === "delete" && result.status === 204;
  // The view is drawn anew (or left, once deleted): the notice is kept through that.
  const redrawn = !deleted && sweepView() === state;
  acted = { text: messages[result.status] || errorText(result), status: result.json && result.json.status };
  notice(acted.text, { keep: deleted || redrawn });
  if (deleted) { location.hash = "#/"; return; }
  if (redrawn) route();
}
