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
// docs/model.md's parameter order and defaults, for estimates and tables.
const PARAMETERS = ["mode", "grid_size", "generations", "initial_density", "rule", "boundary", "crystal_count",
  "field_strength", "temporal_decay", "similarity_threshold", "influence_exponent", "cross_system_coupling",
  "form_size", "similarity", "crystallization_interval", "min_form_cells", "reinforcement", "resonance_threshold", "seed"];
const STATISTICS = ["final_population", "max_population", "min_population", "avg_population", "population_std",
  "avg_complexity", "avg_volatility", "avg_pattern_diversity", "avg_influence_rate", "max_influence_rate",
  "total_overrides", "total_resonance_events", "emergence_events", "stability_score", "convergence_generation"];
const SHOWN_STATS = ["final_population", "avg_population", "avg_complexity", "avg_pattern_diversity",
  "avg_influence_rate", "total_overrides", "total_resonance_events", "convergence_generation"];

const state = { sweepID: null, selected: null, compare: [] };

// ---------- Views: each navigation starts one; whatever an older view started stops ----------

const view = { number: 0, timer: null, controller: null, resume: null };

/// Starts a new view: the old one's timer and requests end here.
function startView() {
  view.number += 1;
  clearTimeout(view.timer);
  view.timer = null;
  view.resume = null;
  if (view.controller) view.controller.abort();
  view.controller = new AbortController();
  stopReplay();
  return view.number;
}

const current = (number) => number === view.number;

/// Calls `step` until it returns null, waiting the milliseconds it returns in between; one
/// request at a time, nothing while the tab is hidden, and at once when it shows again.
function poll(number, step) {
  const run = async () => {
    if (!current(number)) return;
    if (document.hidden) { view.resume = run; return; }
    const delay = await step();
    if (current(number) && delay != null) view.timer = setTimeout(run, delay);
  };
  run();
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden || !view.resume) return;
  const resume = view.resume;
  view.resume = null;
  resume();
});

// ---------- API ----------

/// A request of the current view (aborted when it ends); null when it was aborted or the
/// server cannot be reached, which the outage banner then says.
async function api(path, options = {}) {
  const headers = { Accept: "application/json" };
  const token = localStorage.getItem("morphic-token");
  if (token) headers.Authorization = "Bearer " + token;
  if (options.body) headers["Content-Type"] = "application/json";
  let response;
  try {
    // no-cache: revalidate with the entity tag, so an unchanged answer costs a 304.
    response = await fetch(path, { method: options.method || "GET", headers, body: options.body, cache: "no-cache",
      signal: options.signal || (view.controller && view.controller.signal) });
  } catch (error) {
    if (error.name !== "AbortError") outage(true);
    return null;
  }
  outage(false);
  let json = null;
  if (response.status !== 204) { try { json = parseJSON(await response.text()); } catch (_) { json = null; } }
  return { status: response.status, json };
}

/// JSON.parse, but a seed keeps its exact digits as text: seeds reach 2^64 − 1, past the
/// 2^53 a JavaScript number holds exactly.
function parseJSON(text) {
  return JSON.parse(text, (key, value, context) =>
    key === "seed" && typeof value === "number" && context && context.source ? context.source : value);
}

function outage(down) { $("#outage").hidden = !down; }

function notice(text) { $("#notice").textContent = text || ""; }

function errorText(result) {
  if (result.status === 401) return "This server needs an API token: enter it at the top right.";
  return (result.json && result.json.error && result.json.error.message) || ("The server answered " + result.status);
}

// ---------- Routing ----------

/// What a sweep view shows — chart axes, filter, sort, the open run — kept in the URL's hash
/// (`#/sweeps/ID?y=…&x=…&by=…&filter=…&sort=…&run=…`), so a view can be shared and comes back
/// as it was. Written with replaceState, which does not route again.
const viewState = {
  wanted: {},
  restore(params) { this.wanted = Object.fromEntries(params.entries()); },
  take(key) { const value = this.wanted[key]; delete this.wanted[key]; return value; },
  save() {
    if (!state.sweepID) return;
    const params = new URLSearchParams();
    for (const [key, id] of [["y", "#chart-y"], ["x", "#chart-x"], ["by", "#chart-series"], ["hx", "#heat-x"], ["hy", "#heat-y"], ["hz", "#heat-z"]]) if ($(id).value) params.set(key, $(id).value);
    if (table.filter) params.set("filter", table.filter);
    if (table.sort) params.set("sort", table.sort);
    if (table.chosen) params.set("cols", table.chosen.join(","));
    if (state.selected) params.set("run", state.selected);
    if (state.compare.length) params.set("compare", state.compare.join(","));
    const stats = [...$("#parallel-stats").selectedOptions].map((option) => option.value);
    if (stats.length) params.set("stats", stats.join(","));
    const hash = `#/sweeps/${state.sweepID}` + (params.toString() ? "?" + params : "");
    if (location.hash !== hash) history.replaceState(null, "", hash);
  },
};

