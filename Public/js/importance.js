// Parameter importance: which swept parameter explains the chart's statistic (η², from the
// server, each parameter over the runs where it acts: the page adds no filter of its own).
import { api, errorText } from "./api.js";
import { $, label, runCount } from "./dom.js";
import { current, view } from "./lifecycle.js";
import { sweepView } from "./sweep-state.js";

/// What the shares are computed over: the runs each parameter counts (its `runs`, matching the
/// filter where it acts, with a value), not every finished run matching the filter, which
/// counts the controls too.
export function importanceCaption(answer) {
  const counts = answer.parameters.map((share) => share.runs);
  const low = Math.min(...counts), high = Math.max(...counts), matched = answer.matched;
  const over = low === high && high === matched ? `over the ${runCount(matched, "finished")} matching the filter`
    : low === high ? `over the ${runCount(high, "finished")} where ${counts.length === 1 ? "it acts" : "they act"} `
      + `(of ${matched.toLocaleString()} matching the filter)`
      : `each over the finished runs where it acts: ${low.toLocaleString()} to ${high.toLocaleString()} `
        + `of the ${matched.toLocaleString()} matching the filter (its runs)`;
  return `Share of the variance of ${label(answer.y)} explained by each parameter alone, ${over}`;
}

/// The table of shares for the chart's statistic over the finished runs matching `filter`.
export async function renderImportance(filter) {
  const state = sweepView(), { importance } = state;
  const id = state.sweepID, number = view.number, load = ++importance.load;
  const y = $("#chart-y").value;
  if (!y) return;
  const result = await api(`/api/sweeps/${id}/importance?` + new URLSearchParams({ y, filter }));
  if (!current(number) || load !== importance.load) return;
  const box = $("#importance");
  if (!result || result.status !== 200) {
    box.textContent = result ? "No importance: " + errorText(result) : "Cannot reach the server.";
    return;
  }
  const answer = result.json;
  box.dataset.y = y;
  if (!answer.parameters.length) { box.textContent = "The sweep varies no parameter over its field runs."; return; }
  const table = document.createElement("table");
  table.className = "importance";
  table.createCaption().textContent = importanceCaption(answer);
  const head = table.createTHead().insertRow();
  for (const text of ["parameter", "share of the variance", "runs", "groups"]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = text;
    head.append(th);
  }
  const body = table.createTBody();
  for (const share of answer.parameters) {
    const row = body.insertRow();
    row.dataset.parameter = share.name;
    row.dataset.explained = share.explained == null ? "" : String(share.explained);
    row.dataset.runs = String(share.runs);
    const name = row.insertCell();
    name.textContent = label(share.name);
    if (share.acts_where) name.title = "over the runs where " + share.acts_where;
    const cell = row.insertCell();
    cell.className = "share";
    if (share.explained == null) {
      // No share to draw: nothing varied, or no run where it acts. Not 0 %, which reads as "does not matter".
      cell.classList.add("undefined");
      cell.textContent = "undefined: " + share.reason;
    } else {
      const bar = document.createElement("span");
      bar.className = "bar-fill";
      bar.style.width = `${(share.explained * 70).toFixed(1)}%`;
      bar.setAttribute("aria-hidden", "true");
      cell.append(bar, `${(share.explained * 100).toFixed(1)} %`);
    }
    row.insertCell().textContent = share.runs.toLocaleString();
    row.insertCell().textContent = String(share.groups);
  }
  table.title = "groups: the values of the parameter, or the 40 equal-width bins of one with more";
  const defined = answer.parameters.filter((share) => share.explained != null);
  const sum = defined.reduce((total, share) => total + share.explained, 0);
  const note = document.createElement("p");
  note.className = "hint";
  // No share to add up is not "together 0 %", which reads as "nothing matters".
  note.textContent = defined.length ? `Together ${(sum * 100).toFixed(1)} %; the rest is interactions and noise (on a full grid; a sampled `
    + "design's parameters may share some of it)." : "No parameter's share is defined over these runs; each row says why.";
  // A narrow screen scrolls the table, not the page.
  const wrap = document.createElement("div");
  wrap.className = "diff-wrap";
  wrap.append(table);
  box.replaceChildren(wrap, note);
}
