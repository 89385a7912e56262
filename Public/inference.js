// MorphicLab browser page: what a reference sweep says about its runs (docs/inference.md).
// A sweep's calibration (nominal against empirical coverage on its test split) and a map
// of its runs; a run's posterior ("what produced this run?"). Uses the page's modules in js/.
import { api, apiBytes, errorText } from "./js/api.js";
import { $, COLORS, fillSelect, format, runCount, svgElement } from "./js/dom.js";
import { current, view } from "./js/lifecycle.js";
import { mapData } from "./js/map-data.js";
import { groundTruth, PARAMETERS, REFERENCE_RUNS, REFERENCE_SPLITS } from "./js/model.js";
import { brushesFromFilter, CONDITION, filterParts } from "./js/parallel.js";
import { showRun } from "./js/run.js";
import { sweepView } from "./js/sweep-state.js";

// The map's state (its runs, the colour chosen, the rectangle drawn) is the sweep view's
// (`sweepView().inference`), dropped with it.
export const MAP = { width: 640, height: 360, pad: 30 };

/// The map's colour scale: the hue from blue (least) to red (greatest) at one luminance,
/// 0.19, so that every value stands out at least 3:1 (the least for graphics) against the
/// page's background in either scheme, drawn at the points' opacity too; a hue scale of
/// fixed lightness would sink at its blue end into the dark background. 256 steps, made once.
const SCALE = Array.from({ length: 256 }, (_, i) => ofLuminance(240 - 220 * i / 255, 0.19));
/// A run without a value of the chosen parameter: grey, 3:1 against both backgrounds too.
const NO_VALUE = "#737985";

/// The colour of `t` in 0…1 on the map's scale, as CSS.
export function mapColour(t) { return SCALE[Math.round(Math.min(1, Math.max(0, t)) * 255)]; }

