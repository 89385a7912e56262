// The run table: only the visible rows, pages asked from the server.
import { api, errorText, notice } from "./api.js";
import { $, label, runCount } from "./dom.js";
import { current, view } from "./lifecycle.js";
import { PARAMETERS, SHOWN_STATS, STATISTICS } from "./model.js";
import { showRun } from "./run.js";
import { sweepView, viewState } from "./sweep-state.js";

// The table's state is the sweep view's (`sweepView().table`): made when the view is mounted.
const ROW_HEIGHT = 29, PAGE = 200, OVERSCAN = 12;

/// "Runs as CSV" exports what the table shows: the table's query (its filter, the last the
/// server accepted, and its order). Written again whenever the table asks anew.
export function csvLink() {
  const state = sweepView(), { table } = state;
  const params = new URLSearchParams();
  if (table.filter) params.set("filter", table.filter);
  if (table.sort) params.set("sort", table.sort);
  $("#csv-link").href = `/api/sweeps/${state.sweepID}/runs.csv` + (params.toString() ? "?" + params : "");
}

export function resetTable() {
  const { table } = sweepView();
  table.filter = $("#run-filter").value.trim();
  table.firstPage = new Promise((resolve) => { table.pageArrived = resolve; });
  $("#runs thead").replaceChildren();
  $("#runs tbody").replaceChildren();
  $("#run-count").textContent = "";
  $(".table-wrap").scrollTop = 0;
  // The first page is asked once the sweep's status has answered (its poll refreshes the
  // table): a sweep that does not exist costs one 404, not two.
}

/// Forgets the cached pages and asks again for the visible ones; the rows shown stay until
/// their replacements arrive. `first`, an answer already in hand for the first page, is kept.
export function refreshTable(first = null) {
  const { table } = sweepView();
  table.generation += 1;
  for (const controller of table.asked.values()) controller.abort();
  table.asked.clear();
  table.stale = table.pages;
  table.pages = new Map();
  if (first) takePage(table, 0, first);
  csvLink();
  renderRows();
}

/// Makes `filter` the table's, and so every view's, once the server has accepted it: its first
/// page is asked first, alone. A filter the server refuses changes nothing but the error said
/// under the box: the URL, the CSV link, the rows and the charts keep the last one accepted,
/// and nothing else is asked with it. Resolves true when the filter was taken.
export async function tryFilter(filter) {
  const { table } = sweepView(), number = view.number, checking = ++table.checking;
  const result = await api(tablePath(table, 0, PAGE, filter));
  if (!current(number) || checking !== table.checking) return false;
  // The server cannot be reached: said, and the filter asked again once it answers
  // (``filterPending``, which the sweep's poll reads).
  table.filterPending = !result;
  if (!result) { filterError("Not applied yet: the server cannot be reached. It is asked again when it answers."); return false; }
  if (result.status !== 200) { filterError(errorText(result)); return false; }
  filterError("");
  if (filter === table.filter) return false;
  table.filter = filter;
  viewState.save();
  $(".table-wrap").scrollTop = 0;
  refreshTable(result.json);
  return true;
}

function filterError(text) {
  $("#filter-error").textContent = text;
  if (text) $("#run-filter").setAttribute("aria-invalid", "true"); else $("#run-filter").removeAttribute("aria-invalid");
}

function takePage(table, offset, answer) {
  table.total = answer.total;
  table.matched = answer.matched;
  table.pages.set(offset, answer.runs);
  if (!table.columns) {
    table.columns = table.chosen ? ["run_id", "mode", "status", ...table.chosen]
      : answer.swept ? ["run_id", "mode", "status", ...answer.swept, ...SHOWN_STATS] : columnsOf(answer.runs);
    showChosen();
  }
}

function tablePath(table, offset, limit, filter = table.filter) {
  const parameters = new URLSearchParams({ offset: String(offset), limit: String(limit) });
  if (filter) parameters.set("filter", filter);
  if (table.sort) parameters.set("sort", table.sort);
  return `/api/sweeps/${table.id}/runs?` + parameters;
}

