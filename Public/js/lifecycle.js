// Views: each navigation mounts one; whatever it started — requests, timers, frames,
// listeners — and the state it kept end with it, when the next one is mounted.

/// One mounted view: what it started, and its state (`state`, set by the view that needs
/// one: the sweep view's is made by sweep-state.js). Nothing outlives `end()`.
class View {
  constructor(number) {
    this.number = number;
    this.controller = new AbortController();
    this.state = null;
    this.timers = new Set();
    this.frames = new Set();
    this.leaving = [];
    // The poll step to run when the tab shows again.
    this.resume = null;
    // Called when one of the view's requests is answered 404: what it shows may be gone.
    this.onMissing = null;
  }

  /// Aborted when the view ends: its requests and listeners go with it.
  get signal() { return this.controller.signal; }

  /// addEventListener, removed when the view ends.
  listen(target, type, handler, options = {}) {
    target.addEventListener(type, handler, Object.assign({}, options, { signal: this.signal }));
  }

  /// setTimeout, cleared when the view ends.
  later(run, milliseconds) {
    const timer = setTimeout(() => { this.timers.delete(timer); run(); }, milliseconds);
    this.timers.add(timer);
    return timer;
  }

  cancel(timer) {
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  /// A promise resolved after `milliseconds`, or never when the view ends first (what
  /// awaited it is dropped with the view).
  sleep(milliseconds) { return new Promise((resolve) => this.later(resolve, milliseconds)); }

  /// requestAnimationFrame, cancelled when the view ends.
  frame(run) {
    const frame = requestAnimationFrame(() => { this.frames.delete(frame); run(); });
    this.frames.add(frame);
    return frame;
  }

  /// Something else to stop when the view ends (a replay's interval).
  onLeave(stop) { this.leaving.push(stop); }

  end() {
    this.controller.abort();
    for (const timer of this.timers) clearTimeout(timer);
    for (const frame of this.frames) cancelAnimationFrame(frame);
    this.timers.clear();
    this.frames.clear();
    this.resume = null;
    this.onMissing = null;
    for (const stop of this.leaving.splice(0)) stop();
    this.state = null;
  }
}

/// The view mounted now: the router's one piece of state, replaced at each navigation.
export let view = null;

/// Ends the mounted view and mounts a new one; returns its number.
export function startView() {
  const number = view ? view.number + 1 : 1;
  if (view) view.end();
  view = new View(number);
  return number;
}

export const current = (number) => view !== null && number === view.number;

/// Calls `step` until it returns null, waiting the milliseconds it returns in between; one
/// request at a time, nothing while the tab is hidden, and at once when it shows again.
/// Returns a function that runs the next step now, when one is waiting.
export function poll(number, step) {
  const mounted = view;
  let timer = null;
  const run = async () => {
    timer = null;
    if (!current(number)) return;
    if (document.hidden) { mounted.resume = run; return; }
    const delay = await step();
    if (current(number) && delay != null) timer = mounted.later(run, delay);
  };
  run();
  return () => {
    if (timer === null || !current(number)) return;
    mounted.cancel(timer);
    run();
  };
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden || !view || !view.resume) return;
  const resume = view.resume;
  view.resume = null;
  resume();
});