/// The colour of hue `hue` (saturation 80 %) whose relative luminance is `target`, found by
/// bisecting its HSL lightness.
function ofLuminance(hue, target) {
  const rgb = (l) => [0, 8, 4].map((n) => {
    const k = (n + hue / 30) % 12, a = 0.8 * Math.min(l, 1 - l);
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  });
  const luminance = (channels) => channels.map((c) => { const v = c / 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  let low = 0, high = 1;
  for (let step = 0; step < 24; step++) {
    const middle = (low + high) / 2;
    if (luminance(rgb(middle)) < target) low = middle; else high = middle;
  }
  return `rgb(${rgb(low).join(", ")})`;
}

/// Asks a route that answers 202 while the reference trains, until it answers otherwise:
/// again after 1 s, then after twice as long each time, up to 10 s (training a large
/// reference takes minutes, and a page left open should not ask every second meanwhile).
async function trainedAnswer(path, options, number, onWait) {
  for (let wait = 1000; ; wait = Math.min(10000, wait * 2)) {
    const result = await api(path, options);
    if (!current(number) || !result) return null;
    if (result.status !== 202) return result;
    onWait(result.json && result.json.progress, wait);
    await view.sleep(wait);
  }
}

/// What a 202 says while the reference trains.
const trainingText = (progress) => `Training the reference… ${Math.round((progress || 0) * 100)} %; the figures show when it is done.`;

/// Why the server would refuse sweep's reference (422), from its run count and the runs
/// its definition plans in each split (`splits`, from GET …/validation); null when it may
/// be asked.
function refusal(runs, splits) {
  if (runs > REFERENCE_RUNS) return `the sweep has ${runs.toLocaleString()} runs; a reference holds at most ${REFERENCE_RUNS.toLocaleString()}.`;
  for (const [split, least] of Object.entries(REFERENCE_SPLITS)) {
    const count = splits ? splits[split] : null;
    if (typeof count === "number" && count < least) {
      return `its definition plans ${count.toLocaleString()} ${split} run${count === 1 ? "" : "s"}; training and calibrating a reference need at least ${least}.`;
    }
  }
  return null;
}

/// The sweep view's calibration table and run map, once its dataset is written; `validation`
/// the answer of GET …/validation under way. The map does not need the trained reference:
/// it is asked at once, while the calibration waits for the training. A reference the
/// server would refuse is not asked for: the view says why.
export async function loadInference(id, number, runs, validation) {
  if (!current(number)) return;
  const { inference } = sweepView();
  const answer = await validation;
  if (!current(number)) return;
  const why = refusal(runs, answer && answer.splits);
  inference.settle(why);
  if (runs > REFERENCE_RUNS) {
    $("#calibration").textContent = "No calibration: " + why;
    $("#run-map").textContent = "No map: " + why;
    return;
  }
  if (why) $("#calibration").textContent = "No calibration: " + why;
  await Promise.all([why ? null : loadCalibration(id, number), loadMap(id, number, runs)]);
}

async function loadCalibration(id, number) {
  const box = $("#calibration");
  box.textContent = "Training the reference…";
  const result = await trainedAnswer(`/api/sweeps/${id}/calibration`, {}, number,
    (progress) => { box.textContent = trainingText(progress); });
  if (!result) return;
  if (result.status !== 200) box.textContent = "No calibration: " + errorText(result);
  else box.replaceChildren(calibrationTable(result.json));
}

async function loadMap(id, number, runs) {
  const { inference } = sweepView();
  const colour = $("#map-colour");
  colour.disabled = true;
  const computing = `Computing the map of ${runs.toLocaleString()} runs…`;
  $("#run-map").textContent = computing;
  // The server computes a map below its queries' priority, answering 202 meanwhile.
  const map = await trainedAnswer(`/api/sweeps/${id}/map`, { raw: true }, number, (_, wait) => {
    $("#run-map").textContent = `${computing} (asking again in ${Math.round(wait / 1000)} s)`;
  });
  if (!current(number) || !map) return;
  if (map.status !== 200) { $("#run-map").textContent = "No map: " + errorText(map); return; }
  // Every run's parameters, for the colours: the CSV export is the compact way to get
  // 100,000 runs' parameters in one answer.
  const names = PARAMETERS.filter((p) => p !== "seed" && p !== "mode");
  const csv = await apiBytes(`/api/sweeps/${id}/runs.csv?fields=${encodeURIComponent(names.join(","))}`);
  if (!current(number)) return;
  if (!csv || csv.status !== 200) { $("#run-map").textContent = "No map: the runs' parameters could not be read."; return; }
  let data;
  try {
    data = await mapInWorker(map.buffer, csv.buffer, names);
  } catch (error) {
    if (current(number)) $("#run-map").textContent = "No map: its answer could not be read (" + error.message + ").";
    return;
  }
  if (!current(number)) return;
  const ids = data.run_ids ? data.run_ids.split("\n") : [];
  inference.map = { explained: data.explained, run_id: ids, x: data.x, y: data.y, columns: data.columns };
  const choices = data.choices;
  if (!choices.includes(inference.colour)) inference.colour = choices[Math.min(1, choices.length - 1)];
  fillSelect(colour, choices, inference.colour);
  colour.disabled = false;
  renderMap();
}

// The worker that makes the map's data (map-worker.js), started when first needed and kept
// for the page's life (it holds nothing between answers); answers matched by number.
let mapWorker = null, mapAsked = 0;
const mapWaiting = new Map();

/// mapData() of the answers' bytes, on the worker's thread; on the page's when no worker
/// can start.
function mapInWorker(map, csv, names) {
  if (!mapWorker) {
    try {
      mapWorker = new Worker(new URL("./js/map-worker.js", import.meta.url), { type: "module" });
    } catch (_) {
      return Promise.resolve(mapData(map, csv, names));
    }
    mapWorker.onmessage = ({ data }) => {
      const waiting = mapWaiting.get(data.id);
      mapWaiting.delete(data.id);
      if (waiting) { if (data.error) waiting.reject(new Error(data.error)); else waiting.resolve(data.answer); }
    };
    // A worker that cannot start (its file unreachable): what it had is made here.
    mapWorker.onerror = () => {
      mapWorker = null;
      for (const waiting of mapWaiting.values()) {
        try { waiting.resolve(mapData(waiting.map, waiting.csv, names)); } catch (error) { waiting.reject(error); }
      }
      mapWaiting.clear();
    };
  }
  const id = ++mapAsked;
  // Copies stay here only until the worker answers, for the case it cannot start.
  const kept = { map: map.slice(0), csv: csv.slice(0) };
  return new Promise((resolve, reject) => {
    mapWaiting.set(id, { resolve, reject, ...kept });
    mapWorker.postMessage({ id, map, csv, names }, [map, csv]);
  });
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
  // A parameter the reference estimates no better than its test runs' constant guess has
  // posteriors that say little, however well their intervals cover: said, not left to the figures.
  const uninformed = Object.entries(calibration.parameters)
    .filter(([, figures]) => !(figures.median_mae < figures.constant_mae)).map(([name]) => name);
  for (const name of uninformed) {
    const cell = table.querySelector(`tr[data-parameter="${CSS.escape(name)}"] td:nth-child(6)`);
    cell.className = "fail";
    cell.title = "no better than the constant guess";
  }
  const field = calibration.p_field;
  const wrap = document.createElement("div");
  if (uninformed.length) {
    const warning = document.createElement("p");
    warning.id = "calibration-warning";
    warning.textContent = `${uninformed.join(", ")}: the reference estimates ${uninformed.length === 1 ? "it" : "them"} no better than a constant guess (median MAE not below the guess's), so ${uninformed.length === 1 ? "its posterior says" : "their posteriors say"} little about a run.`;
    wrap.append(warning);
  }
  const line = document.createElement("p");
  line.id = "calibration-field";
  line.textContent = field
    ? `p_field: ROC AUC ${field.roc_auc.toFixed(3)}; at 0.5, ${(field.true_positive_rate * 100).toFixed(1)} % of field runs and ${(field.false_positive_rate * 100).toFixed(1)} % of controls called fields.`
    : "p_field: none (the reference's splits lack controls or field runs).";
  wrap.append(table, line);
  return wrap;
}

/// The map's rectangle read back from the filter's conditions on `map_x` and `map_y` (`map_x
/// >= a and map_x <= b and map_y >= c and map_y <= d`, among any others), so the filter box
/// stays the selection's one truth, as for the parallel coordinates; null when it does not
/// bound both coordinates on both sides. The box, not the filter the table last took: a
/// rectangle just drawn is written there and drawn before the server has answered for it.
function mapBrush() {
  const brushes = brushesFromFilter($("#run-filter").value.trim(), ["map_x", "map_y"]);
  if (!brushes.map_x || !brushes.map_y) return null;
  const brush = [brushes.map_x[0], brushes.map_y[0], brushes.map_x[1], brushes.map_y[1]];
  return brush.every(Number.isFinite) ? brush : null;
}

/// Every run a point at its first two principal components, drawn on a canvas (a DOM
/// element per point would make a 100,000-run page slow), coloured by the chosen
/// parameter. Dragging a rectangle writes it into the run table's filter, with the filter's
/// other conditions; clicking a point opens its run.
function renderMap() {
  const { inference } = sweepView();
  const figure = $("#run-map");
  const map = inference.map;
  if (!map) return;
  const { width, height, pad } = MAP;
  const xs = map.x, ys = map.y;
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < xs.length; i++) {
    x0 = Math.min(x0, xs[i]); x1 = Math.max(x1, xs[i]); y0 = Math.min(y0, ys[i]); y1 = Math.max(y1, ys[i]);
  }
  if (!xs.length) [x0, x1, y0, y1] = [0, 1, 0, 1];
  const sx = (v) => pad + (v - x0) / ((x1 - x0) || 1) * (width - 2 * pad);
  const sy = (v) => height - pad - (v - y0) / ((y1 - y0) || 1) * (height - 2 * pad);
  // The chosen parameter's effective values (map-data.js): numbers, or codes of its levels.
  const column = map.columns[inference.colour] || map.columns.label;
  const numeric = column.numeric, low = column.low, high = column.high;
  const levels = numeric ? [] : column.levels;
  const defined = numeric ? low <= high : levels.length > 0;
  const valueText = (i) => {
    if (numeric) return Number.isNaN(column.values[i]) ? "—" : String(column.values[i]);
    return column.codes[i] < 0 ? "—" : levels[column.codes[i]];
  };
  // Each point's colour as a number: a step of the scale (0…255), 256 + a level's colour, or
  // NONE for no value; the points are then drawn colour by colour, so the canvas's colour
  // is set a few hundred times, not once a point.
  const NONE = 256 + COLORS.length, count = xs.length;
  const shade = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    if (numeric) {
      const v = column.values[i];
      shade[i] = Number.isNaN(v) ? NONE : Math.round(Math.min(1, Math.max(0, high > low ? (v - low) / (high - low) : 0.5)) * 255);
    } else shade[i] = column.codes[i] < 0 ? NONE : 256 + column.codes[i] % COLORS.length;
  }
  const colours = [...SCALE, ...COLORS, NO_VALUE];
  const order = byShade(shade, NONE + 1);
  const brush = mapBrush();
  inference.drawn = JSON.stringify(brush);
  // The same comparisons the server makes on the same numbers, so the count drawn equals
  // the table's matched count.
  const inside = (i) => !brush || (xs[i] >= brush[0] && xs[i] <= brush[2] && ys[i] >= brush[1] && ys[i] <= brush[3]);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  canvas.setAttribute("role", "img");
  const context = canvas.getContext("2d");
  const radius = xs.length > 20000 ? 1 : xs.length > 2000 ? 1.6 : 2.5;
  let selected = 0;
  if (brush) for (let i = 0; i < count; i++) if (inside(i)) selected++;
  const outline = () => {
    if (!brush) return;
    context.strokeStyle = "#2456c7";
    context.strokeRect(sx(brush[0]), sy(brush[3]), sx(brush[2]) - sx(brush[0]), sy(brush[1]) - sy(brush[3]));
  };
  if (radius < 2) {
    // Many small points are squares of 2 × 2 pixels, blended into the canvas's pixels here,
    // a slice of them a frame (as the parameter space draws its lines), and put there once:
    // a fill for each of 100,000 points held the page 0.2-0.4 s (a path and a fill each,
    // over a second). A drawing begun since ends this one.
    const pixels = new Float32Array(width * height * 4), channels = colours.map(rgbOf);
    const drawing = inference.drawing = {};
    let k = 0;
    const slice = () => {
      if (inference.drawing !== drawing) return;
      // Unselected points first, faint, then the selected ones over them.
      for (const end = Math.min(2 * count, k + MAP_SLICE); k < end; k++) {
        const pass = k >= count, i = order[k % count];
        if (inside(i) !== pass) continue;
        blendSquare(pixels, width, height, Math.round(sx(xs[i]) - 1), Math.round(sy(ys[i]) - 1), channels[shade[i]], pass ? 0.85 : 0.12);
      }
      if (k < 2 * count) { view.frame(slice); return; }
      context.putImageData(imageOf(context, pixels, width, height), 0, 0);
      outline();
    };
    slice();
  } else {
    inference.drawing = null;
    // Unselected points first, faint, then the selected ones over them.
    for (const pass of [false, true]) {
      context.globalAlpha = pass ? 0.85 : 0.12;
      let colour = -1;
      for (let k = 0; k < count; k++) {
        const i = order[k];
        if (inside(i) !== pass) continue;
        if (shade[i] !== colour) context.fillStyle = colours[colour = shade[i]];
        context.beginPath();
        context.arc(sx(xs[i]), sy(ys[i]), radius, 0, 2 * Math.PI);
        context.fill();
      }
    }
    context.globalAlpha = 1;
    outline();
  }
  canvas.setAttribute("aria-label", `Map of ${runCount(xs.length)}: principal components of their observable features` +
    (brush ? `; ${selected} inside the brushed rectangle` : "") + ". With focus, arrow keys step from run to run and Enter opens one.");
  figure.dataset.points = String(xs.length);
  figure.dataset.selected = String(brush ? selected : xs.length);
  const caption = document.createElement("figcaption");
  caption.textContent = `${runCount(xs.length)} · PC1 (${(map.explained[0] * 100).toFixed(0)} %) → · PC2 (${(map.explained[1] * 100).toFixed(0)} %) ↑ · colour: ${inference.colour}` +
    (numeric && defined ? ` from ${format(low)} (blue) to ${format(high)} (red)` : levels.length ? ` (${levels.join(", ")})` : "") +
    (brush ? ` · ${selected.toLocaleString()} runs in the rectangle, which the table's filter adds to its other conditions` : " · drag a rectangle to filter the table (with the filter's other conditions), click a point to open its run");
  const hover = document.createElement("p");
  hover.id = "map-hover";
  hover.setAttribute("role", "status");
  const position = (event) => {
    const box = canvas.getBoundingClientRect();
    const px = (event.clientX - box.left) * width / box.width, py = (event.clientY - box.top) * height / box.height;
    return { px, py, x: x0 + (px - pad) / (width - 2 * pad) * ((x1 - x0) || 1), y: y0 + (height - pad - py) / (height - 2 * pad) * ((y1 - y0) || 1) };
  };
  // The point nearest the pointer within a few pixels, by a scan (a few ms at 100,000 runs).
  const nearest = ({ px, py }) => {
    let best = -1, distance = 36;
    for (let i = 0; i < xs.length; i++) {
      const d = (sx(xs[i]) - px) ** 2 + (sy(ys[i]) - py) ** 2;
      if (d < distance) { distance = d; best = i; }
    }
    return best;
  };
  let hoverFrame = 0;
  canvas.addEventListener("pointermove", (event) => {
    if (hoverFrame) return;
    hoverFrame = view.frame(() => {
      hoverFrame = 0;
      const index = nearest(position(event));
      hover.textContent = index >= 0 ? `${map.run_id[index]} · ${inference.colour} ${valueText(index)}` : "";
    });
  });
  // By keyboard: with focus on the map, the arrows step through its runs (Left/Right one by
  // one, Up/Down a tenth of them at a time, Home/End), the line under it says which, and
  // Enter opens it, as a click on its point does.
  canvas.tabIndex = 0;
  let focused = -1;
  const say = (index) => {
    focused = index;
    hover.textContent = index >= 0 ? `${map.run_id[index]} · ${inference.colour} ${valueText(index)} (Enter opens it)` : "";
  };
  canvas.addEventListener("focus", () => say(focused >= 0 ? focused : 0));
  canvas.addEventListener("blur", () => say(-1));
  canvas.addEventListener("keydown", (event) => {
    const step = Math.max(1, Math.round(xs.length / 10));
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowUp: step, ArrowDown: -step, Home: -Infinity, End: Infinity };
    if (event.key in moves && xs.length) {
      event.preventDefault();
      say(Math.max(0, Math.min(xs.length - 1, (focused < 0 ? 0 : focused) + moves[event.key])));
    } else if (event.key === "Enter" && focused >= 0) {
      event.preventDefault();
      showRun(map.run_id[focused]);
    } else if (event.key === "Escape") say(-1);
  });
  let start = null;
  canvas.addEventListener("pointerdown", (event) => { event.preventDefault(); start = position(event); });
  canvas.addEventListener("pointerup", (event) => {
    if (!start) return;
    const end = position(event), begun = start;
    start = null;
    if (Math.hypot(end.px - begun.px, end.py - begun.py) < 4) {
      const index = nearest(end);
      if (index >= 0) { showRun(map.run_id[index]); return; }
      if (brush) writeMapBrush(null);
      return;
    }
    writeMapBrush([Math.min(begun.x, end.x), Math.min(begun.y, end.y), Math.max(begun.x, end.x), Math.max(begun.y, end.y)]);
  });
  figure.replaceChildren(canvas, caption, hover);
  $("#map-selection").textContent = "";
}

