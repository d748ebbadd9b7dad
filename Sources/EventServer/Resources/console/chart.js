// Line charts drawn as inline SVG: no chart library, nothing fetched.

import { h } from "./dom.js";

function niceTicks(low, high, wanted = 5, smallest = 0) {
  if (low === high) return [low];
  const step0 = Math.max((high - low) / wanted, smallest);
  const magnitude = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= step0) || step0;
  const ticks = [];
  for (let tick = Math.ceil(low / step) * step; tick <= high + step * 1e-9; tick += step) ticks.push(Number(tick.toPrecision(12)));
  return ticks;
}

const timeSteps = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440].map((minutes) => minutes * 60_000);

/** Ticks for a time axis (ms): on whole minutes, hours or days, about `wanted` of them. */
export function timeTicks(low, high, wanted = 6) {
  const step = timeSteps.find((one) => (high - low) / one <= wanted) || timeSteps[timeSteps.length - 1];
  const offset = new Date(low).getTimezoneOffset() * 60_000;
  const ticks = [];
  for (let tick = Math.ceil((low - offset) / step) * step + offset; tick <= high; tick += step) ticks.push(tick);
  return ticks;
}

/**
 * A line chart: `series` is [{name, points: [[x, y], ...]}] (up to four, each its own colour),
 * `label` says what it shows (the SVG's accessible name), `xFormat`/`yFormat` format the ticks,
 * `xStep` is the smallest step between x ticks (1 for seqs), `xTicks(low, high)` places them
 * instead (`timeTicks` for times).
 */
export function lineChart({ series, label, xFormat = String, yFormat = String, xStep = 0, xTicks = null, width = 760, height = 260 }) {
  const margin = { left: 56, right: 16, top: 12, bottom: 28 };
  const points = series.flatMap((one) => one.points);
  const figure = h("figure", { class: "chart-figure" });
  if (!points.length) {
    figure.append(h("p", { class: "muted" }, "Nothing to draw yet."));
    return figure;
  }
  let [xLow, xHigh] = [Math.min(...points.map((p) => p[0])), Math.max(...points.map((p) => p[0]))];
  let [yLow, yHigh] = [Math.min(...points.map((p) => p[1])), Math.max(...points.map((p) => p[1]))];
  if (xLow === xHigh) { xLow -= 1; xHigh += 1; }
  if (yLow === yHigh) { yLow -= 1; yHigh += 1; }
  const pad = (yHigh - yLow) * 0.08;
  yLow -= pad; yHigh += pad;
  const x = (value) => margin.left + ((value - xLow) / (xHigh - xLow)) * (width - margin.left - margin.right);
  const y = (value) => height - margin.bottom - ((value - yLow) / (yHigh - yLow)) * (height - margin.top - margin.bottom);
  const svg = h("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label },
    h("title", {}, label));
  for (const tick of niceTicks(yLow, yHigh)) {
    svg.append(h("line", { class: "grid-line", x1: margin.left, x2: width - margin.right, y1: y(tick), y2: y(tick) }));
    svg.append(h("text", { x: margin.left - 6, y: y(tick) + 4, "text-anchor": "end" }, yFormat(tick)));
  }
  for (const tick of xTicks ? xTicks(xLow, xHigh) : niceTicks(xLow, xHigh, 6, xStep)) {
    svg.append(h("text", { x: x(tick), y: height - 8, "text-anchor": "middle" }, xFormat(tick)));
  }
  svg.append(h("line", { class: "axis", x1: margin.left, x2: margin.left, y1: margin.top, y2: height - margin.bottom }));
  svg.append(h("line", { class: "axis", x1: margin.left, x2: width - margin.right, y1: height - margin.bottom, y2: height - margin.bottom }));
  series.forEach((one, index) => {
    const sorted = [...one.points].sort((a, b) => a[0] - b[0]);
    svg.append(h("polyline", { class: `s${index + 1}`, points: sorted.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(" ") },
      h("title", {}, one.name)));
  });
  figure.append(svg, h("figcaption", { class: "legend" }, series.map((one, index) => h("span", { class: `s${index + 1}` }, one.name))));
  return figure;
}

/** A time axis's tick: hours and minutes (with the day when the span is over a day). */
export function timeTick(span) {
  return (milliseconds) => {
    const date = new Date(milliseconds);
    const time = date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", hour12: false });
    return span > 86_400_000 ? `${date.getMonth() + 1}/${date.getDate()} ${time}` : time;
  };
}
