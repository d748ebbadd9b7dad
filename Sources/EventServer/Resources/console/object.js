// `#/objects/TYPE/ID?branch=&view=&at=`: one object's life. Its views at the head and at any
// point (a slider over seqs, a time picker), a view's change between two points, its branches
// (graph, diff, merge), its timeline (fork from any event), a command form made from the
// command's schema, charts, and live updates over the WebSocket.

import { ApiError, api, followEvents, objectPath, openSocket, query } from "./api.js";
import { branchGraph } from "./branchgraph.js";
import { objectCharts } from "./charts.js";
import { count, field, fill, h, json, link, objectHash, problemBox, when } from "./dom.js";
import { jsonPatch } from "./patch.js";
import { schemaForm } from "./schemaform.js";

const pageSize = 20;

export async function objectPage({ page, type, id, params, signal, replaceParams }) {
  document.title = `${type}/${id} · evlog console`;
  const object = new ObjectView({ type, id, params, signal, replaceParams });
  await object.load();
  page.append(object.render());
  object.start();
}

class ObjectView {
  constructor({ type, id, params, signal, replaceParams }) {
    this.type = type;
    this.id = id;
    this.signal = signal;
    this.replaceParams = replaceParams;
    this.branch = params.get("branch") || "main";
    this.view = params.get("view") || "";
    this.at = params.has("at") ? Number(params.get("at")) : null;
    this.timelineFrom = null;
    this.viewRequest = 0;
    this.base = objectPath(type, id);
  }

  /** The parameters every object route of this branch takes. */
  on(extra = {}) {
    return query({ branch: this.branch === "main" ? "" : this.branch, ...extra });
  }

  async load() {
    const [described, branches] = await Promise.all([
      api(`/v1/types/${encodeURIComponent(this.type)}`).then((answer) => answer.json, () => null),
      this.loadBranches(),
    ]);
    this.described = described || { views: [], commands: [] };
    this.branches = branches;
    if (this.branches.length && !this.branches.some((one) => one.name === this.branch)) {
      throw new ApiError(404, { title: "No such branch", detail: `${this.type}/${this.id} has no branch ${this.branch}`, type: "/problems/branch-not-found" });
    }
    if (!this.described.views.some((one) => one.name === this.view)) this.view = this.described.views[0]?.name || "";
  }

  async loadBranches() {
    try {
      return (await api(`${this.base}/branches`)).json.branches;
    } catch (error) {
      if (error.status === 404) return [];
      throw error;
    }
  }

  get head() {
    return this.branches.find((one) => one.name === this.branch)?.head ?? 0;
  }

  render() {
    const branchSelect = h("select", { id: "branch", onchange: () => { location.hash = objectHash(this.type, this.id, { branch: branchSelect.value === "main" ? "" : branchSelect.value }); } },
      (this.branches.length ? this.branches : [{ name: "main" }]).map((one) => h("option", { value: one.name, selected: one.name === this.branch }, one.name)));
    this.liveBadge = h("span", { class: "badge", id: "live", role: "status" }, "connecting");
    this.headText = h("strong", { id: "head" }, count(this.head));
    const info = this.branches.find((one) => one.name === this.branch);
    this.views = h("section", { class: "card", id: "views-card", "aria-labelledby": "views-title" });
    this.branchCard = h("section", { class: "card", id: "branches-card", "aria-labelledby": "branches-title" });
    this.timeline = h("section", { class: "card", id: "timeline-card", "aria-labelledby": "timeline-title" });
    const root = h("div", {},
      h("p", {}, link("#/objects", "Object types"), " / ", link(`#/objects/${encodeURIComponent(this.type)}`, this.type), " / ", this.id),
      h("h1", {}, `${this.type}/${this.id} `, this.liveBadge),
      h("div", { class: "row" }, field("Branch", branchSelect),
        h("span", {}, "head seq ", this.headText),
        info && info.parent ? h("span", { class: "muted" }, `forked from ${info.parent} at seq ${info.forkSeq}`) : null,
        info ? h("span", { class: "muted" }, `created ${when(info.created)}`) : null),
      this.head === 0 ? h("p", { class: "muted", id: "no-events" }, "This object has no events yet: a command or an append makes it.") : null,
      h("div", { class: "grid" }, this.views, this.branchCard),
      objectCharts(this),
      this.commandCard(),
      this.timeline,
    );
    this.renderViews();
    this.renderBranches();
    this.renderTimeline();
    return root;
  }

