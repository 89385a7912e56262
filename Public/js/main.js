// MorphicLab browser page, the entry point: plain ES modules, no build step, nothing fetched
// from elsewhere. Wires what belongs to no single view and routes.
import { $ } from "./dom.js";
import { MAP, mapColour } from "../inference.js";
import { drawFrame } from "./replay.js";
import { route } from "./router.js";
import { closeRun, showRun } from "./run.js";
import { sweepView, viewState } from "./sweep-state.js";
import { estimate } from "./views/form.js";

$("#token").value = localStorage.getItem("morphic-token") || "";
$("#token").addEventListener("change", () => {
  const value = $("#token").value.trim();
  if (value) localStorage.setItem("morphic-token", value); else localStorage.removeItem("morphic-token");
});
window.addEventListener("hashchange", () => {
  if (runOnly()) return;
  route();
  // A new view: keyboard and screen-reader users start at its heading, not at the page's top.
  const heading = [...document.querySelectorAll("main > section:not([hidden]) h1")][0];
  if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
});
/// A history step within a sweep's view that only opens or closes a run (Back after opening
/// one) is done in place: the rest of the view stays as it is, nothing is asked again.
function runOnly() {
  const state = sweepView(), shown = viewState.hash();
  const match = location.hash.match(/^#\/sweeps\/([a-z0-9-]+)(?:\?(.*))?$/);
  if (!state || !match || match[1] !== state.sweepID) return false;
  const without = (query) => { const params = new URLSearchParams(query); const run = params.get("run"); params.delete("run"); return [params.toString(), run]; };
  const [wanted, run] = without(match[2] || ""), [now] = without(shown.split("?")[1] || "");
  if (wanted !== now) return false;
  if (run) showRun(run, { push: false }); else closeRun();
  return true;
}

// The skip link moves focus itself: its target is not a route.
$(".skip").addEventListener("click", (event) => {
  event.preventDefault();
  const heading = $("#runs-heading");
  if (!$("#view-sweep").hidden) { heading.scrollIntoView(); heading.focus(); } else $("#main").focus();
});
// What the browser checks reach into: module bindings are not globals, and a sweep view's
// state is its own (null in other views).
window.morphic = {
  drawFrame, MAP, mapColour,
  get inference() { const state = sweepView(); return state && state.inference; },
  get parallel() { const state = sweepView(); return state && state.parallel; },
};
estimate();
route();