function route() {
  const number = startView();
  notice("");
  const hash = location.hash || "#/";
  for (const name of ["sweeps", "new", "sweep", "missing"]) $("#view-" + name).hidden = true;
  const match = hash.match(/^#\/sweeps\/([a-z0-9-]+)(?:\?(.*))?$/);
  if (match) {
    viewState.restore(new URLSearchParams(match[2] || ""));
    showSweep(match[1], number);
  } else if (hash === "#/new") {
    $("#view-new").hidden = false;
    document.title = "New sweep · MorphicLab";
  } else {
    $("#view-sweeps").hidden = false;
    document.title = "Sweeps · MorphicLab";
    let idle = 0;
    poll(number, async () => {
      const active = await pollList(number);
      if (active == null) return 5000;
      // Every second while something runs; otherwise less and less often, up to 30 s.
      idle = active ? 0 : idle + 1;
      return active ? 1000 : Math.min(30000, 5000 * 2 ** (idle - 1));
    });
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

/// Cell updates per second as the server measures them: what remains over its ETA.
function rateOf(sweep) {
  const p = sweep.progress;
  if (sweep.status !== "running" || !sweep.eta_seconds) return null;
  return (p.cell_steps_total - p.cell_steps_done) / sweep.eta_seconds;
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

/// Shows the sweep list; whether any sweep is still active, or null when the server did not answer.
async function pollList(number) {
  const result = await api("/api/sweeps");
  if (!result || !current(number)) return null;
  if (result.status !== 200) { notice(errorText(result)); return null; }
  const list = $("#sweep-list");
  const sweeps = result.json.sweeps;
  $("#sweep-empty").hidden = sweeps.length > 0;
  const items = sweeps.map((sweep) => {
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
    return item;
  });
  // Keep focus on the link it was on across the refresh.
  const focused = document.activeElement && document.activeElement.closest("#sweep-list") ? document.activeElement.getAttribute("href") : null;
  list.replaceChildren(...items);
  if (focused) { const again = list.querySelector(`a[href="${focused}"]`); if (again) again.focus(); }
  $("#sweep-total").textContent = result.json.total > sweeps.length ? `The newest ${sweeps.length} of ${result.json.total}.` : "";
  return sweeps.some((sweep) => ["queued", "running", "cancelling"].includes(sweep.status));
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
    const group = { prefix: "morphic", mode: "morphic", replicates, params: { crystal_count: Number(value("crystal_count")) } };
    if (value("design") === "sample") {
      group.sample = sampleFromForm(value);
    } else {
      group.grid = {};
      for (const key of FORM_AXES) {
        const values = numbers(value(key));
        if (values.length) group.grid[key] = values;
      }
    }
    groups.push(group);
  }
  return { name: value("name"), seed: Number(value("seed")),
    defaults: { grid_size: Number(value("grid_size")), generations: Number(value("generations")) }, groups };
}

// ---------- New sweep: sampled points ----------

const FORM_AXES = ["field_strength", "temporal_decay", "similarity_threshold"];

// The morphic group's `sample`: the method, the count and each axis's distribution and bounds.
function sampleFromForm(value) {
  const params = {};
  for (const key of FORM_AXES) {
    params[key] = { [value(key + "-dist")]: [Number(value(key + "-lo")), Number(value(key + "-hi"))] };
  }
  return { count: Number(value("count")), method: value("method"), params };
}

// Shows the grid's value lists or the sample's ranges, whichever the form builds.
function showDesign() {
  const sampled = $("#f-design").value === "sample";
  for (const label of document.querySelectorAll("#form .grid-only")) label.hidden = sampled;
  for (const label of document.querySelectorAll("#form .sample-only")) label.hidden = !sampled;
}

// The form control a sampled field's error names: `…sample.count`, `…sample.method`, or a
// distribution (`…sample.params.field_strength.uniform[1]` is its upper bound).
function sampleControlFor(field) {
  const match = /sample\.(count|method)$|sample\.params\.(\w+)(?:\.\w+(?:\[(\d+)\])?)?$/.exec(field);
  if (!match) return null;
  if (match[1]) return $("#f-" + match[1]);
  const suffix = match[3] === "0" ? "-lo" : match[3] === "1" ? "-hi" : "-dist";
  return $("#f-" + match[2] + suffix);
}

// Points of a group: its grid's combinations, its sample's count or its list's length.
function groupPoints(group, base) {
  if (group.sample) return Array(Math.max(0, Number(group.sample.count) || 0)).fill(base);
  if (Array.isArray(group.points)) return group.points.map((point) => Object.assign({}, base, point));
  let points = [base];
  for (const [key, values] of Object.entries(group.grid || {})) {
    points = points.flatMap((point) => (Array.isArray(values) ? values : []).map((v) => Object.assign({}, point, { [key]: v })));
  }
  return points;
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
    const points = groupPoints(group, base);
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
  for (const element of document.querySelectorAll(".field-error")) {
    // The control no longer refers to its message once the message is gone.
    for (const control of document.querySelectorAll(`[aria-describedby="${element.id}"]`)) control.removeAttribute("aria-describedby");
    element.remove();
  }
  $("#definition-error").textContent = "";
}

// Maps an error's field path to the form control that sets it, when there is one.
function controlFor(field) {
  const last = field.split(".").pop().replace(/\[\d+\]$/, "");
  if (field.startsWith("groups") && field.endsWith(".replicates")) return field.startsWith("groups[0]") ? $("#f-controls") : $("#f-replicates");
  if (field.includes(".sample")) return sampleControlFor(field);
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

async function showSweep(id, number) {
  state.sweepID = id;
  state.selected = null;
  $("#run-detail").hidden = true;
  $("#view-sweep").hidden = false;
  $("#sweep-title").textContent = id;
  $("#sweep-status").replaceChildren();
  const base = "/api/sweeps/" + id;
  $("#manifest-link").href = base + "/manifest.json";
  $("#archive-link").href = base + "/dataset.tar.gz";
  csvLink();
  $("#run-filter").value = viewState.take("filter") || "";
  parallel.brushes = {};
  $("#parallel-stats").replaceChildren();
  clearCharts();
  table.sort = viewState.take("sort") || "";
  const chosen = viewState.take("cols");
  table.chosen = chosen ? chosen.split(",").filter((key) => PARAMETERS.includes(key) || STATISTICS.includes(key)) : null;
  resetTable(id, number);
  const wantedRun = viewState.take("run");
  if (wantedRun) showRun(wantedRun);
  state.compare = (viewState.take("compare") || "").split(",").filter(Boolean).slice(0, 4);
  compareCache.clear();
  renderCompare(number);
  $("#validation").replaceChildren();
  let last = null;
  poll(number, async () => {
    const result = await api(base);
    if (!current(number)) return null;
    if (!result) return 3000;
    if (result.status === 404) { showMissing(id); return null; }
    if (result.status !== 200) { notice(errorText(result)); return 3000; }
    const sweep = result.json;
    document.title = sweep.name + " · MorphicLab";
    $("#sweep-title").textContent = sweep.name;
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
    const active = ["queued", "running", "cancelling"].includes(sweep.status);
    $("#cancel").disabled = !active || sweep.status === "cancelling";
    $("#retry").disabled = !(sweep.status === "failed" || sweep.status === "cancelled");
    $("#delete").disabled = active;
    const ready = sweep.status === "completed" || sweep.status === "failed";
    for (const link of [$("#manifest-link"), $("#archive-link")]) link.setAttribute("aria-disabled", String(!ready));
    // The table follows finished runs; the chart is drawn again when the sweep's state changes.
    const done = sweep.progress.runs_completed + sweep.progress.runs_failed;
    if (!last || done !== last.done || sweep.status !== last.status) refreshTable();
    // The table's first rows come first: the chart's answers may need every run's record read.
    if (!last || sweep.status !== last.status) table.firstPage.then(() => loadChart(id, number));
    if (ready && (!last || sweep.status !== last.status)) loadValidation(id, number);
    if (ready && (!last || sweep.status !== last.status)) loadInference(id, number);
    last = { done, status: sweep.status };
    return active ? 1000 : null;
  });
}

function showMissing(id) {
  $("#view-sweep").hidden = true;
  $("#view-missing").hidden = false;
  $("#missing-id").textContent = id;
  document.title = "No such sweep · MorphicLab";
}

// ---------- The run table: only the visible rows, pages asked from the server ----------

const ROW_HEIGHT = 29, PAGE = 200, OVERSCAN = 12;
const table = { id: null, number: 0, filter: "", sort: "", total: 0, matched: 0, pages: new Map(), asked: new Map(),
  columns: null, generation: 0, focusRun: null };

/// "Runs as CSV" exports what the table shows: the filter's runs, in its order.
function csvLink() {
  const params = new URLSearchParams();
  const filter = $("#run-filter").value.trim();
  if (filter) params.set("filter", filter);
  if (table.sort) params.set("sort", table.sort);
  $("#csv-link").href = `/api/sweeps/${state.sweepID}/runs.csv` + (params.toString() ? "?" + params : "");
}

function resetTable(id, number) {
  Object.assign(table, { id, number, filter: $("#run-filter").value.trim(), total: 0, matched: 0, columns: null,
    pages: new Map(), focusRun: null });
  table.firstPage = new Promise((resolve) => { table.pageArrived = resolve; });
  $("#runs thead").replaceChildren();
  $("#runs tbody").replaceChildren();
  $("#run-count").textContent = "";
  $(".table-wrap").scrollTop = 0;
  chart.swept = [];
  chart.columns.clear();
  refreshTable();
}

/// Forgets the cached pages and asks again for the visible ones; the rows shown stay until
/// their replacements arrive.
function refreshTable() {
  table.generation += 1;
  for (const controller of table.asked.values()) controller.abort();
  table.asked.clear();
  table.stale = table.pages;
  table.pages = new Map();
  renderRows();
}

function tablePath(offset, limit) {
  const parameters = new URLSearchParams({ offset: String(offset), limit: String(limit) });
  if (table.filter) parameters.set("filter", table.filter);
  if (table.sort) parameters.set("sort", table.sort);
  return `/api/sweeps/${table.id}/runs?` + parameters;
}

async function askPage(offset) {
  if (table.pages.has(offset) || table.asked.has(offset)) return;
  const controller = new AbortController();
  view.controller.signal.addEventListener("abort", () => controller.abort());
  table.asked.set(offset, controller);
  const generation = table.generation;
  const result = await api(tablePath(offset, PAGE), { signal: controller.signal });
  if (generation !== table.generation || !current(table.number)) return;
  table.asked.delete(offset);
  table.pageArrived();
  if (!result) return;
  if (result.status !== 200) {
    $("#filter-error").textContent = errorText(result);
    $("#run-filter").setAttribute("aria-invalid", "true");
    return;
  }
  $("#filter-error").textContent = "";
  $("#run-filter").removeAttribute("aria-invalid");
  table.total = result.json.total;
  table.matched = result.json.matched;
  table.pages.set(offset, result.json.runs);
  if (!table.columns) table.columns = table.chosen ? ["run_id", "mode", "status", ...table.chosen] : columnsOf(result.json.runs);
  renderRows();
}

/// Shows the chosen parameter and statistic columns after the run's identity and status.
function setColumns(chosen) {
  table.columns = ["run_id", "mode", "status", ...chosen];
  const select = $("#run-columns");
  for (const option of select.options) option.selected = chosen.includes(option.value);
  renderHead();
  renderRows();
}

/// The chooser's choices, and by default the parameters the definition varies (known from
/// the server's aggregate answer) with the main statistics.
function fillColumnChooser() {
  const select = $("#run-columns");
  if (!select.options.length) {
    select.replaceChildren(...[...PARAMETERS.filter((key) => key !== "mode"), ...STATISTICS]
      .map((name) => new Option(label(name), name)));
  }
  setColumns(table.chosen || [...chart.swept, ...SHOWN_STATS]);
}

/// The columns until the swept parameters are known: those varying within the first page.
function columnsOf(runs) {
  const varying = PARAMETERS.filter((key) => key !== "mode" && key !== "seed" && new Set(runs.map((run) => String(run.config[key]))).size > 1);
  return ["run_id", "mode", "status", ...varying, ...SHOWN_STATS];
}

function cellValue(run, key) {
  if (key === "run_id" || key === "mode" || key === "status") return run[key];
  if (key in run.config) return run.config[key];
  return run.summary_stats ? run.summary_stats[key] : null;
}

function rowAt(index) {
  const offset = Math.floor(index / PAGE) * PAGE;
  const page = table.pages.get(offset) || (table.stale && table.stale.get(offset));
  return page ? page[index - offset] : undefined;
}

function renderHead() {
  const head = document.createElement("tr");
  head.setAttribute("aria-rowindex", "1");
  const sortKey = table.sort.replace(/^-/, ""), descending = table.sort.startsWith("-");
  for (const key of table.columns) {
    const th = document.createElement("th");
    th.scope = "col";
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = key.replace(/_/g, " ") + (sortKey === key ? (descending ? " ▼" : " ▲") : "");
    button.dataset.key = key;
    button.addEventListener("click", () => {
      table.sort = sortKey === key && !descending ? "-" + key : key;
      viewState.save();
      $(".table-wrap").scrollTop = 0;
      refreshTable();
      renderHead();
      $(`#runs thead button[data-key="${key}"]`).focus();
    });
    if (sortKey === key) th.setAttribute("aria-sort", descending ? "descending" : "ascending");
    th.append(button);
    head.append(th);
  }
  $("#runs thead").replaceChildren(head);
}

function spacer(height, columns) {
  const tr = document.createElement("tr");
  tr.className = "spacer";
  tr.setAttribute("aria-hidden", "true");
  const td = document.createElement("td");
  td.colSpan = columns;
  td.style.height = height + "px";
  tr.append(td);
  return tr;
}

function renderRows() {
  const wrap = $(".table-wrap");
  const visible = Math.ceil((wrap.clientHeight || 448) / ROW_HEIGHT);
  const count = table.matched;
  const first = Math.max(0, Math.floor(wrap.scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(count, first + visible + 2 * OVERSCAN);
  for (let offset = Math.floor(first / PAGE) * PAGE; offset < Math.max(last, 1); offset += PAGE) askPage(offset);
  if (!table.columns) return;
  if (!$("#runs thead tr")) renderHead();
  $("#runs").setAttribute("aria-rowcount", String(count + 1));
  const focusedRun = document.activeElement && document.activeElement.closest("#runs tbody") ? document.activeElement.dataset.run : null;
  const body = $("#runs tbody");
  // Rows already shown are kept and updated in place: focus, selection and any reference
  // to them survive a refresh.
  const shown = new Map([...body.querySelectorAll("tr[data-index]")].map((tr) => [tr.dataset.index, tr]));
  const rows = [spacer(first * ROW_HEIGHT, table.columns.length)];
  for (let index = first; index < last; index++) {
    const run = rowAt(index);
    let tr = shown.get(String(index));
    if (!tr || tr.children.length !== table.columns.length || (tr.dataset.run || "") !== (run ? run.run_id : "")) {
      tr = document.createElement("tr");
      tr.setAttribute("aria-rowindex", String(index + 2));
      tr.dataset.index = String(index);
      for (const _ of table.columns) tr.append(document.createElement("td"));
    }
    if (run) {
      tr.dataset.run = run.run_id;
      tr.tabIndex = run.run_id === (focusedRun || table.focusRun) ? 0 : -1;
      if (state.selected === run.run_id) tr.setAttribute("aria-selected", "true"); else tr.removeAttribute("aria-selected");
    }
    table.columns.forEach((column, position) => {
      const value = run ? cellValue(run, column) : column === "run_id" ? "…" : "";
      const text = value == null ? "–" : typeof value === "number" && !Number.isInteger(value) ? value.toPrecision(4) : String(value);
      if (tr.children[position].textContent !== text) tr.children[position].textContent = text;
    });
    rows.push(tr);
  }
  rows.push(spacer((count - last) * ROW_HEIGHT, table.columns.length));
  body.replaceChildren(...rows);
  if (!body.querySelector("tr[tabindex='0']")) { const firstRow = body.querySelector("tr[data-run]"); if (firstRow) firstRow.tabIndex = 0; }
  if (focusedRun) { const again = body.querySelector(`tr[data-run="${focusedRun}"]`); if (again) again.focus({ preventScroll: true }); }
  $("#run-count").textContent = `${count.toLocaleString()} of ${table.total.toLocaleString()} runs`;
}

/// Moves the keyboard focus to the row at `index`, scrolling it into view.
function focusRow(index) {
  if (index < 0 || index >= table.matched) return;
  const wrap = $(".table-wrap");
  const top = index * ROW_HEIGHT;
  if (top < wrap.scrollTop) wrap.scrollTop = top;
  else if (top + ROW_HEIGHT > wrap.scrollTop + wrap.clientHeight - ROW_HEIGHT) wrap.scrollTop = top - wrap.clientHeight + 2 * ROW_HEIGHT;
  renderRows();
  const row = $(`#runs tbody tr[data-index="${index}"]`);
  if (row) {
    for (const other of document.querySelectorAll("#runs tbody tr[tabindex='0']")) other.tabIndex = -1;
    row.tabIndex = 0;
    table.focusRun = row.dataset.run || null;
    row.focus({ preventScroll: true });
  }
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

/// About five round values between `low` and `high`, for axis ticks.
function ticks(low, high) {
  const span = high - low;
  if (!(span > 0) || !isFinite(span)) return [low];
  const raw = span / 4, magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= raw);
  const values = [];
  for (let value = Math.ceil(low / step) * step; value <= high + step * 1e-9; value += step) values.push(Number(value.toPrecision(12)));
  return values;
}

/// A line chart as SVG: `lines` is [{name, points: [[x, y], ...]}].
function lineChart(title, lines, xLabel, options = {}) {
  const figure = document.createElement("figure");
  figure.className = "chart";
  const caption = document.createElement("figcaption");
  caption.textContent = title;
  const width = 480, height = 220, left = 52, right = 12, top = 10, bottom = 34;
  const all = lines.flatMap((line) => line.points);
  const xs = all.map((p) => p[0]), ys = all.flatMap((p) => p.slice(1)).filter((y) => y != null);
  if (options.band) ys.push(options.band.low, options.band.high);
  for (const line of lines) for (const box of line.boxes || []) ys.push(box[2], box[4]);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  // The data's own range, not forced to zero, with a little room.
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const pad = (y1 - y0) * 0.05;
  if (isFinite(pad) && pad > 0) { y0 -= pad; y1 += pad; }
  if (!isFinite(x0)) { x0 = 0; x1 = 1; }
  if (x0 === x1) { x1 = x0 + 1; }
  if (!isFinite(y0) || !isFinite(y1)) { y0 = 0; y1 = 1; }
  if (y1 === y0) { y1 = y0 + 1; }
  const sx = (x) => left + ((x - x0) / (x1 - x0)) * (width - left - right);
  const sy = (y) => top + (1 - (y - y0) / (y1 - y0)) * (height - top - bottom);
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
  svg.append(svgElement("line", { x1: left, y1: sy(y0), x2: width - right, y2: sy(y0), stroke: "currentColor", "stroke-opacity": 0.6 }));
  svg.append(svgElement("line", { x1: left, y1: top, x2: left, y2: height - bottom, stroke: "currentColor", "stroke-opacity": 0.6 }));
  if (options.band) {
    const top = sy(options.band.high), bottom = sy(options.band.low);
    const rect = svgElement("rect", { x: left, y: top, width: width - left - right, height: Math.max(1, bottom - top), fill: "#9aa3b5", "fill-opacity": 0.25, class: "band" });
    const title = svgElement("title", {});
    title.textContent = options.band.label;
    rect.append(title);
    svg.append(rect);
  }
  for (const value of ticks(y0, y1)) {
    const y = sy(value);
    svg.append(svgElement("line", { x1: left - 4, y1: y, x2: left, y2: y, stroke: "currentColor", "stroke-opacity": 0.6 }));
    const label = svgElement("text", { x: left - 6, y: y + 4, "text-anchor": "end", "font-size": 11 });
    label.textContent = format(value);
    svg.append(label);
  }
  for (const value of ticks(x0, x1)) {
    const x = sx(value);
    svg.append(svgElement("line", { x1: x, y1: height - bottom, x2: x, y2: height - bottom + 4, stroke: "currentColor", "stroke-opacity": 0.6 }));
    const label = svgElement("text", { x, y: height - bottom + 14, "text-anchor": "middle", "font-size": 11 });
    label.textContent = format(value);
    svg.append(label);
  }
  const axis = svgElement("text", { x: (left + width) / 2, y: height - 4, "text-anchor": "middle", "font-size": 11 });
  axis.textContent = xLabel;
  svg.append(axis);
  if (options.yLabel) {
    const yAxis = svgElement("text", { x: 12, y: (top + height - bottom) / 2, "text-anchor": "middle", "font-size": 11,
      transform: `rotate(-90 12 ${(top + height - bottom) / 2})` });
    yAxis.textContent = options.yLabel;
    svg.append(yAxis);
  }
  // The middle half of each point's runs as a bar, when there are few enough points to see them.
  const boxCount = lines.reduce((sum, line) => sum + (line.boxes || []).length, 0);
  if (boxCount <= 160) lines.forEach((line, index) => {
    for (const [bx, , q1, , q3] of line.boxes || []) {
      if (q1 == null || q3 == null) continue;
      svg.append(svgElement("rect", { x: sx(bx) - 3, y: sy(q3), width: 6, height: Math.max(1, sy(q1) - sy(q3)),
        fill: COLORS[index % COLORS.length], "fill-opacity": 0.2, class: "quartiles" }));
    }
  });
  lines.forEach((line, index) => {
    const points = line.points.filter((p) => p[1] != null);
    const color = COLORS[index % COLORS.length];
    const path = svgElement("polyline", {
      points: points.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(" "),
      fill: "none", stroke: color, "stroke-width": 1.5, "data-points": points.length, class: "series",
    });
    svg.append(path);
    if (options.markers) for (const p of points) svg.append(svgElement("circle", { cx: sx(p[0]), cy: sy(p[1]), r: 3, fill: color }));
    for (const p of points) {
      if (p[2] == null) continue;
      svg.append(svgElement("line", { x1: sx(p[0]), y1: sy(p[2]), x2: sx(p[0]), y2: sy(p[3]), stroke: color, "stroke-width": 1, class: "interval" }));
    }
  });
  figure.append(caption, svg);
  const exports = document.createElement("div");
  exports.className = "export";
  for (const kind of ["svg", "png"]) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.textContent = kind.toUpperCase();
    button.setAttribute("aria-label", `Save “${title}” as ${kind.toUpperCase()}`);
    button.addEventListener("click", () => exportChart(kind, figure, title.replace(/[^A-Za-z0-9]+/g, "-").toLowerCase()));
    exports.append(button);
  }
  figure.append(exports);
  if (lines.length > 1 || options.legend) {
    const legend = document.createElement("div");
    legend.className = "legend";
    lines.forEach((line, index) => {
      const span = document.createElement("span");
      span.style.setProperty("--c", COLORS[index % COLORS.length]);
      span.textContent = line.name;
      legend.append(span);
    });
    if (options.band) {
      const span = document.createElement("span");
      span.style.setProperty("--c", "#c9ceda");
      span.textContent = options.band.label;
      legend.append(span);
    }
    figure.append(legend);
  }
  return figure;
}

function fillSelect(select, options, preferred, wanted) {
  const current = wanted || select.value || preferred;
  select.replaceChildren(...options.map((name) => new Option(name.replace(/_/g, " "), name)));
  if (options.includes(current)) select.value = current;
}

// The sweep chart: the server's summary of every finished run that matches the filter, per
// value (or bin) of the parameter: runs, mean with its 95% interval, quartiles; controls as a
// band. No run is left out and none is sent: the answer is a few hundred numbers.
const chart = { swept: [], columns: new Map(), matched: 0, load: 0, parallelLoad: 0 };
const label = (name) => name.replace(/_/g, " ");

/// Another sweep's drawings must not stand in for this one's while its answers are awaited.
function clearCharts() {
  chart.load++;
  chart.parallelLoad++;
  parallel.drawing++;
  $("#sweep-chart").replaceChildren();
  for (const id of ["#parallel", "#heatmap"]) {
    const canvas = $(id + " canvas");
    canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
    delete $(id).dataset.runs;
    delete $(id).dataset.cells;
    delete $(id).dataset.selected;
  }
  const axes = $("#parallel svg");
  if (axes) axes.remove();
  for (const id of ["#chart-note", "#parallel-note", "#heat-note"]) $(id).textContent = "Summarizing every finished run…";
}

function aggregatePath(id, params) { return `/api/sweeps/${id}/aggregate?` + new URLSearchParams(params); }

/// The filter box's conditions added to a view's own.
function withFilter(base) {
  const filter = $("#run-filter").value.trim();
  return filter ? `${base} and ${filter}` : base;
}

async function loadChart(id, number) {
  // A cold index reads every finished run's record first; an answer lost meanwhile is asked again.
  let first;
  for (;;) {
    first = await api(aggregatePath(id, { y: "avg_population", filter: "mode = classical" }));
    if (!current(number)) return;
    if (first && first.status === 200) break;
    if (first && first.status < 500) { $("#chart-note").textContent = "No chart: " + errorText(first); return; }
    $("#chart-note").textContent = "Still reading the runs' records…";
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  chart.swept = first.json.swept;
  chart.columns.clear();
  fillColumnChooser();
  const axes = chart.swept.length ? chart.swept : ["field_strength"];
  fillSelect($("#chart-y"), STATISTICS, "avg_influence_rate", viewState.take("y"));
  fillSelect($("#chart-x"), axes, "field_strength", viewState.take("x"));
  fillSelect($("#chart-series"), ["none", ...axes], axes.includes("temporal_decay") ? "temporal_decay" : "none", viewState.take("by"));
  fillSelect($("#heat-x"), axes, axes[0], viewState.take("hx"));
  fillSelect($("#heat-y"), axes, axes[1] || axes[0], viewState.take("hy"));
  fillSelect($("#heat-z"), STATISTICS, "avg_influence_rate", viewState.take("hz"));
  renderSweepChart();
}

function seriesName(answer, series) {
  if (!answer.by) return "all runs";
  return answer.by_bin ? `${label(answer.by)} ${format(series.low)}–${format(series.high)}` : `${label(answer.by)} ${format(series.low)}`;
}

/// Draws the chart, the parameter space and the heatmap again for the current filter.
async function renderSweepChart() {
  const id = state.sweepID, number = view.number, load = ++chart.load;
  const y = $("#chart-y").value, x = $("#chart-x").value, by = $("#chart-series").value;
  loadParallel();
  renderHeatmap();
  if (!y || !x) return;
  const [field, controls] = await Promise.all([
    api(aggregatePath(id, { y, x, by, filter: withFilter("mode != classical") })),
    api(aggregatePath(id, { y, filter: "mode = classical" })),
  ]);
  if (!current(number) || load !== chart.load) return;
  if (!field || field.status !== 200) {
    $("#chart-note").textContent = field ? "The chart cannot be drawn: " + errorText(field) : "Cannot reach the server.";
    return;
  }
  const answer = field.json;
  const lines = answer.series.map((series) => ({
    name: seriesName(answer, series),
    points: series.points.map((p) => [p.x, p.mean, p.low, p.high]),
    boxes: series.points.map((p) => [p.x, ...p.quantiles]),
  }));
  const control = controls && controls.status === 200 && controls.json.series[0] && controls.json.series[0].points[0];
  const band = control ? { low: control.quantiles[1], high: control.quantiles[3],
    label: `controls (${control.n}): middle half, mean ${format(control.mean)}` } : null;
  const title = `Mean ${label(y)} against ${label(x)}: lines with 95% intervals, bars the middle half of the runs`;
  const drawn = lineChart(title, lines, label(x), { markers: true, legend: true, band, yLabel: label(y) });
  $("#sweep-chart").replaceWith(Object.assign(drawn, { id: "sweep-chart" }));
  const binned = [answer.x_bin ? `${label(x)} in bins of ${format(answer.x_bin)}` : "",
    answer.by_bin ? `${label(by)} in bins of ${format(answer.by_bin)}` : ""].filter(Boolean).join(", ");
  $("#chart-note").textContent = `All ${answer.runs.toLocaleString()} finished field runs matching the filter `
    + `(of ${answer.total.toLocaleString()} runs in the sweep), summarized by the server`
    + (binned ? `; ${binned}.` : ".");
}

// ---------- Heatmap: a statistic's mean over two parameters, every run matching the filter ----------

async function renderHeatmap() {
  const id = state.sweepID, number = view.number;
  const x = $("#heat-x").value, y = $("#heat-y").value, z = $("#heat-z").value;
  if (!x || !y || !z) return;
  if (x === y) {
    const canvas = $("#heatmap canvas");
    canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
    $("#heat-note").textContent = chart.swept.length < 2 ? "The heatmap needs two parameters the sweep varies; this one varies "
      + (chart.swept.length ? label(chart.swept[0]) + " only." : "none.") : "Choose two different parameters.";
    return;
  }
  const result = await api(aggregatePath(id, { y: z, x, by: y, series: "40", filter: withFilter("mode != classical") }));
  if (!current(number) || !result || result.status !== 200 || $("#heat-z").value !== z) return;
  const answer = result.json;
  const figure = $("#heatmap");
  const canvas = figure.querySelector("canvas");
  const width = 480, height = 260, left = 80, bottom = 40, top = 8, right = 8;
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, width, height);
  const xs = [...new Set(answer.series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const rows = answer.series;
  const means = rows.flatMap((s) => s.points.map((p) => p.mean)).filter((v) => v != null);
  const [low, high] = [Math.min(...means), Math.max(...means)];
  const cellW = (width - left - right) / Math.max(1, xs.length), cellH = (height - top - bottom) / Math.max(1, rows.length);
  const dark = matchMedia("(prefers-color-scheme: dark)").matches;
  context.fillStyle = dark ? "#e8e8e8" : "#222";
  context.font = "11px system-ui, sans-serif";
  rows.forEach((series, row) => {
    const top0 = top + (rows.length - 1 - row) * cellH;
    for (const point of series.points) {
      if (point.mean == null) continue;
      const t = high > low ? (point.mean - low) / (high - low) : 0.5;
      // A light-to-dark blue ramp: readable on either background.
      context.fillStyle = `hsl(220, 70%, ${88 - t * 60}%)`;
      context.fillRect(left + xs.indexOf(point.x) * cellW, top0, Math.ceil(cellW), Math.ceil(cellH));
    }
    context.fillStyle = dark ? "#e8e8e8" : "#222";
    context.textAlign = "right";
    context.fillText(format(series.low), left - 4, top0 + cellH / 2 + 4);
  });
  context.textAlign = "center";
  const step = Math.max(1, Math.ceil(xs.length / 8));
  xs.forEach((value, index) => { if (index % step === 0) context.fillText(format(value), left + (index + 0.5) * cellW, height - bottom + 14); });
  context.fillText(label(x), (left + width) / 2, height - 6);
  context.save();
  context.translate(12, (top + height - bottom) / 2);
  context.rotate(-Math.PI / 2);
  context.fillText(label(y), 0, 0);
  context.restore();
  const binned = [answer.x_bin ? `${label(x)} in bins of ${format(answer.x_bin)}` : "", answer.by_bin ? `${label(y)} in bins of ${format(answer.by_bin)}` : ""].filter(Boolean).join(", ");
  const text = `Mean ${label(z)} over ${label(x)} and ${label(y)}, ${answer.runs.toLocaleString()} finished field runs matching the filter; `
    + `from ${format(low)} (lightest) to ${format(high)} (darkest)` + (binned ? `; ${binned}.` : ".");
  canvas.setAttribute("aria-label", text);
  $("#heat-note").textContent = text;
  figure.dataset.cells = String(means.length);
}

/// The statistics the parallel coordinates show: those chosen, or two to start with.
function parallelStatistics() {
  const select = $("#parallel-stats");
  if (!select.options.length) {
    const wanted = (viewState.take("stats") || "avg_population,avg_influence_rate").split(",");
    select.replaceChildren(...STATISTICS.map((name) => new Option(label(name), name, false, wanted.includes(name))));
  }
  return [...select.selectedOptions].map((option) => option.value);
}

// ---------- Parallel coordinates ----------
// One axis per swept parameter and chosen statistic, one line per finished field run: all of
// them, asked from the server as columns of just those numbers and drawn on a canvas. The
// filter box is the selection's one truth: its range conditions on an axis are drawn there as
// brushes, and a brush rewrites only its own axis's conditions, keeping every other one.

const parallel = { axes: [], brushes: {}, scales: {}, drawing: 0 };
const PARALLEL = { width: 720, height: 240, top: 24, bottom: 16, left: 40, right: 40 };
const CONDITION = /^([a-z_]+)\s*(>=|<=|>|<|=)\s*(-?[0-9.]+(?:e[+-]?[0-9]+)?)$/i;

function filterParts(filter) { return filter ? filter.split(/\s+and\s+/i).map((part) => part.trim()).filter(Boolean) : []; }

/// The filter's range conditions on the axes, as brushes (an open end stays infinite).
function brushesFromFilter(filter, axes) {
  const brushes = {};
  for (const part of filterParts(filter)) {
    const match = part.match(CONDITION);
    if (!match || !axes.includes(match[1])) continue;
    const [, key, op, text] = match, value = Number(text);
    const brush = brushes[key] || (brushes[key] = [-Infinity, Infinity]);
    if (op !== "<" && op !== "<=") brush[0] = Math.max(brush[0], value);
    if (op !== ">" && op !== ">=") brush[1] = Math.min(brush[1], value);
  }
  return brushes;
}

async function loadParallel() {
  const id = state.sweepID, number = view.number, load = ++chart.parallelLoad;
  const axes = [...chart.swept, ...parallelStatistics()];
  const missing = axes.filter((key) => !chart.columns.has(key));
  if (missing.length) {
    $("#parallel-note").textContent = "Loading every finished run's values…";
    const result = await api(`/api/sweeps/${id}/columns?` + new URLSearchParams({ fields: missing.join(","), filter: "mode != classical" }));
    if (!current(number) || load !== chart.parallelLoad || !result || result.status !== 200) return;
    const known = chart.columns.size ? chart.columns.values().next().value.length : result.json.matched;
    // Runs finished between two answers: start again from one answer for every axis.
    if (known !== result.json.matched) { chart.columns.clear(); return loadParallel(); }
    for (const [key, values] of Object.entries(result.json.columns)) chart.columns.set(key, values);
  }
  renderParallel(axes);
}

function renderParallel(axes) {
  parallel.axes = axes.filter((key, index) => axes.indexOf(key) === index && chart.columns.has(key));
  parallel.brushes = brushesFromFilter($("#run-filter").value.trim(), parallel.axes);
  const columns = parallel.axes.map((key) => chart.columns.get(key));
  const count = columns.length ? columns[0].length : 0;
  const { width, height, top, bottom, left, right } = PARALLEL;
  const x = (index) => left + index * (width - left - right) / Math.max(1, parallel.axes.length - 1);
  parallel.axes.forEach((key, index) => {
    let low = Infinity, high = -Infinity;
    for (const v of columns[index]) if (v != null) { if (v < low) low = v; if (v > high) high = v; }
    if (!isFinite(low)) [low, high] = [0, 1];
    if (low === high) high = low + 1;
    parallel.scales[key] = { low, high, y: (v) => top + (1 - (v - low) / (high - low)) * (height - top - bottom) };
  });
  const figure = $("#parallel");
  const canvas = figure.querySelector("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, width, height);
  const brushed = parallel.axes.map((key, index) => [index, parallel.brushes[key]]).filter(([, brush]) => brush);
  const selected = (run) => brushed.every(([index, [low, high]]) => {
    const v = columns[index][run];
    return v != null && v >= low && v <= high;
  });
  const scales = parallel.axes.map((key) => parallel.scales[key]);
  let chosen = 0;
  const picked = new Uint8Array(count);
  for (let run = 0; run < count; run++) if (selected(run)) { picked[run] = 1; chosen++; }
  const dark = matchMedia("(prefers-color-scheme: dark)").matches;
  // Fainter the more lines there are, so density shows.
  const alpha = Math.min(0.9, Math.max(0.02, 30 / Math.max(1, count)));
  const styles = [`rgba(140, 148, 165, ${alpha / 3})`, dark ? `rgba(120, 165, 255, ${alpha})` : `rgba(36, 86, 199, ${alpha})`];
  context.lineWidth = count < 100 ? 2 : 1;
  // Drawn in slices of about 30 ms, the unselected runs first: a large sweep never holds the page.
  const drawing = ++parallel.drawing;
  let pass = 0, next = 0;
  const slice = () => {
    if (drawing !== parallel.drawing) return;
    const until = performance.now() + 30;
    while (pass < 2 && performance.now() < until) {
      context.strokeStyle = styles[pass];
      context.beginPath();
      const stop = Math.min(count, next + 4000);
      for (; next < stop; next++) {
        if (picked[next] !== pass) continue;
        for (let index = 0; index < columns.length; index++) {
          const v = columns[index][next];
          const py = v == null ? height - bottom : scales[index].y(v);
          if (index === 0) context.moveTo(x(0), py); else context.lineTo(x(index), py);
        }
      }
      context.stroke();
      if (next >= count) { pass++; next = 0; }
    }
    if (pass < 2) requestAnimationFrame(slice);
  };
  slice();
  figure.dataset.selected = String(chosen);
  figure.dataset.runs = String(count);
  $("#parallel-note").textContent = `All ${count.toLocaleString()} finished field runs, one line each; `
    + (brushed.length ? `${chosen.toLocaleString()} within the ranges drawn (the filter's other conditions are applied to the table and charts).` : "drag along an axis to select a range.");
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, "aria-hidden": "true" });
  parallel.axes.forEach((key, index) => {
    const scale = parallel.scales[key], ax = x(index);
    svg.append(svgElement("line", { x1: ax, y1: top, x2: ax, y2: height - bottom, stroke: "currentColor", "stroke-opacity": 0.6 }));
    const name = svgElement("text", { x: ax, y: 12, "text-anchor": "middle", "font-size": 10, fill: "currentColor" });
    name.textContent = label(key);
    svg.append(name);
    for (const [v, y] of [[scale.high, top + 4], [scale.low, height - bottom + 12]]) {
      const tick = svgElement("text", { x: ax + 4, y, "font-size": 9, fill: "currentColor" });
      tick.textContent = format(v);
      svg.append(tick);
    }
    const brush = parallel.brushes[key];
    if (brush) {
      const high = Math.min(scale.high, brush[1]), low = Math.max(scale.low, brush[0]);
      svg.append(svgElement("rect", { x: ax - 6, y: scale.y(high), width: 12, height: Math.max(2, scale.y(low) - scale.y(high)),
        fill: "#2456c7", "fill-opacity": 0.25, stroke: "#2456c7", class: "brush", "data-key": key }));
    }
    const hit = svgElement("rect", { x: ax - 12, y: top, width: 24, height: height - top - bottom, fill: "transparent",
      class: "axis-hit", "data-key": key, style: "cursor: ns-resize" });
    svg.append(hit);
  });
  figure.querySelector("svg") ? figure.querySelector("svg").replaceWith(svg) : figure.append(svg);
}

function brushValue(svg, key, clientY) {
  const box = svg.getBoundingClientRect(), scale = parallel.scales[key];
  const y = (clientY - box.top) * PARALLEL.height / box.height;
  const fraction = 1 - (y - PARALLEL.top) / (PARALLEL.height - PARALLEL.top - PARALLEL.bottom);
  return scale.low + Math.min(1, Math.max(0, fraction)) * (scale.high - scale.low);
}

/// Writes one axis's brush into the filter: that axis's range conditions are replaced (or
/// removed when the brush is cleared), every other condition stays as typed.
function applyBrush(key, brush) {
  const round = (v) => Number(v.toPrecision(6));
  const kept = filterParts($("#run-filter").value.trim()).filter((part) => {
    const match = part.match(CONDITION);
    return !match || match[1] !== key;
  });
  if (brush) kept.push(`${key} >= ${round(brush[0])}`, `${key} <= ${round(brush[1])}`);
  $("#run-filter").value = kept.join(" and ");
  $("#run-filter").dispatchEvent(new Event("input"));
}

$("#parallel").addEventListener("pointerdown", (event) => {
  const hit = event.target.closest(".axis-hit");
  if (!hit) return;
  event.preventDefault();
  const svg = hit.ownerSVGElement, key = hit.dataset.key, start = brushValue(svg, key, event.clientY);
  let brush = [start, start];
  const move = (moved) => {
    const end = brushValue(svg, key, moved.clientY);
    brush = [Math.min(start, end), Math.max(start, end)];
  };
  const up = (released) => {
    window.removeEventListener("pointermove", move);
    window.removeEventListener("pointerup", up);
    move(released);
    const scale = parallel.scales[key];
    // A click without a drag clears the axis's brush.
    applyBrush(key, (brush[1] - brush[0]) / (scale.high - scale.low) < 0.01 ? null : brush);
  };
  window.addEventListener("pointermove", move);
  window.addEventListener("pointerup", up);
});

/// The manifest's data checks as a pass/fail list.
async function loadValidation(id, number) {
  const result = await api(`/api/sweeps/${id}/validation`);
  if (!current(number) || !result || result.status !== 200) return;
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
    const detail = check.spearman != null ? `ρ = ${check.spearman.toFixed(3)} over ${check.runs} runs`
      : check.runs_with_influence != null ? `${check.runs_with_influence} of ${check.runs} with influence` : `${check.runs} runs`;
    item.textContent = `${verdict.toUpperCase()} · ${names[key] || key} · ${detail}`;
    return item;
  });
  $("#validation").replaceChildren(...items);
}

/// Saves a chart as a file: its SVG, or a PNG drawn from it at twice its size.
function exportChart(kind, figure = $("#sweep-chart"), name = `${state.sweepID}-${$("#chart-y").value}-by-${$("#chart-x").value}`) {
  const svg = figure.querySelector("svg");
  if (!svg) return;
  const copy = svg.cloneNode(true);
  copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  const [, , width, height] = copy.getAttribute("viewBox").split(" ").map(Number);
  copy.setAttribute("width", width);
  copy.setAttribute("height", height);
  copy.insertBefore(svgElement("rect", { width, height, fill: "#ffffff" }), copy.firstChild);
  const text = new XMLSerializer().serializeToString(copy);
  const save = (blob, extension) => {
    const link = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: `${name}.${extension}` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  };
  const blob = new Blob([text], { type: "image/svg+xml" });
  if (kind === "svg") { save(blob, "svg"); return; }
  const image = new Image();
  image.onload = () => {
    const canvas = Object.assign(document.createElement("canvas"), { width: 2 * width, height: 2 * height });
    const context = canvas.getContext("2d");
    context.scale(2, 2);
    context.drawImage(image, 0, 0);
    canvas.toBlob((png) => save(png, "png"), "image/png");
  };
  image.src = URL.createObjectURL(blob);
}
$("#run-columns").addEventListener("change", () => {
  table.chosen = [...$("#run-columns").selectedOptions].map((option) => option.value);
  setColumns(table.chosen);
  viewState.save();
});
$("#parallel-stats").addEventListener("change", () => { loadParallel(); viewState.save(); });

/// The parallel coordinates as one SVG: the canvas's lines as an image under the axes.
function exportParallel(kind) {
  const figure = $("#parallel");
  const svg = figure.querySelector("svg").cloneNode(true);
  const image = svgElement("image", { href: figure.querySelector("canvas").toDataURL("image/png"), x: 0, y: 0,
    width: PARALLEL.width, height: PARALLEL.height });
  svg.insertBefore(image, svg.firstChild);
  for (const hit of svg.querySelectorAll(".axis-hit")) hit.remove();
  const holder = document.createElement("figure");
  holder.append(svg);
  exportChart(kind, holder, `${state.sweepID}-parameter-space`);
}
$("#parallel-svg").addEventListener("click", () => exportParallel("svg"));
$("#parallel-png").addEventListener("click", () => exportParallel("png"));
$("#chart-svg").addEventListener("click", () => exportChart("svg"));
$("#chart-png").addEventListener("click", () => exportChart("png"));

// ---------- Comparison ----------

const compareCache = new Map();

async function renderCompare(number) {
  $("#compare").hidden = state.compare.length === 0;
  const runs = [];
  for (const id of state.compare) {
    if (!compareCache.has(id)) {
      const result = await api(`/api/sweeps/${state.sweepID}/runs/${id}`);
      if (!current(number)) return;
      if (!result || result.status !== 200) continue;
      compareCache.set(id, result.json);
    }
    runs.push(compareCache.get(id));
  }
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
      runs.map((run) => ({ name: run.run_id, points: run.timeseries[name].map((v, t) => [t, v]) })), "generation", { legend: true });
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

$("#compare-add").addEventListener("click", () => {
  const id = state.selected;
  if (!id || state.compare.includes(id)) return;
  if (state.compare.length >= 4) { notice("At most four runs are compared; remove one first."); return; }
  state.compare.push(id);
  viewState.save();
  renderCompare(view.number);
});

async function showRun(runID) {
  const number = view.number;
  state.selected = runID;
  for (const row of document.querySelectorAll("#runs tbody tr")) {
    if (row.dataset.run === runID) row.setAttribute("aria-selected", "true"); else row.removeAttribute("aria-selected");
  }
  const path = `/api/sweeps/${state.sweepID}/runs/${runID}`;
  const result = await api(path);
  if (!current(number)) return;
  if (!result || result.status !== 200) { if (result) notice(errorText(result)); return; }
  const run = result.json;
  viewState.save();
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

// ---------- Replay ----------
// Frames are computed again by the server on demand (GET …/frames, docs/datasets.md):
// asked for in windows that stay under its max_frame_cells, drawn one pixel a cell.

const replay = { key: null, frames: [], n: 0, index: 0, timer: null, config: null, highlight: null };
const replayColours = {
  dead: [244, 245, 248], alive: [29, 35, 48], taken: [46, 139, 87], overridden: [228, 87, 46], matched: [240, 190, 20],
};

/// Cells whose k×k window (docs/model.md section 4) is similar to `form` above the run's θ:
/// where the crystal could act on the frame shown.
function matchedCells(frame, form) {
  const n = replay.n, config = replay.config, k = config.form_size, r = (k - 1) / 2;
  const torus = config.boundary === "torus", jaccard = config.similarity === "jaccard";
  const alive = (x, y) => {
    if (torus) { x = (x + n) % n; y = (y + n) % n; } else if (x < 0 || y < 0 || x >= n || y >= n) return 0;
    const cell = y * n + x;
    return frame.state[cell >> 3] & (0x80 >> (cell & 7)) ? 1 : 0;
  };
  const matched = new Uint8Array(n * n);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      let same = 0, both = 0, either = 0, live = 0;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const w = alive(x + dx, y + dy), f = form[(dy + r) * k + dx + r];
          live += w; same += w === f ? 1 : 0; both += w & f; either += w | f;
        }
      }
      if (!live) continue;
      const similarity = jaccard ? both / either : same / (k * k);
      if (similarity > config.similarity_threshold) matched[y * n + x] = 1;
    }
  }
  return matched;
}

function parseFrames(buffer) {
  const view = new DataView(buffer);
  const magic = String.fromCharCode(...new Uint8Array(buffer, 0, 4));
  if (magic !== "MLFR" || view.getUint8(4) !== 1) throw new Error("not a frames answer");
  const n = view.getUint32(8, true), count = view.getUint32(12, true), bitmap = Math.ceil(n * n / 8);
  const frames = [];
  for (let i = 0, offset = 16; i < count; i++, offset += 4 + 3 * bitmap) {
    frames.push({
      generation: view.getUint32(offset, true),
      state: new Uint8Array(buffer, offset + 4, bitmap),
      taken: new Uint8Array(buffer, offset + 4 + bitmap, bitmap),
      overridden: new Uint8Array(buffer, offset + 4 + 2 * bitmap, bitmap),
    });
  }
  return { n, frames };
}

async function loadReplay(runID, generations, n, number) {
  stopReplay();
  const key = `${state.sweepID}/${runID}`;
  Object.assign(replay, { key, frames: [], n, index: 0 });
  const canvas = $("#replay-canvas");
  canvas.width = n;
  canvas.height = n;
  for (const control of ["#replay-play", "#replay-step", "#replay-scrub"]) $(control).disabled = true;
  $("#replay-generation").textContent = "computing frames…";
  const perRequest = Math.max(1, Math.min(500, Math.floor((1 << 26) / (n * n))));
  for (let from = 0; from <= generations; from += perRequest) {
    const to = Math.min(generations, from + perRequest - 1);
    let response;
    try {
      response = await fetch(`/api/sweeps/${state.sweepID}/runs/${runID}/frames?from=${from}&to=${to}&every=1`);
    } catch (error) {
      if (current(number) && replay.key === key) $("#replay-generation").textContent = "frames unavailable: the server cannot be reached";
      return;
    }
    if (!current(number) || replay.key !== key) return;
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      $("#replay-generation").textContent = "frames unavailable: " + (body && body.error ? body.error.message : response.status);
      return;
    }
    replay.frames.push(...parseFrames(await response.arrayBuffer()).frames);
    if (!current(number) || replay.key !== key) return;
    const scrub = $("#replay-scrub");
    scrub.max = String(replay.frames.length - 1);
    for (const control of ["#replay-play", "#replay-step", "#replay-scrub"]) $(control).disabled = false;
    if (from === 0) drawFrame(0);
  }
  $("#replay").dataset.frames = String(replay.frames.length);
}

