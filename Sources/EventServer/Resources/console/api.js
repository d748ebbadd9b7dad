// The console's only way to the server: the public HTTP API, the WebSocket and Server-Sent
// Events, with the tab's token (sessionStorage: it leaves with the tab) when one is set.

const tokenKey = "evlog.token";

/** The token this tab uses, or "" for none. */
export function token() {
  return sessionStorage.getItem(tokenKey) || "";
}

/** Keeps `value` as this tab's token ("" forgets it). */
export function setToken(value) {
  if (value) sessionStorage.setItem(tokenKey, value);
  else sessionStorage.removeItem(tokenKey);
}

function authorization(headers = {}) {
  const value = token();
  return value ? { ...headers, Authorization: `Bearer ${value}` } : headers;
}

/** An answer that is not a success: its status and problem+json body (RFC 9457). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/**
 * Sends a request and answers {status, json, headers}; a failure throws ApiError with the
 * problem the server sent (or one made from what it sent).
 */
export async function api(path, { method = "GET", body, headers = {} } = {}) {
  const init = { method, headers: authorization(headers) };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, { title: "The server cannot be reached", detail: String(error) });
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    throw new ApiError(response.status, json && typeof json === "object" ? json : { title: response.statusText, detail: text, status: response.status });
  }
  return { status: response.status, json, text, headers: response.headers };
}

/** The path of an object's route: `/v1/objects/TYPE/ID` + `rest`, each part encoded. */
export function objectPath(type, id, rest = "") {
  return `/v1/objects/${encodeURIComponent(type)}/${encodeURIComponent(id)}${rest}`;
}

/** A query string of the entries of `params` that are set ("" for none). */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/**
 * Follows a Server-Sent Events route over fetch (an EventSource cannot send the token), calling
 * `onEvent({id, event, data})` for each event, until `signal` aborts. `onState` hears "open",
 * "closed" and "error". Reconnects after a second from the last id seen.
 */
export function followEvents(path, onEvent, onState, signal) {
  let lastId = null;
  const connect = async () => {
    while (!signal.aborted) {
      try {
        const headers = authorization({ Accept: "text/event-stream" });
        if (lastId !== null) headers["Last-Event-ID"] = lastId;
        const response = await fetch(path, { headers, signal });
        if (!response.ok) {
          const text = await response.text();
          let problem;
          try { problem = JSON.parse(text); } catch { problem = { title: response.statusText, detail: text }; }
          onState("error", new ApiError(response.status, problem));
          return;
        }
        onState("open");
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        let event = { data: [] };
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let end;
          while ((end = buffer.indexOf("\n")) >= 0) {
            const line = buffer.slice(0, end).replace(/\r$/, "");
            buffer = buffer.slice(end + 1);
            if (line === "") {
              if (event.data.length) {
                if (event.id !== undefined) lastId = event.id;
                onEvent({ id: event.id, event: event.event || "message", data: event.data.join("\n") });
              }
              event = { data: [] };
            } else if (!line.startsWith(":")) {
              const colon = line.indexOf(":");
              const field = colon < 0 ? line : line.slice(0, colon);
              const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
              if (field === "data") event.data.push(text);
              else if (field === "id") event.id = text;
              else if (field === "event") event.event = text;
            }
          }
        }
        onState("closed");
      } catch (error) {
        if (signal.aborted) return;
        onState("closed");
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  };
  connect();
}

function base64url(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Opens a WebSocket to `path` on this server. A browser cannot send `Authorization` on one, so
 * the token travels as the subprotocol `evlog.bearer.<base64url>` beside `evlog`.
 */
export function openSocket(path) {
  const url = new URL(path, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const value = token();
  return value ? new WebSocket(url, ["evlog", `evlog.bearer.${base64url(value)}`]) : new WebSocket(url);
}
