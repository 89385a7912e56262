// MorphicLab browser page: what a reference sweep says about its runs (docs/inference.md).
// A sweep's calibration (nominal against empirical coverage on its test split) and a map
// of its runs; a run's posterior ("what produced this run?"). Uses app.js's helpers.
"use strict";

const inference = { map: null, colour: "field_strength", brush: null, selected: [] };
const MAP_POINTS = 800;

/// Asks a route that answers 202 while the reference trains, until it answers otherwise.
async function trainedAnswer(path, options, number, onWait) {
  for (;;) {
    const result = await api(path, options);
    if (!current(number) || !result) return null;
    if (result.status !== 202) return result;
    onWait(result.json && result.json.progress);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/// The sweep view's calibration table and run map, once its dataset is written.
async function loadInference(id, number) {
  const box = $("#calibration");
  box.textContent = "Training the reference…";
  const result = await trainedAnswer(`/api/sweeps/${id}/calibration`, {}, number,
    (progress) => { box.textContent = `Training the reference… ${Math.round((progress || 0) * 100)} %`; });
  if (!result) return;
  if (result.status !== 200) box.textContent = "No calibration: " + errorText(result);
  else box.replaceChildren(calibrationTable(result.json));
  const map = await api(`/api/sweeps/${id}/map`);
  if (!current(number) || !map || map.status !== 200) return;
  const runs = await api(`/api/sweeps/${id}/runs?limit=10000&fields=${encodeURIComponent(PARAMETERS.filter((p) => p !== "seed").join(","))}`);
  if (!current(number) || !runs || runs.status !== 200) return;
  const byID = new Map(runs.json.runs.map((run) => [run.run_id, run]));
  // At most MAP_POINTS points are drawn (every k-th run), so a sweep of 100,000 runs still
  // opens quickly with a small page.
  const all = map.json.run_id.length, step = Math.max(1, Math.ceil(all / MAP_POINTS));
  const kept = map.json.run_id.map((_, i) => i).filter((i) => i % step === 0);
  inference.map = { explained: map.json.explained, total: all, run_id: kept.map((i) => map.json.run_id[i]),
    x: kept.map((i) => map.json.x[i]), y: kept.map((i) => map.json.y[i]) };
  inference.map.runs = inference.map.run_id.map((runID) => byID.get(runID) || { run_id: runID });
  const choices = ["label", ...PARAMETERS.filter((p) => p !== "mode" && p !== "seed" &&
    new Set(inference.map.runs.map((run) => valueOf(run, p))).size > 1)];
  if (!choices.includes(inference.colour)) inference.colour = choices[Math.min(1, choices.length - 1)];
  fillSelect($("#map-colour"), choices, inference.colour);
  inference.brush = null;
  renderMap();
}

/// A run's effective value of `key`: parameters of the field mean nothing where no field
/// acted (docs/inference.md), so such runs are grey.
const FIELD_PARAMETERS = ["crystal_count", "field_strength", "temporal_decay", "similarity_threshold", "influence_exponent",
  "cross_system_coupling", "form_size", "similarity", "crystallization_interval", "min_form_cells", "reinforcement", "resonance_threshold"];
function valueOf(run, key) {
  if (key === "label") return run.mode;
  const config = run.config || {};
  if (FIELD_PARAMETERS.includes(key) && !(run.mode === "morphic" && config.field_strength > 0 && config.crystal_count !== 0)) return null;
  return config[key];
}

function calibrationTable(calibration) {
  const table = document.createElement("table");
  table.className = "calibration";
  table.innerHTML = "<caption></caption><thead><tr><th>parameter</th><th>test runs</th><th>50 %</th><th>80 %</th><th>95 %</th><th>median MAE</th><th>constant guess</th></tr></thead><tbody></tbody>";
  const runs = calibration.runs;
  table.caption.textContent = `Empirical coverage of the central intervals on the test split (${runs.test} runs; trained on ${runs.train}, calibrated on ${runs.validation}).`;
  for (const [name, figures] of Object.entries(calibration.parameters)) {
    const row = table.tBodies[0].insertRow();
    row.dataset.parameter = name;
    const cells = [name, figures.test_runs, ...["0.5", "0.8", "0.95"].map((level) => figures.coverage[level].toFixed(3)),
      figures.median_mae.toFixed(3), figures.constant_mae.toFixed(3)];
    for (const [index, text] of cells.entries()) {
      const cell = row.insertCell();
      cell.textContent = text;
      if (index >= 2 && index <= 4) {
        const nominal = [0.5, 0.8, 0.95][index - 2];
        const off = Math.abs(Number(text) - nominal);
        cell.className = off <= 0.05 ? "pass" : "fail";
        cell.title = `nominal ${nominal}`;
      }
    }
  }
  const field = calibration.p_field;
  const wrap = document.createElement("div");
  const line = document.createElement("p");
  line.id = "calibration-field";
  line.textContent = field
    ? `p_field: ROC AUC ${field.roc_auc.toFixed(3)}; at 0.5, ${(field.true_positive_rate * 100).toFixed(1)} % of field runs and ${(field.false_positive_rate * 100).toFixed(1)} % of controls called fields.`
    : "p_field: none (the reference's splits lack controls or field runs).";
  wrap.append(table, line);
  return wrap;
}

/// Every run a point at its first two principal components, coloured by the chosen
/// parameter; dragging a rectangle selects runs, clicking a point opens its run.
function renderMap() {
  const figure = $("#run-map");
  const map = inference.map;
  if (!map) return;
  const width = 640, height = 360, pad = 30;
  const xs = map.x, ys = map.y;
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)], [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (v) => pad + (v - x0) / ((x1 - x0) || 1) * (width - 2 * pad);
  const sy = (v) => height - pad - (v - y0) / ((y1 - y0) || 1) * (height - 2 * pad);
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `Map of ${xs.length} runs: principal components of their observable features` });
  const values = map.runs.map((run) => valueOf(run, inference.colour));
  const numeric = values.every((v) => v == null || typeof v === "number");
  const defined = values.filter((v) => v != null && v !== "");
  const low = numeric ? Math.min(...defined) : 0, high = numeric ? Math.max(...defined) : 1;
  const levels = numeric ? [] : [...new Set(defined)];
  const colourOf = (v) => {
    if (v == null || v === "") return "#9aa0ad";
    if (!numeric) return COLORS[levels.indexOf(v) % COLORS.length];
    const t = high > low ? (v - low) / (high - low) : 0.5;
    return `hsl(${240 - 220 * t}, 70%, 45%)`;
  };
  const brush = inference.brush;
  const inside = (i) => !brush || (xs[i] >= brush[0] && xs[i] <= brush[2] && ys[i] >= brush[1] && ys[i] <= brush[3]);
  inference.selected = [];
  xs.forEach((_, i) => {
    const selected = inside(i);
    if (brush && selected) inference.selected.push(map.run_id[i]);
    const dot = svgElement("circle", { cx: sx(xs[i]), cy: sy(ys[i]), r: 2.5, fill: colourOf(values[i]),
      "fill-opacity": selected ? 0.85 : 0.12, "data-run": map.run_id[i] });
    svg.append(dot);
  });
  const axis = svgElement("text", { x: pad, y: height - 6, "font-size": 11 });
  axis.textContent = (map.total > xs.length ? `${xs.length} of ${map.total} runs (every ${Math.ceil(map.total / xs.length)}th) · ` : "") + `PC1 (${(map.explained[0] * 100).toFixed(0)} %) → · PC2 (${(map.explained[1] * 100).toFixed(0)} %) ↑ · colour: ${inference.colour}` +
    (numeric && defined.length ? ` from ${format(low)} (blue) to ${format(high)} (red)` : levels.length ? ` (${levels.join(", ")})` : "");
  svg.append(axis);
  // One label for the point under the pointer, not a title element per point.
  const hover = svgElement("text", { x: pad, y: 16, "font-size": 11, id: "map-hover" });
  svg.append(hover);
  svg.addEventListener("pointerover", (event) => {
    const run = event.target.dataset && event.target.dataset.run;
    const index = run ? map.run_id.indexOf(run) : -1;
    hover.textContent = index >= 0 ? `${run} · ${inference.colour} ${values[index] ?? "—"}` : "";
  });
  const area = svgElement("rect", { x: 0, y: 0, width, height, fill: "transparent", class: "map-area" });
  svg.prepend(area);
  let start = null;
  const point = (event) => {
    const box = svg.getBoundingClientRect();
    const px = (event.clientX - box.left) * width / box.width, py = (event.clientY - box.top) * height / box.height;
    return [x0 + (px - pad) / (width - 2 * pad) * ((x1 - x0) || 1), y0 + (height - pad - py) / (height - 2 * pad) * ((y1 - y0) || 1), px, py];
  };
  svg.addEventListener("pointerdown", (event) => { event.preventDefault(); start = point(event); });
  svg.addEventListener("pointerup", (event) => {
    if (!start) return;
    const end = point(event);
    const moved = Math.hypot(end[2] - start[2], end[3] - start[3]);
    const begun = start;
    start = null;
    if (moved < 4) {
      const run = event.target.dataset && event.target.dataset.run;
      if (run) { showRun(run); return; }
      inference.brush = null;
    } else {
      inference.brush = [Math.min(begun[0], end[0]), Math.min(begun[1], end[1]), Math.max(begun[0], end[0]), Math.max(begun[1], end[1])];
    }
    renderMap();
  });
  figure.replaceChildren(svg);
  const list = $("#map-selection");
  list.replaceChildren();
  if (brush) {
    const head = document.createElement("span");
    head.textContent = `${inference.selected.length} runs selected: `;
    list.append(head);
    for (const runID of inference.selected.slice(0, 40)) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.textContent = runID;
      button.addEventListener("click", () => showRun(runID));
      list.append(button, " ");
    }
    if (inference.selected.length > 40) list.append(`… and ${inference.selected.length - 40} more`);
  }
}

