// `#/log`: the live log (Server-Sent Events), and what follows it: consumers with their lag,
// cross-object views, reactions, sinks' parked batches, rebuild jobs with their progress and
// the server's key metrics, read again every few seconds.

import { api, followEvents, query } from "./api.js";
import { count, fill, h, link, objectHash, problemBox, when } from "./dom.js";

const kept = 200;
const refreshMilliseconds = 3000;

export async function logPage({ page, signal }) {
  document.title = "Log and CDC · evlog console";
  const { json: start } = await api("/v1/log?limit=1");
  const after = Math.max(0, start.head - 50);
  const badge = h("span", { class: "badge", id: "log-live", role: "status" }, "connecting");
  const rows = h("tbody", { id: "log-rows" });
  const panels = {
    consumers: h("section", { class: "card", "aria-labelledby": "consumers-title" }),
    views: h("section", { class: "card", "aria-labelledby": "views-title" }),
    reactions: h("section", { class: "card", "aria-labelledby": "reactions-title" }),
    parked: h("section", { class: "card", "aria-labelledby": "parked-title" }),
    jobs: h("section", { class: "card", "aria-labelledby": "jobs-title" }),
    metrics: h("section", { class: "card", "aria-labelledby": "metrics-title" }),
  };
  page.append(
    h("h1", {}, "Log and change-data capture"),
    h("section", { class: "card", "aria-labelledby": "log-title" },
      h("h2", { id: "log-title" }, "The log, live ", badge),
      h("p", { class: "muted" }, `Every committed event, newest first (the last ${kept}), as GET /v1/log/stream sends them.`),
      h("table", { id: "log" },
        h("thead", {}, h("tr", {}, h("th", { class: "num" }, "Position"), h("th", {}, "Object"), h("th", {}, "Branch"), h("th", { class: "num" }, "Seq"), h("th", {}, "Type"), h("th", {}, "Committed"))),
        rows)),
    h("div", { class: "grid" }, Object.values(panels)),
  );
  followEvents(`/v1/log/stream${query({ after })}`, (message) => {
    let event;
    try { event = JSON.parse(message.data); } catch { return; }
    const [type, ...id] = String(event.object || "").split("/");
    rows.prepend(h("tr", { class: "fresh", "data-position": event.position },
      h("td", { class: "num" }, count(event.position)),
      h("td", {}, link(objectHash(type, id.join("/"), { branch: event.branch === "main" ? "" : event.branch }), event.object)),
      h("td", {}, event.branch),
      h("td", { class: "num" }, count(event.seq)),
      h("td", {}, h("code", {}, event.type)),
      h("td", {}, when(event.time))));
    while (rows.children.length > kept) rows.lastElementChild.remove();
  }, (state, error) => {
    badge.className = `badge ${state === "open" ? "live" : "down"}`;
    badge.textContent = state === "open" ? "live" : state === "error" ? "refused" : "reconnecting";
    if (error) rows.parentElement.after(problemBox(error));
  }, signal);
  const refresh = () => Promise.all([
    panel(panels.consumers, "consumers-title", "Consumers and sinks", "/v1/consumers", consumersTable),
    panel(panels.views, "views-title", "Cross-object views", "/v1/views", viewsTable),
    panel(panels.reactions, "reactions-title", "Reactions", "/v1/reactions", reactionsTable),
    panel(panels.parked, "parked-title", "Parked sink batches", "/v1/sinks/parked", parkedTable),
    panel(panels.jobs, "jobs-title", "Rebuild jobs", "/v1/jobs", jobsTable),
    metricsPanel(panels.metrics),
  ]);
  await refresh();
  const timer = setInterval(refresh, refreshMilliseconds);
  signal.addEventListener("abort", () => clearInterval(timer));
}

async function panel(section, titleId, title, path, table) {
  const heading = h("h2", { id: titleId }, title);
  try {
    const { json: answer } = await api(path);
    fill(section, heading, table(answer));
  } catch (error) {
    fill(section, heading, problemBox(error));
  }
}

