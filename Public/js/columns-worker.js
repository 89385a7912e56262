// Parses answers of GET …/columns off the page's thread. A million runs' columns are about
// 14 MB of JSON: parsed by the page, they held it for a few hundred milliseconds at once.
// Each column comes back as a Float64Array (NaN where the answer has null), moved, not copied.
self.onmessage = ({ data: { id, buffer } }) => {
  try {
    const answer = JSON.parse(new TextDecoder().decode(buffer));
    const moved = [];
    for (const [key, values] of Object.entries(answer.columns || {})) {
      const column = new Float64Array(values.length);
      for (let i = 0; i < values.length; i++) column[i] = values[i] == null ? NaN : values[i];
      answer.columns[key] = column;
      moved.push(column.buffer);
    }
    self.postMessage({ id, answer }, moved);
  } catch (error) {
    self.postMessage({ id, error: String(error) });
  }
};
