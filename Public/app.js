// MorphicLab browser page: plain JavaScript, no build step, nothing fetched from elsewhere.
"use strict";

const $ = (selector) => document.querySelector(selector);
const SVG = "http://www.w3.org/2000/svg";
const COLORS = ["#2456c7", "#c4421a", "#1e7b34", "#8a3ab9", "#b38600", "#0f7c8a", "#c2185b", "#5d4037"];
const SEED_SWEEP = {
  name: "seed-sweep", seed: 42, defaults: { generations: 200, grid_size: 25 },
  groups: [
    { prefix: "control", mode: "classical", replicates: 20,
      params: { crystal_count: 0, field_strength: 0.0, temporal_decay: 0.0, similarity_threshold: 0.0 } },
    { prefix: "morphic", mode: "morphic", params: { crystal_count: 5 },
      grid: { field_strength: [0.2, 0.4, 0.6, 0.8, 1.0], temporal_decay: [0.0, 0.1, 0.5, 0.9],
              similarity_threshold: [0.5, 0.7, 0.9] } },
  ],
};
// MODEL.md's parameter order and defaults, for estimates and tables.
const PARAMETERS = ["mode", "grid_size", "generations", "initial_density", "rule", "boundary", "crystal_count",
  "field_strength", "temporal_decay", "similarity_threshold", "influence_exponent", "cross_system_coupling",
  "form_size", "similarity", "crystallization_interval", "min_form_cells", "reinforcement", "resonance_threshold", "seed"];
const SHOWN_STATS = ["final_population", "avg_population", "avg_complexity", "avg_pattern_diversity",
  "avg_influence_rate", "total_overrides", "total_resonance_events", "convergence_generation"];

const state = { timer: null, sweepID: null, runs: [], sort: { key: "run_id", up: true }, selected: null, lastPoll: {} };

// ---------- API ----------

async function api(path, options = {}) {
  const headers = { Accept: "application/json" };
  const token = localStorage.getItem("morphic-token");
  if (token) headers.Authorization = "Bearer " + token;
  if (options.body) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method: options.method || "GET", headers, body: options.body });
  let json = null;
  if (response.status !== 204) { try { json = await response.json(); } catch (_) { json = null; } }
  return { status: response.status, json };
}

function notice(text) { $("#notice").textContent = text || ""; }

function errorText(result) {
  if (result.status === 401) return "This server needs an API token: enter it at the top right.";
  return (result.json && result.json.error && result.json.error.message) || ("The server answered " + result.status);
}

// ---------- Routing ----------

