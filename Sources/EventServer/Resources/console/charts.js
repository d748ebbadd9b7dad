// Charts where they beat numbers: a building's sensors (min, average and max per minute or
// hour, from the `aggregates` view's own read) and an inventory's stock over its seqs (the
// `stock` view read as of evenly spaced seqs).

import { api } from "./api.js";
import { lineChart, timeTick, timeTicks } from "./chart.js";
import { count, field, fill, h, problemBox } from "./dom.js";

/** The chart card for `object`'s type, or null when the type has none. */
export function objectCharts(object) {
  const views = object.described.views.map((view) => view.name);
  if (object.type === "building" && views.includes("aggregates")) return sensorChart(object);
  if (object.type === "inventory" && views.includes("stock")) return stockChart(object);
  return null;
}

function card(title) {
  return h("section", { class: "card", id: "chart-card", "aria-labelledby": "chart-title" }, h("h2", { id: "chart-title" }, title));
}

function sensorChart(object) {
  const section = card("Sensors");
  const sensor = h("select", { id: "sensor" });
  const resolution = h("select", { id: "resolution" }, h("option", { value: "minute" }, "per minute"), h("option", { value: "hour" }, "per hour"));
  const holder = h("div", { id: "chart" });
  const draw = async () => {
    if (!sensor.value) return;
    try {
      const { json } = await api(`${object.base}/views/aggregates${object.on({ sensor: sensor.value, resolution: resolution.value, limit: 1000 })}`);
      const buckets = json.buckets || [];
      const span = buckets.length ? buckets[buckets.length - 1].start - buckets[0].start : 0;
      fill(holder, lineChart({
        label: `${sensor.value} (${json.sensorType}, ${json.unit}): min, average and max ${resolution.value === "hour" ? "per hour" : "per minute"}`,
        series: ["min", "avg", "max"].map((name) => ({ name: `${name} ${json.unit}`, points: buckets.map((bucket) => [bucket.start, bucket[name]]) })),
        xFormat: timeTick(span), xTicks: timeTicks, yFormat: (value) => count(Number(value.toPrecision(4))),
      }), h("p", { class: "muted" }, `${count(buckets.length)} buckets`));
    } catch (error) {
      fill(holder, problemBox(error));
    }
  };
  sensor.addEventListener("change", draw);
  resolution.addEventListener("change", draw);
  section.append(h("div", { class: "row" }, field("Sensor", sensor), field("Resolution", resolution)), holder);
  (async () => {
    try {
      const { json } = await api(`${object.base}/views/aggregates${object.on({ limit: 1000 })}`);
      const sensors = json.rows.map((row) => row.key).filter((key) => !key.includes("/"));
      fill(sensor, sensors.map((name) => h("option", { value: name }, name)));
      if (!sensors.length) fill(holder, h("p", { class: "muted" }, "No readings yet."));
      else draw();
    } catch (error) {
      fill(holder, problemBox(error));
    }
  })();
  return section;
}

function stockChart(object) {
  const section = card("Stock over time");
  const holder = h("div", { id: "chart" });
  const draw = async () => {
    const head = object.head;
    if (!head) { fill(holder, h("p", { class: "muted" }, "No events yet.")); return; }
    const points = Math.min(head, 40);
    const seqs = [...new Set(Array.from({ length: points }, (_, index) => Math.round(1 + (index * (head - 1)) / Math.max(1, points - 1))))];
    try {
      const states = [];
      for (let index = 0; index < seqs.length; index += 6) {
        states.push(...await Promise.all(seqs.slice(index, index + 6).map((seq) => api(`${object.base}/views/stock${object.on({ at: seq })}`).then((answer) => [seq, answer.json.state]))));
      }
      fill(holder, lineChart({
        label: `Stock of ${object.id} over seqs 1 to ${head}: available, reserved and sold units`,
        series: ["available", "reserved", "sold"].map((name) => ({ name, points: states.map(([seq, state]) => [seq, state[name] ?? 0]) })),
        xFormat: (seq) => `seq ${count(Math.round(seq))}`, xStep: 1, yFormat: (value) => count(value),
      }));
    } catch (error) {
      fill(holder, problemBox(error));
    }
  };
  section.append(h("div", { class: "row" }, h("button", { type: "button", class: "secondary", onclick: draw }, "Draw again at the head")), holder);
  draw();
  return section;
}
