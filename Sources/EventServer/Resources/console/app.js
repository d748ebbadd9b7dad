// The console's shell: the token field, and the router from the address's fragment
// (`#/objects/inventory/sku-42?branch=b1&at=10`) to a page, so every page can be bookmarked.

import { setToken, token } from "./api.js";
import { h, problemBox } from "./dom.js";
import { logPage } from "./log.js";
import { objectPage } from "./object.js";
import { objectsPage, typesPage } from "./objects.js";

const main = document.getElementById("main");
let leave = null;

/** The route of `hash`: its path parts (decoded) and its parameters. */
function route(hash) {
  const text = hash.replace(/^#/, "") || "/objects";
  const [path, search = ""] = text.split("?");
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(search) };
}

function markSection(section) {
  for (const anchor of document.querySelectorAll("nav a[data-section]")) {
    if (anchor.dataset.section === section) anchor.setAttribute("aria-current", "page");
    else anchor.removeAttribute("aria-current");
  }
}

async function render() {
  if (leave) leave();
  leave = null;
  const { parts, params } = route(location.hash);
  const page = h("div", { class: "page" });
  main.replaceChildren(page);
  const controller = new AbortController();
  leave = () => controller.abort();
  const context = { page, params, signal: controller.signal, replaceParams };
  try {
    if (parts[0] === "log") {
      markSection("log");
      await logPage(context);
    } else if (parts[0] === "objects" && parts.length >= 3) {
      markSection("objects");
      await objectPage({ ...context, type: parts[1], id: parts.slice(2).join("/") });
    } else if (parts[0] === "objects" && parts.length === 2) {
      markSection("objects");
      await objectsPage({ ...context, type: parts[1] });
    } else {
      markSection("objects");
      await typesPage(context);
    }
  } catch (error) {
    if (!controller.signal.aborted) page.append(problemBox(error));
  }
  page.dataset.ready = "true";
}

/** Updates the address's parameters without rendering the page again (a slider's position). */
function replaceParams(params) {
  const { parts } = route(location.hash);
  const search = new URLSearchParams(Object.entries(params).filter(([, value]) => value !== undefined && value !== null && value !== ""));
  const text = search.toString();
  history.replaceState(null, "", `#/${parts.map(encodeURIComponent).join("/")}${text ? `?${text}` : ""}`);
}

function setUpToken() {
  const form = document.getElementById("token-form");
  const input = document.getElementById("token");
  const state = document.getElementById("token-state");
  const show = () => { state.textContent = token() ? "token set for this tab" : "no token"; };
  input.value = token();
  show();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    setToken(input.value.trim());
    show();
    render();
  });
  document.getElementById("token-forget").addEventListener("click", () => {
    input.value = "";
    setToken("");
    show();
    render();
  });
}

window.addEventListener("hashchange", () => {
  render().then(() => main.focus({ preventScroll: true }));
});
setUpToken();
render();
