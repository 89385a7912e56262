// The HTTP API as the page asks it: JSON answers, the token, the outage banner.
import { $ } from "./dom.js";
import { view } from "./lifecycle.js";

/// A request of the current view (aborted when it ends); null when it was aborted or the
/// server cannot be reached, which the outage banner then says.
export async function api(path, options = {}) {
  const method = options.method || "GET";
  const signal = options.signal || (view && view.signal);
  // A busy server sheds load with 503 and Retry-After; a read is asked again after it, a
  // few times, so a burst of the page's own requests does not show as an error.
  for (let attempt = 0; ; attempt++) {
    const result = await ask(path, method, options.body, signal);
    if (!result || result.status !== 503 || method !== "GET" || attempt >= 3) return result;
    const wait = Math.min(10, Math.max(1, Number(result.retryAfter) || 1));
    const aborted = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), wait * 1000);
      if (signal) signal.addEventListener("abort", () => { clearTimeout(timer); resolve(true); }, { once: true });
    });
    if (aborted) return null;
  }
}

async function ask(path, method, body, signal) {
  const headers = { Accept: "application/json" };
  const token = localStorage.getItem("morphic-token");
  if (token) headers.Authorization = "Bearer " + token;
  if (body) headers["Content-Type"] = "application/json";
  let response;
  try {
    // no-cache: revalidate with the entity tag, so an unchanged answer costs a 304.
    response = await fetch(path, { method, headers, body, cache: "no-cache", signal });
  } catch (error) {
    if (error.name !== "AbortError") outage(true);
    return null;
  }
  outage(false);
  let json = null;
  if (response.status !== 204) { try { json = parseJSON(await response.text()); } catch (_) { json = null; } }
  return { status: response.status, json, retryAfter: response.headers.get("Retry-After") };
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