function drawFrame(index) {
  const frame = replay.frames[index];
  if (!frame) return;
  replay.index = index;
  const n = replay.n, canvas = $("#replay-canvas"), context = canvas.getContext("2d");
  const image = context.createImageData(n, n);
  // One 32-bit write a pixel (RGBA bytes, little-endian words).
  const pixels = new Uint32Array(image.data.buffer);
  const word = ([r, g, b]) => (255 << 24 | b << 16 | g << 8 | r) >>> 0;
  const colours = { dead: word(replayColours.dead), alive: word(replayColours.alive), taken: word(replayColours.taken),
    overridden: word(replayColours.overridden), matched: word(replayColours.matched) };
  const matched = replay.highlight ? matchedCells(frame, replay.highlight) : null;
  for (let cell = 0; cell < n * n; cell++) {
    const byte = cell >> 3, bit = 0x80 >> (cell & 7);
    pixels[cell] = matched && matched[cell] ? colours.matched
      : frame.overridden[byte] & bit ? colours.overridden
      : frame.taken[byte] & bit ? colours.taken
      : frame.state[byte] & bit ? colours.alive : colours.dead;
  }
  context.putImageData(image, 0, 0);
  $("#replay-scrub").value = String(index);
  $("#replay-generation").textContent = `generation ${frame.generation} of ${replay.frames[replay.frames.length - 1].generation}`;
  $("#replay").dataset.generation = String(frame.generation);
  $("#replay").dataset.matched = matched ? String(matched.reduce((a, b) => a + b, 0)) : "";
}