$("#map-colour").addEventListener("change", () => { inference.colour = $("#map-colour").value; renderMap(); });

/// A run's view: "what produced this run?", the posterior of each parameter the sweep
/// varies as an interval strip (95, 80 and 50 % intervals and the median), the run's own
/// value marked, and p_field.
async function loadPosterior(runID, run, number) {
  const box = $("#posterior");
  box.textContent = "Asking the reference…";
  const body = JSON.stringify({ sweep: state.sweepID, run: runID });
  const result = await trainedAnswer(`/api/sweeps/${state.sweepID}/posterior`, { method: "POST", body }, number,
    (progress) => { box.textContent = `Training the reference… ${Math.round((progress || 0) * 100)} %`; });
  if (!result || state.selected !== runID) return;
  if (result.status !== 200) { box.textContent = "No posterior: " + errorText(result); return; }
  const answer = result.json;
  const field = document.createElement("p");
  field.id = "posterior-field";
  field.textContent = answer.p_field == null ? "p_field: none (the reference has no controls to compare with)."
    : `Probability that a field acted: ${answer.p_field.toFixed(3)} (this run: ${run.config.mode}${run.config.mode === "morphic" && run.config.field_strength > 0 && run.config.crystal_count > 0 ? ", a field acted" : ", no field acted"}).`;
  const strips = document.createElement("div");
  strips.className = "strips";
  for (const [name, marginal] of Object.entries(answer.parameters)) strips.append(posteriorStrip(name, marginal, run.config[name], answer.calibration));
  box.replaceChildren(field, strips);
}

