// The replay of a run's grid.
import { $ } from "./dom.js";
import { current, view } from "./lifecycle.js";
import { sweepView } from "./sweep-state.js";

// Frames are computed again by the server on demand (GET …/frames, docs/datasets.md):
// asked for in windows that stay under its max_frame_cells, drawn one pixel a cell. The
// replay's state is the sweep view's (`sweepView().replay`); its interval stops with the view.
const replayColours = {
  dead: [244, 245, 248], alive: [29, 35, 48], taken: [46, 139, 87], overridden: [228, 87, 46], matched: [240, 190, 20],
};

/// Cells whose k×k window (docs/model.md section 4) is similar to `form` above the run's θ:
/// where the crystal could act on the frame shown.
function matchedCells(replay, frame, form) {
  const n = replay.n, config = replay.config, k = config.form_size, r = (k - 1) / 2;
  const torus = config.boundary === "torus", jaccard = config.similarity === "jaccard";
  const alive = (x, y) => {
    if (torus) { x = (x + n) % n; y = (y + n) % n; } else if (x < 0 || y < 0 || x >= n || y >= n) return 0;
    const cell = y * n + x;
    return frame.state[cell >> 3] & (0x80 >> (cell & 7)) ? 1 : 0;
  };
  const matched = new Uint8Array(n * n);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      let same = 0, both = 0, either = 0, live = 0;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const w = alive(x + dx, y + dy), f = form[(dy + r) * k + dx + r];
          live += w; same += w === f ? 1 : 0; both += w & f; either += w | f;
        }
      }
      if (!live) continue;
      const similarity = jaccard ? both / either : same / (k * k);
      if (similarity > config.similarity_threshold) matched[y * n + x] = 1;
    }
  }
  return matched;
}

function parseFrames(buffer) {
  const data = new DataView(buffer);
  const magic = String.fromCharCode(...new Uint8Array(buffer, 0, 4));
  if (magic !== "MLFR" || data.getUint8(4) !== 1) throw new Error("not a frames answer");
  const n = data.getUint32(8, true), count = data.getUint32(12, true), bitmap = Math.ceil(n * n / 8);
  const frames = [];
  for (let i = 0, offset = 16; i < count; i++, offset += 4 + 3 * bitmap) {
    frames.push({
      generation: data.getUint32(offset, true),
      state: new Uint8Array(buffer, offset + 4, bitmap),
      taken: new Uint8Array(buffer, offset + 4 + bitmap, bitmap),
      overridden: new Uint8Array(buffer, offset + 4 + 2 * bitmap, bitmap),
    });
  }
  return { n, frames };
}

/// Stops the replay shown and takes it away while another run's frames are asked for, so that
/// the controls never act on the run before.
export function clearReplay() {
  const { replay } = sweepView();
  stopReplay();
  Object.assign(replay, { key: null, frames: [], index: 0 });
  for (const control of ["#replay-play", "#replay-step", "#replay-scrub"]) $(control).disabled = true;
  delete $("#replay").dataset.frames;
  delete $("#replay").dataset.generation;
}

export async function loadReplay(runID, generations, n, number) {
  const state = sweepView(), { replay } = state;
  stopReplay();
  const key = `${state.sweepID}/${runID}`;
  Object.assign(replay, { key, frames: [], n, index: 0, generations });
  const canvas = $("#replay-canvas");
  canvas.width = n;
  canvas.height = n;
  for (const control of ["#replay-play", "#replay-step", "#replay-scrub"]) $(control).disabled = true;
  $("#replay-generation").textContent = "computing frames…";
  const perRequest = Math.max(1, Math.min(500, Math.floor((1 << 26) / (n * n))));
  for (let from = 0; from <= generations; from += perRequest) {
    const to = Math.min(generations, from + perRequest - 1);
    let response;
    try {
      response = await fetch(`/api/sweeps/${state.sweepID}/runs/${encodeURIComponent(runID)}/frames?from=${from}&to=${to}&every=1`, { signal: view.signal });
    } catch (error) {
      if (current(number) && replay.key === key) $("#replay-generation").textContent = "frames unavailable: the server cannot be reached";
      return;
    }
    if (!current(number) || replay.key !== key) return;
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      $("#replay-generation").textContent = "frames unavailable: " + (body && body.error ? body.error.message : response.status);
      return;
    }
    replay.frames.push(...parseFrames(await response.arrayBuffer()).frames);
    if (!current(number) || replay.key !== key) return;
    const scrub = $("#replay-scrub");
    scrub.max = String(replay.frames.length - 1);
    for (const control of ["#replay-play", "#replay-step", "#replay-scrub"]) $(control).disabled = false;
    if (from === 0) drawFrame(0);
  }
  $("#replay").dataset.frames = String(replay.frames.length);
}

