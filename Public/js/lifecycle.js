// Views: each navigation starts one; whatever an older view started stops with it.

export const view = { number: 0, timer: null, controller: null, resume: null, leaving: [] };

/// Starts a new view: the old one's timer, requests and whatever it asked to be stopped
/// (`onLeave`) end here.
export function startView() {
  view.number += 1;
  clearTimeout(view.timer);
  view.timer = null;
  view.resume = null;
  if (view.controller) view.controller.abort();
  view.controller = new AbortController();
  for (const stop of view.leaving.splice(0)) stop();
  return view.number;
}

/// Something the current view started that the next one must stop (a replay's timer).
export function onLeave(stop) { view.leaving.push(stop); }

export const current = (number) => number === view.number;

/// Calls `step` until it returns null, waiting the milliseconds it returns in between; one
/// request at a time, nothing while the tab is hidden, and at once when it shows again.
export function poll(number, step) {
  const run = async () => {
    if (!current(number)) return;
    if (document.hidden) { view.resume = run; return; }
    const delay = await step();
    if (current(number) && delay != null) view.timer = setTimeout(run, delay);
  };
  run();
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden || !view.resume) return;
  const resume = view.resume;
  view.resume = null;
  resume();
});
