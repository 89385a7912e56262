// The sweep view's state: the sweep shown, its open run and comparison, and what the URL keeps.
// Each part of the view keeps its own state in its module (table.js, sweep-chart.js,
// parallel.js, replay.js), which showSweep resets when the view is mounted; the other views
// (list, form) keep none.
import { $ } from "./dom.js";
import { table } from "./table.js";

export const state = { sweepID: null, selected: null, compare: [] };

/// What a sweep view shows — chart axes, filter, sort, the open run — kept in the URL's hash
/// (`#/sweeps/ID?y=…&x=…&by=…&filter=…&sort=…&run=…`), so a view can be shared and comes back
/// as it was. Written with replaceState, which does not route again.
export const viewState = {
  wanted: {},
  restore(params) { this.wanted = Object.fromEntries(params.entries()); },
  take(key) { const value = this.wanted[key]; delete this.wanted[key]; return value; },
  save() {
    if (!state.sweepID) return;
    const params = new URLSearchParams();
    for (const [key, id] of [["y", "#chart-y"], ["x", "#chart-x"], ["by", "#chart-series"], ["hx", "#heat-x"], ["hy", "#heat-y"], ["hz", "#heat-z"]]) if ($(id).value) params.set(key, $(id).value);
    if (table.filter) params.set("filter", table.filter);
    if (table.sort) params.set("sort", table.sort);
    if (table.chosen) params.set("cols", table.chosen.join(","));
    if (state.selected) params.set("run", state.selected);
    if (state.compare.length) params.set("compare", state.compare.join(","));
    const stats = [...$("#parallel-stats").selectedOptions].map((option) => option.value);
    if (stats.length) params.set("stats", stats.join(","));
    const hash = `#/sweeps/${state.sweepID}` + (params.toString() ? "?" + params : "");
    if (location.hash !== hash) history.replaceState(null, "", hash);
  },
};
