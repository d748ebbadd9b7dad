// The RFC 6902 JSON Patch from one JSON value to another: what a view's change between two
// points is shown as (the server's diff route answers the same form between branches).

function escape(key) {
  return String(key).replace(/~/g, "~0").replace(/\//g, "~1");
}

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function equal(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The operations that turn `from` into `to` (objects member by member, arrays by index). */
export function jsonPatch(from, to, path = "", operations = []) {
  if (equal(from, to)) return operations;
  if (isObject(from) && isObject(to)) {
    for (const key of Object.keys(from).sort()) {
      if (!(key in to)) operations.push({ op: "remove", path: `${path}/${escape(key)}` });
    }
    for (const key of Object.keys(to).sort()) {
      if (!(key in from)) operations.push({ op: "add", path: `${path}/${escape(key)}`, value: to[key] });
      else jsonPatch(from[key], to[key], `${path}/${escape(key)}`, operations);
    }
    return operations;
  }
  if (Array.isArray(from) && Array.isArray(to)) {
    const shared = Math.min(from.length, to.length);
    for (let index = 0; index < shared; index += 1) jsonPatch(from[index], to[index], `${path}/${index}`, operations);
    for (let index = from.length - 1; index >= to.length; index -= 1) operations.push({ op: "remove", path: `${path}/${index}` });
    for (let index = from.length; index < to.length; index += 1) operations.push({ op: "add", path: `${path}/-`, value: to[index] });
    return operations;
  }
  operations.push({ op: "replace", path: path, value: to });
  return operations;
}