function route() {
  clearInterval(state.timer);
  notice("");
  const hash = location.hash || "#/";
  for (const view of ["sweeps", "new", "sweep"]) $("#view-" + view).hidden = true;
  const match = hash.match(/^#\/sweeps\/([a-z0-9-]+)$/);
  if (match) {
    showSweep(match[1]);
  } else if (hash === "#/new") {
    $("#view-new").hidden = false;
    document.title = "New sweep · MorphicLab";
  } else {
    $("#view-sweeps").hidden = false;
    document.title = "Sweeps · MorphicLab";
    pollList();
    state.timer = setInterval(pollList, 1000);
  }
  for (const [id, active] of [["#nav-sweeps", !match && hash !== "#/new"], ["#nav-new", hash === "#/new"]]) {
    if (active) $(id).setAttribute("aria-current", "page"); else $(id).removeAttribute("aria-current");
  }
}

// ---------- Sweep list ----------

function formatDuration(seconds) {
  if (seconds == null) return "–";
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h ${Math.floor(s / 60) % 60}m` : s >= 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s}s`;
}

function rateOf(sweep) {
  const now = performance.now();
  const last = state.lastPoll[sweep.id];
  state.lastPoll[sweep.id] = { time: now, cells: sweep.progress.cell_steps_done, rate: last ? last.rate : null };
  if (last && now > last.time && sweep.status === "running") {
    const rate = (sweep.progress.cell_steps_done - last.cells) / ((now - last.time) / 1000);
    state.lastPoll[sweep.id].rate = rate;
    return rate;
  }
  return sweep.status === "running" && last ? last.rate : null;
}

function progressBlock(sweep) {
  const p = sweep.progress;
  const wrap = document.createElement("div");
  const runsLabel = `${p.runs_completed + p.runs_failed} of ${p.runs_total} runs`;
  const bar = document.createElement("progress");
  bar.className = "progress";
  bar.max = 1;
  bar.value = p.fraction;
  bar.setAttribute("aria-label", `${sweep.name} progress`);
  bar.dataset.fraction = String(p.fraction);
  const rate = rateOf(sweep);
  const meta = document.createElement("div");
  meta.className = "meta";
  meta.innerHTML = "";
  for (const text of [runsLabel + (p.runs_failed ? ` (${p.runs_failed} failed)` : ""),
    `${p.cell_steps_done.toLocaleString()} of ${p.cell_steps_total.toLocaleString()} cell updates (${(p.fraction * 100).toFixed(1)}%)`,
    rate ? `${(rate / 1e6).toFixed(1)} M cell updates/s` : "", sweep.status === "running" ? `ETA ${formatDuration(sweep.eta_seconds)}` : ""]) {
    if (!text) continue;
    const span = document.createElement("span");
    span.textContent = text;
    meta.append(span);
  }
  wrap.append(bar, meta);
  return wrap;
}

async function pollList() {
  const result = await api("/api/sweeps").catch(() => null);
  if (!result || result.status !== 200) { notice("Cannot reach the server."); return; }
  notice("");
  const list = $("#sweep-list");
  list.replaceChildren();
  $("#sweep-empty").hidden = result.json.sweeps.length > 0;
  for (const sweep of result.json.sweeps) {
    const item = document.createElement("li");
    const head = document.createElement("div");
    head.className = "head";
    const link = document.createElement("a");
    link.href = "#/sweeps/" + sweep.id;
    link.textContent = sweep.name;
    const status = document.createElement("span");
    status.className = "status " + sweep.status;
    status.textContent = sweep.status;
    const id = document.createElement("code");
    id.textContent = sweep.id;
    head.append(link, id, status);
    item.append(head, progressBlock(sweep));
    list.append(item);
  }
}

// ---------- New sweep ----------

function numbers(text) {
  return text.split(/[\s,]+/).filter(Boolean).map(Number);
}

function formToDefinition() {
  const value = (name) => $("#f-" + name).value;
  const groups = [];
  const controls = Number(value("controls"));
  if (controls > 0) {
    groups.push({ prefix: "control", mode: "classical", replicates: controls,
      params: { crystal_count: 0, field_strength: 0.0, temporal_decay: 0.0, similarity_threshold: 0.0 } });
  }
  const replicates = Number(value("replicates"));
  if (replicates > 0) {
    const grid = {};
    for (const key of ["field_strength", "temporal_decay", "similarity_threshold"]) {
      const values = numbers(value(key));
      if (values.length) grid[key] = values;
    }
    groups.push({ prefix: "morphic", mode: "morphic", replicates, params: { crystal_count: Number(value("crystal_count")) }, grid });
  }
  return { name: value("name"), seed: Number(value("seed")),
    defaults: { grid_size: Number(value("grid_size")), generations: Number(value("generations")) }, groups };
}

function estimate() {
  let definition;
  try { definition = JSON.parse($("#definition").value); } catch (error) {
    $("#estimate").textContent = "The definition is not valid JSON yet.";
    return;
  }
  let runs = 0, cells = 0;
  for (const group of definition.groups || []) {
    const base = Object.assign({ grid_size: 25, generations: 200 }, definition.defaults || {}, group.params || {});
    let points = [base];
    for (const [key, values] of Object.entries(group.grid || {})) {
      points = points.flatMap((point) => (Array.isArray(values) ? values : []).map((v) => Object.assign({}, point, { [key]: v })));
    }
    const replicates = group.replicates || 1;
    for (const point of points) {
      runs += replicates;
      cells += replicates * point.grid_size * point.grid_size * point.generations;
    }
  }
  $("#estimate").textContent = `${runs.toLocaleString()} runs, ${cells.toLocaleString()} cell updates.`;
}

function clearFieldErrors() {
  for (const element of document.querySelectorAll("[aria-invalid]")) element.removeAttribute("aria-invalid");
  for (const element of document.querySelectorAll(".field-error")) element.remove();
  $("#definition-error").textContent = "";
}

// Maps an error's field path to the form control that sets it, when there is one.
function controlFor(field) {
  const last = field.split(".").pop().replace(/\[\d+\]$/, "");
  if (field.startsWith("groups") && field.endsWith(".replicates")) return field.startsWith("groups[0]") ? $("#f-controls") : $("#f-replicates");
  return $("#f-" + last) || ($("#f-" + field) || null);
}

async function submitSweep(event) {
  event.preventDefault();
  clearFieldErrors();
  const body = $("#definition").value;
  try { JSON.parse(body); } catch (error) {
    $("#definition-error").textContent = "Not valid JSON: " + error.message;
    $("#definition").setAttribute("aria-invalid", "true");
    return;
  }
  $("#submit").disabled = true;
  const result = await api("/api/sweeps", { method: "POST", body }).catch(() => null);
  $("#submit").disabled = false;
  if (!result) { $("#definition-error").textContent = "Cannot reach the server."; return; }
  if (result.status === 200 || result.status === 202) {
    location.hash = "#/sweeps/" + result.json.id;
    return;
  }
  const error = result.json && result.json.error;
  $("#definition-error").textContent = (error && error.field ? error.field + ": " : "") + errorText(result);
  $("#definition").setAttribute("aria-invalid", "true");
  const control = error && error.field ? controlFor(error.field) : null;
  if (control) {
    control.setAttribute("aria-invalid", "true");
    const message = document.createElement("span");
    message.className = "field-error";
    message.id = control.id + "-error";
    message.textContent = error.message;
    control.setAttribute("aria-describedby", message.id);
    control.after(message);
  }
}

// ---------- One sweep ----------

async function showSweep(id) {
  state.sweepID = id;
  state.selected = null;
  state.runs = [];
  $("#run-detail").hidden = true;
  $("#view-sweep").hidden = false;
  const base = "/api/sweeps/" + id;
  $("#manifest-link").href = base + "/manifest.json";
  $("#archive-link").href = base + "/dataset.tar.gz";
  let lastStatus = null;
  let polls = 0;
  const poll = async () => {
    const result = await api(base).catch(() => null);
    if (!result || state.sweepID !== id) return;
    if (result.status !== 200) { notice(errorText(result)); return; }
    const sweep = result.json;
    document.title = sweep.name + " · MorphicLab";
    $("#sweep-title").textContent = sweep.name;
    const status = document.createElement("p");
    status.innerHTML = "";
    const label = document.createElement("span");
    label.className = "status " + sweep.status;
    label.textContent = sweep.status;
    const idText = document.createElement("code");
    idText.textContent = " " + sweep.id;
    status.append(label, idText);
    $("#sweep-status").replaceChildren(status, progressBlock(sweep));
    const active = sweep.status === "queued" || sweep.status === "running" || sweep.status === "cancelling";
    $("#cancel").disabled = !active || sweep.status === "cancelling";
    if (sweep.waiting) {
      const waiting = document.createElement("p");
      waiting.className = "waiting";
      waiting.textContent = "Waiting: " + sweep.waiting;
      $("#sweep-status").append(waiting);
    }
    $("#retry").disabled = !(sweep.status === "failed" || sweep.status === "cancelled");
    const ready = sweep.status === "completed" || sweep.status === "failed";
    for (const link of [$("#manifest-link"), $("#archive-link")]) link.setAttribute("aria-disabled", String(!ready));
    // The run table is heavier than the status: refresh it every third poll while running.
    if (sweep.status !== lastStatus || (active && polls++ % 3 === 0)) await loadRuns(id);
    lastStatus = sweep.status;
    if (!active) clearInterval(state.timer);
  };
  await poll();
  clearInterval(state.timer);
  state.timer = setInterval(poll, 1000);
}

async function loadRuns(id) {
  const result = await api(`/api/sweeps/${id}/runs?limit=10000`).catch(() => null);
  if (!result || result.status !== 200 || state.sweepID !== id) return;
  state.runs = result.json.runs;
  renderRuns();
  renderSweepChart();
}

/// Parameters whose value differs between runs: the interesting columns.
function sweptParameters() {
  return PARAMETERS.filter((key) => key !== "seed" && new Set(state.runs.map((run) => String(run.config[key]))).size > 1);
}

function cellValue(run, key) {
  if (key === "run_id" || key === "mode" || key === "status") return run[key];
  if (key in run.config) return run.config[key];
  return run.summary_stats ? run.summary_stats[key] : null;
}

function renderRuns() {
  const columns = ["run_id", "mode", "status", ...sweptParameters().filter((k) => k !== "mode"), ...SHOWN_STATS];
  const head = document.createElement("tr");
  for (const key of columns) {
    const th = document.createElement("th");
    th.scope = "col";
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = key.replace(/_/g, " ") + (state.sort.key === key ? (state.sort.up ? " ▲" : " ▼") : "");
    button.addEventListener("click", () => {
      state.sort = { key, up: state.sort.key === key ? !state.sort.up : true };
      renderRuns();
    });
    if (state.sort.key === key) th.setAttribute("aria-sort", state.sort.up ? "ascending" : "descending");
    th.append(button);
    head.append(th);
  }
  $("#runs thead").replaceChildren(head);
  const filter = $("#run-filter").value.trim().toLowerCase();
  const rows = state.runs.filter((run) => !filter || columns.some((key) => String(cellValue(run, key) ?? "").toLowerCase().includes(filter)));
  const { key, up } = state.sort;
  const natural = (a, b) => {
    const x = cellValue(a, key), y = cellValue(b, key);
    if (typeof x === "number" && typeof y === "number") return x - y;
    return String(x ?? "").localeCompare(String(y ?? ""), undefined, { numeric: true });
  };
  rows.sort((a, b) => (up ? natural(a, b) : natural(b, a)));
  const body = $("#runs tbody");
  body.replaceChildren();
  for (const run of rows) {
    const tr = document.createElement("tr");
    tr.tabIndex = 0;
    tr.dataset.run = run.run_id;
    if (state.selected === run.run_id) tr.setAttribute("aria-selected", "true");
    for (const column of columns) {
      const td = document.createElement("td");
      const value = cellValue(run, column);
      td.textContent = value == null ? "–" : typeof value === "number" && !Number.isInteger(value) ? value.toPrecision(4) : value;
      tr.append(td);
    }
    const open = () => { if (run.status === "completed") showRun(run.run_id); };
    tr.addEventListener("click", open);
    tr.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); open(); } });
    body.append(tr);
  }
  $("#run-count").textContent = `${rows.length} of ${state.runs.length} runs`;
}

