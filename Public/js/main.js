// MorphicLab browser page, the entry point: plain ES modules, no build step, nothing fetched
// from elsewhere. Wires what belongs to no single view and routes.
import { $ } from "./dom.js";
import { MAP, mapColour } from "../inference.js";
import { drawFrame } from "./replay.js";
import { route } from "./router.js";
import { sweepView } from "./sweep-state.js";
import { estimate } from "./views/form.js";

$("#token").value = localStorage.getItem("morphic-token") || "";
$("#token").addEventListener("change", () => {
  const value = $("#token").value.trim();
  if (value) localStorage.setItem("morphic-token", value); else localStorage.removeItem("morphic-token");
});
window.addEventListener("hashchange", () => {
  route();
  // A new view: keyboard and screen-reader users start at its heading, not at the page's top.
  const heading = [...document.querySelectorAll("main > section:not([hidden]) h1")][0];
  if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
});
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
