// The object types and their objects: what a user starts from.

import { api, query } from "./api.js";
import { count, field, h, link, objectHash, when } from "./dom.js";

/** `#/objects`: every object type with how many objects it has. */
export async function typesPage({ page }) {
  document.title = "Objects · evlog console";
  const { json } = await api("/v1/objects");
  page.append(
    h("h1", {}, "Object types"),
    h("section", { class: "card" },
      h("table", { id: "types" },
        h("thead", {}, h("tr", {}, h("th", {}, "Type"), h("th", { class: "num" }, "Objects"))),
        h("tbody", {}, json.types.map((one) =>
          h("tr", {}, h("td", {}, link(`#/objects/${encodeURIComponent(one.type)}`, one.type)), h("td", { class: "num" }, count(one.objects))))))),
    h("section", { class: "card" }, h("h2", {}, "Open an object"), openForm()),
  );
}

function openForm() {
  const type = h("input", { id: "open-type", required: true, placeholder: "inventory", spellcheck: "false" });
  const id = h("input", { id: "open-id", required: true, placeholder: "sku-42", spellcheck: "false" });
  return h("form", {
    class: "row",
    onsubmit: (event) => {
      event.preventDefault();
      if (type.value.trim() && id.value.trim()) location.hash = objectHash(type.value.trim(), id.value.trim());
    },
  }, field("Type", type), field("Id", id), h("button", { type: "submit" }, "Open"));
}

/** `#/objects/TYPE?prefix=&after=`: the type's objects in id order, a page at a time. */
export async function objectsPage({ page, type, params }) {
  document.title = `${type} · evlog console`;
  const prefix = params.get("prefix") || "";
  const after = params.get("after") || "";
  const search = h("input", { id: "prefix", type: "search", value: prefix, placeholder: "sku-4", spellcheck: "false" });
  const [{ json }, described] = await Promise.all([
    api(`/v1/objects/${encodeURIComponent(type)}${query({ prefix, after, limit: 50 })}`),
    api(`/v1/types/${encodeURIComponent(type)}`).then((answer) => answer.json, () => null),
  ]);
  page.append(
    h("p", {}, link("#/objects", "Object types"), " / ", type),
    h("h1", {}, `${type} objects`),
    described && described.description ? h("p", { class: "muted" }, described.description) : null,
    h("section", { class: "card" },
      h("form", {
        class: "row", role: "search",
        onsubmit: (event) => {
          event.preventDefault();
          location.hash = `#/objects/${encodeURIComponent(type)}${search.value.trim() ? `?prefix=${encodeURIComponent(search.value.trim())}` : ""}`;
        },
      }, field("Id prefix", search), h("button", { type: "submit" }, "Search")),
      json.objects.length === 0 ? h("p", { class: "muted" }, prefix ? `No ${type} object id starts with ${prefix}.` : `No ${type} objects yet.`) :
        h("table", { id: "objects" },
          h("thead", {}, h("tr", {}, h("th", {}, "Id"), h("th", { class: "num" }, "Head (main)"), h("th", { class: "num" }, "Branches"), h("th", {}, "Last change"))),
          h("tbody", {}, json.objects.map((object) => h("tr", {},
            h("td", {}, link(objectHash(type, object.id), object.id)),
            h("td", { class: "num" }, count(object.version)),
            h("td", { class: "num" }, count(object.branches)),
            h("td", {}, when(object.lastCommitTime)))))),
      json.next ? h("p", {}, link(`#/objects/${encodeURIComponent(type)}${query({ prefix, after: json.next })}`, "Next page")) : null,
    ),
  );
}