// ---------- Charts ----------

function svgElement(name, attributes) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  return element;
}

function format(value) {
  return Math.abs(value) >= 1000 || Number.isInteger(value) ? String(Math.round(value)) : String(Number(value.toPrecision(3)));
}

/// A line chart as SVG: `lines` is [{name, points: [[x, y], ...]}].
function lineChart(title, lines, xLabel, options = {}) {
  const figure = document.createElement("figure");
  figure.className = "chart";
  const caption = document.createElement("figcaption");
  caption.textContent = title;
  const width = 480, height = 220, left = 52, right = 12, top = 10, bottom = 34;
  const all = lines.flatMap((line) => line.points);
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]).filter((y) => y != null);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(0, ...ys), Math.max(...ys)];
  if (!isFinite(x0)) { x0 = 0; x1 = 1; }
  if (x0 === x1) { x1 = x0 + 1; }
  if (!isFinite(y1) || y1 === y0) { y1 = y0 + 1; }
  const sx = (x) => left + ((x - x0) / (x1 - x0)) * (width - left - right);
  const sy = (y) => top + (1 - (y - y0) / (y1 - y0)) * (height - top - bottom);
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
  svg.append(svgElement("line", { x1: left, y1: sy(y0), x2: width - right, y2: sy(y0), stroke: "#999" }));
  svg.append(svgElement("line", { x1: left, y1: top, x2: left, y2: height - bottom, stroke: "#999" }));
  for (const [value, y] of [[y0, sy(y0)], [y1, sy(y1)]]) {
    const label = svgElement("text", { x: left - 6, y: y + 4, "text-anchor": "end", "font-size": 11 });
    label.textContent = format(value);
    svg.append(label);
  }
  for (const [value, x] of [[x0, sx(x0)], [x1, sx(x1)]]) {
    const label = svgElement("text", { x, y: height - bottom + 14, "text-anchor": "middle", "font-size": 11 });
    label.textContent = format(value);
    svg.append(label);
  }
  const axis = svgElement("text", { x: (left + width) / 2, y: height - 4, "text-anchor": "middle", "font-size": 11 });
  axis.textContent = xLabel;
  svg.append(axis);
  lines.forEach((line, index) => {
    const points = line.points.filter((p) => p[1] != null);
    const color = COLORS[index % COLORS.length];
    const path = svgElement("polyline", {
      points: points.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(" "),
      fill: "none", stroke: color, "stroke-width": 1.5, "data-points": points.length, class: "series",
    });
    svg.append(path);
    if (options.markers) for (const p of points) svg.append(svgElement("circle", { cx: sx(p[0]), cy: sy(p[1]), r: 3, fill: color }));
  });
  figure.append(caption, svg);
  if (lines.length > 1 || options.legend) {
    const legend = document.createElement("div");
    legend.className = "legend";
    lines.forEach((line, index) => {
      const span = document.createElement("span");
      span.style.setProperty("--c", COLORS[index % COLORS.length]);
      span.textContent = line.name;
      legend.append(span);
    });
    figure.append(legend);
  }
  return figure;
}

