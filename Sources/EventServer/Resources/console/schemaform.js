// A form made from a command's JSON Schema (GET /v1/types/{type} answers them): a control per
// property, each labelled with its name and described with the schema's description.

import { field, h } from "./dom.js";

function controlFor(name, schema, required) {
  const id = `cmd-${name}`;
  const common = { id, name, required, "aria-describedby": schema.description ? `${id}-help` : null };
  if (Array.isArray(schema.enum)) {
    return h("select", common, required ? null : h("option", { value: "" }, "(none)"),
      schema.enum.map((value) => h("option", { value: JSON.stringify(value), selected: schema.default === value }, String(value))));
  }
  switch (schema.type) {
    case "integer":
    case "number":
      return h("input", { ...common, type: "number", step: schema.type === "integer" ? "1" : "any", min: schema.minimum, max: schema.maximum, value: schema.default });
    case "boolean":
      return h("input", { ...common, type: "checkbox", checked: schema.default === true, required: false });
    case "string":
      return h("input", { ...common, type: "text", minlength: schema.minLength, maxlength: schema.maxLength, value: schema.default, spellcheck: "false" });
    default:
      return h("textarea", { ...common, rows: 4, cols: 60, placeholder: schema.type === "array" ? "[ … ] as JSON" : "{ … } as JSON", spellcheck: "false" },
        schema.default !== undefined ? JSON.stringify(schema.default, null, 2) : "");
  }
}

/**
 * The form for `schema` (an object schema). `onSubmit(body)` gets the body built from the
 * controls: numbers as numbers, JSON controls parsed, empty optional controls left out. A
 * control whose JSON does not parse is reported on the form and nothing is sent.
 */
export function schemaForm(schema, submitLabel, onSubmit) {
  const properties = schema && schema.properties ? schema.properties : {};
  const required = new Set(schema && schema.required ? schema.required : []);
  const names = Object.keys(properties).sort((a, b) => (required.has(b) - required.has(a)) || a.localeCompare(b));
  const error = h("div", { role: "alert" });
  const form = h("form", { class: "command-form", novalidate: true });
  for (const name of names) {
    const property = properties[name];
    const control = controlFor(name, property, required.has(name));
    form.append(h("div", { class: "row" }, field(`${name}${required.has(name) ? " (required)" : ""}`, control),
      property.description ? h("span", { id: `cmd-${name}-help`, class: "muted" }, property.description) : null));
  }
  if (!names.length) form.append(h("p", { class: "muted" }, "This command takes no fields."));
  form.append(h("div", { class: "row" }, h("button", { type: "submit" }, submitLabel)), error);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = {};
    error.replaceChildren();
    for (const name of names) {
      const control = form.elements.namedItem(name);
      const property = properties[name];
      if (control.type === "checkbox") {
        if (control.checked || required.has(name)) body[name] = control.checked;
        continue;
      }
      const text = control.value.trim();
      if (text === "") continue;
      if (control.tagName === "SELECT") body[name] = JSON.parse(text);
      else if (control.type === "number") body[name] = Number(text);
      else if (control.tagName === "TEXTAREA") {
        try {
          body[name] = JSON.parse(text);
        } catch (problem) {
          error.append(h("div", { class: "problem" }, h("strong", {}, `${name}: `), `not JSON (${problem.message})`));
          control.focus();
          return;
        }
      } else body[name] = text;
    }
    onSubmit(body);
  });
  return form;
}
