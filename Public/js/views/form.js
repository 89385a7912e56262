// The new-sweep form and the definition it writes.
import { api, errorText, notice } from "../api.js";
import { $, runCount } from "../dom.js";
import { view } from "../lifecycle.js";

function numbers(text) {
  return text.split(/[\s,]+/).filter(Boolean).map(Number);
}

function formToDefinition() {
  const value = (name) => $("#f-" + name).value;
  const groups = [];
  const controls = Number(value("controls"));
  if (controls > 0) {
    groups.push({ prefix: "control", mode: "classical", replicates: controls,
      params: { crystal_count: 0, field_strength: 0.0, temporal_decay: 0.0, similarity_threshold: 0.0 } });
  }
  const replicates = Number(value("replicates"));
  if (replicates > 0) {
    const group = { prefix: "morphic", mode: "morphic", replicates, params: { crystal_count: Number(value("crystal_count")) } };
    if (value("design") === "sample") {
      group.sample = sampleFromForm(value);
    } else {
      group.grid = {};
      for (const key of FORM_AXES) {
        const values = numbers(value(key));
        if (values.length) group.grid[key] = values;
      }
    }
    groups.push(group);
  }
  return { name: value("name"), seed: Number(value("seed")),
    defaults: { grid_size: Number(value("grid_size")), generations: Number(value("generations")) }, groups };
}

// ---------- New sweep: sampled points ----------

const FORM_AXES = ["field_strength", "temporal_decay", "similarity_threshold"];

// The morphic group's `sample`: the method, the count and each axis's distribution and bounds.
function sampleFromForm(value) {
  const params = {};
  for (const key of FORM_AXES) {
    params[key] = { [value(key + "-dist")]: [Number(value(key + "-lo")), Number(value(key + "-hi"))] };
  }
  return { count: Number(value("count")), method: value("method"), params };
}

// Shows the grid's value lists or the sample's ranges, whichever the form builds.
function showDesign() {
  const sampled = $("#f-design").value === "sample";
  for (const label of document.querySelectorAll("#form .grid-only")) label.hidden = sampled;
  for (const label of document.querySelectorAll("#form .sample-only")) label.hidden = !sampled;
}

// The form control a sampled field's error names: `…sample.count`, `…sample.method`, or a
// distribution (`…sample.params.field_strength.uniform[1]` is its upper bound).
function sampleControlFor(field) {
  const match = /sample\.(count|method)$|sample\.params\.(\w+)(?:\.\w+(?:\[(\d+)\])?)?$/.exec(field);
  if (!match) return null;
  if (match[1]) return $("#f-" + match[1]);
  const suffix = match[3] === "0" ? "-lo" : match[3] === "1" ? "-hi" : "-dist";
  return $("#f-" + match[2] + suffix);
}

// Points of a group: its grid's combinations, its sample's count or its list's length.
function groupPoints(group, base) {
  if (group.sample) return Array(Math.max(0, Number(group.sample.count) || 0)).fill(base);
  if (Array.isArray(group.points)) return group.points.map((point) => Object.assign({}, base, point));
  let points = [base];
  for (const [key, values] of Object.entries(group.grid || {})) {
    points = points.flatMap((point) => (Array.isArray(values) ? values : []).map((v) => Object.assign({}, point, { [key]: v })));
  }
  return points;
}