export function drawFrame(index) {
  const state = sweepView();
  if (!state) return;
  const { replay } = state;
  const frame = replay.frames[index];
  if (!frame) return;
  replay.index = index;
  const n = replay.n, canvas = $("#replay-canvas"), context = canvas.getContext("2d");
  const image = context.createImageData(n, n);
  // One 32-bit write a pixel (RGBA bytes, little-endian words).
  const pixels = new Uint32Array(image.data.buffer);
  const word = ([r, g, b]) => (255 << 24 | b << 16 | g << 8 | r) >>> 0;
  const colours = { dead: word(replayColours.dead), alive: word(replayColours.alive), taken: word(replayColours.taken),
    overridden: word(replayColours.overridden), matched: word(replayColours.matched) };
  const matched = replay.highlight ? matchedCells(replay, frame, replay.highlight) : null;
  for (let cell = 0; cell < n * n; cell++) {
    const byte = cell >> 3, bit = 0x80 >> (cell & 7);
    pixels[cell] = matched && matched[cell] ? colours.matched
      : frame.overridden[byte] & bit ? colours.overridden
      : frame.taken[byte] & bit ? colours.taken
      : frame.state[byte] & bit ? colours.alive : colours.dead;
  }
  context.putImageData(image, 0, 0);
  $("#replay-scrub").value = String(index);
  // Of the run's last generation; while frames still arrive, how far they have come too.
  const loaded = replay.frames[replay.frames.length - 1].generation;
  $("#replay-generation").textContent = `generation ${frame.generation} of ${replay.generations}`
    + (loaded < replay.generations ? ` (frames to ${loaded} so far)` : "");
  $("#replay").dataset.generation = String(frame.generation);
  $("#replay").dataset.matched = matched ? String(matched.reduce((a, b) => a + b, 0)) : "";
  // The run's charts mark the same generation (none for the initial state, frame 0).
  for (const chart of document.querySelectorAll("#run-charts figure.chart")) if (chart.mark) chart.mark(frame.generation);
}

export function stopReplay() {
  const state = sweepView();
  if (state && state.replay.timer) clearInterval(state.replay.timer);
  if (state) state.replay.timer = null;
  $("#replay-play").textContent = "Play";
  $("#replay").dataset.playing = "false";
}

function playReplay() {
  const { replay } = sweepView();
  if (replay.index >= replay.frames.length - 1) drawFrame(0);
  const rate = Number($("#replay-speed").value);
  replay.timer = setInterval(() => {
    if (replay.index >= replay.frames.length - 1) { stopReplay(); return; }
    drawFrame(replay.index + 1);
  }, 1000 / rate);
  $("#replay-play").textContent = "Pause";
  $("#replay").dataset.playing = "true";
}

/// The replay's controls, for as long as the sweep view is mounted; its interval stops when
/// the view ends.
export function mountReplay() {
  const { replay } = sweepView();
  view.onLeave(stopReplay);
  view.listen($("#replay-play"), "click", () => { if (replay.timer) stopReplay(); else playReplay(); });
  view.listen($("#replay-step"), "click", () => { stopReplay(); drawFrame(Math.min(replay.frames.length - 1, replay.index + 1)); });
  view.listen($("#replay-scrub"), "input", () => { stopReplay(); drawFrame(Number($("#replay-scrub").value)); });
  view.listen($("#replay-speed"), "change", () => { if (replay.timer) { stopReplay(); playReplay(); } });
}
