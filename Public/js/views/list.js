// The sweep list: newest first, refreshed while a sweep runs.
import { api, errorText, notice } from "../api.js";
import { $, runCount, shownName } from "../dom.js";
import { current } from "../lifecycle.js";

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

export function progressBlock(sweep) {
  const p = sweep.progress;
  const wrap = document.createElement("div");
  const runsLabel = `${(p.runs_completed + p.runs_failed).toLocaleString()} of ${runCount(p.runs_total)}`;
  const bar = document.createElement("progress");
  bar.className = "progress";
  bar.max = 1;
  bar.value = p.fraction;
  bar.setAttribute("aria-label", `${shownName(sweep.name)} progress`);
  bar.dataset.fraction = String(p.fraction);
  const rate = rateOf(sweep);
  const meta = document.createElement("div");
  meta.className = "meta";
  meta.innerHTML = "";
  for (const text of [runsLabel + (p.runs_failed ? ` (${p.runs_failed.toLocaleString()} failed)` : ""),
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

// Sweeps a page of the list shows.
const LIST_PAGE = 100;

/// Shows page `page` (0: the newest) of the sweep list; whether any sweep on it is still
/// active, or null when the server did not answer.
export async function pollList(number, page = 0) {
  const result = await api(`/api/sweeps?offset=${page * LIST_PAGE}&limit=${LIST_PAGE}`);
  if (!result || !current(number)) return null;
  if (result.status !== 200) { notice(errorText(result)); return null; }
  const list = $("#sweep-list");
  const sweeps = result.json.sweeps;
  // "No sweeps yet" only when there are none at all, not on a page past the last.
  $("#sweep-empty").hidden = result.json.total > 0;
  const items = sweeps.map((sweep) => {
    const item = document.createElement("li");
    const head = document.createElement("div");
    head.className = "head";
    const link = document.createElement("a");
    link.href = "#/sweeps/" + sweep.id;
    link.textContent = shownName(sweep.name);
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
  // More than a page: which sweeps are shown, and links to the pages either side.
  const total = result.json.total, first = page * LIST_PAGE;
  const parts = [];
  if (total > sweeps.length || page > 0) {
    parts.push(sweeps.length ? `Sweeps ${(first + 1).toLocaleString()}–${(first + sweeps.length).toLocaleString()} of ${total.toLocaleString()}. `
      : `No sweeps on this page; there are ${total.toLocaleString()}. `);
    // Newer from a page past the last leads to the last.
    const last = Math.max(0, Math.ceil(total / LIST_PAGE) - 1);
    for (const [text, to, shown] of [["Newer", Math.min(page - 1, last), page > 0], ["Older", page + 1, first + sweeps.length < total]]) {
      if (!shown) continue;
      const link = document.createElement("a");
      link.href = to > 0 ? `#/?page=${to}` : "#/";
      link.textContent = text;
      parts.push(link, " ");
    }
  }
  $("#sweep-total").replaceChildren(...parts);
  return sweeps.some((sweep) => ["queued", "running", "cancelling"].includes(sweep.status));
}
