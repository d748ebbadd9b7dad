// Building the page: elements made from data with textContent only (nothing the server sends
// is ever parsed as HTML), problem boxes, JSON blocks and times.

/**
 * An element: `h("a", {href: "#/x", class: "c"}, "text", child)`. Attributes named `on…` are
 * listeners; `null`/`false` attributes and children are left out.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElementNS(tag === "svg" || svgTags.has(tag) ? "http://www.w3.org/2000/svg" : "http://www.w3.org/1999/xhtml", tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "value" && "value" in element && !(element instanceof SVGElement)) element.value = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

const svgTags = new Set(["g", "line", "polyline", "path", "circle", "text", "title", "rect", "desc"]);

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `element` with `children`. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** A labelled control: `<label for=id>text</label>` and the control, in a span. */
export function field(text, control) {
  if (!control.id) control.id = `f-${Math.random().toString(36).slice(2, 9)}`;
  return h("span", { class: "field" }, h("label", { for: control.id }, text), " ", control);
}

/** `value` as indented JSON in a `<pre>`. */
export function json(value, attributes = {}) {
  return h("pre", { class: "json", ...attributes }, JSON.stringify(value, null, 2));
}

/** An error as the API sent it: status, title, detail and the problem's other members. */
export function problemBox(error) {
  const problem = error.problem || { title: String(error.message || error) };
  const extra = Object.fromEntries(Object.entries(problem).filter(([key]) => !["type", "title", "status", "detail"].includes(key)));
  return h(
    "div",
    { class: "problem", role: "alert", "data-status": error.status ?? "" },
    h("strong", {}, error.status ? `${error.status} ` : "", problem.title || "Failed"),
    problem.type ? h("span", { class: "muted" }, ` ${problem.type}`) : null,
    problem.detail ? h("div", {}, problem.detail) : null,
    Object.keys(extra).length ? json(extra) : null,
  );
}

/** A time (ms since the epoch) as local date and time. */
export function when(milliseconds) {
  if (milliseconds === null || milliseconds === undefined) return "—";
  const date = new Date(milliseconds);
  return Number.isNaN(date.getTime()) ? String(milliseconds) : date.toLocaleString(undefined, { hour12: false });
}

/** A number with thousands separators. */
export function count(value) {
  return typeof value === "number" ? value.toLocaleString("en-US") : value ?? "—";
}

/** A link to a console page (`#/...`). */
export function link(hash, text) {
  return h("a", { href: hash }, text);
}

/** The console address of an object (and branch). */
export function objectHash(type, id, params = {}) {
  const search = new URLSearchParams(Object.entries(params).filter(([, value]) => value !== undefined && value !== null && value !== ""));
  const text = search.toString();
  return `#/objects/${encodeURIComponent(type)}/${encodeURIComponent(id)}${text ? `?${text}` : ""}`;
}
