// /withdraw.html#token=...: read the token from the fragment and clear it from the URL, then
// ask first: nothing is posted until the signer clicks (link scanners open every link).
// Outcomes: withdrawn / already withdrawn / invalid link / too many requests / server error.
// Another link pasted into the same tab changes only the fragment: the page asks afresh for it.
import { withdraw, ApiError, TOKEN_RE } from "./api.js";
import { apply, mountSwitch, onChange, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
let token = "";
// [messageKey, outcome class ("" for the question), letter slug|null, show the button?, arg]
let state = null;
let busy = false;

function button(key, primary, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = primary ? "btn btn-primary" : "btn";
  b.textContent = t(key);
  b.disabled = busy;
  b.addEventListener("click", onClick);
  return b;
}

function render() {
  document.title = `${t("wTitle")} · Undersigned`;
  if (!state) return;
  const [key, kind, slug, ask, arg] = state;
  const p = document.createElement("p");
  if (kind) p.className = `outcome outcome-${kind}`;
  p.textContent = busy ? t("wWorking") : t(key, arg);
  $("w-result").replaceChildren(p);
  const actions = $("w-actions");
  actions.replaceChildren();
  if (ask) actions.append(button(kind ? "cRetry" : "wButton", true, run));
  if (!ask || kind) {
    const a = document.createElement("a");
    a.className = "btn";
    a.href = slug ? `/l/${encodeURIComponent(slug)}` : "/";
    a.textContent = t(slug ? "toLetter" : "toIndex");
    actions.append(a);
  }
}

async function run() {
  if (busy) return;
  busy = true;
  render();
  const sent = token;
  let next;
  try {
    const r = await withdraw(sent);
    next = [r.already_withdrawn ? "wAlready" : "wDone", "ok", r.letter, false];
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 429) next = ["e.too_many", "bad", null, true, err.retryAfter];
    else if (err.status >= 500 || err.status === 0) next = [err.status ? "e.server" : "e.network", "bad", null, true];
    else next = ["cInvalid", "bad", null, false]; // token_invalid (404), or a malformed token (422)
  } finally {
    busy = false;
  }
  if (sent === token) state = next; // else another link came meanwhile: its question stands
  render();
  $("w-result").focus(); // the button is gone: keep keyboard and screen reader users here
}

/** Take the token from the fragment, clear it from the address bar, and ask. */
function start() {
  token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  state = TOKEN_RE.test(token) ? ["wAsk", "", null, true] : ["cInvalid", "bad", null, false];
  render();
}

function main() {
  mountSwitch($("lang-switch"));
  apply();
  onChange(render);
  start();
  addEventListener("hashchange", () => { if (location.hash) start(); });
}

main();