/// Points blended into the map's pixels per frame (each counted once per pass over them).
const MAP_SLICE = 50000;

/// [r, g, b] of a colour written `rgb(r, g, b)` or `#rrggbb`.
function rgbOf(css) {
  if (css.startsWith("#")) return [1, 3, 5].map((at) => parseInt(css.slice(at, at + 2), 16));
  return css.slice(css.indexOf("(") + 1, css.indexOf(")")).split(",").map(Number);
}

/// Paints the 2 × 2 pixels from (`left`, `top`) of `pixels` (premultiplied RGBA, 0…1, a
/// canvas of `width` × `height`) with colour `rgb` at opacity `alpha`, over what is there
/// (the canvas's source-over).
function blendSquare(pixels, width, height, left, top, rgb, alpha) {
  const keep = 1 - alpha, r = rgb[0] / 255 * alpha, g = rgb[1] / 255 * alpha, b = rgb[2] / 255 * alpha;
  for (let y = Math.max(0, top); y < Math.min(height, top + 2); y++) {
    for (let x = Math.max(0, left); x < Math.min(width, left + 2); x++) {
      const at = (y * width + x) * 4;
      pixels[at] = r + pixels[at] * keep;
      pixels[at + 1] = g + pixels[at + 1] * keep;
      pixels[at + 2] = b + pixels[at + 2] * keep;
      pixels[at + 3] = alpha + pixels[at + 3] * keep;
    }
  }
}