function simpleTable(id, headers, rows, empty) {
  if (!rows.length) return h("p", { class: "muted" }, empty);
  return h("table", { id }, h("thead", {}, h("tr", {}, headers.map(([text, numeric]) => h("th", { class: numeric ? "num" : null }, text)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map(([value, numeric]) => h("td", { class: numeric ? "num" : null }, value))))));
}

function consumersTable(answer) {
  return simpleTable("consumers", [["Name"], ["Position", true], ["Lag", true], ["Filters"]],
    answer.consumers.map((consumer) => [[consumer.name], [count(consumer.position), true], [count(consumer.lag), true], [h("code", {}, JSON.stringify(consumer.filters ?? {}))]]),
    "No consumers: PUT /v1/consumers/NAME makes one, and each sink of --sinks is one.");
}

function viewsTable(answer) {
  return simpleTable("log-views", [["View"], ["Version", true], ["Position", true], ["Lag", true]],
    answer.views.map((view) => [[view.view], [count(view.version), true], [count(view.position), true], [count(view.lag), true]]), "No cross-object views.");
}

function reactionsTable(answer) {
  return simpleTable("reactions", [["Reaction"], ["Position", true], ["Lag", true], ["Paused"], ["Refused", true]],
    answer.reactions.map((reaction) => [[reaction.name], [count(reaction.position), true], [count(reaction.lag), true], [reaction.paused ? "yes" : "no"], [count(reaction.refusals), true]]), "No reactions.");
}

function parkedTable(answer) {
  return simpleTable("parked", [["Sink"], ["Position", true], ["Events", true], ["Why"]],
    answer.parked.map((batch) => [[batch.sink], [count(batch.position), true], [count(batch.events?.length ?? batch.count), true], [batch.error ?? batch.reason ?? ""]]), "Nothing parked: every sink is keeping up.");
}

function jobsTable(answer) {
  return simpleTable("jobs", [["Job"], ["View"], ["State"], ["Progress"], ["Rate", true], ["Left"]],
    answer.jobs.map((job) => [[String(job.id)], [job.view ?? ""], [job.state], [h("progress", { class: "progress", max: 1, value: job.progress ?? 0, "aria-label": `job ${job.id} progress` }, `${Math.round((job.progress ?? 0) * 100)}%`)],
      [`${count(Math.round(job.eventsPerSecond ?? 0))}/s`, true], [job.secondsLeft != null ? `${Math.round(job.secondsLeft)} s` : "—"]]), "No rebuild jobs.");
}

const keyMetrics = [
  ["evlog_committed_position", "Committed position"],
  ["evlog_appended_events_total", "Events appended"],
  ["evlog_append_requests_total", "Append requests"],
  ["evlog_batches_total", "Commits"],
  ["evlog_queue_depth_requests", "Write queue depth"],
  ["evlog_log_readers_streams", "Log readers"],
];

async function metricsPanel(section) {
  const heading = h("h2", { id: "metrics-title" }, "Server metrics");
  try {
    const { text } = await api("/metrics");
    const values = new Map();
    for (const line of text.split("\n")) {
      if (!line || line.startsWith("#")) continue;
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (match) values.set(match[1], (values.get(match[1]) ?? 0) + Number(match[3]));
    }
    const commits = values.get("evlog_commit_seconds_count");
    const commitMean = commits ? (values.get("evlog_commit_seconds_sum") / commits) * 1000 : null;
    const rows = keyMetrics.filter(([name]) => values.has(name)).map(([name, label]) => [[label], [count(values.get(name)), true]]);
    if (commitMean !== null) rows.push([["Mean commit time"], [`${commitMean.toFixed(2)} ms`, true]]);
    fill(section, heading, simpleTable("metrics", [["Metric"], ["Value", true]], rows, "No metrics yet."), h("p", { class: "muted" }, link("/metrics", "All metrics (Prometheus text)")));
  } catch (error) {
    fill(section, heading, problemBox(error));
  }
}