  // Views at the head and at any point.

  renderViews() {
    fill(this.views, h("h2", { id: "views-title" }, "Views"));
    if (!this.described.views.length) {
      this.views.append(h("p", { class: "muted" }, "This object type has no views."));
      return;
    }
    const select = h("select", { id: "view" }, this.described.views.map((one) => h("option", { value: one.name, selected: one.name === this.view }, `${one.name}${one.keyed ? " (keyed)" : ""}`)));
    this.slider = h("input", { id: "at", type: "range", min: 0, max: this.head, step: 1, value: this.at ?? this.head });
    this.sliderOutput = h("output", { id: "at-output", for: "at" }, this.sliderText());
    const asOf = h("input", { id: "as-of", type: "datetime-local", step: 1 });
    this.viewMeta = h("p", { class: "muted", id: "view-meta" });
    this.viewState = h("pre", { class: "json", id: "view-state", "aria-live": "polite" });
    this.viewRows = h("div", { id: "view-rows" });
    select.addEventListener("change", () => { this.view = select.value; this.remember(); this.loadView(); });
    let timer = null;
    this.slider.addEventListener("input", () => {
      this.at = Number(this.slider.value) >= this.head ? null : Number(this.slider.value);
      this.sliderOutput.textContent = this.sliderText();
      this.remember();
      clearTimeout(timer);
      timer = setTimeout(() => this.loadView(), 120);
    });
    const changeFrom = h("input", { id: "change-from", type: "number", min: 0, value: Math.max(0, this.head - 1) });
    const changeTo = h("input", { id: "change-to", type: "number", min: 0, value: this.head });
    const change = h("div", { id: "change" });
    this.views.append(
      h("div", { class: "row" }, field("View", select)),
      h("div", { class: "row" }, field("As of seq", this.slider), this.sliderOutput,
        h("button", { type: "button", class: "secondary", onclick: () => { this.at = null; this.slider.value = this.head; this.sliderOutput.textContent = this.sliderText(); this.remember(); this.loadView(); } }, "Back to head")),
      h("form", { class: "row", onsubmit: (event) => { event.preventDefault(); if (asOf.value) this.loadView({ asOf: new Date(asOf.value).toISOString() }); } },
        field("As of time", asOf), h("button", { type: "submit", class: "secondary" }, "Show as of time")),
      this.viewMeta, this.viewState, this.viewRows,
      h("details", { id: "change-details" }, h("summary", {}, "Change between two points (JSON Patch)"),
        h("form", { id: "change-form", class: "row", onsubmit: (event) => { event.preventDefault(); this.showChange(Number(changeFrom.value), Number(changeTo.value), change); } },
          field("From seq", changeFrom), field("To seq", changeTo), h("button", { type: "submit", class: "secondary" }, "Show change")),
        change),
    );
    this.loadView();
  }

  sliderText() {
    return this.at === null ? `head (${count(this.head)})` : `seq ${count(this.at)} of ${count(this.head)}`;
  }

  remember() {
    this.replaceParams({ branch: this.branch === "main" ? "" : this.branch, view: this.view, at: this.at ?? "" });
  }

  async loadView(point = {}) {
    const request = ++this.viewRequest;
    const at = point.asOf ? undefined : this.at ?? undefined;
    try {
      const { json: answer } = await api(`${this.base}/views/${encodeURIComponent(this.view)}${this.on({ at, asOf: point.asOf })}`);
      if (request !== this.viewRequest) return;
      if (point.asOf) {
        this.at = answer.version >= this.head ? null : answer.version;
        this.slider.value = answer.version;
        this.sliderOutput.textContent = this.sliderText();
        this.remember();
      }
      this.viewMeta.textContent = `${answer.view} version ${count(answer.version)}${this.at === null && !point.asOf ? " (the head)" : ""}${point.asOf ? ` as of ${when(Date.parse(point.asOf))}` : ""}`;
      this.viewState.dataset.version = answer.version;
      this.viewState.dataset.at = at ?? "";
      this.viewState.textContent = JSON.stringify(answer.state, null, 2);
      this.loadRows(at);
    } catch (error) {
      if (request !== this.viewRequest) return;
      this.viewMeta.textContent = "";
      this.viewState.textContent = "";
      fill(this.viewRows, problemBox(error));
    }
  }

