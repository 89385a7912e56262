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
    const result = await ask(path, method, options.body, signal, options.columns, options.raw);
    if (result && result.status === 404 && view && view.onMissing) view.onMissing();
    if (!result || result.status !== 503 || method !== "GET" || attempt >= 3) return result;
    const wait = Math.min(10, Math.max(1, Number(result.retryAfter) || 1));
    const aborted = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), wait * 1000);
      if (signal) signal.addEventListener("abort", () => { clearTimeout(timer); resolve(true); }, { once: true });
    });
    if (aborted) return null;
  }
}

/// api() for GET …/columns: the answer's `columns` are Float64Arrays (NaN for null), each
/// with its `range` ([least, greatest], null when it has no number), parsed off the page's
/// thread (columns-worker.js).
export function apiColumns(path) { return api(path, { columns: true }); }

/// api() whose answer of 200 is kept as bytes (`buffer`, an ArrayBuffer), not parsed here:
/// for the run map's answers, parsed by map-worker.js.
export function apiBytes(path) { return api(path, { raw: true }); }

async function ask(path, method, body, signal, columns = false, raw = false) {
  const headers = { Accept: "application/json" };
  const token = localStorage.getItem("morphic-token");
  if (token) headers.Authorization = "Bearer " + token;
  if (body) headers["Content-Type"] = "application/json";
  let response;
  // A request still unanswered after SLOW ms may be waiting on a server that hangs (stopped,
  // swapping): its liveness is asked, and the banner shows if it does not answer either.
  const slow = setTimeout(probe, SLOW);
  try {
    // no-cache: revalidate with the entity tag, so an unchanged answer costs a 304.
    response = await fetch(path, { method, headers, body, cache: "no-cache", signal });
  } catch (error) {
    if (error.name !== "AbortError") outage(true);
    return null;
  } finally {
    clearTimeout(slow);
  }
  outage(false);
  let json = null, buffer = null;
  try {
    if (raw && response.status === 200) buffer = await response.arrayBuffer();
    else if (columns && response.status === 200) json = await parseColumns(await response.arrayBuffer());
    else if (response.status !== 204) json = parseJSON(await response.text());
  } catch (error) {
    if (error.name === "AbortError") return null;
    json = null;
  }
  return { status: response.status, json, buffer, retryAfter: response.headers.get("Retry-After") };
}

/// JSON.parse, but a seed keeps its exact digits as text: seeds reach 2^64 − 1, past the
/// 2^53 a JavaScript number holds exactly. The reviver runs only on an answer with a seed in
/// it: called for every value, it takes most of a second over 100,000 runs' columns.
function parseJSON(text) {
  if (!/"seed"\s*:\s*-?[0-9]/.test(text)) return JSON.parse(text);
  return JSON.parse(text, (key, value, context) =>
    key === "seed" && typeof value === "number" && context && context.source ? context.source : value);
}

// The worker that parses columns, started when first needed and kept for the page's life
// (it holds nothing between answers); its answers are matched to their requests by number.
let columnsWorker = null, columnsAsked = 0;
const columnsWaiting = new Map();

function parseColumns(buffer) {
  if (!columnsWorker) {
    try {
      columnsWorker = new Worker(new URL("./columns-worker.js", import.meta.url));
    } catch (_) {
      return columnsHere(buffer);
    }
    columnsWorker.onmessage = ({ data }) => {
      const waiting = columnsWaiting.get(data.id);
      columnsWaiting.delete(data.id);
      if (waiting) { if (data.error) waiting.reject(new Error(data.error)); else waiting.resolve(withRanges(data.answer)); }
    };
    // A worker that cannot start (its file unreachable): the answers it had are parsed here.
    columnsWorker.onerror = () => {
      columnsWorker = null;
      for (const waiting of columnsWaiting.values()) waiting.resolve(columnsHere(waiting.buffer));
      columnsWaiting.clear();
    };
  }
  const id = ++columnsAsked;
  // A copy stays here only until the worker answers, for the case it cannot start.
  const copy = buffer.slice(0);
  return new Promise((resolve, reject) => {
    columnsWaiting.set(id, { resolve, reject, buffer: copy });
    columnsWorker.postMessage({ id, buffer }, [buffer]);
  });
}

/// The worker's parsing, on the page's thread.
function columnsHere(buffer) {
  const answer = JSON.parse(new TextDecoder().decode(buffer));
  answer.ranges = {};
  for (const [key, values] of Object.entries(answer.columns || {})) {
    answer.columns[key] = Float64Array.from(values, (v) => v == null ? NaN : v);
    let low = Infinity, high = -Infinity;
    for (const v of values) if (v != null) { if (v < low) low = v; if (v > high) high = v; }
    answer.ranges[key] = low <= high ? [low, high] : null;
  }
  return withRanges(answer);
}

/// Each column carries its range (`column.range`), wherever it is kept.
function withRanges(answer) {
  for (const [key, column] of Object.entries(answer.columns || {})) column.range = answer.ranges[key];
  return answer;
}

// The banner says the page is retrying: while it shows, the server's liveness is asked every
// RETRY ms whatever the view (one that asks nothing itself, such as the form, included), and
// the banner goes when it answers. A view that polls asks its own requests again then.
const RETRY = 3000;
// A liveness check that takes longer than ALIVE ms counts as no answer (a hung server keeps
// the connection open and says nothing); a request unanswered after SLOW ms starts one.
const ALIVE = 5000, SLOW = 8000;
let retrying = null, probing = false;

/// Whether the server answers /healthz within ALIVE ms.
async function alive() {
  try {
    await fetch("/healthz", { cache: "no-store", signal: AbortSignal.timeout(ALIVE) });
    return true;
  } catch (_) {
    return false;
  }
}

/// A slow request's check: the banner if the server does not answer its liveness either.
async function probe() {
  if (probing || retrying) return;
  probing = true;
  const answered = await alive();
  probing = false;
  if (!answered) outage(true);
}

function outage(down) {
  $("#outage").hidden = !down;
  if (!down) { clearTimeout(retrying); retrying = null; return; }
  if (retrying) return;
  const retry = async () => {
    if (await alive()) outage(false); else retrying = setTimeout(retry, RETRY);
  };
  retrying = setTimeout(retry, RETRY);
}

// Whether the notice shown is to outlive the next navigation: said as its view is left
// ("Deleted."), it is read in the view that follows.
let keptNotice = false;

/// Says `text` in the page's notice line; `{ keep: true }` keeps it through one navigation.
export function notice(text, { keep = false } = {}) {
  $("#notice").textContent = text || "";
  keptNotice = keep;
}

/// A navigation clears the notice, but for one kept for it.
export function clearNotice() {
  if (keptNotice) keptNotice = false; else notice("");
}

export function errorText(result) {
  if (result.status === 401) return "This server needs an API token: enter it at the top right.";
  return (result.json && result.json.error && result.json.error.message) || ("The server answered " + result.status);
}