function posteriorStrip(name, marginal, truth, calibration) {
  const width = 420, height = 46, pad = 12;
  const q = marginal.quantiles;
  const draws = marginal.draws;
  const low = Math.min(q["0.025"], ...draws, truth ?? Infinity), high = Math.max(q["0.975"], ...draws, truth ?? -Infinity);
  const sx = (v) => pad + (v - low) / ((high - low) || 1) * (width - 2 * pad);
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "strip", "data-parameter": name,
    "aria-label": `${name}: median ${format(q["0.5"])}, 95 % interval ${format(q["0.025"])} to ${format(q["0.975"])}` });
  for (const [lo, hi, thickness, opacity] of [["0.025", "0.975", 6, 0.25], ["0.1", "0.9", 12, 0.45], ["0.25", "0.75", 18, 0.75]]) {
    svg.append(svgElement("rect", { x: sx(q[lo]), y: 20 - thickness / 2, width: Math.max(1, sx(q[hi]) - sx(q[lo])), height: thickness, fill: "#2456c7", "fill-opacity": opacity }));
  }
  svg.append(svgElement("line", { x1: sx(q["0.5"]), x2: sx(q["0.5"]), y1: 8, y2: 32, stroke: "#1d2330", "stroke-width": 2 }));
  if (typeof truth === "number") {
    const mark = svgElement("path", { d: `M ${sx(truth)} 34 l -5 8 h 10 z`, fill: "#c4421a", class: "truth" });
    const title = svgElement("title", {});
    title.textContent = `this run's ${name}: ${truth}`;
    mark.append(title);
    svg.append(mark);
  }
  const label = document.createElement("figcaption");
  const coverage = calibration && calibration.parameters[name] ? ` · 80 % intervals covered ${(calibration.parameters[name].coverage["0.8"] * 100).toFixed(0)} % of test runs` : "";
  label.textContent = `${name}: median ${format(q["0.5"])}, 50 % ${format(q["0.25"])}–${format(q["0.75"])}, 95 % ${format(q["0.025"])}–${format(q["0.975"])}` +
    (typeof truth === "number" ? ` · this run ${format(truth)} (▲)` : "") + coverage;
  const figure = document.createElement("figure");
  figure.className = "posterior";
  figure.append(svg, label);
  return figure;
}