function stopReplay() {
  if (replay.timer) clearInterval(replay.timer);
  replay.timer = null;
  $("#replay-play").textContent = "Play";
  $("#replay").dataset.playing = "false";
}

function playReplay() {
  if (replay.index >= replay.frames.length - 1) drawFrame(0);
  const rate = Number($("#replay-speed").value);
  replay.timer = setInterval(() => {
    if (replay.index >= replay.frames.length - 1) { stopReplay(); return; }
    drawFrame(replay.index + 1);
  }, 1000 / rate);
  $("#replay-play").textContent = "Pause";
  $("#replay").dataset.playing = "true";
}

$("#replay-play").addEventListener("click", () => { if (replay.timer) stopReplay(); else playReplay(); });
$("#replay-step").addEventListener("click", () => { stopReplay(); drawFrame(Math.min(replay.frames.length - 1, replay.index + 1)); });
$("#replay-scrub").addEventListener("input", () => { stopReplay(); drawFrame(Number($("#replay-scrub").value)); });
$("#replay-speed").addEventListener("change", () => { if (replay.timer) { stopReplay(); playReplay(); } });

// ---------- Start ----------

$("#token").value = localStorage.getItem("morphic-token") || "";
$("#token").addEventListener("change", () => {
  const value = $("#token").value.trim();
  if (value) localStorage.setItem("morphic-token", value); else localStorage.removeItem("morphic-token");
});
// The form writes the definition below it as you type, so what is shown is what is
// submitted; editing the definition by hand takes over from the form until it is touched again.
function formChanged() {
  showDesign();
  $("#definition").value = JSON.stringify(formToDefinition(), null, 2);
  $("#definition-source").textContent = "Written from the form above.";
  estimate();
}
showDesign();
$("#definition").value = JSON.stringify(formToDefinition(), null, 2);
$("#definition").addEventListener("input", () => {
  $("#definition-source").textContent = "Edited by hand: this is what will be submitted; changing the form above rewrites it.";
  estimate();
});
$("#form fieldset").addEventListener("input", formChanged);
$("#form fieldset").addEventListener("change", formChanged);
$("#form").addEventListener("submit", submitSweep);

