// Small DOM helpers. Every string from the API is written with textContent (via `el`'s
// `text` or string children); nothing here parses HTML.
import { lang } from "./i18n.js";

export const $ = (id) => document.getElementById(id);

/** el("td", {className: "x", text: "…", attrs: {…}, on: {click: fn}}, child, "text", …) */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  const { text, attrs, on, dataset, ...rest } = props;
  Object.assign(node, rest);
  if (attrs) for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, v);
  if (dataset) Object.assign(node.dataset, dataset);
  if (on) for (const [k, fn] of Object.entries(on)) node.addEventListener(k, fn);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

/** Visually hidden text, for screen readers (e.g. which row a button acts on). */
export const srOnly = (text) => el("span", { className: "visually-hidden", text });

const TIME = new Intl.DateTimeFormat(lang === "ko" ? "ko-KR" : "en-GB", { dateStyle: "medium", timeStyle: "short" });

/** A <time> in the organiser's local time zone; the ISO value stays in `datetime`. */
export function timeEl(iso) {
  if (!iso) return el("span", { text: "—" });
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return el("span", { text: iso });
  return el("time", { dateTime: iso, title: iso, text: TIME.format(d) });
}

export function formatTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : TIME.format(d);
}

/** <input type=datetime-local> value (local time) → ISO 8601 in UTC with Z; "" → null. */
export function localToIso(value) {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** ISO → a datetime-local value in local time. */
export function isoToLocal(iso) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

const LIVE = "[role=status], [role=alert], [aria-live]";

/** Write a message into a live region; kind: "ok" | "error" | "" (neutral).
 *  A live region is never hidden (a region that appears in the same step as its text is often
 *  not announced): when empty, the stylesheet only hides it visually (`:empty`). Other nodes
 *  are hidden while empty. */
export function say(node, message, kind = "") {
  node.textContent = message || "";
  node.hidden = node.matches(LIVE) ? false : !message;
  node.dataset.kind = kind;
}

/**
 * Disable a button without losing the keyboard focus: a focused button is only marked
 * aria-disabled (its handler must ignore clicks while busy), any other is really disabled.
 * (A disabled button drops the focus to <body>.)
 */
export function setDisabled(button, on) {
  if (on && button === document.activeElement) {
    button.disabled = false;
    button.setAttribute("aria-disabled", "true");
  } else {
    button.disabled = on;
    button.removeAttribute("aria-disabled");
  }
}

/** True when a button is disabled either way (for handlers of soft-disabled buttons). */
export const isDisabled = (button) => button.disabled || button.getAttribute("aria-disabled") === "true";

/** A readable message for an ApiError (field problems included). */
export function errorText(err) {
  if (!err || typeof err.status !== "number") return String(err?.message || err);
  if (err.status === 0) return "The server could not be reached. Check your connection and try again.";
  if (err.status === 429) return `Too many requests. Wait ${err.retryAfter || "a few"} seconds and try again.`;
  if (err.status >= 500) return `Something went wrong on the server.${err.requestId ? ` Reference: ${err.requestId}.` : ""}`;
  if (err.code === "forbidden") return "This token may not act on this letter.";
  let msg = err.message;
  if (err.fields?.length) {
    msg += ` (${err.fields.map((f) => `${(f.loc || []).filter((p) => p !== "body" && p !== "query").join(".") || "request"}: ${f.type}`).join("; ")})`;
  }
  return msg;
}
