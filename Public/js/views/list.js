// The sweep list: newest first, refreshed while a sweep runs.
import { api, errorText, notice } from "../api.js";
import { $, runCount } from "../dom.js";
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
  bar.setAttribute("aria-label", `${sweep.name} progress`);
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

/// Shows the sweep list; whether any sweep is still active, or null when the server did not answer.
export async function pollList(number) {
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
