// Line charts as SVG, and saving any chart as SVG or PNG.
import { $, COLORS, format, svgElement, ticks } from "./dom.js";
import { sweepView } from "./sweep-state.js";

/// A line chart as SVG: `lines` is [{name, points: [[x, y], ...]}].
export function lineChart(title, lines, xLabel, options = {}) {
  const figure = document.createElement("figure");
  figure.className = "chart";
  const caption = document.createElement("figcaption");
  caption.textContent = title;
  const width = 480, height = 220, right = 12, top = 10, bottom = 34;
  const all = lines.flatMap((line) => line.points);
  const xs = all.map((p) => p[0]), ys = all.flatMap((p) => p.slice(1)).filter((y) => y != null);
  if (options.band) ys.push(options.band.low, options.band.high);
  for (const line of lines) for (const box of line.boxes || []) ys.push(box[1], box[5]);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  // The data's own range, not forced to zero, with a little room.
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const pad = (y1 - y0) * 0.05;
  if (isFinite(pad) && pad > 0) { y0 -= pad; y1 += pad; }
  if (!isFinite(x0)) { x0 = 0; x1 = 1; }
  if (x0 === x1) { x1 = x0 + 1; }
  if (!isFinite(y0) || !isFinite(y1)) { y0 = 0; y1 = 1; }
  if (y1 === y0) { y1 = y0 + 1; }
  // Room at the left for the longest tick label (about 7 units a character at 11 px) and,
  // beside it, the rotated axis label, which overlapped labels such as "0.0175".
  const longest = Math.max(0, ...ticks(y0, y1).map((value) => format(value).length));
  const left = Math.max(52, 10 + longest * 7 + (options.yLabel ? 18 : 0));
  const sx = (x) => left + ((x - x0) / (x1 - x0)) * (width - left - right);
  const sy = (y) => top + (1 - (y - y0) / (y1 - y0)) * (height - top - bottom);
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
  svg.append(svgElement("line", { x1: left, y1: sy(y0), x2: width - right, y2: sy(y0), stroke: "currentColor", "stroke-opacity": 0.6 }));
  svg.append(svgElement("line", { x1: left, y1: top, x2: left, y2: height - bottom, stroke: "currentColor", "stroke-opacity": 0.6 }));
  if (options.band) {
    const top = sy(options.band.high), bottom = sy(options.band.low);
    const rect = svgElement("rect", { x: left, y: top, width: width - left - right, height: Math.max(1, bottom - top), fill: "#9aa3b5", "fill-opacity": 0.25, class: "band" });
    const title = svgElement("title", {});
    title.textContent = options.band.label;
    rect.append(title);
    svg.append(rect);
  }
  for (const value of ticks(y0, y1)) {
    const y = sy(value);
    svg.append(svgElement("line", { x1: left - 4, y1: y, x2: left, y2: y, stroke: "currentColor", "stroke-opacity": 0.6 }));
    const label = svgElement("text", { x: left - 6, y: y + 4, "text-anchor": "end", "font-size": 11 });
    label.textContent = format(value);
    svg.append(label);
  }
  for (const value of ticks(x0, x1)) {
    const x = sx(value);
    svg.append(svgElement("line", { x1: x, y1: height - bottom, x2: x, y2: height - bottom + 4, stroke: "currentColor", "stroke-opacity": 0.6 }));
    const label = svgElement("text", { x, y: height - bottom + 14, "text-anchor": "middle", "font-size": 11 });
    label.textContent = format(value);
    svg.append(label);
  }
  const axis = svgElement("text", { x: (left + width) / 2, y: height - 4, "text-anchor": "middle", "font-size": 11 });
  axis.textContent = xLabel;
  svg.append(axis);
  if (options.yLabel) {
    const yAxis = svgElement("text", { x: 12, y: (top + height - bottom) / 2, "text-anchor": "middle", "font-size": 11,
      transform: `rotate(-90 12 ${(top + height - bottom) / 2})` });
    yAxis.textContent = options.yLabel;
    svg.append(yAxis);
  }
  // Each point's runs as a box beside its mean: the middle half, the median and whiskers to
  // the least and greatest run (the aggregate's quantiles), when few enough to be seen.
  const boxCount = lines.reduce((sum, line) => sum + (line.boxes || []).length, 0);
  if (boxCount <= 160) lines.forEach((line, index) => {
    const shift = (index - (lines.length - 1) / 2) * 4;
    for (const box of line.boxes || []) {
      const [bx, q0, q1, q2, q3, q4] = box;
      if ([q0, q1, q2, q3, q4].some((q) => q == null)) continue;
      const cx = sx(bx) + shift, w = 3;
      // One path a box (outline, median, whiskers): a 100,000-run sweep's page stays small.
      const d = `M${cx - w},${sy(q3)}H${cx + w}V${sy(q1)}H${cx - w}Z M${cx - w},${sy(q2)}H${cx + w}`
        + ` M${cx},${sy(q3)}V${sy(q4)} M${cx},${sy(q1)}V${sy(q0)}`;
      svg.append(svgElement("path", { d, fill: COLORS[index % COLORS.length], "fill-opacity": 0.15,
        stroke: COLORS[index % COLORS.length], "stroke-opacity": 0.7, "stroke-width": 1, class: "box",
        "data-x": bx, "data-quantiles": [q0, q1, q2, q3, q4].join(" ") }));
    }
  });
  const targets = [];
  lines.forEach((line, index) => {
    const points = line.points.filter((p) => p[1] != null);
    const color = COLORS[index % COLORS.length];
    const path = svgElement("polyline", {
      points: points.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(" "),
      fill: "none", stroke: color, "stroke-width": 1.5, "data-points": points.length, class: "series",
    });
    svg.append(path);
    if (options.markers) for (const p of points) svg.append(svgElement("circle", { cx: sx(p[0]), cy: sy(p[1]), r: 3, fill: color }));
    for (const p of points) {
      if (p[2] == null) continue;
      svg.append(svgElement("line", { x1: sx(p[0]), y1: sy(p[2]), x2: sx(p[0]), y2: sy(p[3]), stroke: color, "stroke-width": 1, class: "interval" }));
    }
    if (options.tooltip) {
      line.points.forEach((p, at) => { if (p[1] != null) targets.push({ px: sx(p[0]), py: sy(p[1]), line: index, at }); });
    }
  });
  if (options.cursor) {
    // A vertical mark at one x (a run's charts: the generation the replay shows), kept out
    // of sight until asked for and outside the drawn range.
    const mark = svgElement("line", { class: "now", y1: top, y2: height - bottom, stroke: "currentColor", "stroke-width": 1,
      "stroke-dasharray": "3 2", visibility: "hidden" });
    svg.append(mark);
    figure.mark = (x) => {
      const shown = x != null && x >= x0 && x <= x1;
      mark.setAttribute("visibility", shown ? "visible" : "hidden");
      if (!shown) { delete mark.dataset.x; return; }
      mark.setAttribute("x1", sx(x));
      mark.setAttribute("x2", sx(x));
      mark.dataset.x = String(x);
    };
  }
  if (options.tooltip) readout(figure, svg, width, height, targets,
    (target) => options.tooltip(lines[target.line], target.at), options.open);
  figure.append(caption, svg);
  const exports = document.createElement("div");
  exports.className = "export";
  for (const kind of ["svg", "png"]) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.textContent = kind.toUpperCase();
    button.setAttribute("aria-label", `Save “${title}” as ${kind.toUpperCase()}`);
    button.addEventListener("click", () => exportChart(kind, figure, title.replace(/[^A-Za-z0-9]+/g, "-").toLowerCase()));
    exports.append(button);
  }
  figure.append(exports);
  if (lines.length > 1 || options.legend) {
    const legend = document.createElement("div");
    legend.className = "legend";
    lines.forEach((line, index) => {
      const span = document.createElement("span");
      span.style.setProperty("--c", COLORS[index % COLORS.length]);
      span.textContent = line.name;
      legend.append(span);
    });
    if (options.band) {
      const span = document.createElement("span");
      span.style.setProperty("--c", "#c9ceda");
      span.textContent = options.band.label;
      legend.append(span);
    }
    figure.append(legend);
  }
  return figure;
}

