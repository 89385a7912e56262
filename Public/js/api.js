// The HTTP API as the page asks it: JSON answers, the token, the outage banner.
import { $ } from "./dom.js";
import { view } from "./lifecycle.js";

/// A request of the current view (aborted when it ends); null when it was aborted or the
/// server cannot be reached, which the outage banner then says.
export async function api(path, options = {}) {
  const headers = { Accept: "application/json" };
  const token = localStorage.getItem("morphic-token");
  if (token) headers.Authorization = "Bearer " + token;
  if (options.body) headers["Content-Type"] = "application/json";
  let response;
  try {
    // no-cache: revalidate with the entity tag, so an unchanged answer costs a 304.
    response = await fetch(path, { method: options.method || "GET", headers, body: options.body, cache: "no-cache",
      signal: options.signal || (view.controller && view.controller.signal) });
  } catch (error) {
    if (error.name !== "AbortError") outage(true);
    return null;
  }
  outage(false);
  let json = null;
  if (response.status !== 204) { try { json = parseJSON(await response.text()); } catch (_) { json = null; } }
  return { status: response.status, json };
}

/// JSON.parse, but a seed keeps its exact digits as text: seeds reach 2^64 − 1, past the
/// 2^53 a JavaScript number holds exactly. The reviver runs only on an answer with a seed in
/// it: called for every value, it takes most of a second over 100,000 runs' columns.
function parseJSON(text) {
  if (!/"seed"\s*:\s*-?[0-9]/.test(text)) return JSON.parse(text);
  return JSON.parse(text, (key, value, context) =>
    key === "seed" && typeof value === "number" && context && context.source ? context.source : value);
}

function outage(down) { $("#outage").hidden = !down; }

export function notice(text) { $("#notice").textContent = text || ""; }

export function errorText(result) {
  if (result.status === 401) return "This server needs an API token: enter it at the top right.";
  return (result.json && result.json.error && result.json.error.message) || ("The server answered " + result.status);
}
