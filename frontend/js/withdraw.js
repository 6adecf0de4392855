// /withdraw.html#token=...: read the token from the fragment and clear it from the URL, then
// ask first: nothing is posted until the signer clicks (link scanners open every link).
// Outcomes: withdrawn / already withdrawn / invalid link / too many requests / server error.
// Another link pasted into the same tab changes only the fragment: the page asks afresh for it.
// Once withdrawn, the page names the letter (the API answers with its slug; the title is one
// more read, left out if that fails).
import { getLetter, withdraw, ApiError, TOKEN_RE } from "./api.js";
import { apply, mountSwitch, onChange, t } from "./i18n.js";
import { showOrganisers } from "./organisers.js";

const $ = (id) => document.getElementById(id);
let token = "";
// [messageKey, outcome class ("" for the question), letter slug|null, show the button?, arg,
//  the letter ({title, language}) once known, the delivery it came after ({addressee, date,
//  signatures}) if any]
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
  const [key, kind, slug, ask, arg, letter, after] = state;
  const p = document.createElement("p");
  if (kind) p.className = `outcome outcome-${kind}`;
  p.textContent = busy ? t("wWorking") : t(key, arg);
  $("w-result").replaceChildren(p);
  if (letter && !busy) {
    const named = document.createElement("p");
    named.className = "w-letter";
    const cite = document.createElement("cite");
    cite.lang = letter.language || "en";
    cite.textContent = letter.title;
    named.append(`${t("wLetter")} `, cite);
    $("w-result").append(named);
  }
  if (after && !busy) { // the name stays on what was delivered before the withdrawal
    const kept = document.createElement("p");
    kept.className = "w-after-delivery";
    kept.textContent = t("wAfterDelivery", after.addressee, after.date, after.signatures);
    $("w-result").append(kept);
  }
  // Who is behind the letter (the data controller the signer may ask), when it says.
  const who = document.createElement("p");
  who.className = "organisers";
  showOrganisers(who, letter?.organisers);
  if (!who.hidden) $("w-result").append(who);
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

/** The letter's title and language, or null (no slug, or the read failed). */
async function letterNamed(slug) {
  if (!slug) return null;
  try {
    const { title, language, organisers } = await getLetter(slug);
    return title ? { title, language, organisers } : null;
  } catch { return null; }
}

async function run() {
  if (busy) return;
  busy = true;
  render();
  const sent = token;
  let next;
  try {
    const r = await withdraw(sent);
    next = [r.already_withdrawn ? "wAlready" : "wDone", "ok", r.letter, false, null,
      await letterNamed(r.letter), r.after_delivery || null];
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