export function estimate() {
  let definition;
  try { definition = JSON.parse($("#definition").value); } catch (error) {
    $("#estimate").textContent = "The definition is not valid JSON yet.";
    return;
  }
  // Only what the server would count: anything else (not an object, groups that are no
  // list, replicates that are no whole number from 1) is left to its validation to explain.
  const object = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
  if (!object(definition) || (definition.groups !== undefined && !Array.isArray(definition.groups))) {
    $("#estimate").textContent = "Not a sweep definition yet: an object with a list of groups.";
    return;
  }
  let runs = 0, cells = 0;
  const say = (text) => { $("#estimate").textContent = text; };
  for (const group of definition.groups || []) {
    if (!object(group)) return say("Each group must be an object.");
    if (group.grid !== undefined && (!object(group.grid) || !Object.values(group.grid).every(Array.isArray))) {
      return say("A grid gives each parameter a list of values.");
    }
    if (group.sample !== undefined && !(object(group.sample) && Number.isInteger(group.sample.count) && group.sample.count >= 1)) {
      return say("A sample's count must be a whole number from 1.");
    }
    const base = Object.assign({ grid_size: 25, generations: 200 }, object(definition.defaults) ? definition.defaults : {},
      object(group.params) ? group.params : {});
    const points = groupPoints(group, base);
    const replicates = group.replicates === undefined ? 1 : group.replicates;
    if (!Number.isInteger(replicates) || replicates < 1) {
      $("#estimate").textContent = "Replicates must be a whole number from 1.";
      return;
    }
    for (const point of points) {
      runs += replicates;
      cells += replicates * point.grid_size * point.grid_size * point.generations;
    }
  }
  if (!Number.isFinite(cells)) return say("Grid sizes and generations must be numbers.");
  say(`${runCount(runs)}, ${cells.toLocaleString()} cell updates.`);
}

function clearFieldErrors() {
  for (const element of document.querySelectorAll("[aria-invalid]")) element.removeAttribute("aria-invalid");
  for (const element of document.querySelectorAll(".field-error")) {
    // The control no longer refers to its message once the message is gone.
    for (const control of document.querySelectorAll(`[aria-describedby="${element.id}"]`)) control.removeAttribute("aria-describedby");
    element.remove();
  }
  $("#definition-error").textContent = "";
}

// Maps an error's field path to the form control that sets it, when there is one.
function controlFor(field) {
  const last = field.split(".").pop().replace(/\[\d+\]$/, "");
  if (field.startsWith("groups") && field.endsWith(".replicates")) return field.startsWith("groups[0]") ? $("#f-controls") : $("#f-replicates");
  if (field.includes(".sample")) return sampleControlFor(field);
  // By id, not by selector: a field such as "groups[1]" is no valid selector.
  return document.getElementById("f-" + last) || document.getElementById("f-" + field);
}

async function submitSweep(event) {
  event.preventDefault();
  clearFieldErrors();
  const body = $("#definition").value;
  try { JSON.parse(body); } catch (error) {
    $("#definition-error").textContent = "Not valid JSON: " + error.message;
    $("#definition").setAttribute("aria-invalid", "true");
    return;
  }
  $("#submit").disabled = true;
  const result = await api("/api/sweeps", { method: "POST", body }).catch(() => null);
  $("#submit").disabled = false;
  if (!result) { $("#definition-error").textContent = "Cannot reach the server."; return; }
  if (result.status === 200 || result.status === 202) {
    // 200: the same definition was submitted before; its sweep is shown, and that said.
    if (result.status === 200) notice("This definition was submitted before: here is its sweep.", { keep: true });
    location.hash = "#/sweeps/" + result.json.id;
    return;
  }
  const error = result.json && result.json.error;
  $("#definition-error").textContent = (error && error.field ? error.field + ": " : "") + errorText(result);
  $("#definition").setAttribute("aria-invalid", "true");
  const control = error && error.field ? controlFor(error.field) : null;
  if (control) {
    control.setAttribute("aria-invalid", "true");
    const message = document.createElement("span");
    message.className = "field-error";
    message.id = control.id + "-error";
    message.textContent = error.message;
    control.setAttribute("aria-describedby", message.id);
    control.after(message);
  }
}

// The form writes the definition below it as you type, so what is shown is what is
// submitted; editing the definition by hand takes over from the form until it is touched again.
function formChanged() {
  showDesign();
  $("#definition").value = JSON.stringify(formToDefinition(), null, 2);
  $("#definition-source").textContent = "Written from the form above.";
  estimate();
}
// The form keeps what was typed in its fields across views; it starts as the form's defaults.
showDesign();
$("#definition").value = JSON.stringify(formToDefinition(), null, 2);

/// The form's listeners, for as long as the new-sweep view is mounted.
export function mountForm() {
  view.listen($("#definition"), "input", () => {
    $("#definition-source").textContent = "Edited by hand: this is what will be submitted; changing the form above rewrites it.";
    estimate();
  });
  view.listen($("#form fieldset"), "input", formChanged);
  view.listen($("#form fieldset"), "change", formChanged);
  view.listen($("#form"), "submit", submitSweep);
}