/// The canvas's image of premultiplied `pixels`.
function imageOf(context, pixels, width, height) {
  const image = context.createImageData(width, height), data = image.data;
  for (let at = 0; at < pixels.length; at += 4) {
    const a = pixels[at + 3];
    if (a <= 0) continue;
    data[at] = Math.round(pixels[at] / a * 255);
    data[at + 1] = Math.round(pixels[at + 1] / a * 255);
    data[at + 2] = Math.round(pixels[at + 2] / a * 255);
    data[at + 3] = Math.round(a * 255);
  }
  return image;
}

/// The indices 0…n−1 of `shade` ordered by their shade (each below `shades`), in their
/// order within a shade: a counting sort, linear in the points.
function byShade(shade, shades) {
  const starts = new Int32Array(shades + 1);
  for (const s of shade) starts[s + 1]++;
  for (let s = 0; s < shades; s++) starts[s + 1] += starts[s];
  const order = new Int32Array(shade.length);
  for (let i = 0; i < shade.length; i++) order[starts[shade[i]]++] = i;
  return order;
}

/// Writes the brushed rectangle into the run table's filter, ANDed with what was typed: the
/// filter's conditions on `map_x` and `map_y` are replaced (removed when `brush` is null),
/// every other condition stays; the table, its count and the map follow the filter.
function writeMapBrush(brush) {
  const round = (v) => Number(v.toPrecision(6));
  const kept = filterParts($("#run-filter").value.trim()).filter((part) => {
    const match = part.match(CONDITION);
    return !match || (match[1] !== "map_x" && match[1] !== "map_y");
  });
  if (brush) {
    kept.push(`map_x >= ${round(brush[0])}`, `map_x <= ${round(brush[2])}`,
      `map_y >= ${round(brush[1])}`, `map_y <= ${round(brush[3])}`);
  }
  $("#run-filter").value = kept.join(" and ");
  $("#run-filter").dispatchEvent(new Event("input"));
}