let filterTimer = null;
$("#run-filter").addEventListener("input", () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(() => {
    table.filter = $("#run-filter").value.trim();
    viewState.save();
    $(".table-wrap").scrollTop = 0;
    refreshTable();
    csvLink();
    renderSweepChart();
  }, 150);
});
let scrollFrame = 0;
$(".table-wrap").addEventListener("scroll", () => {
  if (scrollFrame) return;
  scrollFrame = requestAnimationFrame(() => { scrollFrame = 0; renderRows(); });
}, { passive: true });
// One listener for every row: click or Enter opens a run; arrows, Page and Home/End move.
$("#runs tbody").addEventListener("click", (event) => {
  const row = event.target.closest("tr[data-run]");
  if (row) { table.focusRun = row.dataset.run; showRun(row.dataset.run); }
});
$("#runs tbody").addEventListener("keydown", (event) => {
  const row = event.target.closest("tr[data-index]");
  if (!row) return;
  const index = Number(row.dataset.index);
  const page = Math.max(1, Math.floor($(".table-wrap").clientHeight / ROW_HEIGHT) - 1);
  const moves = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page, Home: -index, End: table.matched - 1 - index };
  if (event.key in moves) {
    event.preventDefault();
    focusRow(Math.max(0, Math.min(table.matched - 1, index + moves[event.key])));
  } else if ((event.key === "Enter" || event.key === " ") && row.dataset.run) {
    event.preventDefault();
    showRun(row.dataset.run);
  }
});
for (const id of ["#chart-y", "#chart-x", "#chart-series"]) {
  $(id).addEventListener("change", () => { renderSweepChart(); viewState.save(); });
}
for (const id of ["#heat-x", "#heat-y", "#heat-z"]) {
  $(id).addEventListener("change", () => { renderHeatmap(); viewState.save(); });
}