async function askPage(table, offset) {
  if (table.pages.has(offset) || table.asked.has(offset)) return;
  const controller = new AbortController(), number = view.number;
  view.signal.addEventListener("abort", () => controller.abort());
  table.asked.set(offset, controller);
  const generation = table.generation;
  const result = await api(tablePath(table, offset, PAGE), { signal: controller.signal });
  if (generation !== table.generation || !current(number)) return;
  table.asked.delete(offset);
  table.pageArrived();
  if (!result) return;
  if (result.status !== 200) {
    const field = result.json && result.json.error && result.json.error.field;
    // A sort by no column (a URL edited by hand) is dropped too: the table is shown in the
    // sweep's order, and the page's notice says why.
    if (result.status === 400 && field === "sort" && table.sort) {
      notice("The link's sort is not used: " + errorText(result));
      table.sort = ""; viewState.save(); refreshTable();
      return;
    }
    filterError(errorText(result));
    // A filter the server refuses that came with the URL is dropped, as a typed one is never
    // taken: the box keeps it beside its error, and the table and every view show all runs
    // (the charts, waiting for this first page, are asked without it).
    if (result.status === 400 && field === "filter" && table.filter) { table.filter = ""; viewState.save(); refreshTable(); }
    return;
  }
  // The error stays while the box holds a filter that was refused.
  if ($("#run-filter").value.trim() === table.filter) filterError("");
  takePage(table, offset, result.json);
  renderRows();
}

/// Shows the chosen parameter and statistic columns after the run's identity and status.
function setColumns(chosen) {
  const { table } = sweepView();
  table.columns = ["run_id", "mode", "status", ...chosen];
  showChosen();
  renderHead();
  renderRows();
}

/// The chooser's boxes, one a column: each shows or hides its column alone.
const chooserBoxes = () => [...document.querySelectorAll("#run-columns input[type=checkbox]")];

/// Makes the chooser's boxes once: the parameters and statistics are the model's, not the sweep's.
function buildColumnChooser() {
  if (chooserBoxes().length) return;
  const boxes = (names) => names.map((name) => {
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = name;
    const text = document.createElement("label");
    text.append(box, label(name));
    return text;
  });
  $("#run-columns-parameters").append(...boxes(PARAMETERS.filter((key) => key !== "mode")));
  $("#run-columns-statistics").append(...boxes(STATISTICS));
}

/// Ticks the boxes of the columns shown, and says how many there are in the chooser's summary.
function showChosen() {
  const { table } = sweepView(), boxes = chooserBoxes();
  const shown = new Set(table.columns || []);
  for (const box of boxes) box.checked = shown.has(box.value);
  $("#run-columns-count").textContent = table.columns ? `(${boxes.filter((box) => box.checked).length} of ${boxes.length})` : "";
}