  async loadRows(at) {
    const keyed = this.described.views.find((one) => one.name === this.view)?.keyed;
    if (!keyed) { fill(this.viewRows); return; }
    try {
      const { json: answer } = await api(`${this.base}/views/${encodeURIComponent(this.view)}${this.on({ limit: 20, at })}`);
      fill(this.viewRows, h("details", {}, h("summary", {}, `Rows (first ${answer.rows.length}${answer.next ? ", more on later pages" : ""})`),
        h("table", {}, h("tbody", {}, answer.rows.map((row) => h("tr", {}, h("td", {}, h("code", {}, row.key)), h("td", {}, json(row.row))))))));
    } catch (error) {
      fill(this.viewRows, problemBox(error));
    }
  }

  async showChange(from, to, target) {
    try {
      const read = (seq) => api(`${this.base}/views/${encodeURIComponent(this.view)}${this.on({ at: seq })}`).then((answer) => answer.json.state);
      const [before, after] = await Promise.all([read(from), read(to)]);
      const operations = jsonPatch(before, after);
      fill(target, h("p", { class: "muted" }, `${this.view} from seq ${from} to seq ${to}: ${operations.length} operation${operations.length === 1 ? "" : "s"}`),
        h("table", { id: "patch" }, h("thead", {}, h("tr", {}, h("th", {}, "op"), h("th", {}, "path"), h("th", {}, "value"))),
          h("tbody", {}, operations.map((operation) => h("tr", { class: `patch-${operation.op}` }, h("td", {}, operation.op), h("td", {}, h("code", {}, operation.path)),
            h("td", {}, "value" in operation ? h("code", {}, JSON.stringify(operation.value)) : ""))))));
    } catch (error) {
      fill(target, problemBox(error));
    }
  }

  // Branches: graph, diff, merge.

  renderBranches() {
    this.branchResult = h("div", { id: "branch-result", "aria-live": "polite" });
    fill(this.branchCard, h("h2", { id: "branches-title" }, "Branches"));
    if (!this.branches.length) {
      this.branchCard.append(h("p", { class: "muted" }, "No branches until the object has events."));
      return;
    }
    this.branchCard.append(branchGraph(this.branches),
      h("table", { id: "branches" },
        h("thead", {}, h("tr", {}, h("th", {}, "Branch"), h("th", {}, "Parent"), h("th", { class: "num" }, "Fork seq"), h("th", { class: "num" }, "Head"), h("th", {}, "Actions"))),
        h("tbody", {}, this.branches.map((one) => h("tr", { "data-branch": one.name },
          h("td", {}, link(objectHash(this.type, this.id, { branch: one.name === "main" ? "" : one.name }), one.name)),
          h("td", {}, one.parent ?? "—"),
          h("td", { class: "num" }, one.parent ? count(one.forkSeq) : "—"),
          h("td", { class: "num" }, count(one.head)),
          h("td", {}, one.parent ? [
            h("button", { type: "button", class: "secondary", "aria-label": `Diff ${one.name} against ${one.parent}`, onclick: () => this.diff(one) }, "Diff"), " ",
            h("button", { type: "button", "aria-label": `Merge ${one.name} into ${one.parent}`, onclick: () => this.merge(one) }, `Merge into ${one.parent}`),
          ] : ""))))),
      this.branchResult);
  }

  async diff(branch) {
    const view = this.view || undefined;
    try {
      const { json: answer } = await api(`${this.base}/branches/${encodeURIComponent(branch.name)}/diff${query({ against: branch.parent, view, limit: 50 })}`);
      const side = (title, one) => h("div", {}, h("h3", {}, `${title}: ${count(one.count)} event${one.count === 1 ? "" : "s"} since seq ${answer.ancestorSeq}`),
        h("ul", {}, one.events.map((event) => h("li", {}, `seq ${event.seq} `, h("code", {}, event.type), " ", h("code", {}, JSON.stringify(event.data))))));
      fill(this.branchResult, h("div", { class: "ok", id: "diff" },
        h("strong", {}, `${branch.name} against ${branch.parent}`),
        side(branch.name, answer.branchSide), side(branch.parent, answer.againstSide),
        answer.view ? [h("h3", {}, `${answer.view}: the patch from ${branch.parent} to ${branch.name}`), json(answer.patch)] : null));
    } catch (error) {
      fill(this.branchResult, problemBox(error));
    }
  }

