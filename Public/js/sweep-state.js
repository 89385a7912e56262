// The sweep view's state: one object made when the view is mounted and dropped with it
// (lifecycle.js), holding each of its parts' state — the table's pages, the charts' answers,
// the parameter space's drawing, the replay, the comparison — so that nothing a sweep view
// kept is left for the next view. The other views (list, form) keep none.
import { $ } from "./dom.js";
import { view } from "./lifecycle.js";

/// A fresh state for sweep `id`; `wanted` is what the URL asks for (see viewState).
export function sweepState(id, wanted) {
  return {
    sweepID: id,
    // The open run, the runs compared and their records.
    selected: null,
    compare: [],
    compareCache: new Map(),
    // What the URL asked for and no part has taken yet.
    wanted,
    filterTimer: null,
    table: { id, filter: "", sort: "", chosen: null, total: 0, matched: 0, pages: new Map(), stale: null, asked: new Map(),
      columns: null, generation: 0, checking: 0, focusRun: null, firstPage: null, pageArrived: null },
    // The swept parameters, and the columns asked for the parameter space; `load` and
    // `parallelLoad` tell the latest request from older ones.
    chart: { swept: [], columns: new Map(), load: 0, parallelLoad: 0 },
    parallel: { axes: [], brushes: {}, scales: {}, drawing: 0, drawn: null, shown: -1, brushing: false },
    importance: { load: 0 },
    replay: { key: null, frames: [], n: 0, index: 0, timer: null, config: null, highlight: null },
    inference: { map: null, colour: "field_strength", drawn: undefined },
  };
}

/// The mounted sweep view's state; null in any other view.
export function sweepView() { return view && view.state && view.state.sweepID ? view.state : null; }

/// What a sweep view shows — chart axes, filter, sort, the open run — kept in the URL's hash
/// (`#/sweeps/ID?y=…&x=…&by=…&filter=…&sort=…&run=…`), so a view can be shared and comes back
/// as it was. Written with replaceState, which does not route again; opening a run is a new
/// history entry (pushState), so Back closes it (main.js).
export const viewState = {
  /// The URL's value of `key`, once: a part takes it when it is first drawn.
  take(key) {
    const state = sweepView();
    if (!state) return undefined;
    const value = state.wanted[key];
    delete state.wanted[key];
    return value;
  },
  /// The hash that says the view as it is now.
  hash() {
    const state = sweepView();
    if (!state) return null;
    const { table } = state;
    const params = new URLSearchParams();
    // A choice not drawn yet (its select still empty) is what the URL asked for.
    for (const [key, id] of [["y", "#chart-y"], ["x", "#chart-x"], ["by", "#chart-series"], ["hx", "#heat-x"], ["hy", "#heat-y"], ["hz", "#heat-z"]]) {
      const value = $(id).value || state.wanted[key];
      if (value) params.set(key, value);
    }
    if (table.filter) params.set("filter", table.filter);
    if (table.sort) params.set("sort", table.sort);
    if (table.chosen) params.set("cols", table.chosen.join(","));
    if (state.selected) params.set("run", state.selected);
    if (state.compare.length) params.set("compare", state.compare.join(","));
    const stats = [...$("#parallel-stats").selectedOptions].map((option) => option.value);
    if (stats.length) params.set("stats", stats.join(","));
    return `#/sweeps/${state.sweepID}` + (params.toString() ? "?" + params : "");
  },
  /// Writes the view into the URL; `push`: as a new history entry.
  save({ push = false } = {}) {
    const hash = viewState.hash();
    if (hash === null || location.hash === hash) return;
    if (push) history.pushState(null, "", hash); else history.replaceState(null, "", hash);
  },
};