function fillSelect(select, options, preferred) {
  const current = select.value || preferred;
  select.replaceChildren(...options.map((name) => new Option(name.replace(/_/g, " "), name)));
  if (options.includes(current)) select.value = current;
}

function renderSweepChart() {
  const done = state.runs.filter((run) => run.summary_stats);
  const swept = sweptParameters().filter((k) => !["mode", "rule", "boundary", "similarity"].includes(k));
  const stats = done.length ? Object.keys(done[0].summary_stats).filter((k) => typeof done[0].summary_stats[k] === "number") : [];
  fillSelect($("#chart-y"), stats, "avg_influence_rate");
  fillSelect($("#chart-x"), swept.length ? swept : ["field_strength"], "field_strength");
  fillSelect($("#chart-series"), ["none", ...swept], "temporal_decay");
  const y = $("#chart-y").value, x = $("#chart-x").value, by = $("#chart-series").value;
  const groups = new Map();
  for (const run of done) {
    const key = by === "none" || by === x ? "all runs" : `${by.replace(/_/g, " ")} ${run.config[by]}`;
    if (!groups.has(key)) groups.set(key, new Map());
    const points = groups.get(key);
    const xv = Number(run.config[x]);
    const value = run.summary_stats[y];
    if (value == null || !isFinite(xv)) continue;
    if (!points.has(xv)) points.set(xv, []);
    points.get(xv).push(value);
  }
  const lines = [...groups.entries()].sort().map(([name, points]) => ({
    name, points: [...points.entries()].sort((a, b) => a[0] - b[0]).map(([xv, values]) => [xv, values.reduce((a, b) => a + b, 0) / values.length]),
  }));
  const chart = lineChart(`Mean ${y.replace(/_/g, " ")} against ${x.replace(/_/g, " ")}`, lines, x.replace(/_/g, " "), { markers: true, legend: true });
  $("#sweep-chart").replaceWith(Object.assign(chart, { id: "sweep-chart" }));
}