  async merge(branch) {
    try {
      const { json: answer } = await api(`${this.base}/branches/${encodeURIComponent(branch.name)}/merge`, { method: "POST", body: { into: branch.parent } });
      fill(this.branchResult, h("div", { class: "ok", id: "merge-result", role: "status" },
        h("strong", {}, `Merged ${branch.name} into ${branch.parent}: ${answer.merge}`), ` (${count(answer.events)} event${answer.events === 1 ? "" : "s"}, ${branch.parent} at ${count(answer.version)})`));
      await this.refreshBranches();
    } catch (error) {
      fill(this.branchResult, h("div", { id: "merge-result" }, h("p", {}, `The merge of ${branch.name} into ${branch.parent} was refused:`), problemBox(error)));
    }
  }

  async refreshBranches() {
    const result = this.branchResult;
    this.branches = await this.loadBranches();
    this.renderBranches();
    this.branchCard.replaceChild(result, this.branchResult);
    this.branchResult = result;
    this.headChanged();
  }

  // The timeline, paged; fork from any event.

  async renderTimeline() {
    const from = this.timelineFrom ?? Math.max(1, this.head - pageSize + 1);
    this.forkArea = h("div", { id: "fork-area", "aria-live": "polite" });
    const title = h("h2", { id: "timeline-title" }, "Timeline");
    if (this.head === 0) {
      fill(this.timeline, title, h("p", { class: "muted" }, "No events yet."));
      return;
    }
    let answer;
    try {
      answer = (await api(`${this.base}/events${this.on({ from, limit: pageSize })}`)).json;
    } catch (error) {
      fill(this.timeline, title, problemBox(error));
      return;
    }
    const events = [...answer.events].reverse();
    const last = events.length ? events[0].seq : from;
    const first = events.length ? events[events.length - 1].seq : from;
    const older = h("button", { type: "button", class: "secondary", disabled: first <= 1, onclick: () => { this.timelineFrom = Math.max(1, first - pageSize); this.renderTimeline(); } }, "Older events");
    const newer = h("button", { type: "button", class: "secondary", disabled: last >= this.head, onclick: () => { this.timelineFrom = last + 1 > this.head - pageSize + 1 ? null : last + 1; this.renderTimeline(); } }, "Newer events");
    fill(this.timeline, title,
      h("div", { class: "row" }, older, newer, h("span", { class: "muted" }, `seqs ${count(first)} to ${count(last)} of ${count(this.head)}`)),
      this.forkArea,
      h("table", { id: "timeline" },
        h("thead", {}, h("tr", {}, h("th", { class: "num" }, "Seq"), h("th", {}, "Type"), h("th", {}, "Committed"), h("th", { class: "num" }, "Position"), h("th", {}, "Data and metadata"), h("th", {}, "Actions"))),
        h("tbody", {}, events.map((event) => h("tr", { "data-seq": event.seq, class: this.fresh && event.seq > this.fresh ? "fresh" : null },
          h("td", { class: "num" }, count(event.seq)),
          h("td", {}, h("code", {}, event.type)),
          h("td", {}, when(event.time)),
          h("td", { class: "num" }, count(event.position)),
          h("td", {}, h("details", {}, h("summary", {}, h("code", {}, preview(event.data))), h("h3", {}, "data"), json(event.data), h("h3", {}, "metadata"), json(event.metadata), h("p", { class: "muted" }, `id ${event.id}`))),
          h("td", {},
            h("button", { type: "button", class: "secondary", "aria-label": `Show views as of seq ${event.seq}`, onclick: () => this.showAt(event.seq) }, "View here"), " ",
            h("button", { type: "button", class: "secondary", "aria-label": `Fork at seq ${event.seq}`, onclick: () => this.forkForm(event.seq) }, "Fork here")))))));
    this.fresh = null;
  }

  showAt(seq) {
    if (!this.slider) return;
    this.at = seq >= this.head ? null : seq;
    this.slider.value = seq;
    this.sliderOutput.textContent = this.sliderText();
    this.remember();
    this.loadView();
    this.slider.focus();
  }

