// Parallel coordinates: every finished field run on a canvas, brushes written into the filter.
import { api, apiColumns, errorText } from "./api.js";
import { STATISTICS } from "./model.js";
import { exportChart } from "./chart.js";
import { $, format, label, runCount, svgElement } from "./dom.js";
import { current, view } from "./lifecycle.js";
import { showRun } from "./run.js";
import { sweepView, viewState } from "./sweep-state.js";

/// The statistics the parallel coordinates show: those chosen, or two to start with.
function parallelStatistics() {
  const select = $("#parallel-stats");
  if (!select.options.length) {
    const wanted = (viewState.take("stats") || "avg_population,avg_influence_rate").split(",");
    select.replaceChildren(...STATISTICS.map((name) => new Option(label(name), name, false, wanted.includes(name))));
  }
  return [...select.selectedOptions].map((option) => option.value);
}

// One axis per swept parameter and chosen statistic, one line per finished field run: all of
// them, asked from the server as columns of just those numbers (Float64Arrays, NaN where a run
// has no value: api.js's apiColumns) and drawn on a canvas. The
// filter box is the selection's one truth: its range conditions on an axis are drawn there as
// brushes, and a brush rewrites only its own axis's conditions, keeping every other one.
// Its state is the sweep view's (`sweepView().parallel`).

// `top` and `height` grow by a line for each row the axes' names are staggered on (renderParallel).
const PARALLEL = { width: 720, height: 240, top: 24, bottom: 16, left: 40, right: 40 };
// The plot's own height, between the names and the bottom ticks; a line of names.
const PLOT_HEIGHT = 200, NAME_LINE = 12;
// The most fields one columns request asks for (the server's limit).
const COLUMNS_ASKED = 16;
export const CONDITION = /^([a-z_]+)\s*(>=|<=|>|<|=)\s*(-?[0-9.]+(?:e[+-]?[0-9]+)?)$/i;

export function filterParts(filter) { return filter ? filter.split(/\s+and\s+/i).map((part) => part.trim()).filter(Boolean) : []; }

