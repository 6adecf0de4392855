// /unsubscribe.html#token=...: the link in an update's mail. Read the token from the fragment
// and clear it from the URL, then ask first: nothing is posted until the reader clicks (link
// scanners open every link). Outcomes: stopped / already stopped / invalid link / too many
// requests / server error. The answer names the letter, never the address.
import { getLetter, unsubscribe, ApiError, TOKEN_RE } from "./api.js";
import { apply, mountSwitch, onChange, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
let token = "";
let state = null; // [messageKey, outcome class ("" for the question), slug|null, ask?, arg, letter]
let busy = false;

function render() {
  document.title = `${t("uTitle")} · Undersigned`;
  if (!state) return;
  const [key, kind, slug, ask, arg, letter] = state;
  const p = document.createElement("p");
  if (kind) p.className = `outcome outcome-${kind}`;
  p.textContent = busy ? t("uWorking") : t(key, arg);
  $("u-result").replaceChildren(p);
  if (letter && !busy) {
    const named = document.createElement("p");
    const cite = document.createElement("cite");
    cite.lang = letter.language || "en";
    cite.textContent = letter.title;
    named.append(`${t("wLetter")} `, cite);
    $("u-result").append(named);
  }
  const actions = $("u-actions");
  actions.replaceChildren();
  if (ask) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "btn btn-primary";
    b.textContent = t(kind ? "cRetry" : "uButton");
    b.disabled = busy;
    b.addEventListener("click", run);
    actions.append(b);
  }
  if (!ask || kind) {
    const a = document.createElement("a");
    a.className = "btn";
    a.href = slug ? `/l/${encodeURIComponent(slug)}` : "/";
    a.textContent = t(slug ? "toLetter" : "toIndex");
    actions.append(a);
  }
}

async function letterNamed(slug) {
  try {
    const { title, language } = await getLetter(slug);
    return title ? { title, language } : null;
  } catch { return null; }
}

async function run() {
  if (busy) return;
  busy = true;
  render();
  const sent = token;
  let next;
  try {
    const r = await unsubscribe(sent);
    next = [r.already_unsubscribed ? "uAlready" : "uDone", "ok", r.letter, false, null,
      await letterNamed(r.letter)];
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 429) next = ["e.too_many", "bad", null, true, err.retryAfter];
    else if (err.status >= 500 || err.status === 0) next = [err.status ? "e.server" : "e.network", "bad", null, true];
    else next = ["cInvalid", "bad", null, false];
  } finally {
    busy = false;
  }
  if (sent === token) state = next;
  render();
  $("u-result").focus();
}

function start() {
  token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  state = TOKEN_RE.test(token) ? ["uAsk", "", null, true] : ["cInvalid", "bad", null, false];
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
