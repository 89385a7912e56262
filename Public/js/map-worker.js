// Makes the run map's data (map-data.js) off the page's thread: the map's and runs.csv's
// bytes in, typed arrays out, moved, not copied.
import { mapData } from "./map-data.js";

self.onmessage = ({ data: { id, map, csv, names } }) => {
  try {
    const { moved, ...answer } = mapData(map, csv, names);
    self.postMessage({ id, answer }, moved);
  } catch (error) {
    self.postMessage({ id, error: String(error) });
  }
};