/// The filter's range conditions on the axes, as brushes (an open end stays infinite).
export function brushesFromFilter(filter, axes) {
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

export async function loadParallel() {
  const state = sweepView(), { chart } = state;
  const id = state.sweepID, number = view.number, load = ++chart.parallelLoad;
  const axes = [...chart.swept, ...parallelStatistics()];
  const missing = axes.filter((key) => !chart.columns.has(key));
  // Asked COLUMNS_ASKED at a time, the most the server takes in one request (a link to
  // every statistic asks for more than that at once).
  for (let start = 0; start < missing.length; start += COLUMNS_ASKED) {
    $("#parallel-note").textContent = "Loading every finished run's values…";
    const fields = missing.slice(start, start + COLUMNS_ASKED);
    const result = await apiColumns(`/api/sweeps/${id}/columns?` + new URLSearchParams({ fields: fields.join(","), filter: "mode != classical" }));
    if (!current(number) || load !== chart.parallelLoad) return;
    // Unreachable: the banner says so if the server is down, and the view is asked again when
    // it answers; a failure of this request alone is said here.
    if (!result) { $("#parallel-note").textContent = "The runs' values did not arrive: the connection to the server failed. They are asked again when the view is drawn again (reload the page)."; return; }
    if (result.status !== 200 || !result.json) { $("#parallel-note").textContent = "The runs' values could not be loaded: " + errorText(result); return; }
    const known = chart.columns.size ? chart.columns.values().next().value.length : result.json.matched;
    // Runs finished between two answers: start again from one answer for every axis.
    if (known !== result.json.matched) { chart.columns.clear(); return loadParallel(); }
    for (const [key, values] of Object.entries(result.json.columns)) chart.columns.set(key, values);
  }
  renderParallel(axes);
}

function renderParallel(axes) {
  const { chart, parallel, table } = sweepView();
  parallel.axes = axes.filter((key, index) => axes.indexOf(key) === index && chart.columns.has(key));
  parallel.brushes = brushesFromFilter(table.filter, parallel.axes);
  const columns = parallel.axes.map((key) => chart.columns.get(key));
  const count = columns.length ? columns[0].length : 0;
  const figure = $("#parallel");
  // Names wider than the space between two axes are staggered on as many lines as they need
  // (up to four), so that none covers its neighbour's; the drawing grows by those lines.
  const measure = document.createElement("canvas").getContext("2d");
  measure.font = "10px " + getComputedStyle(figure).fontFamily;
  const spacing = (PARALLEL.width - PARALLEL.left - PARALLEL.right) / Math.max(1, parallel.axes.length - 1);
  const widest = Math.max(0, ...parallel.axes.map((key) => measure.measureText(label(key)).width));
  const lines = parallel.axes.length > 1 ? Math.min(4, Math.max(1, Math.ceil((widest + 8) / spacing))) : 1;
  PARALLEL.top = NAME_LINE * (lines + 1);
  PARALLEL.height = PARALLEL.top + PLOT_HEIGHT + PARALLEL.bottom;
  figure.style.aspectRatio = `${PARALLEL.width} / ${PARALLEL.height}`;
  figure.dataset.nameLines = String(lines);
  const { width, height, top, bottom, left, right } = PARALLEL;
  const x = (index) => left + index * (width - left - right) / Math.max(1, parallel.axes.length - 1);
  parallel.axes.forEach((key, index) => {
    // Each column's range comes with it, found where it was parsed (api.js).
    let [low, high] = columns[index].range || [null, null];
    if (low == null) [low, high] = [0, 1];
    if (low === high) high = low + 1;
    parallel.scales[key] = { low, high, y: (v) => top + (1 - (v - low) / (high - low)) * (height - top - bottom) };
  });
  const canvas = figure.querySelector("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, width, height);
  const brushed = parallel.axes.map((key, index) => [index, parallel.brushes[key]]).filter(([, brush]) => brush);
  const scales = parallel.axes.map((key) => parallel.scales[key]);
  // The runs within every range drawn: one plain pass over each brushed column (NaN, a run
  // without the value, is within none).
  const picked = new Uint8Array(count).fill(1);
  for (const [index, [low, high]] of brushed) {
    const column = columns[index];
    for (let run = 0; run < count; run++) { const v = column[run]; if (!(v >= low && v <= high)) picked[run] = 0; }
  }
  let chosen = 0;
  for (let run = 0; run < count; run++) chosen += picked[run];
  const dark = matchMedia("(prefers-color-scheme: dark)").matches;
  // Fainter the more lines there are, so density shows.
  const alpha = Math.min(0.9, Math.max(0.02, 30 / Math.max(1, count)));
  const styles = [`rgba(140, 148, 165, ${alpha / 3})`, dark ? `rgba(120, 165, 255, ${alpha})` : `rgba(36, 86, 199, ${alpha})`];
  context.lineWidth = count < 100 ? 2 : 1;
  // Drawn in slices of about 30 ms, one a frame from the next one on, the unselected runs first:
  // a large sweep never holds the page. The canvas draws lazily, when the frame is painted;
  // reading a pixel makes it draw now, so a slice's time counts the drawing too, not just the
  // path built for it. A path of 250 lines at a time: stroking one path costs more than its
  // lines apart once they cross by the thousand, and the clock is read between paths.
  const drawing = ++parallel.drawing;
  let pass = 0, next = 0;
  const slice = () => {
    if (drawing !== parallel.drawing) return;
    const until = performance.now() + 30;
    while (pass < 2 && performance.now() < until) {
      context.strokeStyle = styles[pass];
      context.beginPath();
      const stop = Math.min(count, next + 250);
      for (; next < stop; next++) {
        if (picked[next] !== pass) continue;
        for (let index = 0; index < columns.length; index++) {
          const v = columns[index][next];
          const py = v !== v ? height - bottom : scales[index].y(v);
          if (index === 0) context.moveTo(x(0), py); else context.lineTo(x(index), py);
        }
      }
      context.stroke();
      context.getImageData(0, 0, 1, 1);
      if (next >= count) { pass++; next = 0; }
    }
    if (pass < 2) view.frame(slice);
  };
  view.frame(slice);
  figure.dataset.selected = String(chosen);
  figure.dataset.runs = String(count);
  // The filter's conditions that are not ranges on an axis drawn are not applied here: said.
  const others = filterParts(table.filter).filter((part) => {
    const match = part.match(CONDITION);
    return !match || !parallel.axes.includes(match[1]);
  });
  $("#parallel-note").textContent = (count ? `All ${runCount(count, "finished field")}, one line each; ` : "No finished field run yet; ")
    + (brushed.length ? `${chosen.toLocaleString()} within the ranges drawn.` : "drag along an axis to select a range.")
    + (others.length ? ` The filter's other conditions (${others.join(" and ")}) are applied to the table and charts, not here.` : "");
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, "aria-hidden": "true" });
  parallel.axes.forEach((key, index) => {
    const scale = parallel.scales[key], ax = x(index);
    svg.append(svgElement("line", { x1: ax, y1: top, x2: ax, y2: height - bottom, stroke: "currentColor", "stroke-opacity": 0.6 }));
    // The outer axes' names are anchored inward, so that a long one is not cut at the edge.
    const anchor = parallel.axes.length > 1 && index === 0 ? "start"
      : parallel.axes.length > 1 && index === parallel.axes.length - 1 ? "end" : "middle";
    const name = svgElement("text", { x: ax, y: NAME_LINE * (1 + index % lines), "text-anchor": anchor, "font-size": 10, fill: "currentColor" });
    name.textContent = label(key);
    svg.append(name);
    // The last axis's values are written to its left, so that a long one is not cut at the edge.
    const last = parallel.axes.length > 1 && index === parallel.axes.length - 1;
    for (const [v, y] of [[scale.high, top + 4], [scale.low, height - bottom + 12]]) {
      const tick = svgElement("text", { x: last ? ax - 4 : ax + 4, y, "text-anchor": last ? "end" : "start", "font-size": 9, fill: "currentColor" });
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
  svg.append(svgElement("polyline", { class: "hover", fill: "none", stroke: "currentColor", "stroke-width": 2, visibility: "hidden" }));
  figure.querySelector("svg") ? figure.querySelector("svg").replaceWith(svg) : figure.append(svg);
  const yOf = (index, run) => { const v = columns[index][run]; return v !== v ? height - bottom : scales[index].y(v); };
  parallel.drawn = { columns, count, picked, brushed: brushed.length > 0, x, yOf };
  showParallelRun(-1);
}

// ---------- The run under the pointer or the keyboard's cursor: its values, and a click opens it ----------

/// Whether a run is among those a pointer or the keyboard can pick: the selected ones when
/// a range is drawn, else all.
function pickable(run) { const drawn = sweepView().parallel.drawn; return !drawn.brushed || drawn.picked[run] === 1; }

/// The pickable run whose line passes nearest (within 6 units) the point (px, py) of the drawing.
function runAt(px, py) {
  const { parallel } = sweepView(), drawn = parallel.drawn;
  if (!drawn || !drawn.count) return -1;
  const last = parallel.axes.length - 1;
  let k = 0;
  while (k < last - 1 && px > drawn.x(k + 1)) k++;
  const x0 = drawn.x(k), x1 = drawn.x(Math.min(last, k + 1));
  const t = x1 > x0 ? Math.min(1, Math.max(0, (px - x0) / (x1 - x0))) : 0;
  let best = -1, distance = 6;
  for (let run = 0; run < drawn.count; run++) {
    if (!pickable(run)) continue;
    const a = drawn.yOf(k, run), b = drawn.yOf(Math.min(last, k + 1), run);
    const d = Math.abs(a + (b - a) * t - py);
    if (d < distance) { distance = d; best = run; }
  }
  return best;
}

/// Marks run `run` (an index into the drawn columns; -1: none) and says its values.
function showParallelRun(run) {
  const { parallel } = sweepView();
  const figure = $("#parallel"), tip = $("#parallel-tip"), line = figure.querySelector("svg .hover"), drawn = parallel.drawn;
  parallel.shown = run;
  if (!drawn || run < 0 || run >= drawn.count) {
    tip.hidden = true;
    if (line) line.setAttribute("visibility", "hidden");
    delete figure.dataset.shown;
    return;
  }
  const points = parallel.axes.map((_, index) => [drawn.x(index), drawn.yOf(index, run)]);
  line.setAttribute("points", points.map((p) => p.join(",")).join(" "));
  line.setAttribute("visibility", "visible");
  const values = parallel.axes.map((key, index) => {
    const v = drawn.columns[index][run];
    return `${label(key)} ${v !== v ? "–" : format(v)}`;
  });
  tip.textContent = `Run ${(run + 1).toLocaleString()} of the ${drawn.count.toLocaleString()} drawn: ${values.join(", ")}. `
    + "Click or press Enter to open it.";
  tip.hidden = false;
  figure.dataset.shown = String(run);
  const [px, py] = points[Math.min(points.length - 1, 1)];
  tip.style.left = `${Math.min(70, px / PARALLEL.width * 100)}%`;
  tip.style.top = `${Math.min(85, py / PARALLEL.height * 100 + 4)}%`;
}

/// Opens the run drawn as line `run`. The columns hold the finished field runs in the
/// definition's order, so the same runs query's page at that offset names it; its values are
/// checked against the line's, since runs that finish meanwhile shift the order.
async function openParallelRun(run) {
  const state = sweepView(), { parallel } = state;
  const id = state.sweepID, number = view.number, drawn = parallel.drawn;
  const filter = "mode != classical and status = completed";
  const result = await api(`/api/sweeps/${id}/runs?` + new URLSearchParams({ filter, offset: String(run), limit: "1" }));
  if (!current(number) || !result || result.status !== 200 || !result.json.runs.length) return;
  const found = result.json.runs[0];
  const same = parallel.axes.every((key, index) => {
    const v = drawn.columns[index][run];
    const mine = key in found.config ? found.config[key] : found.summary_stats && found.summary_stats[key];
    return v !== v ? mine == null : mine != null && Math.fround(mine) === Math.fround(v);
  });
  if (!same) { $("#parallel-note").textContent = "Runs finished meanwhile: drawn again, choose the run again."; loadParallel(); return; }
  showRun(found.run_id);
}

function brushValue(svg, key, clientY) {
  const box = svg.getBoundingClientRect(), scale = sweepView().parallel.scales[key];
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

/// The parallel coordinates as one SVG: the canvas's lines as an image under the axes.
function exportParallel(kind) {
  const state = sweepView();
  const figure = $("#parallel");
  const svg = figure.querySelector("svg").cloneNode(true);
  const image = svgElement("image", { href: figure.querySelector("canvas").toDataURL("image/png"), x: 0, y: 0,
    width: PARALLEL.width, height: PARALLEL.height });
  svg.insertBefore(image, svg.firstChild);
  for (const hit of svg.querySelectorAll(".axis-hit")) hit.remove();
  const holder = document.createElement("figure");
  const caption = document.createElement("figcaption");
  const drawn = state.parallel.drawn, count = drawn ? drawn.count : 0;
  caption.textContent = `Parameter space of ${state.sweepID}: ${runCount(count, "finished field")}, one line each`
    + (drawn && drawn.brushed ? `, ${Number(figure.dataset.selected).toLocaleString()} within the ranges drawn` : "");
  holder.append(caption, svg);
  exportChart(kind, holder, `${state.sweepID}-parameter-space`);
}
/// The parameter space's pointer, keyboard and export listeners, for as long as the sweep
/// view is mounted.
export function mountParallel() {
  const { parallel } = sweepView();
  let hoverFrame = 0;
  view.listen($("#parallel"), "pointermove", (event) => {
    // Not while a range is dragged out.
    if (event.buttons || hoverFrame) return;
    hoverFrame = view.frame(() => {
      hoverFrame = 0;
      const box = $("#parallel svg") && $("#parallel svg").getBoundingClientRect();
      if (!box) return;
      showParallelRun(runAt((event.clientX - box.left) * PARALLEL.width / box.width, (event.clientY - box.top) * PARALLEL.height / box.height));
    });
  });
  view.listen($("#parallel"), "pointerleave", () => { if (document.activeElement !== $("#parallel canvas")) showParallelRun(-1); });
  view.listen($("#parallel"), "click", (event) => {
    const brushing = parallel.brushing;
    parallel.brushing = false;
    if (brushing || event.target.closest(".axis-hit")) return;
    const box = $("#parallel svg").getBoundingClientRect();
    const run = runAt((event.clientX - box.left) * PARALLEL.width / box.width, (event.clientY - box.top) * PARALLEL.height / box.height);
    if (run >= 0) openParallelRun(run);
  });
  // The keyboard's way to the same: with focus on the drawing, arrows step from run to run
  // (Page Up/Down a hundred at a time), Home/End go to the first and last, Enter opens.
  view.listen($("#parallel canvas"), "focus", () => {
    const drawn = parallel.drawn;
    if (!drawn) return;
    if (parallel.shown < 0 || !pickable(parallel.shown)) { let run = 0; while (run < drawn.count && !pickable(run)) run++; showParallelRun(run); }
  });
  view.listen($("#parallel canvas"), "blur", () => showParallelRun(-1));
  view.listen($("#parallel canvas"), "keydown", (event) => {
    const drawn = parallel.drawn;
    if (!drawn || !drawn.count) return;
    const steps = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1, PageDown: 100, PageUp: -100 };
    // The n-th pickable run from `from` (excluded) in `direction`; the last one found if fewer.
    const walk = (from, direction, n) => {
      let found = parallel.shown;
      for (let probe = from + direction; probe >= 0 && probe < drawn.count && n > 0; probe += direction) {
        if (pickable(probe)) { found = probe; n--; }
      }
      return found;
    };
    if (event.key in steps) {
      event.preventDefault();
      const step = steps[event.key];
      showParallelRun(walk(Math.max(0, parallel.shown), Math.sign(step), Math.abs(step)));
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      showParallelRun(event.key === "Home" ? walk(-1, 1, 1) : walk(drawn.count, -1, 1));
    } else if (event.key === "Enter" && parallel.shown >= 0) {
      event.preventDefault();
      openParallelRun(parallel.shown);
    } else if (event.key === "Escape") showParallelRun(-1);
  });

  view.listen($("#parallel"), "pointerdown", (event) => {
    const hit = event.target.closest(".axis-hit");
    if (!hit) return;
    event.preventDefault();
    // The click that ends a brush is not a click on a run.
    parallel.brushing = true;
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
    // Removed when released, or with the view if it ends first.
    view.listen(window, "pointermove", move);
    view.listen(window, "pointerup", up);
  });

  view.listen($("#parallel-stats"), "change", () => { loadParallel(); viewState.save(); });

  view.listen($("#parallel-svg"), "click", () => exportParallel("svg"));
  view.listen($("#parallel-png"), "click", () => exportParallel("png"));
}