  forkForm(seq) {
    const name = h("input", { id: "fork-name", required: true, pattern: "[A-Za-z0-9._-]{1,64}", placeholder: `what-if-${seq}`, spellcheck: "false" });
    const result = h("div", { id: "fork-result" });
    fill(this.forkArea, h("form", {
      class: "row card-inline",
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          await api(`${this.base}/branches`, { method: "POST", body: { name: name.value.trim(), from: this.branch, at: seq } });
          location.hash = objectHash(this.type, this.id, { branch: name.value.trim() });
        } catch (error) {
          fill(result, problemBox(error));
        }
      },
    }, field(`New branch forked from ${this.branch} at seq ${seq}`, name), h("button", { type: "submit" }, `Fork at seq ${seq}`),
    h("button", { type: "button", class: "secondary", onclick: () => fill(this.forkArea) }, "Cancel")), result);
    name.focus();
  }

  // Commands, from their schemas.

  commandCard() {
    const commands = this.described.commands || [];
    if (!commands.length) return null;
    const card = h("section", { class: "card", id: "command-card", "aria-labelledby": "command-title" });
    const select = h("select", { id: "command" }, commands.map((one) => h("option", { value: one.name }, one.name)));
    const holder = h("div", {});
    const result = h("div", { id: "command-result", "aria-live": "polite" });
    const show = () => {
      const command = commands.find((one) => one.name === select.value);
      const schema = command.schema || { type: "object", properties: {} };
      fill(holder, schema.description ? h("p", { class: "muted" }, schema.description) : null,
        command.schema ? null : h("p", { class: "muted" }, "No schema declares this command's body: send it as JSON."),
        schemaForm(schema, `Run ${command.name}`, (body) => this.runCommand(command.name, body, result)));
      fill(result);
    };
    select.addEventListener("change", show);
    card.append(h("h2", { id: "command-title" }, `Run a command on ${this.branch}`), h("div", { class: "row" }, field("Command", select)), holder, result);
    show();
    return card;
  }

  async runCommand(name, body, result) {
    try {
      const { json: answer } = await api(`${this.base}/commands/${encodeURIComponent(name)}${this.on()}`, { method: "POST", body });
      fill(result, h("div", { class: "ok", role: "status" }, h("strong", {}, `${name}: ${answer.events.length} event${answer.events.length === 1 ? "" : "s"}, version ${answer.version}`), json(answer.events)));
    } catch (error) {
      fill(result, problemBox(error));
    }
  }

  // Live updates.

  start() {
    const hasViews = this.described.views.length > 0;
    if (hasViews) this.connectSocket();
    else {
      followEvents(`${this.base}/stream${this.on({ after: this.head })}`, (message) => {
        const seq = Number(message.id);
        if (seq > this.head) this.grew(seq);
      }, (state, error) => this.liveState(state, error), this.signal);
    }
  }

  connectSocket() {
    if (this.signal.aborted) return;
    const socket = openSocket(`${this.base}/ws${this.on()}`);
    this.signal.addEventListener("abort", () => socket.close(1000, "page left"));
    socket.addEventListener("open", () => this.liveState("open"));
    socket.addEventListener("message", (message) => {
      const answer = JSON.parse(message.data);
      if ((answer.type === "events" || answer.type === "snapshot") && answer.version > this.head) this.grew(answer.version);
    });
    socket.addEventListener("close", () => {
      if (this.signal.aborted) return;
      this.liveState("closed");
      setTimeout(() => this.connectSocket(), 2000);
    });
  }

  liveState(state, error) {
    this.liveBadge.className = `badge ${state === "open" ? "live" : "down"}`;
    this.liveBadge.textContent = state === "open" ? "live" : state === "error" ? `not live: ${error?.problem?.title ?? "refused"}` : "reconnecting";
  }

  grew(head) {
    const previous = this.head;
    const branch = this.branches.find((one) => one.name === this.branch);
    if (branch) branch.head = head;
    else {
      this.branches = [{ name: "main", parent: null, forkSeq: 0, head, created: Date.now(), merges: [] }];
      this.refreshBranches();
    }
    this.fresh = previous;
    this.headChanged();
  }

  headChanged() {
    this.headText.textContent = count(this.head);
    if (this.slider) {
      this.slider.max = this.head;
      if (this.at === null) this.slider.value = this.head;
      this.sliderOutput.textContent = this.sliderText();
      if (this.at === null) this.loadView();
    }
    if (this.timelineFrom === null) this.renderTimeline();
  }
}

function preview(data) {
  const text = JSON.stringify(data);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}