/// The map's listeners, for as long as the sweep view is mounted.
export function mountInference() {
  const { inference } = sweepView();
  // Why the reference would be refused (null when it may be asked), known once the dataset
  // is written: a run's posterior waits for it.
  inference.refusal = new Promise((resolve) => { inference.settle = resolve; });
  // Nothing of another sweep's reference stays in view.
  $("#calibration").textContent = "Once the sweep's dataset is written.";
  $("#run-map").textContent = "Once the sweep's dataset is written.";
  $("#map-colour").replaceChildren();
  $("#map-colour").disabled = true;
  $("#map-selection").textContent = "";
  // Drawn again only when the filter's rectangle changes, not at every keystroke.
  view.listen($("#run-filter"), "input", () => {
    if (JSON.stringify(mapBrush()) !== inference.drawn) renderMap();
  });
  view.listen($("#map-colour"), "change", () => { inference.colour = $("#map-colour").value; renderMap(); });
}

/// A run's view: "what produced this run?", the posterior of each parameter the sweep
/// varies as an interval strip (95, 80 and 50 % intervals and the median), the run's own
/// value marked where it acted, and p_field. A field's parameter in a run where no field acted
/// (a control) is not marked: the value its configuration records did nothing, the dataset's
/// ground truth is 0 or nothing, and the posterior is the one given that a field acted.
export async function loadPosterior(runID, run, number) {
  const box = $("#posterior");
  const state = sweepView();
  box.textContent = "Asking the reference once the sweep's dataset is written…";
  const why = await state.inference.refusal;
  if (!current(number) || state.selected !== runID) return;
  if (why) { box.textContent = "No posterior: " + why; return; }
  box.textContent = "Asking the reference…";
  const body = JSON.stringify({ sweep: state.sweepID, run: runID });
  const result = await trainedAnswer(`/api/sweeps/${state.sweepID}/posterior`, { method: "POST", body }, number,
    (progress) => { box.textContent = trainingText(progress); });
  if (!result || state.selected !== runID) return;
  if (result.status !== 200) { box.textContent = "No posterior: " + errorText(result); return; }
  const answer = result.json;
  const field = document.createElement("p");
  field.id = "posterior-field";
  field.textContent = answer.p_field == null ? "p_field: none (the reference has no controls to compare with)."
    : `Probability that a field acted: ${answer.p_field.toFixed(3)} (this run: ${run.config.mode}${run.config.mode === "morphic" && run.config.field_strength > 0 && run.config.crystal_count > 0 ? ", a field acted" : ", no field acted"}).`;
  const strips = document.createElement("div");
  strips.className = "strips";
  for (const [name, marginal] of Object.entries(answer.parameters)) strips.append(posteriorStrip(name, marginal, groundTruth(name, run.config), answer.calibration));
  box.replaceChildren(field, strips);
}