async function showRun(runID) {
  state.selected = runID;
  for (const row of document.querySelectorAll("#runs tbody tr")) {
    if (row.dataset.run === runID) row.setAttribute("aria-selected", "true"); else row.removeAttribute("aria-selected");
  }
  const path = `/api/sweeps/${state.sweepID}/runs/${runID}`;
  const result = await api(path).catch(() => null);
  if (!result || result.status !== 200) { notice(result ? errorText(result) : "Cannot reach the server."); return; }
  const run = result.json;
  $("#run-detail").hidden = false;
  $("#run-title").textContent = `Run ${runID}`;
  $("#run-json").href = path;
  const charts = $("#run-charts");
  charts.replaceChildren();
  for (const name of ["population", "complexity", "morphic_influence_rate", "pattern_diversity"]) {
    const series = run.timeseries[name];
    const chart = lineChart(name.replace(/_/g, " "), [{ name, points: series.map((v, t) => [t, v]) }], "generation");
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
}

// ---------- Start ----------

$("#token").value = localStorage.getItem("morphic-token") || "";
$("#token").addEventListener("change", () => {
  const value = $("#token").value.trim();
  if (value) localStorage.setItem("morphic-token", value); else localStorage.removeItem("morphic-token");
});
$("#definition").value = JSON.stringify(SEED_SWEEP, null, 2);
$("#definition").addEventListener("input", estimate);
$("#form-to-json").addEventListener("click", () => {
  $("#definition").value = JSON.stringify(formToDefinition(), null, 2);
  estimate();
});
$("#form").addEventListener("submit", submitSweep);
$("#run-filter").addEventListener("input", renderRuns);
for (const id of ["#chart-y", "#chart-x", "#chart-series"]) $(id).addEventListener("change", renderSweepChart);
$("#cancel").addEventListener("click", async () => {
  const result = await api(`/api/sweeps/${state.sweepID}/cancel`, { method: "POST" });
  notice(result.status === 200 ? "Cancelled; finished runs are kept."
    : result.status === 202 ? "Cancelling: waiting for the cluster to stop the sweep's jobs; finished runs are kept."
    : errorText(result));
  showSweep(state.sweepID);
});
$("#retry").addEventListener("click", async () => {
  const result = await api(`/api/sweeps/${state.sweepID}/retry`, { method: "POST" });
  notice(result.status === 202 ? "Queued again." : errorText(result));
  showSweep(state.sweepID);
});
window.addEventListener("hashchange", route);
estimate();
route();
