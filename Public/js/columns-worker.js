// Parses answers of GET …/columns off the page's thread. A million runs' columns are about
// 14 MB of JSON: parsed by the page, they held it for a few hundred milliseconds at once.
// Each column comes back as a Float64Array (NaN where the answer has null), moved, not copied,
// with its range (`ranges`: [least, greatest] of its numbers, null when it has none).
self.onmessage = ({ data: { id, buffer } }) => {
  try {
    const answer = JSON.parse(new TextDecoder().decode(buffer));
    const moved = [];
    answer.ranges = {};
    for (const [key, values] of Object.entries(answer.columns || {})) {
      const column = new Float64Array(values.length);
      let low = Infinity, high = -Infinity;
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (v == null) { column[i] = NaN; continue; }
        column[i] = v;
        if (v < low) low = v;
        if (v > high) high = v;
      }
      answer.columns[key] = column;
      answer.ranges[key] = low <= high ? [low, high] : null;
      moved.push(column.buffer);
    }
    self.postMessage({ id, answer }, moved);
  } catch (error) {
    self.postMessage({ id, error: String(error) });
  }
};
