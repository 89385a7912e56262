// The run map's data from the server's answers, as typed arrays: made in map-worker.js, off
// the page's thread (parsing 100,000 runs' map and parameters held the page over a second at
// once), or here on the page's when no worker can start. No DOM: it runs in both.

import { groundTruth } from "./model.js";

/// The map (`map`, the bytes of GET …/map) with every run's effective value of each of
/// `names` (`csv`, the bytes of runs.csv with those fields): `run_ids` (one string, the ids
/// joined by "\n"), `x`, `y` (Float64Array, the answer's numbers), `explained`, `choices` (the
/// label, then each parameter with more than one value on the map: what the map may be
/// coloured by), and `columns`: for each choice, `{ numeric: true, values: Float64Array (NaN
/// for none), low, high }` or `{ numeric: false, codes: Int32Array (-1 for none), levels }`.
/// `moved`: the buffers a worker transfers rather than copies.
export function mapData(map, csv, names) {
  const answer = JSON.parse(new TextDecoder().decode(map));
  const count = answer.run_id.length;
  const x = Float64Array.from(answer.x), y = Float64Array.from(answer.y);
  const position = new Map();
  for (let i = 0; i < count; i++) position.set(answer.run_id[i], i);

  // runs.csv: run_id, mode, status, then the fields asked, in its header's order. Numbers
  // go straight into typed arrays (NaN for none); the few text parameters keep their text.
  const text = new TextDecoder().decode(csv);
  let end = text.indexOf("\n");
  const head = text.slice(0, end < 0 ? text.length : end).split(",");
  const slots = head.map((name, i) => (i >= 3 && names.includes(name) ? name : null));
  const cells = {};
  for (const name of names) cells[name] = TEXT.includes(name) ? new Array(count).fill(null) : new Float64Array(count).fill(NaN);
  const columnOf = slots.map((name) => (name ? cells[name] : null));
  const textual = slots.map((name) => TEXT.includes(name));
  const modes = new Array(count).fill(null);
  for (let start = end + 1; end >= 0 && start < text.length; start = end + 1) {
    end = text.indexOf("\n", start);
    const line = text.slice(start, end < 0 ? text.length : end);
    if (!line) continue;
    const row = line.split(",");
    const at = position.get(row[0]);
    if (at === undefined) continue;
    modes[at] = row[1];
    for (let i = 3; i < row.length; i++) {
      const column = columnOf[i];
      if (!column || row[i] === "") continue;
      column[at] = textual[i] ? row[i] : Number(row[i]);
    }
  }
  // Each run's parameters as far as the dataset's ground truth needs them (a run without a
  // crystal count has the default, some): a parameter that did not act in a run has no value
  // there (grey on the map), as the run's posterior and docs/inference.md say.
  const strength = cells.field_strength, crystals = cells.crystal_count;
  const acting = Array.from({ length: count }, (_, i) => ({ mode: modes[i], field_strength: strength ? strength[i] : 0,
    crystal_count: crystals && !Number.isNaN(crystals[i]) ? crystals[i] : 1 }));

  const columns = { label: categorical(modes) };
  const choices = ["label"];
  for (const name of names) {
    let values = cells[name];
    for (let i = 0; i < count; i++) if (groundTruth(name, acting[i]).inert) values[i] = TEXT.includes(name) ? null : NaN;
    const column = TEXT.includes(name) ? categorical(values) : numbers(values);
    // More than one value among the runs, a run without one counting as a value of its own.
    if (column.distinct > 1) { columns[name] = column; choices.push(name); }
  }
  const moved = [x.buffer, y.buffer];
  for (const column of Object.values(columns)) moved.push((column.values || column.codes).buffer);
  return { run_ids: answer.run_id.join("\n"), x, y, explained: answer.explained, choices, columns, moved };
}

/// The parameters whose values are text; the others are numbers.
const TEXT = ["rule", "boundary", "similarity"];

function numbers(values) {
  let low = Infinity, high = -Infinity, none = 0, first = NaN, second = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) { none = 1; continue; }
    if (v < low) low = v;
    if (v > high) high = v;
    if (Number.isNaN(first)) first = v; else if (v !== first) second = true;
  }
  return { numeric: true, values, low, high, distinct: (Number.isNaN(first) ? 0 : second ? 2 : 1) + none };
}

function categorical(cells) {
  const codes = new Int32Array(cells.length), levels = [], index = new Map();
  let none = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (cell === null || cell === "") { codes[i] = -1; none = 1; continue; }
    let code = index.get(cell);
    if (code === undefined) { code = levels.length; index.set(cell, code); levels.push(cell); }
    codes[i] = code;
  }
  return { numeric: false, codes, levels, distinct: levels.length + none };
}
