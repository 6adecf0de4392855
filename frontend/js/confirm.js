// /confirm.html#token=...: read the token from the fragment, clear it from the URL, post it,
// and say what happened: confirmed / already confirmed / awaiting approval / expired / invalid.
// Another link pasted into the same tab changes only the fragment: it is confirmed in turn.
import { confirm, ApiError, TOKEN_RE } from "./api.js";
import { apply, mountSwitch, onChange, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
let state = null; // [messageKey, letterSlug|null, kind, retry?]
let runs = 0; // only the latest run may show its outcome

function render() {
  document.title = `${t("confirmTitle")} · Undersigned`;
  if (!state) return;
  const [key, slug, kind, retry] = state;
  const p = document.createElement("p");
  p.className = `outcome outcome-${kind}`;
  p.textContent = t(key);
  $("c-result").replaceChildren(p);
  const actions = $("c-actions");
  actions.replaceChildren();
  if (retry) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "btn btn-primary";
    b.textContent = t("cRetry");
    b.addEventListener("click", () => run(retry, true));
    actions.append(b);
  }
  const a = document.createElement("a");
  a.className = "btn";
  a.href = slug ? `/l/${encodeURIComponent(slug)}` : "/";
  a.textContent = t(slug ? "toLetter" : "toIndex");
  actions.append(a);
}

// `fromButton`: "Try again" is removed at once, so the focus moves to the result (not on load).
async function run(token, fromButton = false) {
  const mine = ++runs;
  state = null;
  $("c-actions").replaceChildren(); // no second click on "Try again" while this one runs
  $("c-result").replaceChildren(Object.assign(document.createElement("p"), { textContent: t("confirming") }));
  if (fromButton) $("c-result").focus(); // keep keyboard and screen reader users here
  let next;
  try {
    const r = await confirm(token);
    const key = r.already_confirmed
      ? (r.state === "awaiting_approval" ? "cAlreadyAwaiting" : "cAlready")
      : (r.state === "awaiting_approval" ? "cAwaiting" : "cListed");
    next = [key, r.letter, r.state === "awaiting_approval" ? "wait" : "ok"];
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.code === "token_expired") next = ["cExpired", null, "bad"];
    else if (err.code === "signature_withdrawn") next = ["cWithdrawn", null, "bad"];
    else if (err.status === 429) next = ["e.too_many", null, "bad", token];
    else if (err.status >= 500 || err.status === 0) next = [err.status ? "e.server" : "e.network", null, "bad", token];
    else next = ["cInvalid", null, "bad"]; // token_invalid, or a malformed token (422)
  }
  if (mine !== runs) return;
  state = next;
  render();
}

/** Take the token from the fragment, clear it from the address bar, and confirm it. */
function start() {
  const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  if (!TOKEN_RE.test(token)) {
    runs++;
    state = ["cInvalid", null, "bad"];
    render();
    return;
  }
  run(token);
}

function main() {
  mountSwitch($("lang-switch"));
  apply();
  onChange(render);
  render();
  start();
  addEventListener("hashchange", () => { if (location.hash) start(); });
}

main();