/// Lines of at most `columns` characters, broken between words.
function wrap(text, columns) {
  const lines = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const last = lines.length ? lines[lines.length - 1] : null;
    if (last != null && last.length + 1 + word.length <= columns) lines[lines.length - 1] = last + " " + word;
    else lines.push(word);
  }
  return lines;
}

/// Saves a chart as a file that stands on its own: its title above the drawing (with its axis
/// labels), its legend below, on white; as SVG, or a PNG drawn from it at twice its size.
export function exportChart(kind, figure = $("#sweep-chart"), name = `${sweepView().sweepID}-${$("#chart-y").value}-by-${$("#chart-x").value}`) {
  const svg = figure.querySelector("svg");
  if (!svg) return;
  const [, , width, height] = svg.getAttribute("viewBox").split(" ").map(Number);
  const caption = figure.querySelector("figcaption");
  const title = wrap(caption ? caption.textContent : svg.getAttribute("aria-label") || "", Math.floor(width / 6.6));
  const legend = [...figure.querySelectorAll(".legend span")].map((span) => [span.textContent, span.style.getPropertyValue("--c") || "#000"]);
  const above = title.length ? 8 + 15 * title.length : 0, below = legend.length ? 6 + 16 * legend.length : 0;
  const total = above + height + below;
  const page = svgElement("svg", { xmlns: "http://www.w3.org/2000/svg", width, height: total, viewBox: `0 0 ${width} ${total}`,
    "font-family": "system-ui, sans-serif", fill: "#1d2330", color: "#1d2330" });
  page.append(svgElement("rect", { width, height: total, fill: "#ffffff" }));
  title.forEach((line, index) => {
    const text = svgElement("text", { x: 8, y: 16 + 15 * index, "font-size": 12, "font-weight": 600 });
    text.textContent = line;
    page.append(text);
  });
  const copy = svg.cloneNode(true);
  for (const key of ["role", "aria-label", "aria-hidden", "tabindex", "data-targets"]) copy.removeAttribute(key);
  for (const hidden of copy.querySelectorAll("[visibility='hidden']")) hidden.remove();
  Object.entries({ x: 0, y: above, width, height }).forEach(([key, value]) => copy.setAttribute(key, value));
  page.append(copy);
  legend.forEach(([text, colour], index) => {
    const y = above + height + 6 + 16 * index;
    page.append(svgElement("rect", { x: 8, y: y + 2, width: 10, height: 10, fill: colour }));
    const label = svgElement("text", { x: 24, y: y + 11, "font-size": 11 });
    label.textContent = text;
    page.append(label);
  });
  const text = new XMLSerializer().serializeToString(page);
  const save = (blob, extension) => {
    const link = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: `${name}.${extension}` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  };
  const blob = new Blob([text], { type: "image/svg+xml" });
  if (kind === "svg") { save(blob, "svg"); return; }
  const image = new Image();
  image.onload = () => {
    const canvas = Object.assign(document.createElement("canvas"), { width: 2 * width, height: 2 * total });
    const context = canvas.getContext("2d");
    context.scale(2, 2);
    context.drawImage(image, 0, 0);
    canvas.toBlob((png) => save(png, "png"), "image/png");
  };
  image.src = URL.createObjectURL(blob);
}