/// The chooser's choices by default: the parameters the definition varies (known from the
/// server's aggregate answer) with the main statistics, unless a choice was made (or came
/// with the URL).
export function fillColumnChooser() {
  const { table, chart } = sweepView();
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

function rowAt(table, index) {
  const offset = Math.floor(index / PAGE) * PAGE;
  const page = table.pages.get(offset) || (table.stale && table.stale.get(offset));
  return page ? page[index - offset] : undefined;
}

function renderHead() {
  const { table } = sweepView();
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
  const state = sweepView(), { table } = state;
  const wrap = $(".table-wrap");
  const visible = Math.ceil((wrap.clientHeight || 448) / ROW_HEIGHT);
  const count = table.matched, scrolled = wrap.scrollTop;
  const first = Math.max(0, Math.floor(scrolled / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(count, first + visible + 2 * OVERSCAN);
  for (let offset = Math.floor(first / PAGE) * PAGE; offset < Math.max(last, 1); offset += PAGE) askPage(table, offset);
  if (!table.columns) return;
  if (!$("#runs thead tr")) renderHead();
  $("#runs").setAttribute("aria-rowcount", String(count + 1));
  // The row with the keyboard's focus: its run when it has one, else its place (a row whose
  // page has not arrived yet, after End or a jump), so focus stays when the row is filled in.
  const active = document.activeElement && document.activeElement.closest("#runs tbody tr[data-index]");
  const focusedRun = active ? active.dataset.run : null, focusedIndex = active ? active.dataset.index : null;
  const body = $("#runs tbody");
  // Rows already shown are kept and updated in place: focus, selection and any reference
  // to them survive a refresh.
  const shown = new Map([...body.querySelectorAll("tr[data-index]")].map((tr) => [tr.dataset.index, tr]));
  const rows = [spacer(first * ROW_HEIGHT, table.columns.length)];
  for (let index = first; index < last; index++) {
    const run = rowAt(table, index);
    let tr = shown.get(String(index));
    // A row waiting for its page (or holding the focus) is filled in where it is.
    if (!tr || tr.children.length !== table.columns.length
      || (tr.dataset.run && tr !== active && tr.dataset.run !== (run ? run.run_id : ""))) {
      tr = document.createElement("tr");
      tr.setAttribute("aria-rowindex", String(index + 2));
      tr.dataset.index = String(index);
      for (const _ of table.columns) tr.append(document.createElement("td"));
    }
    if (!run) delete tr.dataset.run;
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
  // Rows that stay are never taken out: one with focus would lose it (and the browser would
  // scroll to where it went). Those that go are removed, the new ones put in their places.
  const keep = new Set(rows);
  for (const child of [...body.children]) if (!keep.has(child)) child.remove();
  rows.forEach((row, position) => { if (body.children[position] !== row) body.insertBefore(row, body.children[position] || null); });
  if (!body.querySelector("tr[tabindex='0']")) { const firstRow = body.querySelector("tr[data-run]"); if (firstRow) firstRow.tabIndex = 0; }
  if (active) {
    const again = (focusedRun && body.querySelector(`tr[data-run="${focusedRun}"]`)) || body.querySelector(`tr[data-index="${focusedIndex}"]`);
    if (again) {
      for (const other of body.querySelectorAll("tr[tabindex='0']")) if (other !== again) other.tabIndex = -1;
      again.tabIndex = 0;
      if (again.dataset.run) table.focusRun = again.dataset.run;
      if (document.activeElement !== again) again.focus({ preventScroll: true });
    }
  }
  // Putting focus back on a row far down may still move the scroll position (Chromium takes
  // it to the top); the rows drawn are for where it was.
  if (wrap.scrollTop !== scrolled) wrap.scrollTop = scrolled;
  $("#run-count").textContent = `${count.toLocaleString()} of ${runCount(table.total)}`;
}

/// Moves the keyboard focus to the row at `index`, scrolling it into view.
function focusRow(index) {
  const { table } = sweepView();
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

/// The table's listeners, for as long as the sweep view is mounted.
export function mountTable() {
  const { table } = sweepView();
  buildColumnChooser();
  showChosen();
  $("#run-columns").open = false;
  // A box ticked or not adds or takes out its column alone; every box left empty is a choice
  // too (the run's identity and status only), which the URL keeps (`cols=`).
  view.listen($("#run-columns"), "change", () => {
    table.chosen = chooserBoxes().filter((box) => box.checked).map((box) => box.value);
    setColumns(table.chosen);
    viewState.save();
  });
  let scrollFrame = 0;
  view.listen($(".table-wrap"), "scroll", () => {
    if (scrollFrame) return;
    scrollFrame = view.frame(() => { scrollFrame = 0; renderRows(); });
  }, { passive: true });
  // One listener for every row: click or Enter opens a run; arrows, Page and Home/End move.
  view.listen($("#runs tbody"), "click", (event) => {
    const row = event.target.closest("tr[data-run]");
    if (row) { table.focusRun = row.dataset.run; showRun(row.dataset.run); }
  });
  view.listen($("#runs tbody"), "keydown", (event) => {
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
}