/// One parameter's strip; `ground` is its ground truth in the run (``groundTruth``): marked
/// when it acted, said not to have acted otherwise.
function posteriorStrip(name, marginal, ground, calibration) {
  const width = 420, height = 46, pad = 12;
  const truth = !ground.inert && typeof ground.value === "number" ? ground.value : null;
  const inert = !ground.inert ? "" : ` · ${ground.inert}: ` + (ground.value == null
    ? `${name} did not act, and the dataset gives it no ground truth` : `its ground truth is ${name} ${format(ground.value)}`);
  const q = marginal.quantiles;
  const draws = marginal.draws;
  const low = Math.min(q["0.025"], ...draws, truth ?? Infinity), high = Math.max(q["0.975"], ...draws, truth ?? -Infinity);
  const sx = (v) => pad + (v - low) / ((high - low) || 1) * (width - 2 * pad);
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "strip", "data-parameter": name,
    "aria-label": `${name}: median ${format(q["0.5"])}, 95 % interval ${format(q["0.025"])} to ${format(q["0.975"])}${inert}` });
  for (const [lo, hi, thickness, opacity] of [["0.025", "0.975", 6, 0.25], ["0.1", "0.9", 12, 0.45], ["0.25", "0.75", 18, 0.75]]) {
    svg.append(svgElement("rect", { x: sx(q[lo]), y: 20 - thickness / 2, width: Math.max(1, sx(q[hi]) - sx(q[lo])), height: thickness, fill: "#2456c7", "fill-opacity": opacity }));
  }
  svg.append(svgElement("line", { x1: sx(q["0.5"]), x2: sx(q["0.5"]), y1: 8, y2: 32, stroke: "#1d2330", "stroke-width": 2 }));
  if (truth != null) {
    const mark = svgElement("path", { d: `M ${sx(truth)} 34 l -5 8 h 10 z`, fill: "#c4421a", class: "truth" });
    const title = svgElement("title", {});
    title.textContent = `this run's ${name}: ${truth}`;
    mark.append(title);
    svg.append(mark);
  }
  const label = document.createElement("figcaption");
  const coverage = calibration && calibration.parameters[name] ? ` · 80 % intervals covered ${(calibration.parameters[name].coverage["0.8"] * 100).toFixed(0)} % of test runs` : "";
  label.textContent = `${name}: median ${format(q["0.5"])}, 50 % ${format(q["0.25"])}–${format(q["0.75"])}, 95 % ${format(q["0.025"])}–${format(q["0.975"])}` +
    (truth != null ? ` · this run ${format(truth)} (▲)` : inert) + coverage;
  const figure = document.createElement("figure");
  figure.className = "posterior";
  figure.append(svg, label);
  return figure;
}
