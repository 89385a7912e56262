// Small DOM and number helpers shared by every view; no state.

export const $ = (selector) => document.querySelector(selector);
const SVG = "http://www.w3.org/2000/svg";
export const COLORS = ["#2456c7", "#c4421a", "#1e7b34", "#8a3ab9", "#b38600", "#0f7c8a", "#c2185b", "#5d4037"];
// ---------- Charts ----------

export function svgElement(name, attributes) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  return element;
}

export function format(value) {
  return Math.abs(value) >= 1000 || Number.isInteger(value) ? String(Math.round(value)) : String(Number(value.toPrecision(3)));
}

/// About five round values between `low` and `high`, for axis ticks.
export function ticks(low, high) {
  const span = high - low;
  if (!(span > 0) || !isFinite(span)) return [low];
  const raw = span / 4, magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= raw);
  const values = [];
  for (let value = Math.ceil(low / step) * step; value <= high + step * 1e-9; value += step) values.push(Number(value.toPrecision(12)));
  return values;
}

export function fillSelect(select, options, preferred, wanted) {
  const current = wanted || select.value || preferred;
  select.replaceChildren(...options.map((name) => new Option(name.replace(/_/g, " "), name)));
  if (options.includes(current)) select.value = current;
}

export const label = (name) => name.replace(/_/g, " ");

/// "1 run", "100,000 finished field runs": a count of runs, with its separators, the noun
/// singular for one.
export const runCount = (count, kind = "") => `${count.toLocaleString()} ${kind ? kind + " " : ""}run${count === 1 ? "" : "s"}`;

/// The runs a summary covers: "All N finished field runs" ("… matching the filter" when
/// `filtered`), or, when some of those have no value to summarize (a statistic null for
/// them, such as a run that never converged), how many it covers and that the rest have none.
export function coveredRuns(answer, what, filtered) {
  const matching = filtered ? " matching the filter" : "";
  if (!answer.matched) return "No finished field run" + matching;
  if (answer.runs >= answer.matched) return `All ${runCount(answer.runs, "finished field")}${matching}`;
  return `${answer.runs.toLocaleString()} of the ${runCount(answer.matched, "finished field")}${matching} `
    + `(${(answer.matched - answer.runs).toLocaleString()} have no value of ${what})`;
}

/// A sweep's name as the page shows it: one of blank characters only says so, rather than
/// leave a link or a heading with nothing to read.
export const shownName = (name) => name.trim() ? name : "(a name of blank characters)";