/// The value under the pointer, and the same by keyboard: `targets` are a drawing's marks
/// ({px, py} in its viewBox of `width` × `height`), `describe` says one in words, `open`
/// (optional) acts on one when it is clicked or Enter is pressed; the pointer picks the mark
/// nearest it within `reach` units. With focus on the drawing,
/// arrows step through the marks (Left/Right one by one, Up/Down a tenth of them at a time,
/// Home/End). The readout is one line of text under the drawing, announced politely.
export function readout(figure, surface, width, height, targets, describe, open, reach = 12) {
  const tip = document.createElement("p");
  tip.className = "tooltip";
  tip.setAttribute("role", "status");
  tip.hidden = true;
  const ring = svgElement("circle", { r: 6, fill: "none", stroke: "currentColor", "stroke-width": 2, class: "cursor", visibility: "hidden" });
  const overlay = surface.tagName.toLowerCase() === "svg" ? surface : null;
  if (overlay) overlay.append(ring);
  surface.setAttribute("tabindex", "0");
  surface.dataset.targets = String(targets.length);
  let shown = -1;
  const show = (index) => {
    shown = index;
    const target = targets[index];
    if (!target) { tip.hidden = true; ring.setAttribute("visibility", "hidden"); delete figure.dataset.shown; return; }
    tip.textContent = describe(target);
    tip.hidden = false;
    figure.dataset.shown = String(index);
    ring.setAttribute("cx", target.px);
    ring.setAttribute("cy", target.py);
    ring.setAttribute("visibility", "visible");
    // Beside the mark, kept inside the figure.
    const box = surface.getBoundingClientRect(), frame = figure.getBoundingClientRect();
    const x = target.px * box.width / width + box.left - frame.left + 8;
    tip.style.left = `${Math.max(0, Math.min(frame.width - tip.offsetWidth - 4, x))}px`;
    tip.style.top = `${target.py * box.height / height + box.top - frame.top + 12}px`;
  };
  // The mark nearest the pointer within `reach` of the drawing's own units.
  const nearest = (event) => {
    const box = surface.getBoundingClientRect();
    const px = (event.clientX - box.left) * width / box.width, py = (event.clientY - box.top) * height / box.height;
    let best = -1, distance = reach * reach;
    targets.forEach((target, index) => {
      const d = (target.px - px) ** 2 + (target.py - py) ** 2;
      if (d < distance) { distance = d; best = index; }
    });
    return best;
  };
  surface.addEventListener("pointermove", (event) => show(nearest(event)));
  surface.addEventListener("pointerleave", () => { if (document.activeElement !== surface) show(-1); });
  if (open) surface.addEventListener("click", (event) => { const index = nearest(event); if (index >= 0) open(targets[index]); });
  surface.addEventListener("focus", () => show(shown >= 0 ? shown : 0));
  surface.addEventListener("blur", () => show(-1));
  surface.addEventListener("keydown", (event) => {
    const step = Math.max(1, Math.round(targets.length / 10));
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowUp: step, ArrowDown: -step, Home: -Infinity, End: Infinity };
    if (event.key in moves) {
      event.preventDefault();
      show(Math.max(0, Math.min(targets.length - 1, (shown < 0 ? 0 : shown) + moves[event.key])));
    } else if (event.key === "Enter" && open && targets[shown]) {
      event.preventDefault();
      open(targets[shown]);
    } else if (event.key === "Escape") show(-1);
  });
  figure.append(tip);
  return { show };
}