/// Runs a state-changing action on the shown sweep, saying what came of it.
async function act(action, confirmation, messages) {
  if (confirmation && !confirm(confirmation)) return;
  const id = state.sweepID;
  const result = await api(`/api/sweeps/${id}/${action === "delete" ? "" : action}`.replace(/\/$/, ""),
    { method: action === "delete" ? "DELETE" : "POST", signal: new AbortController().signal });
  if (!result) { notice("The server cannot be reached; nothing was changed."); return; }
  notice(messages[result.status] || errorText(result));
  if (action === "delete" && result.status === 204) { location.hash = "#/"; return; }
  if (state.sweepID === id) route();
}
$("#cancel").addEventListener("click", () => act("cancel", "Cancel this sweep? Finished runs are kept.", {
  200: "Cancelled; finished runs are kept.",
  202: "Cancelling: waiting for the cluster to stop the sweep's jobs; finished runs are kept.",
}));
$("#retry").addEventListener("click", () => act("retry", null, { 202: "Queued again: failed and missing runs will be computed." }));
$("#delete").addEventListener("click", () => act("delete", "Delete this sweep and all its files? This cannot be undone.", {
  204: "Deleted.",
}));
window.addEventListener("hashchange", () => {
  route();
  // A new view: keyboard and screen-reader users start at its heading, not at the page's top.
  const heading = [...document.querySelectorAll("main > section:not([hidden]) h1")][0];
  if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
});
// The skip link moves focus itself: its target is not a route.
$(".skip").addEventListener("click", (event) => {
  event.preventDefault();
  const heading = $("#runs-heading");
  if (!$("#view-sweep").hidden) { heading.scrollIntoView(); heading.focus(); } else $("#main").focus();
});
estimate();
route();
