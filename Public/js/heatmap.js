// The heatmap: a statistic's mean over two parameters.
import { api } from "./api.js";
import { readout } from "./chart.js";
import { $, coveredRuns, format, label, runCount } from "./dom.js";
import { current, view } from "./lifecycle.js";
import { aggregatePath, drawnPoint, withFilter } from "./sweep-chart.js";
import { sweepView, viewState } from "./sweep-state.js";

export async function renderHeatmap() {
  const state = sweepView(), { chart } = state;
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
  // A new canvas each time: the readout's listeners and line belong to the cells drawn.
  const canvas = document.createElement("canvas");
  for (const key of ["role", "aria-label"]) canvas.setAttribute(key, figure.querySelector("canvas").getAttribute(key));
  figure.querySelector("canvas").replaceWith(canvas);
  for (const tip of figure.querySelectorAll(".tooltip")) tip.remove();
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
  const targets = [];
  // Row labels at least 14 px apart, as the columns' are thinned to eight: every row's, on a
  // tall heatmap, were drawn over each other.
  const rowStep = Math.max(1, Math.ceil(14 / cellH));
  rows.forEach((series, row) => {
    const top0 = top + (rows.length - 1 - row) * cellH;
    for (const point of series.points) {
      if (point.mean == null) continue;
      targets.push({ px: left + (xs.indexOf(point.x) + 0.5) * cellW, py: top0 + cellH / 2, series, point });
      const t = high > low ? (point.mean - low) / (high - low) : 0.5;
      // A light-to-dark blue ramp: readable on either background.
      context.fillStyle = `hsl(220, 70%, ${88 - t * 60}%)`;
      context.fillRect(left + xs.indexOf(point.x) * cellW, top0, Math.ceil(cellW), Math.ceil(cellH));
    }
    context.fillStyle = dark ? "#e8e8e8" : "#222";
    context.textAlign = "right";
    if (row % rowStep === 0) context.fillText(format(series.low), left - 4, top0 + cellH / 2 + 4);
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
  const text = `Mean ${label(z)} over ${label(x)} and ${label(y)}, ${coveredRuns(answer, [x, y, z].map(label).join(" or "), Boolean(sweepView().table.filter))}; `
    + `from ${format(low)} (lightest) to ${format(high)} (darkest)` + (binned ? `; ${binned}.` : ".");
  canvas.setAttribute("aria-label", text + " With focus, arrow keys step from cell to cell.");
  $("#heat-note").textContent = text;
  // Each cell in words under the pointer, or by keyboard: where it is, its mean and its runs.
  const where = (name, value, bin) => bin ? `${label(name)} ${format(value - bin / 2)}–${format(value + bin / 2)}` : `${label(name)} ${format(value)}`;
  readout(figure, canvas, width, height, targets, ({ series, point: answered }) => {
    // The same interval the chart says for the same runs.
    const point = drawnPoint(answered, z);
    const up = answer.by_bin ? `${label(y)} ${format(series.low)}–${format(series.high)}` : `${label(y)} ${format(series.low)}`;
    return `${where(x, point.x, answer.x_bin)}, ${up}: mean ${label(z)} ${format(point.mean)}`
      + (point.low != null ? ` (95% ${format(point.low)}–${format(point.high)})` : "") + `; ${runCount(point.n)}`;
  }, null, Math.hypot(cellW, cellH) / 2);
  figure.dataset.cells = String(means.length);
}

/// The heatmap's controls, for as long as the sweep view is mounted.
export function mountHeatmap() {
  for (const id of ["#heat-x", "#heat-y", "#heat-z"]) {
    view.listen($(id), "change", () => { renderHeatmap(); viewState.save(); });
  }
}
