// The sweep chart: a statistic against a parameter over every finished run.
import { api, errorText } from "./api.js";
import { exportChart, lineChart } from "./chart.js";
import { $, coveredRuns, fillSelect, format, label, runCount } from "./dom.js";
import { renderHeatmap } from "./heatmap.js";
import { renderImportance } from "./importance.js";
import { current, view } from "./lifecycle.js";
import { NON_NEGATIVE, STATISTICS } from "./model.js";
import { loadParallel } from "./parallel.js";
import { sweepView, viewState } from "./sweep-state.js";
import { fillColumnChooser } from "./table.js";

// The sweep chart: the server's summary of every finished run that matches the filter, per
// value (or bin) of the parameter: runs, mean with its 95% interval, quartiles; controls as a
// band. No run is left out and none is sent: the answer is a few hundred numbers. Its state
// is the sweep view's (`sweepView().chart`).

/// Another sweep's drawings must not stand in for this one's while its answers are awaited.
export function clearCharts() {
  $("#sweep-chart").replaceChildren();
  // Nor its choices: a sweep's axes are its own (or its URL's), not the last sweep's.
  for (const id of ["#chart-y", "#chart-x", "#chart-series", "#heat-x", "#heat-y", "#heat-z"]) $(id).replaceChildren();
  for (const id of ["#parallel", "#heatmap"]) {
    const canvas = $(id + " canvas");
    canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
    delete $(id).dataset.runs;
    delete $(id).dataset.cells;
    delete $(id).dataset.selected;
  }
  const axes = $("#parallel svg");
  if (axes) axes.remove();
  for (const id of ["#chart-note", "#parallel-note", "#heat-note", "#importance"]) $(id).textContent = "Summarizing every finished run…";
}

export function aggregatePath(id, params) { return `/api/sweeps/${id}/aggregate?` + new URLSearchParams(params); }

/// The table's filter (the last the server accepted) added to a view's own conditions.
export function withFilter(base) {
  const filter = sweepView().table.filter;
  return filter ? `${base} and ${filter}` : base;
}

export async function loadChart(id, number) {
  if (!current(number)) return;
  const { chart } = sweepView();
  // A cold index reads every finished run's record first; an answer lost meanwhile is asked again.
  let first;
  for (;;) {
    first = await api(aggregatePath(id, { y: "avg_population", filter: "mode = classical" }));
    if (!current(number)) return;
    if (first && first.status === 200) break;
    if (first && first.status < 500) { $("#chart-note").textContent = "No chart: " + errorText(first); return; }
    $("#chart-note").textContent = "Still reading the runs' records…";
    await view.sleep(2000);
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
  await renderSweepChart();
}

function seriesName(answer, series) {
  if (!answer.by) return "all runs";
  return answer.by_bin ? `${label(answer.by)} ${format(series.low)}–${format(series.high)}` : `${label(answer.by)} ${format(series.low)}`;
}

/// A chart point of statistic `y` as drawn: the 95 % interval of a statistic that is never
/// negative does not reach below 0 (a mean near 0 over a few runs would put it there).
export function drawnPoint(point, y) {
  return NON_NEGATIVE.has(y) && point.low != null && point.low < 0 ? { ...point, low: 0 } : point;
}

/// One point of the chart in words: where it is, its mean and interval, and its runs' spread.
export function pointText(series, x, y, bin, point) {
  const where = bin ? `${label(x)} ${format(point.x - bin / 2)}–${format(point.x + bin / 2)}` : `${label(x)} ${format(point.x)}`;
  const [q0, q1, q2, q3, q4] = point.quantiles.map((q) => q == null ? "–" : format(q));
  return `${series}, ${where}: mean ${label(y)} ${format(point.mean)}`
    + (point.low != null ? ` (95% ${format(point.low)}–${format(point.high)})` : "")
    + `; ${point.n.toLocaleString()} runs, median ${q2}, quartiles ${q1}–${q3}, range ${q0}–${q4}`;
}

/// Draws the chart, the parameter space, the heatmap and the importance table again for the
/// current filter; resolves once each has its answer.
export async function renderSweepChart() {
  const state = sweepView(), { chart } = state;
  const id = state.sweepID, number = view.number, load = ++chart.load;
  const y = $("#chart-y").value, x = $("#chart-x").value, by = $("#chart-series").value;
  const others = Promise.all([loadParallel(), renderHeatmap(), renderImportance(state.table.filter)]);
  if (!y || !x) return others;
  const [field, controls] = await Promise.all([
    api(aggregatePath(id, { y, x, by, filter: withFilter("mode != classical") })),
    api(aggregatePath(id, { y, filter: "mode = classical" })),
  ]);
  if (!current(number) || load !== chart.load) return others;
  if (!field || field.status !== 200) {
    $("#chart-note").textContent = field ? "The chart cannot be drawn: " + errorText(field) : "Cannot reach the server.";
    return;
  }
  const answer = field.json;
  const lines = answer.series.map((series) => {
    const points = series.points.map((p) => drawnPoint(p, y));
    return {
      name: seriesName(answer, series),
      points: points.map((p) => [p.x, p.mean, p.low, p.high]),
      boxes: points.map((p) => [p.x, ...p.quantiles]),
      data: points,
    };
  });
  const control = controls && controls.status === 200 && controls.json.series[0] && controls.json.series[0].points[0];
  const band = control ? { low: control.quantiles[1], high: control.quantiles[3],
    // The controls are the baseline of the whole sweep: the filter, which their band ignores,
    // is said to be set aside.
    label: `controls (${control.n}${state.table.filter ? ", all: the filter aside" : ""}): middle half, mean ${format(control.mean)}` } : null;
  const title = `Mean ${label(y)} against ${label(x)}: lines with 95% intervals, boxes the runs' quartiles and range`;
  const tooltip = (line, at) => pointText(line.name, x, y, answer.x_bin, line.data[at]);
  const drawn = lineChart(title, lines, label(x), { markers: true, legend: true, band, yLabel: label(y), tooltip });
  $("#sweep-chart").replaceWith(Object.assign(drawn, { id: "sweep-chart" }));
  const binned = [answer.x_bin ? `${label(x)} in bins of ${format(answer.x_bin)}` : "",
    answer.by_bin ? `${label(by)} in bins of ${format(answer.by_bin)}` : ""].filter(Boolean).join(", ");
  $("#chart-note").textContent = `${coveredRuns(answer, [x, by, y].filter(Boolean).map(label).join(" or "), Boolean(state.table.filter))} `
    + `(of ${runCount(answer.total)} in the sweep), summarized by the server`
    + (binned ? `; ${binned}.` : ".");
  return others;
}

/// The chart's controls, for as long as the sweep view is mounted.
export function mountSweepChart() {
  view.listen($("#chart-svg"), "click", () => exportChart("svg"));
  view.listen($("#chart-png"), "click", () => exportChart("png"));
  for (const id of ["#chart-y", "#chart-x", "#chart-series"]) {
    view.listen($(id), "change", () => { renderSweepChart(); viewState.save(); });
  }
}
