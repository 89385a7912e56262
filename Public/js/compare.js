// The comparison of up to four runs.
import { api, errorText, notice } from "./api.js";
import { lineChart } from "./chart.js";
import { $ } from "./dom.js";
import { current, view } from "./lifecycle.js";
import { sweepView, viewState } from "./sweep-state.js";

/// Draws the runs compared; their records are kept in the sweep view's state.
export async function renderCompare(number) {
  const state = sweepView(), compareCache = state.compareCache;
  $("#compare").hidden = state.compare.length === 0;
  const runs = [], unshown = [];
  for (const id of state.compare) {
    if (!compareCache.has(id)) {
      const result = await api(`/api/sweeps/${state.sweepID}/runs/${encodeURIComponent(id)}`);
      if (!current(number)) return;
      // A run the server does not give (no such run, not finished, damaged) is left out, and
      // said to be; one it cannot be asked for now is left out silently (the banner says why).
      if (result && result.status !== 200) unshown.push(`${id} (${errorText(result)})`);
      if (!result || result.status !== 200) continue;
      compareCache.set(id, result.json);
    }
    runs.push(compareCache.get(id));
  }
  if (unshown.length) notice("Not compared: " + unshown.join("; "));
  $("#compare-runs").replaceChildren(...runs.map((run) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = `Remove ${run.run_id}`;
    button.addEventListener("click", () => {
      state.compare = state.compare.filter((id) => id !== run.run_id);
      viewState.save();
      renderCompare(view.number);
    });
    return button;
  }));
  $("#compare-charts").replaceChildren(...["population", "complexity", "morphic_influence_rate", "pattern_diversity"].map((name) => {
    const chart = lineChart(name.replace(/_/g, " "),
      runs.map((run) => ({ name: run.run_id, points: run.timeseries[name].map((v, t) => [t + 1, v]) })), "generation", { legend: true });
    chart.id = "compare-" + name;
    return chart;
  }));
  const keys = [...new Set(runs.flatMap((run) => Object.keys(run.config)))];
  const differing = keys.filter((key) => new Set(runs.map((run) => JSON.stringify(run.config[key]))).size > 1);
  const head = document.createElement("tr");
  for (const text of ["parameter", ...runs.map((run) => run.run_id)]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = text;
    head.append(th);
  }
  const rows = differing.map((key) => {
    const row = document.createElement("tr");
    row.dataset.key = key;
    for (const text of [key.replace(/_/g, " "), ...runs.map((run) => String(run.config[key]))]) {
      const td = document.createElement("td");
      td.textContent = text;
      row.append(td);
    }
    return row;
  });
  $("#compare-diff").replaceChildren(head, ...rows);
}

/// The comparison's Add button, for as long as the sweep view is mounted.
export function mountCompare() {
  const state = sweepView();
  view.listen($("#compare-add"), "click", () => {
    const id = state.selected;
    if (!id || state.compare.includes(id)) return;
    if (state.compare.length >= 4) { notice("At most four runs are compared; remove one first."); return; }
    state.compare.push(id);
    viewState.save();
    renderCompare(view.number);
  });
}
