// One run's panel: its series, crystals, replay and posterior.
import { api, errorText, notice } from "./api.js";
import { lineChart } from "./chart.js";
import { $, svgElement } from "./dom.js";
import { loadPosterior } from "../inference.js";
import { current, view } from "./lifecycle.js";
import { PARAMETERS } from "./model.js";
import { clearReplay, drawFrame, loadReplay } from "./replay.js";
import { sweepView, viewState } from "./sweep-state.js";

/// Closes the open run's panel (Back after opening it).
export function closeRun() {
  const state = sweepView();
  state.selected = null;
  clearReplay();
  $("#run-detail").hidden = true;
  for (const row of document.querySelectorAll("#runs tbody tr[aria-selected]")) row.removeAttribute("aria-selected");
}

/// A parameter's place in the model's order; others after, as the record lists them.
const order = (key) => (PARAMETERS.includes(key) ? PARAMETERS.indexOf(key) : PARAMETERS.length);

/// Opens run `runID`'s panel; `push`: as a new history entry (a user's choice; not a view
/// brought back from its URL or from history).
export async function showRun(runID, { push = true } = {}) {
  const state = sweepView(), { replay } = state, number = view.number;
  state.selected = runID;
  clearReplay();
  for (const row of document.querySelectorAll("#runs tbody tr")) {
    if (row.dataset.run === runID) row.setAttribute("aria-selected", "true"); else row.removeAttribute("aria-selected");
  }
  // A failed run has no record (its route answers 409): one the table has listed is shown
  // failed, with its error, without asking.
  const listed = [...state.table.pages.values()].flat().find((run) => run && run.run_id === runID);
  if (listed && listed.status === "failed") { showFailure(runID, `run ${runID} failed: ${listed.error || "no reason kept"}`); return; }
  const path = `/api/sweeps/${state.sweepID}/runs/${encodeURIComponent(runID)}`;
  const result = await api(path);
  if (!current(number)) return;
  if (!result) return;
  if (result.status === 409) { showFailure(runID, errorText(result)); return; }
  if (result.status !== 200) { notice(errorText(result)); return; }
  const run = result.json;
  viewState.save({ push });
  $("#run-detail").hidden = false;
  $("#run-body").hidden = false;
  $("#run-failure").hidden = true;
  $("#run-title").textContent = `Run ${runID}`;
  $("#run-json").href = path;
  // Its parameters, as its record has them (the seed with every digit), in the model's order.
  const keys = Object.keys(run.config).sort((a, b) => order(a) - order(b));
  $("#run-params").replaceChildren(...keys.map((key) => {
    const row = document.createElement("tr");
    row.dataset.key = key;
    const name = document.createElement("th");
    name.scope = "row";
    name.textContent = key.replace(/_/g, " ");
    const value = document.createElement("td");
    value.textContent = run.config[key] == null ? "–" : String(run.config[key]);
    row.append(name, value);
    return row;
  }));
  const charts = $("#run-charts");
  charts.replaceChildren();
  // Entry t of a series is measured on the state after step t, S_{t+1} (docs/model.md section
  // 8): drawn at generation t + 1, where the replay shows that state as its frame t + 1.
  for (const name of ["population", "complexity", "morphic_influence_rate", "pattern_diversity"]) {
    const series = run.timeseries[name];
    const chart = lineChart(name.replace(/_/g, " "), [{ name, points: series.map((v, t) => [t + 1, v]) }], "generation",
      { cursor: true });
    chart.id = "chart-" + name;
    charts.append(chart);
  }
  const crystals = $("#crystals");
  crystals.replaceChildren();
  if (!run.crystals.length) crystals.textContent = "No crystals.";
  for (const crystal of run.crystals) {
    const box = document.createElement("figure");
    box.className = "crystal";
    const k = crystal.form.length, cell = 12;
    const svg = svgElement("svg", { width: k * cell, height: k * cell, role: "img", "aria-label": `crystal ${crystal.id} form` });
    crystal.form.forEach((row, y) => [...row].forEach((c, x) => {
      svg.append(svgElement("rect", { x: x * cell, y: y * cell, width: cell - 1, height: cell - 1, fill: c === "#" ? "#1d2330" : "#e3e6ee" }));
    }));
    const caption = document.createElement("figcaption");
    caption.textContent = `#${crystal.id} → ${crystal.outcome ? "alive" : "dead"}, strength ${crystal.strength.toFixed(3)}, born ${crystal.generation_created}, ${crystal.activations} uses`;
    box.append(svg, caption);
    crystals.append(box);
  }
  $("#run-detail").scrollIntoView({ block: "nearest" });
  replay.config = run.config;
  for (const [index, crystal] of run.crystals.entries()) {
    const box = crystals.children[index];
    box.tabIndex = 0;
    box.title = "Hover or focus to mark, in the replay, the cells whose window this crystal matches";
    const mark = () => { replay.highlight = crystal.form.join("").split("").map((c) => c === "#" ? 1 : 0); drawFrame(replay.index); };
    const clear = () => { replay.highlight = null; drawFrame(replay.index); };
    box.addEventListener("mouseenter", mark);
    box.addEventListener("focus", mark);
    box.addEventListener("mouseleave", clear);
    box.addEventListener("blur", clear);
  }
  loadReplay(runID, run.config.generations, run.config.grid_size, number);
  loadPosterior(runID, run, number);
}

/// The panel of a run without a record (failed, or not finished): the server's `message`
/// says why, and nothing of a finished run's series, posterior or replay shows.
function showFailure(runID, message) {
  viewState.save();
  $("#run-detail").hidden = false;
  $("#run-body").hidden = true;
  $("#run-title").textContent = `Run ${runID}` + (/ failed: /.test(message) ? " failed" : " has not finished");
  $("#run-failure").textContent = message.replace(/^run \S+ failed: /, "Error: ");
  $("#run-failure").hidden = false;
  $("#run-detail").scrollIntoView({ block: "nearest" });
}
